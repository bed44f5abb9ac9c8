"""torch.backends.cuda: whether the CUDA backend was compiled in."""
from .. import _C


def is_built():
    return _C.cuda_is_built()


class _MatmulFlags:
    """torch.backends.cuda.matmul: allow_tf32 reads and writes the core's float32 matmul precision
    (True = 'high': CUDA float32 matmuls may round inputs to TF32 on sm_80+ tensor cores)."""
    __slots__ = ()

    @property
    def allow_tf32(self):
        return _C.allow_tf32()

    @allow_tf32.setter
    def allow_tf32(self, value):
        _C.set_allow_tf32(bool(value))

    def __setattr__(self, name, value):
        if name != "allow_tf32":
            raise AttributeError("Unknown attribute " + name)
        object.__setattr__(self, name, value)


matmul = _MatmulFlags()
