"""NLP-from-scratch, sequence-model and channels-last tutorial programs that differed from torch 2.13: nn.RNN's step
adds b_hh inside the recurrent product and b_ih inside the input projection (torch's CPU cell: linear_hh(h) +
linear_ih(x)), never the two biases summed first; an LSTM with projections on float32 CPU warns once as torch's
(oneDNN has no projections); zeros_like / ones_like / empty_like / full_like keep the input's layout
(preserve_format: a dense input's strides, another input's dims in their memory order; torch's empty_like) and take
memory_format=. Expected values written down from torch."""
import warnings

import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn as nn
from tinygrad_ext.nn.modules import rnn as _rnn


def test_rnn_biases_added_as_torch_cell():
    # torch: relu((h @ W_hh^T + b_hh) + (x @ W_ih^T + b_ih)) = relu(2^-24 + (1 + 2^-24)) = 1 exactly; summing the
    # biases first gives 1 + 2^-23
    rnn = nn.RNN(1, 1, nonlinearity="relu")
    with torch.no_grad():
        rnn.weight_ih_l0.fill_(1.0)
        rnn.weight_hh_l0.fill_(0.0)
        rnn.bias_ih_l0.fill_(2.0 ** -24)
        rnn.bias_hh_l0.fill_(2.0 ** -24)
    out, h = rnn(torch.ones(2, 1, 1))
    assert out.flatten().tolist() == [1.0, 1.0]
    assert h.flatten().tolist() == [1.0]


def test_rnn_bias_grads_from_own_products():
    # the two biases' gradients are sums over different nodes (torch's AddmmBackward of each product): b_hh's over
    # the steps' recurrent products, b_ih's over the one input projection
    rnn = nn.RNN(1, 1, nonlinearity="relu")
    with torch.no_grad():
        rnn.weight_ih_l0.fill_(1.0)
        rnn.weight_hh_l0.fill_(0.5)
        rnn.bias_ih_l0.fill_(0.0)
        rnn.bias_hh_l0.fill_(0.0)
    out, _ = rnn(torch.ones(3, 1, 1))
    out.sum().backward()
    assert out.flatten().tolist() == [1.0, 1.5, 1.75]
    assert rnn.bias_ih_l0.grad.tolist() == [4.25]
    assert rnn.bias_hh_l0.grad.tolist() == [4.25]
    assert rnn.weight_hh_l0.grad.tolist() == [[3.0]]


def test_lstm_projections_warn_once(monkeypatch):
    monkeypatch.setattr(_rnn, "_PROJ_WARNED", [False])
    lstm = nn.LSTM(1, 2, proj_size=1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        lstm(torch.ones(2, 1, 1))
        lstm(torch.ones(2, 1, 1))
        nn.LSTM(1, 2)(torch.ones(2, 1, 1))
    assert [str(x.message) for x in w] == [
        "LSTM with projections is not supported with oneDNN. Using default implementation."]


def _cases():
    return [torch.ones(2, 3), torch.ones(2, 3).t(), torch.ones(3, 4)[:, ::2], torch.ones(3, 4).t()[::2],
            torch.ones(1, 3).expand(4, 3), torch.ones(3, 1).expand(3, 4), torch.ones(2, 3, 4).permute(2, 0, 1),
            torch.ones(2, 3, 4).permute(1, 2, 0)[:, ::2], torch.ones(4, 1, 3, 3).permute(0, 2, 3, 1),
            torch.ones(2, 3, 4, 5).contiguous(memory_format=torch.channels_last)[:, :, 1:3],
            torch.ones(2, 1, 4, 5).contiguous(memory_format=torch.channels_last), torch.ones(()),
            torch.ones(0, 3).t(), torch.ones(3, 3)[::2, ::2], torch.ones(6)[::2],
            torch.ones(2, 2, 2).transpose(0, 2)[:, :1], torch.ones(5, 4).t()[1:],
            torch.ones(2, 3, 2, 2).permute(3, 2, 1, 0).expand(2, 2, 3, 2)]


# torch 2.13's strides of empty_like / zeros_like / ones_like / full_like of each case
_LIKE_STRIDES = [(3, 1), (1, 3), (2, 1), (1, 2), (3, 1), (4, 1), (1, 12, 4), (2, 1, 6), (9, 3, 1, 9), (30, 1, 15, 3),
                 (20, 20, 5, 1), (), (1, 3), (2, 1), (1,), (1, 2, 2), (1, 3), (1, 2, 4, 12)]


@pytest.mark.parametrize("k", range(len(_LIKE_STRIDES)))
def test_like_factories_preserve_layout(k):
    c = _cases()[k]
    for t in (torch.empty_like(c), torch.zeros_like(c), torch.ones_like(c), torch.full_like(c, 3),
              torch.zeros_like(c, dtype=torch.int64)):
        assert t.stride() == _LIKE_STRIDES[k]
        assert t.shape == c.shape
    assert torch.zeros_like(c).sum().item() == 0
    assert torch.ones_like(c).sum().item() == c.numel()
    assert torch.full_like(c, 3).sum().item() == 3 * c.numel()


def test_like_factories_memory_format_and_values():
    z = torch.randn(2, 3, 4, 5).contiguous(memory_format=torch.channels_last)
    assert torch.zeros_like(z, memory_format=torch.contiguous_format).stride() == (60, 20, 5, 1)
    assert torch.ones_like(torch.ones(2, 3, 4, 5), memory_format=torch.channels_last).stride() == (60, 1, 15, 3)
    assert torch.empty_like(torch.ones(2, 3).t(), memory_format=torch.contiguous_format).stride() == (2, 1)
    assert torch.zeros_like(z, memory_format=torch.preserve_format).stride() == (60, 1, 15, 3)
    with pytest.raises(RuntimeError, match="^required rank 4 tensor to use channels_last format$"):
        torch.zeros_like(torch.ones(2, 3), memory_format=torch.channels_last)
    assert torch.full_like(torch.ones(2, dtype=torch.int64), 2.7).tolist() == [2, 2]
    assert torch.full_like(torch.ones(2), True).tolist() == [1.0, 1.0]
    assert torch.full_like(torch.ones(2, dtype=torch.bool), 0).tolist() == [False, False]
    assert torch.full_like(torch.ones(2, 3).t(), 7).stride() == (1, 3)
    y = torch.zeros_like(torch.ones(2, requires_grad=True), requires_grad=True)
    assert y.requires_grad and y.is_leaf and y._version == 0
    assert torch.full_like(y, 2.0)._version == 0 and not torch.full_like(y, 2.0).requires_grad
    assert torch.ones_like(z)._version == 0


def test_dynamo_explain():
    def f(x):
        return x.sin() + 1

    e = torch._dynamo.explain(f)(torch.ones(3))
    assert type(e).__name__ == "ExplainOutput"
    assert (e.graph_count, e.graph_break_count, e.break_reasons, len(e.graphs)) == (1, 0, [], 1)
    assert str(e).startswith("Graph Count: 1\nGraph Break Count: 0\nOp Count: ")
    assert "Break Reasons:\nOps per Graph:\n  Ops 1:\n" in str(e)
    assert repr(e).startswith("ExplainOutput(graphs=[")
    with pytest.warns(FutureWarning) as w:
        e = torch._dynamo.explain(f, torch.ones(3))
    assert str(w[0].message) == (
        "explain(f, *args, **kwargs) is deprecated, use explain(f)(*args, **kwargs) instead.  If you don't migrate, "
        "we may break your explain call in the future if your user defined kwargs conflict with future kwargs added "
        "to explain(f).")
    assert e.graph_break_count == 0

    def bar(a, b):  # (the torch.compile tutorial's: a value read in Python breaks the graph)
        x = a / (torch.abs(a) + 1)
        if b.sum() < 0:
            b = b * -1
        return x * b

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (explain reports the breaks: no warning)
        e = torch._dynamo.explain(bar)(torch.ones(4), torch.ones(4))
    assert e.graph_break_count == len(e.break_reasons) >= 1
    r = e.break_reasons[0]
    assert type(r).__name__ == "GraphCompileReason" and isinstance(r.reason, str) and r.graph_break
    assert "  Break Reason 1:\n    Reason: " in str(e)


# torch 2.13's strides of each case below (the channels-last tutorial's layouts: elementwise results as torch's
# TensorIterator lays them out, clone's preserve_format default, to(dtype) preserving, to(memory_format=) by the
# suggested format, CPU convolutions and pools channels-last when an operand is, gradients in the forward's layout
# and .grad by the leaf's layout contract)
_TORCH_STRIDES = {
    "add": (60, 1, 15, 3), "mul": (60, 1, 15, 3), "relu": (60, 1, 15, 3), "sin": (60, 1, 15, 3),
    "clamp": (60, 1, 15, 3), "where": (60, 1, 15, 3), "lrelu": (60, 1, 15, 3), "cmp": (60, 1, 15, 3),
    "mixed_cl_first": (60, 1, 15, 3), "mixed_contig_first": (60, 20, 5, 1), "bcast_bias": (60, 1, 15, 3),
    "bcast_row": (1, 4), "t_plus_t": (1, 4), "t_exp": (1, 4), "slice_nondense": (1, 2), "expand_row": (3, 1),
    "perm3": (1, 12, 4), "int_to_float": (1, 4), "clone": (60, 1, 15, 3), "contig": (60, 20, 5, 1),
    "clone_cf": (60, 20, 5, 1), "clone_t": (1, 4), "clone_slice": (1, 2), "to_double": (60, 1, 15, 3),
    "to_int": (1, 4), "to_cl_ambiguous": (25, 1, 5, 1), "to_cl_n11": (4, 1, 4, 4),
    "contig_cl_ambiguous": (25, 25, 5, 1), "conv_x_cl": (120, 1, 30, 6), "conv_w_cl": (120, 1, 30, 6),
    "conv_none": (120, 20, 5, 1), "conv_f64": (120, 1, 30, 6), "conv_n11": (3, 1, 3, 3), "convT": (84, 1, 14, 2),
    "conv1d_t": (12, 4, 1), "maxpool": (12, 1, 6, 3), "maxpool_idx": (12, 1, 6, 3), "avgpool": (12, 1, 6, 3),
    "grad_x_cl": (60, 1, 15, 3), "grad_w_cl": (27, 1, 9, 3), "grad_x_c_wcl": (60, 20, 5, 1),
    "grad_w_c_wcl": (27, 1, 9, 3), "grad_x_cl_wc": (60, 1, 15, 3), "grad_w_cl_wc": (27, 9, 3, 1),
    "grad_maxpool": (60, 1, 15, 3), "grad_leaf_t": (1, 4), "grad_leaf_nondense": (3, 1), "bn": (60, 1, 15, 3),
}


def _layout_cases():
    F = nn.functional
    cl = torch.channels_last
    z = torch.arange(120.).reshape(2, 3, 4, 5).to(memory_format=cl)
    w = torch.ones(6, 3, 3, 3)
    r = {"add": z + 1, "mul": z * z, "relu": z.relu(), "sin": torch.sin(z), "clamp": z.clamp(0, 5),
         "where": torch.where(z > 3, z, 0.), "lrelu": F.leaky_relu(z), "cmp": z > 3,
         "mixed_cl_first": z + torch.ones(2, 3, 4, 5), "mixed_contig_first": torch.ones(2, 3, 4, 5) + z,
         "bcast_bias": z + torch.ones(1, 3, 1, 1), "bcast_row": torch.ones(3, 4).t() + torch.ones(3),
         "t_plus_t": torch.ones(3, 4).t() * torch.ones(3, 4).t(), "t_exp": torch.ones(3, 4).t().exp(),
         "slice_nondense": torch.ones(3, 4).t()[::2] + 1, "expand_row": torch.ones(1, 3).expand(4, 3) + 1,
         "perm3": torch.ones(2, 3, 4).permute(2, 0, 1) - 1,
         "int_to_float": torch.ones(3, 4, dtype=torch.int64).t() * 1.5,
         "clone": z.clone(), "contig": z.contiguous(), "clone_cf": z.clone(memory_format=torch.contiguous_format),
         "clone_t": torch.ones(3, 4).t().clone(), "clone_slice": torch.ones(3, 4).t()[::2].clone(),
         "to_double": z.double(), "to_int": torch.ones(3, 4).t().to(torch.int32),
         "to_cl_ambiguous": torch.ones(2, 1, 5, 5).to(memory_format=cl),
         "to_cl_n11": torch.ones(2, 4, 1, 1).to(memory_format=cl),
         "contig_cl_ambiguous": torch.ones(2, 1, 5, 5).contiguous(memory_format=cl),
         "conv_x_cl": F.conv2d(z, w, padding=1),
         "conv_w_cl": F.conv2d(z.contiguous(), w.to(memory_format=cl), padding=1),
         "conv_none": F.conv2d(z.contiguous(), w, padding=1), "conv_f64": F.conv2d(z.double(), w.double(), padding=1),
         "conv_n11": F.conv2d(torch.ones(2, 4, 1, 1).to(memory_format=cl), torch.ones(3, 4, 1, 1)),
         "convT": F.conv_transpose2d(z, torch.ones(3, 2, 3, 3)),
         "conv1d_t": F.conv1d(torch.ones(2, 5, 4).transpose(1, 2), torch.ones(3, 4, 2)),
         "avgpool": F.avg_pool2d(z, 2), "bn": nn.BatchNorm2d(3)(z)}
    r["maxpool"], r["maxpool_idx"] = F.max_pool2d(z, 2, return_indices=True)
    for name, x, ww in (("cl", z.clone(), w.to(memory_format=cl)), ("c_wcl", z.contiguous(), w.to(memory_format=cl)),
                        ("cl_wc", z.clone(), w.clone())):
        x.requires_grad_()
        ww.requires_grad_()
        F.conv2d(x, ww, padding=1).sum().backward()
        r["grad_x_" + name], r["grad_w_" + name] = x.grad, ww.grad
    a = z.clone().requires_grad_()
    F.max_pool2d(a, 2).sum().backward()
    r["grad_maxpool"] = a.grad
    t = torch.ones(3, 4).t().requires_grad_()
    (t * 2).sum().backward()
    r["grad_leaf_t"] = t.grad
    t = torch.ones(4, 6)[:, ::2].requires_grad_()
    (t * 2).sum().backward()
    r["grad_leaf_nondense"] = t.grad
    return r


def test_layouts_as_torch():
    got = {k: tuple(v.stride()) for k, v in _layout_cases().items()}
    assert got == _TORCH_STRIDES


def test_channels_last_values_unchanged():
    F = nn.functional
    z = torch.arange(120.).reshape(2, 3, 4, 5).to(memory_format=torch.channels_last)
    assert F.conv2d(z, torch.ones(6, 3, 3, 3), padding=1).sum().item() == 278460.0
    m, i = F.max_pool2d(z, 2, return_indices=True)
    assert m.sum().item() == 1488.0 and i.flatten()[:6].tolist() == [6, 8, 16, 18, 6, 8]
    assert (z + 1).tolist() == (z.contiguous() + 1).tolist()
    assert z.clone().grad_fn is None
    assert torch.ones(3, 4, requires_grad=True).t().clone().grad_fn.name() == "CloneBackward0"


def test_logging_set_logs():
    from tinygrad_ext import _logging

    torch._logging.set_logs(graph_breaks=True, recompiles=True, dynamo=20)
    assert _logging.LOGS == {"graph_breaks": True, "recompiles": True, "dynamo": 20}
    torch._logging.set_logs()
    assert _logging.LOGS == {}
    with pytest.raises(TypeError, match=r"^set_logs\(\) got an unexpected keyword argument 'foo'$"):
        torch._logging.set_logs(foo=True)
    with pytest.raises(ValueError, match="^Unrecognized log level for log dynamo: x, valid level values are: "
                                         "50,40,30,20,10,0$"):
        torch._logging.set_logs(dynamo="x")
    with pytest.raises(ValueError, match="^Expected bool to enable artifact graph_code, received 1$"):
        torch._logging.set_logs(graph_code=1)
    import inspect
    params = inspect.signature(torch._logging.set_logs).parameters
    assert list(params)[:3] == ["all", "dynamo", "aot"] and list(params)[-1] == "caching" and len(params) == 54


def test_cat_stack_upsample_layouts():
    F = nn.functional
    z = torch.arange(96.).reshape(2, 3, 4, 4).to(memory_format=torch.channels_last)
    r = {"cat_cl": torch.cat([z, z], 1), "cat_mixed": torch.cat([z, z.contiguous()], 1),
         "cat_dim0": torch.cat([z, z], 0), "stack_cl": torch.stack([z, z]),
         "stack_2d": torch.stack([torch.ones(2, 3), torch.ones(2, 3)], 1),
         "up_nearest": F.interpolate(z, scale_factor=2),
         "up_bilinear": F.interpolate(z, scale_factor=2, mode="bilinear"),
         "up_size_ac": F.interpolate(z, size=(3, 5), mode="bilinear", align_corners=True),
         "up_3d": F.interpolate(torch.ones(2, 3, 4, 4, 4).to(memory_format=torch.channels_last_3d), scale_factor=2),
         "up_1d_t": F.interpolate(torch.ones(2, 3, 4).transpose(1, 2), scale_factor=2)}
    assert {k: tuple(v.stride()) for k, v in r.items()} == {  # (torch 2.13's)
        "cat_cl": (96, 1, 24, 6), "cat_mixed": (96, 16, 4, 1), "cat_dim0": (48, 1, 12, 3),
        "stack_cl": (96, 48, 1, 12, 3), "stack_2d": (6, 3, 1), "up_nearest": (192, 1, 24, 3),
        "up_bilinear": (192, 1, 24, 3), "up_size_ac": (45, 1, 15, 3), "up_3d": (1536, 1, 192, 24, 3),
        "up_1d_t": (24, 6, 1)}
    assert torch.stack([z, z]).sum().item() == 9120.0 and torch.cat([z, z], 1)[1, 4, 2].tolist() == [72.0, 73.0, 74.0,
                                                                                                       75.0]
    assert torch.stack([z, z]).grad_fn is None
    a = torch.ones(2, 3, requires_grad=True)
    assert torch.stack([a, a]).grad_fn.name() == "StackBackward0"


def test_is_contiguous_with_wrapped_tensor_methods(monkeypatch):
    # the channels-last tutorial wraps every Tensor method to check layouts (is_contiguous itself excluded): ours
    # must not call the wrapped ones back
    calls = []
    dim = torch.Tensor.dim

    def wrapped(self, *a):
        calls.append(1)
        self.is_contiguous(memory_format=torch.channels_last)
        return dim(self, *a)

    monkeypatch.setattr(torch.Tensor, "dim", wrapped)
    z = torch.ones(2, 3, 4, 5).to(memory_format=torch.channels_last)
    calls.clear()
    assert z.is_contiguous(memory_format=torch.channels_last) and calls == []
    assert z.dim() == 4 and calls == [1]


def test_functional_layouts_and_nodes():
    F = nn.functional
    z = torch.arange(96.).reshape(2, 3, 4, 4).to(memory_format=torch.channels_last).requires_grad_()
    s = torch.arange(16.).reshape(1, 4, 2, 2).to(memory_format=torch.channels_last).requires_grad_()
    outs = {"aap1": F.adaptive_avg_pool2d(z, 1), "aap3": F.adaptive_avg_pool2d(z, 3),
            "aap2": F.adaptive_avg_pool2d(z, 2), "pad": F.pad(z, (1, 1, 1, 1)), "gn": F.group_norm(z, 1),
            "ps": F.pixel_shuffle(s, 2),
            "bicubic": F.interpolate(z, scale_factor=2, mode="bicubic"), "ln": F.layer_norm(z, (4,)),
            "in": F.instance_norm(z), "reflect": F.pad(z, (1, 1, 1, 1), mode="reflect"),
            "replicate": F.pad(z, (1, 1, 1, 1), mode="replicate"), "amp3": F.adaptive_max_pool2d(z, 3),
            "amp2": F.adaptive_max_pool2d(z, 2), "pus": F.pixel_unshuffle(z, 2)}
    assert {k: (tuple(v.stride()), v.grad_fn.name()) for k, v in outs.items()} == {  # (torch 2.13's)
        "aap1": ((3, 1, 3, 3), "AsStridedBackward1"), "aap3": ((27, 1, 9, 3), "AdaptiveAvgPool2DBackward0"),
        "aap2": ((12, 1, 6, 3), "AdaptiveAvgPool2DBackward0"), "pad": ((108, 1, 18, 3), "ConstantPadNdBackward0"),
        "gn": ((48, 1, 12, 3), "NativeGroupNormBackward0"), "ps": ((16, 1, 4, 1), "PixelShuffleBackward0"),
        "bicubic": ((192, 1, 24, 3), "UpsampleBicubic2DBackward0"), "ln": ((48, 16, 4, 1), "NativeLayerNormBackward0"),
        "in": ((48, 16, 4, 1), "ViewBackward0"), "reflect": ((108, 1, 18, 3), "ReflectionPad2DBackward0"),
        "replicate": ((108, 1, 18, 3), "ReplicationPad2DBackward0"),
        "amp3": ((27, 1, 9, 3), "AdaptiveMaxPool2DBackward0"), "amp2": ((12, 1, 6, 3), "AdaptiveMaxPool2DBackward0"),
        "pus": ((48, 1, 24, 12), "PixelUnshuffleBackward0")}
    sums = {k: round(abs(v.sum().item()), 3) for k, v in outs.items()}
    assert sums == {"aap1": 285.0, "aap3": 2565.0, "aap2": 1140.0, "pad": 4560.0, "gn": 0.0, "ps": 120.0,
                    "bicubic": 18240.0, "ln": 0.0, "in": 0.0, "reflect": 10260.0, "replicate": 10260.0, "amp3": 2700.0,
                    "amp2": 1200.0, "pus": 4560.0}
    sum(v.sum() for v in outs.values()).backward()
    assert tuple(z.grad.stride()) == (48, 1, 12, 3) and round(z.grad.sum().item(), 3) == 1170.0
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    assert [F.adaptive_max_pool2d(x, 2).grad_fn.name(), F.adaptive_max_pool2d(x, 3).grad_fn.name(),
            F.adaptive_avg_pool2d(x, 1).grad_fn.name(),
            F.pixel_shuffle(torch.randn(1, 4, 2, 2, requires_grad=True), 2).grad_fn.name(),
            F.pixel_unshuffle(x, 2).grad_fn.name(),
            F.interpolate(x, scale_factor=2, mode="bicubic").grad_fn.name()] == [
        "AdaptiveMaxPool2DBackward0", "AdaptiveMaxPool2DBackward0", "MeanBackward1", "PixelShuffleBackward0",
        "PixelUnshuffleBackward0", "UpsampleBicubic2DBackward0"]
    assert F.adaptive_max_pool2d(x, 2, return_indices=True)[1].stride() == (12, 4, 2, 1)
    assert F.adaptive_avg_pool2d(x, 1).stride() == (3, 1, 1, 1)


def test_profiler_action_members():
    assert [repr(a) for a in torch.profiler.ProfilerAction] == [
        "<ProfilerAction.NONE: 0>", "<ProfilerAction.WARMUP: 1>", "<ProfilerAction.RECORD: 2>",
        "<ProfilerAction.RECORD_AND_SAVE: 3>", "<ProfilerAction.DEVICE_STOPPED: 4>"]
