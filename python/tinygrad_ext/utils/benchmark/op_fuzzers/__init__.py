"""torch.utils.benchmark.op_fuzzers: ready-made Fuzzers of elementwise-op inputs (`unary.UnaryOpFuzzer`,
`binary.BinaryOpFuzzer`): 1 to 3 dimensions, sizes from 16 to 16M (log-uniform, or a power of two with
probability 0.2), strided or permuted layouts, 4K to 32M elements."""
from .._fuzzer import FuzzedParameter, ParameterAlias

_MIN_DIM_SIZE = 16
_MAX_DIM_SIZE = 16 * 1024 ** 2
_POW_TWO_SIZES = tuple(2 ** i for i in range(4, 25))  # (16 .. 16M)
_STEPS = {1: 0.8, 2: 0.06, 4: 0.06, 8: 0.04, 16: 0.04}


def size_parameters():
    """dim, the sizes k0..k2 (with the k_any_i / k_pow2_i they take) and random_value."""
    return [
        FuzzedParameter("dim", distribution={1: 0.3, 2: 0.4, 3: 0.3}, strict=True),
        [FuzzedParameter(f"k_any_{i}", minval=_MIN_DIM_SIZE, maxval=_MAX_DIM_SIZE, distribution="loguniform")
         for i in range(3)],
        [FuzzedParameter(f"k_pow2_{i}", distribution={s: 1.0 / len(_POW_TWO_SIZES) for s in _POW_TWO_SIZES})
         for i in range(3)],
        [FuzzedParameter(f"k{i}", distribution={ParameterAlias(f"k_any_{i}"): 0.8, ParameterAlias(f"k_pow2_{i}"): 0.2},
                         strict=True) for i in range(3)],
        FuzzedParameter("random_value", minval=0, maxval=2 ** 32 - 1, distribution="uniform"),
    ]


def step_parameters(names):
    return [FuzzedParameter(f"{name}_step_{i}", distribution=dict(_STEPS)) for i in range(3) for name in names]
