"""torch's contractions and products beyond mm/bmm: einsum (any equation, as diagonals, sums and one
bmm per pair of operands), tensordot, baddbmm, addbmm, addmv, addr, cross, cdist. Compositions of
views, reductions and the core's GEMM, differentiable through those ops. And the SVD (the CPU kernel of
csrc/cpu/linalg.cpp; its autograd op is _ops.LINALG_OPS['linalg_svd'])."""
import functools
import math
import string
import warnings

from . import _C, _ops
from ._autocast import ACTIVE as _AMP
from ._autocast import cast_inputs as _amp_cast
from ._host import on_host
from ._reduction_ops import _return_type
from .tensor import Tensor, _broadcast_shape, _dot, _named, _needs_grad, _wrap, write_out

_LETTERS = string.ascii_letters


# ---------------------------------------------------------------------- einsum
def _parse_term(term, operand_index, equation, offset):
    """The labels of one operand's subscripts: letters, and "..." as None."""
    labels, i = [], 0
    while i < len(term):
        if term.startswith("...", i):
            if None in labels:
                raise RuntimeError("einsum(): found '.' for operand " f"{operand_index} for which an ellipsis was "
                                   "already found")
            labels.append(None)
            i += 3
            continue
        if term[i] not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index {offset + i} in the equation string, "
                               "subscripts must be in [a-zA-Z]")
        labels.append(term[i])
        i += 1
    return labels


def _sublist_equation(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [out]): the equation string and the operands."""
    out = args[-1] if len(args) % 2 else None
    pairs = args[:-1] if len(args) % 2 else args
    ops, terms = list(pairs[0::2]), list(pairs[1::2])

    def term(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)

    eq = ",".join(term(t) for t in terms) + ("" if out is None else "->" + term(out))
    return eq, ops


@functools.lru_cache(maxsize=256)
def _equation_labels(equation, ndims):
    """The labels of each operand and of the output (ellipsis dims as integers, right-aligned across
    operands), for operands of `ndims` dimensions. Cached: models call one equation many times."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(ndims):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(ndims):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    # Each operand's labels; ellipsis dims become integer labels, right-aligned across operands.
    n_ell = 0
    parsed, offset = [], 0
    for k, (term, nd) in enumerate(zip(terms, ndims)):
        labels = _parse_term(term, k, equation, offset)
        offset += len(term) + 1
        named = len(labels) - (None in labels)
        if None not in labels and named != nd or None in labels and named > nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                               + ("is more than the number of dimensions" if None in labels else
                                  "does not match the number of dimensions")
                               + f" ({nd}) for operand {k}"
                               + ("" if None in labels else " and no ellipsis was given"))
        parsed.append(labels)
        n_ell = max(n_ell, nd - named)
    ops_labels = []
    for labels, nd in zip(parsed, ndims):
        if None in labels:
            e = nd - (len(labels) - 1)
            i = labels.index(None)
            labels = labels[:i] + list(range(n_ell - e, n_ell)) + labels[i + 1:]
        ops_labels.append(labels)
    counts = {}
    for labels in ops_labels:
        for lab in labels:
            counts[lab] = counts.get(lab, 0) + 1
    if arrow:
        out = _parse_term(rhs, -1, equation, len(lhs) + 2)
        if None in out:
            i = out.index(None)
            out = out[:i] + list(range(n_ell)) + out[i + 1:]
        for lab in out:
            if isinstance(lab, str) and lab not in counts:
                raise RuntimeError(f"einsum(): output subscript {lab} does not appear in the equation for any input "
                                   "operand")
            if out.count(lab) > 1:
                raise RuntimeError(f"einsum(): output subscript {lab} appears more than once in the output")
    else:  # implicit output: the ellipsis dims, then the letters seen once, in alphabetical order
        out = list(range(n_ell)) + sorted(lab for lab, c in counts.items() if isinstance(lab, str) and c == 1)
    return ops_labels, out


def einsum(*args):
    if args and isinstance(args[0], Tensor):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    key = (equation, *(x.shape for x in operands))
    plan = _PLANS.get(key)
    if plan is not None:
        return plan(*operands)
    result, plan = _traced_contraction(equation, operands)
    if len(_PLANS) >= 512:
        _PLANS.clear()
    _PLANS[key] = plan
    return result


# einsum's plans by (equation, operand shapes): every step of a contraction depends on the labels and the shapes
# only, so the first call with those shapes is traced and later calls run the traced calls as one generated
# function (a few Tensor calls, as a hand-written contraction would make).
_PLANS = {}


def _traced_contraction(equation, operands):
    """The first call of an equation with these shapes: checked, contracted, and its Tensor calls written down."""
    ops_labels, out = _equation_labels(equation, tuple(x.dim() for x in operands))
    sizes = {}
    for k, (labels, x) in enumerate(zip(ops_labels, operands)):
        for lab, n in zip(labels, x.shape):
            seen = sizes.get(lab, 1)
            if n != seen and n != 1 and seen != 1:
                name = lab if isinstance(lab, str) else "..."
                raise RuntimeError(f"einsum(): subscript {name} has size {n} for operand {k} which does not broadcast "
                                   f"with previously seen size {seen}")
            sizes[lab] = seen if n == 1 else n  # (a size-1 dim broadcasts, also against an empty one)
    lines = []
    traced = [_Traced(x, f"t{k}", lines) for k, x in enumerate(operands)]
    result = _contract(traced, ops_labels, out, sizes)
    names = ", ".join(t.name for t in traced)
    code = "\n".join([f"def plan({names}):"] + [f"    {line}" for line in lines] + [f"    return {result.name}"])
    scope = {}
    exec(compile(code, f"<einsum {equation!r}>", "exec"), scope)  # noqa: S102 (names and integer lists only)
    return result.value, scope["plan"]


class _Traced:
    """An operand or intermediate of a contraction being traced: each Tensor call runs on the real tensor and is
    written as a line of the plan."""
    __slots__ = ("value", "name", "lines")

    def __init__(self, value, name, lines):
        self.value, self.name, self.lines = value, name, lines

    @property
    def shape(self):
        return self.value.shape

    def _record(self, expression, value):
        name = f"r{len(self.lines)}"
        self.lines.append(f"{name} = {expression}")
        return _Traced(value, name, self.lines)

    def __mul__(self, other):
        return self._record(f"{self.name} * {other.name}", self.value * other.value)

    def __getattr__(self, method):
        def call(*args):
            text = ", ".join(a.name if isinstance(a, _Traced) else repr(a) for a in args)
            values = [a.value if isinstance(a, _Traced) else a for a in args]
            return self._record(f"{self.name}.{method}({text})", getattr(self.value, method)(*values))
        return call


def _take_diagonals(x, labels):
    """A label repeated within one operand: its diagonal."""
    while len(set(labels)) < len(labels):
        for i, lab in enumerate(labels):
            j = labels.index(lab, i + 1) if labels.count(lab) > 1 else -1
            if j > 0:
                x = x.diagonal(0, i, j)
                labels = [v for k, v in enumerate(labels) if k not in (i, j)] + [lab]
                break
    return x, labels


def _sum_labels(x, labels, drop):
    dims = [i for i, lab in enumerate(labels) if lab in drop]
    if dims:
        x = x.sum(dims)
        labels = [lab for lab in labels if lab not in drop]
    return x, labels


def _contract(operands, ops_labels, out, sizes):
    items = []
    for k, (x, labels) in enumerate(zip(operands, ops_labels)):
        x, labels = _take_diagonals(x, labels)
        elsewhere = set(out).union(*(set(lb) for j, lb in enumerate(ops_labels) if j != k))
        items.append(_sum_labels(x, labels, set(labels) - elsewhere))
    x, labels = items[0]
    for k in range(1, len(items)):
        y, ylabels = items[k]
        later = set(out).union(*(set(lb) for _, lb in items[k + 1:]))
        x, labels = _pair(x, labels, y, ylabels, later, sizes)
    x, labels = _sum_labels(x, labels, set(labels) - set(out))
    if labels != out:
        x = x.permute([labels.index(lab) for lab in out])
    return x


def _pair(a, la, b, lb, later, sizes):
    """a and b contracted over their shared labels not needed later, as one bmm:
    (batch, left, k) @ (batch, k, right)."""
    batch = [lab for lab in la if lab in lb and lab in later]
    summed = [lab for lab in la if lab in lb and lab not in later]
    left = [lab for lab in la if lab not in lb]
    right = [lab for lab in lb if lab not in la]
    order_a = [la.index(lab) for lab in batch + left + summed]
    order_b = [lb.index(lab) for lab in batch + summed + right]
    if order_a != sorted(order_a):
        a = a.permute(order_a)
    if order_b != sorted(order_b):
        b = b.permute(order_b)
    shape_a = [sizes[lab] for lab in batch + left + summed]  # (size-1 dims broadcast)
    shape_b = [sizes[lab] for lab in batch + summed + right]
    if list(a.shape) != shape_a:
        a = a.expand(shape_a)
    if list(b.shape) != shape_b:
        b = b.expand(shape_b)
    nb, nl, nk = (math.prod(shape_a[:len(batch)]), math.prod(shape_a[len(batch):len(batch) + len(left)]),
                  math.prod(shape_a[len(batch) + len(left):]))
    nr = math.prod(shape_b[len(batch) + len(summed):])
    if nk == 1:  # nothing summed: an outer product per batch
        prod = _shaped(a, [nb, nl, 1]) * _shaped(b, [nb, 1, nr])
    elif nl * nk * nr < 400:  # torch contracts a pair by bmm, which sums each dot in order below 400 products
        prod = _shaped(a, [nb, nl, nk]).bmm(_shaped(b, [nb, nk, nr]))
    elif nl == 1 and nr == 1:  # one dot product per batch: 1x1 GEMMs would waste the kernel
        prod = (_shaped(a, [nb, nk]) * _shaped(b, [nb, nk])).sum(1)
    elif nb == 1:  # no batch: one mm
        prod = _shaped(a, [nl, nk]).mm(_shaped(b, [nk, nr]))
    else:
        prod = _shaped(a, [nb, nl, nk]).bmm(_shaped(b, [nb, nk, nr]))
    out_shape = shape_a[:len(batch) + len(left)] + shape_b[len(batch) + len(summed):]
    return _shaped(prod, out_shape), batch + left + right


def _shaped(x, shape):
    """x reshaped to `shape`, or x itself when it has that shape (no view node, no call)."""
    return x if list(x.shape) == shape else x.reshape(shape)


# ------------------------------------------------------------------- tensordot
def tensordot(a, b, dims=2, out=None):
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.dim() - dims, a.dim())), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    da = [_C.wrap_dim(d, a.dim()) for d in da]
    db = [_C.wrap_dim(d, b.dim()) for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[x]} in dim {x} and "
                               f"second has size {b.shape[y]} in dim {y}")
    ka = [d for d in range(a.dim()) if d not in da]
    kb = [d for d in range(b.dim()) if d not in db]
    n = math.prod(a.shape[d] for d in da)
    am = a.permute(ka + da).reshape(math.prod(a.shape[d] for d in ka), n)
    bm = b.permute(db + kb).reshape(n, math.prod(b.shape[d] for d in kb))
    result = am.mm(bm).reshape([a.shape[d] for d in ka] + [b.shape[d] for d in kb])
    return result if out is None else write_out(out, result)


def inner(input, other):
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def vdot(input, other):
    return _dot("vdot", input, other)


def chain_matmul(*matrices):
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
                  "parameters.", UserWarning, stacklevel=2)
    return matmul_chain(*matrices)


def matmul_chain(*matrices):
    """chain_matmul's product (linalg.multi_dot's too), without its deprecation warning."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    out = matrices[0]
    for m in matrices[1:]:
        out = out.mm(m)
    return out


# ------------------------------------------------------------- scaled products
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    if out is not None:
        return write_out(out, baddbmm(input, batch1, batch2, beta=beta, alpha=alpha))
    if _AMP[0]:
        input, batch1, batch2 = _amp_cast("baddbmm", input, batch1, batch2)
    return _ops.MATMUL_OPS["baddbmm"].apply(input, batch1, batch2, beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    if out is not None:
        return write_out(out, addbmm(input, batch1, batch2, beta=beta, alpha=alpha))
    if _AMP[0]:
        input, batch1, batch2 = _amp_cast("addbmm", input, batch1, batch2)
    if batch1.dim() != 3 or batch2.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if batch1.dim() != 3 else "batch2 must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0] or batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch1.shape[0]}, {batch1.shape[2]}] but got: [{batch2.shape[0]}, {batch2.shape[1]}].")
    return _ops.MATMUL_OPS["addbmm"].apply(input, batch1, batch2, beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    if out is not None:
        return write_out(out, addmv(input, mat, vec, beta=beta, alpha=alpha))
    if mat.dim() != 2 or vec.dim() != 1 or input.dim() > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.dim()}, {mat.dim()}, {vec.dim()}")
    if mat.shape[1] != vec.shape[0] or (input.numel() != 1 and input.shape[0] != mat.shape[0]):
        raise RuntimeError(f"size mismatch, got input ({', '.join(map(str, input.shape))}), mat "
                           f"({'x'.join(map(str, mat.shape))}), vec ({', '.join(map(str, vec.shape))})")
    if not input.dtype == mat.dtype == vec.dtype:
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{input.dtype._legacy[:-6]}, {mat.dtype._legacy[:-6]}, and {vec.dtype._legacy[:-6]}")
    return _ops.MATMUL_OPS["addmv"].apply(input, mat, vec, beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    if out is not None:
        return write_out(out, addr(input, vec1, vec2, beta=beta, alpha=alpha))
    if vec1.dim() != 1 or vec2.dim() != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.dim()}-D" if vec1.dim() != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2.dim()}-D")
    return _ops.MATMUL_OPS["addr"].apply(input, vec1, vec2, beta, alpha)


# ------------------------------------------------------------------- geometry
def _cross(input, other, dim, name):
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._legacy[:-6]} but found {other.dtype._legacy[:-6]}")
    shape = _broadcast_shape(input.shape, other.shape)
    a = input if list(input.shape) == shape else input.expand(shape)
    b = other if list(other.shape) == shape else other.expand(shape)
    d = _C.wrap_dim(dim, len(shape))
    if shape[d] != 3:
        raise RuntimeError(f"{name}: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
                           f"{other.shape[d]}")
    # component i = a[i+1] b[i+2] - a[i+2] b[i+1]
    return _named(a.roll(-1, d) * b.roll(-2, d) - a.roll(-2, d) * b.roll(-1, d), "LinalgCrossBackward0")


def cross(input, other, dim=None):
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        shape = _broadcast_shape(input.shape, other.shape)
        if 3 not in shape:
            raise RuntimeError("no dimension of size 3 in input")
        dim = shape.index(3)
    return _cross(input, other, dim, "linalg.cross")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Distances between the rows of x1 (..., P, M) and x2 (..., R, M). p = 2 goes through a matmul
    (|x|^2 + |y|^2 - 2 x.y) where torch's compute_mode would, else through the differences' p-norm."""
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dim() < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.dim()}D")
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {x.dtype._legacy[:-6]}")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {x1.dtype._legacy[:-6]} but found {x2.dtype._legacy[:-6]}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                            "donot_use_mm_for_euclid_dist"):
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or compute_mode.endswith("if_necessary") and
                         (x1.shape[-2] > 25 or x2.shape[-2] > 25))
    if use_mm:
        sq = (x1 * x1).sum(-1, keepdim=True) + (x2 * x2).sum(-1).unsqueeze(-2) - 2 * x1.matmul(x2.transpose(-1, -2))
        sq = sq.clamp(min=0)
        return _ops.REGISTERED["_cdist_sqrt"].apply(sq) if _needs_grad(sq) else _wrap(_C.sqrt(sq._impl))
    return _named((x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, -1), "CdistBackward0")


# ------------------------------------------------------------------------- SVD
svd_type = _return_type("svd", ("U", "S", "V"))


def _svd_input(A, name):
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {A.dtype._legacy[:-6]}")


@on_host
def _linalg_svd(A, full_matrices=True):
    """torch.linalg.svd's (U, S, Vh); U (..., m, m) and Vh (..., n, n) when full_matrices, else (..., m, k) and
    (..., k, n), k = min(m, n). The CPU kernel is Golub-Kahan-Reinsch: Householder bidiagonalization and
    implicitly shifted QR (csrc/cpu/linalg.cpp)."""
    _svd_input(A, "linalg.svd")
    return _ops.LINALG_OPS["linalg_svd"].apply(A, full_matrices)


@on_host
def _svdvals(A):
    """The singular values (..., k), descending; differentiable (gA = U diag(gS) Vh)."""
    _svd_input(A, "linalg.svd")
    return _ops.singular_values(A)


def svd(input, some=True, compute_uv=True, *, out=None):
    """torch.svd (deprecated in torch for linalg.svd): (U, S, V) with V = Vh^T, reduced unless some=False;
    without compute_uv, U and V are zeros of the full sizes (as torch's)."""
    if compute_uv:
        U, S, Vh = _linalg_svd(input, full_matrices=not some)
        result = svd_type(U, S, Vh.transpose(-2, -1))
    else:
        S = _svdvals(input)
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        result = svd_type(input.new_zeros(batch + (m, m)), S, input.new_zeros(batch + (n, n)))
    return result if out is None else svd_type(*(o.copy_(r) for o, r in zip(out, result)))


_SHARED = ("addbmm", "addmv", "addr", "baddbmm", "cross", "inner", "svd", "vdot")
# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {n: globals()[n] for n in _SHARED}
FUNCTIONS = {n: globals()[n] for n in _SHARED + ("einsum", "tensordot", "cdist", "chain_matmul")}
