"""RAdam: Adam whose adaptive term is switched on by the variance rectification once rho_t > 5; optional
decoupled weight decay (torch's single-tensor formulas; the fused step radam_step_)."""
from .adam import _adam_state, _check_adam_args
from .optimizer import Optimizer, _check_not_differentiable


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_not_differentiable("RAdam", differentiable)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize, "foreach": foreach, "capturable": capturable,
                                  "decoupled_weight_decay": decoupled_weight_decay, "differentiable": differentiable})

    def _update_group(self, group):
        beta1, beta2 = group["betas"]
        hyper = {"lr": group["lr"], "beta1": beta1, "beta2": beta2, "eps": group["eps"],
                 "weight_decay": group["weight_decay"], "maximize": group["maximize"],
                 "decoupled": group["decoupled_weight_decay"]}
        self._fused_step(group, "radam_step_", list(self._params_with_state(group, _adam_state)),
                         ("exp_avg", "exp_avg_sq"), hyper)
