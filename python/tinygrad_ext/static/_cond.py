"""tf.cond: a choice inside the graph, where only the taken branch runs.

`cond(pred, true_fn, false_fn)` calls each branch function once; the nodes a call builds are that branch's
body, and the outside tensors its body reads are the branch's captures (the Cond node's inputs, with
`pred`). A Session plans each branch once and runs the one `pred` picks. The gradient (CondGrad) runs the
taken branch's gradient, built symbolically once; the other branch's captures get zeros.
"""
from ._gradients import gradients
from ._graph import Node, TensorShape, bool_
from ._ops import GRADIENTS, convert_to_tensor, make_node, register
from ._passes import Plan


def _branch(fn, graph):
    """fn()'s output node, and the outside nodes the nodes it built read (its captures)."""
    first = len(graph._nodes)
    out = convert_to_tensor(fn())
    built = set(graph._nodes[first:])
    caps, seen, stack = [], set(), [out]
    while stack:  # from the output back to the first nodes built outside
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node in built:
            stack.extend(node.inputs + node.control_inputs)
        else:
            caps.append(node)
    return out, tuple(caps)


def _merged_shape(a, b):
    if a.dims is None or b.dims is None or len(a) != len(b):
        return TensorShape(None)
    return TensorShape(tuple(x if x == y else None for x, y in zip(a, b)))


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None):
    pred = convert_to_tensor(pred)
    if pred.dtype is not bool_ or (pred.shape.dims is not None and len(pred.shape) != 0):
        raise ValueError(f"pred must be a scalar bool tensor, got {pred}")
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("true_fn and false_fn must be callable.")
    graph = pred.graph
    t_out, t_caps = _branch(true_fn, graph)
    f_out, f_caps = _branch(false_fn, graph)
    if t_out.dtype is not f_out.dtype:
        raise ValueError(f"true_fn and false_fn must have the same type of output: {t_out.dtype.name} and "
                         f"{f_out.dtype.name}")
    attrs = {"branches": ((t_out, t_caps), (f_out, f_caps))}
    return make_node("Cond", (pred,) + t_caps + f_caps, attrs, _merged_shape(t_out.shape, f_out.shape), t_out.dtype,
                     name or "cond")


def _make_cond(node, device, session):
    plans = [(Plan([out], set(caps), session), caps) for out, caps in node.attrs["branches"]]
    n_true = len(plans[0][1])

    def run(pred, *captured):
        plan, caps = plans[0] if bool(pred) else plans[1]
        env = dict(zip(caps, captured[:n_true] if bool(pred) else captured[n_true:]))
        return plan.run([env[n] for n, _, _ in plan.feeds])[0]
    return run


def _cond_grad(node, g, needs):
    graph = node.graph
    branches = []
    for out, caps in node.attrs["branches"]:
        g_out = Node(graph, "_Arg", (), None, out.shape, out.dtype, graph.unique_name("cond/output_grad"))
        branches.append((g_out, caps, tuple(gradients(out, list(caps), grad_ys=g_out))))
    grads = make_node("CondGrad", (g,) + node.inputs, {"branches": tuple(branches)}, None, node.dtype)
    return tuple(make_node("_TupleItem", (grads,), {"index": i}, x.shape, x.dtype) if need else None
                 for i, (x, need) in enumerate(zip(node.inputs, needs)))


def _make_cond_grad(node, device, session):
    plans = []
    for g_out, caps, grads in node.attrs["branches"]:
        wanted = [gr for gr in grads if gr is not None]
        plans.append((Plan(wanted, {g_out, *caps}, session) if wanted else None, g_out, caps, grads))
    n_true = len(plans[0][2])

    def run(g, pred, *captured):
        taken = 0 if bool(pred) else 1
        plan, g_out, caps, grads = plans[taken]
        values = captured[:n_true] if taken == 0 else captured[n_true:]
        env = dict(zip(caps, values))
        env[g_out] = g
        got = iter(plan.run([env[n] for n, _, _ in plan.feeds]) if plan else ())
        mine = [next(got) if gr is not None else None for gr in grads]
        zeros = [c.new_zeros(c.shape) for c in captured]
        offset = 0 if taken == 0 else n_true
        for i, v in enumerate(mine):
            if v is not None:
                zeros[offset + i] = v
        return (None,) + tuple(zeros)
    return run


GRADIENTS["Cond"] = _cond_grad
register("Cond", make=_make_cond, pure=False)
register("CondGrad", make=_make_cond_grad, pure=False)
