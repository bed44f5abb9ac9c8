"""torch.utils.deterministic: `fill_uninitialized_memory` (default True): whether, while
torch.use_deterministic_algorithms(True) is in effect, uninitialized tensors (torch.empty, empty_like, new_empty,
empty_strided, the new part of a resize_) are filled with NaN, or their integer dtype's largest value."""
import sys
import types

from .._tensor_base import DETERMINISTIC


class _Deterministic(types.ModuleType):
    @property
    def fill_uninitialized_memory(self):
        """Whether deterministic mode fills uninitialized memory (NaN / the largest integer)."""
        return DETERMINISTIC["fill"]

    @fill_uninitialized_memory.setter
    def fill_uninitialized_memory(self, mode):
        if not isinstance(mode, bool):
            raise RuntimeError(f"expected a bool, but got {type(mode).__name__}")
        DETERMINISTIC["fill"] = mode


sys.modules[__name__].__class__ = _Deterministic
