"""Small numeric ops of torch.* composed from Tensor ops: unravel_index, renorm, gradient (finite differences,
torch's formulas), histogramdd, isreal, nonzero_static, fake_quantize_per_tensor/channel_affine (quantization
simulated in floats, straight-through gradient), poisson (the core's sampler) and set_flush_denormal (the core's
MXCSR switch)."""
import itertools
import math
import numbers
import operator
import warnings

from . import _C, _dtype, linalg, special
from ._generator import drawing_from
from ._host import on_host
from ._reduction_ops import _return_type, searchsorted
from ._shape_ops import triu_indices
from .tensor import Tensor, _needs_grad, _wrap, cat, full, tensor, write_out

histogramdd_type = _return_type("histogramdd", ("hist", "bin_edges"))


def unravel_index(indices, shape):
    """The coordinates (one int64 tensor per dim of shape) of flat indices into a row-major tensor of shape."""
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    if not all(isinstance(s, numbers.Integral) for s in shape):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {shape!r}")
    shape = tuple(operator.index(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a tensor, but got {type(indices)}")
    if indices.dtype.is_floating_point or indices.dtype is _dtype.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    coefs = list(reversed(list(itertools.accumulate(reversed(shape[1:] + (1,)), operator.mul))))
    i64 = indices.long()
    dims = tensor(list(shape), device=indices.device)
    return tuple((i64.unsqueeze(-1).floor_divide(tensor(coefs, device=indices.device)) % dims).unbind(-1))


def renorm(input, p, dim, maxnorm, *, out=None):
    """Each slice along dim scaled to p-norm maxnorm where its norm exceeds maxnorm (by maxnorm / (norm + 1e-7));
    differentiable through the norms."""
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if input.dim() <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.dim()} dimensions")
    dim = _C.wrap_dim(dim, input.dim())
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{input.dtype._legacy[:-6]}")
    norm = input.norm(p, [d for d in range(input.dim()) if d != dim], True)
    result = input * (maxnorm / (norm + 1e-7)).where(norm > maxnorm, norm.new_ones([1]))
    return result if out is None else write_out(out, result)


def renorm_(self, p, dim, maxnorm):
    return self.copy_(renorm(self, p, dim, maxnorm))


# torch's overloads of gradient, as its argument parser lists them
_GRADIENT_SIGNATURES = "\n".join(" * (Tensor input, *, " + sig + ")" for sig in (
    "tuple of ints dim, int edge_order = 1", "Number spacing, tuple of ints dim, int edge_order = 1",
    "Number spacing = None, int dim = None, int edge_order = 1",
    "tuple of Scalars spacing, int dim = None, int edge_order = 1",
    "tuple of Scalars spacing, tuple of ints dim, int edge_order = 1",
    "tuple of Tensors spacing, int dim = None, int edge_order = 1",
    "tuple of Tensors spacing, tuple of ints dim, int edge_order = 1")) + "\n"


def _gradient_dims(input, spacing, dim, edge_order):
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        dims = list(range(input.dim()))
    else:
        dims = [_C.wrap_dim(d, input.dim()) for d in ([dim] if isinstance(dim, numbers.Integral) else dim)]
        for d in dims:
            if dims.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    if isinstance(spacing, Tensor) and spacing.dim() == 0:  # (a 0-d tensor is torch's Number spacing)
        spacing = spacing.item()
    if isinstance(spacing, Tensor):
        got = ["Tensor", "spacing=Tensor"] + (["dim=" + ("int" if isinstance(dim, numbers.Integral) else "tuple")]
                                              if dim is not None else []) + \
            (["edge_order=int"] if edge_order != 1 else [])
        raise TypeError(f"gradient() received an invalid combination of arguments - got ({', '.join(got)}), but "
                        f"expected one of:\n{_GRADIENT_SIGNATURES}")
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            if dim is not None:
                raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and "
                                   f"dim arguments to have the same length, but got a spacing argument of length "
                                   f"{len(spacing)} and a dim argument of length {len(dims)}.")
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
                               f"equal to 'self.dim() = {input.dim()}', since dim argument was not given, but got a "
                               f"list of length {len(spacing)}")
        for h in spacing:
            if isinstance(h, Tensor) and h.dim() != 1:
                raise RuntimeError(f"torch.gradient expected each element of spacing to have one dimension, but got "
                                   f"an element with {h.dim()} dimensions!")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    return dims, spacings


def _slice(x, d, start, stop=None):
    """x[..., start:stop, ...] along dim d."""
    return x[(slice(None),) * d + (slice(start, stop),)]


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The derivative along each dim by central differences inside and one-sided ones (of edge_order) at the
    edges; spacing is a scalar (per dim) or the coordinates along each dim (torch's formulas)."""
    dims, spacings = _gradient_dims(input, spacing, dim, edge_order)
    x = input if input.dtype.is_floating_point else input.float()
    results = []
    for d, h in zip(dims, spacings):
        first, second, third = (_slice(x, d, i, i + 1) for i in range(3))
        last3, last2, last = (_slice(x, d, -i, -i + 1 if i > 1 else None) for i in (3, 2, 1))
        if isinstance(h, Tensor):
            h = h if h.dtype.is_floating_point else h.to(x.dtype)
            dx = h[1:] - h[:-1]
            shape = [1] * x.dim()
            shape[d] = -1
            dx1, dx2 = dx[:-1], dx[1:]
            a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
            b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
            c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
            center = a * _slice(x, d, 0, -2) + b * _slice(x, d, 1, -1) + c * _slice(x, d, 2)
            if edge_order == 1:
                prepend = (second - first) / dx[0]
                append = (last - last2) / dx[-1]
            else:
                d0, d1, dm1, dm2 = dx[0], dx[1], dx[-1], dx[-2]
                prepend = (-(2.0 * d0 + d1) / (d0 * (d0 + d1)) * first + (d0 + d1) / (d0 * d1) * second
                           - d0 / (d1 * (d0 + d1)) * third)
                append = (dm1 / (dm2 * (dm1 + dm2)) * last3 - (dm1 + dm2) / (dm1 * dm2) * last2
                          + (2 * dm1 + dm2) / (dm1 * (dm1 + dm2)) * last)
        else:
            center = (_slice(x, d, 2) - _slice(x, d, 0, -2)) / (2 * h)
            if edge_order == 1:
                prepend = (second - first) / h
                append = (last - last2) / h
            else:
                prepend = (-1.5 * first + 2 * second - 0.5 * third) / h
                append = (0.5 * last3 - 2 * last2 + 1.5 * last) / h
        results.append(cat([prepend, center, append], d))
    return tuple(results)


def histogramdd(input, bins, *, range=None, weight=None, density=False, out=None):
    """The D-dimensional histogram of the points input (..., D): (hist, bin_edges per dim). bins is an int or one
    int per dim (equal bins over range, default each dim's min and max) or one tensor of edges per dim; the last
    bin includes its right edge, points outside are not counted."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"\"histogramdd\" not implemented for '{input.dtype._legacy[:-6]}'")
    D = input.shape[-1]
    points = input.reshape(-1, D)
    if isinstance(bins, numbers.Integral):
        bins = [bins] * D
    bins = list(bins)
    if len(bins) != D:
        raise RuntimeError(f"torch.histogramdd: expected {D} sequences of bin edges for each of the {D} dimensions "
                           f"of the input, but got {len(bins)}")
    if range is not None and len(range) != 2 * D:
        raise RuntimeError(f"torch.histogramdd: for a {D}-dimensional histogram range should have {2 * D} elements, "
                           f"but got {len(range)}")
    edges = []
    for d, b in enumerate(bins):
        if isinstance(b, Tensor):
            edges.append(b.to(input.dtype))
            continue
        if range is not None:
            lo, hi = float(range[2 * d]), float(range[2 * d + 1])
        elif points.shape[0]:
            lo, hi = float(points[:, d].amin()), float(points[:, d].amax())
        else:
            lo, hi = 0.0, 0.0
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo} max {hi} for dimension "
                               f"{d}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges.append(_wrap(_C.linspace(lo, hi, b + 1, input.dtype.id, *input.device._code)))
    flat = inside = None
    sizes = [e.shape[0] - 1 for e in edges]
    for d, e in enumerate(edges):
        col = points[:, d].contiguous()
        idx = (searchsorted(e, col, right=True) - 1).clamp(0, sizes[d] - 1)
        ok = (col >= e[0]) & (col <= e[-1])
        inside = ok if inside is None else inside & ok
        flat = idx if flat is None else flat * sizes[d] + idx
    w = points.new_ones([points.shape[0]]) if weight is None else weight.reshape(-1).to(input.dtype)
    hist = points.new_zeros([math.prod(sizes)]).index_add(0, flat[inside], w[inside]).reshape(sizes)
    if density:
        volume = None
        for d, e in enumerate(edges):
            shape = [1] * D
            shape[d] = -1
            widths = (e[1:] - e[:-1]).reshape(shape)
            volume = widths if volume is None else volume * widths
        hist = hist / (hist.sum() * volume)
    result = histogramdd_type(hist, tuple(edges))
    if out is not None:
        out[0].copy_(hist)
    return result


def isreal(input):
    """True where input is real: everywhere, for the real dtypes this library has."""
    return full(list(input.shape), True, device=input.device)


def nonzero_static(input, *, size, fill_value=-1):
    """nonzero's (n, input.dim()) indices cut or padded (with fill_value) to exactly `size` rows."""
    if not isinstance(size, numbers.Integral) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    nz = input.nonzero()
    if nz.shape[0] >= size:
        return nz[:size].contiguous()
    return cat([nz, nz.new_full([size - nz.shape[0], nz.shape[1]], fill_value)])


def _fake_quantize(input, inv_scale, scale, zero_point, quant_min, quant_max, float_zero_point):
    """(clamp(round(x / scale) + zero_point) - zero_point) * scale (zero_point added before rounding when it is a
    float, as torch's), with the straight-through gradient: 1 where the rounded value is in range, else 0."""
    if quant_min > quant_max:
        raise RuntimeError("`quant_min` should be less than or         equal to `quant_max`.")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"fake_quantize_tensor_cachemask_kernel_type_handling\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")
    x = input.detach()
    q = (x * inv_scale + zero_point).round() if float_zero_point else (x * inv_scale).round() + zero_point
    inside = (q >= quant_min) & (q <= quant_max)
    out = (q.clamp(quant_min, quant_max) - zero_point) * scale
    return out + (input - x) * inside.to(input.dtype) if input.requires_grad else out


def fake_quantize_per_tensor_affine(input, scale, zero_point, quant_min, quant_max):
    """input quantized to the integers [quant_min, quant_max] with (scale, zero_point) and back."""
    scale, zero_point = float(scale), int(zero_point)
    if not quant_min <= zero_point <= quant_max:
        raise RuntimeError("`zero_point` must be between `quant_min` and `quant_max`.")
    inv_scale = float(tensor(1.0, dtype=_dtype.float32) / scale)  # (a float32 reciprocal, as torch's kernel)
    return _fake_quantize(input, inv_scale, scale, zero_point, quant_min, quant_max, False)


def fake_quantize_per_channel_affine(input, scale, zero_point, axis, quant_min, quant_max):
    """fake_quantize_per_tensor_affine with one (scale, zero_point) per index of dim axis."""
    if zero_point.dtype not in (_dtype.int32, _dtype.float32, _dtype.float16):
        raise RuntimeError(f"Zero-point must be Int32, Float or Half, found {zero_point.dtype._legacy[:-6]}")
    axis = _C.wrap_dim(axis, input.dim())
    shape = [1] * input.dim()
    shape[axis] = -1
    scale, float_zp = scale.to(input.dtype).reshape(shape), zero_point.dtype.is_floating_point
    zp = zero_point.reshape(shape)
    if not float_zp and bool(((zp < quant_min) | (zp > quant_max)).any()):
        raise RuntimeError("`zero_point` must be between `quant_min` and `quant_max`.")
    inv_scale = 1.0 / scale.float()
    return _fake_quantize(input, inv_scale, scale, zp.to(input.dtype), quant_min, quant_max, float_zp)


@on_host
def poisson(input, generator=None):
    """Poisson draws with the rates input, in its dtype (the core's sampler: torch's, draw for draw, on the CPU
    generator; CUDA tensors draw on the host); the gradient is zero, as torch's."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{input.dtype._legacy[:-6]}'")
    with drawing_from(generator):
        sample = _wrap(_C.poisson(input.detach().double().contiguous()._impl)).to(input.dtype)
    return sample + (input - input.detach()) * 0 if _needs_grad(input) else sample


def mvlgamma(input, p, *, out=None):
    """torch.mvlgamma / Tensor.mvlgamma: torch.special.multigammaln."""
    return special.multigammaln(input, p, out=out)


def mvlgamma_(self, p):
    return self.copy_(special.multigammaln(self, p))


def pdist(input, p=2):
    """The p-norm distances between the rows of input (N, M), pair (i, j > i) in row-major order: N (N - 1) / 2."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = triu_indices(input.shape[0], input.shape[0], 1, device=input.device)
    return (input[i] - input[j]).norm(p, 1)


def nuclear_norm(input, dim=(-2, -1), keepdim=False, *, out=None):
    """The sum of the singular values over the two dims (torch's older spelling of matrix_norm(A, 'nuc'))."""
    if isinstance(dim, bool):  # (nuclear_norm(input, keepdim), torch's other overload)
        dim, keepdim = (-2, -1), dim
    warnings.warn("at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be removed in a "
                  "future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead",
                  UserWarning, stacklevel=2)
    return linalg.matrix_norm(input, "nuc", dim, keepdim, out=out)


def frobenius_norm(input, dim, keepdim=False, *, out=None):
    """The 2-norm over dim (one or two dims)."""
    warnings.warn("at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will be removed in "
                  "a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, keepdim)` instead",
                  UserWarning, stacklevel=2)
    result = input.norm(2, [dim] if isinstance(dim, numbers.Integral) else list(dim), keepdim)
    return result if out is None else write_out(out, result)


def set_flush_denormal(mode):
    """Flush denormal floats to zero on the calling thread (x86's FTZ/DAZ); False where the CPU cannot."""
    return _C.set_flush_denormal(bool(mode))


# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {"renorm": renorm, "renorm_": renorm_, "isreal": isreal, "nonzero_static": nonzero_static,
           "mvlgamma": mvlgamma, "mvlgamma_": mvlgamma_}
FUNCTIONS = {"fake_quantize_per_tensor_affine": fake_quantize_per_tensor_affine,
             "fake_quantize_per_channel_affine": fake_quantize_per_channel_affine, "unravel_index": unravel_index,
             "renorm": renorm, "gradient": gradient, "histogramdd": histogramdd, "isreal": isreal,
             "nonzero_static": nonzero_static, "poisson": poisson, "set_flush_denormal": set_flush_denormal,
             "mvlgamma": mvlgamma, "pdist": pdist, "nuclear_norm": nuclear_norm, "frobenius_norm": frobenius_norm}
