"""tf.scan: a loop inside the graph.

`scan(fn, elems, initializer)` calls `fn(accumulator, element)` once, on two argument nodes, to build the
loop body in the graph; the Scan node's inputs are `elems`, the initializer and the outside tensors the
body reads (its captures). A Session plans the body once (the same passes as any run) and runs it for
each element, passing the accumulator along; the results are stacked.

Its gradient (ScanGrad) differentiates the body once, symbolically (d out / d accumulator, element and
captures, given the output's gradient as a third argument), and runs that body backwards over the saved
accumulators: the accumulator's gradient is carried from each step to the one before, the captures'
gradients are summed over the steps.
"""
import tinygrad_ext as _torch
from ._gradients import gradients
from ._graph import Node, TensorShape
from ._ops import GRADIENTS, convert_to_tensor, make_node, register
from ._passes import Plan


def _captures(out, args):
    """The body's nodes that do not depend on the arguments and that body nodes read."""
    depends = {}

    def dep(node):  # memoized: does node depend on an argument?
        if node not in depends:
            depends[node] = node in args or any(dep(x) for x in node.inputs + node.control_inputs)
        return depends[node]

    caps, seen, stack = [], set(), [out]
    while stack:
        node = stack.pop()
        if node in seen or node in args:
            continue
        seen.add(node)
        if dep(node):
            stack.extend(node.inputs + node.control_inputs)
        else:
            caps.append(node)
    return caps


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, infer_shape=True,
         reverse=False, name=None):
    elems = convert_to_tensor(elems)
    if elems.shape.dims is not None and len(elems.shape) == 0:
        raise ValueError("Elements in elems must be 1+ dimensional Tensors, not scalars")
    graph = elems.graph
    element_shape = TensorShape(None) if elems.shape.dims is None else TensorShape(elems.shape[1:])
    init = convert_to_tensor(initializer) if initializer is not None else None
    acc_shape, acc_dtype = (init.shape, init.dtype) if init is not None else (element_shape, elems.dtype)
    acc = Node(graph, "_Arg", (), None, acc_shape, acc_dtype, graph.unique_name("scan/accumulator"))
    x = Node(graph, "_Arg", (), None, element_shape, elems.dtype, graph.unique_name("scan/element"))
    out = convert_to_tensor(fn(acc, x))
    if out.dtype is not acc_dtype:
        raise TypeError(f"The scan function returned dtype {out.dtype.name}; the accumulator has dtype "
                        f"{acc_dtype.name}: fn(a, x) must return the accumulator's dtype.")
    if infer_shape and not out.shape.is_compatible_with(acc_shape):
        raise ValueError(f"The scan function returned shape {out.shape}; the accumulator has shape {acc_shape}.")
    caps = _captures(out, {acc, x})
    inputs = (elems,) + ((init,) if init is not None else ()) + tuple(caps)
    attrs = {"body": (acc, x, out, tuple(caps)), "reverse": bool(reverse), "has_init": init is not None}
    n = elems.shape[0] if elems.shape.dims is not None else None
    shape = None if out.shape.dims is None else (n,) + tuple(out.shape)
    return make_node("Scan", inputs, attrs, shape, out.dtype, name or "scan")


def _make_scan(node, device, session):
    acc_arg, x_arg, out, caps = node.attrs["body"]
    body = Plan([out], {acc_arg, x_arg, *caps}, session)
    order = [n for n, _, _ in body.feeds]
    reverse, has_init = node.attrs["reverse"], node.attrs["has_init"]

    def run(elems, *rest):
        init, captured = (rest[0], rest[1:]) if has_init else (None, rest)
        env = dict(zip(caps, captured))
        steps = list(range(elems.shape[0]))[::-1 if reverse else 1]
        if not has_init:
            if not steps:
                raise ValueError("scan over zero elements needs an initializer")
            init = elems[steps.pop(0)]
            outs = [init]
        else:
            outs = []
        acc = init
        for i in steps:
            env[acc_arg], env[x_arg] = acc, elems[i]
            acc = body.run([env[n] for n in order])[0]
            outs.append(acc)
        if reverse:
            outs.reverse()
        return _torch.stack(outs) if outs else elems.new_zeros((0,) + tuple(init.shape))
    return run


register("Scan", make=_make_scan, pure=False)


def _scan_grad(node, g, needs):
    acc, x, out, caps = node.attrs["body"]
    graph = node.graph
    g_out = Node(graph, "_Arg", (), None, out.shape, out.dtype, graph.unique_name("scan/output_grad"))
    body_grads = tuple(gradients(out, [acc, x, *caps], grad_ys=g_out))
    attrs = {"body": (acc, x, g_out, body_grads, caps), "reverse": node.attrs["reverse"],
             "has_init": node.attrs["has_init"]}
    grads = make_node("ScanGrad", (g, node) + node.inputs, attrs, None, node.dtype)
    return tuple(make_node("_TupleItem", (grads,), {"index": i}, x.shape, x.dtype) if need else None
                 for i, (x, need) in enumerate(zip(node.inputs, needs)))


def _make_scan_grad(node, device, session):
    acc_arg, x_arg, g_arg, grads, caps = node.attrs["body"]
    wanted = [gr for gr in grads if gr is not None]
    body = Plan(wanted, {acc_arg, x_arg, g_arg, *caps}, session) if wanted else None
    order = [n for n, _, _ in body.feeds] if body else []
    reverse, has_init = node.attrs["reverse"], node.attrs["has_init"]

    def run(g_outs, outs, elems, *rest):
        init, captured = (rest[0], rest[1:]) if has_init else (None, rest)
        env = dict(zip(caps, captured))
        steps = list(range(elems.shape[0]))[::-1 if reverse else 1]
        first = None if has_init else steps.pop(0)
        g_elems, g_caps, carry = [None] * elems.shape[0], [None] * len(caps), None
        for pos in range(len(steps) - 1, -1, -1):  # the forward steps, last first
            i = steps[pos]
            prev = steps[pos - 1] if pos > 0 else first
            env[acc_arg] = init if prev is None else outs[prev]
            env[x_arg], env[g_arg] = elems[i], g_outs[i] if carry is None else g_outs[i] + carry
            values = iter(body.run([env[n] for n in order]) if body else ())
            got = [next(values) if gr is not None else None for gr in grads]
            carry, g_elems[i] = got[0], got[1]
            for c, v in enumerate(got[2:]):
                if v is not None:
                    g_caps[c] = v if g_caps[c] is None else g_caps[c] + v
        if not has_init:  # the first output is the first element itself
            g_elems[first] = g_outs[first] if carry is None else g_outs[first] + carry
        result = [_torch.stack([v if v is not None else elems[0].new_zeros(elems.shape[1:]) for v in g_elems])]
        if has_init:
            result.append(carry if carry is not None else init.new_zeros(init.shape))
        result += [v if v is not None else c.new_zeros(c.shape) for v, c in zip(g_caps, captured)]
        return tuple(result)
    return run


GRADIENTS["Scan"] = _scan_grad
register("ScanGrad", make=_make_scan_grad, pure=False)
register("_TupleItem", lambda attrs, values: values[attrs["index"]])
