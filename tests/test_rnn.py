"""RNN/LSTM/GRU and their cells against a float64 numpy reference written from the published equations
(torch's docs: gate order i,f,g,o for the LSTM, r,z,n for the GRU, b_hn inside r * (...)), with fixed weights
taken from the module's own state_dict: multi-layer, bidirectional, batch_first, proj_size, given and
default initial states, unbatched input; gradients by gradcheck; parameters, repr and torch's errors. When
PyTorch is importable the layers are also compared with torch's loading the same state_dict."""
import math
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn
from tinygrad_ext.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(12)


def npy(t):
    return t.detach().numpy()


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ------------------------------------------------------------ numpy reference
def ref_step(mode, x, state, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """One step from the equations in float64. state is h, or (h, c) for the LSTM."""
    gi = x @ w_ih.T + (0 if b_ih is None else b_ih)
    h = state[0] if mode == "LSTM" else state
    gh = h @ w_hh.T + (0 if b_hh is None else b_hh)
    if mode == "RNN_TANH":
        return np.tanh(gi + gh)
    if mode == "RNN_RELU":
        return np.maximum(gi + gh, 0)
    if mode == "GRU":
        H = h.shape[-1]
        r = sigmoid(gi[..., :H] + gh[..., :H])
        z = sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
        n = np.tanh(gi[..., 2 * H:] + r * gh[..., 2 * H:])
        return (1 - z) * n + z * h
    H = w_hh.shape[0] // 4
    g = gi + gh
    i, f, gg, o = sigmoid(g[..., :H]), sigmoid(g[..., H:2 * H]), np.tanh(g[..., 2 * H:3 * H]), sigmoid(g[..., 3 * H:])
    c = f * state[1] + i * gg
    h = o * np.tanh(c)
    return (h if w_hr is None else h @ w_hr.T), c


def ref_rnn(mode, sd, x, hx, num_layers, bidirectional, bias=True, proj=False):
    """x (L, N, C); hx list of (layers*D, N, *) arrays. Returns output (L, N, D*H) and the final states."""
    D = 2 if bidirectional else 1
    finals = [[] for _ in hx]
    inp = x
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w = [sd.get(f"{n}{sfx}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            w_hr = sd.get(f"weight_hr{sfx}") if proj else None
            state = tuple(h[layer * D + d] for h in hx)
            state = state if mode == "LSTM" else state[0]
            out = [None] * len(inp)
            for t in (range(len(inp)) if d == 0 else reversed(range(len(inp)))):
                state = ref_step(mode, inp[t], state, *w, w_hr)
                out[t] = state[0] if mode == "LSTM" else state
            for k, s in enumerate(state if mode == "LSTM" else (state,)):
                finals[k].append(s)
            outs.append(np.stack(out))
        inp = np.concatenate(outs, -1)
    return inp, [np.stack(f) for f in finals]


def state_np(m):
    return {k: npy(v).astype(np.float64) for k, v in m.state_dict().items()}


MODES = {nn.RNN: "RNN_TANH", nn.GRU: "GRU", nn.LSTM: "LSTM"}


# ------------------------------------------------------------------- values
@pytest.mark.parametrize("cls, kw", [
    (nn.LSTM, dict(num_layers=2, bidirectional=True, batch_first=True)),
    (nn.LSTM, dict(num_layers=2, bidirectional=True, proj_size=2)),
    (nn.LSTM, dict(bias=False)),
    (nn.GRU, dict(num_layers=2, bidirectional=True)),
    (nn.GRU, dict(batch_first=True, bias=False)),
    (nn.RNN, dict(num_layers=3)),
    (nn.RNN, dict(nonlinearity="relu", bidirectional=True, batch_first=True)),
])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("given_state", [False, True])
def test_layers_match_reference(cls, kw, dtype, given_state):
    m = cls(4, 3, **kw).to(dtype)
    mode = "RNN_RELU" if kw.get("nonlinearity") == "relu" else MODES[cls]
    L, N, D = 5, 2, 2 if kw.get("bidirectional") else 1
    layers, proj = kw.get("num_layers", 1), kw.get("proj_size", 0)
    x = RNG.standard_normal((L, N, 4))
    hs = [RNG.standard_normal((layers * D, N, proj or 3))]
    if cls is nn.LSTM:
        hs.append(RNG.standard_normal((layers * D, N, 3)))
    xt = torch.tensor(x.transpose(1, 0, 2) if kw.get("batch_first") else x, dtype=dtype)
    hx_t = [torch.tensor(h, dtype=dtype) for h in hs]
    if given_state:
        out, h_n = m(xt, tuple(hx_t) if cls is nn.LSTM else hx_t[0])
    else:
        out, h_n = m(xt)
        hs = [np.zeros_like(h) for h in hs]
    ref_out, ref_h = ref_rnn(mode, state_np(m), x, hs, layers, D == 2, kw.get("bias", True), bool(proj))
    tol = dict(rtol=1e-10, atol=1e-12) if dtype is torch.float64 else dict(rtol=1e-5, atol=1e-6)
    if kw.get("batch_first"):
        ref_out = ref_out.transpose(1, 0, 2)
    assert out.dtype is dtype and tuple(out.shape) == ref_out.shape
    np.testing.assert_allclose(npy(out), ref_out, **tol)
    h_n = list(h_n) if cls is nn.LSTM else [h_n]
    assert isinstance(h_n[0], torch.Tensor) and len(h_n) == len(ref_h)
    for a, b in zip(h_n, ref_h):
        np.testing.assert_allclose(npy(a), b, **tol)


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU, nn.LSTM])
def test_unbatched_input_equals_batch_of_one(cls):
    m = cls(3, 4, num_layers=2, bidirectional=True).double()
    x = torch.tensor(RNG.standard_normal((6, 3)))
    out, h = m(x)
    out1, h1 = m(x.unsqueeze(1))
    assert tuple(out.shape) == (6, 8)
    np.testing.assert_allclose(npy(out), npy(out1.squeeze(1)), rtol=1e-12)
    for a, b in zip(h if cls is nn.LSTM else [h], h1 if cls is nn.LSTM else [h1]):
        assert tuple(a.shape) == (4, 4)
        np.testing.assert_allclose(npy(a), npy(b.squeeze(1)), rtol=1e-12)


@pytest.mark.parametrize("cls, mode, n_states", [(nn.RNNCell, "RNN_TANH", 1), (nn.GRUCell, "GRU", 1),
                                                 (nn.LSTMCell, "LSTM", 2)])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_reference(cls, mode, n_states, bias):
    m = cls(4, 3, bias=bias).double()
    sd = state_np(m)
    x = RNG.standard_normal((2, 4))
    hs = [RNG.standard_normal((2, 3)) for _ in range(n_states)]
    w = (sd["weight_ih"], sd["weight_hh"], sd.get("bias_ih"), sd.get("bias_hh"))
    ref = ref_step(mode, x, tuple(hs) if n_states == 2 else hs[0], *w)
    ref = list(ref) if n_states == 2 else [ref]
    for given in (True, False):
        hx = [torch.tensor(h) for h in hs]
        out = m(torch.tensor(x), (tuple(hx) if n_states == 2 else hx[0]) if given else None)
        if not given:
            ref = ref_step(mode, x, tuple(np.zeros((2, 3)) for _ in range(n_states)) if n_states == 2
                           else np.zeros((2, 3)), *w)
            ref = list(ref) if n_states == 2 else [ref]
        out = list(out) if n_states == 2 else [out]
        for a, b in zip(out, ref):
            np.testing.assert_allclose(npy(a), b, rtol=1e-12, atol=1e-14)
    unb = m(torch.tensor(x[0]))
    assert tuple((unb[0] if n_states == 2 else unb).shape) == (3,)
    relu = nn.RNNCell(4, 3, nonlinearity="relu").double()
    sd = state_np(relu)
    np.testing.assert_allclose(npy(relu(torch.tensor(x))),
                               ref_step("RNN_RELU", x, np.zeros((2, 3)), sd["weight_ih"], sd["weight_hh"],
                                        sd["bias_ih"], sd["bias_hh"]), rtol=1e-12)


def test_dropout_between_layers():
    """dropout=1 zeroes the second layer's input in training (its output is then the RNN of zeros); eval mode
    and the last layer are untouched."""
    m = nn.GRU(3, 4, num_layers=2, dropout=1.0).double()
    x = torch.tensor(RNG.standard_normal((5, 2, 3)))
    out, _ = m(x)
    sd = state_np(m)
    zeros_in = np.zeros((5, 2, 4))
    layer2 = {k.replace("_l1", "_l0"): v for k, v in sd.items() if k.endswith("_l1")}
    ref, _ = ref_rnn("GRU", layer2, zeros_in, [np.zeros((1, 2, 4))], 1, False)
    np.testing.assert_allclose(npy(out), ref, rtol=1e-12)
    m.eval()
    out, _ = m(x)
    ref, _ = ref_rnn("GRU", sd, x.numpy(), [np.zeros((2, 2, 4))], 2, False)
    np.testing.assert_allclose(npy(out), ref, rtol=1e-12)


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("cls, kw", [(nn.LSTM, dict(num_layers=2, bidirectional=True)),
                                     (nn.LSTM, dict(proj_size=1)), (nn.GRU, dict(bidirectional=True)),
                                     (nn.RNN, dict(num_layers=2))])
def test_layers_gradcheck(cls, kw):
    m = cls(2, 2, **kw).double()
    params = list(m.parameters())
    x = torch.tensor(RNG.standard_normal((3, 2, 2)), requires_grad=True)

    def f(x, *ps):
        for name, p in zip(m._flat_weights_names, ps):
            m._parameters[name] = p
        out, h = m(x)
        return out.sum() + (h[0].sum() + 2 * h[1].sum() if cls is nn.LSTM else h.sum())

    assert gradcheck(f, (x, *[p.detach().clone().requires_grad_() for p in params]))


@pytest.mark.parametrize("cls", [nn.RNNCell, nn.GRUCell, nn.LSTMCell])
def test_cells_gradcheck(cls):
    m = cls(3, 2).double()
    x = torch.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    h = torch.tensor(RNG.standard_normal((2, 2)), requires_grad=True)
    if cls is nn.LSTMCell:
        c = torch.tensor(RNG.standard_normal((2, 2)), requires_grad=True)
        assert gradcheck(lambda x, h, c: sum(s.sum() * (k + 1) for k, s in enumerate(m(x, (h, c)))), (x, h, c))
    else:
        assert gradcheck(lambda x, h: m(x, h), (x, h))


def test_double_backward():
    m = nn.GRU(2, 2, bidirectional=True).double()
    x = torch.tensor(RNG.standard_normal((3, 1, 2)), requires_grad=True)
    assert gradgradcheck(lambda x: m(x)[0], (x,))
    cell = nn.LSTMCell(2, 2).double()
    assert gradgradcheck(lambda x: cell(x)[1], (torch.tensor(RNG.standard_normal((1, 2)), requires_grad=True),))


def test_training_step_updates_every_parameter():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    out, (h, c) = m(torch.randn(4, 2, 3))
    (out.sum() + h.sum() + c.sum()).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and tuple(p.grad.shape) == tuple(p.shape), name
        assert float(p.grad.abs().sum()) > 0, name


# ------------------------------------------------------- parameters and repr
def test_parameters_names_shapes_and_init():
    m = nn.LSTM(4, 3, 2, bidirectional=True, proj_size=2)
    got = [(k, tuple(v.shape)) for k, v in m.state_dict().items()]
    want = []
    for layer in range(2):
        for sfx in ("", "_reverse"):
            n_in = 4 if layer == 0 else 4  # proj_size * 2 directions
            want += [(f"weight_ih_l{layer}{sfx}", (12, n_in)), (f"weight_hh_l{layer}{sfx}", (12, 2)),
                     (f"bias_ih_l{layer}{sfx}", (12,)), (f"bias_hh_l{layer}{sfx}", (12,)),
                     (f"weight_hr_l{layer}{sfx}", (2, 3))]
    assert got == want
    assert [n for n, _ in nn.GRU(5, 6, num_layers=2, bias=False).named_parameters()] == [
        "weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1"]
    assert tuple(nn.GRU(5, 6, num_layers=2).weight_ih_l1.shape) == (18, 6)
    assert tuple(nn.RNNCell(5, 6).weight_hh.shape) == (6, 6) and tuple(nn.GRUCell(5, 6).bias_ih.shape) == (18,)
    big = nn.LSTM(10, 100)
    bound = 1 / math.sqrt(100)
    for p in big.parameters():
        v = npy(p)
        assert v.min() >= -bound and v.max() <= bound and v.max() - v.min() > 1.5 * bound
    assert len(m.all_weights) == 4 and len(m.all_weights[0]) == 5
    m.flatten_parameters()  # (a no-op, callable as in torch scripts)


def test_repr():
    assert repr(nn.LSTM(4, 3, 2, bidirectional=True, proj_size=2, batch_first=True, dropout=0.1)) == \
        "LSTM(4, 3, proj_size=2, num_layers=2, batch_first=True, dropout=0.1, bidirectional=True)"
    assert repr(nn.RNN(4, 3, bias=False)) == "RNN(4, 3, bias=False)"
    assert repr(nn.GRUCell(4, 3)) == "GRUCell(4, 3)"
    assert repr(nn.RNNCell(3, 2, nonlinearity="relu")) == "RNNCell(3, 2, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 2, bias=False)) == "LSTMCell(3, 2, bias=False)"
    r = nn.RNN(4, 3, 2, "relu", False)  # torch's positional order: nonlinearity, then bias
    assert r.nonlinearity == "relu" and r.bias is False and r.num_layers == 2


# -------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("make, exc, msg", [
    (lambda: nn.RNN(4, 3, nonlinearity="x"), ValueError, "Unknown nonlinearity 'x'. Select from 'tanh' or 'relu'."),
    (lambda: nn.LSTM(4, 3, proj_size=3), ValueError, "proj_size has to be smaller than hidden_size"),
    (lambda: nn.GRU(4, 3, proj_size=1), ValueError, "proj_size argument is only supported for LSTM, not RNN or GRU"),
    (lambda: nn.LSTM(4, 3, dropout=2), ValueError, "dropout should be a number in range [0, 1]"),
    (lambda: nn.LSTM(4, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: nn.LSTM(4, 3.0), TypeError, "hidden_size should be of type int, got: float"),
    (lambda: nn.LSTM(4, 3, num_layers=0), ValueError, "num_layers must be greater than zero"),
])
def test_bad_constructor_arguments(make, exc, msg):
    with pytest.raises(exc) as e:
        make()
    assert msg in str(e.value)


def test_dropout_single_layer_warns():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nn.LSTM(4, 3, dropout=0.5)
    assert any("non-zero dropout expects num_layers greater than 1" in str(x.message) for x in w)


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: nn.LSTM(4, 3)(torch.randn(5, 2, 5)), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 4, got 5"),
    (lambda: nn.LSTM(4, 3)(torch.randn(5, 2, 4), (torch.zeros(1, 3, 3), torch.zeros(1, 2, 3))), RuntimeError,
     "Expected hidden[0] size (1, 2, 3), got [1, 3, 3]"),
    (lambda: nn.LSTM(4, 3)(torch.randn(5, 2, 4), (torch.zeros(1, 2, 3), torch.zeros(1, 3, 3))), RuntimeError,
     "Expected hidden[1] size (1, 2, 3), got [1, 3, 3]"),
    (lambda: nn.GRU(4, 3)(torch.randn(5, 2, 4), torch.zeros(2, 2, 3)), RuntimeError,
     "Expected hidden size (1, 2, 3), got [2, 2, 3]"),
    (lambda: nn.LSTM(4, 3)(torch.randn(2, 2, 2, 4)), ValueError, "LSTM: Expected input to be 2D or 3D, got 4D"),
    (lambda: nn.LSTM(4, 3)(torch.randn(5, 4), (torch.zeros(1, 1, 3), torch.zeros(1, 1, 3))), RuntimeError,
     "For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors"),
    (lambda: nn.RNN(4, 3)(torch.randn(5, 2, 4), torch.zeros(1, 2, 3, 1)), RuntimeError,
     "For batched 3-D input, hx should also be 3-D but got 4-D tensor"),
    (lambda: nn.LSTM(4, 3)(torch.randn(5, 2, 4).double()), ValueError,
     "RNN input dtype (torch.float64) does not match weight dtype (torch.float32)"),
    (lambda: nn.LSTM(4, 3)(torch.randn(0, 2, 4)), RuntimeError, "Expected sequence length to be larger than 0"),
    (lambda: nn.LSTMCell(4, 3)(torch.randn(2, 5)), RuntimeError, "input has inconsistent input_size: got 5 expected 4"),
    (lambda: nn.GRUCell(4, 3)(torch.randn(2, 4), torch.randn(3, 3)), RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 3"),
    (lambda: nn.GRUCell(4, 3)(torch.randn(2, 4), torch.zeros(2, 4)), RuntimeError,
     "hidden0 has inconsistent hidden_size: got 4, expected 3"),
    (lambda: nn.RNNCell(4, 3)(torch.randn(2, 2, 4)), ValueError, "RNNCell: Expected input to be 1D or 2D, got 3D"),
    (lambda: nn.LSTMCell(4, 3)(torch.randn(2, 4), (torch.zeros(2, 3),)), RuntimeError,
     "lstm_cell expects two hidden states"),
])
def test_bad_inputs(call, exc, msg):
    with pytest.raises(exc) as e:
        call()
    assert msg in str(e.value)


# ---------------------------------------------------------- against PyTorch
@pytest.mark.parametrize("name, kw", [("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
                                      ("LSTM", dict(proj_size=2)), ("GRU", dict(num_layers=2, bidirectional=True)),
                                      ("RNN", dict(nonlinearity="relu"))])
def test_against_pytorch(name, kw):
    real = pytest.importorskip("torch")
    ref = getattr(real.nn, name)(4, 3, **kw).double()
    m = getattr(nn, name)(4, 3, **kw).double()
    m.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    x = RNG.standard_normal((2, 5, 4))
    out_r, h_r = ref(real.tensor(x, requires_grad=True))
    xt = torch.tensor(x, requires_grad=True)
    out, h = m(xt)
    np.testing.assert_allclose(npy(out), out_r.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out_r.sum() * 2).backward()
    (out.sum() * 2).backward()
    for (k, p), (k2, p2) in zip(m.named_parameters(), ref.named_parameters()):
        assert k == k2
        np.testing.assert_allclose(npy(p.grad), p2.grad.numpy(), rtol=1e-9, atol=1e-11)


# ------------------------------------------------------------------ example
@pytest.mark.slow
def test_char_lstm_example_learns():
    """examples/char_lstm.py --short: the loss on the example's made-up text falls below 1.0 nats/char (it starts
    near log(24) = 3.2) and the sampled text is made of the text's characters."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "char_lstm.py")
    proc = subprocess.run([sys.executable, path, "--short"], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    losses = [float(v) for v in re.findall(r"^step \d+ loss ([0-9.]+)$", proc.stdout, re.M)]
    final = float(re.search(r"^final loss ([0-9.]+)$", proc.stdout, re.M).group(1))
    assert len(losses) == 3 and losses[0] > final and final < 1.0, proc.stdout
    assert re.search(r"^sample: the [a-z .]+$", proc.stdout, re.M), proc.stdout
