"""torch.func.functional_call / torch.nn.utils.stateless.functional_call and torch.func.stack_module_state, and the
two tutorials built on them (per-sample gradients, model ensembling) checked against plain per-sample loops."""
import copy

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn
from tinygrad_ext.func import functional_call, grad, stack_module_state, vmap

F = nn.functional


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2, bias=False)
        self.b = nn.Linear(2, 2, bias=False)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


def test_functional_call_uses_the_given_tensors_and_restores_the_module():
    m = nn.Linear(3, 2)
    weight, bias = m.weight, m.bias
    w = torch.randn(2, 3, requires_grad=True)
    x = torch.randn(4, 3)
    out = functional_call(m, {"weight": w}, (x,))
    np.testing.assert_allclose(out.detach().numpy(), x.numpy() @ w.detach().numpy().T + bias.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    out.sum().backward()
    assert w.grad is not None and weight.grad is None and bias.grad is not None  # the bias was the module's own
    assert m.weight is weight and isinstance(m.weight, nn.Parameter) and "weight" in dict(m.named_parameters())
    # a single argument need not be a tuple; the deprecated location does the same
    assert torch.equal(functional_call(m, {"weight": w}, x), nn.utils.stateless.functional_call(m, {"weight": w}, x))


def test_functional_call_restores_after_an_error():
    m = nn.Linear(3, 2)
    weight = m.weight
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        functional_call(m, {"weight": torch.zeros(3, 4)}, torch.ones(1, 3))
    assert m.weight is weight


def test_functional_call_buffers_nested_names_and_unknown_keys():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).eval()
    mean = torch.tensor([1.0, -1.0])
    x = torch.randn(3, 2)
    out = functional_call(net, ({"1.running_mean": mean}, {"0.bias": torch.zeros(2)}), (x,))
    h = x @ net[0].weight.detach().T
    expected = (h - mean) / torch.sqrt(net[1].running_var + 1e-5) * net[1].weight + net[1].bias
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert net[1].running_mean.tolist() == [0.0, 0.0]
    functional_call(net, {"extra": torch.ones(1)}, (x,))  # not a parameter: set for the call, then removed
    assert not hasattr(net, "extra")


def test_functional_call_tied_weights():
    t = Tied()
    x = torch.ones(1, 2)
    assert functional_call(t, {"a.weight": torch.eye(2)}, x).tolist() == [[1.0, 1.0]]
    untied = functional_call(t, {"a.weight": torch.eye(2)}, x, tie_weights=False)
    np.testing.assert_allclose(untied.detach().numpy(), x.numpy() @ t.b.weight.detach().numpy().T, rtol=1e-6)
    with pytest.raises(ValueError, match=r"functional_call got multiple values for keys \['a.weight', 'b.weight'\], "
                                         "which are tied. Consider using tie_weights=False"):
        functional_call(t, {"a.weight": torch.eye(2), "b.weight": 2 * torch.eye(2)}, x)


def test_functional_call_errors():
    m = nn.Linear(2, 2)
    x = torch.ones(1, 2)
    with pytest.raises(ValueError, match=r"\['weight'\] appeared in multiple dictionaries; behavior of functional "
                                         "call is ambiguous"):
        functional_call(m, ({"weight": torch.zeros(2, 2)}, {"weight": torch.ones(2, 2)}), x)
    with pytest.raises(RuntimeError, match="Error\\(s\\) in reparametrizing for Linear:\n"
                                           "\tMissing key\\(s\\): 'bias'."):
        functional_call(m, {"weight": torch.zeros(2, 2)}, x, strict=True)
    with pytest.raises(RuntimeError, match="\tUnexpected key\\(s\\): 'foo'."):
        functional_call(m, {"weight": torch.zeros(2, 2), "bias": torch.zeros(2), "foo": torch.zeros(1)}, x,
                        strict=True)
    with pytest.raises(TypeError, match="3 is not an instance of torch.Tensor"):
        functional_call(m, {"weight": 3}, x)


def test_stack_module_state():
    models = [nn.Linear(2, 3) for _ in range(4)]
    params, buffers = stack_module_state(models)
    assert list(params) == ["weight", "bias"] and buffers == {}
    assert tuple(params["weight"].shape) == (4, 3, 2) and params["weight"].requires_grad and params["weight"].is_leaf
    np.testing.assert_array_equal(params["bias"][2].detach().numpy(), models[2].bias.detach().numpy())
    _, buffers = stack_module_state([nn.BatchNorm1d(2), nn.BatchNorm1d(2)])
    assert tuple(buffers["running_var"].shape) == (2, 2) and not buffers["running_var"].requires_grad
    assert tuple(buffers["num_batches_tracked"].shape) == (2,)
    with pytest.raises(RuntimeError, match="stack_module_state: Expected at least one model, got 0."):
        stack_module_state([])
    with pytest.raises(RuntimeError, match="stack_module_state: Expected all models to be of the same class."):
        stack_module_state([nn.Linear(2, 2), nn.ReLU()])
    with pytest.raises(RuntimeError, match="Expected all models to have the same training/eval mode."):
        stack_module_state([nn.Linear(2, 2), nn.Linear(2, 2).eval()])


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.fc1 = nn.Linear(4 * 3 * 3, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        return F.log_softmax(self.fc1(torch.flatten(x, 1)), dim=1)


def test_per_sample_gradients_tutorial():
    model = SimpleCNN()
    data, targets = torch.randn(5, 1, 8, 8), torch.randint(0, 10, (5,))

    def compute_grad(sample, target):  # the tutorial's loop
        loss = F.nll_loss(model(sample.unsqueeze(0)), target.unsqueeze(0))
        return torch.autograd.grad(loss, list(model.parameters()))

    looped = [torch.stack(shards) for shards in zip(*[compute_grad(data[i], targets[i]) for i in range(5)])]

    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        predictions = functional_call(model, (params, buffers), (sample.unsqueeze(0),))
        return F.nll_loss(predictions, target.unsqueeze(0))

    per_sample = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, data, targets)
    assert list(per_sample) == list(params)
    for a, b in zip(looped, per_sample.values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_model_ensembling_tutorial():
    models = [SimpleCNN() for _ in range(3)]
    minibatches = torch.randn(3, 2, 1, 8, 8)
    params, buffers = stack_module_state(models)
    base_model = copy.deepcopy(models[0])

    def fmodel(params, buffers, x):
        return functional_call(base_model, (params, buffers), (x,))

    each = vmap(fmodel)(params, buffers, minibatches)
    np.testing.assert_allclose(each.detach().numpy(), torch.stack([m(x) for m, x in zip(models, minibatches)])
                               .detach().numpy(), rtol=1e-5, atol=1e-6)
    same = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatches[0])
    np.testing.assert_allclose(same.detach().numpy(), torch.stack([m(minibatches[0]) for m in models])
                               .detach().numpy(), rtol=1e-5, atol=1e-6)
    same.sum().backward()  # the stacked parameters are leaves that collect the ensemble's gradients
    assert tuple(params["fc1.weight"].grad.shape) == (3, 10, 36)
