"""torch.nn.utils.prune, as the pruning tutorial uses it: the weight_orig / weight_mask / forward pre-hook
reparametrization, iterative pruning through a PruningContainer, remove(), global pruning, a custom method;
masks checked against numpy."""
import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn.utils.prune as prune
from tinygrad_ext import nn


def weights(module, seed=0):
    rng = np.random.RandomState(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.tensor(rng.randn(*p.shape).astype(np.float32)))
    return module


def test_l1_unstructured_reparametrizes_the_module():
    m = weights(nn.Linear(4, 3))
    w = m.weight.detach().numpy().copy()
    assert prune.l1_unstructured(m, name="weight", amount=0.5) is m
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in m.named_buffers()] == ["weight_mask"]
    expected = np.ones(12)
    expected[np.argsort(np.abs(w).ravel(), kind="stable")[:6]] = 0
    np.testing.assert_array_equal(m.weight_mask.numpy().ravel(), expected)
    assert not isinstance(m.weight, nn.Parameter) and m.weight.grad_fn.name() == "MulBackward0"
    np.testing.assert_array_equal(m.weight.detach().numpy(), w * expected.reshape(3, 4))
    (hook,) = m._forward_pre_hooks.values()
    assert isinstance(hook, prune.L1Unstructured) and hook._tensor_name == "weight"
    # the hook recomputes weight from weight_orig before every forward: a changed orig shows, masked
    with torch.no_grad():
        m.weight_orig.add_(1.0)
    x = torch.randn(2, 4)
    np.testing.assert_allclose(m(x).detach().numpy(),
                               x.numpy() @ ((w + 1) * expected.reshape(3, 4)).T + m.bias.detach().numpy(), rtol=1e-5)
    m(x).sum().backward()  # gradients reach weight_orig, zero where pruned
    np.testing.assert_array_equal(m.weight_orig.grad.numpy() == 0, expected.reshape(3, 4) == 0)


def test_iterative_pruning_and_remove():
    m = weights(nn.Conv2d(1, 6, 3))
    prune.l1_unstructured(m, name="bias", amount=3)
    assert float(m.bias_mask.sum()) == 3
    prune.l1_unstructured(m, name="weight", amount=0.25)  # 14 of 54
    prune.ln_structured(m, name="weight", amount=0.5, n=2, dim=0)  # then 3 of the 6 filters
    (container,) = [h for h in m._forward_pre_hooks.values() if h._tensor_name == "weight"]
    assert isinstance(container, prune.PruningContainer)
    assert [type(h).__name__ for h in container] == ["L1Unstructured", "LnStructured"]
    mask = m.weight_mask.numpy()
    orig = m.weight_orig.detach().numpy()
    first = np.ones(54)
    first[np.argsort(np.abs(orig).ravel(), kind="stable")[:14]] = 0
    first = first.reshape(6, 1, 3, 3)
    kept = np.argsort(-np.sqrt(((orig * first) ** 2).sum(axis=(1, 2, 3))), kind="stable")[:3]
    expected = np.zeros_like(first)
    expected[kept] = first[kept]
    np.testing.assert_array_equal(mask, expected)
    assert list(m.state_dict()) == ["bias_orig", "weight_orig", "bias_mask", "weight_mask"]
    prune.remove(m, "weight")
    assert [n for n, _ in m.named_parameters()] == ["bias_orig", "weight"]
    assert isinstance(m.weight, nn.Parameter) and [n for n, _ in m.named_buffers()] == ["bias_mask"]
    np.testing.assert_array_equal(m.weight.detach().numpy(), orig * expected)
    assert prune.is_pruned(m) and not prune.is_pruned(nn.Linear(2, 2))


def test_global_unstructured():
    net = weights(nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4)))
    everything = np.concatenate([net[0].weight.detach().numpy().ravel(), net[2].weight.detach().numpy().ravel()])
    prune.global_unstructured([(net[0], "weight"), (net[2], "weight")], pruning_method=prune.L1Unstructured,
                              amount=0.2)
    threshold = np.sort(np.abs(everything))[9]  # 10 of 50 go: the smallest across both layers
    for layer in (net[0], net[2]):
        np.testing.assert_array_equal(layer.weight_mask.numpy() == 0, np.abs(layer.weight_orig.detach().numpy())
                                      <= threshold)
        assert isinstance(next(iter(layer._forward_pre_hooks.values())), prune.CustomFromMask)
    assert int(sum((layer.weight == 0).sum() for layer in (net[0], net[2]))) == 10


def test_random_pruning_counts_and_custom_method():
    m = nn.Linear(10, 8)
    prune.random_unstructured(m, name="weight", amount=0.3)
    assert float(m.weight_mask.sum()) == 56
    prune.random_structured(m, name="weight", amount=2, dim=0)
    rows = m.weight_mask.sum(dim=1).numpy()
    assert (rows == 0).sum() >= 2 and float(m.weight_mask.sum()) <= 56

    class EveryOther(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    EveryOther.apply(m, "bias")
    assert m.bias_mask.tolist() == [0.0, 1.0] * 4
    t = torch.tensor([[1.0, -3.0], [2.0, 0.5]])
    assert prune.L1Unstructured(amount=2).prune(t).tolist() == [[0.0, -3.0], [2.0, 0.0]]
    prune.identity(m, "bias")  # adds nothing to the mask
    assert m.bias_mask.tolist() == [0.0, 1.0] * 4


def test_bad_arguments():
    m = nn.Linear(2, 3)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'foo'"):
        prune.l1_unstructured(m, name="foo", amount=0.5)
    with pytest.raises(ValueError, match=r"amount=1.5 should either be a float in the range \[0, 1\] or a "
                                         "non-negative integer"):
        prune.l1_unstructured(m, name="bias", amount=1.5)
    with pytest.raises(ValueError, match="amount=5 should be smaller than the number of parameters to prune=3"):
        prune.l1_unstructured(m, name="bias", amount=5)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]  # untouched by the failed calls
    with pytest.raises(TypeError, match="Invalid type for amount: a. Must be int or float."):
        prune.l1_unstructured(m, name="bias", amount="a")
    with pytest.raises(ValueError, match="Structured pruning can only be applied to multidimensional tensors"):
        prune.ln_structured(nn.Linear(2, 2), name="bias", amount=1, n=2, dim=0)
    with pytest.raises(ValueError, match="Parameter 'weight' of module Linear.* has to be pruned before pruning can "
                                         "be removed"):
        prune.remove(nn.Linear(2, 2), "weight")
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE supported'):
        prune.global_unstructured([(m, "weight")], pruning_method=prune.LnStructured, amount=1, n=1, dim=0)
