"""The fused LSTM path (the registry's mkldnn_rnn_layer row, torch's CPU LSTM op, over the kernels
lstm_cell_forward/backward)
against its Tensor-op formula in float64: the cell kernels' values and gradients, whole layers (forward,
reverse, given states, multi-layer, bidirectional, batch_first, unused outputs) with the fused path on and
off, gradcheck and gradgradcheck (the create_graph path recomputes in Tensor ops); float32 against PyTorch
when it is importable; bad inputs to the kernels."""
import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import _C, _ops, nn
from tinygrad_ext._tensor_base import _wrap
from tinygrad_ext.autograd import gradcheck, gradgradcheck
from tinygrad_ext.nn.modules import rnn

RNG = np.random.default_rng(5)


def t64(*shape, grad=False):
    return torch.tensor(RNG.standard_normal(shape), dtype=torch.float64, requires_grad=grad)


def close(a, b, tol=1e-12):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


# ------------------------------------------------------------ the cell kernels
@pytest.mark.parametrize("N,H", [(3, 5), (1, 1), (7, 16), (0, 4)])
def test_cell_kernels_match_the_composite_formula(N, H):
    gates, c = t64(N, 4 * H) * 2, t64(N, H)
    h, cy, act = (_wrap(x) for x in _C.lstm_cell(gates._impl, None, c._impl))
    rh, rc, ract = _ops._lstm_cell_composite(gates, c)
    close(h, rh)
    close(cy, rc)
    close(act, ract)
    gh, gc = t64(N, H), t64(N, H)
    gg, gcx = (_wrap(x) for x in _C.lstm_cell_backward(gh._impl, None, gc._impl, act._impl, c._impl, cy._impl))
    rgg, rgcx = _ops._lstm_cell_backward_composite(gh, gc, act, c, cy)
    close(gg, rgg)
    close(gcx, rgcx)
    # absent gradients count as zeros
    gg0, gcx0 = (_wrap(x) for x in _C.lstm_cell_backward(None, None, gc._impl, act._impl, c._impl, cy._impl))
    rgg0, rgcx0 = _ops._lstm_cell_backward_composite(torch.zeros_like(gh), gc, act, c, cy)
    close(gg0, rgg0)
    close(gcx0, rgcx0)
    # the transposed second parts: gates + gates_t^T and grad_hy + grad_hy_t^T
    gt, ght = t64(4 * H, N), t64(H, N)
    h2, cy2, act2 = (_wrap(x) for x in _C.lstm_cell(gates._impl, gt._impl, c._impl))
    rh2, rc2, ract2 = _ops._lstm_cell_composite(gates + gt.t(), c)
    close(h2, rh2)
    close(cy2, rc2)
    close(act2, ract2)
    gg2, gcx2 = (_wrap(x) for x in _C.lstm_cell_backward(gh._impl, ght._impl, None, act2._impl, c._impl, cy2._impl))
    rgg2, rgcx2 = _ops._lstm_cell_backward_composite(gh + ght.t(), torch.zeros_like(gc), act2, c, cy2)
    close(gg2, rgg2)
    close(gcx2, rgcx2)


def test_cell_backward_formula_is_the_gradient_of_the_cell():
    gates, c = t64(4, 12, grad=True), t64(4, 3, grad=True)
    h, cy, act = _ops._lstm_cell_composite(gates, c)
    gh, gc = t64(4, 3), t64(4, 3)
    want = torch.autograd.grad((h * gh).sum() + (cy * gc).sum(), (gates, c))
    got = _ops._lstm_cell_backward_composite(gh, gc, act.detach(), c.detach(), cy.detach())
    close(got[0], want[0])
    close(got[1], want[1])


def test_float32_cell_kernel_close_to_float64():
    gates, c = t64(8, 64) * 3, t64(8, 16)
    h, cy, _ = (_wrap(x) for x in _C.lstm_cell(gates.float()._impl, None, c.float()._impl))
    rh, rc, _ = _ops._lstm_cell_composite(gates, c)
    np.testing.assert_allclose(h.numpy(), rh.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cy.numpy(), rc.numpy(), rtol=1e-5, atol=1e-6)


def test_cell_kernels_reject_bad_shapes_and_dtypes():
    g, c = t64(3, 8), t64(3, 2)
    with pytest.raises(RuntimeError, match=r"lstm_cell: gates must be 2-D"):
        _C.lstm_cell(t64(3, 7)._impl, None, c._impl)
    with pytest.raises(RuntimeError, match=r"lstm_cell: cx must have shape \(3, 2\)"):
        _C.lstm_cell(g._impl, None, t64(3, 3)._impl)
    with pytest.raises(RuntimeError, match=r"lstm_cell: cx must have the dtype of the gates"):
        _C.lstm_cell(g._impl, None, c.float()._impl)
    with pytest.raises(RuntimeError, match=r"lstm_cell_backward: grad_hy must have shape"):
        _C.lstm_cell_backward(t64(2, 2)._impl, None, None, g._impl, c._impl, c._impl)
    with pytest.raises(RuntimeError, match=r"lstm_cell: gates_t must have shape \(8, 3\)"):
        _C.lstm_cell(g._impl, t64(3, 8)._impl, c._impl)
    with pytest.raises(NotImplementedError, match="lstm_cell"):
        _C.lstm_cell(torch.zeros(3, 8, dtype=torch.int64)._impl, None, torch.zeros(3, 2, dtype=torch.int64)._impl)
    with pytest.raises(RuntimeError, match=r"lstm_cell: hy must have shape \(3, 2\)"):
        _C.lstm_cell(g._impl, None, c._impl, t64(2, 3)._impl)
    with pytest.raises(RuntimeError, match=r"lstm_cell: hy must be contiguous"):
        _C.lstm_cell(g._impl, None, c._impl, t64(2, 3).t()._impl)
    with pytest.raises(RuntimeError, match=r"lstm_cell_backward: grad_gates must have the dtype of the gates"):
        _C.lstm_cell_backward(None, None, None, g._impl, c._impl, c._impl, g.float()._impl)


def test_cell_kernels_write_into_given_outputs():
    gates, c = t64(3, 8), t64(3, 2)
    out = torch.zeros(4, 3, 2, dtype=torch.float64)
    h, _, act = _C.lstm_cell(gates._impl, None, c._impl, out[1]._impl)
    assert h.storage_id == out._impl.storage_id
    close(out[1], _ops._lstm_cell_composite(gates, c)[0])
    assert (out[0] == 0).all() and (out[2:] == 0).all()
    grad_gates = torch.zeros(2, 3, 8, dtype=torch.float64)
    g, _ = _C.lstm_cell_backward(t64(3, 2)._impl, None, None, act, c._impl, c._impl, grad_gates[0]._impl)
    assert g.storage_id == grad_gates._impl.storage_id and (grad_gates[1] == 0).all()


# ------------------------------------------------------------ whole layers: fused vs composite
def run_both(monkeypatch, make, x, hx=None):
    """The module's output and the gradients of every parameter, x and hx, with the fused path and without."""
    results, weights = [], None
    for fused in (True, False):
        if not fused:
            monkeypatch.setattr(rnn, "_fused_lstm", lambda *a: False)
        m = make()
        inputs = [x] + ([] if hx is None else list(hx))
        for t in inputs:
            t.grad = None
        out, (h, c) = m(x, hx)
        if weights is None:  # the same output weights for both runs
            weights = [torch.tensor(RNG.standard_normal(t.shape), dtype=t.dtype) for t in (out, h, c)]
        w_out, w_h, w_c = weights
        ((out * w_out).sum() + (h * w_h).sum() + (c * w_c).sum()).backward()
        grads = [p.grad for p in m.parameters()] + [t.grad for t in inputs]
        results.append(([out, h, c], grads))
    return results


@pytest.mark.parametrize("kw", [dict(), dict(bidirectional=True), dict(num_layers=2, bidirectional=True),
                                dict(batch_first=True, num_layers=2), dict(bias=False)])
@pytest.mark.parametrize("given", [False, True])
def test_layers_fused_equal_composite(monkeypatch, kw, given):
    D = 2 if kw.get("bidirectional") else 1
    L, N, H, C = 5, 3, 4, 6
    x = t64(*((N, L, C) if kw.get("batch_first") else (L, N, C)), grad=True)
    hx = (t64(kw.get("num_layers", 1) * D, N, H, grad=True), t64(kw.get("num_layers", 1) * D, N, H, grad=True)) \
        if given else None

    def make():
        torch.manual_seed(3)
        return nn.LSTM(C, H, dtype=torch.float64, **kw)

    (vf, gf), (vc, gc) = run_both(monkeypatch, make, x, hx)
    for a, b in zip(vf, vc):
        close(a, b)
    for a, b in zip(gf, gc):
        close(a, b)


def test_fused_path_is_taken_and_only_output_used():
    torch.manual_seed(0)
    m = nn.LSTM(3, 4, dtype=torch.float64)
    out, (h, c) = m(t64(6, 2, 3))
    assert out.grad_fn.name() == "MkldnnRnnLayerBackward0"
    out[-1].sum().backward()  # h_n and c_n unused: their gradients are zeros
    assert m.weight_hh_l0.grad is not None and m.weight_ih_l0.grad is not None


def test_gradcheck_and_gradgradcheck_of_the_layer():
    L, N, C, H = 4, 2, 3, 2
    for reverse in (False, True):
        args = (t64(L, N, C, grad=True), t64(4 * H, C, grad=True), t64(4 * H, H, grad=True), t64(4 * H, grad=True),
                t64(4 * H, grad=True), t64(N, H, grad=True), t64(N, H, grad=True))
        layer = _ops.NN_OPS["mkldnn_rnn_layer"].apply
        f = lambda *a: layer(*a, reverse)  # noqa: E731
        assert gradcheck(f, args)
        assert gradgradcheck(f, args)
        x, w_ih, w_hh, _, _, h, c = args
        assert gradcheck(lambda x, w_ih, w_hh, h, c: layer(x, w_ih, w_hh, None, None, h, c, reverse),
                         (x, w_ih, w_hh, h, c))  # no bias


def test_module_gradgradcheck():
    torch.manual_seed(1)
    m = nn.LSTM(2, 3, dtype=torch.float64, bidirectional=True)
    x = t64(3, 2, 2, grad=True)
    assert gradgradcheck(lambda x: m(x)[0], (x,))


def test_no_grad_forward():
    torch.manual_seed(0)
    m = nn.LSTM(3, 4)
    with torch.no_grad():
        out, _ = m(torch.randn(5, 2, 3))
    assert out.grad_fn is None and out.shape == (5, 2, 4)


# ------------------------------------------------------------ float32 against PyTorch
def test_float32_against_torch():
    real = pytest.importorskip("torch")
    torch.manual_seed(0)
    m = nn.LSTM(8, 16, num_layers=2, bidirectional=True)
    ref = real.nn.LSTM(8, 16, num_layers=2, bidirectional=True)
    ref.load_state_dict({k: real.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    x_np = RNG.standard_normal((7, 4, 8)).astype(np.float32)
    x, rx = torch.tensor(x_np, requires_grad=True), real.tensor(x_np, requires_grad=True)
    out, (h, c) = m(x)
    rout, (rh, rc) = ref(rx)
    (out.sum() + h.pow(2).sum() + c.sum()).backward()
    (rout.sum() + rh.pow(2).sum() + rc.sum()).backward()
    for a, b in [(out, rout), (h, rh), (c, rc), (x.grad, rx.grad)]:
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)
    for (name, p), (_, q) in zip(m.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


def test_in_place_change_of_the_output_before_backward_raises_as_torchs():
    """The layer reads h_prev from its output in backward (torch's CPU layer saves it too); h_n is a copy."""
    m = nn.LSTM(3, 4, dtype=torch.float64)
    out, (h, c) = m(t64(5, 2, 3))
    h.add_(1)
    (out.sum() + h.sum()).backward()
    out, _ = m(t64(5, 2, 3))
    out.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_retain_graph_and_second_backward():
    torch.manual_seed(2)
    m = nn.LSTM(3, 4, dtype=torch.float64)
    out, _ = m(t64(5, 2, 3))
    loss = out.sum()
    loss.backward(retain_graph=True)
    first = m.weight_hh_l0.grad.clone()
    loss.backward()
    close(m.weight_hh_l0.grad, first * 2)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
