"""torch.distributions.relaxed_categorical: torch's module path for ExpRelaxedCategorical and
RelaxedOneHotCategorical (in relaxed_bernoulli.py)."""
from .relaxed_bernoulli import ExpRelaxedCategorical, RelaxedOneHotCategorical

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]
