"""Allowlist for the fuzzer: mismatches that are known, each with the op family, the condition and why.

todo=True entries are defects to fix: delete the entry with the fix, and the bounded run (tests/test_fuzz.py)
guards it from then on. todo=False entries are deliberate differences from PyTorch (the error contract in
/work/shared/RELIABILITY.md, or a PyTorch bug that tinygrad_ext does not copy). An entry matches a Finding f
through f.category, f.kind, f.detail and f.call (family, op, body, setup, tags, inputs, dtypes()).
`python -m tests.fuzz --no-known` shows everything; `--show-allowed` lists what each entry covers.
"""
import re
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Known:
    family: str           # op family ("*": any)
    categories: tuple     # finding categories it covers
    when: object          # predicate on the Finding
    why: str
    todo: bool            # True: a defect to fix; False: a deliberate difference


VALUE, GRAD, EXC = ("value",), ("grad",), ("exception",)
ANY = ("value", "grad", "exception")


def _dts(f):
    return set(f.call.dtypes().values())


def _in(f, name):
    t = f.call.inputs.get(name)
    return t.dtype if t is not None else None


def _op(f, *ops):
    return f.call.op in ops


def _nonfinite_inputs(f, skip=()):
    return any(t.dtype in ("float32", "float64") and t.arr.size and not np.all(np.isfinite(t.arr))
               for k, t in f.call.inputs.items() if k not in skip)


def _empty_input(f):
    return any(t.arr.size == 0 for t in f.call.inputs.values())


def _int_input(f, name="a"):
    return _in(f, name) in ("uint8", "int32", "int64", "bool")


CLAMP = ("clamp", "clamp_", "clip")

KNOWN = [
    # ------------------------------------------------------------------ silent wrong values (TODO)
    Known("where_clamp", VALUE + EXC,
          lambda f: _op(f, *CLAMP) and re.search(r"\d{15,}", f.call.body) is not None,
          "clamp/clip with an integer bound beyond 2**53 (e.g. max=2**63-1 on int64) go through a double: "
          "a.clamp_(max=9223372036854775807) turns every element into -2**63", True),
    Known("unary", VALUE, lambda f: _op(f, "square") and _in(f, "a") == "bool",
          "square(bool) returns bool; torch returns int64 (pow(x, 2) promotes)", True),
    Known("binary", VALUE,
          lambda f: f.call.op.startswith(("floor_divide", "remainder")) and "value" in f.kind,
          "float % when a / b overflows (|a| large, |b| tiny or subnormal): ours returns +-0 or a tiny value, torch "
          "nan (torch's a - b * floor(a / b)); float // edge cases of the same kind", True),
    Known("binary", ANY, lambda f: f.call.op in ("floor_divide_op=", "remainder_op=", "pow_op="),
          "`a //= b`, `a %= b`, `a **= b`: the result-type check is missing (bool %= float64 accepted; torch: "
          "'result type Double can't be cast'), bool operands are accepted (torch: NotImplementedError), and "
          "`a //= b` under autograd raises 'derivative for aten::floor_divide is not implemented'", True),
    Known("index", EXC, lambda f: _op(f, "masked_select") and "index tensors are supported" in f.detail,
          "masked_select with a mask of 5 or more dims raises 'between 1 and 4 index tensors are supported'", True),
    Known("binary", VALUE, lambda f: f.call.op.startswith("pow") and re.search(r"\d{9,}", f.call.body) is not None,
          "pow with a huge integer exponent (x ** 4294967297) rounds the exponent to float32 and loses its parity: "
          "(-1.63) ** 4294967297 is inf (torch: -inf)", True),
    Known("*", ANY, lambda f: "expanded_input" in f.call.tags and f.call.op in ("masked_fill_", "setitem") and
          "ours raised" in f.kind,
          "masked_fill_ and mask/index writes into an expanded (overlapping) view raise 'more than one element of the "
          "written-to tensor refers to a single memory location'; torch deprecates them with a warning and writes "
          "through the aliases (RELIABILITY.md: no silent writes through aliases)", False),
    Known("matmul", VALUE, lambda f: _op(f, "addmm") and "beta=0" in f.call.body,
          "addmm(input, m1, m2, beta=0) propagates nan/inf from input (input * 0); torch ignores input when "
          "beta is 0 (documented)", True),
    # ------------------------------------------------------------------ gradients (TODO)
    Known("where_clamp", GRAD, lambda f: _op(f, *CLAMP),
          "clamp with tensor bounds (implemented with maximum/minimum): at ties the gradient is split 0.5/0.5; "
          "torch gives it all to the input", True),
    Known("*", GRAD, lambda f: f.kind.startswith("grad value") and
          (len({d for d in _dts(f) if d.startswith("float")}) > 1 or "dtype=torch.float" in f.call.body),
          "gradients of mixed float32/float64 ops (x32 ** y64, x32 * y64, log_softmax(x64, dtype=float32)) are "
          "computed at float32 precision (relative error ~1e-7 where torch is exact to float64)", True),
    Known("binary", GRAD, lambda f: _op(f, "maximum", "minimum") and _nonfinite_inputs(f),
          "maximum/minimum gradient where an operand is NaN: ours gives it to neither input, torch to the first "
          "(minimum(a, nan): a.grad is 1)", True),
    Known("*", GRAD + EXC, lambda f: "at most 16 dimensions" in f.detail,
          "tensors of more than 16 dims: reductions raise 'at most 16 dimensions are supported', so does the "
          "backward of a view to 19 dims (torch allows 64)", True),
    # ------------------------------------------------------------------ exception classes (TODO)
    Known("binary", EXC + VALUE, lambda f: f.call.op.startswith("sub") and "bool" in _dts(f) | {
        "bool" if re.search(r"\b(True|False)\b", f.call.body) else ""},
          "subtraction with a bool operand (a - True, a.sub_(False), bool - int) is accepted; torch raises "
          "RuntimeError ('Subtraction ... with a bool tensor is not supported')", True),
    Known("binary", ANY, lambda f: f.call.op.startswith(("pow", "floor_divide", "remainder")) and
          ("bool" in _dts(f) or re.search(r"\b(True|False)\b", f.call.body) is not None),
          "pow/floor_divide/remainder on bool tensors: torch has no kernel (NotImplementedError); ours computes, "
          "or raises ZeroDivisionError for a False divisor", True),
    Known("binary", EXC, lambda f: f.call.op.startswith("pow") and re.search(r"(\*\*=? \(?|pow_?\((a, )?)-\d",
                                                                         f.call.body) is not None,
          "an integer tensor to a negative integer power (x ** -2) is accepted; torch: RuntimeError 'Integers to "
          "negative integer powers are not allowed.'", True),
    Known("binary", EXC, lambda f: f.call.op.startswith("pow") and "without overflow" in f.detail,
          "an integer tensor to a Python int exponent beyond its dtype: int32 ** 2**40 wraps the exponent (result "
          "x ** 0 = 1, silently); torch raises 'value cannot be converted to type int without overflow'", True),
    Known("unary", EXC, lambda f: _in(f, "a") == "bool" and f.call.op.rstrip("_") in (
        "abs", "floor", "ceil", "round", "trunc", "relu", "isfinite", "neg"),
          "unary ops on bool: abs/floor/ceil/round/trunc/relu are computed (torch: NotImplementedError / "
          "RuntimeError), isfinite(bool) raises (x - x on bool)", True),
    Known("reduce", EXC, lambda f: _op(f, "norm", "var", "std") and (_int_input(f) or "matrix_norm" in f.detail or
                                                                   "frobenius" in f.detail or "amax" in f.detail),
          "norm/var/std argument errors: norm(p=inf) over a zero-size dim raises amax's IndexError (torch: "
          "RuntimeError), the default (Frobenius) norm over more than 2 dims is computed (torch: RuntimeError), and "
          "a bad dtype together with a bad dim reports the dim", True),
    Known("*", EXC, lambda f: (_op(f, "conv2d", "max_pool2d", "avg_pool2d") and _int_input(f) and
                               "ours raised" in f.kind) or (_op(f, "softmax", "log_softmax") and _empty_input(f)),
          "integer conv2d/max_pool2d/avg_pool2d: torch computes them on the CPU, ours raises NotImplementedError "
          "(float32/float64 kernels only); softmax of an empty integer tensor: torch returns it, ours raises", True),
    Known("where_clamp", EXC + GRAD, lambda f: _op(f, "where"),
          "torch.where with a Python number that does not fit the tensor operand's dtype (where(c, uint8 tensor, "
          "2**63 - 1)) is not overflow-checked (torch: 'value cannot be converted to type uint8_t without "
          "overflow')", True),
    Known("where_clamp", EXC, lambda f: _op(f, *CLAMP),
          "clamp: in-place clamp_ with bounds of a wider dtype does not raise 'result type ... can't be cast'; "
          "bounds are not overflow-checked ('value cannot be converted to type float without overflow')", True),
    Known("index", EXC, lambda f: _op(f, "setitem") and "Index put requires" in f.detail,
          "setitem with an index tensor and a value tensor of another dtype casts the value; torch raises "
          "RuntimeError 'Index put requires the source and destination dtypes match'", True),
    Known("create", EXC, lambda f: _op(f, "tensor") and "Overflow when unpacking" in f.detail,
          "tensor([-2**63 - 1], dtype=torch.float32): a Python int beyond int64 raises ValueError even for a float "
          "dtype (torch converts it)", True),
    Known("index", GRAD, lambda f: _op(f, "setitem"),
          "setitem under autograd: a[...] = b of a 0-d target from a 1-element tensor fails in backward "
          "(IndexError 'tuple index out of range'); writing into an expanded view gives the aliased gradient "
          "twice; setting a float value that requires grad into a bool tensor: torch's result requires grad", True),
    Known("unary", GRAD, lambda f: _op(f, "rsqrt", "sqrt", "reciprocal", "log") and _nonfinite_inputs(f) or
          (_op(f, "rsqrt", "sqrt", "reciprocal", "log") and "-0.0" in "".join(f.call.setup)),
          "gradient signs at -0.0: rsqrt'(-0.0) is -inf (torch: +inf, it computes -0.5 * rsqrt(x)**3)", True),
    Known("index", VALUE, lambda f: _op(f, "setitem") and "negative_index" in f.call.tags,
          "setitem with repeated indices (3 and -2 of 5 are the same element): which write wins is unspecified "
          "in torch and ours (index_put_ without accumulate)", False),
    Known("*", EXC + VALUE, lambda f: f.call.op in (
        "gather", "scatter_add", "scatter_add_", "bmm", "matmul", "@", "getitem", "setitem", "floor_divide",
        "remainder", "floor_divide_", "remainder_", "floor_divide_op=", "remainder_op=") and
          (_empty_input(f) or ("ours raised" in f.kind and "index_out_of_range" in f.call.tags)),
          "ours validates index values/shapes, dtypes and integer divisors even when nothing is computed (empty "
          "operands); torch skips those checks. RELIABILITY.md row 22: validate index tensors before the kernel",
          False),
    Known("index", GRAD + EXC, lambda f: _op(f, "scatter_add", "scatter_add_") and "torch raised" in f.kind,
          "torch's scatter_add backward fails when src is larger than index ('returned an invalid gradient'); "
          "ours returns src-shaped gradients", False),
    Known("*", GRAD, lambda f: "torch raised" in f.kind and f.call.op in (
        "pow", "adaptive_avg_pool2d", "clamp", "clip", "masked_fill_", "remainder(reflected)"),
          "PyTorch backward bugs not copied: pow with a bool exponent (computes b - 1 on bool), adaptive_avg_pool2d "
          "to size 0, clamp with tensor bounds broadcasting past the input, remainder(number, tensor)", False),
    Known("index", VALUE, lambda f: f.kind.startswith("input modified") and "index_out_of_range" in f.call.tags,
          "after a failed advanced-index write torch has already written part of it; ours leaves the tensor "
          "unchanged (RELIABILITY.md: never leave a tensor half-modified)", False),
    Known("index", EXC + VALUE, lambda f: "zero_dim_index_0" in f.call.tags,
          "t[0] on a 0-d tensor returns the value with a DeprecationWarning (RELIABILITY.md row 20, 2017 code)",
          False),
    Known("numpy", ANY, lambda f: bool({"numpy_array_operand", "numpy_scalar_operand"} & f.call.tags),
          "numpy arrays/scalars as operands: torch sends them through numpy's ufunc machinery (numpy promotion, "
          "float64 results, TypeError for t < array and array * t); ours converts them to tensors", False),
    Known("numpy", EXC, lambda f: _op(f, "tensor_np", "as_tensor") and "negative_stride" in f.call.tags,
          "tensor()/as_tensor() of a negative-stride array copy it; torch raises ValueError (RELIABILITY.md row "
          "46: same ValueError or copy)", False),
    Known("numpy", ANY, lambda f: "noncanonical_bool" in f.call.tags,
          "from_numpy of a bool array holding bytes other than 0/1 raises ValueError; torch reinterprets the "
          "bytes (undefined behaviour in its kernels)", False),
]


def match(finding):
    """The first entry allowing `finding`, or None."""
    for k in KNOWN:
        if k.family not in ("*", finding.call.family) or finding.category not in k.categories:
            continue
        try:
            if k.when(finding):
                return k
        except Exception:  # noqa: BLE001 (a predicate that does not apply)
            continue
    return None
