"""Everyday nn / optim / data idioms that PyTorch users rely on: container arithmetic (Sequential +, *, pop;
ModuleList +, pop; ParameterList extend/slices), state_dict metadata, and the other behaviours found by
running users' snippets under torch and here."""
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn


def _names(mods):
    return [type(m).__name__ for m in mods]


def test_sequential_add_mul_pop():
    a = nn.Sequential(nn.Linear(1, 2), nn.ReLU())
    b = nn.Sequential(nn.Tanh())
    c = a + b
    assert type(c) is nn.Sequential and _names(c) == ["Linear", "ReLU", "Tanh"]
    assert list(c._modules) == ["0", "1", "2"] and c[0] is a[0]
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        a + [nn.ReLU()]
    d = a * 2
    assert _names(d) == ["Linear", "ReLU", "Linear", "ReLU"] and d[2] is a[0]
    assert _names(2 * b) == ["Tanh", "Tanh"]
    with pytest.raises(ValueError, match="Non-positive multiplication factor 0"):
        a * 0
    with pytest.raises(TypeError, match="unsupported operand type"):
        a * 1.5
    e = nn.Sequential(nn.ReLU())
    e += b
    e *= 2
    assert _names(e) == ["ReLU", "Tanh", "ReLU", "Tanh"]
    s = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 3))
    first = s[0]
    assert s.pop(0) is first and _names(s) == ["ReLU", "Linear"] and list(s._modules) == ["0", "1"]
    assert s.pop(-1).out_features == 3 and len(s) == 1


def test_modulelist_add_pop():
    a = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    c = a + nn.ModuleList([nn.ELU()])
    assert type(c) is nn.ModuleList and _names(c) == ["ReLU", "Tanh", "ELU"]
    assert _names(a + [nn.Sigmoid()]) == ["ReLU", "Tanh", "Sigmoid"]
    t = a[1]
    assert a.pop(1) is t and _names(a) == ["ReLU"]


def test_parameterlist_extend_slice():
    pl = nn.ParameterList([torch.ones(2)])
    pl.extend([torch.zeros(1), nn.Parameter(torch.ones(3))])
    pl += [torch.ones(4)]
    assert len(pl) == 4 and all(type(p) is nn.Parameter for p in pl)
    assert type(pl[1:3]) is nn.ParameterList and [p.shape[0] for p in pl[1:3]] == [1, 3]
    assert pl[-1].shape == (4,)
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable, but got Tensor"):
        pl.extend(torch.ones(2))
    with pytest.raises(IndexError, match="index 4 is out of range"):
        pl[4]
