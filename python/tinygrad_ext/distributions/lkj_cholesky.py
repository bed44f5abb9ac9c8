"""torch.distributions.lkj_cholesky: torch's module path for LKJCholesky (in matrix.py)."""
from .matrix import LKJCholesky

__all__ = ["LKJCholesky"]
