"""NAdam: Adam with Nesterov momentum and the momentum-decay schedule mu_t = beta1 * (1 - 0.96^(t * psi) / 2);
optional decoupled weight decay (torch's single-tensor formulas)."""
from .. import _C
from .adam import _check_adam_args
from .optimizer import (Optimizer, _check, _check_not_differentiable, _effective_grad, _next_step, _scalar_state,
                        _update_moments, _zeros)


def _nadam_state(p):
    return {"step": _scalar_state(0.0, p), "mu_product": _scalar_state(1.0, p), "exp_avg": _zeros(p),
            "exp_avg_sq": _zeros(p)}


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check(momentum_decay >= 0.0, f"Invalid momentum_decay value: {momentum_decay}")
        _check_not_differentiable("NAdam", differentiable)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                                  "maximize": maximize, "foreach": foreach, "capturable": capturable,
                                  "differentiable": differentiable})

    def _update_group(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, psi = group["weight_decay"], group["momentum_decay"]
        for p, st in self._params_with_state(group, _nadam_state):
            t, t2, t3 = self._buffers(p, 3)
            step = _next_step(st)
            g = _effective_grad(p, group["maximize"], wd, t, t2, lr if group["decoupled_weight_decay"] else None)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            # NOTE: the running product is a 0-d tensor of the state's dtype (float32), rounded as torch's
            mp = st["mu_product"]._impl
            _C.mul(mp, mu, False, mp)
            mu_product = _C.item(mp)
            m, v = st["exp_avg"]._impl, st["exp_avg_sq"]._impl
            _update_moments(m, v, g, beta1, beta2, t)
            # denom = sqrt(v / (1 - beta2^t)) + eps
            denom = _C.div(v, 1 - beta2 ** step, False, t3)
            _C.add(_C.sqrt(denom, denom), eps, False, denom)
            # p -= lr (1 - mu) / (1 - prod mu) * g / denom + lr mu_next / (1 - prod mu * mu_next) * m / denom
            upd = _C.div(g, denom, False, t)
            _C.sub(p._impl, _C.mul(upd, lr * (1.0 - mu) / (1.0 - mu_product), False, upd), False, p._impl)
            upd = _C.div(m, denom, False, t)
            _C.sub(p._impl, _C.mul(upd, lr * mu_next / (1.0 - mu_product * mu_next), False, upd), False, p._impl)
