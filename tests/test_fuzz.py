"""Differential fuzzing, bounded: a fixed seed, a few thousand random calls over every op family, run in
subprocess batches (tests/fuzz/). Fails on any crash or hang, and on any value/dtype/shape, gradient or
exception-class mismatch that tests/fuzz/known_differences.py does not allow.

Without PyTorch the reference is numpy (float64 / exact integers) plus the error contract of
/work/shared/RELIABILITY.md; when the interpreter can import torch (bench-venv) PyTorch itself is the
reference. FUZZ_TORCH=0/1 forces the choice, FUZZ_CALLS and FUZZ_SEED change the run. The unbounded
mode is `python -m tests.fuzz --calls 100000 --seed N [--torch]`.
"""
import os
import sys
import time

import pytest

from fuzz import known_differences
from fuzz.gen import Call
from fuzz.runner import format_report, run, run_batch, torch_importable

SEED = int(os.environ.get("FUZZ_SEED", "1234"))
CALLS = os.environ.get("FUZZ_CALLS")  # default: 15000 against numpy, 5000 against torch (~15-40 s on 2 cores)


def _use_torch():
    forced = os.environ.get("FUZZ_TORCH")
    if forced in ("0", "1"):
        return forced == "1"
    return torch_importable()


def test_fuzz_bounded():
    use_torch = _use_torch()
    calls = int(CALLS) if CALLS else (5000 if use_torch else 15000)
    t0 = time.monotonic()
    report = run(seed=SEED, calls=calls, use_torch=use_torch, jobs=2, batch=1000, timeout=20.0,
                 known=known_differences.match)
    text = format_report(report, max_groups=25)
    print(text)
    assert report.calls == calls, f"only {report.calls} of {calls} calls were judged"
    # the references must actually judge most calls (a broken generator would make the run vacuous)
    assert sum(report.compared.values()) > 0.8 * calls, report.compared
    assert report.grads_compared > 0.02 * calls, "gradients were hardly ever compared"
    assert not report.failures(), "fuzz mismatches (fix them, or allow them in tests/fuzz/known_differences.py " \
                                  "with the reason):\n" + text
    assert time.monotonic() - t0 < 120


def _call(index, setup, body):
    c = Call(seed=0, index=index, family="selftest", op=f"call{index}")
    c.setup, c.body = [setup], body
    return c


@pytest.mark.skipif(bool(os.environ.get("TG_SANITIZED")),
                    reason="its deliberate SIGSEGV would be an AddressSanitizer report")
def test_harness_reports_crash_and_hang_then_continues():
    """A call that kills its worker with a signal and one that never returns are each charged to that call
    (with its source), and the calls after them still run in fresh workers."""
    calls = [_call(0, "a = torch.ones(2)", "out = a + 1"),
             _call(1, "import ctypes", "out = ctypes.string_at(0)"),  # SIGSEGV
             _call(2, "a = torch.ones(2)", "out = a * 2"),
             _call(3, "import time", "time.sleep(60)"),                  # a hang
             _call(4, "a = torch.zeros(3)", "out = a.sum()")]
    results, events, starts = run_batch(calls, {"torch": False, "threads": 1}, sys.executable, timeout=3.0)
    kinds = {(i, what) for i, _, what, _ in events}
    assert kinds == {(1, "crash"), (3, "hang")}, events
    assert "SIGSEGV" in [d for i, _, w, d in events if i == 1][0]
    assert sorted(results) == [0, 2, 4]
    assert results[4]["ours"]["out"][0] == "T" and starts == 3
    assert "ctypes.string_at(0)" in calls[1].code()


def test_known_differences_are_explained():
    for k in known_differences.KNOWN:
        assert k.why and len(k.why) > 20, k
        assert isinstance(k.todo, bool) and callable(k.when)


def test_repros_are_standalone():
    """Each generated call's repro is plain Python that compiles on its own."""
    from fuzz import generate
    for index in range(300):
        c = generate(SEED, index)
        compile(c.code(), f"<repro {index}>", "exec")
        compile(c.code(with_grad=True), f"<repro {index}>", "exec")
