"""torch.distributions.exponential: torch's module path for Exponential (in continuous.py)."""
from .continuous import Exponential

__all__ = ["Exponential"]
