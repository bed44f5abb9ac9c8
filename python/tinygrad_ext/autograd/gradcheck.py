"""gradcheck / gradgradcheck: analytical gradients against central differences, as torch's slow mode.

In torch's order, so a function or backward that prints, counts or draws random numbers sees the same calls:
the function once; the numerical Jacobian (every element of every differentiable input perturbed through
``.data``, which leaves the input's version alone: the function at x - eps, then at x + eps, the difference
divided in the output's dtype); per differentiable output, the analytical Jacobian twice (one backward per
output element, the two compared for reentrancy) and the comparison; one backward of zeros (the gradient must be
multiplied by grad_output); then the function once more (once per output too when there are several) for the
undefined-gradient check, a backward of zeros each. gradcheck draws no random numbers; gradgradcheck draws its
grad_outputs uniform in [-1, 1) when none are given, as torch.testing.make_tensor. Use float64 inputs and small
shapes."""
import itertools
import warnings

from .. import _C, _dtype
from ..tensor import Tensor, empty, zeros_like
from . import forward_ad as fwAD
from .engine import grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck / gradgradcheck when a check fails (a RuntimeError, as torch's)."""


_FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""

_UNDEFINED_WARNING = ("Backwards compatibility: New undefined gradient support checking feature is enabled by "
                      "default, but it may break existing callers of this function. If this is true for you, you "
                      'can call this function with "check_undefined_grad=False" to disable the feature')


def _as_tuple(x):
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _differentiable_outputs(x):
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _is_float(t):
    return isinstance(t, Tensor) and (t.dtype.is_floating_point or t.dtype.is_complex)


def _diff_inputs(inputs):
    return [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]


def _check_inputs(inputs):
    found = False
    for idx, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x.dtype is not _dtype.float64:  # (no complex dtypes in tinygrad_ext)
                warnings.warn(f"Input #{idx} requires gradient and is not a double precision floating point or "
                              "complex. This check will likely fail if all the inputs are not of double precision "
                              "floating point or complex. ", UserWarning, stacklevel=4)
            if not all(st > 0 or sz <= 1 for st, sz in zip(x.stride(), x.shape)):
                raise RuntimeError(f"The {idx}th input has a dimension with stride 0. gradcheck only supports "
                                   "inputs that are non-overlapping to be able to compute the numerical gradients "
                                   "correctly. You should call .contiguous on the input before passing it to "
                                   "gradcheck.")
            found = True
    if not found:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")


def _numerical_jacobian(fn, inputs, outputs, eps):
    """[input][output] Jacobians (input numel x output numel, the output's dtype) by central differences."""
    float_outs = [o for o in outputs if _is_float(o)]
    result = []
    for x in _diff_inputs(inputs):
        jacobians = [o.new_zeros((x.numel(), o.numel())) for o in float_outs]
        data = x.data  # perturbed in place without a version bump, as torch's
        for d_idx, idx in enumerate(itertools.product(*[range(m) for m in data.shape])):
            entry = data[idx]
            orig = entry.clone()
            entry.copy_(orig - eps)
            outa = tuple(a.clone() for a in _as_tuple(fn(*inputs)))
            entry.copy_(orig + eps)
            outb = tuple(b.clone() for b in _as_tuple(fn(*inputs)))
            entry.copy_(orig)
            cols = []
            for a, b in zip(outa, outb):
                if a.shape != b.shape:
                    raise AssertionError(f"Expected `func` to return outputs with the same shape when inputs are "
                                         f"perturbed on index {idx} by {eps}, but got: shapes {a.shape} and "
                                         f"{b.shape}.")
                if a.dtype != b.dtype:
                    raise AssertionError(f"Expected `func` to return outputs with the same dtype when inputs are "
                                         f"perturbed on index {idx} by {eps}, but got: dtypes {a.dtype} and "
                                         f"{b.dtype}.")
                cols.append(((b - a) / (2 * eps)).detach().reshape(-1))
            for k, jacobian in enumerate(jacobians):
                jacobian[d_idx] = cols[k]
        result.append(jacobians)
    return result


def _analytical_rows(output, xs):
    """[input][row]: the gradients of each output element (None where none flowed)."""
    base = zeros_like(output).contiguous()
    flat = base.view(-1)
    rows = [[] for _ in xs]
    for j in range(flat.numel()):
        flat.zero_()
        flat[j] = 1.0
        for i, g in enumerate(grad(output, xs, base, retain_graph=True, allow_unused=True)):
            rows[i].append(g.clone() if isinstance(g, Tensor) else None)
    return rows


def _stack(rows, xs, n_out):
    """(jacobians (input numel x output numel, the input's dtype), sizes_ok, types_ok)."""
    jacobians, sizes_ok, types_ok = [], True, True
    for x, per_row in zip(xs, rows):
        jacobian = x.new_zeros((x.numel(), n_out))
        for j, g in enumerate(per_row):
            if g is not None and g.shape != x.shape:
                sizes_ok = False
            elif g is not None and g.dtype != x.dtype:
                types_ok = False
            if g is not None:
                if x.numel() != g.numel():
                    raise AssertionError(f"Expected out_jacobian column to have {g.numel()} elements, but got "
                                         f"{x.numel()}")
                jacobian[:, j] = g.reshape(-1)
        jacobians.append(jacobian)
    return jacobians, sizes_ok, types_ok


def _analytical_jacobian(inputs, output, nondet_tol, check_grad_dtypes):
    xs = _diff_inputs(inputs)
    first, sizes_ok, types_ok = _stack(_analytical_rows(output.clone(), xs), xs, output.numel())
    second, _, _ = _stack(_analytical_rows(output.clone(), xs), xs, output.numel())
    reentrant = all(a.numel() == 0 or not bool((a - b).abs().max() > nondet_tol) for a, b in zip(first, second))
    # (torch swaps the two flags here: a wrong dtype reports an incorrect size, a wrong size a dtype mismatch)
    if not sizes_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not types_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError("Backward is not reentrant, i.e., running backward with same input and grad_output "
                             "multiple times gives different values, although analytical gradient matches "
                             f"numerical gradient.The tolerance for nondeterminism was {nondet_tol}."
                             + _FAILED_NONDET_MSG)
    return first


def _allclose(a, b, rtol, atol):
    common = _dtype.BY_ID[_C.promote_types(a.dtype.id, b.dtype.id)]
    return a.to(common).allclose(b.to(common), rtol, atol)


def _slow_gradcheck(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol):
    func_out = _as_tuple(func_out)
    if not outputs:
        for per_input in _numerical_jacobian(func, inputs, func_out, eps):
            for jacobian in per_input:
                if bool((jacobian != 0).sum() > 0):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return
    numerical = list(zip(*_numerical_jacobian(func, inputs, func_out, eps)))  # [output][input]
    numerical = [n for o, n in zip(func_out, numerical) if o.requires_grad]
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobian(inputs, o, nondet_tol, check_grad_dtypes)
        for j, (a, n) in enumerate(zip(analytical, numerical[i])):
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(f"Jacobian mismatch for output {i:d} with respect to input {j:d},\n"
                                     f"numerical:{n}\nanalytical:{a}\n")


def _test_backward_mul_by_grad_output(outputs, inputs):
    xs = _diff_inputs(inputs)
    if not xs:
        raise GradcheckError("no Tensors requiring grad found in input")
    if not outputs:
        return
    grads = grad(outputs, xs, [zeros_like(o).contiguous() for o in outputs], allow_unused=True)
    for gi, di in zip(grads, xs):
        if gi is None:
            continue
        if not bool(gi.eq(0).all()):
            raise GradcheckError("backward not multiplied by grad_output")
        if gi.dtype != di.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi.device != di.device:
            raise GradcheckError("grad is incorrect device")
        if gi.shape != di.shape:
            raise GradcheckError("grad is incorrect size")


def _test_undefined_backward_mode(func, outputs, inputs):
    """Every backward must take all-zero (undefined) output gradients, all at once and one at a time."""
    xs = _diff_inputs(inputs)
    if not xs:
        raise GradcheckError("no Tensors requiring grad found in input")

    def check(outs):
        if not outs:
            return True
        try:
            grads = grad(outs, xs, [zeros_like(o).contiguous() for o in outs], allow_unused=True)
        except RuntimeError as e:
            warnings.warn(_UNDEFINED_WARNING, UserWarning, stacklevel=2)
            raise GradcheckError('Expected backward function to handle undefined output grads. Please look at '
                                 '"Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"'
                                 ) from e
        for gi in grads:
            if gi is not None and not bool(gi.eq(0).all()):
                warnings.warn(_UNDEFINED_WARNING, UserWarning, stacklevel=2)
                raise GradcheckError("Expected all input grads to be undefined or zero when all output grads are "
                                     'undefined or zero. Please look at "Notes about undefined output gradients" in '
                                     '"tools/autograd/derivatives.yaml"')
        return True

    to_check = [[o for o in _differentiable_outputs(func(*inputs)) if isinstance(o, Tensor)]]
    if len(to_check[0]) > 1:
        for _ in range(len(outputs)):
            to_check.append(list(_differentiable_outputs(func(*inputs))))
    return all(check(outs) for outs in to_check)


def _forward_ad_jacobians(func, inputs, check_grad_dtypes):
    """[input][output] Jacobians (input numel x output numel) by forward AD: every differentiable input made a
    dual with a zero tangent, one tangent element set to 1 per call of func, as torch's."""
    with fwAD.dual_level():
        tangents, dual_inputs = [], []
        for x in inputs:
            if isinstance(x, Tensor) and x.requires_grad:
                x = fwAD.make_dual(x.detach(), zeros_like(x))
                tangents.append(fwAD.unpack_dual(x).tangent)
            dual_inputs.append(x)
        result = []
        for tangent in tangents:
            flat = tangent.view(-1)
            per_output = None
            for k in range(flat.numel()):
                flat[k] = 1.0
                outs = [o for o in _as_tuple(func(*dual_inputs)) if _is_float(o)]
                if per_output is None:
                    per_output = [o.new_zeros((flat.numel(), o.numel())) for o in outs]
                for jacobian, o in zip(per_output, outs):
                    value, res = fwAD.unpack_dual(o)
                    if check_grad_dtypes and res is not None and value.dtype != res.dtype:
                        raise GradcheckError("Forward AD gradient has dtype mismatch.")
                    if res is not None:
                        jacobian[k] = res.detach().reshape(-1)
                flat[k] = 0.0
            result.append(per_output or [])
    return result


def _forward_gradcheck(func, inputs, eps, rtol, atol, check_grad_dtypes):
    numerical = _numerical_jacobian(func, inputs, _as_tuple(func(*inputs)), eps)  # [input][output]
    analytical = _forward_ad_jacobians(func, inputs, check_grad_dtypes)
    for j, (per_n, per_a) in enumerate(zip(numerical, analytical)):
        for i, (n, a) in enumerate(zip(per_n, per_a)):
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(f"Jacobian computed with forward mode mismatch for output {i:d} with respect to "
                                     f"input {j:d},\nnumerical:{n}\nanalytical:{a}\n")


def _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes,
                      check_backward_ad, check_forward_ad=False):
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    func_out = func(*inputs)
    outputs = _differentiable_outputs(func_out)
    if check_forward_ad:
        _forward_gradcheck(func, inputs, eps, rtol, atol, check_grad_dtypes)
    if check_backward_ad:
        _slow_gradcheck(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol)
    else:
        return True
    _test_backward_mul_by_grad_output(outputs, inputs)
    if check_undefined_grad:
        _test_undefined_backward_mode(func, outputs, inputs)
    return True


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Checks the gradients of func at inputs (the tensors with requires_grad=True) against finite
    differences: allclose(analytical, numerical, rtol, atol) for the Jacobian of every (output, input) pair."""
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    args = (func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes, check_backward_ad,
            check_forward_ad)
    if not raise_exception:
        try:
            return _gradcheck_helper(*args)
        except GradcheckError:
            return False
    return _gradcheck_helper(*args)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """gradcheck of the first derivatives (built with create_graph=True) with respect to the inputs and the
    grad_outputs (when not given, drawn uniform in [-1, 1) in each differentiable output's dtype, float64 for
    the others, as torch.testing.make_tensor)."""
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        grad_outputs = []
        for o in _differentiable_outputs(func(*inputs)):
            dt = o.dtype if o.dtype.is_floating_point or o.dtype.is_complex else _dtype.float64
            g = empty(o.shape, dtype=dt, device=o.device).uniform_(-1, 1)
            if gen_non_contig_grad_outputs and g.numel() > 1:
                g = g.repeat_interleave(2, dim=-1)[..., ::2]
            grad_outputs.append(g.requires_grad_())
        grad_outputs = tuple(grad_outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_inputs = {i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad}
    diff_grad_outputs = {i for i, g in enumerate(grad_outputs) if g.requires_grad}

    def new_func(*args):
        xs = tuple(x.requires_grad_() if i in diff_inputs else x for i, x in enumerate(args[:-n_out]))
        outs = _differentiable_outputs(func(*xs))
        gos = tuple(g.requires_grad_() if i in diff_grad_outputs else g for i, g in enumerate(args[-n_out:]))
        diff = tuple(x for i, x in enumerate(xs) if i in diff_inputs)
        grads = grad(outs, diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception,
                     nondet_tol=nondet_tol, check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     fast_mode=fast_mode, check_forward_ad=check_fwd_over_rev, check_backward_ad=check_rev_over_rev,
                     masked=masked)
