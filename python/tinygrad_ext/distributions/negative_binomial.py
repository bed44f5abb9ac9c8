"""torch.distributions.negative_binomial: torch's module path for NegativeBinomial (in binomial.py)."""
from .binomial import NegativeBinomial

__all__ = ["NegativeBinomial"]
