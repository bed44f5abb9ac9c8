"""torch.utils.tensorboard.SummaryWriter: scalars, scalar groups, histograms, text and hparams written with
tensorboard's own event-file writer, read back with its EventAccumulator (skipped without tensorboard); the
import fails as torch's when tensorboard is missing or older than 1.15."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_ext as torch

try:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    from tinygrad_ext.utils.tensorboard import SummaryWriter
except ImportError:
    SummaryWriter = None

try:
    import torch as real_torch
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
except ImportError:
    real_torch = None

needs_tensorboard = pytest.mark.skipif(SummaryWriter is None, reason="tensorboard is not installed")


def _read(path):
    ea = EventAccumulator(str(path), size_guidance={"histograms": 0, "scalars": 0, "tensors": 0})
    ea.Reload()
    return ea


@needs_tensorboard
def test_scalars_text_and_file_suffix(tmp_path):
    with SummaryWriter(tmp_path, filename_suffix=".run1") as w:
        assert w.get_logdir() == tmp_path
        for i in range(3):
            w.add_scalar("loss", torch.tensor(1.0 / (i + 1)), i)
            w.add_scalar("lr", 0.1 * i, global_step=i, walltime=1000.0 + i)
        w.add_scalar("arr", np.array([[2.5]]), 7)
        w.add_text("note", "hello **world**", 0)
    ea = _read(tmp_path)
    assert [(e.step, round(e.value, 6)) for e in ea.Scalars("loss")] == [(0, 1.0), (1, 0.5), (2, 0.333333)]
    assert [(e.step, e.wall_time) for e in ea.Scalars("lr")] == [(0, 1000.0), (1, 1001.0), (2, 1002.0)]
    assert ea.Scalars("arr")[0].value == 2.5
    assert ea.Tensors("note/text_summary")[0].tensor_proto.string_val == [b"hello **world**"]
    files = os.listdir(tmp_path)
    assert len(files) == 1 and files[0].startswith("events.out.tfevents.") and files[0].endswith(".run1")


@needs_tensorboard
def test_add_scalars_writes_one_run_per_key(tmp_path):
    w = SummaryWriter(str(tmp_path))
    w.add_scalars("run/x", {"a": 1.0, "b": torch.tensor(2.0)}, 0)
    w.add_scalars("run/x", {"a": 3.0, "b": 4.0}, 1)
    w.close()
    assert sorted(d for d in os.listdir(tmp_path) if os.path.isdir(tmp_path / d)) == ["run_x_a", "run_x_b"]
    assert [e.value for e in _read(tmp_path / "run_x_a").Scalars("run/x")] == [1.0, 3.0]
    assert [e.value for e in _read(tmp_path / "run_x_b").Scalars("run/x")] == [2.0, 4.0]


def _numpy_histogram(values, edges):
    counts, _ = np.histogram(values, bins=edges)
    return counts


@needs_tensorboard
def test_histograms_match_numpys_counts(tmp_path):
    torch.manual_seed(0)
    x = torch.randn(1000)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("w", x, 0)
        w.add_histogram("eq", np.arange(10.0), 1, bins=4)
        w.add_histogram("edges", torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0]), 2, bins=[0.0, 1.0, 2.0])
        w.add_histogram("zeros", torch.zeros(5), 3)
    ea = _read(tmp_path)
    h = ea.Histograms("w")[0].histogram_value
    ref = x.double().numpy()
    assert (h.min, h.max, h.num) == (ref.min(), ref.max(), 1000)
    assert h.sum == pytest.approx(ref.sum()) and h.sum_squares == pytest.approx(ref @ ref)
    assert sum(h.bucket) == 1000 and len(h.bucket) == len(h.bucket_limit)
    inner = _numpy_histogram(ref, h.bucket_limit)  # (the first bucket is the empty one below the range)
    assert list(h.bucket[1:]) == inner.tolist()
    eq = ea.Histograms("eq")[0].histogram_value
    assert list(eq.bucket_limit) == [0.0, 2.25, 4.5, 6.75, 9.0] and list(eq.bucket) == [0, 3, 2, 2, 3]
    assert list(ea.Histograms("edges")[0].histogram_value.bucket) == [0, 2, 3]
    z = ea.Histograms("zeros")[0].histogram_value
    assert list(z.bucket_limit) == [0.0, 1e-12] and list(z.bucket) == [0, 5]


@needs_tensorboard
def test_hparams_run(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "bs": 32, "opt": "sgd", "flag": True, "t": torch.tensor(2.0)},
                      {"hp/acc": 0.9}, run_name="r")
    ea = _read(tmp_path / "r")
    assert [round(e.value, 6) for e in ea.Scalars("hp/acc")] == [0.9]
    content = ea.PluginTagToContent("hparams")
    assert set(content) == {"_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"}

    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
    assert start.hparams["lr"].number_value == 0.1 and start.hparams["opt"].string_value == "sgd"
    assert start.hparams["flag"].bool_value is True and start.hparams["t"].number_value == 2.0


@needs_tensorboard
def test_default_log_dir_and_purge_step(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_exp", purge_step=5)
    w.add_scalar("a", 1.0, 5)
    w.close()
    assert w.get_logdir().startswith("runs" + os.sep) and w.get_logdir().endswith("_exp")
    assert os.path.isdir(w.get_logdir())
    assert [e.step for e in _read(w.get_logdir()).Scalars("a")] == [5]


@needs_tensorboard
def test_bad_inputs_raise_torchs_errors(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(AssertionError, match="Tensor should contain one element .0 dimensions."):
            w.add_scalar("a", torch.ones(2), 0)
        with pytest.raises(ValueError, match="could not convert string to float: 'abc'"):
            w.add_scalar("a", "abc", 0)
        with pytest.raises(NotImplementedError, match="Got <class 'list'>, but numpy array or torch tensor"):
            w.add_histogram("h", [1, 2], 0)
        with pytest.raises(ValueError, match="The input has no element."):
            w.add_histogram("h", torch.ones(0), 0)
        with pytest.raises(TypeError, match="hparam_dict and metric_dict should be dictionary."):
            w.add_hparams([], {})
        with pytest.raises(ValueError, match="value should be one of int, float, str, bool, or torch.Tensor"):
            w.add_hparams({"a": [1]}, {"m": 1})


@needs_tensorboard
@pytest.mark.skipif(real_torch is None, reason="compares with torch's SummaryWriter")
def test_same_events_as_torchs(tmp_path):
    real_torch.manual_seed(0)
    data = real_torch.randn(500).numpy()
    for name, writer, cast in (("ours", SummaryWriter, torch.from_numpy),
                               ("torch", TorchWriter, real_torch.from_numpy)):
        with writer(tmp_path / name) as w:
            w.add_scalar("s", cast(data[:1].copy()).sum(), 3)
            w.add_histogram("h", cast(data.copy()), 0)
            w.add_histogram("h2", cast(data.copy()), 0, max_bins=9)
            w.add_histogram("h3", cast(data.copy()), 0, bins=7)
    ours, theirs = _read(tmp_path / "ours"), _read(tmp_path / "torch")
    assert ours.Scalars("s")[0].value == theirs.Scalars("s")[0].value
    for tag in ("h", "h2", "h3"):
        a, b = ours.Histograms(tag)[0].histogram_value, theirs.Histograms(tag)[0].histogram_value
        assert list(a.bucket) == list(b.bucket) and list(a.bucket_limit) == pytest.approx(list(b.bucket_limit))
        assert (a.min, a.max, a.num) == (b.min, b.max, b.num) and a.sum == pytest.approx(b.sum)


@needs_tensorboard
def test_images_decode_to_the_scaled_pixels(tmp_path):
    PIL = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    a = rng.random((3, 5, 7)).astype(np.float32)
    batch = rng.random((10, 1, 4, 3)).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", torch.from_numpy(a), 0)
        w.add_image("hw", torch.from_numpy(a[0].copy()), 0, dataformats="HW")
        w.add_image("u8", torch.from_numpy((a * 255).astype(np.uint8)), 0)
        w.add_images("batch", torch.from_numpy(batch), 0)
        with pytest.raises(AssertionError, match="You can not use the same dimension shorthand twice"):
            w.add_image("bad", torch.ones(2, 3, 4), 0, dataformats="CCW")
        with pytest.raises(AssertionError, match="Input should be a 4D numpy array with 3 channels"):
            w.add_images("bad", torch.ones(2, 2, 3, 3), 0)
    ea = _read(tmp_path)

    def pixels(tag):
        im = ea.Images(tag)[0]
        return np.asarray(PIL.open(io.BytesIO(im.encoded_image_string))), (im.height, im.width)

    expected = (a.transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8)
    assert pixels("chw")[1] == (5, 7) and (pixels("chw")[0] == expected).all()
    assert (pixels("u8")[0] == expected).all()
    assert (pixels("hw")[0] == np.stack([expected[..., 0]] * 3, 2)).all()
    grid, size = pixels("batch")
    assert size == (8, 24) and (grid[4:, 3:6, 1] == (batch[9, 0] * 255).astype(np.uint8)).all()
    assert (grid[4:, 6:] == 0).all()


def _import_error(fake_tensorboard):
    code = ("import sys, types\n"
            f"sys.modules['tensorboard'] = {fake_tensorboard}\n"
            "try:\n"
            "    import tinygrad_ext.utils.tensorboard\n"
            "except ImportError as e:\n"
            "    print(type(e).__name__, e)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return run.stdout + run.stderr


def test_import_needs_tensorboard_1_15():
    assert _import_error("types.SimpleNamespace(__version__='1.14.0')") == (
        "ImportError TensorBoard logging requires TensorBoard version 1.15 or above\n")
    assert _import_error("None").startswith("ModuleNotFoundError import of tensorboard halted")
