"""Everyday nn / optim / data idioms that PyTorch users rely on: container arithmetic (Sequential +, *, pop;
ModuleList +, pop; ParameterList extend/slices), state_dict metadata, and the other behaviours found by
running users' snippets under torch and here."""
import numpy as np
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


def test_round_decimals_node_name():
    x = torch.randn(3, requires_grad=True)
    assert x.round(decimals=2).grad_fn.name() == "RoundBackward1"
    assert x.round().grad_fn.name() == "RoundBackward0"


def test_bce_target_dtype_errors():
    F = nn.functional
    p = torch.rand(3)
    with pytest.raises(RuntimeError, match="Found dtype Long but expected Float"):
        F.binary_cross_entropy(p, torch.tensor([0, 1, 1]))
    with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
        nn.BCELoss()(p, torch.tensor([0., 1, 1], dtype=torch.float64))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        nn.BCEWithLogitsLoss()(p, torch.tensor([0, 1, 1]))
    with pytest.raises(RuntimeError, match="result type Double can't be cast to the desired output type Int"):
        F.binary_cross_entropy_with_logits(p.double(), torch.tensor([0, 1, 1], dtype=torch.int32))
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        F.binary_cross_entropy_with_logits(p, torch.tensor([False, True, True]))
    # a float64 target promotes (torch's result is float64)
    assert F.binary_cross_entropy_with_logits(p, torch.tensor([0., 1, 1], dtype=torch.float64)).dtype == torch.float64


def test_nll_batch_size_checked_for_index_targets():
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(1\)\."):
        nn.NLLLoss()(torch.randn(3, 5), torch.tensor([[1, 2, 3]]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(1\)\."):
        nn.CrossEntropyLoss()(torch.randn(3, 5), torch.tensor([[1, 2, 3]]))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        nn.CrossEntropyLoss()(torch.randn(3, 5), torch.tensor([[1], [2], [3]]))


def _renormed(w, idx, max_norm, p):
    w = w.copy()
    for i in sorted(set(idx)):
        n = (np.abs(w[i]) ** p).sum() ** (1 / p)
        if n > max_norm:
            w[i] *= max_norm / (n + 1e-7)
    return w


@pytest.mark.parametrize("p", [2.0, 1.0])
def test_embedding_max_norm_renormalizes_looked_up_rows(p):
    e = nn.Embedding(5, 3, max_norm=1.0, norm_type=p)
    with torch.no_grad():
        e.weight.copy_(torch.tensor(np.arange(15.).reshape(5, 3) / 4 - 1, dtype=torch.float32))
    w0 = e.weight.detach().numpy().astype(np.float64)
    out = e(torch.tensor([[1, 1], [4, 0]]))
    want = _renormed(w0, [1, 1, 4, 0], 1.0, p)
    np.testing.assert_allclose(e.weight.detach().numpy(), want, rtol=1e-6)   # row 2 and 3 untouched
    np.testing.assert_allclose(out.detach().numpy(), want[[[1, 1], [4, 0]]], rtol=1e-6)
    out.sum().backward()
    assert e.weight.grad[1].tolist() == [2., 2., 2.] and e.weight.grad[2].tolist() == [0., 0., 0.]
    bag = nn.EmbeddingBag(5, 3, max_norm=0.5, mode="sum")
    with torch.no_grad():
        bag.weight.copy_(torch.tensor(w0, dtype=torch.float32))
    bag(torch.tensor([[2, 3]]))
    np.testing.assert_allclose(bag.weight.detach().numpy(), _renormed(w0, [2, 3], 0.5, 2.0), rtol=1e-6)


def test_optimizer_repr_blank_line_between_groups_and_param_names():
    m = nn.Linear(2, 1)
    o = torch.optim.SGD([{"params": m.weight, "lr": 0.5}, {"params": m.bias}], lr=0.1)
    r = repr(o)
    assert r.startswith("SGD (\nParameter Group 0\n    dampening: 0\n") and r.endswith("    weight_decay: 0\n)")
    assert "    weight_decay: 0\n\nParameter Group 1\n" in r
    r = repr(torch.optim.SGD(m.named_parameters(), lr=0.1))
    assert "    param_names: ['weight', 'bias']\n    weight_decay: 0\n)" in r


def test_data_collate_zero_dim_arrays_and_subset_getitems():
    from tinygrad_ext.utils.data import ConcatDataset, Subset, default_collate
    b = default_collate([np.array(1), np.array(2)])
    assert b.shape == (2,) and b.tolist() == [1, 2]
    s = Subset([10, 11, 12, 13], [3, 1])
    assert s.__getitems__([0, 1]) == [13, 11]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])

    class Bad(Subset):
        def __getitem__(self, i):
            return 0
    with pytest.raises(NotImplementedError, match="Bad overrides __getitem__ but not __getitems__"):
        Bad([1], [0])


def test_state_dict_metadata_and_batchnorm_legacy_load():
    s = nn.Sequential(nn.Linear(1, 1), nn.BatchNorm1d(1))
    assert s.state_dict()._metadata == {"": {"version": 1}, "0": {"version": 1}, "1": {"version": 2}}
    assert list(s.state_dict()._metadata) == ["", "0", "1"]
    bn = nn.BatchNorm1d(2)
    bn(torch.randn(4, 2))
    plain = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}  # no _metadata: a legacy dict
    assert repr(bn.load_state_dict(plain)) == "<All keys matched successfully>"
    assert int(bn.num_batches_tracked) == 1  # (torch's: the module's own counter stands in)
    sd = bn.state_dict()
    del sd["num_batches_tracked"]  # version 2 metadata: the key is really missing
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
        bn.load_state_dict(sd)


def test_load_state_dict_casts_dtype_as_torch():
    lin = nn.Linear(2, 2)
    r = lin.load_state_dict({"weight": torch.ones(2, 2, dtype=torch.float64), "bias": torch.zeros(2).half()})
    assert repr(r) == "<All keys matched successfully>"
    assert lin.weight.dtype == torch.float32 and lin.weight.sum().item() == 4


def test_state_dict_hooks():
    lin = nn.Linear(2, 2)
    seen = []
    lin.register_state_dict_pre_hook(lambda m, prefix, keep_vars: seen.append((prefix, keep_vars)))
    lin._register_state_dict_hook(lambda m, sd, prefix, meta: sd.__setitem__(prefix + "extra", torch.ones(1)))
    s = nn.Sequential(lin)
    assert list(s.state_dict()) == ["0.weight", "0.bias", "0.extra"] and seen == [("0.", False)]
    lin.register_state_dict_post_hook(lambda m, sd, prefix, meta: 1)
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        lin.state_dict()


def test_load_state_dict_pre_and_post_hooks():
    lin = nn.Linear(2, 2)

    def rename(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        if prefix + "w" in state_dict:
            state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
    lin.register_load_state_dict_pre_hook(rename)
    calls = []

    def post(module, keys):
        calls.append((type(module).__name__, list(keys.missing_keys), list(keys.unexpected_keys)))
        keys.missing_keys.clear()
    lin.register_load_state_dict_post_hook(post)
    src = {"w": torch.ones(2, 2)}
    r = lin.load_state_dict(src)  # bias missing, but the post hook forgives it
    assert calls == [("Linear", ["bias"], [])] and r.missing_keys == [] and lin.weight.sum().item() == 4
    assert list(src) == ["w"]  # (the caller's dict is not changed)
    h = lin.register_load_state_dict_post_hook(lambda m, k: 5)
    with pytest.raises(AssertionError, match="are not expected to return new values"):
        lin.load_state_dict({"weight": torch.ones(2, 2), "bias": torch.ones(2)})
    h.remove()


def test_old_style_backward_hook():
    m = nn.Linear(2, 2)
    got = []
    m.register_backward_hook(lambda mod, gi, go: got.append(([None if g is None else tuple(g.shape) for g in gi],
                                                             [tuple(g.shape) for g in go])))
    with pytest.warns(FutureWarning, match="non-full backward hook"):
        y = m(torch.ones(1, 2, requires_grad=True))
    y.sum().backward()
    assert got == [([(2,), (1, 2), (2, 2)], [(1, 2)])]  # (the last node's inputs: AddmmBackward0's bias, input, weight)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
        m.register_full_backward_hook(lambda *a: None)


def test_random_split_sum_checked_first():
    from tinygrad_ext.utils.data import random_split
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(range(4), [0.5, 0.6])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])


def test_conv_transpose_output_size_message():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match=r"valid sizes range from \[7, 7\] to \[8, 8\] \(for an input of "
                                         r"torch.Size\(\[4, 4\]\)\)"):
        m(torch.randn(1, 2, 4, 4), output_size=[10, 10])


def test_size_with_a_later_non_int_element_message():
    # (nn.Linear(2.5, 3) builds empty((3, 2.5)): torch's parser names the element after the first as "pos 2")
    with pytest.raises(TypeError, match=r"empty\(\): argument 'size' failed to unpack the object at pos 2 with error "
                                        r"\"type must be tuple of ints,but got float\""):
        nn.Linear(2.5, 3)
    with pytest.raises(TypeError, match="view\\(\\): argument 'size' failed to unpack the object at pos 2 with error "
                                        "\"type must be tuple of ints,but got NoneType\""):
        torch.ones(6).view(2, None)
    with pytest.raises(TypeError, match=r"must be tuple of ints, but found element of type float at pos 0"):
        torch.zeros((2.0, 3))


def test_optimizer_step_and_state_dict_hooks():
    m = nn.Linear(2, 1)
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    calls = []
    h = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt, args == (opt,), kwargs)))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post",)))
    opt.step()
    assert calls == [("pre", True, True, {}), ("post",)]  # (args: step's own, self first)
    h.remove()
    opt.step()
    assert calls[-1] == ("post",) and len(calls) == 3
    opt.register_state_dict_pre_hook(lambda o: calls.append("sd pre"))
    opt.register_state_dict_post_hook(lambda o, sd: dict(sd, extra=1))
    sd = opt.state_dict()
    assert sd["extra"] == 1 and calls[-1] == "sd pre"
    opt.register_load_state_dict_pre_hook(lambda o, sd: {k: v for k, v in sd.items() if k != "extra"})
    opt.register_load_state_dict_post_hook(lambda o: calls.append("load post"))
    opt.load_state_dict(sd)
    assert calls[-1] == "load post"
    bad = opt.register_step_pre_hook(lambda o, a, k: 3)
    with pytest.raises(RuntimeError, match="must return None or a tuple of \\(new_args, new_kwargs\\), but got 3"):
        opt.step()
    bad.remove()


def test_optimizer_step_hooks_wrap_a_custom_step():
    class Mine(torch.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.5})

        def step(self, closure=None):
            for g in self.param_groups:
                for p in g["params"]:
                    p.data.add_(-g["lr"] * p.grad)
    p = nn.Parameter(torch.ones(2))
    opt = Mine([p])
    seen = []
    opt.register_step_post_hook(lambda o, a, k: seen.append(p.tolist()))
    (p ** 2).sum().backward()
    opt.step()
    assert seen == [[0.0, 0.0]]
    from tinygrad_ext.optim.optimizer import register_optimizer_step_pre_hook
    h = register_optimizer_step_pre_hook(lambda o, a, k: seen.append(type(o).__name__))
    torch.optim.SGD([p], lr=0.1).step()
    h.remove()
    assert seen[-1] == "SGD"


def test_loss_and_layer_node_names():
    F = nn.functional
    x = torch.randn(3, 4, requires_grad=True)
    z = torch.zeros(3, 4)
    for r in ("none", "sum", "mean"):
        assert F.smooth_l1_loss(x, z, reduction=r).grad_fn.name() == "SmoothL1LossBackward0"
        assert F.huber_loss(x, z, reduction=r).grad_fn.name() == "HuberLossBackward0"
        assert F.soft_margin_loss(x, z, reduction=r).grad_fn.name() == "SoftMarginLossBackward0"
    assert F.smooth_l1_loss(x, z, beta=0.0).grad_fn.name() == "MeanBackward0"  # (torch's: l1_loss then)
    y = torch.randn(1, 2, 5, 5, requires_grad=True)
    assert F.adaptive_avg_pool2d(y, 1).grad_fn.name() == "MeanBackward1"
    assert nn.AdaptiveAvgPool2d((1, 1))(y[0]).grad_fn.name() == "MeanBackward1"
    assert F.adaptive_avg_pool2d(y, 2).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert F.adaptive_avg_pool2d(y, 5).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert F.adaptive_avg_pool3d(y.unsqueeze(0), 1).grad_fn.name() == "MeanBackward1"
    assert F.adaptive_avg_pool3d(y, 2).grad_fn.name() == "AdaptiveAvgPool3DBackward0"
    np.testing.assert_allclose(F.adaptive_avg_pool2d(y, 1).detach().numpy().ravel(),
                               y.detach().numpy().mean((2, 3)).ravel(), rtol=1e-6)
    lin = nn.Linear(3, 2)
    out = lin(torch.randn(3))
    assert out.grad_fn.name() == "ViewBackward0" and out.grad_fn.next_functions[0][0].name() == "AddmmBackward0"
    assert nn.Linear(3, 2, bias=False)(torch.randn(3)).grad_fn.name() == "SqueezeBackward4"


def test_more_node_names_as_torch():
    F = nn.functional
    x = torch.randn(2, 3, 6, requires_grad=True)
    x4 = torch.randn(1, 2, 4, 4, requires_grad=True)
    x5 = torch.randn(1, 1, 3, 3, 3, requires_grad=True)
    got = {}
    for m, pre in (("reflect", "ReflectionPad"), ("replicate", "ReplicationPad")):
        for i, (t, p) in enumerate(((x, (1, 1)), (x4, (1,) * 4), (x5, (1,) * 6))):
            got[f"{pre}{i + 1}DBackward0"] = F.pad(t, p, mode=m)
    cases = [("ConstantPadNdBackward0", F.pad(x, (1, 1))), ("ConstantPadNdBackward0", F.pad(x, (-1, 1), value=2.0)),
             ("RreluWithNoiseBackward0", F.rrelu(x, training=True)), ("RreluWithNoiseBackward0", F.rrelu(x)),
             ("CeluBackward0", F.celu(x)), ("CeluBackward0", nn.CELU()(x)), ("LogSigmoidBackward0", F.logsigmoid(x)),
             ("PreluKernelBackward0", F.prelu(x, torch.ones(3))), ("NormBackward1", F.pairwise_distance(x[0], x[1])),
             ("LogsumexpBackward0", x.logsumexp(1)), ("LogsumexpBackward0", torch.logsumexp(x, (0, 1))),
             ("NativeBatchNormBackward0", F.batch_norm(x, None, None, training=True)),
             ("NativeBatchNormBackward0", F.batch_norm(x, torch.zeros(3), torch.ones(3))),
             ("NativeBatchNormBackward0", nn.BatchNorm2d(2).eval()(x4)),
             ("NativeGroupNormBackward0", F.group_norm(x, 3)), ("NativeGroupNormBackward0", nn.GroupNorm(1, 2)(x4)),
             ("ViewBackward0", F.instance_norm(x)), ("ViewBackward0", nn.InstanceNorm1d(3)(x)),
             ("ConvolutionBackward0", F.conv1d(x, torch.randn(2, 3, 2))),
             ("SqueezeBackward1", F.conv1d(x[0], torch.randn(2, 3, 2))),
             ("ConvolutionBackward0", F.conv3d(x5, torch.randn(1, 1, 2, 2, 2))),
             ("MultiMarginLossBackward0", F.multi_margin_loss(x[0], torch.tensor([0, 1, 2]), reduction="none")),
             ("MultilabelMarginLossBackward0", F.multilabel_margin_loss(x[0, :, :3], torch.tensor([[0, -1, 1]] * 3)))]
    want = {k: k for k in got} | {f"{i}:{k}": k for i, (k, _) in enumerate(cases)}
    got = {k: v.grad_fn.name() for k, v in got.items()} | {f"{i}:{k}": v.grad_fn.name()
                                                          for i, (k, v) in enumerate(cases)}
    assert got == want
    np.testing.assert_allclose(F.celu(x, 2.0).detach().numpy(), np.where(x.detach().numpy() > 0, x.detach().numpy(),
                               2.0 * np.expm1(x.detach().numpy() / 2.0)), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name,args", [("normal_", (0, 0.02)), ("uniform_", (-0.1, 0.1)), ("bernoulli_", (0.5,)),
                                       ("exponential_", ()), ("random_", (0, 5)), ("cauchy_", ()),
                                       ("log_normal_", ()), ("geometric_", (0.5,))])
def test_inplace_sampling_of_a_leaf_that_requires_grad(name, args):
    w = nn.Linear(2, 2).weight
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        getattr(w, name)(*args)
    with torch.no_grad():  # (the way to initialize a parameter in place)
        assert getattr(w, name)(*args) is w


def test_parametrize_type_before_and_cached():
    from tinygrad_ext.nn.utils import parametrize as P

    class Double(nn.Module):
        def forward(self, x):
            return x * 2
    lin = nn.Linear(2, 2)
    assert P.type_before_parametrizations(lin) is nn.Linear
    P.register_parametrization(lin, "weight", Double())
    assert P.type_before_parametrizations(lin) is nn.Linear and type(lin).__name__ == "ParametrizedLinear"
    assert lin.weight is not lin.weight
    with P.cached():
        w = lin.weight
        assert lin.weight is w and torch.equal(w, lin.parametrizations.weight.original * 2)
        with P.cached():
            assert lin.weight is w
        assert lin.weight is w
    assert lin.weight is not w


def test_lstm_output_node_name():
    out, (h, c) = nn.LSTM(3, 4)(torch.randn(4, 2, 3))
    assert out.grad_fn.name() == "MkldnnRnnLayerBackward0" and h.grad_fn.name() == "StackBackward0"
    assert repr(out.grad_fn).startswith("<MkldnnRnnLayerBackward0 object at ")


def test_dataloader_iterator_class_names():
    from tinygrad_ext.utils.data import DataLoader
    assert type(iter(DataLoader(range(4)))).__name__ == "_SingleProcessDataLoaderIter"
    assert type(iter(DataLoader(range(4), num_workers=1))).__name__ == "_MultiProcessingDataLoaderIter"
    assert type(iter(DataLoader(range(4)))).__mro__[1].__name__ == "_BaseDataLoaderIter"


def test_norm_layers_refuse_mixed_dtypes_as_torch():
    F = nn.functional
    x64 = torch.ones(3, 2, 4, dtype=torch.float64)
    same = "mixed dtype \\(CPU\\): all inputs must share same datatype."
    for layer in (nn.BatchNorm1d(2), nn.BatchNorm1d(2).eval(), nn.LayerNorm(4), nn.GroupNorm(1, 2),
                  nn.InstanceNorm1d(2, affine=True)):
        with pytest.raises(RuntimeError, match=same):
            layer(x64)
    assert nn.InstanceNorm1d(2)(x64).dtype == torch.float64  # (no parameters: nothing to mix)
    with pytest.raises(RuntimeError, match="mixed dtype \\(CPU\\): expect parameter to have scalar type of Float"):
        F.batch_norm(x64, torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64), torch.ones(2))
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.layer_norm(x64, (4,), torch.ones(4, dtype=torch.float64), torch.zeros(4))
    for dt in (torch.float16, torch.bfloat16):  # reduced-precision input, float32 parameters: allowed
        x = torch.ones(3, 2, 4, dtype=dt)
        for layer in (nn.BatchNorm1d(2), nn.LayerNorm(4), nn.GroupNorm(1, 2)):
            assert layer(x).dtype == dt
        with pytest.raises(RuntimeError, match="mixed dtype \\(CPU\\): expect parameter to have scalar type of Float"):
            F.batch_norm(x, torch.zeros(2, dtype=dt), torch.ones(2, dtype=dt), torch.ones(2))
    assert nn.BatchNorm1d(2).double()(x64).dtype == torch.float64


def test_pool_interpolate_bilinear_and_module_to_messages():
    F = nn.functional
    with pytest.raises(RuntimeError, match="non-empty 3D or 4D \\(batch mode\\) tensor expected for input"):
        nn.MaxPool2d(2)(torch.ones(1, 4))
    with pytest.raises(IndexError,
                       match="Dimension out of range \\(expected to be in range of \\[-2, 1\\], but got -3"):
        F.avg_pool2d(torch.ones(1, 4), 2)
    for shape in ((2,), (1, 1, 1, 1, 1, 1)):
        with pytest.raises(NotImplementedError, match=f"got {len(shape)}D\\) for the modes: nearest \\| linear \\| "
                                                      "bilinear \\| bicubic \\| trilinear \\| lanczos \\| area"):
            F.interpolate(torch.ones(*shape), scale_factor=2)
    with pytest.raises(RuntimeError, match="bilinear\\(\\): input batch dimensions do not match at dim 0: got 5 and 4"):
        nn.Bilinear(2, 3, 4)(torch.ones(5, 2), torch.ones(4, 3))
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes, but got desired "
                                        "dtype=torch.int64"):
        nn.Linear(1, 1).to(torch.int64)


def test_module_storage_dicts_and_moduledict_update_errors():
    m = nn.Linear(2, 2)
    assert type(m._parameters) is dict and type(m._buffers) is dict and type(m._modules) is dict
    assert type(nn.ModuleDict({"a": nn.ReLU()}).values()).__name__ == "dict_values"
    d = nn.ModuleDict()
    with pytest.raises(TypeError, match="ModuleDict.update should be called with an iterable of key/value pairs, "
                                        "but got ReLU"):
        d.update(nn.ReLU())
    with pytest.raises(ValueError, match="ModuleDict update sequence element #1 has length 1; 2 is required"):
        d.update([("a", nn.ReLU()), ("b",)])
    with pytest.raises(TypeError, match="ModuleDict update sequence element #0 should be Iterable; isint"):
        d.update([3])
    d.update([["x", nn.Tanh()]])
    assert list(d) == ["a", "x"]


def test_data_classes_are_generic_and_dataloader_attributes_frozen():
    from typing import Tuple
    from tinygrad_ext.utils.data import (ConcatDataset, DataLoader, Dataset, IterableDataset, Sampler,
                                         SequentialSampler, Subset)

    class D(Dataset[Tuple[int, int]]):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return i, i

    class S(Sampler[int]):
        def __iter__(self):
            return iter([1, 0])

        def __len__(self):
            return 2

    class It(IterableDataset[int]):
        def __iter__(self):
            return iter([5])
    assert [b[0].tolist() for b in DataLoader(D(), batch_size=2, sampler=S())] == [[1, 0]]
    assert [int(b) for b in DataLoader(It())] == [5]
    for cls in (DataLoader, Subset, ConcatDataset):
        assert cls[int] is not None
    dl = DataLoader(D(), batch_size=1)
    for name in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"):
        with pytest.raises(ValueError, match=f"{name} attribute should not be set after DataLoader is initialized"):
            setattr(dl, name, getattr(dl, name))
    dl.collate_fn = lambda b: b  # (other attributes may change)
    assert isinstance(dl.sampler, SequentialSampler)


def test_elementwise_mean_and_too_many_workers_warn():
    import os
    from tinygrad_ext.utils.data import DataLoader
    F = nn.functional
    with pytest.warns(UserWarning, match="reduction='elementwise_mean' is deprecated. Please use reduction='mean'"):
        loss = F.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]), reduction="elementwise_mean")
    assert abs(loss.item() - float(np.log(3))) < 1e-6
    n = len(os.sched_getaffinity(0)) + 1
    with pytest.warns(UserWarning, match=f"This DataLoader will create {n} worker processes in total. Our suggested "
                                         f"max number of worker in current system is {n - 1}, which is smaller"):
        DataLoader(range(2), num_workers=n)


def test_gradient_of_a_promoted_operand_comes_back_in_its_dtype():
    # (autocast output + a float32 residual: the bfloat16 branch's gradient is bfloat16, as torch's engine casts)
    x = torch.randn(2, 3, requires_grad=True)
    w = torch.randn(4, 3, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = nn.functional.linear(x, w)
    assert y.dtype == torch.bfloat16
    (y + torch.zeros(2, 4)).sum().backward()
    assert x.grad.dtype == torch.float32 and w.grad.dtype == torch.float32
    a = torch.randn(2, 2, dtype=torch.bfloat16, requires_grad=True)
    b = torch.randn(2, 2, requires_grad=True)
    (a.mm(a) * b).sum().backward()
    assert a.grad.dtype == torch.bfloat16 and b.grad.dtype == torch.float32
    h = torch.randn(3, dtype=torch.float16, requires_grad=True)
    g, = torch.autograd.grad((h * 2 - torch.ones(3, dtype=torch.float64)).sum(), h)
    assert g.dtype == torch.float16 and g.tolist() == [2.0, 2.0, 2.0]


def test_lstm_under_cpu_autocast_gives_lower_precision_and_trains():
    m = nn.LSTM(3, 4, proj_size=2)
    x = torch.randn(2, 1, 3, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, (h, c) = m(x)
    out.float().sum().backward()
    assert out.dtype == torch.bfloat16 and m.weight_ih_l0.grad.dtype == torch.float32
    for kw in ({}, {"num_layers": 2}, {"bidirectional": True}):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out, (h, c) = nn.LSTM(3, 4, **kw)(x)
        assert (out.dtype, h.dtype, c.dtype) == (torch.bfloat16,) * 3


class _Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(1, 1)
        self.count = 3

    def get_extra_state(self):
        return {"count": self.count}

    def set_extra_state(self, state):
        self.count = state["count"]


def test_extra_state_saved_and_loaded():
    m = _Counter()
    sd = m.state_dict()
    assert list(sd) == ["_extra_state", "l.weight", "l.bias"] and sd["_extra_state"] == {"count": 3}
    m2 = _Counter()
    m2.count = 0
    assert repr(m2.load_state_dict(sd)) == "<All keys matched successfully>" and m2.count == 3
    assert list(nn.Sequential(_Counter()).state_dict()) == ["0._extra_state", "0.l.weight", "0.l.bias"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "_extra_state"'):
        m2.load_state_dict({"l.weight": torch.ones(1, 1), "l.bias": torch.ones(1)})
    with pytest.raises(RuntimeError, match="Reached a code path in Module.get_extra_state\\(\\) that should never be"):
        nn.Linear(1, 1).get_extra_state()
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "_extra_state"'):
        nn.Linear(1, 1).load_state_dict({"weight": torch.ones(1, 1), "bias": torch.ones(1), "_extra_state": 1})


def test_load_from_state_dict_override_remaps_keys():
    class Renamed(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.Linear(1, 1)
            self.register_buffer("b", torch.zeros(2))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                  error_msgs):
            if prefix + "old_w" in state_dict:
                state_dict[prefix + "l.weight"] = state_dict.pop(prefix + "old_w")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                          error_msgs)
    m = nn.Sequential(Renamed())
    src = {"0.old_w": torch.full((1, 1), 2.0), "0.l.bias": torch.zeros(1), "0.b": torch.ones(2)}
    assert repr(m.load_state_dict(src)) == "<All keys matched successfully>"
    assert m[0].l.weight.item() == 2.0 and m[0].b.tolist() == [1.0, 1.0] and "0.old_w" in src
    r = m.load_state_dict({"0.old_w": torch.ones(1, 1), "0.zzz": torch.ones(1)}, strict=False)
    assert r.missing_keys == ["0.b", "0.l.bias"] and r.unexpected_keys == ["0.zzz"]
    with pytest.raises(RuntimeError, match="size mismatch for 0.b: copying a param with shape torch.Size\\(\\[3\\]\\)"):
        m.load_state_dict({"0.old_w": torch.ones(1, 1), "0.l.bias": torch.zeros(1), "0.b": torch.ones(3)})


def test_requires_grad_takes_a_bool():
    for v in (None, 1, "a"):
        with pytest.raises(TypeError, match=f"requires_grad_\\(\\): argument 'requires_grad' \\(position 1\\) must be "
                                            f"bool, not {type(v).__name__}"):
            nn.Linear(1, 1).requires_grad_(v)
    assert torch.ones(1).requires_grad_(True).requires_grad


def test_cross_entropy_smoothing_and_probability_node_names():
    F = nn.functional
    x = torch.randn(3, 4, requires_grad=True)
    t, p = torch.tensor([0, 1, 3]), torch.rand(3, 4)
    for r, probs in (("none", "NegBackward0"), ("sum", "NegBackward0"), ("mean", "DivBackward1")):
        assert F.cross_entropy(x, t, label_smoothing=0.1, reduction=r).grad_fn.name() == "AddBackward0"
        assert F.cross_entropy(x, t, reduction=r).grad_fn.name() == "NllLossBackward0"
        assert F.cross_entropy(x, p, reduction=r).grad_fn.name() == probs
        assert F.cross_entropy(x, p, reduction=r, label_smoothing=0.1).grad_fn.name() == probs


def test_copy_into_a_tensor_in_the_graph_records_copy_backwards():
    a = torch.randn(2, dtype=torch.bfloat16, requires_grad=True)
    b = torch.randn(2, requires_grad=True)
    c = b.clone()
    c.copy_(a)
    assert c.grad_fn.name() == "torch::autograd::CopyBackwards" and c.dtype == torch.float32
    (c * 3).sum().backward()
    assert b.grad.tolist() == [0.0, 0.0] and a.grad.dtype == torch.bfloat16 and a.grad.tolist() == [3.0, 3.0]
    buf = torch.zeros(2, 2)
    buf.copy_(b)  # (a broadcast source into a tensor outside the graph)
    buf.sum().backward()
    assert buf.grad_fn.name() == "torch::autograd::CopyBackwards" and b.grad.tolist() == [2.0, 2.0]
