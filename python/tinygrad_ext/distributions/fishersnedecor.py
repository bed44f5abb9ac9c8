"""torch.distributions.fishersnedecor: torch's module path for FisherSnedecor (in gamma.py)."""
from .gamma import FisherSnedecor

__all__ = ["FisherSnedecor"]
