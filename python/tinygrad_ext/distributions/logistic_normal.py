"""LogisticNormal: Normal(loc, scale) vectors mapped onto the simplex of one more dimension by stick-breaking (torch's
TransformedDistribution of Independent(Normal, 1) by StickBreakingTransform, written out); the Normal's draws are
torch's, so a seed gives torch's samples."""
from .. import _dtype
from ..nn.functional import logsigmoid, pad
from ..tensor import arange
from . import constraints
from .distribution import Distribution
from .independent import Independent
from .normal import Normal


def _log_offsets(k, like):
    """log(k), log(k - 1), ..., log(1): the stick-breaking shifts of a k-vector, so that x = 0 maps to the
    simplex's centre."""
    return arange(k, 0, -1, dtype=like.dtype, device=like.device).log()


def _stick_breaking(x):
    """(..., k) reals -> (..., k + 1) points of the simplex: piece i takes sigmoid(x_i - log(k - i)) of what is left."""
    finfo = _dtype.finfo(x.dtype)
    z = (x - _log_offsets(x.shape[-1], x)).sigmoid().clamp(min=finfo.tiny, max=1.0 - finfo.eps)
    return pad(z, (0, 1), value=1.0) * pad((1 - z).cumprod(-1), (1, 0), value=1.0)


def _stick_breaking_inverse(y):
    """The reals x with _stick_breaking(x) = y (the left-over stick kept above the dtype's tiny)."""
    y_crop = y[..., :-1]
    left = (1 - y_crop.cumsum(-1)).clamp(min=_dtype.finfo(y.dtype).tiny)
    return y_crop.log() - left.log() + _log_offsets(y_crop.shape[-1], y)


def _stick_breaking_log_abs_det_jacobian(x, y):
    shifted = x - _log_offsets(x.shape[-1], x)
    return (-shifted + logsigmoid(shifted) + y[..., :-1].log()).sum(-1)


class LogisticNormal(Distribution):
    """X on the simplex of k + 1 coordinates with log(X / (1 - X.cumsum(-1)))[..., :-1] ~ Normal(loc, scale), the
    Normal's last batch dimension (of size k; 1 for scalar parameters) the event."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand([1])
        self.base_dist = Independent(base, 1)
        shape = tuple(base.batch_shape)
        super().__init__(shape[:-1], shape[-1:-1] + (shape[-1] + 1,), validate_args=validate_args)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale

    def rsample(self, sample_shape=()):
        return _stick_breaking(self.base_dist.rsample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        x = _stick_breaking_inverse(value)
        return self.base_dist.log_prob(x) - _stick_breaking_log_abs_det_jacobian(x, value)
