"""torch.random: the global random streams (the CPU generator, torch's numbers, and the CUDA tensors' stream;
torch.manual_seed seeds both, see _generator.py) and fork_rng."""
import contextlib
import secrets

from . import _C
from ._generator import Generator, _check_seed, default_generator, global_states, restore_global_states

__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed",
           "set_rng_state"]


def manual_seed(seed):
    """Seeds the global random streams (CPU and CUDA) with int(seed); returns torch.default_generator."""
    _C.manual_seed(_check_seed(int(seed)))
    return default_generator


def seed():
    """Seeds the global streams from the operating system's entropy; returns the seed."""
    s = secrets.randbits(63)
    _C.manual_seed(s)
    return s


def initial_seed():
    return _C.initial_seed()


def get_rng_state():
    """The global CPU generator's state: a uint8 tensor in torch's layout (5056 bytes; see _generator.py)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Inside the block, draws do not move the global streams: their states (CPU and CUDA) are restored on exit."""
    if not enabled:
        yield
        return
    states = global_states()
    try:
        yield
    finally:
        restore_global_states(states)
