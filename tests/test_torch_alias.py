"""PyTorch code run unchanged with `sys.modules['torch'] = tinygrad_ext`: its submodule imports must give the
package's own modules (a second copy of the files would make a second Tensor class)."""
import subprocess
import sys

PROGRAM = r'''
import sys
import tinygrad_ext
sys.modules["torch"] = tinygrad_ext
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.autograd.functional import jacobian
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset
assert nn is tinygrad_ext.nn and F is tinygrad_ext.nn.functional and optim is tinygrad_ext.optim
assert sys.modules["torch.nn"] is tinygrad_ext.nn and nn.__spec__.name == "tinygrad_ext.nn"
assert callable(torch.tensor) and StepLR is tinygrad_ext.optim.lr_scheduler.StepLR
assert jacobian(lambda x: x ** 2, torch.tensor([1., 2.])).tolist() == [[2., 0.], [0., 4.]]
assert isinstance(nn.Linear(2, 2)(torch.ones(1, 2)), torch.Tensor)
assert len(list(DataLoader(TensorDataset(torch.ones(4)), batch_size=2))) == 2
try:
    import torch.nonexistent  # noqa: F401
except ModuleNotFoundError as e:
    assert e.name == "torch.nonexistent", e.name
else:
    raise AssertionError("imported a module that does not exist")
print("ok")
'''


def test_submodules_under_an_alias_are_the_package_modules():
    r = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-3000:]
