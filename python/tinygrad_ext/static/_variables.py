"""Variables (values a Session keeps between runs), their assignments and initializers, and group/no_op.

A Variable is a graph node whose value lives in each Session (`session._variables`); reading it before
an assignment raises FailedPreconditionError, as TensorFlow's. Assignments replace the stored Tensor
(they never write into it), so a value fetched or read earlier in the same run stays what it was.
"""
from . import errors
from ._graph import Node, TensorShape, _session_for, get_default_graph
from ._ops import convert_to_tensor, make_node, register


class Variable(Node):
    """tf.Variable: `Variable(initial_value)`, used as a tensor (its current value) in any op."""

    __slots__ = ("initial_value", "initializer", "trainable")

    def __init__(self, initial_value=None, trainable=True, collections=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None, expected_shape=None,
                 import_scope=None, constraint=None, use_resource=None, synchronization=None, aggregation=None,
                 shape=None):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        init = convert_to_tensor(initial_value, dtype)
        graph = init.graph
        shape = TensorShape(shape) if shape is not None else init.shape if validate_shape else TensorShape(None)
        super().__init__(graph, "VariableV2", (), None, shape, init.dtype, graph.unique_name(name or "Variable"))
        self.initial_value, self.trainable = init, bool(trainable)
        self.initializer = Node(graph, "Assign", (init,), {"var": self, "validate_shape": validate_shape}, None, None,
                                graph.unique_name(self.name + "/Assign"))
        graph.variables.append(self)

    def __repr__(self):
        return f"<tf.Variable '{self.name}:0' shape={self.shape} dtype={self.dtype.name}_ref>"

    def value(self):
        return self

    def read_value(self):
        return make_node("Identity", (self,), None, self.shape, self.dtype, self.name + "/read")

    def assign(self, value, use_locking=None, name=None, read_value=True):
        return assign(self, value, name=name)

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        return assign_add(self, delta, name=name)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        return assign_sub(self, delta, name=name)

    def load(self, value, session=None):
        """Sets the variable's value in `session` (the default one) from a numpy value, without running ops."""
        _session_for(self, session)._load(self, value)


def _check_assign_shape(var, value, name):
    if var.shape.is_compatible_with(value.shape):
        return
    raise ValueError(f"Shapes {var.shape} and {value.shape} are incompatible: cannot assign to variable '{var.name}' "
                     f"in '{name}'.")


def _variable(ref):
    if not isinstance(ref, Variable):
        raise TypeError(f"'{ref!r}' is not a tf.Variable: only Variables can be assigned to.")
    return ref


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    var = _variable(ref)
    value = convert_to_tensor(value, var.dtype, op="Assign")
    _check_assign_shape(var, value, name or "Assign")
    return make_node("Assign", (value,), {"var": var, "validate_shape": validate_shape is not False}, var.shape,
                     var.dtype, name or "Assign")


def assign_add(ref, value, use_locking=None, name=None):
    var = _variable(ref)
    value = convert_to_tensor(value, var.dtype, op="AssignAdd")
    _check_assign_shape(var, value, name or "AssignAdd")
    return make_node("AssignAdd", (var, value), {"var": var}, var.shape, var.dtype, name)


def assign_sub(ref, value, use_locking=None, name=None):
    var = _variable(ref)
    value = convert_to_tensor(value, var.dtype, op="AssignSub")
    _check_assign_shape(var, value, name or "AssignSub")
    return make_node("AssignSub", (var, value), {"var": var}, var.shape, var.dtype, name)


def _store(session, node, var, value):
    old = session._variables.get(var)
    if old is not None and old.shape == value.shape or not node.attrs.get("validate_shape", True):
        session._variables[var] = value
        return value
    expected = TensorShape(tuple(old.shape)) if old is not None else var.shape
    if not expected.is_compatible_with(tuple(value.shape)):
        raise errors.InvalidArgumentError(
            None, node, f"Assign requires shapes of both tensors to match. lhs shape= {expected._brackets()} rhs "
            f"shape= {TensorShape(tuple(value.shape))._brackets()}\n\t [[node {node.name}]]")
    session._variables[var] = value
    return value


def _make_assign(node, device, session):
    var = node.attrs["var"]
    return lambda value: _store(session, node, var, value)


def _make_assign_add(node, device, session):
    var, sub = node.attrs["var"], node.type == "AssignSub"
    return lambda cur, delta: _store(session, node, var, cur - delta if sub else cur + delta)


def _make_variable_read(node, device, session):
    def read():
        value = session._variables.get(node)
        if value is None:
            raise errors.FailedPreconditionError(
                None, node, f"Attempting to use uninitialized value {node.name}\n\t [[{{{{node {node.name}}}}}]]")
        return value
    return read


def _not_differentiable(node, g, needs):  # (TensorFlow's assignments pass no gradient to their inputs)
    return (None,) * len(node.inputs)


register("VariableV2", make=_make_variable_read, pure=False)
register("Assign", make=_make_assign, pure=False, grad=_not_differentiable)
register("AssignAdd", make=_make_assign_add, pure=False, grad=_not_differentiable)
register("AssignSub", make=_make_assign_add, pure=False, grad=_not_differentiable)
register("NoOp", make=lambda node, device, session: (lambda: None), pure=False)


def group(*inputs, name=None):
    """An operation that runs all `inputs` (nodes, or lists of them) and returns nothing."""
    flat = []
    for x in inputs:
        flat.extend(x if isinstance(x, (list, tuple)) else [x])
    graph = flat[0].graph if flat else get_default_graph()
    return Node(graph, "NoOp", (), None, None, None, graph.unique_name(name or "group_deps"), control_inputs=flat)


def no_op(name=None):
    return group(name=name or "NoOp")


def global_variables(scope=None):
    return [v for v in get_default_graph().variables if scope is None or v.name.startswith(scope)]


def trainable_variables(scope=None):
    return [v for v in global_variables(scope) if v.trainable]


def variables_initializer(var_list, name="init"):
    return group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer():
    return variables_initializer(global_variables())


initialize_all_variables = global_variables_initializer
