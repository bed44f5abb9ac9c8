"""torch.nn.utils.parametrizations: weight_norm and spectral_norm as parametrizations (see parametrize.py), with
torch's state_dict keys: parametrizations.weight.original0 (g) / original1 (v) for weight_norm,
parametrizations.weight.original plus the power-iteration buffers parametrizations.weight.0._u / _v for
spectral_norm."""
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import functional as F
from ..modules.module import Module
from .parametrize import register_parametrization
from .spectral_norm import _default_dim, _matrix, _power_iteration, _sigma, _unit_vectors
from .weight_norm import norm_except_dim

__all__ = ["spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / norm_except_dim(weight_v, 2, self.dim))

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.dim()
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got "
                             f"{dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim % ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with no_grad():
                mat = _matrix(weight, self.dim)
                u, v = _unit_vectors(mat, eps)
                self.register_buffer("_u", u)
                self.register_buffer("_v", v)
                _power_iteration(mat, self._u, self._v, 15, eps)

    def forward(self, weight):
        if weight.dim() == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        mat = _matrix(weight, self.dim)
        if self.training:
            _power_iteration(mat, self._u, self._v, self.n_power_iterations, self.eps)
        return weight / _sigma(mat, self._u, self._v)

    def right_inverse(self, value):
        return value


def _tensor_attr(module, name):
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    return weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrizes module.<name> as g * v / ||v|| (norm over every dim but `dim`; dim=None: the whole tensor),
    g and v stored as parametrizations.<name>.original0 / original1. Returns module."""
    _tensor_attr(module, name)
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Reparametrizes module.<name> as weight / sigma(weight), sigma its largest singular value estimated by
    power iteration (updated on each access in training mode); dim defaults to 1 for ConvTranspose, else 0."""
    weight = _tensor_attr(module, name)
    return register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, _default_dim(module, dim), eps))
