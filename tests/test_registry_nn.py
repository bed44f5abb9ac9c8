"""The nn rows of the op registry (_registry.NN_OPS): every row's value against a float64 numpy reference (its
`ref`: a function of REFS, or for a backward op the numerical vector-Jacobian product of its forward row's
reference), in float32 and float64, contiguous and strided, empty where the op allows it; gradcheck and
gradgradcheck of every differentiable input; a sampler's draws against its CDF (CDFS) and its formula against the
CDF's implicit derivative; torch's grad_fn names (checked against torch itself when it is installed); and that no
nn op is left hand-written (an Op subclass of _ops calling an nn kernel, or an autograd Function recording one of
the rows' nodes)."""
import ast
import inspect
import math
import pathlib

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import _ops, _registry
from tinygrad_ext.autograd import gradcheck, gradgradcheck

from test_nn import np_conv2d, np_cross_entropy, np_pool2d

ROWS = _registry.NN_OPS
FORWARD = [e for e in ROWS if not e.ref.startswith(("vjp:", "cdf:"))]
BACKWARD = [e for e in ROWS if e.ref.startswith("vjp:")]
SAMPLERS = [e for e in ROWS if e.ref.startswith("cdf:")]  # (a random draw per element: no value, no gradcheck)
DETERMINISTIC = [e for e in ROWS if e not in SAMPLERS]


# ---------------------------------------------------------------- float64 numpy references
def conv2d_ref(x, w, b, stride, padding, dilation, groups):
    return np_conv2d(x, w, b, stride, padding, dilation, groups) if x.ndim == 4 else \
        np_conv2d(x[None], w, b, stride, padding, dilation, groups)[0]


def conv_transpose2d_ref(x, w, b, stride, padding, dilation, output_padding, groups):
    N, C, H, W = x.shape
    _, og, kh, kw = w.shape
    size = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
            for n, s, p, d, k, op in zip((H, W), stride, padding, dilation, (kh, kw), output_padding)]
    full = np.zeros((N, og * groups, size[0] + 2 * padding[0] + stride[0], size[1] + 2 * padding[1] + stride[1]))
    cg = C // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                contrib = np.einsum("nchw,co->nohw", x[:, g * cg:(g + 1) * cg], w[g * cg:(g + 1) * cg, :, i, j])
                full[:, g * og:(g + 1) * og, i * dilation[0]:i * dilation[0] + stride[0] * H:stride[0],
                     j * dilation[1]:j * dilation[1] + stride[1] * W:stride[1]] += contrib
    out = full[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def convolution_ref(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    if transposed:
        return conv_transpose2d_ref(x, w, b, stride, padding, dilation, output_padding, groups)
    return conv2d_ref(x, w, b, stride, padding, dilation, groups)


def _unbatched(ref):
    """ref over (N, C, H, W) applied to an unbatched (C, H, W) input too."""
    def call(x, *args):
        if x.ndim == 4:
            return ref(x, *args)
        out = ref(x[None], *args)
        return tuple(o[0] for o in out) if isinstance(out, tuple) else out[0]
    return call


@_unbatched
def max_pool2d_ref(x, kernel_size, stride, padding, dilation, ceil_mode):
    return np_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode, "max")


@_unbatched
def avg_pool2d_ref(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    return np_pool2d(x, kernel_size, stride, padding, (1, 1), ceil_mode, "avg", count_include_pad,
                     divisor_override)[0]


def _resample_dim(x, axis, out, mode, align_corners):
    n = x.shape[axis]
    dst = np.arange(out, dtype=np.float64)
    if mode == "nearest":
        return np.take(x, np.minimum(np.floor(dst * (n / out)).astype(int), n - 1), axis)
    if mode == "nearest-exact":
        return np.take(x, np.minimum(np.floor((dst + 0.5) * (n / out)).astype(int), n - 1), axis)
    if align_corners:
        src = dst * ((n - 1) / (out - 1)) if out > 1 else dst * 0
    else:
        src = np.maximum((dst + 0.5) * (n / out) - 0.5, 0)
    lo = np.floor(src).astype(int)
    hi, lam = np.minimum(lo + 1, n - 1), src - lo
    shape = [1] * x.ndim
    shape[axis] = out
    return np.take(x, lo, axis) * (1 - lam.reshape(shape)) + np.take(x, hi, axis) * lam.reshape(shape)


def upsample_ref(mode):
    def ref(x, output_size, align_corners, scales):
        for k, n in enumerate(output_size):
            x = _resample_dim(x, 2 + k, n, mode, align_corners)
        return x
    return ref


def log_softmax_ref(x, dim):
    if x.ndim == 0:
        return x * 0
    m = x.max(dim, keepdims=True) if x.size else x
    return x - m - np.log(np.exp(x - m).sum(dim, keepdims=True))


def cross_entropy_ref(x, target, weight, reduction, ignore_index, label_smoothing):
    reduction = ("none", "mean", "sum")[reduction]
    if x.ndim == 1:
        out = np_cross_entropy(x[None], np.asarray(target)[None], weight, reduction, ignore_index, label_smoothing)
        return out[0] if reduction == "none" else out
    return np_cross_entropy(x, target, weight, reduction, ignore_index, label_smoothing)


def nll_loss_ref(x, target, weight, reduction, ignore_index):
    """-weight[t] * x[..., t, ...] for each target t (class dim 1, or 0 unbatched), an ignored one 0."""
    cdim = 0 if x.ndim == 1 else 1
    C = x.shape[cdim]
    safe = np.where(target == ignore_index, 0, target)
    wt = (np.ones(C) if weight is None else weight)[safe] * (target != ignore_index)
    out = -(x * np.moveaxis(np.eye(C)[safe], -1, cdim)).sum(cdim) * wt
    return out if reduction == 0 else out.sum() if reduction == 2 else out.sum() / wt.sum()


def mse_loss_ref(a, b, reduction):
    sq = (a - b) ** 2
    return sq if reduction == 0 else sq.mean() if reduction == 1 else sq.sum()


def ctc_loss_ref(lp, targets, input_lengths, target_lengths, blank, zero_infinity):
    """The negative log-likelihood per sample by the forward (alpha) recursion over the blank-extended target."""
    out = []
    for n in range(lp.shape[1]):
        ext = [blank]
        for c in targets[n][:target_lengths[n]]:
            ext += [int(c), blank]
        alpha = np.full(len(ext), -np.inf)
        alpha[0] = lp[0, n, blank]
        if len(ext) > 1:
            alpha[1] = lp[0, n, ext[1]]
        for t in range(1, input_lengths[n]):
            prev = alpha.copy()
            for s in range(len(ext)):
                terms = [prev[s]] + ([prev[s - 1]] if s > 0 else []) + \
                    ([prev[s - 2]] if s > 1 and ext[s] != blank and ext[s] != ext[s - 2] else [])
                alpha[s] = np.logaddexp.reduce(terms) + lp[t, n, ext[s]]
        out.append(-np.logaddexp.reduce(alpha[-2:] if len(ext) > 1 else alpha[-1:]))
    return np.array(out)


def lstm_layer_ref(x, w_ih, w_hh, b_ih, b_hh, h, c, reverse):
    """One direction of one LSTM layer from its published equations (gate order i, f, g, o): (output, h_n, c_n)."""
    def sigmoid(v):
        return 1 / (1 + np.exp(-v))
    b = (0 if b_ih is None else b_ih) + (0 if b_hh is None else b_hh)
    out = np.zeros(x.shape[:2] + h.shape[1:])
    for t in (range(len(x) - 1, -1, -1) if reverse else range(len(x))):
        i, f, g, o = np.split(x[t] @ w_ih.T + h @ w_hh.T + b, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = out[t] = sigmoid(o) * np.tanh(c)
    return out, h, c


REFS = {
    "convolution": convolution_ref,
    "max_pool2d": max_pool2d_ref,
    "avg_pool2d": avg_pool2d_ref,
    "upsample_nearest": upsample_ref("nearest"),
    "_upsample_nearest_exact": upsample_ref("nearest-exact"),
    "upsample_linear": lambda x, output_size, align_corners, scales: upsample_ref("linear")(
        x, output_size, align_corners, scales),
    "softmax": lambda x, dim: np.exp(log_softmax_ref(x, dim)),
    "log_softmax": log_softmax_ref,
    "cross_entropy": cross_entropy_ref,
    "nll_loss": nll_loss_ref,
    "mse_loss": mse_loss_ref,
    "embedding": lambda w, idx, padding_idx: w[idx],
    "ctc_loss": ctc_loss_ref,
    "mkldnn_rnn_layer": lstm_layer_ref,
    "frexp": np.frexp,
}


def _special():
    return pytest.importorskip("scipy.special")


# the samplers' references: (CDF(x, *params), its density), float64; params are the row's inputs
CDFS = {
    "gamma": (lambda x, alpha: _special().gammainc(alpha, x),
              lambda x, alpha: np.exp((alpha - 1) * np.log(x) - x - _special().gammaln(alpha))),
}


# ---------------------------------------------------------------- the rows' cases
def _rand(*shape, seed=0, lo=-1.0, hi=1.0):
    return np.random.default_rng(seed + sum(shape)).uniform(lo, hi, shape)


def _distinct(*shape, seed=0):
    """Values at least 0.05 apart (max pooling's gradient is defined there)."""
    v = np.random.default_rng(seed).permutation(math.prod(shape)) * 0.05 - 1
    return v.reshape(shape)


_T = np.array([1, 0, 3, 2])
_W4 = np.array([0.5, 1.0, 2.0, 1.5])
_LP = log_softmax_ref(_rand(6, 2, 4, seed=5), 2)
# (inputs as numpy arrays: floating ones become the dtype under test, integer ones int64; then the params)
CASES = {
    "convolution": [
        ((_rand(2, 2, 5, 5), _rand(3, 2, 3, 3, seed=1), _rand(3, seed=2)), ((1, 1), (1, 1), (1, 1), False, (0, 0), 1)),
        ((_rand(1, 4, 6, 5), _rand(4, 2, 2, 3, seed=1), None), ((2, 1), (0, 1), (2, 1), False, (0, 0), 2)),
        ((_rand(2, 5, 5), _rand(3, 2, 3, 3, seed=1), None), ((1, 1), (0, 0), (1, 1), False, (0, 0), 1)),
        ((_rand(1, 2, 3, 4), _rand(2, 3, 3, 2, seed=1), _rand(3, seed=2)), ((2, 2), (1, 0), (1, 1), True, (1, 1), 1)),
    ],
    "max_pool2d_with_indices": [
        ((_distinct(2, 2, 5, 5),), ((2, 2), (2, 2), (0, 0), (1, 1), False)),
        ((_distinct(1, 3, 6, 5, seed=1),), ((3, 2), (2, 1), (1, 1), (1, 2), True)),
    ],
    "avg_pool2d": [
        ((_rand(2, 2, 5, 5),), ((2, 2), (2, 2), (0, 0), False, True, None)),
        ((_rand(1, 3, 6, 5),), ((3, 3), (2, 2), (1, 1), True, False, None)),
        ((_rand(3, 5, 4),), ((2, 3), (1, 2), (1, 1), False, True, 4)),
    ],
    "upsample_nearest": [((_rand(1, 2, 3, 4),), ([5, 7], False, [0.0, 0.0])), ((_rand(2, 2, 3),), ([7], False, [0.0]))],
    "_upsample_nearest_exact": [((_rand(1, 2, 3, 4),), ([5, 3], False, [0.0, 0.0]))],
    "upsample_linear": [((_rand(1, 2, 3, 4),), ([5, 7], False, [0.0, 0.0])),
                        ((_rand(1, 2, 3, 4),), ([4, 3], True, [0.0, 0.0])),
                        ((_rand(2, 2, 3),), ([5], False, [0.0])),
                        ((_rand(1, 1, 2, 3, 2),), ([3, 4, 3], False, [0.0, 0.0, 0.0]))],
    "_softmax": [((_rand(3, 4, 2),), (1,)), ((_rand(5) * 3,), (0,)), ((_rand(2, 3),), (-1,))],
    "_log_softmax": [((_rand(3, 4, 2),), (1,)), ((_rand(5) * 3,), (0,)), ((_rand(2, 3),), (-1,))],
    "cross_entropy": [
        ((_rand(4, 5), _T, None), (1, -100, 0.0)),
        ((_rand(4, 4), _T, _W4), (1, 2, 0.0)),
        ((_rand(4, 4), _T, _W4), (0, -100, 0.1)),
        ((_rand(2, 4, 3), np.array([[1, 0, 3], [2, 2, 0]]), None), (2, -100, 0.2)),
        ((_rand(4), np.array(2), None), (1, -100, 0.0)),
    ],
    "nll_loss": [
        ((_rand(4, 4), _T, None), (1, -100)),
        ((_rand(4, 4), _T, _W4), (0, 3)),
        ((_rand(2, 4, 3), np.array([[1, 0, 3], [2, 2, 0]]), _W4), (2, -100)),
    ],
    "mse_loss": [((_rand(3, 4), _rand(3, 4, seed=1)), (1,)), ((_rand(3, 4), _rand(4, seed=1)), (0,)),
                 ((_rand(2, 3), _rand(2, 3, seed=1)), (2,))],
    "embedding": [((_rand(5, 3), np.array([[0, 2], [4, 0]])), (None,)), ((_rand(5, 3), np.array([1, 2, 1, 4])), (1,))],
    "ctc_loss": [((_LP, np.array([[1, 2], [3, 3]])), ([6, 5], [2, 2], 0, False))],
    "mkldnn_rnn_layer": [
        ((_rand(4, 2, 3), _rand(12, 3, seed=1), _rand(12, 3, seed=2), _rand(12, seed=3), _rand(12, seed=4),
          _rand(2, 3, seed=5), _rand(2, 3, seed=6)), (False,)),
        ((_rand(3, 2, 2), _rand(8, 2, seed=1), _rand(8, 2, seed=2), None, None, _rand(2, 2, seed=5),
          _rand(2, 2, seed=6)), (True,)),
    ],
    # (the first case away from powers of 2, where the mantissa jumps, for the gradient checks; then zero, -0.0,
    # inf, NaN and float32's subnormals; test_everyday_ops checks every dtype's extremes bit for bit)
    "frexp": [((np.array([[1.5, -3.25, 0.3], [7.0, -0.011, 1e10]]),), ()),
              ((np.array([[0.0, -0.0, np.inf, -np.inf], [np.nan, 3e-40, -2.0 ** -140, 2.0]]),), ()),
              ((np.array(-6.5),), ())],
    # (the sampler's inputs: the gradient regimes of _standard_gamma_grad (x < 0.8; alpha > 8; the rational fit))
    "_standard_gamma": [((np.array([0.3, 0.9, 2.0, 5.0, 12.0, 40.0]),), ())],
}
EMPTY = {  # (inputs, params) with a zero-size dim, for the rows whose op allows it
    "convolution": ((np.zeros((0, 2, 4, 4)), _rand(3, 2, 3, 3), None), ((1, 1), (0, 0), (1, 1), False, (0, 0), 1)),
    "avg_pool2d": ((np.zeros((0, 2, 4, 4)),), ((2, 2), (2, 2), (0, 0), False, True, None)),
    "_softmax": ((np.zeros((0, 3)),), (1,)),
    "_log_softmax": ((np.zeros((3, 0)),), (1,)),
    "mse_loss": ((np.zeros((0, 3)), np.zeros((0, 3))), (2,)),
    "embedding": ((_rand(5, 3), np.zeros((0,), np.int64)), (None,)),
    "frexp": ((np.zeros((0, 3)),), ()),
}


def _tensor(a, dtype, strided=False, requires_grad=False):
    if a is None:
        return None
    if not np.issubdtype(np.asarray(a).dtype, np.floating):
        return torch.tensor(np.asarray(a), dtype=torch.int64)
    if strided and a.ndim >= 2:  # the same values through a transposed view (not contiguous)
        t = torch.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2)), dtype=dtype).transpose(-1, -2)
        assert not t.is_contiguous()
    else:
        t = torch.tensor(a, dtype=dtype)
    return t.requires_grad_(requires_grad)


def _np(a):
    return None if a is None else np.asarray(a, dtype=np.float64) if np.issubdtype(np.asarray(a).dtype,
                                                                                   np.floating) else np.asarray(a)


def _check_close(got, want, dtype, what):
    got = got.detach().numpy().astype(np.float64) if got.dtype.is_floating_point else got.numpy()
    assert got.shape == np.shape(want), what
    tol = 1e-5 if dtype == torch.float32 else 1e-10
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=what)


def test_every_row_has_cases_and_a_reference():
    for e in ROWS:
        if e.ref.startswith("vjp:"):
            assert e.ref[4:] in _registry.NN_OPS_BY_NAME and e.name in VJP_ARGS, e.name
            continue
        if e.ref.startswith("cdf:"):
            assert e.ref[4:] in CDFS and CASES.get(e.name), e.name
            continue
        assert e.ref in REFS, f"{e.name}: no reference"
        assert CASES.get(e.name), f"{e.name}: no test cases"


VALUE_ROWS = [(e, dtype, strided) for e in FORWARD for dtype in (torch.float32, torch.float64)
              for strided in (False, True)]


@pytest.mark.parametrize("entry, dtype, strided", VALUE_ROWS,
                         ids=lambda v: getattr(v, "name", None) or str(v).replace("tinygrad_ext.", ""))
def test_value_against_numpy(entry, dtype, strided):
    op = _ops.NN_OPS[entry.name]
    for arrays, params in CASES[entry.name]:
        got = op.apply(*[_tensor(a, dtype, strided) for a in arrays], *params)
        want = REFS[entry.ref](*[_np(a) for a in arrays], *params)
        got, want = (got, want) if entry.returns > 1 else ((got,), (want,))
        for g, w in zip(got, want):
            _check_close(g, w, dtype, f"{entry.name} {params}")
            assert g.dtype is dtype if g.dtype.is_floating_point else g.numpy().dtype == np.asarray(w).dtype


@pytest.mark.parametrize("entry", [e for e in FORWARD if e.name in EMPTY], ids=lambda e: e.name)
def test_empty(entry):
    arrays, params = EMPTY[entry.name]
    got = _ops.NN_OPS[entry.name].apply(*[_tensor(a, torch.float64) for a in arrays], *params)
    want = REFS[entry.ref](*[_np(a) for a in arrays], *params)
    got, want = (got, want) if entry.returns > 1 else ((got,), (want,))
    for g, w in zip(got, want):
        _check_close(g, w, torch.float64, entry.name)


# ------------------------------------------------- the backward rows: value = numerical VJP of the forward's ref
def _numeric_vjp(f, arrays, k, G, eps=1e-6):
    x = arrays[k].copy()
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        def at(d):
            args = list(arrays)
            args[k] = x.copy()
            args[k][i] += d
            return (G * f(*args)).sum()
        out[i] = (at(eps) - at(-eps)) / (2 * eps)
    return out


def _tw(t, w, ignore_index):
    t = np.asarray(t)
    keep = t != ignore_index
    return torch.tensor(((np.ones(4) if w is None else w)[np.where(keep, t, 0)] * keep).sum(), dtype=torch.float64)


# name -> (forward inputs (tensors), params, forward output, G) -> (the backward row's arguments,
# {its output number: the forward input it is the gradient of})
VJP_ARGS = {
    "convolution_backward": lambda ins, p, y, G: ((G, ins[0], ins[1], *p, (True, True, ins[2] is not None)),
                                                  {0: 0, 1: 1, 2: 2}),
    "max_pool2d_with_indices_backward": lambda ins, p, y, G: ((G, ins[0], y[1], *p), {0: 0}),
    "avg_pool2d_backward": lambda ins, p, y, G: ((G, ins[0], *p), {0: 0}),
    "_softmax_backward_data": lambda ins, p, y, G: ((G, y, p[0], torch.float64), {0: 0}),
    "_log_softmax_backward_data": lambda ins, p, y, G: ((G, y, p[0], torch.float64), {0: 0}),
    "nll_loss_backward": lambda ins, p, y, G: ((G, *ins, _tw(ins[1].numpy(), None if ins[2] is None else
                                                             ins[2].numpy(), p[1]), *p), {0: 0}),
    "mse_loss_backward": lambda ins, p, y, G: ((G, ins[0], ins[1], *p), {0: 0}),
    "embedding_dense_backward": lambda ins, p, y, G: ((G, ins[1], ins[0].shape[0], *p), {0: 0}),
}
for _mode in ("upsample_nearest", "_upsample_nearest_exact", "upsample_linear"):
    VJP_ARGS[_mode + "_backward"] = lambda ins, p, y, G: ((G, p[0], ins[0].shape, p[1], p[2]), {0: 0})


@pytest.mark.parametrize("entry", BACKWARD, ids=lambda e: e.name)
def test_backward_row_is_the_vjp_of_its_forward(entry):
    fwd = _registry.NN_OPS_BY_NAME[entry.ref[4:]]
    op, fop = _ops.NN_OPS[entry.name], _ops.NN_OPS[fwd.name]
    ref = REFS[fwd.ref]
    for arrays, params in CASES[fwd.name]:
        ins = [_tensor(a, torch.float64) for a in arrays]
        y = fop.apply(*ins, *params)
        first = y[0] if fwd.returns > 1 else y
        G = np.random.default_rng(3).uniform(-1, 1, tuple(first.shape))
        args, mapping = VJP_ARGS[entry.name](ins, params, y if fwd.returns > 1 else first,
                                             torch.tensor(G, dtype=torch.float64))
        got = op.apply(*args)
        got = got if entry.returns > 1 else (got,)
        npa = [_np(a) for a in arrays]
        for out_nr, k in mapping.items():
            if npa[k] is None:
                assert got[out_nr] is None
                continue
            want = _numeric_vjp(lambda *a: np.asarray(ref(*a, *params)[0] if fwd.returns > 1 else ref(*a, *params)),
                                npa, k, G)
            if entry.name == "embedding_dense_backward" and params[0] is not None:
                want[params[0]] = 0  # (the padding row gets no gradient)
            np.testing.assert_allclose(got[out_nr].numpy(), want, rtol=1e-6, atol=1e-7,
                                       err_msg=f"{entry.name} {params} output {out_nr}")


# ---------------------------------------------------------------- gradients
def _grad_inputs(entry):
    """(function, inputs) for gradcheck: every differentiable float input of the row's first case in float64."""
    if entry.ref.startswith("vjp:"):
        fwd = _registry.NN_OPS_BY_NAME[entry.ref[4:]]
        arrays, params = CASES[fwd.name][0]
        ins = [_tensor(a, torch.float64) for a in arrays]
        y = _ops.NN_OPS[fwd.name].apply(*ins, *params)
        first = y[0] if fwd.returns > 1 else y
        G = torch.tensor(np.random.default_rng(4).uniform(-1, 1, tuple(first.shape)), dtype=torch.float64)
        args, _ = VJP_ARGS[entry.name](ins, params, (y[0].detach(), y[1]) if fwd.returns > 1 else first.detach(), G)
    else:
        args = [_tensor(a, torch.float64) for a in CASES[entry.name][0][0]] + list(CASES[entry.name][0][1])
    args = list(args)
    for i, name in enumerate(entry.inputs):
        if name in entry.differentiable and isinstance(args[i], torch.Tensor) and args[i].dtype == torch.float64:
            args[i] = args[i].detach().requires_grad_()
    n = len(entry.inputs)
    tensors = [a for a in args[:n] if isinstance(a, torch.Tensor) and a.requires_grad]

    def fn(*ts):
        it = iter(ts)
        call = [next(it) if isinstance(a, torch.Tensor) and a.requires_grad else a for a in args[:n]] + args[n:]
        if entry.name == "ctc_loss":  # (torch's CTC gradient is meant for log_softmax outputs, as in use)
            call[0] = call[0].log_softmax(2)
        out = _ops.NN_OPS[entry.name].apply(*call)
        if isinstance(out, tuple):
            return tuple(o for o in out if o is not None and o.dtype.is_floating_point)
        return out
    return fn, tensors


@pytest.mark.parametrize("entry", DETERMINISTIC, ids=lambda e: e.name)
def test_gradcheck(entry):
    fn, inputs = _grad_inputs(entry)
    assert inputs, entry.name
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("entry", [e for e in DETERMINISTIC if e.name != "ctc_loss"], ids=lambda e: e.name)
def test_gradgradcheck(entry):  # (torch's ctc_loss has no second derivative)
    fn, inputs = _grad_inputs(entry)
    assert gradgradcheck(fn, inputs)


# ---------------------------------------------------------------- the samplers
@pytest.mark.parametrize("strided", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("entry", SAMPLERS, ids=lambda e: e.name)
def test_sampler_draws_follow_its_cdf(entry, dtype, strided):
    """Kolmogorov-Smirnov: 2000 draws per element, their empirical CDF within the 0.1% critical distance of the
    reference CDF's."""
    cdf, _ = CDFS[entry.ref[4:]]
    for arrays, params in CASES[entry.name]:
        many = [np.repeat(a[None], 2000, 0) for a in arrays]
        torch.manual_seed(0)
        x = _ops.NN_OPS[entry.name].apply(*[_tensor(a, dtype, strided) for a in many], *params)
        assert x.dtype is dtype and x.shape == many[0].shape
        u = np.sort(cdf(x.numpy().astype(np.float64), *[_np(a) for a in many]), axis=0)  # uniform if x follows it
        n = len(u)
        ranks = np.arange(n).reshape((n,) + (1,) * (u.ndim - 1))
        gap = np.maximum((ranks + 1) / n - u, u - ranks / n).max(0)
        assert (gap < 1.95 / np.sqrt(n)).all(), (entry.name, gap)


@pytest.mark.parametrize("entry", SAMPLERS, ids=lambda e: e.name)
def test_sampler_formula_is_the_cdf_implicit_derivative(entry):
    """A reparameterized draw x(p) keeps CDF(x; p) fixed: dx/dp = -(dCDF/dp) / pdf, dCDF/dp by central differences
    of the reference in float64 (the formulas are torch's approximations, good to 5e-4 as torch's tests ask)."""
    cdf, pdf = CDFS[entry.ref[4:]]
    for arrays, params in CASES[entry.name]:
        many = [np.repeat(a[None], 50, 0) for a in arrays]
        ins = [_tensor(a, torch.float64, requires_grad=True) for a in many]
        torch.manual_seed(1)
        x = _ops.NN_OPS[entry.name].apply(*ins, *params)
        assert x.grad_fn.name() == entry.node
        grads = torch.autograd.grad(x.sum(), ins)
        xv, h, at = x.detach().numpy(), 1e-6, [_np(a) for a in many]
        for k, g in enumerate(grads):
            lo, hi = list(at), list(at)
            lo[k], hi[k] = at[k] - h, at[k] + h
            want = -(cdf(xv, *hi) - cdf(xv, *lo)) / (2 * h) / pdf(xv, *at)
            np.testing.assert_allclose(g.numpy(), want, rtol=5e-4, atol=1e-8, err_msg=f"{entry.name} input {k}")


@pytest.mark.parametrize("case", range(len(CASES["cross_entropy"])))
def test_cross_entropy_fused_kernel_is_the_formula(case):
    """The fused class_loss_backward (no graph) against the formula through rows (create_graph)."""
    arrays, params = CASES["cross_entropy"][case]
    x = _tensor(arrays[0], torch.float64, requires_grad=True)
    rest = [_tensor(a, torch.float64) for a in arrays[1:]]
    (fused,) = torch.autograd.grad(_ops.NN_OPS["cross_entropy"].apply(x, *rest, *params).sum(), x)
    (formula,) = torch.autograd.grad(_ops.NN_OPS["cross_entropy"].apply(x, *rest, *params).sum(), x, create_graph=True)
    assert formula.grad_fn is not None
    np.testing.assert_allclose(fused.numpy(), formula.detach().numpy(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- torch's node names
@pytest.mark.parametrize("entry", ROWS, ids=lambda e: e.name)
def test_node_name(entry):
    fn, inputs = _grad_inputs(entry)
    out = fn(*inputs)
    out = out[0] if isinstance(out, tuple) else out
    if isinstance(entry.node, str):
        assert out.grad_fn.name() == entry.node
    else:
        assert out.grad_fn.name() in entry.node


def test_no_nn_op_is_hand_written():
    """No Op subclass of _ops calls an nn kernel of _C: they are NN_OPS rows (coverage cannot drift)."""
    nn_kernels = {"conv2d", "conv2d_backward", "conv2d_backward_input", "conv2d_backward_weight", "max_pool2d",
                  "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward", "upsample", "upsample_backward",
                  "softmax", "softmax_backward", "cross_entropy", "cross_entropy_backward", "nll_loss",
                  "nll_loss_backward", "ctc_loss", "ctc_loss_backward", "frexp", "_standard_gamma"}
    found = []
    for cls in ast.parse(inspect.getsource(_ops)).body:  # (the classes written out in _ops.py)
        if isinstance(cls, ast.ClassDef):
            for node in ast.walk(cls):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "_C" \
                        and node.attr in nn_kernels:
                    found.append(f"{cls.name} calls _C.{node.attr}")
    assert not found, found
    # (nor anywhere in the package an autograd Function recording one of the rows' nodes, as frexp's and
    # _standard_gamma's did)
    nodes = {n for e in ROWS for n in ((e.node,) if isinstance(e.node, str) else e.node)}
    for path in sorted(pathlib.Path(torch.__file__).parent.rglob("*.py")):
        for cls in ast.walk(ast.parse(path.read_text())):
            if isinstance(cls, ast.ClassDef):
                named = {c.value for c in ast.walk(cls) if isinstance(c, ast.Constant) and c.value in nodes}
                found += [f"{path.name}: {cls.name} records {n}" for n in sorted(named)]
    assert not found, found
    for old in ("Conv2d", "Conv2dBackwardInput", "Conv2dBackwardWeight", "MaxPool2d", "MaxPool2dBackward", "AvgPool2d",
                "AvgPool2dBackward", "Upsample", "UpsampleBackward", "Softmax", "CrossEntropy", "NllLoss", "MseLoss",
                "Embedding", "CtcLoss"):
        assert not hasattr(_ops, old), old
    assert set(_ops.NN_OPS) == set(_registry.NN_OPS_BY_NAME)


# ---------------------------------------------------------------- against torch (when installed)
def _functional_calls(lib):
    F = lib.nn.functional

    def t(*s, seed=0):
        return lib.tensor(_rand(*s, seed=seed), dtype=lib.float64, requires_grad=True)
    x, w, b = t(2, 3, 5, 5), t(4, 3, 3, 3, seed=1), t(4, seed=2)
    s, s2 = t(3, 4), t(3, 4, seed=3)
    tgt = lib.tensor([1, 0, 3])
    return {
        "conv2d": (lambda: F.conv2d(x, w, b, padding=1), (x, w, b)),
        "conv_transpose2d": (lambda: F.conv_transpose2d(x, w.transpose(0, 1), b, stride=2), (x,)),
        "max_pool2d": (lambda: F.max_pool2d(x, 2), (x,)),
        "avg_pool2d": (lambda: F.avg_pool2d(x, 2), (x,)),
        **{f"interpolate_{m}_{n}d": (lambda m=m, n=n: F.interpolate(
            x.reshape((2, 3, 25, 1, 1)[:2 + n]) if n != 2 else x, size=(4, 3, 2)[:n], mode=m), (x,))
           for m in ("nearest", "nearest-exact") for n in (1, 2, 3)},
        **{f"interpolate_{m}": (lambda m=m, n=n: F.interpolate(
            x.reshape((2, 3, 25, 1, 1)[:2 + n]) if n != 2 else x, size=(4, 3, 2)[:n], mode=m), (x,))
           for m, n in (("linear", 1), ("bilinear", 2), ("trilinear", 3))},
        "softmax": (lambda: F.softmax(s, 1) * s.detach(), (s,)),
        "log_softmax": (lambda: F.log_softmax(s, 1) * s.detach(), (s,)),
        "cross_entropy": (lambda: F.cross_entropy(s, tgt), (s,)),
        "nll_loss": (lambda: F.nll_loss(s, tgt), (s,)),
        "mse_loss": (lambda: F.mse_loss(s, s2), (s, s2)),
        "embedding": (lambda: F.embedding(lib.tensor([[0, 2], [1, 0]]), s), (s,)),
        "frexp": (lambda: lib.frexp(s).mantissa, (s,)),
        "_standard_gamma": (lambda: lib._standard_gamma(s2.abs() + 0.5), (s2,)),
        "ctc_loss": (lambda: F.ctc_loss(t(6, 2, 4).log_softmax(2).detach().requires_grad_(),
                                        lib.tensor([[1, 2], [3, 3]]), [6, 5], [2, 2]), ()),
    }


def _names(lib, name):
    fn, wrt = _functional_calls(lib)[name]
    y = fn()
    names = [y.grad_fn.name(), [None if f is None else f.name().split("::")[-1] for f, _ in y.grad_fn.next_functions]]
    if name == "cross_entropy":  # (fused: torch's nll_loss node has an edge into its log_softmax node, ours none)
        names[1] = None
    if wrt:
        grads = lib.autograd.grad(y.sum(), wrt, create_graph=True, allow_unused=True)
        names += [None if g is None or g.grad_fn is None else g.grad_fn.name() for g in grads]
    return names


@pytest.mark.parametrize("name", list(_functional_calls(torch)))
def test_node_names_and_edges_match_torch(name):
    real = pytest.importorskip("torch")
    if real is torch:
        pytest.skip("torch is tinygrad_ext here")
    assert _names(torch, name) == _names(real, name)


def test_conv_transpose2d_bias_in_its_node_and_checked_as_torchs():
    x, w, b = torch.randn(1, 4, 3, 3), torch.randn(4, 1, 3, 3), torch.randn(2, requires_grad=True)
    assert torch.nn.functional.conv_transpose2d(x, w, b, groups=2).grad_fn.name() == "ConvolutionBackward0"
    with pytest.raises(RuntimeError, match=r"expected bias to be 1-dimensional with 2 elements, but got bias of size "
                                           r"\[3\] instead"):
        torch.nn.functional.conv_transpose2d(x, w, torch.randn(3), groups=2)
