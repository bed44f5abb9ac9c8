"""WeightedRandomSampler: num_samples indices drawn by torch.multinomial with the given weights."""
from ... import _dtype
from ..._sampling_ops import multinomial
from ...tensor import as_tensor
from .sampler import Sampler, _check_generator, _is_positive_int


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
