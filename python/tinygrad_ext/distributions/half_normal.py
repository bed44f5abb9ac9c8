"""torch.distributions.half_normal: torch's module path for HalfNormal (in continuous.py)."""
from .continuous import HalfNormal

__all__ = ["HalfNormal"]
