"""Command line: python -m tests.fuzz [--calls N] [--seed S] [--torch] ...

Prints a summary (calls, crashes, hangs, value / gradient / exception-type mismatches, by op family) and
one repro per distinct mismatch group. Exit status 1 when there are failures not in known_differences.py.
"""
import argparse
import os
import sys
import time

if __package__ in (None, ""):  # run as a script path: python tests/fuzz
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "fuzz"

from . import known_differences
from .gen import FAMILIES, generate
from .runner import format_report, run, torch_importable


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0, help="first call index")
    p.add_argument("--torch", action="store_true", help="compare against PyTorch (must be importable)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--batch", type=int, default=250, help="calls per worker process")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds before a call counts as a hang")
    p.add_argument("--threads", type=int, default=1, help="library threads in each worker (0: default)")
    p.add_argument("--family", action="append", choices=list(FAMILIES), help="only these op families")
    p.add_argument("--show", type=int, default=None, help="print a single call's repro (by index) and exit")
    p.add_argument("--max-groups", type=int, default=None)
    p.add_argument("--no-known", action="store_true", help="ignore known_differences.py")
    p.add_argument("--show-allowed", action="store_true", help="also list the allowed (known) groups")
    p.add_argument("--python", default=sys.executable, help="interpreter for the workers")
    a = p.parse_args(argv)
    if a.show is not None:
        c = generate(a.seed, a.show, a.family)
        print(f"# seed {a.seed} index {a.show}: {c.family}/{c.op} tags={sorted(c.tags)}")
        print(c.code())
        return 0
    if a.torch and not torch_importable(a.python):
        p.error(f"--torch: PyTorch is not importable by {a.python}")
    last = [0.0]

    def progress(r):
        now = time.monotonic()
        if now - last[0] > 10:
            last[0] = now
            print(f"  ... {r.calls}/{a.calls} calls, {len(r.findings)} findings", file=sys.stderr, flush=True)

    report = run(seed=a.seed, calls=a.calls, start=a.start, use_torch=a.torch, jobs=a.jobs, batch=a.batch,
                 timeout=a.timeout, python=a.python, families=a.family, threads=a.threads or None,
                 known=None if a.no_known else known_differences.match, progress=progress)
    print(format_report(report, max_groups=a.max_groups, show_allowed=a.show_allowed))
    return 1 if report.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
