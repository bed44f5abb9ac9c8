"""tinygrad_ext: a small deep-learning library with PyTorch's interface on a C++/CUDA tensor core.

    import tinygrad_ext as torch
"""
import builtins as _builtins
import importlib as _importlib

from . import _C
from . import _dtype, _registry
from ._device import Size, device
from ._dtype import (bfloat16, bool, double, dtype, finfo, float, float16, float32, float64, get_default_dtype,
                     half, iinfo, int, int8, int16, int32, int64, long, set_default_dtype, short, uint8)
from ._tensor_str import set_printoptions
from .autograd.grad_mode import _state as _grad_state
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                                  set_grad_enabled)
from .tensor import (Tensor, addmm, arange, as_tensor, cat, empty, empty_like, eye, from_numpy, full, full_like,
                     linspace, normal, ones, ones_like, rand, rand_like, randint, randn,
                     randn_like, randperm, range, stack, tensor, where, zeros, zeros_like)
from . import accelerator, autograd, backends, cpu, cuda, return_types, version
from .accelerator import Event  # torch.Event, the device-generic one
from .tensor import LEGACY_CPU as _LEGACY_CPU
from .tensor import LEGACY_CUDA as _LEGACY_CUDA
from .tensor import tensor as _tensor
from .tensor import _C_TYPE, _needs_grad
from .tensor import write_out as _write_out
from .cuda import OutOfMemoryError  # torch.OutOfMemoryError

globals().update(_LEGACY_CPU)  # torch.FloatTensor, torch.LongTensor, ...
cuda.__dict__.update(_LEGACY_CUDA)  # torch.cuda.FloatTensor, ...

__version__ = version.__version__

pi, e, inf, nan, newaxis = 3.141592653589793, 2.718281828459045, _builtins.float("inf"), _builtins.float("nan"), None


from .random import get_rng_state, initial_seed, seed, set_rng_state  # noqa: E402 (torch.random's, re-exported)


def get_num_threads():
    return _C.get_num_threads()


def set_num_threads(n):
    _C.set_num_threads(n)


def set_float32_matmul_precision(precision):
    """'highest' (IEEE float32, the default), 'high' or 'medium' (CUDA float32 matmuls may use TF32 tensor cores)."""
    p = str(precision)
    if p.lower() not in ("highest", "high", "medium"):
        import warnings
        warnings.warn(f"{p} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", stacklevel=2)
        return
    _C.set_float32_matmul_precision(p.lower())


def get_float32_matmul_precision():
    return _C.get_float32_matmul_precision()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()


# torch.<name>(number, tensor): the ops whose schema takes a Number as self (a wrapped number: it promotes as a
# Python scalar does, so it becomes a 0-d tensor of the result dtype); the other ops want a Tensor there.
_NUMBER_SELF = {"add", "sub", "mul", "div", "true_divide", "remainder", "floor_divide", "bitwise_and", "bitwise_or",
                "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift"}


def _number_self(name, input, args):
    if name in _NUMBER_SELF and args and isinstance(args[0], Tensor) and \
            isinstance(input, (_builtins.int, _builtins.float, _builtins.bool)):
        dtype = bool if isinstance(input, _builtins.bool) else result_type(args[0], input)  # (True - t raises)
        return _tensor(input, dtype=dtype, device=args[0].device)
    raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


# torch.<name>(..., out=) written by the kernel itself where the method's graph-free path is just that kernel (the
# registry's generated elementwise ops, and add/sub/mul/div without alpha or rounding_mode): no temporary, no copy
_OUT_KERNELS = {**{e.name: (getattr(_C, e.name), 0 if e.unary else 1) for e in _registry.OPS
                   if e.python == "generated" and e.kernel is None and not e.params},
                **{n: (getattr(_C, k), 1) for n, k in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("div", "div"),
                                                        ("true_divide", "div"))}}


def _direct_out(input, args, out):
    """Whether out= can take the kernel's result directly: out has the operands' shape and device (no resize), a
    Tensor or Python number operand, and no gradient involved (else the method runs and its result is copied, with
    torch's checks)."""
    a, o = input._impl, out._impl if isinstance(out, Tensor) else None
    if o is None or o.shape != a.shape or o.device_type != a.device_type or o.device_index != a.device_index:
        return False
    grad = _grad_state[0] and (input._requires_grad or out._requires_grad)
    if args:
        other = args[0]
        if isinstance(other, Tensor):
            b = other._impl
            return not grad and not (_grad_state[0] and other._requires_grad) and b.shape == a.shape and \
                b.device_type == a.device_type and b.device_index == a.device_index
        return not grad and type(other) in (_builtins.int, _builtins.float, _builtins.bool)
    return not grad


def _function(name):
    kernel, arity = _OUT_KERNELS.get(name, (None, -1))

    def fn(input, *args, **kwargs):
        out = kwargs.pop("out", None)
        if not isinstance(input, Tensor):
            input = _number_self(name, input, args)
        if out is not None and len(args) == arity and not kwargs and _direct_out(input, args, out):
            if args:
                other = args[0]
                kernel(input._impl, other._impl if isinstance(other, Tensor) else other, False, out._impl, None)
            else:
                kernel(input._impl, out._impl, None)
            return out
        result = getattr(Tensor, name)(input, *args, **kwargs)
        return result if out is None else _write_out(out, result)
    fn.__name__ = fn.__qualname__ = name
    return fn


for _name in ("add", "sub", "mul", "div", "true_divide", "pow", "neg", "abs", "exp", "log", "sqrt", "rsqrt", "tanh",
              "sigmoid", "relu", "sin", "cos", "log1p", "expm1", "reciprocal", "sign", "floor", "ceil", "round",
              "trunc", "square", "clamp", "clip", "clamp_min", "clamp_max", "eq", "ne", "lt", "le", "gt", "ge",
              "logical_and", "logical_or",
              "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
              "bitwise_left_shift", "bitwise_right_shift",
              "floor_divide", "remainder", "var", "std", "norm",
              "argmax", "argmin", "mm", "bmm", "mv", "dot", "t",
              "transpose", "permute", "reshape", "flatten", "squeeze", "unsqueeze", "narrow", "select", "split",
              "chunk", "unbind", "gather", "scatter_add", "index_select", "masked_fill", "masked_select", "nonzero",
              "clone", "detach", "numel", "as_strided", "equal", "isclose", "allclose", "isnan", "isinf",
              "isfinite", "maximum", "minimum", "matmul", "nan_to_num", "lerp"):
    globals()[_name] = _function(_name)
for _name in ([e.name for e in _registry.OPS if e.python == "generated"] + [e.name for e in _registry.REDUCTIONS
                                                                             if not e.kernel]
              + [e.name for e in _registry.SCANS]):
    # torch.<name>, with out=
    globals()[_name] = _function(_name)
del _name


def _selection_function(entry, variant=None):
    """torch.<name>(input, <signature>, *, out=None) of a registry selection or of one of its variants."""
    name, signature = (entry.name, entry.signature) if variant is None else variant[:2]
    lines, names = _reduction_ops._selection_code(entry, variant, "input")
    doc = entry.doc(f"torch.{name}") if variant is None else entry.variant_doc(variant, f"torch.{name}")
    call = f"method(input, {_registry.passed_on(signature)})"
    return _reduction_ops._generated(name, _registry.function_params(signature), [
        "if out is not None:", f"    return _selection_out(entry, {name!r}, out, input, lambda: {call})", *lines],
        {**names, "entry": entry, "method": _reduction_ops.METHODS[name], "_selection_out": _selection_out}, doc, name)


def _selection_out(entry, name, out, input, compute):
    """torch.<name>(..., out=) of a selection as torch's: not while recording a graph, the result's dtypes exactly,
    (values, indices) returned as torch.return_types.<selection>_out."""
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if _needs_grad(input, *outs):
        raise RuntimeError(f"{entry.name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    result = compute()
    results = result if isinstance(result, tuple) else (result,)
    if isinstance(result, tuple) != isinstance(out, (tuple, list)):
        raise TypeError(f"{name}(): argument 'out' must be {'tuple of Tensors' if results is result else 'Tensor'}, "
                        f"not {type(out).__name__}")
    if len(outs) != len(results):
        raise TypeError(f"expected tuple of {len(results)} elements but got {len(outs)}")
    for o, r in zip(outs, results):
        if o.dtype is not r.dtype:
            raise RuntimeError(f"Expected out tensor to have dtype {_C_TYPE[r.dtype]}, but got {_C_TYPE[o.dtype]} "
                               "instead")
        _write_out(o, r)
    return getattr(return_types, f"{entry.name}_out")(*outs) if results is result else out


subtract, multiply, divide, negative, swapaxes = sub, mul, div, neg, transpose  # noqa: F821
_pow = pow  # the generated one; torch.pow below also takes a number base


def pow(input, exponent, *, out=None):  # torch.pow(2, t): a number base too
    if not isinstance(input, Tensor):
        result = exponent.__rpow__(input)
        return result if out is None else _write_out(out, result)
    return _pow(input, exponent, out=out)


def polygamma(n, input, *, out=None):
    result = input.polygamma(n)
    return result if out is None else _write_out(out, result)


def is_floating_point(t):
    return t.dtype.is_floating_point


def promote_types(a, b):
    return _dtype.BY_ID[_C.promote_types(a.id, b.id)]


def result_type(a, b):
    a = a if isinstance(a, Tensor) else _tensor(a)
    return _dtype.BY_ID[_C.result_type(a._impl, b._impl if isinstance(b, Tensor) else b)]


def can_cast(from_, to):
    return _C.can_cast(from_.id, to.id)


def softmax(input, dim=None, dtype=None):  # noqa: F811 (the argument shadows torch.dtype, as torch's)
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, dtype=None):  # noqa: F811
    return input.log_softmax(dim, dtype=dtype)


from . import _linalg_ops, _reduction_ops, _sampling_ops, _scatter_ops, _shape_ops, special  # noqa: E402
from . import _everyday_ops  # noqa: E402
from . import _everyday_aliases  # noqa: E402
from ._generator import Generator, default_generator  # noqa: E402
from . import _gamma_ops, _linalg_basic, _linalg_more, _numeric_ops, _strided_ops, _view_copies, _window_ops  # noqa: E402
from . import _aten_aliases, _foreach, storage  # noqa: E402
# Tensor.<name> and torch.<name> of the ops written on top of Tensor
for _ops_module in (_shape_ops, _reduction_ops, _linalg_ops, _scatter_ops, _sampling_ops, special, _everyday_ops,
                    _linalg_basic, _everyday_aliases, _linalg_more, _numeric_ops, _strided_ops, _view_copies,
                    _window_ops, _aten_aliases, storage, _gamma_ops):
    for _name, _method in _ops_module.METHODS.items():
        setattr(Tensor, _name, _method)
    globals().update(_ops_module.FUNCTIONS)
for _e in _registry.SELECTIONS:  # torch.max, torch.sort, ..., and their variants (torch.argsort, torch.msort)
    globals()[_e.name] = _selection_function(_e)
    for _v in _e.variants:
        globals()[_v[0]] = _selection_function(_e, _v)
globals().update(_foreach.FUNCTIONS)  # torch._foreach_<op>
del _ops_module, _name, _method, _e, _v
from . import linalg  # noqa: E402

from . import nn, optim  # noqa: E402
from ._compile import compile  # noqa: E402 (torch.compile: see _compile.py)
from . import _dynamo, _logging, compiler, jit  # noqa: E402 (torch._dynamo, torch._logging, torch.compiler, torch.jit)
from .nn.functional import celu, celu_, prelu, selu, selu_, threshold, threshold_  # noqa: E402 (torch.selu, ...)
Tensor.prelu = prelu
from .serialization import load, save  # noqa: E402
from . import distributions, testing, utils, vision  # noqa: E402
from . import signal  # noqa: E402 (torch.signal.windows)
from . import profiler  # noqa: E402
from .autograd import profiler as _autograd_profiler  # noqa: E402 (torch.autograd.profiler)
from . import func  # noqa: E402 (torch.func; it loads torch.autograd.functional)
from .func import vmap  # noqa: E402 (torch.vmap)
from .utils.dlpack import from_dlpack, to_dlpack  # noqa: E402
from . import distributed  # noqa: E402
from . import amp  # noqa: E402
from .amp import autocast, get_autocast_dtype, is_autocast_enabled  # noqa: E402
from .amp import GradScaler  # noqa: E402 (torch.GradScaler)
from ._autocast_legacy import (autocast_decrement_nesting, autocast_increment_nesting,  # noqa: E402
                               clear_autocast_cache, get_autocast_cpu_dtype, get_autocast_gpu_dtype,
                               is_autocast_cache_enabled, is_autocast_cpu_enabled, set_autocast_cache_enabled,
                               set_autocast_cpu_dtype, set_autocast_cpu_enabled, set_autocast_dtype,
                               set_autocast_enabled, set_autocast_gpu_dtype)
from . import multiprocessing  # noqa: E402
from ._docs import complete as _complete_docs  # noqa: E402
from ._arg_aliases import install as _install_aliases  # noqa: E402
from ._alias import install as _install_alias_finder  # noqa: E402

_install_aliases(globals(), "torch.")  # numpy's axis=, keepdims=, x=, x2= ... wherever torch takes them
_install_aliases(vars(nn.functional), "torch.nn.functional.")
_install_aliases(Tensor, "Tensor.")
_complete_docs(globals(), "torch.", Tensor, globals())  # own __name__ and a docstring for every public function
_complete_docs(vars(nn.functional), "torch.nn.functional.", Tensor, globals())
_complete_docs(Tensor, "Tensor.", Tensor, globals())
_install_alias_finder(__name__)  # sys.modules['torch'] = tinygrad_ext: `import torch.nn` gives tinygrad_ext.nn


def __getattr__(name):
    """torch.onnx without `import torch.onnx`, as in torch: loaded on first use (it imports the onnx package,
    which takes longer to import than this library)."""
    if name == "onnx":
        return _importlib.import_module(".onnx", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
