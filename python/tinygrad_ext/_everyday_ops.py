"""torch's everyday small ops written with Tensor ops (differentiable as the ops they are made of):
mT/mH/H, type_as, sgn, positive, deg2rad/rad2deg, signbit, heaviside, float_power, addcmul/addcdiv, logspace,
isin, trapezoid/trapz/cumulative_trapezoid, histogram, cov/corrcoef, gcd/lcm, ldexp and angle (real tensors: the
conjugates are the identity); and frexp's arguments (its op is the registry's NN_OPS row)."""
import math
import warnings

from . import _C, _device, _dtype
from ._generator import default_generator
from ._memory_format import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format
from ._ops import NN_OPS
from ._reduction_ops import _return_type, searchsorted
from ._tensor_base import DETERMINISTIC
from .random import manual_seed
from .tensor import Tensor, _named, arange, linspace, tensor, where, zeros, write_out

_tensor = tensor  # (map_'s argument is named tensor, as torch's)

_FLOAT_BITS = {_dtype.float16: _dtype.int16, _dtype.bfloat16: _dtype.int16, _dtype.float32: _dtype.int32,
               _dtype.float64: _dtype.int64}

histogram_result = _return_type("histogram", ("hist", "bin_edges"))
frexp_result = _return_type("frexp", ("mantissa", "exponent"))
frexp_out_result = _return_type("frexp_out", ("mantissa", "exponent"))  # (torch.frexp(..., out=)'s)


def _out(result, out):
    return result if out is None else write_out(out, result)


def _floating(x):
    """x, or x in the default float dtype when it is an integer or bool tensor (the unary_float rule)."""
    return x if x.dtype.is_floating_point else x.to(_dtype.get_default_dtype())


def _as_tensor(x, like):
    return x if isinstance(x, Tensor) else tensor(x, device=like.device)


# ---------------------------------------------------------------- matrix views, conversions


def _batch_transpose(self, name):
    if self.dim() < 2:
        raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of matrices. "
                           f"Got {self.dim()}-D tensor.")
    return self.transpose(-2, -1)


def _mT(self):
    return _batch_transpose(self, "mT")


def _mH(self):  # (torch warns that mH of a 0-d tensor is deprecated)
    return self if self.dim() == 0 else _batch_transpose(self, "mH")


def _H(self):
    if self.dim() == 0:
        return self
    if self.dim() != 2:
        hint = " For batches of matrices, consider using tensor.mH" if self.dim() > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.dim()}-D tensor.{hint}")
    return self.transpose(0, 1)


def type_as(self, other):
    """self in other's dtype and on other's device (self itself when both already match)."""
    return self.to(dtype=other.dtype, device=other.device)


# ---------------------------------------------------------------- elementwise


def sgn(input, *, out=None):
    """sign(input) for real tensors (torch's sgn is x / |x| for complex ones), in a node of torch's name."""
    return _out(_named(input.sign(), "SgnBackward0"), out)


def positive(input):
    """input itself (bool tensors are refused, as torch's)."""
    if input.dtype is _dtype.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def deg2rad(input, *, out=None):
    """input * pi / 180 (integers become the default float dtype)."""
    return _out(_floating(input) * (math.pi / 180), out)


def rad2deg(input, *, out=None):
    """input * 180 / pi (integers become the default float dtype)."""
    return _out(_floating(input) * (180 / math.pi), out)


def signbit(input, *, out=None):
    """True where the sign bit is set: -0.0 and NaNs with the sign bit too (read from the bits); bool."""
    if input.dtype.is_floating_point:
        result = input.view(_FLOAT_BITS[input.dtype]) < 0
    elif input.dtype is _dtype.bool:
        result = input & False
    else:
        result = input < 0
    return _out(result, out)


def heaviside(input, values, *, out=None):
    """values where input == 0, else 1 where input > 0 and 0 otherwise (NaN gives 0, as torch's); input and
    values must have the same dtype."""
    values = _as_tensor(values, input)
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return _out(where(input == 0, values, (input > 0).to(input.dtype)), out)


def float_power(input, exponent, *, out=None):
    """input ** exponent computed in float64 (the result is float64 whatever the inputs)."""
    if not isinstance(input, Tensor):
        return _out(_as_tensor(exponent, exponent).double().__rpow__(float(input)), out)
    exponent = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return _out(input.double() ** exponent, out)


def _float_power_(self, exponent):
    if self.dtype is not _dtype.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype._legacy[:-6]} but the "
                           "operation's result requires dtype Double")
    return self._inplace_from(float_power, exponent)


def _scaled(value, dtype):
    return value if dtype.is_floating_point or dtype is _dtype.bool else int(value)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2 (value is truncated for an integer result, as torch's)."""
    product = tensor1 * tensor2
    result_dtype = _dtype.BY_ID[_C.result_type(input._impl, product._impl)]
    return _out(_named(input + _scaled(value, result_dtype) * product, "AddcmulBackward0"), out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2; integer tensor1 and tensor2 are refused, as torch's."""
    if not tensor1.dtype.is_floating_point and not tensor2.dtype.is_floating_point:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a "
            "true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + "
            "value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * "
            "tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    # torch's kernel: self + (value * tensor1) / tensor2, in that order (the Adam-style updates' rounding)
    dtype = _dtype.BY_ID[_C.result_type(tensor1._impl, tensor2._impl)]
    numerator = value * (tensor1 if tensor1.dtype is dtype else tensor1.to(dtype))
    return _out(_named(input + numerator / tensor2, "AddcdivBackward0"), out)


def angle(input, *, out=None):
    """The argument of a real number: 0 for x >= 0, pi for x < 0, NaN for NaN (integers give floats)."""
    x = _floating(input)
    result = where(x < 0, math.pi, 0.0).to(x.dtype)
    return _out(where(x != x, x, result), out)


def ldexp(input, other, *, out=None):
    """input * 2 ** other (a float result)."""
    x, other = _floating(input), _as_tensor(other, input)
    return _out(x * (other if other.dtype.is_floating_point else other.to(x.dtype)).exp2(), out)


def frexp(input, *, out=None):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent and |mantissa| in [0.5, 1) (exponent int32): the
    NN_OPS row frexp (the core's kernel, exact). Zero, inf and NaN give themselves and exponent 0."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = NN_OPS["frexp"].apply(input)
    if out is not None:
        out[0].copy_(mantissa)
        out[1].copy_(exponent)
        return frexp_out_result(*out)
    return frexp_result(mantissa, exponent)


def _integral_operands(name, input, other):
    """gcd/lcm's operands in their common dtype, which must be an integer one."""
    dt = _dtype.BY_ID[_C.result_type(input._impl, other._impl)]  # (torch checks the common dtype: bool with an int)
    if dt.is_floating_point or dt is _dtype.bool:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{dt._legacy[:-6]}'")
    return input.to(dt), other.to(dt)


def gcd(input, other, *, out=None):
    """The greatest common divisor of |input| and |other| (integers; gcd(0, 0) = 0): Euclid's algorithm,
    one remainder over the whole tensor per step until every divisor is zero."""
    input, other = _integral_operands("gcd", input, other)
    a, b = (input + other * 0).abs(), (other + input * 0).abs()
    while (b != 0).any().item():
        zero = b == 0
        a, b = where(zero, a, b), where(zero, 0, a % where(zero, 1, b))
    return _out(a, out)


def lcm(input, other, *, out=None):
    """The least common multiple of |input| and |other| (integers; 0 when either is 0)."""
    input, other = _integral_operands("lcm", input, other)
    g = gcd(input, other)
    return _out(where(g == 0, 0, (input // where(g == 0, 1, g) * other).abs()), out)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of `elements` is among `test_elements` (bool, elements' shape; found by sorting
    test_elements and a binary search, in the two tensors' common dtype)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got ({type(elements).__name__}, "
                        f"{type(test_elements).__name__}), but expected at least one of elements and "
                        "test_elements to be a Tensor")
    like = elements if isinstance(elements, Tensor) else test_elements
    elements, test_elements = _as_tensor(elements, like), _as_tensor(test_elements, like)
    common = (elements.flatten()[:0] + test_elements.flatten()[:0]).dtype
    flat = elements.to(common).flatten()
    pool = test_elements.to(common).flatten()
    if pool.numel() == 0:
        found = zeros(flat.shape, dtype=_dtype.bool, device=flat.device)
    else:
        pool = pool.sort().values
        index = searchsorted(pool, flat).clamp(max=pool.numel() - 1)
        found = pool[index] == flat
    found = found.reshape(elements.shape)
    return ~found if invert else found


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """base ** exponent in float64, then in dtype (integers truncate), the exponents as torch's kernel makes
    them: the ends in dtype, the step their difference in dtype over steps - 1, from the nearer end in float64."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or _dtype.get_default_dtype()
    if steps <= 1:
        exponents = tensor([float(start)] * steps, dtype=_dtype.float64, device=device)
    else:
        ends = tensor([float(start), float(end)], dtype=dtype)
        s, e = ends.double().tolist()
        step = (ends[1] - ends[0]).item() / (steps - 1)
        i = arange(steps, dtype=_dtype.float64, device=device)
        exponents = where(i < steps // 2, i * step + s, e - (steps - 1 - i) * step)
    result = exponents.__rpow__(float(base)).to(dtype)
    result.requires_grad_(requires_grad)
    return _out(result, out)


# ---------------------------------------------------------------- integration


def _spacing(y, x, dx, dim, name):
    """The widths of the intervals along dim (a tensor broadcastable against y's intervals, or a number)."""
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both x and dx: pass either "
                        "the sample points x or their spacing dx")
    if x is None:
        return 1 if dx is None else dx
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        f"{type(x).__name__}): x must be a Tensor (for a constant spacing pass dx=)")
    if x.dim() == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        d = x.diff()
        return d.reshape([-1] + [1] * (y.dim() - 1 - (dim % y.dim()))) if y.dim() else d
    return x.diff(dim=dim)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along dim: sum of (y[i] + y[i+1]) / 2 * (x[i+1] - x[i]) (or times dx)."""
    if not y.dim():
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    dim = _C.wrap_dim(dim, y.dim())
    width = _spacing(y, x, dx, dim, "trapezoid")
    y = _floating(y)
    n = y.shape[dim]
    if n == 0:
        return y.sum(dim)
    mids = (y.narrow(dim, 0, n - 1) + y.narrow(dim, 1, n - 1)) / 2
    return (mids * width).sum(dim)


def trapz(y, x=None, *, dx=None, dim=-1):
    """torch.trapz: trapezoid under its older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal rule along dim (one value fewer than y has along dim)."""
    if not y.dim():
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    dim = _C.wrap_dim(dim, y.dim())
    width = _spacing(y, x, dx, dim, "cumulative_trapezoid")
    y = _floating(y)
    n = y.shape[dim]
    if n == 0:
        return y
    mids = (y.narrow(dim, 0, n - 1) + y.narrow(dim, 1, n - 1)) / 2
    return (mids * width).cumsum(dim)


# ---------------------------------------------------------------- statistics


def _c_name(dtype):
    """The C type name torch's messages use: float, double, c10::Half, c10::BFloat16."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16"}.get(
        dtype.name, dtype.name)


def histogram(input, bins, *, range=None, weight=None, density=False, out=None):
    """(hist, bin_edges): the (weighted) count of input's elements in each bin. bins is a count (equal bins over
    `range`, or input's min..max) or the increasing edges; the last bin includes its right edge; elements
    outside are not counted. density=True divides by the total and the bin widths."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{input.dtype._legacy[:-6]}'")
    name = "torch.histogramdd"
    if isinstance(bins, Tensor) and bins.dtype is not input.dtype:
        raise RuntimeError(f"{name}: input tensor and bins tensors should have the same dtype, but got input with "
                           f"dtype {_c_name(input.dtype)} and bins "
                           f"for dimension 0 with dtype {_c_name(bins.dtype)}")
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"{name}: if weight tensor is provided, input tensor and weight tensor should have the "
                           f"same dtype, but got input({_c_name(input.dtype)}), and weight({_c_name(weight.dtype)})")
    if weight is not None and weight.shape != input.shape:
        raise RuntimeError(f"{name}: if weight tensor is provided it should have the same shape as the input tensor "
                           f"excluding its innermost dimension, but got input with shape [{input.numel()}, 1] and "
                           f"weight with shape {list(weight.shape)}")
    flat = input.detach().flatten()
    if isinstance(bins, Tensor):
        edges = bins.detach()
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
        if range is not None:
            low, high = float(range[0]), float(range[1])
        elif flat.numel():
            low, high = flat.min().item(), flat.max().item()
        else:
            low, high = 0.0, 1.0
        if low > high:
            raise RuntimeError(f"{name}: min should not exceed max, but got min {low:g} max {high:g} for dimension 0")
        if not (math.isfinite(low) and math.isfinite(high)):
            raise RuntimeError(f"{name}: dimension 0's range [{low:g}, {high:g}] is not finite")
        if low == high:
            low, high = low - 0.5, high + 0.5  # (numpy's and torch's choice for an empty range)
        edges = linspace(low, high, bins + 1, dtype=input.dtype, device=input.device)
    nbins = edges.numel() - 1
    index = searchsorted(edges, flat, right=True) - 1
    index = where(flat == edges[-1], nbins - 1, index)  # the last bin is closed
    inside = (index >= 0) & (index < nbins)
    counts = (weight.detach().flatten().to(input.dtype) if weight is not None
              else flat * 0 + 1) * inside.to(input.dtype)
    hist = zeros(nbins, dtype=input.dtype, device=input.device).scatter_add_(0, index.clamp(0, max(nbins - 1, 0)),
                                                                            counts)
    if density:
        hist = hist / (hist.sum() * edges.diff())
    if out is not None:
        out[0].copy_(hist)
        out[1].copy_(edges)
        return histogram_result(*out)
    return histogram_result(hist, edges)


def _check_weights(name, weights, n):
    if weights.dim() > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                           f"{weights.dim()} dimensions")
    if weights.dtype.is_floating_point != (name == "aweights"):
        kind = "floating point" if name == "aweights" else "integral"
        raise RuntimeError(f"cov(): expected {name} to have {kind} dtype but got {name} with "
                           f"{weights.dtype._legacy[:-6]} dtype")
    if weights.numel() != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                           f"input but got {weights.numel()} != {n}")
    if (weights < 0).any().item():
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of input's rows (variables) over its columns (observations), with integer
    frequency weights and float observation weights; a 1-d input is one variable (a 0-d result)."""
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    x = _floating(input)
    x = x.reshape(1, -1) if x.dim() < 2 else x
    n = x.shape[1]
    w = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is not None:
            _check_weights(name, weights, n)
            w = weights if w is None else w * weights
    if w is None:
        w_sum = float(n)
        mean = x.mean(1, keepdim=True)
        norm = n - correction
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        if not w_sum.ne(0).item():
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        mean = (x * w).sum(1, keepdim=True) / w_sum
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights.to(x.dtype)).sum() / w_sum
    if (norm <= 0).item() if isinstance(norm, Tensor) else norm <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
    centered = x - mean
    weighted = centered if w is None else centered * w
    result = weighted.matmul(centered.transpose(0, 1)) / (norm.clamp(min=0) if isinstance(norm, Tensor)
                                                            else max(norm, 0))
    return result.squeeze()  # (torch's: one variable, a 1-d or a one-row input, gives a 0-d result)


def corrcoef(input):
    """Pearson's correlation coefficients of input's rows (cov scaled by the standard deviations, clipped to
    [-1, 1])."""
    c = cov(input)
    if c.dim() == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1) / std.unsqueeze(0)
    return c.clamp(-1, 1)


def _method(fn, name=None):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = name or fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _inplace(fn):
    def method(self, *args, **kwargs):
        def checked(x, *args, **kwargs):  # (the result must fit self's dtype, as torch's in-place ops)
            result = fn(x, *args, **kwargs)
            if not _C.can_cast(result.dtype.id, self.dtype.id):
                raise RuntimeError(f"result type {result.dtype._legacy[:-6]} can't be cast to the desired output "
                                   f"type {self.dtype._legacy[:-6]}")
            return result
        return self._inplace_from(checked, *args, **kwargs)
    method.__name__ = fn.__name__ + "_"
    return method


# ---------------------------------------------------------------- global settings


_settings = DETERMINISTIC


def set_default_device(device):
    """The device factory functions (zeros, tensor, arange, ...) use when given device=None; None restores CPU."""
    _device.DEFAULT[0] = _device.CPU if device is None else _device.as_device(device)


def get_default_device():
    """The device factories use when given device=None (torch.device('cpu') unless set_default_device changed it)."""
    d = _device.DEFAULT[0]
    return _device.device("cuda", 0) if d.type == "cuda" and d.index is None else d


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Records whether only deterministic algorithms may run. This library's kernels give the same result on
    each run already (its CUDA reductions accumulate in a fixed order), so there is nothing to switch; as torch's,
    the mode fills uninitialized tensors (torch.utils.deterministic.fill_uninitialized_memory)."""
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
                        f"{type(mode).__name__}")
    _settings.update(deterministic=mode, warn_only=bool(warn_only))


def are_deterministic_algorithms_enabled():
    """Whether use_deterministic_algorithms(True) is in effect."""
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    """Whether use_deterministic_algorithms(True, warn_only=True) is in effect."""
    return _settings["warn_only"]




# ---------------------------------------------------------------- Python callables per element (CPU only)


def _check_python_loop(self, name):
    if self.device.type != "cpu":
        raise TypeError(f"{name} is only implemented on CPU tensors")
    if self.requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() instead.")


def apply_(self, callable):
    """Replaces each element x of self by callable(x), in place: a Python call per element (slow, as torch's;
    CPU only, no autograd)."""
    _check_python_loop(self, "apply_")
    values = [callable(v) for v in self.flatten().tolist()]
    return self.copy_(tensor(values, dtype=self.dtype).reshape(self.shape))


def map_(self, tensor, callable):
    """Replaces each element x of self by callable(x, y) with y the matching element of `tensor` (broadcast to
    self's shape; same dtype), in place: a Python call per element (slow, as torch's; CPU only, no autograd)."""
    _check_python_loop(self, "map_")
    if tensor.dtype is not self.dtype:
        raise TypeError(f"map_: expected {self.type()} for 'other' (got {tensor.type()})")
    others = tensor.expand(self.shape).flatten().tolist()
    values = [callable(a, b) for a, b in zip(self.flatten().tolist(), others)]
    return self.copy_(_tensor(values, dtype=self.dtype).reshape(self.shape))


_float_power_.__name__ = "float_power_"
_ELEMENTWISE = (sgn, deg2rad, rad2deg, signbit, heaviside, float_power, addcmul, addcdiv, angle, ldexp, frexp,
                gcd, lcm, positive, isin, histogram, cov, corrcoef, trapezoid, trapz, cumulative_trapezoid)
_INPLACE = (sgn, deg2rad, rad2deg, heaviside, addcmul, addcdiv, ldexp, gcd, lcm)

# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {"mT": property(_mT), "mH": property(_mH), "H": property(_H), "type_as": type_as,
           "float_power_": _float_power_}
METHODS.update({fn.__name__: _method(fn) for fn in _ELEMENTWISE
                if fn not in (isin, trapezoid, trapz, cumulative_trapezoid)})
METHODS.update({fn.__name__ + "_": _inplace(fn) for fn in _INPLACE})
METHODS.update({"apply_": apply_, "map_": map_})
FUNCTIONS = {fn.__name__: fn for fn in _ELEMENTWISE}
FUNCTIONS.update({"memory_format": memory_format, "contiguous_format": contiguous_format,
                  "preserve_format": preserve_format, "channels_last": channels_last,
                  "channels_last_3d": channels_last_3d, "set_default_device": set_default_device,
                  "get_default_device": get_default_device,
                  "use_deterministic_algorithms": use_deterministic_algorithms,
                  "are_deterministic_algorithms_enabled": are_deterministic_algorithms_enabled,
                  "is_deterministic_algorithms_warn_only_enabled": is_deterministic_algorithms_warn_only_enabled,
                  "default_generator": default_generator, "manual_seed": manual_seed})
FUNCTIONS.update({"logspace": logspace, "deg2rad_": _inplace(deg2rad), "rad2deg_": _inplace(rad2deg),
                  "gcd_": _inplace(gcd), "lcm_": _inplace(lcm), "ldexp_": _inplace(ldexp)})

