"""torch.distributions.wishart: torch's module path for Wishart (in matrix.py)."""
from .matrix import Wishart

__all__ = ["Wishart"]
