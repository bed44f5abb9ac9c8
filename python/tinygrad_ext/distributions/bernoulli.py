from .._device import Size
from ..nn.functional import binary_cross_entropy_with_logits
from ..tensor import empty
from . import constraints
from .distribution import ProbsOrLogits, broadcast_all, clamp_probs
from .exp_family import ExponentialFamily


class Bernoulli(ProbsOrLogits, ExponentialFamily):
    """1 with probability probs (or sigmoid(logits)), else 0."""
    _mean_carrier_measure = 0
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._set_param(*(None if v is None else broadcast_all(v)[0] for v in (probs, logits)))
        super().__init__(self._param.size(), validate_args=validate_args)

    @staticmethod
    def _probs_from_logits(logits):
        return logits.sigmoid()

    @staticmethod
    def _logits_from_probs(probs):
        p = clamp_probs(probs)
        return p.log() - (-p).log1p()

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, float("nan"))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        probs = self.probs.detach().expand(shape)
        return (empty(shape, dtype=probs.dtype, device=probs.device).uniform_() < probs).to(probs.dtype)

    def log_prob(self, value):
        self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    @property
    def _natural_params(self):
        return (self.probs.logit(),)

    def _log_normalizer(self, x):
        return x.exp().log1p()

    def enumerate_support(self, expand=True):
        values = self._param.new_tensor([0.0, 1.0]).view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
