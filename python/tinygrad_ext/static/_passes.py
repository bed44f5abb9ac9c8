"""Graph optimizations and the execution plan.

A Session asks for a plan once per (fetches, fed tensors) and keeps it, so repeated `run()` calls only
execute kernels. Building a plan:
  1. takes the subgraph the fetches need (fed tensors are its sources: their producers do not run);
  2. rewrites it in one pass in topological order: places each node on its device (copies where a
     tensor crosses devices), folds constants (a pure op whose inputs are all constants is computed now),
     simplifies identities (x * 1, x + 0, x / 1, x ** 1, tf.identity, tf.stop_gradient) and merges common
     subexpressions (same op, same inputs, same attributes);
  3. removes the nodes nothing live reads any more (dead-node elimination);
  4. orders the live nodes (variable reads first: a run reads each variable once, before any
     assignment) and assigns each a slot, so a run is a loop over prepared (kernel, input slots) steps;
  5. fuses each chain of CPU floating elementwise ops (optionally ending in a full reduce_sum/mean) into one
     generated kernel (tinygrad_ext._fusion; TG_FUSION=0 turns it off).
The counts of each pass are in `Plan.stats` (a Session shows its last plan's as `session.stats`).
"""
import os

from .. import _fusion
from .. import cuda as _cuda
from . import errors
from ._graph import TensorShape
from ._ops import BINARY, OPS, UNARY, Tensor, register

# ops whose result is one of their inputs when the other is a constant scalar: type -> ((input, value), ...)
_IDENTITIES = {"AddV2": ((0, 0), (1, 0)), "Sub": ((1, 0),), "Mul": ((0, 1), (1, 1)), "RealDiv": ((1, 1),),
               "Pow": ((1, 1),)}

register("_Transfer", lambda attrs, x: x.to(attrs["device"]))

# Buffer reuse. Kernels whose output is always a new buffer (never an input, nor a view of one):
_FRESH = frozenset(BINARY) | frozenset(UNARY) | {"MatMul", "Sum", "Mean", "Max", "Min", "Select", "Cast", "AddN",
                                                 "ConcatV2", "LogicalNot", "ZerosLike", "OnesLike", "ReductionCount",
                                                 "RandomStandardNormal", "RandomUniform", "StridedSliceGrad",
                                                 "_Fused", "_ShapeOf"}
# ... and those whose output may be their first input or a view of it:
_ALIASING = frozenset(("SumTo", "BroadcastLike", "Reshape", "ReshapeLike", "Transpose", "ExpandDims", "Squeeze",
                       "StridedSlice", "_Transfer", "Identity", "StopGradient", "Assign"))
# ops that may write into an input nothing reads afterwards: op type -> (in-place method, inputs it may write)
_IN_PLACE = {"AddV2": (Tensor.add_, (0, 1)), "Sub": (Tensor.sub_, (0,)), "Mul": (Tensor.mul_, (0, 1)),
             "RealDiv": (Tensor.div_, (0,))}
_IN_PLACE.update((t, (getattr(Tensor, n + "_"), (0,))) for t, n in UNARY.items() if hasattr(Tensor, n + "_"))


class Stats:
    """What the passes did to one plan, and how often it ran."""

    __slots__ = ("nodes", "constants_folded", "simplified", "cse_merged", "dead_removed", "nodes_after", "kernels",
                 "in_place", "runs", "fused", "fused_ops")

    def __init__(self):
        for k in self.__slots__:
            setattr(self, k, 0)

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return "Stats(" + ", ".join(f"{k}={v}" for k, v in self.as_dict().items()) + ")"


class _IR:
    """A node of the rewritten graph: `value` is set for constants."""

    __slots__ = ("type", "inputs", "controls", "src", "value", "device")

    def __init__(self, type_name, inputs, controls, src, value, device):
        self.type, self.inputs, self.controls, self.src = type_name, inputs, controls, src
        self.value, self.device = value, device


def _subgraph(fetches, fed):
    """The nodes the fetches need, inputs before users; raises for a placeholder that is not fed."""
    order, seen, stack = [], set(), [(f, False) for f in reversed(fetches)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        if node in fed:
            continue
        if node.type in ("Placeholder", "_Arg"):
            raise errors.InvalidArgumentError(
                None, node, f"You must feed a value for placeholder tensor '{node.name}' with dtype "
                f"{node.dtype._tf_name} and shape {node.shape._brackets()}\n\t [[Node: {node.name} = Placeholder["
                f"dtype=DT_{node.dtype._tf_name.upper()}, shape={node.shape._brackets()}]()]]")
        for x in reversed(node.inputs + node.control_inputs):
            if x not in seen:
                stack.append((x, False))
    return order


def _scalar(ir, value):
    v = ir.value
    return v is not None and v.numel() == 1 and v.item() == value


def _simplify(node, ins):
    """The input a node reduces to (x * 1, x + 0, identity, ...), or None."""
    if node.type in ("Identity", "StopGradient"):
        return ins[0]
    for const_at, value in _IDENTITIES.get(node.type, ()):
        keep = ins[1 - const_at]
        shape = keep.src.shape if keep.value is None else TensorShape(tuple(keep.value.shape))
        if (_scalar(ins[const_at], value) and shape.dims is not None and tuple(shape) == tuple(node.shape)
                and len(shape) >= ins[const_at].value.dim()):
            return keep
    return None


def _cse_key(ir):
    if ir.value is not None:
        v = ir.value
        if v.numel() > 4096:
            return None
        return ("Const", str(v.dtype), tuple(v.shape), ir.device, v.cpu().numpy().tobytes())
    attrs = ir.src.attrs
    return (ir.type, tuple(map(id, ir.inputs)), _hashable(sorted(attrs.items())) if attrs else (), ir.device)


def _hashable(value):
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, slice):  # (slices hash from Python 3.12 only)
        return ("slice", value.start, value.stop, value.step)
    return value


class Plan:
    """A prepared run: `run(feed_values)` -> the fetches' values (Tensors, or None for operations)."""

    def __init__(self, fetches, fed, session):
        self.stats = stats = Stats()
        order = _subgraph(fetches, fed)
        stats.nodes = len(order)
        ir, cse, built = {}, {}, []
        resolve = session._resolve_device

        def new(type_name, inputs, controls, src, value, device):
            r = _IR(type_name, inputs, controls, src, value, device)
            built.append(r)
            if type_name != "Feed" and (value is not None or OPS[type_name].pure):
                key = _cse_key(r)
                if key is not None:
                    first = cse.setdefault(key, r)
                    if first is not r:
                        stats.cse_merged += 1
                        return first
            return r

        for node in order:
            if node in fed:
                ir[node] = new("Feed", (), (), node, None, resolve(node) or "cpu")
                continue
            ins = tuple(ir[x] for x in node.inputs)
            device = resolve(node) or (ins[0].device if ins else "cpu")
            ins = tuple(x if x.device == device else self._transfer(new, x, device) for x in ins)
            controls = tuple(ir[x] for x in node.control_inputs)
            if node.type == "Const":
                value = node.attrs["value"]
                ir[node] = new("Const", (), (), node, value if str(value.device) == device else value.to(device),
                               device)
                continue
            op = OPS[node.type]
            if op.pure and ins and not controls and all(x.value is not None for x in ins):
                value = op.make(node, device, session)(*[x.value for x in ins])
                stats.constants_folded += 1
                ir[node] = new("Const", (), (), node, value, device)
                continue
            same = _simplify(node, ins) if op.pure else None
            if same is not None:
                stats.simplified += 1
                ir[node] = same
                continue
            ir[node] = new(node.type, ins, controls, node, None, device)

        # dead-node elimination and scheduling: a post-order walk from the fetches over what is live
        outs = [ir[f] for f in fetches]
        live, seen, stack = [], set(), [(r, False) for r in reversed(outs)]
        while stack:
            r, done = stack.pop()
            if done:
                live.append(r)
            elif id(r) not in seen:
                seen.add(id(r))
                stack.append((r, True))
                stack.extend((x, False) for x in reversed(r.inputs + r.controls) if id(x) not in seen)
        stats.nodes_after = len(live)
        stats.dead_removed = len({id(r) for r in built} - seen)
        live.sort(key=lambda r: r.type != "VariableV2")  # (a stable sort: reads first, the rest keeps its order)

        slot = {id(r): i for i, r in enumerate(live)}
        self.feeds = [(r.src, slot[id(r)], r.device) for r in live if r.type == "Feed"]
        self.steps = [(OPS[r.type].make(r.src, r.device, session), tuple(slot[id(x)] for x in r.inputs),
                       slot[id(r)], r) for r in live if r.value is None and r.type != "Feed"]
        stats.kernels = len(self.steps)  # (the ops' kernels: `fused_ops` of them run as `fused` fused kernels)
        if os.environ.get("TG_FUSION", "1") != "0":
            self.steps, stats.fused, stats.fused_ops = _fusion.fuse_steps(
                self.steps, {**BINARY, **UNARY}, {"Sum": "sum", "Mean": "mean"}, [slot[id(r)] for r in outs],
                {"BroadcastLike": (1,), "SumTo": (1,)})
        self._plan_buffers([slot[id(r)] for r in live if r.value is not None or r.type in ("Feed", "VariableV2")],
                           {slot[id(r)]: r.src for r in live if r.type == "VariableV2"}, [slot[id(r)] for r in outs])
        self._run = self._generate({slot[id(r)]: r.value for r in live if r.value is not None},
                                   [slot[id(r)] for r in outs])

    def _plan_buffers(self, kept, variables, fetch_slots):
        """Buffer planning. An op runs in place (`a.sub_(b)` for `a - b`) where the input it writes is a whole
        buffer (not a view: an expanded view overlaps itself) that nothing reads afterwards: no later op, view
        or fetch. An update `v.assign(v - x)` writes into the variable's tensor when nothing else in the run
        reads v after it; for that each variable's tensor belongs to its session alone (an assignment of a
        constant, a feed, a view or another variable's value stores a copy). Sets `self.persistent`: the
        fetches whose buffer outlives the run (constants, variables), which run() returns as copies."""
        readers = {}
        for n, (_, ins, _, _) in enumerate(self.steps):
            for i in ins:
                readers.setdefault(i, []).append(n)
        last = {i: ns[-1] for i, ns in readers.items()}
        for i in fetch_slots:
            last[i] = len(self.steps)
        root = {i: i for i in kept}                 # slot -> the slot whose buffer it is (or views)
        members = {i: [i] for i in kept}            # buffer -> the slots that are it or view it
        pinned = set(kept)                          # buffers that outlive the run: constants, feeds, variables'
        whole = set(kept)                           # slots that are their buffer's tensor, not a view of it
        own_slot = {var: i for i, var in variables.items()}
        for n, (fn, ins, out, r) in enumerate(self.steps):
            buf = out
            if r.type == "Assign":
                b = root[ins[0]]
                if ins[0] in whole and (b not in pinned or own_slot.get(r.src.attrs["var"]) == b):
                    buf = b  # a new buffer, or this variable's own tensor updated in place
                else:
                    fn = _storing_copy(fn)
                pinned.add(buf)
            elif r.type in _ALIASING and ins:
                buf = root[ins[0]]
            elif r.type in _IN_PLACE:
                method, writable = _IN_PLACE[r.type]
                for k in writable:
                    b = root[ins[k]]
                    if ins[k] not in whole or any(last.get(m, -1) > n for m in members[b]) or \
                            any(root[j] == b for j in ins[:k] + ins[k + 1:]):
                        continue
                    if b in pinned and not self._updates_variable(variables.get(b), out, readers, last):
                        continue
                    fn = _in_place_kernel(method, fn, k, len(ins), r)
                    self.stats.in_place += 1
                    buf = b
                    break
            elif r.type not in _FRESH:
                pinned.add(out)
            root[out] = buf
            if r.type not in _ALIASING or r.type == "Assign":
                whole.add(out)
            members.setdefault(buf, [])
            members[buf].append(out)
            self.steps[n] = (fn, ins, out, r)
        self.persistent = [root[i] in pinned for i in fetch_slots]

    def _updates_variable(self, var, out, readers, last):
        """Whether `out` is only read by an assignment to `var` (so it may be computed in var's tensor)."""
        users = readers.get(out, ())
        if var is None or len(users) != 1 or last[out] != users[0]:
            return False
        r = self.steps[users[0]][3]
        return r.type == "Assign" and r.src.attrs["var"] is var

    def _generate(self, constants, fetch_slots):
        """The plan as one straight-line Python function: a local variable per slot, one line per kernel call,
        so a run pays no interpretation (no loop, no slot list); constants and kernels are its globals."""
        env = {f"s{i}": v for i, v in constants.items()}
        env.update((f"k{n}", fn) for n, (fn, _, _, _) in enumerate(self.steps))
        unpack = "".join(f"s{s}, " for _, s, _ in self.feeds) + "= feeds" if self.feeds else "pass"
        lines = ["def run(feeds):", "    " + unpack]
        lines += [f"    s{out} = k{n}({', '.join(f's{i}' for i in ins)})" for n, (_, ins, out, _) in
                  enumerate(self.steps)]
        lines.append("    return [" + ", ".join(f"s{i}" for i in fetch_slots) + "]")
        self.source = "\n".join(lines)
        exec(compile(self.source, self._FILENAME, "exec"), env)  # noqa: S102 (code written above from slot numbers)
        return env["run"]

    _FILENAME = "<tinygrad_ext.static plan>"
    _FIRST_STEP_LINE = 3

    @staticmethod
    def _transfer(new, x, device):
        if x.value is not None:
            return new("Const", (), (), x.src, x.value.to(device), device)
        return new("_Transfer", (x,), (), _TransferSrc(x.src, device), None, device)

    def run(self, feed_values):
        self.stats.runs += 1
        try:
            return self._run(feed_values)
        except errors.OpError:
            raise
        except (RuntimeError, ValueError, IndexError, TypeError, ZeroDivisionError) as e:
            r = self._failed_step(e)
            if r is None:
                raise
            raise errors.InvalidArgumentError(None, r.src, f"{e}\n\t [[node {r.src.name} (op: {r.type})]]") from e

    def _failed_step(self, e):
        """The step whose line of the generated function raised `e`."""
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != self._FILENAME:
            tb = tb.tb_next
        n = tb.tb_lineno - self._FIRST_STEP_LINE if tb is not None else -1
        return self.steps[n][3] if 0 <= n < len(self.steps) else None


def _storing_copy(store):
    return lambda value: store(value.clone())


def _in_place_kernel(method, fallback, k, arity, ir):
    """`method` writing into input k; for two inputs whose static shapes do not prove the result has input k's
    shape, a run-time check falls back to the out-of-place kernel when the other input would broadcast it."""
    if arity == 1:
        return method
    a = ir.inputs[k]
    shape_a = a.src.shape if a.value is None else TensorShape(tuple(a.value.shape))
    if shape_a.is_fully_defined() and tuple(shape_a) == tuple(ir.src.shape):
        return method if k == 0 else (lambda x, y: method(y, x))

    def kernel(x, y):
        target, other = (x, y) if k == 0 else (y, x)
        ts, os = target.shape, other.shape
        if len(os) <= len(ts) and all(o == 1 or o == t for o, t in zip(os[::-1], ts[::-1])):
            return method(target, other)
        return fallback(x, y)
    return kernel


class _TransferSrc:
    """The source record of an inserted device copy (for its kernel's attributes and error messages)."""

    __slots__ = ("attrs", "name", "shape", "type")

    def __init__(self, src, device):
        self.attrs, self.name, self.shape, self.type = {"device": device}, src.name + "/_copy", src.shape, "_Transfer"


def resolve_device(node, soft_placement):
    """The device a node asks for ('cpu', 'cuda:N' or None: wherever its inputs are), checked against the machine."""
    device = node.device
    if device is None or device == "cpu" or _cuda.is_available():
        return device
    if soft_placement:
        return "cpu"
    raise errors.InvalidArgumentError(
        None, node, f"Cannot assign a device for operation {node.name}: {node.name} was explicitly assigned to "
        f"/device:GPU:{device.split(':')[1]} but available devices are [ /job:localhost/replica:0/task:0/device:CPU:0 "
        "]. Make sure the device specification refers to a valid device (or create the Session with "
        "config=tf.ConfigProto(allow_soft_placement=True)).")
