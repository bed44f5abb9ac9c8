"""Names and docstrings of the public API, completed once at import (tests/test_api_docs.py checks them).

Every public function of a namespace (torch, torch.nn.functional, the Tensor class) gets its own `__name__`
(`torch.subtract.__name__ == "subtract"`, as torch's): a function object published under several names keeps
one of them and the others become thin aliases. A function without a docstring gets one with its signature:
the registry entry's text for elementwise ops (`_registry.Entry.doc`), else torch's convention ("See
torch.add()", "In-place version of Tensor.add()").
"""
import functools
import inspect
import types

from . import _registry

_ENTRIES = {e.name: e for e in _registry.OPS}
P = inspect.Parameter


def _signature(fn, drop_self):
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return "(...)"
    if drop_self and params and params[0].name == "self":
        params = params[1:]
    return str(inspect.Signature(params))


def _alias(fn, name, qualname):
    @functools.wraps(fn)
    def alias(*args, **kwargs):
        return fn(*args, **kwargs)
    alias.__name__, alias.__qualname__ = name, qualname
    alias.__doc__ = f"Alias for {qualname.rsplit('.', 1)[0] + '.' if '.' in qualname else ''}{fn.__name__}()."
    return alias


def _doc(fn, name, prefix, tensor_cls, torch_ns):
    entry = _ENTRIES.get(name[:-1] if name.endswith("_") else name)
    if entry is not None and entry.python == "generated":
        return entry.doc(name)
    is_method = prefix == "Tensor."
    head = f"{name}{_signature(fn, is_method)}"
    if is_method and name.endswith("_") and callable(getattr(tensor_cls, name[:-1], None)):
        return f"{head}\n\nIn-place version of Tensor.{name[:-1]}()."
    if is_method and callable(torch_ns.get(name)):
        return f"{head}\n\nSee torch.{name}()."
    method = getattr(tensor_cls, name, None)
    if prefix == "torch." and callable(method):
        return f"{head}\n\n{inspect.getdoc(method) or ''}\nAlso the method Tensor.{name}().".replace("\n\n\n", "\n\n")
    return f"{head}\n\n{prefix}{name}: PyTorch's function of that name (same arguments, defaults and results)."


def complete(namespace, prefix, tensor_cls, torch_ns):
    """Names and docstrings for the public functions of `namespace` (a module's dict or the Tensor class)."""
    is_class = isinstance(namespace, type)
    items = vars(namespace) if is_class else namespace
    groups = {}
    for name, fn in list(items.items()):
        if not name.startswith("_") and isinstance(fn, types.FunctionType):
            groups.setdefault(id(fn), []).append(name)
    for names in groups.values():
        fn = items[names[0]]
        keep = fn.__name__ if fn.__name__ in names else min(names, key=lambda n: (len(n), n))
        for name in names:
            qualname = prefix.rstrip(".").rsplit(".", 1)[-1] + "." + name if is_class else name
            if name == keep and fn.__name__ != name:
                fn.__name__, fn.__qualname__ = name, qualname
            elif name != keep:
                alias = _alias(fn, name, qualname)
                if is_class:
                    setattr(namespace, name, alias)
                else:
                    items[name] = alias
    for name, fn in list(items.items()):
        if not name.startswith("_") and isinstance(fn, types.FunctionType):
            if not is_class and callable(getattr(tensor_cls, name, None)):
                _method_signature(fn, getattr(tensor_cls, name))
            if not fn.__doc__:
                fn.__doc__ = _doc(fn, name, prefix, tensor_cls, torch_ns)


def _method_signature(fn, method):
    """torch.<name>(input, *args, **kwargs) forwarding to Tensor.<name> shows the method's parameters (and out=)."""
    params = list(inspect.signature(fn).parameters.values())
    if [(p.name, p.kind) for p in params] != [("input", P.POSITIONAL_OR_KEYWORD), ("args", P.VAR_POSITIONAL),
                                               ("kwargs", P.VAR_KEYWORD)]:
        return
    try:
        own = list(inspect.signature(method).parameters.values())[1:]
    except (TypeError, ValueError):
        return
    if all(p.name != "out" for p in own) and all(p.kind is not P.VAR_KEYWORD for p in own):
        own.append(P("out", P.KEYWORD_ONLY, default=None))
    own.sort(key=lambda p: p.kind)  # (out= after a method's *args)
    try:
        fn.__signature__ = inspect.Signature([params[0]] + own)
    except ValueError:  # (a method parameter named `input`)
        pass
