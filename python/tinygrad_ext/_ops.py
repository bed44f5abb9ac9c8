"""THE op table: one class per differentiable op, forward (calls _C) beside
backward (written with Tensor ops, so create_graph=True gives higher-order
gradients). When no higher-order graph is being built (grad mode off during
backward) backward formulas may use the fused gradient kernels instead."""
import math
import re
import traceback

import numpy as np

from . import _C, _dtype, _registry, return_types
from . import _memory_format as _mf
from ._device import CPU, device
from ._tensor_base import Tensor, _inference_extra, _new, _wrap
from .autograd.anomaly_mode import _enabled as _anomaly
from .autograd.function import (_FREED, Function, _edge, _number_saved_outputs, _SavedOutput, _unbroadcast,
                                 _version_error, _view_of)
from .autograd.grad_mode import _inference, _state, no_grad

_FLOAT_IDS = frozenset(i for i, d in enumerate(_dtype.BY_ID) if d is not None and d.is_floating_point)
_NO_EDGE = (None, 0)
_NEEDS_FIRST = (True, False, False, False)


def _impl(x):
    return x._impl if isinstance(x, Tensor) else x


class Op(Function):
    """Internal ops: forward gets Tensors/Python values and returns _C impls."""

    @classmethod
    def apply(cls, *args):
        ctx = _new(cls)
        out = cls.forward(ctx, *args)
        if type(out) is tuple:
            outs = tuple([_wrap(o) for o in out])
        else:
            outs = _wrap(out)
        if not _state[0]:
            return outs
        needs, edges, any_needed, nondiff = [], [], False, cls._nondiff_args
        for i, a in enumerate(args):  # one pass: needs_input_grad and the edges into the inputs' nodes
            if isinstance(a, Tensor) and a._requires_grad:
                any_needed = True
                needs.append(True)
                fn = a.grad_fn
                edges.append((fn, a._output_nr) if fn is not None else _edge(a))
            else:
                needs.append(False)
                edges.append(_NO_EDGE if isinstance(a, Tensor) else None)
        if not any_needed:
            return outs
        ctx.needs_input_grad = tuple(needs)
        if None in edges or nondiff:  # torch's edges: the differentiable Tensor arguments only
            ctx._edge_pos = pos = tuple([i for i, e in enumerate(edges) if e is not None and i not in nondiff])
            edges = [edges[i] for i in pos]
        ctx.next_functions = tuple(edges)
        if _anomaly[0]:
            ctx._stack = traceback.format_stack()[:-2]
        if type(outs) is tuple:
            ctx._n_out = len(outs)
            for i, o in enumerate(outs):
                if o._impl.dtype in _FLOAT_IDS and i not in cls._non_differentiable_outputs:
                    o._requires_grad, o.grad_fn, o._output_nr = True, ctx, i
            if ctx._saved:
                _number_saved_outputs(ctx, outs)
        elif outs._impl.dtype in _FLOAT_IDS:
            outs._requires_grad, outs.grad_fn = True, ctx
        return outs

    def _backward(self, grads):
        r = type(self).backward(self, *grads)
        r = r if type(r) is tuple else (r,)
        pos = self._edge_pos  # backward gives one gradient per forward argument: keep the edges'
        return r if pos is None else tuple([r[i] if i < len(r) else None for i in pos])

    _edge_pos = None  # the arguments with an edge, where not all of them (set by apply)
    _nondiff_args = ()  # Tensor arguments without an edge in torch's graph (where's condition, an index)
    _non_differentiable_outputs = ()
    _materialize_grads = False
    _trusted_grads = True   # built-in backward formulas return fresh tensors or the incoming gradient
    _saves_numbers = True   # save_for_backward also keeps an operand that was a Python number
    _native = True
    _reads_inputs = True    # whether backward reads the operands' values (in-place variants then compute on a copy)

    _backward_name = None  # torch's node name where it differs from the class name + "Backward0"

    def name(self):
        return self._backward_name or type(self).__name__ + "Backward0"


def _saved_attribute(ctx, name):
    """torch's node attributes _saved_self / _saved_other / _saved_result (a registry op's saved operands and
    output, where its formulas read them; an operand not saved reads None, as torch's); else AttributeError."""
    if name not in ("_saved_self", "_saved_other", "_saved_result") or (
            name != "_saved_result" and not type(ctx)._reads_inputs):
        return Function.__getattr__(ctx, name)
    if ctx.__dict__.get("_freed"):
        raise RuntimeError(_FREED)
    saved, versions = ctx.__dict__.get("_saved") or (), ctx.__dict__.get("_saved_versions") or ()
    k = {"_saved_self": 0, "_saved_other": 1}.get(name)
    if k is None:  # _saved_result: the output, where a formula reads it
        if not type(ctx)._uses_result or len(saved) < (3 if isinstance(ctx, _Binary) else 2):
            return Function.__getattr__(ctx, name)
        return ctx.saved_tensors[-1]
    if isinstance(ctx, _Unary) and k == 1:
        return Function.__getattr__(ctx, name)
    if k >= len(saved) or (isinstance(ctx, _Unary) and versions[k] is None):
        return Function.__getattr__(ctx, name)
    if isinstance(saved[k], Tensor):
        return ctx.saved_tensors[k] if versions[k] is not None else None
    return saved[k]  # (a number operand: torch keeps it as a scalar attribute)


class _Registered(Op):
    """The autograd op of a registry entry (made by _registered), with apply specialized for its operands as
    the hot path of graph recording. Class attributes: _cfn, the kernel; _grads, the entry's formulas
    (grad, self[, other], result, *params); _reads_inputs, whether they read the operands (otherwise a binary
    op keeps only the shapes of those that need a gradient); _uses_result, whether they read the output (a binary
    op: per operand, and the output is saved only when an operand whose formula reads it needs a gradient, as torch's
    pow(tensor, number) saves no result).
    Both save as save_for_backward does (inlined: this is the hot path), the output as a _SavedOutput.
    An output takes the node unconditionally: an operand that requires grad is floating, and the families
    with formulas keep a floating result."""

    _uses_result = False

    def __getattr__(self, name):  # (only reached when normal lookup fails)
        return _saved_attribute(self, name)


class _Unary(_Registered):
    """_kernel: the entry names a hand-written kernel, called as _cfn(impl, *params); _reads_inputs False: the
    formulas read only self.dtype/self.shape, kept as a _Meta instead of saving the input."""
    _fused = None         # the formula as one kernel (arguments: _fused_args), used without create_graph
    _kernel = False

    @classmethod
    def apply(cls, a, *p):
        r = _wrap(cls._cfn(a._impl, *p) if cls._kernel else cls._cfn(a._impl, None, p or None))
        if not (a._requires_grad and _state[0]):
            return r
        ctx = _new(cls)
        ctx.needs_input_grad, ctx.p = (True,), p
        ctx.next_functions = (
            (a.grad_fn, a._output_nr) if a.grad_fn is not None else (a._acc, 0) if a._acc is not None else _edge(a),)
        if cls._uses_result:  # (the input's version is checked only where the formula reads it, as torch's
            # saved variables: exp_(x) after exp(x) is fine; create_graph's recomputation from it checks it then)
            ctx._saved, ctx._saved_versions = (a, _SavedOutput(r._impl, 0)), \
                (a._impl.version if cls._reads_inputs else None, r._impl.version)
            ctx.input_version = a._impl.version
        elif not cls._reads_inputs:
            ctx._saved = ctx._saved_versions = ()
            ctx.meta = _Meta(a._impl)
        else:
            ctx._saved, ctx._saved_versions = (a,), (a._impl.version,)
        if _anomaly[0]:
            ctx._stack = traceback.format_stack()[:-1]
        r._requires_grad, r.grad_fn = True, ctx
        return r

    @staticmethod
    def backward(ctx, g):
        saved, p = ctx.saved_tensors, ctx.p
        a = saved[0] if saved else ctx.meta
        if not _state[0]:  # no graph through the gradient: the saved output, or the fused kernel
            result = saved[1] if ctx._uses_result else None
            fused = type(ctx)._fused  # (read from the class: compile() may swap in a Python function)
            if fused is not None:
                env = {"grad": g, "self": a, "result": result}
                return (_wrap(fused(*[env[n]._impl for n in ctx._fused_args], False, None, p or None)),)
        else:  # the result recomputed from the input, so the gradient's graph reaches it
            if ctx._uses_result and a._impl.version != ctx.input_version:
                raise _version_error(a, a._impl.version, ctx.input_version,
                                     a.grad_fn.name() if a.grad_fn is not None else None)
            result = type(ctx).apply(a, *p) if ctx._uses_result else None
        return (ctx._grads[0](g, a, result, *p),)


class _Meta:
    """What a formula reading only self.dtype, self.shape and self.device keeps of the input."""
    __slots__ = ("dtype", "shape", "_device")

    def __init__(self, impl):
        self.dtype, self.shape = _dtype.BY_ID[impl.dtype], tuple(impl.shape)
        self._device = (impl.device_type, impl.device_index)

    @property
    def device(self):
        return CPU if self._device[0] == 0 else device("cuda", self._device[1])


class _Binary(_Registered):
    @classmethod
    def apply(cls, a, b, *p):
        ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
        out = cls._cfn(a._impl, b._impl if tb else b, False, None, p or None) if ta else \
            cls._cfn(b._impl, a, True, None, p or None)
        r = _new(Tensor)  # _wrap(out), inlined: this is the arithmetic operators' recording path
        r._impl, r._grad, r._acc, r._output_nr, r._extra = out, None, None, 0, None
        ra, rb = ta and a._requires_grad, tb and b._requires_grad
        if not ((ra or rb) and _state[0]):
            r._requires_grad, r.grad_fn = False, None
            if _inference[0]:
                r._extra = _inference_extra(out)
            return r
        ctx = _new(cls)
        ctx.needs_input_grad, ctx.p = (ra, rb), p
        # the edges, as _edge(t) with its two common cases inlined (a node's output, a leaf seen before)
        ctx.next_functions = (
            ((a.grad_fn, a._output_nr) if a.grad_fn is not None else (a._acc, 0) if a._acc is not None else _edge(a))
            if ra else _NO_EDGE,
            ((b.grad_fn, b._output_nr) if b.grad_fn is not None else (b._acc, 0) if b._acc is not None else _edge(b))
            if rb else _NO_EDGE)
        if cls._reads_inputs:  # an operand's version is checked only where a needed formula reads it (torch's)
            check = cls._checks[ra + 2 * rb]
            versions = (a._impl.version if ta and check[0] else None, b._impl.version if tb and check[1] else None)
            ur = cls._uses_result
            if ur and (ra and ur[0] or rb and ur[1]):
                ctx._saved, ctx._saved_versions = (a, b, _SavedOutput(out, 0)), versions + (out.version,)
            else:
                ctx._saved, ctx._saved_versions = (a, b), versions
        else:  # (the operands' (shape, dtype): the formulas read neither's values)
            ctx.metas = (a._impl.meta if ra else None, b._impl.meta if rb else None)
        if _anomaly[0]:
            ctx._stack = traceback.format_stack()[:-1]
        r._requires_grad, r.grad_fn = True, ctx
        return r

    @staticmethod
    def backward(ctx, g):
        p, need = ctx.p, ctx.needs_input_grad
        if ctx._reads_inputs:
            saved = ctx.saved_tensors
            a, b = saved[0], saved[1]
            ma = (a._impl.shape, a._impl.dtype) if need[0] else None
            mb = (b._impl.shape, b._impl.dtype) if need[1] else None
        else:
            (a, b), (ma, mb) = (None, None), ctx.metas
        result, ur = None, ctx._uses_result
        if ur and (need[0] and ur[0] or need[1] and ur[1]):
            result = saved[2] if not _state[0] else type(ctx).apply(a, b, *p)
        grads = ctx._grads
        return (_operand_grad(grads[0](g, a, b, result, *p), ma) if need[0] else None,
                _operand_grad(grads[1](g, a, b, result, *p), mb) if need[1] else None)


def _operand_grad(grad, meta):
    """An operand's gradient summed back to its shape and, where the op promoted it, cast back to its dtype (torch's
    engine casts each gradient to its input's dtype: a bfloat16 branch added to a float32 residual trains)."""
    grad = _unbroadcast(grad, meta[0])
    return grad if grad._impl.dtype == meta[1] else grad.to(_dtype.BY_ID[meta[1]])


class _Overloaded(_Binary):
    """A binary registry op whose overloads torch names apart (entry.nodes: tensor-tensor, tensor-scalar,
    scalar-tensor); torch's NotImplemented node raises in backward, as torch's. A number operand has no edge (torch's
    Scalar overloads take it as a number, not as a wrapped tensor as add and mul do)."""

    @classmethod
    def apply(cls, a, b, *p):
        r = _Binary.apply.__func__(cls, a, b, *p)
        fn = r.grad_fn
        if fn is not None:
            ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
            fn._backward_name = cls._nodes[0 if ta and tb else 1 if ta else 2]
            if not (ta and tb):
                k = 0 if ta else 1
                fn.next_functions, fn._edge_pos = (fn.next_functions[k],), (k,)
        return r

    @staticmethod
    def backward(ctx, g):
        if ctx._backward_name == _registry.NOT_IMPLEMENTED:
            _not_implemented(f"aten::{ctx.entry.name}")
        return _Binary.backward(ctx, g)


# -------------------------------------------------------------- reductions
def _expand_reduced(g, in_shape, dims, keepdim):
    """g, reduced over dims (sorted), broadcast back to in_shape (a view); without a graph to build (no
    create_graph), straight through the kernels."""
    if not _state[0]:
        impl = g._impl
        if not keepdim and len(in_shape):
            impl = _C.reshape(impl, [1 if i in dims else n for i, n in enumerate(in_shape)])
        return _wrap(_C.expand(impl, list(in_shape)))
    if not keepdim and len(in_shape):
        for d in dims:
            g = g.unsqueeze(d)
    return g.expand(in_shape)


def _norm_dims(dims, ndim):
    if dims is None or dims == () or dims == []:
        return tuple(range(ndim))
    return tuple(sorted(_C.wrap_dim(d, ndim) for d in dims))


def _exclusive_prod(a, dims):
    """The product of all the other elements of each slice reduced over `dims`, without a division (torch's
    prod_safe_zeros_backward): exclusive running products from both ends of the flattened slice."""
    keep = [d for d in range(a.dim()) if d not in dims]
    perm = keep + list(dims)
    x = a.permute(perm)
    shape = x.shape
    x = x.reshape(*shape[:len(keep)], math.prod(shape[len(keep):]))
    first = x.new_zeros(x.shape[-1], dtype=_dtype.bool)
    first[0] = True
    left = x.roll(1, -1).masked_fill(first, 1).cumprod(-1)
    right = x.flip(-1).roll(1, -1).masked_fill(first, 1).cumprod(-1).flip(-1)
    return (left * right).reshape(shape).permute([perm.index(d) for d in range(a.dim())])


# ---------------------------------------------------------- linear algebra
def _edge_of(t):
    """The edge into a tensor that requires grad: its node's output, or its gradient accumulator (a leaf)."""
    return (t.grad_fn, t._output_nr) if t.grad_fn is not None else (t._acc, 0) if t._acc is not None else _edge(t)


def _recorded(ctx, r):
    """r, a new floating Tensor, made the output of node ctx (whose edges and saved tensors are set)."""
    if _anomaly[0]:
        ctx._stack = traceback.format_stack()[:-2]
    r._requires_grad, r.grad_fn = True, ctx
    return r


# ------------------------------------------------------------------- views
def _apply_basic_index(x, key, views=None):
    """x[key] for a key of ints, slices and None (what _split_key leaves of Ellipsis and bools), a view of x:
    an impl through the kernels (views None), or a Tensor through `views`, the registry's ops (BASIC_INDEX_VIEWS:
    one node per view applied, as torch's; a slice covering its whole dim applies none unless it is the whole
    key, and a key applying none is an alias)."""
    select, slice_, unsqueeze, alias = views or (_C.select, _C.slice, _C.unsqueeze, None)
    skip_whole = views is not None and not (len(key) == 1 and isinstance(key[0], slice))
    out, dim = x, 0
    real = 0  # the indexed tensor's dim this entry consumes (errors name it, as torch's)
    for k in key:
        shape = out._impl.shape if views else out.shape
        if k is None:
            out = unsqueeze(out, dim)
            dim += 1
        elif isinstance(k, slice):
            start, stop, step = k.start, k.stop, k.step
            n = shape[dim] if shape else 0
            if not (skip_whole and start in (None, 0) and step in (None, 1) and (stop is None or stop >= n)):
                out = slice_(out, dim, 0 if start is None else int(start), n if stop is None else int(stop),
                             1 if step is None else int(step))
            dim += 1
            real += 1
        elif isinstance(k, (int, np.integer)):
            n = shape[dim] if len(shape) > dim else None
            if n is not None and not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {real} with size {n}")
            out = select(out, dim, int(k))
            real += 1
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(k).__name__})")
    return alias(out) if out is x and alias is not None else out


def _squeeze_all(impl):
    return _C.squeeze(impl, None)


def _pieces(impl, dim, sizes):
    """impl cut along dim into consecutive views of `sizes`."""
    out, pos = [], 0
    for n in sizes:
        out.append(_C.slice(impl, dim, pos, pos + n, 1))
        pos += n
    return out


def _split_sizes(n, split_size):
    """split's pieces of a dim of n elements: split_size each, the last one shorter (n = 0: one empty piece)."""
    return [min(split_size, n - i) for i in range(0, n, split_size)] if n else [0]


_VIEW_KERNELS = {"squeeze_all": _squeeze_all,
                 "unbind": lambda impl, dim: [_C.select(impl, dim, i) for i in range(impl.shape[dim])],
                 "split": lambda impl, split_size, dim: _pieces(impl, dim, _split_sizes(impl.shape[dim], split_size)),
                 "split_with_sizes": lambda impl, split_sizes, dim: _pieces(impl, dim, split_sizes)}


def inverse_permutation(dims):
    inv = [0] * len(dims)
    for i, d in enumerate(dims):
        inv[d % len(dims)] = i
    return inv


# (+ select_backward, slice_backward, diagonal_backward and unfold_backward: INDEXING rows, added below)
def _filled(grads, sizes):
    """grads with zeros of `sizes` where an output got none (at least one did)."""
    g0 = next(g for g in grads if g is not None)
    return [g0.new_zeros(s) if g is None else g for g, s in zip(grads, sizes)]


def unbind_backward(grads, self_sizes, dim):
    """torch's: the pieces' gradients stacked along dim."""
    piece = list(self_sizes[:dim]) + list(self_sizes[dim + 1:])
    return _cat([g.unsqueeze(dim) for g in _filled(grads, [piece] * len(grads))], dim)


def split_with_sizes_backward(grads, self_sizes, split_sizes, dim):
    """torch's: the pieces' gradients concatenated along dim."""
    sizes = [list(self_sizes[:dim]) + [n] + list(self_sizes[dim + 1:]) for n in split_sizes]
    return _cat(_filled(grads, sizes), dim)


def split_backward(grads, self_sizes, split_size, dim):
    return split_with_sizes_backward(grads, self_sizes, _split_sizes(self_sizes[dim], split_size), dim)


_VIEW_HELPERS = {"inverse_permutation": inverse_permutation, "sum_to": _unbroadcast, "unbind_backward": unbind_backward,
                 "split_backward": split_backward, "split_with_sizes_backward": split_with_sizes_backward}


class _View(Op):
    """The autograd op of a VIEWS row (made by _view): apply(input, *params) is Op.apply specialized for one
    tensor operand and a view output (views are recorded on every step). Class attributes: _kernel(impl,
    *params); _grad(grad, self_sizes, *params), the row's formula; _sizes, whether it reads self_sizes; _copied,
    the node's name when the kernel copied (its output is then no view)."""

    _is_view = True
    _sizes = False
    _copied = None
    _unsafe = False

    @classmethod
    def apply(cls, a, *p):
        out = cls._kernel(a._impl, *p)
        r = _wrap(out)
        if not (a._requires_grad and _state[0]):
            if a._requires_grad:
                _untracked_view(a, r, not cls._unsafe and (cls._copied is None or out.storage_id == a._impl.storage_id))
            elif _state[0] and (a._extra is None or "_base" in a._extra) and out.dtype in _FLOAT_IDS and (
                    cls._copied is None or (not cls._unsafe and out.storage_id == a._impl.storage_id)):
                _view_of(cls, a, p, r)  # (torch's view of a tensor without grad: an in-place op with grad reaches a)
            elif a._extra is not None:
                _untracked_view(a, r, False)
            return r
        ctx = _new(cls)
        ctx.needs_input_grad, ctx.next_functions, ctx.p = _NEEDS_ONE, (_edge_of(a),), p
        if cls._sizes:
            ctx.sizes = a._impl.shape
        if cls._unsafe:  # (_unsafe_view: torch's output is no view for autograd, whatever the kernel did)
            pass
        elif cls._copied is None or out.storage_id == a._impl.storage_id:  # (only reshape's kernel may copy)
            _view_of(cls, a, p, r)
        else:
            ctx._backward_name = cls._copied
        return _recorded(ctx, r)

    @staticmethod
    def backward(ctx, g):
        return (ctx._grad(g, ctx.sizes if ctx._sizes else None, *ctx.p),)


_NEEDS_ONE = (True,)


def _untracked_view(a, r, aliased=True):
    """r, a view of a made with grad mode off, as torch's: a view of a tensor that requires grad still requires
    grad, a leaf that collects no gradient and refuses in-place writes; a view of an inference tensor is one.
    (`aliased` False: r is a copy after all, reshape's.)"""
    if a._requires_grad and aliased:
        r._requires_grad, r._extra = True, {"_no_grad_view": True}
    elif a._extra is not None and a._extra.get("inference"):
        r._extra = _inference_extra(r._impl)


def _view(entry, base=None, grad="grad"):
    """The op class of a VIEWS row (base _View) or a MULTI_VIEWS row (base _MultiView, formula over `grads`)."""
    params = (grad, "self_sizes") + entry.params
    formula = eval(compile(f"lambda {', '.join(params)}: {entry.grad}", "<op registry>", "eval"),  # noqa: S307
                   _VIEW_HELPERS)
    attrs = {"_kernel": _VIEW_KERNELS.get(entry.kernel) or getattr(_C, entry.kernel), "_grad": staticmethod(formula),
             "_sizes": "self_sizes" in re.findall(r"\w+", entry.grad), "_backward_name": entry.node,
             "_copied": entry.copied, "entry": entry}
    name = "".join(w.capitalize() for w in entry.name.replace(".", "_").split("_"))
    V = type(name, (base or _View,), attrs)
    V.__qualname__ = name
    return V


VIEW_OPS = {e.name: _view(e) for e in _registry.VIEWS}

VIEW_OPS["_unsafe_view"]._unsafe = True


class _MultiView(Op):
    """The autograd op of a MULTI_VIEWS row (made by _view): apply(input, *params) returns the pieces, views of
    input, all outputs of one node (torch's); backward gets one gradient per piece (None where none flowed). The
    pieces are marked so that an in-place write into one (or a view of one) raises torch's error while they
    require grad."""

    @classmethod
    def apply(cls, a, *p):
        outs = [_wrap(o) for o in cls._kernel(a._impl, *p)]
        if not (a._requires_grad and _state[0]):
            if a._requires_grad or a._extra is not None:
                for r in outs:
                    _untracked_view(a, r)
            return tuple(outs)
        ctx = _new(cls)
        ctx.needs_input_grad, ctx.next_functions, ctx.p = _NEEDS_ONE, (_edge_of(a),), p
        ctx.sizes, ctx._n_out = a._impl.shape, len(outs)
        if _anomaly[0]:
            ctx._stack = traceback.format_stack()[:-1]
        for k, (r, (view, params)) in enumerate(zip(outs, cls._piece_views(outs, *p))):
            _view_of(view, a, params, r)  # (each piece remembers itself as the one view torch would replay)
            r._extra["_multi_output"] = True
            r._requires_grad, r.grad_fn, r._output_nr = True, ctx, k
        return tuple(outs)

    @staticmethod
    def _piece_views(outs, *p):
        """Each piece as a single view of the input, (VIEW_OPS class, params): a slice along the last param, dim
        (unbind overrides it: a select)."""
        dim, pos, views = p[-1], 0, []
        for o in outs:
            n = o._impl.shape[dim]
            views.append((VIEW_OPS["slice"], (dim, pos, pos + n, 1)))
            pos += n
        return views

    @staticmethod
    def backward(ctx, *grads):
        return (ctx._grad(grads, ctx.sizes, *ctx.p),)


MULTI_VIEW_OPS = {e.name: _view(e, _MultiView, "grads") for e in _registry.MULTI_VIEWS}
MULTI_VIEW_OPS["unbind"]._piece_views = staticmethod(
    lambda outs, dim: [(VIEW_OPS["select"], (dim, k)) for k in range(len(outs))])
BASIC_INDEX_VIEWS = tuple(VIEW_OPS[n].apply for n in ("select", "slice", "unsqueeze", "alias"))


# ---------------------------------------------------------- indexing ops from the registry
def _index_kernel(self, dim, indices):
    return _C.index(self._impl, dim, [i._impl for i in indices])


def _index_put_kernel(self, dim, indices, values, accumulate):
    out = _C.clone(self._impl)
    _C.index_put_(out, dim, [i._impl for i in indices], values._impl, accumulate)
    return out


def _index_add_kernel(self, dim, index, source):
    """self with source's slices added at index along dim (dim wrapped; source's shape is self's with index's length
    at dim)."""
    out = _C.clone(self._impl)
    _C.index_put_(out, dim, [index._impl], source._impl, True)
    return out


def _scatter_kernel(self, dim, index, src, reduce="assign"):
    out = _C.clone(self._impl)
    _C.scatter_reduce_(out, dim, index._impl, src._impl, reduce)
    return out


def _scatter_value_kernel(self, dim, index, value):
    out = _C.clone(self._impl)
    _C.scatter_reduce_(out, dim, index._impl, _C.full(list(index._impl.shape), value, out.dtype, *self.device._code),
                       "assign")
    return out


def _scatter_add_kernel(self, dim, index, src):
    out = _C.clone(self._impl)
    _C.scatter_add_(out, dim, index._impl, src._impl)
    return out


def _scatter_reduce_kernel(self, dim, index, src, reduce, include_self):
    """scatter_reduce: the scattered positions start from self (include_self) or from the reduction's identity
    (amax/amin: a member of src); mean divides by the number of contributors (untouched positions keep self)."""
    out = _C.clone(self._impl)
    if not include_self:
        start = src._impl if reduce in ("amax", "amin") else _C.full(list(src.shape), 1 if reduce == "prod" else 0,
                                                                       out.dtype, *self.device._code)
        _C.scatter_reduce_(out, dim, index._impl, start, "assign")
    _C.scatter_reduce_(out, dim, index._impl, src._impl, "sum" if reduce == "mean" else reduce)
    if reduce != "mean":
        return out
    count = _C.full(list(self.shape), 1 if include_self else 0, out.dtype, *self.device._code)
    _C.scatter_reduce_(count, dim, index._impl, _C.full(list(src.shape), 1, out.dtype, *self.device._code), "sum")
    count = _C.clamp(count, 1, None)
    return _C.div(out, count) if self.dtype.is_floating_point else _C.floor_divide(out, count)


def _setitem_kernel(self, key, value):
    out = _wrap(_C.clone(self._impl))
    with no_grad():
        out[key] = value.detach() if isinstance(value, Tensor) else value
    return out._impl


def _view_scatter_kernel(view):
    """zeros(input_sizes) holding grad in its view `view` (a VIEWS row): select_backward, slice_backward, ..."""
    def kernel(grad, input_sizes, *params):
        out = _C.full(list(input_sizes), 0, grad._impl.dtype, *grad.device._code)
        _C.copy_(VIEW_OPS[view]._kernel(out, *params), grad._impl)
        return out
    return kernel


def _unfold_backward_kernel(grad_in, input_sizes, dim, size, step):
    """The windows' gradients summed back into the input's shape (windows may overlap)."""
    code = grad_in.device._code
    start = _C.mul(_C.unsqueeze(_C.arange(0, grad_in.shape[dim], 1, _dtype.int64.id, *code), 1), step)
    index = _C.add(start, _C.unsqueeze(_C.arange(0, size, 1, _dtype.int64.id, *code), 0))  # (windows, size)
    perm = list(range(grad_in.dim() - 1))
    perm.insert(dim + 1, grad_in.dim() - 1)  # the window dim right after the window-start dim
    out = _C.full(list(input_sizes), 0, grad_in._impl.dtype, *code)
    _C.index_put_(out, dim, [index], _C.permute(grad_in._impl, perm), True)
    return out


def _into_slice(view, src):
    """view (of a fresh copy) overwritten by src, which must have its size: the *_scatter ops' last step."""
    if tuple(src.shape) != tuple(view.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(view.shape)}")
    _C.copy_(view, src._impl)


def _into_view_kernel(view):
    """self (copied) with its view `view` (a VIEWS row) replaced by src: select_scatter, slice_scatter, ..."""
    def kernel(self, src, *params):
        out = _C.clone(self._impl)
        _into_slice(VIEW_OPS[view]._kernel(out, *params), src)
        return out
    return kernel


def _as_strided_positions(self, size, stride, storage_offset):
    """The flat (row-major) positions of self's elements in its view as_strided(size, stride, storage_offset)."""
    flat = _C.arange(0, self._impl.numel, 1, _dtype.int64.id, *self.device._code)
    return _C.as_strided(flat, list(size), list(stride), storage_offset)


def _as_strided_scatter_kernel(self, src, size, stride, storage_offset):
    """self (as a row-major copy) with its view as_strided(size, stride, storage_offset) replaced by src."""
    out = _C.contiguous(self._impl)
    out = _C.clone(out) if out.storage_id == self._impl.storage_id else out
    _into_slice(_C.as_strided(out, list(size), list(stride), storage_offset), src)
    return out


_INDEXING_KERNELS = {
    "index": _index_kernel, "index_put": _index_put_kernel, "index_add": _index_add_kernel,
    "scatter": _scatter_kernel, "scatter_value": _scatter_value_kernel, "scatter_add": _scatter_add_kernel,
    "scatter_reduce": _scatter_reduce_kernel, "setitem": _setitem_kernel, "unfold_backward": _unfold_backward_kernel,
    "as_strided_scatter": _as_strided_scatter_kernel,
    "index_select": lambda self, dim, index: _C.index_select(self._impl, dim, index._impl),
    "gather": lambda self, dim, index: _C.gather(self._impl, dim, index._impl),
    "cat": lambda tensors, dim: _C.cat([t._impl for t in tensors], dim),
    "flip": lambda self, dims: _C.flip(self._impl, dims),
    **{f"view_scatter_{v}": _view_scatter_kernel(v) for v in ("select", "slice", "diagonal")},
    **{f"into_view_{v}": _into_view_kernel(v) for v in ("select", "slice", "diagonal")},
}


def index_backward(zeros, dim, indices, grad):
    """torch's: zeros with grad added at indices (repeated indices add up)."""
    return INDEXING_OPS["_index_put_impl"].apply(zeros, dim, indices, grad, True)


def index_select_backward(grad, sizes, dim, index):
    """torch's: zeros(sizes) with grad's slices added at index along dim."""
    return INDEXING_OPS["index_add"].apply(grad.new_zeros(()).expand(sizes), _C.wrap_dim(dim, len(sizes)), index, grad)


def cat_tensors_backward(grad, sizes, dim):
    """torch's: each input's slice of grad along dim (legacy 1-D empty inputs, which cat skips, get empty ones)."""
    kept = [s for s in sizes if tuple(s) != (0,)]
    dim = _C.wrap_dim(dim, len(kept[0])) if kept else 0
    out, pos = [], 0
    for s in sizes:
        if tuple(s) == (0,):
            out.append(grad.new_zeros((0,)))
        else:
            out.append(grad.narrow(dim, pos, s[dim]))
            pos += s[dim]
    return out


def setitem_value_backward(grad, value_sizes):
    """The gradient of __setitem__'s value: grad[key] summed to the value's shape (which __setitem__ broadcast after
    dropping its leading size-1 dims)."""
    k = 0
    while k < len(value_sizes) and value_sizes[k] == 1:
        k += 1
    return _unbroadcast(grad, tuple(value_sizes[k:])).reshape(value_sizes)


def puts_in_place(self, key):
    """Whether self[key] = value is torch's index_put_ on self (IndexPutBackward0): advanced indices, each other
    entry Ellipsis or a slice over its whole dim; otherwise torch writes into a view of self (CopySlices)."""
    key = key if type(key) is tuple else (key,)
    def dims(k):  # the dims of self an entry consumes
        return k.dim() if isinstance(k, Tensor) and k.dtype is _dtype.bool else 0 if k is None or k is Ellipsis else 1
    advanced, dim = False, 0
    for k in key:
        if k is Ellipsis:
            dim = self.dim() - sum(dims(k) for k in key[key.index(k) + 1:])
        elif isinstance(k, slice):
            n = self.shape[dim] if dim < self.dim() else 0
            if k.start not in (None, 0) or k.step not in (None, 1) or k.stop is not None and k.stop < n:
                return False
            dim += 1
        elif isinstance(k, (Tensor, list, tuple, np.ndarray)):
            advanced, dim = True, dim + dims(k)
        else:  # an int, None or a bool: a view
            return False
    return advanced


def as_strided(grad, size, stride, storage_offset):
    """torch's grad.contiguous().as_strided(size, stride, storage_offset), differentiable (an index of the flat
    positions)."""
    return grad.reshape(-1)[_wrap(_as_strided_positions(grad, size, stride, storage_offset))]


def scatter_reduce_backward(grad, self, dim, index, src, reduce, include_self, result):
    """torch's: (d/dself, d/dsrc) of scatter_reduce. sum and mean pass grad (divided by the number of
    contributors); prod gives each member the product of the output's other members; amax and amin share grad
    evenly among the members equal to the result. Where include_self is False, self takes part only where nothing
    was scattered."""
    self_in = None
    if not include_self:
        self_in = ~self.new_zeros(self.shape, dtype=_dtype.bool).scatter(dim, index, True)
    if reduce in ("sum", "mean"):
        if reduce == "mean":
            start = grad.new_ones(self.shape) if include_self else grad.new_zeros(self.shape)
            grad = grad / start.scatter_add(dim, index, grad.new_ones(index.shape)).clamp(min=1)
        return grad if self_in is None else grad * self_in, grad.gather(dim, index)
    if reduce == "prod":
        self_part = self if self_in is None else self.masked_fill(~self_in, 1)
        zeros_at = (self_part == 0).to(_dtype.int64).scatter_add(dim, index, (src == 0).to(_dtype.int64))
        nonzero_prod = self_part.masked_fill(self_part == 0, 1).scatter_reduce(dim, index, src.masked_fill(src == 0, 1),
                                                                               "prod")

        def member_grad(member, zeros, others, out):  # out / member without a zero, the others' product at a lone 0
            return ((out / member.masked_fill(member == 0, 1)).masked_fill(zeros != 0, 0)
                    + others.masked_fill(~((zeros == 1) & (member == 0)), 0))
        g_self = member_grad(self_part, zeros_at, nonzero_prod, result)
        g_self = g_self if self_in is None else g_self * self_in
        g_src = member_grad(src, zeros_at.gather(dim, index), nonzero_prod.gather(dim, index),
                            result.gather(dim, index))
    else:  # amax / amin
        self_tie = (self == result) if self_in is None else (self == result) & self_in
        src_tie = src == result.gather(dim, index)
        n = self_tie.to(grad.dtype).scatter_add(dim, index, src_tie.to(grad.dtype))
        g_self, g_src = self_tie / n, src_tie / n.gather(dim, index)
    return grad * g_self, grad.gather(dim, index) * g_src


_INDEXING_HELPERS = {
    "index_backward": index_backward, "index_select_backward": index_select_backward, "sum_to": _unbroadcast,
    "cat_tensors_backward": cat_tensors_backward, "setitem_value_backward": setitem_value_backward,
    "puts_in_place": puts_in_place, "as_strided": as_strided, "scatter_reduce_backward": scatter_reduce_backward,
    "slice": lambda t, dim, start, end, step: VIEW_OPS["slice"].apply(t, dim, start, end, step)}  # (+ every row's op)


class _Indexed(Op):
    """The autograd op of an INDEXING row (made by _indexing): one differentiable input, the first argument.
    apply is Op.apply specialized for it (the other arguments pass through to the kernel and the formula).
    Class attributes: _kernel(*args) -> impl; _grad(grad, result, <input>_sizes, *args), the row's formula;
    _saves, whether the formula reads the input (saved as save_for_backward does); _uses_result, whether it
    reads the output; _node, a function of the arguments giving the node's name (None: the row's name)."""

    _saves = _uses_result = False
    _node = None

    @classmethod
    def apply(cls, a, *p):
        out = cls._kernel(a, *p)
        r = _wrap(out)
        if not (a._requires_grad and _state[0]):
            return r
        ctx = _new(cls)
        ctx.needs_input_grad, ctx.next_functions, ctx.p, ctx.sizes = _NEEDS_ONE, (_edge_of(a),), p, a._impl.shape
        if cls._saves or cls._uses_result:
            ctx._saved = (a if cls._saves else None, _SavedOutput(out, 0) if cls._uses_result else None)
            ctx._saved_versions = (a._impl.version if cls._saves else None, out.version if cls._uses_result else None)
        return _recorded(ctx, r)

    @staticmethod
    def backward(ctx, g):
        a, result = ctx.saved_tensors if ctx._saved else (None, None)
        if ctx._uses_result and _state[0]:  # create_graph: recomputed, so the gradient's graph reaches the input
            result = type(ctx).apply(a, *ctx.p)
        return (ctx._grad(g, result, ctx.sizes, a, *ctx.p),)


class _Indexed2(_Indexed):
    """Two differentiable inputs: the first argument and argument _at (which may be a number: no gradient).
    _grad(grad, result, <first>_sizes, <second>_sizes, *args) gives both gradients (None where not needed)."""

    @classmethod
    def apply(cls, a, *p):
        k = cls._at - 1
        b = p[k]
        out = cls._kernel(a, *p)
        r = _wrap(out)
        tb = isinstance(b, Tensor)
        ra, rb = a._requires_grad, tb and b._requires_grad
        if not ((ra or rb) and _state[0]) or out.dtype not in _FLOAT_IDS:  # (a float value written into int: no node)
            return r
        ctx = _new(cls)
        ctx.needs_input_grad = (ra, rb)
        ctx.next_functions = (_edge_of(a) if ra else _NO_EDGE, _edge_of(b) if rb else _NO_EDGE)
        ctx.p, ctx.sizes = p[:k] + (None,) + p[k + 1:], (a._impl.shape, b._impl.shape if tb else None)
        if cls._saves or cls._uses_result:  # (save_for_backward's)
            ctx._saved = (a, b if tb else None, _SavedOutput(out, 0) if cls._uses_result else None)
            ctx._saved_versions = (a._impl.version, b._impl.version if tb else None,
                                   out.version if cls._uses_result else None)
        if cls._node is not None:
            ctx._backward_name = cls._node(a, *p)
        return _recorded(ctx, r)

    @staticmethod
    def backward(ctx, g):
        a, b, result = ctx.saved_tensors if ctx._saved else (None, None, None)
        k, p = ctx._at - 1, ctx.p
        args = p[:k] + (b,) + p[k + 1:]
        if ctx._uses_result and _state[0]:
            result = type(ctx).apply(a, *args)
        return ctx._grad(g, result, *ctx.sizes, a, *args, ctx.needs_input_grad)


class _IndexedList(_Indexed):
    """A list of differentiable inputs, the first argument (cat's): one edge per tensor, one gradient each."""

    @classmethod
    def apply(cls, tensors, *p):
        r = _wrap(cls._kernel(tensors, *p))
        if not _state[0]:
            return r
        edges = tuple([_edge_of(t) if t._requires_grad else _NO_EDGE for t in tensors])
        needs = tuple([e is not _NO_EDGE for e in edges])
        if True not in needs:
            return r
        ctx = _new(cls)
        ctx.needs_input_grad, ctx.next_functions, ctx.p = needs, edges, p
        ctx.sizes = [t._impl.shape for t in tensors]
        return _recorded(ctx, r)

    @staticmethod
    def backward(ctx, g):
        return tuple(ctx._grad(g, None, ctx.sizes, None, *ctx.p))


def _indexing(entry):
    """The autograd op of an INDEXING row: _Indexed, _Indexed2 (two differentiable inputs) or _IndexedList (a list
    of them) with the row's kernel and formulas."""
    inputs, formulas = entry.inputs, list(entry.grad.values())
    params = ("grad", "result") + tuple(f"{n}_sizes" for n in inputs) + entry.signature
    reads = set().union(*(re.findall(r"\w+", f) for f in formulas))
    if len(inputs) == 1:
        grad = f"lambda {', '.join(params)}: {formulas[0]}"
    elif len(formulas) == 1:  # one formula for both: its tuple, None where no gradient is needed
        grad = f"lambda {', '.join(params)}, needs: tuple(g if n else None for g, n in zip({formulas[0]}, needs))"
    else:
        grad = (f"lambda {', '.join(params)}, needs: ({formulas[0]} if needs[0] else None, "
                f"{formulas[1]} if needs[1] else None)")
    attrs = {"_kernel": staticmethod(_INDEXING_KERNELS[entry.kernel]), "_uses_result": "result" in reads,
             "_grad": staticmethod(eval(compile(grad, "<op registry>", "eval"), _INDEXING_HELPERS)),  # noqa: S307
             "_saves": bool(reads & set(inputs)), "entry": entry}
    if entry.node.isidentifier():
        attrs["_backward_name"] = entry.node
    else:
        attrs["_node"] = staticmethod(eval(compile(f"lambda {', '.join(entry.signature)}: {entry.node}",  # noqa: S307
                                                   "<op registry>", "eval"), _INDEXING_HELPERS))
    if len(inputs) == 2:
        attrs["_at"] = entry.signature.index(inputs[1])
    base = _IndexedList if inputs[0] == "tensors" else _Indexed2 if len(inputs) == 2 else _Indexed
    name = "".join(w.capitalize() for w in entry.name.strip("_").replace(".", "_").split("_"))
    op = type(name, (base,), attrs)
    op.__qualname__ = name
    return op


INDEXING_OPS = {e.name: _indexing(e) for e in _registry.INDEXING}
_INDEXING_HELPERS.update({name: op.apply for name, op in INDEXING_OPS.items()})
_VIEW_HELPERS.update({n: INDEXING_OPS[n].apply for n in ("select_backward", "slice_backward", "diagonal_backward",
                                                         "unfold_backward")})
INDEX = INDEXING_OPS["index"]


# ---------------------------------------------------------------------- nn
# (the layers and losses are the NN_OPS rows of _registry.py, see _nn_op below; F.linear is the addmm and mm rows)


# ------------------------------------------------------------ ops from the registry
def pow_backward(grad, self, exponent):
    """torch's, for a number exponent: none where it is 0. x ** 2: grad * 2 * self (the same values: both products
    by 2 are exact; no pow kernel, and the compiled plans fuse it as before)."""
    if exponent == 0:
        return self.new_zeros(self.shape)
    return grad * 2 * self if exponent == 2 else grad * (exponent * self.pow(exponent - 1))


def pow_backward_self(grad, self, exponent):
    """torch's, for a tensor exponent: none where it is 0 (0 ** 0 has no base gradient)."""
    return (grad * (exponent * self.pow(exponent - 1))).masked_fill(exponent == 0, 0)


def pow_backward_exponent(grad, self, exponent, result):
    """torch's: grad * result * log(base), none where the base is 0 and the exponent >= 0 (0 ** b is flat there);
    the base's log in the promoted dtype (a float32 base of a float64 power)."""
    if not isinstance(self, Tensor):  # a number base: its log as a number (-inf at 0, NaN below)
        log = math.log(self) if self > 0 else -math.inf if self == 0 else math.nan
        out = grad * (result * log)
        return out.masked_fill(exponent >= 0, 0) if self == 0 else out
    base = self if self.dtype is result.dtype else self.to(result.dtype)
    return (grad * (result * base.log())).masked_fill((self == 0) & (exponent >= 0), 0)


def clamp_backward(grad, self, min, max):
    """torch's: the gradient where min <= self <= max (the bounds included), 0 elsewhere."""
    keep = None if min is None else self >= min
    if max is not None:
        keep = self <= max if keep is None else keep & (self <= max)
    return grad if keep is None else grad.where(keep, 0.0)


def clamp_backward_min_max(grad, self, min, max, which):
    """torch's, of the tensor bounds: to min where self < min (and min < max), to max where self > max (or
    max < min); which: 0 for min's, 1 for max's."""
    if which == 0:
        return grad.where(self < min if max is None else (self < min) & (min < max), 0.0)
    return grad.where(self > max if min is None else (self > max) | (max < min), 0.0)


def masked_fill_backward(grad, mask):
    """torch's, of a 0-d value: the sum of the filled positions' gradients."""
    return grad.where(mask, 0.0).sum()


_FORMULA_HELPERS = {"pow_backward": pow_backward, "pow_backward_self": pow_backward_self,
                    "pow_backward_exponent": pow_backward_exponent, "clamp_backward": clamp_backward,
                    "clamp_backward_min_max": clamp_backward_min_max, "masked_fill_backward": masked_fill_backward,
                    "zeros_like": lambda t: t.new_zeros(t.shape), "Tensor": Tensor}


def _formula(expr, params):
    return eval(compile(f"lambda {', '.join(params)}: {expr}", "<op registry>", "eval"),  # noqa: S307
                {"functional": functional, "not_implemented": _not_implemented, **_FORMULA_HELPERS})


def _not_implemented(what):
    """A registry formula where torch has no derivative (zeta's, igamma's in its first argument: NotImplementedError;
    'aten::name', an op without any: torch's NotImplemented node's RuntimeError)."""
    if what.startswith("aten::"):
        raise RuntimeError(f"derivative for {what} is not implemented")
    raise NotImplementedError(f"the derivative for '{what}' is not implemented.")


def _masked_fill_kernel(a, mask, value):
    out = _C.clone(a)
    _C.masked_fill_(out, mask, value)
    return out


def _clamp_tensor_kernel(a, lo, hi):
    """clamp with tensor bounds: maximum, then minimum (a NaN anywhere propagates)."""
    out = a if lo is None else _C.maximum(a, lo)
    return out if hi is None else _C.minimum(out, hi)


def to_dtype(a, dtype):
    """a (an impl) in dtype (an id), laid out as torch's _to_copy lays it out (preserve_format: a dense a's strides,
    another's dims in their memory order)."""
    if a.is_contiguous or a.dtype == dtype or a.ndim < 2:
        return _C.to_dtype(a, dtype)
    order = _mf.preserved_order(a.shape, a.strides)
    return _C.permute(_C.to_dtype(_C.permute(a, order), dtype), [order.index(d) for d in range(a.ndim)])


def _to_copy_kernel(a, dtype, device):
    """torch's _to_copy: a copy on `device` (a torch.device; None: a's) in `dtype` (an id; None: a's)."""
    if device is not None:
        a = _C.to_device(a, *device._code)
    return a if dtype is None else to_dtype(a, dtype)


def _div_rounding_kernel(a, b, rounding_mode):
    """div(a, b, rounding_mode='floor'|'trunc') (b a tensor or a number): floor_divide; trunc is a float quotient
    truncated, or for integers floor_divide plus one where the division is inexact and the signs differ."""
    if rounding_mode == "floor":
        return _C.floor_divide(a, b)
    if _dtype.BY_ID[_C.result_type(a, b)].is_floating_point:
        return _C.trunc(_C.div(a, b))
    inexact = _C.ne(_C.remainder(a, b), 0)
    signs = _C.ne(_C.lt(a, 0), _C.lt(b, 0) if isinstance(b, _C.TensorImpl) else b < 0)
    out = _C.floor_divide(a, b)
    return _C.add(out, _C.to_dtype(_C.logical_and(inexact, signs), out.dtype))


def _bernoulli_kernel(p):
    """1 where a uniform draw (torch's, in p's dtype) is below p, else 0."""
    u = _C.empty(list(p.shape), p.dtype, p.device_type, p.device_index)
    _C.uniform_(u, 0.0, 1.0)
    return _C.to_dtype(_C.lt(u, p), p.dtype)


_KERNELS = {"masked_fill": _masked_fill_kernel, "clamp_tensor": _clamp_tensor_kernel, "to_copy": _to_copy_kernel,
            "div_rounding": _div_rounding_kernel, "bernoulli": _bernoulli_kernel}


class _Operands(Op):
    """The autograd op of a registry row with several operands (entry.inputs), each a Tensor, a number or None,
    and a hand-written kernel (made by _operands_op, whose apply is generated source specialized for the row).
    backward evaluates the formulas over the saved operands (None where no formula reads one) and the params,
    each summed back to its operand's shape."""

    @staticmethod
    def backward(ctx, g):
        saved, need, shapes = ctx.saved_tensors, ctx.needs_input_grad, ctx.shapes
        args = [None] * len(need)
        for i, t in zip(ctx._saved_at, saved):
            args[i] = t
        return tuple(_unbroadcast(f(g, *args, *ctx.p), shapes[i]) if f is not None and need[i] else None
                     for i, f in enumerate(ctx._grads))


def _operands_op(entry):
    """The _Operands op of a row with several operands: apply is generated as source (one line per step, each
    operand's tests written out: no loop over the arguments), as torch's codegen writes its autograd functions.
    Its edges are torch's: one per differentiable operand (a number or None gets (None, 0), as torch's wrapped
    scalars and undefined optional tensors), but a last operand that picks the overload (`nodes`: masked_fill's
    value) has one only when it is a Tensor."""
    names, params = entry.inputs, tuple(n for n, _ in entry.params)
    overloaded = isinstance(entry.nodes, tuple)  # (the last operand picks torch's overload: masked_fill's value)
    reads = set().union(*(re.findall(r"\w+", f) for f in entry.grad if f))
    assert "result" not in reads, entry.name
    saved = [i for i, n in enumerate(names) if n in reads]
    diff = [i for i, f in enumerate(entry.grad) if f]

    def each(template, indices=range(len(names))):  # a tuple display of template per operand
        return "(" + "".join(template.format(n=names[i], i=i) + ", " for i in indices) + ")"
    lines = [
        f"def apply(cls, {', '.join(names + params)}):",
        f"    r = _wrap(_kernel(*{each('{n}._impl if isinstance({n}, Tensor) else {n}')}, {', '.join(params)}))",
        "    needs = (" + "".join((f"isinstance({n}, Tensor) and {n}._requires_grad" if i in diff else "False") + ", "
                             for i, n in enumerate(names)) + ")",
        f"    if not (_state[0] and ({' or '.join(f'needs[{i}]' for i in diff)})):",
        "        return r",
        "    ctx = _new(cls)",
        f"    ctx.needs_input_grad, ctx.p = needs, ({''.join(p + ', ' for p in params)})",
        "    pos, edges = [], []",  # torch's edges: one per differentiable operand, (None, 0) where none is needed
        *[(f"    if isinstance({names[i]}, Tensor):\n" if i == len(names) - 1 and overloaded else "    if True:\n")
          + f"        pos.append({i})\n        edges.append(_edge_of({names[i]}) if needs[{i}] else _NO_EDGE)"
          for i in diff],
        "    ctx._edge_pos, ctx.next_functions = tuple(pos), tuple(edges)",
        "    ctx.shapes = " + each("{n}.shape if needs[{i}] else None"),
        "    ctx._saved = " + each("{n}", saved),
        "    ctx._saved_versions = " + each("{n}._impl.version if isinstance({n}, Tensor) else None", saved)]
    if overloaded:  # (the node by whether the last operand is a Tensor)
        lines.append(f"    ctx._backward_name = {entry.nodes[0]!r} if isinstance({names[-1]}, Tensor) else "
                     f"{entry.nodes[1]!r}")
    lines.append("    return _recorded(ctx, r)")
    scope = {"_kernel": _KERNELS.get(entry.kernel) or getattr(_C, entry.kernel), "Tensor": Tensor, "_wrap": _wrap,
             "_state": _state, "_new": _new, "_edge_of": _edge_of, "_NO_EDGE": _NO_EDGE, "_recorded": _recorded}
    exec(compile("\n".join(lines), f"<op registry: {entry.name}>", "exec"), scope)  # noqa: S102 (the registry's rows)
    formulas = tuple(_formula(f, ("grad",) + names + params) if f else None for f in entry.grad)
    name = "".join(w.capitalize() for w in entry.name.split("_"))
    return type(name, (_Operands,), {"apply": classmethod(scope["apply"]), "_grads": formulas, "_saved_at": saved,
                                     "entry": entry, "__qualname__": name,
                                     "_backward_name": None if overloaded else entry.nodes})


def _binary_checks(formulas):
    """Per (self needs a gradient) + 2 * (other needs one): whether backward reads self and other, so that an
    in-place change of an operand no needed formula reads is no error (torch saves self for mul only when other
    needs a gradient). A formula reading the result reads both (create_graph recomputes it from them)."""
    reads = [set(re.findall(r"\w+", f or "")) for f in formulas]
    reads = [r | {"self", "other"} if "result" in r else r for r in reads]

    def check(need):
        used = set().union(*[r for r, n in zip(reads, need) if n])
        return ("self" in used, "other" in used)
    return tuple(check((i & 1, i & 2)) for i in range(4))


def _registered(entry):
    """The autograd op of a registry entry: forward calls _C.<name> (with the entry's scalar parameters
    after the tensors), backward evaluates the entry's formulas (the fused kernel instead when no
    higher-order graph is being built)."""
    if entry.inputs:
        return _operands_op(entry)
    params = ("grad", "self", "result") if entry.unary else ("grad", "self", "other", "result")
    params += tuple(n for n, _ in entry.params)
    reads = set().union(*(re.findall(r"\w+", f) for f in entry.grad))
    attrs = {"_cfn": _KERNELS.get(entry.kernel) or getattr(_C, entry.kernel or entry.name),
             "_grads": tuple(_formula(f, params) for f in entry.grad), "_uses_result": "result" in reads,
             "_kernel": entry.kernel is not None}
    if not entry.unary and "result" in reads:  # (per operand)
        attrs["_uses_result"] = tuple("result" in re.findall(r"\w+", f) for f in entry.grad)
    if entry.unary and entry.fused:
        attrs["_fused"], attrs["_fused_args"] = getattr(_C, entry.fused[0]), entry.fused[1:]
    elif not entry.unary:
        attrs["_reads_inputs"] = bool(reads & {"self", "other", "result"})
        attrs["_checks"] = _binary_checks(entry.grad)
    if entry.unary:  # (self read only as self.dtype / self.shape: nothing saved)
        attrs["_reads_inputs"] = any(re.search(r"\bself\b(?!\.(dtype|shape|device)\b)", f) for f in entry.grad)
    if entry.unary and entry.nodes:
        attrs["_backward_name"] = entry.nodes
    elif entry.nodes:
        attrs["_nodes"], attrs["entry"] = entry.nodes, entry
    R = type("R", (_Unary if entry.unary else _Overloaded if entry.nodes else _Binary,), attrs)
    R.__name__ = R.__qualname__ = "".join(w.capitalize() for w in entry.name.split("_"))
    return R


def bind_params(entry, args, kwargs):
    """The scalar parameters of a call, in the entry's order: positional, then by name, then the defaults
    (a default of None: a required argument)."""
    if len(args) > len(entry.params):
        raise TypeError(f"{entry.name}() takes {len(entry.params)} arguments after the input but {len(args)} were "
                        "given")
    values = list(args)
    for n, default in entry.params[len(args):]:
        v = kwargs.pop(n, default)
        if v is None:
            raise TypeError(f"{entry.name}() missing required argument '{n}'")
        values.append(v)
    if kwargs:
        raise TypeError(f"{entry.name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return tuple(float(v.item() if isinstance(v, Tensor) else v) for v in values)


def functional(name):
    """f(input, *params) or f(input, other, *params): a registry op as a function (what nn.functional calls):
    the kernel directly, or the autograd op when a gradient is needed."""
    cfn, op = getattr(_C, name), REGISTERED.get(name)
    if _registry.BY_NAME[name].unary:
        def call(input, *params):
            if op is not None and _state[0] and input._requires_grad:
                return op.apply(input, *params)
            return _wrap(cfn(input._impl, None, params or None))
    else:
        def call(input, other, *params):
            if op is not None and _state[0] and (input._requires_grad or other._requires_grad):
                return op.apply(input, other, *params)
            return _wrap(cfn(input._impl, other._impl, False, None, params or None))
    call.__name__ = name
    return call


REGISTERED = {e.name: _registered(e) for e in _registry.OPS if e.grad is not None}
Add, Sub, Mul, Div, Pow, Remainder, FloorDivide, Maximum, Minimum = (
    REGISTERED[n] for n in ("add", "sub", "mul", "div", "pow", "remainder", "floor_divide", "maximum", "minimum"))
Clamp, LeakyRelu, Clone, ToCopy, ClampTensor, Where, MaskedFill = (REGISTERED[n] for n in (
    "clamp", "leaky_relu", "clone", "_to_copy", "clamp_tensor", "where", "masked_fill"))


# ------------------------------------------------------ reductions from the registry
def prod_backward(grad, self, result, dims):
    """torch's prod_backward: grad * result / self without a zero in the input, else the product of the other
    elements of each slice (exclusive running products: no division, so zeros give exact gradients); prod()
    without a dim (dims None) of an input with two or more zeros has a zero gradient."""
    if not self.dim():
        return grad
    zeros = int((self == 0).sum().item())
    if not zeros:
        return grad * (result / self)
    if dims is None and zeros > 1:
        return grad.new_zeros(grad.shape)
    return grad * _exclusive_prod(self, range(self.dim()) if dims is None else dims)


def var_backward(grad, self, dims, correction, count):
    """torch's: 2 (x - mean) grad / (n - correction) over the dims given (negative allowed there); over everything
    (dims None) the divisor is max(n - correction, 0), and none left gives inf (0 * inf = NaN where x is the mean)."""
    if dims is None:
        denom = max(count - correction, 0)
        if denom <= 0:
            return grad * ((self != self.mean()).to(grad.dtype) * math.inf)
        dims = range(self.dim())
    else:
        denom = count - correction
    return (self - self.mean(list(dims), keepdim=True)) * (grad * 2.0) / float(denom)


def std_backward(result, grad, self, dims, correction, count):
    """torch's: var's with grad / (2 std), none where std is 0 (rather than grad / 0)."""
    return var_backward((grad / (result * 2)).masked_fill(result == 0, 0), self, dims, correction, count)


def norm_backward(grad, self, ord, result, dims):
    """torch's: none (undefined) for ord 0; sign(x) grad for 1; the elements equal to the norm (or NaN) share the
    gradient for +-inf; 0 where the norm is 0 (and, for ord < 1, where the element is 0) instead of 0 * inf = NaN."""
    norm = result
    if ord == 0:
        return None
    if ord == 1:
        return self.sign() * grad
    if ord == 2:
        return self * (grad / norm).masked_fill(norm == 0, 0)
    if math.isinf(ord):
        size = self.abs()
        mask = (size == norm) | size.isnan()
        return self.sign() * ((grad / (mask.sum() if dims is None else mask.sum(dims, keepdim=True))) * mask)
    if ord < 1:
        return (self.sign() * self.abs() ** (ord - 1)).masked_fill(self == 0, 0) * grad * norm ** (1 - ord)
    scaled = self.sign() * self.abs() ** (ord - 1) if ord < 2 else self * self.abs() ** (ord - 2)
    return scaled * (grad / norm ** (ord - 1)).masked_fill(norm == 0, 0)


def evenly_distribute_backward(grad, self, result):
    """torch's, of max()/min() of everything: the elements equal to the result (the NaNs, for a NaN) share it."""
    mask = ((self == result) | (self.isnan() & result.isnan())).to(grad.dtype)
    return grad * mask / mask.sum()


def _var_kernel(x, dims, keepdim, dtype, correction):
    """The variance over dims (all for []) with a correction, composed of the kernels (two passes)."""
    n = math.prod(x.shape[d] for d in _norm_dims(dims, x.ndim)) if x.ndim else 1
    s = _C.sum(x, dims, True, None)
    d = _C.sub(x, _C.div(s, n) if n else _C.mul(s, math.nan))
    return _C.div(_C.sum(_C.mul(d, d), dims, keepdim, None), float(max(n - correction, 0)))


def _vector_norm_kernel(x, dims, keepdim, dtype, ord):
    if ord == 0:  # the count of nonzeros
        return _C.sum(_C.to_dtype(_C.ne(x, 0), x.dtype), dims, keepdim, None)
    if ord == 1:
        return _C.sum(_C.abs(x), dims, keepdim, None)
    if ord == 2:
        return _C.sqrt(_C.sum(_C.mul(x, x), dims, keepdim, None))
    if math.isinf(ord):
        return (_C.amax if ord > 0 else _C.amin)(_C.abs(x), dims, keepdim)
    return _C.pow(_C.sum(_C.pow(_C.abs(x), ord), dims, keepdim, None), 1.0 / ord)


_REDUCTION_KERNELS = {
    "var": _var_kernel, "std": lambda x, dims, keepdim, dtype, correction: _C.sqrt(
        _var_kernel(x, dims, keepdim, dtype, correction)),
    "linalg_vector_norm": _vector_norm_kernel,
    "max_all": lambda x, dims, keepdim, dtype: _C.amax(x, [], False, None, "max"),
    "min_all": lambda x, dims, keepdim, dtype: _C.amin(x, [], False, None, "min")}
_REDUCTION_HELPERS = {"prod_backward": prod_backward, "var_backward": var_backward, "std_backward": std_backward,
                      "norm_backward": norm_backward, "evenly_distribute_backward": evenly_distribute_backward}
_NOTHING_SAVED = (None, None)


def _reduction(entry):
    """The autograd op of a registry reduction: forward calls _C.<name>(input, dims, keepdim, dtype); backward
    evaluates the entry's formula with grad and result expanded back to the input's shape, `dims` the reduced
    dims (sorted, wrapped) and `count` the number of elements reduced into each output."""
    cfn = _REDUCTION_KERNELS[entry.kernel] if entry.kernel else getattr(_C, entry.name)
    params = "".join(", " + n for n, _ in entry.params)  # (a composite's numbers: var's correction)
    formula = eval(compile(f"lambda grad, self, result, dims, count{params}: {entry.grad}", "<op registry>",  # noqa: S307
                           "eval"), dict(_REDUCTION_HELPERS))
    uses_result = "result" in entry.grad
    reads_self = uses_result or "self" in re.findall(r"\w+", entry.grad)  # (sum, mean: only the input's shape)

    dim_overload = entry.name in ("sum", "mean", "prod", "nansum")  # torch's overload with a dim: ...Backward1

    class R(Op):
        @classmethod
        def apply(cls, a, dims, keepdim, dtype, *p):  # Op.apply specialized for one tensor operand
            dt = None if dtype is None else dtype.id
            out = cfn(a._impl, dims, keepdim, dt, *p) if p else cfn(a._impl, dims, keepdim, dt)
            r = _wrap(out)
            if not (a._requires_grad and _state[0]):
                return r
            ctx = _new(cls)
            ctx.needs_input_grad, ctx.next_functions = _NEEDS_FIRST, (_edge_of(a),)
            ctx.args = (dims, keepdim, dtype, p)
            if uses_result:  # (save_for_backward's)
                ctx._saved, ctx._saved_versions = (a, _SavedOutput(out, 0)), (a._impl.version, out.version)
            elif reads_self:
                ctx._saved, ctx._saved_versions = (a, None), (a._impl.version, None)
            else:  # nothing saved, as torch's sum: the input may change in place before backward
                ctx._saved = ctx._saved_versions = _NOTHING_SAVED
                ctx.input_impl = a._impl  # (for its shape and dtype at this point: in-place views swap the impl)
            if dims and dim_overload:
                ctx._backward_name = cls.__name__ + "Backward1"
            return _recorded(ctx, r)

        @staticmethod
        def backward(ctx, g):
            a, result = ctx.saved_tensors if reads_self else (None, None)  # (nothing saved: a second backward works)
            if reads_self:
                shape, dtype = a.shape, a.dtype
            else:  # (kept as numbers: releasing the node after backward drops the impl, a second backward is fine)
                d = ctx.__dict__
                if "input_meta" not in d:
                    d["input_meta"] = (d["input_impl"].shape, _dtype.BY_ID[d["input_impl"].dtype])
                shape, dtype = d["input_meta"]
            dims, keepdim = _norm_dims(ctx.args[0], len(shape)), ctx.args[1]
            if uses_result:  # (recomputed with create_graph, so the gradient's graph reaches the input)
                result = R.apply(a, *ctx.args[:3], *ctx.args[3]) if _state[0] else result
                result = _expand_reduced(result, shape, dims, keepdim)
            count = math.prod(shape[d] for d in dims) if len(shape) else 1
            given = dims if ctx.args[0] else None  # None: no dim given (torch's prod() has its own rule)
            p = ctx.args[3]
            grad = formula(_expand_reduced(g, shape, dims, keepdim), a, result, given, count, *p)
            if grad is None:  # (torch's undefined gradient: the norm of order 0)
                return (None,) * (4 + len(p))
            return (grad if grad.dtype is dtype else grad.to(dtype)), None, None, None, *(None for _ in p)

    R.__name__ = R.__qualname__ = "".join(w.capitalize() for w in entry.name.split("_"))
    R.entry, R._backward_name = entry, entry.node
    return R


REDUCTION_OPS = {e.name: _reduction(e) for e in _registry.REDUCTIONS if e.grad is not None}


def _reversed_cumsum(t, dim):
    return t.sum(dim, keepdim=True) - t.cumsum(dim) + t


def _positions(x):
    """(i, k): the positions along x's last dim as a column and a row, to build an (i, k) matrix from."""
    position = x.new_ones(x.shape[-1], dtype=_dtype.int64).cumsum(0)
    return position.unsqueeze(-1), position


def cumprod_backward(grad, self, result, dim):
    """torch's: d/dx_i of sum_k grad_k y_k is sum_{k >= i} grad_k y_k / x_i before the first zero; at the first
    zero the running products with that zero left out; 0 after it. With create_graph, torch's O(n^2) form,
    differentiable at zeros too: sum_{k >= i} grad_k prod_{j <= k, j != i} x_j."""
    if _state[0]:
        x, g = self.movedim(dim, -1), grad.movedim(dim, -1)
        i, k = _positions(x)
        others = x.unsqueeze(-2).expand(*x.shape, x.shape[-1]).masked_fill(i == k, 1).cumprod(-1)
        return (others * g.unsqueeze(-2)).masked_fill(k < i, 0).sum(-1).movedim(-1, dim)
    zero = self == 0
    zeros_so_far = zero.cumsum(dim)
    before, first = zeros_so_far == 0, zero & (zeros_so_far == 1)
    at_first = _reversed_cumsum(grad * self.masked_fill(first, 1).cumprod(dim), dim)
    return (_reversed_cumsum(grad * result, dim) / self.masked_fill(zero, 1)).where(before, at_first * first)


def logcumsumexp_backward(grad, self, result, dim):
    """torch's: sum_{k >= i} grad_k exp(x_i - result_k), summed in log space for the positive and the negative
    part of grad apart (no overflow)."""
    if _state[0]:  # create_graph: the sum as it is written, each term exp(x_i - result_k) <= 1
        x, g, r = self.movedim(dim, -1), grad.movedim(dim, -1), result.movedim(dim, -1)
        i, k = _positions(x)
        terms = (x.unsqueeze(-1) - r.unsqueeze(-2)).masked_fill(k < i, -math.inf).exp()
        return (terms * g.unsqueeze(-2)).sum(-1).movedim(-1, dim)
    log_grad = grad.abs().log()

    def part(sign):  # the elements of grad with that sign
        log_part = log_grad.where(grad * sign > 0, -math.inf)
        return ((log_part - result).flip(dim).logcumsumexp(dim).flip(dim) + self).exp()
    return part(1) - part(-1)


_SCAN_HELPERS = {"cumprod_backward": cumprod_backward, "logcumsumexp_backward": logcumsumexp_backward}


def _scan(entry):
    """The autograd op of a registry scan: forward calls _C.<name>(input, dim) (a dtype= casts the input first);
    backward evaluates the entry's formula with `dim` wrapped and, for the indices kind, the indices (the second
    output, not differentiable). A 0-d input is the identity."""
    cfn = getattr(_C, entry.name)
    formula = eval(compile(f"lambda grad, self, result, dim, indices: {entry.grad}", "<op registry>", "eval"),  # noqa: S307
                   dict(_SCAN_HELPERS))
    indexed, reads_result = entry.kind == "indices", "result" in entry.grad
    reads_input = reads_result or "self" in entry.grad

    class S(Op):
        _non_differentiable_outputs = (1,)

        @staticmethod
        def forward(ctx, a, dim):
            out = cfn(a._impl, dim, None)
            ctx.ndim, ctx.dim = a.dim(), dim
            if indexed:
                ctx.indices = _wrap(out[1])
            # (save_for_backward's, inlined: only what the formula reads)
            values = out[0] if indexed else out
            ctx._saved = (a if reads_input else None, _SavedOutput(values, 0) if reads_result else None)
            ctx._saved_versions = (a._impl.version if reads_input else None, values.version if reads_result else None)
            return out

        @staticmethod
        def backward(ctx, g, *_):
            if not ctx.ndim:
                return g, None
            a, result = ctx.saved_tensors
            dim = _C.wrap_dim(ctx.dim, ctx.ndim)
            if _state[0] and reads_result:  # create_graph: recomputed, so the gradient's graph reaches the input
                result = S.apply(a, dim)
                result = result[0] if indexed else result
            return formula(g, a, result, dim, ctx.indices if indexed else None), None

    S.__name__ = S.__qualname__ = entry.name.capitalize()
    S.entry = entry
    return S


SCAN_OPS = {e.name: _scan(e) for e in _registry.SCANS}


def value_selecting_reduction_backward(grad, dim, indices, sizes, keepdim):
    """torch's: grad at the picked positions of a zero tensor of the input's sizes."""
    if not keepdim:
        grad, indices = grad.unsqueeze(dim), indices.unsqueeze(dim)
    return grad.new_zeros(sizes).scatter_add(dim, indices, grad)


def _selection(entry):
    """The autograd op of a registry selection (max(dim), kthvalue, median(dim), mode, sort, topk, ...):
    apply(input, values, indices, dim, keepdim, overload) takes the kernel's values and indices (impls) and makes the
    values the node's output, named as torch's overload; backward evaluates the entry's formula (a 0-d input's
    gradient is grad)."""
    formula = eval(compile(f"lambda grad, indices, dim, keepdim, sizes: {entry.grad}", "<op registry>", "eval"),  # noqa: S307
                   {"value_selecting_reduction_backward": value_selecting_reduction_backward})
    names = tuple(f"{entry.name.capitalize()}Backward{n}" for n in range(2))

    class P(Op):
        @staticmethod
        def forward(ctx, a, values, indices, dim, keepdim, overload):
            ctx.sizes, ctx.dim, ctx.keepdim, ctx.indices = a.shape, dim, keepdim, indices
            ctx._backward_name = names[overload]
            return values

        @staticmethod
        def backward(ctx, g):
            if len(ctx.sizes):
                dim = _C.wrap_dim(ctx.dim, len(ctx.sizes))
                g = formula(g, _wrap(ctx.indices), dim, ctx.keepdim, ctx.sizes)
            return g, None, None, None, None, None

    P.__name__ = P.__qualname__ = entry.name.capitalize()
    P.entry = entry
    return P


SELECTION_OPS = {e.name: _selection(e) for e in _registry.SELECTIONS}


# ------------------------------------------------------ linalg ops from the registry
# torch's helpers of derivatives.yaml for the LINALG rows, in Tensor ops (differentiable: create_graph reaches the
# inputs through the saved outputs, which are the node's own, as torch's)
def _eye(n, like):
    return _wrap(_C.eye(n, n, like.dtype.id, *like.device._code))


def _permutation_T(pivots, n, like):
    """P^T (..., n, n) of P A = L U from getrf's pivots: the row swaps applied to the identity (by the LU solve
    with L = U = I)."""
    eye = _eye(n, like).expand(list(pivots.shape[:-1]) + [n, n])
    return _wrap(_C.linalg_lu_solve(eye._impl, pivots._impl, eye._impl))


def _solve_triangular(A, B, upper, left=True, unitriangular=False):
    return LINALG_OPS["linalg_solve_triangular"].apply(A, B, upper, left, unitriangular)


def _inv(A):
    return LINALG_OPS["linalg_inv_ex"].apply(A, False)[0]


def svd_backward(gU, gS, gVh, U, S, Vh):
    """torch's, for real matrices, from the reduced factors (k = min(m, n)):
      gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] Vh
           + (I - U U^T) gU S^-1 Vh + U S^-1 gV^T (I - V V^T),   skew(X) = X - X^T, E_jk = s_k^2 - s_j^2 (j != k).
    NOTE: like torch's, it is infinite (NaN) for repeated singular values when gU or gVh is given, and the
    last two terms for a zero singular value."""
    k = S.shape[-1]
    inner = S.new_zeros(S.shape + (k,)) if gS is None else gS.diag_embed()
    if gU is None and gVh is None:
        return U.matmul(inner).matmul(Vh)
    s2 = S * S
    E = s2.unsqueeze(-2) - s2.unsqueeze(-1)
    E = E + _eye(k, E)  # (the skews' diagonals are 0)
    skews = 0
    if gU is not None:
        UtgU = U.transpose(-2, -1).matmul(gU)
        skews = (UtgU - UtgU.transpose(-2, -1)) * S.unsqueeze(-2)
    if gVh is not None:
        gV = gVh.transpose(-2, -1)
        VtgV = Vh.matmul(gV)
        skews = skews + S.unsqueeze(-1) * (VtgV - VtgV.transpose(-2, -1))
    gA = U.matmul(skews / E + inner).matmul(Vh)
    if gU is not None and U.shape[-2] > k:
        gA = gA + ((gU - U.matmul(UtgU)) / S.unsqueeze(-2)).matmul(Vh)
    if gVh is not None and Vh.shape[-1] > k:
        gA = gA + U.matmul(((gV - Vh.transpose(-2, -1).matmul(VtgV)) / S.unsqueeze(-2)).transpose(-2, -1))
    return gA


def lu_factor_ex_backward(grad, LU, pivots, pivot):
    """torch's: linalg_lu_backward of grad's strictly lower (L's) and upper (U's) parts, L and U unpacked from LU."""
    n = LU.shape[-1]
    L, U = LU.tril(-1) + _eye(n, LU), LU.triu()
    return linalg_lu_backward(grad.tril(-1), grad.triu(), _permutation_T(pivots, n, LU).mT, L, U, pivot)


def linalg_lu_backward(grad_L, grad_U, P, L, U, pivot):
    """torch's for a square A = P L U: with phi = tril(L^T gL, -1) + triu(gU U^T), gA = P L^-T phi U^-T."""
    phi = L.mT.matmul(grad_L).tril(-1) + grad_U.matmul(U.mT).triu()
    G = _solve_triangular(L.mT, phi, True, unitriangular=True)  # L^-T phi
    G = _solve_triangular(U, G.mT, True).mT  # L^-T phi U^-T
    return P.matmul(G)


def linalg_solve_backward(grad, result, A, left, grad_input_mask):
    """torch's: (gA, gB) of X = A^-1 B (X = B A^-1 when not left): gB = A^-T g (g A^-T), gA = -gB X^T (-X^T gB);
    B and X may be batches of vectors."""
    gB = LINALG_OPS["linalg_solve_ex"].apply(A.mT, grad, left, False)[0]
    gA = None
    if grad_input_mask[0]:
        G, X = (gB.unsqueeze(-1), result.unsqueeze(-1)) if result.dim() < A.dim() else (gB, result)
        gA = -G.matmul(X.mT) if left else -X.mT.matmul(G)
    return gA, gB if grad_input_mask[1] else None


def linalg_det_backward(grad, result, A):
    """torch's: g det A A^-T; where a matrix is singular, g times A's cofactor matrix from the SVD A = U S Vh:
    det(U) det(Vh) U diag(prod_{j != i} s_j) Vh."""
    if bool(result.ne(0).all()):
        return (grad * result).unsqueeze(-1).unsqueeze(-1) * _inv(A).mT
    U, S, Vh = LINALG_OPS["linalg_svd"].apply(A, False)
    det = LINALG_OPS["linalg_det"].apply
    signs = (det(U.detach()) * det(Vh.detach())).unsqueeze(-1).unsqueeze(-1)
    cofactor = signs * (U * _exclusive_prod(S, (S.dim() - 1,)).unsqueeze(-2)).matmul(Vh)
    return grad.unsqueeze(-1).unsqueeze(-1) * cofactor


def slogdet_backward(grad_sign, grad_logabsdet, A, sign):
    """torch's for real A: g_logabsdet A^-T (the sign is piecewise constant: no gradient)."""
    if grad_logabsdet is None:
        return None
    return grad_logabsdet.unsqueeze(-1).unsqueeze(-1) * _inv(A).mT


def linalg_solve_triangular_backward(grad, A, result, upper, left, unitriangular, grad_input_mask):
    """torch's: (gA, gB) of X = A^-1 B (B A^-1 when not left), A triangular: gB = A^-T g (g A^-T), gA = -gB X^T
    (-X^T gB) on A's triangle (without the diagonal when unitriangular)."""
    gB = _solve_triangular(A.mT, grad, not upper, left, unitriangular)
    gA = None
    if grad_input_mask[0]:
        gA = -gB.matmul(result.mT) if left else -result.mT.matmul(gB)
        gA = gA.triu(1 if unitriangular else 0) if upper else gA.tril(-1 if unitriangular else 0)
    return gA, gB if grad_input_mask[1] else None


def cholesky_backward(grad, upper, L):
    """torch's for A = L L^T (U^T U when upper): with Phi = tril(L^T gL) with its diagonal halved,
    gA = L^-T (Phi + Phi^T) L^-1 / 2, symmetric."""
    if upper:
        L, grad = L.mT, grad.mT
    phi = L.mT.matmul(grad).tril()
    phi = (phi + phi.tril(-1).mT) * 0.5
    gA = _solve_triangular(L.mT, phi, True)  # L^-T phi
    return _solve_triangular(L.mT, gA.mT, True).mT  # (L^-T (L^-T phi)^T)^T = L^-T phi L^-1


def linalg_qr_backward(gQ, gR, Q, R, mode):
    """torch's for A = Q R, m >= n (reduced): with M = gR R^T - Q^T gQ and N = triu(M) + triu(M, 1)^T,
    gA = (gQ + Q N) R^-T. For m < n, A = [X Y] with X = Q R1 square and Y = Q R2: gY = Q gR2, and X's gradient is
    the square case's with gQ + Y gR2^T for gQ."""
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                           "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
    m, n = Q.shape[-2], R.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
    if m >= n:
        return _qr_backward_tall(Q, R, gQ, gR)
    Y = Q.matmul(R[..., m:])
    gR1 = None if gR is None else gR[..., :m]
    if gR is not None:
        gQ = Y.matmul(gR[..., m:].mT) if gQ is None else gQ + Y.matmul(gR[..., m:].mT)
    gX = _qr_backward_tall(Q, R[..., :m], gQ, gR1)
    gY = Q.matmul(gR[..., m:]) if gR is not None else Q.new_zeros(list(Y.shape))
    return INDEXING_OPS["cat"].apply([gX, gY], -1)


def _qr_backward_tall(Q, R, gQ, gR):
    M = 0
    if gR is not None:
        M = gR.matmul(R.mT)
    if gQ is not None:
        M = M - Q.mT.matmul(gQ)
    if not isinstance(M, Tensor):
        return Q.new_zeros(list(Q.shape[:-1]) + [R.shape[-1]])
    N = M.triu() + M.triu(1).mT
    G = Q.matmul(N) if gQ is None else gQ + Q.matmul(N)
    return _solve_triangular(R, G.mT, True).mT  # G R^-T = (R^-1 G^T)^T


def linalg_eig_backward(gL, gV, L, V, is_hermitian):
    """torch's for the real symmetric A = V diag(L) V^T (is_hermitian): gA = V (diag(gL) + skew(V^T gV) / E) V^T,
    skew(X) = (X - X^T) / 2, E_ij = L_j - L_i (infinite for repeated eigenvalues when gV is given, as torch's)."""
    inner = L.new_zeros(list(L.shape) + [L.shape[-1]]) if gL is None else gL.diag_embed()
    if gV is not None:
        W = V.mT.matmul(gV)
        E = L.unsqueeze(-2) - L.unsqueeze(-1)
        E = E + _eye(L.shape[-1], E)  # (the skew's diagonal is 0)
        inner = inner + (W - W.mT) * 0.5 / E
    return V.matmul(inner).matmul(V.mT)


_LINALG_HELPERS = {f.__name__: f for f in (
    svd_backward, lu_factor_ex_backward, linalg_solve_backward, linalg_det_backward, slogdet_backward,
    linalg_solve_triangular_backward, cholesky_backward, linalg_qr_backward, linalg_eig_backward)}


# the kernels of the LINALG rows composed of _C calls (impls in, the outputs' impls out)
def _t(impl):
    return _C.transpose(impl, -2, -1)


def _lu_solve(A, B):
    """(X, info) with A X = B, by LU with partial pivoting."""
    LU, pivots, info = _C.linalg_lu_factor(A)
    return _C.linalg_lu_solve(LU, pivots, B), info


def _linalg_solve_ex(A, B, left, check_errors):
    if len(B.shape) < len(A.shape):  # a batch of vectors (torch's vector case)
        X, info = _linalg_solve_ex(A, _C.unsqueeze(B, -1), left, check_errors)
        return _C.reshape(X, B.shape), info
    if left:
        return _lu_solve(A, B)
    X, info = _lu_solve(_t(A), _t(B))  # X A = B: A^T X^T = B^T
    return _t(X), info


def _linalg_inv_ex(A, check_errors):
    return _lu_solve(A, _eye(A.shape[-1], _wrap(A)).expand(list(A.shape))._impl)


def _lu_det_parts(A):
    """(U's diagonal (..., n), the permutation's sign (...)) of P A^T = L U: det A = det A^T, factored as torch's
    LAPACK call factors A's row-major memory (read column-major), so det rounds as torch's does."""
    LU, pivots, _ = _C.linalg_lu_factor(_t(A))
    diag, pivots = _wrap(LU).diagonal(0, -2, -1), _wrap(pivots)
    rows = _wrap(_C.arange(1, A.shape[-1] + 1, 1, pivots.dtype.id, *pivots.device._code))
    swaps = pivots.ne(rows).sum(-1)
    return diag, (1 - 2 * swaps.remainder(2)).to(diag.dtype)


def _linalg_det(A):
    diag, perm_sign = _lu_det_parts(A)
    return (diag.prod(-1) * perm_sign)._impl


def _linalg_slogdet(A):
    diag, perm_sign = _lu_det_parts(A)
    return (diag.sign().prod(-1) * perm_sign)._impl, diag.abs().log().sum(-1)._impl


def _linalg_solve_triangular(A, B, upper, left, unitriangular):
    if left:
        return _C.linalg_solve_triangular(A, B, upper, unitriangular)
    return _t(_C.linalg_solve_triangular(_t(A), _t(B), not upper, unitriangular))  # X A = B: A^T X^T = B^T


def _linalg_cholesky_ex(A, upper, check_errors):
    L, info = _C.linalg_cholesky(A)
    return (_t(L) if upper else L), info


_LINALG_KERNELS = {
    "linalg_svd": lambda A, full_matrices: _C.linalg_svd(A, full_matrices, True),
    "linalg_lu_factor_ex": lambda A, pivot, check_errors: _C.linalg_lu_factor(A),
    "linalg_solve_ex": _linalg_solve_ex, "linalg_inv_ex": _linalg_inv_ex, "linalg_det": _linalg_det,
    "linalg_slogdet": _linalg_slogdet, "linalg_solve_triangular": _linalg_solve_triangular,
    "linalg_cholesky_ex": _linalg_cholesky_ex,
    "linalg_qr": lambda A, mode: _C.linalg_qr(A, mode == "complete", mode != "r"),
    "linalg_eigh": lambda A, UPLO: _C.linalg_eigh(A, UPLO == "U", True),
}


def _linalg(entry):
    """The autograd op of a LINALG row: apply(*inputs, *params) calls the kernel and returns the output (torch's
    return type for several); where an input needs a gradient it records one node, named as torch's, saving the
    inputs and outputs the formulas read (save_for_backward's: an in-place change raises; a saved output comes
    back as the node's own, so a create_graph backward differentiates through this node again, as torch's).
    backward evaluates the formulas with `grad`, `grad_<output>`, the inputs, the outputs, the params and
    `grad_input_mask`."""
    kernel = _LINALG_KERNELS.get(entry.kernel) or getattr(_C, entry.kernel)
    names = ("grad",) + tuple("grad_" + o for o in entry.outputs) + entry.inputs + entry.outputs + entry.params
    names += ("grad_input_mask",)
    formulas = tuple((tuple(entry.inputs.index(i.strip()) for i in k.split(",")),
                      eval(compile(f"lambda {', '.join(names)}: {f}", "<op registry>", "eval"),  # noqa: S307
                           _LINALG_HELPERS)) for k, f in entry.grad.items())
    reads = set().union(*(re.findall(r"\w+", f) for f in entry.grad.values()))
    saved_in = tuple(i for i, n in enumerate(entry.inputs) if n in reads)
    saved_out = tuple(i for i, n in enumerate(entry.outputs) if n in reads)
    differentiable = tuple(i for i, n in enumerate(entry.outputs) if n not in entry.nondiff)
    n_in, n_out = len(entry.inputs), len(entry.outputs)
    assert n_in in (1, 2), entry.name
    result_type = getattr(return_types, entry.name) if n_out > 1 else None
    no_edges = (_NO_EDGE,) * len(entry.params)

    class L(Op):
        _non_differentiable_outputs = tuple(i for i in range(n_out) if i not in differentiable)

        @classmethod
        def _record(cls, inputs, p, outs):
            """The node of outputs outs (Tensors) of inputs (one of which needs a gradient) and params p."""
            ctx = _new(cls)
            needs = tuple([t._requires_grad for t in inputs])
            ctx.needs_input_grad = needs + (False,) * len(p)
            ctx.next_functions = tuple([_edge_of(t) if n else _NO_EDGE for t, n in zip(inputs, needs)]) + no_edges
            ctx.p, ctx._n_out = p, n_out
            ctx._saved = tuple([inputs[i] for i in saved_in]) + tuple(
                [_SavedOutput(outs[i]._impl, i, i in differentiable) for i in saved_out])
            ctx._saved_versions = tuple([s._impl.version for s in ctx._saved])
            for i in differentiable:
                _recorded(ctx, outs[i])._output_nr = i

        if n_in == 1:
            @classmethod
            def apply(cls, A, *p):
                out = kernel(A._impl, *p)
                outs = tuple([_wrap(o) for o in out]) if n_out > 1 else (_wrap(out),)
                if A._requires_grad and _state[0]:
                    cls._record((A,), p, outs)
                return result_type(*outs) if n_out > 1 else outs[0]
        else:
            @classmethod
            def apply(cls, A, B, *p):
                out = kernel(A._impl, B._impl, *p)
                outs = tuple([_wrap(o) for o in out]) if n_out > 1 else (_wrap(out),)
                if (A._requires_grad or B._requires_grad) and _state[0]:
                    cls._record((A, B), p, outs)
                return result_type(*outs) if n_out > 1 else outs[0]

        @staticmethod
        def backward(ctx, *grads):
            saved = ctx.saved_tensors
            values = [None] * (n_in + n_out)
            for k, i in enumerate(saved_in + tuple(n_in + j for j in saved_out)):
                values[i] = saved[k]
            mask = ctx.needs_input_grad[:n_in]
            result = [None] * (n_in + len(ctx.p))
            for which, formula in formulas:
                if any(mask[i] for i in which):
                    g = formula(grads[0], *grads, *values, *ctx.p, mask)
                    for i, gi in zip(which, g if len(which) > 1 else (g,)):
                        result[i] = gi if mask[i] else None
            return tuple(result)

    L.__name__ = L.__qualname__ = "".join(w.capitalize() for w in entry.name.split("_"))
    L._backward_name, L.entry = entry.node, entry
    return L


LINALG_OPS = {e.name: _linalg(e) for e in _registry.LINALG}


def singular_values(A, dims=(-2, -1)):
    """The singular values (..., k) of A's matrices over dims (the other dims lead), differentiable."""
    d0, d1 = (_C.wrap_dim(d, A.dim()) for d in dims)
    if (d0, d1) != (A.dim() - 2, A.dim() - 1):
        A = A.permute(*[d for d in range(A.dim()) if d not in (d0, d1)], d0, d1)
    if A._requires_grad and _state[0]:
        return LINALG_OPS["linalg_svd"].apply(A, False)[1]
    return _wrap(_C.linalg_svd(A._impl, False, False)[1])


# ------------------------------------------------------------ nn ops from the registry
def _channels_last(impl, *like):
    """impl (a 4-d or 5-d result) laid out channels-last(-3d) where torch's CPU kernel would write it so: when one of
    `like` (the operands, of impl's rank) suggests that format (torch's mkldnn/thnn conv, pooling and upsampling
    rule)."""
    nd = impl.ndim
    if impl.is_contiguous and nd in (4, 5) and \
            any(t.ndim == nd and _mf.suggests_channels_last(t.shape, t.strides) for t in like) and \
            not _mf.suggests_channels_last(impl.shape, impl.strides):
        last = [0, *range(2, nd), 1]  # (channels innermost)
        return _C.permute(_C.clone(_C.permute(impl, last)), [0, nd - 1, *range(1, nd - 1)])
    return impl


def _convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """torch's convolution (2-d): conv2d, or with transposed its adjoint (conv2d's input-gradient kernel) of the
    output size (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1. The output is
    channels-last when the input or the weight is (torch's CPU convolutions)."""
    if not transposed:
        return _channels_last(_C.conv2d(input, weight, bias, stride, padding, dilation, groups), input, weight)
    size = [(input.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (weight.shape[2 + i] - 1) +
            output_padding[i] + 1 for i in range(2)]
    out = _C.conv2d_backward_input(input, weight, [input.shape[0], weight.shape[1] * groups, *size], stride, padding,
                                   dilation, groups)
    return _channels_last(out if bias is None else _C.add(out, _C.reshape(bias, [1, -1, 1, 1])), input, weight)


def _max_pool2d(self, *params):
    """max_pool2d's values and indices, channels-last for a channels-last input (torch's CPU kernel)."""
    out, indices = _C.max_pool2d(self, *params)
    return _channels_last(out, self), _channels_last(indices, self)


def _convolution_backward(grad_output, input, weight, stride, padding, dilation, transposed, output_padding, groups,
                          output_mask):
    """(grad_input, grad_weight, grad_bias) of convolution, each None where output_mask is False: the fused kernel;
    transposed, the forward convolution of grad_output and the weight gradient with the roles of input and
    grad_output exchanged."""
    if not transposed:
        gi, gw, gb = _C.conv2d_backward(grad_output, input, weight, stride, padding, dilation, groups,
                                        tuple(output_mask))
    else:
        gi = _C.conv2d(grad_output, weight, None, stride, padding, dilation, groups) if output_mask[0] else None
        gw = _C.conv2d_backward_weight(input, grad_output, list(weight.shape), stride, padding, dilation, groups) \
            if output_mask[1] else None
        gb = _C.sum(grad_output, [0, 2, 3], False, None) if output_mask[2] else None
    # (channels-last where the forward was: torch computes the gradients in the forward's layout)
    return (None if gi is None else _channels_last(gi, input, weight),
            None if gw is None else _channels_last(gw, input, weight), gb)


def _mse_loss(self, target, reduction):
    d = _C.sub(self, target)
    sq = _C.mul(d, d)
    if reduction == 0:
        return sq
    s = _C.sum(sq, [], False, None)
    return _C.div(s, sq.numel, False, s) if reduction == 1 else s


def _mse_loss_backward(grad_output, self, target, reduction):
    d = _C.sub(self, target)
    n = d.numel
    return _C.mul(d, _C.mul(grad_output, (2.0 / n if n else math.nan) if reduction == 1 else 2.0))


def embedding_rows(weight, indices):
    """The rows of weight at indices (any shape), with index_select's range check: torch's IndexError "index out of
    range in self" for an index past the end or negative (embedding does not count from the end)."""
    rows = _C.index_select(weight, 0, _C.reshape(indices, [-1]))
    return _C.view(rows, list(indices.shape) + list(weight.shape[1:]))


def _embedding_dense_backward(grad_output, indices, num_weights, padding_idx):
    """zeros(num_weights, ...).index_put_([indices], grad_output, accumulate=True), the padding_idx rows left out."""
    g = _wrap(grad_output)
    if padding_idx is not None:
        g = g.masked_fill((_wrap(indices) == padding_idx).unsqueeze(-1), 0)
    out = _C.full([num_weights, *g.shape[len(indices.shape):]], 0, g.dtype.id, *g.device._code)
    _C.index_put_(out, 0, [indices], g._impl, True)
    return out


def _upsample_kernels(mode):
    """upsample_<mode> and its backward: _C.upsample's mode 0 (nearest), 1 (nearest-exact) or 2 ((bi/tri)linear)."""
    return (lambda self, output_size, align_corners, scales:  # (4-d: channels-last for a channels-last input)
            _channels_last(_C.upsample(self, list(output_size), scales, mode, align_corners), self),
            lambda grad_output, output_size, input_size, align_corners, scales:
            _C.upsample_backward(grad_output, list(input_size), scales, mode, align_corners))


def _lstm_steps(L, reverse):
    return range(L - 1, -1, -1) if reverse else range(L)


def _mkldnn_rnn_layer(input, weight0, weight1, weight2, weight3, hx_, cx_, reverse):
    """One direction of one LSTM layer (torch's mkldnn_rnn_layer, its CPU LSTM): input (L, N, C), weight0 = W_ih
    (4H, C), weight1 = W_hh (4H, H), weight2/weight3 = b_ih/b_hh (4H) or None, hx_/cx_ (N, H) -> (output (L, N, H),
    hy, cy, cs, acts): cs (L, N, H) the cell states and acts (L, N, 4H) the activated gates of each step, kept for
    the backward (torch's workspace). The input projections are one GEMM (both biases added once); each step is one
    GEMM (W_hh h^T: the faster orientation for a small batch, which the cell kernel adds transposed) and the fused
    cell kernel, which writes h straight into its step of the output."""
    L, N, C = input.shape
    H = hx_.shape[1]
    code = (input.device_type, input.device_index)
    x2 = _C.reshape(input, [L * N, C])
    w_t = _C.transpose(weight0, 0, 1)
    if weight2 is None:
        gi = _C.mm(x2, w_t)
    else:
        gi = _C.addmm(weight2 if weight3 is None else _C.add(weight2, weight3), x2, w_t)
    gi = _C.reshape(gi, [L, N, 4 * H])
    out, cs, acts = (_C.empty(s, input.dtype, *code) for s in ([L, N, H], [L, N, H], [L, N, 4 * H]))
    h, c = hx_, cx_
    for t in _lstm_steps(L, reverse):
        h, c, act = _C.lstm_cell(_C.select(gi, 0, t), _C.mm(weight1, _C.transpose(h, 0, 1)), c, _C.select(out, 0, t))
        _C.copy_(_C.select(cs, 0, t), c)
        _C.copy_(_C.select(acts, 0, t), act)
    return out, _C.clone(h), c, cs, acts


def _cat(tensors, dim):
    return INDEXING_OPS["cat"].apply(list(tensors), dim)


def _stack(tensors):
    return _cat([t.unsqueeze(0) for t in tensors], 0)


def _lstm_cell_composite(gates, c):
    """The LSTM cell in Tensor ops (the formula the fused kernel _C.lstm_cell specializes): (h', c', act), act the
    activated gates (sigmoid(i), sigmoid(f), tanh(g), sigmoid(o))."""
    i, f, g, o = gates.chunk(4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g
    return o * c.tanh(), c, _cat([i, f, g, o], 1)


def _lstm_cell_backward_composite(grad_h, grad_c, act, c_prev, c):
    """The cell's gradient in Tensor ops (what _C.lstm_cell_backward computes): (grad of the gates, grad of c_prev)
    from grad_h and grad_c (the gradients of h' and c')."""
    i, f, g, o = act.chunk(4, 1)
    tc = c.tanh()
    dc = grad_c + grad_h * o * (1 - tc * tc)
    return _cat([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g), grad_h * tc * o * (1 - o)],
                1), dc * f


def mkldnn_rnn_layer_backward(grads, input, weight0, weight1, weight2, weight3, hx_, cx_, output, cs, acts, reverse,
                              grad_input_mask):
    """The gradients of _mkldnn_rnn_layer's inputs (None where grad_input_mask says none is needed): the steps run
    backwards through the fused cell gradient, each writing its gates' gradient into one (L, N, 4H) tensor; then both
    weights' gradients are ONE GEMM over all steps, grad_gates^T @ [x, h_prev] (h_prev read from the output, as
    torch's: an in-place change to the output makes backward raise). When a graph of the backward is being built
    (create_graph), the steps are recomputed and differentiated in Tensor ops, so higher-order gradients are
    exact."""
    grad_out, grad_hn, grad_cn = (g if g is not None else hx_.new_zeros(output.shape if k == 0 else hx_.shape)
                                  for k, g in enumerate(grads))
    L = input.shape[0]
    order = _lstm_steps(L, reverse)
    b = None if weight2 is None else weight2 if weight3 is None else weight2 + weight3
    if _state[0]:  # a graph of the backward: the steps recomputed in Tensor ops from the saved inputs
        gi = input.matmul(weight0.t()) if b is None else input.matmul(weight0.t()) + b
        h, c = hx_, cx_
        hs, c_steps, act_steps = [], [], []
        for t in order:
            h, c, act = _lstm_cell_composite(gi[t] + h.mm(weight1.t()), c)
            hs.append(h)
            c_steps.append(c)
            act_steps.append(act)
        prev_c = [cx_] + c_steps[:-1]
        steps = [None] * L  # the gates' gradients, in time order
        grad_h, grad_c = grad_hn, grad_cn
        for k in range(L - 1, -1, -1):
            t = order[k]
            steps[t], grad_c = _lstm_cell_backward_composite(grad_out[t] + grad_h, grad_c, act_steps[k], prev_c[k],
                                                             c_steps[k])
            grad_h = steps[t].mm(weight1)
        grad_gates = _stack(steps)
        output = _stack(hs[::-1] if reverse else hs)
    else:
        code = (input._impl.device_type, input._impl.device_index)
        w_t = _C.transpose(weight1._impl, 0, 1)
        grad_gates = _C.empty(list(acts.shape), acts._impl.dtype, *code)
        # h's gradient: grad_out[t] + grad_h_t^T, grad_h_t = (g W_hh)^T = W_hh^T g^T (the faster orientation)
        grad_h_t, grad_c = _C.transpose(grad_hn._impl, 0, 1), grad_cn._impl
        for k in range(L - 1, -1, -1):
            t = order[k]
            prev = order[k - 1] if k else None
            g, grad_c = _C.lstm_cell_backward(_C.select(grad_out._impl, 0, t), grad_h_t, grad_c,
                                              _C.select(acts._impl, 0, t),
                                              cx_._impl if prev is None else _C.select(cs._impl, 0, prev),
                                              _C.select(cs._impl, 0, t), _C.select(grad_gates, 0, t))
            grad_h_t = _C.mm(w_t, _C.transpose(g, 0, 1))
        grad_gates, grad_h, grad_c = _wrap(grad_gates), _wrap(_C.transpose(grad_h_t, 0, 1)), _wrap(grad_c)
    # both weights' gradients: the sum over the steps of grad_gates^T @ [x_t, h_prev] as one GEMM (h_prev: the output
    # one step back, hx_ for the first step)
    h0 = hx_.unsqueeze(0)
    prev_h = _cat([output[1:], h0] if reverse else [h0, output[:-1]], 0)
    flat = grad_gates.flatten(0, 1)
    need_x, need_w_ih, need_w_hh, need_b_ih, need_b_hh, need_h, need_c = grad_input_mask
    grad_w = flat.t().mm(_cat([input.flatten(0, 1), prev_h.flatten(0, 1)], 1)) if need_w_ih or need_w_hh else None
    C = input.shape[-1]
    grad_b = flat.sum(0) if need_b_ih or need_b_hh else None
    return (flat.mm(weight0).view(input.shape) if need_x else None, grad_w[:, :C] if need_w_ih else None,
            grad_w[:, C:] if need_w_hh else None, grad_b if need_b_ih else None, grad_b if need_b_hh else None,
            grad_h if need_h else None, grad_c if need_c else None)


def _frexp(self):
    """frexp's kernel: float16 and bfloat16 through float32 (exact: their values and mantissas are float32 ones)."""
    if self.dtype in (_dtype.float32.id, _dtype.float64.id):
        return _C.frexp(self)
    mantissa, exponent = _C.frexp(_C.to_dtype(self, _dtype.float32.id))
    return _C.to_dtype(mantissa, self.dtype), exponent


# The kernels of the NN_OPS rows that are not one `_C` function: kernel(*input impls, *params)
_NN_KERNELS = {
    "frexp": _frexp,
    "convolution": _convolution,
    "max_pool2d": _max_pool2d,
    "avg_pool2d": lambda self, *params: _channels_last(_C.avg_pool2d(self, *params), self),
    "convolution_backward": _convolution_backward,
    "max_pool2d_with_indices_backward": lambda grad_output, self, indices, kernel_size, stride, padding, dilation,
    ceil_mode: _C.max_pool2d_backward(grad_output, indices, list(self.shape)),
    "avg_pool2d_backward": lambda grad_output, self, *args: _C.avg_pool2d_backward(grad_output, list(self.shape),
                                                                                   *args),
    "softmax": lambda self, dim: _C.softmax(self, dim, False),
    "log_softmax": lambda self, dim: _C.softmax(self, dim, True),
    "softmax_backward_data": lambda grad_output, output, dim, input_dtype:
    _C.softmax_backward(grad_output, output, dim, False),
    "log_softmax_backward_data": lambda grad_output, output, dim, input_dtype:
    _C.softmax_backward(grad_output, output, dim, True),
    "nll_loss_backward": lambda grad_output, self, target, weight, total_weight, reduction, ignore_index:
    _C.nll_loss_backward(grad_output, self, target, weight, total_weight, reduction, ignore_index),
    "mse_loss": _mse_loss,
    "mse_loss_backward": _mse_loss_backward,
    "embedding": lambda weight, indices, padding_idx: embedding_rows(weight, indices),
    "embedding_dense_backward": _embedding_dense_backward,
    "ctc_loss": lambda log_probs, targets, input_lengths, target_lengths, blank, zero_infinity:
    _C.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank),
    "mkldnn_rnn_layer": _mkldnn_rnn_layer,
}
for _mode, _code in (("upsample_nearest", 0), ("_upsample_nearest_exact", 1), ("upsample_linear", 2)):
    _NN_KERNELS[_mode], _NN_KERNELS[_mode + "_backward"] = _upsample_kernels(_code)


def _convolution_double_backward(grads, grad_output, weight, input, stride, padding, dilation, transposed,
                                 output_padding, groups, grad_input_mask):
    """torch's: the gradients of convolution_backward's (grad_input, grad_weight, grad_bias) with respect to
    (grad_output, input, weight), given theirs (ggI, ggW, ggb; None where none flows). grad_input is linear in
    grad_output and the weight, grad_weight in grad_output and the input; the same expressions hold transposed."""
    ggI, ggW, ggb = grads
    conv, conv_backward = NN_OPS["convolution"].apply, NN_OPS["convolution_backward"].apply
    params = (stride, padding, dilation, transposed, output_padding, groups)
    ggO = gI = gW = None
    if grad_input_mask[0]:
        if ggI is not None:
            ggO = conv(ggI, weight, ggb, *params)
        elif ggb is not None:
            ggO = ggb.reshape(-1, 1, 1).expand(grad_output.shape)
        if ggW is not None:
            term = conv(input, ggW, None, *params)
            ggO = term if ggO is None else ggO + term
    if grad_input_mask[1] and ggW is not None:
        gI = conv_backward(grad_output, input, ggW, *params, (True, False, False))[0]
    if grad_input_mask[2] and ggI is not None:
        gW = conv_backward(grad_output, ggI, weight, *params, (False, True, False))[1]
    return ggO, gI, gW


def max_pool_double_backward(grad, indices, dim):
    """torch's: grad at the argmax positions of each of the last `dim` dims' planes."""
    return grad.flatten(-dim).gather(grad.dim() - dim, indices.flatten(-dim)).reshape(indices.shape)


def zeros_like(t):
    return t.new_zeros(t.shape)


def mse_loss_double_backward(grad, input, reduction):
    """torch's: the second derivative of mse_loss (2, divided by the element count for a mean) times grad."""
    return grad * (2.0 / input.numel() if reduction == 1 else 2.0)


def embedding_dense_double_backward(grad, indices, padding_idx):
    """torch's: the rows of grad picked by indices (embedding again), the padding_idx ones zero."""
    out = NN_OPS["embedding"].apply(grad, indices, None)
    return out if padding_idx is None else out.masked_fill((indices == padding_idx).unsqueeze(-1), 0)


def cross_entropy_backward(grad, self, target, weight, reduction, ignore_index, label_smoothing, total_weight):
    """The gradient of the fused cross entropy through rows, as torch's log_softmax + nll_loss:
    _log_softmax_backward_data of the gradient with respect to log_softmax(self), which is nll_loss's scaled by
    1 - label_smoothing, plus the smoothing term -label_smoothing / C * weight (ignored targets and the reduction's
    scale as nll_loss's)."""
    cdim = 0 if self.dim() == 1 else 1
    logp = NN_OPS["_log_softmax"].apply(self, cdim)
    g = NN_OPS["nll_loss_backward"].apply(grad, logp, target, weight, total_weight, reduction, ignore_index)
    if label_smoothing > 0:
        C = self.shape[cdim]
        shape = [1] * self.dim()
        shape[cdim] = C
        keep = (target.unsqueeze(cdim) if self.dim() > 1 else target.reshape(1)) != ignore_index
        scale = (grad.unsqueeze(cdim) if self.dim() > 1 else grad) if reduction == 0 else \
            grad / total_weight.item() if reduction == 1 else grad
        w = weight.detach().to(self.dtype).reshape(shape) if weight is not None else 1.0
        g = g * (1 - label_smoothing) - (label_smoothing / C) * w * keep.to(self.dtype) * scale
    return NN_OPS["_log_softmax_backward_data"].apply(g, logp, cdim, self.dtype)


def class_loss_backward(grad, self, target, weight, lse, total_weight, reduction, ignore_index, label_smoothing):
    """cross_entropy_backward as the fused kernel (csrc's class_loss_backward), without a graph."""
    return _wrap(_C.cross_entropy_backward(grad._impl, self._impl, target._impl, None if weight is None else
                                           weight._impl, lse._impl, total_weight._impl, reduction, ignore_index,
                                           label_smoothing))


def _ctc_loss_backward(grad, log_probs, targets, input_lengths, target_lengths, result, log_alpha, blank,
                       zero_infinity):
    """torch's (csrc/cpu/ctc.cpp): not differentiable itself, as torch's."""
    return _wrap(_C.ctc_loss_backward(grad._impl, log_probs._impl, targets._impl, input_lengths, target_lengths,
                                      result._impl, log_alpha._impl, blank, zero_infinity))


# Coefficients of torch's bivariate rational approximation of the gradient (standard_gamma_grad_one, for alpha <= 8
# and x >= 0.8): rows are powers of log(x / alpha), columns the numerator's and denominator's powers of log(alpha).
_COEF_UV = ((0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084),
            (0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915,
             -0.00058392623),
            (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326, 0.00085092367,
             -1.5247877e-07))


def _digamma(a):
    """digamma with torch's sampler convention (digamma_one): +inf at zero and the negative integers."""
    return a.digamma().masked_fill((a <= 0) & (a == a.floor()), math.inf)


def _zero_nan(t):
    return t.masked_fill(t.isnan(), 0.0)


def _standard_gamma_grad(self, output):
    """torch._standard_gamma_grad: d x / d alpha of standard Gamma(alpha = self) draws x = output at fixed CDF value,
    -(d/d alpha CDF(x; alpha)) / pdf(x; alpha), with torch's three approximations (computed in float64): a series
    for x < 0.8, Rice's saddle point expansion for alpha > 8, a rational fit otherwise."""
    alpha, x = self.double(), output.double()
    numer, denom = x.new_ones(()), alpha
    series1, series2 = 1 / denom, 1 / (denom * denom)
    for i in range(1, 6):  # the incomplete gamma's Taylor series and its alpha derivative
        numer = numer * (-x / i)
        denom = denom + 1
        series1, series2 = series1 + numer / denom, series2 + numer / (denom * denom)
    pow_x_alpha = x.pow(alpha)
    cdf_alpha = (x.log() - _digamma(alpha)) * pow_x_alpha * series1 - pow_x_alpha * series2
    small = _zero_nan(-cdf_alpha / (x.pow(alpha - 1) * (-x).exp()))
    near = ((1 + 24 * alpha * (1 + 12 * alpha)) * (1440 * alpha * alpha + 6 * x * (53 - 120 * x) - 65 * x * x / alpha
                                                   + alpha * (107 + 3600 * x)) / (1244160 * alpha.pow(4)))
    root = (8 * alpha).sqrt()
    term2, term3 = root / (alpha - x), (x - alpha - alpha * (x / alpha).log()).pow(-1.5)
    term1 = ((x / alpha).log() * (term2 - term3).where(x < alpha, term2 + term3)
             - (2 / alpha).sqrt() * (alpha + x) / (alpha - x).pow(2))
    far = -(1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))) * x * term1 / root
    u, v = (x / alpha).log(), alpha.log()
    c = [a + u * (b + u * d) for a, b, d in zip(*_COEF_UV)]
    rational = ((c[0] + v * (c[1] + v * (c[2] + v * c[3]))) / (c[4] + v * (c[5] + v * (c[6] + v * c[7])))).exp()
    large = near.where((0.9 * alpha <= x) & (x <= 1.1 * alpha), far)
    return small.where(x < 0.8, large.where(alpha > 8, rational)).to(self.dtype)


# What the NN_OPS formulas see: these helpers (torch's names) and every row's op by its name (added below)
_NN_ENV = {"max_pool_double_backward": max_pool_double_backward, "zeros_like": zeros_like, "sum_to": _unbroadcast,
           "mse_loss_double_backward": mse_loss_double_backward,
           "embedding_dense_double_backward": embedding_dense_double_backward,
           "_convolution_double_backward": _convolution_double_backward,
           "cross_entropy_backward": cross_entropy_backward, "class_loss_backward": class_loss_backward,
           "_ctc_loss_backward": _ctc_loss_backward, "mkldnn_rnn_layer_backward": mkldnn_rnn_layer_backward,
           "_standard_gamma_grad": _standard_gamma_grad}


def _version(t):
    return t._impl.version if isinstance(t, Tensor) else None


def _nn_source(entry):
    """The source of an NN_OPS row's apply and backward, written out for the row as torch's codegen writes
    Functions.cpp from derivatives.yaml: apply(*inputs, *params) calls the kernel and, when an input with a formula
    requires grad, records the node (named as torch's, with torch's edges: one per differentiable input, whose
    gradients backward returns) saving what the formulas read (the inputs with their
    versions, the outputs as saved outputs: save_for_backward's semantics); backward evaluates the formulas inline
    (the row's fused kernel instead when no graph is built)."""
    ins, params, outs, returns = entry.inputs, entry.params, entry.outputs, entry.returns
    diff = entry.differentiable
    reads = set().union(*(re.findall(r"\w+", f) for f in (*entry.grad.values(), entry.fused or "")))
    multi = len(outs) > 1
    saved_in = [n for n in ins if n in reads]
    sizes = [n for n in ins if n + "_sizes" in reads]  # (only an input's shape: torch's self_sizes)
    saved_out = [(k, n) for k, n in enumerate(outs) if n in reads]
    need = {n: f"{n}._requires_grad" if i == 0 else f"isinstance({n}, Tensor) and {n}._requires_grad"
            for i, n in enumerate(ins) if n in diff}
    impls = [f"{ins[0]}._impl"] + [f"_impl({n})" for n in ins[1:]]
    a = [f"def apply(cls, {', '.join(ins + params)}):",
         f"    out = kernel({', '.join(impls + list(params))})"]
    if not multi:
        a.append("    r = _wrap(out)")
    elif returns == 1:
        a.append("    r = _wrap(out[0])")
    else:
        a.append(f"    r = ({', '.join(f'None if out[{k}] is None else _wrap(out[{k}])' for k in range(returns))},)")
    a += ["    if not _state[0]:", "        return r"]
    a += [f"    n_{n} = {e}" for n, e in need.items()]
    a += [f"    if not ({' or '.join(f'n_{n}' for n in need)}):", "        return r",
          "    ctx = _new(cls)",
          f"    ctx.needs_input_grad = ({''.join(f'n_{n}, ' if n in need else 'False, ' for n in ins)})",
          f"    ctx.next_functions = ({''.join(f'_edge_of({n}) if n_{n} else _NO_EDGE, ' for n in need)})",
          f"    ctx.p = ({''.join(p + ', ' for p in params)})"]
    impl_of = (lambda k: f"out[{k}]") if multi else (lambda k: "out")
    kept = saved_in + [f"{n}.shape" for n in sizes] + [f"_SavedOutput({impl_of(k)}, {k}, " +
                       (f"{impl_of(k)}.dtype in _FLOAT_IDS)" if k < returns else "False)") for k, _ in saved_out]
    versions = [f"{n}._impl.version" if n == ins[0] else f"_version({n})" for n in saved_in] + \
        ["None"] * len(sizes) + [f"{impl_of(k)}.version" for k, _ in saved_out]
    a += [f"    ctx._saved = ({''.join(k + ', ' for k in kept)})",
          f"    ctx._saved_versions = ({''.join(v + ', ' for v in versions)})"]
    if isinstance(entry.node, tuple):
        a.append(f"    ctx._backward_name = NODES[len({params[0]}) - 1]")
    if returns > 1:
        a.append(f"    ctx._n_out = {returns}")
    for k in range(returns):
        o = "r" if returns == 1 else f"r[{k}]"
        a += [f"    if {o} is not None and {o}._impl.dtype in _FLOAT_IDS:",
              f"        {o}._requires_grad, {o}.grad_fn, {o}._output_nr = True, ctx, {k}"]
    a += ["    if _anomaly[0]:", "        ctx._stack = traceback.format_stack()[:-1]", "    return r"]

    b = [f"def backward(ctx, {'*grads' if returns > 1 else 'grad'}):"]
    names = saved_in + [n + "_sizes" for n in sizes] + [n for _, n in saved_out]
    if names:
        b.append(f"    {''.join(n + ', ' for n in names)}= ctx.saved_tensors")
    if params:
        b.append(f"    {''.join(p + ', ' for p in params)}= ctx.p")
    b.append("    need = ctx.needs_input_grad")
    if returns > 1:
        b.append("    grad = grads[0]")
    elif "grads" in reads:
        b.append("    grads = (grad,)")
    for key, formula in entry.grad.items():
        keys = [n.strip() for n in key.split(",")]
        mask = f"({''.join(f'need[{ins.index(n)}], ' for n in keys)})"
        expr = f"({entry.fused}) if not _state[0] else ({formula})" if entry.fused else formula
        if len(keys) == 1:
            b.append(f"    g_{keys[0]} = ({expr}) if need[{ins.index(keys[0])}] else None")
        else:
            b += [f"    grad_input_mask = {mask}",
                  f"    {', '.join(f'g_{n}' for n in keys)} = ({expr}) if True in grad_input_mask else "
                  f"({'None, ' * len(keys)})"]
    b.append(f"    return ({''.join(f'g_{n}, ' for n in diff)})")
    return "\n".join(a) + "\n\n\n" + "\n".join(b) + "\n"


_NN_GLOBALS = []  # each row's namespace: _NN_ENV, its kernel, and (below) every row's op


def _nn_op(entry):
    """The autograd op of an NN_OPS row (_nn_source), a class named as torch's op in CamelCase."""
    env = dict(_NN_ENV, kernel=_NN_KERNELS.get(entry.kernel) or getattr(_C, entry.kernel), NODES=entry.node,
               Tensor=Tensor, _impl=_impl, _wrap=_wrap, _state=_state, _new=_new, _edge_of=_edge_of,
               _NO_EDGE=_NO_EDGE, _SavedOutput=_SavedOutput, _FLOAT_IDS=_FLOAT_IDS, _version=_version,
               _anomaly=_anomaly, traceback=traceback)
    exec(compile(_nn_source(entry), f"<nn op registry: {entry.name}>", "exec"), env)  # noqa: S102
    _NN_GLOBALS.append(env)
    name = "".join(w.capitalize() for w in entry.name.split("_"))
    return type(name, (Op,), {"apply": classmethod(env["apply"]), "backward": staticmethod(env["backward"]),
                              "_backward_name": None if isinstance(entry.node, tuple) else entry.node,
                              "entry": entry, "__qualname__": name})


NN_OPS = {e.name: _nn_op(e) for e in _registry.NN_OPS}
for _env in _NN_GLOBALS:
    _env.update({name: op.apply for name, op in NN_OPS.items()})


# ------------------------------------------------------- matrix products from the registry
def maybe_multiply(t, s):
    """torch's: t * s, or t itself when s is 1."""
    return t if s == 1 else t * s


def mm_mat1_backward(grad, mat2, column_major, alpha):
    """torch's: the gradient of alpha * mat1 @ mat2 for mat1, column-major when mat1 was."""
    if column_major:
        return maybe_multiply(mat2.mm(grad.t()).t(), alpha)
    return maybe_multiply(grad.mm(mat2.t()), alpha)


def mm_mat2_backward(grad, mat1, column_major, alpha):
    """torch's: the gradient of alpha * mat1 @ mat2 for mat2, column-major when mat2 was, so a linear layer's
    weight gradient (mat2 is weight.t()) comes out in the weight's own layout, with no copy."""
    if column_major:
        return maybe_multiply(grad.t().mm(mat1).t(), alpha)
    return maybe_multiply(mat1.t().mm(grad), alpha)


_MATMUL_HELPERS = {"maybe_multiply": maybe_multiply, "mm_mat1_backward": mm_mat1_backward,
                   "mm_mat2_backward": mm_mat2_backward}


def _mv(mat, vec):
    return _C.squeeze(_C.mm(mat, _C.unsqueeze(vec, 1)), 1)


def _dot(a, b):
    """The sum of the products in a's dtype (an integer dot wraps in it, as torch's)."""
    return _C.sum(_C.mul(a, b), [], False, a.dtype)


def _outer(a, b):
    return _C.mul(_C.unsqueeze(a, 1), _C.unsqueeze(b, 0))


def _addbmm_product(batch1, batch2):
    """The sum over the batch of batch1[i] @ batch2[i]: one mm of (n, b*m) by (b*m, p)."""
    b, n, m = batch1.shape
    return _C.mm(_C.reshape(_C.permute(batch1, [1, 0, 2]), [n, b * m]), _C.reshape(batch2, [b * m, batch2.shape[2]]))


_MATMUL_KERNELS = {"mv": _mv, "dot": _dot, "outer": _outer, "addbmm_product": _addbmm_product}


def _scaled(product, input, beta, alpha):
    """beta * input + alpha * product, input ignored when beta == 0 (its NaNs too; its shape must still fit)."""
    if alpha != 1:
        product = _C.mul(product, alpha)
    if beta == 0:
        _C.expand(input, list(product.shape))
        return product
    return _C.add(product, input if beta == 1 else _C.mul(input, beta))


class _Product(Op):
    """The autograd op of a registry product of two operands (mm, bmm, mv, dot, vdot), made by _matmul, with apply
    specialized for them: every matmul and linear layer records through it. Class attributes: _kernel; _grads,
    the row's formulas (grad, self, other); _keeps, for each needs_input_grad (as the bits of an int), the
    operands the needed formulas read: only those are saved (as save_for_backward does, inlined)."""

    @classmethod
    def apply(cls, a, b):
        r = _wrap(cls._kernel(a._impl, b._impl))
        ra, rb = a._requires_grad, b._requires_grad
        if not ((ra or rb) and _state[0]):
            return r
        ctx = _new(cls)
        ctx.needs_input_grad = (ra, rb)
        ctx.next_functions = (_edge_of(a) if ra else _NO_EDGE, _edge_of(b) if rb else _NO_EDGE)
        ka, kb = cls._keeps[ra + 2 * rb]
        ctx._saved = (a if ka else None, b if kb else None)
        ctx._saved_versions = (a._impl.version if ka else None, b._impl.version if kb else None)
        if cls._layouts:
            ctx.layouts = (ra and a._impl.column_major, rb and b._impl.column_major)
        return _recorded(ctx, r)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need, grads, layouts = ctx.needs_input_grad, ctx._grads, ctx.layouts
        return grads[0](g, a, b, *layouts) if need[0] else None, grads[1](g, a, b, *layouts) if need[1] else None


class _ScaledProduct(Op):
    """The autograd op of a scaled registry product, beta * input + alpha * a @ b (addmm, baddbmm, addbmm, addmv,
    addr), apply specialized as _Product's; the input's gradient is summed back to its shape."""

    @classmethod
    def apply(cls, input, a, b, beta=1, alpha=1):
        if beta == 1 and alpha == 1 and cls._fused is not None:
            out = cls._fused(input._impl, a._impl, b._impl)
        else:
            out = _scaled(cls._kernel(a._impl, b._impl), input._impl, beta, alpha)
        r = _wrap(out)
        ri, ra, rb = input._requires_grad, a._requires_grad, b._requires_grad
        if not ((ri or ra or rb) and _state[0]):
            return r
        ctx = _new(cls)
        ctx.needs_input_grad = (ri, ra, rb)
        ctx.next_functions = (_edge_of(input) if ri else _NO_EDGE, _edge_of(a) if ra else _NO_EDGE,
                              _edge_of(b) if rb else _NO_EDGE)
        ki, ka, kb = cls._keeps[ri + 2 * ra + 4 * rb]
        ctx._saved = (input if ki else None, a if ka else None, b if kb else None)
        ctx._saved_versions = (input._impl.version if ki else None, a._impl.version if ka else None,
                               b._impl.version if kb else None)
        ctx.input_shape, ctx.beta, ctx.alpha = input._impl.shape, beta, alpha
        if cls._layouts:
            ctx.layouts = (False, ra and a._impl.column_major, rb and b._impl.column_major)
        return _recorded(ctx, r)

    @staticmethod
    def backward(ctx, g):
        c, a, b = ctx.saved_tensors
        need, grads, beta, alpha = ctx.needs_input_grad, ctx._grads, ctx.beta, ctx.alpha
        args = (g, c, a, b, *ctx.layouts, beta, alpha)
        return (_unbroadcast(grads[0](*args), ctx.input_shape) if need[0] else None,
                grads[1](*args) if need[1] else None, grads[2](*args) if need[2] else None)


def _matmul(entry):
    """The autograd op of a registry product: forward calls the row's kernel (the fused one for a scaled product
    with beta == alpha == 1), backward evaluates the row's formulas, each reading only what it names (whether an
    operand was column-major, kept only when a formula reads it: `_layouts`)."""
    layouts = tuple(f"{t}_column_major" for t in entry.tensors)
    names = entry.tensors + layouts + (("beta", "alpha") if entry.scaled else ())
    reads = [set(re.findall(r"\w+", f)) for f in entry.grad]
    n = len(entry.tensors)
    keeps = tuple(tuple(any(needs >> i & 1 and entry.tensors[j] in reads[i] for i in range(n)) for j in range(n))
                  for needs in range(2 ** n))
    attrs = {"_kernel": _MATMUL_KERNELS.get(entry.kernel) or getattr(_C, entry.kernel), "_keeps": keeps,
             "_layouts": any(n in r for n in layouts for r in reads), "layouts": (False,) * len(layouts),
             "_grads": tuple(eval(compile(f"lambda grad, {', '.join(names)}: {f}", "<op registry>", "eval"),  # noqa: S307
                                  dict(_MATMUL_HELPERS)) for f in entry.grad),
             "_backward_name": entry.node, "entry": entry, "__doc__": entry.doc(f"torch.{entry.name}")}
    if entry.scaled:
        attrs["_fused"] = getattr(_C, entry.fused) if entry.fused else None
    P = type("P", (_ScaledProduct if entry.scaled else _Product,), attrs)
    P.__name__ = P.__qualname__ = entry.name.capitalize()
    return P


MATMUL_OPS = {e.name: _matmul(e) for e in _registry.MATMULS}
Mm, Addmm, Bmm = (MATMUL_OPS[n] for n in ("mm", "addmm", "bmm"))
