"""Adam (amsgrad, maximize, L2 or decoupled weight decay) and AdamW (Adam with decoupled weight decay), step for
step as torch's single-tensor code."""
from .optimizer import Optimizer, _check, _check_not_differentiable, _scalar_state, _zeros


def _adam_state(p):
    return {"step": _scalar_state(0.0, p), "exp_avg": _zeros(p), "exp_avg_sq": _zeros(p)}


def _check_adam_args(lr, betas, eps, weight_decay):
    _check(0.0 <= lr, f"Invalid learning rate: {lr}")
    _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
    _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_not_differentiable(type(self).__name__, differentiable)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                                  "capturable": capturable, "differentiable": differentiable, "fused": fused,
                                  "decoupled_weight_decay": decoupled_weight_decay})

    def _update_group(self, group):
        (beta1, beta2), amsgrad = group["betas"], group["amsgrad"]
        hyper = {"lr": group["lr"], "beta1": beta1, "beta2": beta2, "eps": group["eps"],
                 "weight_decay": group["weight_decay"], "amsgrad": amsgrad, "maximize": group["maximize"],
                 "decoupled": group["decoupled_weight_decay"]}
        init = (lambda p: dict(_adam_state(p), max_exp_avg_sq=_zeros(p))) if amsgrad else _adam_state
        names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if amsgrad else ("exp_avg", "exp_avg_sq")
        self._fused_step(group, "adam_step_", list(self._params_with_state(group, init)), names, hyper)


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
