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


def _constant_input(f, name="a"):
    t = f.call.inputs.get(name)
    return t is not None and t.arr.size > 1 and bool(np.all(t.arr == t.arr.flat[0]))


CLAMP = ("clamp", "clamp_", "clip")

KNOWN = [
    # ------------------------------------------------------------------ writes, gradients, kernel limits
    Known("*", ANY, lambda f: "expanded_input" in f.call.tags and f.call.op in ("masked_fill_", "setitem") and
          "ours raised" in f.kind,
          "masked_fill_ and mask/index writes into an expanded (overlapping) view raise 'more than one element of the "
          "written-to tensor refers to a single memory location'; torch deprecates them with a warning and writes "
          "through the aliases (RELIABILITY.md: no silent writes through aliases)", False),
    Known("*", GRAD, lambda f: f.kind.startswith("grad value") and
          (len({d for d in _dts(f) if d.startswith("float")}) > 1 or "dtype=torch.float" in f.call.body),
          "gradients that pass through a float32 op of a float64 input (x32 * y64 with a 0-d y64, "
          "log_softmax(x64, dtype=float32)) are float32 sums: ours and torch's round differently (different "
          "summation orders, ~1e-7 relative); the comparison is at float64 tolerance", False),
    Known("*", GRAD + EXC, lambda f: "at most 16 dimensions" in f.detail,
          "tensors of up to 64 dims work as torch's, but a kernel walks at most 16 dims after merging the "
          "back-to-back ones (csrc/core/iterator.h): more than 16 that do not merge raise RuntimeError naming the "
          "fix (.contiguous()); torch walks any rank (README: deliberate differences)", False),
    Known("reduce", VALUE + GRAD, lambda f: _op(f, "var", "std", "var_mean", "std_mean") and _constant_input(f),
          "var/std of a constant float32 slice: ours is exactly 0 (two passes, an exact mean), torch's Welford "
          "leaves ~1e-8 of rounding noise and so a finite gradient where ours is 0 (README: deliberate)", False),
    Known("conv_pool", VALUE, lambda f: _op(f, "conv2d") and _nonfinite_inputs(f, skip=("a",)) and
          "padding" in f.call.body,
          "conv2d with inf/NaN weights and zero padding: ours multiplies the padding's zeros by the weights "
          "(im2col + GEMM: 0 * inf = NaN spreads to the border outputs), torch's direct kernel skips the padding",
          False),
    Known("index", GRAD, lambda f: _op(f, "masked_fill_", "setitem") and f.kind.startswith("requires_grad") and
          not _in(f, "a").startswith("float"),
          "masked_fill_/setitem of an integer/bool tensor with a value that requires grad: torch marks the result "
          "as requiring grad; ours does not (integer tensors cannot require grad, torch's own rule elsewhere)", False),
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
    Known("conv_pool", GRAD, lambda f: _op(f, "max_pool2d") and "dilation" in f.call.body,
          "max_pool2d windows of padding only (dilation): torch's backward adds their gradient at an index past "
          "the plane, i.e. into the next plane's elements; ours gives those windows no gradient", False),
    Known("binary", GRAD, lambda f: f.call.op.startswith("pow") and re.search(r"\*\* (True|False)\b|, (True|False)\)",
                                                                       f.call.body) is not None,
          "pow with a bool exponent: torch's backward computes exponent - 1 on the bool (x ** False gives NaN "
          "gradients at 0); ours treats it as the number", False),
    Known("*", GRAD, lambda f: "torch raised" in f.kind and f.call.op in (
        "pow", "pow(reflected)", "adaptive_avg_pool2d", "clamp", "clip", "masked_fill_", "remainder(reflected)"),
          "PyTorch backward bugs not copied: pow with a bool exponent (computes b - 1 on bool) or base (True ** x: "
          "an INTERNAL ASSERT), adaptive_avg_pool2d "
          "to size 0, clamp with tensor bounds broadcasting past the input, remainder(number, tensor)", False),
    Known("index", VALUE, lambda f: f.kind.startswith("input modified") and "index_out_of_range" in f.call.tags,
          "after a failed advanced-index write torch has already written part of it; ours leaves the tensor "
          "unchanged (RELIABILITY.md: never leave a tensor half-modified)", False),
    Known("index", EXC + VALUE, lambda f: "zero_dim_index_0" in f.call.tags,
          "t[0] on a 0-d tensor returns the value with a DeprecationWarning (RELIABILITY.md row 20, 2017 code)",
          False),
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
