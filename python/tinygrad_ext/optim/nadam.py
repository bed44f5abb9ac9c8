"""NAdam: Adam with Nesterov momentum and the momentum-decay schedule mu_t = beta1 * (1 - 0.96^(t * psi) / 2);
optional decoupled weight decay (torch's single-tensor formulas; the fused step nadam_step_)."""
from .. import _C
from .adam import _check_adam_args
from .optimizer import Optimizer, _check, _check_not_differentiable, _scalar_state, _zeros


def _nadam_state(p):
    return {"step": _scalar_state(0.0, p), "mu_product": _scalar_state(1.0, p), "exp_avg": _zeros(p),
            "exp_avg_sq": _zeros(p)}


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        _check_not_differentiable("NAdam", differentiable)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                                  "maximize": maximize, "foreach": foreach, "capturable": capturable,
                                  "differentiable": differentiable})

    def _update_group(self, group):
        beta1, beta2 = group["betas"]
        psi = group["momentum_decay"]
        hyper = {"lr": group["lr"], "beta1": beta1, "beta2": beta2, "eps": group["eps"],
                 "weight_decay": group["weight_decay"], "momentum_decay": psi, "maximize": group["maximize"],
                 "decoupled": group["decoupled_weight_decay"]}

        def mu_product(p, st, step):
            # NOTE: the running product is a 0-d tensor of the state's dtype (float32), rounded as torch's
            mp = st["mu_product"]._impl
            _C.mul(mp, beta1 * (1.0 - 0.5 * 0.96 ** (step * psi)), False, mp)
            return {"mu_product": _C.item(mp)}
        self._fused_step(group, "nadam_step_", list(self._params_with_state(group, _nadam_state)),
                         ("exp_avg", "exp_avg_sq"), hyper, mu_product)
