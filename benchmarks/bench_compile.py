"""Per-step time of the tutorial's two-layer net as a static graph (tinygrad_ext.static, the tutorial's
TensorFlow program) against the same step run eagerly with autograd (tinygrad_ext, and PyTorch's CPU build
when it is installed), measured interleaved in one process.

    python benchmarks/bench_compile.py [--threads 1]

Rows:
  static, float64 feeds    sess.run([loss, new_w1, new_w2], feed_dict) exactly as the tutorial (numpy
                           float64 x and y, cast to the placeholders' float32 on every run, as TensorFlow does)
  static, float32 feeds    the same with float32 numpy feeds (no cast)
  eager autograd           the tutorial's "PyTorch: Variables and autograd" step on tinygrad_ext
  compile(eager step)      tinygrad_ext.compile of that step (recorded once, replayed as a plan)
  torch eager autograd     the same step on PyTorch (when importable)
Two sizes: the tutorial's (N, D_in, H, D_out) = (64, 1000, 100, 10), where the three matmuls take most of
the step, and a small one, (8, 64, 32, 4), where the Python around the kernels does. Also printed: the static
plan's pass counts, and the first run's time (graph planning included).

Then the tutorial's training steps (two-layer net: manual with tensors, autograd, nn with the update under
no_grad, nn + optim.SGD, nn + optim.Adam, at both sizes; the blitz CNN) eager against tinygrad_ext.compile (the
whole step, backward and optimizer included, replayed as a plan of core calls with fused elementwise chains),
PyTorch eager and torch.compile (inductor), with the first calls' time. With --steps-only only those tables run.

Then a 10-op elementwise chain on 4M float32 (two inputs, one output): tinygrad_ext.compile (one fused kernel)
against eager tinygrad_ext, numpy and PyTorch eager, beside the memory floor: the best time of a kernel that
only reads both inputs and writes the output once (`add` into a preallocated output, ours and numpy's).
With --chain-only only that table runs. Where NVRTC is found (TG_NVRTC=path), each chain's CUDA kernel is also
compiled for sm_80 and sm_90 and the compile time printed (the first call's cost on a GPU; NVRTC needs none).
"""
import argparse
import time

import common
import numpy as np
import tinygrad_ext
import tinygrad_ext.static as tf
from tinygrad_ext import _compile, _fusion, _nvrtc
from common import bench_interleaved, header, table, two_layer_autograd_step as eager_step

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=0, help="threads for every library (default: all cores)")
p.add_argument("--repeat", type=int, default=5)
p.add_argument("--chain-only", action="store_true")
p.add_argument("--steps-only", action="store_true", help="only the compiled tutorial training steps")
p.add_argument("--no-torch-compile", action="store_true", help="leave out torch.compile (its compiles take minutes)")
args = p.parse_args()


def static_step(dtype, N, D_in, H, D_out):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, shape=(None, D_in))
        y = tf.placeholder(tf.float32, shape=(None, D_out))
        w1 = tf.Variable(tf.random_normal((D_in, H)))
        w2 = tf.Variable(tf.random_normal((H, D_out)))
        h_relu = tf.maximum(tf.matmul(x, w1), tf.zeros(1))
        loss = tf.reduce_sum((y - tf.matmul(h_relu, w2)) ** 2.0)
        grad_w1, grad_w2 = tf.gradients(loss, [w1, w2])
        new_w1 = w1.assign(w1 - 1e-6 * grad_w1)
        new_w2 = w2.assign(w2 - 1e-6 * grad_w2)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    rng = np.random.default_rng(0)
    feed = {x: rng.standard_normal((N, D_in)).astype(dtype), y: rng.standard_normal((N, D_out)).astype(dtype)}
    t0 = time.perf_counter()
    sess.run([loss, new_w1, new_w2], feed_dict=feed)
    first = time.perf_counter() - t0
    return (lambda: sess.run([loss, new_w1, new_w2], feed_dict=feed)), sess, first


torch = header("Static graph vs eager: the two-layer net's training step (ms per step)")
if args.threads:
    tinygrad_ext.set_num_threads(args.threads)
    if torch:
        torch.set_num_threads(args.threads)
print(f"# threads: tinygrad_ext {tinygrad_ext.get_num_threads()}"
      + (f", torch {torch.get_num_threads()}" if torch else ""))


def chain10(x, y):  # ten elementwise ops, four of them transcendental; the same code runs on every library
    a = (x - y) * 0.5
    b = a.exp() + 1.0
    c = b.log().tanh()
    d = c.sigmoid() * y
    return (d / 3.0).relu() ** 2


def chain10_numpy(x, y):
    a = (x - y) * 0.5
    b = np.exp(a) + 1.0
    c = np.tanh(np.log(b))
    d = 1 / (1 + np.exp(-c)) * y
    return np.maximum(d / 3.0, 0) ** 2


def cheap10(x, y):  # ten cheap ops (arithmetic, abs, relu): memory-bound once fused
    a = (x - y) * 0.5 + 1.0
    b = (a * y - x).abs() / 3.0
    return (b - 0.25).relu() * x + y


def cheap10_numpy(x, y):
    a = (x - y) * 0.5 + 1.0
    b = np.abs(a * y - x) / 3.0
    return np.maximum(b - 0.25, 0) * x + y


def chain_table(name, fn, fn_numpy, n=1 << 22):
    rng = np.random.default_rng(0)
    xn, yn = (rng.standard_normal(n).astype(np.float32) for _ in range(2))
    x, y = tinygrad_ext.from_numpy(xn), tinygrad_ext.from_numpy(yn)
    fused = tinygrad_ext.compile(fn)
    t0 = time.perf_counter()
    fused(x, y)
    first = time.perf_counter() - t0
    out, outn = tinygrad_ext.empty(n), np.empty(n, np.float32)
    rows = [("tinygrad_ext.compile (1 fused kernel)", lambda: fused(x, y)),
            ("tinygrad_ext eager (10 kernels)", lambda: fn(x, y)),
            ("numpy", lambda: fn_numpy(xn, yn)),
            ("floor: read 2 inputs + write 1 new output (tinygrad_ext x + y)", lambda: x + y),
            ("floor: the same into a preallocated output (tinygrad_ext add, out=)",
             lambda: tinygrad_ext.add(x, y, out=out)),
            ("floor: numpy np.add(x, y, out=)", lambda: np.add(xn, yn, out=outn))]
    if torch:
        xt, yt = torch.from_numpy(xn), torch.from_numpy(yn)
        rows.insert(3, ("torch eager", lambda: fn(xt, yt)))
    times = bench_interleaved([f for _, f in rows], repeat=args.repeat)
    floor = times[[r for r, _ in rows].index("floor: read 2 inputs + write 1 new output (tinygrad_ext x + y)")]
    print(f"{name}, {n} float32 (two {4 * n >> 20} MiB inputs, one output)")
    table([(label, f"{t * 1e3:.3f}", f"{3 * 4 * n / t / 1e9:.1f}", f"{t / floor:.2f}") for (label, _), t in
           zip(rows, times)], ["", "ms", "GB/s (3 arrays)", "vs x + y"])
    print(f"# first call (trace + C++ compile, or the disk cache): {first * 1e3:.0f} ms; {fused.stats}")
    nvrtc_compile_time(fn, x, y)
    print()


def nvrtc_compile_time(fn, x, y):
    """NVRTC's time to compile the chain's CUDA kernel (no GPU needed; not cached here), when libnvrtc is found."""
    if not _nvrtc.available() or _fusion.include_dirs() is None:
        print("# NVRTC: not found (set TG_NVRTC to a libnvrtc path to time the CUDA kernel's compile)")
        return
    traced = _compile._Compiled(fn, False, True, 1)  # (what tinygrad_ext.compile wraps: its trace holds the chain)
    traced(x, y)
    (chain, _), = next(iter(traced.graphs.values())).outputs
    source = _fusion._source_cuda(chain, "float", ("full",) * chain.ninputs)
    headers = _fusion._headers(_fusion.include_dirs())
    for arch in ("sm_80", "sm_90"):
        t0 = time.perf_counter()
        cubin = _nvrtc.compile_cubin(source, headers, arch)
        print(f"# NVRTC {'.'.join(map(str, _nvrtc.version()))} compile of its CUDA kernel for {arch}: "
              f"{(time.perf_counter() - t0) * 1e3:.0f} ms ({len(cubin)} bytes of cubin)")


def chain_tables():
    chain_table("10-op elementwise chain with exp/log/tanh/sigmoid", chain10, chain10_numpy)
    chain_table("10-op elementwise chain of cheap ops", cheap10, cheap10_numpy)


STEPS = [("manual (tensors)", common.two_layer_tensor_step, {}), ("autograd", common.two_layer_autograd_step, {}),
         ("nn, update under no_grad", common.two_layer_nn_step, {}),
         ("nn + optim.SGD", common.two_layer_nn_step, {"optimizer": "SGD"}),
         ("nn + optim.Adam", common.two_layer_nn_step, {"optimizer": "Adam"})]


def timed_first_calls(fn, args, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn(*args)
    return time.perf_counter() - t0


def two_layer_gemms(lib, N, D_in, H, D_out):
    """The five matmuls of a two-layer step alone (forward x@w1, h@w2; backward h.T@g, g@w2.T, x.T@g_h), on our
    kernels: the floor of any replay that keeps the eager GEMMs, i.e. what compiling cannot remove."""
    x, w1, h, w2, g, g_h = (lib.randn(*s) for s in ((N, D_in), (D_in, H), (N, H), (H, D_out), (N, D_out), (N, H)))
    return lambda: (x.mm(w1), h.mm(w2), h.t().mm(g), g.mm(w2.t()), x.t().mm(g_h))


def step_rows(name, make, fn_args, floor=None):
    """(label, fn) rows of one training step: ours eager and compiled, torch's eager and torch.compile; `floor`:
    the step's GEMMs alone."""
    tinygrad_ext.manual_seed(0)
    eager = make(tinygrad_ext)
    tinygrad_ext.manual_seed(0)
    compiled = tinygrad_ext.compile(make(tinygrad_ext))
    ours_args = fn_args(tinygrad_ext)
    # the first four calls: recorded eager runs until two agree, then the plan's first replay (its fused kernels
    # compiled, or loaded from the disk cache)
    first = timed_first_calls(compiled, ours_args, 4)
    rows = [("tinygrad_ext eager", lambda: eager(*ours_args)), ("tinygrad_ext.compile", lambda: compiled(*ours_args))]
    notes = [f"tinygrad_ext.compile: first 4 calls {first * 1e3:.0f} ms; {compiled.stats}"]
    if floor:
        rows.append(("floor: the step's 5 GEMMs alone (tinygrad_ext)", floor))
    if torch:
        torch.manual_seed(0)
        teager = make(torch)
        theirs_args = fn_args(torch)
        rows.append(("torch eager", lambda: teager(*theirs_args)))
        if not args.no_torch_compile:
            torch.manual_seed(0)
            tcompiled = torch.compile(make(torch))
            try:
                first = timed_first_calls(tcompiled, theirs_args, 3)
                rows.append(("torch.compile (inductor)", lambda: tcompiled(*theirs_args)))
                notes.append(f"torch.compile: first 3 calls {first:.1f} s")
            except Exception as e:  # noqa: BLE001 (reported, not fatal)
                notes.append(f"torch.compile failed: {type(e).__name__}: {str(e)[:200]}")
    times = bench_interleaved([f for _, f in rows], repeat=args.repeat)
    print(name)
    table([(label, f"{t * 1e3:.3f}", f"{t / times[0]:.2f}") for (label, _), t in zip(rows, times)],
          ["", "ms/step", "vs tinygrad_ext eager"])
    for n in notes:
        print("# " + n)
    print()


def steps_tables():
    for sizes in ((64, 1000, 100, 10), (8, 64, 32, 4)):
        for label, make, kw in STEPS:
            step_rows(f"{label}, (N, D_in, H, D_out) = {sizes}", lambda lib: make(lib, *sizes, **kw), lambda lib: (),
                      two_layer_gemms(tinygrad_ext, *sizes))

    def cnn_batch(lib):
        lib.manual_seed(1)
        return lib.randn(4, 3, 32, 32), lib.randint(0, 10, (4,))
    step_rows("blitz CNN (batch 4, cross-entropy, SGD momentum)", common.blitz_cnn_step, cnn_batch)


if args.chain_only:
    chain_tables()
    raise SystemExit
if args.steps_only:
    steps_tables()
    raise SystemExit
for sizes in ((64, 1000, 100, 10), (8, 64, 32, 4)):
    s64, sess64, first64 = static_step(np.float64, *sizes)
    s32, sess32, first32 = static_step(np.float32, *sizes)
    rows = [("static (tinygrad_ext.static), float64 feeds", s64), ("static (tinygrad_ext.static), float32 feeds", s32),
            ("eager autograd (tinygrad_ext)", eager_step(tinygrad_ext, *sizes)),
            ("tinygrad_ext.compile(eager step)", tinygrad_ext.compile(eager_step(tinygrad_ext, *sizes)))]
    if torch:
        rows.append(("eager autograd (torch)", eager_step(torch, *sizes)))
    times = bench_interleaved([fn for _, fn in rows], repeat=args.repeat)
    print(f"N, D_in, H, D_out = {sizes}")
    table([(name, f"{t * 1e3:.3f}", f"{t / times[2]:.2f}") for (name, _), t in zip(rows, times)],
          ["step", "ms/step", "vs tinygrad_ext eager"])
    print(f"# first run (planning included): float64 feeds {first64 * 1e3:.1f} ms, "
          f"float32 feeds {first32 * 1e3:.1f} ms")
    print(f"# static plan: {sess32.stats}\n")

steps_tables()
chain_tables()
