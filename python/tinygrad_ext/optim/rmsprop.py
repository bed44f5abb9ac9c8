"""RMSprop with momentum and the centered variant (torch's formulas)."""
from .. import _C
from ..tensor import _wrap
from .optimizer import Optimizer, _check


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(alpha >= 0.0, f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, maximize=maximize))

    def _update_group(self, group):
        lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        momentum, centered = group["momentum"], group["centered"]
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            pi, gi = p._impl, g._impl
            st = self.state[p]
            if not st:
                zeros = lambda: _wrap(_C.full(list(pi.shape), 0, pi.dtype, pi.device_type, pi.device_index))  # noqa
                st["step"] = 0
                st["square_avg"] = zeros()
                if momentum > 0:
                    st["momentum_buffer"] = zeros()
                if centered:
                    st["grad_avg"] = zeros()
            if group["maximize"]:
                gi = _C.neg(gi)
            st["step"] += 1
            if wd != 0:
                gi = _C.add(gi, _C.mul(pi, wd))
            sq = st["square_avg"]._impl
            _C.mul(sq, alpha, False, sq)
            _C.add(sq, _C.mul(_C.mul(gi, gi), 1 - alpha), False, sq)
            if centered:
                ga = st["grad_avg"]._impl
                _C.mul(ga, alpha, False, ga)
                _C.add(ga, _C.mul(gi, 1 - alpha), False, ga)
                avg = _C.sub(sq, _C.mul(ga, ga))
                _C.sqrt(avg, avg)
            else:
                avg = _C.sqrt(sq)
            _C.add(avg, eps, False, avg)
            if momentum > 0:
                buf = st["momentum_buffer"]._impl
                _C.mul(buf, momentum, False, buf)
                _C.add(buf, _C.div(gi, avg), False, buf)
                _C.sub(pi, _C.mul(buf, lr), False, pi)
            else:
                upd = _C.div(gi, avg)
                _C.sub(pi, _C.mul(upd, lr, False, upd), False, pi)
