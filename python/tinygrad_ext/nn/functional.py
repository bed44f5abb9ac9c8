"""torch.nn.functional: layers and losses as functions. The heavy ones
(linear, conv2d, pooling, softmax, cross entropy, nll, mse) are fused ops of
_ops.py backed by C++ kernels; the rest compose Tensor ops."""
import math
import numbers
import warnings

from .. import _C, _dtype, _ops
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor, _needs_grad, _wrap, arange, cat, where, zeros

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


# ------------------------------------------------------------------ helpers
def _pair(v, name="kernel_size"):
    if isinstance(v, numbers.Integral):
        return (int(v), int(v))
    v = tuple(int(x) for x in v)
    if len(v) == 1:
        return (v[0], v[0])
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    return v


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
    """input @ weight.T + bias (one GEMM pass)."""
    if input._impl.ndim == 2 and weight._impl.ndim == 2:
        if _needs_grad(input, weight, bias):
            return _ops.Linear.apply(input, weight, bias)
        wt = _C.transpose(weight._impl, 0, 1)
        return _wrap(_C.mm(input._impl, wt) if bias is None else _C.addmm(bias._impl, input._impl, wt))
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.dim()}D and "
                           f"{weight.dim()}D")
    if weight.dim() == 1:  # a vector weight: one output feature, dropped (torch's matmul rule)
        out = input.matmul(weight)
        return out if bias is None else out + bias
    if input.dim() == 1:
        return linear(input.unsqueeze(0), weight, bias).squeeze(0)
    lead = input.shape[:-1]
    out = linear(input.reshape(math.prod(lead), input.shape[-1]), weight, bias)  # (no -1: 0 features)
    return out.reshape(*lead, out.shape[-1])


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:])]
            if any(t % 2 for t in total):
                raise NotImplementedError("padding='same' with an even effective kernel size (asymmetric padding) "
                                          "is not supported by tinygrad_ext")
            padding = (total[0] // 2, total[1] // 2)
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
    padding = _pair(padding, "padding")
    return _ops.Conv2d.apply(input, weight, bias, stride, padding, dilation, int(groups))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k = _pair(kernel_size)
    s = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) else _pair(stride)
    out, idx = _ops.MaxPool2d.apply(input, k, s, _pair(padding), _pair(dilation), bool(ceil_mode))
    return (out, idx) if return_indices else out


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    k = _pair(kernel_size)
    s = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) else _pair(stride)
    if divisor_override is not None and divisor_override <= 0:
        raise RuntimeError("divisor must be not zero")
    return _ops.AvgPool2d.apply(input, k, s, _pair(padding), bool(ceil_mode), bool(count_include_pad),
                                divisor_override)


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


def _window_mean(x, dim, n_out):
    """Means of x over the windows [floor(i * n / n_out), ceil((i + 1) * n / n_out)) of dim (n = its size):
    one gather of the (at most max_len) rows of every window, the padding masked out by a select (an inf
    or nan stays in its own windows), a sum and a division."""
    from ..tensor import arange
    n = x.shape[dim]
    i = arange(n_out, device=x.device)
    start, end = (i * n) // n_out, -((-(i + 1) * n) // n_out)
    width = int((end - start).max())
    k = arange(width, device=x.device)
    rows = start.unsqueeze(1) + k  # (n_out, width)
    pad = rows >= end.unsqueeze(1)
    g = x.index_select(dim, rows.masked_fill(pad, 0).reshape(-1))
    shape = list(x.shape)
    shape[dim:dim + 1] = [n_out, width]
    g = g.reshape(shape)
    mshape = [1] * len(shape)
    mshape[dim:dim + 2] = [n_out, width]
    g = g.masked_fill(pad.reshape(mshape), 0)
    return g.sum(dim + 1) / (end - start).to(x.dtype).reshape(mshape[:dim + 1] + mshape[dim + 2:])


def adaptive_avg_pool2d(input, output_size):
    oh, ow = _adaptive_output(input, output_size, "adaptive_avg_pool2d")
    H, W = input.shape[-2:]
    if oh == 0 or ow == 0:
        from ..tensor import zeros
        return zeros(*input.shape[:-2], oh, ow, dtype=input.dtype, device=input.device) * input.sum()
    if H % oh == 0 and W % ow == 0:  # equal windows: plain average pooling
        return avg_pool2d(input, (H // oh, W // ow))
    # Windows of varying size: the mean is separable, over rows then over columns.
    nd = input.dim()
    return _window_mean(_window_mean(input, nd - 2, oh), nd - 1, ow)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    oh, ow = _adaptive_output(input, output_size, "adaptive_max_pool2d")
    H, W = input.shape[-2:]
    if oh == 0 or ow == 0:
        from ..tensor import zeros
        out = zeros(*input.shape[:-2], oh, ow, dtype=input.dtype, device=input.device) * input.sum()
        return (out, zeros(*out.shape, dtype=_dtype.int64, device=input.device)) if return_indices else out
    if H % oh or W % ow:
        raise NotImplementedError("adaptive_max_pool2d supports output sizes that divide the input size only")
    return max_pool2d(input, (H // oh, W // ow), return_indices=return_indices)


# -------------------------------------------------------------- activations
def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def relu_(input):
    return input.relu_()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    out = _ops.LeakyRelu.apply(input, negative_slope) if _needs_grad(input) else \
        _wrap(_C.leaky_relu(input._impl, negative_slope))
    return input.copy_(out) if inplace else out


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return input.clamp_(min_val, max_val) if inplace else input.clamp(min_val, max_val)


def silu(input, inplace=False):
    out = input * input.sigmoid()
    return input.copy_(out) if inplace else out


def _softmax_dim(ndim):
    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X as "
                  "an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim())
    if dtype is not None:
        input = input.to(dtype)
    return _ops.Softmax.apply(input, dim, False) if _needs_grad(input) else _wrap(_C.softmax(input._impl, dim, False))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim(input.dim())
    if dtype is not None:
        input = input.to(dtype)
    return _ops.Softmax.apply(input, dim, True) if _needs_grad(input) else _wrap(_C.softmax(input._impl, dim, True))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input, dim, _stacklevel, dtype)


# ------------------------------------------------------- dropout and norms
def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        mask = _wrap(_C.empty(list(input.shape), input.dtype.id, *input.device._code))
        _C.bernoulli_(mask._impl, 1.0 - p)
        _C.mul(mask._impl, 1.0 / (1.0 - p), False, mask._impl)
        out = input * mask
    return input.copy_(out) if inplace else out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    if input.dim() < 2:
        raise ValueError(f"expected 2D or more input (got {input.dim()}D input)")
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
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        mean, var = running_mean, running_var
    out = (input - mean.reshape(shape)) * (var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
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
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, unbiased=False, keepdim=True)
    out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    if input.dtype.is_floating_point:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.type()} instead (while checking arguments for embedding)")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    n = weight.shape[0]
    if input.numel():
        lo, hi = int(input.min()), int(input.max())
        if lo < 0 or hi >= n:
            raise IndexError("index out of range in self")
    if _needs_grad(weight):
        return _ops.Embedding.apply(weight, input, padding_idx)
    return _wrap(_C.index(weight._impl, 0, [input._impl]))


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
    from ..tensor import arange
    return (tensor.unsqueeze(-1) == arange(num_classes, device=tensor.device)).long()


def pad(input, pad, mode="constant", value=0.0):
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is supported, got '{mode}'")
    if len(pad) % 2 or len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length must be divisible by 2 and at most twice the number of dimensions")
    from ..tensor import full
    shape = list(input.shape)
    key = [slice(None)] * input.dim()
    for i in range(len(pad) // 2):
        d = input.dim() - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        if lo < 0 or hi < 0:
            raise NotImplementedError("pad: negative padding is not supported")
        key[d] = slice(lo, lo + shape[d])
        shape[d] += lo + hi
    out = full(shape, value, dtype=input.dtype, device=input.device)
    out[tuple(key)] = input
    return out


# ------------------------------------------------------------------- losses
def _check_same_size(input, target, what="input"):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the {what} size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=3)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    code = _reduction_code(reduction, size_average, reduce)
    if input.shape != target.shape:
        _check_same_size(input, target)
    if not (input.dtype.is_floating_point and target.dtype.is_floating_point):
        dt = target.dtype if input.dtype.is_floating_point else input.dtype
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{dt._legacy[:-6]}'")
    if weight is not None:
        return _reduce((input - target) ** 2 * weight, code)
    return _ops.MseLoss.apply(input, target, code)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    code = _reduction_code(reduction, size_average, reduce)
    if input.shape != target.shape:
        _check_same_size(input, target)
    return _reduce((input - target).abs(), code)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    code = _reduction_code(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if input.shape != target.shape:
        _check_same_size(input, target)
    d = input - target
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, code)
    return _reduce(where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), code)


def _class_target(target):
    if target.dtype.is_floating_point:
        return target
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype._legacy[:-6]}")
    return target if target.dtype.name == "int64" else target.long()


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """log_softmax over dim 1 (dim 0 for unbatched input) + nll_loss, fused. target holds class indices, or
    class probabilities (a floating tensor of input's shape)."""
    code = _reduction_code(reduction, size_average, reduce)
    if not isinstance(input, Tensor) or not isinstance(target, Tensor):
        raise TypeError("cross_entropy(): input and target must be Tensors")
    if target.dtype.is_floating_point:
        return _cross_entropy_probs(input, target, weight, code, label_smoothing)
    return _ops.CrossEntropy.apply(input, _class_target(target), weight, code, int(ignore_index),
                                   float(label_smoothing))


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
        return loss.sum() / n if n else loss.sum() * math.nan  # (the mean of nothing, as torch's)
    return _reduce(loss, code)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    code = _reduction_code(reduction, size_average, reduce)
    return _ops.NllLoss.apply(input, _class_target(target), weight, code, int(ignore_index))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    code = _reduction_code(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    if input.numel():
        with no_grad():
            lo, hi = float(input.min()), float(input.max())
        if not (lo >= 0.0 and hi <= 1.0):
            raise RuntimeError("all elements of input should be between 0 and 1")
    # NOTE: log is clamped at -100 as in torch, so a 0/1 input gives a finite loss.
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, code)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    code = _reduction_code(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    # loss = (1 - y) x + (1 + (pw - 1) y) softplus(-x), softplus(-x) = log1p(exp(-|x|)) + relu(-x): stable for any x
    sp = input.abs().neg().exp().log1p() + (-input).relu()
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * sp
    else:
        loss = (1 - target) * input + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, code)


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
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        key, value = _repeat_heads(key, query.shape[-3]), _repeat_heads(value, query.shape[-3])
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query.matmul(key.transpose(-2, -1)) * scale
    if is_causal:
        attn_mask = arange(L, device=query.device).unsqueeze(-1) >= arange(S, device=query.device)
    if attn_mask is not None:
        if attn_mask.dtype == _dtype.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, -1).masked_fill((scores == -math.inf).all(-1, keepdim=True), 0.0)
    return dropout(weights, dropout_p, True).matmul(value)
