"""torch.utils.benchmark: Timer (a statement timed with warm-up, block sizes chosen to hide the timer's overhead, the
library's thread count set for the run), Measurement (the times and their statistics) and Compare (tables of many
measurements, grouped as torch groups them: a table per label, a row per sub_label and thread count, a column per
description)."""
import collections
import contextlib
import dataclasses
import enum
import math
import textwrap
import timeit as _timeit

import tinygrad_ext as _torch

from ... import _C
from ._fuzzer import FuzzedParameter, FuzzedTensor, Fuzzer, ParameterAlias
from .op_fuzzers import binary as _binary, unary as _unary  # (loads torch.utils.benchmark.op_fuzzers.*)

__all__ = ["Colorize", "Compare", "FuzzedParameter", "FuzzedTensor", "Fuzzer", "Language", "Measurement",
           "ParameterAlias", "TaskSpec", "Timer", "timer", "select_unit", "set_torch_threads",
           "trim_sigfig", "unit_to_english", "ordered_unique"]

_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.25
_MAX_SIGNIFICANT_FIGURES = 4
_MIN_CONFIDENCE_INTERVAL = 25e-9  # seconds: finer differences are timer noise


def timer():
    """The default clock: seconds, after the GPU finished the work queued so far (when there is one)."""
    if _C.cuda_device_count() > 0:
        _torch.cuda.synchronize()
    return _timeit.default_timer()


@contextlib.contextmanager
def set_torch_threads(n):
    """The library's thread count is n inside the block, what it was after."""
    previous = _C.get_num_threads()
    _C.set_num_threads(n)
    try:
        yield
    finally:
        _C.set_num_threads(previous)


def select_unit(t):
    """(unit, seconds per unit) that print t (seconds) with a few leading digits."""
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(int(math.log10(t) // 3), "s") if t > 0 else "ns"
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


def unit_to_english(u):
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x, n):
    """x rounded to n significant figures (3.14159, 2 -> 3.1)."""
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    if x == 0:
        return 0.0
    scale = 10.0 ** (math.ceil(math.log10(abs(x))) - n)
    return float(round(x / scale) * scale)


def ordered_unique(elements):
    return list(dict.fromkeys(elements))


def _quantile(sorted_values, q):
    """Linear interpolation between the closest ranks (torch.quantile's default)."""
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


@dataclasses.dataclass(frozen=True, repr=False)
class TaskSpec:
    """What was timed: the statement, its setup and the labels a Compare table groups by."""
    stmt: str
    setup: str
    global_setup: str = ""
    label: str = None
    sub_label: str = None
    description: str = None
    env: str = None
    num_threads: int = 1

    @property
    def title(self):
        sub = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + sub
        if "\n" not in self.stmt:
            return self.stmt + sub
        return f"stmt:{f' ({self.sub_label})' if self.sub_label else ''}\n{textwrap.indent(self.stmt, '  ')}"

    def setup_str(self):
        if self.setup == "pass" or not self.setup:
            return ""
        return f"setup:\n{textwrap.indent(self.setup, '  ')}" if "\n" in self.setup else f"setup: {self.setup}"

    def summarize(self):
        sections = [self.title, self.description or "", self.setup_str()]
        return "\n".join(s + "\n" if "\n" in s else s for s in sections if s)


_TASKSPEC_FIELDS = tuple(f.name for f in dataclasses.fields(TaskSpec))


@dataclasses.dataclass(repr=False)
class Measurement:
    """One or more timings of a statement: raw_times[i] is the time of number_per_run runs (seconds)."""
    number_per_run: int
    raw_times: list
    task_spec: TaskSpec
    metadata: dict = None

    def __getattr__(self, name):
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        raise AttributeError(f"'Measurement' object has no attribute '{name}'")

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    def _stats(self):
        s = sorted(self.times)
        return s, _quantile(s, 0.5), sum(s) / len(s), _quantile(s, 0.25), _quantile(s, 0.75)

    @property
    def median(self):
        return self._stats()[1]

    @property
    def mean(self):
        return self._stats()[2]

    @property
    def iqr(self):
        _, _, _, p25, p75 = self._stats()
        return p75 - p25

    @property
    def significant_figures(self):
        """Digits the measurement supports: the median over a 90% confidence interval of the interquartile
        points' mean (at least 25 ns), from 1 to 4."""
        s, median = self._stats()[:2]
        points = s[len(s) // 4:math.ceil(3 * len(s) / 4)]
        mean = sum(points) / len(points)
        std = math.sqrt(sum((p - mean) ** 2 for p in points) / len(points))
        interval = max(1.645 * std / math.sqrt(len(points)), _MIN_CONFIDENCE_INTERVAL)
        return min(max(math.floor(math.log10(median / interval)), 1), _MAX_SIGNIFICANT_FIGURES)

    def meets_confidence(self, threshold=_IQR_WARN_THRESHOLD):
        return self.iqr / self.median < threshold

    @property
    def _warnings(self):
        if self.meets_confidence(_IQR_WARN_THRESHOLD):
            return ()
        why = ("This suggests significant environmental influence." if not self.meets_confidence(
            _IQR_GROSS_WARN_THRESHOLD) else "This could indicate system fluctuation.")
        return (f"  WARNING: Interquartile range is {self.iqr / self.median * 100:.1f}% of the median measurement."
                f"\n           {why}",)

    @property
    def has_warnings(self):
        return bool(self._warnings)

    @property
    def title(self):
        return self.task_spec.title

    @property
    def env(self):
        return self.task_spec.env  # (torch's reads as None when no env was given)

    @property
    def as_row_name(self):
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self):
        s, median, _, p25, p75 = self._stats()
        n, threads = len(s), self.num_threads
        unit, scale = select_unit(median)
        lines = [f"<torch.utils.benchmark.utils.common.Measurement object at {hex(id(self))}>",
                 self.task_spec.summarize(),
                 f"  {'Median: ' if n > 1 else ''}{median / scale:.2f} {unit}"]
        if n >= 4:
            lines.append(f"  IQR:    {(p75 - p25) / scale:.2f} {unit} ({p25 / scale:.2f} to {p75 / scale:.2f})")
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
                     f"{'per measurement,' if n > 1 else ','} {threads} thread{'s' if threads > 1 else ''}")
        lines.extend(self._warnings)
        return "\n".join(lines).strip()

    @staticmethod
    def merge(measurements):
        """The measurements of equal TaskSpecs as one each (times per run, number_per_run=1)."""
        groups = collections.defaultdict(list)
        for m in measurements:
            groups[m.task_spec].extend(m.times)
        return [Measurement(1, times, spec) for spec, times in groups.items()]


def _dedent(code):
    code = textwrap.dedent(code)
    return (code[1:] if code.startswith("\n") else code).rstrip()


class Timer:
    """Times `stmt` (Python source run with `globals`, after `setup`) with the library set to num_threads threads."""

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads=1, language=Language.PYTHON):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in (Language.PYTHON, "py", "python"):
            raise ValueError(f"Timer: language={language!r} is not supported here: only Python statements "
                             "(torch times C++ statements with its C++ toolchain)")
        if global_setup:
            raise ValueError("global_setup is only valid for C++ statements; put Python setup in `setup`")
        self._globals = dict(globals or {})
        self._globals.setdefault("torch", _torch)
        stmt, setup = _dedent(stmt), _dedent(setup)
        self._task_spec = TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup, label=label,
                                   sub_label=sub_label, description=description, env=env, num_threads=num_threads)
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)

    def _measurement(self, number, times):
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def timeit(self, number=1000000):
        """One measurement of `number` runs, after a warm-up of number // 100 runs (at least 2)."""
        with set_torch_threads(self._task_spec.num_threads):
            self._timer.timeit(number=max(number // 100, 2))
            return self._measurement(number, [self._timer.timeit(number=number)])

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _block_size(self, min_run_time):
        """Runs per measurement: enough that the timer's overhead is under 0.01% of a block's time and a block takes
        at least min_run_time / 1000, or the first count over min_run_time."""
        overhead = sorted(self._timer.timeit(number=0) for _ in range(5))[2]
        number = 1
        while True:
            taken = self._timer.timeit(number=number)
            if (overhead <= 1e-4 * taken and taken >= min_run_time / 1000) or taken > min_run_time:
                return number
            if number * 10 > 2147483647:
                return number
            number *= 10

    def _measure_loop(self, min_run_time, max_run_time, stop, callback):
        with set_torch_threads(self._task_spec.num_threads):
            number = self._block_size(min_run_time=0.05)
            times, total = [], 0.0
            while total < max_run_time:
                taken = self._timer.timeit(number=number)
                if callback is not None:
                    callback(number, taken)
                times.append(taken)
                total += taken
                if total >= min_run_time and stop(self._measurement(number, times)):
                    break
        return self._measurement(number, times)

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Blocks of runs (see _block_size) until min_run_time seconds were spent in them."""
        return self._measure_loop(min_run_time, min_run_time, lambda m: True, callback)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0, callback=None):
        """Blocks of runs until more than 3 agree within `threshold` (IQR / median) and min_run_time was spent, or
        max_run_time was spent."""
        def stop(m):
            return len(m.raw_times) > 3 and m.meets_confidence(threshold)
        return self._measure_loop(min_run_time, max_run_time, stop, callback)


# ------------------------------------------------------------------------------------------ Compare
_BEST, _GOOD, _BAD, _VERY_BAD, _BOLD, _END = "\033[92m", "\033[34m", "\033[2m\033[91m", "\033[31m", "\033[1m", "\033[0m"


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


def _color(text, value, best):
    if value <= best * 1.01 or value <= best + 100e-9:
        return _BEST + _BOLD + text + _END * 2
    if value <= best * 1.1:
        return _GOOD + _BOLD + text + _END * 2
    if value >= best * 5:
        return _VERY_BAD + _BOLD + text + _END * 2
    if value >= best * 2:
        return _BAD + text + _END * 2
    return text


def _table(results, colorize, trim, highlight):
    """One label's table: rows (num_threads, env, row name), columns descriptions, cells medians in one unit."""
    unit, scale = select_unit(min(r.median for r in results))
    row_keys = ordered_unique((r.num_threads, r.env, r.as_row_name) for r in results)
    row_keys.sort(key=lambda k: (k[0], k[1] or ""))  # (stable: statements keep their order)
    col_keys = ordered_unique(r.description for r in results)
    cells = {(r.num_threads, r.env, r.as_row_name, r.description): r for r in results}
    grid = [[cells.get((*k, c)) for c in col_keys] for k in row_keys]
    groups = [k[0] for k in row_keys]  # a row group per thread count
    render_env = len({r.env for r in results}) > 1
    env_len = max(len(str(r.env)) for r in results) if render_env else 0

    formats = []
    for j in range(len(col_keys)):
        column = [row[j] for row in grid if row[j] is not None]
        lead = [math.ceil(math.log10(m.median / scale)) for m in column]
        decimals = min(max(m.significant_figures - d, 0) for d, m in zip(lead, column)) if trim else 1
        width = max(lead) + decimals + (1 if decimals else 0)
        warn = highlight and any(m.has_warnings for m in column)
        formats.append((f"{{:>{width}.{decimals}f}}", warn))

    def cell(m, j):
        fmt, warn = formats[j]
        if m is None:
            return " " * len(fmt.format(1.0)) + (" " * 7 if warn else "")
        value = m.median / scale
        text = fmt.format(trim_sigfig(value, m.significant_figures) if trim else value)
        if warn:
            text += f"{f' (! {m.iqr / m.median * 100:.0f}%)' if m.has_warnings else '':>7}"
        return text

    strings = [["", *(str(c) if c is not None else "" for c in col_keys)]]
    prior_env = None
    for i, (k, row) in enumerate(zip(row_keys, grid)):
        if i == 0 or groups[i] != groups[i - 1]:
            prior_env = None
        env = f"({k[1]})" if render_env and k[1] != prior_env else ""
        prior_env = k[1]
        strings.append(["  " + env.ljust(env_len + 4) + k[2], *(cell(m, j) for j, m in enumerate(row))])
    widths = [max(len(s[j]) for s in strings) for j in range(len(strings[0]))]
    lines = ["  |  ".join(s.center(w) for s, w in zip(strings[0], widths))]
    overall = len(lines[0])
    for i, (s, row) in enumerate(zip(strings[1:], grid)):
        if i == 0 or groups[i] != groups[i - 1]:
            lines.append(f"{groups[i]} threads: ".ljust(overall, "-"))
        best = [None] * len(row)
        if colorize is Colorize.ROWWISE:
            best = [min(m.median for m in row if m is not None)] * len(row)
        elif colorize is Colorize.COLUMNWISE:
            best = [min((g[j].median for g, gk in zip(grid, groups) if gk == groups[i] and g[j] is not None),
                        default=None) for j in range(len(row))]
        out = [s[0].ljust(widths[0])]
        for text, w, m, b in zip(s[1:], widths[1:], row, best):
            text = text.center(w)
            out.append(_color(text, m.median, b) if m is not None and b is not None else text)
        lines.append("  |  ".join(out))
    label = results[0].label
    warned = highlight and any(r.has_warnings for r in results)
    return (f"[{(' ' + (label or '') + ' ').center(overall - 2, '-')}]\n" + "\n".join(lines) +
            f"\n\nTimes are in {unit_to_english(unit)}s ({unit}).\n" +
            ("(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n" if warned else ""))


class Compare:
    """Tables of measurements: one per label, a row per sub_label (or stmt) within each thread count, a column per
    description; replicates of one TaskSpec are merged."""

    def __init__(self, results):
        self._results = []
        self.extend_results(results)
        self._trim_significant_figures, self._colorize, self._highlight_warnings = False, Colorize.NONE, False

    def extend_results(self, results):
        for r in results:
            if not isinstance(r, Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self):
        self._trim_significant_figures = True

    def colorize(self, rowwise=False):
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self):
        self._highlight_warnings = True

    def __str__(self):
        by_label = collections.defaultdict(list)
        for r in Measurement.merge(self._results):
            by_label[r.label].append(r)
        return "\n".join(_table(rs, self._colorize, self._trim_significant_figures, self._highlight_warnings)
                         for rs in by_label.values())

    def print(self):
        print(str(self))
