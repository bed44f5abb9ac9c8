"""numpy's argument names (axis=, keepdims=, x=/a=/x1=, x2=), accepted wherever torch's argument parser accepts
them (python/tinygrad_ext/_arg_aliases.py).

Every public function and method with a `dim` or `keepdim` parameter is found by inspection and called once with
dim=/keepdim= and once with axis=/keepdims=: same result (or the same exception), and both spellings at once
raise torch's TypeError. Arguments are made from the parameter names (SAMPLES, OVERRIDES); a new op whose call
cannot be made from them fails `test_every_dim_op_has_a_sample_call` until it gets an OVERRIDES row. With torch
importable, torch's own function is called the same way: it takes the aliases exactly where ours does.
"""
import inspect
import types

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import _arg_aliases

try:
    import torch as real_torch
except ImportError:
    real_torch = None

F = torch.nn.functional
NAMESPACES = (("torch.", vars(torch)), ("Tensor.", vars(torch.Tensor)), ("torch.nn.functional.", vars(F)))


def _public(namespace):
    for name, fn in sorted(namespace.items()):
        if not name.startswith("_") and isinstance(fn, types.FunctionType):
            yield name, fn


def _params(fn, is_method):
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
    return params[1:] if is_method else params


def _dim_ops():
    """(prefix, name) of every public function/method with a dim or keepdim parameter."""
    return [(prefix, name) for prefix, ns in NAMESPACES for name, fn in _public(ns)
            if {"dim", "keepdim"} & {p.name for p in _params(fn, prefix == "Tensor.")}]


DIM_OPS = _dim_ops()


# ---- sample calls: one value per parameter name, OVERRIDES where a name means something else for an op
def _x(lib):
    return lib.tensor(np.random.default_rng(0).normal(size=(2, 3, 4)))


def _long(lib, shape, high):
    return lib.tensor(np.random.default_rng(1).integers(0, high, size=shape))


SAMPLES = {
    "dim": 1, "keepdim": True, "k": 2, "q": 0.5, "chunks": 2, "split_size": 1, "split_size_or_sections": 1,
    "indices_or_sections": 2, "repeats": 2, "n": 1, "start": 0, "length": 2, "value": 0.5, "sizes": (3, 1),
    "other": _x, "src": _x, "source": _x, "x1": _x, "x2": _x, "tensors": lambda lib: [_x(lib), _x(lib)],
    "index": lambda lib: _long(lib, (2, 3, 4), 3), "indices": lambda lib: _long(lib, (2, 3, 4), 3),
    "reduce": "sum",
}
OVERRIDES = {  # name: {parameter: value or lambda lib: value}
    "index_select": {"index": lambda lib: _long(lib, (2,), 3)},
    "repeat_interleave": {"repeats": 2},
    "scatter": {"src": _x},
    "scatter_": {"src": _x},
    "index_add": {"index": lambda lib: _long(lib, (3,), 3)},
    "index_copy": {"index": lambda lib: lib.tensor([2, 0, 1])},
    "index_fill": {"index": lambda lib: _long(lib, (2,), 3)},
    "index_reduce": {"index": lambda lib: _long(lib, (3,), 3), "reduce": "prod"},
    "select": {"index": 1},
    "select_scatter": {"src": lambda lib: _x(lib)[:, 0], "index": 1},
    "slice_scatter": {"src": lambda lib: _x(lib)[:, :1], "end": 1},
    "glu": {"dim": 2},
    "scatter_reduce": {"reduce": "amax"},
    "scatter_reduce_": {"reduce": "amax"},
    "trapezoid": {"y": _x}, "trapz": {"y": _x}, "cumulative_trapezoid": {"y": _x},
    "split_with_sizes": {"split_sizes": (1, 2)},
    "split": {"tensor": _x},  # (torch.split names its input `tensor`)
    "unsafe_split": {"tensor": _x}, "unsafe_split_with_sizes": {"split_sizes": (1, 2)},
    "nuclear_norm": {"dim": (1, 2)}, "norm_except_dim": {"v": _x},
    "gumbel_softmax": {"logits": _x},
    "renorm": {"p": 2, "maxnorm": 1.0}, "renorm_": {"p": 2, "maxnorm": 1.0},
}


def _sample(name, param, lib):
    value = OVERRIDES.get(name, {}).get(param, SAMPLES.get(param))
    return value(lib) if callable(value) else value


def _call(prefix, name, lib, **spelled):
    """Calls lib's `prefix+name` on a fresh sample, with the sampled required arguments and `spelled` (the dim and
    keepdim arguments under the names being tested)."""
    if prefix == "Tensor.":
        fn = getattr(_x(lib), name)
        params = _params(getattr(torch.Tensor, name), True)
    else:
        fn = getattr(lib if prefix == "torch." else lib.nn.functional, name)
        params = _params(getattr(torch if prefix == "torch." else F, name), False)
    # positional up to the first parameter left out or spelled (torch.tensor_split's indices_or_sections has no
    # keyword form), by keyword after it
    positional, kwargs, by_keyword = [], {}, False
    for p in params:
        given = p.name == "input" or p.default is p.empty or p.name in OVERRIDES.get(name, {})
        if not given or p.name in ("dim", "keepdim") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            by_keyword = True
        elif by_keyword or p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = _x(lib) if p.name == "input" else _sample(name, p.name, lib)
        else:
            positional.append(_x(lib) if p.name == "input" else _sample(name, p.name, lib))
    return fn(*positional, **kwargs, **spelled)


def _outcome(call):
    try:
        return call()
    except Exception as e:  # noqa: BLE001 (compared, not hidden)
        return e


def _same(a, b):
    if isinstance(a, Exception) or isinstance(b, Exception):
        assert type(a) is type(b) and str(a) == str(b), (a, b)
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            _same(u, v)
    elif isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    else:
        assert a == b, (a, b)


def _spellings(prefix, name):
    params = {p.name for p in _params(getattr(torch.Tensor if prefix == "Tensor." else
                                              torch if prefix == "torch." else F, name), prefix == "Tensor.")}
    return [(p, a, _sample(name, p, torch)) for p, a in (("dim", "axis"), ("keepdim", "keepdims")) if p in params]


def test_the_enumeration_finds_the_reductions():
    found = set(DIM_OPS)
    for name in ("sum", "mean", "max", "softmax", "gather", "cat"):
        assert ("torch.", name) in found
    assert ("Tensor.", "sum") in found and ("torch.nn.functional.", "softmax") in found
    assert len(found) > 100


@pytest.mark.parametrize("prefix,name", DIM_OPS, ids=[p + n for p, n in DIM_OPS])
def test_every_dim_op_has_a_sample_call(prefix, name):
    result = _outcome(lambda: _call(prefix, name, torch, **{p: v for p, _, v in _spellings(prefix, name)}))
    assert not isinstance(result, Exception), (
        f"{prefix}{name}: no sample call can be made from its parameter names ({result!r}); add an OVERRIDES row "
        "in tests/test_arg_aliases.py")


@pytest.mark.parametrize("prefix,name", DIM_OPS, ids=[p + n for p, n in DIM_OPS])
def test_axis_and_keepdims_mean_dim_and_keepdim(prefix, name):
    spellings = _spellings(prefix, name)
    if not _arg_aliases.takes_aliases(prefix, name):  # torch's Python functions take none: neither do ours
        for _, alias, value in spellings:
            with pytest.raises(TypeError, match=f"unexpected keyword argument '{alias}'"):
                _call(prefix, name, torch, **{alias: value})
        return
    by_name = _outcome(lambda: _call(prefix, name, torch, **{p: v for p, _, v in spellings}))
    by_alias = _outcome(lambda: _call(prefix, name, torch, **{a: v for _, a, v in spellings}))
    _same(by_name, by_alias)
    for param, alias, value in spellings:
        for both in ({param: value, alias: value}, {alias: value, param: value}):
            with pytest.raises(TypeError, match=f"\\(\\) got an unexpected keyword argument '{alias}'"):
                _call(prefix, name, torch, **both)


@pytest.mark.skipif(real_torch is None, reason="torch is not installed")
@pytest.mark.parametrize("prefix,name", DIM_OPS, ids=[p + n for p, n in DIM_OPS])
def test_aliases_taken_where_torch_takes_them(prefix, name):
    owner = {"torch.": real_torch, "Tensor.": real_torch.Tensor, "torch.nn.functional.": real_torch.nn.functional}
    if not hasattr(owner[prefix], name):
        pytest.skip(f"not in torch: {prefix}{name}")
    spellings = _spellings(prefix, name)
    ours = _outcome(lambda: _call(prefix, name, torch, **{a: v for _, a, v in spellings}))
    theirs = _outcome(lambda: _call(prefix, name, real_torch, **{a: v for _, a, v in spellings}))
    assert isinstance(ours, TypeError) == isinstance(theirs, TypeError), (prefix + name, ours, theirs)


def test_input_and_other_aliases():
    t, o = torch.arange(6.0).reshape(2, 3), torch.ones(2, 3)
    for alias in ("x", "a", "x1"):
        _same(torch.exp(**{alias: t}), torch.exp(t))
        _same(torch.sum(**{alias: t}, axis=1), torch.sum(t, 1))
    _same(torch.add(x1=t, x2=o), t + o)
    _same(t.mul(x2=o), t * o)
    _same(torch.where(t > 1, x=t, other=o), torch.where(t > 1, t, o))
    _same(torch.gather(x=t, axis=1, index=torch.zeros(2, 1, dtype=torch.long)), t[:, :1])
    _same(F.gelu(x=t), F.gelu(t))
    for call in (lambda: torch.add(t, o, x2=o), lambda: torch.add(input=t, x=t, other=o),
                 lambda: torch.sum(x=t, a=t), lambda: t.sum(x=t), lambda: F.relu(x=t), lambda: torch.norm(t, axis=0)):
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            call()


def test_every_public_function_with_an_aliased_parameter_is_wrapped():
    for prefix, ns in NAMESPACES:
        for name, fn in _public(ns):
            params = {p.name for p in _params(getattr(fn, "__wrapped__", fn), prefix == "Tensor.")}
            wanted = _arg_aliases.takes_aliases(prefix, name) and params & set(_arg_aliases.ALIASES.values())
            assert bool(wanted) == hasattr(fn, "_numpy_aliases"), prefix + name
