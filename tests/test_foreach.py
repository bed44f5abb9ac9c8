"""torch._foreach_<op> (the multi-tensor API optimizers and EMA code call): values against torch 2.13's (hard-coded),
the tuple/list return conventions, in-place forms, and torch's list-length errors."""
import pytest
import tinygrad_ext as torch

EXPECTED = {
    'add_scalar': [[2.0, 3.0], [4.0, -3.0, 1.5]],
    'add_list': [[2.0, 3.0], [5.0, -2.0, 2.5]],
    'add_alpha': [[3.0, 6.0], [9.0, -12.0, 1.5]],
    'add_tensor': [[3.0, 4.0], [5.0, -2.0, 2.5]],
    'sub_alpha': [[0.5, 1.0], [1.5, -2.0, 0.25]],
    'mul_list': [[2.0, 4.0], [9.0, -12.0, 1.5]],
    'div': [[1.0, 1.0], [1.0, 1.0, 1.0]],
    'maximum': [[1.5, 2.0], [3.0, 1.5, 1.5]],
    'clamp_max': [[1.0, 1.0], [0.0, -4.0, 0.0]],
    'pow': [[1.0, 4.0], [9.0, 16.0, 0.25]],
    'rpow': [[2.0, 4.0], [8.0, 0.0625, 1.4142135381698608]],
    'addcmul': [[1.5, 4.0], [7.5, 4.0, 0.625]],
    'addcdiv_list': [[3.0, 4.0], [6.0, -1.0, 3.5]],
    'addcmul_tensor': [[3.0, 10.0], [30.0, 44.0, 1.25]],
    'lerp': [[1.0, 2.0], [3.0, -4.0, 0.5]],
    'norm1': [3.0, 7.5],
    'max': [2.0, 3.0],
    'neg': [[-1.0, -2.0], [-3.0, 4.0, -0.5]],
}


def mk():
    return [torch.tensor([1.0, 2.0]), torch.tensor([3.0, -4.0, 0.5])]


def test_values_as_torchs():
    a, b = mk(), mk()
    got = {
        "add_scalar": torch._foreach_add(a, 1), "add_list": torch._foreach_add(a, [1, 2]),
        "add_alpha": torch._foreach_add(a, b, alpha=2), "add_tensor": torch._foreach_add(a, torch.tensor(2.)),
        "sub_alpha": torch._foreach_sub(a, b, alpha=0.5), "mul_list": torch._foreach_mul(a, [2, 3]),
        "div": torch._foreach_div(a, b), "maximum": torch._foreach_maximum(a, 1.5),
        "clamp_max": torch._foreach_clamp_max(a, [1.0, 0.0]), "pow": torch._foreach_pow(a, 2),
        "rpow": torch._foreach_pow(2.0, a), "addcmul": torch._foreach_addcmul(a, a, b, value=0.5),
        "addcdiv_list": torch._foreach_addcdiv(a, a, b, [2, 3]),
        "addcmul_tensor": torch._foreach_addcmul(a, a, b, torch.tensor([2., 3.])),
        "lerp": torch._foreach_lerp(a, b, 0.25), "norm1": torch._foreach_norm(a, 1), "max": torch._foreach_max(a),
        "neg": torch._foreach_neg(a),
    }
    for name, value in got.items():
        assert isinstance(value, tuple), name
        assert [t.tolist() for t in value] == EXPECTED[name], name


def test_in_place_forms_write_each_tensor_and_return_the_list():
    c = mk()
    assert torch._foreach_mul_(c, 2) is c and [t.tolist() for t in c] == [[2.0, 4.0], [6.0, -8.0, 1.0]]
    assert torch._foreach_add_(c, c, alpha=-0.5) is c and [t.tolist() for t in c] == [[1.0, 2.0], [3.0, -4.0, 0.5]]
    ema, new = mk(), [torch.zeros(2), torch.zeros(3)]
    torch._foreach_lerp_(ema, new, 0.5)  # an EMA update
    assert [t.tolist() for t in ema] == [[0.5, 1.0], [1.5, -2.0, 0.25]]
    torch._foreach_maximum_(ema, [torch.ones(2), torch.zeros(3)])
    assert [t.tolist() for t in ema] == [[1.0, 1.0], [1.5, 0.0, 0.25]]
    torch._foreach_copy_(ema, mk())
    torch._foreach_zero_(ema[:1])
    assert [t.tolist() for t in ema] == [[0.0, 0.0], [3.0, -4.0, 0.5]]


def test_list_errors_as_torchs():
    with pytest.raises(RuntimeError, match="^Tensor list must have at least one tensor.$"):
        torch._foreach_add([], 1)
    with pytest.raises(RuntimeError, match="^Tensor lists must have the same number of tensors, got 2 and 1$"):
        torch._foreach_add(mk(), [torch.ones(2)])
    with pytest.raises(RuntimeError, match="^Tensor list must have same number of elements as scalar list.$"):
        torch._foreach_add(mk(), [1])
    with pytest.raises(TypeError, match="_foreach_add"):
        torch._foreach_add(mk(), 1, alpha=2)
