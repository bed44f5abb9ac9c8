"""dtypes (torch.float32, ...) and their limits (torch.finfo, torch.iinfo)."""
import builtins

from . import _C


class dtype:
    __slots__ = ("name", "id", "itemsize", "is_floating_point", "is_signed", "_legacy")
    is_complex = False  # (no complex dtypes here)

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
int8 = dtype("int8", 6, 1, False, True, "CharTensor")
int16 = dtype("int16", 7, 2, False, True, "ShortTensor")
float16 = dtype("float16", 8, 2, True, True, "HalfTensor")
bfloat16 = dtype("bfloat16", 9, 2, True, True, "BFloat16Tensor")
BY_ID = (bool, uint8, int32, int64, float32, float64, int8, int16, float16, bfloat16)

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

_default = [float32]
_PYTHON_TYPES = {builtins.float: float64, builtins.int: int64, builtins.bool: bool}


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if d not in (float32, float64, float16, bfloat16):
        raise TypeError("only floating-point types are supported as the default type")
    _C.set_default_dtype(d.id)  # Python floats and int -> float results follow it in the core too
    _default[0] = d


def as_dtype(d):
    """A dtype argument as a torch.dtype: torch also takes Python's float, int and bool (float64, int64, bool)."""
    if isinstance(d, type):
        if d not in _PYTHON_TYPES:  # (a numpy scalar type is no torch.dtype either)
            raise TypeError("argument 'dtype' must be torch.dtype, not type")
        return _PYTHON_TYPES[d]
    if d is not None and not isinstance(d, dtype):
        raise TypeError(f"argument 'dtype' must be torch.dtype, not {type(d).__name__}")
    return d


def from_numpy_dtype(np_dtype):
    return {"bool": bool, "uint8": uint8, "int8": int8, "int16": int16, "int32": int32, "int64": int64,
            "float16": float16, "float32": float32, "float64": float64}.get(str(np_dtype))


# Machine limits: (bits, eps, max, smallest normal, decimal digits) of each floating dtype, and the integer ranges.
_FLOAT_LIMITS = {"float16": (16, 2.0 ** -10, 65504.0, 2.0 ** -14, 3),
                 "bfloat16": (16, 2.0 ** -7, 3.3895313892515355e38, 2.0 ** -126, 2),
                 "float32": (32, 2.0 ** -23, 3.4028234663852886e38, 2.0 ** -126, 6),
                 "float64": (64, 2.0 ** -52, 1.7976931348623157e308, 2.0 ** -1022, 15)}


def _check_dtype_arg(name, d):
    if not isinstance(d, dtype):
        raise TypeError(f"{name}(): argument 'type' (position 1) must be torch.dtype, not {type(d).__name__}")


class finfo:
    """torch.finfo: the limits of a floating point dtype (the default dtype without an argument)."""

    def __init__(self, type=None):
        d = get_default_dtype() if type is None else type
        _check_dtype_arg("finfo", d)
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        self.bits, self.eps, self.max, self.smallest_normal, digits = _FLOAT_LIMITS[d.name]
        self.min, self.tiny, self.resolution, self.dtype = -self.max, self.smallest_normal, 10.0 ** -digits, d.name

    def __eq__(self, other):
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """torch.iinfo: the range of an integer dtype."""

    def __init__(self, type):
        _check_dtype_arg("iinfo", type)
        if type is bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        self.bits = type.itemsize * 8
        self.min = -(1 << (self.bits - 1)) if type.is_signed else 0
        self.max = (1 << (self.bits - 1)) - 1 if type.is_signed else (1 << self.bits) - 1
        self.dtype = type.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
