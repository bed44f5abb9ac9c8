"""torch.save / torch.load: round trips of tensors, state dicts and optimizer state in both formats (PyTorch's zip
format, the default, and safetensors); the safetensors layout; atomic writes; and truncated, corrupt, crafted and
pickle files (RELIABILITY.md rows 63-67). tests/test_torch_checkpoints.py checks PyTorch's formats against real
PyTorch; tests/test_checkpoint_fuzz.py fuzzes both formats with random objects and mutated files."""
import errno
import io
import json
import os
import pickle
import signal
import stat
import struct
import subprocess
import sys
import threading
import zlib
from collections import OrderedDict

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn, optim
from tinygrad_ext.serialization import CheckpointError, WeightsUnpicklingError


def same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        assert np.array_equal(a.detach().numpy(), b.detach().numpy(), equal_nan=True)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    else:
        assert a == b or (np.isnan(a) and np.isnan(b))


FORMATS = pytest.mark.parametrize("fmt", ["torch", "safetensors"])


@FORMATS
def test_round_trip_tensors_and_structures(tmp_path, fmt):
    path = tmp_path / "obj.pt"
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    obj = {
        "f32": t, "f64": torch.randn(2, 3, dtype=torch.float64), "i64": torch.tensor([1, -2, 3]),
        "i32": torch.tensor([7], dtype=torch.int32), "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False]), "scalar": torch.tensor(3.5), "empty": torch.zeros(0, 3),
        "view": t[:, 1::2], "nan": torch.tensor([float("nan"), float("inf")]),
        "nested": [1, 2.5, "three", None, True, (4, [5.0, {"x": torch.ones(2)}])],
        7: "int key",
    }
    obj["big"] = 2 ** 70
    obj["floats"] = [float("nan"), float("-inf"), 1e-300]
    torch.save(obj, path, format=fmt)
    back = torch.load(path)
    same(back, obj)
    assert isinstance(back["nested"][5], tuple) and back[7] == "int key"
    # writable, independent copies
    back["f32"].add_(1)
    assert t[0, 0].item() == 0
    single = tmp_path / "t.pt"
    torch.save(t, single, format=fmt)
    same(torch.load(single), t)
    buf = io.BytesIO()
    torch.save([t, t], buf, format=fmt)
    buf.seek(0)
    a, b = torch.load(buf)
    same(a, t)
    a.add_(1)
    assert b[0, 0].item() == 1  # the same tensor saved twice comes back as one tensor


@FORMATS
def test_parameters_requires_grad_and_map_location(tmp_path, fmt):
    p = nn.Parameter(torch.randn(2, 2))
    x = torch.randn(3, requires_grad=True)
    path = tmp_path / "p.pt"
    torch.save({"p": p, "x": x, "dtype": torch.float64, "dev": torch.device("cpu")}, path, format=fmt)
    back = torch.load(path, map_location="cpu")
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad and back["x"].requires_grad
    assert back["dtype"] is torch.float64 and back["dev"] == torch.device("cpu")
    assert torch.load(path, map_location=torch.device("cpu"))["x"].device == torch.device("cpu")
    assert torch.load(path, map_location={"cpu": "cpu"}, weights_only=True)["x"].device.type == "cpu"
    seen = []
    back = torch.load(path, map_location=lambda storage, loc: seen.append(loc) or storage)
    assert back["x"].device.type == "cpu" and set(seen) == {"cpu"}
    with pytest.raises(TypeError, match="map_location must be"):
        torch.load(path, map_location=3)
    with pytest.raises(TypeError, match="cannot save an object of type function"):  # (pickle cannot save a lambda)
        torch.save({"bad": lambda: 0}, tmp_path / "bad.pt", format=fmt)
    assert not (tmp_path / "bad.pt").exists()


@FORMATS
def test_model_and_optimizer_checkpoint_resume(tmp_path, fmt):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, 2, 0.5)
    x, y = torch.randn(16, 4), torch.randn(16, 2)

    def step(m, o):
        loss = nn.MSELoss()(m(x), y)
        o.zero_grad()
        loss.backward()
        o.step()
    for _ in range(3):
        step(model, opt)
        sched.step()
    path = tmp_path / "ckpt.pt"
    torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict(), "epoch": 3},
               path, format=fmt)
    ck = torch.load(path)
    assert isinstance(ck["model"], OrderedDict) and ck["epoch"] == 3
    model2 = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    opt2 = optim.Adam(model2.parameters(), lr=0.01)
    sched2 = optim.lr_scheduler.StepLR(opt2, 2, 0.5)
    model2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["optim"])
    sched2.load_state_dict(ck["sched"])
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] and opt2.param_groups[0]["betas"] == (0.9, 0.999)
    assert model2[1].num_batches_tracked.item() == 3
    for _ in range(2):
        step(model, opt)
        step(model2, opt2)
    for p, q in zip(model.state_dict().values(), model2.state_dict().values()):
        assert np.array_equal(p.numpy(), q.numpy())


def _header(path):
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    return n, json.loads(data[8:8 + n]), data


def test_file_layout_is_safetensors(tmp_path):
    path = tmp_path / "sd.safetensors"
    sd = OrderedDict(w=torch.tensor([[1.0, 2.0]]), b=torch.tensor([3], dtype=torch.int64))
    torch.save(sd, path)
    n, header, data = _header(path)
    assert n % 8 == 0
    meta = header.pop("__metadata__")
    assert meta["format"] == "tinygrad_ext" and isinstance(meta["structure"], str)
    assert header["w"] == {"dtype": "F32", "shape": [1, 2], "data_offsets": [0, 8]}  # the real keys
    assert header["b"] == {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]}
    same(torch.load(path), sd)
    # nested objects: the keys of the path joined by "."; a name taken twice gets "#2"; a shared tensor is stored once
    nested = tmp_path / "nested.safetensors"
    t = torch.ones(1)
    torch.save({"model": {"0.weight": t, 0: {"w": torch.zeros(2)}}, "model.0.weight": torch.ones(3),
                "l": [t, torch.ones(2)], "__metadata__": torch.ones(1)}, nested)
    names = list(_header(nested)[1])
    assert names == ["model.0.weight", "model.0.w", "model.0.weight#2", "l.1", "__metadata__#2", "__metadata__"]
    torch.save(torch.ones(2), nested)
    assert list(_header(nested)[1]) == ["tensor", "__metadata__"]
    assert np.frombuffer(data[8 + n:8 + n + 8], "<f4").tolist() == [1.0, 2.0]
    # a plain safetensors file (no tinygrad_ext metadata) loads as a dict of tensors
    raw = {"a": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}}
    hb = json.dumps(raw).encode()
    plain = tmp_path / "plain.safetensors"
    plain.write_bytes(struct.pack("<Q", len(hb)) + hb + np.array([1.5, -2.0], "<f8").tobytes())
    got = torch.load(plain)
    assert list(got) == ["a"] and got["a"].dtype == torch.float64 and got["a"].numpy().tolist() == [1.5, -2.0]


def test_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    torch.save({"v": torch.ones(3)}, path)
    good = path.read_bytes()
    real_fsync = os.fsync

    def boom(fd):
        raise OSError("disk full")
    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        torch.save({"v": torch.zeros(1000)}, path)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]  # no temporary left behind


def _write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _craft(tmp_path, header, payload=b"", raw_header=None):
    hb = raw_header if raw_header is not None else json.dumps(header).encode()
    return _write(tmp_path, "crafted.pt", struct.pack("<Q", len(hb)) + hb + payload)


def test_truncated_files_raise_checkpoint_error(tmp_path):
    path = tmp_path / "full.pt"
    torch.save({"w": torch.randn(4, 4), "b": torch.randn(4)}, path, format="safetensors")
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    for cut in [0, 3, 8, 20, 8 + n - 1, 8 + n, 8 + n + 10, len(data) - 1]:
        p = _write(tmp_path, f"cut{cut}.pt", data[:cut])
        with pytest.raises(CheckpointError) as e:
            torch.load(p)
        assert str(p) in str(e.value) and isinstance(e.value, ValueError)
        assert "truncated" in str(e.value) or "out of range" in str(e.value) or "JSON" in str(e.value)


@pytest.mark.parametrize("header,payload,reason", [
    ({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4, "out of range"),
    ({"t": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, "expected 12"),
    ({"t": {"dtype": "C64", "shape": [2], "data_offsets": [0, 16]}}, b"\0" * 16, "complex64 are not supported"),
    ({"t": {"dtype": "F17", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4, "unknown dtype"),
    ({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4, "invalid shape"),
    ({"t": {"dtype": "F32", "shape": [2 ** 62, 2 ** 62], "data_offsets": [0, 8]}}, b"\0" * 8, "expected"),
    ({"t": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\0" * 8, "out of range"),
    ({"t": {"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}}, b"\0" * 8, "out of range"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12, "overlapping"),
    ({"t": {"dtype": "F32", "shape": [1], "data_offsets": "0-4"}}, b"\0" * 4, "invalid data_offsets"),
    ({"t": [1, 2]}, b"", "not an object"),
    ({"__metadata__": {"format": "tinygrad_ext", "version": "1", "structure": '{"T": "missing"}'}}, b"",
     "missing tensor"),
    ({"__metadata__": {"format": "tinygrad_ext", "version": "1", "structure": "{not json"}}, b"", "not valid JSON"),
    ({"__metadata__": {"format": "tinygrad_ext", "version": "99", "structure": "{}"}}, b"", "version"),
    ({"__metadata__": {"format": "tinygrad_ext", "version": "1", "structure": '{"X": 1}'}}, b"", "unknown"),
    ({"__metadata__": {"format": "tinygrad_ext", "version": "1",
                       "structure": '{"D": [[{"L": []}, {"N": null}]]}'}}, b"", "invalid dict key"),
    ({"__metadata__": {"format": "tinygrad_ext", "version": "1", "structure": '[' * 100000 + ']' * 100000}}, b"",
     "structure"),
])
def test_crafted_headers_are_rejected_before_allocation(tmp_path, header, payload, reason):
    p = _craft(tmp_path, header, payload)
    with pytest.raises(CheckpointError, match=reason):
        torch.load(p)


def test_bad_header_length_encoding_and_json(tmp_path):
    p = _write(tmp_path, "huge.pt", struct.pack("<Q", 2 ** 63) + b"{}")
    with pytest.raises(CheckpointError, match="exceeds the"):
        torch.load(p)
    p = _write(tmp_path, "long.pt", struct.pack("<Q", 1000) + b"{}")
    with pytest.raises(CheckpointError, match="exceeds the file size"):
        torch.load(p)
    with pytest.raises(CheckpointError, match="not valid UTF-8"):
        torch.load(_craft(tmp_path, None, raw_header=b"\xff\xfe{}"))
    with pytest.raises(CheckpointError, match="not valid JSON"):
        torch.load(_craft(tmp_path, None, raw_header=b"{'a': 1}"))
    with pytest.raises(CheckpointError, match="not a JSON object"):
        torch.load(_craft(tmp_path, None, raw_header=b"[1, 2]"))


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_payload_is_never_executed(tmp_path):
    """Plain pickles are read as PyTorch's legacy format by the restricted unpickler: the global is refused.
    (tests/test_torch_checkpoints.py has the hostile zip and legacy checkpoints.)"""
    marker = tmp_path / "pwned"
    p = _write(tmp_path, "evil.pt", pickle.dumps({"state": _Evil(str(marker))}))
    with pytest.raises(WeightsUnpicklingError, match="Unsupported global: GLOBAL io.open"):
        torch.load(p)
    assert not marker.exists()
    p = _write(tmp_path, "evil.zip", b"PK\x03\x04" + b"\0" * 40)
    with pytest.raises(CheckpointError, match="PyTorch zip checkpoint is truncated or corrupt"):
        torch.load(p)
    for proto in range(2, 6):  # torch.save's legacy format, and plain pickles
        p = _write(tmp_path, f"evil{proto}.pkl", pickle.dumps({"state": _Evil(str(marker))}, protocol=proto))
        with pytest.raises(CheckpointError, match="(?s)Weights only load failed.*Unsupported global: GLOBAL io.open"):
            torch.load(p)
    assert not marker.exists()


def test_failed_load_changes_nothing_in_the_model(tmp_path):
    model = nn.Linear(3, 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    path = tmp_path / "m.pt"
    torch.save(nn.Linear(3, 2).state_dict(), path)
    data = path.read_bytes()
    p = _write(tmp_path, "trunc.pt", data[:-3])
    with pytest.raises(CheckpointError):
        model.load_state_dict(torch.load(p))
    for k, v in model.state_dict().items():
        assert np.array_equal(v.numpy(), before[k].numpy())
    model.load_state_dict(torch.load(path))  # the intact file works


# ------------------------------------------------------------------ the format check (first byte 0x80)
def test_header_length_128_mod_256_is_not_taken_for_a_pickle(tmp_path):
    """A header length whose low byte is 0x80 made the first byte pickle's PROTO opcode: those files (about 1 in
    32 of the 8-aligned header lengths) were refused as PyTorch pickles. The check now validates the safetensors
    structure first."""
    path = tmp_path / "k.pt"
    torch.save({"x" * 213: torch.zeros(2)}, path, format="safetensors")
    same(torch.load(path), {"x" * 213: torch.zeros(2)})
    seen = set()
    for klen in range(1200):
        obj = {"k" * klen: torch.arange(3)}
        buf = io.BytesIO()
        torch.save(obj, buf, format="safetensors")
        data = buf.getvalue()
        if data[0] == 0x80:
            seen.add(data[1])
            same(torch.load(io.BytesIO(data)), obj)
    assert {2, 3, 4} <= seen  # including "0x80 0x02".. which read exactly like a pickle protocol 2.. header
    # a truncated file of that kind is reported as truncated, not as a pickle
    with pytest.raises(CheckpointError, match="truncated"):
        torch.load(_write(tmp_path, "cut.pt", path.read_bytes()[:40]))


# ------------------------------------------------------------------ checksum
def _reseal(data):
    """data with its checksum recomputed: the CRC-32 of every byte except the checksum's 8 hex digits."""
    n = struct.unpack("<Q", data[:8])[0]
    key = b'"tinygrad_ext_crc32":"'
    pos = data.index(key, 8, 8 + n) + len(key)
    crc = zlib.crc32(data[pos + 8:], zlib.crc32(data[:pos]))
    return data[:pos] + b"%08x" % crc + data[pos + 8:]


def test_checksum_catches_changed_bytes(tmp_path):
    path = tmp_path / "c.pt"
    for k in range(8):  # a header with some padding
        obj = {"w": torch.arange(64, dtype=torch.float32), "b": torch.tensor([True, False, True]), "p" * k: None}
        torch.save(obj, path, format="safetensors")
        n, header, data = _header(path)
        if data[8 + n - 1:8 + n] == b" ":
            break
    meta = header["__metadata__"]
    assert meta["version"] == "2" and len(meta["tinygrad_ext_crc32"]) == 8 and _reseal(data) == data
    for at in [len(data) - 1, 8 + n + 17, 8 + n + 200]:  # in the data
        bad = bytearray(data)
        bad[at] ^= 0x01
        with pytest.raises(CheckpointError, match="checksum mismatch"):
            torch.load(io.BytesIO(bytes(bad)))
    pad = data[:8 + n].rstrip(b" ")  # a space of the header's padding changed into other JSON whitespace
    assert len(pad) < 8 + n
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        torch.load(io.BytesIO(pad + b"\t" + data[len(pad) + 1:]))
    renamed_key = data.replace(b'{\\"S\\":\\"w\\"}', b'{\\"S\\":\\"v\\"}')  # valid JSON, same length
    assert renamed_key != data
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        torch.load(io.BytesIO(renamed_key))
    with pytest.raises(CheckpointError, match="checksum mismatch"):  # trailing garbage is part of the file too
        torch.load(io.BytesIO(data + b"\0"))
    flipped = data.replace(b'"format":"tinygrad_ext"', b'"format":"tinygrad_exu"')
    with pytest.raises(CheckpointError, match="checksum mismatch"):  # not silently a plain dict of tensors
        torch.load(io.BytesIO(flipped))
    renamed = data.replace(b'"tinygrad_ext_crc32"', b'"tinygrad_ext_crc33"')
    with pytest.raises(CheckpointError, match="checksum is missing"):
        torch.load(io.BytesIO(renamed))
    # damage to several of our fields at once does not make the file look like another tool's (unchecked) file
    as_v1 = renamed.replace(b'"version":"2"', b'"version":"1"')  # not a version 1 file: it has a 4th field
    with pytest.raises(CheckpointError, match="checksum is missing"):
        torch.load(io.BytesIO(as_v1))
    foreign = renamed.replace(b'"format":"tinygrad_ext"', b'"format":"tinykrad_ext"').replace(
        b'"version":"2"', b"\"v'rsion\":\"2\"")  # fuzz seed mutate-st-262: only the structure field is left
    with pytest.raises(CheckpointError, match="unsupported tinygrad_ext checkpoint format 'tinykrad_ext'"):
        torch.load(io.BytesIO(foreign))
    digits = data.replace(meta["tinygrad_ext_crc32"].encode(), meta["tinygrad_ext_crc32"].upper().encode())
    if digits != data:
        with pytest.raises(CheckpointError, match="invalid tinygrad_ext_crc32"):
            torch.load(io.BytesIO(digits))


def test_files_without_our_checksum_still_load(tmp_path):
    # version 1 files (written before the checksum existed)
    structure = json.dumps({"D": [[{"S": "w"}, {"T": "t0"}]]})
    p = _craft(tmp_path, {"t0": {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]},
                          "__metadata__": {"format": "tinygrad_ext", "version": "1", "structure": structure}},
               np.array([5, -6], "<i4").tobytes())
    got = torch.load(p)
    assert list(got) == ["w"] and got["w"].tolist() == [5, -6]
    # another tool's file, even with a "crc32" of its own in the metadata
    hb = json.dumps({"__metadata__": {"crc32": "00000000"},
                     "a": {"dtype": "U8", "shape": [3], "data_offsets": [0, 3]}}).encode()
    plain = _write(tmp_path, "plain.safetensors", struct.pack("<Q", len(hb)) + hb + b"\x01\x02\x03")
    assert torch.load(plain)["a"].tolist() == [1, 2, 3]


def test_safetensors_reads_our_files(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "st.safetensors"
    obj = {"w": torch.randn(3, 4), "flags": torch.tensor([True, False]), "e": torch.zeros(0, 2),
           "s": torch.tensor(7, dtype=torch.int32), "nested": [torch.arange(4), torch.tensor([9], dtype=torch.uint8)],
           "d": torch.randn(2, dtype=torch.float64)}
    torch.save(obj, path)
    got = st.load_file(str(path))
    assert sorted(got) == ["d", "e", "flags", "nested.0", "nested.1", "s", "w"]
    assert np.array_equal(got["w"], obj["w"].numpy()) and got["flags"].dtype == np.bool_ and got["s"].shape == ()
    assert np.array_equal(got["nested.1"], [9]) and got["e"].shape == (0, 2)
    sd = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).state_dict()
    torch.save(sd, path)
    got = st.load_file(str(path))
    assert list(got) == list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(np.array_equal(got[k], v.numpy()) for k, v in sd.items())


# ------------------------------------------------------------------ BOOL bytes
def test_bool_bytes_other_than_0_and_1_are_rejected(tmp_path):
    p = _craft(tmp_path, {"m": {"dtype": "BOOL", "shape": [4], "data_offsets": [0, 4]}}, b"\x00\x01\x02\x01")
    with pytest.raises(CheckpointError, match="BOOL data holds byte 2 at element 2"):
        torch.load(p)
    # ... also in a file of ours whose checksum is right (a crafted file)
    path = tmp_path / "b.safetensors"
    torch.save({"m": torch.tensor([True, False, True])}, path)
    data = bytearray(path.read_bytes())
    data[-1] = 0xFF
    with pytest.raises(CheckpointError, match="BOOL data holds byte 255"):
        torch.load(io.BytesIO(_reseal(bytes(data))))
    ok = _craft(tmp_path, {"m": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x00")
    assert torch.load(ok)["m"].tolist() == [True, False]


def test_crafted_structures_raise_checkpoint_error_only(tmp_path):
    """Values of the wrong JSON type (lists where strings belong) raise CheckpointError, not TypeError."""
    cases = [
        ({"t": {"dtype": ["F32"], "shape": [1], "data_offsets": [0, 4]}}, "unknown dtype"),
        ({"t0": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
          "__metadata__": {"format": "tinygrad_ext", "version": "1", "structure": '{"T": ["t0"]}'}}, "missing"),
        ({"__metadata__": {"format": "tinygrad_ext", "version": "1", "structure": '{"dtype": ["x"]}'}}, "dtype"),
        ({"t0": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
          "__metadata__": {"format": "tinygrad_ext", "version": "1", "structure": '{"T": "t0", "dev": "nope:x"}'}},
         "invalid device"),
        ({"__metadata__": {"format": "tinygrad_ext", "version": "1", "structure": '{"Sx": "zz"}'}}, "invalid str"),
        ({"__metadata__": {"format": "tinygrad_ext", "version": "2", "structure": '{"N": null}'}}, "checksum"),
    ]
    for header, reason in cases:
        with pytest.raises(CheckpointError, match=reason):
            torch.load(_craft(tmp_path, header, b"\0" * 4))


@FORMATS
def test_strings_with_surrogates_and_shared_tensors_round_trip(tmp_path, fmt):
    # a high and a low surrogate that are two code points (JSON would merge them into one character)
    keys = ["\ud83d\ude00", "\ud800", "a\udfffb", "\U0001f600", "\x00\"\\", ""]
    obj = {k: k for k in keys}
    p = nn.Parameter(torch.randn(2))
    x = torch.randn(3, requires_grad=True)
    obj["shared"] = [p, p, x, x]
    path = tmp_path / "s.pt"
    torch.save(obj, path, format=fmt)
    back = torch.load(path)
    assert list(back)[:len(keys)] == keys and all(back[k] == k for k in keys)
    a, b, c, d = back["shared"]
    assert a is b and c is d and isinstance(a, nn.Parameter) and c.requires_grad  # as pickle's memo gives torch


# ------------------------------------------------------------------ saving like torch.save
def _no_temporaries(directory, *names):
    assert sorted(os.listdir(directory)) == sorted(names)


def test_saved_file_mode_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        torch.save(torch.ones(1), tmp_path / "a.pt")
        assert stat.S_IMODE(os.stat(tmp_path / "a.pt").st_mode) == 0o644
        os.umask(0o077)
        torch.save(torch.ones(1), tmp_path / "b.pt")
        assert stat.S_IMODE(os.stat(tmp_path / "b.pt").st_mode) == 0o600
        os.umask(0o022)
        os.chmod(tmp_path / "b.pt", 0o640)  # an existing file keeps its mode, as open(path, "wb") keeps it
        torch.save(torch.zeros(1), tmp_path / "b.pt")
        assert stat.S_IMODE(os.stat(tmp_path / "b.pt").st_mode) == 0o640
        assert torch.load(tmp_path / "b.pt").tolist() == [0.0]
    finally:
        os.umask(old)
    _no_temporaries(tmp_path, "a.pt", "b.pt")


def test_read_only_target_raises_permission_error(tmp_path, monkeypatch):
    path = tmp_path / "ro.pt"
    torch.save(torch.ones(2), path)
    good = path.read_bytes()
    os.chmod(path, 0o444)
    if os.geteuid() == 0:  # root may write anything: emulate an ordinary user's access check
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if mode & os.W_OK and
                            os.fspath(p) == str(path) else real_access(p, mode, **kw))
    with pytest.raises(PermissionError) as e:
        torch.save(torch.zeros(5), path)
    assert e.value.filename == str(path) and e.value.errno == errno.EACCES and str(path) in str(e.value)
    assert path.read_bytes() == good
    _no_temporaries(tmp_path, "ro.pt")


def test_missing_parent_directory_raises_like_torch(tmp_path):
    target = tmp_path / "nodir" / "x.pt"
    with pytest.raises(RuntimeError, match=r"^Parent directory " + str(tmp_path / "nodir") + r" does not exist\.$"):
        torch.save(torch.ones(1), target)
    (tmp_path / "afile").write_bytes(b"")
    with pytest.raises(RuntimeError, match="Parent directory .*afile does not exist"):
        torch.save(torch.ones(1), tmp_path / "afile" / "x.pt")
    with pytest.raises(IsADirectoryError):
        torch.save(torch.ones(1), tmp_path)


def test_save_errors_name_the_target(tmp_path, monkeypatch):
    path = tmp_path / "full.pt"

    def enospc(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "write", enospc)
    with pytest.raises(OSError) as e:
        torch.save(torch.ones(100), path)
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(path) and ".tmp" not in str(e.value)
    monkeypatch.undo()
    real_replace = os.replace

    def replace_fails(src, dst, **kw):
        raise PermissionError(errno.EACCES, "Permission denied", src, dst)
    monkeypatch.setattr(os, "replace", replace_fails)
    with pytest.raises(PermissionError) as e:
        torch.save(torch.ones(100), path)
    assert e.value.filename == str(path) and e.value.filename2 is None
    monkeypatch.setattr(os, "replace", real_replace)
    _no_temporaries(tmp_path)


@pytest.mark.parametrize("no_tmpfile,no_link,no_dir_fd", [(False, False, False), (True, False, False),
                                                          (False, True, False), (True, True, True)])
def test_named_temporary_file_fallback(tmp_path, monkeypatch, no_tmpfile, no_link, no_dir_fd):
    """Without O_TMPFILE (other systems, some file systems), without /proc to link it in, or without the *at()
    calls (Windows), a hidden named temporary file beside the target is used; the result is the same."""
    from tinygrad_ext import serialization
    if no_dir_fd:
        monkeypatch.setattr(os, "supports_dir_fd", set())
    if no_tmpfile:
        monkeypatch.setattr(serialization, "_open_tmpfile", lambda directory: None)
    if no_link:
        monkeypatch.setattr(serialization, "_link_temp", lambda fd, dfd, base: None)
    old = os.umask(0o022)
    try:
        torch.save({"a": torch.arange(5)}, tmp_path / "f.pt")
        os.chmod(tmp_path / "f.pt", 0o600)
        torch.save({"a": torch.arange(2)}, tmp_path / "f.pt")  # over an existing file: its mode is kept
    finally:
        os.umask(old)
    assert torch.load(tmp_path / "f.pt")["a"].tolist() == [0, 1]
    assert stat.S_IMODE(os.stat(tmp_path / "f.pt").st_mode) == 0o600
    torch.save({"a": torch.arange(5)}, tmp_path / "g.pt")
    assert stat.S_IMODE(os.stat(tmp_path / "g.pt").st_mode) == 0o666 & ~old
    _no_temporaries(tmp_path, "f.pt", "g.pt")


def test_symlink_and_fifo_targets_are_written_through(tmp_path):
    real = tmp_path / "epoch3.pt"
    torch.save(torch.ones(1), real)
    link = tmp_path / "latest.pt"
    link.symlink_to("epoch3.pt")
    torch.save(torch.zeros(2), link)
    assert link.is_symlink() and torch.load(real).tolist() == [0.0, 0.0]
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []

    def read_fifo():
        with open(fifo, "rb") as fh:
            got.append(fh.read())
    reader = threading.Thread(target=read_fifo)
    reader.start()
    torch.save(torch.arange(3), fifo)
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and torch.load(io.BytesIO(got[0])).tolist() == [0, 1, 2]
    _no_temporaries(tmp_path, "epoch3.pt", "latest.pt", "pipe")


_KILLED_SAVE = """
import os, sys, time
import tinygrad_ext as torch
real_fsync = os.fsync
def slow_fsync(fd):
    print("written", flush=True)  # all the data is in the temporary file now
    time.sleep(60)
os.fsync = slow_fsync
torch.save({"big": torch.zeros(1 << 20)}, sys.argv[1])
"""


def test_kill_mid_save_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"v": torch.ones(3)}, path)
    good = path.read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, str(path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"written\n"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc.stdout.close()
    assert path.read_bytes() == good
    _no_temporaries(tmp_path, "model.pt")
