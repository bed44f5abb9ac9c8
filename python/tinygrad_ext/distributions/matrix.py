"""Distributions of matrices: Wishart (positive definite matrices; Bartlett's decomposition with chi-squared and normal
draws in torch's order, and torch 2.13's resampling pass) and LKJCholesky (Cholesky factors of correlation matrices;
the onion method from Beta and normal draws); a seed gives torch's samples."""
import math
import warnings

from .. import linalg
from .._device import Size
from .._shape_ops import broadcast_shapes, diag_embed, tril_indices
from .._dtype import finfo
from ..tensor import arange, cat, eye, randn, tensor, where, zeros
from . import constraints
from .distribution import Distribution, broadcast_all
from .exp_family import ExponentialFamily
from .gamma import Beta, Chi2
from .multivariate_normal import _precision_to_scale_tril

_MATRICES = ("covariance_matrix", "precision_matrix", "scale_tril")


def _mvdigamma(x, p):
    """The multivariate digamma function: sum of digamma(x - i / 2) for i < p (defined for x > (p - 1) / 2)."""
    if not x.gt((p - 1) / 2).all().item():
        raise AssertionError("Wrong domain for multivariate digamma function.")
    return (x.unsqueeze(-1) - arange(p, dtype=x.dtype, device=x.device) / 2).digamma().sum(-1)


class Wishart(ExponentialFamily):
    """The Wishart distribution of p x p positive definite matrices with `df` degrees of freedom (> p - 1) and scale
    given as covariance_matrix, precision_matrix or its lower Cholesky factor scale_tril (exactly one)."""
    _mean_carrier_measure = 0
    support = constraints.positive_definite
    has_rsample = True

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite, "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky, "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = [(n, m) for n, m in zip(_MATRICES, (covariance_matrix, precision_matrix, scale_tril)) if m is not None]
        if len(given) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, param = given[0]
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, (int, float)):
            batch_shape = Size(param.shape[:-2])
            self.df = tensor(df, dtype=param.dtype, device=param.device)
        else:
            batch_shape = Size(broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape)))
            self.df = df.expand(batch_shape)
        p = param.shape[-1]
        if self.df.le(p - 1).any().item():
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        self.__dict__[name] = param.expand(*batch_shape, -1, -1)
        if self.df.lt(p).any().item():
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < "
                          "ndim.", stacklevel=2)
        super().__init__(batch_shape, param.shape[-2:], validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = param
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(param)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(param)
        self._set_chi2()

    def _set_chi2(self):
        """The chi-squared laws of the Bartlett factor's squared diagonal: df - i degrees of freedom for i < p."""
        L = self._unbroadcasted_scale_tril
        self._dist_chi2 = Chi2(self.df.unsqueeze(-1) - arange(self._event_shape[-1], dtype=L.dtype, device=L.device))

    def expand(self, batch_shape, _instance=None):
        """The parameters expanded as views to batch_shape (the matrices given or computed so far included)."""
        new = type(self).__new__(type(self)) if _instance is None else _instance
        shape = tuple(batch_shape) + tuple(self._event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(shape)
        new.df = self.df.expand(batch_shape)
        new.__dict__.update({k: v.expand(shape) for k, v in self.__dict__.items() if k in _MATRICES})
        new._batch_shape, new._event_shape = Size(batch_shape), self._event_shape
        new._validate_args = self._validate_args
        new._set_chi2()
        return new

    def __getattr__(self, name):  # the two matrices not given, computed from scale_tril on first use
        if name not in _MATRICES:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        L = self.__dict__["_unbroadcasted_scale_tril"]
        if name == "precision_matrix":
            value = eye(L.shape[-1], dtype=L.dtype, device=L.device).cholesky_solve(L)
        else:
            value = L if name == "scale_tril" else L @ L.mT
        value = value.expand(*self._batch_shape, *self._event_shape)
        self.__dict__[name] = value
        return value

    def _df_matrix(self):
        return self.df.view(*self._batch_shape, 1, 1)

    @property
    def mean(self):
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self._event_shape[-1] - 1
        return where(factor <= 0, math.nan, factor).view(*self._batch_shape, 1, 1) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        d = V.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (V.pow(2) + d.unsqueeze(-1) * d.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape):
        """scale_tril @ A @ A^T @ scale_tril^T for A lower triangular with sqrt(chi2(df - i)) on the diagonal (drawn
        first) and standard normals below it (drawn next, row by row)."""
        p = self._event_shape[-1]
        diagonal = self._dist_chi2.rsample(sample_shape).sqrt()
        i, j = tril_indices(p, p, offset=-1, device=diagonal.device)
        below = zeros(*diagonal.shape, p, dtype=diagonal.dtype, device=diagonal.device)
        below[..., i, j] = randn(tuple(sample_shape) + tuple(self._batch_shape) + (p * (p - 1) // 2,),
                                 dtype=diagonal.dtype, device=diagonal.device)
        chol = self._unbroadcasted_scale_tril @ (diag_embed(diagonal.clamp(min=finfo(diagonal.dtype).eps)) + below)
        return chol @ chol.mT

    def _flag(self, sample):
        """torch 2.13's per-sample flag (its support check, reduced over the batch): it redraws the flagged samples."""
        flags = self.support.check(sample)
        n = len(self._batch_shape)
        return flags.reshape(*flags.shape[:flags.dim() - n], -1).any(-1) if n else flags

    def rsample(self, sample_shape=Size(), max_try_correction=None):
        """Bartlett's decomposition. torch 2.13 then redraws every sample its positive-definiteness check passes (the
        check's result is used as a singularity flag: a UserWarning "Singular sample detected."), up to
        max_try_correction (10) times while the redraws fail the check; done so here too, so a seed gives torch's."""
        max_try_correction = 10 if max_try_correction is None else max_try_correction
        sample_shape = Size(sample_shape)
        sample = self._bartlett_sampling(sample_shape)
        flagged = self._flag(sample)
        if flagged.any().item():
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(max_try_correction):
                new = self._bartlett_sampling(Size((int(flagged.sum().item()),)))
                sample[flagged] = new
                still = flagged.clone()  # (a new mask: the old one is the index the assignment's backward uses)
                still[flagged] = ~self._flag(new)
                flagged = still
                if not flagged.any().item():
                    break
        return sample

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu, p, L = self.df, self._event_shape[-1], self._unbroadcasted_scale_tril
        return (-nu * (p * math.log(2) / 2 + L.diagonal(dim1=-2, dim2=-1).log().sum(-1)) - (nu / 2).mvlgamma(p=p)
                + (nu - p - 1) / 2 * linalg.slogdet(value).logabsdet
                - value.cholesky_solve(L).diagonal(dim1=-2, dim2=-1).sum(dim=-1) / 2)

    def entropy(self):
        nu, p, L = self.df, self._event_shape[-1], self._unbroadcasted_scale_tril
        return ((p + 1) * (p * math.log(2) / 2 + L.diagonal(dim1=-2, dim2=-1).log().sum(-1))
                + (nu / 2).mvlgamma(p=p) - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p=p) + nu * p / 2)

    @property
    def _natural_params(self):
        return -self.precision_matrix / 2, (self.df - self._event_shape[-1] - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return ((y + (p + 1) / 2) * (-linalg.slogdet(-2 * x).logabsdet + math.log(2) * p)
                + (y + (p + 1) / 2).mvlgamma(p=p))


class LKJCholesky(Distribution):
    """The LKJ distribution of lower Cholesky factors L of dim x dim correlation matrices M = L L^T, with density
    proportional to det(M)^(concentration - 1) (uniform for concentration 1); sampled by the onion method."""
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        c = self.concentration
        offset = arange(dim - 1, dtype=c.dtype, device=c.device)
        offset = cat([zeros(1, dtype=c.dtype, device=c.device), offset])
        marginal = c + 0.5 * (dim - 2)
        # row i's squared length below the diagonal is Beta(i / 2, marginal - (i - 1) / 2); row 0's is a dummy
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(c.size(), Size((dim, dim)), validate_args)

    def sample(self, sample_shape=Size()):
        """Each row: sqrt(Beta) times a uniform direction (normalized normals) below the diagonal, the diagonal
        making it a unit vector."""
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        u = randn(self._extended_shape(sample_shape), dtype=y.dtype, device=y.device).tril(-1)
        direction = u / u.norm(dim=-1, keepdim=True)
        direction[..., 0, :] = 0.0  # (row 0 has no entries below the diagonal: 0 / 0)
        w = y.sqrt() * direction
        return w + diag_embed((1 - (w ** 2).sum(dim=-1)).clamp(min=finfo(w.dtype).tiny).sqrt())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diagonal = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - arange(2, self.dim + 1,
                                                                                device=self.concentration.device)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalizer = 0.5 * dm1 * math.log(math.pi) + (alpha - 0.5).mvlgamma(dm1) - alpha.lgamma() * dm1
        return (order * diagonal.log()).sum(dim=-1) - normalizer
