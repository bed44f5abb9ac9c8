"""torch.save / torch.load: round trips of tensors, state dicts and optimizer state; the safetensors-like
layout; atomic writes; and truncated, corrupt, crafted and pickle files (RELIABILITY.md rows 63-67)."""
import io
import json
import os
import pickle
import struct
from collections import OrderedDict

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn, optim
from tinygrad_ext.serialization import CheckpointError


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


def test_round_trip_tensors_and_structures(tmp_path):
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
    torch.save(obj, path)
    back = torch.load(path)
    same(back, obj)
    assert isinstance(back["nested"][5], tuple) and back[7] == "int key"
    # writable, independent copies
    back["f32"].add_(1)
    assert t[0, 0].item() == 0
    single = tmp_path / "t.pt"
    torch.save(t, single)
    same(torch.load(single), t)
    buf = io.BytesIO()
    torch.save([t, t], buf)
    buf.seek(0)
    a, b = torch.load(buf)
    same(a, t)
    a.add_(1)
    assert b[0, 0].item() == 1  # the same tensor saved twice comes back as one tensor


def test_parameters_requires_grad_and_map_location(tmp_path):
    p = nn.Parameter(torch.randn(2, 2))
    x = torch.randn(3, requires_grad=True)
    path = tmp_path / "p.pt"
    torch.save({"p": p, "x": x, "dtype": torch.float64, "dev": torch.device("cpu")}, path)
    back = torch.load(path, map_location="cpu")
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad and back["x"].requires_grad
    assert back["dtype"] is torch.float64 and back["dev"] == torch.device("cpu")
    assert torch.load(path, map_location=torch.device("cpu"))["x"].device == torch.device("cpu")
    assert torch.load(path, map_location={"cpu": "cpu"}, weights_only=True)["x"].device.type == "cpu"
    with pytest.raises(TypeError, match="cannot save an object of type object"):
        torch.save({"bad": object()}, tmp_path / "bad.pt")
    assert not (tmp_path / "bad.pt").exists()


def test_model_and_optimizer_checkpoint_resume(tmp_path):
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
               path)
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
    assert header["t0"] == {"dtype": "F32", "shape": [1, 2], "data_offsets": [0, 8]}
    assert header["t1"] == {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]}
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
    torch.save({"w": torch.randn(4, 4), "b": torch.randn(4)}, path)
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
    ({"t": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4, "unknown dtype"),
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
    marker = tmp_path / "pwned"
    p = _write(tmp_path, "evil.pt", pickle.dumps({"state": _Evil(str(marker))}))
    with pytest.raises(CheckpointError, match="never unpickles"):
        torch.load(p)
    assert not marker.exists()
    p = _write(tmp_path, "evil.zip", b"PK\x03\x04" + b"\0" * 40)
    with pytest.raises(CheckpointError, match="zip/pickle"):
        torch.load(p)


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
