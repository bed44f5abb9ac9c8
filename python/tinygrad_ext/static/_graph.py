"""The graph IR of tinygrad_ext.static: dtypes, static shapes, graphs and their nodes.

A node is one operation with one output (TensorFlow's Operation and its Tensor in one object): its
op type ("MatMul", "AddV2", ...), its input nodes, its attributes (hashable Python values, or a
Tensor for constants), and the static shape and dtype inferred when it was built. Nodes never
change once built; a Session evaluates them (see _session.py), the passes rewrite copies (_passes.py).
"""
import contextlib
import threading

import numpy as np

from .. import _dtype


class DType:
    """tf.float32 & co.: a TensorFlow dtype, mapped to the core's dtype."""

    __slots__ = ("name", "torch", "_tf_name")

    def __init__(self, name, torch_dtype, tf_name):
        self.name, self.torch, self._tf_name = name, torch_dtype, tf_name

    def __repr__(self):
        return "tf." + self.name

    @property
    def as_numpy_dtype(self):
        return np.dtype(self.name).type

    @property
    def is_floating(self):
        return self.torch.is_floating_point

    @property
    def is_integer(self):
        return self.name in ("int32", "int64", "uint8")

    @property
    def base_dtype(self):
        return self


float32 = DType("float32", _dtype.float32, "float")
float64 = DType("float64", _dtype.float64, "double")
int32 = DType("int32", _dtype.int32, "int32")
int64 = DType("int64", _dtype.int64, "int64")
uint8 = DType("uint8", _dtype.uint8, "uint8")
bool_ = DType("bool", _dtype.bool, "bool")
DTYPES = {d.name: d for d in (float32, float64, int32, int64, uint8, bool_)}
_BY_TORCH = {d.torch: d for d in DTYPES.values()}


def as_dtype(type_value):
    """tf.as_dtype: a DType from a DType, its name, a numpy dtype or a tinygrad_ext dtype."""
    if isinstance(type_value, DType):
        return type_value
    if type_value in _BY_TORCH:
        return _BY_TORCH[type_value]
    name = {"float": "float32", "double": "float64", "half": None}.get(type_value, type_value)
    try:
        name = np.dtype(name).name if name is not None else None
    except TypeError:
        name = None
    if name not in DTYPES:
        raise TypeError(f"Cannot convert value {type_value!r} to a TensorFlow DType.")
    return DTYPES[name]


class TensorShape(tuple):
    """A static shape: a tuple of ints and None (unknown); `dims is None` when even the rank is unknown."""

    def __new__(cls, dims):
        if dims is None:
            self = tuple.__new__(cls, ())
            self.dims = None
            return self
        if isinstance(dims, int):
            dims = (dims,)
        self = tuple.__new__(cls, (None if d is None or d == -1 else int(d) for d in dims))
        self.dims = tuple(self)
        return self

    @property
    def ndims(self):
        return None if self.dims is None else len(self)

    rank = ndims

    def as_list(self):
        if self.dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self)

    def is_fully_defined(self):
        return self.dims is not None and None not in self

    def is_compatible_with(self, other):
        if self.dims is None or getattr(other, "dims", ()) is None:
            return True
        return len(self) == len(other) and all(a is None or b is None or a == b for a, b in zip(self, other))

    def __str__(self):
        if self.dims is None:
            return "<unknown>"
        inner = ", ".join("?" if d is None else str(d) for d in self)
        return f"({inner},)" if len(self) == 1 else f"({inner})"

    def __repr__(self):
        return "TensorShape(None)" if self.dims is None else f"TensorShape({list(self)})"

    def _brackets(self):  # the [?,1000] form of TensorFlow's runtime messages
        return "<unknown>" if self.dims is None else "[" + ",".join("?" if d is None else str(d) for d in self) + "]"


def parse_device(spec):
    """'/cpu:0', '/gpu:0', '/device:GPU:1', 'cuda:0' -> the core's device string ('cpu' or 'cuda:N')."""
    s = str(spec).lower().rstrip("/")
    part = s.split("/device:")[-1].split("/")[-1]
    kind, _, index = part.partition(":")
    if kind == "cpu":
        return "cpu"
    if kind in ("gpu", "cuda"):
        return f"cuda:{index or 0}"
    raise ValueError(f"Unknown device specification {spec!r}: use '/cpu:0' or '/gpu:N'.")


class Node:
    """A graph node: TensorFlow's tf.Tensor (the output) and tf.Operation (the op) in one object.

    TensorFlow 1 compares tensors by identity (`==` is not elementwise), so nodes hash by identity and
    can be feed_dict keys."""

    __slots__ = ("type", "inputs", "attrs", "shape", "dtype", "graph", "name", "device", "control_inputs",
                 "_id", "__weakref__")

    def __init__(self, graph, type, inputs, attrs, shape, dtype, name, control_inputs=()):
        self.graph, self.type, self.inputs, self.attrs = graph, type, tuple(inputs), attrs
        self.shape = shape if shape is None or isinstance(shape, TensorShape) else TensorShape(shape)
        self.dtype, self.control_inputs = dtype, tuple(control_inputs)
        self.name = name
        self.device = graph._device_stack[-1] if graph is not None and graph._device_stack else None
        self._id = graph._add(self) if graph is not None else -1

    # ---- TensorFlow's Tensor / Operation accessors
    @property
    def op(self):
        return self

    def get_shape(self):
        return self.shape

    @property
    def is_operation(self):  # a node without an output (group, NoOp): run() gives None for it
        return self.dtype is None

    @property
    def _tensor_name(self):
        return self.name if self.is_operation else self.name + ":0"

    def __repr__(self):
        if self.is_operation:
            return f"<tf.Operation '{self.name}' type={self.type}>"
        return f"<tf.Tensor '{self.name}:0' shape={self.shape} dtype={self.dtype.name}>"

    def __str__(self):
        if self.is_operation:
            return repr(self)
        return f'Tensor("{self.name}:0", shape={self.shape}, dtype={self.dtype.name})'

    def __bool__(self):
        raise TypeError("Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is not None:` instead of "
                        "`if t:` to test if a tensor is defined, and use TensorFlow ops such as tf.cond to execute "
                        "subgraphs conditioned on the value of a tensor.")

    def __iter__(self):
        raise TypeError("Tensor objects are only iterable when eager execution is enabled. To iterate over this "
                        "tensor use tf.map_fn.")

    __array_priority__ = 100  # numpy_array * node -> the node's __rmul__

    def eval(self, feed_dict=None, session=None):
        return _session_for(self, session).run(self, feed_dict)

    def run(self, feed_dict=None, session=None):
        _session_for(self, session).run(self, feed_dict)


_DEFAULTS = threading.local()


def _session_for(node, session):
    if session is None:
        stack = default_session_stack()
        session = stack[-1] if stack else None
    if session is None:
        raise ValueError("Cannot evaluate tensor using `eval()`: No default session is registered. Use `with "
                         "sess.as_default()` or pass an explicit session to `eval(session=sess)`")
    return session


def default_session_stack():
    if not hasattr(_DEFAULTS, "session"):
        _DEFAULTS.session = []
    return _DEFAULTS.session


class Graph:
    """tf.Graph: the nodes built under it, unique names, the variables, the device and name scopes."""

    def __init__(self):
        self._nodes, self._names = [], {}
        self._device_stack, self._scope = [], ""
        self.variables = []
        self.seed = None
        self._finalized = False

    def _add(self, node):
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        self._nodes.append(node)
        return len(self._nodes) - 1

    def unique_name(self, name):
        name = self._scope + name
        n = self._names.get(name, 0)
        self._names[name] = n + 1
        return name if n == 0 else f"{name}_{n}"

    def get_operations(self):
        return list(self._nodes)

    def as_graph_element(self, name):
        """The node named `name` ('loss' or 'loss:0'); KeyError, worded as TensorFlow's, when there is none."""
        base = name[:-2] if name.endswith(":0") else name
        for node in self._nodes:
            if node.name == base:
                return node
        raise KeyError(f"The name '{name}' refers to a Tensor which does not exist. The operation, '{base}', does "
                       "not exist in the graph.")

    get_tensor_by_name = get_operation_by_name = as_graph_element

    def finalize(self):
        self._finalized = True

    @property
    def finalized(self):
        return self._finalized

    @contextlib.contextmanager
    def as_default(self):
        stack = _graph_stack()
        stack.append(self)
        try:
            yield self
        finally:
            stack.pop()

    @contextlib.contextmanager
    def device(self, device_name_or_function):
        self._device_stack.append(None if device_name_or_function is None else parse_device(device_name_or_function))
        try:
            yield
        finally:
            self._device_stack.pop()

    @contextlib.contextmanager
    def name_scope(self, name):
        old = self._scope
        if name:
            self._scope = self.unique_name(name.rstrip("/")) + "/" if not name.endswith("/") else name
        try:
            yield self._scope
        finally:
            self._scope = old


_GLOBAL_GRAPH = [Graph()]


def _graph_stack():
    if not hasattr(_DEFAULTS, "graphs"):
        _DEFAULTS.graphs = []
    return _DEFAULTS.graphs


def get_default_graph():
    stack = _graph_stack()
    return stack[-1] if stack else _GLOBAL_GRAPH[0]


def reset_default_graph():
    if _graph_stack():
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If you need a cleared "
                             "graph, exit the nesting and create a new graph.")
    _GLOBAL_GRAPH[0] = Graph()
