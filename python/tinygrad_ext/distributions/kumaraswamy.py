"""torch.distributions.kumaraswamy: torch's module path for Kumaraswamy (in continuous.py)."""
from .continuous import Kumaraswamy

__all__ = ["Kumaraswamy"]
