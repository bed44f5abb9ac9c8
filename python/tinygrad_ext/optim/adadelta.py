"""Adadelta: per-element step sizes from running averages of squared gradients and squared updates (torch's
single-tensor formulas)."""
from .. import _C
from .optimizer import (Optimizer, _check, _check_not_differentiable, _effective_grad, _next_step, _scalar_state,
                        _zeros)


def _adadelta_state(p):
    return {"step": _scalar_state(0.0, p), "square_avg": _zeros(p), "acc_delta": _zeros(p)}


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check_not_differentiable("Adadelta", differentiable)
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize, "capturable": capturable, "foreach": foreach,
                                  "differentiable": differentiable})

    def _update_group(self, group):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p, st in self._params_with_state(group, _adadelta_state):
            t, t2, t3 = self._buffers(p, 3)
            _next_step(st)
            g = _effective_grad(p, group["maximize"], group["weight_decay"], t, t2)
            sq, acc = st["square_avg"]._impl, st["acc_delta"]._impl
            # square_avg = rho * square_avg + (1 - rho) * g^2
            _C.mul(sq, rho, False, sq)
            _C.mul(g, g, False, t)
            _C.add(sq, _C.mul(t, 1 - rho, False, t), False, sq)
            # delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
            std = _C.add(sq, eps, False, t)
            _C.sqrt(std, std)
            delta = _C.add(acc, eps, False, t3)
            _C.sqrt(delta, delta)
            _C.div(delta, std, False, delta)
            _C.mul(delta, g, False, delta)
            # acc_delta = rho * acc_delta + (1 - rho) * delta^2;  p -= lr * delta
            _C.mul(acc, rho, False, acc)
            _C.mul(delta, delta, False, t)
            _C.add(acc, _C.mul(t, 1 - rho, False, t), False, acc)
            _C.sub(p._impl, _C.mul(delta, lr, False, delta), False, p._impl)
