"""torch.cuda's everyday names on a machine without a usable GPU behave as torch's CPU build: queries answer
(is_initialized False, memory_stats {}, get_arch_list []), initialization-needing calls raise torch's
AssertionError (no CUDA build) or RuntimeError (no GPU), deprecated aliases warn FutureWarning, and
torch.cuda.memory / .random / .nvtx / .amp import as modules, also under the name torch."""
import importlib
import subprocess
import sys
import warnings

import pytest

import tinygrad_ext as torch
from tinygrad_ext import _C

try:
    import torch as real_torch
except ImportError:
    real_torch = None

cuda = torch.cuda
NO_GPU = not cuda.is_available()
NOT_BUILT = not _C.cuda_is_built()
no_gpu = pytest.mark.skipif(not NO_GPU, reason="a GPU is usable: these check the behaviour without one")
not_built = pytest.mark.skipif(not NOT_BUILT, reason="built with CUDA: these check torch's CPU build")
INIT_ERROR = AssertionError if NOT_BUILT else RuntimeError


def _outcome(fn):
    """(result or None, exception type name or None, FutureWarning texts)."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            result, error = fn(), None
        except Exception as e:  # noqa: BLE001 - the outcome is compared
            result, error = None, (type(e).__name__, str(e))
    return result, error, [str(x.message) for x in w if x.category is FutureWarning]


@no_gpu
def test_queries_without_a_gpu():
    assert cuda.is_initialized() is False
    assert cuda.memory_stats() == {} and type(cuda.memory_stats()).__name__ == "OrderedDict"
    assert cuda.memory_stats_as_nested_dict() == {}
    assert cuda.get_arch_list() == [] and cuda.get_gencode_flags() == ""
    if cuda.pynvml is None:
        assert cuda.list_gpu_processes() == "pynvml module not found, please install nvidia-ml-py"


@no_gpu
def test_init_needing_calls_raise_torchs_error():
    for fn in (cuda.init, cuda.ipc_collect, cuda.get_sync_debug_mode, lambda: cuda.set_sync_debug_mode("warn"),
               lambda: cuda.set_per_process_memory_fraction(0.5), cuda.get_per_process_memory_fraction):
        with pytest.raises(INIT_ERROR):
            fn()
    assert cuda.is_initialized() is False


@not_built
def test_cpu_build_messages():
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        cuda.init()
    with pytest.raises(RuntimeError, match="^Tried to instantiate dummy base class CUDAGraph$"):
        cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="^Tried to instantiate dummy base class CUDAGraph$"):
        cuda.make_graphed_callables(lambda x: x, (torch.ones(1),))
    with pytest.raises(RuntimeError, match="^torch.cuda.Stream requires CUDA support$"):
        cuda.graph(None)
    for fn in (lambda: cuda.nvtx.range_push("a"), cuda.nvtx.range_pop, lambda: cuda.nvtx.mark("m")):
        with pytest.raises(RuntimeError, match="^NVTX functions not installed. Are you sure you have a CUDA build"):
            fn()
    ctx = cuda.nvtx.range("step {}", 1)  # (made without a GPU; entering it raises)
    with pytest.raises(RuntimeError, match="NVTX functions not installed"):
        ctx.__enter__()
    with pytest.raises(RuntimeError, match="^PyTorch was compiled without CUDA support$"):
        with cuda.device(0):
            pass


def test_graphed_callables_want_tensors():
    with pytest.raises(AssertionError, match="sample_args for each callable must contain only Tensors"):
        cuda.make_graphed_callables(lambda x: x, (1.0,))


@no_gpu
def test_device_context_managers():
    d = cuda.device("cuda:1")
    assert d.idx == 1 and d.prev_idx == -1
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        cuda.device("cpu")
    with cuda.device(-1) as inside:
        assert inside is None
    assert cuda.device(None).idx is None
    with pytest.raises(TypeError, match="'<' not supported between instances of 'NoneType' and 'int'"):
        cuda.device(None).__enter__()
    of = cuda.device_of(torch.ones(2))
    assert isinstance(of, cuda.device) and of.idx == -1
    with of:
        x = torch.ones(2) * 2
    assert x.tolist() == [2.0, 2.0] and of.idx == -1
    with pytest.raises(AttributeError):
        cuda.device_of(3)


def test_deprecated_memory_aliases_warn_and_answer():
    for old, new in (("memory_cached", "memory_reserved"), ("max_memory_cached", "max_memory_reserved")):
        with pytest.warns(FutureWarning, match=f"`torch.cuda.{old}` has been renamed to `torch.cuda.{new}`"):
            assert getattr(cuda, old)() == getattr(cuda, new)()
    for old in ("reset_max_memory_allocated", "reset_max_memory_cached"):
        with pytest.warns(FutureWarning, match=f"torch.cuda.{old} now calls torch.cuda.reset_peak_memory_stats"):
            getattr(cuda, old)()


def test_memory_set_and_validation_messages():
    if NO_GPU:
        pytest.skip("the fraction is validated after CUDA initializes")
    with pytest.raises(TypeError, match="Invalid type for fraction argument, must be `float`"):
        cuda.set_per_process_memory_fraction(1)
    with pytest.raises(ValueError, match="Invalid fraction value: 2.0. Allowed range: 0~1"):
        cuda.set_per_process_memory_fraction(2.0)


def test_reset_accumulated_keeps_the_counts_from_zero():
    cuda.reset_accumulated_memory_stats()
    stats = cuda.memory_stats()
    assert stats.get("num_device_alloc", 0) == 0 and stats.get("num_device_free", 0) == 0


@pytest.mark.cuda
def test_memory_stats_with_a_gpu():
    x = torch.ones(1024, device="cuda")
    assert cuda.is_initialized()
    stats = cuda.memory_stats()
    assert list(stats) == sorted(stats)
    assert stats["allocated_bytes.all.current"] == cuda.memory_allocated() >= 4096
    assert stats["reserved_bytes.all.peak"] == cuda.max_memory_reserved()
    nested = cuda.memory_stats_as_nested_dict()
    assert nested["allocated_bytes"]["all"]["current"] == stats["allocated_bytes.all.current"]
    with cuda.device(0):
        assert (x + 1).device.index == 0
    with cuda.device_of(x):
        assert cuda.current_device() == 0
    assert cuda.get_sync_debug_mode() == 0 and cuda.get_per_process_memory_fraction() == 1.0
    with pytest.raises(RuntimeError, match="invalid value of debug_mode"):
        cuda.set_sync_debug_mode("loud")
    assert cuda.nvtx.range_push("a") == 0 and cuda.nvtx.range_pop() == 0
    with cuda.nvtx.range("epoch {}", 1):
        pass


def test_submodules_import_under_both_names():
    assert cuda.memory.memory_allocated is cuda.memory_allocated
    assert cuda.random.manual_seed is cuda.manual_seed
    assert importlib.import_module("tinygrad_ext.cuda.nvtx") is cuda.nvtx
    code = ("import sys, tinygrad_ext; sys.modules['torch'] = tinygrad_ext\n"
            "import torch.cuda.memory, torch.cuda.nvtx\n"
            "from torch.cuda.amp import GradScaler, autocast\n"
            "from torch.cpu.amp import autocast as a2\n"
            "from torch.cuda.memory import memory_allocated\n"
            "from torch.cuda.random import manual_seed\n"
            "print(torch.cuda.memory is tinygrad_ext.cuda.memory, memory_allocated())\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout == "True 0\n", run.stderr


def test_gencode_flags_from_arch_list(monkeypatch):
    monkeypatch.setattr(cuda, "get_arch_list", lambda: ["sm_80", "sm_90", "compute_90"])
    assert cuda.get_gencode_flags() == ("-gencode compute=compute_80,code=sm_80 -gencode compute=compute_90,"
                                        "code=sm_90 -gencode compute=compute_90,code=compute_90")


CALLS = ["is_initialized()", "memory_stats()", "memory_stats_as_nested_dict()", "memory_cached()",
         "max_memory_cached()", "get_arch_list()", "get_gencode_flags()", "init()", "ipc_collect()",
         "set_per_process_memory_fraction(0.5)", "get_per_process_memory_fraction()", "get_sync_debug_mode()",
         "set_sync_debug_mode(0)", "CUDAGraph()", "graph(None)", "nvtx.range_push('a')", "nvtx.range_pop()",
         "nvtx.mark('a')", "device(0).__enter__()", "device(-1).__enter__()", "device(None).__enter__()",
         "device('cuda:0').idx", "device_of(t).idx", "device_of(t).__enter__()", "memory.memory_allocated()",
         "random.get_rng_state()", "list_gpu_processes()", "is_current_stream_capturing()", "memory_stats(0)"]


@pytest.mark.skipif(real_torch is None or not NOT_BUILT or real_torch.cuda.is_available(),
                    reason="compares a CUDA-less build with torch's CPU build")
@pytest.mark.parametrize("call", CALLS)
def test_same_as_torchs_cpu_build(call):
    ours = _outcome(lambda: eval("cuda." + call, {"cuda": cuda, "t": torch.ones(1)}))  # noqa: S307
    theirs = _outcome(lambda: eval("cuda." + call, {"cuda": real_torch.cuda, "t": real_torch.ones(1)}))  # noqa: S307
    assert ours == theirs
