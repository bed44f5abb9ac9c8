"""Classic tutorial programs ("What is torch.nn really?", DCGAN, FGSM, knowledge distillation, the DQN) that differed
from torch 2.13: gather and the scatter family check their arguments in torch's order and words (the index dtype,
not checked for an empty index; the src dtype; then, for a non-empty index, the ranks counting a 0-d tensor as 1-d,
self's sizes off dim, src's sizes, where a dim src lacks raises IndexError, and src's rank, before the size message,
which names src only when there is one); an empty index is not checked further; gather of a 1-d tensor with a 0-d
index; index_add/index_reduce/index_copy/index_fill/index_select each with torch's own dim wrapping, dtype and rank
checks; index_reduce's beta warning, once; torch.tensor's inference from numpy scalars nested at any depth (an
environment's np.float64 observations), and its TypeError for a 0-d array leading a list; torch.full's dtype for
numpy fill values and its message for a fill value that is no number. Expected values and messages written down
from torch."""
import warnings

import numpy as np
import pytest

import tinygrad_ext as torch


def _x():
    return torch.arange(6.).view(3, 2)


def _long(*size):
    return torch.zeros(*size, dtype=torch.long)


def _raises(fn, exc, msg):
    with pytest.raises(Exception) as e:
        fn()
    assert type(e.value) is exc or (exc is RuntimeError and isinstance(e.value, RuntimeError)), type(e.value)
    assert str(e.value) == msg


# ------------------------------------------------------------------------------ gather
@pytest.mark.parametrize("fn, exc, msg", [
    (lambda: _x().gather(1, torch.tensor([0, 1, 0])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda: _x().gather(1, _long(4, 1)), RuntimeError,
     "Size does not match at dimension 0 expected index [4, 1] to be no larger than self [3, 2] apart from "
     "dimension 1"),
    (lambda: _x().gather(-1, _long(4, 1)), RuntimeError,
     "Size does not match at dimension 0 expected index [4, 1] to be no larger than self [3, 2] apart from "
     "dimension 1"),
    (lambda: _x().gather(0, _long(3, 3)), RuntimeError,
     "Size does not match at dimension 1 expected index [3, 3] to be no larger than self [3, 2] apart from "
     "dimension 0"),
    (lambda: torch.tensor(3.).gather(0, _long(1, 1)), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda: _x().gather(1, torch.zeros(3, 1)), RuntimeError, "gather(): Expected dtype int32/int64 for index"),
    (lambda: _x().gather(1, torch.zeros(3, 1, dtype=torch.int16)), RuntimeError,
     "gather(): Expected dtype int32/int64 for index"),
    (lambda: _x().gather(1, torch.zeros(3, 1, dtype=torch.bool)), RuntimeError,
     "gather(): Expected dtype int32/int64 for index"),
    (lambda: _x().gather(1, torch.tensor([[0], [2], [0]])), RuntimeError,
     "index 2 is out of bounds for dimension 1 with size 2"),
    (lambda: torch.tensor(1.).gather(1, _long(1)), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
])
def test_gather_checks(fn, exc, msg):
    _raises(fn, exc, msg)


def test_gather_empty_index_and_0d_index():
    # an empty index is not checked (rank, sizes, dtype): the result is empty, of self's dtype
    for idx in (_long(0), _long(0, 1, 1), _long(5, 0), torch.zeros(0, 1)):
        r = _x().gather(1, idx)
        assert list(r.shape) == list(idx.shape) and r.dtype is torch.float32
    # a 0-d index counts as 1-d: a 1-d tensor gathers one element
    x = torch.arange(3., requires_grad=True)
    y = x.gather(0, torch.tensor(1))
    assert y.shape == () and y.item() == 1.0
    y.backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    assert torch.tensor(3.).gather(0, _long(2)).tolist() == [3.0, 3.0]


# ----------------------------------------------------------------------------- scatter
@pytest.mark.parametrize("fn, exc, msg", [
    (lambda: _x().scatter(1, torch.tensor([0, 1, 0]), 1.0), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda: _x().scatter(1, torch.tensor([0, 1, 0]), torch.ones(3)), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda: _x().scatter_add(1, torch.tensor([0, 1, 0]), torch.ones(3)), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda: _x().scatter_reduce(1, torch.tensor([0, 1, 0]), torch.ones(3), "sum"), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda: _x().clone().scatter_(1, _long(3), 2.0, reduce="add"), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda: _x().clone().scatter_add_(1, _long(3), torch.ones(3)), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda: torch.tensor(1.).scatter_add(0, _long(1, 1), torch.ones(1, 1)), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    # the checks come before the reduce argument's
    (lambda: torch.zeros(2, 3).scatter(1, torch.tensor([0]), 1.0, reduce="max"), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda: torch.zeros(2, 3).scatter_reduce(1, torch.tensor([0]), torch.ones(1), "max"), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    # a value: self's sizes alone
    (lambda: _x().scatter(1, _long(4, 1), 1.0), RuntimeError,
     "Expected index [4, 1] to be no larger than self [3, 2] apart from dimension 1"),
    (lambda: _x().scatter(-1, _long(4, 1), 1.0), RuntimeError,
     "Expected index [4, 1] to be no larger than self [3, 2] apart from dimension 1"),
    # a src: named as given (not cut to index's shape), 0-d as []
    (lambda: _x().scatter(1, _long(4, 1), torch.ones(4, 1)), RuntimeError,
     "Expected index [4, 1] to be no larger than self [3, 2] apart from dimension 1 and to be no larger size than "
     "src [4, 1]"),
    (lambda: _x().scatter(1, _long(4, 1), torch.ones(5, 2)), RuntimeError,
     "Expected index [4, 1] to be no larger than self [3, 2] apart from dimension 1 and to be no larger size than "
     "src [5, 2]"),
    (lambda: _x().scatter_add(0, _long(3, 3), torch.ones(3, 3)), RuntimeError,
     "Expected index [3, 3] to be no larger than self [3, 2] apart from dimension 0 and to be no larger size than "
     "src [3, 3]"),
    (lambda: _x().scatter(1, _long(3, 1), torch.ones(2, 2)), RuntimeError,
     "Expected index [3, 1] to be no larger than self [3, 2] apart from dimension 1 and to be no larger size than "
     "src [2, 2]"),
    (lambda: torch.arange(3.).scatter(0, _long(2), torch.tensor(1.)), RuntimeError,
     "Expected index [2] to be no larger than self [3] apart from dimension 0 and to be no larger size than src []"),
    (lambda: torch.arange(3.).scatter(0, torch.tensor(1), torch.ones(0)), RuntimeError,
     "Expected index [] to be no larger than self [3] apart from dimension 0 and to be no larger size than src [0]"),
    # src's sizes read on self's dims: a dim src lacks raises IndexError
    (lambda: _x().scatter(0, _long(2, 1), torch.ones(3)), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda: _x().scatter_add(1, _long(3, 1), torch.ones(3)), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda: _x().scatter_reduce(1, _long(3, 1), torch.ones(3), "amax"), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    # src's rank, before the size message and the bounds check
    (lambda: _x().scatter(1, _long(3, 1), torch.ones(2, 1, 1)), RuntimeError,
     "Index tensor must have the same number of dimensions as src tensor"),
    (lambda: _x().scatter(0, _long(2, 1), torch.ones(1)), RuntimeError,
     "Index tensor must have the same number of dimensions as src tensor"),
    (lambda: _x().scatter(1, _long(4, 1), torch.ones(2, 1, 1)), RuntimeError,
     "Index tensor must have the same number of dimensions as src tensor"),
    (lambda: _x().scatter(1, _long(4, 1), torch.ones(5)), RuntimeError,
     "Index tensor must have the same number of dimensions as src tensor"),
    (lambda: _x().scatter(1, _long(3, 1), torch.tensor(1.)), RuntimeError,
     "Index tensor must have the same number of dimensions as src tensor"),
    (lambda: _x().scatter_add(1, _long(3, 1), torch.ones(2, 1, 1)), RuntimeError,
     "Index tensor must have the same number of dimensions as src tensor"),
    (lambda: _x().scatter(0, torch.full((2, 1), 7), torch.ones(1, 1, 1)), RuntimeError,
     "Index tensor must have the same number of dimensions as src tensor"),
    # dtypes: the index's first (every variant says scatter())
    (lambda: _x().scatter_add(1, torch.zeros(3, 1), torch.ones(3, 1)), RuntimeError,
     "scatter(): Expected dtype int32/int64 for index"),
    (lambda: _x().scatter_reduce(1, torch.zeros(3, 1), torch.ones(3, 1), "sum"), RuntimeError,
     "scatter(): Expected dtype int32/int64 for index"),
    (lambda: _x().clone().scatter_(1, torch.zeros(3, 1), 2.0), RuntimeError,
     "scatter(): Expected dtype int32/int64 for index"),
    (lambda: _x().scatter(1, torch.zeros(3, 1), torch.ones(3, 1, dtype=torch.float64)), RuntimeError,
     "scatter(): Expected dtype int32/int64 for index"),
    (lambda: _x().scatter(1, _long(0, 1), torch.ones(3, 1, dtype=torch.float64)), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    (lambda: _x().scatter(1, torch.full((3, 1), 5), torch.ones(3, 1)), RuntimeError,
     "index 5 is out of bounds for dimension 1 with size 2"),
])
def test_scatter_checks(fn, exc, msg):
    _raises(fn, exc, msg)


def test_scatter_empty_index_and_0d():
    x = _x()
    # an empty index: nothing checked but the src dtype, self unchanged
    for fn in (lambda: x.scatter(1, _long(0), 1.0), lambda: x.scatter(1, _long(5, 0), torch.ones(1, 1)),
               lambda: x.scatter(0, _long(0, 1), torch.ones(3)), lambda: x.scatter(1, torch.zeros(0, 1), 1.0)):
        assert fn().tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    assert torch.arange(3.).scatter(0, _long(1), torch.tensor(7.)).tolist() == [7.0, 1.0, 2.0]
    assert torch.arange(3.).scatter(0, torch.tensor(1), torch.ones(1)).tolist() == [0.0, 1.0, 2.0]
    assert torch.arange(3.).scatter(0, torch.tensor(1), 9.).tolist() == [0.0, 9.0, 2.0]
    assert torch.tensor(1.).scatter(0, _long(2), torch.ones(2)).item() == 1.0
    assert torch.tensor(1.).scatter_add(0, _long(1), torch.ones(1)).item() == 2.0
    assert torch.zeros(5).scatter_(0, torch.tensor(3), value=1).tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]
    # the DQN tutorial's gather of the taken actions
    q = torch.arange(6.).view(3, 2)
    assert q.gather(1, torch.tensor([[0], [1], [0]])).tolist() == [[0.0], [3.0], [4.0]]


# ----------------------------------------------------------------------------- index_*
@pytest.mark.parametrize("fn, exc, msg", [
    (lambda: _x().index_add(0, _long(1, 1), torch.ones(1, 2)), IndexError,
     "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Long and size: [1, 1]"),
    (lambda: _x().clone().index_add_(0, torch.zeros(1, 1, dtype=torch.int32), torch.ones(1, 2)), IndexError,
     "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Int and size: [1, 1]"),
    (lambda: _x().index_add(0, _long(0, 1), torch.ones(0, 2)), IndexError,
     "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Long and size: [0, 1]"),
    (lambda: _x().index_add(0, torch.zeros(1, 1), torch.ones(1, 2)), IndexError,
     "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Float and size: [1, 1]"),
    (lambda: _x().index_add(0, torch.zeros(1), torch.ones(1, 2)), RuntimeError,
     "index_add_(): Expected dtype int32/int64 for index but got: Float"),
    (lambda: _x().index_add(0, torch.zeros(1, dtype=torch.int16), torch.ones(1, 2)), RuntimeError,
     "index_add_(): Expected dtype int32/int64 for index but got: Short"),
    (lambda: _x().index_add(0, torch.zeros(1, dtype=torch.bool), torch.ones(1, 2)), RuntimeError,
     "index_add_(): Expected dtype int32/int64 for index but got: Bool"),
    (lambda: _x().index_add(0, torch.zeros(1), torch.ones(1, 2, dtype=torch.float64)), RuntimeError,
     "index_add_(): Expected dtype int32/int64 for index but got: Float"),
    (lambda: _x().index_add(5, _long(1, 1), torch.ones(1, 2)), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    (lambda: _x().index_reduce(0, _long(1, 1), torch.ones(1, 2), "prod"), IndexError,
     "index_reduce_(): Index is supposed to be a vector, but got dim: 2 with type: Long and size: [1, 1]"),
    (lambda: _x().index_reduce(0, torch.zeros(1), torch.ones(1, 2), "prod"), RuntimeError,
     "index_reduce_(): Expected dtype int32/int64 for index but got: Float"),
    (lambda: _x().index_copy(0, _long(1, 1), torch.ones(1, 2)), IndexError,
     "index_copy_(): Index should have dimension 1 or 0 (got 2)"),
    (lambda: torch.tensor(1.).index_copy(0, _long(1, 1), torch.ones(1)), IndexError,
     "index_copy_(): Index should have dimension 1 or 0 (got 2)"),
    (lambda: _x().index_copy(0, torch.zeros(1, 1), torch.ones(1, 2)), IndexError,
     "index_copy_(): Index should have dimension 1 or 0 (got 2)"),
    (lambda: _x().index_copy(0, torch.zeros(1, dtype=torch.int32), torch.ones(1, 2)), RuntimeError,
     "index_copy_(): Expected a long tensor for index, but got Int"),
    (lambda: _x().index_copy(0, torch.zeros(1), torch.ones(1, 2)), RuntimeError,
     "index_copy_(): Expected a long tensor for index, but got Float"),
    (lambda: _x().index_copy(5, _long(1, 1), torch.ones(1, 2)), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    (lambda: _x().index_fill(0, _long(1, 1), 2.0), RuntimeError, "Index has to be a vector/scalar"),
    (lambda: _x().clone().index_fill_(0, _long(1, 1), 2.0), RuntimeError, "Index has to be a vector/scalar"),
    (lambda: _x().index_fill(0, torch.zeros(1, dtype=torch.int32), 2.0), IndexError,
     "index_fill_(): Expected dtype int64 for index."),
    (lambda: _x().index_fill(0, torch.zeros(1, 1), 2.0), IndexError, "index_fill_(): Expected dtype int64 for index."),
    (lambda: _x().index_fill(0, torch.zeros(1, dtype=torch.bool), 2.0), IndexError,
     "index_fill_(): Expected dtype int64 for index."),
    (lambda: _x().index_fill(0, _long(1, 1), torch.ones(2)), RuntimeError,
     "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s)."),
    (lambda: _x().index_fill(0, _long(1), torch.ones(2)), RuntimeError,
     "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s)."),
    (lambda: _x().index_fill(5, _long(1, 1), 2.0), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    (lambda: _x().index_select(0, _long(1, 1)), IndexError, "index_select(): Index is supposed to be a vector"),
    (lambda: _x().index_select(0, torch.zeros(1, 1)), IndexError, "index_select(): Index is supposed to be a vector"),
    (lambda: _x().index_select(0, torch.zeros(1)), RuntimeError,
     "index_select(): Expected dtype int32 or int64 for index"),
    (lambda: _x().index_select(7, torch.zeros(2, 2)), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 7)"),
])
def test_index_ops_checks(fn, exc, msg):
    _raises(fn, exc, msg)


def test_index_ops_values():
    assert _x().index_add(0, torch.tensor(1), torch.ones(1, 2)).tolist() == [[0.0, 1.0], [3.0, 4.0], [4.0, 5.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = _x().index_reduce(0, torch.zeros(1, dtype=torch.int32), torch.ones(1, 2), "prod")
    assert r.tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]


def test_index_reduce_beta_warning_once():
    import tinygrad_ext._scatter_ops as ops
    ops._WARNED_INDEX_REDUCE[0] = False
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        _x().index_reduce(0, torch.tensor([0]), torch.ones(1, 2), "prod")
        _x().index_reduce_(0, torch.tensor([0]), torch.ones(1, 2), "amax")
        torch.index_reduce(_x(), 0, torch.tensor([0]), torch.ones(1, 2), "mean")
    assert [(str(m.message), m.category) for m in w] == [
        ("index_reduce() is in beta and the API may change at any time.", UserWarning)]
    assert w[0].filename == __file__


_D = torch.float64


@pytest.mark.parametrize("fn, exc, msg", [
    # index_add / index_reduce: the source's dtype, dim, count of slices, shape; then the range
    (lambda: _x().index_add(0, torch.tensor([5]), torch.ones(1, 3)), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = [3, 2] "
     "source.shape = [1, 3]"),
    (lambda: _x().index_add(0, torch.tensor([5]), torch.ones(1, 2, dtype=_D)), RuntimeError,
     "index_add_(): self (Float) and source (Double) must have the same scalar type"),
    (lambda: _x().index_add(0, torch.tensor([0, 1]), torch.ones(1, 2, dtype=_D)), RuntimeError,
     "index_add_(): self (Float) and source (Double) must have the same scalar type"),
    (lambda: torch.zeros(2, dtype=torch.bfloat16).index_add(0, torch.tensor([0]), torch.ones(1, dtype=torch.bool)),
     RuntimeError, "index_add_(): self (BFloat16) and source (Bool) must have the same scalar type"),
    (lambda: _x().index_add(1, torch.tensor([0]), torch.ones(3)), RuntimeError,
     "index_add_(): Indexing dim 1 is out of bounds of the source tensor with dim 1"),
    (lambda: _x().index_add(1, torch.tensor([0, 1]), torch.tensor(1.)), RuntimeError,
     "index_add_(): Indexing dim 1 is out of bounds of the source tensor with dim 0"),
    (lambda: _x().index_add(0, torch.tensor([0, 1]), torch.ones(1, 3)), RuntimeError,
     "index_add_(): Number of indices (2) should be equal to source.size(dim): (1), for dim: 0"),
    (lambda: torch.zeros(3).index_add(0, torch.tensor([0, 1]), torch.ones(1, 2)), RuntimeError,
     "index_add_(): Number of indices (2) should be equal to source.size(dim): (1), for dim: 0"),
    (lambda: torch.zeros(3).index_add(0, torch.tensor([0, 1]), torch.tensor(5.)), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    (lambda: torch.zeros(3).index_add(0, torch.tensor([0, 1]), torch.ones(2, 1)), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = [3] "
     "source.shape = [2, 1]"),
    (lambda: torch.zeros(3).index_add(0, torch.tensor(1), torch.tensor(5.)), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = [3] "
     "source.shape = []"),
    (lambda: torch.tensor(1.).index_add(0, torch.tensor([0]), torch.ones(1)), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = [] "
     "source.shape = [1]"),
    (lambda: _x().index_add(0, torch.tensor([0]), torch.ones(1, 2, 1)), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = [3, 2] "
     "source.shape = [1, 2, 1]"),
    (lambda: torch.zeros(2, 3, 4).index_add(1, torch.tensor([0]), torch.ones(2, 2, 4)), RuntimeError,
     "index_add_(): Number of indices (1) should be equal to source.size(dim): (2), for dim: 1"),
    (lambda: _x().index_reduce(0, torch.tensor([5]), torch.ones(1, 2, dtype=_D), "prod"), RuntimeError,
     "index_reduce_(): self (Float) and source (Double) must have the same scalar type"),
    (lambda: _x().index_reduce(0, torch.tensor([5]), torch.ones(1, 3), "prod"), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = [3, 2] "
     "source.shape = [1, 3]"),
    (lambda: _x().index_reduce(1, torch.tensor([0]), torch.ones(3), "prod"), RuntimeError,
     "index_reduce_(): Indexing dim 1 is out of bounds of the source tensor with dim 1"),
    (lambda: torch.zeros(3).index_reduce(0, torch.tensor([0, 1]), torch.tensor(1.), "prod"), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    (lambda: torch.zeros(3).index_reduce(0, torch.tensor([0, 1]), torch.ones(2, 1), "prod"), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = [3] "
     "source.shape = [2, 1]"),
    (lambda: _x().index_reduce(0, torch.tensor([5]), torch.ones(1, 2), "prod"), IndexError,
     "index out of range in self"),
    # index_copy: a scalar source's one index, the dimensionalities, the index dtype, the source dtype, the slice
    # shapes (torch's words: source's "at dimension 0"), the count of slices; then the range
    (lambda: torch.zeros(3).index_copy(0, torch.tensor([0, 1]), torch.tensor(5.)), IndexError,
     "index_copy_(): When source is scalar, index should have one element (got 2)"),
    (lambda: _x().index_copy(0, torch.zeros(2), torch.tensor(1.)), IndexError,
     "index_copy_(): When source is scalar, index should have one element (got 2)"),
    (lambda: torch.zeros(3).index_copy(0, torch.tensor([0, 1]), torch.ones(2, 1)), IndexError,
     "index_copy_(): When source and destination are not scalars, their dimensionality must match. Source "
     "dimensionality (2), destination dimensionality (1)"),
    (lambda: _x().index_copy(0, torch.zeros(1), torch.ones(2)), IndexError,
     "index_copy_(): When source and destination are not scalars, their dimensionality must match. Source "
     "dimensionality (1), destination dimensionality (2)"),
    (lambda: _x().index_copy(0, torch.zeros(1), torch.ones(1, 2, dtype=_D)), RuntimeError,
     "index_copy_(): Expected a long tensor for index, but got Float"),
    (lambda: _x().index_copy(0, torch.tensor([0, 1]), torch.ones(1, 2, dtype=_D)), RuntimeError,
     "index_copy_(): self and source expected to have the same dtype, but got (self) Float and (source) Double"),
    (lambda: torch.zeros(2, dtype=torch.float16).index_copy(0, torch.tensor([0]), torch.ones(1, dtype=torch.uint8)),
     RuntimeError, "index_copy_(): self and source expected to have the same dtype, but got (self) Half and (source) "
                   "Byte"),
    (lambda: _x().index_copy(0, torch.tensor([5]), torch.ones(1, 3)), RuntimeError,
     "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: 2 at dimension 0 "
     "and source slice shape: 3 at dimension 0."),
    (lambda: torch.zeros(2, 3, 4).index_copy(1, torch.tensor([0]), torch.ones(2, 2, 5)), RuntimeError,
     "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: 2 4 at "
     "dimension 1 and source slice shape: 2 5 at dimension 0."),
    (lambda: _x().index_copy(0, torch.tensor([0]), torch.tensor(1.)), RuntimeError,
     "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: 2 at dimension 0 "
     "and source slice shape:  at dimension 0."),
    (lambda: torch.tensor(1.).index_copy(0, torch.tensor([0]), torch.ones(1, 2)), RuntimeError,
     "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape:  at dimension 0 "
     "and source slice shape: 2 at dimension 0."),
    (lambda: torch.zeros(2, 3, 4).index_copy(1, torch.tensor([0]), torch.ones(2, 2, 4)), IndexError,
     "index_copy_(): Number of indices (1) should be equal to source.size(dim) (2)"),
    (lambda: _x().index_copy(0, torch.tensor([-1]), torch.ones(1, 2)), IndexError,
     "index_copy_(): index -1 is out of bounds for dimension 0 with size 3"),
])
def test_index_ops_source_checks(fn, exc, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises(fn, exc, msg)


def test_index_ops_0d_and_value_dtypes():
    t = torch.tensor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert t(1.).index_copy(0, t([0]), t(4.)).item() == 4.0
        assert t(1.).index_copy(0, t(0), t(3.)).item() == 3.0
        assert t(1.).index_copy(0, t([0, 0]), t([2., 5.])).item() == 5.0
        assert t(1.).index_copy(0, t([0]), torch.ones(1)).item() == 1.0
        assert t(1.).index_fill(0, t([0]), 3.).item() == 3.0
        assert t(1.).index_fill(0, t(0), t(3)).item() == 3.0
        assert t(1.).index_add(0, t(0), t(3.)).item() == 4.0
        assert t(2.).index_reduce(0, t([0]), t(3.), "prod").item() == 6.0
        assert t(1.).index_reduce(0, t(0), t(3.), "amax").item() == 3.0
        assert torch.zeros(3).index_copy(0, t([1]), t(5.)).tolist() == [0.0, 5.0, 0.0]
        # index_fill's 0-d value tensor of another dtype is cast (and stays differentiable)
        assert _x().index_fill(0, t([0]), t(7)).tolist() == [[7.0, 7.0], [2.0, 3.0], [4.0, 5.0]]
        assert _x().index_fill(0, t([0]), t(True)).tolist() == [[1.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
        assert _x().index_fill(1, t([1]), t(2.5, dtype=_D)).tolist() == [[0.0, 2.5], [2.0, 2.5], [4.0, 2.5]]
        r = torch.zeros(2, dtype=torch.long).index_fill(0, t([0]), t(7.9))
        assert r.dtype is torch.int64 and r.tolist() == [7, 0]
        assert _x().clone().index_fill_(0, t([1]), t(3)).tolist() == [[0.0, 1.0], [3.0, 3.0], [4.0, 5.0]]
        v = t(2.5, requires_grad=True)
        y = _x().index_fill(0, t([2]), v)
        (y * _x()).sum().backward()
        assert v.grad.item() == 9.0
        a, b = t(1., requires_grad=True), t(3., requires_grad=True)
        r = a.index_reduce(0, t([0]), b, "prod")
        r.backward()
        assert (r.item(), a.grad.item(), b.grad.item()) == (3.0, 3.0, 1.0)


# ------------------------------------------------------------------------- numpy scalars in torch.tensor / full
@pytest.mark.parametrize("data, dtype", [
    ([[np.float64(1.0), 2.0], [3.0, 4.0]], torch.float64),
    ([[np.float32(1), 2.5], [np.float64(3), 4]], torch.float64),
    ([[np.float16(1)], [np.int64(1)]], torch.float16),
    ([[np.int32(1), 2], [3, 4]], torch.int64),
    ([[1, 2], [np.int16(3), np.int8(4)]], torch.int64),
    ([[np.uint8(200)], [1]], torch.int64),
    ([[np.bool_(True)], [False]], torch.bool),
    ([[np.float32(1.0)], [np.nan]], torch.float32),
    ([[1, 2], np.array([3., 4.], dtype=np.float32)], torch.float32),
    ([np.array([1, 2], dtype=np.int32), [3, 4]], torch.int64),
    ([np.float64(1.0)], torch.float64),
    ([1, np.float32(2.0)], torch.float32),
    ([np.int32(3), 2.5], torch.float32),
    ([1.0, np.array(2.0)], torch.float64),
])
def test_tensor_infers_from_nested_numpy_scalars(data, dtype):
    t = torch.tensor(data)
    assert t.dtype is dtype
    assert torch.tensor(data, dtype=torch.float32).dtype is torch.float32


def test_tensor_of_leading_0d_array_raises():
    for data in ([np.array(1.0)], [[np.array(1.0)], 2], [np.array(1.0), np.array(2.0)]):
        _raises(lambda: torch.tensor(data), TypeError, "len() of unsized object")
    assert torch.tensor([np.array([[1.0]]), np.array([[2.0]])]).shape == (2, 1, 1)


@pytest.mark.parametrize("fill, dtype, values", [
    (np.int64(2), torch.int64, [2, 2]), (np.int32(2), torch.int64, [2, 2]), (np.uint8(2), torch.int64, [2, 2]),
    (np.bool_(True), torch.float32, [1.0, 1.0]), (np.float64(2), torch.float32, [2.0, 2.0]),
    (np.float16(2), torch.float32, [2.0, 2.0]),
])
def test_full_numpy_fill_values(fill, dtype, values):
    t = torch.full((2,), fill)
    assert t.dtype is dtype and t.tolist() == values


@pytest.mark.parametrize("fill, name", [(np.array(2), "numpy.ndarray"), (np.array(2.5), "numpy.ndarray"),
                                        ("a", "str"), (None, "NoneType"), ([1], "list")])
def test_full_fill_value_must_be_number(fill, name):
    _raises(lambda: torch.full((2,), fill), TypeError, f"full(): argument 'fill_value' (position 2) must be Number, "
                                                       f"not {name}")
    _raises(lambda: torch.full((2,), fill, dtype=torch.float32), TypeError,
            f"full(): argument 'fill_value' (position 2) must be Number, not {name}")


# ------------------------------------------------------------------------ in-place nodes' names (DCGAN's LeakyReLU)
@pytest.mark.parametrize("fn, name", [
    (lambda u: torch.nn.functional.leaky_relu_(u, 0.1), "LeakyReluBackward1"),
    (lambda u: torch.nn.LeakyReLU(0.2, inplace=True)(u), "LeakyReluBackward1"),
    (lambda u: torch.nn.functional.leaky_relu(u, 0.2), "LeakyReluBackward0"),
    (lambda u: torch.nn.functional.elu_(u, 0.5), "EluBackward1"),
    (lambda u: torch.nn.ELU(inplace=True)(u), "EluBackward1"),
    (lambda u: torch.nn.functional.selu_(u), "EluBackward1"), (lambda u: torch.nn.SELU(True)(u), "EluBackward1"),
    (lambda u: torch.nn.functional.elu(u), "EluBackward0"),
    (lambda u: torch.nn.functional.celu_(u, 2.0), "CeluBackward1"),
    (lambda u: torch.nn.CELU(inplace=True)(u), "CeluBackward1"),
    (lambda u: torch.nn.functional.celu(u), "CeluBackward0"),
    (lambda u: torch.nn.functional.threshold_(u, 0.1, 2.0), "ThresholdBackward1"),
    (lambda u: torch.nn.Threshold(0.1, 2.0, True)(u), "ThresholdBackward1"),
    (lambda u: torch.nn.functional.threshold(u, 0.1, 2.0), "ThresholdBackward0"),
    (lambda u: torch.nn.functional.rrelu_(u), "RreluWithNoiseBackward1"),
    (lambda u: torch.nn.functional.rrelu_(u, training=True), "RreluWithNoiseBackward1"),
    (lambda u: torch.nn.RReLU(inplace=True)(u), "RreluWithNoiseBackward1"),
    (lambda u: torch.nn.functional.rrelu(u, training=True), "RreluWithNoiseBackward0"),
    (lambda u: torch.nn.functional.dropout(u, 0.3, inplace=True), "MulBackward0"),
    (lambda u: torch.nn.Dropout(0.3, inplace=True)(u), "MulBackward0"),
    (lambda u: torch.nn.functional.dropout(u, 1.0, inplace=True), "MulBackward0"),
    (lambda u: u.sgn(), "SgnBackward0"), (lambda u: torch.sgn(u), "SgnBackward0"), (lambda u: u.sgn_(), "SgnBackward0"),
    (lambda u: u.index_fill(0, torch.tensor([1]), 0.), "IndexFillBackward0"),
    (lambda u: u.index_fill_(1, torch.tensor([1]), 0.), "IndexFillBackward0"),
    (lambda u: u.index_fill(0, torch.tensor([1]), torch.tensor(2.)), "IndexFillBackward1"),
    (lambda u: u.index_copy(0, torch.tensor([1]), torch.ones(1, 6)), "IndexCopyBackward0"),
    (lambda u: u.index_copy_(0, torch.tensor([1]), torch.ones(1, 6)), "IndexCopyBackward0"),
    (lambda u: u.masked_scatter(u > 0, torch.ones(4, 6)), "MaskedScatterBackward0"),
    (lambda u: u.masked_scatter_(u > 0, torch.ones(4, 6)), "MaskedScatterBackward0"),
])
def test_node_names(fn, name):
    torch.manual_seed(0)
    v = torch.randn(4, 6, requires_grad=True)
    u = v.clone()
    r = fn(u)
    assert r.grad_fn.name() == name
    r.sum().backward()  # (the renamed nodes still differentiate)
    assert v.grad.shape == (4, 6)


def test_inplace_activation_values_and_views():
    torch.manual_seed(0)
    v = torch.randn(4, 6, requires_grad=True)
    u = v.clone()
    torch.nn.functional.leaky_relu_(u[:2], 0.5)  # a view: its base takes the history, as torch's
    assert u.grad_fn.name() == "torch::autograd::CopySlices" and u[:2].grad_fn is not None
    u.sum().backward()
    assert v.grad[:2].tolist() == torch.where(v[:2] > 0, 1.0, 0.5).tolist() and v.grad[2:].eq(1).all()
    x = v.detach().clone()
    torch.nn.functional.leaky_relu_(x, 0.5)  # no autograd: no node
    assert x.grad_fn is None and x.tolist() == torch.nn.functional.leaky_relu(v.detach(), 0.5).tolist()


# ------------------------------------------------------------------------------------- losses' checks and dtypes
_L = torch.long


def _t(dtype, *values):
    return torch.tensor(values, dtype=dtype)


@pytest.mark.parametrize("fn, exc, msg", [
    # BCELoss checks each element's input, then its target (DCGAN's labels must be in [0, 1])
    (lambda: torch.nn.BCELoss()(torch.rand(3), torch.tensor([0., 2., 1.])), RuntimeError,
     "all elements of target should be between 0 and 1"),
    (lambda: torch.nn.BCELoss()(torch.tensor([0.5, 0.5]), torch.tensor([-0.1, 0.5])), RuntimeError,
     "all elements of target should be between 0 and 1"),
    (lambda: torch.nn.BCELoss()(torch.tensor([0.5]), torch.tensor([float("nan")])), RuntimeError,
     "all elements of target should be between 0 and 1"),
    (lambda: torch.nn.BCELoss()(torch.tensor([1.5, 0.5]), torch.tensor([2., 0.5])), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda: torch.nn.BCELoss()(torch.tensor([0.5, 1.5]), torch.tensor([2., 0.5])), RuntimeError,
     "all elements of target should be between 0 and 1"),
    (lambda: torch.nn.BCELoss()(torch.tensor([1.5, 0.5]), torch.tensor([0.5, 2.])), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda: torch.nn.functional.binary_cross_entropy(torch.tensor([0.5], requires_grad=True), torch.tensor([1.5])),
     RuntimeError, "all elements of target should be between 0 and 1"),
    (lambda: torch.nn.functional.binary_cross_entropy(_t(torch.int32, 1, 0), _t(torch.int32, 1, 1)),
     NotImplementedError, "\"binary_cross_entropy\" not implemented for 'Int'"),
    (lambda: torch.nn.functional.binary_cross_entropy(_t(_L, 1, 0), _t(_L, 1, 1), reduction="sum"),
     NotImplementedError, "\"binary_cross_entropy\" not implemented for 'Long'"),
    # SmoothL1Loss (the DQN's), HuberLoss: floating types only, in the promoted dtype
    (lambda: torch.nn.SmoothL1Loss()(_t(_L, 1, 0), _t(_L, 1, 1)), NotImplementedError,
     "\"smooth_l1_cpu\" not implemented for 'Long'"),
    (lambda: torch.nn.functional.smooth_l1_loss(_t(torch.int32, 1, 0), _t(torch.int32, 1, 1)), NotImplementedError,
     "\"smooth_l1_cpu\" not implemented for 'Int'"),
    (lambda: torch.nn.functional.smooth_l1_loss(_t(torch.bool, 1, 0), _t(_L, 1, 1)), NotImplementedError,
     "\"smooth_l1_cpu\" not implemented for 'Long'"),
    (lambda: torch.nn.functional.smooth_l1_loss(_t(torch.bool, 1, 0), _t(torch.bool, 1, 1)), NotImplementedError,
     "\"smooth_l1_cpu\" not implemented for 'Bool'"),
    (lambda: torch.nn.functional.huber_loss(_t(_L, 1, 0), _t(torch.float32, 1, 1)), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    (lambda: torch.nn.functional.huber_loss(_t(torch.bool, 1, 0), _t(_L, 1, 1)), RuntimeError,
     "result type Long can't be cast to the desired output type Bool"),
    (lambda: torch.nn.functional.huber_loss(_t(_L, 1, 0), _t(torch.int32, 1, 1)), NotImplementedError,
     "\"huber_cpu\" not implemented for 'Long'"),
    (lambda: torch.nn.functional.huber_loss(_t(torch.int32, 1, 0), _t(torch.int32, 1, 1)), NotImplementedError,
     "\"huber_cpu\" not implemented for 'Int'"),
    # kl_div (knowledge distillation's KLDivLoss): no integral operand
    (lambda: torch.nn.functional.kl_div(_t(torch.float32, 1, 0), _t(_L, 1, 1), reduction="batchmean"), RuntimeError,
     "kl_div: Integral inputs not supported."),
    (lambda: torch.nn.KLDivLoss(reduction="sum")(_t(_L, 1, 0), _t(torch.float32, 1, 1)), RuntimeError,
     "kl_div: Integral inputs not supported."),
    (lambda: torch.nn.functional.kl_div(_t(torch.float32, 1, 0), _t(torch.bool, 1, 1), reduction="sum"),
     RuntimeError, "kl_div: Integral inputs not supported."),
    # binary_cross_entropy_with_logits: a floating input
    (lambda: torch.nn.functional.binary_cross_entropy_with_logits(_t(_L, 1, 0), _t(torch.float32, 1, 1)),
     NotImplementedError, "\"log_sigmoid_cpu\" not implemented for 'Long'"),
    (lambda: torch.nn.functional.binary_cross_entropy_with_logits(_t(_L, 1, 0), _t(torch.bool, 1, 1)),
     NotImplementedError, "\"log_sigmoid_cpu\" not implemented for 'Long'"),
    (lambda: torch.nn.functional.binary_cross_entropy_with_logits(_t(torch.bool, 1, 0), _t(torch.float32, 1, 1)),
     NotImplementedError, "\"log_sigmoid_cpu\" not implemented for 'Bool'"),
    # soft_margin_loss: of input's dtype
    (lambda: torch.nn.functional.soft_margin_loss(_t(_L, 1, 0), _t(torch.float32, 1, 1)), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    (lambda: torch.nn.functional.soft_margin_loss(_t(_L, 1, 0), _t(torch.bool, 1, 1)), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    (lambda: torch.nn.functional.soft_margin_loss(_t(torch.int32, 1, 0), _t(torch.int32, 1, 1)), RuntimeError,
     "result type Float can't be cast to the desired output type Int"),
    (lambda: torch.nn.functional.soft_margin_loss(_t(torch.bool, 1, 0), _t(_L, 1, 1)), RuntimeError,
     "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` "
     "or `logical_not()` operator instead."),
    # clip_grad_value_ of parameters without gradients (torch 2.13's grouping of an empty list)
    (lambda: torch.nn.utils.clip_grad_value_([torch.nn.Parameter(torch.rand(2))], 1), RuntimeError,
     "Expected !nested_tensorlist[0].empty() to be true, but got false.  (Could this error message be improved?  If "
     "so, please report an enhancement request to PyTorch.)"),
    (lambda: torch.nn.utils.clip_grad_value_([], 1, foreach=False), RuntimeError,
     "Expected !nested_tensorlist[0].empty() to be true, but got false.  (Could this error message be improved?  If "
     "so, please report an enhancement request to PyTorch.)"),
])
def test_loss_checks(fn, exc, msg):
    _raises(fn, exc, msg)


def test_loss_dtypes():
    f32, f64, f16 = torch.float32, torch.float64, torch.float16
    F = torch.nn.functional
    # smooth_l1: a float and a long or bool operand promote
    for a, b in ((_t(f32, 1, 0), _t(_L, 1, 1)), (_t(_L, 1, 0), _t(f32, 1, 1)), (_t(f32, 1, 0), _t(torch.bool, 1, 1)),
                 (_t(torch.bool, 1, 0), _t(f32, 1, 1))):
        r = F.smooth_l1_loss(a, b)
        assert r.dtype is f32 and r.item() == 0.25
    assert F.smooth_l1_loss(_t(f32, 1, 0), _t(f64, 1, 1)).dtype is f64
    # huber: input's dtype
    for a, b, dt in ((_t(f32, 1, 0), _t(f64, 1, 1), f32), (_t(f64, 1, 0), _t(f32, 1, 1), f64),
                     (_t(f16, 1, 0), _t(f32, 1, 1), f16), (_t(f32, 1, 0), _t(torch.bool, 1, 1), f32),
                     (_t(f32, 1, 0), _t(_L, 1, 1), f32)):
        r = F.huber_loss(a, b)
        assert r.dtype is dt and r.item() == 0.25
    # soft_margin: input's dtype
    r = F.soft_margin_loss(_t(f32, 1, 0), _t(f64, 1, 1))
    assert r.dtype is f32 and abs(r.item() - 0.5032) < 1e-4
    r = F.soft_margin_loss(_t(f16, 1, 0), _t(f32, 1, 1))
    assert r.dtype is f16 and r.item() == 0.50341796875
    assert F.soft_margin_loss(_t(f32, 1, 0), _t(torch.bool, 1, 1)).dtype is f32
    # a parameter with a gradient beside one without: only the gradient clipped
    a, b = torch.nn.Parameter(torch.rand(2)), torch.nn.Parameter(torch.rand(2))
    a.grad = torch.tensor([5., -5.])
    torch.nn.utils.clip_grad_value_([a, b], 1)
    assert a.grad.tolist() == [1.0, -1.0] and b.grad is None


# ------------------------------------------- an in-place op's node keeps self: writing it again fails the backward
@pytest.mark.parametrize("op, name", [
    (lambda y: y.relu_(), "Relu"), (lambda y: torch.nn.functional.leaky_relu_(y, 0.2), "LeakyRelu1"),
    (lambda y: torch.nn.LeakyReLU(0.2, inplace=True)(y), "LeakyRelu1"),
    (lambda y: torch.nn.functional.elu_(y), "Elu1"), (lambda y: torch.nn.functional.selu_(y), "Elu1"),
    (lambda y: torch.nn.functional.celu_(y), "Celu1"), (lambda y: y.sigmoid_(), "Sigmoid"),
    (lambda y: y.tanh_(), "Tanh"), (lambda y: torch.nn.functional.rrelu_(y), "RreluWithNoise1"),
    (lambda y: y.exp_(), "Exp"), (lambda y: y.sqrt_(), "Sqrt"), (lambda y: y.reciprocal_(), "Reciprocal"),
])
def test_inplace_result_modified_again(op, name):
    torch.manual_seed(0)
    x = torch.rand(3, 4, requires_grad=True)
    y = x * 1
    op(y)
    z = y * 3
    y.add_(1)
    _raises(lambda: z.sum().backward(), RuntimeError,
            f"one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"[torch.FloatTensor [3, 4]], which is output 0 of {name}, is at version 2; expected version 1 instead. "
            "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False).")


@pytest.mark.parametrize("op", [
    lambda y: torch.nn.functional.hardtanh_(y), lambda y: torch.nn.functional.silu(y, inplace=True),
    lambda y: torch.nn.functional.threshold_(y, 0.1, 2.0), lambda y: torch.nn.functional.dropout(y, 0.5, inplace=True),
    lambda y: y.mul_(2), lambda y: y.clamp_(0.2, 0.8), lambda y: y.abs_(),
])
def test_inplace_input_saving_ops_allow_a_later_write(op):
    torch.manual_seed(0)
    x = torch.rand(3, 4, requires_grad=True)
    y = x * 1
    op(y)
    z = y * 3
    y.add_(1)
    z.sum().backward()
    assert x.grad.shape == (3, 4)


def test_version_error_names_a_numbered_node():
    x = torch.rand(3, requires_grad=True)
    y = 2 ** (x * 1)
    z = y * 3
    y.add_(1)
    with pytest.raises(RuntimeError) as e:
        z.sum().backward()
    assert "which is output 0 of Pow2, is at version 1; expected version 0 instead." in str(e.value)


def test_rrelu_eval_is_leaky_relu_of_the_mean_slope():
    torch.manual_seed(0)
    v = torch.randn(4, 6, requires_grad=True)
    r = torch.nn.functional.rrelu(v.clone())
    assert r.grad_fn.name() == "RreluWithNoiseBackward0"
    assert [n[0].name() for n in r.grad_fn.next_functions] == ["CloneBackward0"]
    assert torch.equal(r, torch.nn.functional.leaky_relu(v, (1 / 8 + 1 / 3) / 2))
    r.sum().backward()
    assert v.grad.tolist() == torch.where(v > 0, 1.0, (1 / 8 + 1 / 3) / 2).tolist()


def test_hinge_and_margin_ranking_dtypes():
    F = torch.nn.functional
    r = F.hinge_embedding_loss(torch.tensor([1, 0, 3]), torch.tensor([1, -1, -1]), margin=1.5, reduction="none")
    assert r.dtype is torch.int64 and r.tolist() == [1, 1, 0]
    r = F.hinge_embedding_loss(torch.tensor([1, 0, 3]), torch.tensor([1, -1, -1]), reduction="sum")
    assert r.dtype is torch.int64 and r.item() == 2
    r = F.hinge_embedding_loss(torch.tensor([1., 0., 3.]), torch.tensor([1., -1., -1.], dtype=torch.float64),
                               reduction="none")
    assert r.dtype is torch.float32 and r.tolist() == [1.0, 1.0, 0.0]
    _raises(lambda: F.hinge_embedding_loss(torch.tensor([1, 0, 3]), torch.tensor([1, -1, -1])), RuntimeError,
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            "Got: Long")
    _raises(lambda: F.hinge_embedding_loss(torch.tensor([True, False]), torch.tensor([1., -1.])), RuntimeError,
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
            "operator instead.")
    # margin_ranking_loss: torch's margin is a double, so integer inputs give a float loss
    r = F.margin_ranking_loss(torch.tensor([1, 0]), torch.tensor([1, 1]), torch.tensor([1, -1]), margin=1)
    assert r.dtype is torch.float32 and r.item() == 0.5
    r = F.margin_ranking_loss(torch.tensor([1, 0]), torch.tensor([1, 1]), torch.tensor([1, -1]), reduction="none")
    assert r.dtype is torch.float32 and r.tolist() == [0.0, 0.0]
    _raises(lambda: F.margin_ranking_loss(torch.tensor([True]), torch.tensor([False]), torch.tensor([True])),
            RuntimeError, "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                          "`logical_xor()` operator instead.")
    a = torch.randn(5, requires_grad=True)
    r = F.margin_ranking_loss(a, torch.zeros(5), torch.ones(5), reduction="none")
    assert r.grad_fn.name() == "ClampMinBackward0"
