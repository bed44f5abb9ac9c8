"""torch.autograd.forward_ad: dual tensors (a primal with a tangent) inside a dual level, over the reverse-mode
engine (as torch.func.jvp here).

make_dual(primal, tangent) returns the primal tracked by the graph (a view of it when it requires grad, else a
tracked alias) and records it, with its tangent, as one of the level's duals. The tangent of any tensor computed
from them (unpack_dual) is the Jacobian of it with respect to the duals times their tangents, by the
double-backward trick: u -> u^T J is linear in u, and its gradient with respect to u, weighted by the tangents,
is J t. It is computed when first asked for and kept for the level. A custom Function with a jvp gets its
inputs' tangents and gives its outputs' (they become duals of the level, tracked from there). Leaving the level
drops its duals and tangents.

Differences from torch's forward mode: a dual whose primal does not require grad is tracked by the graph, so it
and the tensors computed from it report requires_grad=True and a grad_fn (they print as torch's: the primal and
its tangent), and their tangents are only known for the ops recorded with grad mode on."""
from collections import namedtuple

from .. import _tensor_str
from .._tensor_base import Tensor
from ..tensor import empty_like
from . import engine, function
from .function import AccumulateGrad
from .grad_mode import _state, enable_grad, no_grad

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",  # (torch's order)
           "dual_level"]

_UnpackedDualTensor = namedtuple("_UnpackedDualTensor", ["primal", "tangent"])



def _reaches(root, at_node, at_leaf):
    """Whether the graph from node `root` holds a node with at_node(node), or reaches a leaf (its gradient
    accumulator's variable, None once freed) with at_leaf(leaf)."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if at_node(node):
            return True
        if type(node) is AccumulateGrad:
            if at_leaf(node.variable):
                return True
            continue
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False

class UnpackedDualTensor(_UnpackedDualTensor):
    """The namedtuple unpack_dual returns: .primal (the tensor without its tangent) and .tangent (None when it has
    none at this level)."""


class _Level:
    """One dual level: its duals in order ((tensor, tangent)), the tangents known so far (id -> (tensor, its
    grad_fn and version when computed, tangent)), the duals tracked only for forward AD and the outputs of
    custom Functions' jvp that keep their own graph (their tangents flow through that graph)."""

    def __init__(self):
        self.duals = []
        self.known = {}
        self.hidden = set()
        self.through_graph = set()

    def record(self, t, tangent, hidden=False, through_graph=False):
        self.duals.append((t, tangent))
        self.plain(tangent)
        self.known[id(t)] = (t, t.grad_fn, t._impl.version, tangent)
        if hidden:
            self.hidden.add(id(t))
        if through_graph:
            self.through_graph.add(id(t))

    def tangent(self, t):
        """t's tangent at this level, or None when t does not depend on the level's duals."""
        entry = self.known.get(id(t))
        if entry is not None and entry[0] is t and entry[1] is t.grad_fn and entry[2] == t._impl.version:
            return entry[3]
        result = self._compute(t)
        self.known[id(t)] = (t, t.grad_fn, t._impl.version, result)
        if result is not None:
            self.plain(result)
        return result

    def plain(self, t):
        """Marks t as having no tangent (a tangent itself, or a primal): torch's have none at the level."""
        self.known[id(t)] = (t, t.grad_fn, t._impl.version, None)

    def _compute(self, t):
        if not t._requires_grad or not (t.dtype.is_floating_point or t.dtype.is_complex):
            return None
        duals = [(d, tangent) for d, tangent in self.duals if id(d) not in self.through_graph]
        if not duals:
            return None
        with enable_grad():
            u = t.detach().new_zeros(t.shape).requires_grad_(True)
            vj = engine.grad([t], [d for d, _ in duals], [u], retain_graph=True, create_graph=True,
                             allow_unused=True)
            pairs = [(g, tangent) for g, (_, tangent) in zip(vj, duals) if g is not None]
            if not pairs:
                return None
            pairs = [(g, tangent.to(g.dtype)) for g, tangent in pairs if g.requires_grad]
            real = self.tracked_by_real_graph(t)  # (torch's tangent is then differentiable too)
            jv = engine.grad([g for g, _ in pairs], [u], [tangent for _, tangent in pairs], retain_graph=True,
                             create_graph=real, allow_unused=True)[0] if pairs else None
        if jv is None:
            return t.detach().new_zeros(t.shape)
        return jv if real else jv.detach()

    def tracked_by_real_graph(self, t):
        """Whether t requires grad for reverse mode too: its graph reaches a leaf other than the level's
        forward-only duals."""
        if not t._requires_grad:
            return False
        if t.grad_fn is None:
            return id(t) not in self.hidden
        return _reaches(t.grad_fn, lambda node: False, lambda leaf: leaf is None or id(leaf) not in self.hidden)

    def depends_on_duals(self, t):
        if not t._requires_grad:
            return False
        if id(t) in self.known and self.known[id(t)][0] is t and self.known[id(t)][3] is not None:
            return True
        ids = {id(d) for d, _ in self.duals}
        nodes = {d.grad_fn for d, _ in self.duals if d.grad_fn is not None}
        if t.grad_fn is None:
            return id(t) in ids
        return _reaches(t.grad_fn, nodes.__contains__, lambda leaf: leaf is not None and id(leaf) in ids)

    def close(self):
        """Drops the tangents; the forward-only duals, and the tensors whose tangents were asked for that only
        they made require grad, stop requiring grad (torch's tensors of the level are plain tensors again)."""
        plain = [t for t, *_ in self.known.values() if not self.tracked_by_real_graph(t)]
        for t in plain:
            if t._requires_grad:
                try:
                    t.detach_()
                except RuntimeError:  # (a view: it keeps its graph)
                    pass
        self.duals, self.known = [], {}


_LEVELS = []  # the current level (torch's forward mode has one at a time)


def enter_dual_level():
    """Enters a new forward-grad level (the duals made in it carry their tangents until it is exited); returns
    its index."""
    if _LEVELS:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _LEVELS.append(_Level())
    function._FORWARD_AD[0] = _custom_function_jvp
    _tensor_str.DUAL_REPR[0] = _repr_parts
    return len(_LEVELS) - 1


def exit_dual_level(*, level=None):
    """Exits the level (the last one entered): its duals lose their tangents."""
    current = len(_LEVELS) - 1
    if level is None:
        level = current
    if level != current:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    _LEVELS.pop().close()
    function._FORWARD_AD[0] = None
    _tensor_str.DUAL_REPR[0] = None


def _level_at(level):
    current = len(_LEVELS) - 1
    if level is None:
        level = current
    return level, (_LEVELS[level] if 0 <= level <= current else None)


def make_dual(tensor, tangent, *, level=None):
    """A tensor whose primal is `tensor` and whose tangent at the level is `tangent` (same shape)."""
    level, state = _level_at(level)
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if state is None:
        raise RuntimeError(f"Trying to create a dual Tensor for forward AD at level {level} but that level does "
                           f"not exist.")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    if tangent.stride() != tensor.stride() or tangent.storage_offset() != tensor.storage_offset():
        with no_grad():  # (torch's: a tangent laid out otherwise than the primal is copied into its layout)
            tangent = empty_like(tensor, dtype=tangent.dtype).copy_(tangent)
    if tensor.requires_grad and _state[0]:
        dual = tensor.view_as(tensor)
        state.record(dual, tangent)
    else:
        dual = tensor.detach().requires_grad_(True)
        state.record(dual, tangent, hidden=True)
    return dual


def unpack_dual(tensor, *, level=None):
    """UnpackedDualTensor(primal, tangent): tensor's primal (a view of it without the tangent) and its tangent at
    the level (None when it has none)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"_unpack_dual(): argument 'dual' (position 1) must be Tensor, not {type(tensor).__name__}")
    level, state = _level_at(level)
    if state is None:
        return UnpackedDualTensor(tensor, None)
    tangent = state.tangent(tensor)
    if state.tracked_by_real_graph(tensor):  # (a view keeping the graph; known to have no tangent itself)
        primal = tensor.view_as(tensor)
        state.plain(primal)
    else:
        primal = tensor.detach()
    return UnpackedDualTensor(primal, tangent)


class dual_level:
    """Context manager (and decorator) of a forward AD level: `with dual_level():` enters one and exits it at
    the end of the block; `as` gives its index."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
        return wrapper


def _repr_parts(t):
    """(whether t's grad_fn / requires_grad show: not for forward-only tracking, its tangent or None)."""
    state = _LEVELS[-1] if _LEVELS else None
    if state is None:
        return True, None
    try:
        return state.tracked_by_real_graph(t), state.tangent(t)
    except (RuntimeError, NotImplementedError):  # (a graph the tangent cannot go through: printed without one)
        return True, None


def _custom_function_jvp(cls, ctx, args, outputs):
    """A custom Function applied in a level to inputs with tangents: its jvp gives its outputs' tangents, and the
    outputs become duals of the level (cut from the graph where only forward AD tracked the inputs)."""
    state = _LEVELS[-1]
    dual_args = [isinstance(a, Tensor) and state.depends_on_duals(a) for a in args]
    if not any(dual_args):
        return outputs
    tangents_in = [state.tangent(a) if is_dual else None for a, is_dual in zip(args, dual_args)]
    real = any(isinstance(a, Tensor) and state.tracked_by_real_graph(a) for a in args)
    with enable_grad() if real and _state[0] else no_grad():  # (differentiable where the inputs are)
        ctx._in_jvp = True
        try:
            tangents_out = cls.jvp(ctx, *tangents_in)
        finally:
            ctx._in_jvp = False
    single = not isinstance(outputs, tuple)
    outs = (outputs,) if single else outputs
    if not isinstance(tangents_out, tuple):
        tangents_out = (tangents_out,)
    if len(tangents_out) != len(outs):
        raise RuntimeError(f"jvp is expected to return as many tangents as the forward has outputs: got "
                           f"{len(tangents_out)}, expected {len(outs)}")
    result = []
    for o, tangent in zip(outs, tangents_out):
        if isinstance(o, Tensor) and o._requires_grad and tangent is not None:
            if real:
                state.record(o, tangent, through_graph=True)
            else:
                o = o.detach().requires_grad_(True)
                state.record(o, tangent, hidden=True)
        result.append(o)
    return result[0] if single else tuple(result)
