"""torch's shape ops (flip, roll, rot90, repeat, tile, tril/triu, diagonal, diag_embed, movedim,
meshgrid, take_along_dim, kron, unfold, ...): compositions of the core's views, copies, index_select
and masked_fill, whose autograd ops give the gradients. diagonal and unfold are strided views into
their input, as torch's, with a backward op of their own."""
import operator
import warnings

from . import _C, _dtype, _ops
from ._device import Size, as_device
from .tensor import (Tensor, _broadcast_shape, _keyword_size, _named, _needs_grad, _select_args, _shape_arg, _wrap,
                     arange, cat, full, write_out)


def _ints(x):
    """An int or a sequence of ints as a list (torch's IntArrayRef arguments)."""
    return [operator.index(x)] if not isinstance(x, (tuple, list, Size)) else [operator.index(v) for v in x]


def _dims(dims, ndim, op):
    out = []
    for d in _ints(dims):
        w = _C.wrap_dim(d, ndim)
        if w in out:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims" if op == "flip" else
                               f"{op}: repeated dim in the list of dims {list(_ints(dims))}")
        out.append(w)
    return out


# ------------------------------------------------------------------ flips and rolls
def flip(input, dims):
    """A copy with dims reversed (one pass of the core's copy kernel over a backwards-stepping view)."""
    dims = _dims(dims, input.dim(), "flip")
    return _ops.INDEXING_OPS["flip"].apply(input, dims) if _needs_grad(input) else _wrap(_C.flip(input._impl, dims))


def fliplr(input):
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, [1])


def flipud(input):
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, [0])


def roll(input, shifts, dims=None):
    shifts = _ints(shifts)
    if dims is None and len(shifts) == 1:  # the flattened tensor, rolled and put back in shape
        return _named(roll(input.flatten(), shifts, [0]).view(input.shape), "RollBackward0")
    dims = [] if dims is None else _ints(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    out = input
    for s, d in zip(shifts, dims):
        d = _C.wrap_dim(d, input.dim())
        n = out.shape[d]
        if n and s % n:
            s %= n
            out = cat([out.narrow(d, n - s, s), out.narrow(d, 0, n - s)], d)
    return _named(input.clone() if out is input else out, "RollBackward0")


def rot90(input, k=1, dims=(0, 1)):
    dims = _ints(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    d0, d1 = (_C.wrap_dim(d, input.dim()) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return flip(input, [d1]).transpose(d0, d1)
    if k == 2:
        return flip(input, [d0, d1])
    if k == 3:
        return flip(input, [d0]).transpose(d0, d1)
    return input.clone()


# ---------------------------------------------------------------- repetition
def repeat(self, *sizes, **kwargs):
    """Tensor.repeat: each dim tiled sizes[i] times, as one expand and one copy."""
    sizes = _shape_arg(_keyword_size(sizes, kwargs, "repeat", "repeats") if kwargs else sizes, "repeat", "repeats")
    if len(sizes) < self.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    shape = [1] * (len(sizes) - self.dim()) + list(self.shape)
    out_shape = [r * s for r, s in zip(sizes, shape)]
    if any(r < 0 for r in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out_shape)}: {out_shape}")
    pairs = [v for s in shape for v in (1, s)]
    expanded = [v for r, s in zip(sizes, shape) for v in (r, s)]
    out = self.reshape(pairs).expand(expanded).reshape(out_shape)
    return _named(out.clone() if out._impl.storage_id == self._impl.storage_id else out, "RepeatBackward0")


def tile(input, dims):
    dims = _ints(dims)
    return repeat(input, [1] * (input.dim() - len(dims)) + dims)


def _repeat_index(repeats):
    """torch.repeat_interleave(repeats): i repeated repeats[i] times. A scatter_add marks where each
    group after the first begins (several marks where groups are empty); the running sum of the
    marks is the group number."""
    cs = repeats.cumsum(0)
    total = cs[-1].item() if cs.numel() else 0
    marks = full([total + 1], 0, dtype=_dtype.int64, device=repeats.device)
    starts = cs[:-1]
    marks.scatter_add_(0, starts, full(starts.shape, 1, dtype=_dtype.int64, device=repeats.device))
    return marks[:total].cumsum(0)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # torch.repeat_interleave(repeats)
        input, repeats = arange(input.numel(), device=input.device), input
        if input.numel() and repeats.dim() != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if dim is None:
        input, dim = input.flatten(), 0
    d = _C.wrap_dim(dim, input.dim())
    n = input.shape[d] if input.dim() else 1
    if isinstance(repeats, Tensor):
        if repeats.dtype not in (_dtype.int64, _dtype.int32):
            raise RuntimeError(f"repeat_interleave: repeats has to be Long or Int tensor, got "
                               f"{repeats.dtype._legacy[:-6]}")
        if repeats.dim() > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if repeats.numel() == 1:
            repeats = repeats.reshape(1).expand(n)
        if repeats.shape[0] != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{repeats.shape[0]} and input.size({d}) = {n}")
        if repeats.numel() and repeats.min().item() < 0:
            raise RuntimeError("repeats can not be negative")
        index = _repeat_index(repeats.to(_dtype.int64))
        if output_size is not None and output_size != index.numel():
            raise RuntimeError(f"repeat_interleave: output_size ({output_size}) does not match the sum of repeats "
                               f"({index.numel()})")
        return input.index_select(d, index) if input.dim() else input.reshape(1).index_select(0, index)
    r = operator.index(repeats)
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    if output_size is not None and output_size != r * n:
        raise RuntimeError(f"repeat_interleave: output_size ({output_size}) does not match the sum of repeats "
                           f"({r * n})")
    shape = list(input.shape)
    out = input.unsqueeze(d + 1).expand(shape[:d + 1] + [r] + shape[d + 1:]).flatten(d, d + 1)
    return out.clone() if out._impl.storage_id == input._impl.storage_id else out


# ---------------------------------------------------------------- triangles
def _tri_mask(input, diagonal, lower, op):
    if input.dim() < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    r, c = input.shape[-2:]
    offset = arange(c, device=input.device).unsqueeze(0) - arange(r, device=input.device).unsqueeze(1)
    return offset > diagonal if lower else offset < diagonal  # where the result is zero


def tril(input, diagonal=0):
    return _named(input.masked_fill(_tri_mask(input, diagonal, True, "tril"), 0), "TrilBackward0")


def triu(input, diagonal=0):
    return _named(input.masked_fill(_tri_mask(input, diagonal, False, "triu"), 0), "TriuBackward0")


def tril_(input, diagonal=0):
    return _named(input.masked_fill_(_tri_mask(input, diagonal, True, "tril"), 0), "TrilBackward0")


def triu_(input, diagonal=0):
    return _named(input.masked_fill_(_tri_mask(input, diagonal, False, "triu"), 0), "TriuBackward0")


def _tri_indices(row, col, offset, dtype, device, lower):
    ones = full([row, col], True, dtype=_dtype.bool, device=device)
    keep = tril(ones, offset) if lower else triu(ones, offset)
    return keep.nonzero().t().contiguous().to(dtype)


def tril_indices(row, col, offset=0, *, dtype=_dtype.int64, device=None, layout=None):
    return _tri_indices(row, col, offset, dtype, as_device(device), True)


def triu_indices(row, col, offset=0, *, dtype=_dtype.int64, device=None, layout=None):
    return _tri_indices(row, col, offset, dtype, as_device(device), False)


# ------------------------------------------------------------------ diagonals
_Diagonal = _ops.VIEW_OPS["diagonal"]


def diagonal(input, offset=0, dim1=0, dim2=1):
    return _Diagonal.apply(input, offset, dim1, dim2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    nd = input.dim() + 1
    d1, d2 = _C.wrap_dim(dim1, nd), _C.wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (input.shape[-1] if input.dim() else 1) + abs(offset)
    shape = list(input.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    embedded = _ops.INDEXING_OPS["diagonal_backward"].apply(input if input.dim() else input.reshape(1), shape, offset,
                                                            d1, d2)
    return _named(embedded, "DiagEmbedBackward0")


def diag(input, diagonal=0):
    if input.dim() == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.dim() == 2:
        return _Diagonal.apply(input, diagonal, 0, 1).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")


def trace(input):
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    if input.dtype is _dtype.bool:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return _named(_Diagonal.apply(input, 0, 0, 1).sum(), "TraceBackward0")


# -------------------------------------------------------------- permutations
def movedim(input, source, destination):
    src, dst = _ints(source), _ints(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                           f"same number of dims as destination ({dst} dims)")
    nd = input.dim()
    ws, wd = [_C.wrap_dim(d, nd) for d in src], [_C.wrap_dim(d, nd) for d in dst]
    for name, given, wrapped in (("source", src, ws), ("destination", dst, wd)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({given})")
    if nd == 0:
        return input.view(())
    perm = [-1] * nd
    for s, d in zip(ws, wd):
        perm[d] = s
    rest = iter(d for d in range(nd) if d not in ws)
    perm = [p if p >= 0 else next(rest) for p in perm]
    return input.permute(perm)


moveaxis = movedim


def swapdims(input, dim0, dim1):
    return input.transpose(dim0, dim1)


def unflatten(input, dim, sizes):
    return input.unflatten(dim, sizes)


# ---------------------------------------------------------------- broadcasting
def broadcast_to(input, size):
    return input.expand(_shape_arg((size,), "broadcast_to", "size"))


def broadcast_shapes(*shapes):
    """torch's: a running result, every shape checked against it from its last dim; None is skipped. The error
    names the dim (negative), the argument's index and the argument as given, and the result so far."""
    shapes = [(s,) if isinstance(s, int) else s for s in shapes if s is not None]
    for s in shapes:
        if not isinstance(s, (tuple, list)):
            raise RuntimeError(f"Input shapes should be of type ints, a tuple of ints, or a list of ints, got {s}")
    result = [1] * max((len(s) for s in shapes), default=0)
    for k, s in enumerate(shapes):
        for i in range(-1, -1 - len(s), -1):
            n = s[i]
            if n == 1 or n == result[i]:
                continue
            if result[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at {i}! Mismatching argument "
                                   f"at index {k} had {s}; but expected shape should be broadcastable to {result}")
            if n < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            result[i] = n
    return Size(_ints(result))


def _broadcast_tensor_shapes(shapes):
    out = []
    for s in shapes:
        out = _broadcast_shape(out, _ints(s))
    return Size(out)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    shape = _broadcast_tensor_shapes(t.shape for t in tensors)
    return tuple(t if t.shape == shape else t.expand(shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("torch.meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: a "
                               f"{t.dim()}-D tensor of shape {list(t.shape)}")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("torch.meshgrid: Expected all tensors in the tensor list to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    ts = (tensors[1], tensors[0]) + tuple(tensors[2:]) if swap else tensors
    shape = [t.numel() for t in ts]
    grids = [t.reshape([1] * i + [-1] + [1] * (len(ts) - i - 1)).expand(shape) for i, t in enumerate(ts)]
    if swap:
        grids = [grids[1], grids[0]] + grids[2:]  # (the grids of the swapped inputs are already in xy order)
    return tuple(grids)


def cartesian_prod(*tensors):
    if len(tensors) == 1:
        return tensors[0]
    return cat([g.reshape(-1, 1) for g in meshgrid(*tensors, indexing="ij")], 1)


def block_diag(*tensors):
    """The tensors (0-d as 1x1, 1-D as one row) along the diagonal of a zero matrix, as cats of zero blocks."""
    mats = [t.reshape(1, 1) if t.dim() == 0 else t.reshape(1, -1) if t.dim() == 1 else t for t in tensors]
    for i, m in enumerate(mats):
        if m.dim() != 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{m.dim()} dimensions")
    if not mats:
        return full([1, 0], 0, dtype=_dtype.get_default_dtype())
    dt = mats[0].dtype
    for m in mats[1:]:
        dt = _dtype.BY_ID[_C.promote_types(dt.id, m.dtype.id)]
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m.shape
        parts = [full([r, left], 0, dtype=dt, device=m.device), m.to(dt),
                 full([r, width - left - c], 0, dtype=dt, device=m.device)]
        rows.append(cat(parts, 1))
        left += c
    return cat(rows, 0)


def diagflat(input, offset=0):
    return diag(input.reshape(-1), offset)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along dim (bool: !=, as torch's)."""
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _C.wrap_dim(dim, input.dim())
    for t in (prepend, append):  # (torch's checks of the tensors to prepend or append: a 0-d one too)
        if t is not None:
            if t.dim() != input.dim():
                raise RuntimeError("diff expects prepend or append to be the same dimension as input")
            for i in range(t.dim()):
                if i != d and t.shape[i] != input.shape[i]:
                    raise RuntimeError(f"diff expects the shape of tensor to prepend or append to match that of input "
                                       f"except along the differencing dimension; input.size({i}) = {input.shape[i]}, "
                                       f"but got tensor.size({i}) = {t.shape[i]}")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        a, b = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
        x = a != b if x.dtype is _dtype.bool else a - b
    return x


# ------------------------------------------------------------ stacking and splitting
def _atleast(tensors, shape_of):
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        return tuple(t.reshape(shape_of(t)) for t in tensors[0])
    out = tuple(t.reshape(shape_of(t)) for t in tensors)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors):
    return _atleast(tensors, lambda t: t.shape if t.dim() >= 1 else [1])


def atleast_2d(*tensors):
    return _atleast(tensors, lambda t: t.shape if t.dim() >= 2 else [1, t.numel()] if t.dim() else [1, 1])


def atleast_3d(*tensors):
    return _atleast(tensors, lambda t: t.shape if t.dim() >= 3 else
                    list(t.shape) + [1] if t.dim() == 2 else [1, t.numel(), 1] if t.dim() else [1, 1, 1])


def hstack(tensors, *, out=None):
    ts = atleast_1d(list(tensors))
    return cat(ts, 0 if all(t.dim() == 1 for t in ts) else 1, out=out)


def vstack(tensors, *, out=None):
    return cat(atleast_2d(list(tensors)), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    return cat(atleast_3d(list(tensors)), 2, out=out)


def column_stack(tensors, *, out=None):
    return cat([t.reshape(t.numel(), 1) if t.dim() <= 1 else t for t in tensors], 1, out=out)


def tensor_split(input, indices_or_sections, dim=0):
    """Views: `sections` near-equal parts (the first size % sections one longer), or cuts at indices."""
    d = _C.wrap_dim(dim, input.dim())
    n = input.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.item() if indices_or_sections.dim() == 0 else \
            indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        cuts = [i * (n // k) + min(i, n % k) for i in range(1, k)]
    else:
        cuts = list(indices_or_sections)
    bounds = [min(max(c, 0), n) for c in [0] + cuts] + [n]
    return tuple(input.narrow(d, a, max(b - a, 0)) for a, b in zip(bounds, bounds[1:]))


def _split_along(input, indices_or_sections, dim, name, min_dims):
    if input.dim() < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor with "
                           f"{input.dim()} dimensions!")
    if isinstance(indices_or_sections, int) and input.shape[dim] % indices_or_sections:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                           f"{input.shape[dim]} is not divisible by the split_size {indices_or_sections}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    return _split_along(input, indices_or_sections, 0 if input.dim() == 1 else 1, "hsplit", 1)


def vsplit(input, indices_or_sections):
    return _split_along(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    return _split_along(input, indices_or_sections, 2, "dsplit", 3)


def ravel(input):
    return input.reshape(-1)


def narrow_copy(input, dim, start, length):
    return input.narrow(dim, start, length).clone()


# ------------------------------------------------------------------ scatters of views
def select_scatter(input, src, dim, index):
    return _ops.INDEXING_OPS["select_scatter"].apply(input, src, *_select_args(input, dim, index))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    return _ops.INDEXING_OPS["slice_scatter"].apply(input, src, dim, 0 if start is None else start,
                                                    2 ** 63 - 1 if end is None else end, step)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    return _ops.INDEXING_OPS["diagonal_scatter"].apply(input, src, offset, dim1, dim2)


# ------------------------------------------------------------------ indexing
def take_along_dim(input, indices, dim=None):
    if indices.dtype is not _dtype.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices.dtype._legacy[:-6]}")
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    if input.dim() != indices.dim():
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.dim()} dimensions for input, and {indices.dim()} dimensions for indices")
    d = _C.wrap_dim(dim, input.dim())
    a, b = list(input.shape), list(indices.shape)
    a[d] = b[d] = 1
    shape = _broadcast_shape(a, b)
    ins, ids = list(shape), list(shape)
    ins[d], ids[d] = input.shape[d], indices.shape[d]
    return input.expand(ins).gather(d, indices.expand(ids))


def argwhere(input):
    return input.nonzero()


# ------------------------------------------------------------------ products
def outer(input, vec2, *, out=None):
    if out is not None:
        return write_out(out, outer(input, vec2))
    for name, t in (("self", input), ("vec2", vec2)):
        if t.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.dim()}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


def kron(input, other):
    nd = max(input.dim(), other.dim())
    a = [1] * (nd - input.dim()) + list(input.shape)
    b = [1] * (nd - other.dim()) + list(other.shape)
    prod = input.reshape([v for n in a for v in (n, 1)]) * other.reshape([v for n in b for v in (1, n)])
    return _named(prod.reshape([x * y for x, y in zip(a, b)]), "UnsafeViewBackward0")


# ---------------------------------------------------------------------- unfold
def unfold(self, dimension, size, step):
    """Tensor.unfold(dimension, size, step)."""
    if self.dim() == 0:
        if size > 1:
            raise RuntimeError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
        return self.reshape(1)[:size]
    d = _C.wrap_dim(dimension, self.dim())  # (the kernel checks the window)
    return _ops.VIEW_OPS["unfold"].apply(self, d, size, step)


def _packed(fn, arg):
    """The method form of an op taking one size-like argument, which methods also take unpacked
    (x.flip(0, 1) is x.flip((0, 1)))."""
    def method(self, *args, **kwargs):
        if not args and arg not in kwargs:
            raise TypeError(f'{fn.__name__}() missing 1 required positional arguments: "{arg}"')
        return fn(self, kwargs.pop(arg) if arg in kwargs else args[0] if len(args) == 1 else args, **kwargs)
    method.__name__ = fn.__name__
    return method


_SHARED = ("fliplr", "flipud", "roll", "rot90", "repeat_interleave", "tril", "triu", "diag", "diagonal", "diag_embed",
           "trace", "movedim", "moveaxis", "swapdims", "broadcast_to", "take_along_dim", "argwhere", "outer", "ger",
           "kron", "diff", "tensor_split", "hsplit", "vsplit", "dsplit", "ravel", "narrow_copy", "select_scatter",
           "slice_scatter", "diagonal_scatter")
# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {**{n: globals()[n] for n in _SHARED + ("tril_", "triu_")},
           "flip": _packed(flip, "dims"), "tile": _packed(tile, "dims"), "repeat": repeat, "unfold": unfold,
           "broadcast_to": _packed(broadcast_to, "size")}
FUNCTIONS = {**{n: globals()[n] for n in _SHARED + ("flip", "tile", "broadcast_tensors", "broadcast_shapes", "meshgrid",
                                                 "tril_indices", "triu_indices", "unflatten", "cartesian_prod",
                                                 "block_diag", "diagflat", "atleast_1d", "atleast_2d",
                                                 "atleast_3d", "hstack", "vstack", "row_stack", "dstack",
                                                 "column_stack")}, "concat": cat, "concatenate": cat}
