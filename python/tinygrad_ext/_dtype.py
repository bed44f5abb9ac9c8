"""dtypes (torch.float32, ...) and the legacy tensor-type classes (torch.FloatTensor, ...)."""


class dtype:
    __slots__ = ("name", "id", "itemsize", "is_floating_point", "is_signed", "_legacy")

    def __init__(self, name, id, itemsize, is_floating_point, is_signed, legacy):
        self.name, self.id, self.itemsize = name, id, itemsize
        self.is_floating_point, self.is_signed, self._legacy = is_floating_point, is_signed, legacy

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return self.name


# ids match tg::DType in csrc/core/dtype.h
bool = dtype("bool", 0, 1, False, False, "BoolTensor")  # torch.bool
uint8 = dtype("uint8", 1, 1, False, False, "ByteTensor")
int32 = dtype("int32", 2, 4, False, True, "IntTensor")
int64 = dtype("int64", 3, 8, False, True, "LongTensor")
float32 = dtype("float32", 4, 4, True, True, "FloatTensor")
float64 = dtype("float64", 5, 8, True, True, "DoubleTensor")
BY_ID = (bool, uint8, int32, int64, float32, float64)

float = float32
double = float64
long = int64
int = int32

_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if d not in (float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    from . import _C
    _C.set_default_dtype(d.id)  # Python floats and int -> float results follow it in the core too
    _default[0] = d


def from_numpy_dtype(np_dtype):
    return {"bool": bool, "uint8": uint8, "int32": int32, "int64": int64, "float32": float32,
            "float64": float64}.get(str(np_dtype))


class _LegacyTensorTypeMeta(type):
    """torch.FloatTensor & co.: callable constructors, usable as `x.type(torch.FloatTensor)`,
    and `isinstance(t, torch.FloatTensor)` checks dtype and device."""

    def __instancecheck__(cls, obj):
        from .tensor import Tensor
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.is_cuda == cls.is_cuda

    def __repr__(cls):
        return f"<class 'torch.{'cuda.' if cls.is_cuda else ''}{cls.__name__}'>"


def _make_legacy(dt, cuda):
    def __new__(cls, *args, **kwargs):
        from .tensor import _legacy_new
        return _legacy_new(cls.dtype, "cuda" if cls.is_cuda else "cpu", *args, **kwargs)
    return _LegacyTensorTypeMeta(dt._legacy, (), {"__new__": __new__, "dtype": dt, "is_cuda": cuda})


LEGACY_CPU = {d._legacy: _make_legacy(d, False) for d in BY_ID}
LEGACY_CUDA = {d._legacy: _make_legacy(d, True) for d in BY_ID}
