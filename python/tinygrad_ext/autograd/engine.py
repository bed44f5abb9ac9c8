"""The backward engine: a depth-first topological order of the graph from the
roots, then one pass that calls each node's backward and sums gradients into
its inputs' buffers. Leaves accumulate into .grad unless grad() captures them."""
from . import anomaly_mode
from .function import AccumulateGrad
from .grad_mode import _state


def _topo_order(roots):
    order, seen = [], set()
    for root in roots:
        if root is None or id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.next_functions))]
        while stack:
            node, it = stack[-1]
            for nxt, _ in it:
                if nxt is not None and id(nxt) not in seen:
                    seen.add(id(nxt))
                    stack.append((nxt, iter(nxt.next_functions)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _check_nan(node, grads):
    for i, g in enumerate(grads):
        if g is not None and g.dtype.is_floating_point and bool((g != g).any()):
            where = "".join(node._stack or []) if node._stack else ""
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output."
                               + (f"\nTraceback of forward call that caused the error:\n{where}" if where else ""))


def _run(roots, retain_graph, create_graph, capture=None):
    """roots: [(node, output_nr, grad)]. capture: {(node, nr): slot} for grad() to collect."""
    from ..tensor import _NoGrad
    buffers = {}
    for node, nr, g in roots:
        buf = buffers.setdefault(node, {})
        buf[nr] = g if nr not in buf else buf[nr] + g
    order = _topo_order([r[0] for r in roots])
    captured = {}
    prev = _state[0]
    _state[0] = bool(create_graph)
    try:
        for node in order:
            buf = buffers.pop(node, None)
            if buf is None:
                continue
            if node._hooks:
                for nr, hooks in node._hooks.items():
                    if nr in buf:
                        for hook in hooks:
                            r = hook(buf[nr])
                            if r is not None:
                                buf[nr] = r
            if capture is not None:
                for nr, g in buf.items():
                    if (id(node), nr) in capture:
                        captured[(id(node), nr)] = g
            if isinstance(node, AccumulateGrad):
                if capture is None:
                    leaf = node.variable
                    if leaf is not None:
                        g = buf[0]
                        if leaf._grad is None:
                            leaf._grad = g.detach() if not create_graph else g
                            if not create_graph and g._impl.storage_id == leaf._impl.storage_id:
                                leaf._grad = g.clone()
                        else:
                            leaf._grad = leaf._grad + g if create_graph else _accumulate(leaf._grad, g)
                continue
            n_out = max(buf) + 1
            grads = [buf.get(i) for i in range(n_out)]
            if node._freed:
                from .function import _FREED
                raise RuntimeError(_FREED)
            in_grads = node._backward(grads)
            if anomaly_mode._enabled[0]:
                _check_nan(node, in_grads)
            if not retain_graph:
                node._release()
            for (nxt, nr), g in zip(node.next_functions, in_grads):
                if nxt is None or g is None:
                    continue
                b = buffers.setdefault(nxt, {})
                b[nr] = g if nr not in b else b[nr] + g
    finally:
        _state[0] = prev
    return captured


def _accumulate(acc, g):
    from ..tensor import _NoGrad
    with _NoGrad():
        if acc._impl.storage_id == g._impl.storage_id:
            return acc + g
        acc.add_(g)  # in place, as torch: an optimizer holding acc sees the sum
    return acc


def _make_roots(tensors, grad_tensors):
    from ..tensor import Tensor, ones_like
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,) * (1 if grad_tensors is not None or len(tensors) == 1 else len(tensors)) \
            if not isinstance(grad_tensors, (list, tuple)) else grad_tensors
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs (got {len(grad_tensors)} "
                           f"gradients for {len(tensors)} outputs)")
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = ones_like(t)
        elif not isinstance(g, Tensor):
            from ..tensor import tensor
            g = tensor(g, dtype=t.dtype)
        if g.shape != t.shape:
            if g.numel() == t.numel() == 1:
                g = g.reshape(t.shape)  # 2017 style: out.backward(torch.Tensor([1.0])) on a 0-d output
            else:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                                   f"output[{i}] has a shape of {t.shape}.")
        from ..tensor import _edge
        node, nr = _edge(t)
        roots.append((node, nr, g))
    return roots


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    if grad_variables is not None:
        grad_tensors = grad_variables
    if retain_graph is None:
        retain_graph = create_graph
    roots = _make_roots(tensors, grad_tensors)
    if inputs is not None:
        from ..tensor import Tensor
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        grads = grad([r for r in ((tensors,) if isinstance(tensors, Tensor) else tensors)], inputs,
                     [r[2] for r in roots], retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)
        for t, g in zip(inputs, grads):
            if g is not None:
                t._grad = g if t._grad is None else t._grad + g
        return
    _run(roots, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=False, materialize_grads=False):
    from ..tensor import Tensor, _edge, zeros_like
    if retain_graph is None:
        retain_graph = create_graph
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    roots = _make_roots(outputs, grad_outputs)
    keys = {}
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        node, nr = _edge(t)
        keys[(id(node), nr)] = True
    captured = _run(roots, retain_graph, create_graph, capture=keys)
    result = []
    for t in inputs:
        node, nr = _edge(t)
        g = captured.get((id(node), nr))
        if g is None:
            if materialize_grads:
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
        result.append(g)
    return tuple(result)
