"""torch.distributions.dirichlet: torch's module path for Dirichlet (in gamma.py)."""
from .gamma import Dirichlet

__all__ = ["Dirichlet"]
