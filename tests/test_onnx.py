"""tinygrad_ext.onnx.export: the tutorials' models (the blitz CNNs, the two-layer nets) and LSTMs exported from
the compiler's recording of their core calls, checked by onnx.checker and run in onnxruntime with the same
outputs as ours (1e-5), also at other batch sizes through dynamic_axes; what cannot be exported raises an error
naming the core op. Skipped without the optional onnx and onnxruntime packages; where PyTorch is installed, the
same models exported by torch.onnx.export give the same outputs in onnxruntime (a semantic reference)."""
import ast
import io
import os
import subprocess
import sys

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn as nn
import tinygrad_ext.nn.functional as F
from tinygrad_ext import _C, _plan

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import tinygrad_ext.onnx as tonnx  # noqa: E402 (needs onnx)

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def example(name, wanted, occurrence=0):
    """examples/<name>'s imports and its top-level classes and assignments named in `wanted` (of a class
    defined several times, the occurrence-th), run in a namespace without the rest of the script (its
    training loop)."""
    with open(os.path.join(EXAMPLES, name)) as f:
        tree = ast.parse(f.read())
    keep, seen = [], {}
    for n in tree.body:
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            keep.append(n)
        elif isinstance(n, ast.ClassDef) and n.name in wanted:
            seen[n.name] = seen.get(n.name, -1) + 1
            if seen[n.name] == occurrence:
                keep.append(n)
        elif {e.id for t in getattr(n, "targets", ()) for e in ast.walk(t) if isinstance(e, ast.Name)} & wanted:
            keep.append(n)
    ns = {}
    exec(compile(ast.Module(keep, []), name, "exec"), ns)  # noqa: S102 (the example's own code)
    return ns


def export(model, args, **kwargs):
    f = io.BytesIO()
    tonnx.export(model, args, f, **kwargs)
    proto = onnx.load_from_string(f.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    return proto, ort.InferenceSession(f.getvalue(), providers=["CPUExecutionProvider"])


def ours(model, *args):
    with torch.no_grad():
        out = model(*args)
    return [t.numpy() for t in _flat(out)]


def _flat(out):
    return [out] if isinstance(out, torch.Tensor) else [t for o in out for t in _flat(o)]


def check(sess, model, args, names):
    got = sess.run(None, {n: a.numpy() for n, a in zip(names, _flat(args))})
    want = ours(model, *args)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_blitz_cnns_match_onnxruntime_with_a_dynamic_batch():
    """Both of the 60-minute blitz's Nets (the 1-channel one with view(-1, num_flat_features), the CIFAR one
    with nn.MaxPool2d); the weights are initializers named by the state_dict keys."""
    for occurrence, channels in enumerate((1, 3)):
        torch.manual_seed(0)
        net = example("blitz_neural_networks.py", {"Net"}, occurrence)["Net"]()
        x = torch.randn(4, channels, 32, 32)
        proto, sess = export(net, (x,), input_names=["image"], output_names=["logits"],
                             dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
        assert set(net.state_dict()) <= {i.name for i in proto.graph.initializer}
        assert {"Conv", "MaxPool", "Relu", "Gemm"} <= {n.op_type for n in proto.graph.node}
        assert proto.opset_import[0].version == 17
        assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
        assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
        for n in (4, 1, 7):
            check(sess, net, (torch.randn(n, channels, 32, 32),), ["image"])


def test_two_layer_nets_match_onnxruntime():
    """two_layer_net_nn.py's Sequential and two_layer_net_module.py's TwoLayerNet (clamp(min=0) as Clip)."""
    ns = example("two_layer_net_nn.py", {"model", "D_in"})
    seq = ns["model"]
    ns2 = example("two_layer_net_module.py", {"TwoLayerNet", "D_in"})
    custom = ns2["TwoLayerNet"](ns2["D_in"], ns2["H"], ns2["D_out"])
    for model in (seq, custom):
        x = torch.randn(ns["N"], ns["D_in"])
        proto, sess = export(model, x, input_names=["x"], dynamic_axes={"x": [0]})
        assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "x_dynamic_axes_1"
        check(sess, model, (x,), ["x"])
        check(sess, model, (torch.randn(3, ns["D_in"]),), ["x"])
    assert "Clip" in {n.op_type for n in export(custom, x)[0].graph.node}


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("layers, bidirectional, batch_first", [(1, False, False), (2, True, True)])
def test_recurrent_layers_match_onnxruntime(kind, layers, bidirectional, batch_first):
    torch.manual_seed(1)
    rnn = getattr(nn, kind)(6, 5, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    D = 2 if bidirectional else 1
    x = torch.randn(3, 4, 6)
    h0 = torch.randn(layers * D, 3 if batch_first else 4, 5)
    states = (h0, torch.randn(layers * D, 3 if batch_first else 4, 5)) if kind == "LSTM" else h0
    proto, sess = export(rnn, (x, states), input_names=["x", "h0", "c0"][:2 + (kind == "LSTM")])
    assert kind in {n.op_type for n in proto.graph.node}
    check(sess, rnn, (x, states), ["x", "h0", "c0"])
    # without initial states, with a dynamic batch
    axis = 0 if batch_first else 1
    proto, sess = export(rnn, (x,), input_names=["x"], dynamic_axes={"x": {axis: "batch"}})
    check(sess, rnn, (x,), ["x"])
    check(sess, rnn, (torch.randn(*((7, 4) if batch_first else (3, 7)), 6),), ["x"])


class CharModel(nn.Module):
    """Embedding -> LSTM -> Linear on the (L, N, H) output: Gather, LSTM and a Linear over 3-D input (two
    reshapes whose sizes follow the dynamic batch)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        self.lstm = nn.LSTM(8, 16)
        self.head = nn.Linear(16, 20)

    def forward(self, idx):
        out, (h, c) = self.lstm(self.embed(idx))
        return F.log_softmax(self.head(out), dim=-1), h


def test_embedding_lstm_linear_with_a_dynamic_batch():
    torch.manual_seed(2)
    model = CharModel()
    idx = torch.randint(0, 20, (5, 3))
    proto, sess = export(model, idx, input_names=["idx"], output_names=["logp", "h"],
                         dynamic_axes={"idx": {1: "batch"}, "logp": {1: "batch"}})
    assert {"Gather", "LSTM", "LogSoftmax"} <= {n.op_type for n in proto.graph.node}
    for n in (3, 1, 6):
        check(sess, model, (torch.randint(0, 20, (5, n)),), ["idx"])
    # sequence length and batch both dynamic: the reshape back to (L, N, 20) is computed from idx's shape
    proto, sess = export(model, idx, input_names=["idx"], dynamic_axes={"idx": {0: "seq", 1: "batch"}})
    assert "Shape" in {n.op_type for n in proto.graph.node}
    for shape in ((5, 3), (2, 4), (9, 1)):
        check(sess, model, (torch.randint(0, 20, shape),), ["idx"])


class Zoo(nn.Module):
    """BatchNorm (eval: its core arithmetic on the running statistics), Dropout, avg pooling, flatten, cat,
    transpose, softmax, reductions, max(dim) with its indices, slicing and elementwise ops."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, stride=2)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.AvgPool2d(2)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(16, 6)
        self.bn1 = nn.BatchNorm1d(6, affine=False)

    def forward(self, x):
        y = self.pool(torch.sigmoid(self.bn(self.conv(x))))
        z = torch.flatten(self.drop(y), 1)
        z = self.bn1(self.fc(z))
        z = torch.cat([z.tanh(), z.exp() - 1, (z.abs() + 1).log() * 2.0, F.leaky_relu(z, 0.1) / 3], 1)
        values, indices = z.max(1)
        return (F.softmax(z, 1) + z.t().t() * 0.5, F.gelu(z).clamp(-0.5, 0.5), F.silu(z).sum(1, keepdim=True),
                z.amax(1) - values, indices, z[:, 1:4:2], z[-1], y.permute(0, -1, 1, -2))


@pytest.mark.parametrize("opset", [13, 17, 18])
def test_layer_zoo_matches_onnxruntime(opset):
    torch.manual_seed(3)
    model = Zoo()
    model.train()
    for _ in range(3):  # running statistics away from their initial values
        model(torch.randn(8, 3, 8, 8) * 2 + 1)
    model.eval()
    x = torch.randn(5, 3, 8, 8)
    proto, sess = export(model, x, input_names=["x"], dynamic_axes={"x": {0: "n"}}, opset_version=opset)
    types = {n.op_type for n in proto.graph.node}
    assert {"AveragePool", "Concat", "Softmax", "Erf", "Clip", "ArgMax", "Slice", "Sqrt"} <= types
    assert {"bn.running_mean", "bn.running_var", "bn.weight", "bn1.running_var"} <= {i.name for i in
                                                                                     proto.graph.initializer}
    assert model.training is False
    check(sess, model, (x,), ["x"])
    check(sess, model, (torch.randn(2, 3, 8, 8),), ["x"])
    model.train()
    export(model, x)
    assert model.training  # (export runs in eval mode and restores the mode)


def test_export_arguments():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    x = torch.randn(2, 3)
    p = tonnx.export(model, (x,))
    assert isinstance(p, tonnx.ONNXProgram) and [i.name for i in p.model_proto.graph.input] == ["input"]
    assert tonnx.export(model, (x,), io.BytesIO(), dynamo=False) is None
    # export_params=False: the parameters are graph inputs, not initializers
    proto = tonnx.export(model, x, export_params=False).model_proto
    assert not proto.graph.initializer and {i.name for i in proto.graph.input} == {"input", "0.weight", "0.bias"}
    proto = tonnx.export(model, x, opset_version=13).model_proto
    assert proto.opset_import[0].version == 13
    with pytest.raises(ValueError, match="opset"):
        tonnx.export(model, x, opset_version=9)
    with pytest.raises(NotImplementedError, match="dynamic_axes"):
        tonnx.export(model, x, dynamic_shapes={"input": {0: "b"}})
    with pytest.warns(UserWarning, match="not a valid input/output name"):
        tonnx.export(model, x, dynamic_axes={"nope": [0]})
    assert not tonnx.is_in_onnx_export()


def test_export_to_a_path(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    x = torch.randn(4, 3)
    path = tmp_path / "m.onnx"
    tonnx.export(model, (x,), str(path), input_names=["in"], output_names=["out"])
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(["out"], {"in": x.numpy()})[0], ours(model, x)[0], rtol=1e-5, atol=1e-6)


class _Double(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_custom_functions_and_losses_are_recorded_through():
    """The recording sees core calls, not autograd ops: a custom autograd.Function's forward and a loss built from
    core calls export as their ops (torch inlines autograd.Functions the same way)."""
    class M(nn.Module):
        def forward(self, x):
            return _Double.apply(x), F.mse_loss(x, x * 2), (x.abs() + 1).add_(1)

    x = torch.rand(2, 3)
    proto, sess = export(M(), x, input_names=["x"])
    check(sess, M(), (x,), ["x"])


@pytest.mark.parametrize("fn, name", [(lambda x: x.erfinv(), "erfinv"), (lambda x: x.lgamma() + 1, "lgamma"),
                                      (lambda x: torch.sort(x)[0], "sort")])
def test_unsupported_op_raises_naming_it(fn, name):
    class M(nn.Module):
        def forward(self, x):
            return fn(x)

    with pytest.raises(tonnx.errors.UnsupportedOperatorError, match=name) as info:
        tonnx.export(M(), torch.rand(2, 3) * 0.5)
    assert isinstance(info.value, RuntimeError) and "opset version 17" in str(info.value)


def test_a_failed_export_leaves_the_model_and_library_as_they_were():
    add, impl = _C.add, torch.Tensor.__dict__["_impl"]
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    model[0].bias.requires_grad_(False)
    model.train()
    model.register_forward_hook(lambda m, a, out: out.erfinv())
    with pytest.raises(tonnx.errors.UnsupportedOperatorError, match="erfinv"):
        tonnx.export(model, torch.rand(3, 2))
    assert _C.add is add and torch.Tensor.__dict__["_impl"] is impl and not _plan.recording()
    assert not tonnx.is_in_onnx_export()
    assert model.training and model[0].weight.requires_grad and not model[0].bias.requires_grad
    assert model(torch.rand(1, 2)).grad_fn is not None


def test_sizes_that_follow_the_dynamic_axis():
    """A tensor made inside forward with the batch size follows a dynamic batch (Expand to a shape read from the
    input); a size that is no multiple of a dynamic axis raises a clear error."""
    class Ones(nn.Module):
        def forward(self, x):
            return x + torch.ones(x.shape[0], 1), x[: x.shape[0] - 1], x.sum() / x.numel(), torch.arange(x.shape[0] * 2)

    proto, sess = export(Ones(), torch.randn(3, 2), input_names=["x"], dynamic_axes={"x": [0]})
    for n in (3, 5):
        check(sess, Ones(), (torch.randn(n, 2),), ["x"])

    class Square(nn.Module):
        def forward(self, x):
            return x.sum() + torch.ones(x.shape[0] ** 2)

    with pytest.raises(tonnx.errors.UnsupportedOperatorError, match="dynamic axis"):
        tonnx.export(Square(), torch.randn(3, 2), dynamic_axes={"x": [0]})
    export(Square(), torch.randn(3, 2))  # fine without dynamic axes
    with pytest.raises(tonnx.errors.UnsupportedOperatorError, match="'div'.*dynamic axis"):  # numel - 1
        tonnx.export(lambda x: x.var(), torch.randn(3, 2), input_names=["x"], dynamic_axes={"x": [0]})


class Writes(nn.Module):
    """Writes into slice/select views of a new tensor (F.pad, `out[:, 0] = ...`), EmbeddingBag's scatter_add_,
    a transformer encoder layer (attention, LayerNorm)."""

    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(7, 6, mode="mean")
        self.enc = nn.TransformerEncoderLayer(6, 2, 12, dropout=0.0, batch_first=True)

    def forward(self, x, idx):
        out = torch.zeros(x.shape[0], 4)
        out[:, 0] = x[:, 1]
        out[1:, 2:] = 5.0
        out[-1] = 7.0
        seq = self.bag(idx)[:, None] + F.pad(x, (0, 6 - x.shape[1]))[:, None]
        return out, self.enc(torch.cat([seq, seq * 2], 1))


class _MeanBag(nn.Embedding):
    def forward(self, idx):
        return super().forward(idx).mean(1)


def test_writes_into_views_scatter_and_attention():
    torch.manual_seed(5)
    model = Writes().eval()
    x, idx = torch.randn(3, 2), torch.randint(0, 7, (3, 4))
    proto, sess = export(model, (x, idx), input_names=["x", "idx"])
    assert {"ScatterElements", "Concat", "Softmax"} <= {n.op_type for n in proto.graph.node}
    check(sess, model, (torch.randn(3, 2), torch.randint(0, 7, (3, 4))), ["x", "idx"])
    # EmbeddingBag makes its offsets from Python numbers (an array sized by the batch): refused with a dynamic
    # batch, the rest follows one
    with pytest.raises(tonnx.errors.UnsupportedOperatorError, match="from_numpy.*dynamic axis"):
        tonnx.export(model, (x, idx), input_names=["x", "idx"], dynamic_axes={"x": [0], "idx": [0]})
    model.bag = _MeanBag(7, 6)
    proto, sess = export(model, (x, idx), input_names=["x", "idx"], dynamic_axes={"x": [0], "idx": [0]})
    for n in (3, 5):
        check(sess, model, (torch.randn(n, 2), torch.randint(0, 7, (n, 4))), ["x", "idx"])


def test_in_place_writes_into_views_are_refused():
    class ViewWrite(nn.Module):
        def forward(self, x):
            y = x * 1
            v = y[:, :1]
            y.relu_()
            return v + 1

    with pytest.raises(tonnx.errors.UnsupportedOperatorError, match="'relu'.*in place"):
        tonnx.export(ViewWrite(), torch.randn(3, 2))

    class Fresh(nn.Module):  # an in-place op on a fresh result is fine
        def forward(self, x):
            return F.relu(x * 2, inplace=True), torch.zeros(2).fill_(3.0)

    x = torch.randn(3, 2)
    check(export(Fresh(), x, input_names=["x"])[1], Fresh(), (x,), ["x"])


def test_traces_that_depend_on_the_values_are_refused_or_warned():
    class Branch(nn.Module):
        def forward(self, x):
            return x.exp() if x[0, 0] > 0 else x.sin()

    with pytest.raises(tonnx.OnnxExporterError, match="runs different ops"):
        tonnx.export(Branch(), torch.tensor([[1.0, 2.0], [3.0, -4.0]]))

    class Item(nn.Module):  # a number read with .item() is a constant of the graph
        def forward(self, x):
            return x * x[0].item()

    with pytest.warns(UserWarning, match="changed with the input values"):
        tonnx.export(Item(), torch.tensor([1.0, 2.0, 5.0]))

    class Shifted(nn.Module):  # integer arithmetic on an input is recorded like any core call
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 3)

        def forward(self, idx):
            return self.embed(idx + 1)

    shifted = Shifted()
    proto, sess = export(shifted, torch.tensor([1, 2, 3]), input_names=["idx"])
    check(sess, shifted, (torch.tensor([0, 8, 4]),), ["idx"])

    class Unused(nn.Module):
        def forward(self, x, y):
            return x + 1

    with pytest.warns(UserWarning, match="not used by the exported graph"):
        tonnx.export(Unused(), (torch.randn(2), torch.randn(2)))


def test_keep_initializers_as_inputs_and_verbose(capsys):
    model = nn.Sequential(nn.Linear(3, 2))
    proto = tonnx.export(model, torch.randn(1, 3), keep_initializers_as_inputs=True, verbose=True).model_proto
    assert {i.name for i in proto.graph.input} == {"input", "0.weight", "0.bias"}
    assert {i.name for i in proto.graph.initializer} == {"0.weight", "0.bias"}
    assert "Gemm" in capsys.readouterr().out


def test_library_imports_without_onnx():
    code = ("import sys; sys.modules['onnx'] = None\n"
            "import tinygrad_ext\n"
            "try:\n    import tinygrad_ext.onnx\nexcept ModuleNotFoundError as e:\n    print('refused:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "refused: tinygrad_ext.onnx needs the onnx package" in out


def test_torch_onnx_needs_no_import():
    # `torch.onnx.export(...)` after `import torch` alone, as in torch (loaded on first use)
    code = "import sys, tinygrad_ext as torch; assert 'tinygrad_ext.onnx' not in sys.modules; print(torch.onnx.export)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "function export" in r.stdout, r.stderr


def test_same_outputs_as_pytorchs_own_export():
    """A semantic reference: the same CNN and LSTM (same weights) exported by real PyTorch's torch.onnx.export run
    in onnxruntime with the outputs of ours. Skipped without PyTorch."""
    real = pytest.importorskip("torch")
    torch.manual_seed(4)
    ours_net = example("blitz_neural_networks.py", {"Net"}, 0)["Net"]()
    lstm = nn.LSTM(6, 5, num_layers=2)
    real_lstm = real.nn.LSTM(6, 5, num_layers=2)
    real_cnn = real.nn.Sequential(real.nn.Conv2d(1, 6, 5), real.nn.ReLU(), real.nn.MaxPool2d(2),
                                  real.nn.Conv2d(6, 16, 5), real.nn.ReLU(), real.nn.MaxPool2d(2), real.nn.Flatten(),
                                  real.nn.Linear(400, 120), real.nn.ReLU(), real.nn.Linear(120, 84), real.nn.ReLU(),
                                  real.nn.Linear(84, 10))
    layers = [m for m in real_cnn if isinstance(m, (real.nn.Conv2d, real.nn.Linear))]
    ours_layers = [ours_net.conv1, ours_net.conv2, ours_net.fc1, ours_net.fc2, ours_net.fc3]
    assert len(layers) == len(ours_layers)
    with real.no_grad():
        for theirs, mine in list(zip(layers, ours_layers)) + [(real_lstm, lstm)]:
            for name, p in theirs.named_parameters():
                p.copy_(real.from_numpy(dict(mine.named_parameters())[name].detach().numpy()))
    for mine, theirs, x in ((ours_net, real_cnn, torch.randn(2, 1, 32, 32)), (lstm, real_lstm, torch.randn(3, 2, 6))):
        f = io.BytesIO()
        real.onnx.export(theirs.eval(), (real.from_numpy(x.numpy()),), f, dynamo=False, input_names=["x"])
        want = ort.InferenceSession(f.getvalue(), providers=["CPUExecutionProvider"]).run(None, {"x": x.numpy()})
        got = export(mine, (x,), input_names=["x"])[1].run(None, {"x": x.numpy()})
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


_W = torch.randn(4, 3, 3, 3)
_OPS = {
    "unary": lambda x: (x.sin(), x.cos(), x.exp().log(), x.abs().sqrt(), x.abs().rsqrt(), x.sigmoid(), x.tanh(), -x,
                        x.floor(), x.ceil(), x.round(), x.sign(), x.reciprocal(), x.square(), x.erf(), x.abs().log1p(),
                        x.expm1(), x.atan(), x.abs().log2(), x.abs().log10(), x.exp2(), x.erfc()),
    "activations": lambda x: (F.gelu(x), F.gelu(x, approximate="tanh"), F.elu(x), F.selu(x), F.celu(x, 0.5),
                              F.softplus(x), F.softplus(x, 2), F.hardtanh(x), F.relu6(x), F.hardsigmoid(x),
                              F.hardswish(x), F.silu(x), F.mish(x), F.logsigmoid(x), F.softshrink(x), F.hardshrink(x),
                              F.threshold(x, 0.1, 2.0), F.leaky_relu(x), F.softsign(x), F.tanhshrink(x)),
    "binary": lambda x: (x + 1, 1 - x, x * x, x / 3, 2 / x, x ** 2, 2 ** x, torch.maximum(x, x * 2),
                         torch.minimum(x, 0.5 * x), x > 0, x <= 0.3, x == x, x != 0, torch.where(x > 0, x, 0.0),
                         torch.fmod(x, 0.7), torch.remainder(x, 0.7), x // 0.3, (x > 0) & (x < 0.5)),
    "reductions": lambda x: (x.sum(), x.mean(0), x.amax(1, keepdim=True), x.prod(1), x.max(), x.min(1)[0], x.std(1),
                             x.var(1), x.norm(), torch.logsumexp(x, 1), x.argmin(), (x > 0).all(1), (x > 2).any()),
    "shapes": lambda x: (x.view(2, 12), x.reshape(-1), x.t(), x.unsqueeze(0).squeeze(), x[1:, ::2], x[:, -1],
                         x.flip(0), x.expand(2, 4, 6), torch.stack([x, x]), x.chunk(2, 1)[1], x.split(2)[0],
                         x.repeat(2, 1), x.unbind(0)[2], x[None, ..., None], torch.tril(x), x.roll(1, 0),
                         x @ x.t(), torch.bmm(x[None], x.t()[None]), x @ x[0], F.softmax(x, 1), F.normalize(x)),
    "images": lambda x: (F.conv2d(x, _W, padding=1, stride=2), F.avg_pool2d(x, 2), F.max_pool2d(x, 3, 2, 1),
                         F.adaptive_avg_pool2d(x, 1), F.pad(x, (1, 2, 0, 1), value=0.5), nn.GroupNorm(1, 3)(x),
                         F.conv2d(x[0], _W)),
}


@pytest.mark.parametrize("group", sorted(_OPS))
def test_core_call_lowerings_match_onnxruntime(group):
    """Each group of ops through its core calls' lowerings, at two batch sizes through a dynamic axis."""
    torch.manual_seed(6)
    fn = _OPS[group]

    class M(nn.Module):
        def forward(self, x):
            return fn(x)

    shape = (2, 3, 8, 8) if group == "images" else (4, 6)
    proto, sess = export(M(), torch.randn(*shape), input_names=["x"],
                         dynamic_axes=None if group in ("shapes", "images") else {"x": [0]})
    check(sess, M(), (torch.randn(*shape),), ["x"])
    if group not in ("shapes", "images"):
        check(sess, M(), (torch.randn(7, 6),), ["x"])


def test_integer_ops_and_losses_match_onnxruntime():
    torch.manual_seed(7)
    weight = torch.rand(6) + 0.5

    class M(nn.Module):
        def forward(self, x, i):
            t = i[:, 0]
            return (i + 1, i * 2, i // 2, i % 3, i.float() / 2, i.sum(), i.argmax(1), torch.cumsum(i, 0), x[i[:, 1]],
                    x.gather(1, i), x.index_select(0, i[0]), F.one_hot(i, 6).float().sum(0), F.cross_entropy(x, t),
                    F.nll_loss(F.log_softmax(x, 1), t, weight=weight, reduction="sum"),
                    F.cross_entropy(x, t, ignore_index=2, reduction="none"))

    x, i = torch.randn(4, 6), torch.randint(0, 4, (4, 3))
    proto, sess = export(M(), (x, i), input_names=["x", "i"], dynamic_axes={"x": [0], "i": [0]})
    assert {"SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss"} <= {n.op_type for n in proto.graph.node}
    check(sess, M(), (x, i), ["x", "i"])
    check(sess, M(), (torch.randn(5, 6), torch.randint(0, 4, (5, 3))), ["x", "i"])
