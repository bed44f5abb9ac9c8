"""Graph nodes. Every differentiable op (the internal ones in _ops.py and the
users' torch.autograd.Function subclasses) is a Function: one instance per
call is both the `ctx` its forward/backward receive and the `grad_fn` node."""
import traceback

from . import anomaly_mode
from .grad_mode import _state, no_grad

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after they "
          "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
          "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
          "or if you need to access saved tensors after calling backward.")


class Function:
    """Base of every graph node; subclass it with static forward(ctx, ...) and backward(ctx, *grads)."""

    next_functions = ()
    needs_input_grad = ()
    _saved = None
    _saved_versions = None
    _freed = False
    _hooks = None            # {output_nr: [hook]}: tensor hooks on this node's outputs
    _non_differentiable = None
    _materialize_grads = True
    _stack = None
    _output_shapes = ()

    # ---- ctx API
    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._saved_versions = tuple(None if t is None else t._impl.version for t in tensors)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(_FREED)
        saved = self._saved or ()
        for t, v in zip(saved, self._saved_versions or ()):
            if t is not None and t._impl.version != v:
                out = f", which is output {t._output_nr} of {t.grad_fn.name()}," if t.grad_fn is not None else ""
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace operation: "
                    f"[{t.type()} {list(t.shape)}]{out} is at version {t._impl.version}; expected version {v} "
                    "instead. Hint: enable anomaly detection to find the operation that failed to compute its "
                    "gradient, with torch.autograd.set_detect_anomaly(True).")
        return saved

    saved_variables = saved_tensors  # the 2017 name

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self._materialize_grads = bool(value)

    def name(self):
        return type(self).__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def previous_functions(self):  # 2017 name of next_functions
        return self.next_functions

    def register_hook(self, hook):
        self._hooks = self._hooks or {}
        self._hooks.setdefault(-1, []).append(hook)

    def _release(self):
        self._saved = None
        self._freed = True

    # ---- user-facing forward/backward
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    def _backward(self, grads):
        """Runs backward on a list of output grads; returns one grad (or None) per forward argument."""
        if self._materialize_grads:
            from ..tensor import zeros
            grads = [zeros(s, dtype=d, device=dev) if g is None else g
                     for g, (s, d, dev) in zip(grads, self._output_shapes)]
        result = type(self).backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self.next_functions)
        if len(result) > n and all(r is None for r in result[n:]):
            result = result[:n]
        if len(result) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(result)})")
        return result

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor, _edge
        ctx = cls()
        requires = _state[0] and any(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        if requires:
            ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
            ctx.next_functions = tuple(_edge(a) if isinstance(a, Tensor) else (None, 0) for a in args)
            ctx._output_shapes = tuple((o.shape, o.dtype, o.device) if isinstance(o, Tensor) else None for o in outs)
            if anomaly_mode._enabled[0]:
                ctx._stack = traceback.format_stack()[:-1]
            nd = ctx._non_differentiable or ()
            input_ids = {id(a) for a in args if isinstance(a, Tensor)}
            wrapped = []
            for i, o in enumerate(outs):
                if isinstance(o, Tensor):
                    if id(o) in input_ids:  # forward returned an input: the output is a new view of it
                        o = o.view_as(o) if o.dtype.is_floating_point else o
                        o = Tensor._from_impl(o._impl)
                    if id(o) not in nd and o.dtype.is_floating_point:
                        o._requires_grad = True
                        o.grad_fn = ctx
                        o._output_nr = i
                wrapped.append(o)
            outs = tuple(wrapped)
        return outs[0] if single else outs


class AccumulateGrad(Function):
    """The node of a leaf that requires grad: adds incoming gradients into leaf.grad."""

    def __init__(self, leaf):
        import weakref
        self._leaf = weakref.ref(leaf)

    @property
    def variable(self):
        return self._leaf()

    def name(self):
        return "AccumulateGrad"

    def _release(self):
        pass
