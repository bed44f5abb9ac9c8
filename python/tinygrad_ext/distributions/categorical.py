from .._device import Size
from .._sampling_ops import multinomial
from .._shape_ops import broadcast_tensors
from .. import _dtype
from ..tensor import arange
from . import constraints
from .distribution import ProbsOrLogits, clamp_probs


class Categorical(ProbsOrLogits):
    """A distribution over the categories 0 .. K-1 of the last dim of probs (non-negative weights, normalized)
    or of logits (unnormalized log-probabilities)."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._set_param(probs, logits)
        if self._param.dim() < 1:
            raise ValueError(f"`{'probs' if probs is not None else 'logits'}` parameter must be at least "
                             "one-dimensional.")
        self._set_param(probs / probs.sum(-1, keepdim=True) if probs is not None else None,
                        logits - logits.logsumexp(-1, keepdim=True) if logits is not None else None)
        self._num_events = self._param.size(-1)
        super().__init__(self._param.size()[:-1], validate_args=validate_args)

    @staticmethod
    def _probs_from_logits(logits):
        return logits.softmax(-1)

    @staticmethod
    def _logits_from_probs(probs):
        return clamp_probs(probs).log()

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return self.probs.new_full(self._extended_shape(), float("nan"))

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return self.probs.new_full(self._extended_shape(), float("nan"))

    def sample(self, sample_shape=Size()):
        sample_shape = Size(sample_shape)
        draws = multinomial(self.probs.reshape(-1, self._num_events), sample_shape.numel(), True).T  # (n, batch)
        return draws.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        self._validate_sample(value)
        value, log_pmf = broadcast_tensors(value.long().unsqueeze(-1), self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=_dtype.finfo(self.logits.dtype).min)  # (-inf * 0 would be NaN)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = arange(self._num_events, device=self._param.device).view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
