"""The rest of the everyday surface a PyTorch user reaches for right after the tutorials, all written with
Tensor ops: torch's alternative names (arccos, greater, multiply, fix, ...), in-place forms (eq_, logical_not_,
transpose_, torch.exp_, ...), small predicates and properties (is_cpu, is_signed, is_nonzero, itemsize,
nbytes, the no-op conjugation of real tensors), fmax/fmin, dist, matrix_power, fill_diagonal_, sum_to_size,
the in-place samplers (exponential_, log_normal_, geometric_, cauchy_), rsub, scalar_tensor, randint_like,
typename, and the torch.<name> spellings of nn.functional ops (torch.conv2d, torch.max_pool2d, torch.dropout,
torch.layer_norm, torch.embedding, ...) with their torch.* signatures."""
import builtins
import inspect
import itertools
import math
import warnings

import numpy as np

from . import _C, _dtype, _ops
from .nn import functional as F
from ._tensor_base import typename
from .tensor import (LEGACY_CPU, LEGACY_CUDA, Tensor, _check_inplace, _draw, _empty_in_layout, _named, as_tensor,
                     cat, eye, from_numpy, full_like, stack, tensor, where, write_out)

METHODS, FUNCTIONS = {}, {}

# torch's other names for existing methods and functions: {alias: name}
_ALIASES = {
    "absolute": "abs", "absolute_": "abs_", "arccos": "acos", "arccos_": "acos_", "arccosh": "acosh",
    "arccosh_": "acosh_", "arcsin": "asin", "arcsin_": "asin_", "arcsinh": "asinh", "arcsinh_": "asinh_",
    "arctan": "atan", "arctan_": "atan_", "arctan2": "atan2", "arctan2_": "atan2_", "arctanh": "atanh",
    "arctanh_": "atanh_", "greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
    "not_equal": "ne", "multiply": "mul", "multiply_": "mul_", "divide": "div", "divide_": "div_",
    "subtract": "sub", "subtract_": "sub_", "true_divide_": "div_", "negative_": "neg_", "fix": "trunc",
    "fix_": "trunc_",
}
# torch.<name>_(input, ...): the in-place function forms, each Tensor.<name>_
_INPLACE_FUNCTIONS = (
    "abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_", "asin_",
    "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_",
    "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_", "index_put_", "log10_",
    "log1p_", "log2_", "log_", "nan_to_num_", "neg_", "negative_", "reciprocal_", "relu_", "round_", "rsqrt_",
    "sigmoid_", "sin_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_",
)


def _signature_of(method, first):
    """method's signature with its first parameter named `first` (None when it cannot be read)."""
    try:
        params = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return None
    return inspect.Signature([params[0].replace(name=first)] + params[1:]) if params else None


def _function_of_method(torch_name, name, doc):
    """torch.<torch_name>(input, ...) = input.<name>(...), with the method's parameters."""
    def function(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = torch_name
    function.__doc__ = doc
    method = METHODS.get(name) or getattr(Tensor, name, None)  # (the ops modules' methods arrive later)
    if method is not None:
        function.__signature__ = _signature_of(method, "input")
    return function


for _alias, _name in _ALIASES.items():
    METHODS[_alias] = getattr(Tensor, _name)  # (one function under both names: _docs and _arg_aliases see it so)
    if _name in ("abs", "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "gt", "ge", "lt", "le", "ne",
                 "trunc"):  # (the functions torch spells both ways; mul/div/sub's torch.* forms exist already)
        FUNCTIONS[_alias] = _function_of_method(_alias, _name, f"Alias for torch.{_name}().")


# ------------------------------------------------------------------------------------ in-place forms
def _inplace_compare(name):
    def method(self, other):
        """self.<op>_(other): the comparison written into self, as 1/0 in self's dtype."""
        return self.copy_(getattr(self, name)(other))
    method.__name__ = name + "_"
    return method


for _name in ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"):
    METHODS[_name + "_"] = _inplace_compare(_name)
for _alias, _name in (("greater_", "gt"), ("greater_equal_", "ge"), ("less_", "lt"), ("less_equal_", "le"),
                      ("not_equal_", "ne")):
    METHODS[_alias] = METHODS[_name + "_"]


def logical_not_(self):
    return self.copy_(self.logical_not())


def split_with_sizes(self, split_sizes, dim=0):
    """split with a list of sizes only (split also takes one size)."""
    if not isinstance(split_sizes, (list, tuple)):
        raise TypeError("split_with_sizes(): argument 'split_sizes' (position 1) must be tuple of ints, not "
                        f"{type(split_sizes).__name__}")
    return self.split(list(split_sizes), dim)


def transpose_(self, dim0, dim1):
    """self becomes its transpose (a view of the same storage), as t_ does for dims 0 and 1."""
    return self._inplace_view(_ops.VIEW_OPS["transpose"], dim0, dim1)


# --------------------------------------------------------------------------- predicates, properties
def is_signed(self):
    return self.dtype.is_signed


def is_complex(self):
    return False  # (no complex dtypes here)


def is_conj(self):
    return False


def is_neg(self):
    return False


def is_inference(self):
    """Whether self was made inside inference_mode (torch's inference tensors: no version counter)."""
    return self._extra is not None and bool(self._extra.get("inference"))


def conj(self):
    """The conjugate of a real tensor: the tensor itself (torch returns self too)."""
    return self


def is_nonzero(self):
    n = self.numel()
    if n != 1:
        raise RuntimeError("Boolean value of Tensor with " + ("no values" if n == 0 else "more than one value") +
                           " is ambiguous")
    return self.item() != 0


def is_same_size(self, other):
    return self.shape == other.shape


def isposinf(self):
    return self == math.inf if self.dtype.is_floating_point else full_like(self, False, dtype=_dtype.bool)


def isneginf(self):
    return self == -math.inf if self.dtype.is_floating_point else full_like(self, False, dtype=_dtype.bool)


METHODS.update(is_signed=is_signed, is_complex=is_complex, is_conj=is_conj, is_neg=is_neg, is_inference=is_inference,
               conj=conj, resolve_conj=conj, resolve_neg=conj, is_nonzero=is_nonzero, is_same_size=is_same_size,
               isposinf=isposinf, isneginf=isneginf, logical_not_=logical_not_,
               transpose_=transpose_, swapaxes_=transpose_, swapdims_=transpose_, split_with_sizes=split_with_sizes)
FUNCTIONS.update(is_complex=is_complex, is_conj=is_conj, is_neg=is_neg, is_inference=is_inference, conj=conj,
                 resolve_conj=conj, resolve_neg=conj, is_nonzero=is_nonzero, is_same_size=is_same_size,
                 isposinf=isposinf, isneginf=isneginf, is_signed=is_signed)
class layout:
    """torch.layout: how a tensor's elements are stored. Every tensor here is dense and strided."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return self.name


strided = layout("strided")


def _real(self):
    """A real tensor's real part: the tensor itself (torch's)."""
    return self


def _imag(self):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


FUNCTIONS.update(layout=layout, strided=strided)
for _name in ("is_sparse", "is_quantized", "is_meta", "is_mps", "is_nested", "is_mkldnn", "is_xpu"):
    setattr(Tensor, _name, False)  # (dense CPU/CUDA tensors only)
Tensor.layout = property(lambda self: strided)
Tensor.real = property(_real)
Tensor.imag = property(_imag)
Tensor.output_nr = property(lambda self: self._output_nr)
Tensor.is_cpu = property(lambda self: self.device.type == "cpu")
Tensor.itemsize = property(lambda self: self.dtype.itemsize)
Tensor.nbytes = property(lambda self: self.numel() * self.dtype.itemsize)


# -------------------------------------------------------------------------------------- arithmetic
def _nan_ignoring(input, other, name, position):
    """fmax/fmin: the elementwise maximum/minimum ignoring NaN: where one side is NaN the other is taken (NaN only
    if both are)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position {position}) must be Tensor, not {type(other).__name__}")
    m = input.maximum(other) if name == "fmax" else input.minimum(other)
    return where(input.isnan(), other, where(other.isnan(), input, m)) if m.dtype.is_floating_point else m


def fmax(input, other):
    return _nan_ignoring(input, other, "fmax", 2)


def fmin(input, other):
    return _nan_ignoring(input, other, "fmin", 2)


def dist(input, other, p=2):
    """The p-norm of input - other."""
    return _named((input - other).norm(p), "DistBackward0")


def matrix_power(input, n):
    """input @ input @ ... (n times; n = 0: the identity, n < 0: the inverse's power), by repeated squaring."""
    if input.dim() < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{input.shape[-2] if input.dim() > 1 else 1} by {input.shape[-1] if input.dim() else 1} "
                           "matrices")
    if n == 0:
        return eye(input.shape[-1], dtype=input.dtype, device=input.device).expand(input.shape).clone()
    base = input.inverse() if n < 0 else input
    result, n = None, builtins.abs(n)
    while n:
        if n & 1:
            result = base if result is None else result.matmul(base)
        n >>= 1
        if n:
            base = base.matmul(base)
    return result


def fill_diagonal_(self, fill_value, wrap=False):
    """Writes fill_value on the main diagonal (every dim equal beyond 2-D; wrap: a tall matrix's diagonal
    restarts below each square block, as numpy.fill_diagonal)."""
    if self.dim() < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.dim() > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    rows, cols = self.shape[0], self.shape[-1]
    if self.dim() == 2:
        step, stop = cols + 1, self.numel() if wrap and rows > cols + 1 else builtins.min(rows, cols) * cols
    else:
        step, stop = builtins.sum(cols ** i for i in range(self.dim())), self.numel()
    flat = self.view(-1) if self.is_contiguous() else self.contiguous().view(-1)
    flat[:stop:step] = fill_value
    return self if flat._impl.storage_id == self._impl.storage_id else self.copy_(flat.view(self.shape))


def sum_to_size(self, *size):
    """self summed down to `size` (a shape self is expandable to: leading dims removed, size-1 dims kept)."""
    size = list(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else list(size)
    shape = list(self.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{size}}} is not expandable to size {{{shape}}}.")
    out = self.sum(list(range(lead))) if lead else self
    ones = [i for i, (s, n) in enumerate(zip(size, shape[lead:])) if s == 1 and n != 1]
    return out.sum(ones, keepdim=True) if ones else out


def _fmax_method(self, other):
    return _nan_ignoring(self, other, "fmax", 1)


def _fmin_method(self, other):
    return _nan_ignoring(self, other, "fmin", 1)


_fmax_method.__name__, _fmin_method.__name__ = "fmax", "fmin"
METHODS.update(fmax=_fmax_method, fmin=_fmin_method, dist=dist, matrix_power=matrix_power,
               fill_diagonal_=fill_diagonal_, sum_to_size=sum_to_size)
FUNCTIONS.update(fmax=fmax, fmin=fmin, dist=dist, matrix_power=matrix_power)


# ------------------------------------------------------------------------------- in-place samplers
# The core's fills: on the CPU torch's draws and formulas (csrc/cpu/random.cpp), so a seed gives torch's numbers.
def exponential_(self, lambd=1.0, *, generator=None):
    """Exponential(lambd) samples: -log(1 - U) / lambd, U uniform on [0, 1)."""
    _check_inplace(self)
    _draw(generator, _C.exponential_, self._impl, lambd)
    return self


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """exp of Normal(mean, std) samples."""
    _check_inplace(self)
    _draw(generator, _C.log_normal_, self._impl, mean, std)
    return self


def geometric_(self, p, *, generator=None):
    """Geometric(p) samples on {1, 2, ...}: the number of Bernoulli(p) trials up to the first success."""
    _check_inplace(self)
    _draw(generator, _C.geometric_, self._impl, p)
    return self


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Cauchy(median, sigma) samples: median + sigma * tan(pi * (U - 1/2))."""
    _check_inplace(self)
    _draw(generator, _C.cauchy_, self._impl, median, sigma)
    return self


METHODS.update(exponential_=exponential_, log_normal_=log_normal_, geometric_=geometric_, cauchy_=cauchy_)


# -------------------------------------------------------------------------------- torch.* functions
def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    return other - (input if alpha == 1 else input * alpha)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor holding s, in the default float dtype unless dtype says otherwise."""
    return tensor(s, dtype=dtype or _dtype.get_default_dtype(), device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """randint over input's shape (dtype and device input's unless given); randint_like(input, high) as torch."""
    if high is None:
        low, high = 0, low
    t = _empty_in_layout(input, dtype, device)  # laid out as input: drawn in its memory order, as torch's
    _draw(generator, _C.random_, t._impl, low, high)
    return t


def fill(input, value):
    """A new tensor of input's shape, dtype and device, filled with value."""
    return full_like(input, value.item() if isinstance(value, Tensor) else value)


def set_default_tensor_type(t):
    """Deprecated in torch: the default float dtype from a legacy tensor type (torch.DoubleTensor or its name)."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    if isinstance(t, str):
        t = (LEGACY_CUDA if t.startswith("torch.cuda.") else LEGACY_CPU)[t.rsplit(".", 1)[1]]
    _dtype.set_default_dtype(t.dtype)


def combinations(input, r=2, with_replacement=False):
    """The r-element combinations of a 1-D tensor's elements (itertools.combinations' order), one per row."""
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r)) if r > 0 else []
    if not rows:
        return input.new_empty((0,) if r == 0 else (0, r))
    index = tensor(rows, device=input.device)
    return stack([input[index[:, k]] for k in range(r)], 1)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D x: column j is x ** j (increasing) or x ** (N - 1 - j), as torch's running
    products (cumprod, so an integer or bool x gives int64) in x's dtype promoted with int64."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0]
    if N is not None:
        n = N
        if n < 0:
            raise RuntimeError("N must be non-negative.")
    dtype = _dtype.BY_ID[_C.promote_types(x.dtype.id, _dtype.int64.id)]
    ones = x.new_ones([x.shape[0], min(n, 1)], dtype=dtype)
    if n <= 1:
        return ones
    powers = x.unsqueeze(1).expand(x.shape[0], n - 1).cumprod(1, dtype=dtype)
    out = cat([ones, powers], 1)
    return out if increasing else out.flip(1)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """A tensor from obj, sharing its memory when it can (a tensor or a numpy array of the same dtype and device)
    unless copy=True. requires_grad=None keeps a tensor's requires_grad and history (torch warns when that is
    True), False detaches, True makes the result require grad (keeping a history it has)."""
    out = as_tensor(obj, dtype=dtype, device=device)
    if copy and (out is obj or (isinstance(obj, np.ndarray) and out.numel() and
                                out.data_ptr() == obj.__array_interface__["data"][0])):
        out = out.clone()
    if requires_grad is None:
        if isinstance(obj, Tensor) and obj.requires_grad:
            warnings.warn("torch.asarray: unspecified requires_grad now defaults to obj.requires_grad instead of "
                          "False. Pass requires_grad=False explicitly to get the old behavior and silence this "
                          "warning.", UserWarning, stacklevel=2)
        return out
    if not requires_grad:
        return out.detach() if out.requires_grad else out
    return out if out.requires_grad else out.requires_grad_()


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor viewing a Python buffer (bytearray, array.array, memoryview...) as elements of dtype."""
    out = from_numpy(np.frombuffer(buffer, dtype=np.dtype(dtype.name), count=count, offset=offset))
    return out.requires_grad_() if requires_grad else out


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool2d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool3d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def adaptive_max_pool1d(input, output_size):
    """(values, indices), as torch.adaptive_max_pool1d returns them."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def dropout(input, p, train):
    return F.dropout(input, p, train)


def alpha_dropout(input, p, train):
    return F.alpha_dropout(input, p, train)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """torch.embedding's order (weight first; padding_idx -1: none) onto F.embedding."""
    return F.embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return F.group_norm(input, num_groups, weight, bias, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


FUNCTIONS.update(combinations=combinations, vander=vander, asarray=asarray, frombuffer=frombuffer)
FUNCTIONS.update(rsub=rsub, scalar_tensor=scalar_tensor, randint_like=randint_like, fill=fill, typename=typename,
                 set_default_tensor_type=set_default_tensor_type, max_pool1d=max_pool1d, max_pool2d=max_pool2d,
                 max_pool3d=max_pool3d, adaptive_max_pool1d=adaptive_max_pool1d, dropout=dropout,
                 alpha_dropout=alpha_dropout, embedding=embedding, layer_norm=layer_norm, group_norm=group_norm,
                 batch_norm=batch_norm)
# torch.<name> is nn.functional's (same signature)
for _name in ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "avg_pool1d",
              "adaptive_avg_pool1d", "bilinear", "cosine_similarity", "pairwise_distance", "pixel_shuffle",
              "pixel_unshuffle"):
    FUNCTIONS[_name] = getattr(F, _name)
for _name in _INPLACE_FUNCTIONS:
    FUNCTIONS[_name] = _function_of_method(_name, _name, f"In-place version of {_name[:-1]}(): input.{_name}(...), "
                                                         "returning input.")


# torch.functional's Python signatures (the keywords differ from the Tensor methods')
def split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    result = input.norm(p, dim, keepdim, dtype=dtype)
    return result if out is None else write_out(out, result)


FUNCTIONS.update(split=split, norm=norm)
