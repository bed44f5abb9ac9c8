"""Differential fuzzer for tinygrad_ext: random calls over the op families, judged against PyTorch when it
is importable and otherwise against a float64/exact-integer numpy reference plus the error contract
(/work/shared/RELIABILITY.md). Calls run in subprocess batches, so crashes and hangs are reported with a
standalone repro. See __main__.py for the command line and tests/test_fuzz.py for the bounded run.
"""
from .gen import generate
from .runner import format_report, run, torch_importable
