"""Rows generated from the op registry's INDEXING table (python/tinygrad_ext/_registry.py): every row's value
against its float64 numpy reference (contiguous and strided inputs, empty and 0-d ones where the op takes them,
float32/float64/int64), gradcheck and gradgradcheck for each differentiable input, and torch's node name. A row
without a reference or test cases fails here, and so does an indexing op recorded by a hand-written class."""
import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import _ops, _registry
from tinygrad_ext.autograd import gradcheck, gradgradcheck

INDEXING = _registry.INDEXING


# ---- the references' helpers (numpy, float64)
def along(index, dim):
    """The full numpy index of the positions `index` names along dim (scatter's and gather's)."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def put(a, key, values):
    out = np.array(a, copy=True)
    out[key] = values
    return out


def add_at(a, key, values):
    out = np.array(a, copy=True)
    np.add.at(out, key, values)
    return out


def scatter_reduce_reference(a, dim, index, src, reduce, include_self):
    out, seen = np.array(a, copy=True), {}
    for pos in np.ndindex(index.shape):
        at = pos[:dim] + (index[pos],) + pos[dim + 1:]
        seen.setdefault(at, [a[at]] if include_self else []).append(src[pos])
    combine = {"sum": np.sum, "prod": np.prod, "amax": np.max, "amin": np.min, "mean": np.mean}[reduce]
    for at, members in seen.items():
        if reduce == "mean" and out.dtype.kind in "iu":
            out[at] = np.sum(members) // len(members)
        else:
            out[at] = combine(members)
    return out


def diagonal_backward_reference(g, input_sizes, offset, dim1, dim2):
    out = np.zeros(input_sizes, g.dtype)
    out.reshape(-1)[np.diagonal(np.arange(out.size).reshape(input_sizes), offset, dim1, dim2)] = g
    return out


def diagonal_scatter_reference(a, src, offset, dim1, dim2):
    out = np.array(a, copy=True)
    out.reshape(-1)[np.diagonal(np.arange(out.size).reshape(out.shape), offset, dim1, dim2)] = src
    return out


def unfold_backward_reference(g, input_sizes, dim, size, step):
    out = np.zeros(int(np.prod(input_sizes)), g.dtype)
    windows = np.lib.stride_tricks.sliding_window_view(np.arange(out.size).reshape(input_sizes), size, axis=dim)
    np.add.at(out, windows[(slice(None),) * dim + (slice(None, None, step),)], g)
    return out.reshape(input_sizes)


def reference(entry):
    names = {"np": np, "along": along, "put": put, "add_at": add_at}
    return eval(entry.ref, names, globals())  # noqa: S307 (the registry's table, written by us)


# ---- the cases: a row's arguments, with X(shape) a data tensor (random, differentiable when floating), Ix(values)
# an int64 index tensor; `node` overrides the row's node name where it is an expression (__setitem__)
class X:
    def __init__(self, shape):
        self.shape = shape


class Ix:
    def __init__(self, values):
        self.values = np.array(values, dtype=np.int64)


SCATTER_INDEX = Ix([[0, 3], [4, 1], [2, 0]])  # (3, 2) into (3, 5) along dim 1, no repeats within a row
REPEATED = Ix([[0, 0], [4, 1], [2, 2]])
CASES = {
    "index": [(X((4, 5)), 0, [Ix([0, 2, 2])]), (X((3, 4, 5)), 1, [Ix([0, 3]), Ix([4, 4])]),
              (X((3, 4)), 1, [Ix([[1, 0], [3, 3]])]), (X((0, 3)), 1, [Ix([2, 0])]), (X((3, 4)), 0, [Ix([])])],
    "index_put": [(X((4, 5)), 0, [Ix([0, 2, 2])], X((3, 5)), True), (X((4, 5)), 0, [Ix([3, 1])], X((2, 5)), False),
                  (X((4, 5)), 1, [Ix([1, 3])], X((4, 1)), False), (X((0, 3)), 1, [Ix([1])], X((0, 1)), True)],
    "_index_put_impl": [(X((4, 5)), 0, [Ix([0, 2, 2])], X((3, 5)), True),
                        (X((3, 4)), 1, [Ix([0, 3])], X((3, 2)), False), (X((0, 3)), 1, [Ix([1])], X((0, 1)), True)],
    "index_add": [(X((4, 5)), 0, Ix([0, 2, 2]), X((3, 5))), (X((3, 4)), 1, Ix([3, 0]), X((3, 2))),
                  (X((0, 3)), 1, Ix([1]), X((0, 1)))],
    "index_select": [(X((4, 5)), 1, Ix([4, 0, 0])), (X((4, 5)), -2, Ix([3])), (X((0, 3)), 1, Ix([2]))],
    "gather": [(X((3, 5)), 1, SCATTER_INDEX), (X((3, 4)), 0, Ix([[2, 0, 1, 1], [0, 0, 2, 1]])),
               (X((3, 0)), 1, Ix(np.zeros((3, 0))))],
    "scatter_add": [(X((3, 5)), 1, REPEATED, X((3, 2))), (X((4, 2)), 0, Ix([[3, 0], [3, 0]]), X((2, 2))),
                    (X((3, 5)), 1, Ix(np.zeros((3, 0))), X((3, 0)))],
    "scatter.src": [(X((3, 5)), 1, SCATTER_INDEX, X((3, 2))), (X((4, 2)), 0, Ix([[3, 0], [1, 2]]), X((2, 2))),
                    (X((3, 5)), 1, Ix(np.zeros((3, 0))), X((3, 0)))],
    "scatter.value": [(X((3, 5)), 1, SCATTER_INDEX, 2.5), (X((4, 2)), 0, Ix([[3, 0]]), -1),
                      (X((0, 5)), 1, Ix(np.zeros((0, 2))), 1.0)],
    "scatter_reduce.two": [(X((3, 5)), 1, REPEATED, X((3, 2)), reduce, include_self)
                           for reduce in ("sum", "prod", "mean", "amax", "amin") for include_self in (True, False)]
    + [(X((3, 5)), 1, Ix(np.zeros((3, 0))), X((3, 0)), "mean", False)],
    "cat": [([X((2, 3)), X((4, 3))], 0), ([X((2, 3)), X((2, 1)), X((2, 0))], -1), ([X((2, 3)), X((0,))], 0),
            ([X((0, 3)), X((1, 3))], 0)],
    "__setitem__": [((X((4, 5)), (Ix([0, 2]),), X((2, 5))), "IndexPutBackward0"),
                    ((X((4, 5)), (slice(1, 3), Ix([4, 0])), X((2,))), "torch::autograd::CopySlices"),
                    ((X((4, 5)), (slice(None), Ix([4, 0])), X((1, 4, 1))), "IndexPutBackward0"),
                    ((X((4, 5)), (1, slice(0, 5, 2)), X((3,))), "torch::autograd::CopySlices"),
                    ((X((4, 5)), (Ix([3]), Ix([1])), 7.0), "IndexPutBackward0"),
                    ((X((0, 3)), (slice(None), Ix([1])), X((0, 1))), "IndexPutBackward0")],
    "flip": [(X((3, 4)), [0]), (X((3, 4)), [0, 1]), (X((2, 3, 4)), [-1, 1]), (X(()), []), (X((0, 3)), [1])],
    "as_strided_scatter": [(X((3, 4)), X((2, 2)), [2, 2], [1, 2], 1), (X((6,)), X((3,)), [3], [2], 0),
                           (X((2, 3)), X((0, 2)), [0, 2], [1, 1], 0)],
    "select_scatter": [(X((3, 4)), X((4,)), 0, 1), (X((3, 4)), X((3,)), -1, -2), (X((5,)), X(()), 0, 4),
                       (X((0, 3)), X((0,)), 1, 2)],
    "slice_scatter": [(X((5, 4)), X((2, 4)), 0, 1, 4, 2), (X((3, 4)), X((3, 2)), -1, 0, 2 ** 63 - 1, 2),
                      (X((5, 4)), X((5, 0)), 1, 3, 3, 1)],
    "diagonal_scatter": [(X((3, 4)), X((3,)), 0, 0, 1), (X((3, 4)), X((2,)), 2, 0, 1),
                         (X((2, 3, 4)), X((4, 2)), -1, 1, 0), (X((0, 4)), X((0,)), 0, 0, 1)],
    "select_backward": [(X((4,)), [3, 4], 0, 1), (X((3,)), [3, 4], 1, -1), (X(()), [5], 0, 2), (X((0,)), [3, 0], 0, 1)],
    "slice_backward": [(X((2, 4)), [5, 4], 0, 1, 4, 2), (X((5, 0)), [5, 4], 1, 3, 3, 1)],
    "diagonal_backward": [(X((3,)), [3, 4], 0, 0, 1), (X((2,)), [3, 4], 2, 0, 1), (X((2,)), [3, 4], -1, 0, 1),
                          (X((0,)), [0, 4], 0, 0, 1)],
    "unfold_backward": [(X((3, 2)), [4], 0, 2, 1), (X((3, 3, 3)), [3, 7], 1, 3, 2), (X((0, 2, 2)), [0, 4], 1, 2, 2)],
}
NODE_OF = {"__setitem__": True}  # rows whose cases name the node: (arguments, node)


def cases(entry):
    """(arguments, node) of each case."""
    if entry.name in NODE_OF:
        return CASES[entry.name]
    return [(c, entry.node) for c in CASES[entry.name]]


def build(args, dtype, layout, rng):
    """(numpy arguments, tinygrad_ext arguments): X as float64 arrays / tensors of `dtype` (strided: a transposed
    view of a contiguous tensor of the reversed shape), Ix as int64 arrays / tensors; lists and tuples inside."""
    if isinstance(args, X):
        a = rng.uniform(-2, 2, args.shape)
        if dtype == "int64":
            a = np.round(a * 3)
        t = torch.tensor(a.T.copy() if layout == "strided" else a, dtype=getattr(torch, dtype))
        return a, (t.permute(*reversed(range(t.dim()))) if layout == "strided" else t)
    if isinstance(args, Ix):
        return args.values, torch.tensor(args.values)
    if isinstance(args, (list, tuple)):
        pairs = [build(a, dtype, layout, rng) for a in args]
        return type(args)(p[0] for p in pairs), type(args)(p[1] for p in pairs)
    return args, args


def tensors_of(args):
    """The floating tensors among the arguments (the differentiable inputs), in order."""
    out = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out += tensors_of(a)
        elif isinstance(a, torch.Tensor) and a.dtype.is_floating_point:
            out.append(a)
    return out


def replaced(args, new):
    """args with their floating tensors replaced, in order, by `new`'s."""
    it = iter(new)

    def swap(a):
        if isinstance(a, list) and a and all(isinstance(x, torch.Tensor) for x in a):
            return [next(it) if x.dtype.is_floating_point else x for x in a]
        return next(it) if isinstance(a, torch.Tensor) and a.dtype.is_floating_point else a
    return tuple(swap(a) for a in args)


ROWS = pytest.mark.parametrize("entry", INDEXING, ids=lambda e: e.name)


def test_every_indexing_row_has_a_reference_and_cases():
    """Every row has a reference, cases (one with an empty input), torch's node name, a generated op; nothing
    else records these ops: no hand-written Op class is left with one of the rows' node names or the old names."""
    assert {e.name for e in INDEXING} >= {"index", "index_select", "gather", "scatter_add", "scatter.src",
                                          "scatter.value", "scatter_reduce.two", "cat", "__setitem__", "flip",
                                          "as_strided_scatter", "select_backward", "slice_backward",
                                          "diagonal_backward", "unfold_backward", "_index_put_impl"}
    for e in INDEXING:
        assert callable(reference(e)), e.name  # (a row without a reference fails here)
        assert any(0 in getattr(a, "shape", (1,)) for args, _ in cases(e) for a in (args + tuple(args[0])
                   if isinstance(args[0], list) else args)), e.name
        op = _ops.INDEXING_OPS[e.name]
        assert op.entry is e and issubclass(op, _ops._Indexed), e.name
        assert not e.node.isidentifier() or e.node.endswith(("Backward0", "Backward1")), e.name

    def subclasses(c):
        return [c] + [s for d in c.__subclasses__() for s in subclasses(d)]
    nodes = {e.node for e in INDEXING if e.node.isidentifier()}
    old = {"Index", "IndexSelect", "IndexPutAccumulate", "Gather", "ScatterAdd", "Cat", "SetItem", "_ViewScatter",
           "UnfoldBackward", "Scatter", "ScatterReduce", "Flip", "AsStridedScatter"}
    for c in subclasses(_ops.Op):
        if not issubclass(c, _ops._Indexed):
            assert (c._backward_name or c.__name__ + "Backward0") not in nodes, c
            assert c.__name__ not in old, c


@ROWS
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_value_against_numpy(entry, layout, dtype):
    ref, op = reference(entry), _ops.INDEXING_OPS[entry.name]
    for i, (args, _) in enumerate(cases(entry)):
        rng = np.random.default_rng(i)
        np_args, args = build(args, dtype, layout, rng)
        if dtype == "int64" and entry.name == "scatter.value":
            np_args, args = np_args[:3] + (int(np_args[3]),), args[:3] + (int(args[3]),)
        got = op.apply(*args)
        want = np.asarray(ref(*_typed(np_args, dtype)))
        what = f"{entry.name} case {i} ({layout}, {dtype})"
        assert tuple(got.shape) == want.shape and got.dtype == getattr(torch, dtype), what
        tol = 1e-6 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(got.numpy().astype(np.float64), want.astype(np.float64), rtol=tol, atol=tol,
                                   err_msg=what)


def _typed(np_args, dtype):
    """The numpy arguments with the tested dtype's values (lists of arrays included): float64 holding the float32
    values, int64 for int64."""
    def cast(a):
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            return a.astype(dtype).astype(np.float64 if dtype == "float32" else dtype)
        if isinstance(a, list) and a and isinstance(a[0], np.ndarray):
            return [cast(x) for x in a]
        return a
    return tuple(cast(a) for a in np_args)


@ROWS
def test_gradcheck(entry):
    """gradcheck and gradgradcheck for the differentiable inputs of every case (contiguous and strided), and
    torch's node name."""
    op = _ops.INDEXING_OPS[entry.name]
    for i, (args, node) in enumerate(cases(entry)):
        for layout in ("contiguous", "strided"):
            _, args_t = build(args, "float64", layout, np.random.default_rng(i))
            inputs = [t.detach().requires_grad_() for t in tensors_of(args_t)]

            def fn(*ts, args_t=args_t):
                return op.apply(*replaced(args_t, ts))
            what = (entry.name, i, layout)
            assert fn(*inputs).grad_fn.name() == node, what
            assert gradcheck(fn, inputs) and gradgradcheck(fn, inputs), what


@ROWS
def test_only_needed_gradients(entry):
    """With one differentiable input requiring grad the others get none, and the node lists one edge per
    differentiable input (as torch's)."""
    op = _ops.INDEXING_OPS[entry.name]
    args, _ = cases(entry)[0]
    _, args_t = build(args, "float64", "contiguous", np.random.default_rng(0))
    inputs = tensors_of(args_t)
    for k in range(len(inputs)):
        ts = [t.detach().requires_grad_(j == k) for j, t in enumerate(inputs)]
        out = op.apply(*replaced(args_t, ts))
        assert len(out.grad_fn.next_functions) == (len(ts) if entry.inputs == ("tensors",) else len(entry.inputs))
        out.sum().backward()
        assert all((t.grad is not None) == (j == k) for j, t in enumerate(ts)), (entry.name, k)


def test_scatter_reduce_in_place_keeps_what_backward_reads():
    """scatter_reduce_ overwrites self, whose old values its backward reads: it computes from a copy."""
    a = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64, requires_grad=True)
    src = torch.tensor([[4.0, 5.0]], dtype=torch.float64, requires_grad=True)
    x = a * 1
    x.scatter_reduce_(1, torch.tensor([[0, 0]]), src, "prod")
    assert x.grad_fn.name() == "ScatterReduceBackward0"
    x.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [[20.0, 1.0, 1.0]])
    np.testing.assert_allclose(src.grad.numpy(), [[5.0, 4.0]])


def test_scatter_add_reads_the_corner_of_a_larger_src():
    a = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    src = torch.ones(3, 4, dtype=torch.float64, requires_grad=True)
    out = a.scatter_add(1, torch.tensor([[0, 0], [2, 1]]), src)
    np.testing.assert_array_equal(out.detach().numpy(), [[2, 0, 0], [0, 1, 1]])
    out.backward(torch.arange(6.0, dtype=torch.float64).reshape(2, 3))
    np.testing.assert_array_equal(src.grad.numpy(), [[0, 0, 0, 0], [5, 4, 0, 0], [0, 0, 0, 0]])


def test_node_names_match_torch_if_installed():
    """The public functions' nodes, first and second order, against torch's (skipped without torch)."""
    real = pytest.importorskip("torch")
    if real is torch:
        pytest.skip("tinygrad_ext is installed as torch")

    def nodes(lib):
        x = lib.arange(20.0, dtype=lib.float64).reshape(4, 5).requires_grad_()
        s = lib.arange(10.0, dtype=lib.float64).reshape(2, 5).requires_grad_()
        i, idx = lib.tensor([0, 2, 2]), lib.tensor([[0, 1, 2, 3, 0], [3, 2, 1, 0, 1]])
        outs = [x[i], x[:, i], x.index_select(1, i), x.gather(0, idx), x.scatter_add(0, idx, s), x.scatter(0, idx, s),
                x.scatter(0, idx, 1.5), x.scatter_reduce(0, idx, s, "amax"), lib.cat([x, s]), x.flip(0),
                x.index_add(0, i, lib.ones(3, 5, dtype=lib.float64)), x.index_put((i,), s[0, 0], accumulate=True),
                lib.as_strided_scatter(x, s[0, :2], (2,), (3,), 1)]
        for key in [(i,), (slice(None), i), (i, slice(1, 3)), (1,), (x > 3,)]:
            y = x * 1
            y[key] = 0.5
            outs.append(y)
        names = [o.grad_fn.name().replace("torch::autograd::", "") for o in outs]
        for o in outs[:3] + [x.select(0, 1), x[1:3], x.diagonal(), x.unfold(1, 2, 1)]:
            g, = lib.autograd.grad(o, x, lib.ones_like(o).requires_grad_(), create_graph=True)
            names.append(g.grad_fn.name())
        return names
    assert nodes(torch) == nodes(real)


def test_a_float_written_into_an_integer_tensor_records_nothing():
    """As torch's: the result is not floating, so it takes no node (backward from it raises)."""
    a = torch.zeros(3, 3, dtype=torch.bool)
    a[..., -1, 2] = torch.tensor(-2.2, dtype=torch.float64, requires_grad=True)
    assert not a.requires_grad and a.grad_fn is None and a[2, 2].item()
