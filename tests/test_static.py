"""tinygrad_ext.static (TensorFlow 1's graph API): the tutorial's TensorFlow program, gradients against
float64 central differences of a numpy reference, TensorFlow's errors, and the graph passes' counts."""
import collections
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import tinygrad_ext
import tinygrad_ext.static as tf
from tinygrad_ext import _nvrtc, _registry
from tinygrad_ext.static import _ops as tf_ops
from tinygrad_ext.static import errors

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "two_layer_net_tf.py")


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield
    tf.reset_default_graph()


def two_layer_net(N=64, D_in=1000, H=100, D_out=10, learning_rate=1e-6):
    """The tutorial's graph (as written in examples/two_layer_net_tf.py)."""
    x = tf.placeholder(tf.float32, shape=(None, D_in))
    y = tf.placeholder(tf.float32, shape=(None, D_out))
    w1 = tf.Variable(tf.random_normal((D_in, H)))
    w2 = tf.Variable(tf.random_normal((H, D_out)))
    h = tf.matmul(x, w1)
    h_relu = tf.maximum(h, tf.zeros(1))
    y_pred = tf.matmul(h_relu, w2)
    loss = tf.reduce_sum((y - y_pred) ** 2.0)
    grad_w1, grad_w2 = tf.gradients(loss, [w1, w2])
    new_w1 = w1.assign(w1 - learning_rate * grad_w1)
    new_w2 = w2.assign(w2 - learning_rate * grad_w2)
    return x, y, w1, w2, loss, new_w1, new_w2


# ------------------------------------------------------------------------------- the tutorial's program
@pytest.mark.slow
def test_tutorial_program_runs_unchanged_and_converges():
    code = ("import runpy, sys, numpy, tinygrad_ext; numpy.random.seed(0); tinygrad_ext.manual_seed(0); "
            "runpy.run_path(sys.argv[1], run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code, EXAMPLE], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    losses = [float(line) for line in proc.stdout.split()]
    assert len(losses) == 500
    # converges like the PyTorch version (tests/test_examples.py): small, and 1000x below the first loss
    assert losses[-1] < 1.0 and losses[-1] < losses[0] / 1000, (losses[0], losses[-1])


def test_training_steps_match_float64_numpy():
    tinygrad_ext.manual_seed(0)  # (the weights' draws: not whatever state earlier tests left)
    x, y, w1, w2, loss, new_w1, new_w2 = two_layer_net()
    rng = np.random.default_rng(0)
    xv, yv = rng.standard_normal((64, 1000)), rng.standard_normal((64, 10))  # float64, cast to float32 on feed
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = (v.astype(np.float64) for v in sess.run([w1, w2]))
        for _ in range(10):
            loss_value, v1, v2 = sess.run([loss, new_w1, new_w2], feed_dict={x: xv, y: yv})
            h = xv @ a
            y_pred = np.maximum(h, 0) @ b
            g = -2 * (yv - y_pred)
            gh = (g @ b.T) * (h >= 0)
            expected = ((yv - y_pred) ** 2).sum()
            a, b = a - 1e-6 * xv.T @ gh, b - 1e-6 * np.maximum(h, 0).T @ g
            assert isinstance(loss_value, np.float32)
            np.testing.assert_allclose(loss_value, expected, rtol=1e-5)
            np.testing.assert_allclose(v1, a, rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(v2, b, rtol=1e-4, atol=1e-5)
        assert sess.plans_built == 3  # the initializer, the weights, the step: each planned once
        assert sess.stats.runs == 10


# ------------------------------------------------------------------------------------------- gradients
def _numeric_grad(f, arrays, i, eps=1e-6):
    g = np.zeros_like(arrays[i])
    for idx in np.ndindex(*arrays[i].shape):
        plus = [a.copy() for a in arrays]
        minus = [a.copy() for a in arrays]
        plus[i][idx] += eps
        minus[i][idx] -= eps
        g[idx] = (f(*plus) - f(*minus)) / (2 * eps)
    return g


def _softmax_np(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


GRAD_CASES = [  # (id, graph function, numpy float64 reference, input shapes, input range)
    ("arith_broadcast", lambda a, b: a * b + a / b - b, lambda a, b: a * b + a / b - b, [(3, 1), (4,)], (0.5, 2)),
    ("pow_tensor", lambda a, b: a ** b, lambda a, b: a ** b, [(3, 4), (3, 4)], (0.5, 2)),
    ("pow_scalar", lambda a: (a - 1.0) ** 2.0, lambda a: (a - 1.0) ** 2.0, [(5,)], (-2, 2)),
    ("maximum_minimum", lambda a, b: tf.maximum(a, b) * 2 + tf.minimum(a, b), lambda a, b: np.maximum(a, b) * 2 +
     np.minimum(a, b), [(4, 3), (3,)], (-1, 1)),
    ("registry_unary", lambda a: tf.exp(a) + tf.log(a) + tf.sigmoid(a) * tf.tanh(a) + tf.square(a) + tf.sqrt(a)
     + tf.nn.relu(a - 1.0) + tf.sin(a), lambda a: np.exp(a) + np.log(a) + 1 / (1 + np.exp(-a)) * np.tanh(a) + a * a
     + np.sqrt(a) + np.maximum(a - 1, 0) + np.sin(a), [(2, 3)], (0.3, 2)),
    ("matmul", lambda a, b: tf.matmul(a, b), lambda a, b: a @ b, [(3, 4), (4, 2)], (-1, 1)),
    ("matmul_transposed", lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True), lambda a, b: a.T @ b.T,
     [(4, 3), (2, 4)], (-1, 1)),
    ("reduce_mean_max", lambda a: tf.reduce_mean(a, axis=1) * tf.reduce_max(a, axis=0, keepdims=True)[0, :3],
     lambda a: a.mean(1) * a.max(0, keepdims=True)[0, :3], [(3, 4)], (-1, 1)),
    ("reduce_sum_keepdims", lambda a: a * tf.reduce_sum(a, axis=[0], keepdims=True), lambda a: a * a.sum(0,
     keepdims=True), [(3, 2)], (-1, 1)),
    ("reshape_transpose", lambda a: tf.transpose(tf.reshape(a, (2, -1))) * tf.reshape(a, (3, 2)),
     lambda a: a.reshape(2, -1).T * a.reshape(3, 2), [(6,)], (-1, 1)),
    ("concat_stack", lambda a, b: tf.concat([a, b * 2, a], axis=1) + tf.reduce_sum(tf.stack([a, b]), 0)[:, :1],
     lambda a, b: np.concatenate([a, b * 2, a], 1) + np.stack([a, b]).sum(0)[:, :1], [(2, 3), (2, 3)], (-1, 1)),
    ("expand_squeeze_where", lambda a: tf.where(a > 0, tf.squeeze(tf.expand_dims(a, 0)), a * a), lambda a: np.where(
        a > 0, a, a * a), [(5,)], (-1, 1)),
    ("softmax", lambda a: tf.nn.softmax(a) * a, lambda a: _softmax_np(a) * a, [(2, 4)], (-1, 1)),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradients_match_numerical_float64(case):
    _, fn, ref, shapes, (lo, hi) = case
    rng = np.random.default_rng(1)
    arrays = [rng.uniform(lo, hi, s) for s in shapes]
    weights = rng.uniform(-1, 1, np.shape(ref(*arrays)))  # sum(w * f): every output element counts
    xs = [tf.placeholder(tf.float64, s) for s in shapes]
    out = fn(*xs)
    loss = tf.reduce_sum(out * tf.constant(weights))
    grads = tf.gradients(loss, xs)
    with tf.Session() as sess:
        feed = dict(zip(xs, arrays))
        np.testing.assert_allclose(sess.run(out, feed), ref(*arrays), rtol=1e-12, atol=1e-12)
        values = sess.run(grads, feed)
    for i, g in enumerate(values):
        expected = _numeric_grad(lambda *a: (ref(*a) * weights).sum(), arrays, i)
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-7, err_msg=f"input {i}")


REGISTRY_UNARY = [(t, n) for t, n in tf_ops.UNARY.items() if _registry.BY_NAME[n].grad and _registry.BY_NAME[n].ref
                  and "special" not in _registry.BY_NAME[n].ref]


@pytest.mark.parametrize("type_name, name", REGISTRY_UNARY, ids=[n for _, n in REGISTRY_UNARY])
def test_every_registry_unary_op_value_and_gradient(type_name, name):
    """One row per op registry entry the static API exposes: its value against the entry's numpy reference, its
    gradient (the entry's formula, built as graph nodes) against central differences of that reference."""
    entry = _registry.BY_NAME[name]
    ref = eval(entry.ref, {"np": np, "math": math})  # noqa: S307 (the registry's own reference expressions)
    lo, hi = entry.domain or (-2, 2)
    a = np.random.default_rng(3).uniform(lo, hi, (2, 3))
    x = tf.placeholder(tf.float64, (2, 3))
    y = tf_ops.UNARY_API[name](x)
    g, = tf.gradients(tf.reduce_sum(y), [x])
    with tf.Session() as sess:
        value, grad = sess.run([y, g], {x: a})
    np.testing.assert_allclose(value, ref(a), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad, _numeric_grad(lambda v: ref(v).sum(), [a], 0), rtol=1e-5, atol=1e-7)


def test_gradients_none_for_unconnected_and_grad_ys_and_stop_gradient():
    a, b = tf.placeholder(tf.float64, (3,)), tf.placeholder(tf.float64, (3,))
    c = a * 3.0
    ga, gb = tf.gradients(c, [a, b])
    assert gb is None
    gs, = tf.gradients(tf.stop_gradient(a) * a, [a])
    gy, = tf.gradients(c, [a], grad_ys=tf.constant([1.0, 2.0, 3.0], tf.float64))
    gc, = tf.gradients(tf.reduce_sum(tf.cast(a, tf.float32) * 2.0), [a])  # a cast's gradient is cast back
    with tf.Session() as sess:
        av = np.array([1.0, 2.0, 3.0])
        np.testing.assert_array_equal(sess.run(ga, {a: av}), [3, 3, 3])
        np.testing.assert_array_equal(sess.run(gs, {a: av}), av)  # the stopped factor is a constant
        np.testing.assert_array_equal(sess.run(gy, {a: av}), [3, 6, 9])
        assert sess.run(gc, {a: av}).dtype == np.float64


def test_gradient_of_op_without_rule_raises_lookup_error():
    x = tf.placeholder(tf.float32, (4,))
    r = tf.random_normal((4,))  # (a source: no gradient flows into it, and none is needed)
    y = tf.placeholder(tf.float32, (4,))
    node = tf.Tensor(x.graph, "Unknown", (x, y), None, (4,), tf.float32, "unknown")  # an op the table lacks
    with pytest.raises(LookupError, match="No gradient defined for operation 'unknown' \\(op type: Unknown\\)"):
        tf.gradients(tf.reduce_sum(node * r), [x])


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("with_init", [False, True])
def test_scan_gradient_matches_numerical_float64(reverse, with_init):
    """An RNN-like loop, h_t = tanh(h_(t-1) * w + x_t): gradients through every step, to the elements, the
    initial state and the captured weight."""
    rng = np.random.default_rng(2)
    xs_v, h0_v, w_v = rng.uniform(-1, 1, (5, 3)), rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
    weights = rng.uniform(-1, 1, (5, 3))

    def ref(xs, h0, w):
        order = range(len(xs))[::-1] if reverse else range(len(xs))
        out, h = np.zeros_like(xs), h0 if with_init else None
        for n, t in enumerate(order):
            h = xs[t] if (h is None and n == 0) else np.tanh(h * w + xs[t])
            out[t] = h
        return (out * weights).sum()

    xs, h0, w = (tf.placeholder(tf.float64, s) for s in ((5, 3), (3,), (3,)))
    hs = tf.scan(lambda h, x: tf.tanh(h * w + x), xs, initializer=h0 if with_init else None, reverse=reverse)
    loss = tf.reduce_sum(hs * tf.constant(weights))
    grads = tf.gradients(loss, [xs, h0, w])
    arrays = [xs_v, h0_v, w_v]
    with tf.Session() as sess:
        feed = dict(zip([xs, h0, w], arrays))
        np.testing.assert_allclose(sess.run(loss, feed), ref(*arrays), rtol=1e-12)
        values = sess.run([g for g in grads if g is not None], feed)
    assert (grads[1] is None) == (not with_init)
    wanted = [i for i, g in enumerate(grads) if g is not None]
    for i, v in zip(wanted, values):
        np.testing.assert_allclose(v, _numeric_grad(ref, arrays, i), rtol=1e-6, atol=1e-8, err_msg=f"input {i}")


# --------------------------------------------------------------------------------------------- errors
def test_placeholder_not_fed():
    x = tf.placeholder(tf.float32, shape=(None, 1000), name="x")
    with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError, match=r"You must feed a value for "
                                             r"placeholder tensor 'x' with dtype float and shape \[\?,1000\]"):
        sess.run(x * 2.0)


def test_fed_value_of_wrong_shape():
    x = tf.placeholder(tf.float32, shape=(None, 4), name="x")
    with tf.Session() as sess, pytest.raises(ValueError, match=r"Cannot feed value of shape \(3, 5\) for Tensor "
                                             r"'x:0', which has shape '\(\?, 4\)'"):
        sess.run(x + 1.0, feed_dict={x: np.zeros((3, 5))})


def test_fed_value_of_wrong_dtype():
    x = tf.placeholder(tf.float32, shape=(2,), name="x")
    i = tf.placeholder(tf.int32, shape=(), name="i")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="Cannot feed value of type list to Tensor 'x:0' of dtype float32"):
            sess.run(x, feed_dict={x: ["a", "b"]})
        with pytest.raises(TypeError, match="Type of feed value 1099511627776 with type <class 'int'> is not "
                                            "compatible with Tensor type int32"):
            sess.run(i, feed_dict={i: 2 ** 40})
        with pytest.raises(TypeError, match="The value of a feed cannot be a tf.Tensor object"):
            sess.run(x, feed_dict={x: tf.zeros(2)})
        out = sess.run(x * 2.0, feed_dict={x: np.array([1.5, 2.5])})  # float64 data: cast to float32
        assert out.dtype == np.float32


def test_fetch_and_feed_of_another_graph():
    other = tf.Graph()
    with other.as_default():
        c = tf.constant(1.0, name="c")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match=r"Fetch argument <tf.Tensor 'c:0' shape=\(\) dtype=float32> cannot be "
                                             r"interpreted as a Tensor. \(Tensor Tensor\(\"c:0\", shape=\(\), "
                                             r"dtype=float32\) is not an element of this graph.\)"):
            sess.run(c)
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor"):
            sess.run(tf.constant(2.0), feed_dict={c: 1.0})
        with pytest.raises(TypeError, match="Fetch argument None has invalid type"):
            sess.run(None)


def test_uninitialized_variable():
    w = tf.Variable(tf.zeros((2, 2)), name="w")
    with tf.Session() as sess:
        with pytest.raises(errors.FailedPreconditionError, match="Attempting to use uninitialized value w"):
            sess.run(w * 2.0)
        sess.run(w.initializer)
        np.testing.assert_array_equal(sess.run(w * 2.0), np.zeros((2, 2)))
    assert issubclass(errors.FailedPreconditionError, errors.OpError)


def test_build_time_errors():
    a, b = tf.placeholder(tf.float32, (None, 3)), tf.placeholder(tf.float64, (3, 2))
    with pytest.raises(TypeError, match="Input 'y' of 'MatMul' Op has type float64 that does not match type float32"):
        tf.matmul(a, b)
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 3 and 4 for 'MatMul' \(op: 'MatMul'\) "
                                         r"with input shapes: \[\?,3\], \[4,2\]"):
        tf.matmul(a, tf.zeros((4, 2)))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 5"):
        a + tf.zeros((5,))
    with pytest.raises(TypeError, match="Using a `tf.Tensor` as a Python `bool` is not allowed"):
        bool(a > 0)
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.exp(tf.constant(1))
    with pytest.raises(ValueError, match="Shapes .* are incompatible"):
        tf.Variable(tf.zeros(3)).assign(tf.zeros(4))


def test_run_time_shape_error_names_the_node():
    a = tf.placeholder(tf.float32, (None, None))
    c = tf.matmul(a, tf.ones((3, 2)), name="mm")
    with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError, match=r"mm"):
        sess.run(c, {a: np.ones((2, 4))})


def test_closed_session():
    sess = tf.Session()
    sess.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        sess.run(tf.constant(1.0))


# ------------------------------------------------------------------------------------------ the passes
def test_constant_folding_and_simplification():
    x = tf.placeholder(tf.float32, (None,))
    c = tf.constant(2.0) * tf.constant(3.0) + tf.exp(tf.constant(0.0))   # all constant: folded to 7
    y = (x * 1.0 + 0.0) * c                                                # x * 1 and + 0: x itself
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: [1.0, 2.0]}), [7.0, 14.0])
        s = sess.stats
        assert s.constants_folded == 3 and s.simplified == 2
        assert s.kernels == 1  # only x * 7 runs
        assert s.nodes_after == 3 < s.nodes


def test_common_subexpression_elimination_and_dead_nodes():
    x = tf.placeholder(tf.float32, (3,))
    a = tf.exp(x * 2.0)
    b = tf.exp(x * 2.0)  # the same computation, built twice
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(a + b, {x: [0.0, 1.0, 2.0]}), 2 * np.exp([0.0, 2.0, 4.0]), rtol=1e-6)
        s = sess.stats
        assert s.cse_merged == 3  # the constant 2.0, x * 2.0, exp(...)
        assert s.dead_removed == 3  # the three duplicates
        assert s.kernels == 3  # mul, exp, add


def test_buffers_are_reused_only_where_nothing_reads_them_later():
    x = tf.placeholder(tf.float32, (None, 3))
    a = x * 2.0                      # a new buffer (x itself, a feed, is never written)
    b = tf.exp(a)                    # a is read again below: exp may not write into it
    c = a * b                        # a's last reader (b is read again by e): may write into a
    d = tf.reshape(c, (-1,)) + 1.0   # c is viewed by the reshape: the add may not write into the view
    e = -(b + 1.0)
    xv = np.array([[0.0, 1.0, 2.0]], np.float32)
    a_ref = xv * 2
    with tf.Session() as sess:
        av, dv, ev = sess.run([a, d, e], {x: xv})  # a is fetched: nothing may overwrite it
        np.testing.assert_allclose(av, a_ref)
        np.testing.assert_allclose(dv, (a_ref * np.exp(a_ref)).ravel() + 1, rtol=1e-6)
        np.testing.assert_allclose(ev, -(np.exp(a_ref) + 1), rtol=1e-6)
        assert sess.stats.in_place == 2  # b + 1 into b (its last reader), the negation into that
        dv2, ev2 = sess.run([d, e], {x: xv})  # a no longer fetched: c may write into a
        np.testing.assert_allclose(dv2, dv, rtol=1e-6)
        np.testing.assert_allclose(ev2, ev, rtol=1e-6)
        assert sess.stats.in_place == 3
        z = tf.placeholder(tf.float32, (None, None))
        np.testing.assert_allclose(sess.run(z * 2.0 + tf.ones((4, 3)), {z: np.ones((1, 3))}), np.full((4, 3), 3.0))


def test_variable_updates_in_place_keep_every_other_value():
    c = tf.constant([1.0, 2.0])
    w = tf.Variable(c)
    twin = tf.Variable(w)  # initialized from w's value: its own copy
    step = w.assign(w - 1.0)  # nothing else reads w in that run: computed in w's tensor
    view = tf.reshape(w, (2, 1))
    with tf.Session() as sess:
        sess.run(w.initializer)
        sess.run(twin.initializer)
        before = sess.run(view)  # a view of w's tensor, fetched before the updates
        for _ in range(3):
            sess.run(step)
        assert sess.stats.in_place == 1
        np.testing.assert_array_equal(before, [[1.0], [2.0]])
        np.testing.assert_array_equal(sess.run(w), [-2.0, -1.0])
        np.testing.assert_array_equal(sess.run(twin), [1.0, 2.0])
        out, doubled = sess.run([step, w * 2.0])  # w is read after the update: not in place, the read sees
        np.testing.assert_array_equal(out, [-3.0, -2.0])  # the value from before the run
        np.testing.assert_array_equal(doubled, [-4.0, -2.0])
        sess.run(w.initializer)  # the constant it started from is untouched
        np.testing.assert_array_equal(sess.run(w), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(c), [1.0, 2.0])


OPS_FOR_RANDOM_GRAPHS = [  # (arity, graph op, numpy op): shape-preserving or broadcasting back to (3, 4)
    (2, lambda a, b: a + b, lambda a, b: a + b), (2, lambda a, b: a - b, lambda a, b: a - b),
    (2, lambda a, b: a * b, lambda a, b: a * b), (2, tf.maximum, np.maximum),
    (1, tf.tanh, np.tanh), (1, lambda a: -a, np.negative), (1, lambda a: a * 0.5 + 1.0, lambda a: a * 0.5 + 1.0),
    (1, lambda a: tf.transpose(tf.transpose(a)) * 2.0, lambda a: a * 2.0),
    (1, lambda a: tf.reshape(tf.reshape(a, (-1,)) + 1.0, (3, 4)), lambda a: a + 1.0),
    (1, lambda a: a - tf.reduce_sum(a, axis=0, keepdims=True), lambda a: a - a.sum(0, keepdims=True)),
]


@pytest.mark.parametrize("seed", range(25))
def test_random_graphs_give_the_same_values_after_the_passes(seed):
    """Random DAGs of elementwise ops that reuse intermediate values (so constant folding, CSE, in-place
    buffer reuse and views all meet), fetched in random subsets, twice (the cached plan must not have
    overwritten anything it keeps), against float64 numpy."""
    rng = np.random.default_rng(seed)
    x, y = tf.placeholder(tf.float64, (None, 4)), tf.placeholder(tf.float64, (4,))
    xv, yv = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, 4)
    nodes, values = [x, y, tf.constant(np.full((3, 4), 0.25))], [xv, yv, np.full((3, 4), 0.25)]
    for _ in range(14):
        arity, op, ref = OPS_FOR_RANDOM_GRAPHS[rng.integers(len(OPS_FOR_RANDOM_GRAPHS))]
        full = [i for i, v in enumerate(values) if v.shape == (3, 4)]  # (the unary ops want a (3, 4) input)
        picks = rng.integers(len(nodes), size=2) if arity == 2 else [full[rng.integers(len(full))]]
        nodes.append(op(*[nodes[i] for i in picks]))
        values.append(ref(*[values[i] for i in picks]))
    with tf.Session() as sess:
        for _ in range(3):
            fetch = sorted(set(rng.integers(3, len(nodes), size=rng.integers(1, 4)).tolist()))
            for _ in range(2):
                got = sess.run([nodes[i] for i in fetch], {x: xv, y: yv})
                for i, g in zip(fetch, got):
                    np.testing.assert_allclose(g, values[i], rtol=1e-12, atol=1e-12)


def test_plans_are_cached_per_fetches_and_feeds():
    x = tf.placeholder(tf.float32, (2,))
    y = x * 3.0
    with tf.Session() as sess:
        for i in range(3):
            np.testing.assert_array_equal(sess.run(y, {x: [i, 1.0]}), [3.0 * i, 3.0])
        assert sess.plans_built == 1 and sess.stats.runs == 3
        np.testing.assert_array_equal(sess.run(y, {y: [5.0, 6.0]}), [5.0, 6.0])  # any tensor can be fed
        sess.run([y, x], {x: [1.0, 1.0]})
        assert sess.plans_built == 3


def test_random_ops_are_not_folded_and_seeds_repeat():
    tf.set_random_seed(7)
    r = tf.random_normal((4,), seed=3)
    u = tf.random_uniform((1000,), minval=-2.0, maxval=3.0)
    t = tf.truncated_normal((1000,))
    with tf.Session() as s1, tf.Session(graph=r.graph) as s2:
        first, second = s1.run(r), s1.run(r)
        assert not np.array_equal(first, second)  # a new draw every run
        np.testing.assert_array_equal(s2.run(r), first)  # the same seed: the same stream in every session
        uv, tv = s1.run([u, t])
        assert uv.min() >= -2 and uv.max() < 3 and np.abs(tv).max() <= 2


# ---------------------------------------------------------------------------------- variables and fetches
def test_variables_assign_add_sub_and_fetch_structures():
    v = tf.Variable(tf.constant([1.0, 2.0]))
    inc, dec = v.assign_add(tf.ones(2)), tf.assign_sub(v, [0.5, 0.5])
    Pair = collections.namedtuple("Pair", "a b")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(inc), [2.0, 3.0])
        np.testing.assert_array_equal(sess.run(dec), [1.5, 2.5])
        out = sess.run({"v": v, "pair": Pair(v * 2.0, (v, [v]))})
        np.testing.assert_array_equal(out["pair"].a, [3.0, 5.0])
        np.testing.assert_array_equal(out["pair"].b[1][0], [1.5, 2.5])
        assert sess.run(tf.group(inc)) is None
        fetched = sess.run(v)
        fetched[:] = 100  # a fetched value is the caller's copy
        np.testing.assert_array_equal(sess.run(v), [2.5, 3.5])
        # one run reads a variable once, before its assignments: both updates start from [2.5, 3.5]
        np.testing.assert_array_equal(sess.run([v, v.assign(v * 2.0), v + 1.0])[2], [3.5, 4.5])
    with tf.Session() as other:  # each session holds its own values
        with pytest.raises(errors.FailedPreconditionError):
            other.run(v)


def test_eval_and_default_session():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.Session():
        np.testing.assert_array_equal(tf.transpose(x).eval(), [[1.0, 3.0], [2.0, 4.0]])
        assert tf.reduce_max(x).eval() == 4.0
        np.testing.assert_array_equal((x < 2.5).eval(), [[True, True], [False, False]])


def test_unknown_rank_integer_ops_names_and_slices():
    x = tf.placeholder(tf.float32, name="x")  # not even the rank is known
    s = tf.reduce_sum(x * x, name="total")
    g, = tf.gradients(s, [x])
    assert s.shape == () and x.shape.ndims is None
    i = tf.placeholder(tf.int32, (None,))
    w = tf.Variable([[1.0, 2.0, 3.0]], name="w")
    gw, = tf.gradients(tf.reduce_sum(w[0, 1:] * 2.0), [w])
    with tf.Session() as sess:
        sess.run(w.initializer)
        total, grad = sess.run(["total:0", g], {x: [[1.0, 2.0], [3.0, 4.0]]})  # fetches by name too
        assert total == 30.0
        np.testing.assert_array_equal(grad, [[2.0, 4.0], [6.0, 8.0]])
        assert sess.run(tf.reduce_mean(i), {i: [-3, 1]}) == -1  # integer mean truncates, as TensorFlow
        out = sess.run(i / 2, {i: [1, 3]})  # integer true division: float64
        assert out.dtype == np.float64 and out.tolist() == [0.5, 1.5]
        np.testing.assert_array_equal(sess.run(gw), [[0.0, 2.0, 2.0]])
        with pytest.raises(ValueError, match="The name 'nope:0' refers to a Tensor which does not exist"):
            sess.run("nope:0")


def _reference_steps(kind, w, target, steps, lr):
    """TensorFlow's update rules in float64 numpy, on loss = sum((w - target)^2)."""
    accum, m, v = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        g = 2 * (w - target)
        if kind == "sgd":
            w = w - lr * g
        elif kind == "momentum":
            accum = 0.9 * accum + g
            w = w - lr * accum
        else:
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
            w = w - lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-8)
    return w


@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam"])
def test_train_optimizers_follow_tensorflows_rules(kind):
    w0, target = np.array([1.0, -2.0, 3.0]), np.array([0.5, 0.5, 0.5])
    w = tf.Variable(tf.constant(w0))
    loss = tf.reduce_sum((w - tf.constant(target)) ** 2.0)
    opt = {"sgd": tf.train.GradientDescentOptimizer(0.1), "momentum": tf.train.MomentumOptimizer(0.1, 0.9),
           "adam": tf.train.AdamOptimizer(0.1)}[kind]
    step = opt.minimize(loss, global_step=tf.train.get_or_create_global_step())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(5):
            sess.run(step)
        np.testing.assert_allclose(sess.run(w), _reference_steps(kind, w0, target, 5, 0.1), rtol=1e-12)
        assert sess.run(tf.train.get_global_step()) == 5
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.minimize(tf.constant(1.0) * 2.0, var_list=[w])


# ------------------------------------------------------------------------------------------------ scan
def test_scan_cumulative_sum_with_capture_and_reverse():
    elems = tf.placeholder(tf.float32, (None, 2))
    scale = tf.Variable(tf.constant(2.0))
    cumsum = tf.scan(lambda acc, x: acc + x * scale, elems, initializer=tf.zeros(2))
    first = tf.scan(lambda acc, x: acc + x, elems)  # no initializer: the first element starts it
    backwards = tf.scan(lambda acc, x: acc + x, elems, reverse=True)
    data = np.arange(8, dtype=np.float32).reshape(4, 2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b, c = sess.run([cumsum, first, backwards], {elems: data})
    np.testing.assert_allclose(a, np.cumsum(data * 2, axis=0))
    np.testing.assert_allclose(b, np.cumsum(data, axis=0))
    np.testing.assert_allclose(c, np.cumsum(data[::-1], axis=0)[::-1])


def test_cond_runs_only_the_taken_branch_and_differentiates_it():
    p = tf.placeholder(tf.bool, ())
    x = tf.placeholder(tf.float64, (3,))
    w = tf.Variable(tf.constant([1.0, 2.0, 3.0], tf.float64))
    counter = tf.Variable(tf.constant(0.0, tf.float64))
    out = tf.cond(p, lambda: tf.reduce_sum(x * w) + tf.identity(counter.assign_add(1.0)) * 0.0,
                  lambda: tf.reduce_sum(tf.square(x)))
    gx, gw = tf.gradients(out, [x, w])
    xv = np.array([0.5, -1.0, 2.0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(out, {p: True, x: xv}) == pytest.approx(4.5)
        assert sess.run(out, {p: False, x: xv}) == pytest.approx(5.25)
        assert sess.run(counter) == 1.0  # the assignment in the true branch ran once: only when taken
        np.testing.assert_allclose(sess.run(gx, {p: True, x: xv}), [1.0, 2.0, 3.0])
        np.testing.assert_allclose(sess.run(gx, {p: False, x: xv}), 2 * xv)
        np.testing.assert_allclose(sess.run(gw, {p: False, x: xv}), [0.0, 0.0, 0.0])  # w only in the other branch
    with pytest.raises(ValueError, match="pred must be a scalar bool tensor"):
        tf.cond(x, lambda: x, lambda: x)


def test_while_loop_values_and_gradients():
    x = tf.placeholder(tf.float64, (2,))
    w = tf.placeholder(tf.float64, (2,))
    n = tf.placeholder(tf.int32, ())
    i, h = tf.while_loop(lambda i, h: i < n, lambda i, h: (i + 1, tf.tanh(h * w + x)), [tf.constant(0), x])
    gx, gw = tf.gradients(tf.reduce_sum(h * h), [x, w])
    capped = tf.while_loop(lambda v: v < 100.0, lambda v: v * 2.0, tf.constant(1.0), maximum_iterations=3)

    def ref(xv, wv):
        hv = xv
        for _ in range(4):
            hv = np.tanh(hv * wv + xv)
        return (hv * hv).sum()

    xv, wv = np.array([0.3, -0.7]), np.array([1.2, 0.4])
    with tf.Session() as sess:
        iv, hv, gxv, gwv = sess.run([i, h, gx, gw], {x: xv, w: wv, n: 4})
        assert iv == 4 and sess.run(capped) == 8.0
    assert (hv * hv).sum() == pytest.approx(ref(xv, wv), rel=1e-12)
    np.testing.assert_allclose(gxv, _numeric_grad(ref, [xv, wv], 0), rtol=1e-6)
    np.testing.assert_allclose(gwv, _numeric_grad(ref, [xv, wv], 1), rtol=1e-6)
    with pytest.raises(ValueError, match="enters the loop with shape"):
        tf.while_loop(lambda v: v < 3.0, lambda v: tf.concat([v, v], 0), [tf.zeros(2)])


# ---------------------------------------------------------------------------------------------- devices
def test_device_placement():
    with tf.device("/cpu:0"):
        a = tf.constant([1.0, 2.0]) * 2.0
    with tf.device("/gpu:0"):
        b = tf.Variable(tf.ones(2), name="gpu_var")
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(a), [2.0, 4.0])
        if not tinygrad_ext.cuda.is_available():
            with pytest.raises(errors.InvalidArgumentError, match="was explicitly assigned to /device:GPU:0"):
                sess.run(b.initializer)
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        sess.run(b.initializer)
        np.testing.assert_array_equal(sess.run(a + b), [3.0, 5.0])  # crosses devices where a GPU is present


@pytest.mark.cuda
@pytest.mark.skipif(not tinygrad_ext.cuda.is_available(), reason="no GPU")
def test_tutorial_graph_on_gpu_matches_cpu():
    results = []
    for dev in ("/cpu:0", "/gpu:0"):
        tf.reset_default_graph()
        with tf.device(dev):
            x, y, w1, w2, loss, new_w1, new_w2 = two_layer_net()
        rng = np.random.default_rng(0)
        xv, yv = rng.standard_normal((64, 1000)), rng.standard_normal((64, 10))
        init = rng.standard_normal((1000, 100)), rng.standard_normal((100, 10))
        with tf.Session() as sess:
            w1.load(init[0], sess)
            w2.load(init[1], sess)
            results.append([sess.run([loss, new_w1, new_w2], {x: xv, y: yv})[0] for _ in range(5)])
            # the loss chain and its gradient are fused on either device (on the GPU when NVRTC compiles them)
            assert sess.stats.fused >= (2 if dev == "/cpu:0" or _nvrtc.available() else 0)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4)
