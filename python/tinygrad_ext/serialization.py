"""torch.save / torch.load without pickle.

File format (a valid safetensors file):

    8 bytes      little-endian uint64 N: the header's length
    N bytes      JSON header, UTF-8, padded with spaces to a multiple of 8:
                 {"t0": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...,
                  "__metadata__": {"format": "tinygrad_ext", "version": "1", "structure": "<JSON>"}}
    the rest     raw little-endian tensor data; data_offsets are relative to it

"structure" describes the saved object: nested dicts (str/int/float/bool/None keys), lists, tuples,
str/int/float/bool/None and tensors (references to header entries, with requires_grad, whether the
tensor was an nn.Parameter and its device). A file without our metadata (any safetensors file) loads
as a dict of tensors.

Loading never executes anything from the file. Every header field is validated (header length
against the file size, JSON, dtype names, shapes, offsets in range and not overlapping, byte sizes
equal to numel * itemsize, structure references) before any tensor is allocated; a bad file raises
CheckpointError (a ValueError) naming the path and the reason. save() writes a temporary file in the
same directory, fsyncs it and renames it over the target, so a crash leaves the old file intact.
"""
import json
import math
import os
import struct
import tempfile
from collections import OrderedDict

import numpy as np

from . import _dtype
from ._device import as_device, device
from .tensor import Tensor, from_numpy

_FORMAT = "tinygrad_ext"
_VERSION = "1"
_MAX_HEADER = 100 * 1024 * 1024
_MAX_DEPTH = 512
# safetensors dtype names <-> ours (numpy little-endian codes)
_TO_ST = {"float32": "F32", "float64": "F64", "int64": "I64", "int32": "I32", "uint8": "U8", "bool": "BOOL"}
_FROM_ST = {v: k for k, v in _TO_ST.items()}
_NP = {"float32": "<f4", "float64": "<f8", "int64": "<i8", "int32": "<i4", "uint8": "u1", "bool": "?"}


class CheckpointError(ValueError):
    """A file that is not a valid checkpoint: truncated, corrupt, crafted, or of another format."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


# -------------------------------------------------------------------- save
class _Writer:
    def __init__(self):
        self.entries = OrderedDict()  # key -> (dtype, shape, bytes)
        self.by_id = {}
        self.offset = 0

    def tensor(self, t):
        key = self.by_id.get(id(t))
        if key is None:
            key = f"t{len(self.entries)}"
            self.by_id[id(t)] = key
            arr = np.ascontiguousarray(t.detach().numpy(force=True))
            name = t.dtype.name
            data = arr.astype(_NP[name], copy=False).tobytes()
            self.entries[key] = (name, list(t.shape), data)
        node = {"T": key}
        if t.requires_grad:
            node["rg"] = True
        if type(t).__name__ == "Parameter":
            node["P"] = True
        if t.is_cuda:
            node["dev"] = str(t.device)
        return node

    def encode(self, obj, depth=0):
        if depth > _MAX_DEPTH:
            raise ValueError("torch.save: object nested too deeply")
        if isinstance(obj, Tensor):
            return self.tensor(obj)
        if obj is None:
            return {"N": None}
        if isinstance(obj, bool):
            return {"B": obj}
        if isinstance(obj, int):
            return {"I": str(obj)}
        if isinstance(obj, float):
            return {"F": repr(obj)}
        if isinstance(obj, str):
            return {"S": obj}
        if isinstance(obj, _dtype.dtype):
            return {"dtype": obj.name}
        if isinstance(obj, device):
            return {"device": str(obj)}
        if isinstance(obj, np.generic):
            return self.encode(obj.item(), depth)
        if isinstance(obj, dict):
            node = {"D": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in obj.items()]}
            if isinstance(obj, OrderedDict):
                node["ordered"] = True
            return node
        if isinstance(obj, tuple):
            return {"U": [self.encode(v, depth + 1) for v in obj]}
        if isinstance(obj, list):
            return {"L": [self.encode(v, depth + 1) for v in obj]}
        raise TypeError(f"torch.save: cannot save an object of type {type(obj).__name__} (supported: tensors, dicts, "
                        "lists, tuples, str, int, float, bool, None, dtypes and devices; tinygrad_ext never pickles)")


def _serialize(obj):
    w = _Writer()
    structure = json.dumps(w.encode(obj), separators=(",", ":"))
    header = OrderedDict()
    offset = 0
    for key, (name, shape, data) in w.entries.items():
        header[key] = {"dtype": _TO_ST[name], "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    header["__metadata__"] = {"format": _FORMAT, "version": _VERSION, "structure": structure}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * (-len(hb) % 8)
    return [struct.pack("<Q", len(hb)), hb] + [data for _, _, data in w.entries.values()]


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Saves tensors / state dicts / optimizer state to a path (atomically) or a writable binary file."""
    chunks = _serialize(obj)
    if hasattr(f, "write"):
        for c in chunks:
            f.write(c)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            for c in chunks:
                out.write(c)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


# -------------------------------------------------------------------- load
def _read_all(f):
    if hasattr(f, "read"):
        return getattr(f, "name", "<file object>"), f.read()
    path = os.fspath(f)
    with open(path, "rb") as fh:
        return path, fh.read()


def _parse_header(path, buf):
    """Validates the layout; returns (tensor entries {key: (dtype, shape, begin, end)}, metadata, data start)."""
    def fail(reason):
        raise CheckpointError(path, reason)

    if buf[:2] == b"PK" or buf[:1] == b"\x80":
        fail("not a tinygrad_ext/safetensors checkpoint: it looks like a PyTorch zip/pickle file, and tinygrad_ext "
             "never unpickles (re-save it with tinygrad_ext.save or safetensors)")
    if len(buf) < 8:
        fail(f"file is truncated: {len(buf)} bytes, too short for the 8-byte header length")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > _MAX_HEADER:
        fail(f"header length {n} exceeds the {_MAX_HEADER}-byte limit (corrupt or not a checkpoint)")
    if 8 + n > len(buf):
        fail(f"file is truncated: header length {n} exceeds the file size {len(buf)}")
    try:
        header = json.loads(buf[8:8 + n].decode("utf-8"))
    except UnicodeDecodeError:
        fail("header is not valid UTF-8")
    except (ValueError, RecursionError) as e:
        fail(f"header is not valid JSON ({e})")
    if not isinstance(header, dict):
        fail("header is not a JSON object")
    data_len = len(buf) - 8 - n
    meta = header.pop("__metadata__", None)
    if meta is not None and (not isinstance(meta, dict) or
                             not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())):
        fail("__metadata__ must map strings to strings")
    entries, spans = {}, []
    for key, info in header.items():
        if not isinstance(info, dict):
            fail(f"tensor '{key}': entry is not an object")
        dt, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dt not in _FROM_ST:
            fail(f"tensor '{key}': unknown dtype {dt!r} (supported: {', '.join(_FROM_ST)})")
        if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                  for s in shape) or len(shape) > 64:
            fail(f"tensor '{key}': invalid shape {shape!r}")
        if not (isinstance(offs, list) and len(offs) == 2 and
                all(isinstance(o, int) and not isinstance(o, bool) for o in offs)):
            fail(f"tensor '{key}': invalid data_offsets {offs!r}")
        begin, end = offs
        if not 0 <= begin <= end <= data_len:
            fail(f"tensor '{key}': data_offsets [{begin}, {end}] out of range for {data_len} data bytes "
                 "(truncated or corrupt file)")
        numel = math.prod(shape)
        name = _FROM_ST[dt]
        itemsize = np.dtype(_NP[name]).itemsize
        if numel * itemsize != end - begin:
            fail(f"tensor '{key}': {end - begin} data bytes for shape {shape} of {dt} (expected "
                 f"{numel * itemsize})")
        entries[key] = (name, shape, begin, end)
        if end > begin:
            spans.append((begin, end, key))
    spans.sort()
    for (b0, e0, k0), (b1, e1, k1) in zip(spans, spans[1:]):
        if b1 < e0:
            fail(f"tensors '{k0}' and '{k1}' have overlapping data")
    return entries, meta, 8 + n


def _check_structure(path, node, entries, depth=0):
    def fail(reason):
        raise CheckpointError(path, reason)

    if depth > _MAX_DEPTH:
        fail("structure nested too deeply")
    if not isinstance(node, dict) or not node:
        fail("invalid structure node")
    if "T" in node:
        if node["T"] not in entries:
            fail(f"structure refers to a missing tensor {node['T']!r}")
        if "dev" in node and not isinstance(node["dev"], str):
            fail("invalid device in structure")
        return
    kind = next(iter(node))
    v = node[kind]
    if kind == "D":
        if not isinstance(v, list) or not all(isinstance(kv, list) and len(kv) == 2 for kv in v):
            fail("invalid dict in structure")
        for k, val in v:
            if not isinstance(k, dict) or len(k) != 1 or next(iter(k)) not in ("N", "B", "I", "F", "S", "dtype",
                                                                                "device"):
                fail("invalid dict key in structure (keys must be str, int, float, bool or None)")
            _check_structure(path, k, entries, depth + 1)
            _check_structure(path, val, entries, depth + 1)
    elif kind in ("L", "U"):
        if not isinstance(v, list):
            fail("invalid list in structure")
        for val in v:
            _check_structure(path, val, entries, depth + 1)
    elif kind == "I":
        if not isinstance(v, str) or len(v) > 4300:
            fail("invalid int in structure")
        try:
            int(v)
        except ValueError:
            fail("invalid int in structure")
    elif kind == "F":
        try:
            float(v)
        except (TypeError, ValueError):
            fail("invalid float in structure")
    elif kind == "S" and not isinstance(v, str):
        fail("invalid str in structure")
    elif kind == "B" and not isinstance(v, bool):
        fail("invalid bool in structure")
    elif kind == "dtype" and v not in _TO_ST:
        fail(f"unknown dtype {v!r} in structure")
    elif kind == "device":
        try:
            device(v)
        except (RuntimeError, TypeError, ValueError):
            fail(f"invalid device {v!r} in structure")
    elif kind not in ("N", "S", "B", "dtype", "device", "F", "I"):
        fail(f"unknown structure node {kind!r}")


def _target_device(saved, map_location):
    if map_location is None:
        if saved is not None and saved.startswith("cuda"):
            from . import cuda
            if not cuda.is_available():
                import warnings
                warnings.warn(f"torch.load: a tensor saved on {saved} is loaded on the CPU because CUDA is not "
                              "available (pass map_location to choose)", UserWarning, stacklevel=4)
                return None
            return as_device(saved)
        return None
    if isinstance(map_location, dict):
        m = map_location.get(saved or "cpu")
        return None if m is None else as_device(m)
    if isinstance(map_location, (str, device)):
        return as_device(map_location)
    raise TypeError(f"map_location must be a device, a str or a dict, got {type(map_location).__name__}")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Loads what save() wrote (or any safetensors file, as a dict of tensors). map_location picks the device."""
    path, buf = _read_all(f)
    entries, meta, start = _parse_header(path, buf)
    structure = None
    if meta is not None and meta.get("format") == _FORMAT:
        if meta.get("version") != _VERSION:
            raise CheckpointError(path, f"unsupported tinygrad_ext checkpoint version {meta.get('version')!r}")
        try:
            structure = json.loads(meta.get("structure", ""))
        except (ValueError, RecursionError) as e:
            raise CheckpointError(path, f"structure is not valid JSON ({e})") from None
        _check_structure(path, structure, entries)
    # Everything is validated: now build the tensors.
    view = memoryview(buf)
    cache = {}

    def tensor_for(key, saved_dev=None):
        if key not in cache:
            name, shape, begin, end = entries[key]
            arr = np.frombuffer(view[start + begin:start + end], dtype=_NP[name]).reshape(shape)
            cache[key] = from_numpy(arr.astype(arr.dtype.newbyteorder("="), copy=True))
        t = cache[key]
        dev = _target_device(saved_dev, map_location)
        return t if dev is None else t.to(dev)

    if structure is None:
        return OrderedDict((k, tensor_for(k)) for k in sorted(entries, key=lambda k: entries[k][2]))
    return _decode(structure, tensor_for)


def _decode(node, tensor_for):
    if "T" in node:
        t = tensor_for(node["T"], node.get("dev"))
        if node.get("P"):
            from .nn.parameter import Parameter
            return Parameter(t, bool(node.get("rg")))
        if node.get("rg"):
            t = t.detach().requires_grad_(True)
        return t
    kind, v = next(iter(node.items()))
    if kind == "N":
        return None
    if kind in ("B", "S"):
        return v
    if kind == "I":
        return int(v)
    if kind == "F":
        return float(v)
    if kind == "dtype":
        return getattr(_dtype, v)
    if kind == "device":
        return device(v)
    if kind == "L":
        return [_decode(x, tensor_for) for x in v]
    if kind == "U":
        return tuple(_decode(x, tensor_for) for x in v)
    out = OrderedDict() if node.get("ordered") else {}
    for k, val in v:
        out[_decode(k, tensor_for)] = _decode(val, tensor_for)
    return out


__all__ = ["CheckpointError", "load", "save"]
