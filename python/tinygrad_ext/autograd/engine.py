"""The backward engine.

One pass: a depth-first topological order of the graph from the roots, then
each node in that order gets the sum of the gradients flowing into it, runs
its tensor hooks, its backward, and hands one gradient per edge to the nodes
behind it. Leaves (AccumulateGrad nodes) add into .grad, or, for grad() and
backward(inputs=...), the gradients of the requested tensors are captured and
only the part of the graph that leads to them runs.

.grad accumulation follows torch: the first gradient is stored as is when
nothing else can see its memory (a fresh contiguous tensor made during this
pass; under enforce_grad_layout_policy(False) a non-contiguous one too), else
as a copy; later gradients are added in place (no_grad), or out of place when
create_graph=True so the sum stays differentiable. With create_graph=True the first gradient is always a copy
laid out as the leaf (torch's clone_obey_contract: a CopyBackwards node behind .grad)."""
import warnings

from .. import _C, _dtype
from .._memory_format import contiguous_format as _contiguous_format
from .._tensor_base import Tensor, _wrap
from . import anomaly_mode
from .function import AccumulateGrad, _edge
from .grad_mode import _grad_layout_enforced, _state

_ITEMSIZE = tuple(d.itemsize for d in _dtype.BY_ID)


def _children(node):
    """node's edges in the order the DFS visits them: leaves' accumulators last, so that in the reversed postorder
    they run right after node, as torch's engine runs an AccumulateGrad as soon as it is ready (addmm's bias, its
    first input, gets its gradient before the layers below)."""
    edges = node.next_functions
    if len(edges) == 2:
        first, second = type(edges[0][0]), type(edges[1][0])
        return iter(edges[::-1] if first is AccumulateGrad and second is not AccumulateGrad else edges)
    if len(edges) > 2:
        return iter(sorted(edges, key=lambda e: type(e[0]) is AccumulateGrad))
    return iter(edges)


def _topo_postorder(roots):
    """Every node reachable from roots, each after all the nodes it leads to (iterative DFS)."""
    order, seen = [], set()
    append, mark = order.append, seen.add
    for root in roots:
        if root in seen:
            continue
        mark(root)
        stack = [(root, _children(root))]
        push, pop = stack.append, stack.pop
        while stack:
            node, it = stack[-1]
            for nxt, _ in it:
                if nxt is not None and nxt not in seen:
                    mark(nxt)
                    push((nxt, _children(nxt)))
                    break
            else:
                pop()
                append(node)
    return order


def _check_nan(node, grads):
    for i, g in enumerate(grads):
        if g is not None and g.dtype.is_floating_point and bool((g != g).any()):  # NaN test
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def _warn_forward_stack(node):
    """Anomaly mode: an error in node's backward (a NaN, a version error, a bad formula) first warns with the
    user's forward call that made the node, as torch's (the error's message stays torch's one line)."""
    if node._stack:
        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
                      + "".join(anomaly_mode.user_frames(node._stack)), UserWarning, stacklevel=2)


def _run_hooks(node, buf, external):
    hooks = node._hooks
    if hooks:
        for nr, fns in hooks.items():
            g = buf.get(nr)
            if g is None:
                continue
            for hook in tuple(fns):
                r = hook(g)
                if r is not None:
                    if r is not g:
                        if r.shape != g.shape:
                            raise RuntimeError(f"hook '{getattr(hook, '__name__', 'hook')}' has changed the size "
                                               f"of value")
                        external.add(r._impl.storage_id)
                    g = r
            buf[nr] = g
    if node._retain:
        for nr, fn in node._retain.items():
            g = buf.get(nr)
            if g is not None:
                fn(g)


def _accumulate(leaf, g, create_graph, external, stolen):
    """Adds g into leaf.grad (see the module docstring for when it copies)."""
    impl = g._impl
    if impl.shape != leaf._impl.shape:  # (a built-in formula's bug: never store a .grad of another shape)
        raise RuntimeError(f"a gradient of shape {list(impl.shape)} reached a leaf of shape {list(leaf._impl.shape)}")
    grad_dtype = leaf._impl.dtype if leaf._extra is None else leaf._extra.get("grad_dtype", leaf._impl.dtype)
    if impl.dtype != grad_dtype and grad_dtype is not None:  # (Tensor.grad_dtype: None takes any dtype)
        g = g.to(_dtype.BY_ID[grad_dtype])
        impl = g._impl
    acc = leaf._grad
    if acc is None and create_graph:  # torch's clone_obey_contract: a copy laid out as the leaf (CopyBackwards)
        leaf._grad = _clone_obey_contract(g, leaf)
    elif acc is None:
        sid = impl.storage_id
        if sid in external or sid in stolen or (_grad_layout_enforced[0] and not _obeys_layout(impl, leaf._impl)) or \
                impl.storage_nbytes != impl.numel * _ITEMSIZE[impl.dtype]:
            g = _clone_obey_contract(g, leaf) if _grad_layout_enforced[0] else g.clone()
            sid = g._impl.storage_id
        stolen.add(sid)
        leaf._grad = g
    elif create_graph:
        leaf._grad = acc + g
    else:
        aimpl = acc._impl
        if aimpl.storage_id == impl.storage_id or aimpl.shape != impl.shape or \
                (0 in aimpl.strides and aimpl.numel > 1):
            leaf._grad = acc + g
        else:
            _C.add(aimpl, impl, False, aimpl)  # in place, as torch: an optimizer holding acc sees the sum


def _obeys_layout(impl, leaf):
    """torch's obeys_layout_contract: a dense leaf's gradient has the leaf's strides (a dim of size 1 any nonzero
    one), another leaf's is row-major."""
    if impl.is_contiguous and leaf.is_contiguous and 0 not in impl.strides:
        return True
    if not _dense(leaf):
        return impl.is_contiguous
    return all(st == lst if n != 1 else st != 0 for st, lst, n in zip(impl.strides, leaf.strides, impl.shape))


def _clone_obey_contract(g, leaf):
    """torch's clone_obey_contract: g copied with a dense leaf's strides, else row-major."""
    if _dense(leaf._impl):
        return g.new_empty_strided(g._impl.shape, leaf._impl.strides).copy_(g)
    return g.clone(memory_format=_contiguous_format)


def _dense(impl):
    """Whether impl's elements fill its memory without gaps or overlaps, in some order of its dims."""
    if 0 in impl.shape:
        return True
    expected = 1
    for stride, size in sorted((st, sz) for st, sz in zip(impl.strides, impl.shape) if sz != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def _run_post_acc_hooks(node, leaf):
    for hook in tuple(node._post_acc_hooks):
        hook(leaf)


def _run(roots, retain_graph, create_graph, targets=None):
    """roots: [(node, output_nr, grad)]. With targets ({node: set(output_nr)}), returns {(node, nr): grad}
    for those edges and runs only the nodes that lead to them; without, accumulates into leaves."""
    buffers = {}
    external = set()  # storages a user can see: .grad must not alias them
    for node, nr, g in roots:
        external.add(g._impl.storage_id)
        buf = buffers.get(node)
        if buf is None:
            buffers[node] = {nr: g}
        else:
            buf[nr] = g if nr not in buf else buf[nr] + g
    post = _topo_postorder(list(buffers))
    needed = None
    if targets is not None:
        needed = set()
        for node in post:
            if node in targets:
                needed.add(node)
                continue
            for nxt, _ in node.next_functions:
                if nxt in needed:
                    needed.add(node)
                    break
    post.reverse()
    captured = {}
    stolen = set()
    anomaly = anomaly_mode._enabled[0]
    prev = _state[0]
    _state[0] = bool(create_graph)
    pop = buffers.pop
    try:
        for node in post:
            buf = pop(node, None)
            if buf is None:
                continue
            hooked = node._has_hooks
            if needed is None:
                if hooked:
                    _run_hooks(node, buf, external)
                if type(node) is AccumulateGrad:
                    leaf = node._leaf()
                    if leaf is not None and 0 in buf:
                        g = buf[0]
                        if hooked and node._pre_hooks:  # (the node's own hooks, as torch's: pre, then post)
                            for hook in tuple(node._pre_hooks):
                                r = hook((g,))
                                if r is not None:
                                    g = r[0]
                                    external.add(g._impl.storage_id)  # (the hook's tensor: never stolen)
                        _accumulate(leaf, g, create_graph, external, stolen)
                        if node._post_acc_hooks:
                            _run_post_acc_hooks(node, leaf)
                        if hooked and node._post_hooks:
                            for hook in tuple(node._post_hooks):
                                hook((), (g,))
                    continue
            else:
                if node not in needed:
                    continue
                if hooked:
                    _run_hooks(node, buf, external)
                want = targets.get(node)
                if want:
                    for nr in want:
                        if nr in buf:
                            captured[(node, nr)] = buf[nr]
                if type(node) is AccumulateGrad:
                    continue
                for nxt, _ in node.next_functions:
                    if nxt in needed:
                        break
                else:
                    continue
            n = node._n_out
            grads = [buf.get(0)] if n == 1 else [buf.get(i) for i in range(n)]
            if hooked and node._pre_hooks:
                for hook in tuple(node._pre_hooks):
                    r = hook(tuple(grads))
                    if r is not None:
                        grads = list(r)
            try:
                in_grads = node._backward(grads)
                if hooked and node._post_hooks:
                    for hook in tuple(node._post_hooks):
                        r = hook(tuple(in_grads), tuple(grads))
                        if r is not None:
                            in_grads = r
                if anomaly:
                    _check_nan(node, in_grads)
            except Exception:
                if anomaly:
                    _warn_forward_stack(node)
                raise
            if not retain_graph:
                node._release()
            trusted = node._trusted_grads
            for (nxt, nr), g in zip(node.next_functions, in_grads):
                if nxt is None or g is None:
                    continue
                if not trusted:
                    external.add(g._impl.storage_id)
                b = buffers.get(nxt)
                if b is None:
                    buffers[nxt] = {nr: g}
                else:
                    old = b.get(nr)
                    b[nr] = g if old is None else old + g
    finally:
        _state[0] = prev
    if targets is not None:
        return captured, external, stolen
    return None


def _make_roots(tensors, grad_tensors, what="tensors"):
    if grad_tensors is None and type(tensors) is Tensor and tensors._requires_grad:  # loss.backward()
        impl = tensors._impl
        if impl.numel != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return [(*_edge(tensors), _wrap(_C.full(impl.shape, 1, impl.dtype, impl.device_type, impl.device_index)))]
    tensors = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    if grad_tensors is None:
        grads = (None,) * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grads = (grad_tensors,)
    else:
        grads = tuple(grad_tensors)
    if len(grads) != len(tensors):
        raise RuntimeError(f"grad_tensors should have the same length as {what}: got {len(tensors)} {what} and "
                           f"{len(grads)} gradients")
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what} must be Tensors, but element {i} is {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = t.new_ones(t.shape)
        else:
            if not isinstance(g, Tensor):
                g = t.new_tensor(g)
            if g.shape != t.shape:
                if g.numel() == t.numel() == 1:
                    g = g.reshape(t.shape)  # the 2017 idiom out.backward(torch.Tensor([1.0])) on a 0-d output
                else:
                    raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                                       f"output[{i}] has a shape of {t.shape}.")
            if g.dtype is not t.dtype:  # (torch casts any real gradient to the output's dtype, ints and bools too)
                g = g.to(t.dtype)
            if g.device != t.device:
                raise RuntimeError(f"invalid gradient at index {i} - expected device {t.device} but got {g.device}")
        node, nr = _edge(t)
        roots.append((node, nr, g))
    return roots


def _targets(inputs):
    edges, targets = [], {}
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs must be Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        node, nr = _edge(t)
        edges.append((node, nr))
        targets.setdefault(node, set()).add(nr)
    return edges, targets


_CREATE_GRAPH_WARNED = []


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None,
             retain_variables=None):
    """Computes the gradient of `tensors` (weighted by grad_tensors) and accumulates it into the .grad of the
    leaves (or of `inputs` only, when given)."""
    if grad_variables is not None:  # the 2017 name
        grad_tensors = grad_variables
    if retain_variables is not None:  # the 2017 name
        retain_graph = retain_variables
    if retain_graph is None:
        retain_graph = create_graph
    roots = _make_roots(tensors, grad_tensors)
    if create_graph and not _CREATE_GRAPH_WARNED:
        _CREATE_GRAPH_WARNED.append(True)  # (torch warns once a process)
        warnings.warn("Using backward() with create_graph=True will create a reference cycle between the parameter "
                      "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
                      "creating the graph to avoid this. If you have to use this function, make sure to reset the "
                      ".grad fields of your parameters to None after use to break the cycle and avoid the leak.",
                      UserWarning, stacklevel=3)
    if inputs is None:
        _run(roots, retain_graph, create_graph)
        return
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if not inputs:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    edges, targets = _targets(inputs)
    captured, external, stolen = _run(roots, retain_graph, create_graph, targets)
    prev = _state[0]
    _state[0] = bool(create_graph)
    try:
        done = set()
        for t, edge in zip(inputs, edges):
            g = captured.get(edge)
            if g is not None and id(t) not in done:
                done.add(id(t))
                _accumulate(t, g, create_graph, external, stolen)
                if edge[0]._post_acc_hooks:
                    _run_post_acc_hooks(edge[0], t)
    finally:
        _state[0] = prev


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Returns the gradients of `outputs` with respect to `inputs` (nothing is accumulated into .grad)."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported by tinygrad_ext")
    if retain_graph is None:
        retain_graph = create_graph
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    roots = _make_roots(outputs, grad_outputs, "outputs")
    edges, targets = _targets(inputs)
    captured, _, _ = _run(roots, retain_graph, create_graph, targets)
    result = []
    for i, (t, edge) in enumerate(zip(inputs, edges)):
        g = captured.get(edge)
        if g is None:
            if materialize_grads:
                g = t.new_zeros(t.shape)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
        result.append(g)
    return tuple(result)
