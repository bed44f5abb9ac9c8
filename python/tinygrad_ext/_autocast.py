"""Autocast state (torch.autocast, amp/autocast_mode.py): inside an enabled region the ops that gain from lower
precision (matrix products, convolutions, linear layers) run in float16/bfloat16 and the ops that need float32's
range or accuracy run in float32, per device type, as torch's op lists say. The ops call cast_inputs() at entry
when ACTIVE[0] is set (one global read outside autocast). A module of its own: tensor.py and nn.functional import
it, below the amp package (no imports: it sits under tensor.py)."""

# autocast state per device type: [enabled, dtype]; ACTIVE[0]: any device's region is enabled.
_STATE = {"cpu": [False, None], "cuda": [False, None]}
ACTIVE = [False]
_DEFAULT_DTYPE = {"cpu": "bfloat16", "cuda": "float16"}
_SUPPORTED = {"cpu": ("bfloat16", "float16"), "cuda": ("bfloat16", "float16")}

# torch's lists (the subset this library has): products and convolutions in the autocast dtype ...
LOWER_PRECISION = frozenset({"mm", "bmm", "matmul", "addmm", "addbmm", "baddbmm", "linear", "conv1d", "conv2d",
                             "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu",
                             "scaled_dot_product_attention"})
LOWER_PRECISION_CPU = frozenset({"mkldnn_rnn_layer"})  # (torch's CPU LSTM layer: its CPU list only)
# ... and, per device type, the ops that run in float32: on CUDA reductions, losses and range-sensitive functions,
# on the CPU only the losses and a few others (torch's CPU list leaves softmax, layer_norm and sum in the lower
# precision).
FLOAT32 = {
    "cuda": frozenset({"exp", "expm1", "log", "log10", "log2", "log1p", "reciprocal", "rsqrt", "pow", "softplus",
                       "layer_norm", "group_norm", "norm", "nll_loss", "cross_entropy", "mse_loss", "l1_loss",
                       "smooth_l1_loss", "huber_loss", "binary_cross_entropy_with_logits", "kl_div", "softmax",
                       "log_softmax", "sum", "prod", "cumsum", "cumprod", "cosine_similarity", "cdist", "dist"}),
    "cpu": frozenset({"nll_loss", "cross_entropy", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                      "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "prod", "cdist"}),
}


def is_autocast_enabled(device_type=None):
    return _STATE["cuda" if device_type is None else device_type][0]


def cast_inputs(op, *tensors):
    """The tensors `op` should compute on under the active autocast region (unchanged outside one): floating
    tensors of the region's device cast to its dtype (LOWER_PRECISION) or to float32 (FLOAT32)."""
    for t in tensors:
        if t is not None and hasattr(t, "device"):
            state = _STATE.get(t.device.type)
            break
    else:
        return tensors
    if state is None or not state[0]:
        return tensors
    if op in LOWER_PRECISION or op in LOWER_PRECISION_CPU and t.device.type == "cpu":
        low = state[1]
        return tuple(t.to(low) if _eligible(t) and t.dtype is not low else t for t in tensors)
    if op in FLOAT32[t.device.type]:
        return tuple(t.float() if _eligible(t) else t for t in tensors)
    return tensors


def _eligible(t):
    """autocast casts floating tensors other than float64 (torch's rule)."""
    return t is not None and hasattr(t, "dtype") and t.dtype.is_floating_point and t.dtype.name != "float64"
