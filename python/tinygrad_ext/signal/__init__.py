"""torch.signal: the window functions of torch.signal.windows (scipy.signal.windows' names and formulas)."""
from . import windows

__all__ = ["windows"]
