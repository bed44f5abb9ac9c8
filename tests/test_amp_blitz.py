"""The blitz classifier (examples/cifar10_tutorial.py) trains under autocast to the accuracy of float32 (issue 15):
on the CPU, bfloat16 autocast on a digits subset; on a GPU (marked cuda), float16 autocast with a GradScaler."""
import importlib.util
import os

import pytest

pytest.importorskip("sklearn")

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "cifar10_tutorial.py")
ARGS = ["--subset", "1500", "--epochs", "3", "--seed", "3", "--no-progress", "--num-workers", "0"]


def _train(tmp_path, device, amp):
    spec = importlib.util.spec_from_file_location("cifar10_tutorial", SCRIPT)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = str(tmp_path / ("amp" if amp else "fp32"))
    return example.main(ARGS + ["--device", device, "--out", out] + (["--amp"] if amp else []))


@pytest.mark.slow
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_autocast_training_reaches_the_float32_accuracy(tmp_path, device):
    full = _train(tmp_path, device, amp=False)
    mixed = _train(tmp_path, device, amp=True)
    assert full["losses"] != mixed["losses"]  # autocast changed the arithmetic
    assert full["accuracy"] > 0.85, full["accuracy"]
    assert mixed["accuracy"] >= full["accuracy"] - 0.03, (mixed["accuracy"], full["accuracy"])
