"""torch.backends.cuda: whether the CUDA backend was compiled in."""
from .. import _C


def is_built():
    return _C.cuda_is_built()


class _MatmulFlags:
    allow_tf32 = False


matmul = _MatmulFlags()
