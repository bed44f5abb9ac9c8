"""torch.func's autodiff transforms (grad, grad_and_value, vjp, jacrev, jacfwd, hessian) on the autograd engine.

The differentiated arguments (argnums; a tensor or a nest of tuples/lists/dicts of tensors) are replaced by
tracked copies, func runs once with grad mode on, and autograd.grad gives the gradients. Transforms nest (hessian
is jacfwd(jacrev(f))): inside another transform, or when an input already requires grad, the gradients are built
with create_graph so the outer level can differentiate them; otherwise the results come back detached.
jacfwd is computed in reverse mode (the same Jacobian, one backward per output element)."""
from ..autograd.engine import grad as _engine_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..tensor import Tensor, stack, zeros_like
from ._pytree import tree_flatten, tree_map, tree_unflatten

_LEVEL = [0]  # how many transforms are running func right now


def _check_argnums(argnums, nargs):
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        nums = (argnums,)
    elif isinstance(argnums, tuple) and argnums and all(isinstance(a, int) for a in argnums):
        nums = argnums
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if len(set(nums)) != len(nums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    for a in nums:
        if not -nargs <= a < nargs:
            raise RuntimeError(f"Got argnum={a}, but only {nargs} positional inputs")
    return tuple(a % nargs for a in nums)


def _tracked(x):
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    return x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)


class _Trace:
    """func run on tracked copies of args[argnums]: .output, .leaves (the tracked tensors), .rebuild(grads)
    (gradients in the argnums' structure) and .create_graph."""

    def __init__(self, func, args, kwargs, argnums):
        nums = _check_argnums(argnums, len(args))
        tracking = any(isinstance(x, Tensor) and x.requires_grad for x in tree_flatten(args)[0])
        self.create_graph = is_grad_enabled() and (_LEVEL[0] > 0 or tracking)
        args = list(args)
        self.leaves, self.specs = [], []
        for a in nums:
            flat, spec = tree_flatten(args[a])
            flat = [_tracked(x) for x in flat]
            self.leaves.append(flat)
            self.specs.append(spec)
            args[a] = tree_unflatten(flat, spec)
        self.single = isinstance(argnums, int)
        _LEVEL[0] += 1
        try:
            with enable_grad():
                self.output = func(*args, **kwargs)
        finally:
            _LEVEL[0] -= 1

    def grads(self, outputs, grad_outputs=None):
        """d(outputs . grad_outputs)/d(leaves) as a flat list, zeros for the leaves the outputs do not reach."""
        flat = [x for group in self.leaves for x in group]
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs or [None] * len(outputs)) if o.requires_grad]
        if not pairs:
            return [zeros_like(x) for x in flat]
        with enable_grad():
            got = _engine_grad([o for o, _ in pairs], flat, [g for _, g in pairs], retain_graph=True,
                               create_graph=self.create_graph, allow_unused=True)
        return [zeros_like(x) if g is None else self.finish(g) for g, x in zip(got, flat)]

    def rebuild(self, flat):
        """A flat list with one entry per leaf, back in the structure of args[argnums]."""
        out, i = [], 0
        for group, spec in zip(self.leaves, self.specs):
            out.append(tree_unflatten(flat[i:i + len(group)], spec))
            i += len(group)
        return out[0] if self.single else tuple(out)

    def finish(self, t):
        """Detached unless an outer level differentiates it."""
        return t if self.create_graph or not isinstance(t, Tensor) else t.detach()


def _split_aux(output, has_aux, api):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}(f)(*args): output of function f should be a tuple: (output, aux) if has_aux is "
                           f"True")
    return output


def grad_and_value(func, argnums=0, has_aux=False):
    """grad_and_value(func, argnums=0, has_aux=False): a function returning (gradient of func's scalar output
    with respect to args[argnums], the output), or ((gradient), (output, aux)) with has_aux."""
    def wrapper(*args, **kwargs):
        trace = _Trace(func, args, kwargs, argnums)
        output, aux = _split_aux(trace.output, has_aux, "grad_and_value")
        if not isinstance(output, Tensor):
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(output)}")
        if output.dim() != 0:
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
                               f"with {output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
        g = trace.rebuild(trace.grads([output]))
        value = trace.finish(output)
        if has_aux:
            return g, (value, tree_map(trace.finish, aux))
        return g, value
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """grad(func, argnums=0, has_aux=False): a function returning the gradient of func's scalar output with
    respect to args[argnums] (a tuple of them for tuple argnums), plus func's aux output with has_aux."""
    inner = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def _structure(tree):
    """A pytree's structure as torch prints it: every leaf a *."""
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{k!r}: {_structure(v)}" for k, v in tree.items()) + "}"
    if isinstance(tree, (list, tuple)):
        inner = ", ".join(_structure(v) for v in tree)
        return f"[{inner}]" if isinstance(tree, list) else f"({inner}{',' if len(tree) == 1 else ''})"
    return "*"


def vjp(func, *primals, has_aux=False):
    """vjp(func, *primals, has_aux=False) -> (func(*primals), vjp_fn[, aux]): vjp_fn(cotangents) returns the
    tuple of cotangents . d output / d primal, one per primal (cotangents shaped like the output)."""
    trace = _Trace(func, primals, {}, tuple(range(len(primals))))
    output, aux = _split_aux(trace.output, has_aux, "vjp")
    out_leaves, out_spec = tree_flatten(output)
    for o in out_leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"vjp(f, *primals): expected f(*primals) to return only tensors, got unsupported "
                               f"type {type(o)}")

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        ct_leaves, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function. cotangents: {_structure(cotangents)}, primal output: "
                               f"{_structure(output)}")
        for i, (c, o) in enumerate(zip(ct_leaves, out_leaves)):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {c.shape} and output[{i}] "
                                   f"has a shape of {o.shape}.")
        g = trace.grads(out_leaves, ct_leaves)
        return tuple(trace.rebuild(g)) if primals else ()

    result = (tree_map(trace.finish, output), vjp_fn)
    return result + (tree_map(trace.finish, aux),) if has_aux else result


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """jacrev(func, argnums=0, *, has_aux=False, chunk_size=None): a function returning the Jacobian of func's
    output(s) with respect to args[argnums], each block of shape output.shape + input.shape, in the outputs'
    structure of the inputs' structure (one backward per output element)."""
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    def wrapper(*args, **kwargs):
        trace = _Trace(func, args, kwargs, argnums)
        output, aux = _split_aux(trace.output, has_aux, "jacrev")
        out_leaves, out_spec = tree_flatten(output)
        flat_in = [x for group in trace.leaves for x in group]
        blocks = []
        for o in out_leaves:
            if not isinstance(o, Tensor):
                raise RuntimeError(f"jacrev(f, ...)(*args): expected f(*args) to return only tensors, got "
                                   f"unsupported type {type(o)}")
            with enable_grad():  # (the elements with their graph, whatever the caller's grad mode: a transform)
                flat = o.reshape(-1)
                elements = [flat[k] for k in range(flat.numel())]
            rows = [trace.grads([e]) for e in elements]
            per_in = [(stack([r[j] for r in rows]) if rows else zeros_like(x).reshape(1, -1)[:0])
                      .reshape(tuple(o.shape) + tuple(x.shape)) for j, x in enumerate(flat_in)]
            blocks.append(trace.rebuild(per_in))
        jac = tree_unflatten(blocks, out_spec)
        return (jac, tree_map(trace.finish, aux)) if has_aux else jac
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """jacfwd(func, argnums=0, has_aux=False, *, randomness='error'): the Jacobian as jacrev gives it (computed
    here in reverse mode: the same values)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """hessian(func, argnums=0): jacfwd(jacrev(func, argnums), argnums), the matrix of second derivatives of a
    scalar func (blocks of shape input.shape + input.shape)."""
    return jacfwd(jacrev(func, argnums), argnums)
