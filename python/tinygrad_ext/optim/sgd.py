"""SGD with momentum, dampening, Nesterov momentum and weight decay (torch's formulas)."""
from .optimizer import Optimizer, _check, _check_not_differentiable, _zeros


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_not_differentiable("SGD", differentiable)
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                                  "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                                  "differentiable": differentiable, "fused": fused})

    def _update_group(self, group):
        momentum = group["momentum"]
        hyper = {"lr": group["lr"], "momentum": momentum, "dampening": group["dampening"],
                 "weight_decay": group["weight_decay"], "nesterov": group["nesterov"], "maximize": group["maximize"]}
        if momentum == 0:  # no state
            pairs = [(p, None) for p in group["params"] if p._grad is not None]
            self._fused_step(group, "sgd_step_", pairs, (), dict(hyper, first=False))
        else:
            pairs = [(p, self.state[p]) for p in group["params"] if p._grad is not None]
            self._fused_step(group, "sgd_step_", pairs, ("momentum_buffer",), hyper, _first_buffer)


def _first_buffer(p, state, step):
    """SGD's momentum buffer is the first step's gradient (the kernel copies it in): first=True for a new one."""
    first = state.get("momentum_buffer") is None
    if first:
        state["momentum_buffer"] = _zeros(p)
    return {"first": first}
