"""The seed tutorials' nn / optim programs (examples/) run unchanged in a subprocess and converge."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_example(name, timeout=300):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout


def losses(out):
    return [float(m.group(2)) for m in re.finditer(r"^(\d+) (\S+)$", out, re.MULTILINE)]


@pytest.mark.slow
@pytest.mark.parametrize("name,ratio", [
    ("two_layer_net_nn.py", 1e-4),      # 2017: Variable, MSELoss(size_average=False), loss.data[0], manual SGD
    ("two_layer_net_optim.py", 1e-4),   # 2017: Adam
    ("dynamic_net.py", 0.05),           # 2017: SGD with momentum through a random-depth net
])
def test_two_layer_examples_converge(name, ratio):
    out = run_example(name)
    ls = losses(out)
    assert len(ls) == 500, out[:500]
    assert min(ls[-10:]) < ratio * ls[0], (ls[0], ls[-10:])


@pytest.mark.slow
def test_custom_module_example_converges():
    out = run_example("two_layer_net_module.py")  # modern: reduction='sum', loss.item(), only every 100th printed
    ls = losses(out)
    assert len(ls) == 5 and ls[-1] < 1e-2 and ls == sorted(ls, reverse=True), out


@pytest.mark.slow
def test_blitz_example_runs_and_learns():
    out = run_example("blitz_neural_networks.py")
    assert "(conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))" in out
    assert "(fc1): Linear(in_features=400, out_features=120, bias=True)" in out
    assert "(pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)" in out
    assert "<MseLossBackward0" in out and "<AddmmBackward0" in out and "<ReluBackward0" in out
    assert "torch.Size([6, 1, 5, 5])" in out
    first, last = [float(x) for x in re.findall(r"loss: ([\d.]+)", out)][::9]
    assert last < 0.6 * first, out
    acc = int(re.search(r"Accuracy of the network on the \d+ test images: (\d+) %", out).group(1))
    assert acc >= 40, out
