"""torch.Generator and torch.default_generator: seedable random streams.

    g = torch.Generator().manual_seed(0)
    torch.randn(3, generator=g)
    DataLoader(ds, shuffle=True, generator=g)

CPU tensors draw from torch's CPU generator, re-implemented in the core (csrc/core/generator.h): a Mersenne
Twister with torch's draws per distribution, so torch.manual_seed(s) gives torch's numbers, and a state in torch's
layout (a 5056-byte uint8 tensor: torch.get_rng_state() of either library loads into the other). CUDA tensors
draw from a Philox stream, a (seed, offset) pair (a 16-byte state, as torch.cuda's; its numbers are not torch's).
default_generator is the core's global CPU generator. A Generator of its own keeps a state: a draw with
`generator=g` runs the same kernels with g's state swapped into the core (`drawing_from(g)`), keeps the advanced
state and puts the global one back. So, as in torch:
  * torch.manual_seed(s) then torch.randn(3) equals torch.randn(3, generator=torch.Generator().manual_seed(s));
  * draws through a Generator never move the global stream, nor the other way round;
  * get_state()/set_state() (and torch.get_rng_state()/set_rng_state()) round-trip the stream as a uint8 tensor.
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
_CPU_STATE_BYTES = 5056  # torch's CPUGeneratorImplState (torch 2.13 refuses the legacy 5048-byte THGeneratorState)
_CUDA_STATE_BYTES = 16           # seed, offset: two little-endian uint64
_MASK = (1 << 64) - 1


def _check_seed(seed):
    """Generator.manual_seed's seed as torch's binding takes it: a Python int (not bool) from -2**63 to 2**64 - 1,
    as 64 bits. (torch.manual_seed first makes its argument int(seed).)"""
    if isinstance(seed, np.integer):
        raise TypeError("an integer is required")  # (torch's check passes numpy integers, its unpacking does not)
    if isinstance(seed, builtins.bool) or not isinstance(seed, builtins.int):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    if seed < -(1 << 63) or seed > _MASK:
        raise ValueError("Overflow when unpacking long long")
    return seed & _MASK


def _as_tensor(raw):
    return _wrap(_C.from_numpy(np.frombuffer(raw, dtype=np.uint8).copy()))


def _state_bytes(new_state, fn, size):
    """The bytes of a state tensor of `size` bytes, with torch's errors for anything else."""
    if not isinstance(new_state, Tensor):
        raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
    if new_state.dtype is not _dtype.uint8:
        raise TypeError("RNG state must be a torch.ByteTensor")
    if new_state.numel() != size:
        if size == _CPU_STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {size} but found the input RNG state size "
                               f"to be {new_state.numel()}")
        raise RuntimeError(f"{fn}: Expected a generator state of size {size} (from get_state() / "
                           f"torch.get_rng_state()) but found the input RNG state size to be {new_state.numel()}")
    return bytes(new_state.detach().cpu().reshape(-1).tolist())


def _cuda_pair(raw):
    return builtins.int.from_bytes(raw[:8], "little"), builtins.int.from_bytes(raw[8:], "little")


def _cuda_bytes(seed, offset):
    return seed.to_bytes(8, "little") + offset.to_bytes(8, "little")


class Generator:
    """A random stream (see the module docstring). default_generator is the one instance that stands for the
    core's global CPU generator (`_global`): its state lives in the core, not in the instance. `_state`: a CPU
    generator's state bytes, or a CUDA one's (seed, offset)."""

    __slots__ = ("_device", "_state", "_global")

    def __init__(self, device="cpu"):
        self._device, self._global = as_device(device), False
        self.manual_seed(_DEFAULT_SEED)

    @property
    def device(self):
        return self._device

    def manual_seed(self, seed):
        seed = _check_seed(seed)
        if self._global:
            _C.set_rng_state(_C.seeded_rng_state(seed))
        elif self._device.type == "cuda":
            self._state = (seed, 0)
        else:
            self._state = _C.seeded_rng_state(seed)
        return self

    def seed(self):
        """Seeds from a non-deterministic source and returns the seed (torch.Generator.seed)."""
        s = random.SystemRandom().getrandbits(63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        if self._global:
            return _C.initial_seed()
        if self._device.type == "cuda":
            return self._state[0]
        return builtins.int.from_bytes(self._state[:8], "little")

    def get_state(self):
        if self._device.type == "cuda":
            return _as_tensor(_cuda_bytes(*self._state))
        return _as_tensor(_C.get_rng_state() if self._global else self._state)

    def set_state(self, new_state):
        if self._device.type == "cuda":
            self._state = _cuda_pair(_state_bytes(new_state, "Generator.set_state", _CUDA_STATE_BYTES))
        elif self._global:
            _C.set_rng_state(_state_bytes(new_state, "set_rng_state", _CPU_STATE_BYTES))
        else:
            raw = _state_bytes(new_state, "Generator.set_state", _CPU_STATE_BYTES)
            saved = _C.get_rng_state()
            try:
                _C.set_rng_state(raw)  # (the core checks the position it holds)
                self._state = _C.get_rng_state()
            finally:
                _C.set_rng_state(saved)
        return self

    def __repr__(self):
        return f"<torch._C.Generator object at {id(self):#x}>"


default_generator = Generator.__new__(Generator)
default_generator._device, default_generator._global = CPU, True


def global_states():
    """Every global stream's state (the CPU generator's and the CUDA one's), for restore_global_states."""
    return _C.get_rng_state(), _C.get_cuda_rng_state()


def restore_global_states(states):
    cpu, cuda = states
    _C.set_rng_state(cpu)
    _C.set_cuda_rng_state(*cuda)


@contextlib.contextmanager
def _swapped_in(generator):
    if generator._device.type == "cuda":
        get, put, state = _C.get_cuda_rng_state, (lambda s: _C.set_cuda_rng_state(*s)), generator._state
    else:
        get, put, state = _C.get_rng_state, _C.set_rng_state, generator._state
    saved = get()
    put(state)
    try:
        yield
    finally:
        generator._state = get()
        put(saved)


def drawing_from(generator):
    """A context in which the core's draws come from `generator` (None: the global stream)."""
    if generator is None:
        return contextlib.nullcontext()
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a torch.Generator or None, but got {type(generator).__name__}")
    return contextlib.nullcontext() if generator._global else _swapped_in(generator)
