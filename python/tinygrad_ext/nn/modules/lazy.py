"""Lazy modules (LazyLinear, LazyConv*/LazyConvTranspose*, LazyBatchNorm*/LazyInstanceNorm*): their input size is
read from the first input. Until then the weights are UninitializedParameter (and the running statistics
UninitializedBuffer): placeholders whose shape cannot be read; the first forward (a forward pre-hook) gives them
their shapes, initializes them as the eager layer would, and turns the module into that layer's class
(LazyLinear -> Linear). load_state_dict materializes them from the checkpoint's shapes."""
from itertools import chain

from ...autograd.grad_mode import no_grad
from ... import _dtype
from ...tensor import Tensor, empty, tensor
from ..parameter import Parameter
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d,
                            InstanceNorm3d)

_SHAPE_ERROR = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
                "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
                "`forward` to initialize the parameters before accessing their attributes.")


class _Uninitialized:
    """The shared behaviour of UninitializedParameter and UninitializedBuffer."""
    __slots__ = ()
    _is_uninitialized = True
    cls_to_become = None

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_ERROR)

    def materialize(self, shape, device=None, dtype=None):
        """Gives the placeholder storage of `shape` (uninitialized values) and makes it a plain Parameter/Tensor."""
        data = empty(*shape, device=device or self.device, dtype=dtype or self.dtype)
        object.__setattr__(self, "_impl", data._impl)
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__


class UninitializedParameter(_Uninitialized, Parameter):
    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        p = Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)
        return p

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


class UninitializedBuffer(_Uninitialized, Tensor):
    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        t = empty(0, device=device, dtype=dtype, requires_grad=requires_grad)
        t.__class__ = cls
        return t

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


def is_lazy(t):
    return isinstance(t, _Uninitialized)


class LazyModuleMixin:
    """Runs initialize_parameters(*first_input) before the first forward, then becomes cls_to_become."""
    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters, with_kwargs=True)

    def _lazy_weight_and_bias(self, bias, device, dtype):
        """weight (and bias, when asked) as placeholders, for the layers built eagerly with no input size."""
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def has_uninitialized_params(self):
        return any(is_lazy(t) for t in chain(self._parameters.values(), self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")


def _infer_parameters(module, args, kwargs):
    module.initialize_parameters(*args, **kwargs)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module.__dict__["_initialize_hook"]
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False)  # (no tensors allocated; replaced below)
        self.out_features = out_features
        self._lazy_weight_and_bias(bias, device, dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConvXdMixin(LazyModuleMixin):
    _eager = None  # the class it becomes

    def __init__(self, out_channels, kernel_size, *args, bias=True, device=None, dtype=None, **kwargs):
        super().__init__(0, 0, kernel_size, *args, bias=False, **kwargs)  # (groups checks pass for 0 channels)
        self.out_channels = out_channels
        self._lazy_weight_and_bias(bias, device, dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            with no_grad():
                batched = input.dim() == self._dims + 2
                self.in_channels = input.shape[1 if batched else 0]
                if self.in_channels % self.groups != 0:
                    raise ValueError("in_channels must be divisible by groups")
                out_dims = (self.in_channels, self.out_channels // self.groups) if self.transposed else \
                    (self.out_channels, self.in_channels // self.groups)
                self.weight.materialize((*out_dims, *self.kernel_size))
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()


def _lazy_conv(eager):
    return type(f"Lazy{eager.__name__}", (_LazyConvXdMixin, eager), {"cls_to_become": eager,
                                                                     "__module__": __name__})


LazyConv1d, LazyConv2d, LazyConv3d = (_lazy_conv(c) for c in (Conv1d, Conv2d, Conv3d))
LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d = (
    _lazy_conv(c) for c in (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d))


class _LazyNormBase(LazyModuleMixin):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None, *,
                 bias=True):
        super().__init__(0, eps, momentum, False, False, device, dtype)  # (no tensors; replaced below)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self._lazy_weight_and_bias(bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", UninitializedBuffer(device=device, dtype=dtype))
            self.register_buffer("running_var", UninitializedBuffer(device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=_dtype.int64, device=device))

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            for t in (self.weight, self.bias, getattr(self, "running_mean", None), getattr(self, "running_var", None)):
                if t is not None and is_lazy(t):
                    t.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(base, eager):
    return type(f"Lazy{eager.__name__}", (base, eager), {"cls_to_become": eager, "__module__": __name__})


LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d = (_lazy_norm(_LazyNormBase, c)
                                                     for c in (BatchNorm1d, BatchNorm2d, BatchNorm3d))
# (torch's lazy instance norms take the batch norms' defaults: affine and tracking running statistics)
LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d = (_lazy_norm(_LazyNormBase, c)
                                                              for c in (InstanceNorm1d, InstanceNorm2d, InstanceNorm3d))
