"""torch.distributions.generalized_pareto: torch's module path for GeneralizedPareto (in continuous.py)."""
from .continuous import GeneralizedPareto

__all__ = ["GeneralizedPareto"]
