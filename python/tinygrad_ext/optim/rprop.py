"""Rprop: resilient backpropagation. Each element keeps its own step size, grown by etaplus while its gradient
keeps its sign and shrunk by etaminus when the sign flips (that step then skips the update); the parameter
moves by -sign(grad) * step size (torch's single-tensor formulas)."""
from ..tensor import Tensor, full_like
from .optimizer import Optimizer, _check_not_differentiable, _next_step, _scalar_state, _zeros


class Rprop(Optimizer):
    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_not_differentiable("Rprop", differentiable)
        super().__init__(params, {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                                  "maximize": maximize, "differentiable": differentiable, "capturable": capturable})

    def _update_group(self, group):
        (etaminus, etaplus), (step_min, step_max) = group["etas"], group["step_sizes"]
        lr = float(group["lr"])

        def init(p):
            return {"step": _scalar_state(0.0, p), "prev": _zeros(p), "step_size": full_like(p._grad, lr)}
        for p, st in self._params_with_state(group, init):
            _next_step(st)
            grad = -p._grad if group["maximize"] else p._grad
            prev, step_size = st["prev"], st["step_size"]
            sign = (grad * prev).sign()
            factor = sign.masked_fill(sign > 0, etaplus).masked_fill(sign < 0, etaminus).masked_fill(sign == 0, 1.0)
            step_size.mul_(factor).clamp_(step_min, step_max)
            grad = grad.masked_fill(sign < 0, 0)  # (a flipped sign: no step this time)
            p.addcmul_(grad.sign(), step_size, value=-1)
            prev.copy_(grad)
