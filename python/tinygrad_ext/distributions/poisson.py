"""torch.distributions.poisson: torch's module path for Poisson (in gamma.py)."""
from .gamma import Poisson

__all__ = ["Poisson"]
