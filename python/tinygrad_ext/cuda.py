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
import secrets
import warnings

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
    _C.set_cuda_rng_state(*_cuda_pair(_state_bytes(new_state, "set_rng_state", (_CUDA_STATE_BYTES,))))


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
