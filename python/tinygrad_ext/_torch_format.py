"""PyTorch's checkpoint formats, read and written without executing anything from the file.

Reading (what torch.load(weights_only=True) reads):
  * the zip archive torch.save writes since PyTorch 1.6: <archive>/data.pkl (a pickle), <archive>/data/<key> (one
    record of raw bytes per storage), <archive>/byteorder ("little" or "big") and <archive>/version;
  * the legacy stream (torch.save(..., _use_new_zipfile_serialization=False)): the pickles of a magic number, a
    protocol version and a sys_info dict, the object's pickle, the pickle of the storage keys, then each storage as
    an int64 element count followed by its bytes.

The pickles are interpreted by _Unpickler, a small interpreter of pickle's binary opcodes written here (not
pickle.Unpickler): a global resolves only to the entries of _GLOBALS (the rebuild functions of dense tensors and
Parameters, OrderedDict/Counter/set/bytes/bytearray/complex, torch.Size, torch.device, the dtypes and storage
classes), REDUCE/NEWOBJ call only those, BUILD sets attributes only on an OrderedDict, and a persistent id is only
a storage. Anything else (GLOBAL os.system, a class of the user's) raises WeightsUnpicklingError, the file's own
objects are never called, imported or looked up. Opcodes are bounded by the bytes present, so truncated or
oversized records raise CheckpointError; no recursion, so deep nesting cannot overflow the stack.

Tensors are rebuilt as torch rebuilds them: one 1-D tensor per storage (placed once on its device by the
caller's `place`), and each tensor an as_strided view of it, so tensors that shared a storage (views, tied
weights) share it again. Sizes, strides and offsets are checked against the storage before any view is made.

Writing (save_zip, save_legacy) emits a protocol 2 pickle built opcode by opcode here, naming only globals that
torch's weights-only loader accepts, so real PyTorch loads the files with torch.load(f, weights_only=True).
"""
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
    not a tensor rebuild function, a container or a plain value): nothing of it was executed."""

    def __init__(self, path, reason):
        super().__init__(path, f"Weights only load failed. {reason} (tinygrad_ext never executes code from a "
                               "checkpoint: it rebuilds tensors, containers and plain values only)")
        self._init_args = (path, reason)


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


def _parameter(data=None, requires_grad=True, backward_hooks=None, state=None):
    _no_hooks(backward_hooks)
    if state:
        raise ValueError("Parameters with Python attributes cannot be loaded")
    if not isinstance(data, Tensor) or not isinstance(requires_grad, bool):
        raise ValueError("a Parameter is rebuilt from a tensor and a bool")
    return Parameter(data, requires_grad)


def _from_type_v2(func, new_type, args, state):
    if not isinstance(func, _Rebuild) or not func.tensor or not isinstance(args, tuple):
        raise ValueError("_rebuild_from_type_v2 needs a tensor rebuild function and its arguments")
    if new_type is not _TENSOR_TYPE and not (isinstance(new_type, _Rebuild) and new_type.fn is _parameter):
        raise ValueError("only torch.Tensor and torch.nn.Parameter can be rebuilt")
    if state:
        raise ValueError("tensors with Python attributes cannot be loaded")
    t = func.fn(*args)
    return t if new_type is _TENSOR_TYPE or isinstance(t, Parameter) else Parameter(t, t.requires_grad)


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
# Allowed by torch's weights-only loader, but not tensors that tinygrad_ext has (sparse, quantized, nested, meta).
_TORCH_ONLY = {"torch._utils._rebuild_qtensor", "torch._utils._rebuild_sparse_tensor",
               "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_nested_tensor",
               "torch._utils._rebuild_wrapper_subclass", "torch._utils._rebuild_device_tensor_from_numpy",
               "torch._utils._rebuild_device_tensor_from_cpu_tensor", "torch.serialization._get_layout"}
_TORCH_DTYPES = {"torch." + n for n in FORMATS} | {f"torch.{p}{b}" for p in ("uint", "int") for b in range(1, 65)} | \
    {"torch.float8_e4m3fn", "torch.float8_e5m2", "torch.float8_e4m3fnuz", "torch.float8_e5m2fnuz",
     "torch.float8_e8m0fnu", "torch.complex32", "torch.float4_e2m1fn_x2"}


# ------------------------------------------------------------------ the restricted unpickler
_MARK = object()


class _Unpickler:
    """Interprets one pickle (binary opcodes of protocols 2-5) of data starting at pos. persistent_load(pid) turns
    a persistent id into a _Storage. With dry=True, tensors are not made (None instead): a pass that only finds
    the storages and where the pickle ends."""

    def __init__(self, loader, data, pos, persistent_load, dry=False):
        self.loader, self.data, self.pos = loader, data, pos
        self.persistent_load, self.dry = persistent_load, dry

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
        full = f"{'builtins' if module == '__builtin__' else module}.{name}"
        if full in _GLOBALS:
            return _GLOBALS[full]
        if full in _TORCH_ONLY:
            self.refuse(f"GLOBAL {full} is allowed by torch's weights-only loader, but tinygrad_ext cannot rebuild "
                        "it (it has dense strided tensors only: no sparse, quantized, nested or meta tensors)")
        if full in _TORCH_DTYPES or (module == "torch" and name in {s for s, _, _ in FORMATS.values()}):
            dt = next((n for n, (s, _, _) in FORMATS.items() if s == name), name)
            self.refuse(f"GLOBAL {full}: " + unsupported_dtype(dt))
        self.refuse(f"Unsupported global: GLOBAL {full} was not an allowed global by default.")

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
            if not stack or not isinstance(stack[-1], kind) or stack[-1] is _MARK:
                self.fail(f"pickle opcode at byte {self.pos} needs a {kind.__name__} on the stack")
            return stack[-1]

        def call(fn, args):
            if not isinstance(fn, _Rebuild):
                self.refuse(f"Trying to call reduce for unrecognized function {type(fn).__name__}")
            if not isinstance(args, tuple):
                self.fail("REDUCE arguments must be a tuple")
            if self.dry and fn.tensor:
                return None
            try:
                return fn.fn(*args)
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
                push(call(cls, args if isinstance(cls, _Rebuild) and cls.tensor else ()))
            elif op == 0x62:  # BUILD
                state = pop()
                inst = top(object)
                if type(inst) is not OrderedDict or not isinstance(state, dict) or \
                        not all(isinstance(k, str) for k in state):
                    self.refuse(f"Can only build an OrderedDict from a dict of attributes, but got "
                                f"{type(inst).__name__}")
                inst.__dict__.update(state)  # a state dict's _metadata
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


def load_zip(buf, path, place, encoding="ASCII"):
    """The object of a PyTorch zip checkpoint (buf: bytes or an mmap)."""
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

    return _Unpickler(ld, bytes(record("data.pkl")), 0, persistent_load).load()[0]


def load_legacy(buf, path, place, encoding="ASCII"):
    """The object of a legacy (non-zip) torch.save stream."""
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

    def find(pid):  # the dry run: the storages' types and element counts
        name, key, location, numel = ld.storage_type(pid, 6)
        view = pid[5]
        if view is not None:
            if not (isinstance(view, tuple) and len(view) == 3 and isinstance(view[0], str) and
                    all(_is_int(v) and v >= 0 for v in view[1:])):
                ld.fail(f"invalid storage view {view!r}"[:200])
        if found.setdefault(key, (name, numel, location)) != (name, numel, location):
            ld.fail(f"storage {key} is described twice, differently")
        return None
    _, main_end = _Unpickler(ld, data, pos, find, dry=True).load()
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
    return _Unpickler(ld, data, main_start, persistent_load).load()[0]


# ------------------------------------------------------------------ writing
class _Pickler:
    """A protocol 2 pickle of obj, opcode by opcode, naming only globals torch's weights-only loader accepts;
    tensors become _rebuild_tensor_v2 of a persistent storage id, storages are collected in self.storages."""

    def __init__(self, legacy=False):
        self.out = bytearray(b"\x80\x02")
        self.memo = {}  # id -> (memo index, the object, kept alive so that ids stay unique)
        self.storages = {}  # storage id -> (key, dtype name, bytes)
        self.legacy = legacy

    def put(self, obj):
        i = len(self.memo)
        self.memo[id(obj)] = (i, obj)
        self.out += b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i)

    def get(self, obj):
        i = self.memo[id(obj)][0]
        self.out += b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i)

    def glob(self, module, name):
        key = ("global", module, name)
        if key in self.memo:
            i = self.memo[key][0]
            self.out += b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i)
            return
        self.out += f"c{module}\n{name}\n".encode()
        i = len(self.memo)
        self.memo[key] = (i, None)
        self.out += b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i)

    def call(self, module, name, *args, depth):
        self.glob(module, name)
        self.save(tuple(args), depth)
        self.out += b"R"

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
        numel = len(entry[2]) // t.dtype.itemsize
        return ("storage", FORMATS[name][0], entry[0], location, numel) + ((None,) if self.legacy else ())

    def tensor(self, t, depth):
        if isinstance(t, Parameter):
            self.glob("torch._utils", "_rebuild_parameter")
            self.out += b"("
            self.tensor(t.detach(), depth)
            self.save(t.requires_grad, depth)
            self.call("collections", "OrderedDict", depth=depth)
            self.out += b"tR"
            return
        if t.dtype.name not in SUPPORTED:
            raise TypeError(f"torch.save: {unsupported_dtype(t.dtype.name)}")
        pid = self.storage_id(t)
        self.glob("torch._utils", "_rebuild_tensor_v2")
        self.out += b"(("
        self.save(pid[0], depth)
        self.glob("torch", pid[1])
        for v in pid[2:]:
            self.save(v, depth)
        self.out += b"tQ"
        self.save(t.storage_offset(), depth)
        self.save(tuple(t.shape), depth)
        self.save(tuple(t.stride()), depth)
        self.save(t.requires_grad, depth)
        self.call("collections", "OrderedDict", depth=depth)
        self.out += b"tR"

    def save(self, obj, depth=0):
        if depth > 512:
            raise ValueError("torch.save: object nested too deeply")
        depth += 1
        out = self.out
        if id(obj) in self.memo and self.memo[id(obj)][1] is obj:
            self.get(obj)
        elif obj is None:
            out += b"N"
        elif obj is True or obj is False:
            out += b"\x88" if obj else b"\x89"
        elif isinstance(obj, int):
            if 0 <= obj < 256:
                out += b"K" + bytes([obj])
            elif 0 <= obj < 65536:
                out += b"M" + struct.pack("<H", obj)
            elif -2 ** 31 <= obj < 2 ** 31:
                out += b"J" + struct.pack("<i", obj)
            else:
                raw = pickle.encode_long(obj)
                if len(raw) > 255:
                    raise ValueError("torch.save: an int of more than 2040 bits cannot be saved in PyTorch's format "
                                     "(its weights-only loader reads LONG1 only); use format='safetensors'")
                out += b"\x8a" + bytes([len(raw)]) + raw
        elif isinstance(obj, float):
            out += b"G" + struct.pack(">d", obj)
        elif isinstance(obj, str):
            raw = obj.encode("utf-8", "surrogatepass")
            out += b"X" + struct.pack("<I", len(raw)) + raw
        elif isinstance(obj, (bytes, bytearray)):
            self.call("_codecs", "encode", obj.decode("latin1"), "latin1", depth=depth) if isinstance(obj, bytes) \
                else self.call("builtins", "bytearray", bytes(obj), depth=depth)
        elif isinstance(obj, Tensor):
            self.tensor(obj, depth)
            self.put(obj)
        elif isinstance(obj, _dtype.dtype):
            self.glob("torch", obj.name)
        elif isinstance(obj, device):
            self.call("torch", "device", str(obj), depth=depth)
        elif isinstance(obj, Size):
            self.call("torch", "Size", tuple(obj), depth=depth)
        elif isinstance(obj, np.generic):
            self.save(obj.item(), depth)
        elif isinstance(obj, dict):
            if type(obj) is dict:
                out += b"}"
            else:  # OrderedDict (and other dict types) load as OrderedDict, as torch's loader makes them
                self.call("collections", "Counter" if isinstance(obj, Counter) else "OrderedDict", depth=depth)
            self.put(obj)
            items = list(obj.items())
            for i in range(0, len(items), 1000):
                self.out += b"("
                for k, v in items[i:i + 1000]:
                    self.save(k, depth)
                    self.save(v, depth)
                self.out += b"u"
        elif isinstance(obj, list):
            out += b"]"
            self.put(obj)
            for i in range(0, len(obj), 1000):
                self.out += b"("
                for v in obj[i:i + 1000]:
                    self.save(v, depth)
                self.out += b"e"
        elif isinstance(obj, tuple):
            if len(obj) == 0:
                out += b")"
            else:
                if len(obj) > 3:
                    out += b"("
                for v in obj:
                    self.save(v, depth)
                self.out += b"t" if len(obj) > 3 else bytes([0x84 + len(obj)])
        elif isinstance(obj, (set, frozenset)) and type(obj) is set:
            self.call("builtins", "set", list(obj), depth=depth)
        elif isinstance(obj, complex):
            self.call("builtins", "complex", obj.real, obj.imag, depth=depth)
        else:
            raise TypeError(f"torch.save: cannot save an object of type {type(obj).__name__} (supported: tensors, "
                            "dicts, lists, tuples, sets, str, bytes, int, float, complex, bool, None, dtypes, "
                            "devices and torch.Size; tinygrad_ext writes what torch's weights-only loader reads)"
                            + ("; save its state_dict() instead and restore it with load_state_dict()"
                               if hasattr(obj, "state_dict") else ""))

    def dump(self, obj):
        self.save(obj)
        return bytes(self.out + b".")


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
    p = _Pickler()
    records = [("data.pkl", p.dump(obj)), (".format_version", b"1"), (".storage_alignment", b"64")]
    records += [("byteorder", b"little")] if byteorder else []
    records += [(f"data/{key}", raw) for key, _, raw in p.storages.values()]
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
        q = _Pickler()
        return q.dump(value)
    p = _Pickler(legacy=True)
    main = p.dump(obj)
    info = {"protocol_version": LEGACY_PROTOCOL, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
    chunks = [small(LEGACY_MAGIC), small(LEGACY_PROTOCOL), small(info), main]
    entries = sorted(p.storages.values(), key=lambda e: e[0])
    chunks.append(small([key for key, _, _ in entries]))
    for key, name, raw in entries:
        chunks += [struct.pack("<q", len(raw) // SUPPORTED[name].itemsize), raw]
    return chunks
