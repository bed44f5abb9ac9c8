"""torch.cuda: device queries, memory statistics, streams and events. Kernels run when the extension was built
with nvcc and a GPU is present.

When CUDA fails to initialize (e.g. a driver older than the CUDA runtime the extension was built with),
is_available() is False as in torch, and the first is_available()/device_count() warns once with torch's
UserWarning "CUDA initialization: <why>"; unavailable_reason() says why no GPU is usable in every case
(no CUDA build, no driver, no device, a failed initialization).

Streams: every kernel and copy runs on the calling thread's current stream of its device: the default
stream (the legacy NULL stream, as torch's) unless set_stream() or ``with torch.cuda.stream(s):`` chose
another. Memory is cached per stream: a tensor used on a stream other than the one it was allocated on
must stay alive until that work is done, or be marked with Tensor.record_stream(s), as in torch.
"""
import collections
import contextlib
import importlib.machinery
import secrets
import sys
import types
import warnings

try:  # (optional: list_gpu_processes reads the driver's process table through it, as torch's)
    import pynvml
except ImportError:
    pynvml = None

from . import _C
from ._device import as_device
from ._device import device as _device
from ._generator import _CUDA_STATE_BYTES, _as_tensor, _cuda_bytes, _cuda_pair, _state_bytes


class OutOfMemoryError(RuntimeError):
    """torch.cuda.OutOfMemoryError: a GPU allocation failed even after the caching allocator gave its cached
    blocks back to the driver and retried (the size class, then the exact request). Nothing is left half done:
    free some tensors (``del``), call empty_cache(), and go on using the GPU."""


# Reasons that only say there is nothing to use (torch is silent about these): no warning.
_ABSENT = ("No CUDA GPUs are available", "Found no NVIDIA driver")
_NOT_BUILT = ("Torch not compiled with CUDA enabled (tinygrad_ext was built without CUDA: nvcc was not found "
              "when it was built, or TG_WITH_CUDA=OFF)")
_initialized = False  # (is_initialized(): set by init() and the calls that initialize CUDA as torch's)
_status = None  # (failed, reason): fixed for the life of the process, as the set of visible devices is
_warned = False


def _init_status():
    """(failed, reason): reason None when at least one GPU is visible; failed when the reason is a broken
    set-up rather than the absence of a driver or GPU."""
    global _status
    if _status is None:
        if not _C.cuda_is_built():
            _status = (False, _NOT_BUILT)
        elif _C.cuda_device_count() > 0:
            _status = (False, None)
        else:
            try:  # without a GPU the core raises why (the initialization error it kept)
                _C.cuda_get_device_properties(0)
                reason = "No CUDA GPUs are available"
            except RuntimeError as e:
                reason = str(e) or "No CUDA GPUs are available"
            _status = (not reason.startswith(_ABSENT), reason)
    return _status


def _warn_once():
    global _warned
    failed, reason = _init_status()
    if failed and not _warned:
        _warned = True
        warnings.warn("CUDA initialization: " + reason, UserWarning, stacklevel=3)


def unavailable_reason():
    """None when a GPU is visible; else why is_available() is False, e.g. 'The NVIDIA driver on your system
    is too old (found version 12080, ...)', 'Found no NVIDIA driver on your system ...', 'No CUDA GPUs are
    available', or that the extension was built without CUDA."""
    return _init_status()[1]


def is_available():
    _warn_once()
    return _init_status()[1] is None


def device_count():
    if not _C.cuda_is_built():
        return 0
    _warn_once()
    return _C.cuda_device_count()


def _check():
    """torch's _lazy_init: AssertionError without a CUDA build, RuntimeError (saying why) without a GPU."""
    if not _C.cuda_is_built():
        raise AssertionError("Torch not compiled with CUDA enabled")
    if _C.cuda_device_count() == 0:
        _warn_once()
        raise RuntimeError(_init_status()[1])
    global _initialized
    _initialized = True


def current_device():
    _check()
    return 0


def synchronize(device=None):
    _check()
    _C.cuda_synchronize()


def manual_seed(seed):
    """Seeds the CUDA tensors' stream only (torch.manual_seed seeds every device)."""
    _C.cuda_manual_seed(int(seed) & 0xFFFFFFFFFFFFFFFF)


manual_seed_all = manual_seed


def seed():
    """Seeds the CUDA stream from the operating system's entropy."""
    manual_seed(secrets.randbits(63))


seed_all = seed


def initial_seed():
    _check()
    return _C.get_cuda_rng_state()[0]


def get_rng_state(device="cuda"):
    """The CUDA stream's state: a uint8 tensor of 16 bytes (seed and offset, as torch's)."""
    _check()
    return _as_tensor(_cuda_bytes(*_C.get_cuda_rng_state()))


def set_rng_state(new_state, device="cuda"):
    _check()
    _C.set_cuda_rng_state(*_cuda_pair(_state_bytes(new_state, "set_rng_state", _CUDA_STATE_BYTES)))


def get_rng_state_all():
    return [get_rng_state()]


def set_rng_state_all(new_states):
    for state in new_states:
        set_rng_state(state)


def _index(device):
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    return as_device(device).index or 0


def memory_allocated(device=None):
    """Bytes held by live tensors (and scratch buffers) on the device."""
    return _C.cuda_memory_allocated(_index(device))


def max_memory_allocated(device=None):
    return _C.cuda_max_memory_allocated(_index(device))


def memory_reserved(device=None):
    """Bytes obtained from cudaMalloc: allocated plus the caching allocator's free blocks."""
    return _C.cuda_memory_reserved(_index(device))


def reset_peak_memory_stats(device=None):
    _C.cuda_reset_peak_memory_stats(_index(device))


def empty_cache():
    _C.cuda_empty_cache()


def max_memory_reserved(device=None):
    """Peak of memory_reserved() since the start or the last reset_peak_memory_stats()."""
    return _C.cuda_max_memory_reserved(_index(device))


def mem_get_info(device=None):
    """(free, total) bytes of the GPU's memory, as the driver reports them (cudaMemGetInfo)."""
    _check()
    return tuple(_C.cuda_mem_get_info(_device_index(device)))


def _format_size(n):
    for unit in ("B  ", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:7.0f} {unit}" if unit == "B  " else f"{n:7.2f} {unit}"
        n /= 1024
    return ""


def memory_summary(device=None, abbreviated=False):
    """A printable table of the caching allocator's statistics for the device (torch.cuda.memory_summary;
    tinygrad_ext's allocator keeps fewer statistics than torch's, so the table is shorter)."""
    index = _index(device)
    c = _counters()
    rows = [("Allocated memory", memory_allocated(index), max_memory_allocated(index)),
            ("Reserved memory", memory_reserved(index), max_memory_reserved(index))]
    width = 75
    lines = ["|" + "=" * width + "|",
             f"|{' tinygrad_ext CUDA memory summary, device ID ' + str(index):<{width}}|",
             "|" + "-" * width + "|",
             f"|{' Metric':<31}|{' Cur Usage':<21}|{' Peak Usage':<21}|",
             "|" + "-" * width + "|"]
    lines += [f"|{' ' + name:<31}|{' ' + _format_size(cur):<21}|{' ' + _format_size(peak):<21}|"
              for name, cur, peak in rows]
    lines.append("|" + "-" * width + "|")
    calls = f" cudaMalloc calls: {c['cuda_malloc']}    cudaFree calls: {c['cuda_free']}"
    lines.append(f"|{calls:<{width}}|")
    lines.append(f"|{' host synchronizations: ' + str(c['host_syncs']):<{width}}|")
    lines.append("|" + "=" * width + "|")
    return "\n".join(lines) + "\n"


def malloc_count():
    """cudaMalloc calls so far: flat in a training loop's steady state (the caching allocator reuses blocks)."""
    return _C.cuda_malloc_count()


def _counters():
    """The CUDA runtime's counters since the process started, as a dict: host_syncs (the calls that made the
    host wait for the GPU: the sum of memcpy_htod, memcpy_dtoh (synchronous copies), device_synchronize,
    stream_synchronize and event_synchronize), memcpy_async (copies that did not wait), cuda_malloc and
    cuda_free (device allocations; each also synchronizes the GPU). A training step in steady state adds
    nothing to host_syncs or cuda_malloc. All zero without CUDA."""
    return dict(_C.cuda_counters())


# ------------------------------------------------------------------------------------------ streams, events
class Stream:
    """torch.cuda.Stream: a CUDA stream of a device, from the device's pool (torch's: 32 streams per
    priority, handed out round robin and never destroyed; priority < 0 draws from the high-priority ones).
    Work queued on different streams may run concurrently; order it with wait_stream()/wait_event()."""

    def __init__(self, device=None, priority=0, **kwargs):
        if not _C.cuda_is_built():
            raise RuntimeError("torch.cuda.Stream requires CUDA support")
        _check()
        index = _device_index(device)
        handle = kwargs.pop("_handle", None)
        if kwargs:
            raise TypeError(f"Stream() got an unexpected keyword argument '{next(iter(kwargs))}'")
        self.device = _device("cuda", index)
        self.cuda_stream = _C.cuda_stream_from_pool(index, int(priority)) if handle is None else handle

    @classmethod
    def _wrap(cls, index, handle):
        return cls(index, _handle=handle)

    @property
    def priority(self):
        return _C.cuda_stream_priority(self.cuda_stream)

    @staticmethod
    def priority_range():
        """(least, greatest) priority: (0, -5) on current GPUs (a lower number is a higher priority)."""
        _check()
        return tuple(_C.cuda_stream_priority_range())

    def query(self):
        """True when all work queued on the stream has completed."""
        return _C.cuda_stream_query(self.cuda_stream)

    def synchronize(self):
        """Waits for all work queued on the stream (a host synchronization)."""
        _C.cuda_stream_synchronize(self.cuda_stream)

    def wait_event(self, event):
        """Work queued on this stream from now on waits for the event (the host does not wait)."""
        event.wait(self)

    def wait_stream(self, stream):
        """Work queued on this stream from now on waits for the work queued on `stream` so far."""
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        """Records an event (a new one when None) on the stream; returns it."""
        if event is None:
            event = Event()
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and self.cuda_stream == other.cuda_stream and self.device == other.device

    def __hash__(self):
        return hash((self.cuda_stream, self.device))

    def __repr__(self):
        return f"<torch.cuda.Stream device={self.device} cuda_stream={self.cuda_stream:#x}>"


class ExternalStream(Stream):
    """torch.cuda.ExternalStream: wraps a cudaStream_t made elsewhere (an integer address); the caller keeps
    it alive."""

    def __init__(self, stream_ptr, device=None):
        super().__init__(device, _handle=int(stream_ptr))


class Event:
    """torch.cuda.Event: a marker in a stream, to wait on (wait, synchronize), poll (query) or time
    (elapsed_time, with enable_timing=True). Created on the device of the stream it is first recorded on."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        if not _C.cuda_is_built():
            raise RuntimeError("Tried to instantiate dummy base class Event")
        if interprocess:
            raise NotImplementedError("torch.cuda.Event(interprocess=True) is not supported by tinygrad_ext: "
                                      "events cannot be shared between processes; leave interprocess=False")
        self.enable_timing, self.blocking = bool(enable_timing), bool(blocking)
        self._handle = 0
        self._device = None

    @property
    def cuda_event(self):
        return self._handle

    @property
    def device(self):
        return self._device

    def _create(self, stream):
        if not self._handle:
            self._handle = _C.cuda_event_create(stream.device.index, self.enable_timing, self.blocking)
            self._device = stream.device
        elif stream.device != self._device:
            raise RuntimeError(f"Event device {self._device} does not match recording stream's device {stream.device}.")

    def record(self, stream=None):
        """Records the event on `stream` (the current stream when None)."""
        if stream is None:
            stream = current_stream()
        self._create(stream)
        _C.cuda_event_record(self._handle, stream.cuda_stream)

    def wait(self, stream=None):
        """Makes `stream` (the current stream when None) wait for the event; the host does not wait."""
        if stream is None:
            stream = current_stream()
        if self._handle:  # (an event never recorded has nothing to wait for)
            _C.cuda_stream_wait_event(stream.cuda_stream, self._handle)

    def query(self):
        """True when the work recorded before the event has completed (or it was never recorded)."""
        return True if not self._handle else _C.cuda_event_query(self._handle)

    def synchronize(self):
        """Waits on the host for the event to complete (a host synchronization)."""
        if self._handle:
            _C.cuda_event_synchronize(self._handle)

    def elapsed_time(self, end_event):
        """Milliseconds between this event and end_event (both recorded, both with enable_timing=True)."""
        if not self._handle or not end_event._handle:
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        return _C.cuda_event_elapsed_time(self._handle, end_event._handle)

    def __del__(self):
        if getattr(self, "_handle", 0):
            _C.cuda_event_destroy(self._handle)
            self._handle = 0

    def __repr__(self):
        return f"<torch.cuda.Event {self._handle:#x}>" if self._handle else "<torch.cuda.Event uninitialized>"


def current_stream(device=None):
    """The calling thread's current stream of the device (the default stream unless one was set)."""
    _check()
    index = _device_index(device)
    return Stream._wrap(index, _C.cuda_current_stream(index))


def default_stream(device=None):
    """The device's default stream (the legacy NULL stream, handle 0)."""
    _check()
    return Stream._wrap(_device_index(device), 0)


def set_stream(stream):
    """Makes `stream` the calling thread's current stream of its device; None does nothing."""
    if stream is None:
        return
    _C.cuda_set_stream(stream.device.index, stream.cuda_stream)


class StreamContext:
    """What torch.cuda.stream(s) returns: inside ``with``, s is the current stream of its device (and the
    previous one again after); None does nothing."""

    def __init__(self, stream):
        self.stream = stream
        self._prev = None

    def __enter__(self):
        if self.stream is None:
            return
        self._prev = _C.cuda_current_stream(self.stream.device.index)
        set_stream(self.stream)

    def __exit__(self, exc_type, exc, tb):
        if self.stream is not None:
            _C.cuda_set_stream(self.stream.device.index, self._prev)


def stream(stream):
    """``with torch.cuda.stream(s):`` runs the block's kernels and copies on s."""
    return StreamContext(stream)


class _CudaDeviceProperties:
    """What torch.cuda.get_device_properties returns: name, total_memory (bytes), major, minor,
    multi_processor_count."""
    __slots__ = ("major", "minor", "multi_processor_count", "name", "total_memory")

    def __init__(self, name, total_memory, major, minor, multi_processor_count):
        self.name, self.total_memory = name, total_memory
        self.major, self.minor, self.multi_processor_count = major, minor, multi_processor_count

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def _device_index(device):
    """torch's _get_device_index(device, optional=True): an int, 'cuda[:N]' or torch.device; None = current."""
    if device is None:
        return current_device()
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    d = _device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return current_device() if d.index is None else d.index


def get_device_properties(device=None):
    _check()
    index = _device_index(device)
    if index < 0 or index >= device_count():
        raise AssertionError("Invalid device id")
    return _CudaDeviceProperties(*_C.cuda_get_device_properties(index))


def get_device_name(device=None):
    return get_device_properties(device).name


def get_device_capability(device=None):
    prop = get_device_properties(device)
    return prop.major, prop.minor


def is_bf16_supported(including_emulation=True):
    """Whether the current GPU takes bfloat16: natively from compute capability 8.0 (the only GPUs the CUDA
    build targets); False without a usable GPU."""
    if not is_available():
        return False
    return get_device_capability()[0] >= 8 or bool(including_emulation)


def set_device(device):
    """Selects the current GPU. tinygrad_ext's current device is always cuda:0, so only index 0 is accepted
    (place tensors on another GPU with device='cuda:N')."""
    _check()
    index = _device_index(device)
    if not 0 <= index < device_count():
        raise RuntimeError(f"set_device: device index {index} out of range, {device_count()} device(s)")
    if index != 0:
        raise RuntimeError(f"set_device({index}): tinygrad_ext's current CUDA device is always cuda:0; place tensors "
                           f"with device='cuda:{index}' instead")


# ------------------------------------------------- initialization, device context managers, memory statistics
_accumulated_base = {"cuda_malloc": 0, "cuda_free": 0}  # the counters at the last reset_accumulated_memory_stats()
_sync_debug_mode = 0


def is_initialized():
    """Whether CUDA has been initialized in this process: after init(), a query of the current device or a first
    allocation on a GPU; False without a usable GPU (as torch's CPU build)."""
    return _C.cuda_is_built() and (_initialized or _C.cuda_malloc_count() > 0)


def init():
    """Initializes CUDA now rather than at the first use: torch's AssertionError without a CUDA build, and its
    RuntimeError (saying why) without a usable GPU."""
    global _initialized
    _check()
    _initialized = True


def _optional_index(device):
    """torch's _get_device_index(device, optional=True): None or 'cuda' mean the current device (None when no
    GPU is usable), a device of another type is a ValueError."""
    if device is None or (not isinstance(device, int) and _device(device).type == "cuda"
                          and _device(device).index is None):
        return current_device() if _init_status()[1] is None else None
    return _device_index(device)


class device:
    """``with torch.cuda.device(i):`` makes GPU i the current device inside the block and restores the previous
    one after; a negative index does nothing. tinygrad_ext's current device is always cuda:0 (see set_device)."""

    def __init__(self, device):
        self.idx = _optional_index(device)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx < 0:  # (None: torch's TypeError from the comparison)
            return
        if not _C.cuda_is_built():
            raise RuntimeError("PyTorch was compiled without CUDA support")
        self.prev_idx = current_device()
        set_device(self.idx)

    def __exit__(self, exc_type, exc, tb):
        if self.prev_idx < 0:
            self.idx = -1
        else:
            self.idx = current_device()
            set_device(self.prev_idx)
        return False


class device_of(device):
    """``with torch.cuda.device_of(t):`` makes the GPU of tensor t current in the block; nothing for a CPU
    tensor."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


def memory_stats_as_nested_dict(device=None):
    """The caching allocator's statistics as nested dicts: allocated_bytes and reserved_bytes ({'all':
    {'current', 'peak'}}), num_device_alloc and num_device_free (cudaMalloc/cudaFree calls since the start or
    the last reset_accumulated_memory_stats()). {} before CUDA is initialized."""
    if not is_initialized():
        return {}
    index = _device_index(device)
    c = _counters()
    return {"allocated_bytes": {"all": {"current": memory_allocated(index), "peak": max_memory_allocated(index)}},
            "reserved_bytes": {"all": {"current": memory_reserved(index), "peak": max_memory_reserved(index)}},
            "num_device_alloc": c["cuda_malloc"] - _accumulated_base["cuda_malloc"],
            "num_device_free": c["cuda_free"] - _accumulated_base["cuda_free"]}


def memory_stats(device=None):
    """memory_stats_as_nested_dict() flattened to an OrderedDict of 'allocated_bytes.all.current'-style keys,
    sorted (torch's layout; tinygrad_ext's allocator keeps fewer statistics than torch's)."""
    flat = []

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(prefix + "." + key if prefix else key, inner)
        else:
            flat.append((prefix, value))

    walk("", memory_stats_as_nested_dict(device))
    return collections.OrderedDict(sorted(flat))


def reset_accumulated_memory_stats(device=None):
    """Restarts the counts memory_stats() accumulates (num_device_alloc, num_device_free) from zero."""
    _index(device)
    _accumulated_base.update((key, _counters()[key]) for key in _accumulated_base)


def reset_max_memory_allocated(device=None):
    """Deprecated: calls reset_peak_memory_stats(), which resets every peak."""
    warnings.warn("torch.cuda.reset_max_memory_allocated now calls torch.cuda.reset_peak_memory_stats, "
                  "which resets /all/ peak memory stats.", FutureWarning, stacklevel=2)
    return reset_peak_memory_stats(device=device)


def reset_max_memory_cached(device=None):
    """Deprecated: calls reset_peak_memory_stats(), which resets every peak."""
    warnings.warn("torch.cuda.reset_max_memory_cached now calls torch.cuda.reset_peak_memory_stats, "
                  "which resets /all/ peak memory stats.", FutureWarning, stacklevel=2)
    return reset_peak_memory_stats(device=device)


def memory_cached(device=None):
    """Deprecated name of memory_reserved()."""
    warnings.warn("`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`", FutureWarning,
                  stacklevel=2)
    return memory_reserved(device=device)


def max_memory_cached(device=None):
    """Deprecated name of max_memory_reserved()."""
    warnings.warn("`torch.cuda.max_memory_cached` has been renamed to `torch.cuda.max_memory_reserved`",
                  FutureWarning, stacklevel=2)
    return max_memory_reserved(device=device)


def _not_supported(what, fix):
    raise NotImplementedError(f"torch.cuda.{what} is not supported by tinygrad_ext's CUDA backend; {fix}")


def get_arch_list():
    """The GPU architectures the CUDA kernels were compiled for; [] without a usable GPU (as torch's)."""
    if not is_available():
        return []
    _not_supported("get_arch_list()", "the architectures are TG_CUDA_ARCHITECTURES of the build (default 80;90)")


def get_gencode_flags():
    """nvcc's -gencode flags for get_arch_list(); '' without a usable GPU."""
    archs = [arch.split("_") for arch in get_arch_list()]
    return " ".join(f"-gencode compute=compute_{arch},code={kind}_{arch}" for kind, arch in archs)


def _check_fraction(fraction):
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if fraction < 0 or fraction > 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")


def set_per_process_memory_fraction(fraction, device=None):
    """Would cap the caching allocator at fraction * the GPU's memory: tinygrad_ext's allocator has no cap, so on
    a GPU this raises NotImplementedError rather than ignore the limit."""
    _check()
    _device_index(device)
    _check_fraction(fraction)
    _not_supported("set_per_process_memory_fraction()", "its caching allocator takes all the GPU memory it needs")


def get_per_process_memory_fraction(device=None):
    """The fraction of the GPU's memory the caching allocator may use: 1.0 (it has no cap)."""
    _check()
    _device_index(device)
    return 1.0


def ipc_collect():
    """Frees GPU memory other processes no longer use through CUDA IPC: tinygrad_ext shares no GPU memory between
    processes, so there is none to free."""
    _check()


def list_gpu_processes(device=None):
    """A printable list of the processes using the GPU and their memory, from the NVIDIA driver (pynvml, the
    nvidia-ml-py package, as torch's)."""
    if pynvml is None:
        return "pynvml module not found, please install nvidia-ml-py"
    pynvml.nvmlInit()
    index = _device_index(device)
    procs = pynvml.nvmlDeviceGetComputeRunningProcesses(pynvml.nvmlDeviceGetHandleByIndex(index))
    lines = [f"GPU:{index}"] + (["no processes are running"] if not procs else [])
    lines += [f"process {p.pid:>10d} uses {p.usedGpuMemory / (1024 * 1024):>12.3f} MB GPU memory" for p in procs]
    return "\n".join(lines)


def get_sync_debug_mode():
    """0 ('default'): tinygrad_ext does not warn about or refuse synchronizing operations."""
    _check()
    return _sync_debug_mode


def set_sync_debug_mode(debug_mode):
    """debug_mode 'default' (0) only: tinygrad_ext cannot warn (1, 'warn') or raise (2, 'error') at synchronizing
    operations; count them with torch.cuda.memory_summary()'s host synchronizations instead."""
    _check()
    if isinstance(debug_mode, str):
        if debug_mode not in ("default", "warn", "error"):
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`")
        debug_mode = ("default", "warn", "error").index(debug_mode)
    if debug_mode != 0:
        _not_supported(f"set_sync_debug_mode({debug_mode})", "only 'default' (0) is")


# ------------------------------------------------------------------------------------------------ CUDA graphs
class CUDAGraph:
    """torch.cuda.CUDAGraph: graph capture and replay are not supported by tinygrad_ext (torch's CPU build cannot
    make one either); run the captured work eagerly."""

    def __init__(self, keep_graph=False):
        if not _C.cuda_is_built():
            raise RuntimeError("Tried to instantiate dummy base class CUDAGraph")
        _not_supported("CUDAGraph", "run the work eagerly")


class graph:
    """``with torch.cuda.graph(g):`` would capture the block into CUDAGraph g (see CUDAGraph)."""
    default_capture_stream = None

    def __init__(self, cuda_graph, pool=None, stream=None, capture_error_mode="global"):
        if stream is None and graph.default_capture_stream is None:
            graph.default_capture_stream = Stream()
        if not isinstance(cuda_graph, CUDAGraph):
            _not_supported("graph", "run the block eagerly")


def make_graphed_callables(callables, sample_args, num_warmup_iters=3, allow_unused_input=False, pool=None):
    """Would capture the callables' forward and backward into CUDA graphs (see CUDAGraph)."""
    single = not isinstance(callables, tuple)
    for args in ((sample_args,) if single else sample_args):
        if not all(hasattr(arg, "_impl") for arg in args):
            raise AssertionError("In the beta API, sample_args for each callable must contain only Tensors. "
                                 "Other types are not allowed.")
    CUDAGraph()


def is_current_stream_capturing():
    """False: tinygrad_ext never captures a CUDA graph."""
    if not _C.cuda_is_built():
        raise RuntimeError("Tried to instantiate dummy base class _cuda_isCurrentStreamCapturing")
    return False


# -------------------------------------------------------------------------------------------------------- NVTX
_NVTX_MISSING = "NVTX functions not installed. Are you sure you have a CUDA build?"
_nvtx_depth = [0]


def _nvtx_built():
    if not _C.cuda_is_built():
        raise RuntimeError(_NVTX_MISSING)


def _range_push(msg):
    """Opens a nested range named msg; returns its zero-based depth. tinygrad_ext keeps the ranges' nesting but
    does not emit NVTX markers to profilers (Nsight shows none)."""
    _nvtx_built()
    _nvtx_depth[0] += 1
    return _nvtx_depth[0] - 1


def _range_pop():
    """Closes the innermost range; returns its zero-based depth (-1 when none is open)."""
    _nvtx_built()
    if _nvtx_depth[0] == 0:
        return -1
    _nvtx_depth[0] -= 1
    return _nvtx_depth[0]


def _mark(msg):
    """An instantaneous event named msg (not emitted to profilers: see range_push)."""
    _nvtx_built()


@contextlib.contextmanager
def _range(msg, *args, **kwargs):
    """``with torch.cuda.nvtx.range('step {}', i):`` a range around the block (msg formatted with args)."""
    _range_push(msg.format(*args, **kwargs))
    try:
        yield
    finally:
        _range_pop()


__path__ = []  # (a package to the import system: torch.cuda.memory, torch.cuda.amp resolve from sys.modules)


def _submodule(name, doc, **names):
    """torch.cuda.<name> as a module (importable as tinygrad_ext.cuda.<name> and torch.cuda.<name>)."""
    module = types.ModuleType(f"{__name__}.{name}", doc)
    module.__spec__ = importlib.machinery.ModuleSpec(module.__name__, None)
    for key, value in names.items():
        value.__name__ = value.__qualname__ = key  # (nvtx's functions are private in torch.cuda itself)
        setattr(module, key, value)
    sys.modules[module.__name__] = module
    return module


nvtx = _submodule("nvtx", "torch.cuda.nvtx: named ranges and marks for profilers.", range_push=_range_push,
                  range_pop=_range_pop, mark=_mark, range=_range)
memory = _submodule("memory", "torch.cuda.memory: the caching allocator's statistics and controls.",
                    **{n: globals()[n] for n in (
                        "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
                        "memory_cached", "max_memory_cached", "reset_peak_memory_stats", "reset_max_memory_allocated",
                        "reset_max_memory_cached", "reset_accumulated_memory_stats", "memory_stats",
                        "memory_stats_as_nested_dict", "memory_summary", "mem_get_info", "empty_cache",
                        "set_per_process_memory_fraction", "get_per_process_memory_fraction", "list_gpu_processes")})
random = _submodule("random", "torch.cuda.random: the CUDA generator's seed and state.",
                    **{n: globals()[n] for n in ("manual_seed", "manual_seed_all", "seed", "seed_all", "initial_seed",
                                                 "get_rng_state", "set_rng_state", "get_rng_state_all",
                                                 "set_rng_state_all")})
