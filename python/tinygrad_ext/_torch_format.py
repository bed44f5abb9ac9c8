"""PyTorch's checkpoint formats, read and written as torch.save / torch.load do.

Reading:
  * the zip archive torch.save writes since PyTorch 1.6: <archive>/data.pkl (a pickle), <archive>/data/<key> (one
    record of raw bytes per storage), <archive>/byteorder ("little" or "big") and <archive>/version;
  * the legacy stream (torch.save(..., _use_new_zipfile_serialization=False)): the pickles of a magic number, a
    protocol version and a sys_info dict, the object's pickle, the pickle of the storage keys, then each storage as
    an int64 element count followed by its bytes.

weights_only=True (torch.load's default): the pickles are interpreted by _Unpickler, a small interpreter of
pickle's binary opcodes written here (not pickle.Unpickler): a global resolves only to the entries of _GLOBALS (the
rebuild functions of dense tensors and Parameters, OrderedDict/Counter/set/bytes/bytearray/complex, torch.Size,
torch.device, the dtypes and storage classes) and to what add_safe_globals allow-listed; REDUCE/NEWOBJ call only
those, BUILD sets state only on an OrderedDict or an allow-listed class's instance, and a persistent id is only a
storage. Anything else (GLOBAL os.system, a class of the user's, a whole nn.Module) raises WeightsUnpicklingError
with torch's message; nothing else of the file is called, imported or looked up. Opcodes are bounded by the bytes
present, so truncated or oversized records raise CheckpointError; no recursion, so deep nesting cannot overflow.

weights_only=False: _FullUnpickler, a pickle.Unpickler, rebuilds whatever the pickle says, running its code (as
torch.load(weights_only=False) does: only for files from a trusted source); torch's globals name ours (the rebuild
functions above; torch.nn.X is tinygrad_ext.nn.X), everything else is imported as pickle imports it.

Tensors are rebuilt as torch rebuilds them: one 1-D tensor per storage (placed once on its device by the
caller's `place`), and each tensor an as_strided view of it, so tensors that shared a storage (views, tied
weights) share it again. Sizes, strides and offsets are checked against the storage before any view is made.

Writing (save_zip, save_legacy): _TorchPickler, a pickle Pickler (protocol 2), pickles any picklable object; tensors
become torch's rebuild calls on persistent storage ids (torch._utils._rebuild_tensor_v2, _rebuild_parameter,
torch.FloatStorage, torch.Size, torch.device, torch.float32, ...: the bytes torch.save writes), objects of other
classes (our modules and optimizers included) are pickled by reference to their classes, as pickle does. A file
holding only tensors, containers and plain values is what real torch.load(f, weights_only=True) loads.
"""
import _compat_pickle
import io
import math
import pickle
import pickletools
import struct
import zipfile
import zlib
from collections import Counter, OrderedDict

import numpy as np

from . import _dtype
from ._device import Size, device
from .nn.parameter import Parameter
from .tensor import Tensor, from_numpy


class CheckpointError(ValueError):
    """A file that is not a valid checkpoint: truncated, corrupt, crafted, or of another format."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason
        self._init_args = (path, reason)

    def __reduce__(self):  # rebuilt from its own arguments (multiprocessing pickles exceptions)
        return type(self), self._init_args


class WeightsUnpicklingError(CheckpointError, pickle.UnpicklingError):
    """A checkpoint's pickle asks for something that torch.load(weights_only=True) refuses too (a global that is
    not a tensor rebuild function, a container, a plain value or allow-listed by add_safe_globals): nothing of it
    was executed. The message is torch's."""

    def __init__(self, path, reason):
        super().__init__(path, weights_only_message(reason))
        self.args = (self.reason,)  # (torch's words alone, without the path: e.path keeps it)
        self._init_args = (path, reason)

    def __reduce__(self):  # by a function: the class's name is pickle's own (below)
        return _weights_unpickling_error, self._init_args


# torch raises pickle.UnpicklingError itself: type(e).__name__, repr(e) and the traceback's line name it
# "_pickle.UnpicklingError" (the class stays a CheckpointError and a subclass of pickle's)
WeightsUnpicklingError.__name__ = WeightsUnpicklingError.__qualname__ = pickle.UnpicklingError.__name__
WeightsUnpicklingError.__module__ = pickle.UnpicklingError.__module__


def _weights_unpickling_error(path, reason):
    return WeightsUnpicklingError(path, reason)


_WEIGHTS_ONLY_DEFAULT = ("In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
                         "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will "
                         "likely succeed, but it can result in arbitrary code execution. Do it only if you got the "
                         "file from a trusted source.")
_WEIGHTS_ONLY_DOCS = ("Check the documentation of torch.load to learn more about types accepted by default with "
                      "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def weights_only_message(reason):
    """torch.load's message for a weights-only refusal: the two ways out for a global, else the plain one."""
    if reason.startswith("Unsupported global"):
        return ("Weights only load failed. This file can still be loaded, to do so you have two options, \x1b[1mdo "
                "those steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) " + _WEIGHTS_ONLY_DEFAULT +
                "\n\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps in the "
                f"following error message.\n\tWeightsUnpickler error: {reason}\n\n" + _WEIGHTS_ONLY_DOCS)
    return ("Weights only load failed. " + _WEIGHTS_ONLY_DEFAULT + "\nPlease file an issue with the following so that "
            "we can make `weights_only=True` compatible with your use case: WeightsUnpickler error: \n\n"
            f"{reason}\n\n" + _WEIGHTS_ONLY_DOCS)


# ------------------------------------------------------------------ torch.serialization's allow-list
_safe_globals = []  # what add_safe_globals added: objects, or (object, "module.name") pairs


def safe_global_names():
    """{"module.qualname": object} of the allow-listed globals (a pair names its object itself)."""
    out = {}
    for entry in _safe_globals:
        obj, name = entry if isinstance(entry, tuple) else (entry, f"{entry.__module__}.{entry.__qualname__}")
        out[name] = obj
    return out


# ------------------------------------------------------------------ dtypes of the formats
# dtype name: (PyTorch's storage class, safetensors' dtype code, numpy dtype of the little-endian bytes; bfloat16,
# which numpy lacks, travels as its int16 bits). The library supports those that _dtype defines and numpy can
# carry; the others are named in errors.
FORMATS = {
    "float64": ("DoubleStorage", "F64", "<f8"), "float32": ("FloatStorage", "F32", "<f4"),
    "float16": ("HalfStorage", "F16", "<f2"), "bfloat16": ("BFloat16Storage", "BF16", "<i2"),
    "int64": ("LongStorage", "I64", "<i8"), "int32": ("IntStorage", "I32", "<i4"),
    "int16": ("ShortStorage", "I16", "<i2"), "int8": ("CharStorage", "I8", "i1"),
    "uint8": ("ByteStorage", "U8", "u1"), "bool": ("BoolStorage", "BOOL", "?"),
    "complex64": ("ComplexFloatStorage", "C64", "<c8"), "complex128": ("ComplexDoubleStorage", None, "<c16"),
    "qint8": ("QInt8Storage", None, None), "quint8": ("QUInt8Storage", None, None),
    "qint32": ("QInt32Storage", None, None), "quint4x2": ("QUInt4x2Storage", None, None),
    "quint2x4": ("QUInt2x4Storage", None, None),
}
SUPPORTED = {name: getattr(_dtype, name) for name, (_, _, code) in FORMATS.items()
             if code is not None and isinstance(getattr(_dtype, name, None), _dtype.dtype)}


def unsupported_dtype(name):
    return (f"tensors of dtype torch.{name} are not supported by tinygrad_ext (it has "
            f"{', '.join(SUPPORTED)})")


def bad_bool_byte(raw):
    """(index, value) of the first byte of a BOOL tensor's data that is neither 0 nor 1, or None."""
    arr = np.frombuffer(raw, dtype=np.uint8)
    if arr.size == 0 or arr.max() <= 1:
        return None
    i = int(np.argmax(arr > 1))
    return i, int(arr[i])


def tensor_from_bytes(raw, name, shape=None, byteorder="little"):
    """A new tensor of dtype `name` holding the (little- or big-endian) bytes raw; 1-D unless shape is given."""
    code = np.dtype(FORMATS[name][2])
    arr = np.frombuffer(raw, dtype=code if byteorder == "little" else code.newbyteorder(">"))
    if shape is not None:
        arr = arr.reshape(shape)
    if not arr.dtype.isnative or arr.flags.writeable:  # (from_numpy copies a read-only array itself)
        arr = arr.astype(code.newbyteorder("="), copy=True)
    t = from_numpy(arr)
    return t.view(_dtype.bfloat16) if name == "bfloat16" else t


def tensor_bytes(t):
    """t's elements in row-major order as little-endian bytes: a view of t's memory where it is laid out so
    (a contiguous CPU tensor on a little-endian host), else a copy."""
    t = t.detach().view(_dtype.int16) if t.dtype is _dtype.bfloat16 else t.detach()  # (its bits)
    arr = np.ascontiguousarray(t.numpy(force=True)).astype(FORMATS[t.dtype.name][2], copy=False)
    return memoryview(arr.reshape(-1).view(np.uint8))


# ------------------------------------------------------------------ what a pickle may name
class _StorageType:
    """torch.FloatStorage & co. (and torch.storage.UntypedStorage, dtype "uint8"): only valid in a persistent id."""
    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype

    def __repr__(self):
        return f"torch.{self.name}"


_TENSOR_TYPE = object()  # the global torch.Tensor: only the `type` argument of _rebuild_from_type_v2


class _Rebuild:
    """A callable that a pickle may REDUCE (or NEWOBJ): a rebuild function of torch, or a type; `tensor` is set
    for those that make tensors (skipped by a dry run, which only finds the storages)."""
    __slots__ = ("name", "fn", "tensor")

    def __init__(self, name, fn, tensor=False):
        self.name, self.fn, self.tensor = name, fn, tensor

    def __repr__(self):
        return self.name

    def __call__(self, *args):  # (as the full unpickler's REDUCE calls it)
        return self.fn(*args)


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _int_tuple(x, what):
    if not isinstance(x, (tuple, list)) or not all(_is_int(v) for v in x):
        raise ValueError(f"{what} must be a tuple of ints, got {x!r}"[:200])
    return tuple(x)


class _Storage:
    """One storage of the file: its raw bytes, element dtype and location; `tensor()` is its 1-D tensor, made
    and placed on first use (so every tensor viewing it shares it)."""

    def __init__(self, loader, key, name, raw, location):
        self.loader, self.key, self.name, self.raw, self.location = loader, key, name, raw, location
        self.numel = len(raw) // SUPPORTED[name].itemsize if name in SUPPORTED else 0
        self._tensors = {}

    def tensor(self, name):
        """The storage as a 1-D tensor of dtype name (an untyped storage is read as the dtype its tensor asks)."""
        if name not in self._tensors:
            raw = self.raw
            if name != self.name and self.name != "uint8":
                self.loader.fail(f"storage {self.key} of dtype {self.name} is used as {name}")
            if len(raw) % SUPPORTED[name].itemsize:
                self.loader.fail(f"storage {self.key} holds {len(raw)} bytes, not a whole number of {name} "
                                 "elements")
            if name == "bool" and bad_bool_byte(raw):
                i, v = bad_bool_byte(raw)
                self.loader.fail(f"storage {self.key}: BOOL data holds byte {v} at element {i} (only 0 and 1 are "
                                 "valid)")
            t = tensor_from_bytes(raw, name, byteorder=self.loader.byteorder)
            self._tensors[name] = self.loader.place(t, self.location)
        return self._tensors[name]


_MAX_VIEW_NUMEL = 2 ** 28


def _view(storage, name, storage_offset, size, stride):
    """The tensor of `size`, `stride` and `storage_offset` into storage, validated against its length first."""
    if not isinstance(storage, _Storage):
        raise ValueError(f"a tensor's storage must come from a persistent id, got {type(storage).__name__}")
    if name not in SUPPORTED:
        storage.loader.fail(unsupported_dtype(name))
    size, stride = _int_tuple(size, "size"), _int_tuple(stride, "stride")
    if not _is_int(storage_offset) or storage_offset < 0 or len(size) != len(stride) or len(size) > 64 or \
            any(s < 0 for s in size) or any(s < 0 for s in stride):
        storage.loader.fail(f"invalid tensor geometry: size {list(size)}, stride {list(stride)}, storage_offset "
                            f"{storage_offset!r}"[:300])
    numel = math.prod(size)
    base = storage.tensor(name)
    available = base.numel()
    if numel > max(available, _MAX_VIEW_NUMEL):  # a view that repeats elements (stride 0), beyond all reason
        storage.loader.fail(f"a tensor of size {list(size)} and stride {list(stride)} has {numel} elements, more "
                            f"than its storage's {available} and 2**28 (crafted file)")
    needed = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if numel else storage_offset
    if needed > available:
        storage.loader.fail(f"a tensor of size {list(size)}, stride {list(stride)} and storage_offset "
                            f"{storage_offset} needs {needed} elements, but its storage {storage.key} holds "
                            f"{available} ({name}): the record is shorter than its tensor (truncated or crafted "
                            "file)")
    return base.as_strided(size, stride, storage_offset)


def _no_hooks(hooks):
    if hooks is not None and not (isinstance(hooks, dict) and not hooks):
        raise ValueError("backward hooks cannot be loaded")


def _finish(t, requires_grad):
    if not isinstance(requires_grad, bool):
        raise ValueError(f"requires_grad must be a bool, got {type(requires_grad).__name__}")
    return t.requires_grad_(True) if requires_grad else t


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _view(storage, getattr(storage, "name", None), storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    _no_hooks(backward_hooks)
    if metadata:
        raise ValueError(f"tensor metadata {metadata!r} is not supported"[:200])
    return _finish(_rebuild_tensor(storage, storage_offset, size, stride), requires_grad)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    _no_hooks(backward_hooks)
    if metadata:
        raise ValueError(f"tensor metadata {metadata!r} is not supported"[:200])
    if not isinstance(dtype, _dtype.dtype):
        raise ValueError(f"_rebuild_tensor_v3 needs a dtype, got {type(dtype).__name__}")
    return _finish(_view(storage, dtype.name, storage_offset, size, stride), requires_grad)


def _set_attributes(t, state):
    """The Python attributes state (None or a dict of names) set on the tensor t."""
    if state is not None and not (isinstance(state, dict) and all(isinstance(k, str) for k in state)):
        raise ValueError("a tensor's Python attributes must be a dict of names")
    if state:
        t.__dict__.update(state)
    return t


def _parameter(data=None, requires_grad=True, backward_hooks=None, state=None):
    _no_hooks(backward_hooks)
    if not isinstance(data, Tensor) or not isinstance(requires_grad, bool):
        raise ValueError("a Parameter is rebuilt from a tensor and a bool")
    return _set_attributes(Parameter(data, requires_grad), state)


def _as_type(t, cls):
    """t's tensor as an object of the Tensor subclass cls (sharing its storage, requires_grad and graph)."""
    out = object.__new__(cls)
    for slot in ("_impl", "_requires_grad", "grad_fn", "_grad", "_acc", "_output_nr", "_extra"):
        setattr(out, slot, getattr(t, slot))
    return out


def _from_type_v2(func, new_type, args, state):
    """torch._tensor._rebuild_from_type_v2: func(*args) as a new_type with the Python attributes state; new_type is
    torch.Tensor, nn.Parameter or another Tensor subclass (which the restricted unpickler only gives where
    add_safe_globals allowed it)."""
    if not isinstance(func, _Rebuild) or not func.tensor or not isinstance(args, tuple):
        raise ValueError("_rebuild_from_type_v2 needs a tensor rebuild function and its arguments")
    plain = new_type is _TENSOR_TYPE or new_type is Tensor
    param = new_type is Parameter or (isinstance(new_type, _Rebuild) and new_type.fn is _parameter)
    if not (plain or param or (isinstance(new_type, type) and issubclass(new_type, Tensor))):
        raise ValueError("only torch.Tensor and torch.nn.Parameter can be rebuilt")
    t = func.fn(*args)
    if param and not isinstance(t, Parameter):
        t = Parameter(t, t.requires_grad)
    elif not plain and not param and type(t) is not new_type:
        t = _as_type(t, new_type)
    return _set_attributes(t, state)


def _encode(s, encoding="utf-8"):
    if not isinstance(s, str) or encoding not in ("latin1", "latin-1"):
        raise ValueError("_codecs.encode is only read for bytes (a str and 'latin1')")
    return s.encode("latin1")


def _bytearray(*args):
    if args and not (len(args) == 1 and isinstance(args[0], bytes)):
        args = (_encode(*args),)
    return bytearray(*args)


def _device(*args):
    if not 1 <= len(args) <= 2 or not isinstance(args[0], str) or (len(args) == 2 and not _is_int(args[1])):
        raise ValueError(f"invalid torch.device arguments {args!r}"[:200])
    return device(*args)


def _container(kind):
    def make(*args):
        if len(args) > 1 or (args and not isinstance(args[0], (list, tuple, dict))):
            raise ValueError(f"{kind.__name__} is rebuilt from one list, got {args!r}"[:200])
        return kind(*args)
    return make


def _complex(real=0.0, imag=0.0):
    if not all(isinstance(v, (int, float)) for v in (real, imag)):
        raise ValueError("complex is rebuilt from two numbers")
    return complex(real, imag)


def _size(dims=()):
    return Size(_int_tuple(dims, "torch.Size"))


def _globals():
    g = {
        "collections.OrderedDict": _Rebuild("collections.OrderedDict", _container(OrderedDict)),
        "collections.Counter": _Rebuild("collections.Counter", _container(Counter)),
        "builtins.set": _Rebuild("builtins.set", _container(set)),
        "builtins.bytearray": _Rebuild("builtins.bytearray", _bytearray),
        "builtins.complex": _Rebuild("builtins.complex", _complex),
        "_codecs.encode": _Rebuild("_codecs.encode", _encode),
        "torch.Size": _Rebuild("torch.Size", _size),
        "torch.device": _Rebuild("torch.device", _device),
        "torch.Tensor": _TENSOR_TYPE,
        "torch.nn.parameter.Parameter": _Rebuild("torch.nn.parameter.Parameter", _parameter, True),
        "torch._utils._rebuild_parameter": _Rebuild("_rebuild_parameter", _parameter, True),
        "torch._utils._rebuild_parameter_with_state": _Rebuild("_rebuild_parameter_with_state", _parameter, True),
        "torch._utils._rebuild_tensor": _Rebuild("_rebuild_tensor", _rebuild_tensor, True),
        "torch._utils._rebuild_tensor_v2": _Rebuild("_rebuild_tensor_v2", _rebuild_tensor_v2, True),
        "torch._utils._rebuild_tensor_v3": _Rebuild("_rebuild_tensor_v3", _rebuild_tensor_v3, True),
        "torch._tensor._rebuild_from_type_v2": _Rebuild("_rebuild_from_type_v2", _from_type_v2, True),
        "torch.storage.UntypedStorage": _StorageType("storage.UntypedStorage", "uint8"),
    }
    for name, (storage, _, _) in FORMATS.items():
        g[f"torch.{storage}"] = _StorageType(storage, name)
        if name in SUPPORTED:
            g[f"torch.{name}"] = SUPPORTED[name]
    return g


_GLOBALS = _globals()
# The full unpickler's (weights_only=False): torch.Tensor and nn.Parameter are the classes themselves.
_FULL_GLOBALS = {**_GLOBALS, "torch.Tensor": Tensor, "torch.nn.parameter.Parameter": Parameter}
# Allowed by torch's weights-only loader, but not tensors that tinygrad_ext has (sparse, quantized, nested, meta).
_TORCH_ONLY = {"torch._utils._rebuild_qtensor", "torch._utils._rebuild_sparse_tensor",
               "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_nested_tensor",
               "torch._utils._rebuild_wrapper_subclass", "torch._utils._rebuild_device_tensor_from_numpy",
               "torch._utils._rebuild_device_tensor_from_cpu_tensor", "torch.serialization._get_layout"}
_TORCH_DTYPES = {"torch." + n for n in FORMATS} | {f"torch.{p}{b}" for p in ("uint", "int") for b in range(1, 65)} | \
    {"torch.float8_e4m3fn", "torch.float8_e5m2", "torch.float8_e4m3fnuz", "torch.float8_e5m2fnuz",
     "torch.float8_e8m0fnu", "torch.complex32", "torch.float4_e2m1fn_x2"}


# ------------------------------------------------------------------ the restricted unpickler
def _python3_name(module, name):
    """module.name as Python 3 calls it: protocol 2 pickles name Python 2's (__builtin__.long is builtins.int)."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        module, name = _compat_pickle.NAME_MAPPING[module, name]
    return f"{_compat_pickle.IMPORT_MAPPING.get(module, module)}.{name}"


_MARK = object()


class _Opaque:
    """What a lenient dry run makes of a global it does not know and of everything built from one."""
    __slots__ = ()

    def append(self, _):
        pass

    extend = update = append

    def __setitem__(self, key, value):
        pass


_OPAQUE = _Opaque()


class _Unpickler:
    """Interprets one pickle (binary opcodes of protocols 2-5) of data starting at pos. persistent_load(pid) turns
    a persistent id into a _Storage. With dry=True, tensors are not made (None instead): a pass that only finds
    the storages and where the pickle ends, calling no allow-listed global either (what they make is _OPAQUE);
    lenient=True (with dry) also passes over any other global (the legacy format's first pass for
    weights_only=False, and get_unsafe_globals_in_checkpoint)."""

    def __init__(self, loader, data, pos, persistent_load, dry=False, lenient=False):
        self.loader, self.data, self.pos = loader, data, pos
        self.persistent_load, self.dry, self.lenient = persistent_load, dry, lenient
        self.allowed = safe_global_names()
        self.allowed_ids = {id(obj) for obj in self.allowed.values()}
        self.unsafe = []  # the globals a lenient run passed over

    def fail(self, reason):
        self.loader.fail(reason)

    def refuse(self, reason):
        raise WeightsUnpicklingError(self.loader.path, reason)

    def read(self, n):
        end = self.pos + n
        if end > len(self.data):
            self.fail(f"pickle data was truncated (an opcode at byte {self.pos} needs {n} bytes, "
                      f"{len(self.data) - self.pos} remain)")
        chunk = bytes(self.data[self.pos:end])
        self.pos = end
        return chunk

    def readline(self):
        end = self.data.find(b"\n", self.pos, self.pos + 1024)
        if end < 0:
            self.fail("pickle data was truncated (a GLOBAL's name has no end)")
        return self.read(end + 1 - self.pos)[:-1].decode("utf-8")

    def resolve(self, module, name):
        full = _python3_name(module, name)
        if full in _GLOBALS:
            return _GLOBALS[full]
        if full in self.allowed:
            return self.allowed[full]
        storage_or_dtype = full in _TORCH_DTYPES or (module == "torch" and name in {s for s, _, _ in FORMATS.values()})
        if self.lenient:
            if full not in _TORCH_ONLY and not storage_or_dtype and full not in self.unsafe:
                self.unsafe.append(full)  # (what add_safe_globals would have to allow)
            return _OPAQUE
        if full in _TORCH_ONLY:
            self.refuse(f"GLOBAL {full} is allowed by torch's weights-only loader, but tinygrad_ext cannot rebuild "
                        "it (it has dense strided tensors only: no sparse, quantized, nested or meta tensors)")
        if storage_or_dtype:
            dt = next((n for n, (s, _, _) in FORMATS.items() if s == name), name)
            self.refuse(f"GLOBAL {full}: " + unsupported_dtype(dt))
        self.refuse(f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
                    f"`torch.serialization.add_safe_globals([{full}])` or the "
                    f"`torch.serialization.safe_globals([{full}])` context manager to allowlist this global if you "
                    "trust this class/function.")

    def build(self, inst, state):
        """BUILD: an OrderedDict's attributes (a state dict's _metadata), or an allow-listed class's state."""
        if self.dry and (inst is _OPAQUE or state is _OPAQUE):
            return
        if type(inst) is OrderedDict and isinstance(state, dict) and all(isinstance(k, str) for k in state):
            inst.__dict__.update(state)
        elif id(type(inst)) in self.allowed_ids:
            if getattr(inst, "__setstate__", None) is not None:
                inst.__setstate__(state)
                return
            slots = None
            if isinstance(state, tuple) and len(state) == 2:
                state, slots = state
            if state:
                inst.__dict__.update(state)
            for k, v in (slots or {}).items():
                setattr(inst, k, v)
        else:
            self.refuse(f"Can only build an OrderedDict from a dict of attributes, but got {type(inst).__name__}")

    def load(self):
        """(the object, the position just after its STOP)."""
        try:
            return self._load()
        except CheckpointError:
            raise
        except Exception as e:  # noqa: BLE001 (bad UTF-8, an unhashable key, ...: our own code, on crafted data)
            self.fail(f"corrupt pickle at byte {self.pos} ({type(e).__name__}: {e})"[:400])

    def _load(self):
        stack, marks, memo = [], [], {}
        read, push = self.read, stack.append

        def pop():
            if not stack or stack[-1] is _MARK:
                self.fail(f"pickle stack underflow at byte {self.pos}")
            return stack.pop()

        def pop_mark():
            if not marks:
                self.fail(f"pickle has no MARK for the opcode at byte {self.pos}")
            at = marks.pop()
            items = stack[at + 1:]
            del stack[at:]
            return items

        def top(kind):
            if self.dry and stack and stack[-1] is _OPAQUE:
                return _OPAQUE
            if not stack or not isinstance(stack[-1], kind) or stack[-1] is _MARK:
                self.fail(f"pickle opcode at byte {self.pos} needs a {kind.__name__} on the stack")
            return stack[-1]

        def call(fn, args, new=False):
            if self.dry and (fn is _OPAQUE or (isinstance(args, tuple) and any(a is _OPAQUE for a in args))):
                return _OPAQUE
            allowed = id(fn) in self.allowed_ids
            if not isinstance(fn, _Rebuild) and not allowed:
                self.refuse(f"Trying to call reduce for unrecognized function {type(fn).__name__}")
            if not isinstance(args, tuple):
                self.fail("REDUCE arguments must be a tuple")
            if self.dry and allowed:
                return _OPAQUE  # (not called: only its storages are looked for)
            if self.dry and fn.tensor:
                return None
            try:
                if allowed and new:
                    return fn.__new__(fn, *args)
                return fn(*args) if allowed else fn.fn(*args)
            except CheckpointError:
                raise
            except (TypeError, ValueError, RuntimeError, OverflowError) as e:
                self.fail(f"{fn.name}{tuple(type(a).__name__ for a in args)} failed: {e}"[:400])

        while True:
            op = read(1)[0]
            if op == 0x80:  # PROTO
                if not 2 <= read(1)[0] <= 5:
                    self.fail("unsupported pickle protocol (torch.save writes protocol 2)")
            elif op == 0x95:  # FRAME
                read(8)
            elif op == 0x2e:  # STOP
                if len(stack) != 1 or marks:
                    self.fail("pickle stops with a malformed stack")
                return stack[0], self.pos
            elif op == 0x28:  # MARK
                marks.append(len(stack))
                push(_MARK)
            elif op == 0x7d:  # EMPTY_DICT
                push({})
            elif op == 0x5d:  # EMPTY_LIST
                push([])
            elif op == 0x29:  # EMPTY_TUPLE
                push(())
            elif op == 0x8f:  # EMPTY_SET
                push(set())
            elif op == 0x74:  # TUPLE
                push(tuple(pop_mark()))
            elif op in (0x85, 0x86, 0x87):  # TUPLE1, TUPLE2, TUPLE3
                items = [pop() for _ in range(op - 0x84)]
                push(tuple(reversed(items)))
            elif op == 0x61:  # APPEND
                v = pop()
                top(list).append(v)
            elif op == 0x65:  # APPENDS
                items = pop_mark()
                top(list).extend(items)
            elif op == 0x73:  # SETITEM
                v, k = pop(), pop()
                top(dict)[k] = v
            elif op == 0x75:  # SETITEMS
                items = pop_mark()
                if len(items) % 2:
                    self.fail("SETITEMS with an odd number of items")
                d = top(dict)
                for i in range(0, len(items), 2):
                    d[items[i]] = items[i + 1]
            elif op == 0x90:  # ADDITEMS
                items = pop_mark()
                top(set).update(items)
            elif op == 0x91:  # FROZENSET
                push(frozenset(pop_mark()))
            elif op == 0x4e:  # NONE
                push(None)
            elif op == 0x88:  # NEWTRUE
                push(True)
            elif op == 0x89:  # NEWFALSE
                push(False)
            elif op == 0x4a:  # BININT
                push(struct.unpack("<i", read(4))[0])
            elif op == 0x4b:  # BININT1
                push(read(1)[0])
            elif op == 0x4d:  # BININT2
                push(struct.unpack("<H", read(2))[0])
            elif op == 0x8a:  # LONG1
                push(int.from_bytes(read(read(1)[0]), "little", signed=True))
            elif op == 0x47:  # BINFLOAT
                push(struct.unpack(">d", read(8))[0])
            elif op in (0x58, 0x8c, 0x8d):  # BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
                n = struct.unpack({0x58: "<I", 0x8c: "<B", 0x8d: "<Q"}[op], read({0x58: 4, 0x8c: 1, 0x8d: 8}[op]))[0]
                push(read(n).decode("utf-8", "surrogatepass"))
            elif op == 0x55:  # SHORT_BINSTRING (a Python 2 str)
                raw = read(read(1)[0])
                push(raw if self.loader.encoding == "bytes" else raw.decode(self.loader.encoding))
            elif op in (0x42, 0x43, 0x8e, 0x96):  # BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
                n = struct.unpack({0x42: "<I", 0x43: "<B"}.get(op, "<Q"), read({0x42: 4, 0x43: 1}.get(op, 8)))[0]
                push(read(n) if op != 0x96 else bytearray(read(n)))
            elif op in (0x71, 0x72, 0x94):  # BINPUT, LONG_BINPUT, MEMOIZE
                i = len(memo) if op == 0x94 else read(1)[0] if op == 0x71 else struct.unpack("<I", read(4))[0]
                if not stack or stack[-1] is _MARK:
                    self.fail("memoizing an empty stack")
                memo[i] = stack[-1]
            elif op in (0x68, 0x6a):  # BINGET, LONG_BINGET
                i = read(1)[0] if op == 0x68 else struct.unpack("<I", read(4))[0]
                if i not in memo:
                    self.fail(f"pickle refers to memo entry {i}, which was never stored")
                push(memo[i])
            elif op == 0x63:  # GLOBAL
                module = self.readline()
                push(self.resolve(module, self.readline()))
            elif op == 0x93:  # STACK_GLOBAL
                name, module = pop(), pop()
                if not isinstance(module, str) or not isinstance(name, str):
                    self.fail("STACK_GLOBAL needs two strings")
                push(self.resolve(module, name))
            elif op == 0x52:  # REDUCE
                args = pop()
                push(call(pop(), args))
            elif op == 0x81:  # NEWOBJ
                args = pop()
                cls = pop()
                if isinstance(cls, _Rebuild):
                    push(call(cls, args if cls.tensor else ()))
                else:  # an allow-listed class: cls.__new__(cls, *args), as pickle does
                    push(call(cls, args, new=isinstance(cls, type)))
            elif op == 0x62:  # BUILD
                state = pop()
                self.build(top(object), state)
            elif op == 0x51:  # BINPERSID
                push(self.persistent_load(pop()))
            else:
                self.refuse(f"Unsupported operand {op} ({_opname(op)}) at byte {self.pos - 1}")


def _opname(op):
    return next((o.name for o in pickletools.opcodes if o.code.encode("latin1") == bytes([op])), "unknown")


# ------------------------------------------------------------------ readers
_MAX_RECORD_RATIO = 1032  # deflate cannot expand more than this: a record declaring more is a zip bomb
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
LEGACY_PROTOCOL = 1001


class _Loader:
    def __init__(self, path, place, encoding="ASCII"):
        self.path, self.place, self.encoding = path, place, encoding
        self.byteorder = "little"
        self.storages = {}

    def fail(self, reason):
        raise CheckpointError(self.path, reason)

    def storage_type(self, pid, length):
        """(storage dtype name, key, location, numel) of a persistent id ('storage', type, key, location, numel..)."""
        if not isinstance(pid, tuple) or len(pid) != length or pid[0] != "storage":
            raise WeightsUnpicklingError(self.path, f"Only persistent_load of storage is allowed, but got "
                                                    f"{pid!r}"[:200])
        _, stype, key, location, numel = pid[:5]
        if not isinstance(stype, _StorageType):
            self.fail(f"persistent id {pid!r} names no storage type"[:200])
        if not isinstance(key, str) or not isinstance(location, str) or not _is_int(numel) or numel < 0:
            self.fail(f"invalid storage persistent id {pid!r}"[:200])
        if stype.dtype not in SUPPORTED:
            self.fail(unsupported_dtype(stype.dtype))
        return stype.dtype, key, location, numel


class _FullUnpickler(pickle.Unpickler):
    """weights_only=False: pickle's own unpickler, which runs the file's code (as torch's does); torch's globals
    are read as ours, and a storage's persistent id as its tensor."""

    def __init__(self, loader, data, persistent_load):
        super().__init__(io.BytesIO(data), encoding=loader.encoding)
        self.loader, self._persistent_load = loader, persistent_load

    def persistent_load(self, pid):
        return self._persistent_load(pid)

    def find_class(self, module, name):
        full = _python3_name(module, name)
        if full in _FULL_GLOBALS:
            return _FULL_GLOBALS[full]
        if module == "torch" or module.startswith("torch."):  # a class of torch's: ours of the same path
            try:
                return super().find_class("tinygrad_ext" + module[5:], name)
            except (ImportError, AttributeError):
                self.loader.fail(f"the checkpoint names {full}, which tinygrad_ext does not have (tinygrad_ext"
                                 f"{full[5:]} is missing)")
        return super().find_class(module, name)

    def run(self):
        try:
            return self.load()
        except CheckpointError:
            raise
        except (pickle.UnpicklingError, EOFError) as e:  # (what the file's own code raises goes through as is)
            self.loader.fail(f"corrupt pickle ({type(e).__name__}: {e})"[:400])


def _stored_record(ld, view, info, name):
    """The bytes of an uncompressed record, a view into the file, after the checks zipfile makes: its local
    header names the same file, it lies inside the file, its CRC-32 matches the central directory's."""
    at = info.header_offset
    head = bytes(view[at:at + 30])
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        ld.fail(f"record {name}: bad local file header (truncated or corrupt archive)")
    n, m = struct.unpack("<HH", head[26:30])
    stored_name = bytes(view[at + 30:at + 30 + n]).decode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace")
    if stored_name != info.orig_filename:
        ld.fail(f"record {name}: the file name in its local header differs from the directory's (corrupt archive)")
    start = at + 30 + n + m
    data = view[start:start + info.compress_size]
    if len(data) != info.compress_size:
        ld.fail(f"record {name} is truncated")
    if zlib.crc32(data) != info.CRC:
        ld.fail(f"record {name} is corrupt: Bad CRC-32 (the file changed after it was written)")
    return data


def load_zip(buf, path, place, encoding="ASCII", weights_only=True):
    """The object of a PyTorch zip checkpoint (buf: bytes or an mmap); weights_only=False unpickles anything."""
    ld = _Loader(path, place, encoding)
    try:
        zf = zipfile.ZipFile(buf if hasattr(buf, "seek") else io.BytesIO(buf))
        infos = zf.infolist()
    except Exception as e:  # noqa: BLE001 (zipfile raises BadZipFile, ValueError, OSError, struct.error, ...)
        ld.fail(f"PyTorch zip checkpoint is truncated or corrupt: failed reading the zip archive "
                f"({type(e).__name__}: {e})")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        ld.fail("the zip archive holds a record twice (crafted file)")
    prefix = names[0].split("/", 1)[0] + "/" if names and "/" in names[0] else None
    if prefix is None or prefix + "data.pkl" not in names:
        ld.fail("the zip archive has no <archive>/data.pkl: not a PyTorch checkpoint")
    by_name = {i.filename: i for i in infos}
    view = memoryview(buf)

    def record(name, size=None, limit=1 << 30):
        info = by_name.get(prefix + name)
        if info is None:
            ld.fail(f"record {name} is missing from the archive (truncated or crafted file)")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            ld.fail(f"record {name} uses zip compression method {info.compress_type} (torch.save stores records "
                    "uncompressed)")
        declared = info.file_size
        if size is not None and declared != size:
            ld.fail(f"storage record {name} holds {declared} bytes, but its persistent id says {size} (the record "
                    "is shorter or longer than its storage: truncated or crafted file)")
        if (size is None and declared > limit) or declared > _MAX_RECORD_RATIO * info.compress_size + 64 or \
                (info.compress_type == zipfile.ZIP_STORED and declared != info.compress_size):
            ld.fail(f"record {name} declares {declared} bytes from {info.compress_size} in the archive (a zip bomb "
                    "or a crafted file)")
        if info.flag_bits & 1:
            ld.fail(f"record {name} is encrypted")
        if info.compress_type == zipfile.ZIP_STORED:  # torch's records: read in place (no copy), CRC checked here
            data = _stored_record(ld, view, info, name)
        else:
            try:
                data = zf.read(info)  # zipfile checks the CRC-32
            except Exception as e:  # noqa: BLE001 (as above: any error of zipfile on a corrupt record)
                ld.fail(f"record {name} is corrupt ({type(e).__name__}: {e})")
        if len(data) != declared:
            ld.fail(f"record {name} is truncated")
        return data

    order = bytes(record("byteorder", limit=16)) if prefix + "byteorder" in by_name else b"little"
    if order not in (b"little", b"big"):
        ld.fail(f"invalid byteorder record {order[:16]!r}")
    ld.byteorder = order.decode()
    version = next((bytes(record(v, limit=16)) for v in ("version", ".data/version") if prefix + v in by_name), None)
    if version is None or not version.strip().isdigit():
        ld.fail("the archive has no valid version record (truncated or not a PyTorch checkpoint)")

    def persistent_load(pid):
        name, key, location, numel = ld.storage_type(pid, 5)
        stored = ld.storages.get(key)
        if stored is None:
            itemsize = SUPPORTED[name].itemsize
            stored = ld.storages[key] = _Storage(ld, key, name, record(f"data/{key}", numel * itemsize), location)
        elif stored.name != name and name != "uint8" and stored.name != "uint8":
            ld.fail(f"storage {key} is read as {stored.name} and as {name}")
        return stored

    if not weights_only:  # (its pickle may hold numpy arrays of any size: stored in the file, not inflated)
        return _FullUnpickler(ld, bytes(record("data.pkl", limit=len(buf))), persistent_load).run()
    return _Unpickler(ld, bytes(record("data.pkl")), 0, persistent_load).load()[0]


def unsafe_globals(buf, path):
    """The globals of a zip checkpoint's pickle that weights_only=True refuses and add_safe_globals could allow
    ("module.name", in the order they appear), found by a dry run that calls none of them."""
    try:
        zf = zipfile.ZipFile(buf if hasattr(buf, "seek") else io.BytesIO(buf))
        pkl = zf.read(next(n for n in zf.namelist() if n.endswith("/data.pkl")))
    except Exception:  # noqa: BLE001 (not a zip, no data.pkl, a corrupt record: torch's one error)
        raise ValueError("Expected input to be a checkpoint returned by torch.save") from None
    run = _Unpickler(_Loader(path, None), pkl, 0, lambda pid: _OPAQUE, dry=True, lenient=True)
    run.load()
    return run.unsafe


def load_legacy(buf, path, place, encoding="ASCII", weights_only=True):
    """The object of a legacy (non-zip) torch.save stream; weights_only=False unpickles anything."""
    ld = _Loader(path, place, encoding)
    data = buf  # bytes or an mmap: both slice and find

    def header(pos, check, what):
        value, end = _Unpickler(ld, data, pos, lambda pid: ld.storage_type(pid, 0)).load()
        if not check(value):
            ld.fail(f"invalid {what} {value!r}: not a PyTorch checkpoint (corrupt file?)"[:300])
        return value, end

    _, pos = header(0, lambda v: v == LEGACY_MAGIC and _is_int(v), "magic number")
    _, pos = header(pos, lambda v: v == LEGACY_PROTOCOL and _is_int(v), "protocol version")
    info, pos = header(pos, lambda v: isinstance(v, dict), "sys_info")
    if info.get("little_endian") is not True:
        ld.fail("big-endian legacy checkpoints are not supported")
    found, main_start = {}, pos

    def module_class(pid):
        """torch's legacy writer names each nn.Module class as ('module', class, source file, source): the class
        (weights_only=False only; torch's check that the source is unchanged is not made)."""
        return not weights_only and isinstance(pid, tuple) and len(pid) == 4 and pid[0] == "module"

    def find(pid):  # the dry run: the storages' types and element counts
        if module_class(pid):
            return _OPAQUE
        name, key, location, numel = ld.storage_type(pid, 6)
        view = pid[5]
        if view is not None:
            if not (isinstance(view, tuple) and len(view) == 3 and isinstance(view[0], str) and
                    all(_is_int(v) and v >= 0 for v in view[1:])):
                ld.fail(f"invalid storage view {view!r}"[:200])
        if found.setdefault(key, (name, numel, location)) != (name, numel, location):
            ld.fail(f"storage {key} is described twice, differently")
        return None
    _, main_end = _Unpickler(ld, data, pos, find, dry=True, lenient=not weights_only).load()
    keys, pos = header(main_end, lambda v: isinstance(v, list) and all(isinstance(k, str) for k in v),
                       "storage key list")
    if sorted(keys) != sorted(found) or len(set(keys)) != len(keys):
        ld.fail("the storage key list does not match the storages of the pickle (corrupt file)")
    for key in keys:
        name, numel, location = found[key]
        if pos + 8 > len(data):
            ld.fail(f"storage {key} is truncated")
        (count,) = struct.unpack("<q", bytes(data[pos:pos + 8]))
        nbytes = numel * SUPPORTED[name].itemsize
        if count != numel or pos + 8 + nbytes > len(data):
            ld.fail(f"storage {key} holds {count} elements and {len(data) - pos - 8} bytes remain; its persistent "
                    f"id says {numel} elements ({nbytes} bytes): truncated or crafted file")
        ld.storages[key] = _Storage(ld, key, name, memoryview(data)[pos + 8:pos + 8 + nbytes], location)
        pos += 8 + nbytes

    def persistent_load(pid):
        if module_class(pid):
            return pid[1]
        name, key, _, _ = ld.storage_type(pid, 6)
        root, view = ld.storages[key], pid[5]
        if view is None:
            return root
        view_key, offset, size = view
        if view_key not in ld.storages:
            itemsize = SUPPORTED[name].itemsize
            if offset + size > root.numel:
                ld.fail(f"storage view {view_key} reaches past its storage {key}")
            ld.storages[view_key] = _Storage(ld, view_key, name, root.raw[offset * itemsize:(offset + size) *
                                                                         itemsize], root.location)
        return ld.storages[view_key]
    if not weights_only:
        return _FullUnpickler(ld, bytes(data[main_start:main_end]), persistent_load).run()
    return _Unpickler(ld, data, main_start, persistent_load).load()[0]


# ------------------------------------------------------------------ writing
class _Global:
    """A global of torch's, written as GLOBAL module name: the bytes torch.save writes (torch need not be
    importable here, and its name is not ours)."""
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # (pickle asks a reduction's function to be callable; this one is only written)
        raise TypeError(f"{self.module}.{self.name} is written into checkpoints, never called")


_TORCH_NAMES = {}


def _torch_global(module, name):
    """One _Global per name, so that the pickle's memo refers back to it as torch's pickles do."""
    g = _TORCH_NAMES.get((module, name))
    if g is None:
        g = _TORCH_NAMES[module, name] = _Global(module, name)
    return g


class _StorageOf:
    """Stands for a tensor's storage in the pickle: persistent_id makes it torch's storage id."""
    __slots__ = ("tensor",)

    def __init__(self, t):
        self.tensor = t


class UnpicklableError(pickle.PicklingError, TypeError):
    """torch.save of an object pickle cannot save by reference (a lambda, a local class): pickle's error type,
    and a TypeError."""


_PLAIN = {int, float, str, bool, type(None), tuple, list, dict, OrderedDict, bytes}


class _TorchPickler(pickle._Pickler):  # (pickle's Python Pickler: its dispatch table can write torch's globals)
    """A protocol 2 pickle of any picklable object, written as torch.save writes it: tensors as torch's rebuild
    calls on persistent storage ids ('storage', torch.FloatStorage, key, location, numel), dtypes, devices and
    torch.Size as torch's globals; self.storages collects the storages."""
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, legacy=False):
        super().__init__(file, protocol=2)
        self.storages = {}  # storage id -> (key, dtype name, bytes)
        self.legacy = legacy
        self.locations = {}  # one str object per location, so that the memo refers back to it

    def save(self, obj, save_persistent_id=True):
        f = _UNMEMOIZED.get(type(obj))  # numbers, bools and None: written as pickle writes them, sooner
        if f is not None:
            f(self, obj)
        else:
            super().save(obj, save_persistent_id)

    def persistent_id(self, obj):
        return self.storage_id(obj.tensor) if type(obj) is _StorageOf else None

    def storage_id(self, t):
        """The persistent id of t's storage, collecting the storage's bytes the first time."""
        impl = t._impl
        name = t.dtype.name
        entry = self.storages.get(impl.storage_id)
        if entry is None:
            whole = t.detach().as_strided((impl.storage_nbytes // t.dtype.itemsize,), (1,), 0)
            entry = self.storages[impl.storage_id] = (str(len(self.storages)), name, tensor_bytes(whole))
        elif entry[1] != name:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different "
                               "types")
        location = f"cuda:{t.get_device()}" if t.is_cuda else "cpu"
        location = self.locations.setdefault(location, location)
        numel = len(entry[2]) // t.dtype.itemsize
        return ("storage", _torch_global("torch", FORMATS[name][0]), entry[0], location, numel) + \
            ((None,) if self.legacy else ())

    def reducer_override(self, obj):
        if type(obj) in _PLAIN:  # (the common case first: pickle asks for every object)
            return NotImplemented
        if isinstance(obj, Tensor):
            return self.reduce_tensor(obj)
        if isinstance(obj, device):
            return _torch_global("torch", "device"), (obj.type,) if obj.index is None else (obj.type, obj.index)
        if isinstance(obj, Size):
            return _torch_global("torch", "Size"), (tuple(obj),)
        return NotImplemented

    def reduce_tensor(self, t):
        """torch's reduction of a tensor: _rebuild_tensor_v2 of its storage and geometry (_rebuild_parameter of its
        data for a Parameter; _rebuild_from_type_v2 for a subclass or a tensor with Python attributes)."""
        if t.dtype.name not in SUPPORTED:
            raise TypeError(f"torch.save: {unsupported_dtype(t.dtype.name)}")
        state = t.__dict__ or None
        if type(t) is Parameter:
            if state:
                return (_torch_global("torch._utils", "_rebuild_parameter_with_state"),
                        (t.detach(), t.requires_grad, OrderedDict(), state))
            return _torch_global("torch._utils", "_rebuild_parameter"), (t.detach(), t.requires_grad, OrderedDict())
        rebuild = _torch_global("torch._utils", "_rebuild_tensor_v2")
        args = (_StorageOf(t), t.storage_offset(), tuple(t.shape), tuple(t.stride()), t.requires_grad, OrderedDict())
        if type(t) is Tensor and not state:
            return rebuild, args
        cls = _torch_global("torch", "Tensor") if type(t) is Tensor else type(t)
        return _torch_global("torch._tensor", "_rebuild_from_type_v2"), (rebuild, cls, args, state)

    def save_torch_global(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    def save_dtype(self, obj):
        self.save(_torch_global("torch", obj.name))

    def save_long(self, obj):
        if not -(1 << 2039) <= obj < (1 << 2039):  # (LONG1 holds 255 bytes of two's complement)
            raise ValueError("torch.save: an int of more than 2040 bits cannot be saved in PyTorch's format (its "
                             "weights-only loader reads LONG1 only); use format='safetensors'")
        pickle._Pickler.save_long(self, obj)

    def save_global(self, obj, name=None):
        try:
            super().save_global(obj, name)
        except pickle.PicklingError as e:
            raise UnpicklableError(f"torch.save: cannot save an object of type {type(obj).__name__}: {e}") from None



_TorchPickler.dispatch.update({_Global: _TorchPickler.save_torch_global, _dtype.dtype: _TorchPickler.save_dtype,
                               int: _TorchPickler.save_long})
_TorchPickler.dispatch.update({k: _TorchPickler.save_global for k, v in _TorchPickler.dispatch.items()
                               if v is pickle._Pickler.save_global})
_UNMEMOIZED = {t: _TorchPickler.dispatch[t] for t in (int, float, bool, type(None))}


def _pickle(obj, legacy=False):
    """(the pickle of obj as torch.save writes it, {storage id: (key, dtype name, bytes)})."""
    out = io.BytesIO()
    p = _TorchPickler(out, legacy)
    p.dump(obj)
    return out.getvalue(), p.storages


def _aligned(offset, name, size):
    """A zip extra field that puts the data of the record starting at offset on a 64-byte boundary (as torch)."""
    zip64 = size * 1.05 > zipfile.ZIP64_LIMIT  # when zipfile adds its 20-byte zip64 field to the local header
    start = offset + 30 + len(name.encode()) + 4 + (20 if zip64 else 0)
    return b"FB" + struct.pack("<H", -start % 64) + b"Z" * (-start % 64)


class _Chunks:
    """A write-only stream that keeps what is written to it, uncopied, in order (zipfile writes into it)."""

    def __init__(self):
        self.chunks, self.size = [], 0

    def write(self, data):
        self.chunks.append(data)
        self.size += len(data)
        return len(data)

    def flush(self):
        pass


def save_zip(obj, archive="archive", byteorder=True):
    """A PyTorch zip checkpoint of obj as a list of chunks (the storages' bytes are not copied); byteorder=False:
    without the byteorder record."""
    data, storages = _pickle(obj)
    records = [("data.pkl", data), (".format_version", b"1"), (".storage_alignment", b"64")]
    records += [("byteorder", b"little")] if byteorder else []
    records += [(f"data/{key}", raw) for key, _, raw in storages.values()]
    records.append(("version", b"3\n"))
    out = _Chunks()
    # An unseekable stream: zipfile writes each record once, its CRC and sizes in a data descriptor after it
    # (and in the central directory, which is what readers use).
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, data in records:
            info = zipfile.ZipInfo(f"{archive}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.extra = _aligned(out.size, info.filename, len(data))
            zf.writestr(info, data)
    return out.chunks


def save_legacy(obj):
    """A legacy (non-zip) torch.save stream of obj, as a list of chunks."""
    def small(value):
        return _pickle(value)[0]
    main, storages = _pickle(obj, legacy=True)
    info = {"protocol_version": LEGACY_PROTOCOL, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
    chunks = [small(LEGACY_MAGIC), small(LEGACY_PROTOCOL), small(info), main]
    entries = sorted(storages.values(), key=lambda e: e[0])
    chunks.append(small([key for key, _, _ in entries]))
    for key, name, raw in entries:
        chunks += [struct.pack("<q", len(raw) // SUPPORTED[name].itemsize), raw]
    return chunks
