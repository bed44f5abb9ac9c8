import math

from .. import linalg
from .._device import Size
from .._linalg_more import cholesky_inverse
from .._shape_ops import broadcast_shapes
from ..tensor import empty, eye
from . import constraints
from .distribution import Distribution


def _batch_mahalanobis(L, x):
    """x^T (L L^T)^-1 x for each batch of lower-triangular L (..., n, n) and vector x (..., n)."""
    shape = broadcast_shapes(tuple(L.shape[:-1]), tuple(x.shape))
    z = linalg.solve_triangular(L.expand(*shape, L.shape[-1]), x.expand(shape).unsqueeze(-1), upper=False)
    return z.squeeze(-1).pow(2).sum(-1)


def _precision_to_scale_tril(P):
    """The lower Cholesky factor of P^-1, without forming the inverse: flip(cholesky(flip(P)))^-T, flipped back."""
    Lf = linalg.cholesky(P.flip(-2, -1))
    identity = eye(Lf.shape[-1], dtype=Lf.dtype, device=Lf.device).expand(Lf.shape)
    return linalg.solve_triangular(Lf.flip(-2, -1).mT, identity, upper=False)


class MultivariateNormal(Distribution):
    """The normal distribution of vectors with mean loc and a covariance given as covariance_matrix,
    precision_matrix or its lower Cholesky factor scale_tril (exactly one); batches broadcast."""
    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, matrix = given[0]
        if matrix.dim() < 2:
            what = {"scale_tril": "scale_tril matrix", "covariance_matrix": "covariance_matrix",
                    "precision_matrix": "precision_matrix"}[name]
            raise ValueError(f"{what} must be at least two-dimensional, with optional leading batch dimensions")
        batch = broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        self.__dict__[name] = matrix.expand(*batch, -1, -1)
        self.loc = loc.expand(*batch, -1)
        super().__init__(batch, tuple(self.loc.shape[-1:]), validate_args)  # (validates before factoring, as torch)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(matrix)

    def __getattr__(self, name):  # the two matrices not given, computed from scale_tril on first use
        if name not in ("scale_tril", "covariance_matrix", "precision_matrix"):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        L = self.__dict__["_unbroadcasted_scale_tril"]
        value = L if name == "scale_tril" else L @ L.mT if name == "covariance_matrix" else cholesky_inverse(L)
        value = value.expand(*self._batch_shape, *self._event_shape, *self._event_shape)
        self.__dict__[name] = value
        return value

    mean = mode = property(lambda self: self.loc)

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(*self._batch_shape, *self._event_shape)

    def rsample(self, sample_shape=Size()):
        eps = empty(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device).normal_()
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - half_log_det

    def entropy(self):
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        h = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return h if len(self._batch_shape) == 0 else h.expand(*self._batch_shape)
