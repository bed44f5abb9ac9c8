"""torch.distributions.cauchy: torch's module path for Cauchy (in continuous.py)."""
from .continuous import Cauchy

__all__ = ["Cauchy"]
