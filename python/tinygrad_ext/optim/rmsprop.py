"""RMSprop with momentum and the centered variant (torch's formulas)."""
from .. import _C
from .optimizer import (Optimizer, _check, _check_not_differentiable, _effective_grad, _next_step, _scalar_state,
                        _zeros)



def _rmsprop_state(p, momentum, centered):
    state = {"step": _scalar_state(0.0, p), "square_avg": _zeros(p)}
    if momentum > 0:
        state["momentum_buffer"] = _zeros(p)
    if centered:
        state["grad_avg"] = _zeros(p)
    return state


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check(alpha >= 0.0, f"Invalid alpha value: {alpha}")
        _check_not_differentiable("RMSprop", differentiable)
        super().__init__(params, {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                                  "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                                  "maximize": maximize, "differentiable": differentiable})

    def _update_group(self, group):
        lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        momentum, centered = group["momentum"], group["centered"]
        for p, st in self._params_with_state(group, lambda p: _rmsprop_state(p, momentum, centered)):
            pi = p._impl
            t, t2, t3 = self._buffers(p, 3)
            _next_step(st)
            gi = _effective_grad(p, group["maximize"], wd, t, t2)
            sq = st["square_avg"]._impl
            # square_avg = alpha * square_avg + (1 - alpha) * g * g
            _C.mul(sq, alpha, False, sq)
            _C.mul(gi, gi, False, t)
            _C.add(sq, _C.mul(t, 1 - alpha, False, t), False, sq)
            if centered:  # avg = sqrt(square_avg - grad_avg^2)
                ga = st["grad_avg"]._impl
                _C.mul(ga, alpha, False, ga)
                _C.add(ga, _C.mul(gi, 1 - alpha, False, t), False, ga)
                _C.mul(ga, ga, False, t)
                avg = _C.sub(sq, t, False, t3)
                _C.sqrt(avg, avg)
            else:
                avg = _C.sqrt(sq, t3)
            _C.add(avg, eps, False, avg)
            if momentum > 0:  # buf = momentum * buf + g / avg;  p -= lr * buf
                buf = st["momentum_buffer"]._impl
                _C.mul(buf, momentum, False, buf)
                _C.add(buf, _C.div(gi, avg, False, t), False, buf)
                _C.sub(pi, _C.mul(buf, lr, False, t), False, pi)
            else:  # p -= lr * g / avg
                upd = _C.div(gi, avg, False, t)
                _C.sub(pi, _C.mul(upd, lr, False, upd), False, pi)
