"""Sequence-model tutorial programs (nn.Transformer translation, LSTM/GRU seq2seq with packed sequences and bmm
attention, nn.MultiheadAttention and scaled_dot_product_attention used directly) that differed from torch 2.13:
MultiheadAttention's key_padding_mask shape check raises torch's AssertionError messages, the batch size checked
before the source length (which counts the bias_k/bias_v and add_zero_attn columns). Expected messages written
down from torch."""
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
