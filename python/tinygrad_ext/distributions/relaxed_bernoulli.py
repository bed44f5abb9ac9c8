"""RelaxedBernoulli (the binary Concrete / Gumbel-softmax distribution, Maddison et al. and Jang et al. 2017) and
LogitRelaxedBernoulli, its logit: reparameterized samples from torch.rand as torch's; RelaxedBernoulli is torch's
TransformedDistribution of the logit by the clipped sigmoid, written out."""
from .. import _dtype
from .._device import Size
from ..nn.functional import softplus
from ..tensor import rand
from . import constraints
from .bernoulli import Bernoulli
from .distribution import Distribution, ProbsOrLogits, broadcast_all, clamp_probs


class LogitRelaxedBernoulli(ProbsOrLogits):
    """The logit of a RelaxedBernoulli(temperature, probs or logits) variable."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    _probs_from_logits = staticmethod(Bernoulli._probs_from_logits)
    _logits_from_probs = staticmethod(Bernoulli._logits_from_probs)

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        self._set_param(*(None if v is None else broadcast_all(v)[0] for v in (probs, logits)))
        super().__init__(self._param.size(), validate_args=validate_args)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        uniforms = clamp_probs(rand(shape, dtype=probs.dtype, device=probs.device))
        return (uniforms.log() - (-uniforms).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value.mul(self.temperature)
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(Distribution):
    """sigmoid(X) for X ~ LogitRelaxedBernoulli(temperature, probs or logits): values in (0, 1) that tend to
    Bernoulli(probs) as the temperature goes to 0."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs

    def rsample(self, sample_shape=Size()):
        finfo = _dtype.finfo(self.base_dist._param.dtype)
        return self.base_dist.rsample(sample_shape).sigmoid().clamp(min=finfo.tiny, max=1.0 - finfo.eps)

    def log_prob(self, value):
        self._validate_sample(value)
        finfo = _dtype.finfo(value.dtype)
        y = value.clamp(min=finfo.tiny, max=1.0 - finfo.eps)
        x = y.log() - (-y).log1p()
        return -(-softplus(-x) - softplus(x)) + self.base_dist.log_prob(x)  # (minus the sigmoid's log-Jacobian)
