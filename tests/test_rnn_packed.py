"""PackedSequence through nn.RNN / LSTM / GRU: the packed output, h_n and c_n (each sequence's state at its last
valid step, in the batch's original order) and every gradient equal running each sequence separately."""
import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext.nn.utils.rnn import PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence

LENGTHS = [3, 5, 1, 5]


def make(kind, **kw):
    torch.manual_seed(0)
    if kind == "LSTM_proj":
        return torch.nn.LSTM(3, 5, proj_size=2, **kw).double()
    if kind == "RNN_relu":
        return torch.nn.RNN(3, 4, nonlinearity="relu", **kw).double()
    return getattr(torch.nn, kind)(3, 4, **kw).double()


def states(kind, m, n):
    D = 2 if m.bidirectional else 1
    h_size = m.proj_size or m.hidden_size
    rng = np.random.default_rng(5)
    h0 = torch.tensor(rng.standard_normal((m.num_layers * D, n, h_size)), requires_grad=True)
    if kind.startswith("LSTM"):
        return (h0, torch.tensor(rng.standard_normal((m.num_layers * D, n, m.hidden_size)), requires_grad=True))
    return h0


def as_list(hx):
    return list(hx) if isinstance(hx, tuple) else [hx]


def sample(hx, i):
    parts = [h[:, i:i + 1] for h in as_list(hx)]
    return tuple(parts) if len(parts) == 2 else parts[0]


@pytest.mark.parametrize("kind", ["RNN", "RNN_relu", "GRU", "LSTM", "LSTM_proj"])
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_equals_each_sequence_alone(kind, layers, bidirectional, enforce_sorted):
    m = make(kind, num_layers=layers, bidirectional=bidirectional)
    rng = np.random.default_rng(1)
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    seqs = [torch.tensor(rng.standard_normal((n, 3)), requires_grad=True) for n in lengths]
    hx = states(kind, m, len(seqs))
    packed = pack_sequence(seqs, enforce_sorted=enforce_sorted)
    out, h_n = m(packed, hx)
    assert isinstance(out, PackedSequence)
    assert out.batch_sizes.tolist() == packed.batch_sizes.tolist()
    padded, out_lengths = pad_packed_sequence(out)
    assert out_lengths.tolist() == lengths
    weights = torch.tensor(rng.standard_normal(padded.shape))
    h_weights = [torch.tensor(rng.standard_normal(h.shape)) for h in as_list(h_n)]
    loss = (padded * weights).sum() + sum((h * w).sum() for h, w in zip(as_list(h_n), h_weights))
    loss.backward()
    got_param_grads = [p.grad.numpy().copy() for p in m.parameters()]
    got_seq_grads = [s.grad.numpy().copy() for s in seqs]
    got_h_grads = [h.grad.numpy().copy() for h in as_list(hx)]
    m.zero_grad()
    for s in seqs:
        s.grad = None
    for h in as_list(hx):
        h.grad = None

    alone_loss = 0
    for i, s in enumerate(seqs):
        o, h_i = m(s.unsqueeze(1), sample(hx, i))
        np.testing.assert_allclose(padded[:lengths[i], i].detach().numpy(), o[:, 0].detach().numpy(), rtol=1e-12,
                                   atol=1e-14)
        np.testing.assert_array_equal(padded[lengths[i]:, i].detach().numpy(), 0)
        for h_all, h_one in zip(as_list(h_n), as_list(h_i)):
            np.testing.assert_allclose(h_all[:, i].detach().numpy(), h_one[:, 0].detach().numpy(), rtol=1e-12,
                                       atol=1e-14)
        alone_loss = alone_loss + (o[:, 0] * weights[:lengths[i], i]).sum() + \
            sum((h[:, 0] * w[:, i]).sum() for h, w in zip(as_list(h_i), h_weights))
    alone_loss.backward()
    for got, p in zip(got_param_grads, m.parameters()):
        np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-10, atol=1e-12)
    for got, s in zip(got_seq_grads, seqs):
        np.testing.assert_allclose(got, s.grad.numpy(), rtol=1e-10, atol=1e-12)
    for got, h in zip(got_h_grads, as_list(hx)):
        np.testing.assert_allclose(got, h.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_pack_padded_batch_first_and_default_states():
    m = make("GRU", batch_first=True)
    x = torch.randn(3, 4, 3, dtype=torch.float64)
    out, h_n = m(pack_padded_sequence(x, [2, 4, 3], batch_first=True, enforce_sorted=False))
    padded, _ = pad_packed_sequence(out, batch_first=True)
    for i, n in enumerate([2, 4, 3]):
        o, h = m(x[i:i + 1, :n])
        np.testing.assert_allclose(padded[i, :n].detach().numpy(), o[0].detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(h_n[:, i].detach().numpy(), h[:, 0].detach().numpy(), rtol=1e-12)


def test_torch_agrees_when_installed():
    real = pytest.importorskip("torch")
    if real is torch:
        pytest.skip("torch is tinygrad_ext here")
    m = make("LSTM", num_layers=2, bidirectional=True)
    r = real.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    r.load_state_dict({k: real.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((5, 4, 3))
    a, (ah, ac) = r(real.nn.utils.rnn.pack_padded_sequence(real.tensor(x), LENGTHS, enforce_sorted=False))
    b, (bh, bc) = m(pack_padded_sequence(torch.tensor(x), LENGTHS, enforce_sorted=False))
    np.testing.assert_allclose(b.data.detach().numpy(), a.data.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(bh.detach().numpy(), ah.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(bc.detach().numpy(), ac.detach().numpy(), rtol=1e-10)


def test_bad_inputs():
    m = make("LSTM")
    packed = pack_sequence([torch.randn(3, 3, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64)])
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 4\), got \[1, 3, 4\]"):
        m(packed, (torch.zeros(1, 3, 4, dtype=torch.float64), torch.zeros(1, 2, 4, dtype=torch.float64)))
    with pytest.raises(RuntimeError, match="input.size.-1. must be equal to input_size. Expected 3, got 2"):
        m(pack_sequence([torch.randn(3, 2, dtype=torch.float64)]))
    with pytest.raises(ValueError, match="RNN input dtype"):
        m(pack_sequence([torch.randn(3, 3)]))
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        pack_sequence([torch.randn(2, 3), torch.randn(3, 3)])
