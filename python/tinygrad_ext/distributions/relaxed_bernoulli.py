"""RelaxedBernoulli and RelaxedOneHotCategorical (the Concrete / Gumbel-softmax distributions, Maddison et al. and Jang
et al. 2017) with their bases LogitRelaxedBernoulli and ExpRelaxedCategorical: reparameterized samples from
torch.rand as torch's; the relaxed ones are torch's TransformedDistributions of the bases (by the clipped sigmoid, by
exp), written out."""
from .. import _dtype
from .._device import Size
from ..nn.functional import softplus
from ..tensor import full_like, rand
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
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


class _Relaxed(Distribution):
    """A relaxed distribution: a function of a draw of `base_dist`, whose temperature and parameters it shows."""
    has_rsample = True

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class RelaxedBernoulli(_Relaxed):
    """sigmoid(X) for X ~ LogitRelaxedBernoulli(temperature, probs or logits): values in (0, 1) that tend to
    Bernoulli(probs) as the temperature goes to 0."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    def rsample(self, sample_shape=Size()):
        finfo = _dtype.finfo(self.base_dist._param.dtype)
        return self.base_dist.rsample(sample_shape).sigmoid().clamp(min=finfo.tiny, max=1.0 - finfo.eps)

    def log_prob(self, value):
        self._validate_sample(value)
        finfo = _dtype.finfo(value.dtype)
        y = value.clamp(min=finfo.tiny, max=1.0 - finfo.eps)
        x = y.log() - (-y).log1p()
        return -(-softplus(-x) - softplus(x)) + self.base_dist.log_prob(x)  # (minus the sigmoid's log-Jacobian)


class ExpRelaxedCategorical(Distribution):
    """The log of a RelaxedOneHotCategorical(temperature, probs or logits) point (Gumbel-softmax in log space)."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        uniforms = clamp_probs(rand(shape, dtype=self.logits.dtype, device=self.logits.device))
        scores = (self.logits - (-uniforms.log()).log()) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value):
        k = self._categorical._num_events
        self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_scale = full_like(self.temperature, float(k)).lgamma() - self.temperature.log().mul(-(k - 1))
        score = logits - value.mul(self.temperature)
        return (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(_Relaxed):
    """exp(X) for X ~ ExpRelaxedCategorical: points of the simplex that tend to OneHotCategorical(probs) as the
    temperature goes to 0 (torch's TransformedDistribution by exp, written out)."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.base_dist = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(self.base_dist.batch_shape, self.base_dist.event_shape, validate_args=validate_args)

    def rsample(self, sample_shape=Size()):
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value):
        self._validate_sample(value)
        x = value.log()
        return -x.sum(-1) + self.base_dist.log_prob(x)  # (minus exp's log-Jacobian over the event)
