"""Runs generated calls in worker subprocesses (batches, in parallel) and judges the outcomes.

A crash (the worker dies on a signal) or a hang (no outcome within `timeout` seconds) is charged to
the call that had started, reported with its repro, and the batch goes on in a fresh worker from the
next call.
"""
import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from . import compare
from .compare import Finding
from .gen import FAMILIES, generate
from .ref import Shape

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")


def torch_importable(python=sys.executable):
    r = subprocess.run([python, "-c", "import torch"], capture_output=True)
    return r.returncode == 0


@dataclass
class Report:
    seed: int
    calls: int = 0
    use_torch: bool = False
    findings: list = field(default_factory=list)     # library findings (CATEGORIES)
    oracle: list = field(default_factory=list)       # numpy reference vs torch (torch mode)
    ref_crashes: list = field(default_factory=list)
    per_family: Counter = field(default_factory=Counter)
    compared: Counter = field(default_factory=Counter)  # calls with a verdict from a reference
    grads_compared: int = 0
    elapsed: float = 0.0
    worker_starts: int = 0

    def failures(self):
        return [f for f in self.findings if f.known is None]

    def allowed(self):
        return [f for f in self.findings if f.known is not None]


class _Worker:
    def __init__(self, cfg, python):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([python, WORKER, json.dumps(cfg)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, start_new_session=True)
        self.buf = b""
        self.fd = self.proc.stdout.fileno()

    def send_calls(self, payloads):
        def feed():
            try:
                self.proc.stdin.write(pickle.dumps(payloads, protocol=4))
                self.proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
        t = threading.Thread(target=feed, daemon=True)
        t.start()

    def recv(self, timeout):
        """The next message, "EOF" when the worker exited, or None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 8:
                n = struct.unpack("<Q", self.buf[:8])[0]
                if len(self.buf) >= 8 + n:
                    msg = pickle.loads(self.buf[8:8 + n])
                    self.buf = self.buf[8 + n:]
                    return msg
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                continue
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                return "EOF"
            self.buf += chunk

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()

    def stderr_tail(self, n=600):
        try:
            self.stderr.seek(0)
            data = self.stderr.read().decode(errors="replace")
        except OSError:
            return ""
        return data[-n:].strip()

    def close(self):
        for f in (self.proc.stdout, self.proc.stdin):
            try:
                f.close()
            except OSError:
                pass
        self.stderr.close()


def _signame(rc):
    if rc is None:
        return "?"
    if rc < 0:
        try:
            return signal.Signals(-rc).name
        except ValueError:
            return f"signal {-rc}"
    return f"exit status {rc}"


def run_batch(calls, cfg, python, timeout, ready_timeout=180.0, start_retries=4, retry_wait=30.0):
    """Outcomes of a batch: {index: {"ours": ..., "torch": ...}}, plus crash/hang events.

    Each event is (index, backend, "crash"|"hang", description)."""
    results, events, starts, start_failures = {}, [], 0, 0
    todo = list(calls)
    by_index = {c.index: c for c in calls}
    while todo:
        w = _Worker(cfg, python)
        starts += 1
        w.send_calls([c.worker_payload() for c in todo])
        current = None
        msg = w.recv(ready_timeout)
        if msg is None or msg == "EOF" or msg[0] != "ready":
            w.kill()
            tail = w.stderr_tail()
            w.close()
            start_failures += 1
            if start_failures > start_retries:
                raise RuntimeError(f"fuzz worker failed to start ({_signame(w.proc.returncode)}): {tail}")
            time.sleep(retry_wait)  # e.g. the extension being rebuilt under us: try again
            continue
        done_upto = None
        while True:
            msg = w.recv(timeout)
            if msg is None:  # hang
                w.kill()
                if current is not None:
                    events.append((current[0], current[1], "hang", f"no result after {timeout:.0f} s"))
                    done_upto = current[0]
                break
            if msg == "EOF":
                rc = w.proc.wait()
                if current is not None:
                    events.append((current[0], current[1], "crash", f"worker died: {_signame(rc)}; stderr: "
                                   f"{w.stderr_tail(400)}"))
                    done_upto = current[0]
                break
            if msg[0] == "start":
                current = (msg[1], msg[2])
            elif msg[0] == "done":
                results.setdefault(msg[1], {})[msg[2]] = msg[3]
                current = None
                done_upto = msg[1]
            elif msg[0] == "end":
                w.proc.wait()
                todo = []
                break
        w.close()
        if todo:
            if done_upto is None:
                todo = todo[1:]
            else:
                pos = [c.index for c in todo].index(done_upto)
                todo = todo[pos + 1:]
    del by_index
    return results, events, starts


def _outcome_str(res):
    if "setup_exc" in res:
        return "setup raised " + compare.exc_str(res["setup_exc"])
    if "exc" in res:
        return "raised " + compare.exc_str(res["exc"])
    o = res.get("out")
    if o and o[0] == "T":
        return f"returned {o[1]} tensor of shape {list(o[2])}: {o[3].ravel()[:6].tolist()}"
    return f"returned {o!r}"[:200]


def judge(call, res, events, use_torch):
    """Findings for one call from its outcomes and crash/hang events."""
    lib, oracle, refcrash = [], [], []
    for (_, backend, what, desc) in events:
        if backend == "ours":
            ref = res.get("torch")
            if ref is not None:
                desc += "; torch: " + _outcome_str(ref)
            lib.append(Finding(what, what, desc, call))
        else:
            refcrash.append(Finding("ref_crash", what, desc, call))
    if lib or refcrash:
        return lib, oracle, refcrash, False
    ours, ref = res.get("ours"), res.get("torch")
    if ours is None:
        return lib, oracle, refcrash, False
    expect = call.expected()
    if use_torch:
        if ref is None:
            return lib, oracle, refcrash, False
        shaped = ref
        if isinstance(expect, Shape) and "out" in ref and ref["out"][0] == "T":
            shaped = dict(ref, out=("SHAPE", ref["out"][1], ref["out"][2]))  # values unspecified (empty, random, UB)
        lib.extend(compare.judge_torch(call, ours, shaped))
        for f in compare.judge_numpy(call, ref, expect, category_override="oracle", check_grads=False):
            oracle.append(f)
        return lib, oracle, refcrash, True
    lib.extend(compare.judge_numpy(call, ours, expect))
    return lib, oracle, refcrash, expect is not None


def run(seed=0, calls=1000, start=0, use_torch=False, jobs=2, batch=200, timeout=20.0, python=None,
        families=None, threads=1, known=None, progress=None, mem_limit=8 << 30):
    """Generates calls start..start+calls-1 of `seed`, runs and judges them; returns a Report."""
    python = python or sys.executable
    t0 = time.monotonic()
    report = Report(seed=seed, use_torch=use_torch)
    cfg = {"torch": bool(use_torch), "threads": threads, "mem_limit": mem_limit}
    indices = list(range(start, start + calls))
    chunks = [indices[i:i + batch] for i in range(0, len(indices), batch)]
    lock = threading.Lock()
    it = iter(chunks)
    errors = []

    def worker_loop():
        while True:
            with lock:
                chunk = next(it, None)
            if chunk is None:
                return
            try:
                cs = [generate(seed, i, families) for i in chunk]
                results, events, starts = run_batch(cs, cfg, python, timeout)
            except Exception as e:  # noqa: BLE001 (report harness failures, do not hang)
                with lock:
                    errors.append(e)
                return
            ev = defaultdict(list)
            for e in events:
                ev[e[0]].append(e)
            judged = []
            for c in cs:
                try:
                    judged.append((c, judge(c, results.get(c.index, {}), ev.get(c.index, []), use_torch)))
                except Exception as e:  # noqa: BLE001 (a bug in the reference: visible, not fatal)
                    judged.append((c, ([], [Finding("oracle", f"reference error {type(e).__name__}", repr(e)[:300],
                                                    c)], [], False)))
            with lock:
                report.worker_starts += starts
                for c, (lib, orc, refc, compared) in judged:
                    report.calls += 1
                    report.per_family[c.family] += 1
                    if compared:
                        report.compared[c.family] += 1
                    report.grads_compared += bool(c.grad_checked)
                    report.findings.extend(lib)
                    report.oracle.extend(orc)
                    report.ref_crashes.extend(refc)
                if progress:
                    progress(report)

    threads_ = [threading.Thread(target=worker_loop, daemon=True) for _ in range(max(1, jobs))]
    for t in threads_:
        t.start()
    for t in threads_:
        t.join()
    if errors:
        raise errors[0]
    if known is not None:
        for f in report.findings:
            f.known = known(f)
    report.elapsed = time.monotonic() - t0
    return report


# ---------------------------------------------------------------- reporting
SEVERITY = {c: i for i, c in enumerate(compare.CATEGORIES + compare.EXTRA_CATEGORIES)}


def group(findings):
    """{(category, family, op, kind): [findings]} in severity order."""
    groups = defaultdict(list)
    for f in findings:
        groups[(f.category, f.family, f.op, f.kind)].append(f)
    return dict(sorted(groups.items(), key=lambda kv: (SEVERITY.get(kv[0][0], 99), -len(kv[1]), kv[0])))


def shortest(fs):
    return min(fs, key=lambda f: len(f.call.code()))


def format_report(report, max_groups=None, show_repro=True, show_allowed=False):
    lines = []
    fails = report.failures()
    mode = "torch" if report.use_torch else "numpy reference + error contract"
    lines.append(f"fuzz: seed {report.seed}, {report.calls} calls ({mode}), {report.elapsed:.1f} s, "
                 f"{report.worker_starts} worker processes; {sum(report.compared.values())} calls judged by the "
                 f"reference, gradients compared in {report.grads_compared}")
    counts = Counter(f.category for f in fails)
    allowed = Counter(f.category for f in report.allowed())
    lines.append("  " + ", ".join(f"{c}: {counts.get(c, 0)}" + (f" (+{allowed[c]} known)" if allowed.get(c) else "")
                                  for c in compare.CATEGORIES))
    if report.use_torch:
        lines.append(f"  oracle disagreements (numpy reference vs torch; fuzzer self-check): {len(report.oracle)}; "
                     f"torch crashes: {len(report.ref_crashes)}")
    lines.append("  by family (calls / with a reference verdict / failures by category):")
    fam_counts = defaultdict(Counter)
    for f in fails:
        fam_counts[f.family][f.category] += 1
    for fam in sorted(report.per_family):
        cats = ", ".join(f"{c} {n}" for c, n in sorted(fam_counts[fam].items(), key=lambda x: SEVERITY[x[0]]))
        lines.append(f"    {fam:12s} {report.per_family[fam]:6d} {report.compared[fam]:6d}  {cats}")
    if show_allowed:
        from . import known_differences
        used = Counter(id(f.known) for f in report.allowed())
        lines.append("  known_differences.py entries (matches in this run):")
        for k in known_differences.KNOWN:
            lines.append(f"    {used.get(id(k), 0):6d}  {'TODO' if k.todo else 'deliberate'}  {k.family}: {k.why[:90]}")
    sections = [("failures", fails)]
    if show_allowed:
        sections.append(("allowed by known_differences.py", report.allowed()))
    if report.use_torch and report.oracle:
        sections.append(("oracle disagreements (fix the fuzzer's reference)", report.oracle))
    if report.ref_crashes:
        sections.append(("torch crashed", report.ref_crashes))
    for title, fs in sections:
        if not fs:
            continue
        groups = group(fs)
        lines.append(f"\n=== {title}: {len(fs)} in {len(groups)} groups ===")
        for n, ((cat, fam, op, kind), gs) in enumerate(groups.items()):
            if max_groups is not None and n >= max_groups:
                lines.append(f"... {len(groups) - max_groups} more groups")
                break
            ex = shortest(gs)
            known = f"  [known: {ex.known.why[:70]}]" if ex.known is not None else ""
            lines.append(f"\n[{cat}] {fam}/{op}: {kind}  x{len(gs)}{known}")
            lines.append(f"  {ex.detail[:400]}")
            if show_repro:
                lines.append(f"  repro (seed {ex.call.seed}, index {ex.call.index}):")
                code = ex.call.code(with_grad=cat == "grad")
                lines.extend("    " + ln for ln in code.rstrip().splitlines())
    return "\n".join(lines)


def family_names():
    return list(FAMILIES)
