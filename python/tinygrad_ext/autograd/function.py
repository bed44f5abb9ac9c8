"""Graph nodes. Every differentiable op (the internal ones in _ops.py and the
users' torch.autograd.Function subclasses) is a Function: one instance per
call is both the `ctx` its forward/backward receive and the `grad_fn` node.

A node holds `next_functions` (one (node, output_nr) edge per forward
argument; (None, 0) where no gradient flows), what its backward needs, and
optional hooks. After a backward without retain_graph the engine calls
`_release()`, which drops every tensor the node holds; a later backward
through it raises torch's "Trying to backward through the graph a second
time" error (from `saved_tensors` or from any freed attribute)."""
import functools
import inspect
import numbers
import re
import traceback
import warnings
import weakref

from .. import _C, _dtype
from .._device import Size
from .._tensor_base import Tensor, _wrap
from . import anomaly_mode
from .grad_mode import _state, no_grad

_FORWARD_AD = [None]  # a forward AD level's handler of custom Functions (autograd/forward_ad.py), or None
_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after they "
          "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
          "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
          "or if you need to access saved tensors after calling backward.")

_PLAIN = {int, float, bool, str, type(None), tuple, list, Size, _dtype.dtype}
_EXACT = {Tensor, _C.TensorImpl}


def _tensor_attrs(d):
    """The keys of a node's __dict__ whose values are, or directly contain, tensors."""
    tt = Tensor, _C.TensorImpl
    exact = _EXACT
    dead = []
    for k, v in d.items():
        t = type(v)
        if t is tuple or t is list:
            for x in v:
                tx = type(x)
                if tx in exact or (tx not in _PLAIN and isinstance(x, tt)):
                    dead.append(k)
                    break
        elif t in exact or (t not in _PLAIN and isinstance(v, tt)):
            dead.append(k)
    return dead


def _version_error(t, version, expected, node_name):
    """torch 2.13's words; the node is named without its "Backward0" (ExpBackward0: "output 0 of Exp"), or its
    "Backward" alone before another number (LeakyReluBackward1: "LeakyRelu1", PowBackward2: "Pow2")."""
    op = re.sub(r"Backward0$", "", re.sub(r"Backward([1-9][0-9]*)$", r"\1", node_name)) if node_name else None
    out = f", which is output {t._output_nr} of {op}," if node_name else ""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{t.type()} {list(t.shape)}]{out} is at version {version}; expected version {expected} instead. " +
        ("Hint: the backtrace further above shows the operation that failed to compute its gradient. The variable "
         "in question was changed in there or anywhere later. Good luck!" if anomaly_mode._enabled[0] else
         "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
         "torch.autograd.set_detect_anomaly(True, check_nan=False)."))


_INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
    "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it in "
    "autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.")


class _SavedOutput:
    """An output saved by its own node: kept as an impl (no Tensor -> node -> Tensor cycle). nr: its output
    number (a multi-output op's are numbered when its outputs are made: _number_saved_outputs); tracked: whether
    the output got the node as its grad_fn (not an integer output such as LU's pivots)."""
    __slots__ = ("_impl", "nr", "tracked")

    def __init__(self, impl, nr, tracked=True):
        self._impl, self.nr, self.tracked = impl, nr, tracked


def adopt_saved_output(node, result_impl, target_impl):
    """After an in-place op wrote its out-of-place result into target: the output its node saved is target itself,
    at target's version now, as torch saves an in-place op's self (sigmoid_, exp_, ...): a later in-place change of
    target fails the node's backward with torch's error."""
    if node is None:
        return
    for i, s in enumerate(node._saved or ()):
        if type(s) is _SavedOutput and s._impl is result_impl:
            s._impl = target_impl
            versions = list(node._saved_versions)
            versions[i] = target_impl.version
            node._saved_versions = tuple(versions)
    if getattr(node, "_saves_result", False):  # (its backward reads a copy of its input; torch's reads the result)
        node._result_guard = (target_impl, target_impl.version)


def _number_saved_outputs(node, outputs):
    """The saved outputs of a multi-output node, numbered by their place in `outputs` (its output Tensors)."""
    for s in node._saved:
        if type(s) is _SavedOutput:
            for i, o in enumerate(outputs):
                if o._impl is s._impl:
                    s.nr, s.tracked = i, o.grad_fn is node
                    break


class RemovableHandle:
    """torch.utils.hooks.RemovableHandle, what every register_*_hook (of a Module, a Tensor, a graph node, an
    optimizer) returns: remove() unregisters the hook; also a context manager that removes it at exit. Each handle
    takes the next id of one counter (the class's next_id, as torch's). A Module's hooks live in dicts keyed by that
    id (hooks_dict and any extra_dict: the id is popped from each); autograd's in lists, from which remove() takes
    the handle's `_hook` by identity."""

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict = hooks_dict
        self.extra_dicts = () if extra_dict is None else tuple(extra_dict) if isinstance(extra_dict, list) else (
            extra_dict,)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        self._hook = None

    def remove(self):
        for d in (self.hooks_dict, *self.extra_dicts):
            if isinstance(d, list):
                for i, h in enumerate(d):
                    if h is self._hook:
                        del d[i]
                        break
            else:
                d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _list_handle(hooks, hook):
    """The handle of `hook`, appended to the list `hooks` (autograd's hook lists)."""
    handle = RemovableHandle(hooks)
    handle._hook = hook
    return handle


class FunctionCtx:
    """What a custom Function's forward (or setup_context) and backward receive as ctx: saving tensors for
    backward and marking outputs (torch.autograd.function.FunctionCtx; every node is one)."""

    needs_input_grad = ()
    _saved = None
    _saved_versions = None
    _freed = False
    _saves_numbers = False   # True for the built-in ops: save_for_backward keeps a Python number operand
    _non_differentiable = None
    _dirty = None
    _materialize_grads = True
    _saved_forward = None    # save_for_forward's tensors
    _result_guard = None     # (impl, version): an in-place op's self, which torch's node saves (adopt_saved_output)
    _in_jvp = False          # True while the Function's jvp runs (saved_tensors: save_for_forward's)

    def save_for_backward(self, *tensors):
        """The one way a node keeps tensors for its backward (saved_tensors gives them back, checking that no
        in-place op changed them since): Tensors and None; for the built-in ops, whose forward returns impls,
        also the impls of their own outputs (kept without a Tensor -> node -> Tensor cycle) and an operand
        that was a Python number."""
        try:
            self._saved_versions = tuple([None if t is None else t._impl.version for t in tensors])
        except AttributeError:
            tensors = tuple([_SavedOutput(t, 0) if type(t) is _C.TensorImpl else t for t in tensors])
            versions = []
            for i, t in enumerate(tensors):
                if hasattr(t, "_impl"):
                    versions.append(t._impl.version)
                elif t is None or self._saves_numbers and isinstance(t, numbers.Number):
                    versions.append(None)
                else:
                    raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                    f"{type(t).__name__}") from None
            self._saved_versions = tuple(versions)
        self._saved = tensors

    def save_for_forward(self, *tensors):
        """Keeps tensors for the Function's jvp (forward mode AD): inside jvp, saved_tensors gives them."""
        if not all(t is None or hasattr(t, "_impl") for t in tensors):
            raise AssertionError("save_for_forward expects all arguments to be tensors; you should save non-tensors "
                                 "as attributes on ctx.")
        self._saved_forward = tensors

    @property
    def saved_tensors(self):
        if self._in_jvp:
            return tuple(self._saved_forward or ())
        if self._freed:
            raise RuntimeError(_FREED)
        if self._result_guard is not None and self._result_guard[0].version != self._result_guard[1]:
            impl, version = self._result_guard
            t = _wrap(impl)
            t._requires_grad, t.grad_fn, t._output_nr = True, self, 0
            raise _version_error(t, impl.version, version, self.name())
        saved = self._saved
        if not saved:
            return ()
        out = []
        for t, v in zip(saved, self._saved_versions):
            if v is None:  # (None, or a built-in op's number)
                out.append(t)
                continue
            if type(t) is _SavedOutput:
                impl, nr, tracked = t._impl, t.nr, t.tracked
                t = _wrap(impl)
                if tracked:
                    t._requires_grad, t.grad_fn, t._output_nr = True, self, nr
            if t._impl.version != v:
                raise _version_error(t, t._impl.version, v, t.grad_fn.name() if t.grad_fn is not None else None)
            if t._extra is not None and t._extra.get("inference"):  # (torch refuses it when saving it, in forward)
                raise RuntimeError(_INFERENCE_SAVED)
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors  # the 2017 name

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value):
        self._materialize_grads = bool(value)



class Function(FunctionCtx):
    """Base of every graph node; subclass it with static forward(ctx, ...) and backward(ctx, *grads)."""

    next_functions = ()
    _n_out = 1               # number of forward outputs (the engine passes one grad per output)
    _hooks = None            # {output_nr: [hook]}: tensor hooks on this node's outputs
    _retain = None           # {output_nr: hook}: retain_grad hooks, run after the other tensor hooks
    _pre_hooks = None        # node hooks: hook(grad_outputs) -> new grad_outputs or None
    _post_hooks = None       # node hooks: hook(grad_inputs, grad_outputs) -> new grad_inputs or None
    _has_hooks = False       # any of the four above (one check on the engine's hot path)
    _trusted_grads = False   # True for the built-in ops: their gradients never alias a user's tensor
    _native = False          # True for the nodes torch implements in C++ (they print without a module path)
    _is_view = False         # True for ops whose output is a view of their first input
    _stack = None
    _output_meta = ()
    _input_meta = ()

    def __getattr__(self, name):  # only reached when normal lookup fails
        if self.__dict__.get("_freed") and not name.startswith("__"):
            raise RuntimeError(_FREED)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __init__(self, *args, **kwargs):
        warnings.warn(f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, so "
                      "you should invoke them on the class itself. Instantiating an autograd function will raise an "
                      "error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    @property
    def metadata(self):
        """A dict the user may fill (torch's Node.metadata): one per node, kept with it."""
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self.__dict__["_metadata"] = {}
        return d

    def __call__(self, *args):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    def name(self):
        n = type(self).__name__
        return n if "_forward_cls" in type(self).__dict__ else n + "Backward"

    @classmethod
    def _backward_cls(cls):
        """The class of cls.apply's nodes: cls's subclass <Name>Backward (torch's: type(y.grad_fn).__name__)."""
        bw = cls.__dict__.get("_backward_node_cls")
        if bw is None:
            # (made here, as torch's metaclass makes it in torch.autograd.function: that is its module)
            bw = type(cls.__name__ + "Backward", (cls,), {"_forward_cls": cls, "__module__": __name__,
                                                         "__qualname__": cls.__name__ + "Backward"})
            cls._backward_node_cls = bw
        return bw

    def __repr__(self):  # (torch's nodes print bare; a Python Function's class lives in torch.autograd.function)
        where = "" if self._native else "torch.autograd.function."
        return f"<{where}{self.name().rpartition('::')[2]} object at {id(self):#x}>"  # (torch::autograd::X: X)

    _previous_functions = None  # a node's edges in the 2017 graph's order, where it differs (F.linear's)

    @property
    def previous_functions(self):  # the 2017 name of next_functions
        return self._previous_functions or self.next_functions

    def register_hook(self, hook):
        """hook(grad_inputs, grad_outputs), called after this node's backward; may return new grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = []
        self._has_hooks = True
        self._post_hooks.append(hook)
        return _list_handle(self._post_hooks, hook)

    def register_prehook(self, hook):
        """hook(grad_outputs), called before this node's backward; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._has_hooks = True
        self._pre_hooks.append(hook)
        return _list_handle(self._pre_hooks, hook)

    def _release(self):
        """Frees what backward needed (saved tensors and any tensor held as an attribute)."""
        d = self.__dict__
        d.pop("_saved", None)
        for k in _tensor_attrs(d):
            del d[k]
        d["_freed"] = True

    # ---- user-facing forward/backward
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with "
                                  "forward mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """torch 2 style: when a subclass defines it, forward(*args) gets no ctx and this fills ctx instead."""
        raise NotImplementedError("setup_context is not implemented.")

    def _backward(self, grads):
        """Runs a custom Function's backward on one grad (or None) per output; checks and returns one
        grad per forward argument, reduced to the input's shape where it was broadcast (as torch)."""
        if self._materialize_grads:
            for i, (g, meta) in enumerate(zip(grads, self._output_meta)):
                if g is None and meta is not None:
                    grads[i] = _zeros(meta[0], meta[1], meta[2])
        result = type(self).backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self._input_meta)  # one per forward argument; the edges are the Tensor arguments'
        if len(result) != n:
            if len(result) > n and all(r is None for r in result[n:]):
                result = result[:n]
            else:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients (expected "
                                   f"{n}, got {len(result)})")
        out = list(result)
        for i, (g, meta) in enumerate(zip(result, self._input_meta)):
            if g is None:
                continue
            if not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
            if meta == 0:
                raise RuntimeError(f"function {self.name()} returned a gradient different than None at position "
                                   f"{i + 1}, but the corresponding forward input was not a Variable")
            if meta is None:  # a tensor input that does not require grad: the gradient is ignored
                out[i] = None
                continue
            shape, dtype = meta
            if g.shape != shape:
                if not _expandable(shape, g.shape):
                    raise RuntimeError(f"Function {self.name()} returned an invalid gradient at index {i} - got "
                                       f"{list(g.shape)} but expected shape compatible with {list(shape)}")
                g = _unbroadcast(g, shape)
            if g.dtype is not dtype:
                g = g.to(dtype)
            out[i] = g
        return [g for g, meta in zip(out, self._input_meta) if meta != 0]

    @classmethod
    def apply(cls, *args, **kwargs):
        if cls.setup_context is not Function.setup_context:  # (torch binds the signature, defaults included)
            bound = _forward_signature(cls).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        elif kwargs:
            args, kwargs = _keywords_as_positions(cls, args, kwargs), {}
        Tensor, _, _wrap, _edge = _api()
        requires = False
        if _state[0]:
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    requires = True
                    break
        bw = cls.__dict__.get("_backward_node_cls") or cls._backward_cls()
        ctx = bw.__new__(bw)
        # (each input's requires_grad, whatever the grad mode: torch's)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        prev = _state[0]
        _state[0] = False
        try:
            if cls.setup_context is Function.setup_context:
                out = cls.forward(ctx, *args, **kwargs)
            else:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
        finally:
            _state[0] = prev
        if ctx._dirty:  # (torch counts the marking as one more write, recorded or not; a saved one stays valid)
            for a in args:
                if isinstance(a, Tensor) and id(a) in ctx._dirty:
                    _C.bump_version(a._impl)
            if ctx._saved:
                ctx._saved_versions = tuple(t._impl.version if id(t) in ctx._dirty else v
                                            for t, v in zip(ctx._saved, ctx._saved_versions))
        if not requires:
            return out
        if _FORWARD_AD[0] is not None:  # (a forward AD level: the outputs' tangents, from the Function's jvp)
            return _FORWARD_AD[0](cls, ctx, args, _record(cls, ctx, args, out))
        return _record(cls, ctx, args, out)


def _record(cls, ctx, args, out):
    """The outputs of cls.apply, recorded in the graph as the outputs of node ctx."""
    Tensor, _, _wrap, _edge = _api()
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    ctx.next_functions = tuple(_edge(a) for a in args if isinstance(a, Tensor))  # (torch's: Tensors only)
    ctx._input_meta = tuple(((a.shape, a.dtype) if a._requires_grad else None) if isinstance(a, Tensor) else 0
                            for a in args)
    ctx._output_meta = tuple((o.shape, o.dtype, o.device) if isinstance(o, Tensor) else None for o in outs)
    ctx._n_out = len(outs)
    if anomaly_mode._enabled[0]:
        ctx._stack = traceback.format_stack()[:-1]
    nd = ctx._non_differentiable or ()
    dirty = ctx._dirty or ()
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    input_storages = {a._impl.storage_id for a in args if isinstance(a, Tensor)}
    saved_ids = {id(t): j for j, t in enumerate(ctx._saved or ()) if t is not None}
    saved = list(ctx._saved or ())
    wrapped = []
    for i, o in enumerate(outs):
        if isinstance(o, Tensor):
            oid = id(o)
            if oid in dirty:  # modified in place by forward: the input itself takes the new history
                if o._requires_grad and o.grad_fn is None:
                    raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                                       "operation.")
            elif oid in input_ids:  # forward returned an input: the output is a new alias of it
                o = _wrap(o._impl)
            if oid not in nd and o.dtype.is_floating_point:
                o._requires_grad, o.grad_fn, o._output_nr = True, ctx, i
                if oid not in dirty and o._impl.storage_id in input_storages:  # a view of an input, or an input
                    o._extra = {"_custom_view": True}  # (forward's view, made with grad mode off, is this node's)
                elif o._extra is not None and "_no_grad_view" in o._extra:
                    o._extra = None
                if oid in saved_ids and oid not in input_ids:
                    saved[saved_ids[oid]] = _SavedOutput(o._impl, i)
            elif oid in dirty:
                o._requires_grad, o.grad_fn = False, None
        wrapped.append(o)
    if saved_ids:
        ctx._saved = tuple(saved)
    return wrapped[0] if single else tuple(wrapped)


def _forward_signature(cls):
    sig = cls.__dict__.get("_forward_sig")
    if sig is None:
        sig = inspect.signature(cls.forward)
        cls._forward_sig = sig
    return sig


def _keywords_as_positions(cls, args, kwargs):
    """A ctx-style forward's keyword arguments moved to their positions, as torch's apply: each names a
    positional parameter after ctx, and every position before the last given one must be filled."""
    params = list(_forward_signature(cls).parameters.values())[1:]
    names = []
    for p in params:
        if p.kind not in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            break
        names.append(p.name if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD else None)
    slots = dict(enumerate(args))
    for name, value in kwargs.items():
        if name not in names:
            raise TypeError(f"forward() got an unexpected keyword argument '{name}'")
        i = names.index(name)
        if i in slots:
            raise TypeError(f"forward() got multiple values for argument '{name}'")
        slots[i] = value
    out = []
    for i in range(max(slots) + 1):
        if i not in slots:
            raise TypeError(f"forward() missing required argument: '{params[i].name}' (position {i})")
        out.append(slots[i])
    return tuple(out)


def _expandable(shape, grad_shape):
    """Whether `shape` broadcasts to `grad_shape` (so the gradient can be summed back to it)."""
    if len(shape) > len(grad_shape):
        return False
    for s, g in zip(reversed(shape), reversed(grad_shape)):
        if s != g and s != 1:
            return False
    return True


def _unbroadcast(g, shape):
    """Sums a broadcast gradient back to `shape` (the backward of an expand)."""
    if g.shape == shape:
        return g
    lead = g.dim() - len(shape)
    dims = list(range(lead)) + [i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1]
    if dims:
        g = g.sum(dims, keepdim=True)
    return g.reshape(shape) if g.shape != shape else g


def _zeros(shape, dtype, device):
    return _wrap(_C.full(list(shape), 0, dtype.id, *device._code))


def once_differentiable(fn):
    """Decorator for a custom Function's backward that does not support double backward: it runs without
    recording; where a graph is being built (create_graph with grad_outputs requiring grad), its gradients come
    out of an Error node (on detached copies, as torch's) whose backward raises."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not _state[0] or not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = [o.detach().requires_grad_(True) if isinstance(o, Tensor) else o
                for o in ((outputs,) if single else outputs)]
        tensors = [o for o in outs if isinstance(o, Tensor)]
        if tensors:
            errored = _DelayedError.apply(*tensors)
            errored = iter(errored if isinstance(errored, tuple) else (errored,))
            outs = [next(errored) if isinstance(o, Tensor) else o for o in outs]
        return outs[0] if single else tuple(outs)
    return wrapper


class _DelayedError(Function):
    """torch's Error node: the gradients of a once_differentiable backward, which cannot be differentiated."""

    _native = True

    def name(self):
        return "torch::autograd::Error"

    @staticmethod
    def forward(ctx, *tensors):
        return tensors[0] if len(tensors) == 1 else tensors

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


class AccumulateGrad(Function):
    """The node of a leaf that requires grad: adds incoming gradients into leaf.grad."""

    _native = True

    def __init__(self, leaf):
        self._leaf = weakref.ref(leaf)

    @property
    def variable(self):
        return self._leaf()

    _post_acc_hooks = None   # [hook(leaf)]: Tensor.register_post_accumulate_grad_hook, run after .grad is updated

    def name(self):
        return "torch::autograd::AccumulateGrad"  # (torch's name; repr keeps the class name)

    def _release(self):
        pass


def _edge(t):
    """The graph edge into tensor t: its grad_fn, or its leaf accumulator, or none."""
    if not t._requires_grad:
        return (None, 0)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    acc = t._acc
    if acc is None:
        if t._extra is not None and "_no_grad_view" in t._extra:
            return (None, 0)  # (torch's: a view made with grad mode off is a leaf that collects no gradient)
        acc = t._acc = AccumulateGrad(t)
    return (acc, 0)


_API = (Tensor, _C.TensorImpl, _wrap, _edge)


def _api():
    """What Function.apply unpacks into locals for its loops."""
    return _API


# ------------------------------------------------------------ tensor hooks
def register_tensor_hook(t, hook):
    """Tensor.register_hook: hook(grad) runs when t's gradient is computed; a returned tensor replaces it."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node, nr = _edge(t)
    if node is None:  # (a view made with grad mode off: no gradient reaches it, the hook never runs)
        return _list_handle([hook], hook)
    if node._hooks is None:
        node._hooks = {}
    node._has_hooks = True
    hooks = node._hooks.setdefault(nr, [])
    hooks.append(hook)
    return _list_handle(hooks, hook)


def register_post_accumulate_grad_hook(t, hook):
    """Tensor.register_post_accumulate_grad_hook: hook(t) runs after a backward pass has added into t.grad."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    node = _edge(t)[0]
    if node is None:  # (a view made with grad mode off collects nothing)
        return _list_handle([hook], hook)
    if node._post_acc_hooks is None:
        node._post_acc_hooks = []
    hooks = node._post_acc_hooks
    hooks.append(hook)
    return _list_handle(hooks, hook)


def retain_grad(t):
    """Tensor.retain_grad: a non-leaf tensor keeps its gradient in .grad (a copy, accumulated out of place)."""
    if not t._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if t.grad_fn is None:
        return
    if t._extra is None:
        t._extra = {}
    if t._extra.get("retains_grad"):
        return
    t._extra["retains_grad"] = True
    ref = weakref.ref(t)

    def retain(g):
        var = ref()
        if var is not None:
            var._grad = g.clone() if var._grad is None else var._grad + g
    _attach_retain(t, retain)


def _attach_retain(t, retain):
    t._extra["_retain_hook"] = retain
    node = t.grad_fn
    if node._retain is None:
        node._retain = {}
    node._has_hooks = True
    node._retain[t._output_nr] = retain


# ------------------------------------------------------------ views and in-place ops
def _view_of(cls, a, params, out):
    """out = cls.apply(a, *params) of a view op (_ops._View) shares a's storage: it remembers its base (the first
    non-view tensor) and the chain of view ops from it, for the leaf check and for in-place ops on the view
    (CopySlices)."""
    ex = a._extra
    base = ex.get("_base") if ex is not None else None
    if base is None:
        out._extra = {"_base": a, "_view_chain": ((cls, params),)}
    else:
        out._extra = {"_base": base, "_view_chain": ex["_view_chain"] + ((cls, params),)}
        if "_multi_output" in ex:  # (a view of a piece of unbind/split: no in-place writes either, as torch's)
            out._extra["_multi_output"] = True


def _replay(t, chain):
    for cls, extra in chain:
        t = cls.apply(t, *extra)
    return t


def inplace_source(t):
    """In-place ops under autograd compute out of place and copy into t. When the op's backward reads its
    input, it gets this copy of t (with t's history), which the write into t leaves intact."""
    s = _wrap(_C.clone(t._impl))
    s._requires_grad, s.grad_fn, s._output_nr = t._requires_grad, t.grad_fn, t._output_nr
    return s


def rebase_history(t, result):
    """After an in-place op wrote `result` into t's memory: t takes result's history. If t is a view of a
    non-leaf tensor, the base takes a CopySlices node (the base with the view's region replaced by result)
    and t becomes a view of the new base, as in torch."""
    ex = t._extra
    if ex.get("retains_grad") and t.grad_fn is not None and t.grad_fn._retain:
        t.grad_fn._retain.pop(t._output_nr, None)  # moves to the new node below
    base = ex.get("_base")
    if base is not None and (base.grad_fn is not None if base._requires_grad else result._requires_grad):
        # (a base without grad takes the history too, with no edge of its own: its old values had none)
        chain = ex["_view_chain"]
        node = CopySlices.__new__(CopySlices)
        base_edge = _edge(base) if base._requires_grad else (None, 0)
        fn = result.grad_fn
        if fn is not None and result._output_nr == 0 and fn.next_functions and \
                fn.next_functions[0][0] is t.grad_fn and fn.next_functions[0][1] == t._output_nr:
            # torch's CopySlices: it runs the in-place op's node itself, the view's gradient written into the
            # base's; its edges are the base's and the op's others (the op's first input was the view)
            node._fn = fn
            node.next_functions = (base_edge,) + tuple(fn.next_functions[1:])
        else:
            node.next_functions = (base_edge, _edge(result))
        node.needs_input_grad = (base._requires_grad, result._requires_grad)
        node._chain = chain
        node._base_meta = (base.shape, base.dtype, base.device)
        base.grad_fn, base._output_nr, base._requires_grad = node, 0, True
        view = _AsStridedView.__new__(_AsStridedView)  # (torch regenerates the view's node as an as_strided)
        view.next_functions, view.needs_input_grad = ((node, 0),), (True,)
        view._chain, view._base_meta = chain, node._base_meta
        t.grad_fn, t._output_nr, t._requires_grad = view, 0, True
    else:
        t.grad_fn, t._output_nr, t._requires_grad = result.grad_fn, result._output_nr, result._requires_grad
    if ex.get("retains_grad") and t.grad_fn is not None:
        _attach_retain(t, ex["_retain_hook"])


class _AsStridedView(Function):
    """A view's node after an in-place op through it (torch's AsStridedBackward0 onto the base's CopySlices): its
    gradient is the base's, zeros outside the view's elements."""

    _native = True
    _trusted_grads = True
    _materialize_grads = False

    def name(self):
        return "AsStridedBackward0"

    def _backward(self, grads):
        g = grads[0]
        if g is None:
            return (None,)
        out = _zeros(*self._base_meta)
        _replay(out, self._chain).copy_(g)
        return (out,)


class CopySlices(Function):
    """The history of a base tensor after an in-place op on one of its views."""

    _native = True
    _trusted_grads = True
    _materialize_grads = False

    def name(self):
        return "torch::autograd::CopySlices"

    _fn = None  # the in-place op's node, where its first input was the view (torch's CopySlices::fn)

    def _release(self):
        if self._fn is not None:
            self._fn._release()
        Function._release(self)

    def _backward(self, grads):
        g = grads[0]
        fn = self._fn
        if fn is not None:
            if g is None:
                return (None,) * len(self.next_functions)
            result = g.clone()
            view = _replay(result, self._chain)
            res = tuple(fn._backward([view.clone()]))
            res += (None,) * (len(fn.next_functions) - len(res))
            if self.needs_input_grad[0]:
                if res[0] is None:
                    view.zero_()
                else:
                    view.copy_(res[0])
            return (result if self.needs_input_grad[0] else None,) + res[1:]
        if g is None:
            return (None, None)
        with no_grad():
            mask = _zeros(*self._base_meta)
            _replay(mask, self._chain).fill_(1)
        return (g * (1 - mask) if self.needs_input_grad[0] else None,
                _replay(g.contiguous(), self._chain) if self.needs_input_grad[1] else None)
