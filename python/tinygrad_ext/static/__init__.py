"""tinygrad_ext.static: TensorFlow 1's graph API (placeholders, Variables, Session.run) on tinygrad_ext's kernels.

    import tinygrad_ext.static as tf

    x = tf.placeholder(tf.float32, shape=(None, 1000))
    w = tf.Variable(tf.random_normal((1000, 100)))
    loss = tf.reduce_sum(tf.matmul(x, w) ** 2.0)
    grad_w, = tf.gradients(loss, [w])
    step = w.assign(w - 1e-6 * grad_w)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        loss_value, _ = sess.run([loss, step], feed_dict={x: x_value})

Building the graph computes nothing; a Session plans each (fetches, feeds) once (constant folding,
simplification, common-subexpression elimination, dead-node elimination: see `session.stats`) and then
each run() only calls the core's kernels. Layout: _graph.py (the IR: nodes, dtypes, shapes, graphs),
_ops.py (the op table: kernels, gradient rules, builders), _variables.py, _gradients.py, _scan.py, _cond.py, _while.py,
_passes.py (the passes and the plan), _session.py, errors.py, train.py (optimizers).
"""
import builtins as _builtins
import types as _types

from . import errors, train
from ._gradients import gradients
from ._graph import DType, Graph, TensorShape, as_dtype, float32, float64, get_default_graph, int32, int64, \
    reset_default_graph, uint8
from ._graph import Node as Tensor
from ._graph import Node as Operation
from ._graph import bool_ as bool  # tf.bool
from ._ops import UNARY_API, add, add_n, atan2, cast, concat, constant, convert_to_tensor, divide, equal, \
    expand_dims, fill, floordiv, greater, greater_equal, identity, less, less_equal, logical_and, logical_not, \
    logical_or, matmul, maximum, minimum, mod, multiply, not_equal, ones, ones_like, pow, random_normal, \
    random_uniform, reduce_max, reduce_mean, reduce_min, reduce_sum, reshape, squeeze, stack, stop_gradient, \
    subtract, transpose, truncated_normal, where, zeros, zeros_like
from ._passes import Stats
from ._cond import cond
from ._scan import scan
from ._session import ConfigProto, InteractiveSession, Session, get_default_session
from ._while import while_loop
from ._variables import Variable, assign, assign_add, assign_sub, global_variables, global_variables_initializer, \
    group, initialize_all_variables, no_op, trainable_variables, variables_initializer

globals().update(UNARY_API)  # tf.exp, tf.log, tf.sigmoid, tf.tanh, tf.square, tf.sqrt, tf.abs, tf.negative, ...
negative, truediv, sub, mul, div = UNARY_API["neg"], divide, subtract, multiply, divide
float, double, int = float32, float64, int32


def placeholder(dtype, shape=None, name=None):
    """A node whose value every run must feed: `shape` may hold None for sizes known only at run time."""
    graph = get_default_graph()
    return Tensor(graph, "Placeholder", (), None, TensorShape(shape), as_dtype(dtype),
                  graph.unique_name(name or "Placeholder"))


def device(device_name_or_function):
    """`with tf.device('/gpu:0'):` places the nodes built inside on that device ('/cpu:0', '/gpu:N')."""
    return get_default_graph().device(device_name_or_function)


def name_scope(name, default_name=None, values=None):
    return get_default_graph().name_scope(name or default_name)


def set_random_seed(seed):
    """The graph-level seed: random ops then draw the same numbers in every Session (TensorFlow's rule)."""
    get_default_graph().seed = _builtins.int(seed)


def _softmax(logits, axis=-1, name=None):
    logits = convert_to_tensor(logits)
    e = UNARY_API["exp"](logits - stop_gradient(reduce_max(logits, axis, keepdims=True)))
    return divide(e, reduce_sum(e, axis, keepdims=True), name)


def _l2_loss(t, name=None):
    return divide(reduce_sum(UNARY_API["square"](t)), 2.0, name)


nn = _types.SimpleNamespace(relu=UNARY_API["relu"], sigmoid=UNARY_API["sigmoid"], tanh=UNARY_API["tanh"],
                            softmax=_softmax, l2_loss=_l2_loss)
math = _types.SimpleNamespace(**UNARY_API, add=add, subtract=subtract, multiply=multiply, divide=divide, pow=pow,
                              maximum=maximum, minimum=minimum, reduce_sum=reduce_sum, reduce_mean=reduce_mean,
                              reduce_max=reduce_max, reduce_min=reduce_min, less=less, greater=greater, equal=equal,
                              not_equal=not_equal, atan2=atan2, add_n=add_n, floordiv=floordiv, mod=mod)
random = _types.SimpleNamespace(normal=random_normal, uniform=random_uniform, truncated_normal=truncated_normal,
                                set_seed=set_random_seed)
