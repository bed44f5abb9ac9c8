"""tf.gradients: symbolic differentiation, adding the gradient computation to the graph as nodes.

Nodes are created in topological order (an input exists before its users), so walking the nodes between
`xs` and `ys` by decreasing creation index visits each after all its users: its incoming gradients are
complete when its rule (the op table's GRADIENTS) runs.
"""
from ._graph import Node
from ._ops import GRADIENTS, add_n, convert_to_tensor, ones_like


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _between(ys, xs, graph):
    """The nodes on a path from some x to some y (x and y included)."""
    users = {}
    for node in graph._nodes:
        for x in node.inputs:
            users.setdefault(x, []).append(node)
    reached, stack = set(), list(xs)
    while stack:
        node = stack.pop()
        if node not in reached:
            reached.add(node)
            stack.extend(users.get(node, ()))
    between, stack = set(), [y for y in ys if y in reached]
    while stack:
        node = stack.pop()
        if node not in between:
            between.add(node)
            stack.extend(x for x in node.inputs if x in reached)
    return between


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False, gate_gradients=False,
              aggregation_method=None, stop_gradients=None):
    """The sum over ys of d(y)/d(x) for each x in xs, as new graph nodes (None for an x no y depends on)."""
    ys = [convert_to_tensor(y) for y in _as_list(ys)]
    xs = _as_list(xs)
    for x in xs:
        if not isinstance(x, Node):
            raise TypeError(f"Expected a tf.Tensor or tf.Variable in xs, got {x!r}")
    grad_ys = _as_list(grad_ys) if grad_ys is not None else [None] * len(ys)
    if len(grad_ys) != len(ys):
        raise ValueError(f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    graph = ys[0].graph
    stops = set(_as_list(stop_gradients)) if stop_gradients is not None else set()
    between = _between(ys, xs, graph)
    pending = {}
    with graph.name_scope(name):
        for y, gy in zip(ys, grad_ys):
            if y in between:
                pending.setdefault(y, []).append(ones_like(y) if gy is None else convert_to_tensor(gy, y.dtype))
        for node in sorted(between, key=lambda n: n._id, reverse=True):
            grads = pending.get(node)
            if not grads:
                continue
            g = add_n(grads)
            pending[node] = [g]
            if node in stops or not node.inputs or not node.dtype.is_floating:
                continue
            rule = GRADIENTS.get(node.type)
            if rule is None:
                raise LookupError(f"No gradient defined for operation '{node.name}' (op type: {node.type})")
            needs = tuple(x in between and x.dtype.is_floating for x in node.inputs)
            if not any(needs):
                continue
            for x, gx in zip(node.inputs, rule(node, g, needs)):
                if gx is not None:
                    pending.setdefault(x, []).append(gx)
    return [pending[x][0] if pending.get(x) else None for x in xs]
