"""The call generator: one random, self-contained call per (seed, index), with its numpy reference.

generate(seed, index) -> Call. A Call holds Python source (setup lines that build the inputs, a body
that assigns `out`), the op family and name, tags naming notable conditions (known_differences.py
matches on them), and a reference function of the inputs' values (see ref.py). The same source runs on
tinygrad_ext and, when it is importable, on PyTorch; the source is the repro.
"""
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import ref as R
from .ref import Py, Raises, Shape, Tup, as_ref, out, promote, result_type, wrap_dim, wrap_dims
from .values import (DTYPES, FLOATS, INTS, LIMITS, NP, bad_partner, broadcast_partner, chance, fmt_literal,
                     fmt_scalar, gen_values, make_view, pick, pick_view, rand_scalar, rand_shape)

PRELUDE = ("import tinygrad_ext as torch\nimport tinygrad_ext.nn.functional as F\nimport numpy as np\n"
           "nan, inf = float('nan'), float('inf')\n")

GRAD_CODE = ("_o = out if isinstance(out, torch.Tensor) else out[0]\n"
             "_w = torch.tensor([0.5 + (i * 7 % 11) / 10 for i in range(_o.numel())], dtype=_o.dtype)"
             ".reshape(_o.shape)\n"
             "(_o * _w).sum().backward()\n")


def grad_weights(shape):
    n = math.prod(shape)
    return np.array([0.5 + (i * 7 % 11) / 10 for i in range(n)], dtype=np.float64).reshape(shape)


@dataclass
class TIn:
    """A tensor input: its name in the code, dtype, the values of the (possibly strided) view, its leaf."""
    name: str
    dtype: str
    arr: np.ndarray
    leaf: str
    leaf_arr: np.ndarray
    view_fn: object
    view: str
    requires_grad: bool = False
    overlap: bool = False         # some element is reachable twice (an expanded view)
    strides: tuple = ()           # element strides of the view (as torch has them)

    @property
    def shape(self):
        return tuple(self.arr.shape)

    @property
    def ndim(self):
        return self.arr.ndim

    @property
    def kind(self):  # for type promotion
        return "zero" if self.arr.ndim == 0 else "dim"


@dataclass
class Call:
    seed: int
    index: int
    family: str = ""
    op: str = ""
    setup: list = field(default_factory=list)
    body: str = ""
    ref: object = None            # function(dict name -> view array) -> Val/Tup/Py/Shape/Raises/None
    inputs: dict = field(default_factory=dict)
    grad: bool = False
    grad_leaves: list = field(default_factory=list)
    smooth: bool = False          # numeric gradients are meaningful (numpy mode)
    tags: set = field(default_factory=set)
    terms: int = 1                # summands per output element (tolerance)
    order: int = 1                # polynomial degree in the inputs (tolerance)
    inplace: str = None           # the input an in-place op writes
    rtol_scale: float = 1.0
    grad_tol_scale: float = 1.0
    grad_checked: bool = False    # set by the judge when gradients were compared

    def code(self, with_grad=None):
        """The standalone repro: prelude, setup, body (and the backward pass when grads are checked)."""
        lines = PRELUDE + "\n".join(self.setup) + "\n" + self.body + "\n"
        if self.grad if with_grad is None else with_grad:
            lines += GRAD_CODE + "".join(f"print({k}.grad)\n" for k in self.grad_leaves)
        else:
            lines += "print(out)\n"
        return lines

    def worker_payload(self):
        return {"index": self.index, "setup": "\n".join(self.setup), "body": self.body, "grad": self.grad,
                "grad_code": GRAD_CODE, "grad_leaves": list(self.grad_leaves)}

    def values(self):
        return {k: t.arr for k, t in self.inputs.items()}

    def expected(self):
        """The reference's verdict on the actual inputs (None: no opinion)."""
        if self.ref is None:
            return None
        try:
            with R.ignore_np_warnings(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = self.ref(self.values())
        except Raises as e:
            return e
        except _NoOpinion:
            return None
        if self.float32_overflow_risk() and not isinstance(r, Shape):
            return None  # float32 intermediates may overflow where the float64 reference does not
        return r

    def float32_overflow_risk(self):
        m, m64 = 0.0, 0.0
        for t in self.inputs.values():
            if t.dtype == "float64" and t.arr.size:
                a = np.abs(t.arr.astype(np.float64))
                a = a[np.isfinite(a)]
                if a.size:
                    m64 = max(m64, float(a.max()))
            if t.dtype == "float32" and t.arr.size:
                a = np.abs(t.arr.astype(np.float64))
                a = a[np.isfinite(a)]
                if a.size:
                    m = max(m, float(a.max()))
        with np.errstate(over="ignore"):
            return bool(np.float64(m) ** min(self.order, 4) * self.terms > 1e37 or
                        np.float64(m64) ** min(self.order, 4) * self.terms > 1e300)

    def dtypes(self):
        return {k: t.dtype for k, t in self.inputs.items()}

    def magnitude(self):
        m = 1.0
        for t in self.inputs.values():
            if t.dtype in FLOATS and t.arr.size:
                a = np.abs(t.arr.astype(np.float64))
                a = a[np.isfinite(a)]
                if a.size:
                    m = max(m, float(a.max()))
            elif t.dtype in INTS and t.arr.size:
                m = max(m, float(np.abs(t.arr.astype(np.float64)).max()))
        return m


class Ctx:
    def __init__(self, rng, call, grad):
        self.rng, self.call, self.grad = rng, call, grad
        self.names = iter("abcdefghijkmnpqrsuvxyz")

    # -------------------------------------------------------- inputs
    def tensor(self, shape, dtype, kind=None, view=None, grad=True, nonleaf=False, name=None, values=None):
        rng = self.rng
        name = name or next(self.names)
        shape = tuple(shape)
        view = view or pick_view(rng)
        leaf_shape, suffix, fn = make_view(rng, shape, view)
        if values is not None:  # explicit values (index tensors): no strided view of them
            leaf_shape, suffix, fn = shape, "", (lambda a: a)
            arr = np.asarray(values).astype(NP[dtype])
            src = arr.tolist()
        else:
            src, arr = gen_values(rng, leaf_shape, dtype, kind)
        rg = bool(self.grad and grad and dtype in FLOATS)
        dt = f"dtype=torch.{dtype}"
        if 0 in leaf_shape:
            ctor = f"torch.zeros({leaf_shape}, {dt}{', requires_grad=True' if rg else ''})"
        else:
            ctor = f"torch.tensor({fmt_literal(src)}, {dt}{', requires_grad=True' if rg else ''})"
        if rg and (suffix or nonleaf):
            leaf = name + "L"
            self.call.setup.append(f"{leaf} = {ctor}")
            self.call.setup.append(f"{name} = {leaf}{'.clone()' if nonleaf else ''}{suffix}")
        elif suffix and chance(rng, 0.5):  # the base stays visible: its state is checked after the call too
            leaf = name + "L"
            self.call.setup.append(f"{leaf} = {ctor}")
            self.call.setup.append(f"{name} = {leaf}{suffix}")
        else:
            leaf = name
            self.call.setup.append(f"{name} = {ctor}{suffix}")
        v = fn(arr)
        overlap = v.size > 0 and any(st == 0 and n > 1 for st, n in zip(v.strides, v.shape))
        t = TIn(name, dtype, np.array(v), leaf, arr, fn, view if suffix else "contiguous", rg, overlap,
                tuple(st // max(v.itemsize, 1) for st in v.strides))
        self.call.inputs[name] = t
        if rg:
            self.call.grad_leaves.append(leaf)
            self.call.grad = True
        if view == "expanded" and suffix:
            self.call.tags.add("expanded_input")
        return t

    def index(self, shape, size, dtype="int64", bad_p=0.1, neg_p=0.15, name=None):
        """An index tensor with values for a dim of `size` (sometimes negative or out of range)."""
        rng = self.rng
        n = math.prod(shape)
        vals = []
        for _ in range(n):
            r = rng.random()
            if size and r >= bad_p + neg_p:
                vals.append(int(rng.integers(0, size)))
            elif r < bad_p or not size:
                vals.append(pick(rng, [size, size + 1, -size - 1, 2 ** 31, -2 ** 63, 2 ** 63 - 1]))
            else:
                vals.append(int(rng.integers(-size, 0)))
        arr = np.array(vals, dtype=np.int64).reshape(shape) if n else np.zeros(shape, np.int64)
        if dtype != "int64":
            arr = R.cast(arr, dtype)
        if np.any(arr < 0):
            self.call.tags.add("negative_index")
        if size is not None and np.any(arr >= size):
            self.call.tags.add("index_out_of_range")
        return self.tensor(shape, dtype, values=arr, grad=False, name=name)

    def scalar(self, kind=None):
        return rand_scalar(self.rng, kind)

    def dtype(self, p_float=0.5):
        if chance(self.rng, p_float):
            return pick(self.rng, list(FLOATS))
        return pick(self.rng, list(DTYPES))


def check_overlap(t):
    """In-place writes into a view with internal overlap raise (torch's assert_no_internal_overlap)."""
    if t.overlap:
        raise Raises(RuntimeError, why="in-place write into an expanded (overlapping) tensor")


def check_scalar_fits(v, dtype):
    """torch converts a Python scalar for fill-like ops with an overflow check."""
    if isinstance(v, bool) or v is None:
        return
    if isinstance(v, int) and dtype in INTS:
        lo, hi = LIMITS[dtype]
        if dtype == "uint8":
            lo = -255  # torch lets negative values wrap into unsigned types
        if not lo <= v <= hi:
            raise Raises(RuntimeError, why=f"value cannot be converted to {dtype} without overflow")
    if isinstance(v, float) and dtype in INTS and not (math.isfinite(v) and LIMITS[dtype][0] <= v <= LIMITS[dtype][1]):
        raise Raises(RuntimeError, why=f"value cannot be converted to {dtype} without overflow")
    if isinstance(v, float) and dtype == "float32" and math.isfinite(v) and abs(v) > 3.4028234663852886e38:
        raise Raises(RuntimeError, why="value cannot be converted to float without overflow")
    if isinstance(v, int) and dtype == "float32" and abs(v) > 3.4028234663852886e38:
        raise Raises(RuntimeError, why="value cannot be converted to float without overflow")


def _kind(x):
    """Type-promotion kind of an operand: a TIn or a Python scalar."""
    if isinstance(x, TIn):
        return (x.kind, x.dtype)
    return ("wrapped", R.scalar_dtype(x))


def _val(x, V):
    return V[x.name] if isinstance(x, TIn) else x


def _shape(x):
    return x.shape if isinstance(x, TIn) else ()


def _dim_arg_code(dims):
    if isinstance(dims, tuple):
        return "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"
    return str(dims)


def rand_dim(rng, nd, bad_p=0.08):
    n = max(nd, 1)
    if chance(rng, bad_p):
        return pick(rng, [n, n + 1, -n - 1, 5])
    return int(rng.integers(-n, n))


# ================================================================ unary
UNARY_FLOAT = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x), "tanh": np.tanh,
               "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "sin": np.sin, "cos": np.cos, "log1p": np.log1p,
               "expm1": np.expm1, "reciprocal": lambda x: 1 / x}
UNARY_KEEP = ["neg", "abs", "sign", "floor", "ceil", "round", "trunc", "square", "relu"]
UNARY_BOOL = {"isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite}
SMOOTH_UNARY = set(UNARY_FLOAT) | {"neg", "square"}
INPLACE_UNARY = {"exp", "log", "sqrt", "tanh", "sigmoid", "neg", "abs", "relu"}
DOMAIN = {"log": "positive", "sqrt": "positive", "rsqrt": "positive", "reciprocal": "nonzero", "log1p": "positive"}


def fam_unary(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, list(UNARY_FLOAT) + UNARY_KEEP + list(UNARY_BOOL) + ["logical_not", "bitwise_not"])
    dtype = ctx.dtype(0.6)
    kind = DOMAIN.get(op) if chance(rng, 0.6) else None
    inplace = op in INPLACE_UNARY and chance(rng, 0.2)
    a = ctx.tensor(rand_shape(rng), dtype, kind=kind, nonleaf=inplace)
    forms = [f"torch.{op}(a)", f"a.{op}()"]
    if op == "neg":
        forms.append("-a")
    if op == "abs":
        forms.append("abs(a)")
    if op == "bitwise_not":
        forms.append("~a")
    if op in ("relu", "tanh", "sigmoid"):
        forms.append(f"F.{op}(a)")
    if inplace:
        c.body = f"out = a.{op}_()"
        c.inplace = "a"
    else:
        c.body = f"out = {pick(rng, forms)}"
    c.op = op + ("_" if inplace else "")
    c.smooth = op in SMOOTH_UNARY and not inplace

    def reference(V):
        x = V["a"]
        dt = dtype
        if inplace:
            check_overlap(a)
        if op == "bitwise_not" and dt in FLOATS and c.body == "out = ~a":
            raise Raises(TypeError, why="~ on a float tensor")
        if op in UNARY_FLOAT:
            odt = dt if dt in FLOATS else "float32"
            res = out(UNARY_FLOAT[op](as_ref(R.cast(x, odt), odt)), odt)
        elif op in UNARY_BOOL:
            res = out(UNARY_BOOL[op](x.astype(np.float64)) if dt in FLOATS else
                      np.full(x.shape, op == "isfinite"), "bool")
        elif op == "logical_not":
            res = out(x == 0, "bool")
        elif op == "bitwise_not":
            if dt in FLOATS:
                raise Raises(NotImplementedError, why="bitwise_not on float")
            res = out(~x, dt) if dt != "bool" else out(~x.astype(np.bool_), "bool")
        elif dt == "bool":
            if op in ("abs", "floor", "ceil", "round", "trunc"):
                raise Raises(NotImplementedError, why=f"{op} on bool")
            if op in ("neg", "relu"):
                raise Raises(RuntimeError, why=f"{op} on bool")
            res = out(x, "bool") if op == "sign" else out(x.astype(np.int64) * x.astype(np.int64), "int64")
        else:
            w = as_ref(x, dt)
            if op == "neg":
                r = -w
            elif op == "abs":
                r = np.abs(w)
            elif op == "sign":
                r = np.where(np.isnan(w), 0.0, np.sign(w)) if dt in FLOATS else np.sign(w)
            elif op in ("floor", "ceil", "round", "trunc"):
                r = getattr(np, {"round": "round"}.get(op, op))(x) if dt in FLOATS else w
                r = np.asarray(r, dtype=np.float64) if dt in FLOATS else r
            elif op == "square":
                r = w * w
            else:  # relu
                r = np.where(w > 0, w, np.where(np.isnan(w) if dt in FLOATS else False, w, 0))
            res = out(r, dt)
        if inplace and not R.can_cast(res.dtype, dtype):
            raise Raises(RuntimeError, why="in-place result cannot be cast")
        if inplace:
            res = out(res.arr, dtype)
        return res
    c.ref = reference


# ================================================================ binary
ARITH = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "floor_divide": "//", "remainder": "%",
         "bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^", "maximum": None, "minimum": None,
         "logical_and": None, "logical_or": None, "logical_xor": None}
COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
REFLECT = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}
INPLACE_BINARY = {"add", "sub", "mul", "div", "pow", "bitwise_and", "bitwise_or", "bitwise_xor", "floor_divide",
                  "remainder"}
INPLACE_OPERATOR = {"add": "+=", "sub": "-=", "mul": "*=", "div": "/=", "bitwise_and": "&=", "bitwise_or": "|=",
                    "bitwise_xor": "^=", "floor_divide": "//=", "remainder": "%=", "pow": "**="}


def _binary_operands(ctx, op, inplace):
    rng = ctx.rng
    dtype_a = ctx.dtype(0.55)
    dtype_b = dtype_a if chance(rng, 0.5) else ctx.dtype(0.5)
    sa = rand_shape(rng)
    kind_a = kind_b = None
    if op in ("div", "floor_divide", "remainder") and chance(rng, 0.5):
        kind_b = "nonzero" if dtype_b in FLOATS else "positive"
    if op == "pow" and chance(rng, 0.6):
        kind_a = "positive"
        kind_b = "unit" if dtype_b in FLOATS else "positive"
    a = ctx.tensor(sa, dtype_a, kind=kind_a, nonleaf=inplace)
    form = pick(rng, ["tensor", "scalar", "rscalar"], p=[0.6, 0.3, 0.1])
    if inplace and form == "rscalar":
        form = "scalar"
    if form == "tensor":
        r = rng.random()
        sb = bad_partner(rng, sa) if r < 0.08 else broadcast_partner(rng, sa)
        if sb is None:
            sb = sa
        if sb != sa and r < 0.08:
            ctx.call.tags.add("bad_shape")
        b = ctx.tensor(sb, dtype_b, kind=kind_b)
        return a, b, "b", form
    if op == "pow" and kind_a == "positive":
        src, v = ctx.scalar("float" if chance(rng, 0.5) else "int")
        if isinstance(v, int):
            v = int(rng.integers(-2, 4))
            src = str(v)
    else:
        src, v = ctx.scalar()
    if op in ("floor_divide", "remainder", "div") and v == 0 and chance(rng, 0.5):
        src, v = "3", 3
    return a, v, src, form


def fam_binary(ctx, compare=False):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, list(COMPARE) if compare else list(ARITH))
    inplace = (not compare) and op in INPLACE_BINARY and chance(rng, 0.2)
    a, b, bsrc, form = _binary_operands(ctx, op, inplace)
    sym = (COMPARE if compare else ARITH)[op]
    alpha = None
    if inplace:
        c.inplace = "a"
        if op in INPLACE_OPERATOR and chance(rng, 0.4):
            c.body = f"a {INPLACE_OPERATOR[op]} {bsrc}\nout = a"
            c.op = op + "_op="
            if op in ("floor_divide", "remainder", "pow"):
                c.tags.add("augmented_assign_no_inplace_method")
        else:
            c.body = f"out = a.{op}_({bsrc})"
            c.op = op + "_"
    elif form == "rscalar":
        if bsrc.startswith("-"):
            bsrc = f"({bsrc})"  # -2 ** a is -(2 ** a)
        if compare:
            c.body = f"out = {bsrc} {COMPARE[REFLECT[op]]} a"
        elif sym:
            c.body = f"out = {bsrc} {sym} a"
        else:
            c.body = f"out = torch.{op}(a, {bsrc})"
            form = "scalar"
        c.op = op + ("" if form == "scalar" else "(reflected)")
    else:
        forms = [f"torch.{op}(a, {bsrc})", f"a.{op}({bsrc})"]
        if sym:
            forms.append(f"a {sym} {bsrc}")
        c.body = "out = " + pick(rng, forms)
        if op in ("add", "sub") and chance(rng, 0.2):
            alpha = pick(rng, [2, -1, 0, 0.5, True])
            c.body = f"out = torch.{op}(a, {bsrc}, alpha={fmt_scalar(alpha)})"
        c.op = op
    c.tags.add(f"form_{form}")
    c.smooth = op in ("add", "sub", "mul", "div") or (op == "pow" and a.dtype in FLOATS)
    c.order = 2 if op in ("mul", "pow") else 1

    def reference(V):
        x = V["a"]
        y = _val(b, V)
        if op in ("maximum", "minimum") or op.startswith("logical_"):
            if not isinstance(b, TIn):
                raise Raises(TypeError, why=f"{op} takes a Tensor, not a number")
        bkind = _kind(b)
        operands = [_kind(a), bkind]
        shape = R.broadcast_shapes(_shape(a), _shape(b))
        rdt = result_type(*operands)
        if op == "sub" and "bool" in (a.dtype, bkind[1]):
            raise Raises(RuntimeError, why="sub with a bool operand")
        if alpha is not None and rdt not in FLOATS and isinstance(alpha, float):
            raise Raises(RuntimeError, why="float alpha for integral inputs")
        if alpha is not None and isinstance(alpha, bool) and rdt != "bool":
            raise Raises(RuntimeError, why="Boolean alpha only supported for Boolean results")
        odt = rdt
        if op == "div" and rdt not in FLOATS:
            odt = "float32"
        if compare or op.startswith("logical_"):
            odt = "bool"
        if inplace:
            if shape != a.shape:
                raise Raises(RuntimeError, why="in-place output shape")
            if not R.can_cast(odt, a.dtype):
                raise Raises(RuntimeError, why="in-place result cannot be cast")
            check_overlap(a)
        if op in ("bitwise_and", "bitwise_or", "bitwise_xor") and rdt in FLOATS:
            raise Raises(NotImplementedError, why="bitwise op on float")
        if rdt == "bool" and op in ("floor_divide", "remainder", "pow"):
            if op == "pow" and not math.prod(shape):
                return None  # torch's pow returns early for empty tensors
            raise Raises(NotImplementedError, why=f"{op} on bool")
        if form == "rscalar" and not compare:
            x, y = np.asarray(y), x  # `scalar op a`: the scalar is the left operand
        # the computation, in the common dtype
        cdt = "float32" if (op == "div" and rdt not in FLOATS) else rdt
        if isinstance(y, float) and cdt not in FLOATS and not op.startswith("logical_"):
            return None
        if alpha is not None and isinstance(alpha, float) and cdt not in FLOATS:
            return None
        X, Y = as_ref(R.cast(np.asarray(x), cdt), cdt), as_ref(R.cast(np.asarray(y), cdt), cdt)
        X, Y = np.broadcast_to(X, shape), np.broadcast_to(Y, shape)
        if alpha is not None:
            Y = Y * as_ref(R.cast(np.asarray(alpha), cdt), cdt)
        if op == "pow" and not isinstance(b, TIn) and form != "rscalar" and cdt in FLOATS:
            Y = np.broadcast_to(np.float64(y), shape)  # a scalar exponent stays double
        if op.startswith("logical_"):
            xb, yb = R.cast(np.asarray(x), "bool"), R.cast(np.asarray(y), "bool")
            fn = {"logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor}[op]
            return out(np.broadcast_to(fn(xb, yb), shape), "bool") if not inplace else None
        if compare:
            fn = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
                  "ge": np.greater_equal}[op]
            return out(fn(X, Y), "bool")
        if cdt == "bool":
            Xi, Yi = X.astype(np.int64), Y.astype(np.int64)
            r = {"add": Xi + Yi, "mul": Xi * Yi, "maximum": np.maximum(Xi, Yi), "minimum": np.minimum(Xi, Yi),
                 "bitwise_and": Xi & Yi, "bitwise_or": Xi | Yi, "bitwise_xor": Xi ^ Yi}.get(op)
            if r is None:
                return None
            res = out(r != 0, "bool")
        elif cdt in INTS:
            if op in ("floor_divide", "remainder") and np.any(Y == 0) and math.prod(shape):
                raise Raises(RuntimeError, ZeroDivisionError, why="integer division by zero")
            if op == "pow":
                if not isinstance(b, TIn) and form != "rscalar" and isinstance(y, int) and y < 0:
                    raise Raises(RuntimeError, why="integers to negative integer powers")
                scalar_exp = not isinstance(b, TIn) and form != "rscalar" and isinstance(y, int)
                if scalar_exp:
                    if y < 0:
                        raise Raises(RuntimeError, why="integers to negative integer powers")
                    check_scalar_fits(y, cdt)  # torch: 'value cannot be converted to type int without overflow'
                elif np.any(Y < 0):
                    return None
                r = np.array([pow(int(p), int(q), 1 << 64) for p, q in zip(X.ravel(), Y.ravel())],
                             dtype=object).reshape(shape)
                r = np.array([(v - (1 << 64)) if v >= 1 << 63 else v for v in r.ravel()],
                             dtype=np.int64).reshape(shape)
            elif op in ("floor_divide", "remainder"):
                if np.any((X == np.iinfo(np.int64).min) & (Y == -1)):
                    c.tags.add("int_min_div_minus_one")
                    return None
                r = np.floor_divide(X, Y) if op == "floor_divide" else np.remainder(X, Y)
            else:
                r = {"add": lambda: X + Y, "sub": lambda: X - Y, "mul": lambda: X * Y,
                     "maximum": lambda: np.maximum(X, Y), "minimum": lambda: np.minimum(X, Y),
                     "bitwise_and": lambda: X & Y, "bitwise_or": lambda: X | Y,
                     "bitwise_xor": lambda: X ^ Y}[op]()
            res = out(r, cdt)
        else:
            if op in ("floor_divide", "remainder"):  # in the dtype's own precision (discontinuous ops)
                Xn, Yn = X.astype(NP[cdt]), Y.astype(NP[cdt])
                q = Xn / Yn
                if np.any(np.isinf(q) & np.isfinite(Xn) & np.isfinite(Yn) & (Yn != 0)):
                    return None  # the quotient overflows: torch's kernels and numpy's differ
                r = (np.floor_divide(Xn, Yn) if op == "floor_divide" else np.remainder(Xn, Yn)).astype(np.float64)
            else:
                r = {"add": lambda: X + Y, "sub": lambda: X - Y, "mul": lambda: X * Y, "div": lambda: X / Y,
                     "pow": lambda: np.power(X, Y), "maximum": lambda: np.maximum(X, Y),
                     "minimum": lambda: np.minimum(X, Y)}[op]()
            res = out(r, cdt)
        if odt != res.dtype:
            res = out(res.arr, odt)
        if inplace:
            res = out(res.arr, a.dtype)
        return res
    c.ref = reference


def fam_compare(ctx):
    fam_binary(ctx, compare=True)


# ================================================================ reductions
REDUCE_OPS = ["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "any", "all", "var", "std",
              "norm", "cumsum", "max_dim", "min_dim"]


def fam_reduce(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, REDUCE_OPS)
    dtype = ctx.dtype(0.6)
    a = ctx.tensor(rand_shape(rng, max_numel=40), dtype)
    nd = a.ndim
    keepdim = chance(rng, 0.4)
    args, dims = [], None
    name = op.replace("_dim", "")
    if op in ("max_dim", "min_dim", "cumsum"):
        dims = rand_dim(rng, nd)
        args.append(str(dims))
    elif op in ("argmax", "argmin"):
        if chance(rng, 0.6):
            dims = rand_dim(rng, nd)
            args.append(str(dims))
    elif op in ("sum", "mean", "amax", "amin", "var", "std", "norm", "prod", "any", "all"):
        r = rng.random()
        if r < 0.3 and op not in ("amax", "amin"):
            dims = None
        elif r < 0.75 or op in ("prod",):
            dims = rand_dim(rng, nd)
        else:
            k = int(rng.integers(1, max(nd, 1) + 1))
            dims = tuple(rand_dim(rng, nd, 0.05) for _ in range(k))
        if dims is not None:
            args.append(_dim_arg_code(dims))
    kw = []
    if keepdim and op not in ("cumsum",) and (dims is not None or op in ("argmax", "argmin")):
        kw.append("keepdim=True")
    else:
        keepdim = False
    kdt = None
    if op in ("sum", "cumsum", "prod", "mean") and chance(rng, 0.15):
        kdt = pick(rng, list(DTYPES))
        kw.append(f"dtype=torch.{kdt}")
    correction = None
    if op in ("var", "std") and chance(rng, 0.3):
        correction = pick(rng, [0, 1, 2])
        kw.append(f"correction={correction}")
    p = None
    if op == "norm" and chance(rng, 0.4):
        p = pick(rng, [1, 2, "inf"])
        args.insert(0, "p=" + ("float('inf')" if p == "inf" else str(p)))
    if op == "norm":
        allargs = ", ".join(args[:1] + [f"dim={args[1]}"] + kw) if p is not None and len(args) > 1 else \
            ", ".join((args if p is not None else [f"dim={x}" for x in args]) + kw)
        c.body = (f"out = a.norm({allargs})" if chance(rng, 0.5)
                  else f"out = torch.norm(a{', ' if allargs else ''}{allargs})")
    else:
        allargs = ", ".join(args + kw)
        c.body = pick(rng, [f"out = torch.{name}(a{', ' if allargs else ''}{allargs})", f"out = a.{name}({allargs})"])
    c.op = op if op not in ("max", "min") else op + "_all"
    c.terms = max(1, a.arr.size)
    c.smooth = op in ("sum", "mean", "var", "std", "cumsum") or (op == "norm" and p in (None, 2))
    c.order = 2 if op in ("var", "std", "prod", "norm") else 1
    if op == "prod":
        c.order = max(2, a.arr.size)

    def reduce_dims():
        if dims is None:
            return list(range(nd))
        return wrap_dims(list(dims) if isinstance(dims, tuple) else [dims], nd)

    def finish(r, odt, dl):
        r = np.asarray(r)
        if keepdim:
            r = r.reshape([1 if i in dl else s for i, s in enumerate(a.shape)])
        return out(r, odt)

    def reference(V):
        x = V["a"]
        dt = dtype
        int_grad = kdt and kdt not in FLOATS and a.requires_grad and op in ("sum", "prod", "cumsum")
        if op == "cumsum":
            d = wrap_dim(dims, nd)
            if int_grad:
                raise Raises(RuntimeError, why="autograd does not support an integer result dtype")
            odt = kdt or ("int64" if dt not in FLOATS else dt)
            if dt in FLOATS and odt not in FLOATS and not R.float_to_int_defined(x, odt):
                return Shape(x.shape, odt)  # undefined float -> int conversion
            if odt == "bool" and x.size and nd:
                raise Raises(NotImplementedError, why="cumsum to bool")
            w = as_ref(R.cast(x, odt), odt)
            return out(np.cumsum(w, axis=d) if nd else w, odt)
        if op in ("max_dim", "min_dim"):
            d = wrap_dim(dims, nd)
            if nd and a.shape[d] == 0:
                raise Raises(IndexError, why="reduction over a zero-size dim")
            w = as_ref(x, dt).astype(np.float64) if dt in FLOATS else as_ref(x, dt)
            if not nd:
                return Tup([out(w, dt), out(np.array(0), "int64")])
            idx = (np.argmax if op == "max_dim" else np.argmin)(w, axis=d)
            vals = np.take_along_axis(w, np.expand_dims(idx, d), d).squeeze(d)
            if keepdim:
                idx, vals = np.expand_dims(idx, d), np.expand_dims(vals, d)
            return Tup([out(vals, dt), out(idx, "int64")])
        if op in ("max", "min"):
            if x.size == 0:
                raise Raises(RuntimeError, why="max() of an empty tensor")
            w = as_ref(x, dt)
            return out((np.max if op == "max" else np.min)(w), dt)
        if op in ("argmax", "argmin"):
            if dt == "bool":
                raise Raises(RuntimeError, why="argmax on bool")
            w = as_ref(x, dt)
            if dims is None:
                if x.size == 0:
                    raise Raises(IndexError, why="argmax of an empty tensor")
                r = (np.argmax if op == "argmax" else np.argmin)(w.ravel())
                return out(np.reshape(r, [1] * nd) if keepdim else r, "int64")
            d = wrap_dim(dims, nd)
            if not nd:
                return out(0, "int64")
            if a.shape[d] == 0:
                raise Raises(IndexError, why="argmax over a zero-size dim")
            r = (np.argmax if op == "argmax" else np.argmin)(w, axis=d)
            return out(np.expand_dims(r, d) if keepdim else r, "int64")
        if op == "mean" and (kdt or dt) not in FLOATS:
            raise Raises(RuntimeError, why="mean of an integer tensor")
        if op in ("var", "std", "norm") and dt not in FLOATS:
            raise Raises(RuntimeError, why=f"{op} of an integer tensor")
        if op in ("amax", "amin") and isinstance(dims, tuple) and nd and \
                any(-nd <= d < nd and a.shape[d] == 0 for d in dims):
            raise Raises(IndexError, RuntimeError, why="zero-size dim (and maybe a repeated dim)")
        dl = reduce_dims()
        ax = tuple(dl)
        if int_grad:
            raise Raises(RuntimeError, why="autograd does not support an integer result dtype")
        if op in ("amax", "amin"):
            if any(a.shape[wrap_dim(d, nd)] == 0 for d in
                   ([] if dims is None else list(dims) if isinstance(dims, tuple) else [dims]) if nd):
                raise Raises(IndexError, why="amax over a zero-size dim")
            if any(a.shape[d] == 0 for d in dl):
                raise Raises(IndexError, why="amax over a zero-size dim")
            w = as_ref(x, dt)
            return finish((np.max if op == "amax" else np.min)(w, axis=ax) if nd else w, dt, dl)
        if op in ("any", "all"):
            odt = "uint8" if dt == "uint8" else "bool"
            w = R.cast(x, "bool")
            return finish((np.any if op == "any" else np.all)(w, axis=ax) if nd else w, odt, dl)
        if op in ("sum", "prod"):
            odt = kdt or ("int64" if dt not in FLOATS else dt)
            if kdt and not R.can_cast(dt, kdt) and dt in FLOATS:
                return None
            w = as_ref(R.cast(x, odt), odt)
            return finish((np.sum if op == "sum" else np.prod)(w, axis=ax) if nd else w, odt, dl)
        if op == "mean":
            odt = kdt or dt
            if odt not in FLOATS:
                raise Raises(RuntimeError, why="mean of an integer tensor")
            if kdt and dt in FLOATS and kdt != dt:
                return None
            w = as_ref(R.cast(x, odt), odt)
            return finish(np.mean(w, axis=ax) if nd else w, odt, dl)
        if op in ("var", "std"):
            if dt not in FLOATS:
                raise Raises(RuntimeError, why="var of an integer tensor")
            w = as_ref(x, dt)
            n = math.prod(a.shape[d] for d in dl) if nd else 1
            corr = 1 if correction is None else correction
            mu = np.mean(w, axis=ax, keepdims=True) if nd else w
            s = np.sum((w - mu) ** 2, axis=ax) if nd else (w - mu) ** 2
            r = s / max(n - corr, 0) if max(n - corr, 0) else s / 0.0
            return finish(np.sqrt(r) if op == "std" else r, dt, dl)
        if op == "norm":
            if dt not in FLOATS:
                raise Raises(RuntimeError, why="norm of an integer tensor")
            if p is None and isinstance(dims, tuple) and len(dims) > 2:
                raise Raises(RuntimeError, why="frobenius norm over more than 2 dims")
            w = np.abs(as_ref(x, dt))
            if p == 1:
                r = np.sum(w, axis=ax) if nd else w
            elif p == "inf":
                if any(a.shape[d] == 0 for d in dl):
                    raise Raises(IndexError, RuntimeError, why="inf-norm over a zero-size dim")
                r = np.max(w, axis=ax) if nd else w
            else:
                r = np.sqrt(np.sum(w * w, axis=ax)) if nd else w
            return finish(r, dt, dl)
        return None
    c.ref = reference


# ================================================================ matmul
def fam_matmul(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, ["mm", "bmm", "matmul", "@", "mv", "dot", "addmm", "linear"])
    dtype = pick(rng, list(FLOATS)) if chance(rng, 0.8) else ctx.dtype(0.3)
    dtype_b = dtype if chance(rng, 0.9) else ctx.dtype(0.5)
    m, k, n = (int(rng.integers(0, 5)) if chance(rng, 0.15) else int(rng.integers(1, 5)) for _ in range(3))
    bad = chance(rng, 0.1)
    k2 = k + 1 if bad else k
    if bad:
        c.tags.add("bad_shape")
    kind = "grid" if chance(rng, 0.5) else None
    if op == "mm":
        a, b = ctx.tensor((m, k), dtype, kind), ctx.tensor((k2, n), dtype_b, kind)
        c.body = pick(rng, ["out = torch.mm(a, b)", "out = a.mm(b)"])
    elif op == "bmm":
        bt = int(rng.integers(0, 4))
        a, b = ctx.tensor((bt, m, k), dtype, kind), ctx.tensor((bt, k2, n), dtype_b, kind)
        c.body = pick(rng, ["out = torch.bmm(a, b)", "out = a.bmm(b)"])
    elif op in ("matmul", "@"):
        sa = pick(rng, [(k,), (m, k), (2, m, k), (1, m, k), (2, 1, m, k)])
        sb = pick(rng, [(k2,), (k2, n), (2, k2, n), (1, k2, n), (3, 1, k2, n)])
        a, b = ctx.tensor(sa, dtype, kind), ctx.tensor(sb, dtype_b, kind)
        c.body = "out = a @ b" if op == "@" else pick(rng, ["out = torch.matmul(a, b)", "out = a.matmul(b)"])
    elif op == "mv":
        a, b = ctx.tensor((m, k), dtype, kind), ctx.tensor((k2,), dtype_b, kind)
        c.body = pick(rng, ["out = torch.mv(a, b)", "out = a.mv(b)"])
    elif op == "dot":
        a, b = ctx.tensor((k,), dtype, kind), ctx.tensor((k2,), dtype_b, kind)
        c.body = pick(rng, ["out = torch.dot(a, b)", "out = a.dot(b)"])
    elif op == "addmm":
        si = pick(rng, [(m, n), (n,), (1, n), (m, 1), ()])
        i = ctx.tensor(si, dtype, kind)
        a, b = ctx.tensor((m, k), dtype, kind), ctx.tensor((k2, n), dtype_b, kind)
        beta, alpha = pick(rng, [1, 1, 0.5, 0]), pick(rng, [1, 1, 2, -1])
        extra = (f", beta={beta}" if beta != 1 else "") + (f", alpha={alpha}" if alpha != 1 else "")
        c.body = f"out = torch.addmm({i.name}, {a.name}, {b.name}{extra})"
    else:  # linear
        lead = pick(rng, [(m,), (), (2, m)])
        x = ctx.tensor(lead + (k,), dtype, kind)
        w = ctx.tensor((n, k2), dtype_b, kind)
        has_bias = chance(rng, 0.6)
        bias = ctx.tensor((n,), dtype, kind) if has_bias else None
        c.body = f"out = F.linear({x.name}, {w.name}{', ' + bias.name if has_bias else ''})"
        a, b = x, w
    c.op = op
    c.smooth = True
    c.order = 2
    c.terms = max(k, 1) + 1

    def mm_check(A, B):
        if A.dtype != B.dtype:
            raise Raises(RuntimeError, why="matmul of different dtypes")

    def reference(V):
        A, B = V[a.name], V[b.name]
        if dtype == "bool" or dtype_b == "bool":
            return None
        if op == "linear":
            Bm = B
            if A.dtype != B.dtype:
                raise Raises(RuntimeError, why="different dtypes")
            if A.shape[-1] != B.shape[1]:
                raise Raises(RuntimeError, why="shapes cannot be multiplied")
            r = as_ref(A, dtype) @ as_ref(Bm, dtype).T
            if bias is not None:
                r = r + as_ref(V[bias.name], dtype)
            return out(r, dtype)
        if op == "dot":
            if A.dtype != B.dtype:
                raise Raises(RuntimeError, why="dot of different dtypes")
            if A.shape != B.shape:
                raise Raises(RuntimeError, why="dot sizes")
            return out(np.dot(as_ref(A, dtype), as_ref(B, dtype)), dtype)
        if op == "mv":
            if A.dtype != B.dtype:
                raise Raises(RuntimeError, why="mv of different dtypes")
            if A.shape[1] != B.shape[0]:
                raise Raises(RuntimeError, why="mv sizes")
            return out(as_ref(A, dtype) @ as_ref(B, dtype), dtype)
        if op in ("matmul", "@"):
            if A.shape[-1] != B.shape[-2 if B.ndim > 1 else 0]:
                raise Raises(RuntimeError, why="matmul sizes")
            if A.dtype != B.dtype:
                if A.size == 0 or B.size == 0:
                    return None
                raise Raises(RuntimeError, why="matmul of different dtypes")
            try:
                return out(np.matmul(as_ref(A, dtype), as_ref(B, dtype)), dtype)
            except ValueError:
                raise Raises(RuntimeError, why="matmul batch dims do not broadcast")
        if A.dtype != B.dtype:
            if op == "bmm" and (A.size == 0 or B.size == 0):
                return None  # torch's bmm skips the dtype check when there is nothing to multiply
            raise Raises(RuntimeError, why="mm of different dtypes")
        if A.shape[-1] != B.shape[-2]:
            raise Raises(RuntimeError, why="mm sizes")
        r = np.matmul(as_ref(A, dtype), as_ref(B, dtype))
        if op == "addmm":
            I = as_ref(V[i.name], dtype)
            try:
                np.broadcast_to(I, r.shape)
            except ValueError:
                raise Raises(RuntimeError, why="addmm input shape")
            if dtype not in FLOATS and (beta != 1 or alpha != 1):
                return None
            r = I * beta + r * alpha if (beta != 1 or alpha != 1) else I + r
            if beta == 0:
                return None  # beta=0 ignores nan/inf in input in torch; a product with 0 does not
        return out(r, dtype)
    c.ref = reference


# ================================================================ indexing
def _basic_key(ctx, a):
    """A random key of ints, slices, None, Ellipsis and at most one advanced index."""
    rng = ctx.rng
    nd = a.ndim
    parts, np_parts = [], []
    dim = 0
    used_ellipsis = False
    adv_used = False
    n_items = int(rng.integers(1, nd + 2)) if nd else int(rng.integers(1, 3))
    for _ in range(n_items):
        r = rng.random()
        if r < 0.1:
            parts.append("None")
            np_parts.append(None)
            continue
        if r < 0.17 and not used_ellipsis:
            used_ellipsis = True
            parts.append("...")
            np_parts.append(Ellipsis)
            continue
        if dim >= nd and chance(rng, 0.85):
            continue
        size = a.shape[dim] if dim < nd else 1
        if r < 0.45:
            if chance(rng, 0.08) or dim >= nd:
                i = pick(rng, [size, -size - 1, size + 3])
                ctx.call.tags.add("index_out_of_range")
            else:
                i = int(rng.integers(-size, size)) if size else 0
            parts.append(str(i))
            np_parts.append(i)
        elif r < 0.8 or adv_used:
            start = pick(rng, [None, 0, 1, -1, -2, 2, size + 2])
            stop = pick(rng, [None, None, 1, 2, -1, size, size + 5])
            step = pick(rng, [None, None, 1, 2, 3] + ([0, -1] if chance(rng, 0.05) else []))
            s = slice(start, stop, step)
            parts.append(f"{'' if start is None else start}:{'' if stop is None else stop}"
                         + ("" if step is None else f":{step}"))
            np_parts.append(s)
        else:
            adv_used = True
            if chance(rng, 0.4) and dim < nd:
                k = int(rng.integers(1, nd - dim + 1))
                mshape = a.shape[dim:dim + k]
                if chance(rng, 0.08):
                    mshape = tuple(s + 1 for s in mshape)
                m = ctx.tensor(mshape, "bool", grad=False, view="contiguous")
                parts.append(m.name)
                np_parts.append(("mask", m.name))
                dim += k
                continue
            ishape = pick(rng, [(int(rng.integers(0, 4)),), (2, 2), ()])
            idt = pick(rng, ["int64", "int64", "int32"])
            t = ctx.index(ishape, size, idt, bad_p=0.06)
            if chance(rng, 0.2) and len(ishape) == 1:
                parts.append(fmt_literal(t.arr.tolist()))  # a Python list index
                ctx.call.setup.pop()
                del ctx.call.inputs[t.name]
                np_parts.append(("list", t.arr))
            else:
                parts.append(t.name)
                np_parts.append(("tensor", t.name))
        dim += 1
    if not parts:
        parts, np_parts = ["..."], [Ellipsis]
    return parts, np_parts


class _NoOpinion(Exception):
    """Raised inside a reference: the case is one the reference does not judge."""


def _strip_leading_ones(shape, nd):
    shape = tuple(shape)
    while len(shape) > nd and shape[0] == 1:
        shape = shape[1:]
    return shape


def _apply_key(x, np_parts, V, nd):
    """torch semantics of x[key] with at most one advanced index, in numpy."""
    consumed = sum(1 for p in np_parts if p is not None and p is not Ellipsis and not
                   (isinstance(p, tuple) and p[0] == "mask")) + \
        sum(V[p[1]].ndim for p in np_parts if isinstance(p, tuple) and p[0] == "mask")
    bad_step = any(isinstance(p, slice) and p.step is not None and p.step <= 0 for p in np_parts)
    if bad_step and consumed > nd:
        raise Raises(IndexError, ValueError, why="too many indices and a bad step")
    if bad_step:  # (an out-of-range int before the slice raises IndexError first)
        raise Raises(ValueError, IndexError, why="slice step must be positive")
    if consumed > nd:
        raise Raises(IndexError, why="too many indices")
    basic, adv, adv_pos = [], None, None
    for p in np_parts:
        if p is Ellipsis:
            basic.extend([slice(None)] * (nd - consumed))
            consumed = nd
        elif isinstance(p, tuple):
            adv_pos = len(basic)
            if p[0] == "mask":
                m = V[p[1]]
                adv = ("mask", m)
                basic.extend([slice(None)] * m.ndim)
            else:
                idx = np.asarray(V[p[1]] if p[0] == "tensor" else p[1]).astype(np.int64)
                adv = ("int", idx)
                basic.append(slice(None))
        else:
            basic.append(p)
    for p in basic:
        if isinstance(p, slice) and p.step is not None and p.step <= 0:
            raise Raises(ValueError, why="slice step must be positive")
    if adv is None:  # ints, slices, None and Ellipsis: numpy's basic indexing is torch's
        try:
            return x[tuple(np_parts)]
        except IndexError:
            raise Raises(IndexError, why="index out of range")
    # basic part: ints are selects (no numpy 'advanced int' behaviour); track the adv dim's position
    res = x
    dim = 0
    adv_out = None
    for j, p in enumerate(basic):
        if j == adv_pos:
            adv_out = dim
        if p is None:
            res = np.expand_dims(res, dim)
            dim += 1
        elif isinstance(p, slice):
            res = res[(slice(None),) * dim + (p,)]
            dim += 1
        else:
            n = res.shape[dim]
            if not -n <= p < n:
                raise Raises(IndexError, why="index out of range")
            res = np.take(res, p, axis=dim)
    if adv is None:
        return res
    if adv[0] == "mask":
        m = adv[1]
        sub = res.shape[adv_out:adv_out + m.ndim]
        if tuple(m.shape) != tuple(sub):
            raise Raises(IndexError, why="mask shape")
        nz = np.nonzero(m)
        return res[(slice(None),) * adv_out + nz]
    idx = adv[1]
    n = res.shape[adv_out]
    oshape = res.shape[:adv_out] + idx.shape + res.shape[adv_out + 1:]
    if n == 0 and idx.size:
        raise Raises(IndexError, why="index into a zero-size dim")
    if math.prod(oshape) == 0:  # nothing is read: torch checks the indices on some paths only
        if np.any((idx < -n) | (idx >= n)):
            raise _NoOpinion()
        return np.zeros(oshape, res.dtype)
    if np.any((idx < -n) | (idx >= n)):
        raise Raises(IndexError, why="index out of range")
    return np.take(res, idx, axis=adv_out)


def fam_index(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, ["getitem", "getitem", "setitem", "gather", "index_select", "scatter_add", "masked_fill",
                    "masked_select", "nonzero"])
    dtype = ctx.dtype(0.55)
    c.op = op
    if op in ("getitem", "setitem"):
        a = ctx.tensor(rand_shape(rng, min_ndim=0), dtype, nonleaf=(op == "setitem"))
        parts, np_parts = _basic_key(ctx, a)
        key = ", ".join(parts) if len(parts) != 1 else parts[0]
        if key == "0" and a.ndim == 0:
            c.tags.add("zero_dim_index_0")
        if op == "getitem":
            c.body = f"out = a[{key}]"
            c.smooth = True

            def reference(V):
                if a.ndim == 0 and np_parts == [0]:
                    raise Raises(IndexError, why="invalid index of a 0-dim tensor")
                return out(_apply_key(V["a"], np_parts, V, a.ndim), dtype)
            c.ref = reference
            return
        vform = pick(rng, ["scalar", "tensor"])
        if vform == "scalar":
            vsrc, v = ctx.scalar("float" if dtype in FLOATS else "int" if dtype in INTS else "bool")
        else:
            try:
                with R.ignore_np_warnings():
                    target_shape = _apply_key(a.arr, np_parts, c.values(), a.ndim).shape
            except (Raises, _NoOpinion):
                target_shape = ()
            vshape = broadcast_partner(rng, target_shape)
            vt = ctx.tensor(vshape, dtype if chance(rng, 0.8) else ctx.dtype(0.5), grad=True)
            vsrc, v = vt.name, vt
        c.body = f"a[{key}] = {vsrc}\nout = a"
        c.inplace = "a"

        def reference(V):
            if a.view == "expanded":
                return None
            x = np.array(V["a"], copy=True)
            if a.ndim == 0 and np_parts == [0]:
                raise Raises(IndexError, why="invalid index of a 0-dim tensor")
            if not isinstance(v, TIn):
                check_scalar_fits(v, dtype)
            if isinstance(v, TIn) and v.dtype != dtype and any(isinstance(p, tuple) for p in np_parts):
                return None  # torch: index_put wants equal dtypes, except on the paths that cast
            sel = _apply_key(x, np_parts, V, a.ndim)
            val = V[v.name] if isinstance(v, TIn) else v
            vshape = _strip_leading_ones(np.shape(val), np.ndim(sel))
            try:
                np.broadcast_to(np.reshape(val, vshape), np.shape(sel))
            except ValueError:
                raise Raises(RuntimeError, why="value shape")
            if isinstance(v, TIn) and v.dtype in FLOATS and dtype not in FLOATS:
                return None
            if isinstance(v, float) and dtype not in FLOATS:
                return None
            val = R.cast(np.reshape(val, vshape), dtype)
            advanced = [p for p in np_parts if isinstance(p, tuple)]
            if not advanced:
                x[tuple(np_parts)] = val
                return out(as_ref(x, dtype), dtype)
            if advanced[0][0] != "mask":
                iv = np.asarray(V[advanced[0][1]] if advanced[0][0] == "tensor" else advanced[0][1])
                if len(np.unique(iv)) != iv.size or np.any(iv < 0) and np.any(iv >= 0):
                    return None  # duplicate (or aliasing negative) indices: which write wins is unspecified
            try:
                if not _setitem_np(x, np_parts, V, a.ndim, val, dtype):
                    return None
            except IndexError:
                raise Raises(IndexError, why="index out of range")
            return out(as_ref(x, dtype), dtype)
        c.ref = reference
        return
    if op == "gather":
        a = ctx.tensor(rand_shape(rng, min_ndim=1), dtype)
        d = rand_dim(rng, a.ndim, 0.05)
        wd = d % a.ndim if -a.ndim <= d < a.ndim else 0
        ishape = tuple(int(rng.integers(0, s + 1)) if i != wd else int(rng.integers(0, 4))
                       for i, s in enumerate(a.shape))
        if chance(rng, 0.05):
            ishape = ishape + (1,)
        idt = "int64" if chance(rng, 0.92) else "int32"
        idx = ctx.index(ishape, a.shape[wd], idt)
        c.body = pick(rng, [f"out = torch.gather(a, {d}, {idx.name})", f"out = a.gather({d}, {idx.name})"])
        c.smooth = True

        def reference(V):
            x, I = V["a"], V[idx.name]
            dd = wrap_dim(d, a.ndim)
            if I.size == 0:
                return out(np.zeros(I.shape), dtype)
            if I.ndim != x.ndim:
                raise Raises(RuntimeError, why="index ndim")
            for j in range(x.ndim):
                if j != dd and I.shape[j] > x.shape[j]:
                    raise Raises(RuntimeError, why="index size")
            if I.size and (np.any(I < 0) or np.any(I >= x.shape[dd])):
                raise Raises(RuntimeError, why="index out of bounds")
            grid = list(np.indices(I.shape, sparse=True)) if I.ndim else []
            grid[dd] = I
            return out(x[tuple(grid)] if I.size else np.zeros(I.shape, x.dtype), dtype)
        c.ref = reference
        return
    if op == "index_select":
        a = ctx.tensor(rand_shape(rng, min_ndim=0), dtype)
        d = rand_dim(rng, a.ndim, 0.05)
        wd = d % max(a.ndim, 1) if -max(a.ndim, 1) <= d < max(a.ndim, 1) else 0
        size = a.shape[wd] if a.ndim else 1
        ishape = pick(rng, [(int(rng.integers(0, 5)),), (), (2, 2)], p=[0.8, 0.15, 0.05])
        idt = pick(rng, ["int64", "int64", "int32", "float32"], p=[0.45, 0.45, 0.07, 0.03])
        if idt == "float32":
            idx = ctx.tensor(ishape, "float32", kind="grid", grad=False)
        else:
            idx = ctx.index(ishape, size, idt)
        c.body = pick(rng, [f"out = torch.index_select(a, {d}, {idx.name})", f"out = a.index_select({d}, {idx.name})"])
        c.smooth = True

        def reference(V):
            x, I = V["a"], V[idx.name]
            dd = wrap_dim(d, a.ndim)
            if I.ndim > 1 and x.ndim:
                raise Raises(IndexError, why="index_select index must be a vector")
            if idt == "float32":
                raise Raises(RuntimeError, why="index_select index dtype")
            if I.ndim > 1:
                raise Raises(IndexError, why="index_select index must be a vector")
            if x.ndim == 0 and I.size != 1:
                raise Raises(RuntimeError, why="index_select of a 0-d tensor needs one index")
            if x.ndim and x.shape[dd] == 0 and I.size:
                raise Raises(RuntimeError, IndexError, why="index_select from a zero-size dim")
            if I.ndim > 1:
                raise Raises(IndexError, why="index_select index must be a vector")
            n = x.shape[dd] if x.ndim else 1
            if np.any((I < 0) | (I >= n)):
                if np.any(I < 0):  # torch: IndexError from one kernel, RuntimeError from another
                    raise Raises(IndexError, RuntimeError, why="negative index")
                raise Raises(IndexError, RuntimeError, why="index out of range in self")
            if x.ndim == 0:
                return out(x, dtype)
            return out(np.take(x, I.reshape(-1), axis=dd), dtype)
        c.ref = reference
        return
    if op == "scatter_add":
        inplace = chance(rng, 0.3)
        a = ctx.tensor(rand_shape(rng, min_ndim=1), dtype, nonleaf=inplace)
        d = rand_dim(rng, a.ndim, 0.05)
        wd = d % a.ndim if -a.ndim <= d < a.ndim else 0
        ishape = tuple(int(rng.integers(0, s + 1)) if i != wd else int(rng.integers(0, 4))
                       for i, s in enumerate(a.shape))
        sshape = tuple(s + int(rng.integers(0, 2)) for s in ishape)
        if chance(rng, 0.05):
            sshape = tuple(max(0, s - 1) for s in sshape)
        sdt = dtype if chance(rng, 0.9) else ctx.dtype(0.5)
        src = ctx.tensor(sshape, sdt)
        idx = ctx.index(ishape, a.shape[wd], "int64")
        if inplace:
            c.body = f"out = a.scatter_add_({d}, {idx.name}, {src.name})"
            c.inplace = "a"
            c.op = "scatter_add_"
        else:
            c.body = pick(rng, [f"out = torch.scatter_add(a, {d}, {idx.name}, {src.name})",
                                f"out = a.scatter_add({d}, {idx.name}, {src.name})"])
        c.smooth = not inplace
        c.terms = 4

        def reference(V):
            x, I, S = V["a"], V[idx.name], V[src.name]
            dd = wrap_dim(d, a.ndim)
            if sdt != dtype:
                raise Raises(RuntimeError, why="scatter src dtype")
            if inplace:
                check_overlap(a)
            if I.size == 0:
                return out(as_ref(x, dtype), dtype) if dtype != "bool" else None
            if I.ndim != x.ndim or S.ndim != x.ndim:
                raise Raises(RuntimeError, why="index ndim")
            for j in range(x.ndim):
                if I.shape[j] > S.shape[j] or (j != dd and I.shape[j] > x.shape[j]):
                    raise Raises(RuntimeError, why="index size")
            if I.size and (np.any(I < 0) or np.any(I >= x.shape[dd])):
                raise Raises(RuntimeError, why="index out of bounds")
            if dtype == "bool":
                return None
            if inplace and a.view == "expanded":
                return None
            r = as_ref(x, dtype).copy()
            if I.size:
                grid = list(np.indices(I.shape))
                srcv = as_ref(S, dtype)[tuple(grid)]
                grid[dd] = I
                np.add.at(r, tuple(grid), srcv)
            return out(r, dtype)
        c.ref = reference
        return
    if op == "masked_fill":
        inplace = chance(rng, 0.3)
        a = ctx.tensor(rand_shape(rng), dtype, nonleaf=inplace)
        ms = broadcast_partner(rng, a.shape) if chance(rng, 0.9) else (bad_partner(rng, a.shape) or a.shape + (2,))
        mdt = "bool" if chance(rng, 0.93) else pick(rng, ["uint8", "int64"])
        m = ctx.tensor(ms, mdt, grad=False)
        vform = pick(rng, ["scalar", "scalar", "tensor0", "tensor1"])
        if vform == "scalar":
            vsrc, v = ctx.scalar("float" if dtype in FLOATS else "int" if dtype in INTS else "bool")
            if chance(rng, 0.15):
                vsrc, v = ctx.scalar()
        else:
            vt = ctx.tensor(() if vform == "tensor0" else (2,), dtype if chance(rng, 0.8) else ctx.dtype(0.5))
            vsrc, v = vt.name, vt
        meth = "masked_fill_" if inplace else "masked_fill"
        c.body = f"out = a.{meth}({m.name}, {vsrc})" if inplace or chance(rng, 0.5) else \
            f"out = torch.masked_fill(a, {m.name}, {vsrc})"
        c.op = meth
        c.inplace = "a" if inplace else None
        c.smooth = not inplace

        def reference(V):
            x, M = V["a"], V[m.name]
            if mdt != "bool":
                raise Raises(RuntimeError, why="masked_fill mask must be bool")
            shape = R.broadcast_shapes(x.shape, M.shape)
            if shape != x.shape and inplace:
                raise Raises(RuntimeError, why="mask does not broadcast to self")
            if isinstance(v, TIn) and v.ndim != 0:
                raise Raises(RuntimeError, why="masked_fill value must be 0-d")
            if not isinstance(v, TIn):
                check_scalar_fits(v, dtype)
            if inplace and a.overlap:
                return None  # torch writes through the aliases without the overlap check
            val = V[v.name] if isinstance(v, TIn) else v
            if dtype not in FLOATS and (isinstance(val, float) or (isinstance(v, TIn) and v.dtype in FLOATS)):
                return None
            if isinstance(v, TIn) and v.dtype != dtype and not inplace:
                return None
            r = np.where(np.broadcast_to(M, shape), R.cast(np.asarray(val), dtype), np.broadcast_to(x, shape))
            return out(as_ref(r, dtype), dtype)
        c.ref = reference
        return
    if op == "masked_select":
        a = ctx.tensor(rand_shape(rng), dtype)
        ms = broadcast_partner(rng, a.shape) if chance(rng, 0.9) else (bad_partner(rng, a.shape) or a.shape + (2,))
        m = ctx.tensor(ms, "bool", grad=False)
        c.body = pick(rng, [f"out = torch.masked_select(a, {m.name})", f"out = a.masked_select({m.name})"])
        c.smooth = True

        def reference(V):
            x, M = V["a"], V[m.name]
            shape = R.broadcast_shapes(x.shape, M.shape)
            return out(np.broadcast_to(x, shape)[np.broadcast_to(M, shape)], dtype)
        c.ref = reference
        return
    # nonzero
    a = ctx.tensor(rand_shape(rng), dtype)
    as_tuple = chance(rng, 0.3)
    c.body = f"out = torch.nonzero(a{', as_tuple=True' if as_tuple else ''})" if chance(rng, 0.5) else \
        f"out = a.nonzero({'as_tuple=True' if as_tuple else ''})"

    def reference(V):
        x = V["a"]
        nz = np.nonzero(x.reshape(1) if x.ndim == 0 else x)
        if as_tuple:
            return Tup([out(i, "int64") for i in nz]) if x.ndim else Tup([out(nz[0], "int64")])
        return out(np.stack(nz, axis=1) if x.ndim else np.zeros((int(nz[0].size), 0), np.int64), "int64")
    c.ref = reference


def _setitem_np(x, np_parts, V, nd, val, dtype):
    """x[key] = val in numpy with torch's index semantics; False when not expressible simply."""
    basic, adv, adv_pos = [], None, None
    consumed = sum(1 for p in np_parts if p is not None and p is not Ellipsis and not
                   (isinstance(p, tuple) and p[0] == "mask")) + \
        sum(V[p[1]].ndim for p in np_parts if isinstance(p, tuple) and p[0] == "mask")
    for p in np_parts:
        if p is Ellipsis:
            basic.extend([slice(None)] * (nd - consumed))
            consumed = nd
        elif isinstance(p, tuple):
            adv_pos = len(basic)
            if p[0] == "mask":
                adv = ("mask", V[p[1]])
                basic.extend([slice(None)] * V[p[1]].ndim)
            else:
                adv = ("int", np.asarray(V[p[1]] if p[0] == "tensor" else p[1]).astype(np.int64))
                basic.append(slice(None))
        else:
            basic.append(p)
    if any(p is None for p in basic):
        return False
    view = x
    dim = 0
    adv_out = None
    for j, p in enumerate(basic):
        if j == adv_pos:
            adv_out = dim
        if isinstance(p, slice):
            view = view[(slice(None),) * dim + (p,)]
            dim += 1
        else:
            view = view[(slice(None),) * dim + (p,)]
    if adv[0] == "mask":
        key = (slice(None),) * adv_out + np.nonzero(adv[1])
    else:
        key = (slice(None),) * adv_out + (adv[1],)
    view[key] = R.cast(np.asarray(val), dtype)
    return True


# ================================================================ views
def fam_view(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, ["reshape", "view", "permute", "transpose", "t", "expand", "squeeze", "unsqueeze", "narrow",
                    "select", "flatten", "unflatten", "contiguous", "clone", "T", "is_contiguous", "slice"])
    dtype = ctx.dtype(0.5)
    a = ctx.tensor(rand_shape(rng), dtype)
    nd = a.ndim
    c.op = op
    c.smooth = op != "is_contiguous"
    numel = a.arr.size
    if op in ("reshape", "view"):
        shape = list(rand_shape(rng, max_numel=max(numel, 1) * 2))
        if math.prod(shape) != numel and chance(rng, 0.8):
            # a valid factorisation of numel most of the time
            shape = []
            rest = numel
            for f in (2, 3, 5):
                while rest % f == 0 and chance(rng, 0.6):
                    shape.append(f)
                    rest //= f
            shape.append(rest)
            rng.shuffle(shape)
            if chance(rng, 0.3):
                shape.insert(int(rng.integers(0, len(shape) + 1)), 1)
        if shape and chance(rng, 0.3):
            shape[int(rng.integers(0, len(shape)))] = -1
        if chance(rng, 0.04):
            shape.append(pick(rng, [-1, -2]))
        form = pick(rng, ["args", "tuple"])
        args = ", ".join(map(str, shape)) if form == "args" else _dim_arg_code(tuple(shape))
        if not shape:
            args = "()" if form == "tuple" else ""
        empty_call = not args
        c.body = (f"out = a.{op}({args})" if op == "view" or chance(rng, 0.7)
                  else f"out = torch.reshape(a, {_dim_arg_code(tuple(shape))})")

        def reference(V):
            x = V["a"]
            if empty_call and ".view()" in c.body or c.body.endswith(".reshape()"):
                raise Raises(TypeError, why="view()/reshape() without a shape")
            new = R.infer_shape(shape, numel)
            if op == "view":
                if R.view_strides(x.shape, a.strides, new) is None:
                    raise Raises(RuntimeError, why="view of a non-viewable layout")
            return out(x.reshape(new), dtype)
        c.ref = reference
        return
    if op == "permute":
        p = [int(i) for i in rng.permutation(nd)]
        r = rng.random()
        if r < 0.05 and nd:
            p[0] = p[-1] if nd > 1 else p[0] + nd
        elif r < 0.1:
            p.append(nd)
        elif r < 0.2 and nd:
            p = [d - nd if chance(rng, 0.5) else d for d in p]
        c.body = pick(rng, [f"out = a.permute({', '.join(map(str, p))})", f"out = a.permute({_dim_arg_code(tuple(p))})",
                            f"out = torch.permute(a, {_dim_arg_code(tuple(p))})"])
        if not p and "a.permute()" in c.body:
            c.body = "out = a.permute(())"

        def reference(V):
            if len(p) != nd:
                raise Raises(RuntimeError, why="permute: number of dims")
            w = [wrap_dim(d, nd) for d in p]
            if len(set(w)) != len(w):
                raise Raises(RuntimeError, why="permute: repeated dim")
            return out(np.transpose(V["a"], w) if nd else V["a"], dtype)
        c.ref = reference
        return
    if op == "transpose":
        d0, d1 = rand_dim(rng, nd), rand_dim(rng, nd)
        c.body = pick(rng, [f"out = a.transpose({d0}, {d1})", f"out = torch.transpose(a, {d0}, {d1})"])

        def reference(V):
            w0, w1 = wrap_dim(d0, nd), wrap_dim(d1, nd)
            return out(np.swapaxes(V["a"], w0, w1) if nd else V["a"], dtype)
        c.ref = reference
        return
    if op in ("t", "T"):
        c.body = "out = a.t()" if op == "t" else "out = a.T"

        def reference(V):
            if op == "t" and nd > 2:
                raise Raises(RuntimeError, why="t() of a >2-D tensor")
            return out(V["a"].T, dtype)
        c.ref = None if (op == "T" and nd > 2) else reference  # T on >2-D: deprecated in torch
        return
    if op == "expand":
        shape = list(a.shape)
        shape = [pick(rng, [2, 3, 0]) if s == 1 and chance(rng, 0.5) else (-1 if chance(rng, 0.2) else s)
                 for s in shape]
        while chance(rng, 0.3):
            shape.insert(0, pick(rng, [1, 2, 3]))
        if chance(rng, 0.1) and shape:
            i = int(rng.integers(0, len(shape)))
            shape[i] = pick(rng, [shape[i] + 1, -2, -1])
        if chance(rng, 0.05):
            shape = shape[1:]
        c.body = pick(rng, [f"out = a.expand({', '.join(map(str, shape))})",
                            f"out = a.expand({_dim_arg_code(tuple(shape))})"])
        if not shape:
            c.body = "out = a.expand(())"

        def reference(V):
            x = V["a"]
            if len(shape) < nd:
                raise Raises(RuntimeError, why="expand: fewer sizes than dims")
            lead = len(shape) - nd
            final = []
            for i, s in enumerate(shape):
                if i < lead:
                    if s < 0:
                        raise Raises(RuntimeError, why="expand: -1 in a new leading dim")
                    final.append(s)
                else:
                    o = x.shape[i - lead]
                    if s == -1:
                        final.append(o)
                    elif s < -1:
                        raise Raises(RuntimeError, why="expand: negative size")
                    elif o != s and o != 1:
                        raise Raises(RuntimeError, why="expand: size mismatch")
                    else:
                        final.append(s)
            return out(np.broadcast_to(x, final), dtype)
        c.ref = reference
        return
    if op == "squeeze":
        r = rng.random()
        dims = None if r < 0.35 else rand_dim(rng, nd) if r < 0.8 else tuple(rand_dim(rng, nd, 0.03)
                                                                           for _ in range(int(rng.integers(1, 3))))
        arg = "" if dims is None else _dim_arg_code(dims)
        c.body = pick(rng, [f"out = a.squeeze({arg})", f"out = torch.squeeze(a{', ' if arg else ''}{arg})"])

        def reference(V):
            x = V["a"]
            if dims is None:
                return out(np.squeeze(x), dtype)
            dl = wrap_dims(list(dims) if isinstance(dims, tuple) else [dims], nd)
            return out(np.squeeze(x, axis=tuple(d for d in dl if x.shape[d] == 1)) if nd else x, dtype)
        c.ref = reference
        return
    if op == "unsqueeze":
        d = int(rng.integers(-nd - 1, nd + 1)) if chance(rng, 0.9) else pick(rng, [nd + 1, -nd - 2])
        c.body = pick(rng, [f"out = a.unsqueeze({d})", f"out = torch.unsqueeze(a, {d})"])

        def reference(V):
            if not -nd - 1 <= d <= nd:
                raise Raises(IndexError, why="unsqueeze dim")
            return out(np.expand_dims(V["a"], d if d >= 0 else d + nd + 1), dtype)
        c.ref = reference
        return
    if op == "narrow":
        d = rand_dim(rng, nd, 0.05)
        n = a.shape[d % nd] if nd and -nd <= d < nd else 1
        start = int(rng.integers(-n - 1, n + 2))
        length = int(rng.integers(-1, n + 2))
        c.body = pick(rng, [f"out = a.narrow({d}, {start}, {length})",
                            f"out = torch.narrow(a, {d}, {start}, {length})"])

        def reference(V):
            if nd == 0:
                raise Raises(RuntimeError, why="narrow of a 0-d tensor")
            if length < 0:
                raise Raises(RuntimeError, why="narrow length negative")
            dd = wrap_dim(d, nd)
            if not -n <= start <= n:
                raise Raises(IndexError, why="narrow start out of range")
            s = start + n if start < 0 else start
            if s + length > n:
                raise Raises(RuntimeError, why="narrow start + length exceeds size")
            return out(np.take(V["a"], range(s, s + length), axis=dd), dtype)
        c.ref = reference
        return
    if op == "select":
        d = rand_dim(rng, nd, 0.05)
        n = a.shape[d % nd] if nd and -nd <= d < nd else 1
        i = int(rng.integers(-n - 1, n + 1))
        c.body = pick(rng, [f"out = a.select({d}, {i})", f"out = torch.select(a, {d}, {i})"])

        def reference(V):
            if nd == 0:
                raise Raises(IndexError, why="select of a 0-d tensor")
            dd = wrap_dim(d, nd)
            if not -n <= i < n:
                raise Raises(IndexError, why="select index out of range")
            return out(np.take(V["a"], i, axis=dd), dtype)
        c.ref = reference
        return
    if op == "flatten":
        s, e = rand_dim(rng, nd, 0.04), rand_dim(rng, nd, 0.04)
        c.body = pick(rng, [f"out = a.flatten({s}, {e})", f"out = torch.flatten(a, {s}, {e})", "out = a.flatten()"])

        def reference(V):
            x = V["a"]
            if "flatten()" in c.body:
                return out(x.reshape(-1), dtype)
            if nd == 0:
                wrap_dim(s, 0), wrap_dim(e, 0)
                return out(x.reshape(1), dtype)
            ws, we = wrap_dim(s, nd), wrap_dim(e, nd)
            if ws > we:
                raise Raises(RuntimeError, why="flatten start after end")
            return out(x.reshape(x.shape[:ws] + (math.prod(x.shape[ws:we + 1]),) + x.shape[we + 1:]), dtype)
        c.ref = reference
        return
    if op == "unflatten":
        d = rand_dim(rng, nd, 0.05)
        n = a.shape[d % nd] if nd and -nd <= d < nd else 1
        sizes = pick(rng, [(n,), (1, n), (n, 1), (-1, 1), (2, -1), (n + 1,)])
        c.body = f"out = a.unflatten({d}, {_dim_arg_code(tuple(sizes))})"

        def reference(V):
            if nd == 0:
                return None
            dd = wrap_dim(d, nd)
            x = V["a"]
            new = R.infer_shape(sizes, x.shape[dd])
            return out(x.reshape(x.shape[:dd] + new + x.shape[dd + 1:]), dtype)
        c.ref = reference
        return
    if op in ("contiguous", "clone"):
        c.body = f"out = a.{op}()" if chance(rng, 0.7) else "out = torch.clone(a)"
        c.ref = lambda V: out(V["a"], dtype)
        return
    if op == "is_contiguous":
        c.body = "out = a.is_contiguous()"
        c.smooth = False
        c.ref = None
        return
    # slice: steps and offsets through __getitem__ with slices only
    parts, key = [], []
    for s in a.shape:
        st = pick(rng, [None, 0, 1, -1, -s - 2, s + 1])
        sp = pick(rng, [None, s, -1, 1, 2 * s + 1])
        step = pick(rng, [None, 1, 2, 3])
        key.append(slice(st, sp, step))
        parts.append(f"{'' if st is None else st}:{'' if sp is None else sp}" + ("" if step is None else f":{step}"))
    c.body = f"out = a[{', '.join(parts)}]" if parts else "out = a[...]"
    c.ref = lambda V: out(V["a"][tuple(key)], dtype)


# ================================================================ join / split
def fam_join(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, ["cat", "cat", "stack", "split", "split_sizes", "chunk", "unbind"])
    c.op = op
    c.smooth = True
    dtype = ctx.dtype(0.5)
    if op in ("cat", "stack"):
        base = rand_shape(rng, min_ndim=0 if chance(rng, 0.1) else 1, max_numel=24)
        nd = len(base)
        d = rand_dim(rng, nd + (1 if op == "stack" else 0), 0.05)
        rank = max(nd + (op == "stack"), 1)
        wd = d % rank if -rank <= d < rank else 0
        ts = []
        for _ in range(int(rng.integers(1, 4)) if chance(rng, 0.97) else 0):
            shape = list(base)
            if op == "cat" and nd and wd < nd:
                shape[wd] = int(rng.integers(0, 4))
            if chance(rng, 0.05) and shape:
                shape[int(rng.integers(0, len(shape)))] += 1
                c.tags.add("bad_shape")
            if op == "cat" and chance(rng, 0.04):
                shape = [0]
                c.tags.add("legacy_empty_cat")
            dt = dtype if chance(rng, 0.8) else ctx.dtype(0.5)
            ts.append(ctx.tensor(tuple(shape), dt))
        names = ", ".join(t.name for t in ts)
        seq = f"[{names}]" if chance(rng, 0.7) else f"({names}{',' if len(ts) == 1 else ''})"
        c.body = f"out = torch.{op}({seq}, {d})" if chance(rng, 0.6) else f"out = torch.{op}({seq}, dim={d})"

        def reference(V):
            if not ts:
                raise Raises(RuntimeError, ValueError, why="empty tensor list")
            arrs = [V[t.name] for t in ts]
            odt = None
            for t in ts:
                odt = promote(odt, t.dtype)
            if op == "stack":
                dd = wrap_dim(d, nd + 1)
                if any(x.shape != arrs[0].shape for x in arrs):
                    raise Raises(RuntimeError, why="stack: sizes differ")
                return out(np.stack([as_ref(R.cast(x, odt), odt) for x in arrs], axis=dd), odt)
            live = [x for x in arrs if not (x.ndim == 1 and x.shape[0] == 0)]  # legacy: skipped
            if any(x.ndim == 0 for x in arrs):
                raise Raises(RuntimeError, why="cat of a 0-d tensor")
            if not live:
                return out(np.zeros((0,)), odt)
            ref_nd = live[0].ndim
            dd = wrap_dim(d, ref_nd)
            for x in live:
                if x.ndim != ref_nd:
                    raise Raises(RuntimeError, why="cat: ndim differ")
                for j in range(ref_nd):
                    if j != dd and x.shape[j] != live[0].shape[j]:
                        raise Raises(RuntimeError, why="cat: sizes differ")
            return out(np.concatenate([as_ref(R.cast(x, odt), odt) for x in live], axis=dd), odt)
        c.ref = reference
        return
    a = ctx.tensor(rand_shape(rng, min_ndim=0 if chance(rng, 0.05) else 1), dtype)
    nd = a.ndim
    d = rand_dim(rng, nd, 0.05)
    n = a.shape[d % nd] if nd and -nd <= d < nd else 0
    if op == "split":
        sz = int(rng.integers(1, max(n, 1) + 2)) if chance(rng, 0.92) else pick(rng, [0, -1])
        c.body = pick(rng, [f"out = a.split({sz}, {d})", f"out = torch.split(a, {sz}, {d})"])

        def reference(V):
            if sz < 0:
                raise Raises(RuntimeError, why="split size negative")
            if nd == 0:
                raise Raises(RuntimeError, why="split of a 0-d tensor")
            dd = wrap_dim(d, nd)
            if sz == 0 and n:
                raise Raises(RuntimeError, why="split size")
            if n == 0:
                return Tup([out(V["a"], dtype)]) if sz else None
            return Tup([out(np.take(V["a"], range(i, min(i + sz, n)), axis=dd), dtype) for i in range(0, n, sz)])
        c.ref = reference
    elif op == "split_sizes":
        sizes = []
        rest = n
        while rest > 0:
            s = int(rng.integers(0, rest + 1))
            sizes.append(s)
            rest -= s
        if chance(rng, 0.1):
            sizes.append(pick(rng, [1, -1]))
        c.body = pick(rng, [f"out = a.split({sizes}, {d})", f"out = torch.split(a, {sizes}, {d})"])

        def reference(V):
            if nd == 0:
                raise Raises(RuntimeError, why="split of a 0-d tensor")
            dd = wrap_dim(d, nd)
            if sum(sizes) != n or any(s < 0 for s in sizes):
                raise Raises(RuntimeError, why="split sizes")
            res, pos = [], 0
            for s in sizes:
                res.append(out(np.take(V["a"], range(pos, pos + s), axis=dd), dtype))
                pos += s
            return Tup(res)
        c.ref = reference
    elif op == "chunk":
        k = int(rng.integers(1, 5)) if chance(rng, 0.93) else pick(rng, [0, -1])
        c.body = pick(rng, [f"out = a.chunk({k}, {d})", f"out = torch.chunk(a, {k}, {d})"])

        def reference(V):
            if k <= 0:
                raise Raises(RuntimeError, why="chunk count")
            if nd == 0:
                raise Raises(RuntimeError, why="chunk of a 0-d tensor")
            dd = wrap_dim(d, nd)
            if n == 0:
                return Tup([out(V["a"], dtype) for _ in range(k)])
            sz = -(-n // k)
            return Tup([out(np.take(V["a"], range(i, min(i + sz, n)), axis=dd), dtype) for i in range(0, n, sz)])
        c.ref = reference
    else:
        c.body = pick(rng, [f"out = a.unbind({d})", f"out = torch.unbind(a, {d})"])

        def reference(V):
            if nd == 0:
                raise Raises(IndexError, RuntimeError, why="unbind of a 0-d tensor")
            dd = wrap_dim(d, nd)
            return Tup([out(np.take(V["a"], i, axis=dd), dtype) for i in range(n)])
        c.ref = reference


# ================================================================ where / clamp
def fam_where(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, ["where", "clamp", "clamp", "clamp_", "clip"])
    c.op = op
    dtype = ctx.dtype(0.6)
    if op == "where":
        s = rand_shape(rng)
        cdt = "bool" if chance(rng, 0.93) else pick(rng, ["uint8", "float32"])
        cond = ctx.tensor(broadcast_partner(rng, s), cdt, grad=False)
        ops = []
        for _ in range(2):
            if chance(rng, 0.75):
                sh = broadcast_partner(rng, s) if chance(rng, 0.95) else (bad_partner(rng, s) or (7,))
                ops.append(ctx.tensor(sh, dtype if chance(rng, 0.8) else ctx.dtype(0.5)))
            else:
                ops.append(ctx.scalar())
        src = [o.name if isinstance(o, TIn) else o[0] for o in ops]
        vals = [o if isinstance(o, TIn) else o[1] for o in ops]
        c.body = f"out = torch.where({cond.name}, {src[0]}, {src[1]})" if chance(rng, 0.8) else \
            (f"out = {src[0]}.where({cond.name}, {src[1]})" if isinstance(ops[0], TIn) else
             f"out = torch.where({cond.name}, {src[0]}, {src[1]})")
        c.smooth = True

        def reference(V):
            C = V[cond.name]
            if cdt == "float32":
                raise Raises(RuntimeError, why="where condition must be bool")
            xs = [_val(v, V) for v in vals]
            shape = R.broadcast_shapes(C.shape, *[_shape(v) for v in vals])
            odt = result_type(*[_kind(v) for v in vals])
            for v in vals:
                if not isinstance(v, TIn):
                    check_scalar_fits(v, odt)
            if any(isinstance(x, float) for x in xs) and odt not in FLOATS:
                return None
            X = [as_ref(R.cast(np.asarray(x), odt), odt) for x in xs]
            return out(np.where(np.broadcast_to(C != 0, shape), X[0], X[1]), odt)
        c.ref = reference
        return
    inplace = op == "clamp_"
    a = ctx.tensor(rand_shape(rng), dtype, nonleaf=inplace)
    form = pick(rng, ["scalar", "scalar", "tensor"]) if not inplace else "scalar"
    lo = hi = None
    los = his = "None"
    r = rng.random()
    want_lo, want_hi = r < 0.75, r > 0.35 or r < 0.03
    if r < 0.03:
        want_lo = want_hi = False
    if form == "scalar":
        kind = "float" if dtype in FLOATS or chance(rng, 0.2) else "int"
        if want_lo:
            los, lo = ctx.scalar(kind)
        if want_hi:
            his, hi = ctx.scalar(kind)
    else:
        if want_lo:
            lo = ctx.tensor(broadcast_partner(rng, a.shape), dtype if chance(rng, 0.85) else ctx.dtype(0.5))
            los = lo.name
        if want_hi:
            hi = ctx.tensor(broadcast_partner(rng, a.shape), dtype if chance(rng, 0.85) else ctx.dtype(0.5))
            his = hi.name
    fn = "clamp" if op == "clamp_" else op
    args = pick(rng, [f"{los}, {his}", f"min={los}, max={his}"]) if want_lo and want_hi else \
        (f"min={los}" if want_lo else f"max={his}" if want_hi else pick(rng, ["", "None, None"]))
    c.body = f"out = a.clamp_({args})" if inplace else pick(rng, [f"out = torch.{fn}(a{', ' if args else ''}{args})",
                                                                   f"out = a.{fn}({args})"])
    c.inplace = "a" if inplace else None
    c.smooth = False

    def reference(V):
        x = V["a"]
        if lo is None and hi is None:
            raise Raises(RuntimeError, ValueError, why="clamp without min and max")
        bounds = [b for b in (lo, hi) if b is not None]
        odt = result_type(_kind(a), *[_kind(b) for b in bounds])
        if inplace and not R.can_cast(odt, dtype):
            raise Raises(RuntimeError, why="in-place clamp result cannot be cast")
        if inplace:
            check_overlap(a)
        nan_bound = any(isinstance(b, float) and math.isnan(b) for b in bounds)  # all NaN: no range checks
        for bnd in bounds:
            if not isinstance(bnd, TIn) and not nan_bound:
                if isinstance(bnd, int) and odt in INTS and not LIMITS[odt][0] <= bnd <= LIMITS[odt][1]:
                    return None  # torch converts some out-of-range integer bounds, rejects others
                check_scalar_fits(bnd, odt)
        if dtype == "bool" and any(not isinstance(b, TIn) for b in bounds):
            return None
        shape = R.broadcast_shapes(a.shape, *[_shape(b) for b in bounds])
        if inplace and shape != a.shape:
            raise Raises(RuntimeError, why="in-place shape")
        if odt == "bool":
            return None
        X = as_ref(R.cast(x, odt), odt)
        L = as_ref(R.cast(np.asarray(_val(lo, V)), odt), odt) if lo is not None else None
        H = as_ref(R.cast(np.asarray(_val(hi, V)), odt), odt) if hi is not None else None
        for B in (L, H):
            if B is not None and B.dtype.kind == "f" and np.any(np.isnan(B)):
                return None
        r = X
        if L is not None:
            r = np.where(np.isnan(r) if r.dtype.kind == "f" else False, r, np.maximum(r, L))
        if H is not None:
            r = np.where(np.isnan(r) if r.dtype.kind == "f" else False, r, np.minimum(r, H))
        r = np.broadcast_to(r, shape)
        return out(r, dtype if inplace else odt)
    c.ref = reference


# ================================================================ softmax
def fam_softmax(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, ["softmax", "log_softmax"])
    dtype = ctx.dtype(0.85)
    a = ctx.tensor(rand_shape(rng), dtype, kind=pick(rng, ["grid", "uniform", "special", None]))
    d = rand_dim(rng, a.ndim)
    kdt = pick(rng, list(FLOATS)) if chance(rng, 0.15) else None
    kw = f", dtype=torch.{kdt}" if kdt else ""
    c.body = pick(rng, [f"out = torch.{op}(a, {d}{kw})", f"out = a.{op}({d}{kw})", f"out = F.{op}(a, dim={d}{kw})"])
    c.op = op
    c.smooth = True
    c.terms = max(1, a.arr.size)

    def reference(V):
        x = V["a"]
        dd = wrap_dim(d, a.ndim)
        odt = kdt or dtype
        if odt not in FLOATS and x.size == 0:
            return out(x, odt)  # torch returns an empty integer tensor without dispatching
        if odt not in FLOATS:
            raise Raises(NotImplementedError, RuntimeError, why="softmax of an integer tensor")
        w = as_ref(R.cast(x, odt), odt)
        if a.ndim == 0:
            w = w.reshape(1)
            dd = 0
        if w.size == 0:
            return out(w.reshape(x.shape), odt)
        m = np.max(w, axis=dd, keepdims=True)
        e = np.exp(w - m)
        s = np.sum(e, axis=dd, keepdims=True)
        r = (w - m - np.log(s)) if op == "log_softmax" else e / s
        return out(r.reshape(x.shape), odt)
    c.ref = reference


# ================================================================ losses
def fam_loss(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, ["cross_entropy", "cross_entropy", "nll_loss", "mse_loss", "cross_entropy_probs"])
    c.op = op
    c.smooth = True
    dtype = pick(rng, list(FLOATS)) if chance(rng, 0.95) else ctx.dtype(0.2)
    N, C = int(rng.integers(0, 4)) if chance(rng, 0.1) else int(rng.integers(1, 4)), int(rng.integers(1, 5))
    reduction = pick(rng, ["mean", "sum", "none"])
    if op == "mse_loss":
        s = rand_shape(rng)
        x = ctx.tensor(s, dtype)
        y = ctx.tensor(s if chance(rng, 0.9) else broadcast_partner(rng, s),
                       dtype if chance(rng, 0.9) else ctx.dtype(0.5))
        c.body = f"out = F.mse_loss(a, b, reduction='{reduction}')"
        c.order = 2
        c.terms = max(1, x.arr.size)

        def reference(V):
            X, Y = V["a"], V["b"]
            if dtype not in FLOATS or y.dtype != dtype:
                return None
            shape = R.broadcast_shapes(X.shape, Y.shape)
            e = (np.broadcast_to(as_ref(X, dtype), shape) - np.broadcast_to(as_ref(Y, dtype), shape)) ** 2
            r = e if reduction == "none" else np.sum(e) if reduction == "sum" else (np.mean(e) if e.size else np.nan)
            return out(r, dtype)
        c.ref = reference
        return
    layout = pick(rng, ["NC", "C", "NCd"], p=[0.7, 0.15, 0.15])
    ishape = {"NC": (N, C), "C": (C,), "NCd": (N, C, 2)}[layout]
    tshape = {"NC": (N,), "C": (), "NCd": (N, 2)}[layout]
    x = ctx.tensor(ishape, dtype, kind=pick(rng, ["grid", "uniform", None]))
    if op == "cross_entropy_probs":
        t = ctx.tensor(ishape, dtype, kind="positive", grad=False)
        tgt = t.name
        tdt = dtype
    else:
        tdt = "int64" if chance(rng, 0.9) else pick(rng, ["int32", "uint8"])
        vals = []
        for _ in range(math.prod(tshape)):
            r = rng.random()
            vals.append(int(rng.integers(0, C)) if r < 0.85 else -100 if r < 0.93 else pick(rng, [C, -1, C + 5]))
        tarr = np.array(vals, dtype=np.int64).reshape(tshape) if vals else np.zeros(tshape, np.int64)
        if tdt == "uint8":
            tarr = np.where(tarr < 0, 0, tarr)
        t = ctx.tensor(tshape, tdt, values=tarr, grad=False)
        tgt = t.name
        if np.any(tarr >= C) or np.any((tarr < 0) & (tarr != -100)):
            c.tags.add("target_out_of_range")
    w = None
    kw = [f"reduction='{reduction}'"] if reduction != "mean" or chance(rng, 0.3) else []
    if chance(rng, 0.3):
        w = ctx.tensor((C,) if chance(rng, 0.95) else (C + 1,), dtype, kind="positive", grad=False)
        kw.append(f"weight={w.name}")
    ls = 0.0
    if op.startswith("cross_entropy") and chance(rng, 0.25):
        ls = pick(rng, [0.1, 0.5, 0.0])
        kw.append(f"label_smoothing={ls}")
    ii = -100
    if op != "cross_entropy_probs" and chance(rng, 0.1):
        ii = pick(rng, [0, 1, -1])
        kw.append(f"ignore_index={ii}")
    fn = "nll_loss" if op == "nll_loss" else "cross_entropy"
    c.body = f"out = F.{fn}({x.name}, {tgt}{', ' if kw else ''}{', '.join(kw)})"
    c.terms = max(1, x.arr.size)

    def reference(V):
        X = V[x.name]
        T = V[t.name]
        if dtype not in FLOATS:
            return None
        W = as_ref(V[w.name], dtype) if w is not None else np.ones(C)
        if W.shape != (C,):
            raise Raises(RuntimeError, why="weight size")
        Xr = as_ref(X, dtype)
        cdim = 0 if layout == "C" else 1
        if op == "nll_loss":
            logp = Xr
        else:
            m = np.max(Xr, axis=cdim, keepdims=True) if Xr.size else 0
            logp = Xr - m - np.log(np.sum(np.exp(Xr - m), axis=cdim, keepdims=True))
        # move the class dim last: (..., C)
        lp = np.moveaxis(logp, cdim, -1)
        if op == "cross_entropy_probs":
            P = as_ref(T, dtype)
            P = np.moveaxis(P, cdim, -1)
            if ls:
                P = P * (1 - ls) + ls / C
            loss = -np.sum(lp * P * W, axis=-1)
            if reduction == "none":
                return out(loss, dtype)
            if reduction == "sum":
                return out(np.sum(loss), dtype)
            return out(np.sum(loss) / max(loss.size, 1) if loss.size else np.nan, dtype)
        if tdt == "int32":
            raise Raises(RuntimeError, why="target dtype")
        if tdt != "int64":
            return None  # uint8 targets: accepted by some of torch's nll kernels, not by others
        Ti = T.astype(np.int64)
        valid = Ti != ii
        if np.any(valid & ((Ti < 0) | (Ti >= C))):
            raise Raises(IndexError, RuntimeError, why="target out of bounds")
        safe = np.where(valid, Ti, 0)
        picked = np.take_along_axis(lp, safe[..., None], -1)[..., 0] if lp.size else np.zeros(safe.shape)
        wt = np.where(valid, W[safe], 0.0) if W.size else np.zeros(safe.shape)
        nll = np.where(valid, -picked * wt, 0.0)
        if ls and op == "cross_entropy":
            smooth = np.where(valid[..., None], lp * W, 0.0).sum(axis=-1) * -1 if lp.size else np.zeros(safe.shape)
            if reduction == "none":
                return out((1 - ls) * nll + ls / C * smooth, dtype)
            if reduction == "sum":
                return out((1 - ls) * np.sum(nll) + ls / C * np.sum(smooth), dtype)
            den = np.sum(wt)
            return out((1 - ls) * np.sum(nll) / den + ls / C * np.sum(smooth) / den, dtype)
        if reduction == "none":
            return out(nll, dtype)
        if reduction == "sum":
            return out(np.sum(nll), dtype)
        return out(np.sum(nll) / np.sum(wt), dtype)
    c.ref = reference


# ================================================================ conv / pool
def _out_size(n, k, s, p, d, ceil):
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff
    o = (-(-num // s) if ceil else num // s) + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def fam_conv(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, ["conv2d", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"])
    c.op = op
    dtype = pick(rng, list(FLOATS)) if chance(rng, 0.95) else ctx.dtype(0.2)
    N = pick(rng, [1, 2])
    Cin = int(rng.integers(1, 4))
    H, W = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    batched = chance(rng, 0.85)
    xshape = (N, Cin, H, W) if batched else (Cin, H, W)
    kind = pick(rng, ["grid", "uniform", None])
    x = ctx.tensor(xshape, dtype, kind=kind)
    c.smooth = op in ("conv2d", "avg_pool2d", "adaptive_avg_pool2d")
    if op == "conv2d":
        groups = pick(rng, [1, 1, 1, Cin]) if chance(rng, 0.95) else 2
        Cout = groups * int(rng.integers(1, 3))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        wc = Cin // groups if Cin % groups == 0 else 1
        if chance(rng, 0.05):
            wc += 1
        w = ctx.tensor((Cout, wc, kh, kw), dtype if chance(rng, 0.95) else ctx.dtype(0.5), kind=kind)
        has_bias = chance(rng, 0.5)
        b = ctx.tensor((Cout,), dtype, kind=kind) if has_bias else None
        stride = pick(rng, [1, 1, 2, (1, 2)] + ([0] if chance(rng, 0.03) else []))
        padding = pick(rng, [0, 0, 1, (1, 0)] + ([-1] if chance(rng, 0.03) else []))
        dilation = pick(rng, [1, 1, 2])
        kwargs = []
        if stride != 1:
            kwargs.append(f"stride={stride}")
        if padding != 0:
            kwargs.append(f"padding={padding}")
        if dilation != 1:
            kwargs.append(f"dilation={dilation}")
        if groups != 1:
            kwargs.append(f"groups={groups}")
        c.body = f"out = F.conv2d({x.name}, {w.name}{', ' + b.name if has_bias else ''}" \
                 f"{', ' if kwargs else ''}{', '.join(kwargs)})"
        c.order = 2
        c.terms = wc * kh * kw + 1

        def reference(V):
            X, Wt = V[x.name], V[w.name]
            if dtype not in FLOATS or w.dtype != dtype:
                return None
            st = stride if isinstance(stride, tuple) else (stride, stride)
            pd = padding if isinstance(padding, tuple) else (padding, padding)
            if min(st) <= 0:
                raise Raises(RuntimeError, why="non-positive stride")
            if min(pd) < 0:
                raise Raises(RuntimeError, why="negative padding")
            Xb = X if batched else X[None]
            n, ci, h, wd = Xb.shape
            if Cin % groups or Cout % groups or wc * groups != ci:
                raise Raises(RuntimeError, why="channel mismatch")
            eh, ew = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
            if h + 2 * pd[0] < eh or wd + 2 * pd[1] < ew:
                raise Raises(RuntimeError, why="kernel larger than input")
            oh = (h + 2 * pd[0] - eh) // st[0] + 1
            ow = (wd + 2 * pd[1] - ew) // st[1] + 1
            Xp = np.pad(as_ref(Xb, dtype), ((0, 0), (0, 0), (pd[0], pd[0]), (pd[1], pd[1])))
            Wr = as_ref(Wt, dtype)
            res = np.zeros((n, Cout, oh, ow))
            opg = Cout // groups
            for g in range(groups):
                for o in range(g * opg, (g + 1) * opg):
                    for i in range(oh):
                        for j in range(ow):
                            patch = Xp[:, g * wc:(g + 1) * wc, i * st[0]:i * st[0] + eh:dilation,
                                       j * st[1]:j * st[1] + ew:dilation]
                            res[:, o, i, j] = np.sum(patch * Wr[o], axis=(1, 2, 3))
            if b is not None:
                res = res + as_ref(V[b.name], dtype)[None, :, None, None]
            return out(res if batched else res[0], dtype)
        c.ref = reference
        return
    if op == "adaptive_avg_pool2d":
        osz = pick(rng, [1, 2, (2, 3), (H, W), (1, None)] + ([0] if chance(rng, 0.05) else []))
        c.body = f"out = F.adaptive_avg_pool2d({x.name}, {osz})"
        c.terms = H * W

        def reference(V):
            X = V[x.name]
            if dtype not in FLOATS:
                return None
            oh, ow = (osz, osz) if isinstance(osz, int) else osz
            oh, ow = H if oh is None else oh, W if ow is None else ow
            if oh <= 0 or ow <= 0:
                return None
            Xr = as_ref(X, dtype)
            res = np.zeros(Xr.shape[:-2] + (oh, ow))
            for i in range(oh):
                h0, h1 = (i * H) // oh, -((-(i + 1) * H) // oh)
                for j in range(ow):
                    w0, w1 = (j * W) // ow, -((-(j + 1) * W) // ow)
                    res[..., i, j] = np.mean(Xr[..., h0:h1, w0:w1], axis=(-2, -1))
            return out(res, dtype)
        c.ref = reference
        return
    k = pick(rng, [1, 2, 3, (2, 1)])
    s = pick(rng, [None, 1, 2, (1, 2)])
    p = pick(rng, [0, 0, 1] + ([2] if chance(rng, 0.1) else []))
    ceil = chance(rng, 0.25)
    kwargs = [f"kernel_size={k}"]
    if s is not None:
        kwargs.append(f"stride={s}")
    if p:
        kwargs.append(f"padding={p}")
    if ceil:
        kwargs.append("ceil_mode=True")
    cip = True
    dil = 1
    if op == "avg_pool2d" and chance(rng, 0.3):
        cip = False
        kwargs.append("count_include_pad=False")
    if op == "max_pool2d" and chance(rng, 0.2):
        dil = 2
        kwargs.append("dilation=2")
    c.body = f"out = F.{op}({x.name}, {', '.join(kwargs)})"
    c.terms = 9

    def reference(V):
        X = V[x.name]
        if dtype not in FLOATS:
            return None
        kh, kw_ = (k, k) if isinstance(k, int) else k
        sh, sw = (kh, kw_) if s is None else ((s, s) if isinstance(s, int) else s)
        if p > kh // 2 or p > kw_ // 2:
            raise Raises(RuntimeError, why="pad should be at most half of kernel size")
        oh, ow = _out_size(H, kh, sh, p, dil, ceil), _out_size(W, kw_, sw, p, dil, ceil)
        if oh <= 0 or ow <= 0:
            raise Raises(RuntimeError, why="output size too small")
        Xr = as_ref(X, dtype)
        res = np.zeros(Xr.shape[:-2] + (oh, ow))
        for i in range(oh):
            for j in range(ow):
                hs, ws = i * sh - p, j * sw - p
                if op == "max_pool2d":
                    rows = [hs + dil * q for q in range(kh) if 0 <= hs + dil * q < H]
                    cols = [ws + dil * q for q in range(kw_) if 0 <= ws + dil * q < W]
                    if not rows or not cols:
                        return None
                    win = Xr[..., rows, :][..., cols]
                    flat = win.reshape(win.shape[:-2] + (-1,))
                    mx = np.max(flat, axis=-1)
                    res[..., i, j] = np.where(np.any(np.isnan(flat), axis=-1), np.nan, mx)
                else:
                    he, we = min(hs + kh, H + p), min(ws + kw_, W + p)
                    size = (he - hs) * (we - ws)
                    h0, w0, h1, w1 = max(hs, 0), max(ws, 0), min(he, H), min(we, W)
                    win = Xr[..., h0:h1, w0:w1]
                    div = size if cip else (h1 - h0) * (w1 - w0)
                    res[..., i, j] = np.sum(win, axis=(-2, -1)) / div
        return out(res, dtype)
    c.ref = reference


# ================================================================ creation
def fam_create(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, ["zeros", "ones", "full", "empty", "arange", "linspace", "eye", "zeros_like", "full_like",
                    "tensor", "randn", "requires_grad_int"])
    c.op = op
    dt = pick(rng, [None] + list(DTYPES))
    dkw = f", dtype=torch.{dt}" if dt else ""
    shape = list(rand_shape(rng))
    r = rng.random()
    if r < 0.05 and shape:
        shape[int(rng.integers(0, len(shape)))] = -1
        c.tags.add("negative_size")
    elif r < 0.08:
        shape = [2 ** 62, 2 ** 62] if chance(rng, 0.5) else [2 ** 31, 2 ** 31, 2 ** 31]
        c.tags.add("huge_size")
    sh = _dim_arg_code(tuple(shape)) if chance(rng, 0.5) else ", ".join(map(str, shape))
    if not shape:
        sh = "()"

    def check_shape():
        if any(s < 0 for s in shape):
            raise Raises(RuntimeError, ValueError, why="negative size")
        if math.prod(shape) > 2 ** 40:
            raise Raises(RuntimeError, MemoryError, why="huge size")

    if op in ("empty", "randn"):
        c.tags.add("values_unspecified")
    if op in ("zeros", "ones", "empty", "randn"):
        if op == "randn" and dt and dt not in FLOATS:
            dt, dkw = "float32", ", dtype=torch.float32"
        c.body = f"out = torch.{op}({sh}{dkw})"

        def reference(V):
            check_shape()
            odt = dt or "float32"
            if op in ("empty", "randn"):
                return Shape(shape, odt)
            return out(np.full(shape, 0 if op == "zeros" else 1), odt)
        c.ref = reference
        return
    if op == "full":
        fsrc, fv = ctx.scalar()
        c.body = f"out = torch.full({_dim_arg_code(tuple(shape))}, {fsrc}{dkw})"

        def reference(V):
            check_shape()
            odt = dt or R.scalar_dtype(fv)
            check_scalar_fits(fv, odt)
            if isinstance(fv, float) and odt not in FLOATS and not R.float_to_int_defined(np.array(fv), odt):
                return Shape(shape, odt)
            if isinstance(fv, int) and not isinstance(fv, bool) and odt in INTS:
                lo, hi = LIMITS[odt]
                if not lo <= fv <= hi:
                    return None
            return out(np.full(shape, as_ref(R.cast(np.asarray(fv), odt), odt)), odt)
        c.ref = reference
        return
    if op == "arange":
        args = pick(rng, [(int(rng.integers(-3, 8)),), (int(rng.integers(-3, 3)), int(rng.integers(-3, 8))),
                          (int(rng.integers(-5, 5)), int(rng.integers(-5, 5)), pick(rng, [1, 2, -1, -2, 0])),
                          (float(rng.integers(-8, 8)) / 4, float(rng.integers(-8, 8)) / 4,
                           pick(rng, [0.25, 0.5, -0.5, 0.3]))])
        c.body = f"out = torch.arange({', '.join(map(fmt_scalar, args))}{dkw})"

        def reference(V):
            start, end, step = (0, args[0], 1) if len(args) == 1 else (args + (1,))[:3]
            if step == 0:
                raise Raises(RuntimeError, why="arange step zero")
            if (end - start) * step < 0:
                raise Raises(RuntimeError, why="arange bound/step sign")
            n = max(0, math.ceil((end - start) / step))
            allint = all(isinstance(v, int) for v in (start, end, step))
            odt = dt or ("int64" if allint else "float32")
            if not allint and odt not in FLOATS:
                return None
            if odt == "bool":
                return None
            vals = np.array([start + i * step for i in range(n)], dtype=np.float64)
            return out(vals, odt) if odt in FLOATS else out(vals.astype(np.int64), odt)
        c.ref = reference
        return
    if op == "linspace":
        start, end = float(rng.integers(-8, 8)) / 2, float(rng.integers(-8, 8)) / 2
        steps = int(rng.integers(0, 7)) if chance(rng, 0.95) else -1
        c.body = f"out = torch.linspace({start}, {end}, {steps}{dkw})"

        def reference(V):
            if steps < 0:
                raise Raises(RuntimeError, why="linspace steps negative")
            odt = dt or "float32"
            if odt not in FLOATS:
                return None
            if steps == 1:
                return out(np.array([start]), odt)
            return out(np.linspace(start, end, steps), odt)
        c.ref = reference
        return
    if op == "eye":
        n = int(rng.integers(0, 5)) if chance(rng, 0.95) else -1
        m = pick(rng, [None, int(rng.integers(0, 5))])
        c.body = f"out = torch.eye({n}{'' if m is None else f', {m}'}{dkw})"

        def reference(V):
            if n < 0:
                raise Raises(RuntimeError, why="eye negative")
            return out(np.eye(n, n if m is None else m), dt or "float32")
        c.ref = reference
        return
    if op in ("zeros_like", "full_like"):
        if any(s < 0 for s in shape) or math.prod(shape) > 10 ** 6:
            shape = [2, 3]
        src_dt = ctx.dtype(0.5)
        a = ctx.tensor(tuple(shape), src_dt, grad=False)
        if op == "zeros_like":
            c.body = f"out = torch.zeros_like(a{dkw})"
            c.ref = lambda V: out(np.zeros(a.shape), dt or src_dt)
        else:
            fsrc, fv = ctx.scalar("float" if (dt or src_dt) in FLOATS else "int")
            c.body = f"out = torch.full_like(a, {fsrc}{dkw})"

            def reference(V):
                odt = dt or src_dt
                check_scalar_fits(fv, odt)
                if isinstance(fv, float) and odt not in FLOATS:
                    return None
                if isinstance(fv, int) and odt in INTS:
                    lo, hi = LIMITS[odt]
                    if not lo <= fv <= hi:
                        return None
                return out(np.full(a.shape, as_ref(R.cast(np.asarray(fv), odt), odt)), odt)
            c.ref = reference
        return
    if op == "requires_grad_int":
        idt = pick(rng, list(INTS) + ["bool"])
        c.body = f"out = torch.tensor([1, 0], dtype=torch.{idt}, requires_grad=True)"
        c.ref = lambda V: Raises(RuntimeError, why="only floating tensors can require grad")
        return
    # tensor(data)
    kind = pick(rng, ["ints", "floats", "mixed", "bools", "ragged", "big", "nested_empty"])
    if kind == "ints":
        data = [int(v) for v in rng.integers(-5, 6, size=int(rng.integers(0, 4)))]
    elif kind == "floats":
        data = [[float(v) / 4 for v in rng.integers(-8, 8, size=2)] for _ in range(int(rng.integers(1, 3)))]
    elif kind == "mixed":
        data = [True, 2, 1.5][:int(rng.integers(1, 4))]
    elif kind == "bools":
        data = [[True, False], [False, False]]
    elif kind == "ragged":
        data = [[1, 2], [3]]
    elif kind == "big":
        data = [pick(rng, [2 ** 63 - 1, -2 ** 63, 2 ** 63, -2 ** 63 - 1, 2 ** 31, 1e39, 2 ** 64])]
    else:
        data = [[], []]
    c.body = f"out = torch.tensor({fmt_literal(data)}{dkw})"

    def reference(V):
        flat = []

        def walk(v):
            if isinstance(v, list):
                for u in v:
                    walk(u)
            else:
                flat.append(v)
        walk(data)
        if kind == "ragged":
            raise Raises(ValueError, why="ragged nested sequence")
        if any(isinstance(v, int) and not isinstance(v, bool) and not -2 ** 63 <= v < 2 ** 63 for v in flat):
            return None
        if any(isinstance(v, float) for v in flat):
            inferred = "float32"
        elif any(isinstance(v, int) and not isinstance(v, bool) for v in flat):
            inferred = "int64"
        elif flat:
            inferred = "bool"
        else:
            inferred = "float32"
        odt = dt or inferred
        arr = np.array(data, dtype=object if flat else np.float64)
        if any(isinstance(v, float) for v in flat) and odt in INTS:
            for v in flat:
                check_scalar_fits(float(v), odt)  # torch checks each value (-0.5 does not fit uint8)
        if any(isinstance(v, int) and not isinstance(v, bool) for v in flat) and odt in INTS:
            lo, hi = LIMITS[odt]
            if any(not lo <= v <= hi for v in flat if not isinstance(v, float)):
                return None
        if any(isinstance(v, float) and abs(v) > 3.4e38 for v in flat) and odt == "float32":
            return None
        if odt == "bool":
            return out(np.array([v != 0 for v in flat], dtype=np.bool_).reshape(arr.shape), "bool")
        work = np.array([float(v) if odt in FLOATS else int(v) for v in flat],
                        dtype=np.float64 if odt in FLOATS else object).reshape(arr.shape)
        if odt in INTS or odt == "bool":
            work = work.astype(np.int64)
        return out(R.cast(work, odt), odt)
    c.ref = reference


# ================================================================ conversions
def fam_convert(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, ["to", "method_cast", "item", "tolist", "int()", "float()", "bool()", "len", "numel", "dim",
                    "shape", "size_dim", "type"])
    c.op = op
    dtype = ctx.dtype(0.5)
    shape = rand_shape(rng) if op not in ("item", "int()", "float()", "bool()") or chance(rng, 0.2) else \
        pick(rng, [(), (1,), (1, 1)])
    a = ctx.tensor(shape, dtype, grad=False)
    nd = a.ndim
    if op in ("to", "method_cast", "type"):
        tdt = pick(rng, list(DTYPES))
        meth = {"float32": "float", "float64": "double", "int64": "long", "int32": "int", "int16": "short",
                "int8": "char", "bool": "bool", "uint8": "byte"}[tdt]
        c.body = {"to": f"out = a.to(torch.{tdt})", "method_cast": f"out = a.{meth}()",
                  "type": f"out = a.type(torch.{tdt})"}[op]
        c.op = f"{op}({tdt})"

        def reference(V):
            x = V["a"]
            if dtype in FLOATS and tdt not in FLOATS and tdt != "bool":
                if not R.float_to_int_defined(x, tdt):
                    c.tags.add("float_to_int_out_of_range")
                    return Shape(x.shape, tdt)
            return out(as_ref(R.cast(x, tdt), tdt), tdt)
        c.ref = reference
        return

    def pyval(x):
        return float(x) if dtype in FLOATS else bool(x) if dtype == "bool" else int(x)

    if op == "item":
        c.body = "out = a.item()"

        def reference(V):
            x = V["a"]
            if x.size != 1:
                raise Raises(RuntimeError, ValueError, why="item of a tensor with != 1 element")
            return Py(pyval(x.reshape(-1)[0]))
        c.ref = reference
    elif op == "tolist":
        c.body = "out = a.tolist()"

        def conv(x):
            if x.ndim == 0:
                return Py(pyval(x))
            return Tup([conv(v) for v in x], kind="list")
        c.ref = lambda V: conv(V["a"])
    elif op in ("int()", "float()", "bool()"):
        fn = op[:-2]
        c.body = f"out = {fn}(a)"

        def reference(V):
            x = V["a"]
            if x.size != 1:
                raise Raises(RuntimeError, ValueError, TypeError, why="scalar conversion of a non-scalar")
            v = pyval(x.reshape(-1)[0])
            if fn == "int" and isinstance(v, float) and not math.isfinite(v):
                raise Raises(ValueError, OverflowError, why="int() of nan/inf")
            return Py({"int": int, "float": float, "bool": bool}[fn](v))
        c.ref = reference
    elif op == "len":
        c.body = "out = len(a)"

        def reference(V):
            if nd == 0:
                raise Raises(TypeError, why="len() of a 0-d tensor")
            return Py(a.shape[0])
        c.ref = reference
    elif op == "numel":
        c.body = pick(rng, ["out = a.numel()", "out = torch.numel(a)"])
        c.ref = lambda V: Py(int(V["a"].size))
    elif op == "dim":
        c.body = pick(rng, ["out = a.dim()", "out = a.ndim"])
        c.ref = lambda V: Py(nd)
    elif op == "shape":
        c.body = pick(rng, ["out = tuple(a.shape)", "out = list(a.size())"])
        c.ref = lambda V: Tup([Py(s) for s in a.shape], kind="tuple" if "tuple" in c.body else "list")
    else:
        d = rand_dim(rng, nd)
        c.body = f"out = a.size({d})"

        def reference(V):
            if nd == 0:
                raise Raises(IndexError, RuntimeError, why="size(dim) of a 0-d tensor")
            return Py(a.shape[wrap_dim(d, nd)])
        c.ref = reference


# ================================================================ numpy interop
def fam_numpy(ctx):
    rng, c = ctx.rng, ctx.call
    op = pick(rng, ["from_numpy", "tensor_np", "as_tensor", "operand", "roperand", "np_scalar", "bool_bytes"])
    c.op = op
    npdt = pick(rng, ["float32", "float64", "int64", "int32", "uint8", "bool"])
    shape = rand_shape(rng, max_numel=12)
    src, arr = gen_values(rng, shape, npdt)
    lit = fmt_literal(src)
    strided = chance(rng, 0.25) and len(shape) >= 1
    sfx = ""
    if strided:
        kind = pick(rng, ["step", "T", "neg"])
        if kind == "neg":
            c.tags.add("negative_stride")
            sfx = "[::-1]"
        elif kind == "T":
            sfx = ".T"
        else:
            sfx = "[::2]"
    npname = f"np.{'bool_' if npdt == 'bool' else npdt}"
    if arr.size == 0:
        npcode = f"np.zeros({tuple(shape)}, dtype={npname}){sfx}"
    else:
        npcode = f"np.array({lit}, dtype={npname}){sfx}" if arr.ndim else f"np.array({lit}, dtype={npname})"
    view = eval(f"arr{sfx}") if sfx else arr  # noqa: S307 (our own suffix)
    if op in ("from_numpy", "tensor_np", "as_tensor"):
        c.setup.append(f"n = {npcode}")
        c.body = {"from_numpy": "out = torch.from_numpy(n)", "tensor_np": "out = torch.tensor(n)",
                  "as_tensor": "out = torch.as_tensor(n)"}[op]

        def reference(V):
            if view.size == 0 and sfx:
                return None
            if any(st < 0 for st in view.strides):
                raise Raises(ValueError, why="negative strides")
            return out(as_ref(view, npdt), npdt)
        c.ref = reference
        return
    if op == "bool_bytes":
        raw = [int(v) for v in rng.integers(0, 4, size=int(rng.integers(1, 5)))]
        raw[int(rng.integers(0, len(raw)))] = pick(rng, [2, 255, 7])
        c.tags.add("noncanonical_bool")
        c.setup.append(f"m = torch.from_numpy(np.array({raw}, dtype=np.uint8).view(np.bool_))")
        t = ctx.tensor((len(raw),), "float32", grad=False)
        use = pick(rng, ["m.sum()", "m.to(torch.int64)", "~m", "m.logical_not()", "m == True",
                         f"torch.where(m, {t.name}, 0.0)", "m.any()", "m.all()", "m & m", f"{t.name}[m]",
                         "m.float()", "m.clone()", "m.int() * 3", "m ^ True"])
        c.body = f"out = {use}"
        c.op = "bool_bytes:" + use.replace(f"{t.name}[", "x[").replace(f", {t.name},", ", x,")
        nz = np.array(raw) != 0

        def reference(V):
            x = V[t.name]
            r = {"m.sum()": lambda: out(nz.sum(), "int64"), "m.to(torch.int64)": lambda: out(nz, "int64"),
                 "~m": lambda: out(~nz, "bool"), "m.logical_not()": lambda: out(~nz, "bool"),
                 "m == True": lambda: out(nz, "bool"), "m.any()": lambda: out(nz.any(), "bool"),
                 "m.all()": lambda: out(nz.all(), "bool"), "m & m": lambda: out(nz, "bool"),
                 "m.float()": lambda: out(nz, "float32"), "m.clone()": lambda: out(nz, "bool"),
                 "m.int() * 3": lambda: out(nz * 3, "int32"), "m ^ True": lambda: out(~nz, "bool")}
            if use in r:
                return r[use]()
            if use.startswith("torch.where"):
                return out(np.where(nz, as_ref(x, "float32"), 0.0), "float32")
            return out(as_ref(x, "float32")[nz], "float32")
        c.ref = reference
        return
    tdt = ctx.dtype(0.6)
    tshape = shape if chance(rng, 0.7) else broadcast_partner(rng, shape)
    t = ctx.tensor(tshape, tdt, grad=False)
    if op == "np_scalar":
        sv = pick(rng, ["np.float64(2.5)", "np.float32(0.5)", "np.int64(3)", "np.bool_(True)", "np.int32(-2)"])
        sym = pick(rng, ["+", "*", "-"])
        c.body = f"out = {t.name} {sym} {sv}" if chance(rng, 0.6) else f"out = {sv} {sym} {t.name}"
        c.op = f"np_scalar{sym}"
        c.tags.add("numpy_scalar_operand")
        c.ref = None
        return
    c.setup.append(f"n = {npcode}")
    sym = pick(rng, ["+", "*", "==", "<", "/"])
    c.body = f"out = {t.name} {sym} n" if op == "operand" else f"out = n {sym} {t.name}"
    c.op = f"{op}{sym}"
    c.tags.add("numpy_array_operand")
    # No numpy-side opinion: torch sends ndarray operands through numpy's ufunc machinery (numpy's promotion,
    # TypeError for some operators), which is not a contract; the run checks no crash and, with torch, agreement.
    c.ref = None


# ================================================================ registry
FAMILIES = {
    "unary": (fam_unary, 10), "binary": (fam_binary, 16), "compare": (fam_compare, 5), "reduce": (fam_reduce, 12),
    "matmul": (fam_matmul, 7), "index": (fam_index, 12), "view": (fam_view, 10), "join": (fam_join, 6),
    "where_clamp": (fam_where, 5), "softmax": (fam_softmax, 3), "loss": (fam_loss, 4), "conv_pool": (fam_conv, 4),
    "create": (fam_create, 4), "convert": (fam_convert, 4), "numpy": (fam_numpy, 3),
}
GRAD_P = 0.3


def generate(seed, index, families=None):
    """The call number `index` of run `seed` (independent of every other index)."""
    for attempt in range(3):  # a generator bug costs one call, not the run (the call is tagged)
        rng = np.random.default_rng([int(seed), int(index)] + [attempt] * bool(attempt))
        names = list(families or FAMILIES)
        weights = np.array([FAMILIES[n][1] for n in names], dtype=float)
        fam = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        call = Call(seed=seed, index=index, family=fam)
        ctx = Ctx(rng, call, grad=chance(rng, GRAD_P))
        try:
            with R.ignore_np_warnings(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                FAMILIES[fam][0](ctx)
            break
        except Exception:
            if attempt == 2:
                raise
    if attempt:
        call.tags.add("regenerated_after_generator_error")
    if call.grad and call.inplace is None and call.family in ("create", "convert", "numpy"):
        call.grad = False
    return call
