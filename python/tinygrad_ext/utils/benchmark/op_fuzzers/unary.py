"""UnaryOpFuzzer: one tensor `x` (see op_fuzzers)."""
import tinygrad_ext as _torch

from .._fuzzer import FuzzedTensor, Fuzzer
from . import size_parameters, step_parameters


class UnaryOpFuzzer(Fuzzer):
    def __init__(self, seed, dtype=_torch.float32, cuda=False):
        super().__init__(
            parameters=[*size_parameters(), step_parameters(("x",))],
            tensors=[FuzzedTensor("x", size=("k0", "k1", "k2"), steps=("x_step_0", "x_step_1", "x_step_2"),
                                  probability_contiguous=0.75, min_elements=4 * 1024, max_elements=32 * 1024 ** 2,
                                  max_allocation_bytes=2 * 1024 ** 3, dim_parameter="dim", dtype=dtype, cuda=cuda)],
            seed=seed)
