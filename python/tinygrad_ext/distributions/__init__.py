"""torch.distributions: Normal, MultivariateNormal, Uniform, Exponential, Laplace, Cauchy, HalfNormal, HalfCauchy,
LogNormal, Gumbel, Weibull, Pareto, GeneralizedPareto, Kumaraswamy, Categorical, OneHotCategorical, Multinomial,
Bernoulli, Binomial, NegativeBinomial, ContinuousBernoulli, RelaxedBernoulli, RelaxedOneHotCategorical, Geometric,
Gamma, Chi2, Poisson, Dirichlet, Beta, StudentT, InverseGamma, FisherSnedecor, VonMises, LogisticNormal,
LowRankMultivariateNormal, Wishart, LKJCholesky (and Independent and
MixtureSameFamily over them) with sample/rsample, log_prob, entropy, mean, variance, expand and torch's argument
validation, and kl_divergence between them; written with Tensor ops, so rsample and log_prob are differentiable.
ExponentialFamily (the base of the exponential families), biject_to / transform_to (constraint_registry) and utils
as torch's."""
from . import constraint_registry, constraints, exp_family, kl, transforms, utils
# (torch's per-distribution module paths: torch.distributions.beta.Beta and the like)
from . import (beta, cauchy, chi2, dirichlet, exponential, fishersnedecor, generalized_pareto, geometric, gumbel,
               half_cauchy, half_normal, inverse_gamma, kumaraswamy, laplace, lkj_cholesky, log_normal,
               mixture_same_family, multinomial, negative_binomial, one_hot_categorical, pareto, poisson,
               relaxed_categorical, studentT, weibull, wishart)
from .bernoulli import Bernoulli
from .binomial import Binomial, NegativeBinomial
from .categorical import Categorical
from .continuous import (Cauchy, Exponential, GeneralizedPareto, Gumbel, HalfCauchy, HalfNormal, Kumaraswamy, Laplace,
                         LogNormal, Weibull)
from .continuous_bernoulli import ContinuousBernoulli
from .discrete import Geometric, Multinomial, OneHotCategorical, OneHotCategoricalStraightThrough, Pareto
from .constraint_registry import biject_to, transform_to
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .gamma import Beta, Chi2, Dirichlet, FisherSnedecor, Gamma, InverseGamma, Poisson, StudentT
from .independent import Independent
from .kl import kl_divergence, register_kl
from .logistic_normal import LogisticNormal
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .matrix import LKJCholesky, Wishart
from .mixture import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .relaxed_bernoulli import RelaxedBernoulli, RelaxedOneHotCategorical
from .transformed_distribution import TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, CatTransform, ComposeTransform, CorrCholeskyTransform,
                         CumulativeDistributionTransform, ExpTransform, IndependentTransform, LowerCholeskyTransform,
                         PositiveDefiniteTransform, PowerTransform, ReshapeTransform, SigmoidTransform,
                         SoftmaxTransform, SoftplusTransform, StackTransform, StickBreakingTransform, TanhTransform,
                         Transform, identity_transform)
from .uniform import Uniform
from .von_mises import VonMises

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ContinuousBernoulli", "Dirichlet",
           "Distribution", "Exponential", "ExponentialFamily", "FisherSnedecor", "Gamma", "GeneralizedPareto",
           "Geometric", "Gumbel",
           "HalfCauchy", "HalfNormal", "Independent", "InverseGamma", "Kumaraswamy", "LKJCholesky",
           "Laplace", "LogNormal", "LogisticNormal", "LowRankMultivariateNormal",
           "MixtureSameFamily", "Multinomial", "MultivariateNormal", "NegativeBinomial", "Normal", "OneHotCategorical",
           "OneHotCategoricalStraightThrough",
           "Pareto", "Poisson",
           "RelaxedBernoulli", "RelaxedOneHotCategorical", "StudentT", "Uniform", "VonMises", "Weibull", "Wishart",
           "constraints", "transforms", "TransformedDistribution", "AbsTransform", "AffineTransform",
           "CatTransform", "ComposeTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform",
           "ExpTransform", "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
           "PowerTransform",
           "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "StackTransform",
           "StickBreakingTransform", "TanhTransform",
           "Transform", "identity_transform",
           "biject_to", "kl_divergence", "register_kl", "transform_to"]
