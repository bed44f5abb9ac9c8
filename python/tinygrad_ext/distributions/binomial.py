"""Binomial: the number of successes in total_count Bernoulli(probs) trials; samples from torch.binomial (torch's
sampler, a seed gives torch's samples), log_prob, entropy and moments in torch's forms. NegativeBinomial: the
number of successes before total_count failures, sampled as torch's (Poisson of a Gamma rate)."""
from .. import _gamma_ops
from .._device import Size
from .._numeric_ops import poisson
from ..autograd.grad_mode import no_grad
from ..nn import functional as F
from ..tensor import arange
from . import constraints
from .bernoulli import Bernoulli
from .distribution import ProbsOrLogits, broadcast_all
from .gamma import Gamma


def _clamp_by_zero(x):
    """max(x, 0) with gradient 1/2 at 0, as torch's."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


def _init_counts(d, total_count, probs, logits, validate_args):
    """Binomial's and NegativeBinomial's parameters: total_count broadcast with probs or logits (one of them)."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    total_count, param = broadcast_all(total_count, probs if probs is not None else logits)
    d.total_count = total_count.type_as(param)
    d._set_param(param if probs is not None else None, param if logits is not None else None)
    ProbsOrLogits.__init__(d, d._param.size(), validate_args=validate_args)


class Binomial(ProbsOrLogits):
    """P(k) = C(total_count, k) probs^k (1 - probs)^(total_count - k) for k = 0..total_count (probs, or
    sigmoid(logits))."""
    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True
    _probs_from_logits = staticmethod(Bernoulli._probs_from_logits)
    _logits_from_probs = staticmethod(Bernoulli._logits_from_probs)

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        _init_counts(self, total_count, probs, logits, validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return _gamma_ops.binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        self._validate_sample(value)
        n, logits = self.total_count, self.logits
        normalize = n * _clamp_by_zero(logits) + n * (-logits.abs()).exp().log1p() - (n + 1).lgamma()
        return value * logits - (value + 1).lgamma() - (n - value + 1).lgamma() - normalize

    def _single_count(self, what):
        count = int(self.total_count.max().item())
        if not self.total_count.min().item() == count:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return count

    def entropy(self):
        self._single_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        count = self._single_count("enumerate_support")
        values = arange(1 + count, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values


class NegativeBinomial(ProbsOrLogits):
    """P(k) = C(k + total_count - 1, k) probs^k (1 - probs)^total_count: successes (each with probability probs, or
    sigmoid(logits)) before total_count failures."""
    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer
    _probs_from_logits = staticmethod(Bernoulli._probs_from_logits)
    _logits_from_probs = staticmethod(Bernoulli._logits_from_probs)

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        _init_counts(self, total_count, probs, logits, validate_args)

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape=Size()):
        with no_grad():  # torch's draws: a Gamma(total_count, exp(-logits)) rate, then a Poisson count
            rate = Gamma(concentration=self.total_count, rate=(-self.logits).exp(), validate_args=False)
            return poisson(rate.sample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n = self.total_count
        unnormalized = n * F.logsigmoid(-self.logits) + value * F.logsigmoid(self.logits)
        normalization = -(n + value).lgamma() + (1.0 + value).lgamma() + n.lgamma()
        return unnormalized - normalization.masked_fill(n + value == 0.0, 0.0)  # (count 0 and value 0: probability 1)
