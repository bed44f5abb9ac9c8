"""nn.Parameter: a Tensor that a Module registers as a learnable parameter when assigned to it."""
from .._tensor_base import ONLY_FLOATING_GRAD
from ..tensor import Tensor, empty


class Parameter(Tensor):
    """Parameter(data=None, requires_grad=True): shares data's storage (like data.detach()), is a leaf."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, but got {type(data).__name__}")
        t = object.__new__(cls)
        t._impl, t._requires_grad, t.grad_fn, t._grad, t._acc, t._output_nr, t._extra = \
            data._impl, False, None, None, None, 0, None
        if data._extra is not None and data._extra.get("inference"):
            t._extra = {"inference": True}  # (a Parameter of an inference tensor is one: made in inference_mode)
        if requires_grad:
            t._set_requires_grad(True, ONLY_FLOATING_GRAD)
        return t

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__  # print(param) shows it too, as torch's

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        # NOTE: as torch's, the copy is a fresh leaf: the .grad (and attributes) of a Parameter stay behind
        # (a deepcopied model starts with no gradients; a plain tensor's deepcopy keeps them).
        out = Parameter(self.detach().clone(), self._requires_grad)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, proto):
        return (Parameter, (self.detach().clone(), self._requires_grad))


class _BufferMeta(type):
    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and bool(instance.__dict__.get("_is_buffer"))


class Buffer(metaclass=_BufferMeta):
    """Buffer(data=None, *, persistent=True): a tensor that a Module registers as a buffer when assigned to it
    (torch.nn.Buffer). It is `data` detached, marked; isinstance(t, nn.Buffer) is True for such tensors."""

    def __new__(cls, data=None, *, persistent=True):
        data = empty(0) if data is None else data
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent, t._is_buffer = persistent, True
        return t


def zero_grads(params, set_to_none=True):
    """Module.zero_grad and Optimizer.zero_grad: drop each grad, or zero it in place, detached."""
    for p in params:
        g = p._grad
        if g is None:
            continue
        if set_to_none:
            p._grad = None
        else:
            if g.grad_fn is not None:
                g.detach_()
            else:
                g.requires_grad_(False)
            g.zero_()
