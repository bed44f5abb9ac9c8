"""torch.Generator and torch.default_generator: seedable random streams.

    g = torch.Generator().manual_seed(0)
    torch.randn(3, generator=g)
    DataLoader(ds, shuffle=True, generator=g)

The core draws every random number (rand, randn, randint, randperm, normal_, uniform_, random_, bernoulli_,
multinomial, dropout, ...) from one Philox stream, a (seed, offset) pair. default_generator is that global
stream. A Generator is a pair of its own: a draw with `generator=g` runs the same kernels with g's pair swapped
into the core (`drawing_from(g)`), keeps the advanced pair and puts the global one back. So, as in torch:
  * torch.manual_seed(s) then torch.randn(3) equals torch.randn(3, generator=torch.Generator().manual_seed(s));
  * draws through a Generator never move the global stream, nor the other way round;
  * get_state()/set_state() (and torch.get_rng_state()/set_rng_state()) round-trip the stream as a uint8
    tensor: 16 bytes, the seed and the offset (torch's CPU state is a uint8 tensor of another size: states do
    not move between the two libraries).
The numbers differ from torch's for the same seed (another algorithm).
NOTE: the swap is not atomic: while one thread draws through a Generator, another thread's draw from the
global stream may land on the Generator's stream.
"""
import builtins
import contextlib
import random

import numpy as np

from . import _C, _dtype
from ._device import CPU, as_device
from ._tensor_base import Tensor, _wrap

_DEFAULT_SEED = 67280421310721  # torch's default CPU seed
_STATE_BYTES = 16               # seed, offset: two little-endian uint64
_MASK = (1 << 64) - 1


def _check_seed(seed):
    if isinstance(seed, builtins.bool) or not isinstance(seed, (builtins.int, np.integer)) \
            and not hasattr(seed, "__index__"):
        raise TypeError(f"manual_seed expected an int, but got {type(seed).__name__}")
    seed = seed.__index__()
    if seed < -(1 << 63) or seed > _MASK:
        raise RuntimeError(f"Overflow when unpacking long long: seed {seed} is not a 64-bit integer")
    return seed & _MASK


def _state_tensor(seed, offset):
    raw = seed.to_bytes(8, "little") + offset.to_bytes(8, "little")
    return _wrap(_C.from_numpy(np.frombuffer(raw, dtype=np.uint8).copy()))


def _state_pair(new_state, fn):
    """(seed, offset) from a state tensor, with torch's errors for anything else."""
    if not isinstance(new_state, Tensor) or new_state.dtype is not _dtype.uint8:
        got = new_state.dtype if isinstance(new_state, Tensor) else type(new_state).__name__
        raise TypeError(f"{fn}: expected a torch.ByteTensor (uint8) state, but got {got}")
    if new_state.numel() != _STATE_BYTES:
        raise RuntimeError(f"{fn}: Expected either a THGeneratorState of size {_STATE_BYTES} (seed and offset, "
                           f"from get_state() / torch.get_rng_state()) but found the input RNG state size to be "
                           f"{new_state.numel()}")
    raw = bytes(new_state.detach().cpu().reshape(-1).tolist())
    return builtins.int.from_bytes(raw[:8], "little"), builtins.int.from_bytes(raw[8:], "little")


class Generator:
    """A random stream (see the module docstring). default_generator is the one instance that stands for the
    core's global stream (`_global`): its state lives in the core, not in the instance."""

    __slots__ = ("_device", "_seed", "_offset", "_global")

    def __init__(self, device="cpu"):
        self._device, self._global = as_device(device), False
        self.manual_seed(_DEFAULT_SEED)

    @property
    def device(self):
        return self._device

    def manual_seed(self, seed):
        seed = _check_seed(seed)
        if self._global:
            _C.manual_seed(seed)
        else:
            self._seed, self._offset = seed, 0
        return self

    def seed(self):
        """Seeds from a non-deterministic source and returns the seed (torch.Generator.seed)."""
        s = random.SystemRandom().getrandbits(63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return _C.initial_seed() if self._global else self._seed

    def get_state(self):
        return _state_tensor(*(_C.get_rng_state() if self._global else (self._seed, self._offset)))

    def set_state(self, new_state):
        if self._global:
            _C.set_rng_state(*_state_pair(new_state, "set_rng_state"))
        else:
            self._seed, self._offset = _state_pair(new_state, "Generator.set_state")
        return self

    def __repr__(self):
        return f"<torch._C.Generator object at {id(self):#x}>"


default_generator = Generator.__new__(Generator)
default_generator._device, default_generator._global = CPU, True


@contextlib.contextmanager
def _swapped_in(generator):
    saved = _C.get_rng_state()
    _C.set_rng_state(generator._seed, generator._offset)
    try:
        yield
    finally:
        generator._seed, generator._offset = _C.get_rng_state()
        _C.set_rng_state(*saved)


def drawing_from(generator):
    """A context in which the core's draws come from `generator` (None: the global stream)."""
    if generator is None:
        return contextlib.nullcontext()
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a torch.Generator or None, but got {type(generator).__name__}")
    return contextlib.nullcontext() if generator._global else _swapped_in(generator)
