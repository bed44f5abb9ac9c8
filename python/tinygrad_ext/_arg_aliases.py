"""numpy's argument names, accepted the way torch's argument parser accepts them: `axis` for `dim`, `keepdims` for
`keepdim`, `x`, `a` or `x1` for `input` and `x2` for `other` (python_arg_parser.cpp, numpy_compatibility_arg_names).

Torch does this for every function and method bound from C++ (torch.sum, Tensor.sum, torch.gather, F.conv2d,
...), not for the ones written in Python (torch.norm, torch.split, Tensor.unflatten, most of nn.functional). So
here one wrapper per public function, installed at import over torch.*, the Tensor methods and
torch.nn.functional (`install`), renames the aliases to the parameter they stand for; the functions themselves
only know torch's own names. Giving a parameter both ways raises torch's TypeError.
"""
import functools
import inspect
import types

ALIASES = {"axis": "dim", "keepdims": "keepdim", "x": "input", "a": "input", "x1": "input", "x2": "other"}

# torch's functions written in Python, which take no aliases (checked against torch 2.x: their type is `function`)
PYTHON_IN_TORCH = {
    "torch.": {"norm", "split", "unique", "unique_consecutive"},
    "Tensor.": {"norm", "split", "unflatten", "unique", "unique_consecutive"},
}
# nn.functional is Python in torch except these, which are torch.<name> bound from C++
NATIVE_IN_FUNCTIONAL = {
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_tbc",
    "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d", "threshold_", "relu_", "hardtanh_", "elu_",
    "selu_", "celu_", "leaky_relu_", "prelu", "rrelu_", "logsigmoid", "gelu", "hardshrink", "softplus",
    "softshrink", "linear", "bilinear", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "pairwise_distance",
    "pdist", "cosine_similarity", "one_hot", "scaled_dot_product_attention",
}


def takes_aliases(prefix, name):
    """Whether torch's `<prefix><name>` accepts the numpy aliases (it does when it is bound from C++)."""
    if prefix == "torch.nn.functional.":
        return name in NATIVE_IN_FUNCTIONAL
    return name not in PYTHON_IN_TORCH.get(prefix, ())


def aliases_of(fn, is_method):
    """{alias: parameter} for the parameters of `fn` that have aliases (a method's self has none)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return {}
    names = {p.name for p in params}
    return {alias: p.name for i, p in enumerate(params) for alias, target in ALIASES.items()
            if target == p.name and alias not in names and not (is_method and i == 0)
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


_MISSING = object()


def _own_signature(fn):
    """fn's own parameters. torch.<name> forwarding to Tensor.<name> as fn(input, *args, **kwargs) shows the
    method's in its __signature__ (_docs.py); its wrapper renames only `input`'s aliases, the method's does the rest."""
    plain = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    plain.__kwdefaults__ = fn.__kwdefaults__
    return inspect.signature(plain)


def with_aliases(fn, aliases):
    """`fn`, also called with the aliases in `aliases` ({alias: parameter}).

    The wrapper is generated with fn's own signature plus the aliases as keyword-only parameters, so the usual
    call pays one plain Python call (a *args/**kwargs wrapper costs twice that). Each aliased parameter defaults to
    a marker, to tell "not given" from "given its default value"; so do the required ones after it."""
    sig = _own_signature(fn)
    aliases = {alias: name for alias, name in aliases.items() if name in sig.parameters}  # (see _own_signature)
    defaults, params, forward, unset = {}, [], [], []
    marking = False
    for p in sig.parameters.values():
        if p.name in aliases.values() or (marking and p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD):
            marking = True
            if p.default is not p.empty:
                defaults[p.name] = p.default
            else:
                unset.append(p.name)  # required
            p = p.replace(default=_MISSING)
        elif p.default is not p.empty:
            defaults[p.name] = p.default
        params.append(p)
        forward.append({p.VAR_POSITIONAL: f"*{p.name}", p.VAR_KEYWORD: f"**{p.name}", p.KEYWORD_ONLY:
                        f"{p.name}={p.name}"}.get(p.kind, p.name))
    text = [f"{p.name}=_d[{p.name!r}]" if p.default is not p.empty and p.default is not _MISSING
            else f"{p.name}=_MISSING" if p.default is _MISSING else str(p).split(":")[0] for p in params]
    kw_at = next((i for i, p in enumerate(params) if p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD)), len(params))
    star = [] if any(p.kind is p.VAR_POSITIONAL for p in params[:kw_at]) else ["*"]
    text[kw_at:kw_at] = star + [f"{alias}=_MISSING" for alias in aliases]
    body = []
    for alias, name in aliases.items():
        body += [f"    if {alias} is not _MISSING:",
                 f"        if {name} is not _MISSING:",
                 f"            raise TypeError(\"{fn.__name__}() got an unexpected keyword argument '{alias}'\")",
                 f"        {name} = {alias}"]
    body += [f"    if {name} is _MISSING:\n        {name} = _d[{name!r}]" for name in dict.fromkeys(aliases.values())
             if name not in unset]
    qualname = fn.__qualname__ if "<" not in fn.__qualname__ else fn.__name__
    body += [f"    if {name} is _MISSING:\n        raise TypeError(\"{qualname}() missing 1 required positional "
             f"argument: '{name}'\")" for name in unset]
    src = f"def {fn.__name__}({', '.join(text)}):\n" + "\n".join(body) + f"\n    return _fn({', '.join(forward)})\n"
    scope = {"_fn": fn, "_d": defaults, "_MISSING": _MISSING}
    exec(compile(src, f"<numpy aliases of {fn.__qualname__}>", "exec"), scope)  # noqa: S102
    wrapper = functools.wraps(fn)(scope[fn.__name__])
    wrapper._numpy_aliases = aliases
    return wrapper


def install(namespace, prefix):
    """Wraps every public function of `namespace` (a module's dict or the Tensor class) that torch lets take the
    aliases and that has a parameter with one; a function published under several names gets one wrapper."""
    is_class = isinstance(namespace, type)
    items = vars(namespace) if is_class else namespace
    wrappers = {}
    for name, fn in list(items.items()):
        if name.startswith("_") or not inspect.isfunction(fn) or not takes_aliases(prefix, name):
            continue
        aliases = aliases_of(fn, is_class)
        if aliases and not hasattr(fn, "_numpy_aliases"):
            if id(fn) not in wrappers:
                wrappers[id(fn)] = with_aliases(fn, aliases)
            wrapper = wrappers[id(fn)]
            if is_class:
                setattr(namespace, name, wrapper)
            else:
                items[name] = wrapper
