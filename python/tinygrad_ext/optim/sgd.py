"""SGD with momentum, dampening, Nesterov momentum and weight decay (torch's formulas)."""
from .. import _C
from ..tensor import _wrap
from .optimizer import Optimizer, _check


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update_group(self, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        state = self.state
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            pi, d = p._impl, g._impl
            if wd == 0 and momentum == 0:  # plain SGD: p -= lr * g
                _C.sub(pi, _C.mul(d, lr), False, pi) if not maximize else _C.add(pi, _C.mul(d, lr), False, pi)
                continue
            if maximize:
                d = _C.neg(d)
            if wd != 0:
                d = _C.add(d, _C.mul(pi, wd))
            if momentum != 0:
                st = state[p]
                buf = st.get("momentum_buffer")
                if buf is None:
                    buf = _C.clone(d)
                    st["momentum_buffer"] = _wrap(buf)
                else:
                    buf = buf._impl
                    _C.mul(buf, momentum, False, buf)
                    _C.add(buf, d if dampening == 0 else _C.mul(d, 1 - dampening), False, buf)
                d = _C.add(d, _C.mul(buf, momentum)) if nesterov else buf
            _C.sub(pi, _C.mul(d, lr), False, pi)
