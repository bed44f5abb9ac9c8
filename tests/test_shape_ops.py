"""Shape and indexing ops (flip, roll, rot90, repeat, tile, tril/triu, diagonal, diag_embed, movedim,
meshgrid, take_along_dim, kron, unfold, ...): values against numpy in float64, gradients with
gradcheck (float64 central differences), torch's errors for bad input."""

import math

import numpy as np
import pytest
import tinygrad_ext as torch
from oracle import check_raises
from tinygrad_ext.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def arr(*shape):
    return RNG.uniform(-2, 2, size=shape)


def noncontig(a):
    """The same values as a transposed (non-contiguous) float64 tensor."""
    return torch.tensor(np.ascontiguousarray(np.swapaxes(a, 0, -1)), dtype=torch.float64).transpose(0, -1)


# (name, fn on tinygrad_ext tensors, numpy reference, input shapes)
CASES = [
    ("flip", lambda x: x.flip(0, 2), lambda a: np.flip(a, (0, 2)), [(2, 3, 4)]),
    ("flip_fn", lambda x: torch.flip(x, [-1]), lambda a: np.flip(a, -1), [(3, 4)]),
    ("fliplr", torch.fliplr, np.fliplr, [(3, 4)]),
    ("flipud", torch.flipud, np.flipud, [(3, 4)]),
    ("roll", lambda x: x.roll(1, 1), lambda a: np.roll(a, 1, 1), [(3, 4)]),
    ("roll_dims", lambda x: torch.roll(x, (2, -1), (0, 1)), lambda a: np.roll(a, (2, -1), (0, 1)), [(3, 4)]),
    ("roll_flat", lambda x: x.roll(5), lambda a: np.roll(a, 5), [(3, 4)]),
    ("rot90", lambda x: x.rot90(), np.rot90, [(3, 4)]),
    ("rot90_k2", lambda x: torch.rot90(x, 2, [1, 2]), lambda a: np.rot90(a, 2, (1, 2)), [(2, 3, 4)]),
    ("rot90_k3", lambda x: torch.rot90(x, -1), lambda a: np.rot90(a, -1), [(3, 4)]),
    ("repeat", lambda x: x.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3)), [(3, 4)]),
    ("tile", lambda x: x.tile(2), lambda a: np.tile(a, 2), [(3, 4)]),
    ("tile_fn", lambda x: torch.tile(x, (2, 1, 2)), lambda a: np.tile(a, (2, 1, 2)), [(3, 4)]),
    ("repeat_interleave", lambda x: x.repeat_interleave(2, dim=1), lambda a: np.repeat(a, 2, 1), [(3, 4)]),
    ("repeat_interleave_flat", lambda x: torch.repeat_interleave(x, 3), lambda a: np.repeat(a, 3), [(3, 4)]),
    ("repeat_interleave_t", lambda x: x.repeat_interleave(torch.tensor([2, 0, 1]), dim=0),
     lambda a: np.repeat(a, [2, 0, 1], 0), [(3, 4)]),
    ("tril", lambda x: x.tril(), np.tril, [(3, 4)]),
    ("tril_k", lambda x: torch.tril(x, -1), lambda a: np.tril(a, -1), [(2, 4, 3)]),
    ("triu", lambda x: x.triu(1), lambda a: np.triu(a, 1), [(4, 3)]),
    ("diag_vec", lambda x: torch.diag(x, 1), lambda a: np.diag(a, 1), [(3,)]),
    ("diag_mat", lambda x: x.diag(-1), lambda a: np.diag(a, -1), [(3, 4)]),
    ("diagonal", lambda x: x.diagonal(), lambda a: np.diagonal(a), [(3, 4)]),
    ("diagonal_dims", lambda x: x.diagonal(1, -1, 0), lambda a: np.diagonal(a, 1, 2, 0), [(3, 2, 4)]),
    ("diagonal_neg", lambda x: torch.diagonal(x, -2), lambda a: np.diagonal(a, -2), [(4, 3)]),
    ("diag_embed", lambda x: torch.diag_embed(x),
     lambda a: np.stack([np.diag(r) for r in a]), [(2, 3)]),
    ("diag_embed_off", lambda x: x.diag_embed(1, 0, 2),
     lambda a: np.moveaxis(np.stack([np.diag(r, 1) for r in a]), 0, 1), [(2, 3)]),
    ("trace", lambda x: x.trace(), np.trace, [(3, 4)]),
    ("movedim", lambda x: x.movedim(0, 2), lambda a: np.moveaxis(a, 0, 2), [(2, 3, 4)]),
    ("moveaxis", lambda x: torch.moveaxis(x, (0, 1), (2, 0)), lambda a: np.moveaxis(a, (0, 1), (2, 0)), [(2, 3, 4)]),
    ("swapdims", lambda x: x.swapdims(0, 2), lambda a: np.swapaxes(a, 0, 2), [(2, 3, 4)]),
    ("broadcast_to", lambda x: x.broadcast_to((2, 3, 4)), lambda a: np.broadcast_to(a, (2, 3, 4)), [(3, 1)]),
    ("broadcast_tensors", lambda x, y: torch.broadcast_tensors(x, y)[0] * torch.broadcast_tensors(x, y)[1],
     lambda a, b: a * b, [(3, 1), (4,)]),
    ("take_along_dim", lambda x: torch.take_along_dim(x, torch.tensor([[0, 2], [1, 1], [3, 0]]), 1),
     lambda a: np.take_along_axis(a, np.array([[0, 2], [1, 1], [3, 0]]), 1), [(3, 4)]),
    ("take_along_dim_bcast", lambda x: x.take_along_dim(torch.tensor([[2], [0]]), 0),
     lambda a: np.take_along_axis(a, np.broadcast_to(np.array([[2], [0]]), (2, 4)), 0), [(3, 4)]),
    ("take_along_dim_flat", lambda x: torch.take_along_dim(x, torch.tensor([5, 0, 11])),
     lambda a: a.reshape(-1)[[5, 0, 11]], [(3, 4)]),
    ("outer", torch.outer, np.outer, [(3,), (4,)]),
    ("ger", lambda x, y: x.ger(y), np.outer, [(3,), (4,)]),
    ("kron", torch.kron, np.kron, [(2, 3), (3, 2)]),
    ("kron_nd", lambda x, y: x.kron(y), np.kron, [(2, 1, 3), (3, 2)]),
    ("unfold", lambda x: x.unfold(1, 3, 2), lambda a: np.stack([a[:, i:i + 3] for i in (0, 2)], 1), [(2, 6)]),
    ("unfold_overlap", lambda x: x.unfold(0, 2, 1),
     lambda a: np.stack([a[i:i + 2] for i in range(3)], 0).transpose(0, 2, 1), [(4, 3)]),
]


@pytest.mark.parametrize("name,fn,ref,shapes", CASES, ids=[c[0] for c in CASES])
def test_value(name, fn, ref, shapes):
    arrays = [arr(*s) for s in shapes]
    for make in (lambda a: torch.tensor(a, dtype=torch.float64), noncontig,
                 lambda a: torch.tensor(a, dtype=torch.float32)):
        out = fn(*[make(a) for a in arrays])
        expect = ref(*arrays)
        assert tuple(out.shape) == expect.shape
        np.testing.assert_allclose(out.double().numpy(), expect, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name,fn,ref,shapes", CASES, ids=[c[0] for c in CASES])
def test_gradient(name, fn, ref, shapes):
    inputs = [torch.tensor(arr(*s), dtype=torch.float64, requires_grad=True) for s in shapes]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_oracle_can_fail():
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(torch.tensor([[1.0, 2.0]]).flip(1).numpy(), [[1.0, 2.0]])


def test_results_are_copies_or_views_as_torch():
    x = torch.arange(6.0).reshape(2, 3)
    for out in (x.flip(0, 0 + 1), x.roll(0, 0), x.repeat(1, 1), x.repeat_interleave(1), x.tile(1),
                torch.rot90(x, 0), x.diag()):
        out.fill_(-1)
    assert x.min().item() == 0  # copies: x unchanged
    x.diagonal().fill_(7)  # views: written through
    x.unfold(1, 2, 1)[0, 0, 0] = 9
    assert x.tolist() == [[9, 1, 2], [3, 7, 5]]


def test_integer_and_bool_inputs():
    x = torch.tensor([[1, 2, 3], [4, 5, 6]], dtype=torch.int32)
    assert x.flip(1).tolist() == [[3, 2, 1], [6, 5, 4]] and x.flip(1).dtype is torch.int32
    assert x.tril().tolist() == [[1, 0, 0], [4, 5, 0]]
    assert x.trace().item() == 6 and x.trace().dtype is torch.int64
    b = torch.tensor([[True, False], [True, True]])
    assert b.triu().tolist() == [[True, False], [False, True]]
    assert torch.kron(x[:, :2], torch.ones(1, 2, dtype=torch.int32)).tolist() == [[1, 1, 2, 2], [4, 4, 5, 5]]


def test_inplace_tri():
    x = torch.ones(3, 3)
    assert x.tril_(-1) is x and x.sum().item() == 3
    assert torch.ones(2, 3).triu_(1).tolist() == [[0, 1, 1], [0, 0, 1]]


def test_empty_and_zero_size():
    e = torch.zeros(0, 3)
    assert e.flip(0).shape == (0, 3) and e.roll(2, 1).shape == (0, 3) and e.repeat(2, 2).shape == (0, 6)
    assert e.tril().shape == (0, 3) and e.diagonal().shape == (0,) and e.repeat_interleave(2, 0).shape == (0, 3)
    assert torch.repeat_interleave(torch.tensor([], dtype=torch.int64)).shape == (0,)
    assert torch.zeros(2, 3).repeat(0, 1).shape == (0, 3)


def test_index_functions():
    assert torch.tril_indices(3, 3).tolist() == np.stack(np.tril_indices(3)).tolist()
    assert torch.triu_indices(3, 4, 1).tolist() == np.stack(np.triu_indices(3, 1, 4)).tolist()
    assert torch.tril_indices(2, 3, -1).dtype is torch.int64
    x = torch.tensor([[0, 1], [2, 0]])
    assert torch.argwhere(x).tolist() == [[0, 1], [1, 0]]
    assert torch.repeat_interleave(torch.tensor([1, 0, 3])).tolist() == [0, 2, 2, 2]
    assert torch.broadcast_shapes((2, 1), (3,), (1, 1, 1)) == torch.Size([1, 2, 3])
    assert torch.unflatten(torch.zeros(2, 6), 1, (3, -1)).shape == (2, 3, 2)
    s = torch.tensor(2.0)
    assert s.flip(0).item() == 2.0 and s.movedim(0, -1).item() == 2.0 and s.roll(3).item() == 2.0


def test_meshgrid():
    a, b = torch.arange(3), torch.arange(2)
    for indexing in ("ij", "xy"):
        got = torch.meshgrid(a, b, indexing=indexing)
        want = np.meshgrid(np.arange(3), np.arange(2), indexing=indexing)
        assert [g.tolist() for g in got] == [w.tolist() for w in want]
    c = torch.arange(4)
    got = torch.meshgrid([a, b, c], indexing="xy")
    want = np.meshgrid(np.arange(3), np.arange(2), np.arange(4), indexing="xy")
    assert [g.tolist() for g in got] == [w.tolist() for w in want]
    with pytest.warns(UserWarning, match="indexing argument"):
        torch.meshgrid(a, b)
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([3.0, 4.0, 5.0], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda u, v: torch.meshgrid(u, v, indexing="xy")[0] * torch.meshgrid(u, v, indexing="xy")[1],
                     [x, y])


BAD = [
    (lambda: torch.zeros(2, 3).flip(5), IndexError, "Dimension out of range"),
    (lambda: torch.zeros(2, 3).flip(0, 0), RuntimeError, "dim 0 appears multiple times"),
    (lambda: torch.zeros(2, 3).flip(), TypeError, 'missing 1 required positional arguments: "dims"'),
    (lambda: torch.zeros(3).fliplr(), RuntimeError, "Input must be >= 2-d."),
    (lambda: torch.zeros(()).flipud(), RuntimeError, "Input must be >= 1-d."),
    (lambda: torch.zeros(2, 3).roll(1, (0, 1)), RuntimeError, "shifts and dimensions must align"),
    (lambda: torch.zeros(2, 3).rot90(1, (0, 0)), RuntimeError, "expected rotation dims to be different"),
    (lambda: torch.zeros(2, 3).rot90(1, (0,)), RuntimeError, "expected total rotation dims == 2"),
    (lambda: torch.zeros(2, 3).repeat(2), RuntimeError, "can not be smaller than number of dimensions"),
    (lambda: torch.zeros(2, 3).repeat(-1, 2), RuntimeError, "negative dimension"),
    (lambda: torch.zeros(2, 3).repeat_interleave(torch.tensor([1, 2])), RuntimeError, "repeats must have the same"),
    (lambda: torch.zeros(2, 3).repeat_interleave(-1), RuntimeError, "Repeats must be non-negative"),
    (lambda: torch.repeat_interleave(torch.tensor([1, -2])), RuntimeError, "repeats can not be negative"),
    (lambda: torch.zeros(3).tril(), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    (lambda: torch.zeros(2, 2, 2).diag(), RuntimeError, "diag(): Supports 1D or 2D tensors. Got 3D"),
    (lambda: torch.zeros(2, 3).diagonal(0, 0, 0), RuntimeError, "diagonal dimensions cannot be identical"),
    (lambda: torch.zeros(2, 2, 2).trace(), RuntimeError, "trace: expected a matrix"),
    (lambda: torch.zeros(2, 3).movedim((0, 1), (1,)), RuntimeError, "should contain the same number of dims"),
    (lambda: torch.zeros(2, 3).movedim((0, 0), (1, 0)), RuntimeError, "repeated dim in `source`"),
    (lambda: torch.meshgrid(torch.ones(2), torch.ones(3), indexing="foo"), RuntimeError, "indexing must be one of"),
    (lambda: torch.meshgrid(torch.ones(2, 2), indexing="ij"), RuntimeError, "Expected 0D or 1D tensor"),
    (lambda: torch.take_along_dim(torch.zeros(2, 3), torch.tensor([0.0]), 0), RuntimeError, "should be Long"),
    (lambda: torch.take_along_dim(torch.zeros(2, 3), torch.tensor([0]), 0), RuntimeError,
     "same number of dimensions"),
    (lambda: torch.outer(torch.zeros(2, 3), torch.zeros(2)), RuntimeError, "outer: Expected 1-D argument self"),
    (lambda: torch.zeros(2, 3).unfold(1, 4, 1), RuntimeError, "maximum size for tensor at dimension 1 is 3"),
    (lambda: torch.zeros(2, 3).unfold(1, 2, 0), RuntimeError, "step is 0 but must be > 0"),
    (lambda: torch.broadcast_tensors(torch.ones(2), torch.ones(3)), RuntimeError, "must match the size"),
    (lambda: torch.broadcast_to(torch.ones(2), (3,)), RuntimeError, "expanded size"),
]


@pytest.mark.parametrize("fn,exc,words", BAD)
@pytest.mark.filterwarnings("ignore")
def test_bad_inputs(fn, exc, words):
    check_raises(fn, exc, words)


def test_against_torch_if_installed():
    real = pytest.importorskip("torch")
    a = arr(3, 4, 5)
    for f in (lambda m, x: m.flip(x, (0, 2)), lambda m, x: m.roll(x, (1, -2), (2, 0)),
              lambda m, x: x.repeat(2, 1, 1, 2),
              lambda m, x: m.tril(x, 1), lambda m, x: m.diagonal(x, -1, 2, 0), lambda m, x: m.diag_embed(x, 2, 0, 3),
              lambda m, x: x.unfold(2, 2, 2), lambda m, x: m.movedim(x, (2, 0), (0, 1)),
              lambda m, x: m.rot90(x, 3, (2, 1)), lambda m, x: x.repeat_interleave(m.tensor([1, 0, 2]), 0)):
        np.testing.assert_allclose(f(torch, torch.tensor(a)).numpy(), f(real, real.tensor(a)).numpy())


# ---------------------------------------------------------------- scatter and index_*
def _np_scatter_reduce(a, dim, idx, src, reduce, include_self=True):
    out, groups = a.copy(), {}
    for pos in np.ndindex(*idx.shape):
        target = list(pos)
        target[dim] = idx[pos]
        groups.setdefault(tuple(target), []).append(src[pos])
    combine = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min,
               "assign": lambda v: v[-1]}
    for target, values in groups.items():
        out[target] = combine[reduce](([a[target]] if include_self and reduce != "assign" else []) + values)
    return out


SCATTER_INDEX = np.array([[0, 2, 0], [3, 3, 1], [1, 0, 1]])  # repeated targets within rows
UNIQUE_INDEX = np.array([[0, 2, 3], [3, 1, 0]])


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    a, src = arr(3, 4), arr(3, 5)  # src larger than index: only its corner is read
    src[0, 0] = 0.0  # a zero member (prod's special case)
    want = _np_scatter_reduce(a, 1, SCATTER_INDEX, src, reduce, include_self)
    idx = torch.tensor(SCATTER_INDEX)
    got = torch.tensor(a).scatter_reduce(1, idx, torch.tensor(src), reduce, include_self=include_self)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    x = torch.tensor(a)
    assert x.scatter_reduce_(1, idx, torch.tensor(src), reduce, include_self=include_self) is x
    np.testing.assert_allclose(x.numpy(), want, rtol=1e-12)
    fn = lambda s, t: torch.scatter_reduce(s, 1, idx, t, reduce, include_self=include_self)  # noqa: E731
    inputs = [torch.tensor(a, requires_grad=True), torch.tensor(src, requires_grad=True)]
    assert gradcheck(fn, inputs)
    if reduce != "prod":
        assert gradgradcheck(fn, inputs)


def test_scatter_and_index_ops_values():
    a, src = arr(2, 4), arr(2, 3)
    idx = torch.tensor(UNIQUE_INDEX)
    np.testing.assert_allclose(torch.tensor(a).scatter(1, idx, torch.tensor(src)).numpy(),
                               _np_scatter_reduce(a, 1, UNIQUE_INDEX, src, "assign"))
    np.testing.assert_allclose(torch.scatter(torch.tensor(a), 1, idx, 7.5).numpy(),
                               _np_scatter_reduce(a, 1, UNIQUE_INDEX, np.full((2, 3), 7.5), "assign"))
    np.testing.assert_allclose(torch.tensor(a).scatter(1, idx, torch.tensor(src), reduce="multiply").numpy(),
                               _np_scatter_reduce(a, 1, UNIQUE_INDEX, src, "prod"))
    one_hot = torch.zeros(3, 4, dtype=torch.int64).scatter_(1, torch.tensor([[1], [3], [0]]), 1)
    assert one_hot.tolist() == [[0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]]
    m, s3 = arr(4, 3), arr(3, 3)
    i = np.array([2, 0, 2])
    want = m.copy()
    np.add.at(want, i, 2 * s3)
    np.testing.assert_allclose(torch.tensor(m).index_add(0, torch.tensor(i), torch.tensor(s3), alpha=2).numpy(), want)
    want, s42 = m.copy(), arr(4, 2)
    want[:, [2, 0]] = s42
    np.testing.assert_allclose(torch.tensor(m).index_copy(1, torch.tensor([2, 0]), torch.tensor(s42)).numpy(), want)
    want = m.copy()
    want[[1, 3]] = -1
    np.testing.assert_allclose(torch.index_fill(torch.tensor(m), 0, torch.tensor([1, 3]), -1).numpy(), want)
    want = m.copy()
    np.add.at(want, ([0, 0, 3], [1, 1, 2]), [1.0, 2.0, 3.0])
    got = torch.tensor(m).index_put((torch.tensor([0, 0, 3]), torch.tensor([1, 1, 2])),
                                    torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), accumulate=True)
    np.testing.assert_allclose(got.numpy(), want)
    x = torch.tensor(m)
    assert x.index_put_((torch.tensor([1]),), torch.tensor(9.0, dtype=torch.float64)) is x
    assert x[1].tolist() == [9.0, 9.0, 9.0]
    y = torch.tensor(m)
    assert y.index_add_(1, torch.tensor([0]), torch.ones(4, 1, dtype=torch.float64)) is y
    np.testing.assert_allclose(y[:, 0].numpy(), m[:, 0] + 1)


INDEX_GRADS = [
    ("scatter", lambda x, s: x.scatter(1, torch.tensor(UNIQUE_INDEX), s), [(2, 4), (2, 3)]),
    ("scatter_value", lambda x: torch.scatter(x, 0, torch.tensor([[1, 0, 1, 0]]), 2.0), [(2, 4)]),
    ("index_add", lambda x, s: x.index_add(0, torch.tensor([2, 0, 2]), s, alpha=-2), [(4, 3), (3, 3)]),
    ("index_copy", lambda x, s: x.index_copy(1, torch.tensor([2, 0]), s), [(3, 4), (3, 2)]),
    ("index_fill", lambda x: x.index_fill(1, torch.tensor([1, 3]), 0.5), [(3, 4)]),
    ("index_put_acc", lambda x, v: torch.index_put(x, (torch.tensor([0, 0, 2]),), v, True), [(3, 2), (3, 2)]),
    ("index_put", lambda x, v: x.index_put((torch.tensor([2, 0]), torch.tensor([1, 1])), v), [(3, 2), (2,)]),
]


@pytest.mark.parametrize("name,fn,shapes", INDEX_GRADS, ids=[c[0] for c in INDEX_GRADS])
def test_index_op_gradients(name, fn, shapes):
    inputs = [torch.tensor(arr(*s), requires_grad=True) for s in shapes]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_inplace_scatter_under_autograd():
    w = torch.tensor(arr(2, 4), requires_grad=True)
    y = w * 1.0
    y.scatter_(1, torch.tensor(UNIQUE_INDEX), 0.0)
    y.sum().backward()
    want = np.ones((2, 4))
    want[[0, 0, 0, 1, 1, 1], UNIQUE_INDEX.ravel()] = 0
    np.testing.assert_array_equal(w.grad.numpy(), want)
    check_raises(lambda: w.index_fill_(0, torch.tensor([0]), 1.0), RuntimeError, "a leaf Variable that requires grad")


SCATTER_BAD = [
    (lambda: torch.zeros(2, 3).scatter(1, torch.tensor([[3]]), 1.0), RuntimeError, "index 3 is out of bounds"),
    (lambda: torch.zeros(2, 3).scatter(1, torch.tensor([0]), 1.0), RuntimeError, "same number of dimensions"),
    (lambda: torch.zeros(2, 3).scatter(1, torch.tensor([[0]]), torch.ones(1, 1, dtype=torch.float64)), RuntimeError,
     "Expected self.dtype to be equal to src.dtype"),
    (lambda: torch.zeros(2, 3).scatter(1, torch.tensor([[0]]), 1.0, reduce="max"), RuntimeError,
     "reduce argument must be either add or multiply"),
    (lambda: torch.zeros(2, 3).scatter_reduce(1, torch.tensor([[0]]), torch.ones(1, 1), "max"), RuntimeError,
     "reduce argument must be either sum, prod, mean, amax or amin, got max"),
    (lambda: torch.zeros(2, 3).index_add(0, torch.tensor([2]), torch.ones(1, 3)), RuntimeError,
     "index 2 is out of bounds for dimension 0 with size 2"),
    (lambda: torch.zeros(2, 3).index_add(0, torch.tensor([[0]]), torch.ones(1, 3)), IndexError,
     "Index is supposed to be a vector"),
    (lambda: torch.zeros(2, 3).index_copy(0, torch.tensor([0]), torch.ones(1, 2)), RuntimeError,
     "must have same slice shapes"),
    (lambda: torch.zeros(2, 3).index_fill(0, torch.tensor([0]), torch.ones(2)), RuntimeError,
     "only supports a 0-dimensional value tensor"),
]


@pytest.mark.parametrize("fn,exc,words", SCATTER_BAD)
def test_scatter_bad_inputs(fn, exc, words):
    check_raises(fn, exc, words)


EXTRA = [
    ("diff", lambda x: torch.diff(x), lambda a: np.diff(a), [(3, 5)]),
    ("diff_n2_dim0", lambda x: x.diff(2, 0), lambda a: np.diff(a, 2, 0), [(5, 3)]),
    ("diff_prepend", lambda x, p: torch.diff(x, dim=1, prepend=p, append=p),
     lambda a, p: np.diff(a, axis=1, prepend=p, append=p), [(3, 4), (3, 2)]),
    ("block_diag", lambda x, y, z: torch.block_diag(x, y, z),
     lambda a, b, c: np.block([[a, np.zeros((2, 2)), np.zeros((2, 1))], [np.zeros((1, 3)), b[None], np.zeros((1, 1))],
                               [np.zeros((1, 5)), np.array([[c]])]]), [(2, 3), (2,), ()]),
    ("diagflat", lambda x: torch.diagflat(x, -1), lambda a: np.diagflat(a, -1), [(2, 2)]),
    ("cartesian_prod", lambda x, y: torch.cartesian_prod(x, y),
     lambda a, b: np.stack(np.meshgrid(a, b, indexing="ij"), -1).reshape(-1, 2), [(3,), (2,)]),
    ("take", lambda x: torch.take(x, torch.tensor([[0, -1], [5, 2]])), lambda a: a.ravel()[[[0, -1], [5, 2]]],
     [(2, 3)]),
    ("masked_scatter", lambda x, s: x.masked_scatter(torch.tensor([[True, False, True], [False, True, True]]), s),
     lambda a, s: np.where([[True, False, True], [False, True, True]],
                           np.array([[s[0], 0, s[1]], [0, s[2], s[3]]]), a), [(2, 3), (5,)]),
]


@pytest.mark.parametrize("name,fn,ref,shapes", EXTRA, ids=[c[0] for c in EXTRA])
def test_extra_ops(name, fn, ref, shapes):
    arrays = [arr(*s) for s in shapes]
    got = fn(*[torch.tensor(a) for a in arrays])
    np.testing.assert_allclose(got.numpy(), ref(*arrays), rtol=1e-12)
    assert gradcheck(fn, [torch.tensor(a, requires_grad=True) for a in arrays])


def test_extra_ops_edges():
    assert torch.diff(torch.tensor([True, False, False])).tolist() == [True, False]
    check_raises(lambda: torch.diff(torch.tensor(1.0)), RuntimeError, "at least one-dimensional")
    check_raises(lambda: torch.take(torch.zeros(2, 3), torch.tensor([6])), IndexError, "out of range")
    x = torch.zeros(2, 2)
    assert x.masked_scatter_(torch.tensor([[True, False], [False, True]]), torch.tensor([1.0, 2.0])) is x
    assert x.tolist() == [[1.0, 0.0], [0.0, 2.0]]
    assert torch.block_diag(torch.tensor([1]), torch.tensor([[2.5]])).dtype is torch.float32


STACKS = [
    ("hstack", lambda x, y: torch.hstack([x, y]), lambda a, b: np.hstack([a, b]), [(2, 3), (2, 1)]),
    ("hstack_1d", lambda x, y: torch.hstack((x, y)), lambda a, b: np.hstack([a, b]), [(2,), (3,)]),
    ("vstack", lambda x, y: torch.vstack([x, y]), lambda a, b: np.vstack([a, b]), [(3,), (2, 3)]),
    ("row_stack", lambda x, y: torch.row_stack([x, y]), lambda a, b: np.vstack([a, b]), [(2, 3), (1, 3)]),
    ("dstack", lambda x, y: torch.dstack([x, y]), lambda a, b: np.dstack([a, b]), [(2, 3), (2, 3)]),
    ("column_stack", lambda x, y: torch.column_stack([x, y]), lambda a, b: np.column_stack([a, b]), [(3,), (3, 2)]),
    ("atleast_3d", lambda x: torch.atleast_3d(x), np.atleast_3d, [(2, 3)]),
    ("tensor_split", lambda x: torch.tensor_split(x, 3, dim=1)[0] * 2 + x.tensor_split([1, 3], 1)[2].sum(),
     lambda a: np.array_split(a, 3, 1)[0] * 2 + np.split(a, [1, 3], 1)[2].sum(), [(2, 7)]),
    ("hsplit", lambda x: torch.hsplit(x, 2)[1], lambda a: np.hsplit(a, 2)[1], [(3, 4)]),
    ("vsplit", lambda x: x.vsplit([1])[1], lambda a: np.vsplit(a, [1])[1], [(3, 4)]),
    ("dsplit", lambda x: torch.dsplit(x, 2)[0], lambda a: np.dsplit(a, 2)[0], [(2, 2, 4)]),
    ("ravel", lambda x: x.t().ravel(), lambda a: a.T.ravel(), [(3, 4)]),
    ("narrow_copy", lambda x: torch.narrow_copy(x, 1, 1, 2), lambda a: a[:, 1:3], [(3, 4)]),
    ("select_scatter", lambda x, s: torch.select_scatter(x, s, 1, -1),
     lambda a, s: np.concatenate([a[:, :-1], s[:, None]], 1), [(3, 4), (3,)]),
    ("slice_scatter", lambda x, s: x.slice_scatter(s, 1, 0, 4, 2),
     lambda a, s: np.stack([s[:, 0], a[:, 1], s[:, 1], a[:, 3]], 1), [(3, 4), (3, 2)]),
    ("diagonal_scatter", lambda x, s: torch.diagonal_scatter(x, s, 1),
     lambda a, s: a - np.diag(np.diagonal(a, 1), 1)[:3, :4] + np.diag(s, 1)[:3, :4], [(3, 4), (3,)]),
    ("nansum", lambda x: torch.nansum(x.masked_fill(torch.tensor([False, True, False]), math.nan), 1),
     lambda a: a[:, [0, 2]].sum(1), [(2, 3)]),
    ("nanmean", lambda x: x.masked_fill(torch.tensor([False, True, False]), math.nan).nanmean(1, keepdim=True),
     lambda a: a[:, [0, 2]].mean(1, keepdims=True), [(2, 3)]),
]


@pytest.mark.parametrize("name,fn,ref,shapes", STACKS, ids=[c[0] for c in STACKS])
def test_stacks_splits_and_view_scatters(name, fn, ref, shapes):
    arrays = [arr(*s) for s in shapes]
    got = fn(*[torch.tensor(a) for a in arrays])
    want = ref(*arrays)
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    assert gradcheck(fn, [torch.tensor(a, requires_grad=True) for a in arrays])


def test_stack_and_split_edges():
    assert torch.atleast_1d(torch.tensor(1.0), torch.ones(2))[0].shape == (1,)
    assert torch.atleast_2d(torch.tensor(1.0)).shape == (1, 1) and torch.atleast_3d(torch.ones(3)).shape == (1, 3, 1)
    parts = torch.tensor_split(torch.zeros(2, 7), torch.tensor([2, 9]), dim=1)
    assert [tuple(p.shape) for p in parts] == [(2, 2), (2, 5), (2, 0)]
    check_raises(lambda: torch.hsplit(torch.ones(2, 4), 3), RuntimeError, "not divisible by the split_size 3")
    check_raises(lambda: torch.vsplit(torch.ones(4), 2), RuntimeError, "at least 2 dimension")
    check_raises(lambda: torch.tensor_split(torch.ones(4), 0), RuntimeError, "number of sections must be larger than 0")
    check_raises(lambda: torch.nanmean(torch.tensor([1, 2])), RuntimeError, "expected input to have floating point")
    assert math.isnan(torch.nanmean(torch.tensor([math.nan])).item()) and torch.nansum(torch.tensor([1, 2])).item() == 3


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self):
    a, src, idx = arr(3, 4), arr(5, 4), np.array([0, 2, 0, 0, 2])
    combine = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    want = a.copy()
    for row in set(idx.tolist()):
        members = ([a[row]] if include_self else []) + [src[i] for i in np.nonzero(idx == row)[0]]
        want[row] = combine(np.stack(members), 0)
    fn = lambda x, s: x.index_reduce(0, torch.tensor(idx), s, reduce, include_self=include_self)  # noqa: E731
    np.testing.assert_allclose(fn(torch.tensor(a), torch.tensor(src)).numpy(), want, rtol=1e-12)
    assert gradcheck(fn, [torch.tensor(a, requires_grad=True), torch.tensor(src, requires_grad=True)])


def test_put():
    a = arr(2, 3)
    want = a.copy().ravel()
    np.add.at(want, [4, 0, 4], [1.0, 2.0, 3.0])
    got = torch.tensor(a).put(torch.tensor([4, 0, 4]), torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), True)
    np.testing.assert_allclose(got.numpy(), want.reshape(2, 3))
    x = torch.zeros(2, 2)
    assert x.put_(torch.tensor([[3], [0]]), torch.tensor([1.0, 2.0])) is x and x.tolist() == [[2.0, 0.0], [0.0, 1.0]]
    assert torch.concat([x, x]).shape == (4, 2) and torch.concatenate([x, x], 1).shape == (2, 4)
    assert gradcheck(lambda t, s: t.put(torch.tensor([1, 5]), s), [torch.tensor(a, requires_grad=True),
                                                                     torch.tensor(arr(2), requires_grad=True)])
