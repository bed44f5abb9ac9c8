"""torch.testing: assert_close (tensors, Python numbers and nested sequences / mappings of them, with torch's
default tolerances per dtype and its AssertionError messages) and make_tensor (random test inputs)."""
import collections.abc
import math
import warnings

import numpy as np

from . import _C, _dtype
from ._device import as_device
from .tensor import Tensor, empty, from_numpy, randint, tensor, where

# (rtol, atol) by dtype: torch's defaults; integer and bool tensors compare exactly
_TOLERANCES = {_dtype.float16: (1e-3, 1e-5), _dtype.bfloat16: (1.6e-2, 1e-5), _dtype.float32: (1.3e-6, 1e-5),
               _dtype.float64: (1e-7, 1e-7)}


def _tolerances(*dtypes):
    pairs = [_TOLERANCES.get(d, (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _fail(message, msg, trail):
    if isinstance(msg, str):
        raise AssertionError(msg)
    text = message + (f"\n\nThe failure occurred for item {trail}" if trail else "")
    raise AssertionError(msg(text) if callable(msg) else text)


def _check_attributes(actual, expected, check_device, check_dtype, check_stride, msg, trail):
    checks = [("shape", lambda t: t.shape)]
    checks += [("device", lambda t: t.device)] * check_device + [("dtype", lambda t: t.dtype)] * check_dtype
    checks += [("stride()", lambda t: t.stride())] * bool(check_stride and actual.numel() > 1)
    for name, get in checks:
        if get(actual) != get(expected):
            _fail(f"The values for attribute '{name}' do not match: {get(actual)} != {get(expected)}.", msg, trail)


def _compare_tensors(actual, expected, rtol, atol, equal_nan, msg, trail):
    if actual.device != expected.device:
        expected = expected.to(actual.device)
    common = _dtype.BY_ID[_C.promote_types(actual.dtype.id, expected.dtype.id)]
    if common is _dtype.bool:
        common = _dtype.int64
    a, e = actual.detach().to(common), expected.detach().to(common)
    exact = not common.is_floating_point
    matches = (a == e) if exact and rtol == 0 and atol == 0 else a.isclose(e, rtol=rtol, atol=atol,
                                                                          equal_nan=equal_nan)
    if matches.all().item():
        return
    kind = "equal" if rtol == 0 and atol == 0 else "close"  # (torch's word: zero tolerances ask for equality)
    abs_diff = where(matches, 0, (a - e).abs())  # (the greatest differences are among the mismatched elements)
    rel_diff = where(matches, 0, abs_diff.double() / e.abs().double() if exact else abs_diff / e.abs())
    allowed = (lambda tol: f" (up to {tol!r} allowed)") if kind == "close" else (lambda tol: "")
    if actual.dim() == 0:
        lines = [f"Scalars are not {kind}!", "", f"Expected {e.item()} but got {a.item()}.",
                 f"Absolute difference: {abs_diff.item()}{allowed(atol)}",
                 f"Relative difference: {float(rel_diff.item())}{allowed(rtol)}"]
        _fail("\n".join(lines), msg, trail)
    total, mismatched = matches.numel(), int((~matches).sum().item())

    def greatest(diff):
        value, flat = diff.flatten().max(0)
        index, rest = [], int(flat.item())
        for size in reversed(actual.shape):
            index.insert(0, rest % size)
            rest //= size
        return value.item(), tuple(index)
    abs_value, abs_index = greatest(abs_diff)
    rel_value, rel_index = greatest(rel_diff)
    lines = [f"Tensor-likes are not {kind}!", "",
             f"Mismatched elements: {mismatched} / {total} ({100 * mismatched / total:.1f}%)",
             f"Greatest absolute difference: {abs_value} at index {abs_index}{allowed(atol)}",
             f"Greatest relative difference: {float(rel_value)} at index {rel_index}{allowed(rtol)}"]
    _fail("\n".join(lines), msg, trail)


def _compare_numbers(actual, expected, rtol, atol, equal_nan, msg, trail):
    if actual == expected or (equal_nan and math.isnan(actual) and math.isnan(expected)):
        return
    diff = abs(actual - expected)
    if math.isfinite(diff) and diff <= atol + rtol * abs(expected):
        return
    kind = "equal" if rtol == 0 and atol == 0 else "close"
    allowed = (lambda tol: f" (up to {tol!r} allowed)") if kind == "close" else (lambda tol: "")
    rel = diff / abs(expected) if expected else math.inf
    lines = [f"Scalars are not {kind}!", "", f"Expected {expected} but got {actual}.",
             f"Absolute difference: {diff}{allowed(atol)}", f"Relative difference: {rel}{allowed(rtol)}"]
    _fail("\n".join(lines), msg, trail)


def _walk(actual, expected, trail):
    if isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):  # (compared as tensors, as torch's)
        actual, expected = from_numpy(np.ascontiguousarray(actual)), from_numpy(np.ascontiguousarray(expected))
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        yield trail, actual, expected
    elif _number(actual) and _number(expected) or isinstance(actual, bool) and isinstance(expected, bool):
        yield trail, actual, expected
    elif isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        if set(actual) != set(expected):
            raise AssertionError(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: "
                                 f"{sorted(set(expected) - set(actual), key=repr)}\nExtra keys in the actual "
                                 f"mapping: {sorted(set(actual) - set(expected), key=repr)}")
        for key in actual:
            yield from _walk(actual[key], expected[key], trail + [key])
    elif (isinstance(actual, collections.abc.Sequence) and isinstance(expected, collections.abc.Sequence)
          and not isinstance(actual, str) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            yield from _walk(a, e, trail + [i])
    else:
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raises AssertionError unless actual and expected (tensors, Python numbers, or sequences / mappings of them,
    matched item by item) are close: |actual - expected| <= atol + rtol * |expected| elementwise, with the same
    shape, device and dtype. rtol and atol default by dtype (float32: 1.3e-6, 1e-5; float64: 1e-7, 1e-7;
    integers and bool: exact). The message counts the mismatched elements and names the greatest differences."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    for trail, a, e in list(_walk(actual, expected, [])):
        label = "".join(f"[{k!r}]" for k in trail)
        if isinstance(a, Tensor):
            if not allow_subclasses and type(a) is not type(e):
                raise TypeError(f"No comparison pair was able to handle inputs of type {type(a)} and {type(e)}.")
            _check_attributes(a, e, check_device, check_dtype, check_stride, msg, label)
            r, t = (rtol, atol) if rtol is not None else _tolerances(a.dtype, e.dtype)
            _compare_tensors(a, e, r, t, equal_nan, msg, label)
        else:
            floating = isinstance(a, float) or isinstance(e, float)
            r, t = (rtol, atol) if rtol is not None else (1e-7, 1e-7) if floating else (0.0, 0.0)
            _compare_numbers(a, e, r, t, equal_nan, msg, label)


# assert_allclose's own (rtol, atol) by dtype
_ALLCLOSE_TOLERANCES = {_dtype.float16: (1e-3, 1e-3), _dtype.float32: (1e-4, 1e-5), _dtype.float64: (1e-5, 1e-8)}


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated in torch (assert_close replaces it): numbers and sequences become tensors (expected of actual's
    dtype), dtypes need not match, NaNs compare equal by default, and the tolerances are looser."""
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future release. "
                  "Please use `torch.testing.assert_close()` instead. You can find detailed upgrade instructions in "
                  "https://github.com/pytorch/pytorch/issues/61844.", FutureWarning, stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        pairs = [_ALLCLOSE_TOLERANCES.get(d, (0.0, 0.0)) for d in (actual.dtype, expected.dtype)]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True, check_dtype=False,
                 check_stride=False, msg=msg or None)


def _bounds(dtype, low, high, lowest, highest, default_low, default_high):
    """make_tensor's [low, high) checked and clamped to what dtype holds, as torch's (integers: ceiled)."""
    low, high = default_low if low is None else low, default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and dtype.is_floating_point:
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or complex types is deprecated "
                      "since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.", FutureWarning,
                      stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), but {dtype} only "
                         f"supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    return (math.ceil(low), math.ceil(high)) if not dtype.is_floating_point else (low, high)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of `shape` with random values in [low, high), drawn as torch's (so a seed gives torch's tensor):
    floats uniform (default [-9, 9]), integers randint (default [-9, 10), clamped to the dtype), bool randint(0, 2);
    exclude_zero replaces zeros by 1 or the dtype's tiny; noncontiguous: every other element of a tensor twice as
    long in the last dim."""
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError(f"The parameters `noncontiguous` and `memory_format` are mutually exclusive, but got "
                         f"noncontiguous={noncontiguous} and memory_format={memory_format}")
    if requires_grad and not dtype.is_floating_point:
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral dtypes, but got "
                         f"dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])
    device = as_device(device)
    if dtype is _dtype.bool:
        low, high = _bounds(dtype, low, high, 0, 2, 0, 2)
        result = randint(low, high, shape, device=device, dtype=dtype)
    elif dtype.is_floating_point:
        info = _dtype.finfo(dtype)
        low, high = _bounds(dtype, low, high, info.min, info.max, -9, 9)
        result = empty(*shape, dtype=dtype, device=device)
        if high - low >= info.max:  # (uniform_ needs high - low representable)
            result.uniform_(low / 2, high / 2).mul_(2)
        else:
            result.uniform_(low, high)
    else:
        info = _dtype.iinfo(dtype)
        low, high = _bounds(dtype, low, high, info.min, info.max + (1 if dtype is not _dtype.int64 else 0), -9, 10)
        result = randint(low, high, shape, device=device, dtype=dtype)
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = 1 if not dtype.is_floating_point else _dtype.finfo(dtype).tiny
    if dtype.is_floating_point:
        result.requires_grad = requires_grad
    return result
