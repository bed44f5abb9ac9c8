"""The op table: one row per op, each checked against numpy float64 by oracle.check_op on
contiguous, transposed, sliced, expanded, broadcast, 0-d, zero-size and mixed inputs, per dtype
and per device. Adding an op to the suite is adding a row."""
import math
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
import tinygrad_ext as torch
from oracle import (
    ALL_DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    LAYOUTS,
    SHAPE_PRESERVING,
    assert_matches,
    check_op,
    numeric_grad,
    to_numpy,
)

F = FLOAT_DTYPES
FI = FLOAT_DTYPES + INT_DTYPES
SIGNED = FLOAT_DTYPES + (torch.int32, torch.int64)
ALL = ALL_DTYPES
NO_BCAST = SHAPE_PRESERVING
NO_SCALAR = tuple(x for x in SHAPE_PRESERVING if x != "scalar")
DENSE = ("contiguous", "transposed", "strided", "mixed")  # layouts an in-place op can write into
NO_EMPTY = tuple(x for x in NO_SCALAR if x != "empty")

S1 = [(4, 37)]           # 37 columns: a vector body and a tail on the AVX2 path
S2 = [(4, 37), (4, 37)]
S3 = [(4, 37)] * 3
R3 = [(3, 5, 6)]         # 3-D input for reductions over several dims


def f32(dt):
    """Result dtype of float ops: floats keep theirs, integers and bool become float32 (default dtype)."""
    return dt if dt.is_floating_point else torch.float32


def same(dt):
    return dt


def boolean(dt):
    return torch.bool


def long_(dt):
    return torch.int64


def sum_dtype(dt):
    return dt if dt.is_floating_point else torch.int64


@dataclass
class Row:
    name: str
    fn: object                    # tinygrad_ext: fn(*tensors)
    ref: object                   # numpy: ref(*arrays) in float64/int64
    shapes: list = field(default_factory=lambda: S2)
    dtypes: tuple = F
    layouts: tuple = LAYOUTS
    domain: object = (-2.0, 2.0)
    nonzero: bool = False
    out_dtype: object = None      # callable(input dtype) -> dtype(s); default: the input dtype
    input_dtypes: object = None   # callable(dtype) -> one dtype per input
    rtol: float = None
    atol: float = None
    inplace: bool = False
    empty_shapes: list = None
    grad: bool = False            # run oracle.numeric_grad on float64 cases


def dev_idx(a, values):
    """An int64 index tensor on a's device."""
    return torch.tensor(values, device=a.device)


def np_setitem(a, key, value):
    a = a.copy()
    a[key] = value
    return a


def setitem(a, key, value):
    a[key] = value
    return a


def iadd(a, b):
    a += b
    return a


def isub(a, b):
    a -= b
    return a


def imul(a, b):
    a *= b
    return a


def itruediv(a, b):
    a /= b
    return a


def iand(a, b):
    a &= b
    return a


def ior(a, b):
    a |= b
    return a


def ixor(a, b):
    a ^= b
    return a


def sigmoid_ref(x):
    return 1.0 / (1.0 + np.exp(-x))


GATHER_IDX = np.random.default_rng(7).integers(0, 37, size=(4, 5))
U = (-2.0, 2.0)
BITS = (-100, 100)  # integers with a few bits set (uint8: 0..100)
INTB = (torch.bool,) + INT_DTYPES
POS = (0.1, 4.0)

ROWS = [
    # ------------------------------------------------------------- binary arithmetic
    Row("add", lambda a, b: a + b, np.add, dtypes=ALL, grad=True),
    Row("torch.add", lambda a, b: torch.add(a, b), np.add, dtypes=FI),
    Row("torch.add_alpha", lambda a, b: torch.add(a, b, alpha=2), lambda a, b: a + 2 * b, dtypes=FI),
    Row("sub", lambda a, b: a - b, np.subtract, dtypes=FI, grad=True),
    Row("sub_alpha", lambda a, b: a.sub(b, alpha=-0.5), lambda a, b: a + 0.5 * b, grad=True),
    Row("mul", lambda a, b: a * b, np.multiply, dtypes=ALL, grad=True),
    Row("div", lambda a, b: a / b, np.divide, dtypes=FI, nonzero=True, out_dtype=f32, grad=True),
    Row("torch.div", lambda a, b: torch.div(a, b), np.divide, nonzero=True),
    Row("pow", lambda a, b: a ** b, np.power, domain=[(0.2, 3.0), (-2.0, 2.0)], grad=True),
    Row("torch.pow", torch.pow, np.power, domain=[(0.2, 3.0), (-2.0, 2.0)]),
    Row("torch.pow_number_base", lambda a: torch.pow(2, a), lambda a: 2.0 ** a, S1),
    Row("pow_int", lambda a, b: a.pow(b), np.power, dtypes=(torch.int32, torch.int64),
        domain=[(-3, 3), (0, 4)]),
    Row("maximum", torch.maximum, np.maximum, dtypes=ALL),
    Row("minimum", torch.minimum, np.minimum, dtypes=ALL),
    Row("torch.max(a, b)", lambda a, b: torch.max(a, b), np.maximum, dtypes=FI),
    Row("floor_divide", lambda a, b: a // b, np.floor_divide, dtypes=FI, nonzero=True),
    Row("remainder", lambda a, b: a % b, np.remainder, dtypes=FI, nonzero=True),
    # ------------------------------------------------------------- Python scalars as operands
    Row("add_scalar_float", lambda a: a + 2.5, lambda a: a + 2.5, S1, ALL, out_dtype=f32),
    Row("add_scalar_int", lambda a: a + 3, lambda a: a + 3, S1, FI),
    Row("radd_scalar", lambda a: 3 + a, lambda a: 3 + a, S1, FI),
    Row("sub_scalar", lambda a: a - 1.5, lambda a: a - 1.5, S1, FI, out_dtype=f32),
    Row("rsub_scalar", lambda a: 2 - a, lambda a: 2 - a, S1, SIGNED),
    Row("mul_scalar", lambda a: a * -1.5, lambda a: a * -1.5, S1, FI, out_dtype=f32),
    Row("rmul_scalar", lambda a: 3 * a, lambda a: 3 * a, S1, FI),
    Row("div_scalar", lambda a: a / 4, lambda a: a / 4, S1, FI, out_dtype=f32),
    Row("rdiv_scalar", lambda a: 2 / a, lambda a: 2 / a, S1, FI, nonzero=True, out_dtype=f32),
    Row("pow_scalar_2", lambda a: a ** 2, lambda a: a ** 2, S1, FI),
    Row("pow_scalar_3", lambda a: a ** 3, lambda a: a ** 3, S1, FI),
    Row("pow_scalar_half", lambda a: a ** 0.5, np.sqrt, S1, domain=POS),
    Row("pow_scalar_neg", lambda a: a ** -1.5, lambda a: a ** -1.5, S1, domain=POS),
    Row("rpow_scalar", lambda a: 2 ** a, lambda a: 2.0 ** a, S1),
    Row("rpow_scalar_int", lambda a: 2 ** a, lambda a: 2 ** a, S1, (torch.int32, torch.int64), domain=(0, 5)),
    Row("floordiv_scalar", lambda a: a // 2, lambda a: a // 2, S1, FI),
    Row("mod_scalar", lambda a: a % 3, lambda a: a % 3, S1, FI),
    Row("maximum_0d", lambda a: torch.maximum(a, torch.tensor(0.5, dtype=a.dtype, device=a.device)),
        lambda a: np.maximum(a, 0.5), S1),
    # ------------------------------------------------------------- unary
    Row("neg", lambda a: -a, np.negative, S1, SIGNED + (torch.uint8,), grad=True),
    Row("torch.neg", torch.neg, np.negative, S1, SIGNED),
    Row("abs", lambda a: a.abs(), np.abs, S1, FI, grad=True),
    Row("torch.abs", torch.abs, np.abs, S1, SIGNED),
    Row("exp", torch.exp, np.exp, S1, domain=(-6.0, 6.0), grad=True),
    Row("exp_int", torch.exp, lambda a: np.exp(a.astype(np.float64)), S1, INT_DTYPES + (torch.bool,), domain=(0, 5),
        out_dtype=f32),
    Row("exp_wide", torch.exp, np.exp, S1, domain=(-80.0, 80.0)),
    Row("log", torch.log, np.log, S1, domain=POS, grad=True),
    Row("log_wide", torch.log, np.log, S1, domain=(1e-30, 1e30)),
    Row("log_int", torch.log, np.log, S1, INT_DTYPES, domain=(1, 50), out_dtype=f32),
    Row("sqrt", torch.sqrt, np.sqrt, S1, domain=POS, grad=True),
    Row("sqrt_int", torch.sqrt, np.sqrt, S1, INT_DTYPES, domain=(0, 50), out_dtype=f32),
    Row("rsqrt", torch.rsqrt, lambda a: 1 / np.sqrt(a), S1, domain=POS),
    Row("tanh", torch.tanh, np.tanh, S1, domain=(-6.0, 6.0), grad=True),
    Row("tanh_small", torch.tanh, np.tanh, S1, domain=(-0.7, 0.7)),
    Row("sigmoid", torch.sigmoid, sigmoid_ref, S1, domain=(-8.0, 8.0), grad=True),
    Row("relu", torch.relu, lambda a: np.maximum(a, 0), S1, FI, grad=True),
    Row("relu_method", lambda a: a.relu(), lambda a: np.maximum(a, 0), S1, SIGNED),
    Row("sin", torch.sin, np.sin, S1, domain=(-4.0, 4.0)),
    Row("cos", torch.cos, np.cos, S1, domain=(-4.0, 4.0)),
    Row("log1p", torch.log1p, np.log1p, S1, domain=(-0.5, 3.0)),
    Row("expm1", torch.expm1, np.expm1, S1),
    Row("reciprocal", torch.reciprocal, np.reciprocal, S1, nonzero=True),
    Row("sign", torch.sign, np.sign, S1, SIGNED),
    Row("floor", torch.floor, np.floor, S1, domain=(-5.0, 5.0)),
    Row("ceil", torch.ceil, np.ceil, S1, domain=(-5.0, 5.0)),
    Row("round", torch.round, np.round, S1, domain=(-5.0, 5.0)),
    Row("trunc", torch.trunc, np.trunc, S1, domain=(-5.0, 5.0)),
    Row("square", torch.square, np.square, S1, SIGNED),
    Row("clamp", lambda a: torch.clamp(a, -0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), S1, grad=True),
    Row("clamp_min", lambda a: a.clamp(min=-0.5), lambda a: np.maximum(a, -0.5), S1),
    Row("clamp_max", lambda a: a.clamp(max=0.7), lambda a: np.minimum(a, 0.7), S1),
    Row("clamp_int", lambda a: a.clamp(-1, 2), lambda a: np.clip(a, -1, 2), S1, (torch.int32, torch.int64),
        domain=(-4, 4)),
    Row("clip", lambda a: torch.clip(a, -1.0, 1.0), lambda a: np.clip(a, -1, 1), S1),
    # ------------------------------------------------------------- comparisons and logic (bool results)
    *[Row(name, fn, ref, S2, ALL, domain=(-2, 2), out_dtype=boolean) for name, fn, ref in (
        ("eq", lambda a, b: a == b, np.equal), ("ne", lambda a, b: a != b, np.not_equal),
        ("lt", lambda a, b: a < b, np.less), ("le", lambda a, b: a <= b, np.less_equal),
        ("gt", lambda a, b: a > b, np.greater), ("ge", lambda a, b: a >= b, np.greater_equal),
        ("torch.eq", torch.eq, np.equal), ("torch.lt", torch.lt, np.less), ("ge_method", lambda a, b: a.ge(b),
                                                                              np.greater_equal),
        ("logical_and", torch.logical_and, np.logical_and), ("logical_or", torch.logical_or, np.logical_or),
        ("logical_xor", torch.logical_xor, np.logical_xor))],
    Row("lt_scalar", lambda a: a < 0.5, lambda a: a < 0.5, S1, FI, out_dtype=boolean),
    Row("eq_scalar", lambda a: a == 1, lambda a: a == 1, S1, FI, out_dtype=boolean),
    Row("logical_not", torch.logical_not, np.logical_not, S1, ALL, out_dtype=boolean),
    Row("and_op", lambda a, b: a & b, np.logical_and, S2, (torch.bool,)),
    Row("or_op", lambda a, b: a | b, np.logical_or, S2, (torch.bool,)),
    Row("invert_bool", lambda a: ~a, np.logical_not, S1, (torch.bool,)),
    # ------------------------------------------------------------- bitwise (bool and integer dtypes)
    *[Row(name, fn, ref, S2, INTB, domain=BITS) for name, fn, ref in (
        ("bitwise_and", torch.bitwise_and, np.bitwise_and), ("bitwise_or", torch.bitwise_or, np.bitwise_or),
        ("bitwise_xor", torch.bitwise_xor, np.bitwise_xor), ("and_op_int", lambda a, b: a & b, np.bitwise_and),
        ("or_op_int", lambda a, b: a | b, np.bitwise_or), ("xor_op", lambda a, b: a ^ b, np.bitwise_xor),
        ("bitwise_and_method", lambda a, b: a.bitwise_and(b), np.bitwise_and))],
    Row("bitwise_and_broadcast", torch.bitwise_and, np.bitwise_and, [(4, 37), (37,)], INTB, NO_EMPTY, BITS),
    Row("bitwise_not", torch.bitwise_not, np.invert, S1, INTB, domain=BITS),
    Row("invert_int", lambda a: ~a, np.invert, S1, INTB, domain=BITS),
    Row("and_scalar", lambda a: a & 13, lambda a: a & 13, S1, INT_DTYPES, domain=BITS),
    Row("rand_scalar", lambda a: 13 & a, lambda a: 13 & a, S1, INT_DTYPES, domain=BITS),
    Row("ror_scalar", lambda a: 5 | a, lambda a: 5 | a, S1, INT_DTYPES, domain=BITS),
    Row("rxor_scalar", lambda a: 6 ^ a, lambda a: 6 ^ a, S1, INT_DTYPES, domain=BITS),
    Row("iand", iand, np.bitwise_and, S2, INTB, DENSE, BITS, inplace=True),
    Row("ior", ior, np.bitwise_or, S2, INTB, DENSE, BITS, inplace=True),
    Row("ixor", ixor, np.bitwise_xor, S2, INTB, DENSE, BITS, inplace=True),
    Row("bitwise_and_", lambda a, b: a.bitwise_and_(b), np.bitwise_and, S2, INTB, DENSE + ("scalar", "empty"),
        BITS, inplace=True),
    Row("bitwise_not_", lambda a: a.bitwise_not_(), np.invert, S1, INTB, DENSE + ("scalar", "empty"), BITS,
        inplace=True),
    Row("where", torch.where, np.where, S3, ALL, input_dtypes=lambda dt: [torch.bool, dt, dt],
        out_dtype=same),
    Row("where_scalar", lambda c, a: torch.where(c, a, 0.0), lambda c, a: np.where(c, a, 0.0), S2, F,
        input_dtypes=lambda dt: [torch.bool, dt], out_dtype=same),
    Row("where_grad", lambda a, b: torch.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b), S2, grad=True),
    # ------------------------------------------------------------- in-place and Python operators
    Row("add_", lambda a, b: a.add_(b), np.add, S2, FI, DENSE + ("scalar", "empty"), inplace=True),
    Row("add_broadcast_rhs", lambda a, b: a.add_(b), np.add, [(4, 37), (37,)], FI, DENSE + ("scalar",),
        inplace=True),
    Row("add_alpha", lambda a, b: a.add_(b, alpha=2), lambda a, b: a + 2 * b, S2, F, DENSE, inplace=True),
    Row("sub_", lambda a, b: a.sub_(b), np.subtract, S2, FI, DENSE + ("scalar", "empty"), inplace=True),
    Row("mul_", lambda a, b: a.mul_(b), np.multiply, S2, FI, DENSE + ("scalar", "empty"), inplace=True),
    Row("div_", lambda a, b: a.div_(b), np.divide, S2, F, DENSE + ("scalar", "empty"), nonzero=True, inplace=True),
    Row("add_scalar_", lambda a: a.add_(1.5), lambda a: a + 1.5, S1, F, DENSE + ("scalar", "empty"), inplace=True),
    Row("mul_scalar_", lambda a: a.mul_(3), lambda a: a * 3, S1, FI, DENSE + ("scalar", "empty"), inplace=True),
    Row("div_scalar_", lambda a: a.div_(4), lambda a: a / 4, S1, F, DENSE + ("scalar", "empty"), inplace=True),
    Row("clamp_", lambda a: a.clamp_(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), S1, F, DENSE + ("scalar",),
        inplace=True),
    Row("zero_", lambda a: a.zero_(), np.zeros_like, S1, ALL, DENSE + ("scalar", "empty"), inplace=True),
    Row("fill_", lambda a: a.fill_(2), lambda a: np.full_like(a, 2), S1, FI, DENSE + ("scalar",), inplace=True),
    Row("copy_", lambda a, b: a.copy_(b), lambda a, b: b, S2, ALL, DENSE + ("scalar", "empty"), inplace=True),
    Row("copy_broadcast", lambda a, b: a.copy_(b), lambda a, b: np.broadcast_to(b, a.shape),
        [(4, 37), (37,)], F, DENSE, inplace=True),
    Row("copy_cast", lambda a, b: a.copy_(b), lambda a, b: b.astype(np.float32), S2, (torch.float32,), DENSE,
        input_dtypes=lambda dt: [torch.float32, torch.float64], inplace=True),
    Row("iadd", iadd, np.add, S2, FI, DENSE, inplace=True),
    Row("isub", isub, np.subtract, S2, FI, DENSE, inplace=True),
    Row("imul", imul, np.multiply, S2, FI, DENSE, inplace=True),
    Row("itruediv", itruediv, np.divide, S2, F, DENSE, nonzero=True, inplace=True),
    Row("isub_scalar", lambda a: isub(a, 2), lambda a: a - 2, S1, FI, DENSE, inplace=True),
    Row("imul_scalar", lambda a: imul(a, 0.5), lambda a: a * 0.5, S1, F, DENSE, inplace=True),
    # ------------------------------------------------------------- reductions
    Row("sum", lambda a: a.sum(), np.sum, R3, ALL, NO_BCAST, out_dtype=sum_dtype, grad=True),
    Row("torch.sum", lambda a: torch.sum(a), np.sum, R3, F, NO_BCAST),
    Row("sum_dim", lambda a: a.sum(1), lambda a: a.sum(1), R3, ALL, NO_SCALAR, out_dtype=sum_dtype, grad=True),
    Row("sum_dim_neg", lambda a: a.sum(-1), lambda a: a.sum(-1), R3, FI, NO_SCALAR, out_dtype=sum_dtype),
    Row("sum_dims_keepdim", lambda a: a.sum((0, 2), keepdim=True), lambda a: a.sum((0, 2), keepdims=True), R3, FI,
        NO_SCALAR, out_dtype=sum_dtype),
    Row("sum_large", lambda a: a.sum(), np.sum, [(300, 257)], F, ("contiguous", "transposed", "strided"),
        rtol=1e-5, atol=1e-4),
    Row("cumsum", lambda a: a.cumsum(1), lambda a: np.cumsum(a, 1), R3, FI, NO_SCALAR, out_dtype=sum_dtype,
        grad=True),
    Row("cumsum_neg", lambda a: torch.cumsum(a, -1), lambda a: np.cumsum(a, -1), R3, F, NO_SCALAR),
    Row("mean", lambda a: a.mean(), np.mean, R3, F, NO_BCAST, grad=True),
    Row("mean_dim", lambda a: a.mean(0), lambda a: a.mean(0), R3, F, NO_SCALAR),
    Row("mean_dim_keepdim", lambda a: a.mean(2, keepdim=True), lambda a: a.mean(2, keepdims=True), R3, F, NO_SCALAR),
    Row("prod", lambda a: a.prod(), np.prod, R3, F, NO_BCAST, domain=(0.8, 1.2)),
    Row("prod_dim", lambda a: a.prod(1), lambda a: a.prod(1), R3, FI, NO_SCALAR, domain=(-2, 2),
        out_dtype=sum_dtype),
    Row("max_all", lambda a: a.max(), np.max, R3, FI, tuple(x for x in NO_BCAST if x != "empty")),
    Row("min_all", lambda a: torch.min(a), np.min, R3, FI, tuple(x for x in NO_BCAST if x != "empty")),
    Row("max_dim", lambda a: tuple(torch.max(a, 1)), lambda a: (a.max(1), a.argmax(1)), R3, FI, NO_SCALAR,
        out_dtype=lambda dt: (dt, torch.int64)),
    Row("min_dim_keepdim", lambda a: tuple(a.min(2, keepdim=True)),
        lambda a: (a.min(2, keepdims=True), a.argmin(2, keepdims=True)), R3, FI, NO_SCALAR,
        out_dtype=lambda dt: (dt, torch.int64)),
    Row("max_dim_fields", lambda a: (a.max(0).values, a.max(0).indices), lambda a: (a.max(0), a.argmax(0)),
        R3, F, NO_EMPTY, out_dtype=lambda dt: (dt, torch.int64)),
    Row("amax", lambda a: a.amax(1), lambda a: a.max(1), R3, FI, NO_SCALAR),
    Row("amin_dims", lambda a: a.amin((0, 1)), lambda a: a.min((0, 1)), R3, FI, NO_EMPTY),
    Row("argmax", lambda a: a.argmax(), np.argmax, R3, FI, tuple(x for x in NO_BCAST if x != "empty"),
        out_dtype=long_),
    Row("argmax_dim", lambda a: torch.argmax(a, 1), lambda a: a.argmax(1), R3, FI, NO_SCALAR, out_dtype=long_),
    Row("argmin_dim_keepdim", lambda a: a.argmin(2, keepdim=True), lambda a: a.argmin(2, keepdims=True), R3, FI,
        NO_SCALAR, out_dtype=long_),
    Row("norm", lambda a: a.norm(), np.linalg.norm, S1, F, NO_BCAST),
    Row("norm_dim", lambda a: a.norm(dim=1), lambda a: np.linalg.norm(a, axis=1), S1, F, NO_SCALAR),
    Row("norm_p1", lambda a: a.norm(1), lambda a: np.abs(a).sum(), S1, F, NO_BCAST),
    Row("var", lambda a: a.var(), lambda a: np.var(a, ddof=1), R3, F, NO_EMPTY),
    Row("var_dim_biased", lambda a: a.var(1, unbiased=False), lambda a: np.var(a, 1), R3, F, NO_SCALAR),
    Row("std", lambda a: a.std(), lambda a: np.std(a, ddof=1), R3, F, NO_EMPTY),
    Row("std_dim_keepdim", lambda a: a.std(2, keepdim=True), lambda a: np.std(a, 2, ddof=1, keepdims=True), R3, F,
        NO_EMPTY),
    Row("any", lambda a: (a > 1.5).any(), lambda a: np.any(a > 1.5), S1, F, NO_BCAST, out_dtype=boolean),
    Row("all_dim", lambda a: (a > -1.5).all(1), lambda a: np.all(a > -1.5, 1), S1, F, NO_SCALAR,
        out_dtype=boolean),
    # ------------------------------------------------------------- matmul family
    Row("mm", torch.mm, np.matmul, [(5, 7), (7, 6)], F, NO_SCALAR, empty_shapes=[(0, 7), (7, 6)],
        rtol=1e-5, atol=1e-5, grad=True),
    Row("mm_k0", torch.mm, np.matmul, [(5, 0), (0, 6)], F, ("contiguous", "transposed")),
    Row("mm_method", lambda a, b: a.mm(b), np.matmul, [(33, 17), (17, 40)], F, DENSE, rtol=1e-5, atol=1e-5),
    # Big enough for the packed GEMM: edge tiles in both dims, two K blocks, every operand layout.
    Row("mm_packed", torch.mm, np.matmul, [(37, 300), (300, 70)], F, DENSE, rtol=1e-4, atol=1e-4),
    Row("addmm_packed", torch.addmm, lambda b, x, y: b + x @ y, [(70,), (37, 300), (300, 70)], F, DENSE,
        rtol=1e-4, atol=1e-4),
    Row("matmul_op", lambda a, b: a @ b, np.matmul, [(5, 7), (7, 6)], F, DENSE, rtol=1e-5, atol=1e-5),
    Row("bmm", torch.bmm, np.matmul, [(3, 5, 7), (3, 7, 6)], F, NO_SCALAR, rtol=1e-5, atol=1e-5, grad=True),
    Row("matmul_1d_1d", torch.matmul, np.matmul, [(7,), (7,)], F, NO_SCALAR, rtol=1e-5, atol=1e-5),
    Row("matmul_1d_2d", torch.matmul, np.matmul, [(7,), (7, 6)], F, DENSE, rtol=1e-5, atol=1e-5),
    Row("matmul_2d_1d", torch.matmul, np.matmul, [(5, 7), (7,)], F, DENSE, rtol=1e-5, atol=1e-5),
    Row("matmul_3d_2d", torch.matmul, np.matmul, [(3, 5, 7), (7, 6)], F, DENSE, rtol=1e-5, atol=1e-5),
    Row("matmul_1d_3d", torch.matmul, np.matmul, [(7,), (3, 7, 6)], F, DENSE, rtol=1e-5, atol=1e-5),
    Row("matmul_batch_bcast", torch.matmul, np.matmul, [(2, 1, 5, 7), (3, 7, 6)], F, DENSE + ("empty",),
        empty_shapes=[(0, 1, 5, 7), (3, 7, 6)], rtol=1e-5, atol=1e-5),
    Row("addmm", torch.addmm, lambda b, x, y: b + x @ y, [(6,), (5, 7), (7, 6)], F, NO_SCALAR,
        empty_shapes=[(6,), (0, 7), (7, 6)], rtol=1e-5, atol=1e-5),
    Row("addmm_beta_alpha", lambda b, x, y: torch.addmm(b, x, y, beta=0.5, alpha=2),
        lambda b, x, y: 0.5 * b + 2 * (x @ y), [(5, 6), (5, 7), (7, 6)], F, DENSE, rtol=1e-5, atol=1e-5),
    Row("mv", torch.mv, np.matmul, [(5, 7), (7,)], F, NO_SCALAR, empty_shapes=[(0, 7), (7,)], rtol=1e-5,
        atol=1e-5),
    Row("dot", torch.dot, np.dot, [(7,), (7,)], F, NO_SCALAR, rtol=1e-5, atol=1e-5),
    # ------------------------------------------------------------- indexing
    Row("index_select", lambda a: a.index_select(1, dev_idx(a, [3, 0, 3, 36])), lambda a: a[:, [3, 0, 3, 36]], S1,
        FI, NO_SCALAR),
    Row("torch.index_select", lambda a: torch.index_select(a, 0, dev_idx(a, [2, 1])), lambda a: a[[2, 1]], S1, F,
        NO_EMPTY),
    Row("index_select_0d_index", lambda a: a.index_select(1, dev_idx(a, 5)), lambda a: a[:, [5]], S1, F, NO_SCALAR),
    Row("gather", lambda a: a.gather(1, dev_idx(a, GATHER_IDX)), lambda a: np.take_along_axis(a, GATHER_IDX, 1),
        S1, FI, NO_EMPTY, grad=True),
    Row("masked_fill", lambda a: a.masked_fill(a > 0.5, -1.0), lambda a: np.where(a > 0.5, -1.0, a), S1, F),
    Row("masked_fill_int", lambda a: a.masked_fill(a > 0, -1), lambda a: np.where(a > 0, -1, a), S1,
        (torch.int32, torch.int64)),
    Row("mask_get", lambda a: a[a > 0], lambda a: a[a > 0], S1, FI),
    Row("mask_get_rows", lambda a: a[a[:, 0] > 0], lambda a: a[a[:, 0] > 0], S1, F, NO_SCALAR),
    Row("int_tensor_index", lambda a: a[dev_idx(a, [2, 0, 2, -1])], lambda a: a[[2, 0, 2, -1]], S1, FI, NO_EMPTY),
    Row("int_tensor_index_2d", lambda a: a[dev_idx(a, [[0, 1], [3, 2]])], lambda a: a[np.array([[0, 1], [3, 2]])],
        S1, F, NO_EMPTY),
    Row("list_index_dim1", lambda a: a[:, [1, 3, 1]], lambda a: a[:, [1, 3, 1]], S1, F, NO_SCALAR),
    Row("paired_index", lambda a: a[[0, 2, 3], [1, 3, 36]], lambda a: a[[0, 2, 3], [1, 3, 36]], S1, F, NO_EMPTY),
    Row("slice_steps", lambda a: a[1:, ::2], lambda a: a[1:, ::2], S1, FI, NO_SCALAR),
    Row("slice_neg", lambda a: a[-3:-1, -5:], lambda a: a[-3:-1, -5:], S1, F, NO_SCALAR),
    Row("int_and_ellipsis", lambda a: a[..., -1], lambda a: a[..., -1], S1, F, NO_SCALAR),
    Row("none_index", lambda a: a[None, :, 3], lambda a: a[None, :, 3], S1, F, NO_SCALAR),
    Row("mixed_basic", lambda a: a[1:3, None, 5:30:4], lambda a: a[1:3, None, 5:30:4], S1, F, NO_SCALAR),
    Row("ellipsis_none_0d", lambda a: a[..., None], lambda a: a[..., None], S1, F, NO_BCAST),
    Row("setitem_mask_scalar", lambda a: setitem(a, a < 0, 0), lambda a: np.where(a < 0, 0, a), S1, FI,
        DENSE + ("scalar", "empty"), inplace=True),
    Row("setitem_int_scalar", lambda a: setitem(a, (slice(None), 1), 5), lambda a: np_setitem(a, (slice(None), 1), 5),
        S1, FI, DENSE + ("empty",), inplace=True),
    Row("setitem_rows_bcast", lambda a, b: setitem(a, slice(1, 3), b), lambda a, b: np_setitem(a, slice(1, 3), b),
        [(4, 37), (37,)], F, DENSE, inplace=True),
    Row("setitem_index_tensor", lambda a: setitem(a, dev_idx(a, [0, 2]), -7), lambda a: np_setitem(a, [0, 2], -7),
        S1, FI, DENSE, inplace=True),
    Row("setitem_paired", lambda a, b: setitem(a, (dev_idx(a, [0, 3]), dev_idx(a, [5, 7])), b[0, :2]),
        lambda a, b: np_setitem(a, ([0, 3], [5, 7]), b[0, :2]), S2, F, DENSE, inplace=True),
    Row("setitem_step_slice", lambda a, b: setitem(a, (slice(None), slice(None, None, 3)), b[:, :13]),
        lambda a, b: np_setitem(a, (slice(None), slice(None, None, 3)), b[:, :13]), S2, F, DENSE, inplace=True),
    Row("masked_fill_", lambda a: a.masked_fill_(a > 0, 1.0), lambda a: np.where(a > 0, 1.0, a), S1, F,
        DENSE + ("scalar",), inplace=True),
    # ------------------------------------------------------------- views (values; aliasing is in test_views)
    Row("t", lambda a: a.t(), lambda a: a.T, S1, ALL, NO_BCAST),
    Row("transpose", lambda a: a.transpose(0, 2), lambda a: a.swapaxes(0, 2), R3, F, NO_SCALAR),
    Row("permute", lambda a: a.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), R3, FI, NO_SCALAR),
    Row("reshape", lambda a: a.reshape(-1, 6), lambda a: a.reshape(-1, 6), R3, FI, NO_SCALAR),
    Row("flatten", lambda a: a.flatten(), lambda a: a.flatten(), R3, F, NO_BCAST),
    Row("flatten_range", lambda a: a.flatten(1), lambda a: a.reshape(a.shape[0], math.prod(a.shape[1:])), R3, F,
        NO_SCALAR),
    Row("unsqueeze", lambda a: a.unsqueeze(1), lambda a: np.expand_dims(a, 1), S1, F, NO_SCALAR),
    Row("squeeze", lambda a: a[:, :1].squeeze(), lambda a: a[:, :1].squeeze(), S1, F, NO_EMPTY),
    Row("squeeze_dim", lambda a: a.unsqueeze(0).squeeze(0), lambda a: a, S1, F, NO_BCAST),
    Row("narrow", lambda a: a.narrow(1, 3, 20), lambda a: a[:, 3:23], S1, F, NO_SCALAR),
    Row("expand", lambda a: a[:1].expand(3, 4, 37), lambda a: np.broadcast_to(a[:1], (3, 4, 37)), S1, F, NO_EMPTY),
    Row("contiguous", lambda a: a.contiguous(), lambda a: a, S1, ALL, NO_BCAST),
    Row("clone", lambda a: a.clone(), lambda a: a, S1, ALL, NO_BCAST),
    Row("to_float64", lambda a: a.to(torch.float64), lambda a: a, S1, ALL, NO_BCAST, out_dtype=torch.float64),
    Row("to_int64", lambda a: a.long(), lambda a: a.astype(np.float64).astype(np.int64), S1, ALL, NO_BCAST,
        domain=(-100, 100), out_dtype=torch.int64),
    Row("to_bool", lambda a: a.bool(), lambda a: a != 0, S1, ALL, NO_BCAST, domain=(-1, 1), out_dtype=boolean),
    # ------------------------------------------------------------- joining and splitting
    Row("cat", lambda a, b: torch.cat([a, b], 1), lambda a, b: np.concatenate([a, b], 1), S2, ALL, NO_SCALAR),
    Row("cat_dim0", lambda a, b: torch.cat((a, b)), lambda a, b: np.concatenate([a, b]), S2, F, NO_SCALAR),
    Row("stack", lambda a, b: torch.stack([a, b]), lambda a, b: np.stack([a, b]), S2, FI, NO_BCAST),
    Row("stack_last", lambda a, b: torch.stack([a, b], -1), lambda a, b: np.stack([a, b], -1), S2, F, NO_BCAST),
    Row("split", lambda a: a.split(10, 1), lambda a: tuple(np.split(a, [10, 20, 30], 1)), S1, F, NO_SCALAR),
    Row("split_sizes", lambda a: torch.split(a, [5, 32], 1), lambda a: tuple(np.split(a, [5], 1)), S1, F,
        NO_SCALAR),
    Row("chunk", lambda a: a.chunk(3, 1), lambda a: tuple(np.split(a, [13, 26], 1)), S1, F, NO_SCALAR),
]


def _params():
    out = []
    seen = set()
    for row in ROWS:
        assert row.name not in seen, f"duplicate row {row.name}"
        seen.add(row.name)
        for dt in row.dtypes:
            out.append(pytest.param(row, dt, id=f"{row.name}-{str(dt).replace('torch.', '')}"))
    return out


def run_row(row, dtype, device, grad=None):
    input_dtypes = row.input_dtypes(dtype) if row.input_dtypes else None
    out_dtype = row.out_dtype
    if out_dtype is not None and not callable(out_dtype):
        fixed = out_dtype
        out_dtype = lambda dt: fixed  # noqa: E731
    if out_dtype is None and input_dtypes is not None:
        out_dtype = lambda dt: input_dtypes[0]  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's reference on empty inputs
        return check_op(row.fn, row.ref, row.shapes, dtype, device, layouts=row.layouts, domain=row.domain,
                        nonzero=row.nonzero, input_dtypes=input_dtypes, out_dtype=out_dtype, rtol=row.rtol,
                        atol=row.atol, inplace=row.inplace, empty_shapes=row.empty_shapes, grad=grad,
                        name=row.name)


@pytest.mark.parametrize("row,dtype", _params())
def test_op(row, dtype, device):
    assert run_row(row, dtype, device) > 0


GRAD_ROWS = [r for r in ROWS if r.grad]


@pytest.mark.parametrize("row", GRAD_ROWS, ids=[r.name for r in GRAD_ROWS])
def test_op_grad_hook(row):
    """The grad= hook: autograd of sum(w * op(x)) against central differences of the numpy reference."""
    assert run_row(row, torch.float64, "cpu", grad=numeric_grad) > 0


def test_table_covers_issue_ops():
    required = {"add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu",
                "clamp", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
                "logical_not", "where", "add_", "sub_", "mul_", "div_", "clamp_", "zero_", "fill_", "copy_", "sum",
                "mean", "prod", "max_dim", "argmax", "norm", "var", "std", "mm", "bmm", "addmm", "mv", "dot",
                "index_select", "gather", "masked_fill", "mask_get", "cat", "stack", "split", "chunk", "isub", "imul",
                "rsub_scalar", "rdiv_scalar", "rpow_scalar"}
    missing = required - {r.name for r in ROWS}
    assert not missing, missing


def test_check_op_detects_wrong_results():
    """The oracle is not a tautology: a wrong op, a wrong dtype, a modified input all fail."""
    with pytest.raises(AssertionError):
        check_op(lambda a, b: a + b, np.subtract, S2)
    with pytest.raises(AssertionError):
        check_op(lambda a: a.exp(), lambda a: np.exp(a) * (1 + 1e-4), S1)
    with pytest.raises(AssertionError):
        check_op(lambda a: a.double(), lambda a: a, S1)  # dtype float64 != expected float32
    with pytest.raises(AssertionError):
        check_op(lambda a: a.mul_(2), lambda a: a * 2, S1)  # modifies its input without inplace=True
    with pytest.raises(AssertionError):
        check_op(lambda a: a.t(), lambda a: a, S1)  # wrong shape
    assert check_op(lambda a: a * 2, lambda a: a * 2, S1) == len(LAYOUTS) - 2  # (broadcast, with_0d): 2 inputs


def test_out_argument(device):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    ta, tb = torch.tensor(a, device=device), torch.tensor(b, device=device)
    for fn, ref in ((torch.add, np.add), (torch.mul, np.multiply), (torch.sub, np.subtract), (torch.div, np.divide)):
        out = torch.empty(3, 4, device=device)
        r = fn(ta, tb, out=out)
        assert r is out
        assert_matches(out, ref(a.astype(np.float64), b), torch.float32)
    out = torch.empty(4, 3, device=device).t()  # a non-contiguous out
    ptr = out.data_ptr()
    torch.add(ta, tb, out=out)
    assert out.data_ptr() == ptr
    assert_matches(out, a.astype(np.float64) + b, torch.float32)
    out = torch.zeros(3, 4, device=device)
    torch.exp(ta, out=out)
    assert_matches(out, np.exp(a.astype(np.float64)), torch.float32)
    out = torch.zeros(3, device=device)
    torch.sum(ta, 1, out=out)
    assert_matches(out, a.astype(np.float64).sum(1), torch.float32)


def test_inplace_on_view_writes_through_to_base(device):
    base = torch.zeros(4, 6, device=device)
    col = base[:, 1]
    col.add_(1)
    base[1:3, ::2].mul_(0).add_(5)
    base.t()[0].fill_(-1)  # column 0
    expect = np.zeros((4, 6))
    expect[:, 1] = 1
    expect[1:3, ::2] = 5
    expect[:, 0] = -1
    assert_matches(base, expect, torch.float32)


def test_t_inplace():
    a = torch.arange(6.).view(2, 3)
    ptr = a.data_ptr()
    r = a.t_()
    assert r is a and a.shape == (3, 2) and a.stride() == (1, 3) and a.data_ptr() == ptr
    assert a.tolist() == [[0, 3], [1, 4], [2, 5]]
    v = torch.arange(3.)
    assert v.t_() is v and v.shape == (3,)


def test_operators_reflected_and_python_numbers(device):
    x = torch.tensor([1., 2., 4.], device=device)
    assert (2 - x).tolist() == [1., 0., -2.]
    assert (2 / x).tolist() == [2., 1., 0.5]
    assert (2 ** x).tolist() == [2., 4., 16.]
    assert (x ** 2).tolist() == [1., 4., 16.]
    assert (-x).tolist() == [-1., -2., -4.]
    assert abs(torch.tensor([-1.5], device=device)).tolist() == [1.5]
    y = x.clone()
    y -= 1
    y *= 3
    y /= 2
    assert y.tolist() == [0., 1.5, 4.5]
    assert (x + True).tolist() == [2., 3., 5.]
    assert (1 + x * 2 - x / 4).tolist() == [2.75, 4.5, 8.]
    assert (np.float64(2.0) * x).tolist() == [2., 4., 8.]  # numpy scalars defer to the tensor
    assert isinstance(np.float32(1) + x, torch.Tensor)


def test_integer_arithmetic_edge_cases(device):
    x = torch.tensor([7, -7, 0], dtype=torch.int32, device=device)
    assert (x // 2).tolist() == [3, -4, 0]      # floor, as Python and torch
    assert (x % 3).tolist() == [1, 2, 0]         # sign of the divisor
    assert (x / 2).dtype is torch.float32
    assert (x / 2).tolist() == [3.5, -3.5, 0.]
    big = torch.tensor([2**31 - 1], dtype=torch.int32, device=device)
    assert (big + 1).tolist() == [-2**31]         # wraps like torch (two's complement)
    u = torch.tensor([250], dtype=torch.uint8, device=device)
    assert (u + 10).tolist() == [4] and (u + 10).dtype is torch.uint8
    assert (torch.tensor([2], device=device) ** torch.tensor([-1], device=device)).tolist() == [0]
    f = torch.tensor([1., -1., 0.], device=device)
    r = (f / 0).tolist()
    assert r[0] == math.inf and r[1] == -math.inf and math.isnan(r[2])


def test_nan_propagation(device):
    nan = float("nan")
    x = torch.tensor([1., nan, 3., -2.], device=device)
    y = torch.tensor([nan, 0., 5., -3.], device=device)
    assert math.isnan(torch.relu(x)[1].item())
    m = torch.maximum(x, y).tolist()
    assert math.isnan(m[0]) and math.isnan(m[1]) and m[2:] == [5., -2.]
    m = torch.minimum(x, y).tolist()
    assert math.isnan(m[0]) and math.isnan(m[1]) and m[2:] == [3., -3.]
    assert math.isnan(x.max().item()) and math.isnan(x.min().item())
    assert x.argmax().item() == 1 and x.argmin().item() == 1
    v, i = x.view(2, 2).max(1)
    assert math.isnan(v[0].item()) and i.tolist()[0] == 1
    assert math.isnan(x.clamp(0, 1)[1].item())
    assert math.isnan(x.sum().item()) and math.isnan(x.mean().item())
    assert (x == x).tolist() == [True, False, True, True]  # NaN != NaN
    assert (x != x).tolist() == [False, True, False, False]
    assert math.isnan(torch.sigmoid(x)[1].item()) and math.isnan(torch.tanh(x)[1].item())
    assert math.isnan(torch.exp(x)[1].item()) and math.isnan(torch.log(x)[1].item())


def test_special_float_values(device):
    inf = float("inf")
    x = torch.tensor([0., -1., inf, -inf, 1000., -1000.], device=device)
    assert torch.log(x[:1]).item() == -inf
    assert math.isnan(torch.log(x[1:2]).item()) and math.isnan(torch.sqrt(x[1:2]).item())
    assert torch.exp(x[2:]).tolist() == [inf, 0., inf, 0.]
    assert torch.tanh(x[2:]).tolist() == [1., -1., 1., -1.]
    assert torch.sigmoid(x[2:]).tolist() == [1., 0., 1., 0.]
    assert torch.relu(x).tolist() == [0., 0., inf, 0., 1000., 0.]


def test_large_elementwise_multithreaded(device):
    """Sizes above the parallel grain (32768 elements/task) on a strided view."""
    rng = np.random.default_rng(5)
    base = rng.standard_normal((400, 600)).astype(np.float32)
    a = torch.tensor(base, device=device)
    v = a[:, 1::2].t()
    ref = base[:, 1::2].T.astype(np.float64)
    assert_matches(v * 2 + 1, ref * 2 + 1, torch.float32)
    assert_matches(torch.exp(v), np.exp(ref), torch.float32)
    assert_matches(v.sum(1), ref.sum(1), torch.float32, rtol=1e-5, atol=1e-4)
    assert_matches(v.sum(), ref.sum(), torch.float32, rtol=1e-5, atol=1e-3)
    assert_matches(v.max(0)[0], ref.max(0), torch.float32)


def test_broadcasting_with_zero_size_dims(device):
    """RELIABILITY row 17: numpy's stride_tricks table, both operand orders."""
    cases = [((1, 0), (3, 1), (3, 0)), ((1, 1), (0,), (1, 0)), ((0, 1), (1, 5), (0, 5)), ((3, 0), (0,), (3, 0)),
             ((2, 1, 0), (1, 4, 1), (2, 4, 0)), ((0,), (), (0,)), ((1, 0), (0, 1), (0, 0))]
    for sa, sb, sc in cases:
        a, b = torch.ones(*sa, device=device), torch.ones(*sb, device=device)
        assert np.broadcast_shapes(sa, sb) == sc
        assert tuple((a + b).shape) == sc and tuple((b + a).shape) == sc
        assert tuple((a * b).shape) == sc and tuple(torch.maximum(b, a).shape) == sc
        assert tuple((a < b).shape) == sc


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_random_streams_on_device(dtype, device):
    torch.manual_seed(3)
    a = torch.rand(1000, dtype=dtype, device=device)
    torch.manual_seed(3)
    b = torch.rand(1000, dtype=dtype, device=device)
    assert np.array_equal(to_numpy(a), to_numpy(b))


ISA_SUBSET = ["add", "mul", "div", "sub_scalar", "exp", "exp_wide", "log", "log_wide", "tanh", "tanh_small",
              "sigmoid", "sqrt", "relu", "maximum", "clamp", "lt", "where", "sum", "sum_dim", "max_dim",
              "argmax_dim", "mean", "mm", "mm_method", "mm_packed", "addmm_packed", "bmm", "copy_cast", "to_int64"]

_ISA_SCRIPT = r"""
import sys
sys.path.insert(0, {tests!r})
import tinygrad_ext as torch
assert torch._C.cpu_isa() == {isa!r}, torch._C.cpu_isa()
import test_ops
rows = {{r.name: r for r in test_ops.ROWS}}
n = 0
for name in {names!r}:
    row = rows[name]
    for dt in row.dtypes:
        n += test_ops.run_row(row, dt, 'cpu')
print('ISA', torch._C.cpu_isa(), 'CASES', n)
"""


@pytest.mark.parametrize("isa", ["base", "avx2"])
def test_lower_isa_paths(isa):
    """The same op checks on a lower copy of the CPU kernels (TG_CPU_ISA=base: portable; =avx2 on an
    AVX-512 machine), in a fresh process. The default copy runs the whole suite."""
    if isa == "avx2" and torch._C.cpu_isa() != "avx512":
        pytest.skip("the AVX2 copy is the default here (or the CPU lacks AVX2)")
    assert set(ISA_SUBSET) <= {r.name for r in ROWS}
    env = dict(os.environ, TG_CPU_ISA=isa)
    script = _ISA_SCRIPT.format(tests=os.path.dirname(os.path.abspath(__file__)), names=ISA_SUBSET, isa=isa)
    p = subprocess.run([sys.executable, "-c", script], check=False, env=env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"ISA {isa} CASES" in p.stdout
    assert int(p.stdout.split("CASES")[1]) > 100


def test_default_isa_is_reported():
    assert torch._C.cpu_isa() in ("avx512", "avx2", "base")
    if os.environ.get("TG_CPU_ISA") == "base":
        assert torch._C.cpu_isa() == "base"


def test_long_float32_sums_are_accurate():
    # float32 runs are summed in blocks of float lanes folded into a double total: the error must stay
    # far below a naive float32 running sum's (which drifts by ~1e-3 relative here).
    rng = np.random.default_rng(7)
    for n in (1, 31, 33, 2047, 2049, 1 << 20, (1 << 20) + 5):
        a = (rng.random(n, dtype=np.float32) + np.float32(0.1)).astype(np.float32)
        ref = a.astype(np.float64).sum()
        got = torch.from_numpy(a).sum().item()
        assert abs(got - ref) <= 2e-7 * abs(ref) + 1e-6, (n, got, ref)
    a = np.full(3000, 0.1, dtype=np.float32)
    a[1234] = np.nan
    assert np.isnan(torch.from_numpy(a).sum().item())


def test_to_copy_version_and_cudnn_flags():
    x = torch.randn(3)
    assert x.to("cpu") is x and x.to(torch.float32) is x
    for y in (x.to(copy=True), x.to("cpu", copy=True), x.to("cpu", torch.float32, False, True)):
        assert y is not x and y.data_ptr() != x.data_ptr() and torch.equal(y, x)
    assert torch.version.__version__ == torch.__version__
    assert torch.version.cuda is None or isinstance(torch.version.cuda, str)
    assert torch.backends.cudnn.is_available() is False
    torch.backends.cudnn.benchmark = True  # tutorials set it; it must not fail
    torch.backends.cudnn.benchmark = False


def test_equal_isclose_allclose_isnan():
    a = torch.tensor([1.0, float("nan"), float("inf"), -2.0])
    b = torch.tensor([1.0 + 1e-7, float("nan"), float("inf"), -2.1])
    assert torch.isnan(a).tolist() == [False, True, False, False]
    assert a.isinf().tolist() == [False, False, True, False]
    assert torch.isfinite(a).tolist() == [True, False, False, True]
    assert torch.isclose(a, b).tolist() == [True, False, True, False]
    assert torch.isclose(a, b, equal_nan=True).tolist() == [True, True, True, False]
    assert torch.allclose(a[:1], b[:1]) and not torch.allclose(a, b, equal_nan=True)
    assert torch.allclose(a, b, atol=0.2, equal_nan=True)
    assert torch.equal(a[::2], a[::2].clone()) and not torch.equal(a[:2], a[:3])
    assert not torch.equal(a, a)  # nan != nan, as in torch


def test_out_argument_resizes_with_torchs_warning_and_keeps_its_dtype():
    a = torch.tensor([[1.0, 5.0], [3.0, 2.0]])
    o = torch.empty(3)
    with pytest.warns(UserWarning, match="was resized since it had shape \\[3\\]"):
        r = torch.add(a, 1, out=o)
    assert r is o and o.tolist() == [[2.0, 6.0], [4.0, 3.0]]
    o = torch.empty(0, dtype=torch.float64)  # zero elements: resized silently, dtype kept
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.mul(a, 2, out=o)
    assert o.dtype is torch.float64 and o.tolist() == [[2.0, 10.0], [6.0, 4.0]]
    v, i = torch.empty(2), torch.empty(2, dtype=torch.int64)
    torch.max(a, 1, out=(v, i))
    assert v.tolist() == [5.0, 3.0] and i.tolist() == [1, 0]
    m = torch.empty(2, 2)
    assert torch.maximum(a, a.t(), out=m) is m and m.tolist() == [[1.0, 5.0], [5.0, 2.0]]
    assert torch.matmul(a, a, out=m) is m and m.tolist() == [[16.0, 15.0], [9.0, 19.0]]
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.add(a, 1, out=torch.empty(2, 2, dtype=torch.int64))


def test_bitwise_result_dtypes(device):
    def t(values, dtype):
        return torch.tensor(values, dtype=dtype, device=device)
    b, i32, i64, u8 = t([True, False], torch.bool), t([6, -3], torch.int32), t([5, 12], torch.int64), \
        t([250, 3], torch.uint8)
    assert (b & b).dtype is torch.bool and (b | True).dtype is torch.bool
    assert (i32 & i64).dtype is torch.int64 and (i32 & i64).tolist() == [4, 12]
    assert (u8 | i32).dtype is torch.int32 and (u8 | i32).tolist() == [254, -1]
    assert (b ^ i32).dtype is torch.int32 and (b ^ i32).tolist() == [7, -3]
    assert (i32 & 5).dtype is torch.int32 and (5 & i32).tolist() == [4, 5]
    assert (u8 ^ 255).dtype is torch.uint8 and (u8 ^ 255).tolist() == [5, 252]
    assert (b & 1).dtype is torch.int64 and (b & 1).tolist() == [1, 0]  # bool tensor with an int -> int64
    assert (t(5, torch.int64) & i32).dtype is torch.int32  # a 0-d tensor does not promote a dim tensor
    assert (~u8).tolist() == [5, 252] and (~i32).tolist() == [-7, 2] and (~b).tolist() == [False, True]
    o = torch.empty(2, dtype=torch.int64, device=device)
    assert torch.bitwise_or(i32, 1, out=o) is o and o.tolist() == [7, -3]


def test_bitwise_inplace(device):
    x = torch.tensor([6, 7], dtype=torch.int32, device=device)
    v = x._version
    x &= torch.tensor([3, 12], device=device)  # int64 operand: the result is cast back to int32
    assert x.dtype is torch.int32 and x.tolist() == [2, 4] and x._version > v
    x |= 1
    x ^= 7
    assert x.tolist() == [4, 2]
    assert x.bitwise_not_() is x and x.tolist() == [-5, -3]
    m = torch.tensor([True, False], device=device)
    m &= torch.tensor([True, True], device=device)
    assert m.tolist() == [True, False]
    with pytest.raises(RuntimeError, match="can't be cast"):
        m &= torch.tensor([1, 1], device=device)  # Long result into a bool tensor, as torch


def test_bitwise_rejects_floats(device):
    dev = torch.device(device).type
    f = torch.tensor([1.0, 2.0], device=device)
    i = torch.tensor([1, 2], device=device)
    for name, fn in (("bitwise_and", lambda: f & i), ("bitwise_or", lambda: i | f), ("bitwise_xor", lambda: f ^ 1),
                     ("bitwise_and", lambda: torch.bitwise_and(i, 1.5)), ("bitwise_not", lambda: torch.bitwise_not(f))):
        with pytest.raises(NotImplementedError, match=f'^"{name}_{dev}" not implemented for \'Float\'$'):
            fn()
    with pytest.raises(TypeError, match="only implemented on integer and Boolean-type tensors"):
        ~f  # noqa: B018 (the operator raises TypeError in torch, the function NotImplementedError)
    with pytest.raises(NotImplementedError, match="not implemented for 'Double'"):
        f.double() & f.double()
    g = f.clone()
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        g &= 1
    assert g.tolist() == [1.0, 2.0]
