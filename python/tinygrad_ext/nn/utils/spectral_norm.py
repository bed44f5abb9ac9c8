"""torch.nn.utils.spectral_norm (the hook-based form): weight = weight_orig / sigma, sigma the largest singular
value of weight_orig viewed as a matrix (dim first, the rest flattened), estimated by power iteration on the
buffers weight_u / weight_v (one or more steps before each forward in training mode, none in eval mode)."""
from ...autograd.grad_mode import no_grad
from ...tensor import randn
from .. import functional as F
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..parameter import Parameter

__all__ = ["remove_spectral_norm", "spectral_norm"]


def _default_dim(module, dim):
    if dim is None:
        return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    return dim


def _matrix(weight, dim):
    """weight as a (weight.shape[dim], -1) matrix."""
    if dim != 0:
        weight = weight.movedim(dim, 0)
    return weight.reshape(weight.shape[0], -1)


def _power_iteration(mat, u, v, n, eps):
    """n steps of u <- normalize(W v), v <- normalize(W^T u), written into the u and v buffers (no graph)."""
    with no_grad():
        for _ in range(n):
            u.copy_(F.normalize(mat.mv(v), dim=0, eps=eps))
            v.copy_(F.normalize(mat.t().mv(u), dim=0, eps=eps))


def _sigma(mat, u, v):
    """u . (W v) with u and v fixed (cloned): the spectral-norm estimate, differentiable in W."""
    return u.clone().dot(mat.mv(v.clone()))


def _unit_vectors(mat, eps):
    h, w = mat.shape
    return (F.normalize(randn(h, dtype=mat.dtype), dim=0, eps=eps),
            F.normalize(randn(w, dtype=mat.dtype), dim=0, eps=eps))


class SpectralNorm:
    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = _matrix(weight, self.dim)
        if do_power_iteration:
            _power_iteration(mat, u, v, self.n_power_iterations, self.eps)
        return weight / _sigma(mat, u, v)

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, module.training))

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divides module.<name> by its spectral norm before every forward (parameter <name>_orig, buffers <name>_u
    and <name>_v); dim defaults to 1 for ConvTranspose modules, else 0. Returns module."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    fn = SpectralNorm(name, n_power_iterations, _default_dim(module, dim), eps)
    weight = module._parameters[name]
    with no_grad():
        u, v = _unit_vectors(_matrix(weight, fn.dim), eps)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    object.__setattr__(module, name, weight.data)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name="weight"):
    """Folds the spectral normalization of module.<name> back into one parameter; returns module."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
