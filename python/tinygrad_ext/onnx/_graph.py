"""The ONNX graph under construction: nodes, initializers, and the names of the traced values."""
import numpy as np
import onnx
from onnx import helper, numpy_helper

from .errors import UnsupportedOperatorError

INT64_MAX = np.iinfo(np.int64).max


def onnx_dtype(dtype):
    """The TensorProto element type of a tinygrad_ext dtype (whose names are numpy's)."""
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype.name))


class GraphBuilder:
    """Converters add nodes with node(); value() names a traced Value, adding its initializer on first use.
    `dynamic` lists the dynamic axes as (input name, axis, size in the first trace, size in the second)."""

    def __init__(self, opset, input_names, tracer, state_names, dynamic, export_params):
        self.opset, self.input_names, self.tracer, self.records = opset, input_names, tracer, tracer.records
        self.state_names, self.dynamic, self.export_params = state_names, dynamic, export_params
        self.nodes, self.initializers, self.state_inputs = [], {}, []
        self.outputs = {}  # (record index, output nr) -> name
        self._count = 0

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

    def value(self, v, op_name=""):
        if v.kind == "input":
            return self.input_names[v.key]
        if v.kind == "const":
            return self.const(v.data)
        if v.kind == "state":
            if v.key not in self.initializers:
                self.initializers[v.key] = numpy_helper.from_array(np.ascontiguousarray(v.data), v.key)
                if not self.export_params:
                    self.state_inputs.append(v.key)
            return v.key
        name = self.outputs.get(v.key)
        if name is None:
            raise UnsupportedOperatorError(op_name or "output", self.opset, detail="An output of this op that the "
                                           "export does not translate (max_pool2d's indices) is used.")
        return name

    def name_output(self, source, name):
        """Makes `name` a graph output with source's value: the producing node's output renamed, or an Identity
        (for an input, an initializer, or a value already output under another name)."""
        producers = [n for n in self.nodes if source in n.output]
        if producers and source.startswith("/") and source not in self.initializers:
            for n in self.nodes:
                for field in (n.input, n.output):
                    for i, x in enumerate(field):
                        if x == source:
                            field[i] = name
            for key, x in self.outputs.items():
                if x == source:
                    self.outputs[key] = name
            return
        self.nodes.append(helper.make_node("Identity", [source], [name], name=f"/output/{name}"))

    def shape_of(self, v):
        """The (first trace's) shape of a Value."""
        return self.tracer.meta(v)[0]

    def dtype_of(self, v):
        return self.tracer.meta(v)[1]

    def cast(self, name, dtype, from_dtype):
        return name if dtype is from_dtype else self.node("Cast", [name], to=onnx_dtype(dtype))

    # ---- shapes that follow the dynamic axes
    def _symbol(self, a, b):
        """(input name, axis, k) with a = k * size in the first trace and b = k * size in the second."""
        for name, axis, sa, sb in self.dynamic:
            if sa and sb and a % sa == 0 and b % sb == 0 and a // sa == b // sb:
                return name, axis, a // sa
        return None

    def shape_tensor(self, dims, dims_b, op_name):
        """An int64 1-D shape: dims where both traces agree, each other entry k * (a dynamic axis's size)."""
        pieces, static = [], []
        for a, b in zip(dims, dims_b):
            if a == b:
                static.append(a)
                continue
            sym = self._symbol(a, b)
            if sym is None:
                raise UnsupportedOperatorError(op_name, self.opset, detail=f"A size ({a}) depends on the dynamic "
                                               "axes in a way the export cannot express.")
            if static:
                pieces.append(self.ints(static))
                static = []
            dim = self.node("Gather", [self.node("Shape", [sym[0]]), self.ints([sym[1]])], axis=0)
            pieces.append(dim if sym[2] == 1 else self.node("Mul", [dim, self.ints([sym[2]])]))
        if static:
            pieces.append(self.ints(static))
        return pieces[0] if len(pieces) == 1 else self.node("Concat", pieces, axis=0)

    def reduce(self, op_type, data, axes, keepdims):
        """Reduce* over axes (all when empty): axes as an input from opset 18 (13 for ReduceSum)."""
        if not axes:
            return self.node(op_type, [data], keepdims=int(keepdims))
        if self.opset >= (13 if op_type == "ReduceSum" else 18):
            return self.node(op_type, [data, self.ints(axes)], keepdims=int(keepdims))
        return self.node(op_type, [data], axes=list(axes), keepdims=int(keepdims))

    def model(self, input_infos, output_infos, producer, keep_initializers_as_inputs=False):
        as_inputs = list(self.initializers) if keep_initializers_as_inputs else self.state_inputs
        graph = helper.make_graph(self.nodes, "main_graph", input_infos + [
            helper.make_tensor_value_info(n, self.initializers[n].data_type, list(self.initializers[n].dims))
            for n in as_inputs], output_infos,
            [t for n, t in self.initializers.items() if n not in self.state_inputs])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)], producer_name=producer,
                                 ir_version=min(onnx.IR_VERSION, 8 if self.opset <= 17 else 9 if self.opset <= 20
                                                else onnx.IR_VERSION))
