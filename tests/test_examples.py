"""The tutorials' tensor and autograd examples run as scripts (in a subprocess, as a user would run them,
with the random seeds fixed) and converge like the tutorial: the last printed loss is small and at least
1000 times below the first one, for every training loop in the script."""
import os
import re
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
RUN = ("import runpy, sys, numpy, tinygrad_ext; numpy.random.seed(0); tinygrad_ext.manual_seed(0); "
       "runpy.run_path(sys.argv[1], run_name='__main__')")
LOSS_LINE = re.compile(r"^(\d+) (?:tensor\()?([-+0-9.eE]+|nan|inf)\)?$")


def run_example(name):
    proc = subprocess.run([sys.executable, "-c", RUN, os.path.join(EXAMPLES, name)], capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def training_runs(stdout):
    """[(first loss, last loss, number of lines)] for each training loop (the step number restarts)."""
    runs, prev = [], None
    for line in stdout.splitlines():
        m = LOSS_LINE.match(line.strip())
        if not m:
            continue
        step, loss = int(m.group(1)), float(m.group(2))
        if prev is None or step <= prev:
            runs.append([loss, loss, 0])
        runs[-1][1] = loss
        runs[-1][2] += 1
        prev = step
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("name, loops", [
    ("two_layer_net_numpy.py", 1),
    ("two_layer_net_tensor.py", 1),
    ("two_layer_net_autograd.py", 2),            # the 2017 code, then the modern one
    ("two_layer_net_custom_function.py", 2),
])
def test_two_layer_net_converges(name, loops):
    runs = training_runs(run_example(name))
    assert len(runs) == loops, runs
    for first, last, lines in runs:
        assert lines in (500, 5)  # every step printed (2017) or every 100th (modern)
        assert last < 1.0 and last < first / 1000, (name, first, last)


@pytest.mark.slow
def test_blitz_tensors_and_autograd():
    out = run_example("blitz_tensors_autograd.py")
    for check in ("blitz2017 x.grad all 4.5", "blitz2017 while-loop grad ok", "blitz x.grad all 4.5",
                  "blitz while-loop grad ok"):
        assert f"{check}: True" in out, out[-3000:]
    assert "<AddBackward0 object at" in out and "grad_fn=<AddBackward0>" in out
    assert "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])" in out
