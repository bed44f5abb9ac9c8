"""torch.<name> spellings of nn.functional ops as torch binds them from ATen (reduction as the int enum 0 'none',
1 'mean', 2 'sum', 0 when not given, as torch's Python binding does; positional arguments in ATen's order), the
functions torch removed in 1.9 (they raise its RuntimeError), and the runtime switches and queries of the torch
namespace (anomaly mode, warn_always, interop threads, deterministic debug mode)."""
import numbers

from ._everyday_ops import (are_deterministic_algorithms_enabled, is_deterministic_algorithms_warn_only_enabled,
                             use_deterministic_algorithms)
from .autograd import anomaly_mode
from .nn import functional as F

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(name, reduction):
    if not isinstance(reduction, numbers.Integral) or isinstance(reduction, bool):
        raise TypeError(f"{name}(): argument 'reduction' must be int, not {type(reduction).__name__}")
    return _REDUCTIONS[reduction]


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction(
        "binary_cross_entropy_with_logits", reduction), pos_weight=pos_weight)


def kl_div(input, target, reduction=0, *, log_target=False):
    reduction = _reduction("kl_div", reduction)
    loss = F.kl_div(input, target, reduction="none" if reduction == "mean" else reduction, log_target=log_target)
    return loss.mean() if reduction == "mean" else loss  # (no 'batchmean' warning: aten's mean is the element mean)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction("cosine_embedding_loss", reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction("hinge_embedding_loss", reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction("margin_ranking_loss", reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, reduction=0):
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction("triplet_margin_loss", reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction("poisson_nll_loss", reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0, zero_infinity=False):
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _reduction("ctc_loss", reduction),
                      zero_infinity)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def channel_shuffle(input, groups):
    return F.channel_shuffle(input, groups)


def native_channel_shuffle(input, groups):
    return F.native_channel_shuffle(input, groups)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return F.rms_norm(input, normalized_shape, weight, eps)


def constant_pad_nd(input, pad, value=0):
    return F.pad(input, pad, "constant", value)


def rrelu(input, lower=0.125, upper=0.3333333333333333, training=False, generator=None):
    return F.rrelu(input, lower, upper, training)


def rrelu_(input, lower=0.125, upper=0.3333333333333333, training=False, generator=None):
    return F.rrelu_(input, lower, upper, training)


def feature_dropout(input, p, train):
    """Whole channels (dim 1) zeroed with probability p, the rest scaled by 1 / (1 - p), when train."""
    return F.dropout1d(input, p, train) if input.dim() in (2, 3) else F.dropout2d(input, p, train) \
        if input.dim() == 4 else F.dropout3d(input, p, train)


def feature_alpha_dropout(input, p, train):
    return F.feature_alpha_dropout(input, p, train)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode, return_indices=True)


def norm_except_dim(v, pow=2, dim=0):
    """The pow-norm of v over every dim but dim (kept as size 1); dim=-1: over all of v."""
    if dim == -1:
        return v.norm(pow)
    return v.norm(pow, [d for d in range(v.dim()) if d != dim], True)


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """(layer_norm's output, the mean, 1 / sqrt(var + eps)) with the normalized dims kept as size 1."""
    dims = list(range(input.dim() - len(normalized_shape), input.dim()))
    mean = input.mean(dims, keepdim=True)
    rstd = (input.var(dims, unbiased=False, keepdim=True) + eps).rsqrt()
    return F.layer_norm(input, normalized_shape, weight, bias, eps), mean, rstd


# ------------------------------------------------------ removed in torch 1.9
def _removed(name, advice):
    def fn(*args, **kwargs):
        raise RuntimeError(f"This function was deprecated since version 1.9 and is now removed. {advice}")
    fn.__name__ = fn.__qualname__ = name
    return fn


_REMOVED = {
    "matrix_rank": "\nPlease use the `torch.linalg.matrix_rank` function instead. The parameter 'symmetric' was "
                   "renamed in `torch.linalg.matrix_rank()` to 'hermitian'.",
    "lstsq": "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.",
    "solve": "`torch.solve` is deprecated in favor of `torch.linalg.solve`.",
    "eig": "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than real tensors "
           "mimicking complex tensors.",
    "symeig": "The default behavior has changed from using the upper triangular portion of the matrix by default to "
              "using the lower triangular portion.",
}


# ------------------------------------------------------------- switches
_WARN_ALWAYS = [False]
_INTEROP_THREADS = [1]
_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_anomaly_enabled(enabled, check_nan=True):
    anomaly_mode._enabled[0] = bool(enabled) and check_nan


def is_anomaly_enabled():
    return anomaly_mode.is_anomaly_enabled()


def is_anomaly_check_nan_enabled():
    return anomaly_mode.is_anomaly_enabled()


def set_warn_always(b):
    _WARN_ALWAYS[0] = bool(b)


def is_warn_always_enabled():
    return _WARN_ALWAYS[0]


def get_num_interop_threads():
    return _INTEROP_THREADS[0]


def set_num_interop_threads(num):
    if num <= 0:
        raise RuntimeError("Number of inter-op threads must be positive")
    _INTEROP_THREADS[0] = num


def set_deterministic_debug_mode(debug_mode):
    """0 / 'default': off; 1 / 'warn': deterministic algorithms, warning; 2 / 'error': deterministic, raising."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    """0 off, 1 warn, 2 error: from are_deterministic_algorithms_enabled and its warn_only."""
    if not are_deterministic_algorithms_enabled():
        return 0
    return 1 if is_deterministic_algorithms_warn_only_enabled() else 2


def is_distributed(input):
    return False


def compiled_with_cxx11_abi():
    return True


FUNCTIONS = {f.__name__: f for f in (
    binary_cross_entropy_with_logits, kl_div, cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss,
    triplet_margin_loss, poisson_nll_loss, ctc_loss, instance_norm, channel_shuffle, native_channel_shuffle, rms_norm,
    constant_pad_nd, rrelu, rrelu_, feature_dropout, feature_alpha_dropout, max_pool1d_with_indices, norm_except_dim,
    native_layer_norm, set_anomaly_enabled, is_anomaly_enabled, is_anomaly_check_nan_enabled, set_warn_always,
    is_warn_always_enabled, get_num_interop_threads, set_num_interop_threads, set_deterministic_debug_mode,
    get_deterministic_debug_mode, is_distributed, compiled_with_cxx11_abi)}
FUNCTIONS.update({name: _removed(name, advice) for name, advice in _REMOVED.items()})
METHODS = {name: FUNCTIONS[name] for name in ("lstsq", "solve", "eig", "symeig")}  # (Tensor's raise alike)
