"""RMSprop with momentum and the centered variant (torch's formulas)."""
from .optimizer import Optimizer, _check, _check_not_differentiable, _scalar_state, _zeros



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
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        _check_not_differentiable("RMSprop", differentiable)
        super().__init__(params, {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                                  "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                                  "maximize": maximize, "differentiable": differentiable})

    def _update_group(self, group):
        momentum, centered = group["momentum"], group["centered"]
        hyper = {"lr": group["lr"], "alpha": group["alpha"], "eps": group["eps"], "weight_decay": group["weight_decay"],
                 "momentum": momentum, "centered": centered, "maximize": group["maximize"]}
        names = ["square_avg"] + ["grad_avg"] * bool(centered) + ["momentum_buffer"] * (momentum > 0)
        pairs = list(self._params_with_state(group, lambda p: _rmsprop_state(p, momentum, centered)))
        self._fused_step(group, "rmsprop_step_", pairs, names, hyper)
