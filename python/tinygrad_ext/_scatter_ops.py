"""torch's scatter and index_* ops: scatter/scatter_ (src or value, reduce=), scatter_reduce (sum,
prod, mean, amax, amin; include_self), index_add, index_copy, index_fill, index_put, each with its
in-place form. The core writes (_C.scatter_reduce_, index_put_); the gradients are gathers and masks."""
import numbers

from . import _C, _dtype, _ops
from .autograd.grad_mode import no_grad
from .tensor import Tensor, _broadcast_shape, _check_inplace, _needs_grad, _wrap, full, zeros

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _src_tensor(self, index, src, op):
    """src cut to index's shape (torch reads only that corner), or a number broadcast to it."""
    if isinstance(src, Tensor):
        if src.dtype is not self.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
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
class Scatter(_ops.Op):
    """out = a with src written at index along dim (the last write wins for repeated indices)."""

    @staticmethod
    def forward(ctx, a, dim, index, src):
        ctx.dim, ctx.index = dim, index
        out = _C.clone(a._impl)
        _C.scatter_reduce_(out, dim, index._impl, src._impl, "assign")
        return out

    @staticmethod
    def backward(ctx, g):
        ga = g.scatter(ctx.dim, ctx.index, 0) if ctx.needs_input_grad[0] else None
        gs = g.gather(ctx.dim, ctx.index) if ctx.needs_input_grad[3] else None
        return ga, None, None, gs


def scatter(input, dim, index, src=None, *, reduce=None, value=None):
    if src is None:
        src = value
    index, src = _nonempty_dim(index), _nonempty_dim(src)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        return scatter_reduce(input, dim, index, _src_tensor(input, index, src, "scatter"),
                              "sum" if reduce == "add" else "prod")
    src = _src_tensor(input, index, src, "scatter")
    if _needs_grad(input, src):
        return Scatter.apply(input, dim, index, src)
    return _wrap(Scatter.forward(_ops._NoCtx(), input, dim, index, src))


def scatter_(self, dim, index, src=None, *, reduce=None, value=None):
    if src is None:
        src = value
    index, src = _nonempty_dim(index), _nonempty_dim(src)
    if reduce is None and not _needs_grad(self, src):
        _C.scatter_reduce_(self._impl, dim, index._impl, _src_tensor(self, index, src, "scatter_")._impl, "assign")
        return self
    return _write(self, scatter(self, dim, index, src, reduce=reduce))


# -------------------------------------------------------------- scatter_reduce
def _hit(self, dim, index):
    """Where some index points (bool, self's shape)."""
    mark = full(list(index.shape), True, dtype=_dtype.bool, device=self.device)
    return zeros(list(self.shape), dtype=_dtype.bool, device=self.device).scatter_(dim, index, mark)


def _combine(a, dim, index, src, reduce, include_self):
    """The scatter_reduce forward on impls; returns (out, count) (count: contributors, for mean)."""
    out = _C.clone(a._impl)
    if not include_self:  # scattered positions start from the reduction's identity (amax/amin: a member)
        start = src._impl if reduce in ("amax", "amin") else _C.full(list(src.shape), 1 if reduce == "prod" else 0,
                                                                       a._impl.dtype, *a.device._code)
        _C.scatter_reduce_(out, dim, index._impl, start, "assign")
    _C.scatter_reduce_(out, dim, index._impl, src._impl, "sum" if reduce == "mean" else reduce)
    count = None
    if reduce == "mean":
        count = _C.full(list(a.shape), 1 if include_self else 0, a._impl.dtype, *a.device._code)
        _C.scatter_reduce_(count, dim, index._impl, _C.full(list(src.shape), 1, a._impl.dtype, *a.device._code), "sum")
        count = _C.clamp(count, 1, None)  # untouched positions keep self
        out = _C.div(out, count) if a.dtype.is_floating_point else _C.floor_divide(out, count)
    return out, count


class ScatterReduce(_ops.Op):
    @staticmethod
    def forward(ctx, a, dim, index, src, reduce, include_self):
        out, count = _combine(a, dim, index, src, reduce, include_self)
        ctx.args, ctx.a, ctx.src, ctx.count, ctx.out = (dim, index, reduce, include_self), a, src, count, out
        return out

    @staticmethod
    def backward(ctx, g):
        dim, index, reduce, include_self = ctx.args
        a, src = ctx.a.detach(), ctx.src.detach()
        # where self takes part in each output: everywhere with include_self, else where nothing was scattered
        self_in = None if include_self else ~_hit(a, dim, index)
        if reduce in ("sum", "mean"):
            if reduce == "mean":
                g = g / _wrap(ctx.count)
            ga = g if self_in is None else g * self_in
            return ga, None, None, g.gather(dim, index), None, None
        out = _wrap(ctx.out)
        with no_grad():
            if reduce == "prod":
                ga, gs = _prod_grads(a, dim, index, src, out, self_in)
            else:  # amax/amin: the gradient is shared evenly by the members equal to the result
                self_tie = (a == out) if self_in is None else (a == out) & self_in
                src_tie = src == out.gather(dim, index)
                n = self_tie.to(g.dtype).scatter_add(dim, index, src_tie.to(g.dtype))
                ga, gs = self_tie / n, src_tie / n.gather(dim, index)
        return g * ga, None, None, g.gather(dim, index) * gs, None, None


def _prod_grads(a, dim, index, src, out, self_in):
    """d out / d member = the product of the output's other members: out / member where the output has
    no zero member, the product of the nonzero members for its only zero, else 0 (torch's rule)."""
    self_part = a if self_in is None else a.masked_fill(~self_in, 1)
    zeros_at = (self_part == 0).to(_dtype.int64).scatter_add(dim, index, (src == 0).to(_dtype.int64))
    nonzero_prod = _wrap(_combine(self_part.masked_fill(self_part == 0, 1), dim, index, src.masked_fill(src == 0, 1),
                                  "prod", True)[0])

    def grad(member, z, p, o):
        return ((o / member.masked_fill(member == 0, 1)).masked_fill(z != 0, 0)
                + p.masked_fill(~((z == 1) & (member == 0)), 0))

    ga = grad(self_part, zeros_at, nonzero_prod, out)
    if self_in is not None:
        ga = ga * self_in
    gs = grad(src, zeros_at.gather(dim, index), nonzero_prod.gather(dim, index), out.gather(dim, index))
    return ga, gs


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    src = _src_tensor(input, index, src, "scatter_reduce")
    if _needs_grad(input, src):
        return ScatterReduce.apply(input, dim, index, src, reduce, include_self)
    return _wrap(_combine(input, dim, index, src, reduce, include_self)[0])


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    return _write(self, scatter_reduce(self, dim, index, src, reduce, include_self=include_self))


# -------------------------------------------------------------------- index_*
def _dim_index(self, dim, index, op):
    if index.dim() > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    if index.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
    d = _C.wrap_dim(dim, self.dim()) if self.dim() else 0
    n = self.shape[d] if self.dim() else 1
    if index.numel() and (index.min().item() < -n or index.max().item() >= n):
        bad = index.max().item() if index.max().item() >= n else index.min().item()
        raise IndexError(f"index out of range in self: index {bad} is out of bounds for dimension {d} with size {n}")
    return d, index.reshape(-1)


def _check_source(self, d, index, source, op):
    want = list(self.shape)
    if want:
        want[d] = index.numel()
    if list(source.shape) != want and not (source.numel() == index.numel() and self.dim() <= 1):
        raise RuntimeError(f"{op}(): Source/destination tensor must have same slice shapes. Destination slice shape: "
                           f"{list(self.shape)} at dimension {d} and source slice shape: {list(source.shape)} at "
                           f"dimension {d}.")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"{op}(): self ({self.dtype._legacy[:-6]}) and source ({source.dtype._legacy[:-6]}) must "
                           "have the same scalar type")


def _key(self, d, index):
    return (slice(None),) * d + (index,) if self.dim() else (index,)


def index_add(input, dim, index, source, *, alpha=1):
    d, index = _dim_index(input, dim, index, "index_add")
    _check_source(input, d, index, source, "index_add")
    if alpha != 1:
        source = source * alpha
    flat = input.reshape(1) if input.dim() == 0 else input
    added = _ops.IndexPutAccumulate.apply(source.reshape(-1) if input.dim() == 0 else source, flat.shape, d, [index])
    return (flat + added).reshape(input.shape)


def index_copy(input, dim, index, source):
    d, index = _dim_index(input, dim, index, "index_copy")
    _check_source(input, d, index, source, "index_copy")
    out = input.clone()
    out[_key(input, d, index)] = source
    return out


def index_fill(input, dim, index, value):
    d, index = _dim_index(input, dim, index, "index_fill")
    if isinstance(value, Tensor) and value.dim():
        raise IndexError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with {value.dim()} "
                         "dimension(s).")
    out = input.clone()
    out[_key(input, d, index)] = value
    return out


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
    return input + _ops.IndexPutAccumulate.apply(values.expand(shape), input.shape, 0, list(key))


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """source's slices reduced into input's slices index[i] along dim: scatter_reduce with the index
    broadcast over source."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    d, index = _dim_index(input, dim, index, "index_reduce")
    _check_source(input, d, index, source, "index_reduce")
    shape = [1] * source.dim()
    shape[d] = index.numel()
    return scatter_reduce(input, d, index.to(_dtype.int64).reshape(shape).expand(source.shape), source, reduce,
                          include_self=include_self)


def put(input, index, source, accumulate=False):
    """input as a flat vector with source written (or added) at index."""
    flat = index_put(input.reshape(-1), (index.reshape(-1),), source.reshape(-1), accumulate)
    return flat.view(input.shape)


def take(input, index):
    """input as a flat vector, indexed (negative indices count from the end)."""
    n = input.numel()
    if index.numel() and (index.max().item() >= n or index.min().item() < -n):
        bad = index.max().item() if index.max().item() >= n else index.min().item()
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
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
        raise RuntimeError("masked_scatter: expected source to have at least as many elements as ones in mask")
    out[mask] = source.reshape(-1)[:count]
    return out


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
