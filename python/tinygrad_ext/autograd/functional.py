"""torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp and hvp of a function of tensors.

Everything is reverse mode on the autograd engine: jvp and hvp use the double-backward trick (the gradient of a
vector-Jacobian product with respect to the vector is a Jacobian-vector product), and jacobian runs one backward
per output element (vectorize=True gives the same values; strategy="forward-mode" is computed in reverse mode).
`inputs` is a Tensor or a tuple of Tensors and the results keep that structure. Inputs that the outputs do not
depend on get zero gradients, or raise when strict=True. Without create_graph the results are detached."""
from ..tensor import Tensor, stack, zeros_like
from .engine import grad as _engine_grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(value, what, fn):
    """(was it a tuple, the tuple of tensors); raises torch's TypeError for anything else."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, v in enumerate(values):
        if not isinstance(v, Tensor):
            where = f"the value at index {i} has type {type(v)}" if is_tuple else f"the given {what} has type {type(v)}"
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but {where}.")
    return is_tuple, values


def _untuple(values, is_tuple):
    return values if is_tuple else values[0]


def _fresh(tensors, create_graph, need_graph):
    """New tensor objects for the inputs (so the function's own captures of them are told apart): a view keeping
    the graph when create_graph and the tensor requires grad, else a detached copy requiring grad if need_graph."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
                 for t in tensors)


def _detached(values, create_graph):
    if create_graph:
        return values
    return tuple(v.detach() if isinstance(v, Tensor) else _detached(v, False) for v in values)


def _check_outputs(outputs, strict):
    if strict:
        for i, out in enumerate(outputs):
            if not out.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The "
                                   f"outputs must be computed in a differentiable manner from the input when "
                                   f"running in strict mode.")


def _grads(outputs, inputs, grad_outputs=None, create_graph=False):
    """autograd.grad over the outputs that require grad (None for inputs they do not reach)."""
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _engine_grad([o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph=True,
                        create_graph=create_graph, allow_unused=True)


def _zeros_for_missing(grads, refs, strict, independent):
    """Zeros where a gradient is None; with strict, `independent(i)` names the error instead."""
    if strict:
        for i, g in enumerate(grads):
            if g is None:
                raise RuntimeError(independent(i))
    return tuple(zeros_like(r) if g is None else g for g, r in zip(grads, refs))


def _validate_v(v, other, is_other_tuple):
    if len(v) != len(other):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            prepend = f"Entry {i} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {b.size()} but got {a.size()}.")


def _v_or_single(v, like, is_like_tuple, fn, create_graph, none_msg):
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(none_msg)
        return None
    _, v = _as_tuple(v, "v", fn)
    v = _fresh(v, create_graph, need_graph=False)
    _validate_v(v, like, is_like_tuple)
    return v


_V_NONE_OUT = ("The vector v can only be None if the user-provided function returns a single Tensor with a single "
               "element.")
_V_NONE_IN = ("The vector v can only be None if the input to the user-provided function is a single Tensor with a "
              "single element.")


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """vjp(func, inputs, v=None, create_graph=False, strict=False) -> (func(*inputs), v^T J): the vector-Jacobian
    product at inputs (v may be left out when func returns one single-element tensor)."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        _check_outputs(outputs, strict)
        v = _v_or_single(v, outputs, is_outputs_tuple, "vjp", create_graph, _V_NONE_OUT)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        result = _zeros_for_missing(_grads(outputs, inputs, v, create_graph), inputs, strict, lambda i: (
            f"The output of the user-provided function is independent of input {i}. This is not allowed in strict "
            f"mode."))
    return (_untuple(_detached(outputs, create_graph), is_outputs_tuple),
            _untuple(_detached(result, create_graph), is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """jvp(func, inputs, v=None, create_graph=False, strict=False) -> (func(*inputs), J v): the Jacobian-vector
    product at inputs, by the double-backward trick (v may be left out for one single-element input)."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        v = _v_or_single(v, inputs, is_inputs_tuple, "jvp", create_graph, _V_NONE_IN)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        _check_outputs(outputs, strict)
        # u -> u^T J is linear in u; its gradient with respect to u, weighted by v, is J v
        dummies = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        vj = _grads(outputs, inputs, dummies, create_graph=True)
        if strict:
            for i, g in enumerate(vj):
                if g is None:
                    raise RuntimeError(f"The gradient with respect to input {i} is independent of the inputs of "
                                       f"the user-provided function. This is not allowed in strict mode.")
        result = _zeros_for_missing(_grads(vj, dummies, v, create_graph), outputs, strict, lambda i: (
            f"The gradient with respect to the input is independent of entry {i} in the grad_outputs when using "
            f"the double backward trick to compute forward mode gradients. This is not allowed in strict mode."))
    return (_untuple(_detached(outputs, create_graph), is_outputs_tuple),
            _untuple(_detached(result, create_graph), is_outputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy='reverse-mode'): the
    Jacobian of func at inputs, d out / d in of shape out.shape + in.shape; a tuple over the inputs when inputs
    is a tuple, and a tuple over the outputs (of those) when func returns a tuple."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` '
                               'are not supported together (yet). Please either set `strict=False` or '
                               '`strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                      "only implemented for `vectorize=True`.")
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        _check_outputs(outputs, strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
        jac = []
        for i, out in enumerate(outputs):
            flat = out.reshape(-1)
            rows = [_grads((flat[k],), inputs, create_graph=create_graph) for k in range(flat.numel())]
            per_input = []
            for j, inp in enumerate(inputs):
                if strict and create_graph and any(r[j] is not None and not r[j].requires_grad for r in rows):
                    raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                       f"This is not allowed in strict mode when create_graph=True.")
                col = _zeros_for_missing([r[j] for r in rows], [inp] * len(rows), strict, lambda _k, j=j: (
                    f"Output {i} of the user-provided function is independent of input {j}. This is not allowed "
                    f"in strict mode."))
                block = stack(col) if col else zeros_like(inp).reshape(1, -1)[:0]
                per_input.append(block.reshape(tuple(out.shape) + tuple(inp.shape)))
            jac.append(_untuple(_detached(tuple(per_input), create_graph), is_inputs_tuple))
    if strategy == "forward-mode" and is_inputs_tuple:  # (torch's forward-mode layout: lists, per input and output)
        jac = [list(j) for j in jac]
        return jac if is_outputs_tuple else jac[0]
    return _untuple(tuple(jac), is_outputs_tuple)


def _single_output(out, fn, strict):
    """func's output, checked to be one single-element tensor."""
    is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", fn)
    _check_outputs(outs, strict)
    if is_tuple:
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    if out.numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn} should contain a single element")
    return out


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
    outer_jacobian_strategy='reverse-mode'): the Hessian of a scalar func, the Jacobian of its gradient; for
    tuple inputs a tuple of tuples with H[i][j] of shape inputs[i].shape + inputs[j].shape."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    def scalar(*inp):
        return _single_output(func(*inp), "hessian", strict).reshape(())

    def gradient(*inp):
        g = jacobian(scalar, inp, create_graph=True)
        if strict:
            for i, gi in enumerate(g):
                if not gi.requires_grad:
                    raise RuntimeError(
                        f"While computing the hessian, found that the jacobian of the user-provided function with "
                        f"respect to input {i} is independent of the input. This is not allowed in strict mode. "
                        f"You should ensure that your function is twice differentiable and that the jacobian "
                        f"depends on the inputs (this would be violated by a linear function for example).")
        return g

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return res if is_inputs_tuple else res[0][0]


def _scalar_and_gradient(func, inputs, v, create_graph, strict, fn):
    """(is_inputs_tuple, inputs, v, output, gradient with a graph) for vhp/hvp."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    inputs = _fresh(inputs, create_graph, need_graph=True)
    v = _v_or_single(v, inputs, is_inputs_tuple, fn, create_graph, _V_NONE_IN)
    out = _single_output(func(*inputs), fn, strict)
    jac = _grads((out,), inputs, create_graph=True)
    if strict:
        for i, g in enumerate(jac):
            if g is None or not g.requires_grad:
                raise RuntimeError(
                    f"While computing the hessian, found that the jacobian of the user-provided function with "
                    f"respect to input {i} is independent of the input. This is not allowed in strict mode. You "
                    f"should ensure that your function is twice differentiable and that the jacobian depends on "
                    f"the inputs (this would be violated by a linear function for example).")
    return is_inputs_tuple, inputs, v, out, jac


def _double_back_error(i):
    return (f"The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
            f"strict mode.")


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """vhp(func, inputs, v=None, create_graph=False, strict=False) -> (func(*inputs), v^T H) for a scalar func."""
    with enable_grad():
        is_inputs_tuple, inputs, v, out, jac = _scalar_and_gradient(func, inputs, v, create_graph, strict, "vhp")
    with set_grad_enabled(create_graph or is_grad_enabled()):
        result = _zeros_for_missing(_grads(jac, inputs, v, create_graph), inputs, strict, _double_back_error)
    return _detached((out,), create_graph)[0], _untuple(_detached(result, create_graph), is_inputs_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """hvp(func, inputs, v=None, create_graph=False, strict=False) -> (func(*inputs), H v) for a scalar func, by the
    double-backward trick (equal to vhp for a twice continuously differentiable func)."""
    with enable_grad():
        is_inputs_tuple, inputs, v, out, jac = _scalar_and_gradient(func, inputs, v, create_graph, strict, "hvp")
        dummies = tuple(zeros_like(i).requires_grad_(True) for i in inputs)
        u_h = _zeros_for_missing(_grads(jac, inputs, dummies, create_graph=True), inputs, strict, _double_back_error)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        result = _zeros_for_missing(_grads(u_h, dummies, v, create_graph), inputs, strict, lambda i: (
            f"The hessian of the user-provided function is independent of entry {i} in the grad_jacobian. This is "
            f"not allowed in strict mode as it prevents from using the double backward trick to replace forward "
            f"mode AD."))
    return _detached((out,), create_graph)[0], _untuple(_detached(result, create_graph), is_inputs_tuple)
