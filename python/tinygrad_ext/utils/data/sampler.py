"""Samplers: which indices a DataLoader reads, in which order, grouped into batches.

Randomness comes from the library's generators: with generator=None the global stream
(torch.manual_seed makes the order reproducible), otherwise the given torch.Generator.
"""
import numbers
from typing import Generic, TypeVar

from ... import _dtype
from ..._generator import Generator
from ..._sampling_ops import multinomial
from ...tensor import as_tensor, empty, randint, randperm

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler"]


def _check_generator(generator):
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"generator must be a torch.Generator or None, but got {type(generator).__name__}")


def _permutation(n, generator=None):
    """A random permutation of range(n) as a list (torch.randperm on the generator's stream, or the global one)."""
    return randperm(n, generator=generator).tolist()


def _draw_seed(generator=None):
    """One non-negative seed drawn from the generator (or from the global stream), as torch draws it: an int64
    random_()."""
    return int(empty((), dtype=_dtype.int64).random_(generator=generator).item())


def _is_positive_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0


_T_co = TypeVar("_T_co", covariant=True)


class Sampler(Generic[_T_co]):  # (generic, as torch's: Sampler[int])
    """Base class: an iterable over dataset indices (or batches of them), optionally with a length."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices, or `num_samples` draws with replacement."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        _check_generator(generator)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not _is_positive_int(self.num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        """torch's draws: without a generator, one of its own seeded from the global stream; with replacement,
        randint in blocks of 32."""
        n = len(self.data_source)
        generator = self.generator or Generator().manual_seed(_draw_seed())
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from randint(0, n, (32,), generator=generator).tolist()
            yield from randint(0, n, (self.num_samples % 32,), generator=generator).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from _permutation(n, generator)
        yield from _permutation(n, generator)[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order."""

    def __init__(self, indices, generator=None):
        _check_generator(generator)
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _permutation(len(self.indices), self.generator):
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of `batch_size` (the last one shorter unless drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        # NOTE: bools are ints in Python; torch rejects batch_size=True, so do we.
        if not _is_positive_int(batch_size):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size


class WeightedRandomSampler(Sampler):
    """Indices 0..len(weights)-1, each drawn with probability weights[i] / sum(weights) (with replacement by
    default; without it, num_samples <= len(weights) distinct indices), from `generator`'s stream (None: the global
    one)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not _is_positive_int(num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        _check_generator(generator)
        weights_tensor = as_tensor(weights, dtype=_dtype.float64)
        if weights_tensor.dim() != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        yield from multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator).tolist()

    def __len__(self):
        return self.num_samples
