"""Adamax: Adam with the infinity norm of past gradients (torch's single-tensor formulas)."""
from .adam import _check_adam_args
from .optimizer import Optimizer, _check_not_differentiable, _scalar_state, _zeros


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
        beta1, beta2 = group["betas"]
        hyper = {"lr": group["lr"], "beta1": beta1, "beta2": beta2, "eps": group["eps"],
                 "weight_decay": group["weight_decay"], "maximize": group["maximize"]}
        self._fused_step(group, "adamax_step_", list(self._params_with_state(group, _adamax_state)),
                         ("exp_avg", "exp_inf"), hyper)
