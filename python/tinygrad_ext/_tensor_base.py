"""The bottom of the Python layers: the Tensor class (its slots), `_wrap`, the one way a _C.TensorImpl becomes
a Tensor, and `_needs_grad`, the one test of whether an op records a graph node or takes the fast path.

Layers import downward only: autograd's nodes (autograd/function.py) and the op table (_ops.py) build on this
module; tensor.py defines the methods and operators onto the same class with `@_methods`, so there is one
Tensor class, defined in layers, and `tinygrad_ext.tensor.Tensor is tinygrad_ext._tensor_base.Tensor`."""
from .autograd.grad_mode import _inference, _state


class Tensor:
    __module__ = "torch"  # (torch's: type(t) prints as <class 'torch.Tensor'>; instances pickle by __reduce_ex__)
    # __dict__: user code may set its own attributes on a tensor, as on torch's
    __slots__ = ("_impl", "_requires_grad", "grad_fn", "_grad", "_acc", "_output_nr", "_extra", "__weakref__",
                 "__dict__")


_new = object.__new__
# torch's refusal of requires_grad=True for a non-floating tensor, from the factories, Variable and Parameter
ONLY_FLOATING_GRAD = "Only Tensors of floating point and complex dtype can require gradients"
_NOT_COPIED = frozenset(("__dict__", "__weakref__", "__qualname__", "__firstlineno__", "__static_attributes__",
                         "__module__"))


def _methods(body):
    """Class decorator: the attributes of the decorated class body become Tensor's, and the name it is bound
    to is Tensor itself (tensor.py's `class Tensor:` block)."""
    for name, value in vars(body).items():
        if name not in _NOT_COPIED:
            setattr(Tensor, name, value)
    return Tensor


# torch.use_deterministic_algorithms' state, and torch.utils.deterministic.fill_uninitialized_memory ("fill"): with
# both on, the factories of uninitialized tensors fill them (tensor.py's _fill_uninitialized)
DETERMINISTIC = {"deterministic": False, "warn_only": False, "fill": True}


def _inference_extra(impl):
    """The _extra of a tensor made inside inference_mode (an inference tensor: no version counter); marks its impl,
    whose in-place writes outside inference_mode then raise torch's error (the core's bump_version)."""
    impl.inference = True
    return {"inference": True}


def _wrap(impl):
    t = _new(Tensor)
    t._impl, t._requires_grad, t.grad_fn, t._grad = impl, False, None, None
    t._acc, t._output_nr, t._extra = None, 0, _inference_extra(impl) if _inference[0] else None
    return t


def _needs_grad(*ts):
    if not _state[0]:
        return False
    for t in ts:
        if isinstance(t, Tensor) and t._requires_grad:
            return True
    return False


def typename(obj):
    """'torch.FloatTensor' for a float32 CPU tensor (its legacy type name); for a class or function its qualified
    name, else its type's (as torch's; this package's modules print as torch's, as its dtypes do)."""
    if isinstance(obj, Tensor):
        return obj.type()
    if hasattr(obj, "__qualname__") or hasattr(obj, "__name__"):
        module = getattr(obj, "__module__", "") or ""
        name = getattr(obj, "__qualname__", None) or obj.__name__
    else:
        module, name = type(obj).__module__ or "", type(obj).__qualname__
    if module.split(".")[0] == "tinygrad_ext":
        module = "torch" + module[len("tinygrad_ext"):]
    return name if module in ("", "builtins") else f"{module}.{name}"
