"""The elementwise ops and activations of the op registry against PyTorch's CPU build, 4M float32 elements,
interleaved, at 1 and 2 threads (tinygrad_ext.set_num_threads / torch.set_num_threads).

    bench-venv/bin/python benchmarks/bench_ops.py [--threads 1 2] [--only gelu,silu]
Ratio: torch's time / tinygrad_ext's time (at least 0.8 is the target; above 1 tinygrad_ext is faster).
The backward rows time the fused gradient kernels alone against torch's (aten.<op>_backward).
"""
import numpy as np

import tinygrad_ext as tg
from common import header, threads_and_only, vs_torch_by_threads

threads, only = threads_and_only()
torch = header("elementwise ops and activations, 4M float32")
if torch is None:
    raise SystemExit(1)
tF, pF = tg.nn.functional, torch.nn.functional
aten = torch.ops.aten

n = 1 << 22
rng = np.random.default_rng(0)
a = rng.standard_normal(n, dtype=np.float32)
b = rng.standard_normal(n, dtype=np.float32)
u = rng.uniform(-0.99, 0.99, n).astype(np.float32)  # erfinv's domain
pos = (np.abs(a) + 0.1).astype(np.float32)
big = (100 * b).astype(np.float32)  # fmod's dividend with quotients up to about 1e3 (|a| < pos everywhere)
T = {k: (tg.from_numpy(v), torch.from_numpy(v)) for k, v in {"a": a, "b": b, "u": u, "pos": pos, "big": big}.items()}
(ta, pa), (tb, pb), (tu, pu), (tpos, ppos), (tbig, pbig) = T["a"], T["b"], T["u"], T["pos"], T["big"]
tw, pw = tg.tensor([0.25]), torch.tensor([0.25])
ta2, pa2 = ta.reshape(2048, 2048), pa.reshape(2048, 2048)
pbuf = aten.log_sigmoid_forward(pa)[1]  # torch's CPU buffer for the backward
tgb = tg._C  # the fused backward kernels: _C.<name>_backward(grad, input)

cases = [  # (name, tinygrad_ext, torch)
    ("gelu", lambda: tF.gelu(ta), lambda: pF.gelu(pa)),
    ("gelu tanh", lambda: tF.gelu(ta, approximate="tanh"), lambda: pF.gelu(pa, approximate="tanh")),
    ("silu", lambda: tF.silu(ta), lambda: pF.silu(pa)),
    ("mish", lambda: tF.mish(ta), lambda: pF.mish(pa)),
    ("elu", lambda: tF.elu(ta), lambda: pF.elu(pa)),
    ("selu", lambda: tF.selu(ta), lambda: pF.selu(pa)),
    ("celu", lambda: tF.celu(ta, 0.5), lambda: pF.celu(pa, 0.5)),
    ("softplus", lambda: tF.softplus(ta), lambda: pF.softplus(pa)),
    ("softsign", lambda: tF.softsign(ta), lambda: pF.softsign(pa)),
    ("hardsigmoid", lambda: tF.hardsigmoid(ta), lambda: pF.hardsigmoid(pa)),
    ("hardswish", lambda: tF.hardswish(ta), lambda: pF.hardswish(pa)),
    ("hardtanh", lambda: tF.hardtanh(ta), lambda: pF.hardtanh(pa)),
    ("relu6", lambda: tF.relu6(ta), lambda: pF.relu6(pa)),
    ("logsigmoid", lambda: tF.logsigmoid(ta), lambda: pF.logsigmoid(pa)),
    ("threshold", lambda: tF.threshold(ta, 0.1, 20.0), lambda: pF.threshold(pa, 0.1, 20.0)),
    ("tanhshrink", lambda: tF.tanhshrink(ta), lambda: pF.tanhshrink(pa)),
    ("softshrink", lambda: tF.softshrink(ta), lambda: pF.softshrink(pa)),
    ("hardshrink", lambda: tF.hardshrink(ta), lambda: pF.hardshrink(pa)),
    ("leaky_relu", lambda: tF.leaky_relu(ta), lambda: pF.leaky_relu(pa)),
    ("prelu (2048 ch)", lambda: tF.prelu(ta2, tw), lambda: pF.prelu(pa2, pw)),
    ("glu (2048x2048)", lambda: tF.glu(ta2), lambda: pF.glu(pa2)),
    ("erfinv", lambda: tu.erfinv(), lambda: pu.erfinv()),
    ("lgamma", lambda: tpos.lgamma(), lambda: ppos.lgamma()),
    ("digamma", lambda: tpos.digamma(), lambda: ppos.digamma()),
    ("frac", lambda: ta.frac(), lambda: pa.frac()),
    ("nan_to_num", lambda: ta.nan_to_num(), lambda: pa.nan_to_num()),
    ("round(decimals=2)", lambda: ta.round(decimals=2), lambda: pa.round(decimals=2)),
    ("square", lambda: ta.square(), lambda: pa.square()),
    ("copysign", lambda: ta.copysign(tb), lambda: pa.copysign(pb)),
    ("fmod", lambda: ta.fmod(tpos), lambda: pa.fmod(ppos)),
    ("fmod (quotients to 1e3)", lambda: tbig.fmod(tpos), lambda: pbig.fmod(ppos)),
    ("logaddexp", lambda: ta.logaddexp(tb), lambda: pa.logaddexp(pb)),
    ("logaddexp2", lambda: ta.logaddexp2(tb), lambda: pa.logaddexp2(pb)),
    ("xlogy", lambda: ta.xlogy(tpos), lambda: pa.xlogy(ppos)),
    ("lerp (scalar weight)", lambda: ta.lerp(tb, 0.3), lambda: pa.lerp(pb, 0.3)),
    ("gelu backward", lambda: tgb.gelu_backward(tb._impl, ta._impl), lambda: aten.gelu_backward(pb, pa)),
    ("gelu tanh backward", lambda: tgb.gelu_tanh_backward(tb._impl, ta._impl),
     lambda: aten.gelu_backward(pb, pa, approximate="tanh")),
    ("silu backward", lambda: tgb.silu_backward(tb._impl, ta._impl), lambda: aten.silu_backward(pb, pa)),
    ("mish backward", lambda: tgb.mish_backward(tb._impl, ta._impl), lambda: aten.mish_backward(pb, pa)),
    ("softplus backward", lambda: tgb.softplus_backward(tb._impl, ta._impl, False, None, (1.0, 20.0)),
     lambda: aten.softplus_backward(pb, pa, 1.0, 20.0)),
    ("elu backward", lambda: tgb.elu_backward(tb._impl, ta._impl, False, None, (1.0, 1.0, 1.0)),
     lambda: aten.elu_backward(pb, 1.0, 1.0, 1.0, False, pa)),
    ("hardswish backward", lambda: tgb.hardswish_backward(tb._impl, ta._impl), lambda: aten.hardswish_backward(pb, pa)),
    ("hardsigmoid backward", lambda: tgb.hardsigmoid_backward(tb._impl, ta._impl),
     lambda: aten.hardsigmoid_backward(pb, pa)),
    ("logsigmoid backward", lambda: tgb.logsigmoid_backward(tb._impl, ta._impl),
     lambda: aten.log_sigmoid_backward(pb, pa, pbuf)),
]
vs_torch_by_threads(tg, torch, cases, threads, only)
