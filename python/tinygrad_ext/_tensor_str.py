"""Printing in PyTorch's format: tensor([[1., 2.],\n        [3., 4.]], dtype=..., requires_grad=True)."""
import math

from . import _dtype

PRINT_OPTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


# set_printoptions(profile=...): precision, threshold, edgeitems, linewidth
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """torch.set_printoptions: a profile ('default', 'short', 'full') first, then the options given; torch
    ignores any other profile name."""
    if profile in _PROFILES:
        PRINT_OPTS.update(zip(("precision", "threshold", "edgeitems", "linewidth"), _PROFILES[profile]))
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            PRINT_OPTS[k] = v
    PRINT_OPTS["sci_mode"] = sci_mode


def _formatter(values, floating):
    """One width and style for every element, chosen from the finite values as torch does."""
    if not floating:
        width = max((len(str(v)) for v in values), default=1)
        f = lambda v: str(v).rjust(width)  # noqa: E731
        f.width = width
        return f
    finite = [abs(v) for v in values if math.isfinite(v)]
    p = PRINT_OPTS["precision"]
    ints = all(v == math.floor(v) for v in finite)
    sci = PRINT_OPTS["sci_mode"]
    if sci is None and finite:
        nz = [v for v in finite if v != 0]
        sci = bool(nz) and (max(nz) / min(nz) > 1000.0 or max(nz) > 1e8 or min(nz) < 1e-4)
    if ints and not sci:
        fmt = lambda v: (f"{v:.0f}." if math.isfinite(v) else str(v).replace("inf", "inf"))  # noqa: E731
    elif sci:
        fmt = lambda v: f"{v:.{p}e}" if math.isfinite(v) else str(v)  # noqa: E731
    else:
        fmt = lambda v: f"{v:.{p}f}" if math.isfinite(v) else str(v)  # noqa: E731
    # torch sizes the column from the nonzero finite values only: nan/inf/0 may stick out
    width = max((len(fmt(v)) for v in values if math.isfinite(v) and v != 0), default=1)
    f = lambda v: fmt(v).rjust(width)  # noqa: E731
    f.width = width
    return f


def _flat(x):
    if isinstance(x, list):
        for y in x:
            yield from _flat(y)
    else:
        yield x


def _summarize(data, shape, edge):
    """Keeps `edge` items at both ends of every long dim; None marks the elision."""
    if not shape:
        return data
    if shape[0] > 2 * edge:
        return [_summarize(d, shape[1:], edge) for d in data[:edge]] + [None] + \
               [_summarize(d, shape[1:], edge) for d in data[-edge:]]
    return [_summarize(d, shape[1:], edge) for d in data]


def _fmt(data, fmt, indent, depth, ndim):
    if depth == ndim:
        return fmt(data)
    if depth == ndim - 1:
        parts = [" ..." if d is None else fmt(d) for d in data]  # torch's 1-D elision is " ..."
        width = getattr(fmt, "width", None) or max((len(p) for p in parts), default=1)
        per_line = max(1, (PRINT_OPTS["linewidth"] - indent) // (width + 2))
        lines = [", ".join(parts[i:i + per_line]) for i in range(0, len(parts), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    sep = "," + "\n" * (ndim - depth - 1) + " " * (indent + 1)
    return "[" + sep.join("..." if d is None else _fmt(d, fmt, indent + 1, depth + 1, ndim) for d in data) + "]"


DUAL_REPR = [None]  # inside a forward AD level: t -> (whether t's grad suffix shows, its tangent or None)


def tensor_repr(t):
    shape = tuple(t.shape)
    numel = t.numel()
    data = t.detach().cpu()
    summarize = numel > PRINT_OPTS["threshold"]
    lst = data.tolist()
    if summarize:
        lst = _summarize(lst, shape, PRINT_OPTS["edgeitems"])
    flat = [v for v in _flat(lst) if v is not None] if shape else [lst]
    floating = t.dtype.is_floating_point
    if t.dtype is _dtype.bool:
        fmt = lambda v: str(v).rjust(5)  # noqa: E731
        flat_w = max((len(str(v)) for v in flat), default=4)
        fmt = lambda v: str(v).rjust(flat_w)  # noqa: E731
    else:
        fmt = _formatter(flat, floating)
    prefix = "tensor("
    if numel == 0 and shape != (0,):
        body = "[]"
    elif not shape:
        body = fmt(lst).strip()
    else:
        body = _fmt(lst, fmt, len(prefix), 0, len(shape))
    suffix = []
    if t.is_cuda:  # torch's order: device, size, dtype
        suffix.append(f"device='{t.device}'")
    if numel == 0 and shape != (0,):
        suffix.append(f"size={tuple(shape)}")
    if t.dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool) or \
            (numel == 0 and t.dtype is not _dtype.get_default_dtype()):  # empty: no values to infer int/bool from
        suffix.append(f"dtype={t.dtype!r}")
    shows_grad, tangent = (True, None) if DUAL_REPR[0] is None else DUAL_REPR[0](t)
    if not shows_grad:
        pass
    elif t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name().rpartition('::')[2]}>")  # (torch prints the node's class name)
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    if tangent is not None:  # (a dual tensor of the forward AD level: its tangent, a 0-d one as a number)
        suffix.append(f"tangent={tangent.item() if tangent.dim() == 0 else tensor_repr(tangent)}")
    return _add_suffixes(prefix + body, suffix, len(prefix))


def _add_suffixes(text, suffixes, indent):
    """text + ', dtype=...' and the other suffixes + ')', as torch lays them out: a suffix that would make the
    current line longer than linewidth starts a new line, indented under the opening parenthesis."""
    last = len(text) - text.rfind("\n") + 1  # (torch's measure: 2 more than the last line's length)
    for s in suffixes:
        if last + len(s) + 2 > PRINT_OPTS["linewidth"]:
            text += ",\n" + " " * indent + s
            last = indent + len(s)
        else:
            text += ", " + s
            last += len(s) + 2
    return text + ")"


def ints_only(flat):
    return all(float(v).is_integer() for v in flat)
