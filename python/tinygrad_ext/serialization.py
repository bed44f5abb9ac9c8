"""torch.save / torch.load: PyTorch's checkpoint formats and safetensors (weights_only=True: never executing
anything from a file).

Which format save() writes (decided by the format= argument, else by the file's name):
  * format="safetensors", or a path or file object whose name ends in ".safetensors": the safetensors layout below;
  * otherwise (format=None or "torch"; .pt, .pth, .bin, any other name, an unnamed file object): PyTorch's zip
    format, written with pickle as torch.save writes it (any picklable object: whole modules, optimizers, the
    user's classes); a file of tensors, containers and plain values loads in real torch.load(f, weights_only=True);
    _use_new_zipfile_serialization=False writes PyTorch's legacy stream instead (_torch_format.py writes and reads
    both).
load() tells the formats apart by the file's structure, never by its name: a file whose first 8 bytes give a
plausible header length followed by '{' is safetensors (and then fully validated); otherwise a zip archive
('PK\x03\x04') is PyTorch's zip format and a pickle (PROTO 2-5) PyTorch's legacy format, read by
_torch_format's restricted unpickler (what torch.load(weights_only=True) reads; any other global raises
WeightsUnpicklingError, a CheckpointError) or, with weights_only=False, pickle's; anything else is reported as a
broken safetensors file.

Safetensors layout (a valid safetensors file):

    8 bytes      little-endian uint64 N: the header's length
    N bytes      JSON header, UTF-8 (in practice ASCII), starting with '{', padded with spaces to a multiple of 8:
                 {"0.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...,
                  "__metadata__": {"format": "tinygrad_ext", "version": "2", "structure": "<JSON>",
                                   "tinygrad_ext_crc32": "<8 lowercase hex digits>"}}
    the rest     raw little-endian tensor data; data_offsets are relative to it, contiguous from 0 to its end

A tensor's name is the path of keys that leads to it, joined by "." (a state_dict's own keys: "0.weight"; nested:
"model.fc.bias"; a list element's key is its index; a bare tensor is "tensor"); a name already taken gets "#2",
"#3", ..., and a tensor saved in several places is stored once, under its first name. Files written before the
names were real keys (t0, t1, ...) load the same way.

"structure" describes the saved object: nested dicts (str/int/float/bool/None keys), lists, tuples,
str/int/float/bool/None and tensors (references to header entries by name, with requires_grad, whether the
tensor was an nn.Parameter and its device). A file without our metadata (any safetensors file) loads
as a dict of tensors.

"tinygrad_ext_crc32" is the CRC-32 (zlib.crc32) of every byte of the file except the 8 hex digits of the
value itself: the length, the whole header (padding included) and the data. load() verifies it whenever it is present
(whatever the format says), and version "2" files must have it; a mismatch raises CheckpointError, so a
flipped, truncated or inserted byte is never loaded as silently different data. Version "1" files
(written before the checksum existed) still load, unverified. (PyTorch's zip format has its own CRC-32 per
record, which load() verifies too.)

Loading never executes anything from the file. Every header field is validated (header length
against the file size, JSON, dtype names, shapes, offsets in range and not overlapping, byte sizes
equal to numel * itemsize, structure references, the checksum, BOOL bytes being 0 or 1) before any
tensor is allocated; a bad file raises CheckpointError (a ValueError) naming the path and the reason.

map_location: None (tensors go back to the device they were saved on; a CUDA tensor comes to the CPU with a
warning where CUDA is not available), a device or str (all tensors there), a dict mapping saved locations to
devices ({"cuda:0": "cpu"}; unmapped locations as with None), or a callable(storage, location) returning the
storage on its device (it receives a 1-D tensor of the storage and the saved location string). mmap=True (a path
only, as torch) maps the file instead of reading it into memory: the tensors are copied out of the mapping.
weights_only=True (the default, as torch 2.6+) rebuilds only tensors, containers, plain values and the globals of
add_safe_globals / safe_globals; weights_only=False (or a pickle_module) unpickles PyTorch's formats with
pickle's own unpickler, which runs the file's code, as torch's does: whole modules, optimizers, numpy arrays, the
user's classes. Safetensors files hold tensors and plain values only, whatever weights_only says.

save() to a path behaves like torch.save's open-for-writing, but atomically: it refuses a missing parent
directory (RuntimeError "Parent directory <dir> does not exist.", as torch), a directory target and a target
the process may not write (IsADirectoryError / PermissionError naming the target, which stays untouched);
writes the data to an unnamed O_TMPFILE in the target's directory (Linux; elsewhere, or where the file
system lacks it, a hidden named ".<name>.<random>.tmp" beside the target), fsyncs it, links it in and renames
it over the target, so a crash or kill leaves the old file intact and (with O_TMPFILE) no temporary behind.
New files get mode 0666 & ~umask and an existing file's mode is kept, as with open(); a symlink target is
written through (its destination is replaced), and a non-regular target (/dev/null, a FIFO) is written in
place. OSErrors name the target, not the temporary file.
"""
import errno
import json
import math
import mmap as _mmap
import os
import pickle
import secrets
import stat
import struct
import warnings
import zlib
from collections import OrderedDict

import numpy as np

from . import _dtype, _torch_format, cuda
from ._device import as_device, device
from ._torch_format import (FORMATS, SUPPORTED, ZIP_MAGIC, CheckpointError, WeightsUnpicklingError,
                            bad_bool_byte, load_legacy, load_zip, save_legacy, save_zip, tensor_bytes,
                            tensor_from_bytes, unsafe_globals, unsupported_dtype)
from .nn.parameter import Parameter
from .tensor import Tensor

_FORMAT = "tinygrad_ext"
_VERSION = "2"  # "2": with the checksum; "1" files (written before it) still load, unverified
_VERSIONS = ("1", "2")
_MAX_HEADER = 100 * 1024 * 1024
_MAX_DEPTH = 512
# safetensors dtype codes <-> our dtype names
_TO_ST = {name: FORMATS[name][1] for name in SUPPORTED if FORMATS[name][1]}
_FROM_ST = {v: k for k, v in _TO_ST.items()}
_ALL_ST = {code: name for name, (_, code, _) in FORMATS.items() if code}  # incl. the dtypes we lack


# -------------------------------------------------------------------- save
class _Writer:
    def __init__(self):
        self.entries = OrderedDict()  # name -> (dtype, shape, bytes)
        self.by_id = {}

    def name(self, path):
        """The name of the tensor reached by the keys `path`: joined by '.', as a state_dict's, made unique."""
        base = ".".join(path) if path else "tensor"
        # a lone surrogate is not valid in safetensors' JSON (and two would merge into one character when read)
        base = "".join("?" if "\ud800" <= c <= "\udfff" else c for c in base)
        name, k = base, 1
        while name in self.entries or name == "__metadata__":
            k += 1
            name = f"{base}#{k}"
        return name

    def tensor(self, t, path):
        key = self.by_id.get(id(t))
        if key is None:
            key = self.name(path)
            self.by_id[id(t)] = key
            self.entries[key] = (t.dtype.name, list(t.shape), tensor_bytes(t))
        node = {"T": key}
        if t.requires_grad:
            node["rg"] = True
        if isinstance(t, Parameter):
            node["P"] = True
        if t.is_cuda:
            node["dev"] = str(t.device)
        return node

    def encode(self, obj, depth=0, path=()):
        if depth > _MAX_DEPTH:
            raise ValueError("torch.save: object nested too deeply")
        if isinstance(obj, Tensor):
            return self.tensor(obj, path)
        if obj is None:
            return {"N": None}
        if isinstance(obj, bool):
            return {"B": obj}
        if isinstance(obj, int):
            return {"I": str(obj)}
        if isinstance(obj, float):
            return {"F": repr(obj)}
        if isinstance(obj, str):
            if any("\ud800" <= c <= "\udfff" for c in obj):
                # JSON would merge a high and a low surrogate that are two code points here into one astral
                # character on loading: such strings are stored as the hex of their UTF-8 (surrogatepass).
                return {"Sx": obj.encode("utf-8", "surrogatepass").hex()}
            return {"S": obj}
        if isinstance(obj, _dtype.dtype):
            return {"dtype": obj.name}
        if isinstance(obj, device):
            return {"device": str(obj)}
        if isinstance(obj, np.generic):
            return self.encode(obj.item(), depth)
        if isinstance(obj, dict):
            node = {"D": [[self.encode(k, depth + 1), self.encode(v, depth + 1, path + (_key_part(k),))]
                          for k, v in obj.items()]}
            if isinstance(obj, OrderedDict):
                node["ordered"] = True
            return node
        if isinstance(obj, (tuple, list)):
            items = [self.encode(v, depth + 1, path + (str(i),)) for i, v in enumerate(obj)]
            return {"U": items} if isinstance(obj, tuple) else {"L": items}
        raise TypeError(f"torch.save: cannot save an object of type {type(obj).__name__} in the safetensors format "
                        "(supported: tensors, dicts, lists, tuples, str, int, float, bool, None, dtypes and devices)")


def _key_part(k):
    return k if isinstance(k, str) else repr(k)


# The checksum's metadata key, namespaced so that another tool's "crc32" (of something else) is never taken for it.
_CRC = "tinygrad_ext_crc32"
_CRC_KEY = b'"tinygrad_ext_crc32":"'


def _serialize(obj):
    """The file's bytes, as a list of chunks: length, header, then each tensor's data."""
    w = _Writer()
    structure = json.dumps(w.encode(obj), separators=(",", ":"))
    header = OrderedDict()
    offset = 0
    for key, (name, shape, data) in w.entries.items():
        header[key] = {"dtype": _TO_ST[name], "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    header["__metadata__"] = {"format": _FORMAT, "version": _VERSION, "structure": structure, _CRC: "0" * 8}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * (-len(hb) % 8)
    # The structure is a JSON string inside the header, so its quotes are escaped: _CRC_KEY occurs once.
    pos = hb.index(_CRC_KEY + b"0" * 8 + b'"') + len(_CRC_KEY)
    prefix = struct.pack("<Q", len(hb))
    datas = [data for _, _, data in w.entries.values()]
    crc = zlib.crc32(hb[pos + 8:], zlib.crc32(hb[:pos], zlib.crc32(prefix)))
    for data in datas:
        crc = zlib.crc32(data, crc)
    hb = hb[:pos] + b"%08x" % crc + hb[pos + 8:]
    return [prefix, hb] + datas


_OPEN_FLAGS = getattr(os, "O_OPEN_FLAGS", 0) | getattr(os, "O_BINARY", 0)  # O_BINARY: no newline translation


def _write_chunks(fd, chunks):
    for c in chunks:
        view = memoryview(c)
        while view:
            view = view[os.write(fd, view):]


def _open_tmpfile(directory):
    """An unnamed O_TMPFILE in directory, or None (not Linux >= 3.11, or a file system without it)."""
    if not hasattr(os, "O_TMPFILE"):
        return None
    try:
        return os.open(directory, os.O_TMPFILE | os.O_WRONLY | _OPEN_FLAGS, 0o666)
    except OSError:
        return None


def _open_named(directory, dfd, base):
    """A new hidden, uniquely named file beside the target: (fd, its name: relative to dfd, or a path)."""
    for _ in range(100):
        name = f".{base}.{secrets.token_hex(6)}.tmp"
        if dfd is None:
            name = os.path.join(directory, name)
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o666,
                           dir_fd=dfd), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "cannot create a temporary file", base)


def _link_temp(fd, dfd, base):
    """Gives the O_TMPFILE fd a (hidden, unique) name in its directory; None when this system can't."""
    if dfd is None:
        return None
    for _ in range(100):
        name = f".{base}.{secrets.token_hex(6)}.tmp"
        try:
            # dst_dir_fd makes CPython call linkat(AT_SYMLINK_FOLLOW); plain link() would fail with EXDEV.
            os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=dfd, follow_symlinks=True)
            return name
        except FileExistsError:
            continue
        except OSError:  # no /proc, or a kernel that refuses: the caller falls back to a named file
            return None
    return None


def _renamed_oserror(e, shown):
    """The OSError e, naming the target instead of a temporary file (errors without an errno are kept)."""
    if e.errno is None or e.filename == shown:
        return e
    return OSError(e.errno, e.strerror, shown)


def _save_to_path(chunks, path):
    shown = os.fsdecode(path)
    parent = os.path.dirname(shown)
    if parent and not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")  # torch's PyTorchFileWriter message
    target = os.path.realpath(path) if os.path.islink(path) else path  # open() writes through a symlink
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise _renamed_oserror(e, shown) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), shown)
        if not os.access(target, os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), shown)
        if not stat.S_ISREG(st.st_mode):  # /dev/null, a FIFO, ...: written in place, as open() would
            try:
                fd = os.open(target, os.O_WRONLY | _OPEN_FLAGS)
                try:
                    _write_chunks(fd, chunks)
                finally:
                    os.close(fd)
            except OSError as e:
                raise _renamed_oserror(e, shown) from None
            return
    directory = os.path.dirname(os.path.abspath(target))
    base = os.path.basename(target)
    mode = None if st is None or not hasattr(os, "fchmod") else stat.S_IMODE(st.st_mode)  # kept, as by open()
    # The directory is opened once and the names are relative to it (where the system has *at() calls).
    use_dfd = {os.open, os.link, os.rename, os.unlink} <= os.supports_dir_fd
    dest = base if use_dfd else os.path.abspath(target)

    def finish(fd):
        if mode is not None:
            os.fchmod(fd, mode)
        os.fsync(fd)
    try:
        dfd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _OPEN_FLAGS) if use_dfd else None
        name = None
        try:
            fd = _open_tmpfile(directory)
            if fd is not None:
                try:
                    _write_chunks(fd, chunks)
                    finish(fd)
                    name = _link_temp(fd, dfd, base)  # named only now, just before the rename
                finally:
                    os.close(fd)
            if name is None:  # no O_TMPFILE, or no way to link it in: a named temporary file
                fd, name = _open_named(directory, dfd, base)
                try:
                    _write_chunks(fd, chunks)
                    finish(fd)
                finally:
                    os.close(fd)
            os.replace(name, dest, src_dir_fd=dfd, dst_dir_fd=dfd)
            name = None
            if dfd is not None:
                try:  # make the rename itself durable
                    os.fsync(dfd)
                except OSError:
                    pass
        finally:
            if name is not None:
                try:
                    os.unlink(name, dir_fd=dfd)
                except OSError:
                    pass
            if dfd is not None:
                os.close(dfd)
    except OSError as e:
        raise _renamed_oserror(e, shown) from None


def _save_format(f, format, zipfile_serialization):
    """'safetensors', 'torch' (zip) or 'legacy': format= if given, else by the name of f (.safetensors)."""
    if format is None:
        name = getattr(f, "name", None) if hasattr(f, "write") else os.fspath(f)
        is_st = isinstance(name, (str, bytes)) and os.fsdecode(name).endswith(".safetensors")
        format = "safetensors" if is_st else "torch"
    if format not in ("torch", "safetensors"):
        raise ValueError(f"torch.save: format must be 'torch' or 'safetensors' (or None: by the file's suffix), got "
                         f"{format!r}")
    if format == "safetensors":
        if not zipfile_serialization:
            raise ValueError("torch.save: _use_new_zipfile_serialization=False asks for PyTorch's legacy format, "
                             "which is not the safetensors format")
        return format
    return "torch" if zipfile_serialization else "legacy"


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False, *, format=None):  # the format's name
    """Saves obj to a path (atomically) or a writable binary file.

    format: "torch" (PyTorch's zip format: any picklable object, as torch.save; real torch.load(f,
    weights_only=True) loads files of tensors, containers and plain values) or "safetensors" (those only);
    None picks "safetensors" for a name ending in ".safetensors" and "torch" for everything else."""
    kind = _save_format(f, format, _use_new_zipfile_serialization)
    if pickle_module not in (None, pickle):
        raise TypeError("torch.save: tinygrad_ext writes its own pickle stream (only what torch's weights-only "
                        "loader reads); pickle_module must be None or pickle")
    if pickle_protocol not in (None, 2):
        raise ValueError(f"torch.save: tinygrad_ext writes pickle protocol 2 (torch.save's default, the one torch's "
                         f"weights-only loader reads), got pickle_protocol={pickle_protocol!r}")
    if kind == "safetensors":
        chunks = _serialize(obj)
    elif kind == "legacy":
        chunks = save_legacy(obj)
    else:
        chunks = save_zip(obj, byteorder=not _disable_byteorder_record)
    if hasattr(f, "write"):
        for c in chunks:
            f.write(c)
        return
    _save_to_path(chunks, os.fspath(f))


# -------------------------------------------------------------------- load
class _Mapping(_mmap.mmap):
    """A read-only mapping of the file that zipfile can read from like a file."""

    def seekable(self):
        return True


def _read_all(f, use_mmap):
    """(the name to show, the file's bytes: bytes, or a read-only mmap with use_mmap)."""
    if hasattr(f, "read"):
        if use_mmap:
            raise ValueError("f must be a file path in order to use the mmap argument")
        return getattr(f, "name", "<file object>"), f.read()
    path = os.fspath(f)
    with open(path, "rb") as fh:
        if not use_mmap:
            return path, fh.read()
        try:
            return path, _Mapping(fh.fileno(), 0, access=_mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            return path, b""


def _file_kind(buf):
    """'safetensors', 'zip' or 'legacy' (PyTorch's formats), by the file's structure (see the module docstring)."""
    if len(buf) >= 9:
        (n,) = struct.unpack("<Q", buf[:8])
        if 0 < n <= _MAX_HEADER and buf[8:9] == b"{":
            return "safetensors"
    if buf[:4] in ZIP_MAGIC:
        return "zip"
    if len(buf) >= 2 and buf[0] == 0x80 and 2 <= buf[1] <= 5:  # the PROTO opcode of pickle protocols 2-5
        return "legacy"
    return "safetensors"  # not a PyTorch file either: the safetensors checks say what is wrong


def _parse_header(path, buf):
    """Validates the layout; returns (tensor entries {key: (dtype, shape, begin, end)}, metadata, data start)."""
    def fail(reason):
        raise CheckpointError(path, reason)

    if len(buf) < 8:
        fail(f"file is truncated: {len(buf)} bytes, too short for the 8-byte header length")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > _MAX_HEADER:
        fail(f"header length {n} exceeds the {_MAX_HEADER}-byte limit (corrupt or not a checkpoint)")
    if 8 + n > len(buf):
        fail(f"file is truncated: header length {n} exceeds the file size {len(buf)}")
    if buf[8:9] != b"{":
        try:
            buf[8:8 + n].decode("utf-8")
        except UnicodeDecodeError:
            fail("header is not valid UTF-8")
        fail("header is not a JSON object (a safetensors header starts with '{')")
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
        if isinstance(dt, str) and dt in _ALL_ST and dt not in _FROM_ST:
            fail(f"tensor '{key}': {unsupported_dtype(_ALL_ST[dt])}")
        if not isinstance(dt, str) or dt not in _FROM_ST:
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
        itemsize = SUPPORTED[name].itemsize
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


def _verify_checksum(path, buf, header_len, meta):
    """Checks meta[_CRC] against the file; raises CheckpointError on a mismatch."""
    value = meta[_CRC]
    if len(value) != 8 or any(c not in "0123456789abcdef" for c in value):
        raise CheckpointError(path, f"invalid {_CRC} {value!r} in the metadata (corrupt file)")
    raw = bytes(buf[8:8 + header_len])
    needle = _CRC_KEY + value.encode("ascii") + b'"'
    at = raw.find(needle)
    if at < 0 or raw.find(needle, at + 1) >= 0:
        raise CheckpointError(path, f"the {_CRC} field cannot be located in the header (corrupt file)")
    pos = 8 + at + len(_CRC_KEY)
    view = memoryview(buf)
    crc = zlib.crc32(view[pos + 8:], zlib.crc32(view[:pos]))
    if crc != int(value, 16):
        raise CheckpointError(path, f"checksum mismatch: the file is corrupt (stored crc32 {value}, computed "
                                    f"{crc:08x}); it was changed after it was written (bit rot, a partial copy, "
                                    "an edit)")


def _check_bools(path, buf, entries, start):
    """A BOOL tensor holding bytes other than 0 and 1 is refused (such bools break nonzero() and friends)."""
    view = memoryview(buf)
    for key, (name, shape, begin, end) in entries.items():
        bad = bad_bool_byte(view[start + begin:start + end]) if name == "bool" else None
        if bad:
            raise CheckpointError(path, f"tensor '{key}': BOOL data holds byte {bad[1]} at element {bad[0]} "
                                        "(only 0 and 1 are valid)")


_KEY_KINDS = ("N", "B", "I", "F", "S", "Sx", "dtype", "device")


def _check_structure(path, node, entries, depth=0):
    def fail(reason):
        raise CheckpointError(path, reason)

    if depth > _MAX_DEPTH:
        fail("structure nested too deeply")
    if not isinstance(node, dict) or not node:
        fail("invalid structure node")
    if "T" in node:
        if not isinstance(node["T"], str) or node["T"] not in entries:
            fail(f"structure refers to a missing tensor {node['T']!r}")
        if "dev" in node:
            try:
                if not isinstance(node["dev"], str):
                    raise TypeError
                device(node["dev"])
            except (RuntimeError, TypeError, ValueError):
                fail(f"invalid device {node['dev']!r} in structure")
        return
    kind = next(iter(node))
    v = node[kind]
    if kind == "D":
        if not isinstance(v, list) or not all(isinstance(kv, list) and len(kv) == 2 for kv in v):
            fail("invalid dict in structure")
        for k, val in v:
            if not isinstance(k, dict) or len(k) != 1 or next(iter(k)) not in _KEY_KINDS:
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
    elif kind == "Sx":
        try:
            bytes.fromhex(v).decode("utf-8", "surrogatepass")
        except (TypeError, ValueError):  # UnicodeDecodeError is a ValueError
            fail("invalid str in structure")
    elif kind == "B" and not isinstance(v, bool):
        fail("invalid bool in structure")
    elif kind == "dtype" and (not isinstance(v, str) or v not in _TO_ST):
        fail(f"unknown dtype {v!r} in structure")
    elif kind == "device":
        try:
            device(v)
        except (RuntimeError, TypeError, ValueError):
            fail(f"invalid device {v!r} in structure")
    elif kind not in ("N", "S", "Sx", "B", "dtype", "device", "F", "I"):
        fail(f"unknown structure node {kind!r}")


def _is_device(location):
    try:
        device(location)
        return True
    except (RuntimeError, TypeError, ValueError):
        return False


def _check_map_location(map_location):
    if map_location is None or isinstance(map_location, (str, device, dict)) or callable(map_location):
        return
    raise TypeError(f"map_location must be a device, a str, a dict or a callable, got {type(map_location).__name__}")


def _place(t, location, map_location):
    """t (loaded on the CPU) where map_location puts a storage saved on `location` ('cpu', 'cuda:0', ...)."""
    if isinstance(map_location, dict):
        if location in map_location:
            return t.to(as_device(map_location[location]))
        map_location = None
    if isinstance(map_location, (str, device)):
        return t.to(as_device(map_location))
    if map_location is not None:  # a callable(storage, location)
        out = map_location(t, location)
        if out is None:
            return _place(t, location, None)
        if not isinstance(out, Tensor):
            raise TypeError(f"map_location must return a tensor (the storage), got {type(out).__name__}")
        return out
    saved = device(location)
    if saved.type == "cuda" and not cuda.is_available():
        warnings.warn(f"torch.load: a tensor saved on {location} is loaded on the CPU because CUDA is not available "
                      "(pass map_location to choose)", UserWarning, stacklevel=5)
        return t
    return t.to(saved)


def _env_flag(name):
    return os.environ.get(name, "").lower() in ("1", "y", "yes", "true")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Loads a checkpoint of PyTorch's zip or legacy format or a safetensors file (ours: the saved object; another
    tool's: a dict of tensors). weights_only=True (the default, as torch 2.6+; False when a pickle_module is given)
    rebuilds only tensors, containers, plain values and add_safe_globals' globals; weights_only=False unpickles
    anything, running the file's code (only for files you trust). See the module docstring."""
    if _env_flag("TORCH_FORCE_WEIGHTS_ONLY_LOAD"):  # (even over weights_only=False, as torch)
        weights_only = True
    elif weights_only is None:
        weights_only = pickle_module is None and not _env_flag("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_module not in (None, pickle):
        raise TypeError("torch.load: tinygrad_ext unpickles with the pickle module only; pickle_module must be None "
                        "or pickle")
    encoding = pickle_load_args.pop("encoding", "ASCII")
    if pickle_load_args:
        raise TypeError(f"load() got an unexpected keyword argument '{next(iter(pickle_load_args))}'")
    _check_map_location(map_location)
    path, buf = _read_all(f, mmap)

    def place(t, location):
        unmapped = map_location is None or (isinstance(map_location, dict) and location not in map_location)
        if unmapped and not _is_device(location):
            raise CheckpointError(path, f"a storage is saved on {location!r}, a device tinygrad_ext does not have "
                                        "(pass map_location)")
        return _place(t, location, map_location)

    kind = _file_kind(buf)
    if kind == "zip":
        return load_zip(buf, path, place, encoding, weights_only)
    if kind == "legacy":
        return load_legacy(buf, path, place, encoding, weights_only)
    return _load_safetensors(path, buf, place)


# -------------------------------------------------------------------- torch.serialization's allow-list
def add_safe_globals(safe_globals):
    """Marks the given globals (classes, functions; or (object, "module.name") pairs) as safe for
    torch.load(weights_only=True): a checkpoint may name, call and build them."""
    if not isinstance(safe_globals, list):
        raise TypeError(f"safe_globals must be a list, got {type(safe_globals).__name__}")
    _torch_format._safe_globals.extend(safe_globals)


def get_safe_globals():
    """The list of the globals add_safe_globals allow-listed."""
    return list(_torch_format._safe_globals)


def clear_safe_globals():
    """Forgets every global add_safe_globals allow-listed."""
    _torch_format._safe_globals.clear()


def get_unsafe_globals_in_checkpoint(f):
    """The names ("module.name") of the functions and classes a checkpoint of PyTorch's zip format holds that
    torch.load(weights_only=True) would refuse (what add_safe_globals would have to allow); nothing of it is run."""
    path, buf = _read_all(f, False)
    return unsafe_globals(buf, path)


class safe_globals:
    """Context manager: the given globals are allow-listed for torch.load(weights_only=True) inside the block."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        self.before = get_safe_globals()
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _torch_format._safe_globals[:] = self.before


def _load_safetensors(path, buf, place):
    entries, meta, start = _parse_header(path, buf)
    # Ours by any one of our fields, so that damage to one or two of them cannot make the file look like
    # another tool's file and skip the checksum.
    ours = meta is not None and (meta.get("format") == _FORMAT or _CRC in meta or
                                 meta.get("structure", "").startswith("{\""))
    if meta is not None and _CRC in meta:  # whatever the format says: a flipped format name is caught too
        _verify_checksum(path, buf, start - 8, meta)
    structure = None
    if ours:
        if meta.get("format") != _FORMAT or meta.get("version") not in _VERSIONS:
            raise CheckpointError(path, f"unsupported tinygrad_ext checkpoint format {meta.get('format')!r} version "
                                        f"{meta.get('version')!r} (this tinygrad_ext reads {', '.join(_VERSIONS)}; "
                                        "or a corrupt file)")
        # version "1" files (no checksum) have exactly these three fields: a version "2" file whose checksum
        # field was damaged is not taken for one
        if _CRC not in meta and (meta["version"] != "1" or set(meta) != {"format", "version", "structure"}):
            raise CheckpointError(path, f"the {_CRC} checksum is missing from the metadata (corrupt file)")
        try:
            structure = json.loads(meta.get("structure", ""))
        except (ValueError, RecursionError) as e:
            raise CheckpointError(path, f"structure is not valid JSON ({e})") from None
        _check_structure(path, structure, entries)
    _check_bools(path, buf, entries, start)
    # Everything is validated: now build the tensors.
    view = memoryview(buf)
    cache = {}

    def tensor_for(key, saved_dev=None):
        if key not in cache:
            name, shape, begin, end = entries[key]
            cache[key] = tensor_from_bytes(view[start + begin:start + end], name, shape)
        return place(cache[key], saved_dev or "cpu")

    if structure is None:
        return OrderedDict((k, tensor_for(k)) for k in sorted(entries, key=lambda k: entries[k][2]))
    return _decode(structure, tensor_for)


def _decode(node, tensor_for, memo=None):
    memo = {} if memo is None else memo
    if "T" in node:
        # One object per saved tensor, as pickle's memo gives torch.load: a tensor (Parameter, requires_grad
        # leaf) saved in two places comes back as one object in two places.
        key = (node["T"], node.get("dev"), bool(node.get("P")), bool(node.get("rg")))
        if key not in memo:
            t = tensor_for(node["T"], node.get("dev"))
            if node.get("P"):
                t = Parameter(t, bool(node.get("rg")))
            elif node.get("rg"):
                t = t.detach().requires_grad_(True)
            memo[key] = t
        return memo[key]
    kind, v = next(iter(node.items()))
    if kind == "N":
        return None
    if kind in ("B", "S"):
        return v
    if kind == "Sx":
        return bytes.fromhex(v).decode("utf-8", "surrogatepass")
    if kind == "I":
        return int(v)
    if kind == "F":
        return float(v)
    if kind == "dtype":
        return getattr(_dtype, v)
    if kind == "device":
        return device(v)
    if kind == "L":
        return [_decode(x, tensor_for, memo) for x in v]
    if kind == "U":
        return tuple(_decode(x, tensor_for, memo) for x in v)
    out = OrderedDict() if node.get("ordered") else {}
    for k, val in v:
        out[_decode(k, tensor_for, memo)] = _decode(val, tensor_for, memo)
    return out


__all__ = ["CheckpointError", "WeightsUnpicklingError", "add_safe_globals", "clear_safe_globals", "get_safe_globals",
           "get_unsafe_globals_in_checkpoint", "load", "safe_globals", "save"]
