"""torch.distributions.pareto: torch's module path for Pareto (in discrete.py)."""
from .discrete import Pareto

__all__ = ["Pareto"]
