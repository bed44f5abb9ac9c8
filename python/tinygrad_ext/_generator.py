"""torch.Generator: an independent, seedable random stream for samplers, random_split and randperm.

    g = torch.Generator()
    g.manual_seed(0)
    torch.randperm(10, generator=g)
    DataLoader(ds, shuffle=True, generator=g)

NOTE: the C++ core has a single global Philox stream (seed, offset) and exposes no way to read or
restore its offset, so a Generator cannot borrow that stream and hand it back unchanged. A Generator
therefore owns a separate stream: a Mersenne Twister (Python's `random.Random`, the same algorithm as
torch's CPU generator), seeded by manual_seed. Consequences:
  * draws through a Generator never touch the global stream (torch.manual_seed is unaffected), and
    the global stream never touches a Generator;
  * get_state()/set_state() round-trip the stream exactly (a uint8 tensor that torch.save stores),
    which is what resuming a shuffled DataLoader needs;
  * the numbers differ from torch's for the same seed, and from what the global stream gives after
    torch.manual_seed(seed).
A Generator only produces integers (permutations, seeds, randint); rand/randn/normal with a
`generator=` argument still draw from the global stream.
"""
import builtins
import random

import numpy as np

from . import _dtype
from ._device import as_device
from .tensor import Tensor, from_numpy, tensor

_DEFAULT_SEED = 67280421310721  # torch's default CPU seed
_MT_WORDS = 625  # 624 state words + the position
_STATE_BYTES = 8 + 4 * _MT_WORDS


class Generator:
    """A random stream independent of the global one (see the module docstring)."""

    __slots__ = ("_device", "_rng", "_seed")

    def __init__(self, device="cpu"):
        self._device = as_device(device)
        self._rng = random.Random()
        self.manual_seed(_DEFAULT_SEED)

    @property
    def device(self):
        return self._device

    def manual_seed(self, seed):
        if isinstance(seed, builtins.bool) or not isinstance(seed, (builtins.int, np.integer)):
            raise TypeError(f"manual_seed expected an int, but got {type(seed).__name__}")
        seed = builtins.int(seed)
        if seed < -(1 << 63) or seed >= (1 << 64):
            raise RuntimeError(f"Overflow when unpacking long long: seed {seed} is not a 64-bit integer")
        self._seed = seed & 0xFFFFFFFFFFFFFFFF
        self._rng.seed(self._seed)
        return self

    def seed(self):
        """Seeds from a non-deterministic source and returns the seed (torch.Generator.seed)."""
        s = random.SystemRandom().getrandbits(63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The full stream state as a uint8 tensor (8 bytes of seed, then the Mersenne Twister words)."""
        _version, words, _ = self._rng.getstate()
        buf = np.empty(_STATE_BYTES, dtype=np.uint8)
        buf[:8] = np.frombuffer(np.array([self._seed], dtype="<u8").tobytes(), dtype=np.uint8)
        buf[8:] = np.frombuffer(np.array(words, dtype="<u4").tobytes(), dtype=np.uint8)
        return from_numpy(buf)

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor) or new_state.dtype is not _dtype.uint8:
            got = new_state.dtype if isinstance(new_state, Tensor) else type(new_state).__name__
            raise TypeError(f"Generator.set_state: expected a torch.ByteTensor (uint8) state, but got {got}")
        if new_state.numel() != _STATE_BYTES:
            raise RuntimeError(f"Generator.set_state: invalid state size {new_state.numel()}, expected "
                               f"{_STATE_BYTES} bytes (a state from Generator.get_state())")
        raw = np.ascontiguousarray(new_state.detach().cpu().numpy().reshape(-1)).tobytes()
        words = tuple(builtins.int(w) for w in np.frombuffer(raw[8:], dtype="<u4"))
        if words[-1] > 624:
            raise RuntimeError("Generator.set_state: corrupt state (Mersenne Twister position > 624)")
        self._rng.setstate((3, words, None))
        self._seed = builtins.int(np.frombuffer(raw[:8], dtype="<u8")[0])
        return self

    def __repr__(self):
        return f"<tinygrad_ext.Generator device={self._device} initial_seed={self._seed}>"

    # ---- draws (used by randperm, samplers, random_split and DataLoader worker seeds)
    def _permutation(self, n):
        """A uniformly random permutation of range(n) as a list of ints."""
        perm = list(builtins.range(n))
        self._rng.shuffle(perm)
        return perm

    def _randint(self, low, high, count):
        """`count` ints uniform in [low, high), as a list."""
        return [self._rng.randrange(low, high) for _ in builtins.range(count)]

    def _draw_seed(self):
        return self._rng.getrandbits(63)

    def _randperm(self, n):
        """torch.randperm(n, generator=self) on the CPU (int64)."""
        if n < 0:
            raise RuntimeError(f"randperm: n must be non-negative, got {n}")
        return tensor(self._permutation(n), dtype=_dtype.int64)
