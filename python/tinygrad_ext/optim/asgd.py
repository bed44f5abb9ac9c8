"""ASGD: averaged SGD with the decaying step eta_t = lr / (1 + lambd lr t)^alpha and the running average 'ax' of
the iterates from step t0 on (torch's single-tensor formulas; the fused step asgd_step_)."""
from .. import _C
from .optimizer import Optimizer, _check, _check_not_differentiable, _scalar_state, _zeros


def _asgd_state(p, lr):
    # NOTE: eta and mu are 0-d float32 state tensors; torch reads their rounded values back
    return {"step": _scalar_state(0.0, p, True), "eta": _scalar_state(lr, p, True), "mu": _scalar_state(1.0, p, True),
            "ax": _zeros(p)}


class ASGD(Optimizer):
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False,
                 differentiable=False, capturable=False):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check_not_differentiable("ASGD", differentiable)
        super().__init__(params, {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                                  "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                                  "capturable": capturable})

    def _update_group(self, group):
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        hyper = {"lambd": lambd, "weight_decay": group["weight_decay"], "maximize": group["maximize"]}

        def eta_mu(p, st, step):
            # this step's eta and mu (the 0-d states' rounded values, as torch reads them), then the next step's
            eta, mu = st["eta"]._impl, st["mu"]._impl
            values = {"eta": _C.item(eta), "mu": _C.item(mu)}
            _C.fill_(eta, lr / ((1 + lambd * lr * step) ** alpha))
            _C.fill_(mu, 1 / max(1, step - t0))
            return values
        self._fused_step(group, "asgd_step_", list(self._params_with_state(group, lambda p: _asgd_state(p, lr))),
                         ("ax",), hyper, eta_mu)
