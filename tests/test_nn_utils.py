"""nn.utils (clip_grad_norm_/clip_grad_value_, parameters_to_vector/vector_to_parameters, rnn padding and packing)
and nn.init (trunc_normal_, orthogonal_, sparse_, eye_, dirac_, the fan/gain rules) against float64 numpy
references and torch's error types; against PyTorch itself when importable."""
import math
import types

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn
from tinygrad_ext.nn import init
from tinygrad_ext.nn.utils import rnn

try:
    import torch as pt
except ImportError:  # the default suite runs without PyTorch
    pt = None


def _params_with_grads(grads, dtype=torch.float64):
    params = []
    for g in grads:
        p = nn.Parameter(torch.zeros(*g.shape, dtype=dtype))
        p.grad = torch.tensor(g, dtype=dtype)
        params.append(p)
    return params


def np_total_norm(grads, p):
    flat = np.concatenate([g.ravel() for g in grads])
    if p == math.inf:
        return np.abs(flat).max()
    if p == -math.inf:
        return np.abs(flat).min()
    return (np.abs(flat) ** p).sum() ** (1 / p)


# ------------------------------------------------ clip_grad
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_reference(norm_type, max_norm):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5), rng.standard_normal((2, 2, 2))]
    params = _params_with_grads(grads)
    params.append(nn.Parameter(torch.ones(2, dtype=torch.float64)))  # no grad: skipped
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    expected = np_total_norm(grads, float(norm_type))
    assert isinstance(total, torch.Tensor) and total.dim() == 0 and total.dtype == torch.float64
    assert total.item() == pytest.approx(expected, rel=1e-12)
    coef = min(1.0, max_norm / (expected + 1e-6))
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-12)
    assert params[-1].grad is None
    if max_norm < expected:
        assert np_total_norm([p.grad.numpy() for p in params[:-1]], float(norm_type)) == pytest.approx(
            max_norm, rel=1e-5)


def test_clip_grad_norm_arguments():
    p = nn.Parameter(torch.ones(2))
    p.grad = torch.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)  # a single tensor
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    empty = nn.utils.clip_grad_norm_([], 1.0)
    assert isinstance(empty, torch.Tensor) and empty.item() == 0.0
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
        nn.utils.clip_grad_norm_((q for q in []), 1.0)
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated in favor of"):
        nn.utils.clip_grad_norm(p, 1.0)
    total = nn.utils.get_total_norm([torch.tensor([1.0, 2.0]), torch.tensor([2.0])], norm_type=2)
    assert total.item() == pytest.approx(3.0)
    p.grad = torch.tensor([3.0, 4.0])
    nn.utils.clip_grads_with_norm_([p], 1.0, torch.tensor(10.0))
    np.testing.assert_allclose(p.grad.numpy(), [0.3, 0.4], rtol=1e-5)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_clip_grad_norm_nonfinite(bad):
    p = nn.Parameter(torch.ones(3))
    p.grad = torch.tensor([1.0, bad, 2.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite, so it cannot be clipped. To disable this error"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert p.grad.numpy()[0] == 1.0  # untouched
    total = nn.utils.clip_grad_norm_([p], 1.0)  # scaled by the non-finite norm anyway, as torch
    assert not math.isfinite(total.item())


def test_clip_grad_value():
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal((4, 3)) * 3, rng.standard_normal(6)]
    params = _params_with_grads(grads)
    assert nn.utils.clip_grad_value_(params, 0.7) is None
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -0.7, 0.7))
    single = _params_with_grads([np.array([-5.0, 5.0])])[0]
    nn.utils.clip_grad_value_(single, 1)
    assert single.grad.tolist() == [-1.0, 1.0]
    with pytest.raises(TypeError):
        nn.utils.clip_grad_value_(params, None)


# ------------------------------------------------ convert_parameters
def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(model.parameters())
    expected = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    np.testing.assert_array_equal(vec.detach().numpy(), expected)
    assert vec.shape == (11,) and vec.requires_grad
    (vec * torch.arange(11.0)).sum().backward()  # differentiable: each parameter gets its slice of the weights
    np.testing.assert_array_equal(model[0].weight.grad.numpy().ravel(), np.arange(6.0))
    new = torch.arange(11.0) / 10
    nn.utils.vector_to_parameters(new, model.parameters())
    np.testing.assert_allclose(model[0].bias.detach().numpy(), [0.6, 0.7], rtol=1e-6)
    np.testing.assert_allclose(model[1].weight.detach().numpy(), [[0.8, 0.9]], rtol=1e-6)
    assert isinstance(model[1].weight, nn.Parameter) and model[1].weight.requires_grad
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], model.parameters())


# ------------------------------------------------ rnn
def _seqs(lengths, feature=(2,), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n,) + feature) for n in lengths]


def np_pad(seqs, batch_first, value, side="right"):
    t = max(len(s) for s in seqs)
    out = np.full((len(seqs), t) + seqs[0].shape[1:], value)
    for i, s in enumerate(seqs):
        if side == "right":
            out[i, :len(s)] = s
        else:
            out[i, t - len(s):] = s
    return out if batch_first else out.swapaxes(0, 1)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side):
    seqs = _seqs([3, 5, 1], feature=(2, 3))
    out = rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=batch_first, padding_value=-1.5,
                           padding_side=side)
    np.testing.assert_array_equal(out.numpy(), np_pad(seqs, batch_first, -1.5, side))
    assert nn.utils.rnn.pad_sequence is rnn.pad_sequence


def test_pad_sequence_gradient_and_errors():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0], requires_grad=True)
    out = rnn.pad_sequence([a, b], batch_first=True)
    (out * torch.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert a.grad.tolist() == [1.0, 2.0] and b.grad.tolist() == [3.0]
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got middle."):
        rnn.pad_sequence([a], padding_side="middle")
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        rnn.pad_sequence([])
    with pytest.raises(RuntimeError):
        rnn.pad_sequence([torch.ones(2, 3), torch.ones(2, 4)])


def np_pack(seqs):
    """(data, batch_sizes) of sequences sorted by decreasing length: time-major."""
    t = len(seqs[0])
    batch_sizes = [sum(len(s) > i for s in seqs) for i in range(t)]
    data = np.concatenate([np.stack([s[i] for s in seqs[:bs]]) for i, bs in enumerate(batch_sizes)])
    return data, batch_sizes


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sequence_sorted(batch_first):
    seqs = _seqs([4, 4, 2, 1])
    padded = torch.tensor(np_pad(seqs, batch_first, 0.0))
    packed = rnn.pack_padded_sequence(padded, [4, 4, 2, 1], batch_first=batch_first)
    data, batch_sizes = np_pack(seqs)
    assert isinstance(packed, rnn.PackedSequence) and isinstance(packed, tuple)
    np.testing.assert_array_equal(packed.data.numpy(), data)
    assert packed.batch_sizes.tolist() == batch_sizes and packed.batch_sizes.dtype == torch.int64
    assert packed.sorted_indices is None and packed.unsorted_indices is None
    out, lengths = rnn.pad_packed_sequence(packed, batch_first=batch_first, padding_value=9.0, total_length=6)
    expected = np_pad(seqs + [np.zeros((6, 2))], True, 9.0)[:4]
    np.testing.assert_array_equal(out.numpy(), expected if batch_first else expected.swapaxes(0, 1))
    assert lengths.tolist() == [4, 4, 2, 1] and lengths.dtype == torch.int64


def test_pack_unsorted_round_trip_and_gradient():
    lengths = [2, 5, 3, 5]
    seqs = _seqs(lengths, seed=3)
    order = [1, 3, 2, 0]  # decreasing length, ties in their original order
    xs = [torch.tensor(s, requires_grad=True) for s in seqs]
    packed = rnn.pack_sequence(xs, enforce_sorted=False)
    assert packed.sorted_indices.tolist() == order and packed.unsorted_indices.tolist() == [3, 0, 2, 1]
    np.testing.assert_array_equal(packed.data.detach().numpy(), np_pack([seqs[i] for i in order])[0])
    padded, out_lengths = rnn.pad_packed_sequence(packed, batch_first=True)
    np.testing.assert_array_equal(padded.detach().numpy(), np_pad(seqs, True, 0.0))
    assert out_lengths.tolist() == lengths
    for x, y in zip(rnn.unpack_sequence(packed), seqs):
        np.testing.assert_array_equal(x.detach().numpy(), y)
    unpadded = rnn.unpad_sequence(padded, out_lengths, batch_first=True)
    assert [u.shape[0] for u in unpadded] == lengths
    packed.data.sum().backward()
    for x in xs:
        np.testing.assert_array_equal(x.grad.numpy(), np.ones(x.shape))
    moved = packed.float()
    assert moved.data.dtype == torch.float32 and moved.sorted_indices.tolist() == order
    assert packed.to(torch.float64) is packed and not packed.is_cuda
    assert packed.long().data.dtype == torch.int64 and packed.byte().batch_sizes is packed.batch_sizes


def test_pack_errors():
    x = torch.ones(3, 2)
    with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order when "
                                           "`enforce_sorted` is True"):
        rnn.pack_padded_sequence(x, [1, 2])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        rnn.pack_padded_sequence(x, [3, 0])
    with pytest.raises(RuntimeError, match="Expected `len\\(lengths\\)` to be equal to batch_size, but got 1 "
                                           "\\(batch_size=2\\)"):
        rnn.pack_padded_sequence(x, [3])
    with pytest.raises(RuntimeError, match="exceeds the 3 time steps"):
        rnn.pack_padded_sequence(x, [4, 1])
    with pytest.raises(RuntimeError, match="Cannot pack empty tensors."):
        rnn.pack_padded_sequence(torch.ones(0, 2), [1, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest sequence "
                                         "in input, but got total_length=2 and max sequence length being 3"):
        rnn.pad_packed_sequence(rnn.pack_sequence([torch.ones(3)]), total_length=2)


# ------------------------------------------------ init
def test_trunc_normal_moments_and_bounds():
    torch.manual_seed(0)
    w = torch.empty(400, 250)
    assert init.trunc_normal_(w, mean=0.5, std=2.0, a=-1.0, b=3.0) is w
    x = w.numpy().astype(np.float64)
    assert x.min() >= -1.0 and x.max() <= 3.0
    alpha, beta = (-1.0 - 0.5) / 2.0, (3.0 - 0.5) / 2.0

    def pdf(z):
        return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    def cdf(z):
        return (1 + math.erf(z / math.sqrt(2))) / 2
    z = cdf(beta) - cdf(alpha)
    mean = 0.5 + 2.0 * (pdf(alpha) - pdf(beta)) / z
    var = 4.0 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2)
    assert x.mean() == pytest.approx(mean, abs=0.01) and x.var() == pytest.approx(var, rel=0.02)
    hist, _ = np.histogram(x, bins=4, range=(-1.0, 3.0))  # the density, not just the moments
    expected = [cdf((e - 0.5) / 2) for e in (-1.0, 0.0, 1.0, 2.0, 3.0)]
    np.testing.assert_allclose(hist / x.size, np.diff(expected) / z, atol=0.005)
    with pytest.warns(UserWarning, match="mean is more than 2 std from \\[a, b\\] in nn.init.trunc_normal_"):
        init.trunc_normal_(torch.empty(3), mean=10.0)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 2, 5), (5, 5), (1, 7)])
def test_orthogonal_is_the_q_of_the_gaussian(shape):
    rows = shape[0]
    cols = int(np.prod(shape)) // rows
    torch.manual_seed(3)
    gauss = torch.empty(rows, cols).normal_(0, 1).numpy().astype(np.float64)
    torch.manual_seed(3)
    w = torch.empty(*shape)
    assert init.orthogonal_(w, gain=1.5) is w
    a = gauss.T if rows < cols else gauss
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))  # the factor with a positive diagonal of R, as torch.nn.init.orthogonal_
    expected = 1.5 * (q.T if rows < cols else q)
    np.testing.assert_allclose(w.numpy().reshape(rows, cols), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(torch.empty(3))
    assert init.orthogonal_(torch.empty(0, 3)).shape == (0, 3)


def test_sparse_eye_dirac():
    torch.manual_seed(1)
    w = torch.empty(10, 6)
    assert init.sparse_(w, sparsity=0.25, std=0.5) is w
    x = w.numpy()
    assert ((x == 0).sum(0) == 3).all() and 0.2 < x[x != 0].std() < 0.9
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(torch.empty(2, 2, 2), 0.1)
    e = init.eye_(torch.empty(3, 5, dtype=torch.float64))
    np.testing.assert_array_equal(e.numpy(), np.eye(3, 5))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(torch.empty(3))
    # a conv whose weight is dirac_ passes each group's first channels through
    weight = init.dirac_(torch.empty(4, 2, 3, 3), groups=2)
    inp = torch.randn(1, 4, 5, 5)
    out = torch.nn.functional.conv2d(inp, weight, padding=1, groups=2)
    np.testing.assert_allclose(out.numpy(), inp.numpy(), rtol=1e-6)
    expected = np.zeros((6, 4, 3))
    for d in range(4):
        expected[d, d, 1] = 1
    np.testing.assert_array_equal(init.dirac_(torch.empty(6, 4, 3)).numpy(), expected)
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(torch.empty(2, 2))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(torch.empty(3, 2, 3), groups=2)


def test_fans_gains_and_scaled_initializers():
    assert init._calculate_fan_in_and_fan_out(torch.empty(8, 3, 5, 5)) == (75, 200)
    assert init.calculate_gain("relu") == math.sqrt(2.0) and init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04) and init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("conv_transpose2d") == 1 and init.calculate_gain("sigmoid") == 1
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2"):
        init.xavier_uniform_(torch.empty(3))
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        init.kaiming_normal_(torch.empty(3, 3), mode="fan_avg")
    torch.manual_seed(0)
    w = init.kaiming_uniform_(torch.empty(300, 200), a=0.1, mode="fan_out", nonlinearity="leaky_relu")
    bound = math.sqrt(3.0) * math.sqrt(2.0 / 1.01) / math.sqrt(300)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    w = init.xavier_normal_(torch.empty(300, 200), gain=2.0)
    assert w.numpy().std() == pytest.approx(2.0 * math.sqrt(2.0 / 500), rel=0.02)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_normal_(torch.empty(0, 3))


# ------------------------------------------------ against PyTorch itself (skipped without it)
@pytest.mark.skipif(pt is None, reason="PyTorch is not installed")
def test_clip_and_rnn_match_pytorch():
    rng = np.random.default_rng(4)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    for norm_type in (2.0, 1.0, 0.5, math.inf):
        results = []
        for lib in (torch, pt):
            params = [lib.nn.Parameter(lib.zeros(*g.shape, dtype=lib.float32)) for g in grads]
            for p, g in zip(params, grads):
                p.grad = lib.tensor(g, dtype=lib.float32)
            total = lib.nn.utils.clip_grad_norm_(params, 0.3, norm_type)
            results.append((total.item(), [p.grad.numpy().copy() for p in params]))
        assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
        for a, b in zip(results[0][1], results[1][1]):
            np.testing.assert_allclose(a, b, rtol=1e-6)
    seqs = _seqs([2, 5, 3, 5], feature=(3,))
    outs = []
    for lib in (torch, pt):
        R = lib.nn.utils.rnn
        packed = R.pack_sequence([lib.tensor(s) for s in seqs], enforce_sorted=False)
        padded, lengths = R.pad_packed_sequence(packed, padding_value=-2.0, total_length=7)
        left = R.pad_sequence([lib.tensor(s) for s in seqs], batch_first=True, padding_side="left")
        outs.append([packed.data.numpy(), packed.batch_sizes.numpy(), packed.sorted_indices.numpy(),
                     packed.unsorted_indices.numpy(), padded.numpy(), lengths.numpy(), left.numpy()])
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    for name in ("relu", "tanh", "selu", "linear", "conv3d"):
        assert init.calculate_gain(name) == pt.nn.init.calculate_gain(name)
    w, tw = torch.empty(4, 3, 2, 2), pt.empty(4, 3, 2, 2)
    np.testing.assert_array_equal(init.dirac_(w, 2).numpy(), pt.nn.init.dirac_(tw, 2).numpy())
    assert isinstance(nn.utils.rnn, types.ModuleType)


# ------------------------------------------------ weight_norm
def _affine(lib, w):
    """A module whose forward reads self.weight (so a recomputed weight is used)."""
    class Affine(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.tensor(w))

        def forward(self, x):
            return x * self.weight
    return Affine()


@pytest.mark.parametrize("dim,norm_axes", [(0, (1, 2)), (1, (0, 2)), (2, (0, 1)), (None, (0, 1, 2))])
def test_weight_norm(dim, norm_axes):
    w = np.random.default_rng(6).standard_normal((2, 3, 4))
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated"):
        m = nn.utils.weight_norm(_affine(torch, w), dim=dim)
    assert sorted(n for n, _ in m.named_parameters()) == ["weight_g", "weight_v"]
    g = np.sqrt((w * w).sum(axis=norm_axes, keepdims=dim is not None))
    np.testing.assert_allclose(m.weight_g.detach().numpy(), g, rtol=1e-12)
    with torch.no_grad():
        m.weight_g.mul_(2.0)
    x = torch.ones(2, 3, 4, dtype=torch.float64)
    out = m(x)  # the weight is recomputed before forward: g doubled doubles it
    np.testing.assert_allclose(out.detach().numpy(), 2 * w, rtol=1e-12)
    out.sum().backward()
    assert m.weight_v.grad is not None and m.weight_g.grad.shape == m.weight_g.shape
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"), \
            pytest.warns(FutureWarning):
        nn.utils.weight_norm(m, dim=dim)
    nn.utils.remove_weight_norm(m)
    assert [n for n, _ in m.named_parameters()] == ["weight"] and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(m.weight.detach().numpy(), 2 * w, rtol=1e-12)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(m)


@pytest.mark.skipif(pt is None, reason="PyTorch is not installed")
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_weight_norm_matches_pytorch():
    rng = np.random.default_rng(9)
    w, c = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 4, 2))
    grads = []
    for lib in (torch, pt):
        m = lib.nn.utils.weight_norm(_affine(lib, w), dim=1)
        (m(lib.ones(3, 4, 2, dtype=lib.float64)) * lib.tensor(c)).sum().backward()
        grads.append((m.weight_g.grad.numpy(), m.weight_v.grad.numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("make", [lambda: (nn.Linear(3, 2), (4, 3)), lambda: (nn.Conv2d(2, 3, 3), (1, 2, 5, 5)),
                                  lambda: (nn.Conv1d(2, 3, 3, padding=1, padding_mode="reflect"), (1, 2, 5)),
                                  lambda: (nn.ConvTranspose2d(2, 3, 3), (1, 2, 4, 4))])
def test_weight_norm_on_the_library_layers(make):
    m, shape = make()
    x = torch.randn(*shape)
    before = m(x).detach()
    with pytest.warns(FutureWarning):
        m = nn.utils.weight_norm(m)
    out = m(x)
    assert (out - before).abs().max().item() < 1e-5
    out.sum().backward()
    assert m.weight_g.grad is not None and m.weight_v.grad.shape == m.weight_v.shape
