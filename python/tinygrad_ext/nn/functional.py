"""torch.nn.functional: layers and losses as functions. The heavy ones
(linear, conv2d, pooling, softmax, cross entropy, nll, mse) are fused ops of
_ops.py backed by C++ kernels; the rest compose Tensor ops."""
import math
import numbers
import warnings

from .. import _C, _dtype, _ops, _registry
from .. import _memory_format as _mf
from .._autocast import ACTIVE as _AMP
from .._autocast import cast_inputs as _amp_cast
from .._host import on_host as _on_host
from ..autograd.grad_mode import no_grad
from ..tensor import (Tensor, _empty_in_layout, _named, _needs_grad, _softmax, _wrap, arange, cat, full_like, stack,
                      tensor, where, zeros)
from ._functional_extra import channel_shuffle, gumbel_softmax, pdist, rrelu, rrelu_  # noqa: F401 (F's names)
from ._functional_extra import channel_shuffle as native_channel_shuffle  # noqa: F401 (torch's name too)
from ._fractional_pool import (fractional_max_pool2d, fractional_max_pool2d_with_indices,  # noqa: F401 (F's names)
                               fractional_max_pool3d, fractional_max_pool3d_with_indices)
from ._rms_norm import rms_norm  # noqa: F401 (torch.nn.functional.rms_norm)
from ._grid_sample import affine_grid, grid_sample  # noqa: F401 (torch.nn.functional's names)

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


# ------------------------------------------------------------------ helpers
def _pair(v, name="kernel_size", op=None):
    if isinstance(v, numbers.Integral):
        return (int(v), int(v))
    v = tuple(int(x) for x in v)
    if len(v) == 1:
        return (v[0], v[0])
    if len(v) != 2:
        raise _length_error(v, 2, name, op, "a pair of ints")
    return v


def _length_error(v, n, name, op, want):
    """An argument of the wrong length: torch's RuntimeError for a convolution's (op 'conv') or a pool's
    arguments (op its name), else a ValueError."""
    if op == "conv":
        return RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                            f"convolution dimensions, but got {name}={list(v)}")
    if op is None:
        return ValueError(f"{name} must be an int or {want}, got {v}")
    ints = f"a tuple of {'two' if n == 2 else 'three'} ints"
    if name == "stride":
        return RuntimeError(f"{op}: stride must either be omitted, a single int, or {ints}")
    verb = "must be either" if name == "dilation" else "must be" if op == "avg_pool3d" else "must either be"
    return RuntimeError(f"{op}: {name} {verb} a single int, or {ints}")


def _legacy_reduction(size_average, reduce, emit_warning=True):
    """The 2017 arguments: size_average=False means 'sum', reduce=False means 'none'."""
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        r = "mean"
    elif reduce:
        r = "sum"
    else:
        r = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{r}' instead.",
                      UserWarning, stacklevel=3)
    return r


def _reduction_code(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        reduction = "mean"
    code = _REDUCTIONS.get(reduction)
    if code is None:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return code


def _reduce(loss, code):
    if code == 1:
        return loss.mean()
    if code == 2:
        return loss.sum()
    return loss


# ------------------------------------------------------------------- layers
def linear(input, weight, bias=None):
    """input @ weight.T + bias, as torch's: addmm(bias, input, weight.t()) (one GEMM pass), or mm without a bias."""
    if _AMP[0]:
        input, weight, bias = _amp_cast("linear", input, weight, bias)
    if input._impl.ndim == 2 and weight._impl.ndim == 2:
        if _needs_grad(input, weight, bias):  # (weight's gradient flows through TBackward0, as torch's)
            if bias is None:
                return _ops.Mm.apply(input, weight.t())
            out = _ops.Addmm.apply(bias, input, weight.t())
            edges = out.grad_fn.next_functions  # (bias, input, weight.t()); the 2017 Linear node's were
            out.grad_fn._previous_functions = (edges[1], edges[2], edges[0])  # (input, weight, bias): the seeds'
            return out
        wt = _C.transpose(weight._impl, 0, 1)
        return _wrap(_C.mm(input._impl, wt) if bias is None else _C.addmm(bias._impl, input._impl, wt))
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.dim()}D and "
                           f"{weight.dim()}D")
    if weight.dim() == 1:  # a vector weight: one output feature, dropped (torch's matmul rule)
        out = input.matmul(weight)
        return out if bias is None else out + bias
    if input.dim() == 1:  # (torch's nodes: a view of addmm's row; matmul's squeeze without a bias)
        out = linear(input.unsqueeze(0), weight, bias)
        return _named(out.squeeze(0), "SqueezeBackward4") if bias is None else out.view(out.shape[-1])
    lead = input.shape[:-1]
    out = linear(input.reshape(math.prod(lead), input.shape[-1]), weight, bias)  # (no -1: 0 features)
    if bias is None:  # torch's nodes: without a bias linear is matmul, whose batch comes back by an unsafe view
        return _ops.VIEW_OPS["_unsafe_view"].apply(out, [*lead, out.shape[-1]])
    return out.reshape(*lead, out.shape[-1])


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if _AMP[0]:
        input, weight, bias = _amp_cast("conv2d", input, weight, bias)
    stride, dilation = _pair(stride, "stride", "conv"), _pair(dilation, "dilation", "conv")
    input, padding = _conv_padding(input, weight, padding, stride, dilation, 2)
    padding = _pair(padding, "padding", "conv")
    if isinstance(input, Tensor) and input.dim() == 3:  # unbatched: as torch's, a batch of one (its graph too)
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    return _ops.NN_OPS["convolution"].apply(input, weight, bias, stride, padding, dilation, False, (0, 0), int(groups))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    if not isinstance(input, Tensor):
        raise TypeError(f"max_pool2d{'_with_indices' if return_indices else ''}(): argument 'input' (position 1) must "
                        f"be Tensor, not {type(input).__name__}")
    if input.dim() not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    k = _pair(kernel_size, "kernel_size", "max_pool2d")
    s = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) else \
        _pair(stride, "stride", "max_pool2d")
    out, idx = _ops.NN_OPS["max_pool2d_with_indices"].apply(input, k, s, _pair(padding, "padding", "max_pool2d"),
                                                           _pair(dilation, "dilation", "max_pool2d"),
                                                           bool(ceil_mode))
    return (out, idx) if return_indices else out


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):  # (torch's default; the indices are returned either way)
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    k = _pair(kernel_size, "kernel_size", "avg_pool2d")
    s = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) else \
        _pair(stride, "stride", "avg_pool2d")
    if divisor_override is not None and divisor_override <= 0:
        raise RuntimeError("divisor must be not zero")
    if input.dim() < 3:  # (torch's kernel reads dim -3 first)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.dim()}, {input.dim() - 1}], "
                         "but got -3)")
    return _ops.NN_OPS["avg_pool2d"].apply(input, k, s, _pair(padding, "padding", "avg_pool2d"),
                                           bool(ceil_mode), bool(count_include_pad), divisor_override)


def _adaptive_output(input, output_size, name):
    """(oh, ow) checked as torch's, after the output itself was checked for size (an output of 2**31 x
    2**31 raises the core's overflow error instead of building a graph of 2**62 windows)."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    for d in range(input.dim() - 3, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(input.shape)} with dimension {d} being empty")
    sizes = (output_size, output_size) if isinstance(output_size, numbers.Integral) else tuple(output_size)
    if len(sizes) != 2:
        raise RuntimeError(f"{name}: output_size must be 2")
    H, W = input.shape[-2:]
    oh, ow = (H if sizes[0] is None else int(sizes[0])), (W if sizes[1] is None else int(sizes[1]))
    if oh < 0 or ow < 0:
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{oh}, {ow}}}")
    if oh >= 1 << 63 or ow >= 1 << 63:
        raise ValueError("Overflow when unpacking long long")
    _C.empty(list(input.shape[:-2]) + [oh, ow], input.dtype.id, *input.device._code)  # overflow / out of memory
    return oh, ow


def _adaptive_windows(n, n_out, device):
    """The windows [floor(i * n / n_out), ceil((i + 1) * n / n_out)) of an adaptive pool over a dim of size n:
    their starts and ends, and the (n_out, width) row numbers of each padded to the longest (width) window
    with `pad` marking the padding (its rows read row 0)."""
    i = arange(n_out, device=device)
    start, end = (i * n) // n_out, -((-(i + 1) * n) // n_out)
    width = int((end - start).max())
    rows = start.unsqueeze(1) + arange(width, device=device)
    pad = rows >= end.unsqueeze(1)
    return start, end, width, rows.masked_fill(pad, 0), pad


def _window_mean(x, dim, n_out):
    """Means of x over the adaptive windows of dim: one gather of the (at most width) rows of every window,
    the padding masked out by a select (an inf or nan stays in its own windows), a sum and a division."""
    start, end, width, rows, pad = _adaptive_windows(x.shape[dim], n_out, x.device)
    g = x.index_select(dim, rows.reshape(-1))
    shape = list(x.shape)
    shape[dim:dim + 1] = [n_out, width]
    g = g.reshape(shape)
    mshape = [1] * len(shape)
    mshape[dim:dim + 2] = [n_out, width]
    g = g.masked_fill(pad.reshape(mshape), 0)
    return g.sum(dim + 1) / (end - start).to(x.dtype).reshape(mshape[:dim + 1] + mshape[dim + 2:])


def _empty_pool(input, oh, ow):
    """An adaptive pool's empty (oh or ow 0) result, in the input's dtype, in the graph when the input needs grad."""
    out = input.new_zeros((*input.shape[:-2], oh, ow))
    return out * input.sum() if input.requires_grad else out


def _keep_channels_last(out, input):
    """out (a 4-d or 5-d result computed from input) channels-last(-3d) when input's suggested format is, as torch's
    CPU kernels write it (pads, adaptive pools, group_norm, pixel_shuffle, upsampling); otherwise out itself."""
    nd = out.dim()
    if nd == input.dim() and nd in (4, 5):
        fmt = _mf.channels_last if nd == 4 else _mf.channels_last_3d
        if _mf.suggests_channels_last(input._impl.shape, input._impl.strides, fmt) and \
                not _mf.suggests_channels_last(out._impl.shape, out._impl.strides, fmt):
            if out.requires_grad:
                return _mf.to_channels_last(out, fmt)
            return _wrap(_ops._channels_last(_C.contiguous(out._impl), input._impl))  # (a new tensor, not a view)
    return out


def adaptive_avg_pool2d(input, output_size):
    oh, ow = _adaptive_output(input, output_size, "adaptive_avg_pool2d")
    H, W = input.shape[-2:]
    if oh == 0 or ow == 0:
        return _empty_pool(input, oh, ow)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"adaptive_avg_pool2d\" not implemented for '{input.dtype._legacy[:-6]}'")
    if oh == ow == 1:  # (torch's: a mean, MeanBackward1; restrided (AsStridedBackward1) for a channels-last input)
        out = input.mean((-2, -1), keepdim=True)
        if input.dim() == 4 and _mf.suggests_channels_last(input._impl.shape, input._impl.strides):
            return _named(_mf.to_channels_last(out, _mf.channels_last), "AsStridedBackward1")  # (strides (C,1,C,C))
        return out
    if H % oh == 0 and W % ow == 0:  # equal windows: plain average pooling
        return _named(avg_pool2d(input, (H // oh, W // ow)), "AdaptiveAvgPool2DBackward0")
    # Windows of varying size: the mean is separable, over rows then over columns.
    nd = input.dim()
    out = _window_mean(_window_mean(input, nd - 2, oh), nd - 1, ow)
    return _named(_keep_channels_last(out, input), "AdaptiveAvgPool2DBackward0")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    oh, ow = _adaptive_output(input, output_size, "adaptive_max_pool2d")
    H, W = input.shape[-2:]
    if oh == 0 or ow == 0:
        out = _empty_pool(input, oh, ow)
        return (out, zeros(*out.shape, dtype=_dtype.int64, device=input.device)) if return_indices else out
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"adaptive_max_pool2d\" not implemented for '{input.dtype._legacy[:-6]}'")
    if H % oh == 0 and W % ow == 0:  # equal windows: plain max pooling
        out = max_pool2d(input, (H // oh, W // ow), return_indices=return_indices)
    else:
        out = _adaptive_max(input, (oh, ow), return_indices)
    if return_indices:
        return _named(_keep_channels_last(out[0], input), "AdaptiveMaxPool2DBackward0"), \
            _keep_channels_last(out[1], input)
    return _named(_keep_channels_last(out, input), "AdaptiveMaxPool2DBackward0")


def _adaptive_max(input, sizes, return_indices):
    """Adaptive max pooling over the last len(sizes) dims, windows of varying size: every (padded) window
    gathered, -inf in its padding, and the first maximum in row-major order taken (torch's tie rule); the
    index is the maximum's flat position in its plane (or volume)."""
    k, lead = len(sizes), tuple(input.shape[:input.dim() - len(sizes)])
    spatial = input.shape[len(lead):]
    windows = [_adaptive_windows(n, o, input.device) for n, o in zip(spatial, sizes)]
    g = input
    for d, (_, _, _, rows, _) in enumerate(windows):
        g = g.index_select(len(lead) + d, rows.reshape(-1))
    widths = [w[2] for w in windows]
    g = g.reshape(*lead, *[v for o, w in zip(sizes, widths) for v in (o, w)])
    n = len(lead)
    g = g.permute(*range(n), *range(n, n + 2 * k, 2), *range(n + 1, n + 2 * k, 2))
    g = g.reshape(*lead, *sizes, math.prod(widths))
    pad = None
    for d, (_, _, _, _, p) in enumerate(windows):  # (o_d, w_d) placed at dims d and k + d of a 2k-dim mask
        shape = [1] * (2 * k)
        shape[d], shape[k + d] = sizes[d], widths[d]
        p = p.reshape(shape)
        pad = p if pad is None else pad | p
    out, j = g.masked_fill(pad.reshape(*sizes, -1), -math.inf).max(-1)
    if not return_indices:
        return out
    index, stride = 0, 1
    for d in reversed(range(k)):  # j = sum over dims of (offset in window) * (later windows' widths)
        shape = [1] * k
        shape[d] = sizes[d]
        index = index + (windows[d][0].reshape(shape) + j % widths[d]) * stride
        j, stride = j // widths[d], stride * spatial[d]
    return out, index


# -------------------------------------------------------------- activations
def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def relu_(input):
    return input.relu_()


def _leaky_relu(input, negative_slope):
    return _ops.LeakyRelu.apply(input, negative_slope) if _needs_grad(input) else \
        _wrap(_C.leaky_relu(input._impl, negative_slope))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _activation(_leaky_relu, input, inplace, negative_slope, node="LeakyReluBackward1", saves_result=True)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype is _dtype.bool:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    return _activation(_hardtanh, input, inplace, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


# The activations of the op registry (one kernel each, with a fused backward kernel for the common ones).
_gelu, _gelu_tanh, _silu, _mish, _elu, _softplus, _hardsigmoid, _hardswish, _logsigmoid, _softshrink, _threshold, \
    _hardtanh, _prelu, _glu = map(_ops.functional, (
        "gelu", "gelu_tanh", "silu", "mish", "elu", "softplus", "hardsigmoid", "hardswish", "logsigmoid", "softshrink",
        "threshold", "hardtanh", "prelu", "glu"))
_SELU = (_registry.SELU_ALPHA, _registry.SELU_SCALE, 1.0)


def _activation(fn, input, inplace, *params, node=None, saves_result=False):
    """fn(input, *params), or written into input (inplace); `node`: the name of torch's node for the in-place
    variant where it has one of its own (LeakyReluBackward1 for leaky_relu_, ...); saves_result: that node keeps
    input itself, so that changing input in place afterwards fails its backward, as torch's."""
    if not inplace:
        return fn(input, *params)
    if node is None:
        return input._inplace_from(fn, *params)

    def written(x, *p):
        out = _named(fn(x, *p), node)
        if saves_result and out.grad_fn is not None:
            out.grad_fn._saves_result = True
        return out

    return input._inplace_from(written, *params)


def gelu(input, *, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _gelu(input) if approximate == "none" else _gelu_tanh(input)


def silu(input, inplace=False):
    return _activation(_silu, input, inplace)


def mish(input, inplace=False):
    return _activation(_mish, input, inplace)


def elu(input, alpha=1.0, inplace=False):
    return _activation(_elu, input, inplace, alpha, 1.0, 1.0, node="EluBackward1", saves_result=True)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    return _activation(_elu, input, inplace, *_SELU, node="EluBackward1", saves_result=True)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    out = _activation(_elu, input, inplace, alpha, 1.0, 1.0 / alpha, node="CeluBackward1", saves_result=True)
    return out if inplace else _named(out, "CeluBackward0")


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def softplus(input, beta=1.0, threshold=20.0):
    return _softplus(input, beta, threshold)


def softsign(input):
    return input / (input.abs() + 1)


def hardsigmoid(input, inplace=False):
    return _activation(_hardsigmoid, input, inplace)


def hardswish(input, inplace=False):
    return _activation(_hardswish, input, inplace)


def logsigmoid(input):
    return _logsigmoid(input)


def threshold(input, threshold, value, inplace=False):
    return _activation(_threshold, input, inplace, threshold, value, node="ThresholdBackward1")


def threshold_(input, threshold, value):
    return _activation(_threshold, input, True, threshold, value, node="ThresholdBackward1")


def tanhshrink(input):
    return input - input.tanh()


def softshrink(input, lambd=0.5):
    if lambd < 0 and input.dtype.is_floating_point:
        top, name = ("3.40282e+38", "Float") if input.dtype is _dtype.float32 else ("1.79769e+308", "Double")
        raise RuntimeError(f"lambda must be in range [0, {top}] for input dtype {name}, but found {lambd:g}")
    return _softshrink(input, lambd)


def hardshrink(input, lambd=0.5):
    return input.hardshrink(lambd)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def prelu(input, weight):
    """max(0, x) + weight * min(0, x), with one weight per channel (dim 1) or one for all."""
    if _AMP[0]:
        input, weight = _amp_cast("prelu", input, weight)
    channels = input.shape[1] if input.dim() >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    if weight.numel() != 1:
        weight = weight.reshape([channels] + [1] * (input.dim() - 2))
    elif weight.dim() > input.dim():  # (one weight: a 0-d input keeps its shape)
        weight = weight.reshape(())
    return _named(_prelu(input, weight), "PreluKernelBackward0")


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.dim()
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    return _glu(*input.chunk(2, d))


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _softmax(input, dim, dtype, False, 3)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _softmax(input, dim, dtype, True, 3)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return _softmax(-input, dim, dtype, False, 3, "softmin")


# ------------------------------------------------------- dropout and norms
def _keep_mask(input, shape, q):
    """A tensor of input's dtype and device and the given shape: 1 with probability q, else 0. shape None: input's
    shape laid out as input, so that the draws fill it in input's memory order as torch's."""
    mask = _empty_in_layout(input) if shape is None else _wrap(_C.empty(list(shape), input.dtype.id,
                                                                        *input.device._code))
    _C.bernoulli_(mask._impl, q)
    return mask


def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        mask = 0.0
    else:
        mask = _keep_mask(input, None, 1.0 - p)
        _C.mul(mask._impl, 1.0 / (1.0 - p), False, mask._impl)
    if inplace:  # (torch's node: MulBackward0, a number mask too)
        return input._inplace_from(lambda x: _named(x * mask, "MulBackward0"))
    return input * mask


def _check_norm_dtypes(input, *params, layer_norm=False):
    """torch's CPU rule for a normalization's parameters and running statistics: all of input's dtype, or all
    float32 with a float16/bfloat16 input (its mixed-type kernels); anything else raises torch's error."""
    dtypes = [p.dtype for p in params if p is not None]
    if all(d is input.dtype for d in dtypes):
        return
    if len(set(dtypes)) == 1:
        if input.dtype in (_dtype.float16, _dtype.bfloat16) and dtypes[0] is _dtype.float32:
            return
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    if layer_norm:
        other = next(d for d in dtypes if d is not input.dtype)
        raise RuntimeError(f"expected scalar type {input.dtype._legacy[:-6]} but found {other._legacy[:-6]}")
    raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if input.dim() < 2:
        raise ValueError(f"expected 2D or more input (got {input.dim()}D input)")
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != input.shape[1]:
            raise RuntimeError(f"{name} should contain {input.shape[1]} elements not {t.numel()}")
    _check_norm_dtypes(input, weight, bias, running_mean, running_var)
    dims = [0] + list(range(2, input.dim()))
    shape = [1, input.shape[1]] + [1] * (input.dim() - 2)
    if training:
        n = input.numel() // input.shape[1]
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        mean = input.mean(dims)
        var = input.var(dims, unbiased=False)
        if running_mean is not None and running_var is not None:
            with no_grad():
                m = momentum
                running_mean.mul_(1 - m).add_(mean.detach() * m)
                running_var.mul_(1 - m).add_(var.detach() * (m * n / (n - 1)))
    else:
        if running_mean is None or running_var is None:
            missing = "mean" if running_mean is None else "var"
            raise RuntimeError(f"running_{missing} must be defined in evaluation mode")
        mean, var = running_mean, running_var
    out = _channel_affine((input - mean.reshape(shape)) * (var.reshape(shape) + eps).rsqrt(), weight, bias)
    return _named(out.to(input.dtype), "NativeBatchNormBackward0")  # (float32 parameters: input's dtype back)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if _AMP[0]:
        input, weight, bias = _amp_cast("layer_norm", input, weight, bias)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    if not len(normalized_shape):
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != tuple(normalized_shape):
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(p.shape)} and normalized_shape = {list(normalized_shape)}")
    dims = list(range(-len(normalized_shape), 0))
    if tuple(input.shape[-len(normalized_shape):]) != tuple(normalized_shape):
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(input.shape)}")
    _check_norm_dtypes(input, weight, bias, layer_norm=True)
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, unbiased=False, keepdim=True)
    out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    # (torch's one node for the normalization; its output row-major whatever the input's layout)
    return _named(out.to(input.dtype).contiguous(), "NativeLayerNormBackward0")


def _embedding_renorm_(weight, input, max_norm, norm_type, validate):
    """torch's embedding_renorm_: each row that input looks up whose norm_type-norm exceeds max_norm is scaled
    in place to max_norm / (norm + 1e-7) times itself (outside autograd; the scale in double, rounded to the row's
    dtype once), the rows in sorted index order, a negative index counting from the end. Its errors are torch's
    and come before any write: select()'s IndexError for an index outside [-n, n), then `validate()`, the caller's
    own checks (torch renorms the rows before the bad index, or all of them before a lookup refuses a negative
    one; here nothing is written when the call raises)."""
    with no_grad():
        idx = input.reshape(-1).unique()
        n = weight.shape[0]
        bad = (idx < -n) | (idx >= n)
        if bool(bad.any()):
            first_bad = int(idx[int(bad.int().argmax())])
            raise IndexError(f"select(): index {first_bad} out of range for tensor of size {list(weight.shape)} at "
                             "dimension 0")
        validate()
        if idx.numel():
            idx = idx.remainder(n).unique()
            rows = weight.index_select(0, idx)
            norms = rows.norm(p=norm_type, dim=1, keepdim=True).double()
            scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight.index_copy_(0, idx, rows * scale.to(rows.dtype))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse are not supported")
    if input.dtype is not _dtype.int64 and input.dtype is not _dtype.int32:
        name = f"{input.device.type.upper()}BoolType" if input.dtype is _dtype.bool else input.type()  # (torch's)
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {name} instead (while checking arguments for embedding)")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    if max_norm is not None:  # (the lookup's range check before the renorm writes anything)
        _embedding_renorm_(weight, input, max_norm, norm_type, lambda: _ops.embedding_rows(weight._impl, input._impl))
    if _needs_grad(weight):
        return _ops.NN_OPS["embedding"].apply(weight, input, padding_idx)
    return _wrap(_ops.embedding_rows(weight._impl, input._impl))


def one_hot(tensor, num_classes=-1):
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel():
        lo, hi = int(tensor.min()), int(tensor.max())
        if lo < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes == -1:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    return (tensor.unsqueeze(-1) == arange(num_classes, device=tensor.device)).long()


def pad(input, pad, mode="constant", value=None):
    if mode != "constant":
        if value:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        return _pad_indexed(input, pad, mode)
    return _named(_constant_pad(input, pad, 0.0 if value is None else value), "ConstantPadNdBackward0")


def _constant_pad(input, pad, value):
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    if min(pad, default=0) < 0:
        input, pad = _crop_negative(input, pad), [max(p, 0) for p in pad]
    shape = list(input.shape)
    key = [slice(None)] * input.dim()
    for i in range(len(pad) // 2):
        d = input.dim() - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        key[d] = slice(lo, lo + shape[d])
        shape[d] += lo + hi
    out = _keep_channels_last(input.new_full(shape, value), input)  # (torch's: in input's suggested format)
    out[tuple(key)] = input
    return out


# ------------------------------------------------------------------- losses
def _check_same_size(input, target, what="input"):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the {what} size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=3)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if _AMP[0]:
        input, target = _amp_cast("mse_loss", input, target)
    code = _reduction_code(reduction, size_average, reduce)
    if input.shape != target.shape:
        _check_same_size(input, target)
    if not (input.dtype.is_floating_point or target.dtype.is_floating_point):  # (one float operand: promoted)
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{input.dtype._legacy[:-6]}'")
    if input.dtype is not target.dtype:  # computed in the promoted dtype, as torch's
        rt = _dtype.BY_ID[_C.promote_types(input.dtype.id, target.dtype.id)]  # (dtypes, not values)
        input, target = input.to(rt), target.to(rt)
    if weight is not None:
        return _reduce((input - target) ** 2 * weight, code)
    return _ops.NN_OPS["mse_loss"].apply(input, target, code)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if _AMP[0]:
        input, target = _amp_cast("l1_loss", input, target)
    code = _reduction_code(reduction, size_average, reduce)
    if input.shape != target.shape:
        _check_same_size(input, target)
    if weight is None:
        return _reduce((input - target).abs(), code)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    weighted = (input - target).abs() * weight
    return weighted.sum() / weight.sum() if code == _REDUCTIONS["mean"] else _reduce(weighted, code)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    if _AMP[0]:
        input, target = _amp_cast("smooth_l1_loss", input, target)
    code = _reduction_code(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if input.shape != target.shape:
        _check_same_size(input, target)
    common = _dtype.BY_ID[_C.promote_types(input.dtype.id, target.dtype.id)]
    if not common.is_floating_point:  # (torch's kernel: floating types only, a bool promoted with a float)
        raise NotImplementedError(f"\"smooth_l1_cpu\" not implemented for '{common._legacy[:-6]}'")
    d = input.to(common) - target.to(common)
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, code)
    return _named(_reduce(where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), code), "SmoothL1LossBackward0")


_CE_KERNEL = "log_softmax_lastdim_kernel_impl"  # (torch's name in its dtype error)


def _class_target(target, input, kernel, code):
    """target as the kernels take class indices (int64), checked in torch's order: input's dtype first, then
    target's batch size and dims, then its dtype."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype._legacy[:-6]}'")
    if input.dim() >= 2 and target.dim() >= 1:
        if input.shape[0] != target.shape[0]:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0]}).")
        if input.dim() == 2 and target.dim() != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype._legacy[:-6]}")
    if target.dtype.name == "uint8" and target.dim() > 1 and (target.numel() or code == 0):
        # torch's spatial kernels take Long only (reduction='none' checks even an empty target)
        raise RuntimeError("expected scalar type Long but found Byte")
    return target if target.dtype.name == "int64" else target.long()


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """log_softmax over dim 1 (dim 0 for unbatched input) + nll_loss, fused. target holds class indices, or
    class probabilities (a floating tensor of input's shape)."""
    code = _reduction_code(reduction, size_average, reduce)
    if _AMP[0]:
        input, target, weight = _amp_cast("cross_entropy", input, target, weight)
    if not isinstance(input, Tensor) or not isinstance(target, Tensor):
        raise TypeError("cross_entropy(): input and target must be Tensors")
    if target.shape == input.shape:  # (any other shape: class indices)
        if not target.dtype.is_floating_point:
            raise RuntimeError("Expected floating point type for target with class probabilities, got "
                               f"{target.dtype._legacy[:-6]}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probs(input, target, weight, code, label_smoothing)
    loss = _ops.NN_OPS["cross_entropy"].apply(input, _class_target(target, input, _CE_KERNEL, code), weight, code,
                                              int(ignore_index), float(label_smoothing))
    if target.dtype.name == "uint8" and weight is not None and label_smoothing > 0 and code == _REDUCTIONS["mean"]:
        # torch's mean gathers the weights with the target itself for its smoothing term (after the loss checks)
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    return _named(loss, "AddBackward0") if label_smoothing > 0 else loss  # (torch's: nll and smoothing terms summed)


def _cross_entropy_probs(input, target, weight, code, label_smoothing):
    if target.shape != input.shape:
        raise RuntimeError(f"Expected target size {list(input.shape)}, got {list(target.shape)} (class-probability "
                           "targets must have the input's shape)")
    cdim = 0 if input.dim() == 1 else 1
    C = input.shape[cdim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / C
    logp = log_softmax(input, cdim)
    prod = logp * target
    if weight is not None:
        shape = [1] * input.dim()
        shape[cdim] = C
        prod = prod * weight.reshape(shape)
    loss = -prod.sum(cdim)
    if code == 1:
        n = input.numel() // C if C else 0
        return _named(loss.sum() / n if n else loss.sum() * math.nan, "DivBackward1")  # (the mean of nothing: nan)
    return _named(_reduce(loss, code), "NegBackward0")  # (torch's sum: of the products, then negated)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    if _AMP[0]:
        input, weight = _amp_cast("nll_loss", input, weight)
    code = _reduction_code(reduction, size_average, reduce)
    return _ops.NN_OPS["nll_loss"].apply(input, _class_target(target, input, "nll_loss_out_frame", code), weight,
                                         code, int(ignore_index))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    if _AMP[0]:
        input, target, weight = _amp_cast("binary_cross_entropy", input, target, weight)
    code = _reduction_code(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {target.dtype._legacy[:-6]} but expected {input.dtype._legacy[:-6]}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{input.dtype._legacy[:-6]}'")
    if input.numel():  # torch's kernel checks each element's input, then its target, in order
        with no_grad():
            bad_input = ~((input >= 0) & (input <= 1))
            bad = bad_input | ~((target >= 0) & (target <= 1))
            if bad.any():
                first = int(bad.reshape(-1).to(_dtype.uint8).argmax())
                raise RuntimeError(f"all elements of {'input' if bad_input.reshape(-1)[first] else 'target'} should "
                                   "be between 0 and 1")
    _check_no_grad("binary_cross_entropy", weight=weight)
    if _needs_grad(input, target):
        return _BinaryCrossEntropy.apply(input, target, weight, code)
    return _wrap(_BinaryCrossEntropy.loss(input, target, weight, code))


def _check_no_grad(op, **tensors):
    """torch's refusal of a gradient for an argument its derivatives.yaml gives none (a loss's weight)."""
    for name, t in tensors.items():
        if _needs_grad(t):
            raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument '{name}'. This "
                               "input cannot have requires_grad True.")


def _loss_reduced(g, input, weight, code):
    """A loss's elementwise gradient g times its weight, divided by the element count for reduction='mean'."""
    if weight is not None:
        g = g * weight
    return g / input.numel() if code == 1 else g


class _BinaryCrossEntropy(_ops.Op):
    """binary_cross_entropy as torch's one node (BinaryCrossEntropyBackward0, edges to input and target) with
    derivatives.yaml's formulas: (input - target) / max(input (1 - input), 1e-12) and -logit(input)."""

    _nondiff_args = (2,)
    _backward_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def loss(input, target, weight, code):
        # NOTE: log is clamped at -100 as in torch, so a 0/1 input gives a finite loss.
        with no_grad():
            loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
            return _reduce(loss if weight is None else loss * weight, code)._impl

    @staticmethod
    def forward(ctx, input, target, weight, code):
        ctx.save_for_backward(input, target, weight)
        ctx.code = code
        return _BinaryCrossEntropy.loss(input, target, weight, code)

    @staticmethod
    def backward(ctx, grad):
        input, target, weight = ctx.saved_tensors
        gi = gt = None
        if ctx.needs_input_grad[0]:
            gi = _loss_reduced(grad * (input - target) / ((1 - input) * input).clamp(min=1e-12), input, weight,
                               ctx.code)
        if ctx.needs_input_grad[1]:
            gt = _loss_reduced(-input.logit() * grad, input, weight, ctx.code)
        return gi, gt, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    if _AMP[0]:
        input, target, weight, pos_weight = _amp_cast("binary_cross_entropy_with_logits", input, target, weight,
                                                      pos_weight)
    code = _reduction_code(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    if not input.dtype.is_floating_point:  # (torch's log_sigmoid of the input: floating types only)
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{input.dtype._legacy[:-6]}'")
    if target.dtype == _dtype.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if not target.dtype.is_floating_point and input.dtype.is_floating_point:
        raise RuntimeError(f"result type {input.dtype._legacy[:-6]} can't be cast to the desired output type "
                           f"{target.dtype._legacy[:-6]}")
    _check_no_grad("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    if _needs_grad(input, target):
        return _BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, code)
    return _wrap(_BinaryCrossEntropyWithLogits.loss(input, target, weight, pos_weight, code))


class _BinaryCrossEntropyWithLogits(_ops.Op):
    """binary_cross_entropy_with_logits as torch's one node (BinaryCrossEntropyWithLogitsBackward0, edges to input
    and target) with torch's formulas: (1 + (pw - 1) y) sigmoid(x) - pw y (sigmoid(x) - y without pos_weight) and
    log_sigmoid(-x) - pw log_sigmoid(x) (-x)."""

    _nondiff_args = (2, 3)
    _backward_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def loss(input, target, weight, pos_weight, code):
        # loss = (1 - y) x + (1 + (pw - 1) y) softplus(-x), softplus(-x) = log1p(exp(-|x|)) + relu(-x): stable for
        # any x
        with no_grad():
            sp = input.abs().neg().exp().log1p() + (-input).relu()
            if pos_weight is not None:
                loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * sp
            else:
                loss = (1 - target) * input + sp
            return _reduce(loss if weight is None else loss * weight, code)._impl

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, code):
        ctx.save_for_backward(input, target, weight, pos_weight)
        ctx.code = code
        return _BinaryCrossEntropyWithLogits.loss(input, target, weight, pos_weight, code)

    @staticmethod
    def backward(ctx, grad):
        input, target, weight, pos_weight = ctx.saved_tensors
        gi = gt = None
        if ctx.needs_input_grad[0]:
            if pos_weight is not None:
                t = pos_weight * target
                gi = (t + 1 - target) * input.sigmoid() - t
            else:
                gi = input.sigmoid() - target
            gi = _loss_reduced(gi * grad, input, weight, ctx.code)
        if ctx.needs_input_grad[1]:
            gt = -input if pos_weight is None else _logsigmoid(-input) - _logsigmoid(input) * pos_weight
            gt = _loss_reduced(gt * grad, input, weight, ctx.code)
        return gi, gt, None, None, None


# ---- layers added for issue 12 (attention, normalization, convolution, pooling, resampling, losses)
def _repeat_heads(x, num_heads):
    """(..., Hk, S, E) -> (..., num_heads, S, E), each of the Hk heads repeated num_heads // Hk times in place
    (repeat_interleave over dim -3: grouped-query attention)."""
    *lead, hk, s, e = x.shape
    if num_heads % hk:
        raise RuntimeError(f"scaled_dot_product_attention: number of heads in query ({num_heads}) must be a "
                           f"multiple of the number of heads in key/value ({hk})")
    return x.unsqueeze(-3).expand(*lead, hk, num_heads // hk, s, e).reshape(*lead, num_heads, s, e)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value over the last two dims (L queries, S keys). A bool mask
    keeps the positions that are True, a float mask is added; is_causal keeps key j <= query i.
    NOTE: a query whose every key is masked gets weights 0 (torch's safe softmax), not NaN."""
    if is_causal and attn_mask is not None and not (
            dropout_p == 0.0 and query.dim() == key.dim() == value.dim() == 4 and attn_mask.dim() in (2, 4)
            and query.shape[-1] == key.shape[-1] == value.shape[-1]):
        # (only torch's math kernel refuses both; its CPU flash kernel, which takes these inputs, applies both)
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        key, value = _repeat_heads(key, query.shape[-3]), _repeat_heads(value, query.shape[-3])
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query.matmul(key.transpose(-2, -1)) * scale
    if is_causal:
        causal = arange(L, device=query.device).unsqueeze(-1) >= arange(S, device=query.device)
        attn_mask = causal if attn_mask is None else attn_mask & causal if attn_mask.dtype == _dtype.bool else \
            attn_mask.masked_fill(causal.logical_not(), -math.inf)
    if attn_mask is not None:
        if attn_mask.dtype == _dtype.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, -1).masked_fill((scores == -math.inf).all(-1, keepdim=True), 0.0)
    return dropout(weights, dropout_p, True).matmul(value)


# Multi-head attention. Shapes (sequence first, as torch's default): L target length, S source length, N batch,
# E embed_dim, H num_heads, hd = E // H.
def _float_mask(mask, name, dtype):
    """A bool mask (True = not allowed) as an additive float mask (-inf where True); float masks as given."""
    if mask is None:
        return None
    if mask.dtype.is_floating_point:
        return mask
    if mask.dtype.name != "bool":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return zeros(*mask.shape, dtype=dtype, device=mask.device).masked_fill(mask, -math.inf)


def _check_batched(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the input is batched (3-D) or not (2-D), with torch's shape checks."""
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                             "tensor")
    batched = query.dim() == 3
    what = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.dim() != query.dim() or value.dim() != query.dim():
        raise AssertionError(f"For {what} `query`, expected `key` and `value` to be {query.dim()}-D but found "
                             f"{key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != query.dim() - 1:
        raise AssertionError(f"For {what} `query`, expected `key_padding_mask` to be `None` or "
                             f"{query.dim() - 1}-D but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {what} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.dim()}-D tensor instead")
        if not batched and attn_mask.dim() == 3 and tuple(attn_mask.shape) != (num_heads, query.shape[0],
                                                                                key.shape[0]):
            raise AssertionError(f"Expected `attn_mask` shape to be {(num_heads, query.shape[0], key.shape[0])} but "
                                 f"got {attn_mask.shape}")
    return batched


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """torch.nn.functional.multi_head_attention_forward: project, split into heads, attend, merge, project.
    Masks: True (bool) or the added float value marks a key a query must not attend to."""
    batched = _check_batched(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    L, N, E = query.shape
    if E != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {E}")
    hd = E // num_heads
    if hd * num_heads != E:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                                 f"{tuple(value.shape[:2])}")
    elif key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # scaled_dot_product_attention's own causal mask
    else:
        is_causal = False
    if key_padding_mask is not None and attn_mask is not None and key_padding_mask.dtype != attn_mask.dtype:
        warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for both "
                      "instead.", UserWarning, stacklevel=3)
    key_padding_mask = _float_mask(key_padding_mask, "key_padding_mask", query.dtype)
    attn_mask = _float_mask(attn_mask, "attn_mask", query.dtype)

    if use_separate_proj_weight:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)

    S = key.shape[0]
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (L, S):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(L, S)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (N * num_heads, L, S):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(N * num_heads, L, S)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key/value.")
        k, v = cat([k, bias_k.expand(1, N, E)]), cat([v, bias_v.expand(1, N, E)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))

    q = q.reshape(L, N * num_heads, hd).transpose(0, 1)  # (N*H, L, hd)
    k = k.reshape(k.shape[0], N * num_heads, hd).transpose(0, 1) if static_k is None else static_k
    v = v.reshape(v.shape[0], N * num_heads, hd).transpose(0, 1) if static_v is None else static_v
    if add_zero_attn:
        k = cat([k, zeros(N * num_heads, 1, hd, dtype=k.dtype, device=k.device)], 1)
        v = cat([v, zeros(N * num_heads, 1, hd, dtype=v.dtype, device=v.device)], 1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    S = k.shape[1]
    if key_padding_mask is not None:
        for i, want in enumerate((N, S)):  # torch checks the batch size, then the source length
            if key_padding_mask.shape[i] != want:
                raise AssertionError(f"Expected key_padded_mask.shape[{i}] to be {want}, "
                                     f"but got {key_padding_mask.shape[i]}")
        kpm = key_padding_mask.reshape(N, 1, 1, S).expand(N, num_heads, 1, S).reshape(N * num_heads, 1, S)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    if need_weights:
        weights = (q * (1.0 / math.sqrt(hd))).matmul(k.transpose(1, 2))  # (N*H, L, S)
        if attn_mask is not None:
            weights = weights + attn_mask
        weights = softmax(weights, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = weights.matmul(v).transpose(0, 1).reshape(L * N, E)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(L, N, E)
        weights = weights.reshape(N, num_heads, L, S)
        if average_attn_weights:
            weights = weights.mean(1)
        return (out, weights) if batched else (out.squeeze(1), weights.squeeze(0))
    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else attn_mask.reshape(N, num_heads, -1, S)
    out = scaled_dot_product_attention(q.reshape(N, num_heads, L, hd), k.reshape(N, num_heads, S, hd),
                                         v.reshape(N, num_heads, S, hd), attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(L * N, E)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(L, N, E)
    return (out, None) if batched else (out.squeeze(1), None)


def _channel_affine(out, weight, bias):
    """out * weight + bias, both per channel (dim 1)."""
    shape = [1, out.shape[1]] + [1] * (out.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalizes the channels of each sample in num_groups groups (biased variance), then a per-channel affine."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    N, C = input.shape[:2]
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.dim() != 1 or p.numel() != C):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(p.shape)} and input of shape {list(input.shape)}")
    _check_norm_dtypes(input, weight, bias)
    x = input.reshape(N, num_groups, C // num_groups * math.prod(input.shape[2:]))  # (no -1: N may be 0)
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    out = _channel_affine(((x - mean) * (var + eps).rsqrt()).reshape(input.shape), weight, bias)
    return _named(_keep_channels_last(out.to(input.dtype), input), "NativeGroupNormBackward0")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalizes each (sample, channel) over its spatial positions. With use_input_stats the running statistics
    (if given) move towards the batch's average of the instances' means and unbiased variances."""
    _check_norm_dtypes(input, weight, bias, running_mean, running_var)
    dims = list(range(2, input.dim()))
    if use_input_stats:
        n = input.numel() // max(input.shape[0] * input.shape[1], 1)
        if n <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, unbiased=False, keepdim=True)
        if running_mean is not None and running_var is not None:
            with no_grad():
                running_mean.mul_(1 - momentum).add_(mean.detach().reshape(input.shape[:2]).mean(0) * momentum)
                running_var.mul_(1 - momentum).add_(var.detach().reshape(input.shape[:2]).mean(0) *
                                                    (momentum * n / (n - 1)))
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        shape = [1, input.shape[1]] + [1] * len(dims)
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = _channel_affine((input - mean) * (var + eps).rsqrt(), weight, bias).to(input.dtype)
    return _named(out.contiguous(), "ViewBackward0")  # (row-major: torch's runs batch_norm on a contiguous view)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """input / (k + alpha * mean of input^2 over `size` neighbouring channels)^beta; the window is zero-padded by
    size // 2 channels before and (size - 1) // 2 after, and the mean divides by size."""
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.dim()} dimensions)")
    if input.numel() == 0:
        return input
    if size <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {size} kW: 1")
    C = input.shape[1]
    sq = pad(input * input, [0, 0] * (input.dim() - 2) + [size // 2, (size - 1) // 2])
    div = sq.narrow(1, 0, C)
    for s in range(1, size):
        div = div + sq.narrow(1, s, C)
    return input / (div * (alpha / size) + k) ** beta


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p over dim, eps)."""
    result = input / input.norm(p, dim, keepdim=True).clamp(min=eps)
    return result if out is None else out.copy_(result)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) over dim (after broadcasting)."""
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim."""
    return _named((x1 - x2 + eps).norm(p, -1, keepdim=keepdim), "NormBackward1")


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o] (one GEMM and a product)."""
    O, I1, I2 = weight.shape
    for d, (a, b) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if a != b:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {a} and {b}")
    if input1.shape[-1] != I1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {I1}")
    if input2.shape[-1] != I2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {I2}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    t = linear(input1, weight.transpose(1, 2).reshape(O * I2, I1))  # (..., O * I2)
    out = (t.reshape(*input1.shape[:-1], O, I2) * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


def _single(v, name="kernel_size", op=None):
    if isinstance(v, numbers.Integral):
        return (int(v),)
    v = tuple(int(x) for x in v)
    if len(v) != 1:
        raise _length_error(v, 1, name, op, "a 1-tuple of ints")
    return v


def _triple(v, name="kernel_size", op=None):
    if isinstance(v, numbers.Integral):
        return (int(v),) * 3
    v = tuple(int(x) for x in v)
    if len(v) == 1:
        return v * 3
    if len(v) != 3:
        raise _length_error(v, 3, name, op, "a triple of ints")
    return v


_SAME_PAD_WARNED = False


def _same_padding(input, weight_sizes, stride, dilation, spatial):
    """padding='same' as explicit per-side padding of the last `spatial` dims of input; the odd extra goes to the
    end, as torch's. Returns (input padded where asymmetric, the symmetric padding left for the kernel)."""
    global _SAME_PAD_WARNED
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    totals = [d * (k - 1) for d, k in zip(dilation, weight_sizes)]
    extra = []
    for t in reversed(totals):
        extra += [0, t % 2]
    if any(extra):
        if not _SAME_PAD_WARNED:  # (torch warns once per process)
            _SAME_PAD_WARNED = True
            warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                          "copy of the input be created", UserWarning, stacklevel=4)
        input = pad(input, extra)
    return input, tuple(t // 2 for t in totals)


def _conv_padding(input, weight, padding, stride, dilation, spatial):
    if not isinstance(padding, str):
        return input, padding
    if padding == "valid":
        return input, (0,) * spatial
    if padding == "same":
        return _same_padding(input, weight.shape[2:], stride, dilation, spatial)
    raise RuntimeError(f"Invalid padding string: '{padding}'")


def _batched(input, spatial, name):
    """input with a batch dim (an unbatched (C, *spatial) input gets one), and whether it had one."""
    if input.dim() == spatial + 2:
        return input, True
    if input.dim() == spatial + 1:
        return input.unsqueeze(0), False
    raise RuntimeError(f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {name}, but got "
                       f"input of size: {list(input.shape)}")


def _check_conv(x, weight, groups, padding, dilation, stride):
    """torch's argument, channel and kernel-size checks of an N-d convolution, on the (batched) input x."""
    if min(stride) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if min(padding) < 0:
        raise RuntimeError("negative padding is not supported")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(x.shape)} to have {weight.shape[1] * groups} channels, but got {x.shape[1]} "
                           "channels instead")
    padded = [n + 2 * p for n, p in zip(x.shape[2:], padding)]
    kernel = [d * (k - 1) + 1 for d, k in zip(dilation, weight.shape[2:])]
    if any(p < k for p, k in zip(padded, kernel)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
                           f"size: ({' x '.join(map(str, kernel))}). Kernel size can't be greater than actual input "
                           "size")


def _conv_args(input, weight, stride, padding, dilation, groups, n):
    """The batched input (padded where padding='same' is asymmetric), whether it was batched, and stride,
    padding, dilation as n-tuples, checked as torch's for an n-d convolution."""
    x, batched = _batched(input, n, f"conv{n}d")
    if weight.dim() != n + 2:
        raise RuntimeError(f"conv{n}d: expected a {n + 2}-D weight (out_channels, in_channels / groups, *kernel), "
                           f"got shape {list(weight.shape)}")
    as_tuple = _single if n == 1 else _triple
    stride, dilation = as_tuple(stride, "stride", "conv"), as_tuple(dilation, "dilation", "conv")
    x, padding = _conv_padding(x, weight, padding if isinstance(padding, str) else as_tuple(padding, "padding", "conv"),
                               stride, dilation, n)
    _check_conv(x, weight, groups, padding, dilation, stride)
    return x, batched, stride, padding, dilation


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if _AMP[0]:
        input, weight, bias = _amp_cast("conv1d", input, weight, bias)
    """The conv2d kernel on (N, C, 1, L)."""
    x, batched, stride, padding, dilation = _conv_args(input, weight, stride, padding, dilation, groups, 1)
    if not x.is_contiguous():  # (a 3-d input is never channels-last: its 4-d view must not look so to conv2d)
        x = x.contiguous()
    out = _named(conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride[0]), (0, padding[0]),
                        (1, dilation[0]), groups).squeeze(2), "ConvolutionBackward0")
    return out if batched else out.squeeze(0)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if _AMP[0]:
        input, weight, bias = _amp_cast("conv3d", input, weight, bias)
    """Sum over the kernel's depth taps of conv2d on depth slices: tap kd of output depth od reads input depth
    od * stride + kd * dilation (of the padded input); every (sample, output depth) is one conv2d batch item."""
    x, batched, stride, padding, dilation = _conv_args(input, weight, stride, padding, dilation, groups, 3)
    if padding[0]:
        x = pad(x, [0, 0, 0, 0, padding[0], padding[0]])
    N, C, D = x.shape[:3]
    KD = weight.shape[2]
    OD = (D - dilation[0] * (KD - 1) - 1) // stride[0] + 1
    out = None
    for kd in range(KD):
        start = kd * dilation[0]
        sl = x[:, :, start:start + stride[0] * (OD - 1) + 1:stride[0]]  # (N, C, OD, H, W)
        sl = sl.permute(0, 2, 1, 3, 4).reshape(N * OD, C, x.shape[3], x.shape[4])
        y = conv2d(sl, weight[:, :, kd], None, stride[1:], padding[1:], dilation[1:], groups)
        out = y if out is None else out + y
    out = out.reshape(N, OD, *out.shape[1:]).permute(0, 2, 1, 3, 4).contiguous()  # (torch: a contiguous output)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    out = _named(out, "ConvolutionBackward0")
    return out if batched else out.squeeze(0)


def _conv_transpose_output_padding(output_padding, stride, dilation):
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            names = ("depth", "height", "width")[3 - len(stride):]
            raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                               + " ".join(f"output_padding_{n}: {o}" for n, o in zip(names, output_padding)) + " "
                               + " ".join(f"stride_{n}: {o}" for n, o in zip(names, stride)) + " "
                               + " ".join(f"dilation_{n}: {o}" for n, o in zip(names, dilation)))


def _conv_transpose_args(input, weight, stride, padding, output_padding, dilation, n):
    """The batched input, whether it was batched, and stride, padding, output_padding, dilation as n-tuples,
    checked as torch's for an n-d transposed convolution (n = 2 or 3)."""
    x, batched = _batched(input, n, f"conv_transpose{n}d")
    stride, padding, dilation, output_padding = ((_pair if n == 2 else _triple)(v, name, "conv") for v, name in (
        (stride, "stride"), (padding, "padding"), (dilation, "dilation"), (output_padding, "output_padding")))
    _conv_transpose_output_padding(output_padding, stride, dilation)
    if weight.dim() != n + 2 or x.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} "
                           f"to have {weight.shape[0]} channels, but got {x.shape[1]} channels instead")
    return x, batched, stride, padding, output_padding, dilation


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    if _AMP[0]:
        input, weight, bias = _amp_cast("conv_transpose2d", input, weight, bias)
    """The adjoint of conv2d: conv2d's input-gradient kernel with the output's size
    (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1. weight is
    (in_channels, out_channels / groups, kH, kW)."""
    x, batched, stride, padding, output_padding, dilation = _conv_transpose_args(
        input, weight, stride, padding, output_padding, dilation, 2)
    if bias is not None and tuple(bias.shape) != (weight.shape[1] * groups,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[1] * groups} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    size = [(x.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (weight.shape[2 + i] - 1) +
            output_padding[i] + 1 for i in range(2)]
    if min(size) <= 0:
        raise RuntimeError(f"Given input size per channel: ({x.shape[2]} x {x.shape[3]}). Calculated output size "
                           f"per channel: ({size[0]} x {size[1]}). Output size is too small")
    if any(op >= s for op, s in zip(output_padding, stride)):
        # output_padding >= stride (allowed when below dilation): the unpadded full output, then cropped by
        # padding at the start and by padding - output_padding at the end (a negative crop appends zeros)
        full = conv_transpose2d(x, weight, None, stride, 0, 0, groups, dilation)
        out = pad(full, [-padding[1], output_padding[1] - padding[1], -padding[0], output_padding[0] - padding[0]])
        if bias is not None:
            out = out + bias.reshape(1, -1, 1, 1)
    else:  # (torch's convolution with transposed=True, the bias added in the same node)
        out = _ops.NN_OPS["convolution"].apply(x, weight, bias, stride, padding, dilation, True, output_padding,
                                               int(groups))
    return out if batched else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    x, batched = _batched(input, 1, "conv_transpose1d")
    stride, padding, dilation, output_padding = (_single(v, name, "conv") for v, name in (
        (stride, "stride"), (padding, "padding"), (dilation, "dilation"), (output_padding, "output_padding")))
    _conv_transpose_output_padding(output_padding, stride, dilation)
    out = _named(conv_transpose2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride[0]), (0, padding[0]),
                                  (0, output_padding[0]), groups, (1, dilation[0])).squeeze(2), "ConvolutionBackward0")
    return out if batched else out.squeeze(0)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Sum over the kernel's depth taps of conv_transpose2d on every input depth slice: tap kd of input depth d
    lands on depth d * stride + kd * dilation of the full (uncropped) output, which is then cropped by padding
    (and extended by output_padding) as conv_transpose2d's. weight is (in_channels, out_channels / groups, kD,
    kH, kW)."""
    x, batched, stride, padding, output_padding, dilation = _conv_transpose_args(
        input, weight, stride, padding, output_padding, dilation, 3)
    N, C, D, H, W = x.shape
    KD = weight.shape[2]
    full = (D - 1) * stride[0] + dilation[0] * (KD - 1) + 1
    slices = x.permute(0, 2, 1, 3, 4).reshape(N * D, C, H, W)
    depth = arange(D, device=x.device) * stride[0]
    out = None
    for kd in range(KD):
        y = conv_transpose2d(slices, weight[:, :, kd], None, stride[1:], padding[1:], output_padding[1:], groups,
                             dilation[1:])
        y = y.reshape(N, D, *y.shape[1:])
        index = (depth + kd * dilation[0]).reshape(1, D, 1, 1, 1).expand(*y.shape)
        placed = zeros(N, full, *y.shape[2:], dtype=y.dtype, device=y.device).scatter_add(1, index, y)
        out = placed if out is None else out + placed
    out = pad(out.permute(0, 2, 1, 3, 4), [0, 0, 0, 0, -padding[0], output_padding[0] - padding[0]])
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    out = _named(out, "ConvolutionBackward0")
    return out if batched else out.squeeze(0)


def _pool1d_args(kernel_size, stride, padding, dilation=1):
    k = _single(kernel_size)
    s = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) else \
        _single(stride, "stride")
    return (1, k[0]), (1, s[0]), (0, _single(padding, "padding")[0]), (1, _single(dilation, "dilation")[0])


def _as_2d(input, name, own_check=False):
    """(N, C, L) or (C, L) -> (N, C, 1, L) or (C, 1, L): the 1-d pools run on the 2-d kernels."""
    if input.dim() not in (2, 3):
        if own_check:  # (max_pool1d without indices checks its input itself)
            raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                               f"input, but got:{list(input.shape)}")
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {name})")
    return input.unsqueeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k, s, p, d = _pool1d_args(kernel_size, stride, padding, dilation)
    if p[1] > k[1] // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p[1]} and "
                           f"kernel_size={k[1]}")
    out = max_pool2d(_as_2d(input, "max_pool1d", not return_indices), k, s, p, d, ceil_mode, return_indices)
    if not return_indices and not input.dtype.is_floating_point:  # torch's kernel without indices: floats only
        raise NotImplementedError(f"\"max_pool1d_impl\" not implemented for '{input.dtype._legacy[:-6]}'")
    return (out[0].squeeze(-2), out[1].squeeze(-2)) if return_indices else out.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    k, s, p, _ = _pool1d_args(kernel_size, stride, padding)
    return avg_pool2d(_as_2d(input, "avg_pool1d"), k, s, p, ceil_mode, count_include_pad).squeeze(-2)


def _lp_pool(pooled, window, norm_type):
    """(window * mean of x**p over each window) ** (1/p), the sign of a negative sum kept (odd p)."""
    return (pooled.sign() * pooled.abs().relu()).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: the p-norm of each window."""
    pooled = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp_pool(pooled, kernel_size if isinstance(kernel_size, int) else kernel_size[0], norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over 2-D windows: the p-norm of each window."""
    kh, kw = _pair(kernel_size)
    return _lp_pool(avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode), kh * kw, norm_type)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over 3-D windows: the p-norm of each window."""
    kd, kh, kw = _triple(kernel_size)
    return _lp_pool(avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode), kd * kh * kw, norm_type)


def _output_size_1d(output_size):
    return output_size if isinstance(output_size, numbers.Integral) else _single(output_size, "output_size")[0]


def adaptive_avg_pool1d(input, output_size):
    return adaptive_avg_pool2d(_as_2d(input, "adaptive_avg_pool1d"), (1, _output_size_1d(output_size))).squeeze(-2)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool3d(input, output_size, True)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out = adaptive_max_pool2d(_as_2d(input, "adaptive_max_pool1d"), (1, _output_size_1d(output_size)),
                              return_indices)
    return (out[0].squeeze(-2), out[1].squeeze(-2)) if return_indices else out.squeeze(-2)


def _pool3d_args(input, kernel_size, stride, padding, dilation=1, op="max_pool3d"):
    """(input as (N, C, D, H, W), whether it was batched, kernel, stride, padding, dilation as triples)."""
    if input.dim() not in (4, 5) or 0 in input.shape[-4:]:
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    k = _triple(kernel_size, "kernel_size", op)
    st = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) else \
        _triple(stride, "stride", op)
    x = input if input.dim() == 5 else input.unsqueeze(0)
    return x, input.dim() == 5, k, st, _triple(padding, "padding", op), _triple(dilation, "dilation", op)


def _depth_last(y, N, C, D):
    """(N, C * D, OH, OW) -> (N, C, OH * OW, D): the depth as the last dim, for a 1-d pool over it."""
    OH, OW = y.shape[-2:]
    return y.reshape(N, C, D, OH * OW).transpose(2, 3), (OH, OW)


def _depth_back(y, hw):
    """(N, C, OH * OW, OD) -> (N, C, OD, OH, OW)."""
    N, C, _, OD = y.shape
    return y.transpose(2, 3).reshape(N, C, OD, *hw)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Separable: the max over a (kD, kH, kW) box is the max over depth of max_pool2d of the depth slices. The
    index of a maximum: its depth (from the depth pool) * H * W + its place in that slice (from the 2-d pool),
    the first maximum in (depth, row, column) order as torch's."""
    x, batched, k, st, p, d = _pool3d_args(input, kernel_size, stride, padding, dilation)
    N, C, D, H, W = x.shape
    y, hw_index = max_pool2d(x.reshape(N, C * D, H, W), k[1:], st[1:], p[1:], d[1:], ceil_mode, True)
    y, hw = _depth_last(y, N, C, D)
    out, depth_index = max_pool2d(y, (1, k[0]), (1, st[0]), (0, p[0]), (1, d[0]), ceil_mode, True)
    out = _depth_back(out, hw)
    if not return_indices:
        return out if batched else out.squeeze(0)
    depth = depth_index % D  # (the depth pool's plane is (OH * OW, D))
    index = _depth_back(depth * (H * W) + _depth_last(hw_index, N, C, D)[0].gather(3, depth), hw)
    return (out, index) if batched else (out.squeeze(0), index.squeeze(0))


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Separable: avg_pool2d of the depth slices, then a 1-d average over depth windows; the divisor (the
    window's size, with or without the padding) is the product of the depth and the (H, W) factors. With
    divisor_override the two passes sum and the second divides."""
    x, batched, k, st, p, _ = _pool3d_args(input, kernel_size, stride, padding, op="avg_pool3d")
    if divisor_override is not None and divisor_override <= 0:
        raise RuntimeError("divisor must be not zero")
    N, C, D, H, W = x.shape
    y = avg_pool2d(x.reshape(N, C * D, H, W), k[1:], st[1:], p[1:], ceil_mode, count_include_pad,
                   None if divisor_override is None else 1)
    y, hw = _depth_last(y, N, C, D)
    out = _depth_back(avg_pool2d(y, (1, k[0]), (1, st[0]), (0, p[0]), ceil_mode, count_include_pad,
                                 divisor_override), hw)
    return out if batched else out.squeeze(0)


def _adaptive_sizes_3d(input, output_size, name):
    if input.dim() not in (4, 5):
        raise RuntimeError(f"{name}(): Expected 4D or 5D tensor, but got {list(input.shape)}")
    sizes = (output_size,) * 3 if isinstance(output_size, numbers.Integral) else tuple(output_size)
    if len(sizes) != 3:
        raise RuntimeError(f"{name}: internal error: output_size.size() must be 3")
    return [n if o is None else int(o) for n, o in zip(input.shape[-3:], sizes)]


def adaptive_avg_pool3d(input, output_size):
    """The means over the windows [floor(i n / out), ceil((i + 1) n / out)) of each of the last three dims."""
    sizes = _adaptive_sizes_3d(input, output_size, "adaptive_avg_pool3d")
    if sizes == [1, 1, 1] and input.dtype.is_floating_point:  # (torch's: a mean, MeanBackward1)
        return input.mean((-3, -2, -1), keepdim=True)
    out = input
    for k, n_out in enumerate(sizes):
        out = _window_mean(out, input.dim() - 3 + k, n_out)
    return _named(out, "AdaptiveAvgPool3DBackward0")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    sizes = _adaptive_sizes_3d(input, output_size, "adaptive_max_pool3d")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"adaptive_max_pool3d_cpu\" not implemented for '{input.dtype._legacy[:-6]}'")
    if any(n % o for n, o in zip(input.shape[-3:], sizes)):
        return _adaptive_max(input, sizes, return_indices)
    return max_pool3d(input, [n // o for n, o in zip(input.shape[-3:], sizes)], return_indices=return_indices)


def _unpool_output_size(input, kernel, stride, padding, output_size):
    """The spatial output size of max_unpool: output_size (spatial, or (N, C) + spatial) within one stride of
    the inverse of the pooling's size formula, which is the default."""
    n = len(kernel)
    default = [(input.shape[input.dim() - n + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        size = default
    else:
        size = list(output_size)
        if len(size) == n + 2:
            size = size[2:]
        if len(size) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
                             f"length of '{len(size)}'")
        for d in range(n):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
    for d in range(n):
        if size[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={size[d]}")
    return [int(v) for v in size]


def _max_unpool(input, indices, size):
    """Scatters each value of input (N, C, *) or (C, *) to its flat position `indices` in a zero plane of the
    spatial size; its gradient gathers from those positions (of a repeated index, the last value is kept)."""
    k = len(size)
    if indices.dtype != _dtype.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype._legacy[:-6]}")
    if indices.shape != input.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    if input.dim() not in (k + 1, k + 2):
        raise RuntimeError(f"Input to max_unpooling{k}d should be a {k + 1}d or {k + 2}d Tensor, but got a tensor "
                           f"with {input.dim()} dimensions.")
    for d in range(input.dim() - k, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(f"max_unpooling{k}d_forward_out_cpu(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but got {list(input.shape)} with dimension {d} being empty.")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"max_unpool{k}d\" not implemented for '{input.dtype._legacy[:-6]}'")
    lead = tuple(input.shape[:input.dim() - k])
    plane = math.prod(size)
    flat = indices.reshape(*lead, -1)
    bad = (flat < 0) | (flat >= plane)
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {flat[bad][0].item()} (output volumes are of size "
                           f"{'x'.join(str(v) for v in size)})")
    out = zeros(*lead, plane, dtype=input.dtype, device=input.device)
    return out.scatter(len(lead), flat, input.reshape(*lead, -1)).reshape(*lead, *size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d; torch runs it as a 2-d unpool of width 1 (so its errors say 2d)."""
    kernel = _single(kernel_size)
    stride = kernel if stride is None else _single(stride, "stride")
    size = _unpool_output_size(input, kernel, stride, _single(padding, "padding"), output_size)
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1]).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: each value back at its index from max_pool2d(return_indices=True)."""
    kernel = _pair(kernel_size)
    stride = kernel if stride is None else _pair(stride, "stride")
    return _max_unpool(input, indices, _unpool_output_size(input, kernel, stride, _pair(padding, "padding"),
                                                           output_size))


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d."""
    kernel = _triple(kernel_size)
    stride = kernel if stride is None else _triple(stride, "stride")
    return _max_unpool(input, indices, _unpool_output_size(input, kernel, stride, _triple(padding, "padding"),
                                                           output_size))


# Resampling: every mode is gathers (index_select) along one spatial dim at a time, so its gradient is the
# gathers' scatter-add.
def _source_coords(n_in, n_out, scale, mode, align_corners, device):
    """Float64 source coordinates of the n_out output positions along one dim (torch's formulas)."""
    i = arange(n_out, dtype=_dtype.float64, device=device)
    if mode not in ("nearest", "nearest-exact") and align_corners:
        return i * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    ratio = 1.0 / scale if scale is not None else n_in / n_out
    if mode == "nearest":
        return i * ratio
    if mode == "nearest-exact":
        return (i + 0.5) * ratio
    src = (i + 0.5) * ratio - 0.5
    return src if mode == "bicubic" else src.clamp(min=0.0)


def _cubic_weights(t, A=-0.75):
    """The 4 weights of Keys' cubic convolution (torch's A = -0.75) for taps at offsets -1, 0, 1, 2 from floor(src),
    t = src - floor(src)."""
    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _resample_taps(n_in, n_out, scale, mode, align_corners, device):
    """[(source index, weight)] per tap: each output is sum_k weight_k * x[index_k] (indices clamped to the edge)."""
    src = _source_coords(n_in, n_out, scale, mode, align_corners, device)
    base = src.floor()
    t = src - base
    base = base.long()
    if mode == "bicubic":
        return [((base + k - 1).clamp(0, n_in - 1), w) for k, w in enumerate(_cubic_weights(t))]
    base = base.clamp(max=n_in - 1)
    return [(base, 1 - t), ((base + 1).clamp(max=n_in - 1), t)]


def _resample_dim(x, dim, n_out, scale, mode, align_corners):
    n_in = x.shape[dim]
    if mode in ("nearest", "nearest-exact"):
        src = _source_coords(n_in, n_out, scale, mode, align_corners, x.device)
        return x.index_select(dim, src.floor().long().clamp(max=n_in - 1))
    taps = _resample_taps(n_in, n_out, scale, mode, align_corners, x.device)
    if n_in <= _INTERP_MATMUL_MAX and bool(x.detach().isfinite().all()):
        # the (n_out, n_in) matrix of the taps' weights (repeated edge taps add up), applied by one GEMM along
        # dim (only for finite inputs: an inf times the matrix's zeros would spread NaN along the whole row)
        cols = arange(n_in, device=x.device)
        m = sum((cols == idx.unsqueeze(1)) * w.unsqueeze(1) for idx, w in taps)
        return x.transpose(dim, -1).matmul(m.to(x.dtype).t()).transpose(dim, -1)
    shape = [1] * x.dim()
    shape[dim] = n_out
    # NOTE: every tap multiplies, as torch's (a zero weight on an inf gives NaN there too)
    return sum(x.index_select(dim, idx) * w.to(x.dtype).reshape(shape) for idx, w in taps)


# NOTE: up to this input size a linear resampling is a GEMM with its interpolation matrix (n_in multiply-adds
# per output, at GEMM speed: 4x faster than the gathers for 64 -> 128); beyond it, a gather per tap and a
# weighted sum (2 or 4 reads per output) are faster.
_INTERP_MATMUL_MAX = 128


_INTERP_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
# the modes of the C++ resampling kernel (_C.upsample's mode numbers)
_UPSAMPLE_MODES = {"nearest": "upsample_nearest", "nearest-exact": "_upsample_nearest_exact",  # (NN_OPS rows)
                   "linear": "upsample_linear", "bilinear": "upsample_linear", "trilinear": "upsample_linear"}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resizes the spatial dims (all dims after N, C) by nearest / nearest-exact / (bi/tri)linear / bicubic
    sampling, or by 'area' (adaptive average pooling)."""
    modes = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
    if mode not in modes:
        raise NotImplementedError(f"interpolate: mode '{mode}' is not supported by tinygrad_ext (supported: "
                                  f"{', '.join(modes)})")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by tinygrad_ext")
    if align_corners is not None and mode in ("nearest", "nearest-exact", "area"):
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                         "bicubic | trilinear")
    spatial = input.dim() - 2
    if not 1 <= spatial <= 3:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
                                  "the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if mode in _INTERP_DIMS and _INTERP_DIMS[mode] != spatial:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {_INTERP_DIMS[mode] + 2}D input")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None else
                         "either size or scale_factor should be defined")
    if size is not None:
        sizes = [int(size)] * spatial if isinstance(size, numbers.Integral) else [int(s) for s in size]
        if len(sizes) != spatial:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(input.shape[2:])} and output size of {size}. Please "
                             "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                             "...,oK) format.")
        scales = [None] * spatial
    else:
        scales = [float(scale_factor)] * spatial if isinstance(scale_factor, numbers.Number) else \
            [float(s) for s in scale_factor]
        if len(scales) != spatial:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                             f"{scales}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                             "scale_factor in (s1, s2, ...,sK) format.")
        sizes = [int(math.floor(n * s)) for n, s in zip(input.shape[2:], scales)]
        if recompute_scale_factor:
            scales = [None] * spatial
    if min(sizes) <= 0 or min(input.shape[2:]) <= 0:
        names = "DHW"[3 - spatial:]
        sep = " and" if spatial == 1 else ""
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({', '.join(f'{c}: {n}' for c, n in zip(names, input.shape[2:]))}){sep} output "
                           f"({', '.join(f'{c}: {n}' for c, n in zip(names, sizes))})")
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[spatial - 1](input, sizes)
    if not input.is_floating_point():  # torch's kernels: floats, and uint8 images (4-D)
        if input.dtype is not _dtype.uint8 or spatial != 2:
            kernel = "compute_indices_weights_cubic" if mode == "bicubic" else \
                f"upsample_{mode.split('-')[0]}2d_channels_last" if spatial == 2 else \
                f"compute_indices_weights_{'linear' if 'linear' in mode else 'nearest'}"
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype._legacy[:-6]}'")
        if mode in ("bilinear", "bicubic"):  # in float, rounded half up and saturated as torch's uint8 kernels
            out = interpolate(input.float(), size, scale_factor, mode, align_corners, recompute_scale_factor)
            return (out + 0.5).floor().clamp(0, 255).to(_dtype.uint8)
    if mode in _UPSAMPLE_MODES and input.is_floating_point():
        return _ops.NN_OPS[_UPSAMPLE_MODES[mode]].apply(input, sizes, bool(align_corners),
                                                        [0.0 if s is None else s for s in scales])
    out = input
    for k in range(spatial):
        out = _resample_dim(out, 2 + k, sizes[k], scales[k], mode, align_corners)
    return _named(_keep_channels_last(out, input), "UpsampleBicubic2DBackward0") if mode == "bicubic" else out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _padded_indices(n, lo, hi, mode, device):
    """The source index of each of the n + lo + hi positions of one dim padded by `mode`."""
    i = arange(-lo, n + hi, device=device)
    if mode == "replicate":
        return i.clamp(0, n - 1)
    if mode == "circular":
        return i.remainder(n)
    return (n - 1) - ((n - 1) - i.abs()).abs()  # reflect: mirror at 0 and at n - 1 without repeating the edge


def _crop_negative(input, pad):
    """input narrowed by the negative entries of pad (a negative pad removes elements)."""
    for k in range(len(pad) // 2):
        d = input.dim() - 1 - k
        lo, hi = max(-pad[2 * k], 0), max(-pad[2 * k + 1], 0)
        if lo or hi:
            if lo + hi > input.shape[d]:
                raise RuntimeError(f"The input size {input.shape[d]}, plus negative padding {-lo} and {-hi} resulted "
                                   f"in a negative output size, which is invalid. Check dimension {d} of your input.")
            input = input.narrow(d, lo, input.shape[d] - lo - hi)
    return input


def _pad_indexed(input, pad, mode):
    """pad for mode reflect / replicate / circular: one gather per padded dim."""
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    n_dims = len(pad) // 2
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if n_dims > 3 or not (n_dims + 1 <= input.dim() <= n_dims + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    batched = input.dim() == n_dims + 2
    if mode != "circular" and 0 in input.shape[int(batched):]:
        raise RuntimeError(f"Expected {n_dims + 1}D or {n_dims + 2}D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: {list(input.shape)}")
    out = _crop_negative(input, pad)
    for k in range(n_dims):
        d = input.dim() - 1 - k
        lo, hi, n = max(pad[2 * k], 0), max(pad[2 * k + 1], 0), out.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                               f"got: padding ({lo}, {hi}) at dimension {d} of input {list(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        out = out.index_select(d, _padded_indices(n, lo, hi, mode, input.device))
    if mode == "circular":  # (torch's circular padding is built of copies)
        return out
    return _named(_keep_channels_last(out, input),
                  f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{n_dims}DBackward0")


def _pixel_shuffle_args(input, factor, name, what):
    """(factor, leading dims, C, H, W) after the checks pixel_shuffle and pixel_unshuffle share."""
    r = int(factor)
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with {input.dim()} "
                           "dimension(s)")
    if r <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {r}")
    *lead, c, h, w = input.shape
    return r, lead, c, h, w


def pixel_shuffle(input, upscale_factor):
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r)."""
    r, lead, c, h, w = _pixel_shuffle_args(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return _named(_keep_channels_last(x.reshape(*lead, c // (r * r), h * r, w * r), input), "PixelShuffleBackward0")


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W)."""
    r, lead, c, h, w = _pixel_shuffle_args(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    if h % r or w % r:
        which, size = ("height", h) if h % r else ("width", w)
        raise RuntimeError(f"pixel_unshuffle expects {which} to be divisible by downscale_factor, but input.size("
                           f"{-2 if which == 'height' else -1})={size} is not divisible by {r}")
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return _named(_keep_channels_last(x.reshape(*lead, c * r * r, h // r, w // r), input), "PixelUnshuffleBackward0")


def _im2col_index(H, W, kernel_size, dilation, padding, stride, device):
    """Flat indices into the padded (H + 2ph) x (W + 2pw) image of every (kernel offset, output position), in
    unfold's order (kernel row, kernel column, output row, output column), and the output grid size."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    Hp, Wp = H + 2 * ph, W + 2 * pw
    oh, ow = (Hp - dh * (kh - 1) - 1) // sh + 1, (Wp - dw * (kw - 1) - 1) // sw + 1
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"Given input with spatial size ({H}, {W}), kernel_size=({kh}, {kw}), dilation=({dh}, "
                           f"{dw}), padding=({ph}, {pw}), calculated shape of the array of sliding blocks as ({oh}, "
                           f"{ow}), but its components must be at least one.")
    rows = (arange(kh, device=device) * dh).reshape(kh, 1, 1, 1) + (arange(oh, device=device) * sh).reshape(oh, 1)
    cols = (arange(kw, device=device) * dw).reshape(kw, 1, 1) + arange(ow, device=device) * sw
    return (rows * Wp + cols).reshape(-1), oh, ow


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) -> (N, C * kh * kw, L), one gather from the padded image."""
    x, batched = _batched(input, 2, "unfold")
    k, d, p, s = _pair(kernel_size), _pair(dilation, "dilation"), _pair(padding, "padding"), _pair(stride, "stride")
    N, C, H, W = x.shape
    idx, oh, ow = _im2col_index(H, W, k, d, p, s, x.device)
    if p != (0, 0):
        x = pad(x, [p[1], p[1], p[0], p[0]])
    out = x.reshape(N, C, -1).index_select(2, idx).reshape(N, C * k[0] * k[1], oh * ow)
    return out if batched else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of unfold: (N, C * kh * kw, L) -> (N, C, H, W), overlapping blocks summed."""
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0)
    if x.dim() != 3:
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    (H, W), k = _pair(output_size, "output_size"), _pair(kernel_size)
    d, p, s = _pair(dilation, "dilation"), _pair(padding, "padding"), _pair(stride, "stride")
    N, CK, L = x.shape
    if CK % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={CK} and kernel_size=({k[0]}, {k[1]})")
    idx, oh, ow = _im2col_index(H, W, k, d, p, s, x.device)
    if L != oh * ow:
        raise RuntimeError(f"Given output_size=({H}, {W}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
                           f"padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's dimension 2 "
                           f"to match the calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got "
                           f"input.size(2)={L}.")
    C = CK // (k[0] * k[1])
    Hp, Wp = H + 2 * p[0], W + 2 * p[1]
    cols = x.reshape(N, C, -1)
    out = zeros(N, C, Hp * Wp, dtype=x.dtype, device=x.device).scatter_add(2, idx.expand(N, C, idx.shape[0]), cols)
    out = out.reshape(N, C, Hp, Wp)[:, :, p[0]:p[0] + H, p[1]:p[1] + W]
    return out if batched else out.squeeze(0)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """target * (log target - input) pointwise (input holds log-probabilities; 0 where target is 0);
    'batchmean' divides the sum by the batch size."""
    if _AMP[0]:
        input, target = _amp_cast("kl_div", input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    if not (input.dtype.is_floating_point and target.dtype.is_floating_point):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = where(target == 0, 0.0, target * target.log()) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() != 0 else loss.sum()
    return _reduce(loss, _reduction_code(reduction))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2)."""
    if _AMP[0]:
        input, target = _amp_cast("huber_loss", input, target)
    code = _reduction_code(reduction)
    if input.shape != target.shape:
        _check_same_size(input, target)
    common = _dtype.BY_ID[_C.promote_types(input.dtype.id, target.dtype.id)]
    if not _C.can_cast(common.id, input.dtype.id):  # (torch's loss is of input's dtype, computed in the common one)
        raise RuntimeError(f"result type {common._legacy[:-6]} can't be cast to the desired output type "
                           f"{input.dtype._legacy[:-6]}")
    if not common.is_floating_point:
        raise NotImplementedError(f"\"huber_cpu\" not implemented for '{common._legacy[:-6]}'")
    d = input.to(common) - target.to(common)
    ad = d.abs()
    loss = where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)).to(input.dtype)
    return _named(_reduce(loss if weight is None else loss * weight, code), "HuberLossBackward0")


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin)."""
    code = _reduction_code(reduction, size_average, reduce)
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: "
                           f"{input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    d = input1 - input2  # (first, as torch's: two bool inputs fail here)
    return _reduce((-target * d + float(margin)).clamp_min(0), code)  # (torch's margin: a double; its clamp_min)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1, max(0, margin - input) where target is -1."""
    code = _reduction_code(reduction, size_average, reduce)
    if input.dtype is _dtype.bool:  # (torch's words for margin - input)
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    loss = where(target != 1, (margin - input).clamp(min=0), 0.0) + where(target != -1, input, 0.0)
    return _reduce(loss.to(input.dtype), code)  # (torch's loss is of input's dtype)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with d the pairwise p-norm distance; swap uses min(d(a, n), d(p, n))."""
    code = _reduction_code(reduction, size_average, reduce)
    return _triplet_loss(anchor, positive, negative, lambda a, b: pairwise_distance(a, b, p, eps), margin, swap, code)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """triplet_margin_loss with any distance: distance_function(x1, x2) (default pairwise_distance)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return _triplet_loss(anchor, positive, negative, distance_function or pairwise_distance, margin, swap,
                         _reduction_code(reduction, None, None))


def _triplet_loss(anchor, positive, negative, distance, margin, swap, code):
    if not anchor.dim() == positive.dim() == negative.dim():
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.dim()}D, positive {positive.dim()}D, and negative "
                           f"{negative.dim()}D inputs")
    d_ap = distance(anchor, positive)
    d_an = distance(anchor, negative)
    if swap:
        d_an = d_an.minimum(distance(positive, negative))
    return _reduce((margin + d_ap - d_an).clamp(min=0), code)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where target is -1."""
    code = _reduction_code(reduction, size_average, reduce)
    if target.dim() not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = target.dim() + 1
    if input1.dim() != want or input2.dim() != want:
        raise RuntimeError(f"{target.dim()}D target tensor expects {want}D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    dim = 1 if input1.dim() == 2 else 0
    eps = 1e-12
    cos = (input1 * input2).sum(dim) / (((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, code)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """exp(input) - target * input (log_input) or input - target * log(input + eps); full adds Stirling's term
    target log target - target + log(2 pi target) / 2 where target > 1."""
    code = _reduction_code(reduction, size_average, reduce)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + where(target > 1, stirling, 0.0)
    return _reduce(loss, code)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """(log max(var, eps) + (input - target)^2 / max(var, eps)) / 2 (+ log(2 pi) / 2 with full). The clamp does
    not stop var's gradient (as torch's, which clamps a copy under no_grad)."""
    if isinstance(var, numbers.Number):
        var = full_like(input, var)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    if var.numel() and float(var.detach().min()) < 0:
        raise ValueError("var has negative entry/entries")
    var = var + (var.detach().clamp(min=eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, _REDUCTIONS[reduction])


def _ctc_lengths(lengths, name):
    """input_lengths / target_lengths as a list of ints: an integer tensor (0-d or 1-d) or a tuple/list of ints."""
    if isinstance(lengths, Tensor):
        if lengths.dtype.is_floating_point or lengths.dtype == _dtype.bool:
            raise RuntimeError(f"{name} must be integral")
        return [int(v) for v in lengths.reshape(-1).tolist()]
    if isinstance(lengths, (tuple, list)) and all(isinstance(v, numbers.Integral) for v in lengths):
        return [int(v) for v in lengths]
    raise TypeError(f"ctc_loss(): argument '{name}' must be a Tensor or a tuple of ints, not {type(lengths).__name__}")


@_on_host
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The connectionist temporal classification loss: the negative log-likelihood of the targets summed over
    the alignments of log_probs (T, N, C) or (T, C). targets: padded (N, S) or concatenated 1-d; 'mean' divides
    each loss by its target length (at least 1) before the batch mean; zero_infinity zeroes infinite losses
    (impossible alignments) and their gradients. The kernel is csrc/cpu/ctc.cpp: CUDA tensors go through the host
    (_host.on_host)."""
    code = _reduction_code(reduction)
    unbatched = log_probs.dim() == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.dim() == 1 else targets
    ins, tls = _ctc_lengths(input_lengths, "input_lengths"), _ctc_lengths(target_lengths, "target_lengths")
    targets = targets if targets.dtype == _dtype.int64 else targets.long()
    nll = _ops.NN_OPS["ctc_loss"].apply(log_probs, targets, ins, tls, int(blank), bool(zero_infinity))
    if zero_infinity:
        nll = where(nll == float("inf"), nll.new_zeros(()), nll)
    if code == 1:
        return (nll / nll.new_tensor([max(n, 1) for n in tls])).mean()
    return nll.sum() if code == 2 else nll.squeeze(0) if unbatched else nll


def _feature_dropout(input, p, training, inplace, batched):
    """Zeroes whole channels: one Bernoulli draw per (sample, channel), kept ones scaled by 1 / (1 - p)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    x = input if batched else input.unsqueeze(0)
    # (torch's noise: a new row-major (N, C, 1, ...) tensor, whatever x's layout, drawn in that order)
    mask = dropout(x.new_ones((x.shape[0], x.shape[1]) + (1,) * (x.dim() - 2)), p, True)
    out = x * mask
    out = out if batched else out.squeeze(0)
    return input.copy_(out) if inplace else out


def dropout1d(input, p=0.5, training=True, inplace=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, input.dim() == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    if input.dim() not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.dim()}-D input to dropout2d, which is deprecated and will result "
                      "in an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", UserWarning, stacklevel=2)
    if input.dim() == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This "
                      "behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace, True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    if input.dim() not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.dim()}-D input to dropout3d, which is deprecated and will result "
                      "in an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      "inputs).", UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace, input.dim() == 5)


_SELU_SATURATION = 1.7580993408473766  # SELU's limit at -inf, negated: scale * alpha


def _alpha_dropout(input, p, training, inplace, feature):
    """Sets dropped elements (whole channels if feature) to SELU's saturation value -alpha', then applies the
    affine map a * x + b that restores zero mean and unit variance: a = ((1 - p) (1 + p alpha'^2))^-1/2,
    b = a alpha' p for kept and a alpha' (p - 1) for dropped elements (torch's formula)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if feature and input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype._legacy[:-6]}")
    if p == 1.0:
        out = input * 0.0
    else:
        keep = _keep_mask(input, input.shape[:2] + (1,) * (input.dim() - 2) if feature else None, 1.0 - p)
        a = 1.0 / math.sqrt((_SELU_SATURATION ** 2 * p + 1) * (1 - p))
        out = input * (keep * a) + ((keep - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p)
    return input.copy_(out) if inplace else out


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _alpha_dropout(input, p, training, inplace, True)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embedding rows: the rows of a 2-D input, or the runs of a 1-D input that
    start at offsets. Entries equal to padding_idx are left out (also from the mean's count); an empty bag is 0."""
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding_bag: scale_grad_by_freq and sparse are not supported")
    one_d = input.dim() == 1
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        B, L = input.shape
        starts = [b * L for b in range(B)] + [B * L]
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = [int(o) for o in offsets.tolist()]
        if starts and starts[0] != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                               f"position 0. However, got {starts[0]}")
        if not include_last_offset:
            starts.append(input.shape[0])
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")

    def validate():  # (run by the renorm before it writes anything)
        if per_sample_weights is not None and mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                      "on GitHub.")
        if one_d and input.shape[0]:
            out_of_range = (input < 0) | (input >= weight.shape[0])
            if bool(out_of_range.any()):  # torch's kernels' words: the first bad entry in input order
                at = int(out_of_range.int().argmax())
                value = int(input[at])
                if mode == "max":
                    raise RuntimeError(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to "
                                       f"be {value}")
                raise RuntimeError(f"Index {at} of input takes value {value} which is not in the valid range "
                                   f"[0, {weight.shape[0]})")
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type, validate)
    else:
        validate()
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    B, E, n = len(starts) - 1, weight.shape[1], input.shape[0]
    rows = weight.index_select(0, input)  # (n, E)
    keep = full_like(input, 1, dtype=weight.dtype) if padding_idx is None else (input != padding_idx).to(weight.dtype)
    if mode == "max":
        bags = []
        for b in range(B):
            seg = rows.narrow(0, starts[b], starts[b + 1] - starts[b])
            if padding_idx is not None:
                seg = seg[input.narrow(0, starts[b], starts[b + 1] - starts[b]) != padding_idx]
            bags.append(seg.amax(0) if seg.shape[0] else zeros(E, dtype=weight.dtype, device=weight.device))
        return _named(stack(bags) if bags else zeros(0, E, dtype=weight.dtype, device=weight.device), _BAG_NODE)
    if B > 1:  # the bag of element i: how many of the bags' inner starts are <= i
        inner = tensor(starts[1:-1], dtype=_dtype.int64, device=input.device)
        bag = (arange(n, device=input.device).unsqueeze(1) >= inner).long().sum(1)
    else:
        bag = zeros(n, dtype=_dtype.int64, device=input.device)
    w = keep if per_sample_weights is None else keep * per_sample_weights
    summed = zeros(B, E, dtype=weight.dtype, device=weight.device).scatter_add(
        0, bag.unsqueeze(1).expand(n, E), rows * w.unsqueeze(1))
    if mode == "sum":
        return _named(summed, _BAG_NODE)
    counts = zeros(B, dtype=weight.dtype, device=weight.device).scatter_add(0, bag, keep)
    return _named(summed / counts.clamp(min=1).unsqueeze(1), _BAG_NODE)


_BAG_NODE = "EmbeddingBagBackward0"  # torch's one node for the bag reduction


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """cross_entropy(linear(input, linear_weight, linear_bias), target): linear_weight (C, *out_features, in)
    gives logits (N, C, *out_features) (a K-dimensional loss). torch's chunked evaluation (options=) computes the
    same loss in less memory; it is not implemented here."""
    if options is not None:
        raise NotImplementedError("linear_cross_entropy: the chunked evaluation (options=) is not supported; pass "
                                  "options=None")
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    batch, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), got "
                           f"{in_features} and {linear_weight.shape[-1]}, respectively")
    classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(classes, *out_features)}, got {tuple(linear_bias.shape)}")
    if out_features and not batch:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires "
                           f"batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*batch, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    logits = linear(input, linear_weight.reshape(-1, in_features),
                    None if linear_bias is None else linear_bias.reshape(-1)).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=-100 if ignore_index is None else ignore_index, label_smoothing=label_smoothing)


# ------------------------------------------------------------------- margin losses
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)) elementwise (targets are 1 or -1)."""
    code = _reduction_code(reduction, size_average, reduce)
    z = -input * target
    loss = softplus(z if z.dtype.is_floating_point else z.to(_dtype.get_default_dtype()))
    if not _C.can_cast(loss.dtype.id, input.dtype.id):  # (torch's loss is of input's dtype)
        raise RuntimeError(f"result type {loss.dtype._legacy[:-6]} can't be cast to the desired output type "
                           f"{input.dtype._legacy[:-6]}")
    return _named(_reduce(loss.to(input.dtype), code), "SoftMarginLossBackward0")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(target log sigmoid(input) + (1 - target) log sigmoid(-input)), times weight, averaged over the classes
    (the last dim): one loss per sample."""
    code = _reduction_code(reduction, size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.sum(input.dim() - 1) / input.shape[-1], code)


def _margin_loss_rows(input, target):
    """The (N, C) view of a (C,) or (N, C) input (C > 0) with an int64 target; raises torch's errors."""
    if input.dim() not in (1, 2) or input.shape[-1] == 0:
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    if target.dtype != _dtype.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype._legacy[:-len('Tensor')]}")
    return input.reshape(-1, input.shape[-1])


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge: sum over i != y of weight[y] * max(0, margin - input[y] + input[i])**p, divided by the
    number of classes C; input (N, C) or (C,), target (N,) or () class indices, p 1 or 2."""
    code = _reduction_code(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    x = _margin_loss_rows(input, target)
    N, C = x.shape
    if target.numel() != N or (input.dim() == 2 and target.dim() != 1):
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{N}], but got {list(target.shape)}. "
                           f"Input has shape {list(input.shape)}.")
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"inconsistent weight size, expected {C} but got {list(weight.shape)}")
    y = target.reshape(N, 1)
    if N and (y.min().item() < 0 or y.max().item() >= C):
        raise RuntimeError("target out of range")
    z = (margin - x.gather(1, y) + x).clamp(min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[y]
    z = where(y == arange(C, device=x.device), 0.0, z)
    loss = z.sum(1) / C
    return _named(_reduce(loss.reshape(()) if input.dim() == 1 else loss, code), "MultiMarginLossBackward0")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge: target rows list class indices, ended by the first -1; the loss sums
    max(0, 1 - (input[j] - input[i])) over the listed j and the unlisted i, divided by the number of classes."""
    code = _reduction_code(reduction, size_average, reduce)
    x = _margin_loss_rows(input, target)
    if target.shape != input.shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    N, C = x.shape
    y = target.reshape(N, C)
    if y.numel() and (y.min().item() < -1 or y.max().item() >= C):
        raise RuntimeError("argument #2 'target' is out of range")
    listed = (y < 0).long().cumsum(1) == 0  # (N, slots): the slots before the first -1
    slot_is = (y.unsqueeze(-1) == arange(C, device=x.device)) & listed.unsqueeze(-1)  # (N, slots, C)
    is_target = slot_is.any(1)  # (N, C)
    hinge = (1 - x.gather(1, y.clamp(min=0)).unsqueeze(-1) + x.unsqueeze(1)).clamp(min=0)  # (N, slots, C)
    loss = where(listed.unsqueeze(-1) & ~is_target.unsqueeze(1), hinge, 0.0).sum((1, 2)) / C
    return _named(_reduce(loss.reshape(()) if input.dim() == 1 else loss, code), "MultilabelMarginLossBackward0")
