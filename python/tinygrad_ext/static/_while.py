"""tf.while_loop: a loop inside the graph, as long as `cond(*loop_vars)` holds.

`while_loop(cond, body, loop_vars)` calls `cond` and `body` once, on one argument node per loop variable, to
build them in the graph; the While node's inputs are the initial values and the outside tensors cond and
body read. A Session plans cond and body once and runs them until cond is false; the node's value is the
tuple of final values, each loop variable's result a `_TupleItem` of it. The gradient (WhileGrad) runs the
loop again from the same inputs, keeping each step's values, then runs the body's gradient (built
symbolically once) backwards over them.
"""
from ._gradients import gradients
from ._graph import Node, bool_
from ._ops import GRADIENTS, convert_to_tensor, make_node, register
from ._passes import Plan
from ._scan import _captures


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, maximum_iterations=None, name=None):
    single = not isinstance(loop_vars, (list, tuple))
    inits = [convert_to_tensor(v) for v in ([loop_vars] if single else loop_vars)]
    if not inits:
        raise ValueError("No loop variables provided")
    graph = inits[0].graph
    args = tuple(Node(graph, "_Arg", (), None, v.shape, v.dtype, graph.unique_name("while/loop_var")) for v in inits)
    keep_going = convert_to_tensor(cond(*args))
    if keep_going.dtype is not bool_:
        raise TypeError(f"cond must return a boolean scalar tensor, got {keep_going}")
    outs = body(*args)
    outs = [convert_to_tensor(o) for o in ([outs] if not isinstance(outs, (list, tuple)) else outs)]
    if len(outs) != len(args):
        raise ValueError(f"body returned {len(outs)} values for {len(args)} loop variables")
    for a, o in zip(args, outs):
        if o.dtype is not a.dtype or not o.shape.is_compatible_with(a.shape):
            raise ValueError(f"Input tensor '{a.name}' enters the loop with shape {a.shape} and dtype {a.dtype.name}, "
                             f"but has shape {o.shape} and dtype {o.dtype.name} after one iteration.")
    caps = tuple(dict.fromkeys(_captures(keep_going, set(args)) + [c for o in outs
                                                                   for c in _captures(o, set(args))]))
    attrs = {"loop": (args, keep_going, tuple(outs), caps), "maximum_iterations": maximum_iterations}
    # (its dtype says whether gradients flow through it: a float one if any loop variable is float)
    dtype = next((v.dtype for v in inits if v.dtype.is_floating), inits[0].dtype)
    loop = make_node("While", tuple(inits) + caps, attrs, None, dtype, name or "while")
    results = [make_node("_TupleItem", (loop,), {"index": i}, v.shape, v.dtype) for i, v in enumerate(inits)]
    return results[0] if single else results


def _loop_runner(node, session):
    """run(inits, captured, keep) -> the final values (and every step's values when `keep`)."""
    args, keep_going, outs, caps = node.attrs["loop"]
    limit = node.attrs["maximum_iterations"]
    test = Plan([keep_going], {*args, *caps}, session)
    step = Plan(list(outs), {*args, *caps}, session)

    def run(inits, captured, keep=False):
        env = dict(zip(caps, captured))
        values, history, n = list(inits), [], 0
        while limit is None or n < limit:
            env.update(zip(args, values))
            if not bool(test.run([env[x] for x, _, _ in test.feeds])[0]):
                break
            if keep:
                history.append(values)
            values = step.run([env[x] for x, _, _ in step.feeds])
            n += 1
        return values, history
    return run


def _make_while(node, device, session):
    loop = _loop_runner(node, session)
    n_vars = len(node.attrs["loop"][0])
    return lambda *inputs: tuple(loop(inputs[:n_vars], inputs[n_vars:])[0])


def _while_grad(node, g, needs):
    # the gradient arrives at the loop's tuple through its _TupleItem users: g is that tuple's gradient
    args, _, outs, caps = node.attrs["loop"]
    graph = node.graph
    g_args = tuple(Node(graph, "_Arg", (), None, a.shape, a.dtype, graph.unique_name("while/grad")) for a in args)
    wrt = list(args) + list(caps)
    body_grads = tuple(gradients(list(outs), wrt, grad_ys=list(g_args)))
    grads = make_node("WhileGrad", (g,) + node.inputs, {"loop": node.attrs["loop"], "grad": (g_args, body_grads),
                                                         "maximum_iterations": node.attrs["maximum_iterations"]},
                      None, node.dtype)
    return tuple(make_node("_TupleItem", (grads,), {"index": i}, x.shape, x.dtype) if need else None
                 for i, (x, need) in enumerate(zip(node.inputs, needs)))


def _make_while_grad(node, device, session):
    args, _, _, caps = node.attrs["loop"]
    g_args, body_grads = node.attrs["grad"]
    loop = _loop_runner(node, session)
    wanted = [gr for gr in body_grads if gr is not None]
    back = Plan(wanted, {*args, *caps, *g_args}, session) if wanted else None
    n_vars = len(args)

    def run(g, *inputs):
        inits, captured = inputs[:n_vars], inputs[n_vars:]
        _, history = loop(inits, captured, keep=True)
        carry = [gi if gi is not None else v.new_zeros(v.shape) for gi, v in zip(g, inits)]
        g_caps = [c.new_zeros(c.shape) for c in captured]
        env = dict(zip(caps, captured))
        for values in reversed(history):  # each step's inputs, last step first
            env.update(zip(args, values))
            env.update(zip(g_args, carry))
            got = iter(back.run([env[x] for x, _, _ in back.feeds]) if back else ())
            step = [next(got) if gr is not None else None for gr in body_grads]
            carry = [s if s is not None else v.new_zeros(v.shape) for s, v in zip(step[:n_vars], values)]
            g_caps = [gc + s if s is not None else gc for gc, s in zip(g_caps, step[n_vars:])]
        return tuple(carry) + tuple(g_caps)
    return run


def _tuple_item_grad(node, g, needs):
    """The gradient of one item of a tuple-valued op (While): a tuple with g at its index, None elsewhere
    (AddN sums such tuples item by item)."""
    n = len(node.inputs[0].attrs["loop"][0])
    return (make_node("_TupleGrad", (g,), {"index": node.attrs["index"], "n": n}, None, node.inputs[0].dtype),)


GRADIENTS["While"] = _while_grad
GRADIENTS["_TupleItem"] = _tuple_item_grad
register("While", make=_make_while, pure=False)
register("WhileGrad", make=_make_while_grad, pure=False)
register("_TupleGrad", lambda attrs, g: tuple(g if i == attrs["index"] else None for i in range(attrs["n"])))
