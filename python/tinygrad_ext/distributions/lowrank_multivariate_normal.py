"""LowRankMultivariateNormal: a multivariate normal with covariance cov_factor @ cov_factor.T + diag(cov_diag), its
log_prob and entropy through the small "capacitance" matrix I + W^T D^-1 W (Woodbury identity, matrix determinant
lemma); samples from torch's draws (the rank's normals, then the event's), so a seed gives torch's."""
import math

from .. import linalg
from .._device import Size
from .._shape_ops import broadcast_tensors, diag_embed
from ..tensor import eye, randn
from . import constraints
from .distribution import Distribution
from .multivariate_normal import _batch_mahalanobis


def _batch_mv(matrix, vector):
    return (matrix @ vector.unsqueeze(-1)).squeeze(-1)


def _plus_identity(K):
    return K + eye(K.shape[-1], dtype=K.dtype, device=K.device)


def _capacitance_tril(W, D):
    """The lower Cholesky factor of I + W^T D^-1 W (m x m for W of n x m)."""
    return linalg.cholesky(_plus_identity((W.mT / D.unsqueeze(-2)) @ W))


class LowRankMultivariateNormal(Distribution):
    """The normal distribution of vectors with mean loc and covariance cov_factor @ cov_factor.mT + diag(cov_diag)
    (cov_factor: batch + (n, rank), cov_diag: batch + (n,)); batches broadcast."""
    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = loc.shape[-1:]
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if cov_factor.shape[-2:-1] != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {event_shape[0]} x m")
        if cov_diag.shape[-1:] != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")
        try:
            loc_, self.cov_factor, cov_diag_ = broadcast_tensors(loc.unsqueeze(-1), cov_factor, cov_diag.unsqueeze(-1))
        except RuntimeError as e:
            raise ValueError(f"Incompatible batch shapes: loc {loc.shape}, cov_factor {cov_factor.shape}, "
                             f"cov_diag {cov_diag.shape}") from e
        self.loc, self.cov_diag = loc_[..., 0], cov_diag_[..., 0]
        self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag = cov_factor, cov_diag
        self._capacitance_tril = _capacitance_tril(cov_factor, cov_diag)
        super().__init__(self.loc.shape[:-1], event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """The parameters expanded as views; the unbroadcast ones and the capacitance factor shared."""
        new = type(self).__new__(type(self)) if _instance is None else _instance
        new.__dict__.update(self.__dict__)
        shape = tuple(batch_shape) + tuple(self._event_shape)
        new.loc, new.cov_diag = self.loc.expand(shape), self.cov_diag.expand(shape)
        new.cov_factor = self.cov_factor.expand(shape + tuple(self.cov_factor.shape[-1:]))
        new._batch_shape = Size(batch_shape)
        return new

    mean = mode = property(lambda self: self.loc)

    def _full(self, matrix):
        return matrix.expand(*self._batch_shape, *self._event_shape, *self._event_shape)

    @property
    def variance(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (W.pow(2).sum(-1) + D).expand(*self._batch_shape, *self._event_shape)

    @property
    def scale_tril(self):
        """D^(1/2) cholesky(I + D^(-1/2) W W^T D^(-1/2)): the n x n lower Cholesky factor of the covariance."""
        sqrt_d = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        scaled = self._unbroadcasted_cov_factor / sqrt_d
        return self._full(sqrt_d * linalg.cholesky(_plus_identity(scaled @ scaled.mT)))

    @property
    def covariance_matrix(self):
        W = self._unbroadcasted_cov_factor
        return self._full(W @ W.mT + diag_embed(self._unbroadcasted_cov_diag))

    @property
    def precision_matrix(self):
        """D^-1 - A^T A with A = C^-1 W^T D^-1 (C the capacitance factor): Woodbury's inverse."""
        D = self._unbroadcasted_cov_diag
        A = linalg.solve_triangular(self._capacitance_tril, self._unbroadcasted_cov_factor.mT / D.unsqueeze(-2),
                                    upper=False)
        return self._full(diag_embed(D.reciprocal()) - A.mT @ A)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps_W = randn(shape[:-1] + self.cov_factor.shape[-1:], dtype=self.loc.dtype, device=self.loc.device)
        eps_D = randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return (self.loc + _batch_mv(self._unbroadcasted_cov_factor, eps_W)
                + self._unbroadcasted_cov_diag.sqrt() * eps_D)

    def _log_det(self):
        """log det(W W^T + D) = log det(C) + log det(D) (matrix determinant lemma)."""
        C = self._capacitance_tril
        return 2 * C.diagonal(dim1=-2, dim2=-1).log().sum(-1) + self._unbroadcasted_cov_diag.log().sum(-1)

    def _mahalanobis(self, diff):
        """diff^T (W W^T + D)^-1 diff = diff^T D^-1 diff - |C^-1 W^T D^-1 diff|^2 (Woodbury)."""
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (diff.pow(2) / D).sum(-1) - _batch_mahalanobis(self._capacitance_tril,
                                                              _batch_mv(W.mT / D.unsqueeze(-2), diff))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        m = self._mahalanobis(value - self.loc)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + self._log_det() + m)

    def entropy(self):
        h = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return h if len(self._batch_shape) == 0 else h.expand(*self._batch_shape)
