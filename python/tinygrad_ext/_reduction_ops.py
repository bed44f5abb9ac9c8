"""torch's sorting ops and the reductions and scans beyond sum/prod/max: the kernels of the registry's selections
(_registry.SELECTIONS: sort, topk, kthvalue, median, mode, ..., the C++ kernels of csrc/cpu/sort.cpp) and their
generated methods, unique, bincount, histc, logsumexp, var_mean/std_mean, aminmax, count_nonzero (the scans are the
registry's SCANS)."""
import math

from . import _C, _dtype, _ops, _registry, return_types
from .return_types import _return_type
from .tensor import (Tensor, _dims_arg, _named, _needs_grad, _wrap, arange, cat, full, maximum, minimum, where,
                     zeros)


aminmax_type = _return_type("aminmax", ("min", "max"))
_BOOL = _dtype.bool.id


def _reduced_size(input, dim, op):
    d = _C.wrap_dim(dim, input.dim())
    n = input.shape[d] if input.dim() else 1
    if n == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    return d, n


# ------------------------------------------------- the registry's selections (_registry.SELECTIONS)
# Their kernels: (values, indices) as impls, without a graph; the generated methods below add the node.
def _kth(input, k, dim, keepdim, stable=True):
    """The k-th smallest (1-based) along dim (see csrc/cpu/sort.h): stable, the k-th in (value, index) order
    (median's pick, as torch's); else the index torch's kthvalue quickselect gives among equal values."""
    values, indices = _C.kthvalue(input._impl, k, dim, stable)
    if input.dim() and not keepdim:
        values, indices = _C.select(values, dim, 0), _C.select(indices, dim, 0)
    return values, indices


def _picked(input, d, indices, keepdim):
    """input's values at the indices of a reduction over dim d."""
    x = input.detach()
    if not x.dim():
        return x.clone()._impl
    out = x.gather(d, indices if keepdim else indices.unsqueeze(d))
    return (out if keepdim else out.squeeze(d))._impl


def max_dim(input, dim, keepdim):
    return _C.max_dim(input._impl, dim, keepdim, True)


def min_dim(input, dim, keepdim):
    return _C.max_dim(input._impl, dim, keepdim, False)


def _extreme(input, other, is_max):
    """max()/min() without a dim (amax's value, torch's evenly distributed gradient), or of two tensors."""
    if isinstance(other, Tensor):
        return (maximum if is_max else minimum)(input, other)
    if _needs_grad(input):
        return _ops.REDUCTION_OPS["max_all" if is_max else "min_all"].apply(input, [], False, None)
    return _wrap((_C.amax if is_max else _C.amin)(input._impl, [], False, None, "max" if is_max else "min"))


def max_whole(input, other, keepdim):
    return _extreme(input, other, True)


def min_whole(input, other, keepdim):
    return _extreme(input, other, False)


def _no_bool(input, kernel):
    """torch's median and kthvalue kernels have no bool instance."""
    if input.dtype is _dtype.bool:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def kthvalue_dim(input, k, dim, keepdim):
    _no_bool(input, "kthvalue_cpu")
    d, n = _reduced_size(input, dim, "kthvalue")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _kth(input, k, d, keepdim, stable=False)


def _empty_pick(input, d, keepdim):
    shape = list(input.shape)
    if keepdim:
        shape[d] = 1
    else:
        del shape[d]
    return (zeros(shape, dtype=input.dtype, device=input.device)._impl,
            zeros(shape, dtype=_dtype.int64, device=input.device)._impl)


def median_dim(input, dim, keepdim):
    """The lower median ((n - 1) // 2 in sorted order); NaN where the slice holds a NaN, as torch's."""
    _no_bool(input, "median_out")
    d, n = _reduced_size(input, dim, "median")
    if input.numel() == 0:
        return _empty_pick(input, d, keepdim)
    indices = _wrap(_kth(input, (n - 1) // 2 + 1, d, True)[1])
    if input.dtype.is_floating_point and input.dim():
        nan = input.detach().isnan()
        first_nan = nan.to(_dtype.int32).argmax(d, keepdim=True)
        indices = where(nan.any(d, keepdim=True), first_nan, indices)
    if not keepdim and input.dim():
        indices = indices.squeeze(d)
    return _picked(input, d, indices, keepdim), indices._impl


class _EvenlyDistributed(_ops.Op):
    """median()/nanmedian() of everything as torch's: its gradient shared by the elements equal to the result."""

    @staticmethod
    def forward(ctx, input, result):
        ctx.save_for_backward(input, result)
        return _C.clone(result._impl)

    @staticmethod
    def backward(ctx, grad):
        input, result = ctx.saved_tensors
        return _ops.evenly_distribute_backward(grad, input, result), None


def median_whole(input, dim, keepdim):
    _no_bool(input, "median_cpu")
    flat = input.reshape(-1)
    if flat.numel() == 0:
        return full([], math.nan, dtype=input.dtype, device=input.device)
    if not _needs_grad(input):
        return flat.median(0).values
    return _named(_EvenlyDistributed.apply(input, flat.detach().median(0).values), "MedianBackward0")


def nanmedian_dim(input, dim, keepdim):
    """The lower median of the non-NaN values (NaN where a slice has none)."""
    if not input.dtype.is_floating_point:
        return median_dim(input, dim, keepdim)
    d, n = _reduced_size(input, dim, "nanmedian")
    if not input.dim():
        return input.detach().clone()._impl, zeros([], dtype=_dtype.int64, device=input.device)._impl
    values, order = (_wrap(t) for t in _C.sort(input._impl, d, False))
    count = (~values.isnan()).sum(d, keepdim=True)
    indices = order.gather(d, (count - 1).clamp(min=0) // 2)
    if not keepdim:
        indices = indices.squeeze(d)
    return _picked(input, d, indices, keepdim), indices._impl


def nanmedian_whole(input, dim, keepdim):
    _no_bool(input, "median_cpu")
    flat = input.reshape(-1)
    if not flat.numel():
        return full([], math.nan, dtype=input.dtype, device=input.device)
    if not _needs_grad(input):
        return flat.nanmedian(0).values
    return _named(_EvenlyDistributed.apply(input, flat.detach().nanmedian(0).values), "NanmedianBackward0")


def mode_dim(input, dim, keepdim):
    return _C.mode(input._impl, dim, keepdim)


def sort_dim(input, dim, descending, stable):
    """Equal values keep their index order when stable, else end in the order torch's CPU sort leaves them (the
    core reproduces it)."""
    return _C.sort(input._impl, dim, descending, bool(stable))


def topk_dim(input, k, dim, largest, sorted):  # torch's argument name
    impl = input._impl
    if impl.dtype == _BOOL and impl.device_type == 0:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    return _C.topk(impl, k, dim, largest, sorted)


def _selection_code(e, variant, x):
    """The body of a registry selection's Tensor.<name> (its input `x` = "self") and torch.<name> (x = "input"), or of
    its variant's (one field of its result: argsort's indices straight from the kernel, msort's values through
    Tensor.sort): lines, and the names they read. A selection runs its kernel, and with autograd the entry's op over
    the values; its methods and functions are generated as one function each, as every call takes this path."""
    kernel = globals()[e.kernel]
    if variant is not None:
        _, _, call, field = variant
        body = f"_wrap(kernel({x}, {call})[1])" if field == "indices" else f"base({x}, {call}).{field}"
        return [f"return {body}"], {"kernel": kernel, "base": _SELECTION[e.name]}
    keepdim = "keepdim" if "keepdim" in e.args else "True"
    whole = ["if dim is None or isinstance(dim, Tensor):", f"    return whole({x}, dim, {keepdim})"] * bool(e.whole)
    return whole + [
        f"values, indices = kernel({x}, {', '.join(e.args)})",
        f"if _needs_grad({x}):",
        f"    return result_type(op.apply({x}, values, indices, dim, {keepdim}, {e.overload}), _wrap(indices))",
        "return result_type(_wrap(values), _wrap(indices))"], {
        "kernel": kernel, "whole": globals().get(e.whole), "op": _ops.SELECTION_OPS[e.name],
        "result_type": getattr(return_types, e.name)}


def _selection_method(e, variant=None):
    """Tensor.<name> of a registry selection or of one of its variants."""
    name, signature = (e.name, e.signature) if variant is None else variant[:2]
    doc = e.doc(f"Tensor.{name}") if variant is None else e.variant_doc(variant, f"Tensor.{name}")
    return _generated(name, ", ".join(p for p in ("self", signature) if p), *_selection_code(e, variant, "self"), doc,
                      f"Tensor.{name}")


def _generated(name, params, lines, names, doc, qualname):
    """The function `name(<params>)` running `lines` over `names` and this module's globals (the registry's
    generated methods and functions)."""
    scope = {**globals(), **names}
    exec(compile("\n    ".join([f"def {name}({params}):", *lines]), f"<op registry: {qualname}>", "exec"), scope)  # noqa: S102
    fn = scope[name]
    fn.__qualname__, fn.__doc__ = qualname, doc
    return fn


def _runs(values, change, order, shape, return_inverse, return_counts):
    """The runs of equal neighbours along dim 0 of values (a run starts where `change`, of n - 1, is True):
    [each run's value, each input element's run (through `order`, the sort permutation, when values
    were sorted), each run's length], the last two when asked."""
    n = values.shape[0]
    starts = cat([full([min(n, 1)], True, dtype=_dtype.bool, device=values.device), change])
    out = [values[starts]]
    if not (return_inverse or return_counts):
        return out
    group = starts.to(_dtype.int64).cumsum(0) - 1
    if return_inverse:
        inverse = group
        if order is not None:
            inverse = zeros(n, dtype=_dtype.int64, device=values.device)
            inverse[order] = group
        out.append(inverse.reshape(shape))
    if return_counts:
        out.append(zeros(out[0].shape[0], dtype=_dtype.int64, device=values.device).scatter_add(
            0, group, full([n], 1, dtype=_dtype.int64, device=values.device)))
    return out


def _along(input, dim, runs_of):
    """runs_of(slices) for the slices along dim as rows of one matrix; the values go back in shape."""
    d = _C.wrap_dim(dim, input.dim())
    moved = input.movedim(d, 0)
    out = runs_of(moved.reshape(moved.shape[0], -1))
    out[0] = out[0].reshape([out[0].shape[0]] + list(moved.shape[1:])).movedim(0, d)
    return out


def _row_change(rows):
    return (rows[1:] != rows[:-1]).any(1) if rows.shape[1] else full([max(rows.shape[0] - 1, 0)], False,
                                                                     dtype=_dtype.bool, device=rows.device)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Sorted unique values (or slices along dim), from one sort: a new value starts wherever the sorted
    sequence changes. Always sorted (torch leaves the order of sorted=False open)."""
    if dim is None:
        values, order = (_wrap(t) for t in _C.sort(input.reshape(-1)._impl, 0, False))
        out = _runs(values, values[1:] != values[:-1], order, input.shape, return_inverse, return_counts)
    else:
        def runs_of(rows):
            order = arange(rows.shape[0], device=input.device)
            for c in reversed(range(rows.shape[1])):  # lexicographic: stable sorts from the last column
                order = order[rows[order, c].argsort(stable=True)]
            values = rows[order]
            return _runs(values, _row_change(values), order, [rows.shape[0]], return_inverse, return_counts)
        out = _along(input, dim, runs_of)
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input, weights=None, minlength=0):
    if input.dtype.is_floating_point or input.dtype is _dtype.bool:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{input.dtype._legacy[:-6]}'")
    if input.dim() != 1 or (input.numel() and input.min().item() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and weights.shape != input.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    size = max(int(input.max().item()) + 1 if input.numel() else 0, minlength)
    if weights is None:
        counts = full(input.shape, 1, dtype=_dtype.int64, device=input.device)
    else:  # float32 weights count in float32, any other in float64 (torch's)
        counts = weights if weights.dtype is _dtype.float32 else weights.to(_dtype.float64)
    return zeros(size, dtype=counts.dtype, device=input.device).scatter_add(0, input.to(_dtype.int64), counts)


def histc(input, bins=100, min=0, max=0):  # torch's argument names
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{input.dtype._legacy[:-6]}'")
    if bins <= 0:  # (torch's words: histc checks as histogram does)
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    x = input.detach().reshape(-1)
    lo, hi = float(min), float(max)
    from_data = lo == hi and x.numel()
    if from_data:
        lo, hi = x.min().item(), x.max().item()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        # torch prints the doubles as C++ streams do (6 significant digits; a NaN of the data's min/max as -nan)
        def text(v):
            return "-nan" if from_data and math.isnan(v) else f"{v:g}"
        raise RuntimeError(f"torch.histc: range of [{text(lo)}, {text(hi)}] is not finite")
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    inside = (x >= lo) & (x <= hi)
    x = x[inside]
    index = ((x - lo) * (bins / (hi - lo))).floor().to(_dtype.int64).clamp(0, bins - 1)
    return zeros(bins, dtype=input.dtype, device=input.device).scatter_add(0, index, full(x.shape, 1,
                                                                                         dtype=input.dtype,
                                                                                         device=input.device))


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Each run of equal consecutive values (or slices along dim) once."""
    if dim is None:
        values = input.reshape(-1)
        out = _runs(values, values[1:] != values[:-1], None, input.shape, return_inverse, return_counts)
    else:
        out = _along(input, dim, lambda rows: _runs(rows, _row_change(rows), None, [rows.shape[0]], return_inverse,
                                                    return_counts))
    return out[0] if len(out) == 1 else tuple(out)


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    """Quantiles from one sort along dim (NaN sorts last): the ranks q * (count - 1), count the slice's
    size or (nan*) its non-NaN count, interpolated as torch's (whose errors name quantile for nanquantile too)."""
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor):
        if q.dim() > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        if q.numel() and (q.min().item() < 0 or q.max().item() > 1):
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        qs = q.reshape(-1)
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
        qs = full([1], float(q), dtype=input.dtype, device=input.device)
    x, d = (input.reshape(-1), 0) if dim is None else (input, _C.wrap_dim(dim, input.dim()))
    s = x.sort(d).values.movedim(d, -1) if x.dim() else x.reshape(1)
    n = s.shape[-1]
    count = (~s.isnan()).sum(-1, keepdim=True) if ignore_nan else full([1] * s.dim(), n, dtype=_dtype.int64,
                                                                       device=input.device)
    rank = (count - 1).clamp(min=0).to(input.dtype) * qs  # (..., Q)
    lo, hi = rank.floor(), rank.ceil()
    if interpolation == "nearest":
        lo = hi = rank.round()
    elif interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    v_lo = s.gather(-1, lo.to(_dtype.int64).expand(s.shape[:-1] + lo.shape[-1:]))
    v_hi = s.gather(-1, hi.to(_dtype.int64).expand(s.shape[:-1] + hi.shape[-1:]))
    weight = 0.5 if interpolation == "midpoint" else rank - lo
    out = v_lo + (v_hi - v_lo) * weight if interpolation in ("linear", "midpoint") else v_lo
    undefined = (count == 0) if ignore_nan else s[..., -1:].isnan()  # all NaN / any NaN
    out = out.masked_fill(undefined, math.nan)
    out = out.movedim(-1, 0)  # q's dim first, as torch's
    if keepdim:
        out = out.reshape([out.shape[0]] + [1] * input.dim()) if dim is None else out.unsqueeze(d + 1)
    return out[0] if not isinstance(q, Tensor) or q.dim() == 0 else out


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile(input, q, dim, keepdim, interpolation, True)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Insertion points of input's values into the sorted last dim of sorted_sequence (binary searches in
    the core); both are taken in their promoted dtype."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    seq = sorted_sequence if sorter is None else sorted_sequence.gather(-1, sorter)
    values = full([], input, device=seq.device) if not isinstance(input, Tensor) else input  # (3.5 stays 3.5)
    if values.dtype is not seq.dtype:
        common = _dtype.BY_ID[_C.promote_types(seq.dtype.id, values.dtype.id)]
        seq, values = seq.to(common), values.to(common)
    out = _wrap(_C.searchsorted(seq._impl, values._impl, right))
    return out.to(_dtype.int32) if out_int32 else out


def bucketize(input, boundaries, *, out_int32=False, right=False):
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ---------------------------------------------------------------- reductions
def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the (detached) max, 0 where the
    max is infinite: no overflow, and -inf rows stay -inf."""
    x = input if input.dtype.is_floating_point else input.to(_dtype.get_default_dtype())
    dims = _dims_arg(dim)
    if x.numel() == 0:
        return x.exp().sum(dims, keepdim).log()
    m = x.detach().amax(dims or [], keepdim=True)
    m = m.masked_fill(m.isinf(), 0)
    out = (x - m).exp().sum(dims, keepdim=True).log() + m
    if not keepdim:
        out = out.squeeze(tuple(range(out.dim())) if not dims else tuple(dims)) if out.dim() else out
    return _named(out, "LogsumexpBackward0")


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    x = input if dtype is None else input.to(dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{x.dtype._legacy[:-6]}")
    count = (~x.isnan()).sum(_dims_arg(dim), keepdim)  # (first: torch checks the dims as sum does)
    return x.nansum(dim, keepdim) / count


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (input.var(dim, unbiased, keepdim, correction=correction), input.mean(dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (input.std(dim, unbiased, keepdim, correction=correction), input.mean(dim, keepdim))


def aminmax(input, *, dim=None, keepdim=False):
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
        if keepdim:
            return aminmax_type(input.amin(keepdim=True).reshape([1] * input.dim()),
                                input.amax(keepdim=True).reshape([1] * input.dim()))
        return aminmax_type(input.amin(), input.amax())
    return aminmax_type(input.amin(dim, keepdim), input.amax(dim, keepdim))


def count_nonzero(input, dim=None):
    return (input != 0).sum(_dims_arg(dim))


_SHARED = ("unique", "bincount", "histc", "logsumexp", "aminmax", "count_nonzero", "unique_consecutive", "quantile",
           "nanquantile", "nanmean")
_SELECTION = {e.name: _selection_method(e) for e in _registry.SELECTIONS}
# Tensor.<name> (installed by __init__) and torch.<name> (the selections': __init__'s, for out=)
METHODS = ({n: globals()[n] for n in _SHARED} | _SELECTION
           | {v[0]: _selection_method(e, v) for e in _registry.SELECTIONS for v in e.variants})
FUNCTIONS = {n: globals()[n] for n in _SHARED + ("var_mean", "std_mean", "searchsorted", "bucketize")}
