"""SGD with momentum, dampening, Nesterov momentum and weight decay (torch's formulas)."""
from .. import _C
from ..tensor import _wrap
from .optimizer import Optimizer, _check, _check_not_differentiable, _effective_grad


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_not_differentiable("SGD", differentiable)
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                                  "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                                  "differentiable": differentiable, "fused": fused})

    def _update_group(self, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        state = self.state
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            pi = p._impl
            tmp, tmp2 = self._buffers(p, 2)
            d = _effective_grad(p, maximize, wd, tmp, tmp2)
            if momentum != 0:
                st = state[p]
                buf = st.get("momentum_buffer")
                if buf is None:
                    buf = _C.clone(d)
                    st["momentum_buffer"] = _wrap(buf)
                else:  # buf = momentum * buf + (1 - dampening) * d
                    buf = buf._impl
                    _C.mul(buf, momentum, False, buf)
                    _C.add(buf, d if dampening == 0 else _C.mul(d, 1 - dampening, False, tmp), False, buf)
                if nesterov:  # d = d + momentum * buf
                    _C.mul(buf, momentum, False, tmp)
                    d = _C.add(d, tmp, False, tmp2)
                else:
                    d = buf
            _C.sub(pi, _C.mul(d, lr, False, tmp), False, pi)  # p -= lr * d
