"""torch.distributions.geometric: torch's module path for Geometric (in discrete.py)."""
from .discrete import Geometric

__all__ = ["Geometric"]
