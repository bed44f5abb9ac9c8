"""torch.distributions.half_cauchy: torch's module path for HalfCauchy (in continuous.py)."""
from .continuous import HalfCauchy

__all__ = ["HalfCauchy"]
