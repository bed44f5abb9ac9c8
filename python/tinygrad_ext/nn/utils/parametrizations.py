"""torch.nn.utils.parametrizations: weight_norm, spectral_norm and orthogonal as parametrizations (see
parametrize.py), with torch's state_dict keys: parametrizations.weight.original0 (g) / original1 (v) for
weight_norm, parametrizations.weight.original plus the power-iteration buffers parametrizations.weight.0._u / _v
for spectral_norm, parametrizations.weight.original plus the buffer parametrizations.weight.0.base for orthogonal."""
from ... import _dtype
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor, cat, eye, randn, zeros_like
from .. import functional as F
from ..modules.module import Module
from .parametrize import register_parametrization
from .spectral_norm import _default_dim, _matrix, _power_iteration, _sigma, _unit_vectors
from .weight_norm import norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


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


_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


def _make_orthogonal(A):
    """Q of A = QR with R's diagonal made positive (Householder reflectors from geqrf)."""
    X, tau = A.geqrf()
    return X.orgqr(tau) * X.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _is_orthogonal(Q):
    n, k = Q.shape[-2], Q.shape[-1]
    return bool((Q.mT @ Q).allclose(eye(k, dtype=Q.dtype, device=Q.device), atol=10.0 * n * _dtype.finfo(Q.dtype).eps))


class _Orthogonal(Module):
    """Maps an unconstrained matrix (or batch) to one with orthonormal columns (rows when wider than tall): the
    exponential or the Cayley transform of the skew-symmetric part of its lower triangle, or the product of the
    Householder reflectors its lower triangle holds; with use_trivialization, times a base (buffer) fixed when
    the weight is assigned, so that the original starts at the zero-like point of the map."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape, self.orthogonal_map = weight.shape, orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()
            if n != k:
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], -1)
            A = X - X.mT
            if self.orthogonal_map == "matrix_exp":
                Q = A.matrix_exp()
            else:
                Id = eye(n, dtype=A.dtype, device=A.device)
                Q = Id.add(A, alpha=-0.5).inverse() @ Id.add(A, alpha=0.5)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            Q = A.orgqr(2.0 / (1.0 + (A * A).sum(dim=-2)))
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if getattr(self, "base", None) is not None:
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q):
        with no_grad():
            if tuple(Q.shape) != tuple(self.shape):
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of "
                                 f"shape {Q.shape}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transposed = n < k
            if transposed:
                Q, n, k = Q.mT, k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in ("matrix_exp", "cayley"):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                A, tau = Q.geqrf()
                A.diagonal(dim1=-2, dim2=-1).sign_()
                A.diagonal(dim1=-2, dim2=-1)[tau == 0.0] *= -1
                return A.mT if transposed else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # completed to a square matrix with random columns (torch's draw)
                Q = _make_orthogonal(cat([Q, randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)], -1))
            self.base = Q
            neg_id = zeros_like(Q_init)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Constrains module.<name> (a matrix or a batch of them) to orthonormal columns or rows through
    orthogonal_map: "matrix_exp" (default for square), "cayley", or "householder" (default otherwise). Returns
    module."""
    weight = _tensor_attr(module, name)
    if weight.dim() < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.dim()} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: '
                         f"{orthogonal_map}")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    return register_parametrization(module, name, orth, unsafe=True)
