"""torch.distributions.chi2: torch's module path for Chi2 (in gamma.py)."""
from .gamma import Chi2

__all__ = ["Chi2"]
