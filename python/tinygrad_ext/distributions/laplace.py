"""torch.distributions.laplace: torch's module path for Laplace (in continuous.py)."""
from .continuous import Laplace

__all__ = ["Laplace"]
