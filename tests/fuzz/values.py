"""Random shapes, values, views and scalars for the fuzzer, as both numpy arrays and Python source.

Everything here is pure numpy: the generator never imports tinygrad_ext or torch. Each tensor input is
written as a literal (`torch.tensor([[0.25, nan]], dtype=torch.float32)`) so a repro is self-contained,
and the same values are kept as a numpy array for the reference.
"""
import math

import numpy as np

DTYPES = ("float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool")
FLOATS = ("float32", "float64")
INTS = ("uint8", "int8", "int16", "int32", "int64")
NP = {"bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
      "float32": np.float32, "float64": np.float64}
LIMITS = {"uint8": (0, 255), "int8": (-2 ** 7, 2 ** 7 - 1), "int16": (-2 ** 15, 2 ** 15 - 1),
          "int32": (-2 ** 31, 2 ** 31 - 1), "int64": (-2 ** 63, 2 ** 63 - 1)}

FLOAT_SPECIALS = [0.0, -0.0, math.nan, math.inf, -math.inf, 0.5, -0.5, 1.5, 2.5, -2.5, 1e-30, -1e-30, 1e30,
                  -1e30, 3e38, -3e38, 1e-45, 16777217.0, 88.75, -104.0, 1e-8]
FLOAT64_SPECIALS = [1e300, -1e300, 5e-324, 2.0 ** 53 + 1, 710.0]


def pick(rng, seq, p=None):
    return seq[int(rng.choice(len(seq), p=p))]


def chance(rng, p):
    return bool(rng.random() < p)


# ------------------------------------------------------------------ shapes
def rand_shape(rng, ndim=None, max_numel=36, min_ndim=0, zero_p=0.06, dims=None):
    if ndim is None:
        ndim = pick(rng, [0, 1, 2, 3, 4], p=[0.1, 0.25, 0.35, 0.2, 0.1])
    ndim = max(ndim, min_ndim)
    shape = []
    for _ in range(ndim):
        r = rng.random()
        shape.append(0 if r < zero_p else 1 if r < zero_p + 0.2 else int(rng.integers(2, 6)))
    while math.prod(shape) > max_numel:
        i = int(np.argmax(shape))
        shape[i] = max(1, shape[i] // 2)
    return tuple(shape)


def broadcast_partner(rng, shape):
    """A shape that broadcasts with `shape` (a suffix with some dims 1, maybe extra leading dims)."""
    r = rng.random()
    if r < 0.15:
        return ()
    if r < 0.45 or not shape:
        return tuple(shape) if shape else ((1,) if chance(rng, 0.3) else ())
    k = int(rng.integers(0, len(shape) + 1))
    out = [1 if chance(rng, 0.4) else s for s in shape[len(shape) - k:]]
    if chance(rng, 0.2):
        out = [pick(rng, [1, 2])] + out
    return tuple(out)


def bad_partner(rng, shape):
    """A shape that does not broadcast with `shape` (None when every shape would)."""
    cands = [i for i, s in enumerate(shape) if s != 1]
    if not cands:
        return None
    i = pick(rng, cands)
    out = list(shape)
    out[i] = shape[i] + int(rng.integers(1, 3)) if shape[i] else 2
    return tuple(out[i:]) if chance(rng, 0.5) else tuple(out)


# ------------------------------------------------------------------ values
def float_values(rng, n, kind, dtype):
    if kind == "grid":
        v = rng.integers(-12, 13, size=n) / 4.0
    elif kind == "uniform":
        v = np.round(rng.uniform(-3, 3, size=n), 4)
    elif kind == "positive":
        v = np.round(rng.uniform(0.25, 3, size=n), 3)
    elif kind == "nonzero":
        v = np.round(rng.uniform(0.25, 3, size=n), 3) * rng.choice([-1.0, 1.0], size=n)
    elif kind == "unit":
        v = np.round(rng.uniform(-0.9, 0.9, size=n), 3)
    elif kind == "wide":
        v = np.round(10.0 ** rng.uniform(-3, 6, size=n), 3) * rng.choice([-1.0, 1.0], size=n)
    elif kind == "special":
        sp = FLOAT_SPECIALS + (FLOAT64_SPECIALS if dtype == "float64" else [])
        v = rng.integers(-12, 13, size=n) / 4.0
        mask = rng.random(n) < 0.35
        v[mask] = [sp[int(i)] for i in rng.integers(0, len(sp), size=int(mask.sum()))]
    else:
        raise ValueError(kind)
    return v.astype(np.float64)


def int_values(rng, n, kind, dtype):
    lo, hi = LIMITS[dtype]
    if kind == "small":
        return [int(x) for x in rng.integers(max(lo, -5), 6, size=n)]
    if kind == "range":
        return [int(x) for x in rng.integers(lo, hi, size=n, endpoint=True, dtype=np.int64)] if dtype != "int64" \
            else [int(rng.integers(-2 ** 62, 2 ** 62)) * 2 + int(rng.integers(0, 2)) for _ in range(n)]
    if kind == "extreme":
        sp = [lo, hi, lo + 1, hi - 1, 0, 1] + ([-1, 2 ** 31, -2 ** 31 - 1] if dtype == "int64" else
                                              [-1] if dtype in ("int32", "int16", "int8") else [128, 127])
        return [pick(rng, sp) if chance(rng, 0.5) else int(rng.integers(max(lo, -5), 6)) for _ in range(n)]
    if kind == "positive":
        return [int(x) for x in rng.integers(1, 6, size=n)]
    raise ValueError(kind)


def default_kind(rng, dtype):
    if dtype in FLOATS:
        return pick(rng, ["grid", "uniform", "special", "wide"], p=[0.45, 0.3, 0.15, 0.1])
    if dtype in INTS:
        return pick(rng, ["small", "range", "extreme"], p=[0.7, 0.1, 0.2])
    return "bool"


def gen_values(rng, shape, dtype, kind=None):
    """(src, arr): src the Python values (nested lists, what the literal shows), arr the numpy array of dtype."""
    kind = kind or default_kind(rng, dtype)
    n = math.prod(shape)
    if dtype == "bool":
        flat = [bool(x) for x in rng.random(n) < 0.5]
    elif dtype in FLOATS:
        if kind in ("small", "range", "extreme"):
            kind = "grid"
        flat = [float(x) for x in float_values(rng, n, kind, dtype)]
    else:
        if kind not in ("small", "range", "extreme", "positive"):
            kind = "small"
        flat = int_values(rng, n, kind, dtype)
    if dtype in INTS:
        arr = np.array(flat, dtype=object).reshape(shape).astype(NP[dtype]) if n else np.zeros(shape, NP[dtype])
    else:
        with np.errstate(over="ignore"):
            arr = np.array(flat, dtype=np.float64 if dtype in FLOATS else np.bool_).reshape(shape).astype(NP[dtype])
    src = np.array(flat, dtype=object).reshape(shape).tolist() if shape else flat[0]
    return src, arr


def fmt_scalar(x):
    if isinstance(x, (bool, np.bool_)):
        return "True" if x else "False"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def fmt_literal(src):
    if isinstance(src, list):
        return "[" + ", ".join(fmt_literal(v) for v in src) + "]"
    return fmt_scalar(src)


# ------------------------------------------------------------------ views
def make_view(rng, shape, kind):
    """(leaf_shape, code suffix, numpy function leaf -> view) giving a view of `shape`."""
    shape = tuple(shape)
    nd = len(shape)
    if kind == "transposed" and nd >= 2:
        leaf = shape[:-2] + (shape[-1], shape[-2])
        return leaf, ".transpose(-1, -2)", lambda a: np.swapaxes(a, -1, -2)
    if kind == "t" and nd == 2:
        return (shape[1], shape[0]), ".t()", lambda a: a.T
    if kind == "permuted" and nd >= 2:
        p = [int(i) for i in rng.permutation(nd)]
        leaf = [0] * nd
        for i, d in enumerate(p):
            leaf[d] = shape[i]
        return tuple(leaf), f".permute({', '.join(map(str, p))})", lambda a, p=p: np.transpose(a, p)
    if kind == "strided" and nd >= 1:
        key, leaf = [], []
        for s in shape:
            step = pick(rng, [1, 2, 3])
            off = pick(rng, [0, 1])
            if s == 0:
                leaf.append(off)
                key.append(slice(off, None, step))
            else:
                leaf.append(off + (s - 1) * step + 1 + int(rng.integers(0, step)))
                key.append(slice(off, None, step))
        code = "[" + ", ".join(f"{k.start or ''}::{k.step}" if k.step != 1 else f"{k.start or ''}:" for k in key) + "]"
        code = code.replace("[:, ", "[:, ")
        return tuple(leaf), code, lambda a, key=tuple(key): a[key]
    if kind == "expanded" and nd >= 1:
        leaf = [1 if (s != 0 and chance(rng, 0.6)) else s for s in shape]
        if leaf == list(shape) and any(s > 1 for s in shape):
            i = pick(rng, [i for i, s in enumerate(shape) if s > 1])
            leaf[i] = 1
        drop = 0
        while drop < nd - 1 and leaf[drop] == 1 and chance(rng, 0.4):
            drop += 1
        leaf = tuple(leaf[drop:])
        return leaf, f".expand({', '.join(map(str, shape))}{',' if nd == 1 else ''})", \
            lambda a, shape=shape: np.broadcast_to(a, shape)
    if kind == "sliced" and nd >= 1:  # a storage offset
        leaf = (shape[0] + 1,) + shape[1:]
        return leaf, "[1:]", lambda a: a[1:]
    return shape, "", lambda a: a


VIEW_KINDS = ["contiguous", "transposed", "t", "permuted", "strided", "expanded", "sliced"]
VIEW_P = [0.45, 0.1, 0.05, 0.1, 0.15, 0.1, 0.05]


def pick_view(rng):
    return pick(rng, VIEW_KINDS, p=VIEW_P)


# ------------------------------------------------------------------ scalars
def rand_scalar(rng, kind=None):
    """(source, value) of a Python scalar operand."""
    kind = kind or pick(rng, ["int", "float", "bool"], p=[0.45, 0.45, 0.1])
    if kind == "bool":
        v = chance(rng, 0.5)
        return fmt_scalar(v), v
    if kind == "int":
        r = rng.random()
        if r < 0.8:
            v = int(rng.integers(-5, 6))
        else:
            v = pick(rng, [0, -1, 255, 256, 2 ** 31 - 1, -2 ** 31, 2 ** 31, 2 ** 63 - 1, -2 ** 63, 2 ** 32 + 1])
        return fmt_scalar(v), v
    r = rng.random()
    if r < 0.75:
        v = float(rng.integers(-12, 13)) / 4.0
    else:
        v = pick(rng, [0.0, -0.0, math.nan, math.inf, -math.inf, 0.1, 1e30, -1e-30, 1e300, 2.5])
    return fmt_scalar(v), v
