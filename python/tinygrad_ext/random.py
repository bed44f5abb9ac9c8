"""torch.random: the global random stream (the one torch.manual_seed seeds; every device draws from it here,
see _generator.py) and fork_rng."""
import contextlib
import secrets

from . import _C
from ._generator import Generator, default_generator

__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed",
           "set_rng_state"]


def manual_seed(seed):
    """Seeds the global random stream; returns torch.default_generator."""
    return default_generator.manual_seed(seed)


def seed():
    """Seeds the global stream from the operating system's entropy; returns the seed."""
    s = secrets.randbits(63)
    _C.manual_seed(s)
    return s


def initial_seed():
    return _C.initial_seed()


def get_rng_state():
    """The global stream's state: a uint8 tensor (16 bytes: seed and offset; see _generator.py)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Inside the block, draws do not move the global stream: its state is restored on exit. One stream serves
    every device here, so `devices` and `device_type` need nothing more."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
