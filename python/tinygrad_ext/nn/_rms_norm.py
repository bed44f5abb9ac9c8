"""F.rms_norm: x / sqrt(mean(x**2 over the normalized trailing dims) + eps) * weight (Zhang & Sennrich, 2019)."""
from .. import _dtype


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalization over the last len(normalized_shape) dims; eps None: the dtype's machine
    epsilon (torch.finfo(input.dtype).eps)."""
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    shape = tuple(normalized_shape)
    n = len(shape)
    if n == 0 or input.dim() < n or tuple(input.shape[input.dim() - n:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(shape)}")
    if eps is None:
        eps = _dtype.finfo(input.dtype).eps
    dims = list(range(input.dim() - n, input.dim()))
    out = input * (input * input).mean(dims, keepdim=True).add(eps).rsqrt()
    return out if weight is None else out * weight
