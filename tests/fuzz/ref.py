"""The numpy side of the oracle: torch's type promotion, exact integer arithmetic and float64 values.

A reference function returns one of:
    Val(arr, dtype)      a tensor: dtype name and the values (float64 / int64 / bool numpy array)
    Tup([...])           a tuple or list of results
    Py(value)            a Python scalar (type and value are checked)
    Shape(shape, dtype)  a tensor whose values are unspecified (empty(), casts that are undefined in C++)
    Raises(cls, ...)     the exception class(es) the error contract asks for (the first is PyTorch's)
or None when the reference has no opinion (no check beyond "no crash, no hang").
"""
import math
import warnings

import numpy as np

from .values import FLOATS, INTS, NP


class Val:
    def __init__(self, arr, dtype):
        self.dtype = dtype
        self.arr = np.asarray(arr)

    def __repr__(self):
        return f"Val({self.dtype}, {self.arr.shape})"


class Tup:
    def __init__(self, items, kind="tuple"):
        self.items, self.kind = list(items), kind


class Py:
    def __init__(self, value):
        self.value = value


class Shape:
    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(shape), dtype


class Raises(Exception):
    """Raised (or returned) by a reference: the op must raise one of these builtin classes."""

    def __init__(self, *classes, why=""):
        super().__init__(why)
        self.classes = classes
        self.why = why


# ------------------------------------------------------------ dtypes
_INT_ORDER = ["uint8", "int8", "int16", "int32", "int64"]


def promote(a, b):
    if a is None:
        return b
    if b is None or a == b:
        return a
    if a == "bool":
        return b
    if b == "bool":
        return a
    if a in FLOATS and b in FLOATS:
        return "float64"
    if a in FLOATS:
        return a
    if b in FLOATS:
        return b
    if {a, b} == {"uint8", "int8"}:
        return "int16"  # neither holds the other's values
    return max(a, b, key=_INT_ORDER.index)


def _combine(higher, lower):
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher in FLOATS:
        return higher
    if higher == "bool" or lower in FLOATS:
        return promote(higher, lower)
    return higher


def result_type(*operands):
    """torch.result_type over operands given as ("dim"|"zero"|"wrapped", dtype)."""
    groups = {"dim": None, "zero": None, "wrapped": None}
    for kind, dt in operands:
        if kind == "wrapped" and dt in FLOATS:
            dt = "float32"  # the default dtype
        groups[kind] = promote(groups[kind], dt)
    return _combine(groups["dim"], _combine(groups["zero"], groups["wrapped"]))


def can_cast(frm, to):
    if frm in FLOATS and to not in FLOATS:
        return False
    if frm != "bool" and to == "bool":
        return False
    return True


def scalar_dtype(v):
    return "bool" if isinstance(v, bool) else "int64" if isinstance(v, int) else "float32"


def cast(arr, dtype):
    """Values of `arr` converted to dtype as a C++ static_cast does (ints wrap; a float source must be
    finite and in range: the caller checks, since that cast is undefined behaviour in C++)."""
    arr = np.asarray(arr)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if dtype == "bool":
            return arr != 0
        if dtype in INTS:
            if arr.dtype.kind == "f":
                arr = np.trunc(arr)
            return arr.astype(np.int64).astype(NP[dtype])
        return arr.astype(NP[dtype])


def float_to_int_defined(arr, dtype):
    """True when every value of the float array converts to int dtype without undefined behaviour."""
    a = np.asarray(arr, dtype=np.float64)
    if dtype == "bool" or dtype in FLOATS:
        return True
    lo, hi = {"uint8": (-1, 256), "int8": (-129, 128), "int16": (-2.0 ** 15 - 1, 2.0 ** 15),
              "int32": (-2.0 ** 31 - 1, 2.0 ** 31), "int64": (-2.0 ** 63 - 1, 2.0 ** 63)}[dtype]
    return bool(np.all(np.isfinite(a)) and np.all(a > lo) and np.all(a < hi))


def as_ref(arr, dtype):
    """The working array for a reference computation: float64 for floats, int64 for ints, bool."""
    arr = cast(arr, dtype)
    if dtype in FLOATS:
        return arr.astype(np.float64)
    if dtype in INTS:
        return arr.astype(np.int64)
    return arr.astype(np.bool_)


def out(arr, dtype):
    """A Val of dtype: the float64/int64 result rounded (floats) or wrapped (ints) into dtype."""
    arr = np.asarray(arr)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if dtype in FLOATS:
            return Val(arr.astype(np.float64).astype(NP[dtype]).astype(np.float64), dtype)
        if dtype in INTS:
            return Val(arr.astype(np.int64).astype(NP[dtype]).astype(np.int64), dtype)
        return Val(arr.astype(np.bool_), dtype)


def ignore_np_warnings():
    return np.errstate(all="ignore")


# ------------------------------------------------------------ dims
def wrap_dim(d, nd):
    """torch's maybe_wrap_dim: a 0-d tensor takes dims -1 and 0."""
    n = max(nd, 1)
    if not -n <= d < n:
        raise Raises(IndexError, why=f"dim {d} out of range for {nd}-d")
    return d + n if d < 0 else d


def wrap_dims(dims, nd):
    out = []
    n = max(nd, 1)
    raw = [d + n if -n <= d < 0 else d for d in dims]
    if len(set(raw)) != len(raw) and any(not -n <= d < n for d in dims):
        raise Raises(IndexError, RuntimeError, why="dims repeated and out of range (torch's order varies)")
    wrapped = [wrap_dim(d, nd) for d in dims]
    for d, w in zip(dims, wrapped):
        if w in out:
            raise Raises(RuntimeError, why=f"dim {d} appears multiple times")
        out.append(w)
    return [d for d in out if d < nd]


def broadcast_shapes(*shapes):
    try:
        return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:
        raise Raises(RuntimeError, ValueError, why=f"shapes {shapes} do not broadcast")


def contiguous_strides(shape):
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= max(s, 1)
    return list(reversed(st))


def view_strides(oldshape, oldstride, newshape):
    """torch's computeStride: the strides of a view of newshape, or None when no view exists."""
    oldshape, newshape = list(oldshape), list(newshape)
    if math.prod(oldshape) == 0:
        return list(oldstride) if oldshape == newshape else contiguous_strides(newshape)
    if not oldshape:
        return [1] * len(newshape)
    newstride = [0] * len(newshape)
    view_d = len(newshape) - 1
    chunk_base = oldstride[-1]
    tensor_numel, view_numel = 1, 1
    for tensor_d in range(len(oldshape) - 1, -1, -1):
        tensor_numel *= oldshape[tensor_d]
        if tensor_d == 0 or (oldshape[tensor_d - 1] != 1 and oldstride[tensor_d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or newshape[view_d] == 1):
                newstride[view_d] = view_numel * chunk_base
                view_numel *= newshape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base = oldstride[tensor_d - 1]
                tensor_numel, view_numel = 1, 1
    if view_d != -1:
        return None
    return newstride


def infer_shape(shape, numel):
    """torch's infer_size: resolves one -1; raises RuntimeError as torch does."""
    shape = list(shape)
    if shape.count(-1) > 1:
        raise Raises(RuntimeError, why="only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise Raises(RuntimeError, why=f"invalid shape dimension {s}")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0:
            raise Raises(RuntimeError, why="cannot reshape tensor of 0 elements with -1")
        if numel % known:
            raise Raises(RuntimeError, why="shape invalid for input size")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise Raises(RuntimeError, why="shape invalid for input size")
    return tuple(shape)
