"""Adagrad (torch's formulas: lr decay, weight decay, initial accumulator value)."""
from .optimizer import Optimizer, _check, _check_not_differentiable, _scalar_state, _zeros


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= initial_accumulator_value, f"Invalid initial_accumulator_value value: "
                                                 f"{initial_accumulator_value}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_not_differentiable("Adagrad", differentiable)
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                                  "maximize": maximize, "differentiable": differentiable, "fused": fused})
        for group in self.param_groups:  # torch creates the state eagerly
            for p in group["params"]:
                self.state[p] = {"step": _scalar_state(0.0, p), "sum": _zeros(p, group["initial_accumulator_value"])}

    def _update_group(self, group):
        hyper = {"lr": group["lr"], "lr_decay": group["lr_decay"], "eps": group["eps"],
                 "weight_decay": group["weight_decay"], "maximize": group["maximize"]}
        pairs = list(self._params_with_state(group, lambda p: {
            "step": _scalar_state(0.0, p), "sum": _zeros(p, group["initial_accumulator_value"])}))
        self._fused_step(group, "adagrad_step_", pairs, ("sum",), hyper)
