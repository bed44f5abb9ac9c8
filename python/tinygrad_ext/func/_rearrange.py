"""torch.func.rearrange: einops' rearrange (transpose, reshape, squeeze/unsqueeze, stack) from a pattern such as
"b (h h1) (w w1) c -> b h w (c h1 w1)": one reshape into the left side's elementary axes, one permute into the
right side's order, one reshape into its groups. Supports named axes, parenthesized groups, "..." (any number of
leading/middle axes) and "1" or "()" (a unit axis)."""
import math
import re

from ..tensor import Tensor, stack

_TOKEN = re.compile(r"\.\.\.|[()]|[A-Za-z_][A-Za-z0-9_]*|\d+|\S")


def _parse(side, pattern):
    """One entry per dim of that side: a list of axis names (a group's, in order), or "..." (the ellipsis, outside
    parentheses; inside, it is a name of the group)."""
    groups, current = [], None
    for token in _TOKEN.findall(side):
        if token == "(":
            if current is not None:
                raise ValueError(f"Axis composition is one-level (brackets inside brackets not allowed): {pattern!r}")
            current = []
        elif token == ")":
            if current is None:
                raise ValueError(f"Brackets are not balanced in {pattern!r}")
            groups.append(current)
            current = None
        elif token == "..." or token.isidentifier() or token == "1":
            if current is not None:
                current.append(token)
            else:
                groups.append("..." if token == "..." else [token])
        else:
            raise ValueError(f"Invalid axis identifier {token!r} in the pattern {pattern!r}")
    if current is not None:
        raise ValueError(f"Brackets are not balanced in {pattern!r}")
    return [g if g == "..." else [n for n in g if n != "1"] for g in groups]


def rearrange(tensor, pattern, **axes_lengths):
    """tensor (or a sequence of tensors, stacked first) with its axes reordered and regrouped by pattern."""
    if not isinstance(tensor, Tensor):
        tensor = stack(list(tensor))
    if "->" not in pattern:
        raise ValueError(f"Pattern {pattern!r} must contain '->'")
    left_text, right_text = pattern.split("->")
    left, right = _parse(left_text, pattern), _parse(right_text, pattern)
    if any(g != "..." and "..." in g for g in left):
        raise ValueError(f"Ellipsis inside parenthesis in the left side is not allowed: {pattern!r}")
    names = [[n for g in side if g != "..." for n in g if n != "..."] for side in (left, right)]
    for side in names:
        if len(set(side)) != len(side):
            raise ValueError(f"Indexing expression contains duplicate dimensions: {pattern!r}")
    if set(names[0]) != set(names[1]) or sum("..." in g for g in left) != sum("..." in g for g in right):
        raise ValueError(f"Identifiers only on one side of rearrange expression (should be on both): "
                         f"{set(names[0]) ^ set(names[1]) or {'...'}}")
    ellipsis_dims = tensor.dim() - (len(left) - ("..." in left))
    if ellipsis_dims < 0 or ("..." not in left and ellipsis_dims):
        raise ValueError(f"Wrong shape: expected {len(left)} dims. Received {tensor.dim()}-dim tensor.")
    lengths, elementary, dim = dict(axes_lengths), [], 0
    for group in left:
        if group == "...":
            for i in range(ellipsis_dims):
                lengths[f"...{i}"] = tensor.shape[dim + i]
                elementary.append(f"...{i}")
            dim += ellipsis_dims
            continue
        size, unknown = tensor.shape[dim], [n for n in group if n not in lengths]
        known = math.prod(lengths[n] for n in group if n in lengths)
        if len(unknown) > 1:
            raise ValueError(f"Could not infer sizes for {set(unknown)}")
        if unknown:
            lengths[unknown[0]] = size // known if known and size % known == 0 else -1
        if math.prod(lengths[n] for n in group) != size:
            raise ValueError(f"Shape mismatch, can't divide axis of length {size} in chunks of {known}")
        elementary += group
        dim += 1
    out_order, out_shape = [], []
    dots = [f"...{i}" for i in range(ellipsis_dims)]
    for group in right:
        if group == "...":  # (the ellipsis' dims stay separate; "(...)" joins them)
            out_order += dots
            out_shape += [lengths[n] for n in dots]
        else:
            group = [m for n in group for m in (dots if n == "..." else [n])]
            out_order += group
            out_shape.append(math.prod(lengths[n] for n in group))
    x = tensor.reshape([lengths[n] for n in elementary]).permute([elementary.index(n) for n in out_order])
    return x.reshape(out_shape)
