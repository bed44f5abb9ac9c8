"""torch.distributions.beta: torch's module path for Beta (in gamma.py)."""
from .gamma import Beta

__all__ = ["Beta"]
