"""examples/cifar10_tutorial.py on a tiny subset of the digits: it runs as a script (also without tqdm and
matplotlib), the same seed gives the same loss curve (with or without worker processes), and a run stopped
after one epoch and resumed from its checkpoint ends bitwise identical to an uninterrupted run."""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
import tinygrad_ext as torch

pytest.importorskip("sklearn")

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "cifar10_tutorial.py")
TINY = ["--subset", "48", "--seed", "3", "--no-progress", "--batch-size", "4", "--lr", "0.002"]
NO_EXTRAS = ("import runpy, sys; sys.modules.update({'tqdm': None, 'matplotlib': None}); "
             "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")


def load_example():
    spec = importlib.util.spec_from_file_location("cifar10_tutorial", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def arrays(state):
    return {k: v.numpy() for k, v in state.items()}


def test_resume_is_bitwise_identical_and_runs_as_a_script(tmp_path):
    example = load_example()
    a, b = str(tmp_path / "a"), str(tmp_path / "b")

    # uninterrupted: 2 epochs in this process, no workers
    full = example.main(TINY + ["--epochs", "2", "--num-workers", "0", "--out", a])
    assert 0.0 <= full["accuracy"] <= 1.0 and len(full["losses"]) == 2 * 12

    # interrupted: 1 epoch as a user runs it (a script, 2 worker processes, no tqdm or matplotlib) ...
    proc = subprocess.run([sys.executable, "-c", NO_EXTRAS, SCRIPT] + TINY + ["--epochs", "1", "--num-workers", "2",
                                                                              "--out", b],
                          check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "Finished Training" in proc.stdout and "Accuracy of the network on the 12 test images" in proc.stdout
    assert "Accuracy of" in proc.stdout.split("test images")[-1]  # the per-class lines
    assert not os.path.exists(os.path.join(b, "loss.png"))  # no matplotlib: no PNG, no error
    first = torch.load(os.path.join(b, "checkpoint.pt"))
    assert first["epoch"] == 1
    # same seed, same loss curve: the first epoch matches the uninterrupted run's, workers or not
    assert np.array_equal(first["losses"].numpy(), np.asarray(full["losses"][:12]))

    # ... then resumed for the second epoch
    resumed = example.main(TINY + ["--epochs", "2", "--num-workers", "2", "--out", b, "--resume"])
    assert np.array_equal(np.asarray(resumed["losses"]), np.asarray(full["losses"]))

    ca, cb = torch.load(os.path.join(a, "checkpoint.pt")), torch.load(os.path.join(b, "checkpoint.pt"))
    assert ca["epoch"] == cb["epoch"] == 2
    pa, pb = arrays(ca["model"]), arrays(cb["model"])
    assert pa.keys() == pb.keys()
    for k in pa:
        assert pa[k].tobytes() == pb[k].tobytes(), f"parameter {k} differs after resume"
    for k, v in full["net"].state_dict().items():
        assert v.numpy().tobytes() == pa[k].tobytes()
    sa, sb = ca["optimizer"]["state"], cb["optimizer"]["state"]
    for k in sa:
        assert sa[k]["momentum_buffer"].numpy().tobytes() == sb[k]["momentum_buffer"].numpy().tobytes()
    assert resumed["accuracy"] == full["accuracy"]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert os.path.getsize(os.path.join(a, "loss.png")) > 1000 and os.path.exists(os.path.join(a, "samples.png"))


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path):
    example = load_example()
    out = str(tmp_path)
    example.main(TINY + ["--epochs", "1", "--num-workers", "0", "--out", out, "--subset", "16"])
    with pytest.raises(SystemExit, match="was written with"):
        example.main(TINY + ["--epochs", "2", "--num-workers", "0", "--out", out, "--subset", "16", "--lr", "0.01",
                             "--resume"])


def test_runs_on_cifar10_files(tmp_path, capsys):
    from test_vision import write_cifar  # tiny files in the official format

    write_cifar(tmp_path / "data", per_batch=4, n_test=4)
    result = load_example().main(["--data", str(tmp_path / "data"), "--epochs", "1", "--num-workers", "0",
                                  "--no-progress", "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert out.startswith("CIFAR-10: 20 training and 4 test images")
    assert "Accuracy of the network on the 4 test images" in out and len(result["losses"]) == 5
