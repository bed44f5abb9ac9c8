"""torch.distributions.mixture_same_family: torch's module path for MixtureSameFamily (in mixture.py)."""
from .mixture import MixtureSameFamily

__all__ = ["MixtureSameFamily"]
