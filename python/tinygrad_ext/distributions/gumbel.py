"""torch.distributions.gumbel: torch's module path for Gumbel (in continuous.py)."""
from .continuous import Gumbel

__all__ = ["Gumbel"]
