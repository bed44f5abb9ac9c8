"""torch.distributions.studentT: torch's module path for StudentT (in gamma.py)."""
from .gamma import StudentT

__all__ = ["StudentT"]
