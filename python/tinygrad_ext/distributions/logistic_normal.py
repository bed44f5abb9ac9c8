"""LogisticNormal: Normal(loc, scale) vectors mapped onto the simplex of one more dimension by stick-breaking (torch's
TransformedDistribution of Normal by StickBreakingTransform); the Normal's draws are torch's, so a seed gives torch's
samples."""
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import StickBreakingTransform


class LogisticNormal(TransformedDistribution):
    """X on the simplex of k + 1 coordinates with log(X / (1 - X.cumsum(-1)))[..., :-1] ~ Normal(loc, scale), the
    Normal's last batch dimension (of size k; 1 for scalar parameters) the event."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand([1])
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale
