"""torch.distributions: Normal, Uniform, Categorical, Bernoulli with sample/rsample, log_prob, entropy, mean,
variance and torch's argument validation, and kl_divergence between them; written with Tensor ops, so
rsample and log_prob are differentiable."""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "Uniform", "constraints", "kl_divergence",
           "register_kl"]
