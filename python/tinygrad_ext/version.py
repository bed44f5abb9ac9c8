"""torch.version: the library's version and the CUDA runtime it was compiled against (None without CUDA)."""
from . import _C

__version__ = "0.1.0"
_v = _C.cuda_runtime_version()
cuda = f"{_v // 1000}.{_v % 1000 // 10}" if _v else None
git_version = None
