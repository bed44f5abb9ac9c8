"""RAdam: Adam whose adaptive term is switched on by the variance rectification once rho_t > 5; optional
decoupled weight decay (torch's single-tensor formulas)."""
import math

from .. import _C
from .adam import _adam_state, _check_adam_args
from .optimizer import Optimizer, _check_not_differentiable, _effective_grad, _next_step, _update_moments


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_not_differentiable("RAdam", differentiable)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize, "foreach": foreach, "capturable": capturable,
                                  "decoupled_weight_decay": decoupled_weight_decay, "differentiable": differentiable})

    def _update_group(self, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        rho_inf = 2 / (1 - beta2) - 1
        for p, st in self._params_with_state(group, _adam_state):
            t, t2, t3 = self._buffers(p, 3)
            step = _next_step(st)
            g = _effective_grad(p, group["maximize"], wd, t, t2, lr if group["decoupled_weight_decay"] else None)
            m, v = st["exp_avg"]._impl, st["exp_avg_sq"]._impl
            _update_moments(m, v, g, beta1, beta2, t)
            bias_correction1, bias_correction2 = 1 - beta1 ** step, 1 - beta2 ** step
            upd = _C.div(m, bias_correction1, False, t3)  # the bias-corrected first moment
            _C.mul(upd, lr, False, upd)
            rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
            if rho_t > 5.0:  # p -= m_hat * lr * sqrt(bias_correction2) / (sqrt(v) + eps) * rect
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                denom = _C.add(_C.sqrt(v, t), eps, False, t)
                adaptive = _C.div(denom, math.sqrt(bias_correction2), True, t)
                _C.mul(upd, adaptive, False, upd)
                _C.mul(upd, rect, False, upd)
            _C.sub(p._impl, upd, False, p._impl)
