"""Shared fixtures: the `device` parametrization and the `cuda` marker.

Every test that takes a `device` argument runs once per device: 'cpu' always, 'cuda' as a
case marked `cuda` that is skipped (cleanly, with a reason) when no GPU is usable. Tests marked
`@pytest.mark.cuda` directly are skipped the same way.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # `import oracle` from any test module

import tinygrad_ext as torch
from oracle import CUDA_AVAILABLE, DEVICES, device_params  # noqa: F401

_NO_CUDA_REASON = ("CUDA not available (tinygrad_ext built without CUDA or no GPU)"
                   if not CUDA_AVAILABLE else "")


def pytest_collection_modifyitems(config, items):
    if CUDA_AVAILABLE:
        return
    skip = pytest.mark.skip(reason=_NO_CUDA_REASON)
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@pytest.fixture(params=device_params())
def device(request):
    """'cpu', and 'cuda' when a GPU is present (the cuda case is skipped otherwise)."""
    return request.param


@pytest.fixture
def seeded():
    """Seeds tinygrad_ext's generator; returns the seed."""
    torch.manual_seed(1234)
    return 1234
