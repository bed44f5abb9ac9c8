"""scaled_dot_product_attention, MultiheadAttention and the Transformer layers against float64 numpy
references written from the published equations (softmax(q k^T / sqrt(d) + mask) v per head; post-norm
x = LN(x + sublayer(x)) and pre-norm x = x + sublayer(LN(x))), with the modules' own weights; gradients by
gradcheck; torch's parameter names, masks and errors. Compared with PyTorch itself when it is importable."""
import math
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F
from tinygrad_ext import nn
from tinygrad_ext.autograd import gradcheck

RNG = np.random.default_rng(7)
TOL = dict(rtol=1e-10, atol=1e-12)


def T(a, requires_grad=False):
    return torch.tensor(np.asarray(a), requires_grad=requires_grad)


def npy(t):
    return t.detach().numpy()


def sd(m):
    return {k: npy(v) for k, v in m.state_dict().items()}


# ------------------------------------------------------------ numpy references
def np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_sdpa(q, k, v, mask=None, causal=False, scale=None):
    """mask: bool (True = attend) or float (added). Rows with every key masked give 0 (torch's safe softmax)."""
    s = q @ np.swapaxes(k, -1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), bool))
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    dead = np.all(s == -np.inf, -1, keepdims=True)
    with np.errstate(invalid="ignore"):
        w = np_softmax(np.where(dead, 0, s))
    return np.where(dead, 0, w) @ v


def np_mha(p, query, key, value, H, key_padding_mask=None, attn_mask=None, prefix=""):
    """query (L, N, E), key/value (S, N, *); masks as torch's MultiheadAttention (bool True = ignore).
    attn_mask may be (L, S) or (N*H, L, S). Returns the output (L, N, E) and the weights (N, H, L, S)."""
    E = query.shape[-1]
    if p.get(prefix + "in_proj_weight") is not None:
        wq, wk, wv = np.split(p[prefix + "in_proj_weight"], 3)
    else:
        wq, wk, wv = (p[prefix + n] for n in ("q_proj_weight", "k_proj_weight", "v_proj_weight"))
    bq, bk, bv = np.split(p[prefix + "in_proj_bias"], 3) if prefix + "in_proj_bias" in p else (0, 0, 0)
    q, k, v = query @ wq.T + bq, key @ wk.T + bk, value @ wv.T + bv
    L, N, S, hd = q.shape[0], q.shape[1], k.shape[0], E // H
    out = np.zeros((L, N, E))
    weights = np.zeros((N, H, L, S))
    for n in range(N):
        for h in range(H):
            bias = np.zeros((L, S))
            if attn_mask is not None:
                mask = attn_mask if attn_mask.ndim == 2 else attn_mask[n * H + h]
                bias = bias + (np.where(mask, -np.inf, 0) if mask.dtype == bool else mask)
            if key_padding_mask is not None:
                bias = bias + np.where(key_padding_mask[n], -np.inf, 0)[None, :]
            sl = slice(h * hd, (h + 1) * hd)
            w = np_softmax(q[:, n, sl] @ k[:, n, sl].T / math.sqrt(hd) + bias)
            weights[n, h] = w
            out[:, n, sl] = w @ v[:, n, sl]
    out = out @ p[prefix + "out_proj.weight"].T + p.get(prefix + "out_proj.bias", 0)
    return out, weights


def np_layer_norm(x, w, b, eps=1e-5):
    m = x.mean(-1, keepdims=True)
    return (x - m) / np.sqrt(((x - m) ** 2).mean(-1, keepdims=True) + eps) * w + b


def np_encoder_layer(p, x, H, norm_first, act, src_mask=None, kpm=None, pre=""):
    def sa(y):
        return np_mha(p, y, y, y, H, kpm, src_mask, pre + "self_attn.")[0]

    def ff(y):
        return act(y @ p[pre + "linear1.weight"].T + p[pre + "linear1.bias"]) @ p[pre + "linear2.weight"].T + \
            p[pre + "linear2.bias"]

    def ln(y, k):
        return np_layer_norm(y, p[f"{pre}norm{k}.weight"], p[f"{pre}norm{k}.bias"])

    if norm_first:
        x = x + sa(ln(x, 1))
        return x + ff(ln(x, 2))
    x = ln(x + sa(x), 1)
    return ln(x + ff(x), 2)


def np_decoder_layer(p, x, mem, H, norm_first, act, tgt_mask=None, pre=""):
    def ff(y):
        return act(y @ p[pre + "linear1.weight"].T + p[pre + "linear1.bias"]) @ p[pre + "linear2.weight"].T + \
            p[pre + "linear2.bias"]

    def ln(y, k):
        return np_layer_norm(y, p[f"{pre}norm{k}.weight"], p[f"{pre}norm{k}.bias"])

    def sa(y):
        return np_mha(p, y, y, y, H, None, tgt_mask, pre + "self_attn.")[0]

    def ca(y):
        return np_mha(p, y, mem, mem, H, None, None, pre + "multihead_attn.")[0]

    if norm_first:
        x = x + sa(ln(x, 1))
        x = x + ca(ln(x, 2))
        return x + ff(ln(x, 3))
    x = ln(x + sa(x), 1)
    x = ln(x + ca(x), 2)
    return ln(x + ff(x), 3)


def relu(x):
    return np.maximum(x, 0)


# ------------------------------------------------------------------- SDPA
@pytest.mark.parametrize("kind", ["plain", "causal", "bool", "float", "scale", "dead_row", "causal_rect"])
def test_sdpa_matches_reference(kind):
    L, S = (4, 6) if kind != "causal_rect" else (5, 3)
    q, k, v = RNG.standard_normal((2, 3, L, 5)), RNG.standard_normal((2, 3, S, 5)), RNG.standard_normal((2, 3, S, 4))
    kw, ref_kw = {}, {}
    if kind in ("causal", "causal_rect"):
        kw, ref_kw = dict(is_causal=True), dict(causal=True)
    elif kind in ("bool", "dead_row"):
        m = RNG.random((L, S)) < 0.5
        m[0] = kind != "dead_row"
        kw, ref_kw = dict(attn_mask=T(m)), dict(mask=m)
    elif kind == "float":
        m = RNG.standard_normal((2, 1, L, S))
        kw, ref_kw = dict(attn_mask=T(m)), dict(mask=m)
    elif kind == "scale":
        kw, ref_kw = dict(scale=0.3), dict(scale=0.3)
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), **kw)
    ref = np_sdpa(q, k, v, **ref_kw)
    np.testing.assert_allclose(npy(out), ref, **TOL)
    if kind == "dead_row":
        assert np.all(npy(out)[:, :, 0] == 0)


def test_sdpa_grouped_query_attention_and_dropout():
    q, k, v = RNG.standard_normal((1, 4, 3, 2)), RNG.standard_normal((1, 2, 5, 2)), RNG.standard_normal((1, 2, 5, 2))
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), enable_gqa=True)
    ref = np_sdpa(q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1))
    np.testing.assert_allclose(npy(out), ref, **TOL)
    torch.manual_seed(0)
    ones = torch.ones(1, 1, 3, 50, dtype=torch.float64)
    dropped = F.scaled_dot_product_attention(ones[..., :1], ones.transpose(-1, -2)[..., :1, :1].expand(1, 1, 50, 1),
                                             torch.eye(50, dtype=torch.float64).reshape(1, 1, 50, 50), dropout_p=0.5)
    vals = np.unique(np.round(npy(dropped), 12))
    assert set(vals) <= {0.0, round(1 / 50 / 0.5, 12)} and len(vals) == 2  # each weight 1/50 kept as 2/50 or 0


def test_sdpa_gradcheck():
    q, k, v = (T(RNG.standard_normal(s), requires_grad=True) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    m = T(RNG.standard_normal((3, 5)))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=m), (q, k, v))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k[:, :3], v[:, :3], is_causal=True), (q, k, v))


def test_sdpa_errors():
    q = torch.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=torch.ones(3, 3, dtype=torch.bool), is_causal=True)
    with pytest.raises(RuntimeError, match="must be a multiple of the number of heads"):
        F.scaled_dot_product_attention(torch.randn(1, 3, 2, 4), torch.randn(1, 2, 2, 4), torch.randn(1, 2, 2, 4),
                                       enable_gqa=True)


# ------------------------------------------------------- MultiheadAttention
MHA_CASES = [dict(), dict(kdim=3, vdim=5), dict(bias=False), dict(batch_first=True)]
MASK_CASES = ["none", "key_padding", "attn_bool", "attn_float", "both", "no_weights", "per_head"]


@pytest.mark.parametrize("mkw", MHA_CASES, ids=lambda d: ",".join(d) or "default")
@pytest.mark.parametrize("masks", MASK_CASES)
def test_mha_matches_reference(mkw, masks):
    E, H, L, S, N = 4, 2, 3, 5, 2
    m = nn.MultiheadAttention(E, H, **mkw).double()
    p = sd(m)
    x = RNG.standard_normal((L, N, E))
    key = RNG.standard_normal((S, N, mkw.get("kdim", E)))
    value = RNG.standard_normal((S, N, mkw.get("vdim", E)))
    kpm = RNG.random((N, S)) < 0.3
    kpm[:, 0] = False
    am = RNG.random((L, S)) < 0.3
    am[:, 0] = False  # key 0 is never masked: no row without keys
    kw, rkw = {}, {}
    if masks in ("key_padding", "both", "no_weights"):
        kw["key_padding_mask"], rkw["key_padding_mask"] = T(kpm), kpm
    if masks in ("attn_bool", "both", "no_weights"):
        kw["attn_mask"], rkw["attn_mask"] = T(am), am
    if masks == "attn_float":
        fm = RNG.standard_normal((L, S))
        kw["attn_mask"], rkw["attn_mask"] = T(fm), fm
    if masks == "no_weights":
        kw["need_weights"] = False
    if masks == "per_head":
        fm = RNG.standard_normal((N * H, L, S))
        kw["attn_mask"], kw["average_attn_weights"], rkw["attn_mask"] = T(fm), False, fm
    bf = mkw.get("batch_first", False)
    tr = (lambda a: a.transpose(1, 0, 2)) if bf else (lambda a: a)
    out, w = m(T(tr(x)), T(tr(key)), T(tr(value)), **kw)
    ref_out, ref_w = np_mha(p, x, key, value, H, **rkw)
    if kw.get("average_attn_weights", True):
        ref_w = ref_w.mean(1)
    np.testing.assert_allclose(npy(out), tr(ref_out), **TOL)
    if masks == "no_weights":
        assert w is None
    else:
        np.testing.assert_allclose(npy(w), ref_w, **TOL)


def test_mha_unbatched_bias_kv_zero_attn_and_parameters():
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True).double()
    assert [n for n, _ in m.named_parameters()] == ["in_proj_weight", "in_proj_bias", "bias_k", "bias_v",
                                                    "out_proj.weight", "out_proj.bias"]
    p = sd(m)
    x = RNG.standard_normal((3, 4))
    out, w = m(T(x), T(x), T(x))
    assert tuple(out.shape) == (3, 4) and tuple(w.shape) == (3, 5)  # 3 keys + bias_kv + zero attention
    wq, wk, wv = np.split(p["in_proj_weight"], 3)
    bq, bk, bv = np.split(p["in_proj_bias"], 3)
    k = np.concatenate([x @ wk.T + bk, p["bias_k"][0], np.zeros((1, 4))])
    v = np.concatenate([x @ wv.T + bv, p["bias_v"][0], np.zeros((1, 4))])
    k[-1], v[-1] = 0, 0
    q = x @ wq.T + bq
    ref = np.concatenate([np_softmax(q[:, s] @ k[:, s].T / math.sqrt(2)) @ v[:, s] for s in (slice(0, 2), slice(2, 4))],
                         -1)
    np.testing.assert_allclose(npy(out), ref @ p["out_proj.weight"].T + p["out_proj.bias"], **TOL)
    sep = nn.MultiheadAttention(4, 2, kdim=3, vdim=5)
    assert [(n, tuple(t.shape)) for n, t in sep.state_dict().items()] == [
        ("q_proj_weight", (4, 4)), ("k_proj_weight", (4, 3)), ("v_proj_weight", (4, 5)), ("in_proj_bias", (12,)),
        ("out_proj.weight", (4, 4)), ("out_proj.bias", (4,))]
    assert sep.in_proj_weight is None and not npy(sep.in_proj_bias).any()
    assert repr(sep) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=4, "
                         "out_features=4, bias=True)\n)")


def test_functional_multi_head_attention_forward():
    m = nn.MultiheadAttention(4, 2).double()
    x = T(RNG.standard_normal((3, 2, 4)))
    out, w = F.multi_head_attention_forward(x, x, x, 4, 2, m.in_proj_weight, m.in_proj_bias, None, None, False, 0.0,
                                            m.out_proj.weight, m.out_proj.bias, need_weights=True)
    ref_out, ref_w = np_mha(sd(m), npy(x), npy(x), npy(x), 2)
    np.testing.assert_allclose(npy(out), ref_out, **TOL)
    np.testing.assert_allclose(npy(w), ref_w.mean(1), **TOL)


def test_mha_gradcheck_and_dropout():
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=2).double()
    x, k, v = (T(RNG.standard_normal(s), requires_grad=True) for s in ((3, 2, 4), (5, 2, 3), (5, 2, 2)))
    kpm = T(np.array([[False] * 4 + [True], [False] * 5]))
    assert gradcheck(lambda x, k, v: m(x, k, v, key_padding_mask=kpm)[0], (x, k, v))
    assert gradcheck(lambda x, k, v: m(x, k, v, need_weights=False)[0], (x, k, v))
    d = nn.MultiheadAttention(4, 1, dropout=0.5).double()
    _, w = d(x.detach(), x.detach(), x.detach())
    assert np.any(npy(w) == 0)
    d.eval()
    _, w = d(x.detach(), x.detach(), x.detach())
    np.testing.assert_allclose(npy(w).sum(-1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: nn.MultiheadAttention(5, 2), AssertionError, "embed_dim must be divisible by num_heads"),
    (lambda: nn.MultiheadAttention(0, 2), ValueError, "embed_dim and num_heads must be greater than 0"),
    (lambda: nn.MultiheadAttention(4, 2)(torch.randn(3, 2, 4), torch.randn(5, 2, 4), torch.randn(5, 2, 4),
                                         attn_mask=torch.zeros(3, 4)), RuntimeError,
     "The shape of the 2D attn_mask is torch.Size([3, 4]), but should be (3, 5)."),
    (lambda: nn.MultiheadAttention(4, 2)(torch.randn(3, 2, 4), torch.randn(5, 2, 4), torch.randn(5, 2, 4),
                                         key_padding_mask=torch.zeros(2, 4, dtype=torch.bool)), AssertionError,
     "Expected key_padded_mask.shape[1] to be 5, but got 4"),
    (lambda: nn.MultiheadAttention(4, 2)(torch.randn(3, 2, 4), torch.randn(5, 2, 4), torch.randn(5, 2, 4),
                                         is_causal=True), RuntimeError, "Need attn_mask if specifying the is_causal"),
    (lambda: nn.MultiheadAttention(4, 2)(torch.randn(3, 2, 5), torch.randn(3, 2, 5), torch.randn(3, 2, 5)),
     AssertionError, "was expecting embedding dimension of 4, but got 5"),
    (lambda: nn.MultiheadAttention(4, 2)(torch.randn(3, 2, 4), torch.randn(3, 4), torch.randn(3, 4)),
     AssertionError, "For batched (3-D) `query`, expected `key` and `value` to be 3-D"),
])
def test_mha_errors(call, exc, msg):
    with pytest.raises(exc) as e:
        call()
    assert msg in str(e.value)


# ---------------------------------------------------------- Transformer layers
def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_reference(norm_first, batch_first, activation):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first, norm_first=norm_first,
                                       activation=activation).double()
    x = RNG.standard_normal((5, 2, 8))
    kpm = np.array([[False] * 5, [False] * 3 + [True] * 2])
    mask = RNG.standard_normal((5, 5))
    tr = (lambda a: a.transpose(1, 0, 2)) if batch_first else (lambda a: a)
    out = layer(T(tr(x)), src_mask=T(mask), src_key_padding_mask=T(kpm))
    ref = np_encoder_layer(sd(layer), x, 2, norm_first, relu if activation == "relu" else gelu, mask, kpm)
    np.testing.assert_allclose(npy(out), tr(ref), **TOL)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_reference(norm_first):
    layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first,
                                       activation=lambda t: t.tanh()).double()
    x, mem = RNG.standard_normal((4, 2, 8)), RNG.standard_normal((6, 2, 8))
    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    out = layer(T(x), T(mem), tgt_mask=mask, tgt_is_causal=True)
    ref = np_decoder_layer(sd(layer), x, mem, 2, norm_first, np.tanh, npy(mask))
    np.testing.assert_allclose(npy(out), ref, **TOL)


def test_transformer_matches_reference_and_names():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.Transformer(8, 2, 2, 1, 16, dropout=0.0).double()
    p = sd(m)
    assert "encoder.layers.1.self_attn.in_proj_weight" in p and "decoder.layers.0.multihead_attn.out_proj.bias" in p
    assert "encoder.norm.weight" in p and "decoder.norm3.weight" not in p and "decoder.layers.0.norm3.bias" in p
    src, tgt = RNG.standard_normal((5, 2, 8)), RNG.standard_normal((4, 2, 8))
    mask = m.generate_square_subsequent_mask(4, dtype=torch.float64)
    out = m(T(src), T(tgt), tgt_mask=mask)
    mem = src
    for k in range(2):
        mem = np_encoder_layer(p, mem, 2, False, relu, pre=f"encoder.layers.{k}.")
    mem = np_layer_norm(mem, p["encoder.norm.weight"], p["encoder.norm.bias"])
    y = np_decoder_layer(p, tgt, mem, 2, False, relu, npy(mask), pre="decoder.layers.0.")
    ref = np_layer_norm(y, p["decoder.norm.weight"], p["decoder.norm.bias"])
    np.testing.assert_allclose(npy(out), ref, **TOL)
    np.testing.assert_array_equal(npy(mask), np.triu(np.full((4, 4), -np.inf), 1))
    # xavier_uniform_ on every matrix: bound sqrt(6 / (fan_in + fan_out))
    w = p["encoder.layers.0.linear1.weight"]
    assert np.abs(w).max() <= math.sqrt(6 / 24) and np.abs(w).max() > 0.5 * math.sqrt(6 / 24)


def test_transformer_gradcheck_and_training():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=True).double()
    x = T(RNG.standard_normal((3, 2, 4)), requires_grad=True)
    assert gradcheck(lambda x: layer(x), (x,))
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6, batch_first=True), 2, enable_nested_tensor=False)
    enc(torch.randn(2, 3, 4)).sum().backward()
    assert all(p.grad is not None for p in enc.parameters())
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight  # deep copies


def test_transformer_errors_and_warning():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False because "
                                         "encoder_layer.self_attn.batch_first was not True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.Transformer(8, 2, 1, 1, 8)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        m(torch.randn(3, 2, 8), torch.randn(3, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        m(torch.randn(3, 2, 8), torch.randn(3, 2, 6))


# ---------------------------------------------------------- against PyTorch
def test_against_pytorch():
    real = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kw in (dict(), dict(norm_first=True, batch_first=True, activation="gelu")):
            ref = real.nn.Transformer(8, 2, 2, 2, 16, **kw).double().eval()
            m = nn.Transformer(8, 2, 2, 2, 16, **kw).double().eval()
            m.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
            src, tgt = RNG.standard_normal((2, 5, 8)), RNG.standard_normal((2, 4, 8))
            if not kw:  # sequence first
                src, tgt = src.transpose(1, 0, 2), tgt.transpose(1, 0, 2)
            kpm = np.array([[False] * 5, [False] * 3 + [True] * 2])
            a = ref(real.tensor(src), real.tensor(tgt), tgt_mask=real.nn.Transformer.generate_square_subsequent_mask(4),
                    src_key_padding_mask=real.tensor(kpm))
            b = m(T(src), T(tgt), tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
                  src_key_padding_mask=T(kpm))
            np.testing.assert_allclose(npy(b), a.detach().numpy(), rtol=1e-9, atol=1e-11)
        q, k, v = (RNG.standard_normal(s) for s in ((2, 2, 4, 3), (2, 2, 6, 3), (2, 2, 6, 3)))
        mask = RNG.random((4, 6)) < 0.5
        mask[0] = False
        a = real.nn.functional.scaled_dot_product_attention(real.tensor(q), real.tensor(k), real.tensor(v),
                                                            attn_mask=real.tensor(mask))
        b = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=T(mask))
        np.testing.assert_allclose(npy(b), a.numpy(), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ example
@pytest.mark.slow
def test_transformer_classifier_example_learns():
    """examples/transformer_classifier.py --short: the loss falls from about log(4) to below 0.1 and the held-out
    accuracy is above 95% (chance: 25%)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples",
                        "transformer_classifier.py")
    proc = subprocess.run([sys.executable, path, "--short"], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    losses = [float(v) for v in re.findall(r"^step \d+ loss ([0-9.]+)$", proc.stdout, re.M)]
    final = float(re.search(r"^final loss ([0-9.]+)$", proc.stdout, re.M).group(1))
    accuracy = float(re.search(r"^test accuracy ([0-9.]+)$", proc.stdout, re.M).group(1))
    assert losses[0] > final and final < 0.1 and accuracy > 0.95, proc.stdout
