"""Adadelta: per-element step sizes from running averages of squared gradients and squared updates (torch's
single-tensor formulas)."""
from .optimizer import Optimizer, _check, _check_not_differentiable, _scalar_state, _zeros


def _adadelta_state(p):
    return {"step": _scalar_state(0.0, p), "square_avg": _zeros(p), "acc_delta": _zeros(p)}


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check_not_differentiable("Adadelta", differentiable)
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize, "capturable": capturable, "foreach": foreach,
                                  "differentiable": differentiable})

    def _update_group(self, group):
        hyper = {"lr": group["lr"], "rho": group["rho"], "eps": group["eps"], "weight_decay": group["weight_decay"],
                 "maximize": group["maximize"]}
        self._fused_step(group, "adadelta_step_", list(self._params_with_state(group, _adadelta_state)),
                         ("square_avg", "acc_delta"), hyper)
