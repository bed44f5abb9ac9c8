"""torch.func.vmap / torch.vmap, as a loop: func runs once per index of the mapped dimension on the inputs'
slices, and the results are stacked along out_dims. Correct for functions without in-place side effects across
the batch (each call sees one slice, as under torch's vmap); it costs one call per batch element.
randomness='error' raises when func draws from the default generator, 'same' replays one random state for
every element, 'different' lets each element draw its own."""
from .._generator import global_states, restore_global_states
from ..tensor import Tensor, stack
from ._pytree import tree_flatten, tree_unflatten


def _name(func):
    return getattr(func, "__name__", repr(func))


def _broadcast_dims(dims, spec, what, label):
    """dims (an int/None for the whole tree, or a nest matching it) as one entry per leaf of spec."""
    if dims is None or isinstance(dims, int):
        return [dims] * _count(spec)
    if not isinstance(dims, (tuple, list, dict)):
        raise ValueError(f"{label}: expected `{what}` to be int or a (potentially nested) tuple matching the "
                         f"structure of {'inputs' if what == 'in_dims' else 'outputs'}, got: {type(dims)}.")
    kind, keys, specs = spec if spec is not None else (None, None, None)
    if isinstance(dims, dict):  # a dict of dims for a dict input, matched by key
        matches = kind is dict and set(dims) == set(keys)
        dims = [dims.get(k) for k in keys or ()]
    else:
        matches = kind in (tuple, list) and len(specs) == len(dims)
    if not matches:
        raise ValueError(f"{label}: {what} is not compatible with the structure of "
                         f"`{'inputs' if what == 'in_dims' else 'outputs'}`.")
    return [d for sub_dims, sub in zip(dims, specs) for d in _broadcast_dims(sub_dims, sub, what, label)]


def _count(spec):
    return 1 if spec is None else sum(_count(s) for s in spec[2])


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """vmap(func, in_dims=0, out_dims=0, randomness='error', *, chunk_size=None): func mapped over dimension
    in_dims of its inputs, the results stacked along out_dims (a loop over the batch, one call per element)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    def wrapped(*args, **kwargs):
        name = _name(func)
        if not args:
            raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
                             f"trying to vmap over a function with no inputs. The latter is unsupported.")
        label = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
        if not isinstance(in_dims, (int, tuple)):
            raise ValueError(f"{label}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                             f"structure of inputs, got: {type(in_dims)}.")
        leaves, spec = tree_flatten(tuple(args))
        dims = _broadcast_dims(in_dims, spec, "in_dims", label)
        sizes = []
        for x, d in zip(leaves, dims):
            if d is None:
                continue
            if not isinstance(x, Tensor):
                raise ValueError(f"{label}: Got in_dim={d} for an input but the input is of type {type(x)}. We "
                                 f"cannot vmap over non-Tensor arguments, please use None as the respective in_dim")
            if not -x.dim() <= d < x.dim():
                raise ValueError(f"{label}: Got in_dim={d} for some input, but that input is a Tensor of "
                                 f"dimensionality {x.dim()} so expected in_dim to satisfy -{x.dim()} <= in_dim < "
                                 f"{x.dim()}.")
            sizes.append(x.shape[d])
        if not sizes:
            raise ValueError(f"{label}: at least one input must be mapped over (got in_dims={in_dims}). Please "
                             f"use in_dims=0 or pass a mapped tensor.")
        if len(set(sizes)) != 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sizes} for the mapped dimension")
        results = []
        state = global_states()
        for b in range(sizes[0]):
            if randomness == "same":
                restore_global_states(state)
            sliced = [x if d is None else x.select(d, b) for x, d in zip(leaves, dims)]
            results.append(func(*tree_unflatten(sliced, spec), **kwargs))
            if randomness == "error" and b == 0 and global_states() != state:
                raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use "
                                   "the 'same' or 'different' randomness flags on vmap or perform the randomness "
                                   "operation out of vmap")
        return _stack_results(results, out_dims, name)
    return wrapped


def _stack_results(results, out_dims, name):
    out_spec = tree_flatten(results[0])[1]
    per_call = [tree_flatten(r)[0] for r in results]
    label = f"vmap({name}, ..., out_dims={out_dims})(<inputs>)"
    dims = _broadcast_dims(out_dims, out_spec, "out_dims", label)
    stacked = []
    for j, d in enumerate(dims):
        column = [leaves[j] for leaves in per_call]
        if d is None:
            stacked.append(column[0])
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(column[0])}. "
                             f"Did you mean to set out_dims= to None for output?")
        stacked.append(stack(column, d))
    return tree_unflatten(stacked, out_spec)
