"""Checkpoint fuzzing (RELIABILITY.md rows 63-64), of both formats torch.save writes: safetensors ("st") and
PyTorch's zip format ("zip"), and of PyTorch's legacy stream ("legacy").

1. Random objects (random key strings: unicode, control characters, lone surrogates, lengths 0..300; random
   nesting of dicts/OrderedDicts/lists/tuples; every dtype; 0-d, empty and non-contiguous tensors; Parameters,
   requires_grad, shared tensors; Python scalars) round-trip bit-identically, in each format.
2. Mutated checkpoints (byte flips, bit flips, truncations, insertions, deletions at random positions of a valid
   file, half of them aimed at the safetensors header or the zip's data.pkl) either load bit-identically or
   raise CheckpointError: never another exception, never silently different data (safetensors: our CRC-32;
   zip: the CRC-32 of each record).
3. "Crafted" checkpoints, where the checksums cannot help: the same mutations with our checksum recomputed
   (safetensors), applied to data.pkl of a zip rewritten with valid CRCs (the restricted unpickler's input), or
   anywhere in a legacy stream (which has no checksum): they load or raise CheckpointError (never another
   exception), and nothing loaded holds a BOOL byte other than 0 or 1.

The suite runs N = 200 of each, per format (about 10 s). The full run:

    TINYGRAD_EXT_CKPT_FUZZ_N=1000 python -m pytest tests/test_checkpoint_fuzz.py -q
    python tests/test_checkpoint_fuzz.py 1000        # prints the counts per mutation kind

Every case is seeded by its index, so a failure names the seed that reproduces it.
"""
import io
import math
import os
import random
import re
import struct
import sys
import tempfile
import zipfile
import zlib
from collections import Counter, OrderedDict

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn
from tinygrad_ext.serialization import CheckpointError

N = int(os.environ.get("TINYGRAD_EXT_CKPT_FUZZ_N", "200"))
_NP = {torch.float32: "<f4", torch.float64: "<f8", torch.int64: "<i8", torch.int32: "<i4", torch.uint8: "u1",
       torch.bool: "?"}
_DTYPES = list(_NP)
_CRC_KEY = b'"tinygrad_ext_crc32":"'


# ------------------------------------------------------------------ random objects
def rand_str(rng):
    r = rng.random()
    length = rng.randint(0, 8) if r < 0.6 else rng.randint(0, 40) if r < 0.85 else rng.randint(0, 300)
    pools = [
        lambda: chr(rng.randint(0x20, 0x7e)),                       # printable ASCII (quotes, backslashes)
        lambda: chr(rng.randint(0, 0x1f)),                          # control characters, NUL
        lambda: chr(rng.randint(0x80, 0x7ff)),                      # 2-byte UTF-8
        lambda: chr(rng.randint(0x800, 0xd7ff)),                    # 3-byte UTF-8 (CJK, ...)
        lambda: chr(rng.randint(0xd800, 0xdfff)),                   # lone surrogates
        lambda: chr(rng.randint(0xe000, 0xffff)),
        lambda: chr(rng.randint(0x10000, 0x10ffff)),                # astral (emoji, ...)
        lambda: rng.choice('"\\{}[]:,'),
    ]
    weights = [50, 5, 10, 10, 3, 5, 10, 7]
    return "".join(rng.choices(pools, weights)[0]() for _ in range(length))


def rand_shape(rng):
    ndim = rng.choice([0, 0, 1, 1, 2, 2, 3, 4])
    shape = [rng.choice([0, 1, 1, 2, 3, 4, 5, 7]) for _ in range(ndim)]
    while math.prod(shape) > 200:
        shape[rng.randrange(ndim)] //= 2
    return shape


def rand_tensor(rng, pool):
    if pool and rng.random() < 0.1:
        return rng.choice(pool)  # the same tensor saved twice
    dt = rng.choice(_DTYPES)
    shape = rand_shape(rng)
    numel = math.prod(shape)
    if dt is torch.bool:
        arr = np.array([rng.random() < 0.5 for _ in range(numel)], dtype="?").reshape(shape)
    else:
        npdt = np.dtype(_NP[dt])
        raw = bytes(rng.getrandbits(8) for _ in range(numel * npdt.itemsize))
        arr = np.frombuffer(raw, npdt).reshape(shape).copy()  # any bit pattern: NaN payloads, denormals, -0.0
        if dt.is_floating_point and numel and rng.random() < 0.3:
            flat = arr.reshape(-1)
            flat[rng.randrange(numel)] = rng.choice([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310])
    t = torch.from_numpy(arr)
    if len(shape) >= 2 and rng.random() < 0.2:
        t = t.transpose(0, 1)  # a non-contiguous view
    if dt.is_floating_point:
        r = rng.random()
        if r < 0.15:
            t = nn.Parameter(t, requires_grad=rng.random() < 0.8)
        elif r < 0.3:
            t = t.detach().requires_grad_(True)
    pool.append(t)
    return t


def rand_scalar(rng):
    kind = rng.randrange(9)
    if kind == 0:
        return rng.randint(-10, 10)
    if kind == 1:
        return rng.getrandbits(rng.randint(1, 200)) * rng.choice([1, -1])
    if kind == 2:
        return struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
    if kind == 3:
        return rng.choice([0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, 1.5])
    if kind == 4:
        return rand_str(rng)
    if kind == 5:
        return rng.random() < 0.5
    if kind == 6:
        return None
    if kind == 7:
        return rng.choice(_DTYPES)
    return torch.device("cpu")


def rand_key(rng):
    r = rng.random()
    if r < 0.85:
        return rand_str(rng)
    if r < 0.93:
        return rng.randint(-5, 1000)
    return rng.choice([None, True, False, 2.5, -0.0])


def rand_obj(rng, depth=0, pool=None):
    pool = [] if pool is None else pool
    r = rng.random()
    if depth >= 4 or r < 0.35:
        return rand_tensor(rng, pool) if rng.random() < 0.6 else rand_scalar(rng)
    n = rng.randint(0, 5)
    if r < 0.75:
        d = OrderedDict() if rng.random() < 0.3 else {}
        for _ in range(n):
            d[rand_key(rng)] = rand_obj(rng, depth + 1, pool)
        return d
    items = [rand_obj(rng, depth + 1, pool) for _ in range(n)]
    return items if r < 0.9 else tuple(items)


def random_checkpoint(seed):
    rng = random.Random(seed)
    pool = []
    obj = {rand_key(rng): rand_obj(rng, 1, pool) for _ in range(rng.randint(0, 4))}
    return obj if rng.random() < 0.8 else rand_obj(rng, 0, pool)


# ------------------------------------------------------------------ comparison
def same(a, b, path="obj", ids=None):
    """Bit-identical (tensors: dtype, shape, bytes, requires_grad, Parameter-ness; floats: bits or both NaN);
    returns None or where they differ. ids maps original tensors to loaded ones (sharing must be kept)."""
    ids = {} if ids is None else ids
    if type(a) is not type(b):
        return f"{path}: type {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, torch.Tensor):
        if id(a) in ids:
            return None if ids[id(a)] is b else f"{path}: a shared tensor came back as two tensors"
        ids[id(a)] = b
        if a.dtype != b.dtype or a.shape != b.shape or a.requires_grad != b.requires_grad:
            return f"{path}: {a.dtype}{tuple(a.shape)} rg={a.requires_grad} != {b.dtype}{tuple(b.shape)} " \
                   f"rg={b.requires_grad}"
        if a.detach().numpy().tobytes() != b.detach().numpy().tobytes():
            return f"{path}: tensor bytes differ"
        return None
    if isinstance(a, dict):
        if len(a) != len(b):
            return f"{path}: {len(a)} keys != {len(b)}"
        for (ka, va), (kb, vb) in zip(a.items(), b.items()):
            why = same(ka, kb, f"{path}.key", ids) or same(va, vb, f"{path}[{ka!r}]", ids)
            if why:
                return why
        return None
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            why = same(x, y, f"{path}[{i}]", ids)
            if why:
                return why
        return None
    if isinstance(a, float):
        ok = (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b)
        return None if ok else f"{path}: {a!r} != {b!r}"
    return None if a == b else f"{path}: {a!r} != {b!r}"


# ------------------------------------------------------------------ mutations
FORMATS = ("st", "zip", "legacy")
_SAVE_ARGS = {"st": {"format": "safetensors"}, "zip": {"format": "torch"},
              "legacy": {"_use_new_zipfile_serialization": False}}


def serialize(obj, fmt="st"):
    buf = io.BytesIO()
    torch.save(obj, buf, **_SAVE_ARGS[fmt])
    return buf.getvalue()


def _head(data):
    """How many leading bytes hold the structure: the safetensors length and header, the zip's data.pkl record
    (written first), the legacy stream's pickles (everything but the last storage's data, roughly: all)."""
    if data[:4] == b"PK\x03\x04":
        info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
        return 30 + len(info.filename) + len(info.extra) + info.compress_size
    if data[:2] == b"\x80\x02":
        return len(data)
    return 8 + struct.unpack("<Q", data[:8])[0]


def mutate(rng, data, head=None):
    """(kind, mutated bytes): half of the positions are aimed at the first `head` bytes (default: _head)."""
    n = _head(data) if head is None else head

    def pos(extra=0):
        hi = n if rng.random() < 0.5 else len(data)
        return rng.randrange(hi + extra)
    kind = rng.choice(["byte", "bit", "bytes", "truncate", "insert", "delete"])
    b = bytearray(data)
    if kind == "byte":
        b[pos()] ^= rng.randint(1, 255)
    elif kind == "bit":
        b[pos()] ^= 1 << rng.randrange(8)
    elif kind == "bytes":
        for _ in range(rng.randint(2, 8)):
            b[pos()] ^= rng.randint(1, 255)
    elif kind == "truncate":
        del b[pos():]
    elif kind == "insert":
        at = pos(1)
        b[at:at] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 8)))
    else:
        at = pos()
        del b[at:at + rng.randint(1, 8)]
    return kind, bytes(b)


def reseal(data):
    """data with its tinygrad_ext checksum recomputed (when the field can still be found): a crafted file."""
    if len(data) < 8:
        return data
    n = struct.unpack("<Q", data[:8])[0]
    at = data.find(_CRC_KEY, 8, 8 + n)
    if at < 0 or at + len(_CRC_KEY) + 8 > len(data):
        return data
    pos = at + len(_CRC_KEY)
    crc = zlib.crc32(data[pos + 8:], zlib.crc32(data[:pos]))
    return data[:pos] + b"%08x" % crc + data[pos + 8:]


def try_load(data, reasons=None):
    """('error', None) for a CheckpointError, else ('loaded', obj); any other exception propagates.
    reasons counts the first words of the CheckpointErrors' reasons."""
    try:
        return "loaded", torch.load(io.BytesIO(data))
    except CheckpointError as e:
        if reasons is not None:
            reason = re.sub(r"'[^']*'", "", e.reason).split("(")[0]
            head = "tensor: " if reason.startswith("tensor :") else ""
            reason = reason[len(head) + 1:] if head else reason
            reasons[head + re.split(r"[:;]| \[| \d| for | exceeds| holds", reason)[0].strip()] += 1
        return "error", None


# ------------------------------------------------------------------ the three properties
def check_round_trip(i, directory, fmt):
    obj = random_checkpoint(f"roundtrip-{i}")
    if i % 4 == 0:
        buf = io.BytesIO()
        torch.save(obj, buf, **_SAVE_ARGS[fmt])
        buf.seek(0)
        back = torch.load(buf)
    else:
        path = os.path.join(directory, f"rt{i % 8}.pt")
        torch.save(obj, path, **_SAVE_ARGS[fmt])
        back = torch.load(path)
    why = same(obj, back)
    assert why is None, f"round trip ({fmt}) seed roundtrip-{i}: {why}"


def check_mutated(i, stats, reasons=None, fmt="st"):
    rng = random.Random(f"mutate-{fmt}-{i}")
    obj = random_checkpoint(f"mutate-{i}")
    data = serialize(obj, fmt)
    kind, bad = mutate(rng, data)
    outcome, back = try_load(bad, reasons)  # anything but CheckpointError fails the test here
    if outcome == "loaded":
        why = same(obj, back)
        assert why is None, f"mutation ({fmt}) seed mutate-{i} ({kind}) loaded silently different data: {why}"
        outcome = "identical"
    stats[kind, outcome] += 1


def rezip(data, new_pkl):
    """The zip checkpoint data with its data.pkl replaced (every record's CRC-32 valid again)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            z.writestr(info.filename, new_pkl if info.filename.endswith("/data.pkl") else src.read(info.filename))
    return out.getvalue()


def craft(rng, data, fmt):
    """(kind, a mutated file that the checksums do not catch)."""
    if fmt == "zip":
        pkl = zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")
        kind, bad = mutate(rng, pkl, head=len(pkl))
        return kind, rezip(data, bad)
    kind, bad = mutate(rng, data)
    return kind, reseal(bad) if fmt == "st" else bad


def check_crafted(i, stats, reasons=None, fmt="st"):
    rng = random.Random(f"craft-{fmt}-{i}")
    obj = random_checkpoint(f"craft-{i}")
    kind, bad = craft(rng, serialize(obj, fmt), fmt)
    outcome, back = try_load(bad, reasons)
    if outcome == "loaded":
        stack, seen = [back], set()
        while stack:
            x = stack.pop()
            if id(x) in seen:  # a crafted pickle may make a list that contains itself
                continue
            seen.add(id(x))
            if isinstance(x, torch.Tensor) and x.dtype == torch.bool and x.numel() <= 1 << 20:
                assert set(x.numpy().view(np.uint8).reshape(-1).tolist()) <= {0, 1}, f"seed craft-{i}: bad bool"
            elif isinstance(x, dict):
                stack.extend(x.values())
            elif isinstance(x, (list, tuple)):
                stack.extend(x)
    stats[kind, outcome] += 1


@pytest.mark.parametrize("fmt", ["st", "zip", "legacy"])
def test_random_checkpoints_round_trip_bit_identically(fmt):
    with tempfile.TemporaryDirectory() as d:
        for i in range(N):
            check_round_trip(i, d, fmt)


@pytest.mark.parametrize("fmt", ["st", "zip"])
def test_mutated_checkpoints_load_identically_or_raise_checkpoint_error(fmt):
    stats = Counter()
    for i in range(N):
        check_mutated(i, stats, fmt=fmt)
    assert sum(stats.values()) == N


@pytest.mark.parametrize("fmt", ["st", "zip", "legacy"])
def test_crafted_checkpoints_raise_only_checkpoint_error(fmt):
    stats = Counter()
    for i in range(N):
        check_crafted(i, stats, fmt=fmt)
    assert stats  # both outcomes are possible; any exception other than CheckpointError has failed the test


def test_generator_covers_the_brief():
    """The random objects do contain what they should: long and unicode keys, every dtype, 0-d and empty."""
    seen, keylens = set(), []

    def walk(x):
        if isinstance(x, torch.Tensor):
            seen.add(x.dtype)
            seen.add("0-d" if x.dim() == 0 else "empty" if x.numel() == 0 else "nd")
        elif isinstance(x, dict):
            for k, v in x.items():
                if isinstance(k, str):
                    keylens.append(len(k))
                    if any(ord(c) > 0xffff for c in k):
                        seen.add("astral")
                    if any(0xd800 <= ord(c) <= 0xdfff for c in k):
                        seen.add("surrogate")
                walk(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)
    for i in range(200):
        walk(random_checkpoint(f"roundtrip-{i}"))
    assert set(_DTYPES) | {"0-d", "empty", "nd", "astral", "surrogate"} <= seen
    assert min(keylens) == 0 and max(keylens) > 200


def test_header_length_128_mod_256_loads():
    """The header lengths whose low byte is 0x80 (1 in 32 of the 8-aligned lengths), including those whose
    first two bytes read like pickle's PROTO opcode (0x80 0x02..0x05), are loaded as safetensors."""
    firsts = Counter()
    for klen in range(0, 1400, 3):
        obj = {"x" * klen: torch.zeros(2)}
        data = serialize(obj, "st")
        if data[0] == 0x80:
            firsts[data[1]] += 1
            assert same(obj, torch.load(io.BytesIO(data))) is None
    assert firsts[1] and firsts[2] and firsts[3] and firsts[4] and firsts[5], firsts


def main(argv):
    n = int(argv[1]) if len(argv) > 1 else 1000
    import time
    for fmt in FORMATS:
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as d:
            for i in range(n):
                check_round_trip(i, d, fmt)
        t1 = time.perf_counter()
        print(f"[{fmt}] round trip: {n}/{n} bit-identical ({t1 - t0:.1f} s)")
        checks = [("crafted (checksums do not help)", check_crafted,
                   "other exceptions 0, loaded BOOL bytes all 0/1 (a loaded crafted file may hold other values)")]
        if fmt != "legacy":  # the legacy stream has no checksum: every mutation is a crafted file
            checks.insert(0, ("mutated", check_mutated, "other exceptions 0, silently different data 0"))
        for name, check, note in checks:
            stats, reasons = Counter(), Counter()
            t0 = time.perf_counter()
            for i in range(n):
                check(i, stats, reasons, fmt=fmt)
            t1 = time.perf_counter()
            outcomes = Counter()
            for (_, outcome), c in stats.items():
                outcomes[outcome] += c
            print(f"[{fmt}] {name}: {n} files: {dict(outcomes)}; {note} ({t1 - t0:.1f} s)")
            for kind in sorted({k for k, _ in stats}):
                print(f"    {kind:9s} " + ", ".join(f"{o} {c}" for (k, o), c in sorted(stats.items()) if k == kind))
            print("    CheckpointError reasons: " + "; ".join(f"{r!r} {c}" for r, c in reasons.most_common(12)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
