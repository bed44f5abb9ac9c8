"""torch.save of whole objects (modules, optimizers, the user's classes, numpy arrays) and torch.load's
weights_only: True (the default) refuses them with torch's WeightsUnpicklingError unless add_safe_globals allows
them; False unpickles them (tensors rebuilt from their storages: shared storages stay shared, views keep their
geometry, Parameters and requires_grad kept, map_location honoured). With real PyTorch importable
(bench-venv/bin/python), torch loads our weights-only files, our pickle is byte for byte torch's, and torch's whole
model and torch's message are compared.
"""
import collections
import dataclasses
import io
import pickle
import zipfile

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn
from tinygrad_ext._torch_format import _as_type
from tinygrad_ext.serialization import CheckpointError, WeightsUnpicklingError

try:
    import torch as real
except ImportError:  # the normal suite: the PyTorch comparisons are skipped
    real = None
needs_torch = pytest.mark.skipif(real is None, reason="needs PyTorch (run with bench-venv/bin/python)")
ZIP_AND_LEGACY = pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])


@dataclasses.dataclass
class Config:
    lr: float = 0.1
    layers: tuple = (4, 3)
    name: str = "run"


class Tagged(torch.Tensor):
    pass


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU())
        self.head = nn.Linear(8, 3)
        self.register_buffer("scale", torch.tensor([2.0, 3.0, 4.0]))
        self.config = Config()

    def forward(self, x):
        return self.head(self.body(x)) * self.scale


@pytest.fixture(autouse=True)
def no_safe_globals():
    torch.serialization.clear_safe_globals()
    yield
    torch.serialization.clear_safe_globals()


def saved(obj, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    return buf.getvalue()


def load(data, **kw):
    return torch.load(io.BytesIO(data), **kw)


def numpy_of(t):
    return t.detach().numpy().copy()


@ZIP_AND_LEGACY
def test_whole_model_round_trip(tmp_path, zipped):
    torch.manual_seed(0)
    model = Net()
    model(torch.randn(6, 4))  # BatchNorm's running statistics move
    model.eval()
    model.body[2].train()  # a submodule's own training flag
    path = tmp_path / "m.pth"
    torch.save(model, path, _use_new_zipfile_serialization=zipped)
    back = torch.load(path, weights_only=False)
    assert type(back) is Net and back is not model and back.config == Config()
    x = torch.randn(5, 4)
    np.testing.assert_array_equal(numpy_of(back(x)), numpy_of(model(x)))
    assert not back.training and not back.body[1].training and back.body[2].training
    params = dict(back.named_parameters())
    assert list(params) == [n for n, _ in model.named_parameters()]
    for name, p in params.items():
        assert type(p) is nn.Parameter and p.requires_grad and p.is_leaf, name
        np.testing.assert_array_equal(numpy_of(p), numpy_of(dict(model.named_parameters())[name]))
    for name, b in model.named_buffers():
        np.testing.assert_array_equal(numpy_of(dict(back.named_buffers())[name]), numpy_of(b))
    assert back.body[1].num_batches_tracked.item() == 1
    back.head.weight.data.add_(1)  # its own storage, not the saved model's
    assert not np.array_equal(numpy_of(back.head.weight), numpy_of(model.head.weight))
    loss = back(x).sum()
    loss.backward()
    assert back.head.weight.grad.shape == (3, 8)


@ZIP_AND_LEGACY
def test_a_module_is_refused_by_weights_only_load_with_torchs_message(zipped):
    data = saved(nn.Sequential(nn.Linear(2, 3)), _use_new_zipfile_serialization=zipped)
    for kw in ({}, {"weights_only": True}):  # (weights_only=True is the default, as torch 2.6+)
        with pytest.raises(WeightsUnpicklingError) as e:
            load(data, **kw)
    message = str(e.value)
    assert isinstance(e.value, pickle.UnpicklingError) and isinstance(e.value, CheckpointError)
    assert "Weights only load failed. This file can still be loaded, to do so you have two options" in message
    assert "Re-running `torch.load` with `weights_only` set to `False` will likely succeed" in message
    assert ("WeightsUnpickler error: Unsupported global: GLOBAL tinygrad_ext.nn.modules.container.Sequential was "
            "not an allowed global by default. Please use `torch.serialization.add_safe_globals("
            "[tinygrad_ext.nn.modules.container.Sequential])`") in message
    assert message.endswith("https://pytorch.org/docs/stable/generated/torch.load.html.")


def test_optimizer_saved_whole_continues_identically():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = torch.randn(8, 3), torch.randn(8, 1)

    def step(m, o):
        o.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        o.step()
        return loss.item()

    for _ in range(3):
        step(model, opt)
    back = load(saved({"model": model, "opt": opt, "epoch": 3}), weights_only=False)
    model2, opt2 = back["model"], back["opt"]
    assert type(opt2) is torch.optim.Adam and back["epoch"] == 3
    assert all(a is b for a, b in zip(opt2.param_groups[0]["params"], model2.parameters()))  # one object each
    assert opt2.state_dict()["state"][0]["step"] == opt.state_dict()["state"][0]["step"]
    for _ in range(3):
        assert step(model2, opt2) == step(model, opt)
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(numpy_of(a), numpy_of(b))


def test_checkpoint_dict_with_numpy_arrays_and_a_dataclass():
    ckpt = {"arr": np.arange(6, dtype=np.int32).reshape(2, 3), "cfg": Config(lr=0.5), "w": torch.ones(2),
            "np_scalar": np.float32(1.5)}
    data = saved(ckpt)
    back = load(data, weights_only=False)
    assert back["arr"].dtype == np.int32 and back["arr"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["cfg"] == Config(lr=0.5) and back["w"].tolist() == [1, 1] and back["np_scalar"] == np.float32(1.5)
    with pytest.raises(WeightsUnpicklingError, match="Unsupported global: GLOBAL numpy"):
        load(data)
    with pytest.raises(WeightsUnpicklingError, match=f"Unsupported global: GLOBAL {Config.__module__}.Config was not"):
        load(saved({"cfg": Config()}))


def test_add_safe_globals_allows_a_class_for_weights_only_load():
    data = saved({"cfg": Config(lr=0.25, layers=(1, 2)), "w": torch.ones(1)})
    name = f"{Config.__module__}.Config"
    with torch.serialization.safe_globals([Config]):
        assert torch.serialization.get_safe_globals() == [Config]
        back = load(data)
        assert back["cfg"] == Config(lr=0.25, layers=(1, 2)) and back["w"].tolist() == [1]
    assert torch.serialization.get_safe_globals() == []
    with pytest.raises(WeightsUnpicklingError, match=f"GLOBAL {name}"):
        load(data)
    torch.serialization.add_safe_globals([(Config, name)])  # torch's (object, "its name") form
    assert load(data)["cfg"].lr == 0.25
    legacy = saved({"cfg": Config(lr=0.75), "d": collections.defaultdict(list, a=[1])},
                   _use_new_zipfile_serialization=False)
    torch.serialization.add_safe_globals([collections.defaultdict, list])
    back = load(legacy)  # (its first pass, which finds the storages, calls none of them)
    assert back["cfg"].lr == 0.75 and back["d"] == {"a": [1]} and back["d"].default_factory is list
    torch.serialization.clear_safe_globals()
    assert torch.serialization.get_safe_globals() == []
    with pytest.raises(TypeError, match="must be a list"):
        torch.serialization.add_safe_globals(Config)
    arr = np.arange(4.0)
    reconstruct = arr.__reduce__()[0]  # numpy's own names (numpy._core or numpy.core)
    torch.serialization.add_safe_globals([reconstruct, np.ndarray, np.dtype, type(arr.dtype)])
    assert load(saved({"a": arr}))["a"].tolist() == [0, 1, 2, 3]


def test_weights_only_environment_variables(monkeypatch):
    data = saved({"cfg": Config()})
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")  # the default becomes False
    assert load(data)["cfg"] == Config()
    with pytest.raises(WeightsUnpicklingError):
        load(data, weights_only=True)
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "true")  # True, whatever the call says
    with pytest.raises(WeightsUnpicklingError):
        load(data, weights_only=False)


def test_get_unsafe_globals_in_checkpoint(tmp_path):
    path = tmp_path / "c.pt"
    torch.save({"m": nn.Sequential(nn.Linear(2, 2)), "cfg": Config(), "counts": collections.defaultdict(int),
                "w": torch.ones(2), "sd": nn.Linear(1, 1).state_dict()}, path)
    names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    assert sorted(names) == sorted(["tinygrad_ext.nn.modules.container.Sequential",
                                    "tinygrad_ext.nn.modules.linear.Linear", f"{Config.__module__}.Config",
                                    "collections.defaultdict", "builtins.int"])
    with open(path, "rb") as fh:  # a file object too
        assert torch.serialization.get_unsafe_globals_in_checkpoint(fh) == names
    torch.serialization.add_safe_globals([Config])
    assert f"{Config.__module__}.Config" not in torch.serialization.get_unsafe_globals_in_checkpoint(path)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(saved({"w": torch.ones(1)}))) == []
    with pytest.raises(ValueError, match="Expected input to be a checkpoint returned by torch.save"):
        torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(saved({"w": torch.ones(1)},
                                                                              _use_new_zipfile_serialization=False)))


def test_an_allowed_class_is_not_a_way_to_run_other_code(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    data = pickle.dumps({"cfg": Config(), "evil": Evil()}, protocol=2)
    torch.serialization.add_safe_globals([Config])
    with pytest.raises(WeightsUnpicklingError, match="GLOBAL io.open"):
        load(data)
    assert not marker.exists()


def test_shared_storages_views_and_parameters_in_objects():
    base = torch.arange(12.0).reshape(3, 4)
    holder = Config(name="views")
    holder.layers = (base, base[1:, 2:], base.t(), nn.Parameter(torch.ones(2)), torch.zeros(2, requires_grad=True))
    back = load(saved(holder), weights_only=False)
    t, view, tr, p, rg = back.layers
    assert view.storage_offset() == 6 and view.stride() == (4, 1) and tr.stride() == (1, 4)
    np.testing.assert_array_equal(numpy_of(view), numpy_of(base[1:, 2:]))
    t[1, 2] = 100.0  # one storage again
    assert view[0, 0].item() == 100 and tr[2, 1].item() == 100
    assert type(p) is nn.Parameter and p.requires_grad and rg.requires_grad and type(rg) is torch.Tensor


def test_tensor_attributes_and_subclasses_round_trip():
    t = torch.ones(2)
    t.note = "kept"
    data = saved({"t": t})
    assert load(data)["t"].note == "kept" and load(data, weights_only=False)["t"].note == "kept"
    tagged = _as_type(torch.ones(3), Tagged)
    back = load(saved({"x": tagged}), weights_only=False)["x"]
    assert type(back) is Tagged and back.tolist() == [1, 1, 1]
    with pytest.raises(WeightsUnpicklingError, match=f"Unsupported global: GLOBAL {Tagged.__module__}.Tagged"):
        load(saved({"x": tagged}))  # weights_only: a subclass only where add_safe_globals allows it
    torch.serialization.add_safe_globals([Tagged])
    assert type(load(saved({"x": tagged}))["x"]) is Tagged


def test_map_location_with_weights_only_false():
    data = saved({"m": nn.Linear(2, 2), "t": torch.ones(3)})
    seen = []
    back = load(data, weights_only=False, map_location=lambda storage, loc: seen.append(loc) or storage)
    assert set(seen) == {"cpu"} and back["m"].weight.device.type == "cpu"
    assert load(data, weights_only=False, map_location="cpu")["t"].device == torch.device("cpu")
    assert load(data, weights_only=False, map_location={"cpu": "cpu"})["t"].tolist() == [1, 1, 1]
    with pytest.raises(CheckpointError, match="'tpu:0', a device tinygrad_ext does not have"):
        _bad_location(data)


def _bad_location(data):
    """The checkpoint with its storage location renamed 'tpu:0' (record and CRC rewritten)."""
    z = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        for info in z.infolist():
            rec = z.read(info.filename)
            if info.filename.endswith("data.pkl"):
                rec = rec.replace(b"X\x03\x00\x00\x00cpu", b"X\x05\x00\x00\x00tpu:0")
            w.writestr(info.filename, rec)
    return load(out.getvalue(), weights_only=False)


def test_safetensors_keeps_refusing_objects_and_pickle_errors_are_torchs():
    with pytest.raises(TypeError, match="cannot save an object of type Sequential in the safetensors format"):
        saved(nn.Sequential(nn.ReLU()), format="safetensors")

    class Local:
        pass

    for bad in (lambda: 0, Local()):
        with pytest.raises(pickle.PicklingError, match="cannot save an object of type") as e:
            saved({"bad": bad})
        assert isinstance(e.value, TypeError)
    assert torch.load(io.BytesIO(saved(nn.ReLU())), weights_only=False).__class__ is nn.ReLU


@pytest.mark.parametrize("weights_only", [True, False])
def test_bad_and_truncated_files_raise_checkpoint_error(weights_only):
    data = saved(Net())
    for cut in (len(data) // 2, len(data) - 30, 100):
        with pytest.raises(CheckpointError):
            load(data[:cut], weights_only=weights_only)
    legacy = saved(Net(), _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError):
        load(legacy[:len(legacy) // 3], weights_only=weights_only)
    z = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:  # a valid archive whose pickle is cut short
        for info in z.infolist():
            rec = z.read(info.filename)
            w.writestr(info.filename, rec[:len(rec) // 2] if info.filename.endswith("data.pkl") else rec)
    with pytest.raises(CheckpointError, match="pickle|truncated"):
        load(out.getvalue(), weights_only=weights_only)


# ------------------------------------------------------------------ against real PyTorch
@needs_torch
def test_real_torch_loads_our_weights_only_files_and_our_pickle_is_torchs(tmp_path):
    def sample(lib):
        x = lib.arange(6.0).reshape(2, 3)
        return {"x": x, "v": x[1], "p": lib.nn.Parameter(lib.ones(2)), "g": lib.ones(1, requires_grad=True),
                "s": lib.Size([2, 3]), "d": lib.float64, "n": [1, 2.5, None, True, "txt", b"by"], "set": {3}}

    for zipped in (True, False):
        torch.save(sample(torch), tmp_path / "ours.pt", _use_new_zipfile_serialization=zipped)
        theirs = real.load(tmp_path / "ours.pt", weights_only=True)
        assert theirs["x"].tolist() == [[0, 1, 2], [3, 4, 5]] and theirs["v"].storage_offset() == 3
        assert isinstance(theirs["p"], real.nn.Parameter) and theirs["g"].requires_grad
        assert theirs["s"] == real.Size([2, 3]) and theirs["d"] is real.float64 and theirs["set"] == {3}
        assert theirs["n"] == [1, 2.5, None, True, "txt", b"by"]
    ours, torchs = io.BytesIO(), io.BytesIO()
    sd = {"w": torch.arange(4.0), "b": torch.ones(2, dtype=torch.int64), "steps": 3}
    torch.save(sd, ours)
    real.save({"w": real.arange(4.0), "b": real.ones(2, dtype=real.int64), "steps": 3}, torchs)
    pkl = [zipfile.ZipFile(io.BytesIO(b.getvalue())).read("archive/data.pkl") for b in (ours, torchs)]
    assert pkl[0] == pkl[1]


@needs_torch
def test_torchs_whole_model_and_torchs_message(tmp_path):
    torch_model = real.nn.Sequential(real.nn.Linear(3, 2), real.nn.Tanh())
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    for zipped in (False, True):  # (the legacy stream names each module class with its source: a persistent id)
        real.save(torch_model, tmp_path / "t.pth", _use_new_zipfile_serialization=zipped)
        ours = torch.load(tmp_path / "t.pth", weights_only=False)  # torch's classes read as ours
        assert type(ours) is nn.Sequential and type(ours[0].weight) is nn.Parameter and ours[0].weight.requires_grad
        np.testing.assert_allclose(numpy_of(ours(torch.from_numpy(x))),
                                   torch_model(real.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-6)
    real.save({"a": np.arange(3), "m": torch_model, "w": real.ones(1)}, tmp_path / "mixed.pt")
    assert sorted(torch.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "mixed.pt")) == \
        sorted(real.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "mixed.pt"))
    t = torch.ones(2)
    t.note = "kept"  # torch's _rebuild_from_type_v2 with the attributes
    torch.save({"t": t}, tmp_path / "attr.pt")
    assert real.load(tmp_path / "attr.pt", weights_only=True)["t"].note == "kept"
    with pytest.raises(pickle.UnpicklingError) as theirs:
        real.load(tmp_path / "t.pth")
    torch.save(nn.Sequential(nn.Linear(3, 2), nn.Tanh()), tmp_path / "o.pth")
    with pytest.raises(WeightsUnpicklingError) as mine:
        torch.load(tmp_path / "o.pth")
    expected = str(theirs.value).replace("torch.nn.modules", "tinygrad_ext.nn.modules")
    assert str(mine.value) == expected  # torch's message; the file is named on the exception
    assert str(mine.value.path) == str(tmp_path / "o.pth")
