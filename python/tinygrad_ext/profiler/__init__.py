"""torch.profiler: which core ops a piece of code ran, how often, for how long, with which input shapes.

While a profiler records, every reference the package holds to a `_C` function (found by `_plan._core_sites`, the
same search torch.compile's recorder uses) is swapped for a wrapper that times the call; the references are put
back when recording stops, also after an exception. Each core call is an event named "aten::<name>" as torch names
its ops; nn.functional's functions that are one op in torch but compositions here (linear, batch_norm, ...) are
events of torch's name around their core calls, as are `record_function` ranges; an event's self time is its time
less its children's. with_flops counts torch's FLOPs of matrix products and convolutions; with_stack records the
Python frames of each event.
Times are host (CPU) times: a CUDA op's time is its launch. profile_memory counts the bytes of each op's new outputs
(a view allocates nothing); freed memory is not tracked.
"""
import contextlib
import enum
import functools
import gzip
import json
import math
import os
import socket
import sys
import threading
import time
import warnings

from .. import _C, _plan
from .._tensor_base import Tensor
from ..nn import functional as F

__all__ = ["ProfilerAction", "ProfilerActivity", "profile", "record_function", "schedule", "supported_activities",
           "tensorboard_trace_handler", "EventList", "FunctionEvent", "FunctionEventAvg"]

# core functions whose torch op has another name
_ATEN_NAMES = {"to_dtype": "_to_copy", "to_device": "_to_copy", "max_dim": "max", "round_decimals": "round",
               "view_dtype": "view", "gelu_tanh": "gelu", "copy_non_blocking_": "copy_"}
# nn.functional's functions that are one op in torch and a composition of core calls here: a range of torch's name
# around their core calls (those that are core calls themselves, like conv2d, are timed as such)
_COMPOSITES = ("linear", "batch_norm", "layer_norm", "group_norm", "dropout", "embedding", "mse_loss", "conv1d",
               "scaled_dot_product_attention", "adaptive_avg_pool2d", "log_softmax")
# core functions that are no op of a model (no tensor math): not events
_NOT_OPS = _plan._QUERIES | {"bump_version", "set_allow_tf32", "to_numpy", "to_dlpack", "set_num_threads"}


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What a profiler does at a step (see `schedule`)."""
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4  # (torch's: a device's profiler stopped early; never produced by a CPU profile here)


def supported_activities():
    return {ProfilerActivity.CPU, ProfilerActivity.CUDA} if _C.cuda_device_count() > 0 else {ProfilerActivity.CPU}


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """The action at each step: skip_first steps NONE, then cycles of `wait` NONE, `warmup` WARMUP and `active`
    RECORD steps, the last one RECORD_AND_SAVE (its trace is handed to on_trace_ready); repeat=0 cycles forever."""
    if not (wait >= 0 and warmup >= 0 and active > 0 and repeat >= 0 and skip_first >= 0):
        raise AssertionError("Invalid profiler schedule arguments")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", UserWarning, stacklevel=2)
    cycle = wait + warmup + active

    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"schedule: the step must be >= 0, got {step}")
        if step < skip_first:
            return ProfilerAction.NONE
        step = step - skip_first + (wait if skip_first_wait else 0)
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        k = step % cycle
        if k < wait:
            return ProfilerAction.NONE
        if k < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if k < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return schedule_fn


def _default_schedule(step):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False, use_python_export=False):
    """on_trace_ready handler writing each finished trace to `dir_name` as a chrome trace
    (<worker>.<time ns>.pt.trace.json, .gz with use_gzip), the files TensorBoard's profiler plugin reads."""
    def handler_fn(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, name))
    return handler_fn


# ------------------------------------------------------------------------------------------ formatting (torch's)
def _format_time(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _format_share(us, total_us):
    return "NaN" if total_us == 0 else f"{us * 100.0 / total_us:.2f}%"


def _flops(op, args, out):
    """torch's FLOP count of a core call (with_flops): 2 per multiply-add of a matrix product or a convolution,
    1 per output element of mul and add; 0 (not counted) for the other ops."""
    shapes = [a.shape for a in args if isinstance(a, _C.TensorImpl)]
    if op in ("mm", "matmul", "bmm", "addmm", "baddbmm"):
        a, b = shapes[-2:]
        return 2 * math.prod(a) * b[-1] if len(a) >= 2 and len(b) >= 2 else 0
    if op in ("conv1d", "conv2d", "conv3d") and isinstance(out, _C.TensorImpl) and len(shapes) >= 2:
        return 2 * math.prod(out.shape) * math.prod(shapes[1][1:])  # (weight: C_out, C_in / groups, kernel...)
    if op in ("mul", "add") and isinstance(out, _C.TensorImpl):
        return math.prod(out.shape)
    return 0


def _scale_flops(flops):
    """(scale, unit) torch prints FLOP counts in, chosen by the smallest count."""
    units = ["FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs"]
    k = int(max(0.0, min(math.log10(flops) / 3, len(units) - 1.0)))
    return 10.0 ** (-3 * k), units[k]


def _trim_path(path, width):
    """The end of a too long source location, marked with '...'."""
    if len(path) > width:
        path = path[len(path) - width:]
        if len(path) > 3:
            path = "..." + path[3:]
    return path


def _format_memory(nbytes):
    for unit, size in (("Gb", 1024.0 ** 3), ("Mb", 1024.0 ** 2), ("Kb", 1024.0)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


class _TimeStrings:
    """The *_str properties torch's events have."""

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)

    @property
    def cpu_time_str(self):
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self):
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self):
        return _format_time(self.self_cpu_time_total)

    # no device timeline: the device columns are zero (and sorting by them works)
    device_time_total = self_device_time_total = device_time = cuda_time = cuda_time_total = 0.0
    device_memory_usage = self_device_memory_usage = 0
    is_async = is_remote = is_legacy = False
    node_id = -1
    flops = 0


# ------------------------------------------------------------------------------------------ events
class FunctionEvent(_TimeStrings):
    """One op or record_function range: times in microseconds, memory in bytes."""

    def __init__(self, id, name, thread, start_us, input_shapes, is_user_annotation=False):
        self.id, self.trace_name, self.thread = id, name, thread
        # the steps' ranges are one key, as in torch (the trace keeps each step's number)
        self.name = self.key = "ProfilerStep*" if name.startswith("ProfilerStep#") else name
        self.start_us, self.end_us = start_us, start_us
        self.input_shapes = input_shapes
        self.is_user_annotation = is_user_annotation
        self.cpu_children, self.cpu_parent = [], None
        self.own_memory = 0  # bytes of this op's new outputs
        self.count = 1
        self.stack = []

    @property
    def cpu_time_total(self):
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_memory_usage(self):
        return self.own_memory + sum(c.cpu_memory_usage for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self):
        return self.own_memory

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_total_str} "
                f"start_us={self.start_us:.3f} end_us={self.end_us:.3f} "
                f"cpu_children={[c.id for c in self.cpu_children]} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


class FunctionEventAvg(_TimeStrings):
    """The events of one key summed (`EventList.key_averages`)."""

    def __init__(self):
        self.key, self.count, self.input_shapes, self.is_user_annotation = None, 0, None, False
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = self.flops = 0
        self.stack = []

    def add(self, other):
        if self.key is None:
            self.key, self.input_shapes, self.stack = other.key, other.input_shapes, other.stack
            self.is_user_annotation = other.is_user_annotation
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.flops += other.flops
        return self

    def __iadd__(self, other):
        return self.add(other)

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_total_str}  self_cuda_time=0.000us cuda_time=0.000us "
                f"input_shapes={self.input_shapes or ''} cpu_memory_usage={self.cpu_memory_usage} cuda_memory_usage=0>")


class EventList(list):
    """A list of events with torch's summaries: key_averages(), table(), export_chrome_trace()."""

    def __init__(self, events=(), profile_memory=False, with_flops=False):
        super().__init__(events)
        self._profile_memory, self._with_flops = profile_memory, with_flops

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0, group_by_overload_name=False):
        groups = {}
        for e in self:
            key = (e.key, str(e.input_shapes) if group_by_input_shapes else "",
                   tuple(e.stack[:group_by_stack_n]) if group_by_stack_n > 0 else ())
            groups.setdefault(key, FunctionEventAvg()).add(e)
        averages = EventList(groups.values(), self._profile_memory, self._with_flops)
        for a in averages:
            a.stack = a.stack[:group_by_stack_n]
            if not group_by_input_shapes:
                a.input_shapes = ""
        return averages

    def total_average(self):
        total = FunctionEventAvg()
        for e in self:
            total.add(e)
        total.key = "Total"
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        """torch's table: one row per event (per key after key_averages()), sorted by the attribute `sort_by`
        names (largest first), at most row_limit rows."""
        events = list(self)
        if not events:
            return ""
        if sort_by is not None:
            attr = sort_by.replace("cuda", "device").replace("gpu", "device")
            events.sort(key=lambda e: getattr(e, attr), reverse=True)
        headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
        if self._profile_memory:
            headers += ["CPU Mem", "Self CPU Mem"]
        headers.append("# of Calls")
        widths = [min(max(len(e.key) for e in events) + 4, max_name_column_width)] + [12] * (len(headers) - 1)
        has_shapes = any(e.input_shapes for e in events)
        if has_shapes:
            headers.append("Input Shapes")
            widths.append(min(max(len(str(e.input_shapes)) for e in events) + 4, max_shapes_column_width))
        flops = [e.flops for e in events if e.flops > 0] if self._with_flops else []
        if flops:
            flops_scale, flops_unit = _scale_flops(min(flops))
            headers.append(f"Total {flops_unit}")
            widths.append(12)
        has_stack = any(e.stack for e in events)
        if has_stack:  # (left-aligned, one frame a line, innermost first)
            headers.append("Source Location")
            widths.append(min(max(len(f) for e in events for f in e.stack) + 4, max_src_column_width))
        row_format = "".join("{:" + ("<" if has_stack and i == len(widths) - 1 else ">") + str(w) + "}  "
                             for i, w in enumerate(widths))
        sep = "".join("-" * w + "  " for w in widths)
        total = sum(e.self_cpu_time_total for e in events)
        lines = []
        if header is not None:
            lines += ["=" * (sum(w + 2 for w in widths) - 2), header]
        lines += [sep, row_format.format(*headers), sep]
        shown = 0
        for e in events:
            if shown == row_limit:
                break
            if top_level_events_only and getattr(e, "cpu_parent", None) is not None:
                continue
            shown += 1
            name = e.key if len(e.key) < max_name_column_width - 3 else e.key[:max_name_column_width - 3] + "..."
            row = [name, _format_share(e.self_cpu_time_total, total), e.self_cpu_time_total_str,
                   _format_share(e.cpu_time_total, total), e.cpu_time_total_str, e.cpu_time_str]
            if self._profile_memory:
                row += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
            row.append(e.count)
            if has_shapes:
                row.append(str(e.input_shapes)[:widths[len(row)]])
            if flops:
                row.append(f"{e.flops * flops_scale:8.3f}" if e.flops > 0 else "--")
            if has_stack:
                row.append(_trim_path(e.stack[0], widths[-1]) if e.stack else "")
            lines.append(row_format.format(*row))
            if has_stack:
                blank = [""] * (len(headers) - 1)
                lines += [row_format.format(*blank, _trim_path(f, widths[-1])) for f in e.stack[1:]]
                lines.append(row_format.format(*blank, ""))
        lines += [sep, f"Self CPU time total: {_format_time(total)}"]
        return "\n".join(lines) + "\n"

    def __str__(self):
        return self.table()

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Writes one line per event recorded with_stack: its frames outermost first, joined by ';', and the metric
        as an integer (the input of flamegraph.pl)."""
        clean = str.maketrans(" ;\t\n", "____")
        attr = metric.replace("cuda", "device").replace("gpu", "device")
        with open(path, "w") as f:
            for e in self:
                value = int(getattr(e, attr))
                if e.stack and value > 0:
                    f.write(";".join(frame.translate(clean) for frame in reversed(e.stack)) + f" {value}\n")

    def export_chrome_trace(self, path):
        """Writes the events as a Chrome trace (chrome://tracing, Perfetto, TensorBoard): complete ("X") events,
        microseconds."""
        pid = os.getpid()
        trace = []
        for e in self:
            if not isinstance(e, FunctionEvent):
                raise RuntimeError("export_chrome_trace: the events of a profile (not their key_averages()) are needed")
            args = {"External id": e.id}
            if e.input_shapes:
                args["Input Dims"] = e.input_shapes
            category = "user_annotation" if e.is_user_annotation else "cpu_op"
            trace.append({"ph": "X", "cat": category, "name": e.trace_name, "pid": pid,
                          "tid": e.thread, "ts": e.start_us, "dur": e.cpu_time_total, "args": args})
        data = {"schemaVersion": 1, "displayTimeUnit": "ms", "traceEvents": trace, "traceName": str(path)}
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "wt") as f:
            json.dump(data, f)


# ------------------------------------------------------------------------------------------ recording
_active = []  # the _Trace recording now (one at a time: the swapped references are process-wide)


class _Trace:
    """The events of one recording, and the swap of the core functions that makes them."""

    def __init__(self, record_shapes, profile_memory, with_stack, with_flops):
        self.record_shapes, self.profile_memory, self.with_stack = record_shapes, profile_memory, with_stack
        self.with_flops = with_flops
        self.events, self.open, self.next_id = [], False, 0
        self.open_ranges = {}  # thread id -> the events open on that thread, innermost last

    def begin(self, name, args, user=False):
        shapes = ([list(a.shape) if isinstance(a, (_C.TensorImpl, Tensor)) else [] for a in args]
                  if self.record_shapes else [])
        thread = threading.get_ident()
        ev = FunctionEvent(self.next_id, name, thread, time.perf_counter_ns() / 1e3, shapes, user)
        self.next_id += 1
        if self.with_stack:  # the Python frames that led here, innermost first, without the profiler's own
            frame = sys._getframe(1)
            while frame is not None:
                if frame.f_code.co_filename != __file__:
                    ev.stack.append(f"{frame.f_code.co_filename}({frame.f_lineno}): {frame.f_code.co_name}")
                frame = frame.f_back
        stack = self.open_ranges.setdefault(thread, [])
        if stack:
            ev.cpu_parent = stack[-1]
            stack[-1].cpu_children.append(ev)
        stack.append(ev)
        self.events.append(ev)
        return ev

    def end(self, ev, args=(), out=None):
        ev.end_us = time.perf_counter_ns() / 1e3
        if self.with_flops and out is not None:
            ev.flops = _flops(ev.name[len("aten::"):], args, out)
        if self.profile_memory and out is not None:
            inputs = {a.storage_id for a in args if isinstance(a, _C.TensorImpl)}
            outs = out if isinstance(out, (tuple, list)) else (out,)
            ev.own_memory = sum(o.storage_nbytes for o in outs
                                if isinstance(o, _C.TensorImpl) and o.storage_id not in inputs)
        stack = self.open_ranges.get(ev.thread, [])
        if stack and stack[-1] is ev:
            stack.pop()
        elif ev in stack:
            stack.remove(ev)

    def timed(self, fn, label):
        trace = self

        @functools.wraps(fn)
        def call(*args, **kwargs):
            if not trace.open:  # (a reference kept past the recording, e.g. by a compiled plan)
                return fn(*args, **kwargs)
            ev, out = trace.begin(label, args), None
            try:
                out = fn(*args, **kwargs)
                return out
            finally:
                trace.end(ev, args, out)
        return call

    def start(self):
        if _active:
            raise RuntimeError("Profiler is already enabled: one profiler records at a time")
        self.saved = [(s, f) for s, f in ((s, _plan._get(s)) for s in _plan._core_sites()) if id(f) in _plan._CORE]
        self.module = {n: getattr(_C, n) for n in dir(_C) if id(getattr(_C, n)) in _plan._CORE}
        self.wrappers = {}
        self.composites = {n: getattr(F, n) for n in _COMPOSITES if hasattr(F, n) and not hasattr(_C, n)}
        try:
            for n, fn in self.composites.items():
                setattr(F, n, self.timed(fn, "aten::" + n))
            for n, fn in self.module.items():
                if n not in _NOT_OPS:
                    self.wrappers[n] = self.timed(fn, "aten::" + _ATEN_NAMES.get(n, n))
                    # known to the compile recorder as the core function it stands for
                    _plan._CORE[id(self.wrappers[n])] = n
                    setattr(_C, n, self.wrappers[n])
            for site, fn in self.saved:
                name = _plan._CORE[id(fn)]
                if name in self.wrappers:
                    _plan._set(site, self.wrappers[name])
        except BaseException:
            self.restore()
            raise
        self.open = True
        _active.append(self)

    def restore(self):
        self.open = False
        if self in _active:
            _active.remove(self)
        for n, fn in self.module.items():
            setattr(_C, n, fn)
        for n, fn in self.composites.items():
            setattr(F, n, fn)
        for site, fn in self.saved:
            _plan._set(site, fn)
        for w in self.wrappers.values():
            _plan._CORE.pop(id(w), None)
        self.open_ranges.clear()


class record_function(contextlib.ContextDecorator):
    """A named range in the profile (context manager or decorator); the ops run inside it are its children."""

    def __init__(self, name, args=None):
        self.name, self.args, self._event, self._trace = name, args, None, None

    def __enter__(self):
        if _active:
            self._trace = _active[-1]
            self._event = self._trace.begin(self.name, (), user=True)
        return self

    def __exit__(self, *exc):
        if self._event is not None:
            self._trace.end(self._event)
            self._event = self._trace = None
        return False


class _Profile:
    """What torch.profiler.profile and torch.autograd.profiler.profile share: one recording and its events."""

    def __init__(self, record_shapes, profile_memory, with_stack, with_flops, with_modules):
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack, self.with_flops, self.with_modules = with_stack, with_flops, with_modules
        self._trace, self._events, self.acc_events = None, None, False

    def _start_trace(self):
        self._trace = _Trace(self.record_shapes, self.profile_memory, self.with_stack, self.with_flops)
        self._trace.start()

    def _stop_trace(self):
        if self._trace is not None and self._trace.open:
            self._trace.restore()
            events = sorted(self._trace.events, key=lambda e: e.start_us)
            if self.acc_events and self._events is not None:  # (the cycles before this one too)
                events = list(self._events) + events
            self._events = EventList(events, self.profile_memory, self.with_flops)

    def events(self):
        if self._events is None:
            raise RuntimeError("Profiler didn't finish running: the events are there once it stopped")
        return self._events

    @property
    def function_events(self):
        return self._events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        return self.events().key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def export_chrome_trace(self, path):
        return self.events().export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        return self.events().export_stacks(path, metric)

    def table(self, *args, **kwargs):
        return self.events().table(*args, **kwargs)

    @property
    def self_cpu_time_total(self):
        return self.events().self_cpu_time_total

    def total_average(self):
        return self.events().total_average()


class profile(_Profile):
    """torch.profiler.profile: records while active (with a schedule, at the steps it names; `step()` marks the
    end of one step); `on_trace_ready(prof)` is called with each finished trace."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None, post_processing_timeout_s=None):
        super().__init__(record_shapes, profile_memory, with_stack, with_flops, with_modules)
        if execution_trace_observer is not None:
            raise NotImplementedError("profile: execution_trace_observer (PyTorch's execution graph observer) is not "
                                      "supported; export a chrome trace with on_trace_ready instead")
        self.acc_events = acc_events
        self.activities = set(activities) if activities is not None else supported_activities()
        for a in self.activities:
            if not isinstance(a, ProfilerActivity):
                raise TypeError(f"profile: activities must be ProfilerActivity values, got {a!r}")
        self.schedule = schedule or _default_schedule
        self.record_steps = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.step_num, self.current_action, self._step_range = 0, None, None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        self.current_action = self.schedule(self.step_num)
        self._transit(None, self.current_action)
        self._enter_step()

    def stop(self):
        self._exit_step()
        try:
            self._transit(self.current_action, None)
        finally:
            self._stop_trace()  # (the references are back even if on_trace_ready raised)

    def step(self):
        self._exit_step()
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit(previous, self.current_action)
        self._enter_step()

    def _enter_step(self):
        if self.record_steps:
            self._step_range = record_function(f"ProfilerStep#{self.step_num}")
            self._step_range.__enter__()

    def _exit_step(self):
        if self._step_range is not None:
            self._step_range.__exit__(None, None, None)
            self._step_range = None

    def _transit(self, previous, current):
        recording = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
        if previous in recording and (previous is ProfilerAction.RECORD_AND_SAVE or current not in recording):
            if previous is ProfilerAction.RECORD and current is not None:
                warnings.warn("Incorrect schedule: RECORD followed by " + current.name, UserWarning, stacklevel=3)
            self._stop_trace()
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
        if current in recording and (self._trace is None or not self._trace.open):
            self._start_trace()
