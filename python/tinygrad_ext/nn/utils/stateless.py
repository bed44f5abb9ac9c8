"""functional_call: a module's forward run with some of its parameters and buffers replaced by given tensors
(torch.func.functional_call; the per-sample-gradient and model-ensembling tutorials' building block).

The given tensors are put in place of the originals in their submodules' _parameters/_buffers for the
duration of the call (names the module does not have are set as plain attributes) and the originals are
restored afterwards, whatever the call raised. Gradients flow to the given tensors, not the originals.
With tie_weights, a tensor given under one name of a parameter that the module shares under several
names replaces it under all of them."""
import warnings

from ...tensor import Tensor

_MISSING = object()


def _owner(module, name):
    """(the submodule holding dotted `name`, its last component)."""
    *path, leaf = name.split(".")
    for part in path:
        module = getattr(module, part)
    return module, leaf


def _merged(parameter_and_buffer_dicts):
    if isinstance(parameter_and_buffer_dicts, dict):
        return dict(parameter_and_buffer_dicts)
    merged, seen = {}, set()
    for d in parameter_and_buffer_dicts:
        repeated = [k for k in d if k in seen]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
                             "ambiguous")
        seen.update(d)
        merged.update(d)
    return merged


def _with_tied(module, values):
    """values extended to every other name of a tied (shared) parameter or buffer given under one name."""
    names_of = {}
    for store in ("_parameters", "_buffers"):
        for prefix, sub in module.named_modules(remove_duplicate=False):
            for leaf, t in getattr(sub, store).items():
                if t is not None:
                    names_of.setdefault(id(t), []).append(f"{prefix}.{leaf}" if prefix else leaf)
    values = dict(values)
    for names in names_of.values():
        names = list(dict.fromkeys(names))
        given = [n for n in names if n in values]
        if len(names) < 2 or not given:
            continue
        if any(values[n] is not values[given[0]] for n in given[1:]):
            raise ValueError(f"functional_call got multiple values for keys {given}, which are tied. Consider using "
                             "tie_weights=False")
        for n in names:
            values.setdefault(n, values[given[0]])
    return values


def _check_strict(module, values):
    expected = {n for n, _ in module.named_parameters(remove_duplicate=False)}
    expected |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
    unexpected, missing = sorted(set(values) - expected), sorted(expected - set(values))
    if unexpected or missing:
        lines = [f"Error(s) in reparametrizing for {type(module).__name__}:"]
        if unexpected:
            lines.append("\tUnexpected key(s): " + ", ".join(repr(k) for k in unexpected) + ".")
        if missing:
            lines.append("\tMissing key(s): " + ", ".join(repr(k) for k in missing) + ".")
        raise RuntimeError("\n".join(lines))


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """torch.nn.utils.stateless's (deprecated, as torch's): torch.func.functional_call with a FutureWarning."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in a "
                  "future version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in "
                  "replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)


def _functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True,
                     strict=False):
    """torch.func.functional_call (see the module's docstring)."""
    values = _merged(parameter_and_buffer_dicts)
    for value in values.values():
        if not isinstance(value, Tensor):
            raise TypeError(f"{value} is not an instance of torch.Tensor")
    if tie_weights:
        values = _with_tied(module, values)
    if strict:
        _check_strict(module, values)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    restore = []  # (store or None for a plain attribute, owner, leaf, original)
    try:
        for name, value in values.items():
            owner, leaf = _owner(module, name)
            store = next((s for s in (owner._parameters, owner._buffers) if leaf in s), None)
            if store is not None:
                restore.append((store, owner, leaf, store[leaf]))
                store[leaf] = value
            else:
                restore.append((None, owner, leaf, owner.__dict__.get(leaf, _MISSING)))
                object.__setattr__(owner, leaf, value)
        return module(*args, **(kwargs or {}))
    finally:
        for store, owner, leaf, original in reversed(restore):
            if store is not None:
                store[leaf] = original
            elif original is _MISSING:
                owner.__dict__.pop(leaf, None)
            else:
                object.__setattr__(owner, leaf, original)

