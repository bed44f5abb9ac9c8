"""torch.distributions.multinomial: torch's module path for Multinomial (in discrete.py)."""
from .discrete import Multinomial

__all__ = ["Multinomial"]
