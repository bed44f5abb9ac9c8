"""Adamax: Adam with the infinity norm of past gradients (torch's single-tensor formulas)."""
from .. import _C
from .adam import _check_adam_args
from .optimizer import Optimizer, _check_not_differentiable, _effective_grad, _next_step, _scalar_state, _zeros


def _adamax_state(p):
    return {"step": _scalar_state(0.0, p), "exp_avg": _zeros(p), "exp_inf": _zeros(p)}


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_not_differentiable("Adamax", differentiable)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                                  "capturable": capturable})

    def _update_group(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        for p, st in self._params_with_state(group, _adamax_state):
            t, t2 = self._buffers(p, 2)
            step = _next_step(st)
            g = _effective_grad(p, group["maximize"], group["weight_decay"], t, t2)
            m, u = st["exp_avg"]._impl, st["exp_inf"]._impl
            # m = beta1 * m + (1 - beta1) * g;  u = max(beta2 * u, |g| + eps);  p -= lr / (1 - beta1^t) * m / u
            _C.mul(m, beta1, False, m)
            _C.add(m, _C.mul(g, 1 - beta1, False, t), False, m)
            _C.mul(u, beta2, False, u)
            _C.add(_C.abs(g, t), eps, False, t)
            _C.maximum(u, t, False, u)
            upd = _C.div(m, u, False, t)
            _C.sub(p._impl, _C.mul(upd, lr / (1 - beta1 ** step), False, upd), False, p._impl)
