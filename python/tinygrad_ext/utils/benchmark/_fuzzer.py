"""torch.utils.benchmark's Fuzzer: random benchmark inputs (sizes drawn from distributions, tensors made with those
sizes, contiguous or not, strided or not), reproducible from a seed."""
import itertools
import math
import random

import tinygrad_ext as _torch

__all__ = ["FuzzedParameter", "FuzzedTensor", "Fuzzer", "ParameterAlias"]

_DISTRIBUTIONS = ("loguniform", "uniform")
_MAX_ATTEMPTS = 1000  # draws of one set of parameters before giving up


class FuzzedParameter:
    """A named value drawn from "uniform" or "loguniform" between minval and maxval (inclusive; integers when both
    bounds are), or from a dict {value: probability}; strict parameters are drawn once per set, not redrawn when a
    set is rejected."""

    def __init__(self, name, minval=None, maxval=None, distribution=None, strict=False):
        self.name, self._minval, self._maxval, self.strict = name, minval, maxval, strict
        if isinstance(distribution, dict):
            if any(p < 0 for p in distribution.values()):
                raise AssertionError("Probabilities cannot be negative")
            if abs(sum(distribution.values()) - 1) > 1e-5:
                raise AssertionError("Distribution is not normalized")
            if minval is not None or maxval is not None:
                raise AssertionError("When passing a custom distribution, 'minval' and 'maxval' must be None")
        elif distribution not in _DISTRIBUTIONS:
            raise AssertionError(f"Unknown distribution: {distribution}")
        self._distribution = distribution

    def sample(self, state):
        d = self._distribution
        if isinstance(d, dict):
            return state.choices(list(d), weights=list(d.values()))[0]
        if d == "loguniform":
            value = int(2 ** state.uniform(math.log2(self._minval), math.log2(self._maxval)))
            return min(max(value, self._minval), self._maxval)
        if isinstance(self._minval, int) and isinstance(self._maxval, int):
            return state.randint(self._minval, self._maxval)
        return state.uniform(self._minval, self._maxval)


class ParameterAlias:
    """A value of a custom distribution that takes another parameter's value (chains allowed, no cycles)."""

    def __init__(self, alias_to):
        self.alias_to = alias_to

    def __repr__(self):
        return f"ParameterAlias[alias_to: {self.alias_to}]"


def _dtype_size(dtype):
    return _torch.empty(0, dtype=dtype).element_size()


class FuzzedTensor:
    """A tensor of the drawn `size` (names are parameters, ints literal), allocated `steps` times larger and sliced
    with those steps, made non-contiguous (a permuted layout) with probability 1 - probability_contiguous; a set
    of parameters is rejected when the tensor would have fewer than min_elements or more than max_elements
    elements or need more than max_allocation_bytes."""

    def __init__(self, name, size, steps=None, probability_contiguous=0.5, min_elements=None, max_elements=None,
                 max_allocation_bytes=None, dim_parameter=None, roll_parameter=None, dtype=_torch.float32,
                 cuda=False, tensor_constructor=None):
        self.name, self._size, self._steps = name, size, steps
        self._probability_contiguous = probability_contiguous
        self._min_elements, self._max_elements = min_elements, max_elements
        self._max_allocation_bytes, self._dim_parameter = max_allocation_bytes, dim_parameter
        self._dtype, self._cuda = dtype, cuda
        self._tensor_constructor = tensor_constructor or FuzzedTensor.default_tensor_constructor

    @staticmethod
    def default_tensor_constructor(size, dtype, **kwargs):
        if dtype.is_floating_point or dtype.is_complex:
            return _torch.rand(tuple(size), dtype=dtype, device="cpu")
        return _torch.randint(1, 127, tuple(size), dtype=dtype, device="cpu")

    def _size_and_steps(self, params):
        dim = params[self._dim_parameter] if self._dim_parameter is not None else len(self._size)

        def resolve(values):
            values = tuple(params.get(v, v) for v in values)[:dim]
            return values + (1,) * (dim - len(values))
        size, steps = resolve(self._size), resolve(self._steps or ())
        return size, steps, tuple(n * s for n, s in zip(size, steps))

    def satisfies_constraints(self, params):
        size, _, allocation = self._size_and_steps(params)
        numel = math.prod(size)
        nbytes = math.prod(allocation) * _dtype_size(self._dtype)
        return not ((self._max_elements is not None and numel > self._max_elements) or
                    (self._min_elements is not None and numel < self._min_elements) or
                    (self._max_allocation_bytes is not None and nbytes > self._max_allocation_bytes))

    def _make_tensor(self, params, state):
        size, steps, allocation = self._size_and_steps(params)
        raw = self._tensor_constructor(size=allocation, dtype=self._dtype, **params)
        if self._cuda:
            raw = raw.cuda()
        dim = len(size)
        order = list(range(dim))
        if dim > 1 and state.random() > self._probability_contiguous:
            while order == list(range(dim)):
                state.shuffle(order)
            inverse = sorted(range(dim), key=order.__getitem__)
            raw = raw.permute(*order).contiguous().permute(*inverse)
        tensor = raw[tuple(slice(0, n * s, s) for n, s in zip(size, steps))]
        return tensor, {"numel": int(tensor.numel()), "order": order, "steps": steps,
                        "is_contiguous": tensor.is_contiguous(), "dtype": str(self._dtype)}


def _unpack(values, cls):
    out = tuple(itertools.chain.from_iterable(v if isinstance(v, (list, tuple)) else [v] for v in values))
    for v in out:
        if not isinstance(v, cls):
            raise TypeError(f"Fuzzer: expected {cls.__name__} values, got {type(v).__name__}")
    return out


class Fuzzer:
    """`take(n)` yields n (tensors, tensor_properties, params) triples: params drawn until every constraint (called
    with the dict of params) and every tensor accepts them (at most 1000 draws), then the tensors made from them."""

    def __init__(self, parameters, tensors, constraints=None, seed=None):
        self._seed = random.randrange(2 ** 32 - 1) if seed is None else seed
        self._parameters = _unpack(parameters, FuzzedParameter)
        self._tensors = _unpack(tensors, FuzzedTensor)
        self._constraints = constraints or ()
        overlap = {p.name for p in self._parameters} & {t.name for t in self._tensors}
        if overlap:
            raise ValueError(f"Duplicate names in parameters and tensors: {overlap}")
        self._rejections = self._total_generated = 0

    def take(self, n):
        state = random.Random(self._seed)
        _torch.manual_seed(state.randrange(2 ** 63))
        for _ in range(n):
            params = self._generate(state)
            tensors, properties = {}, {}
            for t in self._tensors:
                tensors[t.name], properties[t.name] = t._make_tensor(params, state)
            yield tensors, properties, params

    @property
    def rejection_rate(self):
        return self._rejections / self._total_generated if self._total_generated else 0.0

    def _generate(self, state):
        strict = {p.name: p.sample(state) for p in self._parameters if p.strict}
        for _ in range(_MAX_ATTEMPTS):
            params = {p.name: strict[p.name] if p.strict else p.sample(state) for p in self._parameters}
            for name in params:
                value, seen = params[name], {name}
                while isinstance(value, ParameterAlias):
                    if value.alias_to in seen:
                        raise ValueError(f"Fuzzer: the aliases of parameter {name!r} form a cycle")
                    seen.add(value.alias_to)
                    value = params[value.alias_to]
                params[name] = value
            self._total_generated += 1
            if all(c(params) for c in self._constraints) and all(t.satisfies_constraints(params)
                                                                 for t in self._tensors):
                return params
            self._rejections += 1
        raise ValueError("Failed to generate a set of valid parameters.")
