"""The registry's MULTI_VIEWS rows (unbind, split, split_with_sizes: torch's multi-output view ops): the pieces'
values against numpy, all of them views of the input and outputs of ONE node with torch's name (whose backward
stacks / concatenates the pieces' gradients, zeros for pieces without one), gradcheck and gradgradcheck, and
torch's refusal of in-place writes into a piece (or a view of one) while they require grad."""
import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import _ops, _registry
from tinygrad_ext.autograd import gradcheck, gradgradcheck

ROWS = pytest.mark.parametrize("entry", _registry.MULTI_VIEWS, ids=lambda e: e.name)
CASES = {  # (input shape, params with the dim wrapped, as the front ends pass them)
    "unbind": [((4, 3), (0,)), ((2, 3, 4), (2,)), ((0, 3), (1,)), ((3, 0), (0,))],
    "split": [((5, 3), (2, 0)), ((2, 6), (3, 1)), ((0, 3), (2, 0)), ((4, 2), (4, 0))],
    "split_with_sizes": [((6, 2), ([1, 0, 5], 0)), ((2, 5), ([2, 3], 1)), ((0, 2), ([0], 0))],
}


def reference(entry):
    return eval(entry.ref, {"np": np})  # noqa: S307 (the registry's table, written by us)


def test_every_row_has_cases_and_the_front_ends_use_the_rows():
    assert {e.name for e in _registry.MULTI_VIEWS} == set(CASES) == set(_ops.MULTI_VIEW_OPS)
    x = torch.randn(6, 4, requires_grad=True) * 1
    for pieces, node in ((x.unbind(0), "UnbindBackward0"), (x.split(2), "SplitBackward0"),
                         (x.chunk(3), "SplitBackward0"), (x.split([1, 5]), "SplitWithSizesBackward0"),
                         (torch.unbind(x, 1), "UnbindBackward0"), (torch.split(x, 3, 1), "SplitBackward0")):
        assert len({id(p.grad_fn) for p in pieces}) == 1 and pieces[0].grad_fn.name() == node
        assert [p.output_nr for p in pieces] == list(range(len(pieces)))


@ROWS
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_values_and_views(entry, layout):
    op = _ops.MULTI_VIEW_OPS[entry.name]
    for shape, params in CASES[entry.name]:
        a = np.random.default_rng(3).uniform(-2, 2, shape[::-1] if layout == "strided" else shape)
        t = torch.tensor(a)
        a, t = (a.T, t.permute(*reversed(range(t.dim())))) if layout == "strided" else (a, t)
        got, want = op.apply(t, *params), reference(entry)(a, *params)
        assert len(got) == len(want), (entry.name, shape)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), w)
            assert g._impl.storage_id == t._impl.storage_id


@ROWS
def test_gradcheck_and_one_node(entry):
    op = _ops.MULTI_VIEW_OPS[entry.name]
    for shape, params in CASES[entry.name]:
        x = torch.tensor(np.random.default_rng(4).uniform(-2, 2, shape), requires_grad=True)
        pieces = op.apply(x, *params)
        if not pieces:
            continue
        assert {p.grad_fn for p in pieces} == {pieces[0].grad_fn} and pieces[0].grad_fn.name() == entry.node
        assert gradcheck(lambda t: op.apply(t, *params), [x]) and gradgradcheck(lambda t: op.apply(t, *params), [x])


def test_pieces_without_a_gradient_get_zeros():
    x = torch.arange(12.0).reshape(4, 3).requires_grad_()
    a, b, c, d = (x * 1).unbind(0)
    (2 * b).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0] * 3, [2] * 3, [0] * 3, [0] * 3])
    x.grad = None
    first, _ = (x * 1).split([1, 3])
    first.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1] * 3] + [[0] * 3] * 3)


def test_in_place_into_a_piece_raises_torchs_error():
    y = torch.randn(6, 4, requires_grad=True) * 1
    with pytest.raises(RuntimeError, match=r"^Output 1 of Unbind is a view and is being modified inplace\. This view "
                                           r"is the output of a function that returns multiple views"):
        y.unbind(0)[1].add_(1)
    with pytest.raises(RuntimeError, match=r"^Output 0 of Split is a view"):
        y.chunk(3)[0].mul_(2)
    with pytest.raises(RuntimeError, match=r"^Output 0 of SplitWithSizes is a view"):
        y.split([2, 4])[0].zero_()
    with pytest.raises(RuntimeError, match=r"^Output 0 of Slice is a view"):  # (a view of a piece: torch's words)
        y.unbind(0)[2][1:].add_(1)
    pieces = y.detach().unbind(0)  # without a graph: plain views, written through as torch's
    pieces[0].fill_(7)
    assert (y.detach()[0] == 7).all()
    with torch.no_grad():
        y.unbind(0)[0].add_(1)
