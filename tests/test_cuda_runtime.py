"""The CUDA runtime: no hidden synchronizations; streams, events, pinned memory, the memory queries (torch.cuda);
the vector GEMM and the tiled cumsum of few long rows against the CPU.

Python numbers used with CUDA tensors are passed to the kernels by value (a CPU 0-d operand read on the host,
as torch's TensorIterator), so a training step in steady state makes no host synchronization and no
cudaMalloc: the GPU cases assert it through tinygrad_ext.cuda._counters(). Without a GPU, the same training
steps are checked to read no tensor value on the host except the optimizer's CPU step counter, and the
stream/event/pinned-memory API raises the errors of torch's CPU-only build.
Cases marked `cuda` skip without a GPU (TG_REQUIRE_CUDA=1 makes them fail).
"""
import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import _C
from oracle import CUDA_AVAILABLE

cuda = pytest.mark.cuda


def _two_layer_net(device, opt_name):
    """The tutorial's nn + optim two-layer net (Learning PyTorch with Examples)."""
    torch.manual_seed(0)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = torch.randn(N, D_in, device=device)
    y = torch.randn(N, D_out, device=device)
    model = torch.nn.Sequential(torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out)).to(device)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    opt = (torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9) if opt_name == "sgd" else
           torch.optim.Adam(model.parameters(), lr=1e-4))

    def step():
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, opt


class _HostReads:
    """Counts the core calls that read a tensor's values on the host (on a GPU: a synchronization)."""
    NAMES = ("item", "to_numpy", "to_device", "nonzero", "masked_select", "scalar_tensor")

    def __init__(self, monkeypatch):
        self.calls = []
        for name in self.NAMES:
            real = getattr(_C, name)
            monkeypatch.setattr(_C, name, self._spy(name, real))

    def _spy(self, name, real):
        def spy(*args, **kwargs):
            self.calls.append((name, args[0] if args else None))
            return real(*args, **kwargs)
        return spy


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_training_step_reads_nothing_on_the_host_but_the_cpu_step_count(monkeypatch, opt_name):
    step, opt = _two_layer_net("cpu", opt_name)
    for _ in range(3):  # warm-up: the optimizer's state is created
        step()
    reads = _HostReads(monkeypatch)
    for _ in range(3):
        step()
    step_counts = {id(st["step"]._impl) for st in opt.state.values() if "step" in st}
    bad = [(name, arg) for name, arg in reads.calls if not (name == "item" and id(arg) in step_counts)]
    assert bad == [], f"host reads in a steady-state training step: {[name for name, _ in bad]}"
    for st in opt.state.values():  # torch keeps the step count on the CPU (no synchronization to read it)
        if "step" in st:
            assert st["step"].device.type == "cpu"


def test_optimizer_step_count_stays_on_the_cpu_through_a_state_dict():
    w = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.Adam([w], lr=0.1)
    w.grad = torch.ones(3)
    opt.step()
    opt2 = torch.optim.Adam([w], lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.state[w]["step"].device.type == "cpu" and opt2.state[w]["step"].item() == 1.0


def test_counters_exist_and_are_zero_without_cuda_work():
    c = torch.cuda._counters()
    assert set(c) >= {"host_syncs", "memcpy_htod", "memcpy_dtoh", "memcpy_async", "device_synchronize",
                      "stream_synchronize", "event_synchronize", "cuda_malloc", "cuda_free"}
    assert c["host_syncs"] == (c["memcpy_htod"] + c["memcpy_dtoh"] + c["device_synchronize"] +
                               c["stream_synchronize"] + c["event_synchronize"])
    if not CUDA_AVAILABLE:
        assert all(v == 0 for v in c.values())


# --------------------------------------------------------------------------------- without a GPU: torch's errors
no_gpu = pytest.mark.skipif(CUDA_AVAILABLE, reason="checks the errors raised without a GPU")


@no_gpu
def test_stream_and_event_without_cuda_raise_as_torch():
    with pytest.raises(RuntimeError, match="torch.cuda.Stream requires CUDA support" if not _C.cuda_is_built() else ""):
        torch.cuda.Stream()
    if not _C.cuda_is_built():
        with pytest.raises(RuntimeError, match="Tried to instantiate dummy base class Event"):
            torch.cuda.Event()
    for fn in (torch.cuda.current_stream, torch.cuda.default_stream, torch.cuda.mem_get_info):
        with pytest.raises((AssertionError, RuntimeError)):
            fn()


@no_gpu
def test_stream_context_and_set_stream_with_none_do_nothing():
    assert torch.cuda.set_stream(None) is None
    with torch.cuda.stream(None) as s:
        assert s is None
    assert isinstance(torch.cuda.stream(None), torch.cuda.StreamContext)


@no_gpu
def test_pin_memory_without_cuda():
    x = torch.arange(6.0)
    assert x.is_pinned() is False
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
        x.pin_memory()
    # non_blocking between CPU tensors is an ordinary copy
    y = torch.zeros(6)
    y.copy_(x, non_blocking=True)
    assert y.tolist() == x.tolist()
    assert x.to("cpu", non_blocking=True) is x


@no_gpu
def test_memory_queries_without_cuda_answer_zero():
    assert torch.cuda.memory_allocated() == torch.cuda.max_memory_allocated() == 0
    assert torch.cuda.memory_reserved() == torch.cuda.max_memory_reserved() == 0
    torch.cuda.reset_peak_memory_stats()
    torch.cuda.empty_cache()
    summary = torch.cuda.memory_summary()
    assert "Allocated memory" in summary and "Reserved memory" in summary


@no_gpu
def test_dataloader_pin_memory_without_cuda_warns_and_yields_plain_tensors():
    ds = torch.utils.data.TensorDataset(torch.arange(8.0).reshape(4, 2), torch.arange(4))
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
        batches = list(torch.utils.data.DataLoader(ds, batch_size=2, pin_memory=True))
    assert len(batches) == 2 and not batches[0][0].is_pinned()
    assert batches[1][0].tolist() == [[4.0, 5.0], [6.0, 7.0]]


def test_cpu_scalar_operand_rules_on_the_cpu():
    # a CPU 0-d tensor takes part like a number (the rule that lets CUDA ops take CPU scalars by value)
    x = torch.tensor([1.0, 2.0])
    assert (x * torch.tensor(2.0)).tolist() == [2.0, 4.0]
    assert torch.where(x > 1, x, torch.tensor(0.0)).tolist() == [0.0, 2.0]
    with pytest.raises(ZeroDivisionError):  # the CPU raises for an integer division by zero, as torch's
        torch.tensor([4]) // 0


# ------------------------------------------------------------------------------------------------ on a GPU
@cuda
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_training_step_makes_no_host_sync_and_no_cudamalloc(opt_name):
    step, _ = _two_layer_net("cuda", opt_name)
    for _ in range(5):  # warm-up: the allocator's cache and the optimizer's state fill up
        step()
    torch.cuda.synchronize()
    before = torch.cuda._counters()
    for _ in range(20):
        step()
    after = torch.cuda._counters()
    assert after["host_syncs"] == before["host_syncs"], (before, after)
    assert after["cuda_malloc"] == before["cuda_malloc"], (before, after)
    loss = step().item()  # asked for: one synchronizing copy
    assert np.isfinite(loss)
    assert torch.cuda._counters()["memcpy_dtoh"] == after["memcpy_dtoh"] + 1


@cuda
def test_numbers_with_cuda_tensors_make_no_copy():
    x = torch.arange(6.0, device="cuda").reshape(2, 3)
    m = x > 2
    torch.cuda.synchronize()
    before = torch.cuda._counters()
    y = x * 0.5 + 1
    y.fill_(3.0)
    z = torch.zeros(2, 3, device="cuda")
    z.zero_()
    z[0, 1] = 7.0
    z[:, 2] = 2
    w = torch.where(m, x, 0.0)
    x2 = x.masked_fill(m, -1.0)
    q = torch.arange(6, device="cuda") // 0  # torch's CUDA integer division by zero does not raise
    c = x * torch.tensor(2.0)  # a CPU 0-d tensor joins a CUDA op, as in torch
    after = torch.cuda._counters()
    assert after["host_syncs"] == before["host_syncs"], (before, after)
    assert y.cpu().tolist() == [[3.0] * 3] * 2
    assert z.cpu().tolist() == [[0.0, 7.0, 2.0], [0.0, 0.0, 2.0]]
    assert w.cpu().tolist() == [[0.0, 0.0, 0.0], [3.0, 4.0, 5.0]]
    assert x2.cpu().tolist() == [[0.0, 1.0, 2.0], [-1.0, -1.0, -1.0]]
    assert c.device.type == "cuda" and c.cpu().tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]
    assert q.shape == (6,)


@cuda
def test_cuda_values_with_numbers_match_the_cpu():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((33, 17)).astype(np.float32)
    for fn in (lambda t: t * 0.5, lambda t: 2.0 - t, lambda t: t / 3, lambda t: t ** 3, lambda t: (t > 0.1) & True,
               lambda t: torch.where(t > 0, t, -1.0), lambda t: t.clamp(-0.5, 0.5), lambda t: t.t() + 1.5,
               lambda t: t[::2, 1::3] * 4):
        np.testing.assert_allclose(fn(torch.from_numpy(a).cuda()).cpu().numpy(), fn(torch.from_numpy(a)).numpy(),
                                   rtol=1e-6)


@cuda
def test_streams_and_events():
    s = torch.cuda.Stream()
    assert s != torch.cuda.default_stream() and torch.cuda.current_stream() == torch.cuda.default_stream()
    assert "torch.cuda.Stream device=cuda:0" in repr(s)
    x = torch.randn(1024, 1024, device="cuda")
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.wait_stream(torch.cuda.current_stream())  # x is ready before s uses it
    with torch.cuda.stream(s):
        assert torch.cuda.current_stream() == s
        start.record()
        y = x @ x
        end.record()
    assert torch.cuda.current_stream() == torch.cuda.default_stream()
    torch.cuda.current_stream().wait_stream(s)
    end.synchronize()
    assert end.query() and s.query()
    assert start.elapsed_time(end) >= 0.0
    np.testing.assert_allclose(y.cpu().numpy(), x.cpu().numpy() @ x.cpu().numpy(), rtol=1e-3, atol=1e-3)
    ev = s.record_event()
    ev.wait()
    ev.synchronize()
    s.synchronize()
    torch.cuda.set_stream(s)
    assert torch.cuda.current_stream() == s
    torch.cuda.set_stream(torch.cuda.default_stream())
    high = torch.cuda.Stream(priority=-1)
    assert high.priority <= 0
    with pytest.raises(RuntimeError, match="Both events must be recorded"):
        torch.cuda.Event(enable_timing=True).elapsed_time(end)


@cuda
def test_record_stream_defers_reuse():
    s = torch.cuda.Stream()
    x = torch.ones(1 << 20, device="cuda")  # allocated on the default stream
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        y = x * 2
        for _ in range(50):  # keep s busy reading x
            y = y + x
    x.record_stream(s)
    del x
    z = torch.empty(1 << 20, device="cuda")  # must not reuse x's block while s may still read it
    z.fill_(-1.0)  # (on the default stream, not ordered with s: a reused block would corrupt y)
    torch.cuda.current_stream().wait_stream(s)
    assert (y == 52.0).all().item()
    s.synchronize()
    with pytest.raises(RuntimeError, match="expected a CUDA tensor"):
        torch.ones(2).record_stream(s)


@cuda
def test_pinned_memory_and_non_blocking_copies():
    x = torch.arange(1 << 20, dtype=torch.float32)
    p = x.pin_memory()
    assert p.is_pinned() and not x.is_pinned() and p.pin_memory() is p
    before = torch.cuda._counters()
    g = p.to("cuda", non_blocking=True)
    after = torch.cuda._counters()
    assert after["host_syncs"] == before["host_syncs"] and after["memcpy_async"] == before["memcpy_async"] + 1
    back = g.to("cpu", non_blocking=True)  # torch's: into pinned memory, not waited for
    assert back.is_pinned()
    torch.cuda.synchronize()
    assert back.tolist()[:5] == [0.0, 1.0, 2.0, 3.0, 4.0] and back[-1].item() == float((1 << 20) - 1)
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        g.pin_memory()
    ds = torch.utils.data.TensorDataset(torch.arange(8.0).reshape(4, 2))
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=2, pin_memory=True)))
    assert batch[0].is_pinned()


@cuda
def test_memory_queries():
    free, total = torch.cuda.mem_get_info()
    assert 0 < free <= total == torch.cuda.get_device_properties(0).total_memory
    torch.cuda.reset_peak_memory_stats()
    x = torch.empty(1 << 24, device="cuda")
    assert torch.cuda.max_memory_reserved() >= torch.cuda.memory_reserved() >= torch.cuda.memory_allocated() >= 1 << 26
    del x
    torch.cuda.empty_cache()
    assert "Reserved memory" in torch.cuda.memory_summary()


@cuda
def test_strided_cross_device_copies():
    a = torch.zeros(4, 3, device="cuda")
    a[:, 0] = torch.arange(4.0)
    a.t()[1].copy_(torch.ones(4))
    assert a.cpu().tolist() == [[float(i), 1.0, 0.0] for i in range(4)]
    b = torch.zeros(3, 4)
    b.t().copy_(a)
    assert b.t().tolist() == a.cpu().tolist()


# ------------------------------------------------------------------------- performance paths, against the CPU
@cuda
@pytest.mark.parametrize("M, K, N, layout", [(1, 4096, 3000, "row"), (2500, 3000, 1, "col"), (1, 700, 513, "row"),
                                             (1, 100, 4096, "t"), (3000, 2048, 1, "t")])
def test_vector_gemm_paths_match_the_cpu(M, K, N, layout):
    # x @ W with W row-major (M == 1) and W @ x with W column-major (N == 1) take the split-K vector kernel;
    # "t": the K-contiguous layouts (the warp-per-element kernel)
    rng = np.random.default_rng(1)
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    if layout == "col":  # A column-major
        ta = torch.from_numpy(np.ascontiguousarray(a.T)).t()
    if layout == "t" and M == 1:  # B with K contiguous (x @ W.t(), a Linear layer)
        tb = torch.from_numpy(np.ascontiguousarray(b.T)).t()
    want = a.astype(np.float64) @ b.astype(np.float64)
    got = (ta.cuda() @ tb.cuda()).cpu().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3 * np.sqrt(K))
    bias = torch.ones(M, N)
    got = torch.addmm(bias.cuda(), ta.cuda(), tb.cuda()).cpu().numpy()  # accumulate into C
    np.testing.assert_allclose(got, want + 1, rtol=1e-4, atol=1e-3 * np.sqrt(K))
    w = rng.standard_normal((K, N))  # float64 too
    got = torch.from_numpy(a.astype(np.float64)).cuda() @ torch.from_numpy(w).cuda()
    np.testing.assert_allclose(got.cpu().numpy(), a.astype(np.float64) @ w, rtol=1e-10, atol=1e-10)


@cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.int32, torch.uint8, torch.bool])
@pytest.mark.parametrize("shape, dim", [((1, 1 << 20), 1), ((3, 300001), 1), ((1 << 17,), 0), ((2, 70000), -1),
                                        ((1, 2500000), 1)])
def test_tiled_cumsum_of_few_long_rows_matches_the_cpu(dtype, shape, dim):
    rng = np.random.default_rng(2)
    if dtype.is_floating_point:
        x = torch.from_numpy(rng.uniform(-1, 1, shape)).to(dtype)
    elif dtype is torch.bool:
        x = torch.from_numpy(rng.random(shape) < 0.3)
    else:
        x = torch.from_numpy(rng.integers(0, 100, shape)).to(dtype)
    want = torch.cumsum(x, dim)
    got = torch.cumsum(x.cuda(), dim).cpu()
    assert got.dtype == want.dtype
    if dtype.is_floating_point:
        ref = np.cumsum(x.numpy().astype(np.float64), axis=dim)
        tol = 1e-3 if dtype is torch.float32 else 1e-9
        np.testing.assert_allclose(got.numpy(), ref, rtol=tol, atol=tol * np.sqrt(shape[-1]))
    else:
        assert torch.equal(got, want)


@cuda
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape, dim", [((1, 100000), 1), ((3, 40000), -1), ((70000,), 0)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_softmax_of_few_long_rows_matches_the_cpu(log, shape, dim, dtype):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(shape) * 4
    a.reshape(-1)[::997] = -np.inf  # masked entries
    g = rng.standard_normal(shape)
    fn = torch.log_softmax if log else torch.softmax

    def run(device):
        x = torch.from_numpy(a).to(dtype).to(device).requires_grad_()
        y = fn(x, dim)
        y.backward(torch.from_numpy(g).to(dtype).to(device))
        return y.detach().cpu().numpy(), x.grad.cpu().numpy()
    y_cpu, g_cpu = run("cpu")
    y_gpu, g_gpu = run("cuda")
    tol = 1e-5 if dtype is torch.float32 else 1e-12
    np.testing.assert_allclose(y_gpu, y_cpu, rtol=tol * 10, atol=tol)
    np.testing.assert_allclose(g_gpu, g_cpu, rtol=tol * 10, atol=tol * 10)
    m = a.max(axis=dim, keepdims=True)  # and the float64 reference of the forward
    lse = m + np.log(np.exp(a - m).sum(axis=dim, keepdims=True))
    np.testing.assert_allclose(y_gpu, a - lse if log else np.exp(a - lse), rtol=1e-4, atol=1e-5)


@cuda
@pytest.mark.parametrize("C, G, O, k, stride, padding, dilation, bias", [
    (8, 8, 8, 3, 1, 1, 1, True), (6, 6, 12, 3, 2, 1, 1, False), (4, 4, 4, 5, 1, 2, 2, True),
    (3, 3, 9, 2, 2, 0, 1, True),
    (8, 4, 12, 3, 1, 1, 1, True), (12, 3, 6, 3, 2, 2, 2, False), (32, 2, 4, 3, 1, 1, 1, True)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_grouped_conv2d_matches_the_cpu(C, G, O, k, stride, padding, dilation, bias, dtype):
    # few input channels per group (depthwise: one): the direct kernels (forward, input and weight gradients);
    # the last case (16 channels x 3 x 3 per group) keeps the GEMMs
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, C, 17, 13))
    w = rng.standard_normal((O, C // G, k, k))
    b = rng.standard_normal(O) if bias else None
    out = None

    def run(device):
        nonlocal out
        xt = torch.from_numpy(x).to(dtype).to(device).requires_grad_()
        wt = torch.from_numpy(w).to(dtype).to(device).requires_grad_()
        bt = torch.from_numpy(b).to(dtype).to(device).requires_grad_() if bias else None
        y = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=G)
        if out is None:
            out = rng.standard_normal(tuple(y.shape))
        y.backward(torch.from_numpy(out).to(dtype).to(device))
        grads = [xt.grad, wt.grad] + ([bt.grad] if bias else [])
        return [y.detach().cpu().numpy()] + [g.cpu().numpy() for g in grads]
    want = run("cpu")
    got = run("cuda")
    tol = 1e-4 if dtype is torch.float32 else 1e-10
    for g, c in zip(got, want):
        np.testing.assert_allclose(g, c, rtol=tol, atol=tol * 10)
