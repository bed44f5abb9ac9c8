"""Sequence-model tutorial programs (nn.Transformer translation, LSTM/GRU seq2seq with packed sequences and bmm
attention, nn.MultiheadAttention and scaled_dot_product_attention used directly) that differed from torch 2.13:
MultiheadAttention's key_padding_mask shape check raises torch's AssertionError messages, the batch size checked
before the source length (which counts the bias_k/bias_v and add_zero_attn columns); TransformerEncoderLayer's
activation_relu_or_gelu for nn.ReLU/nn.GELU modules (the decoder layer has none), and its inference fast path
(eval, no grad, batch_first, ...) applying exact gelu for any GELU module as torch's fused kernel does; a query
whose keys are all masked is NaN in torch's inference kernels (MultiheadAttention's and the encoder layer's fast
paths) and 0 elsewhere (scaled_dot_product_attention); the nested-tensor encoder path with every token padded
raises torch's to_padded_tensor error; mv/addmv's dimension, size and dtype checks in torch's order and words (mv
is addmv into a result of vec's dtype). Expected messages and values written down from torch."""
import warnings

import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn as nn


def _q_k():
    torch.manual_seed(0)
    return torch.randn(3, 2, 8), torch.randn(4, 2, 8)


@pytest.mark.parametrize("kw, kpm, msg", [
    ({}, torch.zeros(3, 4, dtype=torch.bool), "Expected key_padded_mask.shape[0] to be 2, but got 3"),
    ({}, torch.zeros(2, 5, dtype=torch.bool), "Expected key_padded_mask.shape[1] to be 4, but got 5"),
    ({}, torch.zeros(3, 7, dtype=torch.bool), "Expected key_padded_mask.shape[0] to be 2, but got 3"),
    ({"add_bias_kv": True, "add_zero_attn": True}, torch.zeros(2, 3, dtype=torch.bool),
     "Expected key_padded_mask.shape[1] to be 6, but got 5"),
    ({"add_zero_attn": True}, torch.zeros(2, 5), "Expected key_padded_mask.shape[1] to be 5, but got 6"),
])
def test_mha_key_padding_mask_shape_messages(kw, kpm, msg):
    q, k = _q_k()
    m = nn.MultiheadAttention(8, 2, **kw)
    with pytest.raises(AssertionError) as e:
        m(q, k, k, key_padding_mask=kpm)
    assert str(e.value) == msg


def test_mha_key_padding_mask_shape_batch_first():
    q, k = _q_k()
    m = nn.MultiheadAttention(8, 2, batch_first=True)
    with pytest.raises(AssertionError) as e:
        m(q.transpose(0, 1), k.transpose(0, 1), k.transpose(0, 1), key_padding_mask=torch.zeros(4, 4, dtype=torch.bool))
    assert str(e.value) == "Expected key_padded_mask.shape[0] to be 2, but got 4"
    # the right shape passes the check
    out, w = m(q.transpose(0, 1), k.transpose(0, 1), k.transpose(0, 1),
               key_padding_mask=torch.tensor([[False, False, True, False], [False, True, False, False]]))
    assert tuple(out.shape) == (2, 3, 8) and w[0, :, 2].tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------------ TransformerEncoderLayer's fast-path activation
@pytest.mark.parametrize("act, flag", [("relu", 1), ("gelu", 2), (nn.functional.relu, 1), (nn.functional.gelu, 2),
                                       (nn.ReLU(), 1), (nn.GELU(), 2), (nn.GELU(approximate="tanh"), 2),
                                       (nn.functional.silu, 0), (nn.SiLU(), 0), (nn.ReLU6(), 0)])
def test_activation_relu_or_gelu_takes_modules(act, flag):
    assert nn.TransformerEncoderLayer(4, 2, 8, activation=act).activation_relu_or_gelu == flag
    assert not hasattr(nn.TransformerDecoderLayer(4, 2, 8, activation=act), "activation_relu_or_gelu")


def test_encoder_with_relu_module_uses_nested_tensor():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no "use_nested_tensor is False" warning)
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, activation=nn.ReLU(), batch_first=True), 2)
    assert enc.use_nested_tensor


# torch's inference kernel applies exact gelu for any GELU module (approximate="tanh" included)
_EXACT = [[-1.2204922437667847, -0.6967502236366272, 0.6528481245040894, 1.2643942832946777],
          [0.6262983083724976, 1.214478611946106, -0.4521297514438629, -1.3886470794677734],
          [0.07641562074422836, -1.546972632408142, 1.2450422048568726, 0.22551511228084564]]
_TANH = [[-1.2205268144607544, -0.6967100501060486, 0.6528605818748474, 1.2643764019012451],
         [0.6262809038162231, 1.214486837387085, -0.45211535692214966, -1.3886524438858032],
         [0.0763847827911377, -1.546940803527832, 1.2450933456420898, 0.22546282410621643]]


def _gelu_tanh_layer():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4) * 3
    torch.manual_seed(1)
    return nn.TransformerEncoderLayer(4, 2, 8, activation=nn.GELU(approximate="tanh"), batch_first=True).eval(), x


def _close(a, b):
    return all(abs(u - v) <= 2e-6 * max(1.0, abs(v)) for ra, rb in zip(a, b) for u, v in zip(ra, rb))


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_fast_path_gelu_module_is_exact_gelu():
    layer, x = _gelu_tanh_layer()
    with torch.no_grad():
        assert _close(layer(x)[0].tolist(), _EXACT)
        enc = nn.TransformerEncoder(layer, 1)
        y = enc(x, src_key_padding_mask=torch.tensor([[False, False, True], [False] * 3]))[0].tolist()
    assert _close(y[:2], [[-1.3618497848510742, -0.49707287549972534, 0.6375266909599304, 1.2213958501815796],
                          [0.6266252994537354, 1.2146636247634888, -0.45334944128990173, -1.387939691543579]])
    assert y[2] == [0.0, 0.0, 0.0, 0.0]


def test_no_fast_path_keeps_the_modules_approximation():
    layer, x = _gelu_tanh_layer()
    assert _close(layer(x)[0].tolist(), _TANH)  # (grad enabled and parameters requiring grad)
    layer.train()
    layer.dropout.p = layer.dropout1.p = layer.dropout2.p = 0.0
    torch.manual_seed(2)
    with torch.no_grad():  # (training: the attention's dropout 0.1 draws, the rest is tanh gelu)
        assert _close(layer(x)[0].tolist(),
                      [[-1.2561137676239014, -0.6391091346740723, 0.6176500916481018, 1.2775726318359375],
                       [0.6149048805236816, 1.2278296947479248, -0.46504467725753784, -1.3776898384094238],
                       [0.09198088198900223, -1.5609560012817383, 1.2223211526870728, 0.246654212474823]])
    layer.eval()
    layer.register_forward_hook(lambda *a: None)
    with torch.no_grad():
        assert _close(layer(x)[0].tolist(), _TANH)  # (a hook)


# ------------------------------------------------------------------ fully masked queries in the inference kernels
_KPM = [[True, True, True], [False, True, False]]
_AM = [[True, True, True], [False, True, False], [False, False, False]]
_ROW = [-0.08844674378633499, 0.1859521120786667, 0.0460582934319973, -0.4703114628791809]  # out[0][1] (torch)


def _nan_rows(t):
    return [[all(v != v for v in row) for row in b] for b in t.tolist()]


def _mha():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4)
    return nn.MultiheadAttention(4, 2, batch_first=True).eval(), x


def test_mha_fast_path_fully_masked_query_is_nan():
    m, x = _mha()
    with torch.no_grad():
        out, w = m(x, x, x, key_padding_mask=torch.tensor(_KPM), need_weights=False)
        assert w is None and _nan_rows(out) == [[True] * 3, [False] * 3]
        out = m(x, x, x, attn_mask=torch.tensor(_AM), need_weights=False)[0]
        assert _nan_rows(out) == [[True, False, False]] * 2
        assert _close([out[0, 1].tolist()], [_ROW])


def test_mha_fully_masked_query_is_zero_off_the_fast_path():
    m, x = _mha()
    am = torch.tensor(_AM)
    fam = torch.zeros(3, 3).masked_fill(am, float("-inf"))
    with torch.no_grad():
        for out in (m(x, x, x, attn_mask=fam, need_weights=False)[0],  # (a float mask)
                    m(x, x.clone(), x, attn_mask=am, need_weights=False)[0]):  # (not self-attention)
            assert out[:, 0].tolist() == [[0.0] * 4] * 2 and _close([out[0, 1].tolist()], [_ROW])
    out = m(x, x, x, attn_mask=am, need_weights=False)[0]  # (grad enabled)
    assert out[:, 0].tolist() == [[0.0] * 4] * 2


def test_encoder_layer_fast_path_fully_masked_query_is_nan():
    _, x = _mha()
    torch.manual_seed(1)
    layer = nn.TransformerEncoderLayer(4, 2, 8, batch_first=True).eval()
    with torch.no_grad():
        y = layer(x, src_key_padding_mask=torch.tensor(_KPM))
        assert _nan_rows(y) == [[True] * 3, [False] * 3]
        assert _close([y[1, 0].tolist()], [[0.03988394886255264, 1.5525829792022705, -1.1961662769317627,
                                            -0.39630070328712463]])
        assert _nan_rows(layer(x, src_mask=torch.tensor(_AM))) == [[True, False, False]] * 2
    assert _nan_rows(layer(x, src_mask=torch.tensor(_AM))) == [[False] * 3] * 2  # (grad enabled: no NaN)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_nested_encoder_every_token_padded_raises():
    _, x = _mha()
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, batch_first=True), 2).eval()
    with torch.no_grad():
        y = enc(x, src_key_padding_mask=torch.tensor([[True, True, True], [False, False, True]]))
        assert y[0].tolist() == [[0.0] * 4] * 3 and y[1, 2].tolist() == [0.0] * 4  # (a row without tokens: zeros)
        with pytest.raises(RuntimeError, match="^to_padded_tensor: at least one constituent tensor should have "
                                               "non-zero numel$"):
            enc(x, src_key_padding_mask=torch.ones(2, 3, dtype=torch.bool))
    y = enc(x, src_key_padding_mask=torch.ones(2, 3, dtype=torch.bool))  # (grad enabled: no nested tensor)
    assert tuple(y.shape) == (2, 3, 4)


# ------------------------------------------------------------------ mv / addmv checks (torch's addmv_out order)
_DT = "addmv input tensors must have the same dtype, but got "


@pytest.mark.parametrize("call, msg", [
    (lambda a, v: torch.mv(a.double(), v), _DT + "Float, Double, and Float"),
    (lambda a, v: torch.mv(a, v.double()), _DT + "Double, Float, and Double"),
    (lambda a, v: a.double() @ v, _DT + "Float, Double, and Float"),
    (lambda a, v: torch.matmul(torch.randn(2, 2, 3), v.double()), _DT + "Double, Float, and Double"),
    (lambda a, v: torch.addmv(v[:2], a.double(), v), _DT + "Float, Double, and Float"),
    (lambda a, v: torch.addmv(torch.tensor(1.).double(), a, v), _DT + "Double, Float, and Float"),
    (lambda a, v: torch.addmv(torch.randn(2), a.int(), v.int()), _DT + "Float, Int, and Int"),
    (lambda a, v: torch.mv(a.double(), torch.randn(4)), "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda a, v: torch.addmv(torch.randn(5).double(), a, v), "size mismatch, got input (5), mat (2x3), vec (3)"),
    (lambda a, v: torch.addmv(torch.randn(2), torch.randn(2, 2, 3), v),
     "vector + matrix @ vector expected, got 1, 3, 1"),
    (lambda a, v: torch.addmv(torch.randn(2), a, torch.randn(3, 1)), "vector + matrix @ vector expected, got 1, 2, 2"),
    (lambda a, v: torch.addmv(torch.randn(1, 2), a, v), "vector + matrix @ vector expected, got 2, 2, 1"),
])
def test_mv_addmv_errors(call, msg):
    with pytest.raises(RuntimeError) as e:
        call(torch.randn(2, 3), torch.randn(3))
    assert str(e.value) == msg


def test_addmv_broadcast_input():
    a, v = torch.ones(2, 3), torch.ones(3)
    assert torch.addmv(torch.tensor([1.0]), a, v).tolist() == [4.0, 4.0]
    assert torch.addmv(torch.tensor(2.0), a, v, beta=0.5).tolist() == [4.0, 4.0]
    assert torch.mv(a.int(), v.int()).dtype == torch.int32
