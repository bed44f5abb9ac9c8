"""Adam (amsgrad, maximize, L2 or decoupled weight decay) and AdamW (Adam with decoupled weight decay), step for
step as torch's single-tensor code."""
import math

from .. import _C
from .optimizer import (Optimizer, _check, _check_not_differentiable, _effective_grad, _next_step, _scalar_state,
                        _zeros)


def _adam_state(p):
    return {"step": _scalar_state(0.0, p), "exp_avg": _zeros(p), "exp_avg_sq": _zeros(p)}


def _update_moments(m, v, g, beta1, beta2, t):
    """m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2 (TensorImpls, in place; t: scratch)."""
    _C.mul(m, beta1, False, m)
    _C.add(m, _C.mul(g, 1 - beta1, False, t), False, m)
    _C.mul(v, beta2, False, v)
    _C.mul(g, g, False, t)
    _C.add(v, _C.mul(t, 1 - beta2, False, t), False, v)


def _check_adam_args(lr, betas, eps, weight_decay):
    _check(lr >= 0.0, f"Invalid learning rate: {lr}")
    _check(eps >= 0.0, f"Invalid epsilon value: {eps}")
    _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")


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
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        init = (lambda p: dict(_adam_state(p), max_exp_avg_sq=_zeros(p))) if amsgrad else _adam_state
        for p, st in self._params_with_state(group, init):
            pi = p._impl
            t, t2 = self._buffers(p, 2)
            step = _next_step(st)
            gi = _effective_grad(p, maximize, wd, t, t2, lr if group["decoupled_weight_decay"] else None)
            m, v = st["exp_avg"]._impl, st["exp_avg_sq"]._impl
            _update_moments(m, v, gi, beta1, beta2, t)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
            step_size = lr / bias_correction1
            if amsgrad:
                mx = st["max_exp_avg_sq"]._impl
                _C.maximum(mx, v, False, mx)
                v = mx
            # denom = sqrt(v) / sqrt(bias_correction2) + eps;  p -= step_size * m / denom
            denom = _C.sqrt(v, t)
            _C.div(denom, bias_correction2_sqrt, False, denom)
            _C.add(denom, eps, False, denom)
            upd = _C.div(m, denom, False, t)
            _C.sub(pi, _C.mul(upd, step_size, False, upd), False, pi)


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
