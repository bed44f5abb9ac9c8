"""The ONNX graph under construction: nodes, initializers, and the ONNX names of the recorded graph's Refs."""
import warnings

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .. import _dtype
from ..tensor import _wrap
from .errors import UnsupportedOperatorError

INT64_MAX = np.iinfo(np.int64).max


def onnx_dtype(dtype_id):
    """The TensorProto element type of a core dtype id."""
    name = _dtype.BY_ID[dtype_id].name
    return TensorProto.BFLOAT16 if name == "bfloat16" else helper.np_dtype_to_tensor_dtype(np.dtype(name))


def np_dtype(dtype_id):
    return np.dtype(_dtype.BY_ID[dtype_id].name)


def value_of(ref):
    """The numpy value of a constant Ref (an outside tensor, or a folded call's result)."""
    return _wrap(ref.impl).detach().numpy()


class GraphBuilder:
    """Lowerings add nodes with node(); value() names a Ref, adding its initializer on first use.
    `dynamic` lists the dynamic axes as (input name, axis, size in the first recording, size in the second)."""

    def __init__(self, opset, input_names, dynamic, export_params):
        self.opset, self.input_names, self.dynamic, self.export_params = opset, input_names, dynamic, export_params
        self.nodes, self.initializers, self.state_inputs = [], {}, []
        self.names, self.folded = {}, set()  # (call index, nr) -> ONNX name; the keys of folded call outputs
        self.transposed = {}  # (call index, nr) of a 2-D transpose -> the Ref it transposes (Gemm's transB)
        self._consts, self._count = {}, 0

    def fresh(self, hint):
        self._count += 1
        return f"/{hint}_{self._count}"

    def node(self, op_type, inputs, n_out=1, **attrs):
        outs = [self.fresh(op_type) + "_output" for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=self.fresh(op_type), **attrs))
        return outs[0] if n_out == 1 else outs

    def const(self, array, dtype=None):
        name = self.fresh("Constant")
        self.initializers[name] = numpy_helper.from_array(np.asarray(array, dtype=dtype), name)
        return name

    def ints(self, values):
        return self.const(list(values), np.int64)

    def scalar(self, x, dtype_id):
        return self.const(np.array(x, np_dtype(dtype_id)))

    def is_const(self, ref):
        return ref.final and (ref.kind == "const" or (ref.kind == "call" and ref.key in self.folded))

    def value(self, ref, user="output"):
        if ref.kind == "input":
            return self.input_names[ref.key]
        if ref.kind in ("state", "const") and not ref.final:
            raise UnsupportedOperatorError(user, self.opset, detail="It reads a parameter, buffer or outside tensor "
                                           "that the forward later writes in place (its value before the write is "
                                           "not kept); export in eval mode or without the in-place update.")
        if ref.kind == "state":
            if ref.key not in self.initializers:
                self.initializers[ref.key] = numpy_helper.from_array(np.ascontiguousarray(value_of(ref)), ref.key)
                if not self.export_params:
                    self.state_inputs.append(ref.key)
            return ref.key
        if self.is_const(ref):
            if id(ref.impl) not in self._consts:
                self._consts[id(ref.impl)] = (self.const(value_of(ref)), ref.impl)
            return self._consts[id(ref.impl)][0]
        name = self.names.get(ref.key)
        if name is None:
            raise UnsupportedOperatorError(user, self.opset, detail="It uses an output the export does not translate "
                                           "(max_pool2d's indices).")
        return name

    def cast(self, ref, dtype_id, user):
        name = self.value(ref, user)
        return name if ref.dtype == dtype_id else self.node("Cast", [name], to=onnx_dtype(dtype_id))

    def name_output(self, source, name):
        """Makes `name` a graph output with source's value: the producing node's output renamed, or an Identity
        (for an input, an initializer, or a value already output under another name)."""
        producers = [n for n in self.nodes if source in n.output]
        if producers and source not in self.initializers and source not in self.input_names:
            for n in self.nodes:
                for field in (n.input, n.output):
                    for i, x in enumerate(field):
                        if x == source:
                            field[i] = name
            for key, x in self.names.items():
                if x == source:
                    self.names[key] = name
            return
        self.nodes.append(helper.make_node("Identity", [source], [name], name=f"/output/{name}"))

    # ---- sizes that follow the dynamic axes
    def _symbol(self, a, b):
        """(input name, axis, k) with a = k * size in the first recording and b = k * size in the second."""
        for name, axis, sa, sb in self.dynamic:
            if sa and sb and a % sa == 0 and b % sb == 0 and a // sa == b // sb:
                return name, axis, a // sa
        return None

    def shape_tensor(self, dims, dims_b, user):
        """An int64 1-D shape: dims where both recordings agree, each other entry k * (a dynamic axis's size)."""
        pieces, static = [], []
        for a, b in zip(dims, dims_b):
            if a == b:
                static.append(a)
                continue
            sym = self._symbol(a, b)
            if sym is None:
                raise UnsupportedOperatorError(user, self.opset, detail=f"A size ({a}) depends on a dynamic axis in a "
                                               "way the export cannot express.")
            if static:
                pieces.append(self.ints(static))
                static = []
            dim = self.node("Gather", [self.node("Shape", [sym[0]]), self.ints([sym[1]])], axis=0)
            pieces.append(dim if sym[2] == 1 else self.node("Mul", [dim, self.ints([sym[2]])]))
        if static:
            pieces.append(self.ints(static))
        return pieces[0] if len(pieces) == 1 else self.node("Concat", pieces, axis=0)

    def size_scalar(self, a, b, dtype_id, user):
        """A 0-d number that is a in the first recording and b in the second: k * a dynamic axis's size."""
        if not (float(a).is_integer() and float(b).is_integer()):
            raise UnsupportedOperatorError(user, self.opset, detail=f"A number ({a}) depends on a dynamic axis in a "
                                           "way the export cannot express.")
        dims = self.shape_tensor([int(a)], [int(b)], user)
        return self.node("Cast", [self.node("Squeeze", [dims, self.ints([0])])], to=onnx_dtype(dtype_id))

    @staticmethod
    def changed(user):
        """Warns that a number a call uses changed with the input values (read from a tensor in Python)."""
        warnings.warn(f"export(): a number or array that {user} uses changed with the input values (it was read from "
                      "a tensor: .item(), .tolist(), .numpy()); the graph holds the recorded value.", stacklevel=5)

    def reduce(self, op_type, data, axes, keepdims):
        """Reduce* over axes (all when empty): axes as an input from opset 18 (13 for ReduceSum)."""
        if not axes:
            return self.node(op_type, [data], keepdims=int(keepdims))
        if self.opset >= (13 if op_type == "ReduceSum" else 18):
            return self.node(op_type, [data, self.ints(axes)], keepdims=int(keepdims))
        return self.node(op_type, [data], axes=list(axes), keepdims=int(keepdims))

    def prune(self, outputs):
        """Drops the nodes and initializers no output depends on (a transpose a Gemm absorbed, unused results)."""
        needed, kept = set(outputs), []
        for n in reversed(self.nodes):
            if any(o in needed for o in n.output):
                kept.append(n)
                needed.update(x for x in n.input if x)
        self.nodes = kept[::-1]
        self.initializers = {k: v for k, v in self.initializers.items() if k in needed}
        self.state_inputs = [k for k in self.state_inputs if k in needed]

    def model(self, input_infos, output_infos, producer, keep_initializers_as_inputs=False):
        as_inputs = list(self.initializers) if keep_initializers_as_inputs else self.state_inputs
        graph = helper.make_graph(self.nodes, "main_graph", input_infos + [
            helper.make_tensor_value_info(n, self.initializers[n].data_type, list(self.initializers[n].dims))
            for n in as_inputs], output_infos,
            [t for n, t in self.initializers.items() if n not in self.state_inputs])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)], producer_name=producer,
                                 ir_version=min(onnx.IR_VERSION, 8 if self.opset <= 17 else 9 if self.opset <= 20
                                                else onnx.IR_VERSION))
