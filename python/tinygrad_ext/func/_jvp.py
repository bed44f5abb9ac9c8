"""torch.func.jvp: (func(*primals), the Jacobian of func at primals times tangents), by the double-backward trick
on the autograd engine (u -> u^T J is linear in u; its gradient with respect to u, weighted by the tangents, is
J t), so it nests with the other transforms: jvp(grad(f), primals, tangents) is a Hessian-vector product."""
from ..autograd import forward_ad
from ..autograd.engine import grad as _engine_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..tensor import Tensor, zeros_like
from . import _eager_transforms as _transforms
from ._pytree import tree_flatten, tree_map, tree_unflatten

_API = "jvp(f, primals, tangents)"


def _check_inputs(primals, tangents):
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_API}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    flat_p, spec_p = tree_flatten(primals)
    flat_t, spec_t = tree_flatten(tangents)
    if spec_p != spec_t:
        raise RuntimeError(f"{_API}: Expected primals and tangents to have the same python structure. For example, "
                           f"if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
                           f"{spec_p} and tangents with structure {spec_t}")
    for name, flat in (("primals", flat_p), ("tangents", flat_t)):
        for x in flat:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"{_API}: Expected {name} to only contain Tensors, got {type(x)}")
    for p, t in zip(flat_p, flat_t):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                               f"Tensor, this is not supported. Tensor is of size {list(p.shape)} while the given "
                               f"forward gradient is of size {list(t.shape)}.")
    return flat_p, spec_p, flat_t


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    flat_p, spec_p, flat_t = _check_inputs(primals, tangents)
    if _transforms._LEVEL[0] == 0 and not forward_ad._LEVELS:  # (outermost: custom Functions' jvp take part)
        return _jvp_dual(func, flat_p, spec_p, flat_t, has_aux)
    tracking = any(p.requires_grad for p in flat_p)
    create_graph = is_grad_enabled() and (_transforms._LEVEL[0] > 0 or tracking)
    leaves = [_transforms._tracked(p) for p in flat_p]
    _transforms._LEVEL[0] += 1
    try:
        with enable_grad():
            output = func(*tree_unflatten(leaves, spec_p))
            flat_out, spec_out, aux = _outputs(output, has_aux)
            reached = [o for o in flat_out if o.requires_grad]
            dummies = [zeros_like(o).requires_grad_(True) for o in reached]
            vj = _engine_grad(reached, leaves, dummies, create_graph=True, allow_unused=True) if reached else []
            pairs = [(g, t.to(g.dtype)) for g, t in zip(vj, flat_t) if g is not None and g.requires_grad]
            jv = _engine_grad([g for g, _ in pairs], dummies, [t for _, t in pairs], create_graph=create_graph,
                              allow_unused=True) if pairs else [None] * len(dummies)
    finally:
        _transforms._LEVEL[0] -= 1
    by_output = dict(zip(map(id, reached), jv))
    tangents_out = [by_output.get(id(o)) for o in flat_out]
    tangents_out = [zeros_like(o) if t is None else t for o, t in zip(flat_out, tangents_out)]

    def finish(t):
        return t if create_graph else t.detach()

    result = (tree_unflatten([finish(o) for o in flat_out], spec_out),
              tree_unflatten([finish(t) for t in tangents_out], spec_out))
    return result + (tree_map(finish, aux),) if has_aux else result


def _outputs(output, has_aux):
    """func's result as (its flat tensors, their spec, aux); torch's error for anything but tensors."""
    output, aux = _transforms._split_aux(output, has_aux, "jvp")
    flat_out, spec_out = tree_flatten(output)
    for o in flat_out:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{_API}: expected f(*primals) to return only tensors, got unsupported type {type(o)}")
    return flat_out, spec_out, aux


def _jvp_dual(func, flat_p, spec_p, flat_t, has_aux):
    """jvp in a forward AD level (autograd/forward_ad.py: the same double-backward trick, with the jvp of the
    custom Functions func calls); func runs as inside a transform (the transforms it calls keep their graphs)."""
    create_graph = is_grad_enabled() and any(p.requires_grad for p in flat_p)
    _transforms._LEVEL[0] += 1
    try:
        with enable_grad(), forward_ad.dual_level():
            duals = [forward_ad.make_dual(p, t) for p, t in zip(flat_p, flat_t)]
            output = func(*tree_unflatten(duals, spec_p))
            flat_out, spec_out, aux = _outputs(output, has_aux)
            unpacked = [forward_ad.unpack_dual(o) for o in flat_out]
            primals_out = [o if create_graph else u.primal for o, u in zip(flat_out, unpacked)]
            tangents_out = [zeros_like(o) if u.tangent is None else u.tangent for o, u in zip(flat_out, unpacked)]
    finally:
        _transforms._LEVEL[0] -= 1

    def finish(t):
        return t if create_graph else t.detach()

    result = (tree_unflatten([finish(o) for o in primals_out], spec_out),
              tree_unflatten([finish(t) for t in tangents_out], spec_out))
    return result + (tree_map(finish, aux),) if has_aux else result


def linearize(func, *primals):
    """(func(*primals), jvp_fn): jvp_fn(*tangents) is the Jacobian-vector product of func at primals (each call
    evaluates func again, through jvp)."""
    output = func(*primals)

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]
    return tree_map(lambda t: t.detach() if isinstance(t, Tensor) else t, output), jvp_fn
