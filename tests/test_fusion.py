"""Elementwise fusion (python/tinygrad_ext/_fusion.py): one generated kernel per chain, the eager results bitwise,
the interpreter without a compiler, the disk cache, and its use in tinygrad_ext.compile and static plans."""
import os
import re
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.static as tf
from tinygrad_ext import _fusion

compiled_only = pytest.mark.skipif(not _fusion.available(), reason="no C++ compiler or no csrc headers")


def chain10(x, y):
    """Ten registry elementwise ops."""
    a = (x - y) * 0.5          # sub, mul
    b = a.exp() + 1.0          # exp, add
    c = b.log().tanh()         # log, tanh
    d = c.sigmoid() * y        # sigmoid, mul
    return (d / 3.0).relu() ** 2  # div, relu, mul (x ** 2 is a multiply, as eager)


def steps10():
    """chain10 as Chain steps (inputs x, y, then the constants 0.5, 1.0, 3.0)."""
    i, s = (lambda k: ("in", k)), (lambda k: ("step", k))
    return [("sub", (i(0), i(1))), ("mul", (s(0), i(2))), ("exp", (s(1),)), ("add", (s(2), i(3))),
            ("log", (s(3),)), ("tanh", (s(4),)), ("sigmoid", (s(5),)), ("mul", (s(6), i(1))),
            ("div", (s(7), i(4))), ("relu", (s(8),)), ("mul", (s(9), s(9)))]


def consts(dtype):
    return [torch.tensor(v, dtype=dtype) for v in (0.5, 1.0, 3.0)]


def inputs(shape=(300, 1001), dtype=torch.float32, seed=0):
    g = np.random.default_rng(seed)
    return [torch.from_numpy(g.standard_normal(shape)).to(dtype) for _ in range(2)]


def reference(x, y):  # float64 numpy
    x, y = x.double().numpy(), y.double().numpy()
    d = 1 / (1 + np.exp(-np.tanh(np.log(np.exp((x - y) * 0.5) + 1)))) * y
    return np.maximum(d / 3, 0) ** 2


@pytest.mark.parametrize("reduction", [None, "sum", "mean"])
@pytest.mark.parametrize("n", [1, 31, 2049, 65537, 300 * 1001])
def test_chain_equals_eager_bitwise(n, reduction):
    for dtype in (torch.float32, torch.float64):
        x, y = inputs((n,), dtype)
        chain = _fusion.Chain(steps10(), 5, reduction)
        got = chain(x, y, *consts(dtype))
        eager = chain10(x, y)
        eager = eager if reduction is None else getattr(eager, reduction)()
        assert got.dtype is dtype and got.shape == eager.shape
        np.testing.assert_array_equal(got.numpy(), eager.numpy())  # same functors, same order: bitwise
        ref = reference(x, y)
        ref = ref if reduction is None else getattr(ref, reduction)()
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-5 if dtype is torch.float32 else 1e-12, atol=1e-6)


def cheap10(x, y):
    """Ten single-operation ops (run in registers): multiplies followed by adds, which an FMA would change."""
    a = (x - y) * 0.7 + 1.3
    b = (a * y - x).abs() / 3.0
    return (b - 0.25).relu() * x + y


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_chain_in_registers_equals_eager_bitwise(dtype):
    x, y = inputs((100003,), dtype, seed=2)
    for fn in (cheap10, lambda x, y: cheap10(x, y).sum(), lambda x, y: cheap10(x, y).mean()):
        f = torch.compile(fn)
        np.testing.assert_array_equal(f(x, y).numpy(), fn(x, y).numpy())
        assert f.stats.fused_kernels == 1
    assert _fusion.Chain([("mul", (("in", 0), ("in", 1))), ("add", (("step", 0), ("in", 0)))], 2).in_registers
    assert not _fusion.Chain(steps10(), 5).in_registers
    xn, yn = x.double().numpy(), y.double().numpy()
    ref = np.maximum(np.abs(((xn - yn) * 0.7 + 1.3) * yn - xn) / 3 - 0.25, 0) * xn + yn
    np.testing.assert_allclose(torch.compile(cheap10)(x, y).numpy(), ref, rtol=1e-5, atol=1e-6)


@compiled_only
def test_ten_op_chain_is_one_compiled_kernel():
    f = torch.compile(chain10)
    x, y = inputs()
    before = dict(_fusion.STATS)
    out = f(x, y)
    np.testing.assert_array_equal(out.numpy(), chain10(x, y).numpy())
    assert f.stats.fused_kernels == 1 and f.stats.fused_ops == 11 and f.stats.graph_breaks == 0
    assert _fusion.STATS["compiled_calls"] == before["compiled_calls"] + 1  # one kernel call for the whole chain
    assert _fusion.STATS["interpreted_calls"] == before["interpreted_calls"]
    f(x, y)
    assert f.stats.traces == 1 and f.stats.fused_calls == 2


@pytest.fixture(params=["as found", "no headers"])
def headers(request, monkeypatch, tmp_path):
    """The fusion as this install finds it, and with no headers anywhere (an installed wheel without them): the
    interpreter must give the same results."""
    if request.param == "no headers":
        monkeypatch.setattr(_fusion, "HEADER_DIRS", (str(tmp_path),))
        assert _fusion.include_dirs() is None and not _fusion.available()
    return request.param


def test_broadcast_scalar_and_strided_inputs(headers):
    x = torch.randn(64, 33)
    row, col, one = torch.randn(33), torch.randn(64, 1), torch.tensor([[2.5]])
    expanded = torch.tensor(1.5).expand(64, 33)  # zero strides: read as a scalar
    chain = _fusion.Chain([("mul", (("in", 0), ("in", 1))), ("add", (("step", 0), ("in", 2))),
                           ("sub", (("step", 1), ("in", 3))), ("div", (("step", 2), ("in", 4)))], 5)
    before = _fusion.STATS["materialized"]
    got = chain(x.t().t(), row, col, one, expanded)
    np.testing.assert_array_equal(got.numpy(), (((x * row) + col - one) / expanded).numpy())
    assert _fusion.STATS["materialized"] == before + 2  # the row and the column; not the scalars
    xt = torch.randn(33, 64).t()  # not contiguous: copied once
    np.testing.assert_array_equal(chain(xt, row, col, one, expanded).numpy(), (((xt * row) + col - one) /
                                                                                 expanded).numpy())
    empty = torch.randn(0, 33)
    got = chain(empty, row, torch.randn(0, 1), one, torch.tensor(1.5).expand(0, 33))
    assert got.shape == (0, 33)
    sums = _fusion.Chain([("mul", (("in", 0), ("in", 1))), ("exp", (("step", 0),))], 2, "sum")
    assert sums(x, expanded).item() == (x * expanded).exp().sum().item()
    assert sums(empty, torch.tensor(1.5).expand(0, 33)).item() == 0.0


def test_no_headers_interprets_chains_compile_and_static_plans(headers):
    before = dict(_fusion.STATS)
    for reduction in (None, "sum", "mean"):
        x, y = inputs((20011,), torch.float64)
        got = _fusion.Chain(steps10(), 5, reduction)(x, y, *consts(torch.float64))
        eager = chain10(x, y)
        np.testing.assert_array_equal(got.numpy(), (eager if reduction is None else getattr(eager, reduction)())
                                      .numpy())
    x, y = inputs((64, 33))
    f = torch.compile(lambda x, y: (cheap10(x, y) * 2.0).exp().mean())
    assert f(x, y).item() == (cheap10(x, y) * 2.0).exp().mean().item()
    assert f.stats.fused_kernels == 1
    x, y, loss, grad = tutorial_graph()
    feed = {x: np.linspace(-1, 1, 300, dtype=np.float32).reshape(3, 100), y: np.ones((3, 100), np.float32)}
    with tf.Session() as sess:
        got = sess.run([loss, grad], feed)
        assert sess.stats.fused == 2
    diff = feed[y].astype(np.float64) - feed[x]
    np.testing.assert_allclose(got[0], (diff ** 2).sum(), rtol=1e-5)
    np.testing.assert_allclose(got[1], -2 * diff, rtol=1e-6)
    if headers == "no headers":
        assert _fusion.STATS["interpreted_calls"] >= before["interpreted_calls"] + 6
        assert _fusion.STATS["compiled_calls"] == before["compiled_calls"]


def test_headers_are_shipped_with_their_includes():
    """HEADERS holds every header they include (but the op lists written at build time), and CMake installs each
    into the package's include/ops, the first place include_dirs() looks."""
    ops = _fusion.include_dirs()
    if ops is None:
        pytest.skip("no headers in this install")
    for h in _fusion.HEADERS:
        with open(os.path.join(ops, h)) as f:
            quoted = re.findall(r'^\s*#\s*include\s+"([^"]+)"', f.read(), re.M)
        assert set(quoted) <= set(_fusion.HEADERS) | {"tg_op_lists.h"}, (h, quoted)
    assert _fusion.HEADER_DIRS[0] == os.path.join(os.path.dirname(_fusion.__file__), "include", "ops")
    cmake = os.path.join(os.path.dirname(__file__), os.pardir, "CMakeLists.txt")
    if os.path.isfile(cmake):
        with open(cmake) as f:
            text = f.read()
        shipped = re.search(r"install\(FILES ([^)]*) DESTINATION tinygrad_ext/include/ops\)", text)
        assert shipped and set(shipped.group(1).split()) == {f"csrc/ops/{h}" for h in _fusion.HEADERS}


@compiled_only
def test_a_package_include_dir_compiles(monkeypatch, tmp_path):
    """The headers as an installed wheel lays them out (one folder) compile a chain, looked up before csrc/ops."""
    ops = tmp_path / "include" / "ops"
    ops.mkdir(parents=True)
    for h in _fusion.HEADERS:
        shutil.copy(os.path.join(_fusion.include_dirs(), h), ops / h)
    monkeypatch.setattr(_fusion, "HEADER_DIRS", (str(ops),) + _fusion.HEADER_DIRS)
    monkeypatch.setattr(_fusion, "_loaded", {})
    monkeypatch.setenv("TG_KERNEL_CACHE", str(tmp_path / "cache"))
    assert _fusion.include_dirs() == str(ops)
    before = dict(_fusion.STATS)
    x, y = inputs((5000,))
    got = _fusion.Chain(steps10(), 5, "sum")(x, y, *consts(torch.float32))
    assert got.item() == chain10(x, y).sum().item()
    assert _fusion.STATS["compiled"] == before["compiled"] + 1
    assert _fusion.STATS["compiled_calls"] == before["compiled_calls"] + 1


def test_bad_inputs_raise():
    chain = _fusion.Chain([("add", (("in", 0), ("in", 1))), ("exp", (("step", 0),))], 2)
    with pytest.raises(RuntimeError,
                       match=r"fused chain Chain\(add -> exp, inputs=2\): inputs must be tensors of one dtype"):
        chain(torch.ones(3), torch.ones(3, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="do not broadcast"):
        chain(torch.ones(3), torch.ones(4))
    with pytest.raises(RuntimeError, match="inputs must be tensors of one dtype"):
        chain(torch.ones(3, dtype=torch.int64), torch.ones(3, dtype=torch.int64))
    with pytest.raises(TypeError, match="expected 2 inputs, got 1"):
        chain(torch.ones(3))


def test_interpreter_without_a_compiler(monkeypatch):
    monkeypatch.setenv("TG_NO_CXX", "1")
    assert _fusion.compiler() is None and not _fusion.available()
    before = dict(_fusion.STATS)
    for reduction in (None, "sum", "mean"):
        for dtype in (torch.float32, torch.float64):
            x, y = inputs((70001,), dtype)
            got = _fusion.Chain(steps10(), 5, reduction)(x, y, *consts(dtype))
            eager = chain10(x, y)
            np.testing.assert_array_equal(got.numpy(), (eager if reduction is None else getattr(eager, reduction)())
                                          .numpy())
    assert _fusion.STATS["interpreted_calls"] == before["interpreted_calls"] + 6
    assert _fusion.STATS["compiled"] == before["compiled"] and _fusion.STATS["loaded"] == before["loaded"]
    f = torch.compile(chain10)
    x, y = inputs()
    np.testing.assert_array_equal(f(x, y).numpy(), chain10(x, y).numpy())
    assert f.stats.fused_kernels == 1


_CHILD = """
import tinygrad_ext as torch
from tinygrad_ext import _fusion
x = torch.linspace(-2, 2, 5000)
out = torch.compile(lambda x: ((x * 3 - 1).sigmoid() + x.exp()).sum())(x)
assert out.item() == ((x * 3 - 1).sigmoid() + x.exp()).sum().item()
print(_fusion.STATS["compiled"], _fusion.STATS["loaded"])
"""


@compiled_only
def test_disk_cache_is_reused_by_a_second_process(tmp_path):
    env = dict(os.environ, TG_KERNEL_CACHE=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=300)
            for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr + runs[1].stderr
    assert runs[0].stdout.split() == ["1", "0"]  # compiled once
    assert runs[1].stdout.split() == ["0", "1"]  # then loaded, nothing compiled
    assert len(list(tmp_path.glob("fused_*.so"))) == 1 and len(list(tmp_path.glob("fused_*.cpp"))) == 1


def test_compile_guards_recompile_on_a_miss_up_to_the_limit():
    f = torch.compile(lambda x, k: (x * k + 1).exp().sum())
    x = torch.randn(10)
    assert f(x, 2.0).item() == (x * 2.0 + 1).exp().sum().item()
    f(torch.randn(10), 2.0)
    assert f.stats.traces == 1 and f.stats.guard_misses == 0
    assert f(x, 3.0).item() == (x * 3.0 + 1).exp().sum().item()  # a number argument is a guard
    assert f(x.double(), 3.0).item() == (x.double() * 3.0 + 1).exp().sum().item()  # dtype
    assert f.stats.traces == 3 and f.stats.guard_misses == 2
    for n in range(11, 16):
        f(torch.randn(n), 2.0)
    assert f.stats.traces == 8  # torch's recompile limit: 8 guard sets, then eager
    with pytest.warns(UserWarning, match="hit the recompile limit"):
        y = torch.randn(40)
        assert f(y, 2.0).item() == (y * 2.0 + 1).exp().sum().item()
    assert f.stats.traces == 8 and f.stats.eager_calls == 1


def test_graph_breaks_run_eagerly_with_one_warning():
    def g(x):
        y = (x * 2).exp()
        if y.sum().item() > 0:  # data-dependent control flow
            return y
        return -y
    f = torch.compile(g)
    x = torch.randn(5)
    with pytest.warns(UserWarning, match=r"graph break in test_graph_breaks_run_eagerly_with_one_warning.<locals>.g: "
                                         r".*\.item\(\)"):
        np.testing.assert_array_equal(f(x).numpy(), g(x).numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second call: no second warning
        np.testing.assert_array_equal(f(x).numpy(), g(x).numpy())
    assert f.stats.graph_breaks == 1 and f.stats.eager_calls == 2
    with pytest.raises(RuntimeError, match=r"fullgraph=True, but found a graph break .*\.item\(\)"):
        torch.compile(lambda a: a.mm(a) * a.sum().item(), fullgraph=True)(torch.randn(2, 2))


def test_compile_with_autograd_runs_eagerly():
    w = torch.randn(4, requires_grad=True)
    f = torch.compile(lambda w: (w * 3).tanh().sum())
    with pytest.warns(UserWarning, match="autograd"):
        loss = f(w)
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), 3 * (1 - np.tanh(3 * w.detach().numpy()) ** 2), rtol=1e-4, atol=1e-6)
    with torch.no_grad():  # another guard set (grad mode): fused
        assert f(w).item() == (w.detach() * 3).tanh().sum().item()
    assert f.stats.fused_kernels == 1


def tutorial_graph():
    x = tf.placeholder(tf.float32, (None, 100))
    y = tf.placeholder(tf.float32, (None, 100))
    loss = tf.reduce_sum((y - x) ** 2.0)
    return x, y, loss, tf.gradients(loss, [x])[0]


def test_static_plan_fuses_the_loss_and_its_gradient(monkeypatch):
    x, y, loss, grad = tutorial_graph()
    g = np.random.default_rng(1)
    feed = {x: g.standard_normal((64, 100)).astype(np.float32), y: g.standard_normal((64, 100)).astype(np.float32)}
    with tf.Session() as sess:
        fused = sess.run([loss, grad], feed)
        s = sess.stats
        assert s.fused == 2 and s.fused_ops == 6  # (y - x) ** 2 -> sum; its gradient (y - x) * g * 2
    monkeypatch.setenv("TG_FUSION", "0")
    with tf.Session() as sess:
        plain = sess.run([loss, grad], feed)
        assert sess.stats.fused == 0
    assert fused[0] == plain[0]
    np.testing.assert_array_equal(fused[1], plain[1])
    diff = feed[y].astype(np.float64) - feed[x]
    np.testing.assert_allclose(fused[0], (diff ** 2).sum(), rtol=1e-5)
    np.testing.assert_allclose(fused[1], -2 * diff, rtol=1e-6)


def test_static_plan_does_not_fuse_fetched_values_or_short_chains():
    x = tf.placeholder(tf.float64, (3,))
    a = tf.exp(x) * 2.0
    b = tf.sigmoid(a) + 1.0
    with tf.Session() as sess:
        av, bv = sess.run([a, b], {x: [0.0, 1.0, 2.0]})  # a is fetched: two chains of two ops, not fused
        assert sess.stats.fused == 0
        (bv2,) = sess.run([b], {x: [0.0, 1.0, 2.0]})
        assert sess.stats.fused == 1 and sess.stats.fused_ops == 4
    ref = np.exp([0.0, 1.0, 2.0]) * 2
    np.testing.assert_allclose(av, ref)
    np.testing.assert_allclose(bv, 1 / (1 + np.exp(-ref)) + 1)
    np.testing.assert_array_equal(bv, bv2)


def test_a_compiler_that_fails_falls_back_to_the_interpreter(monkeypatch, tmp_path):
    monkeypatch.setenv("CXX", "false")  # found on PATH, fails every compile
    monkeypatch.setenv("TG_KERNEL_CACHE", str(tmp_path))
    monkeypatch.delenv("TG_NO_CXX", raising=False)
    if _fusion.include_dirs() is None:
        pytest.skip("no csrc headers: nothing is compiled")
    chain = _fusion.Chain([("add", (("in", 0), ("in", 1))), ("exp", (("step", 0),))], 2)
    x = torch.randn(7)
    with pytest.warns(UserWarning, match="failed to compile the generated source"):
        got = chain(x, x)
    np.testing.assert_array_equal(got.numpy(), (x + x).exp().numpy())
