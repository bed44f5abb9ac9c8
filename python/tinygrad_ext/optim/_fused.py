"""The fused optimizer steps of the op registry (`_registry.OPTIMIZER_STEPS`): one function per entry,
`<name>(param, grad, states, **hyper)`, updating the parameter and its state tensors in place in one elementwise
pass of the core (`_C.<name>`, csrc/ops/optim.h's functor) instead of a chain of elementwise ops. `states` lists
the state tensors the entry's flags use, in its slot order; `hyper` takes exactly the entry's hyperparameters, by
name (numbers or flags).

`foreach_<name>(params, grads, states, steps, **hyper)` is the step of a whole param group in one core call (torch's
foreach path; `_C.foreach_<name>`), bit for bit the same as calling `<name>` for each parameter in turn: `states` is
one list per parameter, a hyperparameter a number (all parameters) or a list (one per parameter), `steps` the
parameters' 0-d step counters (incremented by one in the core, their new values the `step` hyperparameter, which is
then left out) or empty. The optimizers in this package call one or the other (their `foreach` option).

`formula(name, param, grad, states, **hyper)` runs the entry's update written with Tensor ops (the registry's
`formula`, of which the kernel is the registered specialization): the tests check the two agree bit for bit."""
import math

from .. import _C, _ops, _registry

__all__ = [n for e in _registry.OPTIMIZER_STEPS for n in (e.name, e.foreach_name)]


def _values(name, hyper_names, hyper):
    """The hyperparameters in the functor's order; TypeError naming the missing and unexpected ones."""
    try:
        values = [hyper[n] for n in hyper_names]
    except KeyError:
        values = None
    if values is None or len(hyper) != len(hyper_names):
        missing = [n for n in hyper_names if n not in hyper]
        extra = sorted(set(hyper) - set(hyper_names))
        raise TypeError(f"{name}() takes the hyperparameters {', '.join(hyper_names)}; "
                        f"missing {missing}, unexpected {extra}")
    return values


def _make(entry):
    name, hyper_names = entry.name, entry.hyper

    def step(param, grad, states, **hyper):
        values = _values(name, hyper_names, hyper)
        # (looked up at each call: a compiled step's recorder swaps the _C functions)
        getattr(_C, name)(param._impl, grad._impl, [s._impl for s in states], values)

    step.__name__ = step.__qualname__ = name
    step.__doc__ = (f"{name}(param, grad, states, *, {', '.join(hyper_names)}) -> None\n\n"
                    f"One fused optimizer step (csrc/ops/optim.h: {entry.functor}), in place. states: "
                    f"{', '.join(entry.states)} (those the flags use, in this order).")
    return step


def foreach_impls(entry, params, grads, states, steps, hyper):
    """`_C.foreach_<name>` of the registry entry on TensorImpls (states: one list per parameter), hyper a dict of
    numbers and per-parameter lists, without `step` when the counters are given."""
    if steps and "step" in entry.hyper:
        hyper = dict(hyper, step=[])  # (each parameter's from its counter)
    values = [v if isinstance(v, list) else [v] for v in _values(entry.foreach_name, entry.hyper, hyper)]
    # (looked up at each call: a compiled step's recorder swaps the _C functions)
    getattr(_C, entry.foreach_name)(params, grads, states, steps, values)


def _make_foreach(entry):
    name = entry.foreach_name

    def step(params, grads, states, steps, **hyper):
        foreach_impls(entry, [p._impl for p in params], [g._impl for g in grads],
                      [[s._impl for s in group] for group in states], [s._impl for s in steps], hyper)

    step.__name__ = step.__qualname__ = name
    step.__doc__ = (f"{name}(params, grads, states, steps, *, {', '.join(entry.hyper)}) -> None\n\n"
                    f"{entry.name} for every parameter in one core call, in place (a hyperparameter: a number, or a "
                    "list with one per parameter; steps: the 0-d step counters, incremented, or []).")
    return step


for _entry in _registry.OPTIMIZER_STEPS:
    globals()[_entry.name] = _make(_entry)
    globals()[_entry.foreach_name] = _make_foreach(_entry)
del _entry
_FORMULAS = {e.name: compile(e.formula, f"<{e.name} formula>", "exec") for e in _registry.OPTIMIZER_STEPS}


def formula(name, param, grad, states, **hyper):
    """The update of the registry entry `name` computed with Tensor ops, out of place: {"param": new param, state
    name: new state} for param, grad, the states the flags use ({name: tensor}) and the entry's hyperparameters."""
    scope = dict(hyper, param=param, grad=grad, **states)
    exec(_FORMULAS[name], {"math": math, "addcmul_sq": _ops.functional("_addcmul_sq")},  # noqa: S102
         scope)  # (the registry's own formula text; addcmul_sq(a, t, value): a + value * t * t, fused as torch's)
    return {n: scope[n] for n in ("param", *states)}
