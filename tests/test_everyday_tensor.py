"""Everyday tensor code as PyTorch users write it: creation from Python data, printing, indexing, autograd idioms.
Each case pins a behaviour torch 2.x has that tinygrad_ext once lacked (found by running users' snippets under
both libraries)."""
import numpy as np
import pytest

import tinygrad_ext as torch


# ---------------------------------------------------------------- creation from Python data


@pytest.mark.parametrize("data, name", [(None, "NoneType"), ({1: 2}, "dict"), ((i for i in range(2)), "generator"),
                                        (object(), "object"), ([1, None], "NoneType"), ([[1, 2], [3, None]], "NoneType"),
                                        ([object()], "object"), ({1}, "set")])
def test_tensor_of_uninferable_data_is_runtime_error_naming_the_item_type(data, name):
    with pytest.raises(RuntimeError, match=f"^Could not infer dtype of {name}$"):
        torch.tensor(data)


def test_tensor_of_int_beyond_int64_still_overflows():
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        torch.tensor([2 ** 70])


def test_set_default_dtype_to_an_integer_type_is_torchs_type_error():
    with pytest.raises(TypeError, match="^only floating-point types are supported as the default type$"):
        torch.set_default_dtype(torch.int32)
    assert torch.get_default_dtype() is torch.float32
