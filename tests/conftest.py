"""Shared fixtures: the `device` parametrization and the `cuda` marker.

Every test that takes a `device` argument runs once per device: 'cpu' always, 'cuda' as a
case marked `cuda` that is skipped (with the reason CUDA is not usable) when no GPU is usable.
Tests marked `@pytest.mark.cuda` directly are skipped the same way, and the run ends with one
line saying how many were skipped and why.

TG_REQUIRE_CUDA=1 turns those skips into failures: on a GPU machine a broken set-up (a driver
older than the CUDA runtime, a build without CUDA or without this GPU's architecture) must not
look green.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # `import oracle` from any test module

import tinygrad_ext as torch
from oracle import CUDA_AVAILABLE, DEVICES, device_params  # noqa: F401

REQUIRE_CUDA = os.environ.get("TG_REQUIRE_CUDA", "") not in ("", "0")


def _cuda_problem():
    """None when the CUDA tests can run; else why not."""
    if not CUDA_AVAILABLE:
        return torch.cuda.unavailable_reason() or "CUDA not available"
    if not REQUIRE_CUDA:
        return None  # the tests themselves will show any failure
    try:  # a visible GPU must also run a kernel (e.g. the build has code for its architecture)
        x = torch.ones(4, device="cuda")
        got = (x + x).sum().item()
    except Exception as e:  # noqa: BLE001 - any failure means no usable GPU
        return f"a GPU is visible but running a kernel on it failed: {type(e).__name__}: {e}"
    if got != 8.0:
        return f"a GPU is visible but 2 * ones(4) summed to {got} on it instead of 8"
    return None


CUDA_PROBLEM = _cuda_problem()
_NO_CUDA_REASON = f"CUDA not available: {CUDA_PROBLEM}" if CUDA_PROBLEM else ""
_skipped_cuda = 0


def pytest_report_header(config):
    if CUDA_PROBLEM:
        return [f"tinygrad_ext CUDA: not usable ({CUDA_PROBLEM})" +
                ("; TG_REQUIRE_CUDA=1: CUDA tests fail" if REQUIRE_CUDA else "; CUDA tests skip")]
    return [f"tinygrad_ext CUDA: {torch.cuda.device_count()} GPU(s), {torch.cuda.get_device_name(0)}"]


def pytest_collection_modifyitems(config, items):
    if CUDA_PROBLEM is None or REQUIRE_CUDA:
        return
    skip = pytest.mark.skip(reason=_NO_CUDA_REASON)
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


def pytest_collection_finish(session):
    global _skipped_cuda  # counted after -m/-k deselection
    if CUDA_PROBLEM is not None and not REQUIRE_CUDA:
        _skipped_cuda = sum(item.get_closest_marker("cuda") is not None for item in session.items)


def pytest_runtest_setup(item):
    if CUDA_PROBLEM and REQUIRE_CUDA and item.get_closest_marker("cuda") is not None:
        pytest.fail(f"TG_REQUIRE_CUDA=1 but no usable GPU: {CUDA_PROBLEM}", pytrace=False)


def pytest_terminal_summary(terminalreporter):
    if CUDA_PROBLEM and REQUIRE_CUDA:
        terminalreporter.write_line(f"TG_REQUIRE_CUDA=1: the CUDA test cases fail, no usable GPU: {CUDA_PROBLEM}")
    if _skipped_cuda:
        terminalreporter.write_line(f"{_skipped_cuda} CUDA test cases skipped: {_NO_CUDA_REASON} "
                                    "(TG_REQUIRE_CUDA=1 makes this a failure)")


@pytest.fixture(params=device_params())
def device(request):
    """'cpu', and 'cuda' when a GPU is present (the cuda case is skipped otherwise)."""
    return request.param


@pytest.fixture
def seeded():
    """Seeds tinygrad_ext's generator; returns the seed."""
    torch.manual_seed(1234)
    return 1234
