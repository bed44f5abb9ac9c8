"""torch.autocast: inside the region, the ops that gain from lower precision (matrix products, convolutions,
linear layers) run in float16/bfloat16 and the ops that need the range or accuracy of float32 run in float32,
per device type, as torch's op lists say. The ops consult cast_inputs() at entry."""
import functools

from .. import _dtype

# autocast state per device type: [enabled, dtype]; a list each so the op entry reads one global.
_STATE = {"cpu": [False, None], "cuda": [False, None]}
_DEFAULT_DTYPE = {"cpu": "bfloat16", "cuda": "float16"}
_SUPPORTED = {"cpu": ("bfloat16", "float16"), "cuda": ("bfloat16", "float16")}

# torch's lists (the subset this library has): products and convolutions in the autocast dtype ...
LOWER_PRECISION = frozenset({"mm", "bmm", "matmul", "addmm", "addbmm", "baddbmm", "linear", "conv1d", "conv2d",
                             "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu",
                             "scaled_dot_product_attention"})
# ... and reductions, losses and range-sensitive functions in float32.
FLOAT32 = frozenset({"exp", "expm1", "log", "log10", "log2", "log1p", "reciprocal", "rsqrt", "pow", "softplus",
                     "layer_norm", "group_norm", "norm", "nll_loss", "cross_entropy", "mse_loss", "l1_loss",
                     "smooth_l1_loss", "huber_loss", "binary_cross_entropy_with_logits", "kl_div", "softmax",
                     "log_softmax", "sum", "prod", "cumsum", "cumprod", "cosine_similarity", "cdist", "dist"})


def is_autocast_enabled(device_type=None):
    return _STATE["cuda" if device_type is None else device_type][0]


def get_autocast_dtype(device_type):
    name = _STATE[device_type][1] or _DEFAULT_DTYPE[device_type]
    return getattr(_dtype, name)


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
    if op in LOWER_PRECISION:
        target = getattr(_dtype, state[1])
    elif op in FLOAT32:
        target = _dtype.float32
    else:
        return tensors
    return tuple(t.to(target) if t is not None and hasattr(t, "dtype") and t.dtype.is_floating_point
                 and t.dtype is not _dtype.float64 and t.dtype is not target else t for t in tensors)


class autocast:
    """torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None): a context manager and a
    decorator."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _STATE:
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device = device_type
        name = _DEFAULT_DTYPE[device_type] if dtype is None else dtype.name
        if enabled and name not in _SUPPORTED[device_type]:
            raise RuntimeError(f"In {device_type.upper()} autocast, but the target dtype is not supported. "
                               f"Disabling autocast.\n{device_type.upper()} Autocast only supports dtypes of "
                               f"{', '.join('torch.' + n for n in _SUPPORTED[device_type])} currently.")
        self.fast_dtype_name, self._enabled = name, bool(enabled)
        self._saved = []

    def __enter__(self):
        state = _STATE[self.device]
        self._saved.append(list(state))
        state[0], state[1] = self._enabled, self.fast_dtype_name
        return self

    def __exit__(self, *exc):
        _STATE[self.device][:] = self._saved.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper
