"""torch.distributions.weibull: torch's module path for Weibull (in continuous.py)."""
from .continuous import Weibull

__all__ = ["Weibull"]
