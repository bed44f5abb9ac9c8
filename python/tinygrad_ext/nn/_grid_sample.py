"""F.affine_grid and F.grid_sample (the spatial transformer tutorial's sampling), composed of Tensor ops.

affine_grid maps each output position's normalized [-1, 1] coordinates (x along the last dim, then y, then
z) through a batch of affine matrices. grid_sample reads `input` at a grid of such coordinates: they are
scaled to pixel positions (align_corners: -1 and 1 are the corner pixels' centres; otherwise their outer
edges), moved inside by padding_mode (border: clamped; reflection: mirrored at the edges, then clamped;
zeros: left as they are, positions outside reading 0) and interpolated from the neighbouring pixels,
gathered from the flattened input. Gradients reach input through the gather and grid through the
interpolation weights (none for mode='nearest', as torch's). Rounded as torch's CPU kernels: the 2-D float32 one
is vectorized with fused multiply-adds (the unnormalized coordinate, the sum of the corners), the 3-D one weighs
a corner by ((x * y) * z) distances; bicubic still differs from torch's in the last bits."""
import itertools
import math
import warnings

from .. import _dtype
from ..tensor import Tensor, _named, linspace, ones, stack, where, zeros

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


def _scalar_type(d):
    """torch's C++ name of a dtype, as its kernels' errors write it (Float, Double, Long, ...)."""
    return d._legacy[:-len("Tensor")]


def _base_coordinates(n, align_corners, like):
    """The n normalized coordinates of an output axis (0 for a single position, as torch's)."""
    if n <= 1:
        return zeros(n, dtype=like.dtype, device=like.device)
    steps = linspace(-1, 1, n, dtype=like.dtype, device=like.device)
    return steps if align_corners else steps * (n - 1) / n


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine matrices theta (N x 2 x 3 for a 4-D size, N x 3 x 4 for 5-D):
    (N, H, W, 2) or (N, D, H, W, 3) normalized source coordinates for grid_sample."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(size)
    if len(size) not in (4, 5):
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    k = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape[1:]) != (k, k + 1):
        raise ValueError(f"Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} for size {size}. "
                         f"Got {theta.shape}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {k + 1}] "
                           f"but got: [{theta.shape[0]}, {k + 1}].")
    if align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", UserWarning, stacklevel=2)
    spatial = size[2:]
    axes = []  # x varies along the last output dim, y along the one before, ...
    for d in range(k):
        n = spatial[k - 1 - d]
        view = [1] * k
        view[k - 1 - d] = n
        axes.append(_base_coordinates(n, align_corners, theta).view(view).expand(spatial))
    axes.append(ones(spatial, dtype=theta.dtype, device=theta.device))
    base = stack(axes, -1).reshape(1, -1, k + 1)  # (1, positions, k + 1)
    positions = base.shape[1]
    if (k + 1) * positions * k < 400:
        # torch's bmm of so few products is a plain loop: each product rounded, added in order to 0
        products = base.unsqueeze(2) * theta.unsqueeze(1)  # (N, positions, k, k + 1)
        grid = products[..., 0] + 0.0
        for i in range(1, k + 1):
            grid = grid + products[..., i]
    else:
        grid = base @ theta.transpose(1, 2)  # a GEMM: one fused multiply-add per term, in order, as torch's
    return _named(grid.reshape(size[0], *spatial, k), "AffineGridGeneratorBackward0")


def _reflect(coord, twice_low, twice_high):
    """coord mirrored back and forth into [twice_low / 2, twice_high / 2]."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    coord = (coord - low).abs()
    extra = coord.fmod(span)
    flips = (coord / span).floor()
    return where(flips.fmod(2) == 0, extra + low, span - extra + low)


def _clip(coord, n):
    """coord clamped to [0, n - 1]; no gradient on the edges themselves either (torch's clip_coordinates)."""
    return where((coord > 0) & (coord < n - 1), coord, coord.detach().clamp(0, n - 1))


def _padded(coord, n, padding_mode, align_corners):
    if padding_mode == "border":
        return _clip(coord, n)
    if padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (n - 1)) if align_corners else _reflect(coord, -1, 2 * n - 1)
        return _clip(coord, n)
    return coord


def _read(flat, taps, sizes):
    """flat (N, C, positions) at the integer pixel positions `taps` (one (N, *out) tensor per spatial dim,
    in input order): (values, in_bounds), values taken at the nearest in-bounds position where out of bounds."""
    index, inside = None, None
    for t, n in zip(taps, sizes):
        ok = (t >= 0) & (t <= n - 1)
        inside = ok if inside is None else inside & ok
        t = t.clamp(0, n - 1)
        index = t if index is None else index * n + t
    n, c = flat.shape[0], flat.shape[1]
    index = index.to(_dtype.int64).reshape(n, 1, -1).expand(n, c, -1)
    return flat.gather(2, index), inside.reshape(n, 1, -1)


def _cubic_weights(t):
    """The 4 cubic convolution weights (A = -0.75) of the taps at -1, 0, 1, 2 for a fraction t."""
    a = -0.75

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return far(t + 1), near(t), near(1 - t), far(2 - t)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """input (N, C, H, W) or (N, C, D, H, W) read at grid's normalized coordinates, (N, H_out, W_out, 2) or
    (N, D_out, H_out, W_out, 3) with x first: (N, C, H_out, W_out) or (N, C, D_out, H_out, W_out)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not isinstance(input, Tensor) or not isinstance(grid, Tensor):
        raise TypeError(f"grid_sample(): expected Tensor input and grid, got {type(input).__name__} and "
                        f"{type(grid).__name__}")
    shapes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.dim() == 0 or grid.dim() == 0 or input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got {shapes}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but "
                           f"got grid with sizes {list(grid.shape)}")
    if input.dim() not in (4, 5) or grid.dim() != input.dim():
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got {shapes}")
    for i in range(2, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {list(input.shape)} with dimension {i} being empty")
    if mode == "bicubic" and input.dim() != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"grid_sampler_{input.dim() - 2}d_cpu" not implemented for '
                                  f"'{_scalar_type(input.dtype)}'")
    if grid.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_type(input.dtype)} but found {_scalar_type(grid.dtype)}")
    n, c, sizes = input.shape[0], input.shape[1], tuple(input.shape[2:])
    k, out = len(sizes), tuple(grid.shape[1:-1])
    flat = input.reshape(n, c, -1)
    # torch's 2-D float32 CPU kernel is vectorized, and its compiler fuses each multiply-add: rounded as it is
    fused = k == 2 and input.dtype is _dtype.float32 and input.device.type == "cpu"
    coords = []  # pixel positions, in input dim order (grid's last entry is x, for the last input dim)
    for d, size in enumerate(sizes):
        g = grid[..., k - 1 - d]
        if align_corners:
            coords.append((g + 1) / 2 * (size - 1))
        else:
            coords.append(_fma(g + 1, size / 2, -0.5) if fused else ((g + 1) * size - 1) / 2)
    if mode == "bicubic":
        result = _bicubic(flat, coords, sizes, padding_mode, align_corners)
    else:
        coords = [_padded(x, size, padding_mode, align_corners) for x, size in zip(coords, sizes)]
        result = _nearest(flat, coords, sizes) if mode == "nearest" else _linear(flat, coords, sizes, fused)
    return _named(result.reshape(n, c, *out), f"GridSampler{k}DBackward0")


def _nearest(flat, coords, sizes):
    rounded = [x.round() for x in coords]
    values, inside = _read(flat, [r.detach() for r in rounded], sizes)
    # a weight of exactly 1 whose gradient is round's, 0: grid gets a zero gradient, as torch's
    weight = math.prod(r - r.detach() + 1 for r in rounded)
    # outside: a zero (not a negative value times 0, -0.0), as torch's masked read
    return where(inside, values * weight.reshape(weight.shape[0], 1, -1), 0)


def _fma(a, b, c):
    """a * b + c rounded once, for float32 a (the product and the sum are exact in float64 but for sums of far
    apart magnitudes, where the two roundings could differ in the last bit)."""
    return (a.to(_dtype.float64) * b + c).to(a.dtype)


def _linear(flat, coords, sizes, fused):
    """Interpolated as torch's kernels: the 2-D one weights each corner by the product of (y, x) distances taken
    from the fraction, summed with fused multiply-adds (when fused); the 3-D one by ((x * y) * z) distances to
    the far corner, summed in order."""
    lows = [x.detach().floor() for x in coords]
    if len(sizes) == 3:
        highs = [lo + 1 for lo in lows]
        near = [x - lo for x, lo in zip(coords, lows)]  # distance from the low corner: the high corner's weight
        far = [hi - x for x, hi in zip(coords, highs)]
    else:
        near = [x - lo for x, lo in zip(coords, lows)]
        far = [1 - f for f in near]
    result = None
    for corner in itertools.product((0, 1), repeat=len(sizes)):
        taps = [lo + bit for lo, bit in zip(lows, corner)]
        factors = [n if bit else f for n, f, bit in zip(near, far, corner)]
        weight = math.prod(reversed(factors)) if len(sizes) == 3 else math.prod(factors)
        values, inside = _read(flat, taps, sizes)
        values = where(inside, values, 0)  # (torch's masked read: +0.0)
        weight = weight.reshape(weight.shape[0], 1, -1)
        if result is None:
            result = values * weight + 0.0 if len(sizes) == 3 else values * weight
        elif fused:
            result = _fma(values, weight, result)
        else:
            result = result + values * weight
    return result


def _bicubic(flat, coords, sizes, padding_mode, align_corners):
    lows = [x.detach().floor() for x in coords]
    weights = [_cubic_weights(x - lo) for x, lo in zip(coords, lows)]
    result = 0
    for offsets in itertools.product(range(4), repeat=len(sizes)):
        taps = [_padded(lo + (o - 1), size, padding_mode, align_corners)
                for lo, o, size in zip(lows, offsets, sizes)]
        weight = math.prod(w[o] for w, o in zip(weights, offsets))
        values, inside = _read(flat, taps, sizes)
        result = result + values * (weight.reshape(weight.shape[0], 1, -1) * inside.to(values.dtype))
    return result
