"""Fractional max pooling (Graham, "Fractional Max-Pooling", 2014), as torch's: per (batch, channel) plane, one
uniform sample u per pooled dim places the pooling windows at trunc((i + u) alpha) - trunc(u alpha), alpha =
(input - kernel) / (output - 1), the last window ending at the input's end. Composed from Tensor ops: the window
starts (in the input's dtype, as torch computes them), one gather of every window element, and max over each
window (the first maximum's index, as torch's)."""
import numbers

from ..tensor import arange, cat, rand


def _tuple(value, n, name):
    if isinstance(value, numbers.Number):
        return (value,) * n
    value = tuple(value)
    if len(value) != n:
        raise ValueError(f"{name} must be a number or a tuple of {n} numbers, got {value}")
    return value


def _window_starts(u, input_size, output_size, kernel):
    """(..., output_size) int64 window starts for samples u (...,), in u's dtype's arithmetic."""
    last = u.new_full(u.shape + (1,), input_size - kernel).long()
    if output_size == 1:
        return last
    alpha = u.new_full((), input_size - kernel) / (output_size - 1)
    i = arange(output_size - 1, dtype=u.dtype)
    ua = u.unsqueeze(-1)
    starts = ((i + ua) * alpha).trunc() - (ua * alpha).trunc()
    return cat([starts.long(), last], -1)


def fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, dims):
    name = f"fractional_max_pool{dims}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}(): Expected {dims + 1}D or {dims + 2}D tensor, but got: {list(input.shape)}")
    spatial = tuple(input.shape[-dims:])
    kernel = tuple(int(k) for k in _tuple(kernel_size, dims, "kernel_size"))
    if output_size is None:
        ratio = tuple(output_ratio)  # (a float raises TypeError here, as torch's functional)
        output_size = [int(s * r) for s, r in zip(spatial, ratio)]
    out = tuple(int(o) for o in _tuple(output_size, dims, "output_size"))
    words = ("height", "width") if dims == 2 else ("time", "height", "width")
    for k, o, s, w in zip(kernel, out, spatial, words):
        if o + k - 1 >= s:
            raise RuntimeError(f"{name}{'' if dims == 2 else '_out'}(): pool {w} {k} too large relative to input "
                               f"{w} {s}")
    batched = input.dim() == dims + 2
    x = input if batched else input.unsqueeze(0)
    n, c = x.shape[0], x.shape[1]
    if _random_samples is None:
        if not input.dtype.is_floating_point:
            raise NotImplementedError(f'"check_uniform_bounds" not implemented for \'{_dtype_name(input)}\'')
        _random_samples = rand(n, c, dims, dtype=input.dtype, device=input.device)
    samples = _random_samples
    if samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions; got {samples.dim()}.")
    if samples.shape[2] != dims:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {dims}; got {samples.shape[2]}.")
    if samples.shape[0] < n:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    # torch's sample order: (width, height) in 2-d, (time, height, width) in 3-d
    order = (1, 0) if dims == 2 else (0, 1, 2)
    flat = None  # (n, c, *out, *kernel): each window element's flat index in its plane
    stride = 1
    for d in reversed(range(dims)):
        starts = _window_starts(samples[:n, :, order[d]], spatial[d], out[d], kernel[d])  # (n, c, out_d)
        pos = (starts.unsqueeze(-1) + arange(kernel[d])) * stride  # (n, c, out_d, k_d)
        shape = [n, c] + [1] * (2 * dims)
        shape[2 + d], shape[2 + dims + d] = out[d], kernel[d]
        term = pos.reshape(shape)
        flat = term if flat is None else flat + term
        stride *= spatial[d]
    flat = flat.expand(n, c, *out, *kernel).reshape(n, c, -1)
    values = x.reshape(n, c, -1).gather(2, flat).reshape(n, c, *out, -1)
    result, arg = values.max(-1)
    indices = flat.reshape(n, c, *out, -1).gather(-1, arg.unsqueeze(-1)).squeeze(-1)
    if not batched:
        result, indices = result.squeeze(0), indices.squeeze(0)
    return (result, indices) if return_indices else result


def _dtype_name(t):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(
        str(t.dtype).rpartition(".")[2], str(t.dtype))


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Max pooling over pseudo-random windows of kernel_size that give output_size (or input size * output_ratio);
    _random_samples (N, C, 2), uniform in [0, 1), fixes the windows (drawn with torch.rand when None)."""
    return fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 2)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    return fractional_max_pool(input, kernel_size, output_size, output_ratio, True, _random_samples, 2)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """fractional_max_pool2d over (T, H, W); _random_samples is (N, C, 3)."""
    return fractional_max_pool(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 3)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    return fractional_max_pool(input, kernel_size, output_size, output_ratio, True, _random_samples, 3)
