"""torch.distributions.inverse_gamma: torch's module path for InverseGamma (in gamma.py)."""
from .gamma import InverseGamma

__all__ = ["InverseGamma"]
