"""Tensor: a handle on a _C.TensorImpl plus autograd state. Methods are thin
calls into the op table (_ops.py) when a graph must be recorded, and straight
into _C when none is (the fast path). The class itself (its slots) and `_wrap`
are _tensor_base.py's, below autograd and the op table; this module defines
the methods onto it."""
import builtins
import copy
import functools
import itertools
import math
import numbers
import operator as _operator
import re as _re
import warnings

import numpy as np

from . import _C, _dtype, _nested, _ops, _registry, return_types
from . import _memory_format as _mf
from ._autocast import ACTIVE as _AMP
from ._autocast import cast_inputs as _amp_cast
from ._device import CPU, Size, as_device, device
from ._generator import drawing_from
from ._ops import _apply_basic_index
from ._tensor_base import DETERMINISTIC, ONLY_FLOATING_GRAD, _inference_extra, _methods, _needs_grad, _wrap
from ._tensor_str import tensor_repr
from .autograd import engine as _engine
from .autograd import function as _function
from .autograd.grad_mode import _inference, _state

_py_bool, _py_int, _py_float, _py_slice = builtins.bool, builtins.int, builtins.float, builtins.slice
_DTYPE = _dtype.BY_ID
_INT64 = _dtype.int64.id


def _binary(cfn, op, operator=None):
    """A binary op; `operator` (a Python operator's name) routes a numpy array operand as torch's operators do
    (_ndarray_operator); the methods raise TypeError for one, as torch's."""
    def method(self, other):
        try:
            if _state[0] and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)):
                return op.apply(self, other)
            return _wrap(cfn(self._impl, other._impl if isinstance(other, Tensor) else other))
        except TypeError:
            if operator is None or not isinstance(other, np.ndarray):
                raise
            return _ndarray_operator(self, other, operator)
    return method


def _rbinary(cfn, op, operator, record=None):
    """Tensor.__r<op>__; `record(self, other)`: how torch records it where that is not op(other, self) (2 + x is
    x.add(2), 2 - x rsub's one edge, 2 / x x.reciprocal() * 2)."""
    def method(self, other):
        try:
            if _state[0] and self._requires_grad:
                if isinstance(other, np.ndarray):
                    raise TypeError
                return record(self, other) if record else op.apply(other, self)
            return _wrap(cfn(self._impl, other, True))
        except TypeError:
            if not isinstance(other, np.ndarray):
                raise
            return _ndarray_operator(self, other, operator)
    return method


def _rsub_recorded(self, other):
    """other - self as torch's rsub(self, other) records it: RsubBackward1, one edge (self's)."""
    r = _ops.Sub.apply(other, self)
    node = r.grad_fn
    node.next_functions, node._edge_pos, node._backward_name = (node.next_functions[1],), (1,), "RsubBackward1"
    return r


def _unary(cfn, op):
    def method(self):
        if _state[0] and self._requires_grad:
            return op.apply(self)
        return _wrap(cfn(self._impl))
    return method


def _compare(cfn, operator=None):
    def method(self, other):
        try:
            return _wrap(cfn(self._impl, other._impl if isinstance(other, Tensor) else other))
        except TypeError:
            if operator is None or not isinstance(other, np.ndarray):
                raise
            return _ndarray_operator(self, other, operator)
    return method


def _bitwise(cfn, reflected=False, operator=None):
    """&, |, ^ and bitwise_and/or/xor: bool and integer tensors (the core rejects floats, as torch)."""
    def method(self, other):
        try:
            return _wrap(cfn(self._impl, other, True) if reflected else
                         cfn(self._impl, other._impl if isinstance(other, Tensor) else other))
        except TypeError:
            if operator is None or not isinstance(other, np.ndarray):
                raise
            return _ndarray_operator(self, other, operator)
    return method


# Python operators whose numpy-array operand numpy computes (torch's operators turn it away), by the method
# that computes them here.
_NUMPY_COMPUTED = {"add": "add", "sub": "sub", "mul": "mul", "truediv": "_true_div", "floordiv": "floor_divide",
                   "mod": "remainder", "pow": "pow", "matmul": "matmul"}


def _ndarray_operator(self, arr, operator):
    """`self <operator> arr` for a numpy array, as torch gives it: torch's operators turn arrays away, so Python
    asks numpy, which computes with the tensor as an array and wraps the result back. Computed here in the core
    with numpy's rules: numpy's result dtype (true division of integers: float64), a bool result as uint8
    (torch's __array_wrap__), integer // and % by 0 give 0, numpy's errors (ValueError for shapes, a tensor that
    requires grad cannot become an array). `==` and `&`/`|`/`^` (integers) convert the array as torch does, `!=`
    is Python's identity fallback; the reflected operators but `/` and the ordering comparisons are declined
    (Python raises its TypeError)."""
    if operator == "eq":
        return self == from_numpy(arr)
    if operator == "ne":
        return True
    if operator == "rtruediv":  # torch's arr / t is t.reciprocal() * arr
        return _ndarray_operator(self.reciprocal(), arr, "mul")
    if operator in ("and", "or", "xor"):  # torch converts the array; integer and bool tensors only
        other = from_numpy(arr)
        if self.dtype.is_floating_point or other.dtype.is_floating_point:
            symbol = {"and": "&", "or": "|", "xor": "^"}[operator]
            raise TypeError(f"unsupported operand type(s) for {symbol}: 'Tensor' and 'numpy.ndarray'")
        return getattr(Tensor, f"bitwise_{operator}")(self, other)
    if operator not in _NUMPY_COMPUTED:
        return NotImplemented
    if self.requires_grad:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
    if self.is_cuda:
        raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the "
                        "tensor to host memory first.")
    dt = np.result_type(np.dtype(self.dtype.name), arr.dtype)
    if operator == "truediv" and dt.kind in "biu":
        dt = np.dtype(np.float64)
    if operator == "sub" and dt.kind == "b":
        raise TypeError("numpy boolean subtract, the `-` operator, is not supported, use the bitwise_xor, the `^` "
                        "operator, or the logical_xor function instead.")
    b = from_numpy(arr.copy(order="C")).to(_dtype.from_numpy_dtype(dt))
    a = self.to(b.dtype)
    if operator == "matmul":
        try:
            return matmul(a, b)
        except RuntimeError as e:  # numpy's matmul raises ValueError for shapes
            raise ValueError(str(e)) from None
    np.broadcast_shapes(tuple(self.shape), arr.shape)  # numpy's ValueError
    if operator == "pow" and dt.kind in "iu" and _py_bool((b < 0).any()):
        raise ValueError("Integers to negative integer powers are not allowed.")
    compute = getattr(Tensor, _NUMPY_COMPUTED[operator])
    if operator in ("floordiv", "mod") and dt.kind in "iu":  # numpy: x // 0 and x % 0 are 0 for integers
        zero = b == 0
        return compute(a, b.masked_fill(zero, 1)).masked_fill(zero, 0)
    out = compute(a, b)
    return out.to(_dtype.uint8) if out.dtype is _dtype.bool else out


def _bitwise_inplace(cfn):
    """&=, |=, ^= and bitwise_and_/or_/xor_: no autograd (bool and integer tensors carry no gradient)."""
    def method(self, other):
        cfn(self._impl, other._impl if isinstance(other, Tensor) else other, False, self._impl)
        return self
    return method


def _inplace(cfn, op, operator=False):
    """In-place binary op (add_, mul_, ...): writes into self's storage; with autograd the
    result is computed out of place and copied in, and self takes the new graph node. The operators (+=, ...)
    decline a numpy array, as torch's: Python then computes `t = t + arr`."""
    def method(self, other, *, alpha=None):
        if operator and isinstance(other, np.ndarray):
            return NotImplemented
        if alpha is not None:
            fused = _fused_alpha(self, other, alpha, cfn is _C.sub, inplace=True)
            if fused is not None:
                return fused
            other = _scaled(self, other, alpha)
        if _needs_grad(self, other):
            _check_inplace(self)
            if not _can_cast_into(self, other):  # (the kernel's check, which this path does not reach)
                raise RuntimeError(f"result type {_DTYPE[_C.result_type(self._impl, _ops._impl(other))]._legacy[:-6]} "
                                   f"can't be cast to the desired output type {self.dtype._legacy[:-6]}")
            return self._rebase(op.apply(_function.inplace_source(self) if op._reads_inputs else self, other))
        cfn(self._impl, other._impl if isinstance(other, Tensor) else other, False, self._impl)
        return self
    return method


def _tensor_other(method, name):
    """maximum/minimum: `other` must be a Tensor (torch's TypeError for a number)."""
    def checked(self, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        return method(self, other)
    checked.__name__ = name
    return checked


def _tensor_impl(other, name):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
    return other._impl


def _unary_inplace(name):
    """exp_, neg_, ...: with autograd, the out-of-place op's result copied in (self takes its node)."""
    def method(self):
        if _needs_grad(self):
            _check_inplace(self)
            return self._rebase(getattr(_function.inplace_source(self), name)())
        getattr(_C, name)(self._impl, self._impl)
        return self
    return method


def _alpha(method, no_bool=False):
    """add/sub's `alpha`: self + alpha * other (sub: no_bool, a bool operand raises whatever alpha is)."""
    def with_alpha(self, other, *, alpha=None):
        if alpha is None or no_bool and (self.dtype is _dtype.bool or isinstance(other, _py_bool) or
                                         isinstance(other, Tensor) and other.dtype is _dtype.bool):
            return method(self, other)
        fused = _fused_alpha(self, other, alpha, negate=no_bool)  # (sub is the one with no_bool)
        if fused is not None:
            return fused
        return method(self, _scaled(self, other, alpha))
    with_alpha.__name__ = method.__name__
    return with_alpha


def _fused_alpha(self, other, alpha, negate, inplace=False):
    """add/sub of a Tensor with a float alpha into a floating result: torch's kernel, self + alpha * other with one
    rounding (_add_alpha, a fused multiply-add; p.add_(g, alpha=-lr) is bitwise torch's), the node named as
    torch's; None where it does not apply (integers, bool, complex, a number other: the composed path)."""
    if isinstance(alpha, Tensor) and alpha.dim() == 0 and alpha.dtype.is_floating_point:
        alpha = alpha.item()  # (a 0-d tensor is a Scalar to torch's argument parser)
    if not isinstance(other, Tensor) or isinstance(alpha, (_py_bool, np.bool_)) or \
            not isinstance(alpha, (_py_int, _py_float, np.integer, np.floating)):
        return None
    rt = _DTYPE[_C.result_type(self._impl, other._impl)]
    if not rt.is_floating_point or rt.is_complex or (inplace and self.dtype is not rt):
        return None
    a = -_py_float(alpha) if negate else _py_float(alpha)
    node = "SubBackward0" if negate else "AddBackward0"
    if _needs_grad(self, other):
        if inplace:
            _check_inplace(self)
            return self._rebase(_named(_ops.REGISTERED["_add_alpha"].apply(self, other, a), node))
        return _named(_ops.REGISTERED["_add_alpha"].apply(self, other, a), node)
    if inplace:
        _C._add_alpha(self._impl, other._impl, False, self._impl, (a,))
        return self
    return _wrap(_C._add_alpha(self._impl, other._impl, False, None, (a,)))


def _scaled(self, other, alpha):
    """alpha * other for add/sub, computed in the result's dtype as torch's (int32 - alpha * uint8 does
    not wrap at 256), with torch's checks of alpha against that dtype."""
    rt = _DTYPE[_C.result_type(self._impl, other._impl if isinstance(other, Tensor) else other)]
    if isinstance(alpha, _py_bool):
        if rt is not _dtype.bool:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, (_py_float, np.floating)) and not rt.is_floating_point:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if rt is _dtype.bool:  # a bool sum: alpha only says whether other counts
        return other if alpha else other & False
    if isinstance(other, Tensor) and other.dtype is not rt:
        other = other.to(rt)
    if not isinstance(other, Tensor) and rt.is_floating_point:
        return _py_float(other) * _py_float(alpha)  # (two Python ints: their product may leave int64)
    return other * alpha


def _check_inplace(t):
    if t._requires_grad and _state[0]:
        if t._extra is not None and "_no_grad_view" in t._extra:
            raise RuntimeError("A view was created in no_grad mode and is being modified inplace with grad mode "
                               "enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You "
                               "can clarify your code by moving both the view and the inplace either both inside the "
                               "no_grad block (if you don't want the inplace to be tracked) or both outside (if you "
                               "want the inplace to be tracked).")
        if t.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        if t._extra is not None:
            base = t._extra.get("_base")
            if base is not None and base.grad_fn is None and base._requires_grad:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                                   "operation.")
            if "_multi_output" in t._extra and t.grad_fn is not None:
                raise RuntimeError(f"Output {t._output_nr} of {_re.sub(r'Backward[0-9]+$', '', t.grad_fn.name())} "
                                   "is a view and is being modified inplace. This view is the output of a function "
                                   "that returns multiple views. Such functions do not allow the output views to be "
                                   "modified inplace. You should replace the inplace operation by an out-of-place "
                                   "one.")
            if "_custom_view" in t._extra and t.grad_fn is not None:
                raise RuntimeError(f"Output {t._output_nr} of {_re.sub(r'Backward$', '', t.grad_fn.name())} is a view "
                                   "and is being modified inplace. This view was created inside a custom Function (or "
                                   "because an input was returned as-is) and the autograd logic to handle "
                                   "view+inplace would override the custom backward associated with the custom "
                                   "Function, leading to incorrect gradients. This behavior is forbidden. You can fix "
                                   "this by cloning the output of the custom Function.")


def _inference_alias(src, out):
    """detach() and .data of an inference tensor, as torch's: an inference tensor (is_inference(), and its views
    refuse in-place writes outside inference_mode) that itself takes them (its impl is not marked)."""
    if src._extra is not None and src._extra.get("inference") and out._extra is None:
        out._extra = {"inference": True}
    return out


def _select_args(self, dim, index):
    """select's (dim, index) checked as torch's select() checks them, dim wrapped."""
    if self._impl.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _C.wrap_dim(dim, self._impl.ndim)
    n, index = self._impl.shape[d], _operator.index(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(self._impl.shape)} at "
                         f"dimension {d}")
    return d, index


@_methods  # (the class and its slots: _tensor_base.py)
class Tensor:
    __array_priority__ = 1000  # numpy defers to our reflected operators

    # ---------------------------------------------------------- construction
    def __new__(cls, *args, **kwargs):
        if cls is Tensor:  # the legacy constructor: torch.Tensor(5, 3), torch.Tensor([1, 2])
            return _legacy_new(_dtype.get_default_dtype(), kwargs.pop("device", None), *args, **kwargs)
        return object.__new__(cls)

    # --------------------------------------------------------------- metadata
    @property
    def shape(self):
        return Size(self._impl.shape)

    def size(self, dim=None):
        s = self._impl.shape
        if dim is None:
            return Size(s)
        if not s:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return s[_C.wrap_dim(dim, len(s))]

    def dim(self):
        return self._impl.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._impl.ndim

    def numel(self):
        return self._impl.numel

    nelement = numel

    @property
    def dtype(self):
        return _DTYPE[self._impl.dtype]

    @property
    def device(self):
        impl = self._impl
        return CPU if impl.device_type == 0 else device("cuda", impl.device_index)

    @property
    def is_cuda(self):
        return self._impl.device_type == 1

    def get_device(self):
        return self._impl.device_index if self.is_cuda else -1

    def stride(self, dim=None):
        s = self._impl.strides
        if dim is None:
            return s
        if not s:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return s[_C.wrap_dim(dim, len(s))]

    def storage_offset(self):
        return self._impl.offset

    def is_contiguous(self, memory_format=_mf.contiguous_format):
        """Whether self's elements are dense in memory_format's order (row-major by default)."""
        if memory_format in _mf.CHANNELS_LAST:
            return _mf.is_channels_last(self, memory_format) or self._impl.numel == 0
        return self._impl.is_contiguous or self._impl.numel == 0  # (any layout of no elements is, as torch's)

    def element_size(self):
        return self.dtype.itemsize

    def data_ptr(self):
        return self._impl.data_ptr

    def is_floating_point(self):
        return self.dtype.is_floating_point

    @property
    def _version(self):
        if self._extra is not None and self._extra.get("inference"):
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._impl.version

    def __len__(self):
        if self._impl.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._impl.shape[0]

    # --------------------------------------------------------------- autograd
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._set_requires_grad(value, "only Tensors of floating point and complex dtype can require gradients")

    def requires_grad_(self, requires_grad=True):
        if requires_grad.__class__ is not bool:
            raise TypeError("requires_grad_(): argument 'requires_grad' (position 1) must be bool, not "
                            f"{type(requires_grad).__name__}")
        self._set_requires_grad(requires_grad, "only Tensors of floating point dtype can require gradients")
        return self

    def _set_requires_grad(self, value, refusal):
        """The requires_grad flag of a leaf; `refusal`: the error for a non-floating tensor, which torch words
        differently per entry point (the factories, Variable and Parameter: ONLY_FLOATING_GRAD)."""
        if self.grad_fn is not None:
            if not value:
                raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use "
                                   "a computed variable in a subgraph that doesn't require differentiation use "
                                   "var_no_grad = var.detach().")
            return
        if value and not self.dtype.is_floating_point:
            raise RuntimeError(refusal)
        if value and self._impl.inference and not _inference[0]:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        self._requires_grad = _py_bool(value)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def creator(self):  # the 2017 name of grad_fn
        return self.grad_fn

    @property
    def grad(self):
        if self._grad is None and self.grad_fn is not None and not (self._extra or {}).get("retains_grad"):
            warnings.warn("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                          "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                          "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
                          "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
                          "instead. See github.com/pytorch/pytorch/pull/30531 for more information.",
                          UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            want = self._impl.dtype if self._extra is None else self._extra.get("grad_dtype", self._impl.dtype)
            if want is not None and value._impl.dtype != want:
                raise RuntimeError(f"attempting to assign a gradient with dtype '{_C_TYPE[value.dtype]}' to a tensor "
                                   f"with grad_dtype '{_DTYPE[want]._legacy[:-6]}'. The gradient must match the "
                                   "tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's "
                                   "grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
                                   "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may "
                                   "break downstream systems that assume they match.")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of "
                                   f"size '{list(self.shape)}'. Please ensure that the gradient and the tensor are "
                                   "the same size")
        self._grad = value

    @property
    def data(self):
        return _inference_alias(self, _wrap(_C.variable_data(self._impl)))

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self._requires_grad and not value.dtype.is_floating_point:
            raise RuntimeError("data set to a tensor that requires gradients must be floating point or complex dtype")
        self._impl = value._impl

    def detach(self):
        impl = _C.alias(self._impl)
        impl.inference = False
        return _inference_alias(self, _wrap(impl))

    def detach_(self):
        if self._extra is not None and self._extra.get("_base") is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are using "
                               "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as "
                               "True, gradients are views of DDP buckets, and hence detach_() cannot be called on "
                               "these gradients. To fix this error, please refer to the Optimizer.zero_grad() "
                               "function in torch/optim/optimizer.py as the solution.")
        self.grad_fn, self._requires_grad = None, False
        return self

    def retain_grad(self):
        _function.retain_grad(self)

    @property
    def retains_grad(self):
        return self.grad_fn is not None and self._extra is not None and _py_bool(self._extra.get("retains_grad"))

    def register_hook(self, hook):
        return _function.register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        return _function.register_post_accumulate_grad_hook(self, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None, retain_variables=None):
        if retain_variables is not None:
            retain_graph = retain_variables
        _engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def _rebase(self, result):
        """Makes self take result's values (in its own storage) and result's graph node."""
        _C.copy_(self._impl, result._impl)  # (a kernel call: it records nothing whatever the grad mode)
        _function.adopt_saved_output(result.grad_fn, result._impl, self._impl)
        if self._extra is None:
            self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
            self._requires_grad = result._requires_grad
        else:  # a view (its base takes the new history too) or a tensor that retains its grad
            _function.rebase_history(self, result)
        return self

    # ------------------------------------------------------------ conversions
    def item(self):
        return _C.item(self._impl)

    def tolist(self):
        t = self.detach().float() if self.dtype is _dtype.bfloat16 else self  # (numpy has no bfloat16)
        return t.numpy(_force=True).tolist()

    def numpy(self, *, force=False, _force=False):
        if self._requires_grad and not (force or _force):
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        impl = self._impl
        if impl.device_type != 0 and (force or _force):
            impl = _C.to_device(impl, 0, 0)
        return _C.to_numpy(impl)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()  # (a tensor that requires grad raises torch's error)
        return a if dtype is None else a.astype(dtype)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        # a numpy ufunc of tensors (np.sin(t)) gives a tensor back; a bool result is uint8, as torch's
        return from_numpy(array.astype(np.uint8) if array.dtype == np.bool_ else array)

    def __float__(self):
        if self._impl.numel != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self._requires_grad and _state[0] and not _FLOAT_OF_GRAD_WARNED[0]:  # torch's, once a process
            _FLOAT_OF_GRAD_WARNED[0] = True
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                          "Consider using tensor.detach() first.", UserWarning, stacklevel=2)
        return _py_float(self.item())

    def __int__(self):
        if self._impl.numel != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return _py_int(self.item())

    def __complex__(self):
        if self._impl.numel != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return complex(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return _py_int(self.item())

    def __bool__(self):
        if self.numel() != 1:
            what = "no values" if not self.numel() else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return _py_bool(self.item())

    def to(self, *args, memory_format=None, **kwargs):
        """self in another dtype and/or on another device, then in memory_format's layout when one is given."""
        dt, dev = _dtype.as_dtype(kwargs.pop("dtype", None)), kwargs.pop("device", None)
        flags = [kwargs.pop("non_blocking", False), kwargs.pop("copy", False)]
        nflags = 0
        for a in args:
            if isinstance(a, bool):  # to(device, dtype, non_blocking, copy): the flags come last, in that order
                flags[builtins.min(nflags, 1)] = a
                nflags += 1
            elif isinstance(a, (_dtype.dtype, type)):  # (float, int, bool: float64, int64, bool)
                dt = _dtype.as_dtype(a)
            elif isinstance(a, (str, device)):
                dev = a
            elif isinstance(a, Tensor):
                dt, dev = a.dtype, a.device
        t = self
        if dev is not None:
            dev = as_device(dev)
            if dev == t.device and not (dev.type == "cuda" and dev.index is None and t.is_cuda):
                dev = None
        if dt is not None and dt is t.dtype:
            dt = None
        if (dev is not None or dt is not None) and _needs_grad(t) and (dt is None or dt.is_floating_point):
            t = _ops.ToCopy.apply(t, None if dt is None else dt.id, dev)  # (an integer copy has no gradient)
        else:
            if dev is not None:
                t = _wrap(_to_device_non_blocking(t._impl, dev) if flags[0] and dev != t.device else
                          _C.to_device(t._impl, *dev._code))
            if dt is not None:
                t = _wrap(_ops.to_dtype(t._impl, dt.id))
        if flags[1] and t is self:  # copy=True: a new tensor even when nothing changes
            t = t.clone()
        if memory_format is None or memory_format is _mf.preserve_format:
            return t
        if memory_format in _mf.CHANNELS_LAST:  # (torch's: a copy unless t's suggested format is already that one)
            _mf.check(t, memory_format)
            if _mf.suggests_channels_last(t.shape, t.stride(), memory_format):
                return t
            return _mf.to_channels_last(t, memory_format)
        return t.contiguous(memory_format)

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return ("torch.cuda." if self.is_cuda else "torch.") + self.dtype._legacy
        if isinstance(dtype, str):
            cuda = dtype.startswith("torch.cuda.")
            cls = (LEGACY_CUDA if cuda else LEGACY_CPU)[dtype.rsplit(".", 1)[1]]
            dtype = cls
        if isinstance(dtype, _dtype.dtype):
            return self.to(dtype)
        return self.to(dtype.dtype).to("cuda" if dtype.is_cuda else "cpu")

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(as_device("cuda" if device is None else device if not isinstance(device, int)
                                 else f"cuda:{device}"), non_blocking=non_blocking)

    def pin_memory(self, device=None):
        """A copy in page-locked (pinned) host memory, from which copies to the GPU need not wait
        (``.to('cuda', non_blocking=True)``); self when already pinned. Needs a usable GPU."""
        if self.is_cuda:
            raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
        if _C.is_pinned(self._impl):
            return self
        return _wrap(_C.pin_memory(self._impl))

    def is_pinned(self, device=None):
        """Whether the tensor's memory is pinned (page-locked) host memory."""
        return _C.is_pinned(self._impl)

    def record_stream(self, stream):
        """Marks the (CUDA) tensor's memory as used by work queued on `stream`: when the tensor is freed, the
        caching allocator reuses the memory only after that work is done (needed when a tensor allocated on one
        stream is used on another)."""
        if not self.is_cuda:
            raise RuntimeError(f"record_stream: expected a CUDA tensor, got a tensor on {self.device}")
        _C.cuda_record_stream(self._impl, stream.cuda_stream)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def bfloat16(self):
        return self.to(_dtype.bfloat16)

    def char(self):
        return self.to(_dtype.int8)

    def short(self):
        return self.to(_dtype.int16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def bool(self):
        return self.to(_dtype.bool)

    def byte(self):
        return self.to(_dtype.uint8)

    def contiguous(self, memory_format=_mf.contiguous_format):
        """self when its elements are already dense in memory_format's order, else a copy that is."""
        if memory_format is not _mf.contiguous_format and memory_format is not None:
            _mf.check(self, memory_format)
            if memory_format in _mf.CHANNELS_LAST:
                return self if self.is_contiguous(memory_format) else _mf.to_channels_last(self, memory_format)
        if self._impl.is_contiguous:
            return self
        return self.clone(memory_format=_mf.contiguous_format)

    def clone(self, *, memory_format=None):
        """A copy of self. Default (torch's preserve_format): laid out as self (a dense self's strides, another's dims
        in their memory order, by torch's rule); torch.contiguous_format: row-major; torch.channels_last(_3d): that
        layout."""
        if memory_format is not None and memory_format is not _mf.preserve_format:
            _mf.check(self, memory_format)
            if memory_format in _mf.CHANNELS_LAST:
                return _mf.to_channels_last(self, memory_format)
        elif not self._impl.is_contiguous and self._impl.ndim > 1:
            order = _mf.preserved_order(self._impl.shape, self._impl.strides)
            if order != list(builtins.range(self._impl.ndim)):  # (row-major copy of the view in memory order)
                inverse = [order.index(d) for d in builtins.range(self._impl.ndim)]
                return _named(self.permute(*order).clone(memory_format=_mf.contiguous_format).permute(*inverse),
                              "CloneBackward0")
        return _ops.Clone.apply(self) if _needs_grad(self) else _wrap(_C.clone(self._impl))

    def copy_(self, src, non_blocking=False):
        if not isinstance(src, Tensor):
            src = tensor(src)
        if _needs_grad(self, src):  # (torch's CopyBackwards: src's gradient, and zeros for self's old values)
            _check_inplace(self)
            return self._rebase(_CopyFrom.apply(self, src))
        (_C.copy_non_blocking_ if non_blocking else _C.copy_)(self._impl, src._impl)
        return self

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad,
                     _fn="new_zeros")

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new(self, *args, **kwargs):
        """The legacy constructor with self's dtype and device: x.new(2, 3) (uninitialized), x.new([1, 2]) (data)."""
        return _legacy_new(self.dtype, kwargs.pop("device", None) or self.device, *args, **kwargs)

    # ------------------------------------------------------------------ views
    def view(self, *shape, **kwargs):
        if kwargs:
            shape = _keyword_size(shape, kwargs, "view", "dtype" if "dtype" in kwargs else "size")
        if not shape:
            raise TypeError("view() received an invalid combination of arguments - got (), but expected one of: "
                            "(torch.dtype dtype), (tuple of ints size)")
        if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):  # a bitcast; not differentiable (torch's)
            return _wrap(_C.view_dtype(self._impl, shape[0].id))
        return _VIEW.apply(self, _shape_arg(shape, "view", "size"))

    def reshape(self, *shape, **kwargs):
        if kwargs:
            shape = _keyword_size(shape, kwargs, "reshape", "shape")
        if not shape:
            raise TypeError('reshape() missing 1 required positional arguments: "shape"')
        shape = _shape_arg(shape, "reshape", "shape")
        if self._impl.is_contiguous or not _needs_grad(self):
            return _RESHAPE.apply(self, shape)
        # torch's reshape of a non-contiguous input: a view where its strides allow one (_reshape_alias), else a
        # contiguous clone viewed by _unsafe_view (two nodes)
        try:
            _C.view(self._impl, shape)
        except RuntimeError:  # (not viewable, or a bad shape: _unsafe_view's kernel raises reshape's error)
            return _ops.VIEW_OPS["_unsafe_view"].apply(self.clone(memory_format=_mf.contiguous_format), shape)
        return _named(_RESHAPE.apply(self, shape), "ReshapeAliasBackward0")

    def view_as(self, other):
        return self.view(other.shape)

    def as_strided(self, size, stride, storage_offset=None):
        """A view with explicit sizes/strides into this tensor's storage; the core checks the
        reachable range (overflow-checked) against the storage and rejects negative strides."""
        if _needs_grad(self):
            raise NotImplementedError("as_strided does not support autograd in tinygrad_ext")
        off = self._impl.offset if storage_offset is None else storage_offset
        return _wrap(_C.as_strided(self._impl, _shape_arg((size,)), _shape_arg((stride,)), _py_int(off)))

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.dim() == 0:
            _C.wrap_dim(start_dim, 0), _C.wrap_dim(end_dim, 0)  # (a scalar's only dims are 0 and -1)
            return self.reshape(1)
        s = self.shape
        a, b = _C.wrap_dim(start_dim, len(s)), _C.wrap_dim(end_dim, len(s))
        if a > b:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        return self.reshape(list(s[:a]) + [math.prod(s[a:b + 1])] + list(s[b + 1:]))

    def unflatten(self, dim, sizes):
        s = list(self.shape)
        d = _C.wrap_dim(dim, len(s))  # (a 0-d tensor: the range check first, as torch's)
        if not s:
            raise RuntimeError(f"unflatten got an unexpected error:\nDimension specified as {d} but tensor has no "
                               "dimensions")
        sizes = _shape_arg((sizes,), "unflatten", "sizes")
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        known = math.prod(x for x in sizes if x != -1)
        if sizes.count(-1) > 1 or (known != s[d] if -1 not in sizes else known == 0 or s[d] % known):
            raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {d} ({s[d]}) "
                               "in the input tensor")
        sizes = [s[d] // known if x == -1 else x for x in sizes]  # (inferred within the dim: the tensor may be empty)
        return self.reshape(s[:d] + sizes + s[d + 1:])

    def permute(self, *dims, **kwargs):
        if kwargs:
            dims = _keyword_size(dims, kwargs, "permute", "dims")
        return _PERMUTE.apply(self, _shape_arg(dims, "permute", "dims"))

    @property
    def T(self):
        if self.dim() == 0:
            warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                          UserWarning, stacklevel=2)
        elif self.dim() != 2:
            warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
                          "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
                          "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
                          "tensor.", UserWarning, stacklevel=2)
        return self.permute(tuple(builtins.range(self.dim() - 1, -1, -1)))  # (a new view in every dim, as torch's)

    def t_(self):
        if self.dim() > 2:
            raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.dim()}D")
        return self._inplace_view(_ops.VIEW_OPS["t"])

    def _inplace_view(self, op, *params):
        """t_/squeeze_/unsqueeze_/transpose_: self takes the metadata of the view op's result (a VIEWS row's op)
        and, under autograd, its history, in a node named as torch's in-place variant (the row's `inplace`)."""
        if not _needs_grad(self):
            self._impl = op._kernel(self._impl, *params)
            return self
        _check_inplace(self)
        r = op.apply(self, *params)
        r.grad_fn._backward_name = op.entry.inplace
        self._impl, self.grad_fn, self._output_nr = r._impl, r.grad_fn, r._output_nr
        return self

    def expand(self, *sizes, **kwargs):
        if kwargs:
            sizes = _keyword_size(sizes, kwargs, "expand", "size")
        return _EXPAND.apply(self, _shape_arg(sizes, "expand"))

    def expand_as(self, other):
        return self.expand(other.shape)

    def squeeze(self, dim=None):
        if dim is None:
            return _SQUEEZE.apply(self)
        if isinstance(dim, (tuple, list)):  # several dims (each squeezed only where its size is 1)
            return _SQUEEZE_DIMS.apply(self, tuple(dim))
        return _SQUEEZE_DIM.apply(self, dim)

    def squeeze_(self, dim=None):
        if dim is None:
            return self._inplace_view(_SQUEEZE)
        if isinstance(dim, (tuple, list)):
            return self._inplace_view(_SQUEEZE_DIMS, tuple(dim))
        return self._inplace_view(_SQUEEZE_DIM, dim)

    def unsqueeze_(self, dim):
        return self._inplace_view(_ops.VIEW_OPS["unsqueeze"], dim)

    def narrow(self, dim, start, length):
        if self._impl.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        start, length = _operator.index(start), _operator.index(length)
        if length < 0:  # (torch checks it before the dim)
            raise RuntimeError("narrow(): length must be non-negative.")
        d = _C.wrap_dim(dim, self._impl.ndim)
        n = self._impl.shape[d]
        if not -n <= start <= n:
            raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
        if start < 0:
            start += n
        if start + length > n:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
        return _SLICE.apply(self, d, start, start + length, 1)

    def select(self, dim, index):
        return _SELECT.apply(self, *_select_args(self, dim, index))

    def unbind(self, dim=0):
        if self._impl.ndim == 0:
            _C.wrap_dim(dim, 0)  # (out of range: its own error)
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        return _ops.MULTI_VIEW_OPS["unbind"].apply(self, _C.wrap_dim(dim, self._impl.ndim))

    def split(self, split_size, dim=0):
        if self._impl.ndim == 0:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        if isinstance(split_size, int) and split_size < 0:  # (checked before the dim, as torch's)
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split_size}")
        d = _C.wrap_dim(dim, self.dim())
        n = self.shape[d]
        if isinstance(split_size, int):
            if split_size <= 0 and n:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
            return _ops.MULTI_VIEW_OPS["split"].apply(self, split_size, d)
        sizes = list(split_size)
        if any(x < 0 for x in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={sizes}")
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                               f"size at dimension {d}), but got split_sizes={sizes}")
        return _ops.MULTI_VIEW_OPS["split_with_sizes"].apply(self, sizes, d)

    def chunk(self, chunks, dim=0):
        if self._impl.ndim == 0:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        d = _C.wrap_dim(dim, self.dim())
        n = self.shape[d]
        if n == 0:  # `chunks` empty chunks, as torch's
            return tuple(self.narrow(d, 0, 0) for _ in builtins.range(chunks))
        return self.split(max(1, -(-n // chunks)), dim)

    # --------------------------------------------------------------- indexing
    def __getitem__(self, key):
        if key.__class__ is int and self._impl.ndim:  # t[i], the common case: one select (which checks i)
            try:
                return _SELECT.apply(self, 0, key)
            except TypeError:  # (no int64: the binding's TypeError)
                raise ValueError("Overflow when unpacking long long") from None
        if key.__class__ is Tensor and key._impl.dtype == _INT64 and key._impl.ndim and self._impl.ndim:
            # t[idx] with an int64 index tensor, the common advanced index: what _split_key makes of it, directly
            if self._requires_grad and _state[0]:
                return _ops.INDEX.apply(self, 0, [key])
            return _wrap(_C.index(self._impl, 0, [key._impl]))
        if self._impl.ndim == 0 and isinstance(key, int) and key is not False and key == 0:
            warnings.warn("t[0] on a 0-dim tensor returns its value for 2017-era code (loss.data[0]); use "
                          "tensor.item()", DeprecationWarning, stacklevel=2)
            return self.item()
        if key.__class__ is list:
            key = _sequence_key(key)
        basic, dim, index, perm = _split_key(self, key)
        out = self
        if basic is not None:
            if _needs_grad(out):
                out = _apply_basic_index(out, basic, _ops.BASIC_INDEX_VIEWS)
            else:
                out = _wrap(_apply_basic_index(out._impl, basic))
                if _state[0] and not self._requires_grad and (self._extra is None or "_base" in self._extra) and \
                        out._impl.dtype in _ops._FLOAT_IDS:  # (torch's view of a tensor without grad: an in-place
                    _function._view_of(_BasicIndex, self, (basic,), out)  # op with grad reaches self)
                elif self._requires_grad:  # (a view made with grad mode off: a leaf, as torch's)
                    out._requires_grad, out._extra = True, {"_no_grad_view": True}
                elif self._extra is not None and self._extra.get("inference"):
                    out._extra = _inference_extra(out._impl)  # (a view of an inference tensor is one)
        if index is None:
            return out
        if perm is not None:
            out = out.permute(perm)
        if _needs_grad(out):
            return _ops.INDEX.apply(out, dim, index)
        return _wrap(_C.index(out._impl, dim, [i._impl for i in index]))

    def __setitem__(self, key, value):
        if not isinstance(value, (Tensor, int, float, complex, np.integer)):  # (torch takes no float32/bool scalars)
            raise TypeError(f"can't assign a {_type_name(value)} to a {self.type()}")
        if key.__class__ is list:
            key = _sequence_key(key)
        if _needs_grad(self, value):
            if self._requires_grad and self.grad_fn is None and _state[0] and _key_takes_view(self, key):
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                                   "operation.")  # (torch's words when indexing viewed before writing)
            _check_inplace(self)
            return self._rebase(_ops.INDEXING_OPS["__setitem__"].apply(self, key, value))
        impl = self._impl
        # x[mask] = scalar with a full-shape mask: one masked_fill kernel.
        if (isinstance(key, Tensor) and key.dtype is _dtype.bool and key.shape == self.shape
                and not isinstance(value, Tensor)):
            _C.masked_fill_(impl, key._impl, value)
            return
        if not isinstance(value, Tensor):  # the number is converted first, as torch's (it must fit self's dtype)
            if isinstance(value, int) and not -2**63 <= value < 2**63:
                raise ValueError("Overflow when unpacking long long")
            vimpl = _C.full([], value, self.dtype.id, *self.device._code)
        value_numel = value.numel() if isinstance(value, Tensor) else 1
        if isinstance(value, Tensor) and value._impl.ndim and value._impl.shape[0] == 1:
            s = value._impl.shape  # torch drops a value's leading size-1 dims before broadcasting it
            k = 0
            while k < len(s) and s[k] == 1:
                k += 1
            value = value.reshape(s[k:])
        basic, dim, index, perm = _split_key(self, key)
        target = _apply_basic_index(impl, basic) if basic is not None else impl
        if perm is not None:
            target = _C.permute(target, perm)
        if isinstance(value, Tensor):
            vimpl = value._impl
        if index is None:
            if isinstance(value, Tensor) and tuple(vimpl.shape) != tuple(target.shape):
                vimpl = _C.expand(vimpl, list(target.shape))  # (a value that does not fit: torch's expand error)
            _C.copy_(target, vimpl)
        else:
            mask_fill = value_numel == 1 and any(  # a bool mask among the keys and one value: a fill (torch's)
                isinstance(k, Tensor) and k.dtype is _dtype.bool for k in (key if isinstance(key, tuple) else (key,)))
            if isinstance(value, Tensor) and value.dtype is not self.dtype and not mask_fill:
                raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                                   f"{self.dtype._legacy[:-6]} for the destination and {value.dtype._legacy[:-6]} for "
                                   "the source.")
            if vimpl.dtype != self.dtype.id:  # a mask fill converts its one value, as masked_fill does
                vimpl = _C.to_dtype(vimpl, self.dtype.id)
            _C.index_put_(target, dim, [i._impl for i in index], vimpl, False)
            if basic is not None or perm is not None:
                _C.bump_version(impl)

    def index_select(self, dim, index):
        if not _needs_grad(self):
            return _wrap(_C.index_select(self._impl, dim, index._impl))
        if not self._impl.ndim:  # the one index is 0 (checked by the core): the value itself
            _C.index_select(self._impl, dim, index._impl)
            return self.clone()
        return _ops.INDEXING_OPS["index_select"].apply(self, dim, index.reshape(1) if index.dim() == 0 else index)

    def gather(self, dim, index):
        if _needs_grad(self):
            return _ops.INDEXING_OPS["gather"].apply(self, dim, index)
        return _wrap(_C.gather(self._impl, dim, index._impl))

    def scatter_add(self, dim, index, src):
        if _needs_grad(self, src):
            return _ops.INDEXING_OPS["scatter_add"].apply(self, dim, index, _scatter_src(src, index))
        out = _C.clone(self._impl)
        _C.scatter_add_(out, dim, index._impl, src._impl)
        return _wrap(out)

    def scatter_add_(self, dim, index, src):
        if _needs_grad(self, src):
            _check_inplace(self)
            return self._rebase(_ops.INDEXING_OPS["scatter_add"].apply(self, dim, index, _scatter_src(src, index)))
        _C.scatter_add_(self._impl, dim, index._impl, src._impl)
        return self

    def masked_fill(self, mask, value):
        if isinstance(value, Tensor) and _needs_grad(value) and not self.dtype.is_floating_point:
            raise RuntimeError(f"Autograd not support dtype: {self.dtype._legacy[:-6]}")
        try:
            if _needs_grad(self, value):
                return _ops.MaskedFill.apply(self, mask, value)
            out = _C.clone(self._impl)
            _C.masked_fill_(out, mask._impl, value._impl if isinstance(value, Tensor) else value)
            return _wrap(out)
        except RuntimeError:  # a mask larger than self: the result broadcasts (out of place only, as torch's)
            if not isinstance(mask, Tensor) or mask.dtype is not _dtype.bool:
                raise
            shape = _broadcast_shape(self._impl.shape, mask._impl.shape)
            if shape == list(self._impl.shape):
                raise
            return self.expand(shape).masked_fill(mask, value)

    def masked_fill_(self, mask, value):
        if _needs_grad(self, value):
            _check_inplace(self)
            return self._rebase(_ops.MaskedFill.apply(self, mask, value))
        _C.masked_fill_(self._impl, mask._impl, value._impl if isinstance(value, Tensor) else value)
        return self

    def masked_select(self, mask):
        if not _needs_grad(self) and (self._impl.ndim or mask._impl.ndim):
            return _wrap(_C.masked_select(self._impl, mask._impl))
        if mask.dtype is not _dtype.bool:
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        shape = _broadcast_shape(self.shape, mask.shape)  # either may broadcast to the other
        # flattened: one index whatever the rank
        return self.expand(shape).reshape(-1)[mask.expand(shape).reshape(-1)]

    def nonzero(self, as_tuple=False):
        nz = _wrap(_C.nonzero(self._impl))
        if as_tuple and self._impl.ndim == 0:  # a scalar as a 1-element vector, as torch's
            return (_wrap(_C.full([nz.shape[0]], 0, _dtype.int64.id, *self.device._code)),)
        return tuple(nz[:, i] for i in builtins.range(self.dim())) if as_tuple else nz

    # ------------------------------------------------------------- arithmetic
    __add__ = _binary(_C.add, _ops.Add, "add")
    __radd__ = _rbinary(_C.add, _ops.Add, "radd", _ops.Add.apply)
    __sub__ = _binary(_C.sub, _ops.Sub, "sub")
    __rsub__ = _rbinary(_C.sub, _ops.Sub, "rsub", _rsub_recorded)
    __mul__ = _binary(_C.mul, _ops.Mul, "mul")
    __rmul__ = _rbinary(_C.mul, _ops.Mul, "rmul", _ops.Mul.apply)
    __truediv__ = _binary(_C.div, _ops.Div, "truediv")
    def __rtruediv__(self, other):
        """other / self as torch's: self.reciprocal() * other (two roundings, and its nodes)."""
        if isinstance(other, np.ndarray):
            return _ndarray_operator(self, other, "rtruediv")
        if not isinstance(other, (numbers.Number, np.generic)):
            return NotImplemented
        return self.reciprocal() * other
    __pow__ = _binary(_C.pow, _ops.Pow, "pow")
    __rpow__ = _rbinary(_C.pow, _ops.Pow, "rpow")
    __iadd__ = _inplace(_C.add, _ops.Add, True)
    __isub__ = _inplace(_C.sub, _ops.Sub, True)
    __imul__ = _inplace(_C.mul, _ops.Mul, True)
    __itruediv__ = _inplace(_C.div, _ops.Div, True)
    __neg__ = _unary(_C.neg, _ops.REGISTERED["neg"])
    __abs__ = _unary(_C.abs, _ops.REGISTERED["abs"])
    __eq__ = _compare(_C.eq, "eq")
    __ne__ = _compare(_C.ne, "ne")
    __lt__ = _compare(_C.lt, "lt")
    __le__ = _compare(_C.le, "le")
    __gt__ = _compare(_C.gt, "gt")
    __ge__ = _compare(_C.ge, "ge")
    __hash__ = object.__hash__

    __floordiv__ = _binary(_C.floor_divide, _ops.FloorDivide, "floordiv")
    __rfloordiv__ = _rbinary(_C.floor_divide, _ops.FloorDivide, "rfloordiv")
    __mod__ = _binary(_C.remainder, _ops.Remainder, "mod")
    __rmod__ = _rbinary(_C.remainder, _ops.Remainder, "rmod")

    __and__ = _bitwise(_C.bitwise_and, operator="and")
    __or__ = _bitwise(_C.bitwise_or, operator="or")
    __xor__ = _bitwise(_C.bitwise_xor, operator="xor")
    __rand__ = _bitwise(_C.bitwise_and, reflected=True, operator="rand")
    __ror__ = _bitwise(_C.bitwise_or, reflected=True, operator="ror")
    __rxor__ = _bitwise(_C.bitwise_xor, reflected=True, operator="rxor")
    __iand__ = _bitwise_inplace(_C.bitwise_and)
    __ior__ = _bitwise_inplace(_C.bitwise_or)
    __ixor__ = _bitwise_inplace(_C.bitwise_xor)

    __lshift__ = _bitwise(_C.bitwise_left_shift)
    __rshift__ = _bitwise(_C.bitwise_right_shift)
    __rlshift__ = _bitwise(_C.bitwise_left_shift, reflected=True)
    __rrshift__ = _bitwise(_C.bitwise_right_shift, reflected=True)
    __ilshift__ = _bitwise_inplace(_C.bitwise_left_shift)
    __irshift__ = _bitwise_inplace(_C.bitwise_right_shift)

    def __invert__(self):
        if self.dtype.is_floating_point:
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return _wrap(_C.bitwise_not(self._impl))

    def bitwise_not(self):
        return _wrap(_C.bitwise_not(self._impl))

    bitwise_and, bitwise_or, bitwise_xor = (_bitwise(f) for f in (_C.bitwise_and, _C.bitwise_or, _C.bitwise_xor))
    bitwise_and_, bitwise_or_, bitwise_xor_ = __iand__, __ior__, __ixor__
    bitwise_left_shift, bitwise_right_shift = __lshift__, __rshift__
    bitwise_left_shift_, bitwise_right_shift_ = __ilshift__, __irshift__

    def bitwise_not_(self):
        _C.bitwise_not(self._impl, self._impl)
        return self

    def __matmul__(self, other):
        return _ndarray_operator(self, other, "matmul") if isinstance(other, np.ndarray) else matmul(self, other)

    def __rmatmul__(self, other):
        return _ndarray_operator(self, other, "rmatmul") if isinstance(other, np.ndarray) else matmul(other, self)

    def __iter__(self):
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __contains__(self, element):
        return _py_bool((self == element).any())

    def __reduce_ex__(self, proto):
        """Pickling keeps the dtype (bfloat16 as its bits), the device, requires_grad and user attributes."""
        data = self.detach().cpu()
        if data.dtype == _dtype.bfloat16:
            data = data.view(_dtype.int16)
        return (_unpickle, (data.numpy(), str(self.dtype), str(self.device), self._requires_grad,
                            self.__dict__ or None))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        out = self.detach().clone().requires_grad_(self._requires_grad)
        memo[id(self)] = out
        if self._grad is not None:
            out._grad = copy.deepcopy(self._grad, memo)
        if self.__dict__:
            out.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return out

    add = _alpha(_binary(_C.add, _ops.Add))
    sub = _alpha(_binary(_C.sub, _ops.Sub), no_bool=True)
    mul = _binary(_C.mul, _ops.Mul)
    _true_div = _binary(_C.div, _ops.Div)

    def div(self, other, *, rounding_mode=None):
        if rounding_mode is None:
            return self._true_div(other)
        return _rounding_div(self, other, rounding_mode)
    true_divide = _true_div
    _pow = _binary(_C.pow, _ops.Pow)

    def pow(self, exponent):
        return self._pow(exponent)
    maximum = _tensor_other(_binary(_C.maximum, _ops.Maximum), "maximum")
    minimum = _tensor_other(_binary(_C.minimum, _ops.Minimum), "minimum")
    add_ = _inplace(_C.add, _ops.Add)
    sub_ = _inplace(_C.sub, _ops.Sub)
    mul_ = _inplace(_C.mul, _ops.Mul)
    _true_div_ = _inplace(_C.div, _ops.Div)

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is None:
            return self._true_div_(other)
        return self.copy_(_rounding_div(self, other, rounding_mode)) if _can_cast_into(self, other) else \
            self._true_div_(other)  # (raises the "can't be cast" error of an integer self and a float other)

    _pow_ = _inplace(_C.pow, _ops.Pow)
    __ipow__ = _inplace(_C.pow, _ops.Pow, True)  # (declines a numpy array: Python computes t = t ** arr)

    def pow_(self, exponent):
        return self._pow_(exponent)
    remainder_ = __imod__ = _inplace(_C.remainder, _ops.Remainder)

    floor_divide_ = _inplace(_C.floor_divide, _ops.FloorDivide)

    __ifloordiv__ = floor_divide_
    eq, ne, lt, le, gt, ge = (_compare(f) for f in (_C.eq, _C.ne, _C.lt, _C.le, _C.gt, _C.ge))
    floor_divide = _binary(_C.floor_divide, _ops.FloorDivide)
    remainder = _binary(_C.remainder, _ops.Remainder)

    def logical_and(self, other):
        return _wrap(_C.logical_and(self._impl, _tensor_impl(other, "logical_and")))

    def logical_or(self, other):
        return _wrap(_C.logical_or(self._impl, _tensor_impl(other, "logical_or")))

    def logical_xor(self, other):
        return _wrap(_C.logical_xor(self._impl, _tensor_impl(other, "logical_xor")))

    def where(self, condition, other):
        return where(condition, self, other)

    def logical_not(self):
        return _wrap(_C.logical_not(self._impl))

    neg = __neg__
    negative = __neg__
    abs = __abs__
    def round(self, *, decimals=0):
        if not isinstance(decimals, int) or isinstance(decimals, _py_bool):
            raise TypeError(f"round(): argument 'decimals' must be int, not {type(decimals).__name__}")
        return _round(self) if decimals == 0 else _round_decimals(self, decimals)

    def round_(self, *, decimals=0):
        return self._inplace_from(Tensor.round, decimals=decimals)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _nan_to_num(self, *_nan_to_num_params(self, nan, posinf, neginf))

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._inplace_from(Tensor.nan_to_num, nan, posinf, neginf)

    def polygamma(self, n):
        if n < 0:
            raise RuntimeError("polygamma(n, x) does not support negative n.")
        return _polygamma(self, n)

    def polygamma_(self, n):
        return self._inplace_from(Tensor.polygamma, n)

    def lerp(self, end, weight):
        for name, t in (("end", end), ("weight", weight)):  # (a 0-d weight is a number to torch's check)
            if isinstance(t, Tensor) and t.dtype is not self.dtype and (name == "end" or t.dim()):
                raise RuntimeError(f"expected dtype {_C_TYPE[self.dtype]} for `{name}` but got dtype "
                                   f"{_C_TYPE[t.dtype]}")
        if not self.dtype.is_floating_point:
            raise NotImplementedError(f"\"lerp_kernel_{'tensor' if isinstance(weight, Tensor) else 'scalar'}\" not "
                                      f"implemented for '{self.dtype._legacy[:-6]}'")
        if isinstance(weight, Tensor):  # a tensor weight: composed (torch's formula for |weight| < 0.5)
            return self + weight * (end - self)
        if _needs_grad(self, end):
            return _ops.REGISTERED["lerp"].apply(self, end, float(weight))
        return _wrap(_C.lerp(self._impl, end._impl, False, None, (float(weight),)))

    def _inplace_from(self, fn, *args, **kwargs):
        """An in-place variant (round_, lerp_, F.elu(inplace=True), ...): fn(self, ...) copied in; with autograd
        self takes its node."""
        if _needs_grad(self):
            _check_inplace(self)
            return self._rebase(fn(_function.inplace_source(self), *args, **kwargs))
        return self.copy_(fn(self, *args, **kwargs))

    def clamp(self, min=None, max=None):  # torch's argument names
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            lo = min if min is None or isinstance(min, Tensor) else tensor(min, dtype=self.dtype, device=self.device)
            hi = max if max is None or isinstance(max, Tensor) else tensor(max, dtype=self.dtype, device=self.device)
            if lo is not None and hi is not None and all(t.dtype is _dtype.bool for t in (self, lo, hi)):
                raise NotImplementedError("\"clamp_cpu\" not implemented for 'Bool'")
            return _ops.ClampTensor.apply(self, lo, hi)
        if self.dtype is _dtype.bool and _bool_clamp_promotes(min, max):
            return self.long().clamp(min, max)
        if _needs_grad(self):
            return _ops.Clamp.apply(self, min, max)
        return _wrap(_C.clamp(self._impl, min, max))

    clip = clamp

    def clamp_(self, min=None, max=None):
        if self.dtype is _dtype.bool and _bool_clamp_promotes(min, max):
            raise RuntimeError("result type Long can't be cast to the desired output type Bool")
        if isinstance(min, Tensor) or isinstance(max, Tensor):  # the out-of-place clamp, written back
            grad = _needs_grad(self, min, max)
            if grad:
                _check_inplace(self)
            r = (_function.inplace_source(self) if grad else self).clamp(min, max)
            if not _C.can_cast(r._impl.dtype, self._impl.dtype):
                raise RuntimeError(f"result type {r.dtype._legacy[:-6]} can't be cast to the desired output type "
                                   f"{self.dtype._legacy[:-6]}")
            if grad:
                return self._rebase(r if r.dtype is self.dtype else r.to(self.dtype))
            _C.copy_(self._impl, r._impl)
            return self
        if _needs_grad(self):
            _check_inplace(self)
            return self._rebase(_ops.Clamp.apply(_function.inplace_source(self), min, max))
        if not self.dtype.is_floating_point and (isinstance(min, _py_float) or isinstance(max, _py_float)):
            raise RuntimeError(f"result type Float can't be cast to the desired output type "
                               f"{_C_TYPE[self.dtype]}")  # (number bounds: torch's message names the C++ type)
        _C.clamp(self._impl, min, max, self._impl)
        return self

    clip_ = clamp_

    def clamp_min(self, min):  # (torch's node: ClampMinBackward0, ClampMinBackward1 for a tensor bound)
        return _named(self.clamp(min=min), f"ClampMinBackward{_py_int(isinstance(min, Tensor))}")

    def clamp_max(self, max):
        return _named(self.clamp(max=max), f"ClampMaxBackward{_py_int(isinstance(max, Tensor))}")

    def clamp_min_(self, min):
        return _named(self.clamp_(min=min), f"ClampMinBackward{_py_int(isinstance(min, Tensor))}")

    def clamp_max_(self, max):
        return _named(self.clamp_(max=max), f"ClampMaxBackward{_py_int(isinstance(max, Tensor))}")

    def softmax(self, dim, dtype=None):
        return _softmax(self, dim, dtype, False)

    def log_softmax(self, dim, dtype=None):
        return _softmax(self, dim, dtype, True)

    neg_, abs_ = _unary_inplace("neg"), _unary_inplace("abs")

    def zero_(self):
        return _named(self.fill_(0), "ZeroBackward0")

    def fill_(self, value):
        if isinstance(value, Tensor) and value.dim():
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} "
                               "dimensions.")
        if _needs_grad(self, value):  # the old values get no gradient (torch's FillBackward); a 0-d value does
            _check_inplace(self)
            everywhere = _wrap(_C.full(list(self._impl.shape), True, _dtype.bool.id, *self.device._code))
            filled = _ops.MaskedFill.apply(self, everywhere, value)
            return self._rebase(_named(filled, "FillBackward3" if isinstance(value, Tensor) else "FillBackward2"))
        _C.fill_(self._impl, value.item() if isinstance(value, Tensor) else value)
        return self

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        _check_inplace(self)
        _draw(generator, _C.uniform_, self._impl, a, b)
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        _check_inplace(self)
        _draw(generator, _C.normal_, self._impl, mean, std)
        return self

    def random_(self, low=None, high=None, *, generator=None):
        """random_(): [0, 2^mantissa] (floating) or [0, max] (integers); random_(to); random_(from, to)."""
        _check_inplace(self)
        if low is None and high is None:
            _draw(generator, _C.random_, self._impl)
        else:
            _draw(generator, _C.random_, self._impl, *((0, low) if high is None else (low, high)))
        return self

    def bernoulli_(self, p=0.5, *, generator=None):
        _check_inplace(self)
        if isinstance(p, Tensor):  # torch's: a uniform draw in p's dtype per element of self, below p
            u = _wrap(_C.empty(list(self._impl.shape), p._impl.dtype, *self.device._code))
            _draw(generator, _C.uniform_, u._impl, 0.0, 1.0)
            return self.copy_(u < p)
        _draw(generator, _C.bernoulli_, self._impl, p)
        return self

    def lerp_(self, end, weight):
        return self._inplace_from(Tensor.lerp, end, weight)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    # ------------------------------------------------------------- reductions
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _var_or_std(self, dim, unbiased, keepdim, correction, "var")

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _var_or_std(self, dim, unbiased, keepdim, correction, "std")

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        t = self if dtype is None else self.to(dtype)
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                               f"{t.dtype._legacy[:-6]}")
        dims = _dims_arg(dim)
        if p == "fro":
            if len(dims) > 2:  # torch: the Frobenius norm is a matrix norm over at most 2 dims
                raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got " + " ".join(map(str, dims)))
            p = 2
        elif p == "nuc":  # the sum of the singular values of the matrices over dims (the last two of a matrix)
            dims = dims or ([0, 1] if t.dim() == 2 else list(builtins.range(t.dim())))
            if len(dims) != 2:
                raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got " + " ".join(map(str, dims)))
            result = _ops.singular_values(t, dims).sum(-1)
            for d in sorted(_C.wrap_dim(d, t.dim()) for d in dims) if keepdim else ():
                result = result.unsqueeze(d)
            return result
        elif isinstance(p, str):
            raise RuntimeError(f"norm(): p={p!r} is not supported by tinygrad_ext (vector and nuclear norms only)")
        if p in (math.inf, -math.inf):  # (torch's checks first)
            for d in (dims if t.dim() else []) or ([] if t.numel() else [None]):  # max/min have no identity
                if d is None or t.shape[_C.wrap_dim(d, builtins.max(t.dim(), 1))] == 0:
                    where = "an empty tensor" if d is None else f"the dimension {d}"
                    raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on {where}because this "
                                       "dimension is empty and the operation does not have an identity")
        return _composed_reduction("linalg_vector_norm", t, dims, keepdim, p)

    def argmax(self, dim=None, keepdim=False):
        return _wrap(_C.argmax(self._impl, dim, keepdim, True))

    def argmin(self, dim=None, keepdim=False):
        return _wrap(_C.argmax(self._impl, dim, keepdim, False))

    def equal(self, other):
        """True when both have the same size and the same elements (a Python bool)."""
        return self.shape == other.shape and builtins.bool((self == other).all())

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|self - other| <= atol + rtol * |other| where that difference is finite, or self == other
        (so inf is close only to the same inf, never to a finite number), as torch's."""
        if not isinstance(other, Tensor):
            raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
        if self.dtype is not other.dtype:
            raise RuntimeError(f"{self.dtype._legacy[:-6]} did not match {other.dtype._legacy[:-6]}")
        if rtol < 0:
            raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol:g}")
        if atol < 0:
            raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol:g}")
        a, b = self.detach(), other.detach()
        close = a == b
        if equal_nan and a.dtype.is_floating_point:
            close = close | (a.isnan() & b.isnan())
        if rtol == 0 and atol == 0:
            return close
        if a.dtype is _dtype.bool:
            a, b = a.to(_dtype.get_default_dtype()), b.to(_dtype.get_default_dtype())
        allowed = (b * rtol).abs() + atol
        actual = (a - b).abs()
        return close | (actual.isfinite() & (actual <= allowed))

    def isnan(self):
        return self != self

    def isinf(self):
        if not self.dtype.is_floating_point:  # integers and bools never are
            return _wrap(_C.full(list(self._impl.shape), False, _dtype.bool.id, *self.device._code))
        return self.abs() == math.inf

    def isfinite(self):
        if not self.dtype.is_floating_point:  # integers and bools are
            return _wrap(_C.full(list(self._impl.shape), True, _dtype.bool.id, *self.device._code))
        return (self - self) == 0  # inf - inf and nan - nan are nan

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return builtins.bool(self.isclose(other, rtol, atol, equal_nan).all())

    # --------------------------------------------------------- linear algebra
    def mm(self, mat2):
        if _AMP[0]:
            self, mat2 = _amp_cast("mm", self, mat2)
        if _needs_grad(self, mat2):
            return _ops.Mm.apply(self, mat2)
        return _wrap(_C.mm(self._impl, mat2._impl))

    def bmm(self, mat2):
        if _AMP[0]:
            self, mat2 = _amp_cast("bmm", self, mat2)
        if _needs_grad(self, mat2):
            return _ops.Bmm.apply(self, mat2)
        return _wrap(_C.bmm(self._impl, mat2._impl))

    def matmul(self, other):
        return matmul(self, other)

    def mv(self, vec):
        m, v = self._impl, vec._impl
        if m.ndim != 2 or v.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got 1, {m.ndim}, {v.ndim}")
        if m.shape[1] != v.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({m.shape[0]}), mat ({m.shape[0]}x{m.shape[1]}), "
                               f"vec ({v.shape[0]})")
        if self.dtype != vec.dtype:  # (torch's mv is addmv into a result of vec's dtype)
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got {vec.dtype._legacy[:-6]}, "
                               f"{self.dtype._legacy[:-6]}, and {vec.dtype._legacy[:-6]}")
        return _ops.MATMUL_OPS["mv"].apply(self, vec)

    def dot(self, tensor):
        return _dot("dot", self, tensor)

    # --------------------------------------------------------------- printing
    def __repr__(self, *, tensor_contents=None):
        return tensor_repr(self)

    def __str__(self):
        return tensor_repr(self)

    def __format__(self, spec):
        if self.dim() == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)


# --------------------------------------------------------------- arguments
def _keyword_size(args, kwargs, fn, name):
    """A size method's arguments when keywords are given: the size as the keyword `name` (x.view(size=(2, 3)))."""
    for k in kwargs:
        if k != name:
            raise TypeError(f"{fn}() got an unexpected keyword argument '{k}'")
    if args:
        raise TypeError(f"{fn}() got multiple values for argument '{name}'")
    return (kwargs[name],)


def _shape_arg(shape, fn="view", arg="size"):
    """A size given as ints or as one sequence of ints (or of anything with __index__), as a list; other
    values raise torch's TypeError (never a float silently truncated)."""
    packed = len(shape) == 1 and isinstance(shape[0], (tuple, list))
    if packed:
        shape = shape[0]
    try:
        return [s if s.__class__ is int else _operator.index(s) for s in shape]
    except TypeError:
        for i, s in enumerate(shape):
            if not hasattr(s, "__index__") or isinstance(s, Tensor) and (s.dtype.is_floating_point or s.numel() != 1):
                if len(shape) == 1 and not packed:
                    raise TypeError(f"{fn}(): argument '{arg}' (position 1) must be tuple of ints, not "
                                    f"{type(s).__name__}") from None
                if i:  # (torch's parser reads a later element apart, and counts from 1)
                    raise TypeError(f"{fn}(): argument '{arg}' failed to unpack the object at pos {i + 1} with error "
                                    f"\"type must be tuple of ints,but got {type(s).__name__}\"") from None
                raise TypeError(f"{fn}(): argument '{arg}' (position 1) must be tuple of ints, but found element of "
                                f"type {type(s).__name__} at pos {i}") from None
        raise


def _to_device_non_blocking(impl, dev):
    """to(dev, non_blocking=True) between the CPU and a GPU: the copy is queued on the current stream and the
    host does not wait for it when the host side is pinned; to the CPU the result is pinned memory, as torch's."""
    src = _C.contiguous(impl)
    out = _C.empty_pinned(list(src.shape), src.dtype) if dev.type == "cpu" else \
        _C.empty(list(src.shape), src.dtype, *dev._code)
    _C.copy_non_blocking_(out, src)
    return out


def _check_dims_in_turn(dims, ndim):
    """torch's var/std/nansum check each dim's range and repeats in turn (sum/amax/...: every range first)."""
    seen = set()
    for d in dims or ():
        w = _C.wrap_dim(d, ndim)
        if w in seen:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        seen.add(w)


def _bool_scan(t, dim, name):
    """cumsum/cumprod(dtype=torch.bool): torch has no bool scan kernel; a 0-d or empty tensor runs none (checked
    after the dim)."""
    _C.wrap_dim(dim, t.dim())
    if t.dim() and t.numel():
        raise NotImplementedError(f"\"{name}_out_cpu\" not implemented for 'Bool'")
    if _needs_grad(t):
        raise RuntimeError("Autograd not support dtype: Bool")
    return t.to(_dtype.bool)


def _rounding_div(a, b, mode):
    """div(a, b, rounding_mode='trunc' | 'floor'): the registry's div_rounding row (a zero gradient, as torch's)."""
    if mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{mode}'")
    if not isinstance(a, Tensor):
        a = _wrap(_C.scalar_tensor(a, (_dtype.int64 if isinstance(a, int) and not isinstance(a, _py_bool) else
                                       _dtype.get_default_dtype()).id, *b.device._code))
    if _C.result_type(a._impl, b._impl if isinstance(b, Tensor) else b) == _dtype.bool.id:
        raise NotImplementedError(f'"div_{mode}_cpu" not implemented for \'Bool\'')
    return _ops.REGISTERED["div_rounding"].apply(a, b, mode)


def _composed_reduction(name, input, dims, keepdim, *params):
    """A registry reduction composed of other kernels (var, std, linalg_vector_norm): its autograd op when a
    gradient is needed, else its kernel."""
    if _needs_grad(input):
        return _ops.REDUCTION_OPS[name].apply(input, dims, keepdim, None, *params)
    return _wrap(_ops._REDUCTION_KERNELS[name](input._impl, dims, keepdim, None, *params))


def _var_or_std(input, dim, unbiased, keepdim, correction, name):
    """Tensor.var/std: torch's checks (floating input, the dims in turn, a warning when no degree of freedom is
    left), then the registry reduction."""
    if not input.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims = _dims_arg(dim)
    if dims and not input._impl.ndim:  # a 0-d tensor has the one dim 0 (or -1): reduce it all
        dims = [_C.wrap_dim(d, 0) for d in dims] and []
    _check_dims_in_turn(dims, input._impl.ndim)
    if _reduced_count(input.shape, dims) - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    return _composed_reduction(name, input, dims, keepdim, correction)


def _softmax(input, dim, dtype, log, stacklevel=2, name=None):
    """softmax / log_softmax: the Tensor methods and torch.nn.functional's (`stacklevel` counted from here; `name`:
    the function a missing dim's warning names, softmin's)."""
    if _AMP[0]:
        input, = _amp_cast("log_softmax" if log else "softmax", input)
    if dim is None:
        name = name or ("log_softmax" if log else "softmax")
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                      "Change the call to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
        dim = 0 if input.dim() in (0, 1, 3) else 1
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point and input.numel():  # (torch names its kernel; an empty one runs none)
        nd = builtins.max(input.dim(), 1)
        last = "_lastdim" if _C.wrap_dim(dim, nd) == nd - 1 else ""
        raise NotImplementedError(f"\"{'log_' if log else ''}softmax{last}_kernel_impl\" not implemented for "
                                  f"'{input.dtype._legacy[:-6]}'")
    return _ops.NN_OPS["_log_softmax" if log else "_softmax"].apply(input, dim)


def _integer_reduction(t, dtype, dims=()):
    """sum/prod/cumsum(dtype=<integer or bool>): True when the result has that dtype; torch's autograd refuses it
    (after the dims are checked)."""
    if dtype is None or dtype.is_floating_point:
        return False
    for d in dims:
        _C.wrap_dim(d, builtins.max(t.dim(), 1))
    if _needs_grad(t):
        raise RuntimeError(f"Autograd not support dtype: {dtype._legacy[:-6]}")
    return True


def _bool_clamp_promotes(lo, hi):
    """clamp of a bool tensor by numbers: an int bound promotes the result to int64 (True: it does; a float bound
    is promoted by the kernel); bool bounds alone have no kernel, as torch's."""
    bounds = [b for b in (lo, hi) if b is not None]
    if not bounds or any(isinstance(b, (_py_float, np.floating, np.bool_)) for b in bounds):
        return False  # (torch takes a numpy bool for a float number)
    if all(isinstance(b, _py_bool) for b in bounds):
        kind = "clamp" if len(bounds) == 2 else "clamp_min" if lo is not None else "clamp_max"
        raise NotImplementedError(f"\"{kind}_scalar_cpu\" not implemented for 'Bool'")
    return True


def _can_cast_into(t, other):
    return _C.can_cast(_C.result_type(t._impl, other._impl if isinstance(other, Tensor) else other), t._impl.dtype)


def _dims_arg(dim):
    if dim is None:
        return []
    if isinstance(dim, (tuple, list)):
        return list(dim)
    return [dim]


def _broadcast_shape(a, b):
    """The broadcast of shapes a and b; the error names the innermost mismatching dim, as torch's."""
    n = builtins.max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i in builtins.range(n - 1, -1, -1):
        x, y = a[i], b[i]
        if x != y and x != 1 and y != 1:
            raise _C.ShapeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                                f"dimension {i}")
    return [y if x == 1 else x for x, y in zip(a, b)]


def _reduced_count(shape, dims):
    if not dims:
        return math.prod(shape)
    return math.prod(shape[_C.wrap_dim(d, len(shape))] for d in dims) if len(shape) else 1


# ---------------------------------------------------------------- indexing
def _key_takes_view(t, key):
    """Whether t[key] = v writes through a view of t (an int, None, or a slice short of its whole dim), as
    opposed to into t itself (whole slices, Ellipsis, tensor indices alone)."""
    basic = _split_key(t, key)[0]
    if basic is None:
        return False
    v, impl = _apply_basic_index(t._impl, basic), t._impl
    return (v.shape, v.strides, v.offset) != (impl.shape, impl.strides, impl.offset)


def _sequence_key(key):
    """A list key holding a sequence, tensor, slice, None or Ellipsis is a tuple of indices to torch 2.13 (numpy's
    legacy rule, deprecated with a warning): t[[0, [1]]] is t[0, [1]]; a list of ints stays one index."""
    if len(key) < 32 and any(k is None or k is Ellipsis or isinstance(k, (list, tuple, _py_slice, Tensor, np.ndarray))
                             for k in key):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in "
                      "pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as "
                      "tensor index, x[torch.tensor(seq)], which will result either in an error or a different result",
                      UserWarning, stacklevel=3)
        return tuple(key)
    return key


def _split_key(t, key):
    """Splits an index into its basic part (ints, slices, None, Ellipsis: a view) and at most one
    group of adjacent tensor indices (advanced indexing: a copy), as (basic, dim, [int64 tensors]).
    A Python bool or a 0-d bool/uint8 tensor is torch's 0-d mask: a new dim of size 1, indexed by
    [0] (True) or by nothing (False). Byte tensors of more dims are masks (deprecated, as torch)."""
    single = not isinstance(key, tuple)
    if single:
        key = (key,)
    ndim = t.dim()
    items, consumed = [], 0
    for k in key:
        if k is None or k is Ellipsis or k is True or k is False:
            pass
        elif isinstance(k, (Tensor, list, np.ndarray, builtins.range)):  # (a range: "What is torch.nn really?"'s nll)
            if not isinstance(k, Tensor):
                k = list(k) if isinstance(k, builtins.range) else k
                k = tensor(k, dtype=_dtype.int64 if isinstance(k, list) and not k else None)
            if k.dtype is _dtype.bool or k.dtype is _dtype.uint8:
                if k._impl.ndim == 0:
                    k = _py_bool(k.item())
                else:
                    if k.dtype is _dtype.uint8:
                        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                                      "torch.bool instead.", UserWarning, stacklevel=3)
                        k = k != 0
                    consumed += k._impl.ndim
            else:
                consumed += 1
        else:
            consumed += 1
        items.append(k)
    if consumed > ndim:
        if ndim == 0 and single:  # torch's messages for t[i] and t[:] of a 0-d t
            if isinstance(key[0], _py_slice):
                if key[0].step is not None and key[0].step <= 0:  # (checked first, as torch)
                    raise ValueError("step must be greater than zero")
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
            if isinstance(key[0], (int, np.integer)) and key[0] != 0:
                raise IndexError(f"index {key[0]} is out of bounds for dimension 0 with size 0")
            if isinstance(key[0], (int, np.integer)):
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                 "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, adv = [], []
    adv_dims = []  # the dims of the basic part's result that the tensor indices index
    dim = out = 0  # dims of t consumed, dims of the basic part's result made, so far
    for k in items:
        if k is Ellipsis:
            n = ndim - consumed
            basic.extend([_py_slice(None)] * n)
            dim += n
            out += n
            consumed = ndim
        elif k is None:
            basic.append(None)
            out += 1
        elif isinstance(k, Tensor) and k._impl.ndim == 0:  # a 0-d integer tensor acts as an int
            if k.dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            basic.append(_py_int(k.item()))
            dim += 1
        elif k is True or k is False or isinstance(k, Tensor):
            if k is True or k is False:
                basic.append(None)
                adv.append(_wrap(_C.full([1 if k else 0], 0, _dtype.int64.id, *t.device._code)))
                out += 1
            elif k.dtype is _dtype.bool:
                for i, (ms, ts) in enumerate(zip(k.shape, t.shape[dim:dim + k.dim()])):
                    if ms != ts:  # (torch names the shape after the ints, slices and Nones: the tensors as `:`)
                        shown = t[tuple(_py_slice(None) if isinstance(j, Tensor) and j._impl.ndim else None
                                        if j is True or j is False else j for j in items)].shape
                        raise IndexError(f"The shape of the mask {list(k.shape)} at index {i} does not match the "
                                         f"shape of the indexed tensor {list(shown)} at index {out + i}")
                nz = _wrap(_C.nonzero(k._impl))
                adv.extend(nz[:, i] for i in builtins.range(k.dim()))
                basic.extend([_py_slice(None)] * k.dim())
                dim += k.dim()
                out += k.dim()
            else:
                if k.dtype.is_floating_point:
                    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
                adv.append(k)
                basic.append(_py_slice(None))
                dim += 1
                out += 1
            adv_dims.extend(builtins.range(_adv_start(out, k), out))
        else:
            basic.append(k)
            dim += 1
            if isinstance(k, _py_slice):
                out += 1
    if not adv:
        return tuple(basic), None, None, None
    trivial = all(isinstance(k, _py_slice) and k == _py_slice(None) for k in basic)
    basic = None if trivial else tuple(basic)
    if adv_dims[-1] - adv_dims[0] == len(adv_dims) - 1:  # adjacent: the result's dims replace them in place
        return basic, adv_dims[0], adv, None
    # torch (and numpy): tensor indices split by a slice put the result's dims first
    return basic, 0, adv, adv_dims + [d for d in builtins.range(out + ndim - dim) if d not in adv_dims]


def _adv_start(out, k):
    return out - 1 if k is True or k is False or k.dtype is not _dtype.bool else out - k.dim()


# ---------------------------------------------------------------- creation
def write_out(out, result, warn_resize=True):
    """Stores `result` in the `out=` tensor (or tuple of tensors) as torch does: same dtype rule, and an
    out of the wrong shape is resized (with torch's deprecation warning when it had elements, but for a
    factory's out, which torch resizes silently)."""
    if isinstance(out, (tuple, list)):
        for o, r in zip(out, result):
            write_out(o, r)
        return out
    if not _C.can_cast(result.dtype.id, out.dtype.id):
        raise RuntimeError(f"result type {result.dtype._legacy[:-6]} can't be cast to the desired output "
                           f"type {out.dtype._legacy[:-6]}")
    if out.shape != result.shape:
        if out.numel() and warn_resize:
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(out.shape)}, "
                          f"which does not match the required output shape {list(result.shape)}. This behavior is "
                          "deprecated, and in a future PyTorch release outputs will not be resized unless they "
                          "have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, "
                          "to zero elements with t.resize_(0).", UserWarning, stacklevel=3)
        out._impl = result.to(dtype=out.dtype, device=out.device, copy=True)._impl
    else:
        out.copy_(result)
    return out


def _takes_out(factory):
    """fn(..., out=None): the result written into `out` as torch's out= (a factory makes it in out's dtype and
    device unless told otherwise)."""
    def deco(fn):
        @functools.wraps(fn)
        def with_out(*args, out=None, **kwargs):
            if out is None:
                return fn(*args, **kwargs)
            if factory:
                kwargs["dtype"] = kwargs.get("dtype") or out.dtype
                kwargs["device"] = kwargs.get("device") or out.device
            return write_out(out, fn(*args, **kwargs), warn_resize=not factory)
        return with_out
    return deco


def _dt(dtype):
    return _dtype.get_default_dtype() if dtype is None else _dtype.as_dtype(dtype)


def _finish(t, requires_grad):
    if requires_grad:
        t._set_requires_grad(True, ONLY_FLOATING_GRAD)
    return t


def _size_keyword(factory):
    """torch's factories take their shape as ints, as one sequence, or as size=...: the last made the second."""
    @functools.wraps(factory)
    def with_size_keyword(*size, **kwargs):
        if "size" in kwargs:
            if size:
                raise TypeError(f"{factory.__name__}() got multiple values for argument 'size'")
            size = (kwargs.pop("size"),)
        return factory(*size, **kwargs)
    return with_size_keyword


def _fill_uninitialized(impl):
    """torch's deterministic mode (use_deterministic_algorithms(True), fill_uninitialized_memory on): memory that
    a factory leaves uninitialized holds NaN (floating dtypes) or the dtype's largest value (integers; bool True)."""
    if DETERMINISTIC["deterministic"] and DETERMINISTIC["fill"] and impl.numel:
        dt = _DTYPE[impl.dtype]
        value = _py_float("nan") if dt.is_floating_point or dt.is_complex else True if dt is _dtype.bool else \
            _dtype.iinfo(dt).max
        _C.fill_(impl, value)
    return impl


@_size_keyword
def empty(*size, dtype=None, device=None, requires_grad=False, out=None, memory_format=None, _fn="empty"):
    if out is not None:  # (torch's empty.out: out resized to the shape, its values left, or filled as below)
        out.resize_(_shape_arg(size, _fn))
        _fill_uninitialized(out._impl)
        return _finish(out, requires_grad)
    t = _wrap(_fill_uninitialized(_C.empty(_shape_arg(size, _fn), _dt(dtype).id, *as_device(device)._code)))
    if memory_format is not None and memory_format is not _mf.contiguous_format:
        _mf.check(t, memory_format)
        t = _mf.to_channels_last(t, memory_format) if memory_format in _mf.CHANNELS_LAST else t
    return _finish(t, requires_grad)


@_takes_out(factory=True)
def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    if isinstance(fill_value, Tensor):  # a one-element 0-d tensor is a Number to torch's parser
        if fill_value.dim() != 0:
            raise TypeError("full(): argument 'fill_value' (position 2) must be Number, not Tensor")
        fill_value = fill_value.item()
    if not isinstance(fill_value, (numbers.Number, np.generic)):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not {_type_name(fill_value)}")
    dtype = _dtype.as_dtype(dtype)
    if dtype is None:  # (a numpy integer is an int, a numpy bool_ a float to torch's parser)
        dtype = _dtype.bool if isinstance(fill_value, _py_bool) else _dtype.int64 if isinstance(
            fill_value, (_py_int, np.integer)) else _dtype.get_default_dtype()
    return _finish(_wrap(_C.full(_shape_arg((size,), "full"), fill_value, dtype.id, *as_device(device)._code)),
                   requires_grad)


@_takes_out(factory=True)
@_size_keyword
def zeros(*size, dtype=None, device=None, requires_grad=False, _fn="zeros"):
    shape = _shape_arg(size, _fn)
    if _fn == "zeros" and any(s < 0 for s in shape):  # (torch.zeros checks its sizes first, in words of its own)
        raise _C.ShapeError("zeros: Dimension size must be non-negative.")
    return _finish(_wrap(_C.full(shape, 0, _dt(dtype).id, *as_device(device)._code)), requires_grad)


@_takes_out(factory=True)
@_size_keyword
def ones(*size, dtype=None, device=None, requires_grad=False):
    return _finish(_wrap(_C.full(_shape_arg(size, "ones"), 1, _dt(dtype).id, *as_device(device)._code)),
                   requires_grad)


def _empty_like(input, dtype, device, memory_format):
    """torch's empty_like layout: preserve_format (the default) keeps the strides of a dense input (a channels-last or
    transposed one) and gives another one dense strides in its dims' memory order; another format is that format's."""
    dtype, device = dtype or input.dtype, device or input.device
    if memory_format is not None and memory_format is not _mf.preserve_format:
        _mf.check(input, memory_format)
        return empty(*input.shape, dtype=dtype, device=device, memory_format=memory_format)
    shape, strides = list(input.shape), list(input.stride())
    if not _mf.is_dense(input):
        strides = _mf.dense_strides(shape, strides)
    t = empty(*shape, dtype=dtype, device=device)
    return t if t.stride() == tuple(strides) else _wrap(_C.as_strided(t._impl, shape, strides, 0))


def _like(fill, name):
    def like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
        t = _empty_like(input, dtype, device, memory_format)
        if fill is not None:
            _C.fill_(t._impl, fill)
            t._impl.version = 0  # (a new tensor, as torch's: the fill is not an in-place write by the user)
        return _finish(t, requires_grad)
    like.__name__ = like.__qualname__ = name
    return like


zeros_like, ones_like, empty_like = _like(0, "zeros_like"), _like(1, "ones_like"), _like(None, "empty_like")


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    t = _empty_like(input, dtype, device, memory_format)
    _C.fill_(t._impl, fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    t._impl.version = 0
    return _finish(t, requires_grad)


_FLOAT_OF_GRAD_WARNED = [False]
_FLOAT_DRAWS = {_C.uniform_: "check_uniform_bounds", _C.normal_: "normal_kernel_cpu"}  # torch's kernel names


def _draw(generator, kernel, *args):
    """kernel(*args), drawing from generator's stream (the global one for None)."""
    if kernel in _FLOAT_DRAWS and args[0].dtype not in _ops._FLOAT_IDS:  # torch's error for an integer tensor
        raise NotImplementedError(f'"{_FLOAT_DRAWS[kernel]}" not implemented for '
                                  f"'{_dtype.BY_ID[args[0].dtype]._legacy[:-len('Tensor')]}'")
    if kernel is _C.random_ and len(args) == 3:
        _check_random_bounds(_DTYPE[args[0].dtype], args[1], args[2])
    if generator is None:
        return kernel(*args)
    with drawing_from(generator):
        return kernel(*args)


def _check_random_bounds(dtype, low, high):
    """random_(from, to) / randint: from and to - 1 must be values of dtype (torch's checks and words)."""
    for v in (low, high):
        if isinstance(v, int) and not -2**63 <= v < 2**63:
            raise ValueError("Overflow when unpacking long long")
    bits = 8 * dtype.itemsize
    lo, hi = ((0, 1) if dtype is _dtype.bool else (0, 255) if dtype is _dtype.uint8 else
              (-65504, 65504) if dtype is _dtype.float16 else (-2 ** (bits - 1), 2 ** (bits - 1) - 1)
              if not dtype.is_floating_point else (-math.inf, math.inf))
    for name, v in (("from", low), ("to - 1", high - 1)):
        if not lo <= v <= hi:
            raise RuntimeError(f"{name} is out of bounds for {_C_TYPE[dtype]}")


@_takes_out(factory=True)
@_size_keyword
def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    t = empty(*size, dtype=dtype, device=device, _fn="rand")
    _draw(generator, _C.uniform_, t._impl, 0.0, 1.0)
    t._impl.version = 0  # (a new tensor, as torch's: the draw is not an in-place write by the user)
    return _finish(t, requires_grad)


@_takes_out(factory=True)
@_size_keyword
def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    t = empty(*size, dtype=dtype, device=device, _fn="randn")
    _draw(generator, _C.normal_, t._impl, 0.0, 1.0)
    t._impl.version = 0  # (a new tensor, as torch's: the draw is not an in-place write by the user)
    return _finish(t, requires_grad)


_RANDINT_OVERLOADS = "".join(
    f"\n * ({args}, *, {gen}Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device "
    "device = None, bool pin_memory = False, bool requires_grad = False)"
    for args in ("int high, tuple of ints size", "int low, int high, tuple of ints size")
    for gen in ("torch.Generator generator, ", ""))


@_takes_out(factory=True)
def randint(low=None, high=None, size=None, dtype=None, device=None, requires_grad=False, generator=None):
    given = [a for a in (low, high, size) if a is not None]
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    low = 0 if low is None else low  # (randint(high=4, size=...))
    if not isinstance(size, (tuple, list)):
        if len(given) == 2:
            raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not {type(size).__name__}")
        raise TypeError("randint() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in given)}), but expected one of:{_RANDINT_OVERLOADS}\n")
    t = empty(*size, dtype=dtype or _dtype.int64, device=device)
    _draw(generator, _C.random_, t._impl, low, high)
    t._impl.version = 0  # (a new tensor, as torch's: the draw is not an in-place write by the user)
    return t


def _empty_in_layout(input, dtype=None, device=None):
    """An empty tensor of input's shape laid out as input (its dims in input's stride order, as torch's
    preserve_format), so that a sampler filling it in memory order draws as torch's *_like samplers and dropout."""
    strides, dims = input.stride(), builtins.range(input.dim())
    order = sorted(dims, key=lambda d: -strides[d])
    dtype, device = dtype or input.dtype, device or input.device
    if order == list(dims) or 0 in strides:
        return empty(*input.shape, dtype=dtype, device=device)
    t = empty(*[input.shape[d] for d in order], dtype=dtype, device=device)
    return t.permute(*sorted(dims, key=order.__getitem__))


def rand_like(input, dtype=None, device=None):
    t = _empty_in_layout(input, dtype, device)
    _draw(None, _C.uniform_, t._impl, 0.0, 1.0)
    return t


def randn_like(input, dtype=None, device=None):
    t = _empty_in_layout(input, dtype, device)
    _draw(None, _C.normal_, t._impl, 0.0, 1.0)
    return t


@_takes_out(factory=True)
def randperm(n, dtype=None, device=None, generator=None, requires_grad=False):
    t = _wrap(_draw(generator, _C.randperm, n, *as_device(device)._code))
    return t if dtype is None else t.to(dtype)


def normal(mean, std=1.0, size=None, generator=None, dtype=None, device=None):
    # with tensors, torch's draws in mean's dtype (std's for a float mean) over the broadcast shape:
    # normal_(0, std) + mean for a float std, else normal_(0, 1) * std + mean
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        like = mean if isinstance(mean, Tensor) else std
        both = isinstance(mean, Tensor) and isinstance(std, Tensor)
        if isinstance(std, Tensor) and std.numel() and not (std >= 0).all().item():  # (NaN fails it, as torch's)
            raise RuntimeError("normal expects all elements of std >= 0.0")
        t = empty(*(_broadcast_shape(mean.shape, std.shape) if both else like.shape), dtype=like.dtype,
                  device=like.device)
        _draw(generator, _C.normal_, t._impl, 0.0, 1.0 if isinstance(std, Tensor) else std)
        return ((t * std).to(like.dtype) if isinstance(std, Tensor) else t) + mean
    t = empty(*size, dtype=dtype, device=device)
    _draw(generator, _C.normal_, t._impl, mean, std)
    t._impl.version = 0
    return t


@_takes_out(factory=True)
def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    dtype = _dtype.as_dtype(dtype)
    if dtype is None:
        dtype = _dtype.int64 if all(isinstance(v, (int, np.integer)) or isinstance(v, Tensor) and
                                    not v.dtype.is_floating_point for v in (start, end, step)) \
            else _dtype.get_default_dtype()
    return _finish(_wrap(_C.arange(_py_float(start), _py_float(end), _py_float(step), dtype.id,
                                   *as_device(device)._code)), requires_grad)


def range(start, end=None, step=1, dtype=None, device=None, requires_grad=False):  # legacy torch.range
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    n, dt = _py_int(math.floor((end - start) / step)) + 1, _dt(dtype)
    stop = start + n * step - (step / 2 if dt.is_floating_point else 0)  # (integer dtypes: arange's integer count)
    return _finish(_wrap(_C.arange(_py_float(start), stop, _py_float(step), dt.id, *as_device(device)._code)),
                   requires_grad)


@_takes_out(factory=True)
def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _finish(_wrap(_C.linspace(_py_float(start), _py_float(end), steps, _dt(dtype).id,
                                     *as_device(device)._code)), requires_grad)


@_takes_out(factory=True)
def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    if isinstance(n, _py_bool) or not hasattr(n, "__index__"):
        raise TypeError(f"eye(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if m is not None and (isinstance(m, _py_bool) or not hasattr(m, "__index__")):
        options = ("*, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device "
                   "= None, bool pin_memory = False, bool requires_grad = False)")
        raise TypeError(f"eye() received an invalid combination of arguments - got ({type(n).__name__}, "
                        f"{type(m).__name__}), but expected one of:\n * (int n, {options}\n"
                        f" * (int n, int m, {options}\n")
    n, m = _operator.index(n), None if m is None else _operator.index(m)
    return _finish(_wrap(_C.eye(n, n if m is None else m, _dt(dtype).id, *as_device(device)._code)), requires_grad)


def from_numpy(ndarray):
    return _wrap(_C.from_numpy(ndarray))


# The Python numbers an integer tensor accepts: the type's range; uint8 also takes -255..-1 (wrapped)
_INT_RANGE = {"int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1), "int32": (-2**31, 2**31 - 1),
              "int64": (-2**63, 2**63 - 1), "uint8": (-255, 255)}


def _scalar_type(x):
    """torch's inferred dtype of one item of a sequence given to torch.tensor (None: nothing to infer from)."""
    if isinstance(x, (list, tuple)):
        out = None
        for item in x:
            d = _scalar_type(item)
            out = d if out is None else out if d is None else _dtype.BY_ID[_C.promote_types(out.id, d.id)]
        return out
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return _dtype.from_numpy_dtype(x.dtype)
    return _dtype.bool if isinstance(x, bool) else _dtype.int64 if isinstance(x, int) else \
        _dtype.get_default_dtype() if isinstance(x, float) else None


def _tensor_scalar(t):
    if t.numel() != 1:  # (torch's two messages: an integer or bool tensor is read as an index)
        if t.is_floating_point():
            raise ValueError("only one element tensors can be converted to Python scalars")
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return t.item()


def _holds_tensor(data, classes=None):
    """Whether a Tensor (an instance of `classes`) is nested anywhere in the sequence data: one level at a time, by
    the set of the items' types (C loops: torch.tensor of a long list must not pay a Python step per number)."""
    classes = classes or Tensor
    while True:
        types = set(map(type, data))
        if any(issubclass(t, classes) for t in types):
            return True
        seqs = [issubclass(t, (list, tuple)) for t in types]
        if not any(seqs):
            return False
        data = list(itertools.chain.from_iterable(
            data if all(seqs) else (x for x in data if isinstance(x, (list, tuple)))))


def _sequence_scalars(data):
    """torch.tensor's reading of Tensors nested in a sequence: each is one scalar (one element), and their dtypes
    join the inference. Returns (data with each Tensor replaced by its Python number, the inferred dtype: None
    when there is no Tensor, as the other items are inferred by _infer_np)."""
    if not _holds_tensor(data):
        return data, None

    def scalars(x):
        if isinstance(x, Tensor):
            return _tensor_scalar(x)
        return [scalars(item) for item in x] if isinstance(x, (list, tuple)) else x

    return scalars(data), _scalar_type(data)


def _infer_np(data, dtype=None):
    """data as a numpy array of torch's inferred dtype, or of `dtype` when one is given (cast once:
    Python floats must not pass through float32 on their way to a float64 tensor)."""
    try:
        arr = np.array(data)
    except ValueError:
        _nested.raise_if_ragged(data)  # torch's error for ragged nesting
        raise
    typed = isinstance(data, (np.ndarray, np.generic))  # numpy arrays and scalars keep their dtype
    if arr.dtype.kind in "US" and not typed:
        first = data
        while isinstance(first, (list, tuple)) and first:
            first = first[0]
        if isinstance(first, str) and first is not data:  # (torch reads a string in a sequence as one more dim)
            raise ValueError("too many dimensions 'str'")
        raise TypeError(f"new(): invalid data type '{'str' if arr.dtype.kind == 'U' else 'bytes'}'")
    if arr.dtype == object and dtype is not None and not typed and (dtype.is_floating_point or dtype is _dtype.bool):
        arr = np.array(data, dtype=np.float64)  # ints beyond 64 bits convert to a float or bool dtype (torch's)
    elif not typed and arr.dtype == np.uint64 and (dtype is None or not (dtype.is_floating_point or
                                                                       dtype is _dtype.bool)):
        # ints in [2**63, 2**64) for an integer dtype: beyond int64, as torch's unpacking says
        raise ValueError("Overflow when unpacking long long")
    if arr.dtype == object:
        if isinstance(data, np.ndarray):  # (the words of from_numpy's refusal)
            raise TypeError("can't convert np.ndarray of type numpy.object_. The only supported types are: float64, "
                            "float32, float16, int64, int32, int16, int8, uint8, and bool.")
        items = [data] if arr.ndim == 0 else list(np.ravel(arr))
        odd = [x for x in items if not isinstance(x, (int, float, complex, np.generic))]
        if not odd and not typed and any(isinstance(x, int) for x in items):
            raise ValueError("Overflow when unpacking long long")  # an int beyond 64 bits
        raise RuntimeError(f"Could not infer dtype of {type(odd[0] if odd else data).__name__}")
    if dtype is not None:
        if not typed and arr.size and arr.dtype.kind in "iuf" and dtype.name in _INT_RANGE:
            lo, hi = _INT_RANGE[dtype.name]  # Python numbers must fit (torch); numpy arrays wrap on the cast
            if arr.dtype.kind == "f":  # a float never wraps (torch's c10::overflows): [lowest, max]
                lo = 0 if dtype.name == "uint8" else lo
            if not (arr.min() >= lo and arr.max() <= hi):
                raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")
        with np.errstate(over="ignore"):  # 1e39 as float32 is inf, as in torch
            # float16/bfloat16: float32 here, rounded by the core afterwards (double -> float -> half, as c10)
            return arr.astype("float32" if dtype in (_dtype.float16, _dtype.bfloat16) else dtype.name)
    if isinstance(data, (list, tuple)) and _holds_tensor(data, (np.ndarray, np.generic)):
        # numpy arrays and scalars anywhere in the nesting keep their dtype, promoted with the other items' (torch's
        # inference: [[np.float64(1), 2.0]] is float64)
        out = _scalar_type(data)
        if out is not None and out is not _dtype.bfloat16:
            return arr.astype(out.name)
    if arr.dtype.kind == "f" and not typed:
        default = _dtype.get_default_dtype()  # (bfloat16, which numpy lacks: float32, rounded by tensor())
        arr = arr.astype("float32" if default is _dtype.bfloat16 else default.name)
    elif arr.dtype.kind in "iu" and arr.dtype != np.uint8 and not typed:
        if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise ValueError("Overflow when unpacking long long")  # never wrap 2**63 around to -2**63
        arr = arr.astype(np.int64)
    return arr


def _unpickle(array, dtype, device, requires_grad, attributes):
    """The other half of Tensor.__reduce_ex__."""
    dtype = getattr(_dtype, dtype.rpartition(".")[2])
    t = from_numpy(array)  # (a fresh array from the pickle: shared, not copied again)
    t = (t.view(dtype) if dtype == _dtype.bfloat16 else t).to(device).requires_grad_(requires_grad)
    if attributes:
        t.__dict__.update(attributes)
    return t


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    dtype = _dtype.as_dtype(dtype)
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        t = data.detach().clone()
    else:
        if isinstance(data, (list, tuple)):
            first = data
            while isinstance(first, (list, tuple)) and first:
                first = first[0]
            if isinstance(first, np.ndarray) and first.ndim == 0 and first is not data:
                raise TypeError("len() of unsized object")  # (torch sizes the nesting by its first items, as sequences)
            data, inferred = _sequence_scalars(data)
            dtype = dtype or inferred
        if isinstance(data, np.ndarray) and min(data.strides, default=0) < 0:
            from_numpy(data)  # torch's ValueError for negative strides (it does not copy them either)
        arr = _infer_np(data, dtype)
        if not arr.flags.c_contiguous:  # (np.ascontiguousarray would turn a 0-d array into 1-d)
            arr = np.ascontiguousarray(arr)
        t = _wrap(_C.clone(_C.from_numpy(arr)))  # a copy: the tensor never aliases the caller's data
        if dtype is None and t.dtype is _dtype.float32 and _dtype.get_default_dtype() is _dtype.bfloat16 and \
                not isinstance(data, (np.ndarray, np.generic)):
            dtype = _dtype.bfloat16  # Python floats under a bfloat16 default dtype
    if dtype is not None and t.dtype is not dtype:
        t = t.to(dtype)
    t = t.to(as_device(device))  # (device=None: torch.set_default_device's)
    return _finish(t, requires_grad)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    if isinstance(data, np.ndarray) and (dtype is None or dtype.name == str(data.dtype)):
        try:
            return from_numpy(data).to(device=as_device(device))  # (None: the default device)
        except (TypeError, ValueError):
            pass
    return tensor(data, dtype=dtype, device=device)


def _type_name(value):
    """value's type as torch's messages name it: list, numpy.ndarray, torch.Size."""
    module, name = type(value).__module__, type(value).__name__
    if module == "builtins":
        return name
    return ("torch" if module.startswith("tinygrad_ext") else module.split(".")[0]) + "." + name


def _legacy_new(dtype, device, *args, **kwargs):
    """torch.Tensor(5, 3) (uninitialized), torch.Tensor([1, 2]) / FloatTensor(list) (data), Tensor() (empty)."""
    if kwargs:
        raise TypeError(f"new() received an invalid combination of arguments: {sorted(kwargs)}")
    if not args:  # torch.Tensor(): an empty 1-D tensor
        return empty(0, dtype=dtype, device=device)
    if len(args) == 1 and isinstance(args[0], Size):  # torch.Tensor(x.size()): a size, not data
        return empty(*args[0], dtype=dtype, device=device)
    if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
        return tensor(args[0], dtype=dtype, device=device)
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0].to(dtype)
    return empty(*args, dtype=dtype, device=device)


class _LegacyTensorTypeMeta(type):
    """torch.FloatTensor & co.: callable constructors, usable as `x.type(torch.FloatTensor)`,
    and `isinstance(t, torch.FloatTensor)` checks dtype and device."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.is_cuda == cls.is_cuda

    def __repr__(cls):
        return f"<class 'torch.{'cuda.' if cls.is_cuda else ''}{cls.__name__}'>"


def _make_legacy(dt, cuda):
    def __new__(cls, *args, **kwargs):
        return _legacy_new(cls.dtype, "cuda" if cls.is_cuda else "cpu", *args, **kwargs)
    return _LegacyTensorTypeMeta(dt._legacy, (), {"__new__": __new__, "dtype": dt, "is_cuda": cuda})


LEGACY_CPU = {d._legacy: _make_legacy(d, False) for d in _dtype.BY_ID}
LEGACY_CUDA = {d._legacy: _make_legacy(d, True) for d in _dtype.BY_ID}


# ------------------------------------------------------------- functions
def where(condition, input=None, other=None, *, out=None):
    if out is not None:
        return write_out(out, where(condition, input, other))
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if isinstance(condition, Tensor) and condition.dtype is _dtype.uint8:
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and will be removed in "
                      "a future version of PyTorch. Use a boolean condition instead.", UserWarning, stacklevel=2)
        condition = condition.to(_dtype.bool)
    if isinstance(condition, Tensor) and condition.dtype is not _dtype.bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{condition.dtype._legacy[:-6]}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):  # two Python scalars: torch's result dtype
        dt = _dtype.bool if isinstance(input, _py_bool) and isinstance(other, _py_bool) else \
            _dtype.int64 if isinstance(input, (int, np.integer)) and isinstance(other, (int, np.integer)) else \
            _dtype.get_default_dtype()
        input = _wrap(_C.full([], input, dt.id, *condition.device._code))  # (checks that it fits, as torch)
    if _needs_grad(input, other):
        return _ops.Where.apply(condition, input, other)
    return _wrap(_C.where(condition._impl, _ops._impl(input), _ops._impl(other)))


def maximum(a, b):
    return a.maximum(b)


def minimum(a, b):
    return a.minimum(b)


def matmul(a, b):
    """torch's _matmul_impl, op for op (its nodes): 1-D operands are promoted and the added dim removed, batch dims
    broadcast; the batch of the larger operand is folded into mm/mv rows where torch folds it (should_fold),
    else both are expanded to one batch for bmm."""
    if _AMP[0]:
        a, b = _amp_cast("matmul", a, b)
    da, db = a.dim(), b.dim()
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if db == 1 and da <= 2:  # torch's dot and mv (their nodes)
        if da == 1:
            if a.shape[0] != b.shape[0]:
                raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
                                   f"to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} "
                                   "elements respectively")
            return _dot("dot", a, b)
        return a.mv(b)
    if da == 1 and db == 2:
        return a.unsqueeze(0).mm(b).squeeze_(0)  # (torch's in-place squeeze: SqueezeBackward4)
    if da == 2 and db == 2:
        return a.mm(b)
    if _should_fold(a, b):
        transpose = db > da
        t1 = b.mT if transpose else a
        t2 = (a.t() if da == 2 else a) if transpose else b
        out_shape = list(t1.shape[:-1])
        folded = t1.reshape(math.prod(out_shape), t1.shape[-1])
        if t2.dim() == 2:
            out = _ops.VIEW_OPS["_unsafe_view"].apply(folded.mm(t2), out_shape + [t2.shape[1]])
            return out.mT.contiguous() if transpose else out
        return _ops.VIEW_OPS["_unsafe_view"].apply(folded.mv(t2), out_shape)
    n = a.shape[-2] if da > 1 else 1
    m1, m2 = a.shape[-1], (b.shape[-2] if db > 1 else b.shape[0])
    p = b.shape[-1] if db > 1 else 1
    batch_a, batch_b = a.shape[:max(da - 2, 0)], b.shape[:max(db - 2, 0)]
    if da == 3 and db == 3 and batch_a[0] != batch_b[0]:  # (a batch of one that requires grad: its squeeze)
        if batch_a[0] == 1 and a.requires_grad:
            return matmul(a.squeeze(0), b)
        if batch_b[0] == 1 and b.requires_grad:
            return matmul(a, b.squeeze(0))
    out_shape = list(_broadcast_shape(batch_a, batch_b))
    nb = math.prod(out_shape)  # (not -1: a zero-size operand makes -1 ambiguous)
    a3 = a.expand(*out_shape, n, m1).reshape(nb, n, m1)
    if db == 1:
        b3 = b.expand(*out_shape, m2).reshape(nb, m2).unsqueeze(2)
    else:
        b3 = b.expand(*out_shape, m2, p).reshape(nb, m2, p)
    out = a3.bmm(b3)
    if da > 1:
        out_shape.append(n)
    if db > 1:
        out_shape.append(p)
    return _ops.VIEW_OPS["_unsafe_view"].apply(out.squeeze(-1) if db == 1 else out, out_shape)


class _CopyFrom(_ops.Op):
    """self.copy_(src) under autograd: torch's CopyBackwards, with an edge to self's old history (its gradient is
    zeros: the values were overwritten) and one to src (the gradient summed to src's shape, in src's dtype); the
    output is src broadcast and cast to self's shape and dtype, which Tensor.copy_ writes into self."""

    _backward_name = "torch::autograd::CopyBackwards"
    _reads_inputs = False

    @staticmethod
    def forward(ctx, self, src):
        ctx.src_shape, ctx.src_dtype = src._impl.shape, src.dtype
        out = _C.empty(list(self._impl.shape), self._impl.dtype, *self.device._code)
        _C.copy_(out, src._impl)
        return out

    @staticmethod
    def backward(ctx, grad):
        g_self = g_src = None
        if ctx.needs_input_grad[0]:
            g_self = _wrap(_C.full(list(grad._impl.shape), 0, grad._impl.dtype, *grad.device._code))
        if ctx.needs_input_grad[1]:
            g_src = _ops._unbroadcast(grad, ctx.src_shape).to(ctx.src_dtype)
        return g_self, g_src


class _BasicIndex:
    """x[key] of ints, slices and None as one step of a view chain (a view of a tensor without grad): replayed
    through the registry's select/slice/unsqueeze when an in-place op with grad rebases the base."""

    @staticmethod
    def apply(x, key):
        return _apply_basic_index(x, key, _ops.BASIC_INDEX_VIEWS)


def _should_fold(a, b):
    """torch's should_fold: whether the larger operand (b transposed when it is the larger) folds its batch into
    the rows of one mm/mv: it has 3+ dims and the other 1 or 2, and the other requires grad (the smaller gradient)
    or the fold is a view (not a matrix times a batch; empty, or batch dims laid out row-major)."""
    larger = a.dim() >= b.dim()
    t1 = a if larger else b.mT
    if not (t1.dim() >= 3 and (b.dim() if larger else a.dim()) <= 2):
        return False
    if (b if larger else a).requires_grad:
        return True
    if a.dim() == 2:
        return False
    if t1.numel() == 0:
        return True
    size, stride = t1.shape, t1.stride()
    return all(stride[i] == stride[i + 1] * size[i + 1] for i in builtins.range(t1.dim() - 2))


def _dot(name, input, other):
    """dot and vdot (real tensors: no conjugate) after torch's checks, which both word as dot's (read from the impls:
    this is the recording path of every dot)."""
    a, b = input._impl, other._impl
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {input.dtype._legacy[:-6]} "
                           f"and {other.dtype._legacy[:-6]}")
    if a.shape != b.shape:
        raise RuntimeError("inconsistent tensor size, expected tensor [{0}] and src [{1}] to have the same number "
                           "of elements, but got {0} and {1} elements respectively".format(a.shape[0], b.shape[0]))
    if a.dtype == _dtype.bool.id:
        raise NotImplementedError("\"dot\" not implemented for 'Bool'")
    return _ops.MATMUL_OPS[name].apply(input, other)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if out is not None:
        return write_out(out, addmm(input, mat1, mat2, beta=beta, alpha=alpha))
    if _AMP[0]:
        input, mat1, mat2 = _amp_cast("addmm", input, mat1, mat2)
    if input.dtype is mat1.dtype is mat2.dtype is _dtype.bool and mat1.dim() == mat2.dim() == 2 and \
            0 in (mat1.shape[0], mat1.shape[1], mat2.shape[1]):
        # torch has no bool kernel: a product without terms is beta * input, whose Long/Float result cannot be
        # cast back to bool (an empty result is returned)
        prod = mat1.mm(mat2).to(_dtype.bool)
        input.expand(prod.shape)
        if prod.numel():
            kind = "Float" if isinstance(beta, _py_float) or isinstance(alpha, _py_float) else "Long"
            raise RuntimeError(f"result type {kind} can't be cast to the desired output type Bool")
        return prod
    if not mat1.dtype.is_floating_point:  # integer products: torch truncates beta and alpha to integers ...
        if isinstance(beta, _py_float) and beta != 0 and mat1.dim() == 2 and mat1.shape[1] == 0 and \
                input.numel() and mat1.shape[0] * mat2.shape[-1]:  # ... but scales input alone by a float
            raise RuntimeError(f"result type Float can't be cast to the desired output type "
                               f"{input.dtype._legacy[:-6]}")
        beta, alpha = _py_int(beta), _py_int(alpha)
    return _ops.Addmm.apply(input, mat1, mat2, beta, alpha)


def _scatter_src(src, index):
    """src cut to index's shape where it is larger (scatter_add reads only that corner, and its gradient is index's
    shape: the rest of src gets zeros)."""
    if src.dim() == index.dim() and tuple(src.shape) != tuple(index.shape) and \
            all(i <= n for i, n in zip(index.shape, src.shape)):
        return src[tuple(builtins.slice(0, n) for n in index.shape)]
    return src


def _tensor_list(fn, tensors):
    """cat/stack's `tensors`: a list or tuple of Tensors (torch's TypeErrors for a Tensor, a generator, a None)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return list(tensors)


def cat(tensors, dim=0, *, out=None):
    if out is not None:
        result = cat(tensors, dim)
        if not _C.can_cast(result.dtype.id, out.dtype.id):
            raise TypeError(f"torch.cat(): input types can't be cast to the desired output type "
                            f"{out.dtype._legacy[:-6]}")
        return write_out(out, result)
    tensors = _tensor_list("cat", tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    dt = tensors[0].dtype if isinstance(tensors[0], Tensor) else None
    for t in tensors:
        if isinstance(t, Tensor) and t.dtype is not dt:  # mixed dtypes: promoted as by +
            rt = dt
            for u in tensors:
                rt = _DTYPE[_C.promote_types(rt.id, u.dtype.id)]
            tensors = [u if u.dtype is rt else u.to(rt) for u in tensors]
            break
    try:
        if _needs_grad(*tensors):
            return _ops.INDEXING_OPS["cat"].apply(tensors, dim)
        return _wrap(_C.cat([t._impl for t in tensors], dim))
    except RuntimeError:
        for i, t in enumerate(tensors):
            if isinstance(t, Tensor) and t._impl.ndim == 0:
                raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated") from None
        legacy = [t for t in tensors if isinstance(t, Tensor) and t._impl.shape == (0,)]
        if legacy and len(legacy) < len(tensors):  # torch skips the legacy 1-D empty tensors
            return cat([t for t in tensors if not (isinstance(t, Tensor) and t._impl.shape == (0,))], dim)
        raise


def _named(out, name):
    """out, its node carrying torch's name for the op that made it (a view or join done by a more general op)."""
    if out.grad_fn is not None:
        out.grad_fn._backward_name = name
    return out


def stack(tensors, dim=0, *, out=None):
    if out is not None:
        return write_out(out, stack(tensors, dim))
    tensors = _tensor_list("stack", tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    d = _C.wrap_dim(dim, tensors[0].dim() + 1)  # (the dim is checked first, as torch's)
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
    if d < tensors[0].dim():  # (torch's: cat along d, d split by a view, so the result keeps cat's layout)
        shape = list(tensors[0].shape)
        return _named(cat(tensors, d).view(shape[:d] + [len(tensors)] + shape[d:]), "StackBackward0")
    return _named(cat([t.unsqueeze(d) for t in tensors], d), "StackBackward0")


def _with_params(e):
    """Tensor.<name>(*params) and <name>_ of a unary registry entry with scalar parameters (hardshrink's lambd)."""
    call = _ops.functional(e.name)

    def method(self, *args, **kwargs):
        return call(self, *_ops.bind_params(e, args, kwargs))

    def inplace(self, *args, **kwargs):
        return self._inplace_from(method, *args, **kwargs)
    return method, inplace


def _registry_methods():
    """Tensor.<name> and its in-place <name>_ for every registry entry whose Python side is generated."""
    for e in _registry.OPS:
        if e.python != "generated":
            continue
        cfn, op = getattr(_C, e.name), _ops.REGISTERED.get(e.name)
        if e.params:
            pair = _with_params(e)
        else:
            pair = (_unary(cfn, op), _unary_inplace(e.name)) if e.unary else (_binary(cfn, op), _inplace(cfn, op))
        for name, method in zip((e.name, e.name + "_"), pair):
            method.__name__, method.__qualname__, method.__doc__ = name, f"Tensor.{name}", e.doc(name)
            setattr(Tensor, name, method)


_registry_methods()


def _reduction_method(e):
    """Tensor.<name> of a registry reduction: the kernel directly, or the autograd op when a gradient is needed.
    An integer dtype= result has no gradient (torch's autograd refuses it, after the dims are checked)."""
    cfn, op, in_turn = getattr(_C, e.name), _ops.REDUCTION_OPS.get(e.name), e.dims_in_turn
    floating_only = e.kind == "mean"  # (an integer dtype= is refused by the core before the dims are checked)
    if e.takes_dtype:
        def method(self, dim=e.dim_default, keepdim=False, *, dtype=None):
            dims = _dims_arg(dim)
            if in_turn:
                _check_dims_in_turn(dims, self._impl.ndim)
            if floating_only and dtype is not None and not dtype.is_floating_point:
                return _wrap(cfn(self._impl, dims, keepdim, dtype.id))
            if op is not None and _needs_grad(self) and not _integer_reduction(self, dtype, dims):
                return op.apply(self, dims, keepdim, dtype)
            return _wrap(cfn(self._impl, dims, keepdim, None if dtype is None else dtype.id))
    else:
        def method(self, dim=e.dim_default, keepdim=False):
            dims = _dims_arg(dim)
            if op is not None and _needs_grad(self):
                return op.apply(self, dims, keepdim, None)
            return _wrap(cfn(self._impl, dims, keepdim))
    method.__name__, method.__qualname__, method.__doc__ = e.name, f"Tensor.{e.name}", e.doc(f"Tensor.{e.name}")
    return method


for _e in _registry.REDUCTIONS:
    if not _e.kernel:  # (var, std, ...: the methods above)
        setattr(Tensor, _e.name, _reduction_method(_e))
del _e


def _scan_methods(e):
    """Tensor.<name> of a registry scan (and Tensor.<name>_ where torch has it): the kernel directly, or the
    autograd op when a gradient is needed (a dtype= casts the input first). torch's dtype rules first:
    dtype=torch.bool has no kernel, an integer dtype= result has no gradient."""
    cfn, op, name = getattr(_C, e.name), _ops.SCAN_OPS[e.name], e.name
    if e.kind == "indices":
        result_type = getattr(return_types, name)

        def method(self, dim):
            return result_type(*(op.apply(self, dim) if _needs_grad(self) else map(_wrap, cfn(self._impl, dim))))
    elif e.takes_dtype:
        def method(self, dim, *, dtype=None):
            if dtype is _dtype.bool:
                return _bool_scan(self, dim, name)
            if _needs_grad(self) and not _integer_reduction(self, dtype, [dim]):
                return op.apply(self if dtype is None else self.to(dtype), dim)
            return _wrap(cfn(self._impl, dim, None if dtype is None else dtype.id))
    else:
        def method(self, dim):
            return op.apply(self, dim) if _needs_grad(self) else _wrap(cfn(self._impl, dim))

    def inplace(self, dim, *, dtype=None):
        return self._inplace_from(method, dim, dtype=dtype)
    methods = (method, inplace) if e.inplace else (method,)
    for m, mname in zip(methods, (name, name + "_")):
        m.__name__, m.__qualname__, m.__doc__ = mname, f"Tensor.{mname}", e.doc(f"Tensor.{mname}")
        setattr(Tensor, mname, m)


for _e in _registry.SCANS:
    _scan_methods(_e)
del _e


def _view_method(e):
    """Tensor.<name> of a VIEWS row with method=True (torch.<name> is made from it): the row's op, which calls the
    kernel alone when no gradient is needed."""
    args = "".join(", " + p for p in e.params)
    scope = {"__name__": __name__, "op": _ops.VIEW_OPS[e.name].apply}
    exec(f"def {e.name}(self{args}):\n    return op(self{args})\n", scope)  # noqa: S102 (the row's parameter names)
    method = scope[e.name]
    method.__qualname__, method.__doc__ = f"Tensor.{e.name}", e.doc(f"Tensor.{e.name}")
    return method


for _e in _registry.VIEWS:
    if _e.method:
        setattr(Tensor, _e.name, _view_method(_e))
del _e
Tensor.swapaxes = Tensor.transpose
_VIEW, _RESHAPE, _PERMUTE, _EXPAND, _SQUEEZE, _SQUEEZE_DIM, _SQUEEZE_DIMS, _SELECT, _SLICE = (
    _ops.VIEW_OPS[n] for n in ("view", "reshape", "permute", "expand", "squeeze", "squeeze.dim", "squeeze.dims",
                               "select", "slice"))
_round = _unary(_C.round, _ops.REGISTERED["round"])
_round_decimals, _polygamma, _nan_to_num = map(_ops.functional, ("round_decimals", "polygamma", "nan_to_num"))
_FLOAT_MAX = {_dtype.float32: 3.4028234663852886e38, _dtype.float64: 1.7976931348623157e308}
_C_TYPE = {_dtype.float32: "float", _dtype.float64: "double", _dtype.int64: "long int", _dtype.int32: "int",
           _dtype.int16: "short int", _dtype.int8: "signed char", _dtype.uint8: "unsigned char", _dtype.bool: "bool",
           _dtype.float16: "c10::Half", _dtype.bfloat16: "c10::BFloat16"}  # (torch's messages name the C++ type)


def _nan_to_num_params(t, nan, posinf, neginf):
    """torch's defaults: the dtype's largest and lowest finite values (other dtypes pass through)."""
    big = _FLOAT_MAX.get(t.dtype, 0.0)
    return nan, big if posinf is None else posinf, -big if neginf is None else neginf
