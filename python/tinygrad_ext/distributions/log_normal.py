"""torch.distributions.log_normal: torch's module path for LogNormal (in continuous.py)."""
from .continuous import LogNormal

__all__ = ["LogNormal"]
