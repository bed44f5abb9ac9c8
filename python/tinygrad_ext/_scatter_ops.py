"""torch's scatter and index_* ops: scatter/scatter_ (src or value, reduce=), scatter_reduce (sum,
prod, mean, amax, amin; include_self), index_add, index_copy, index_fill, index_put, each with its
in-place form. The core writes (_C.scatter_reduce_, index_put_); the gradients are gathers and masks."""
import numbers
import warnings

from . import _C, _dtype, _ops
from .autograd.function import inplace_source
from .tensor import Tensor, _broadcast_shape, _check_inplace, _named, _needs_grad, full

_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_WARNED = [False]  # scatter(reduce=) with a tensor src: warned
_WARNED_INDEX_REDUCE = [False]  # index_reduce's beta warning (torch's once per process)


def _check(self, dim, index, src):
    """torch's scatter checks, on the arguments as given (before a 0-d index or src is viewed as 1-d and src is cut
    to index's shape): a number src is a value, checked against self alone."""
    if isinstance(index, Tensor):
        _C.check_scatter(self._impl, dim, index._impl, src._impl if isinstance(src, Tensor) else None)


def _src_tensor(self, index, src, op):
    """src cut to index's shape (torch reads only that corner), or a number broadcast to it."""
    if isinstance(src, Tensor):
        if src.dim() == index.dim() and list(src.shape) != list(index.shape) and \
                all(i <= s for i, s in zip(index.shape, src.shape)):
            return src[tuple(slice(0, n) for n in index.shape)]
        return src
    if not isinstance(src, numbers.Number):
        raise TypeError(f"{op}() received an invalid combination of arguments: src must be a Tensor or a number, "
                        f"not {type(src).__name__}")
    return full(list(index.shape), src, dtype=self.dtype, device=self.device)


def _nonempty_dim(t):
    """A 0-d index or src as 1-d: torch's scatter checks compare dims with 0-d counted as 1-d
    (`zeros(10).scatter_(0, tensor(y), value=1)`, the tutorials' one-hot)."""
    return t.reshape(1) if isinstance(t, Tensor) and t.dim() == 0 else t


def _write(self, result):
    """An in-place op's result into self: with autograd self takes result's node."""
    if result._requires_grad:
        _check_inplace(self)
        return self._rebase(result)
    _C.copy_(self._impl, result._impl)
    return self


# --------------------------------------------------------------------- scatter
def scatter(input, dim, index, src=None, *, reduce=None, value=None):
    if src is None:
        src = value
    _check(input, dim, index, src)
    index, src = _nonempty_dim(index), _nonempty_dim(src)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if isinstance(src, Tensor) and not _WARNED[0]:  # (torch warns once per process)
            _WARNED[0] = True
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a "
                          "future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=3)
        return scatter_reduce(input, dim, index, _src_tensor(input, index, src, "scatter"),
                              "sum" if reduce == "add" else "prod")
    if isinstance(src, numbers.Number):
        return _ops.INDEXING_OPS["scatter.value"].apply(input, dim, index, src)
    return _ops.INDEXING_OPS["scatter.src"].apply(input, dim, index, _src_tensor(input, index, src, "scatter"))


def scatter_(self, dim, index, src=None, *, reduce=None, value=None):
    if src is None:
        src = value
    _check(self, dim, index, src)
    index, src = _nonempty_dim(index), _nonempty_dim(src)
    if reduce is None and not _needs_grad(self, src):
        _C.scatter_reduce_(self._impl, dim, index._impl, _src_tensor(self, index, src, "scatter_")._impl, "assign")
        return self
    return _write(self, scatter(self, dim, index, src, reduce=reduce))


# -------------------------------------------------------------- scatter_reduce
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    _check(input, dim, index, src)
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    return _ops.INDEXING_OPS["scatter_reduce.two"].apply(input, dim, index, _src_tensor(input, index, src,
                                                                                      "scatter_reduce"),
                                                         reduce, include_self)


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    # (its backward reads self: under autograd it computes from a copy, which the write into self leaves intact)
    source = inplace_source(self) if _needs_grad(self, src) else self
    return _write(self, scatter_reduce(source, dim, index, src, reduce, include_self=include_self))


# -------------------------------------------------------------------- index_*
def _type(t):
    return t.dtype._legacy[:-6]  # (torch's scalar type name: Long, Float, ...)


def _dim_index(self, dim, index, op, source=None, value=None):
    """dim wrapped, index and source (index_fill: value) checked as torch does, in its order and words, each op its
    own: index_fill takes only int64 indices and a 0-d value tensor, index_copy only int64 indices, index_add and
    index_reduce int32 or int64; the source has self's dims and sizes off dim, one slice per index (a 0-d source
    one element); index_reduce warns that it is in beta; the indices' range last. Returns (dim, flat index)."""
    d = _C.wrap_dim(dim, self.dim())
    kind, n = _type(index), index.numel()
    if op == "index_fill":
        if index.dtype is not _dtype.int64:
            raise IndexError("index_fill_(): Expected dtype int64 for index.")
        if isinstance(value, Tensor) and value.dim():
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.dim()} dimension(s).")
        if index.dim() > 1:
            raise RuntimeError("Index has to be a vector/scalar")
    elif op == "index_copy":
        if index.dim() > 1:
            raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.dim()})")
        if source.dim() == 0 and n != 1:
            raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got {n})")
        if source.dim() != self.dim() and source.dim() and self.dim():
            raise IndexError(f"index_copy_(): When source and destination are not scalars, their dimensionality must "
                             f"match. Source dimensionality ({source.dim()}), destination dimensionality "
                             f"({self.dim()})")
        if index.dtype is not _dtype.int64:
            raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {kind}")
        if source.dtype is not self.dtype:
            raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                               f"{_type(self)} and (source) {_type(source)}")
        dst, src = list(self.shape), list(source.shape)
        for sliced in (dst, src):
            if sliced:
                del sliced[d]
        if dst != src:
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                               f"slice shape: {' '.join(map(str, dst))} at dimension {d} and source slice shape: "
                               f"{' '.join(map(str, src))} at dimension 0.")  # (torch's words: dimension 0)
        if source.dim() and n != source.shape[d]:
            raise IndexError(f"index_copy_(): Number of indices ({n}) should be equal to source.size(dim) "
                             f"({source.shape[d]})")
    else:  # index_add, index_reduce
        if index.dim() > 1:
            raise IndexError(f"{op}_(): Index is supposed to be a vector, but got dim: {index.dim()} with type: {kind} "
                             f"and size: {list(index.shape)}")
        if index.dtype not in (_dtype.int64, _dtype.int32):
            raise RuntimeError(f"{op}_(): Expected dtype int32/int64 for index but got: {kind}")
        if source.dtype is not self.dtype:
            raise RuntimeError(f"{op}_(): self ({_type(self)}) and source ({_type(source)}) must have the same scalar "
                               "type")
        if d >= max(source.dim(), 1):
            raise RuntimeError(f"{op}_(): Indexing dim {d} is out of bounds of the source tensor with dim "
                               f"{source.dim()}")
        if n != (source.shape[d] if source.dim() else 1):
            if not source.dim():  # (torch's message reads source.size(dim) of a 0-d source)
                raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
            raise RuntimeError(f"{op}_(): Number of indices ({n}) should be equal to source.size(dim): "
                               f"({source.shape[d]}), for dim: {d}")
        if source.dim() != self.dim() or any(a != b for i, (a, b) in enumerate(zip(self.shape, source.shape))
                                             if i != d):
            raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                               f"Got self.shape = {list(self.shape)} source.shape = {list(source.shape)}")
        if op == "index_reduce" and not _WARNED_INDEX_REDUCE[0]:  # (torch's once per process)
            _WARNED_INDEX_REDUCE[0] = True
            warnings.warn("index_reduce() is in beta and the API may change at any time.", UserWarning, stacklevel=4)
    size = self.shape[d] if self.dim() else 1
    lo = -size if op == "index_fill" else 0  # (only index_fill counts negative indices from the end)
    if n and (index.min().item() < lo or index.max().item() >= size):
        bad = index.max().item() if index.max().item() >= size else index.min().item()
        if op == "index_fill":
            raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {size}")
        if op == "index_copy":
            raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {d} with size {size}")
        if op == "index_add" and self.dim() > 1:
            raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")
        raise IndexError("index out of range in self")  # (torch's words alone)
    return d, index.reshape(-1)


def _key(self, d, index):
    return (slice(None),) * d + (index,)


def index_add(input, dim, index, source, *, alpha=1):
    d, index = _dim_index(input, dim, index, "index_add", source)
    if alpha != 1:
        source = source * alpha
    if input.dim() == 0:  # (a 0-d source)
        return _ops.INDEXING_OPS["index_add"].apply(input.reshape(1), 0, index, source.reshape(1)).reshape(())
    return _ops.INDEXING_OPS["index_add"].apply(input, d, index, source)


def index_copy(input, dim, index, source):
    d, index = _dim_index(input, dim, index, "index_copy", source)
    out = input.clone()
    if input.dim() == 0:  # (the last of source's elements)
        out = out.reshape(1)
        out[index] = source.reshape(-1)
        return out.reshape(())
    out[_key(input, d, index)] = source
    return _named(out, "IndexCopyBackward0")


def index_fill(input, dim, index, value):
    d, index = _dim_index(input, dim, index, "index_fill", value=value)
    if isinstance(value, Tensor) and value.dtype is not input.dtype:  # (a 0-d value of any dtype, cast)
        value = value.to(input.dtype)
    out = input.clone()
    if input.dim() == 0:
        out = out.reshape(1)
        out[index] = value
        return out.reshape(())
    out[_key(input, d, index)] = value
    return _named(out, "IndexFillBackward1" if isinstance(value, Tensor) else "IndexFillBackward0")


def index_put(input, indices, values, accumulate=False):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    key = tuple(indices)
    if not accumulate:
        out = input.clone()
        out[key] = values
        return out
    if any(i.dtype is _dtype.bool for i in key):  # masks as their coordinates
        key = tuple(c for i in key for c in (i.nonzero(as_tuple=True) if i.dtype is _dtype.bool else (i,)))
    shape = list(input[key].shape) if key else list(input.shape)
    if not isinstance(values, Tensor):
        values = full([], values, dtype=input.dtype, device=input.device)
    if values.dtype is not input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{input.dtype._legacy[:-6]} for the destination and {values.dtype._legacy[:-6]} for the "
                           "source.")
    return _ops.INDEXING_OPS["index_put"].apply(input, 0, list(key), values.expand(shape), True)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """source's slices reduced into input's slices index[i] along dim: scatter_reduce with the index
    broadcast over source."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    d, index = _dim_index(input, dim, index, "index_reduce", source)
    if input.dim() == 0:  # (a 0-d source)
        return index_reduce(input.reshape(1), 0, index, source.reshape(1), reduce,
                            include_self=include_self).reshape(())
    shape = [1] * source.dim()
    shape[d] = index.numel()
    return scatter_reduce(input, d, index.to(_dtype.int64).reshape(shape).expand(source.shape), source, reduce,
                          include_self=include_self)


def _check_flat_index(input, index):
    n = input.numel()
    if index.numel() and (index.max().item() >= n or index.min().item() < -n):
        bad = index.max().item() if index.max().item() >= n else index.min().item()
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")


def put(input, index, source, accumulate=False):
    """input as a flat vector with source written (or added) at index."""
    _check_flat_index(input, index)
    flat = index_put(input.reshape(-1), (index.reshape(-1),), source.reshape(-1), accumulate)
    return flat.view(input.shape)


def take(input, index):
    """input as a flat vector, indexed (negative indices count from the end)."""
    _check_flat_index(input, index)
    return input.reshape(-1)[index]


def masked_scatter(input, mask, source):
    """input with its masked positions taking source's first elements, in order."""
    if mask.dtype is not _dtype.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype._legacy[:-6]}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got "
                           f"{input.dtype._legacy[:-6]} and {source.dtype._legacy[:-6]}")
    out = input.clone() if list(mask.shape) == list(input.shape) else input.expand(
        _broadcast_shape(input.shape, mask.shape)).clone()
    mask = mask.expand(out.shape) if list(mask.shape) != list(out.shape) else mask
    count = int(mask.sum().item())
    if count > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out[mask] = source.reshape(-1)[:count]
    return _named(out, "MaskedScatterBackward0")


def _inplace(fn):
    def method(self, *args, **kwargs):
        return _write(self, fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


_SHARED = ("scatter", "scatter_reduce", "index_add", "index_copy", "index_fill", "index_put", "take", "masked_scatter",
           "index_reduce", "put")
# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {**{n: globals()[n] for n in _SHARED}, "scatter_": scatter_, "scatter_reduce_": scatter_reduce_,
           "index_add_": _inplace(index_add), "index_copy_": _inplace(index_copy),
           "index_fill_": _inplace(index_fill), "index_put_": _inplace(index_put),
           "masked_scatter_": _inplace(masked_scatter), "index_reduce_": _inplace(index_reduce),
           "put_": _inplace(put)}
FUNCTIONS = {n: globals()[n] for n in _SHARED}
