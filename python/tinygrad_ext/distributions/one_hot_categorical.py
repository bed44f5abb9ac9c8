"""torch.distributions.one_hot_categorical: torch's module path for OneHotCategorical and
OneHotCategoricalStraightThrough (in discrete.py)."""
from .discrete import OneHotCategorical, OneHotCategoricalStraightThrough

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]
