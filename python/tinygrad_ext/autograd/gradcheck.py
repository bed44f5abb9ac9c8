"""gradcheck / gradgradcheck: analytical gradients against central differences, as torch's slow mode.

The numerical Jacobian takes one perturbation loop over every element of every differentiable input
(two calls of the function per element); the analytical one takes one backward per output element,
with respect to all differentiable inputs at once. Use float64 inputs and small shapes."""
import warnings

from .. import _C, _dtype
from ..tensor import Tensor, cat, randn, stack, zeros
from .engine import grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck / gradgradcheck when a check fails (a RuntimeError, as torch's)."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _element(impl, j, shape):
    """A 0-d view of element j (row-major) of impl, whatever its strides."""
    idx = []
    for s in reversed(shape):
        idx.append(j % s)
        j //= s
    for i in reversed(idx):
        impl = _C.select(impl, 0, i)
    return impl


def _flat_outputs(fn, inputs):
    """The function's floating outputs, flattened, copied and concatenated (grad mode off)."""
    outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and o.dtype.is_floating_point]
    flat = [o.detach().reshape(-1).to(_dtype.float64).clone() for o in outs]  # (an output may alias an input)
    return cat(flat) if flat else None


def _numerical_jacobian(fn, inputs, diff, eps):
    """J[j, k] = d out_k / d x_j by central differences; rows: every element of every input in diff."""
    rows = []
    for i in diff:  # (grad mode stays as it is: gradgradcheck's function calls autograd.grad)
        x = inputs[i]
        impl, shape = x._impl, tuple(x.shape)
        for j in range(x.numel()):
            e = _element(impl, j, shape)
            orig = _C.item(e)
            _C.fill_(e, orig + eps)
            plus = _flat_outputs(fn, inputs)
            _C.fill_(e, orig - eps)
            minus = _flat_outputs(fn, inputs)
            _C.fill_(e, orig)
            rows.append((plus - minus) / (2 * eps))
    return stack(rows) if rows else None


def _analytical_jacobian(outputs, inputs, diff, check_grad_dtypes):
    """J[j, k] = d out_k / d x_j from one backward per output element (rows as the numerical one)."""
    xs = [inputs[i] for i in diff]
    n_in = sum(x.numel() for x in xs)
    cols = []
    for k, out in enumerate(outputs):
        n = out.numel()
        if not out.requires_grad:
            cols.extend(zeros(n_in, dtype=_dtype.float64) for _ in range(n))
            continue
        for r in range(n):
            go = zeros(n, dtype=out.dtype, device=out.device)
            _C.fill_(_C.select(go._impl, 0, r), 1.0)
            gs = grad(out, xs, go.reshape(out.shape), retain_graph=True, allow_unused=True)
            col = []
            for x, g in zip(xs, gs):
                if g is None:
                    col.append(zeros(x.numel(), dtype=_dtype.float64))
                    continue
                if g.shape != x.shape:
                    raise GradcheckError(f"Gradient has shape {list(g.shape)} but the input has shape "
                                         f"{list(x.shape)}")
                if check_grad_dtypes and g.dtype is not x.dtype:
                    raise GradcheckError(f"Gradient has dtype mismatch: got {g.dtype}, expected {x.dtype}")
                col.append(g.detach().reshape(-1).to(_dtype.float64))
            cols.append(cat(col) if col else zeros(0, dtype=_dtype.float64))
    return stack(cols, 1) if cols else None


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _index_of(j, diff, inputs):
    """(input index, element index) of Jacobian row j."""
    for i in diff:
        n = inputs[i].numel()
        if j < n:
            return i, j
        j -= n
    return diff[-1], j


def _output_of(k, outputs):
    for o, out in enumerate(outputs):
        if k < out.numel():
            return o, k
        k -= out.numel()
    return len(outputs) - 1, k


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Checks the gradients of func at inputs (the tensors with requires_grad=True) against finite
    differences: |analytical - numerical| <= atol + rtol * |numerical| for every Jacobian entry."""
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype is not _dtype.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating "
                          "point or complex. ", UserWarning, stacklevel=2)
    outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.dtype.is_floating_point]
    if not outputs or not check_backward_ad:
        return True
    # Backward first: the perturbation loop writes into the inputs (bumping their version counters).
    analytical = _analytical_jacobian(outputs, inputs, diff, check_grad_dtypes)
    if not _reentrant(outputs, inputs, diff, nondet_tol):
        return _fail("Backward is not reentrant, i.e., running backward with same input and grad_output multiple "
                     "times gives different values, although analytical gradient matches numerical gradient.The "
                     f"tolerance for nondeterminism was {nondet_tol}.", raise_exception)
    numerical = _numerical_jacobian(func, inputs, diff, eps)
    if numerical is None or analytical is None:
        return True
    ok = ((analytical - numerical).abs() <= atol + rtol * numerical.abs())
    if not bool(ok.all()):
        bad = (~ok).nonzero()[0].tolist()
        i, j = _index_of(bad[0], diff, inputs)
        o, r = _output_of(bad[1], outputs)
        rows = slice(bad[0] - j, bad[0] - j + inputs[i].numel())  # torch shows the block of (input i, output o)
        cols = slice(bad[1] - r, bad[1] - r + outputs[o].numel())
        dt = outputs[o].dtype
        msg = (f"Jacobian mismatch for output {o} with respect to input {i},\n"
               f"numerical:{numerical[rows, cols].to(dt)}\nanalytical:{analytical[rows, cols].to(dt)}\n")
        if not outputs[o].requires_grad:  # an output that does not require grad must not depend on the inputs
            msg = f"Numerical gradient for function expected to be zero (output {o} does not require grad)\n" + msg
        return _fail(msg, raise_exception)
    return True


def _reentrant(outputs, inputs, diff, nondet_tol):
    """The same backward twice gives the same values."""
    diff_outs = [o for o in outputs if o.requires_grad]
    if diff_outs:
        xs = [inputs[i] for i in diff]
        gos = [randn(*o.shape, dtype=o.dtype, device=o.device) for o in diff_outs]
        g1 = grad(diff_outs, xs, gos, retain_graph=True, allow_unused=True)
        g2 = grad(diff_outs, xs, gos, retain_graph=True, allow_unused=True)
        for a, b in zip(g1, g2):
            if (a is None) != (b is None) or (a is not None and bool(((a - b).abs() > nondet_tol).any())):
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """gradcheck of the first derivatives (built with create_graph=True) with respect to the inputs and the
    grad_outputs (random float64 ones when not given)."""
    inputs = _as_tuple(inputs)
    n = len(inputs)
    if grad_outputs is None:
        outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
        grad_outputs = tuple(randn(*o.shape, dtype=o.dtype, device=o.device).requires_grad_() for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)

    def first_grads(*args):
        xs, gos = args[:n], args[n:]
        outs = [o for o in _as_tuple(func(*xs)) if isinstance(o, Tensor) and o.requires_grad]
        diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        grads = grad(outs, diff, list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_grads, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol, check_grad_dtypes=check_grad_dtypes)
