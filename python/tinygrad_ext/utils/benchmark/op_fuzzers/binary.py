"""BinaryOpFuzzer: tensors `x` and `y`, y broadcasting along a dimension (size 1) with probability 0.2 each
(see op_fuzzers)."""
import tinygrad_ext as _torch

from .._fuzzer import FuzzedParameter, FuzzedTensor, Fuzzer, ParameterAlias
from . import size_parameters, step_parameters


class BinaryOpFuzzer(Fuzzer):
    def __init__(self, seed, dtype=_torch.float32, cuda=False):
        steps = ("x_step_0", "x_step_1", "x_step_2")  # (y is sliced with x's steps, as in torch)
        super().__init__(
            parameters=[*size_parameters(),
                        [FuzzedParameter(f"y_k{i}", distribution={ParameterAlias(f"k{i}"): 0.8, 1: 0.2}, strict=True)
                         for i in range(3)],
                        step_parameters(("x", "y"))],
            tensors=[FuzzedTensor("x", size=("k0", "k1", "k2"), steps=steps, probability_contiguous=0.75,
                                  min_elements=4 * 1024, max_elements=32 * 1024 ** 2,
                                  max_allocation_bytes=2 * 1024 ** 3, dim_parameter="dim", dtype=dtype, cuda=cuda),
                     FuzzedTensor("y", size=("y_k0", "y_k1", "y_k2"), steps=steps, probability_contiguous=0.75,
                                  max_allocation_bytes=2 * 1024 ** 3, dim_parameter="dim", dtype=dtype, cuda=cuda)],
            seed=seed)
