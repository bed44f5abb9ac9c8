"""torch.backends.cpu: the instruction set the core's CPU kernels were dispatched to at import (torch's names:
"AVX512", "AVX2", "DEFAULT")."""
from .. import _C


_CAPABILITY = {"avx512": "AVX512", "avx2": "AVX2", "base": "DEFAULT"}


def get_cpu_capability():
    return _CAPABILITY[_C.cpu_isa()]
