"""torch.func: composable function transforms, grad, grad_and_value, vjp, jacrev, jacfwd, hessian, vmap and
linearize, over the autograd engine (see _eager_transforms.py) and a per-element loop (_vmap.py), and einops'
rearrange (_rearrange.py). Importing it also loads torch.autograd.functional (which needs the Tensor class, so it
cannot load with autograd itself)."""
from ..autograd import functional as _autograd_functional  # (torch.autograd.functional)
from ._eager_transforms import grad, grad_and_value, hessian, jacfwd, jacrev, vjp
from ._functional_call import functional_call, stack_module_state
from ._jvp import jvp, linearize
from ._rearrange import rearrange
from ._vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "linearize",
           "rearrange", "stack_module_state", "vjp", "vmap"]
