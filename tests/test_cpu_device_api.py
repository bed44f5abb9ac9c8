"""torch.cpu (device-generic calls, streams, torch.cpu.amp's deprecated spellings), the torch.backends flags of
CPU libraries, `with torch.device(...)` and the CPU autocast op lists (torch's: losses in float32, softmax,
layer_norm and the reductions left in the lower precision)."""
import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F


def test_cpu_module():
    assert torch.cpu.is_available() and torch.cpu.is_initialized()
    assert torch.cpu.device_count() == 1 and torch.cpu.current_device() == "cpu"
    assert torch.cpu.synchronize() is None and torch.cpu.set_device("cpu") is None
    s = torch.cpu.Stream()
    before = torch.cpu.current_stream()
    with torch.cpu.stream(s):
        assert torch.cpu.current_stream() is s
        e = s.record_event()
        assert e.query() and e.synchronize() is None
    assert torch.cpu.current_stream() is before


def test_cpu_amp_deprecated_spellings():
    with pytest.warns(FutureWarning, match=r"torch.cpu.amp.autocast\(args...\)` is deprecated"):
        region = torch.cpu.amp.autocast()
    with region:
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
    with pytest.warns(FutureWarning, match=r"torch.amp.GradScaler\('cpu', args...\)"):
        scaler = torch.cpu.amp.GradScaler()
    assert type(scaler).__name__ == "GradScaler" and isinstance(scaler, torch.amp.GradScaler)
    with pytest.warns(FutureWarning, match=r"torch.cuda.amp.autocast"):
        torch.cuda.amp.autocast(enabled=False)


def test_backends_flags():
    assert torch.backends.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")
    assert not torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
    assert not torch.backends.mkl.is_available() and not torch.backends.openmp.is_available()
    assert not torch.backends.opt_einsum.is_available() and torch.backends.opt_einsum.strategy is None


def test_device_context_manager_sets_the_default_device():
    assert torch.get_default_device() == torch.device("cpu")
    with torch.device("cpu") as d:
        assert d == torch.device("cpu") and torch.zeros(1).device == d
        assert torch.get_default_device() == d
    assert torch.get_default_device() == torch.device("cpu")


def test_cpu_autocast_lists_are_torchs():
    x = torch.randn(4, 4)
    t = torch.randint(0, 4, (4,))
    bf16 = {"matmul": lambda: x @ x, "linear": lambda: F.linear(x, x), "softmax": lambda: F.softmax(x, -1),
            "layer_norm": lambda: F.layer_norm(x, (4,)), "prelu": lambda: F.prelu(x, torch.tensor([0.25]))}
    f32 = {"nll_loss": lambda: F.nll_loss(x, t), "cross_entropy": lambda: F.cross_entropy(x, t),
           "mse_loss": lambda: F.mse_loss(x, x), "l1_loss": lambda: F.l1_loss(x, x),
           "smooth_l1_loss": lambda: F.smooth_l1_loss(x, x), "huber_loss": lambda: F.huber_loss(x, x),
           "binary_cross_entropy": lambda: F.binary_cross_entropy(x.sigmoid(), x.sigmoid()),
           "bce_with_logits": lambda: F.binary_cross_entropy_with_logits(x, x.sigmoid()),
           "kl_div": lambda: F.kl_div(x, x, reduction="batchmean")}
    with torch.autocast("cpu", dtype=torch.bfloat16):
        x = x @ torch.eye(4)  # (a bfloat16 input for the float32 list)
        assert x.dtype == torch.bfloat16
        for name, fn in bf16.items():
            assert fn().dtype == torch.bfloat16, name
        for name, fn in f32.items():
            assert fn().dtype == torch.float32, name
