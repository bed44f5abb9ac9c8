"""gradcheck / gradgradcheck: analytical gradients against central differences (float64)."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _numerical_jacobian(fn, inputs, i, eps):
    from ..autograd.grad_mode import no_grad
    x = inputs[i]
    with no_grad():
        flat = x.detach().reshape(-1)
        cols = []
        for j in range(flat.numel()):
            orig = flat[j].item()
            flat[j] = orig + eps
            plus = [o.detach().reshape(-1).clone() for o in _as_tuple(fn(*inputs))]
            flat[j] = orig - eps
            minus = [o.detach().reshape(-1).clone() for o in _as_tuple(fn(*inputs))]
            flat[j] = orig
            cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    return cols  # cols[j][k]: d out_k / d x_j, flattened


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, fast_mode=False):
    """Compares d(outputs)/d(inputs) from backward with central differences, like torch's (slow mode)."""
    from ..tensor import Tensor, zeros_like
    from .engine import grad
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
    for i in diff:
        num = _numerical_jacobian(func, inputs, i, eps)
        for k, out in enumerate(outputs):
            n = out.numel()
            for r in range(n):  # one backward per output element gives one row of the Jacobian
                go = zeros_like(out).reshape(-1)
                go[r] = 1.0
                (g,) = grad(out, inputs[i], go.reshape(out.shape), retain_graph=True, allow_unused=True)
                analytic = zeros_like(inputs[i]).reshape(-1) if g is None else g.reshape(-1)
                for j in range(inputs[i].numel()):
                    a, b = analytic[j].item(), num[j][k][r].item()
                    if abs(a - b) > atol + rtol * abs(b):
                        msg = (f"Jacobian mismatch for output {k} with respect to input {i},\n"
                               f"numerical:{b}\nanalytical:{a}\n(element {j} of the input, {r} of the output)")
                        if raise_exception:
                            raise RuntimeError(msg)
                        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  **kwargs):
    """gradcheck of the first derivatives (built with create_graph=True) with respect to the inputs."""
    from ..tensor import Tensor, randn_like
    from .engine import grad
    inputs = _as_tuple(inputs)
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
    if grad_outputs is None:
        grad_outputs = [randn_like(o).requires_grad_() for o in outs]

    def first_grads(*args):
        xs = args[:len(inputs)]
        gos = args[len(inputs):]
        o = [y for y in _as_tuple(func(*xs)) if isinstance(y, Tensor) and y.requires_grad]
        d = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        return grad(o, d, list(gos), create_graph=True, allow_unused=True)

    del diff
    return gradcheck(lambda *a: tuple(g for g in first_grads(*a) if g is not None),
                     tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
