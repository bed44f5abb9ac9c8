"""Elementwise fusion on the CPU: a chain of registry ops, and optionally a final sum or mean, as ONE kernel.

A `Chain` is a small program over its inputs: each step names a registry entry (its C++ functor in
csrc/ops/elementwise.h) and its operands (an input, or an earlier step). Calling it on tensors runs one
generated C++ kernel that reads each input once and writes one output: the inputs are walked in blocks of
2048 elements, each op is one loop over the block into a cache-resident temporary (the same functors, the
same vectorized loops as the eager kernels, so the results are the eager ones bitwise), and the last op
writes the output block, or adds the block into the sum. A chain of single-operation ops (+ - * /, abs,
relu, ...) runs in registers instead: one loop, every op of an element in turn, compiled without FMA
contraction so that it still rounds as the eager kernels do. The sum adds in the eager sum kernel's order (each
thread's run in 2048-element blocks of 32 float lanes, folded pairwise, into a double; 8 double lanes for
float64), so a fused sum or mean is the eager one bitwise too.

The kernel source #includes the project's own csrc/ops/elementwise.h (an installed package ships it, and the
headers it includes, in tinygrad_ext/include/ops; a source checkout's csrc/ops serves otherwise), is compiled
by the C++ compiler on PATH ($CXX, c++ or g++) with the flags of the eager kernels' ISA copy (`_C.cpu_isa()`),
into a shared library cached on disk by a hash of its source and flags ($TG_KERNEL_CACHE, default
~/.cache/tinygrad_ext/kernels), and called through ctypes on the tensors' data pointers. Without a compiler or
the headers (or with TG_NO_CXX=1) an interpreter runs the same chain block by block (16384 elements, cache-sized)
with the eager kernels.

On a GPU (CUDA tensors of one device) the chain is one generated CUDA kernel, compiled at run time by NVRTC
(_nvrtc.py) for the device's architecture and cached on disk beside the CPU kernels: a grid-stride loop that
computes every op of an element in registers with the same functors. Between two ops each value passes through a
volatile local (a store and a load), so that no compiler stage (NVVM, ptxas) contracts one op's multiply with the
next op's add: each op rounds as its eager kernel does. A chain ending in a sum or mean writes the elementwise
result, which the eager CUDA reduction then sums (the reduction is not fused on the GPU yet). Without NVRTC the
chain is interpreted there too.

Inputs may broadcast: a one-element input (or a zero-stride expanded one) is read as a scalar; any other
input whose shape is not the result's (or that is not contiguous) is first copied to the result's shape (an
eager copy, counted in `STATS["materialized"]`).
"""
import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import warnings

from . import _C, _dtype, _nvrtc, _registry
from .tensor import Tensor, _wrap, empty

# registry entries a chain may hold: floating results from floating operands, no scalar parameters
_FAMILIES = ("unary_float", "unary_floating", "unary", "binary", "binary_float", "binary_floating")
FUSABLE = {e.name: e for e in _registry.OPS
           if e.family in _FAMILIES and not (e.params or e.kernel) and e.python is not None and hasattr(Tensor, e.name)}
REDUCTIONS = ("sum", "mean")
_CTYPE = {_dtype.float32: "float", _dtype.float64: "double"}
_BLOCK = 2048            # elements per block of the compiled kernel (the eager float sum's block)
_INTERPRETER_BLOCK = 16384
_PARALLEL_SUM = 65536    # the eager sum splits a run longer than this across threads
_GRAIN = 32768           # elementwise: elements per thread below which one thread runs (the eager loops')
_SPAWN_MIN = 1 << 20     # elementwise: below this many elements one thread runs (spawning one costs ~20-150 us)

STATS = {"compiled": 0, "loaded": 0, "compiled_calls": 0, "interpreted_calls": 0, "materialized": 0}
_ISA_FLAGS = {"avx512": ["-mavx2", "-mfma", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl",
                         "-mprefer-vector-width=512"],
              "avx2": ["-mavx2", "-mfma"], "base": []}
_lock = threading.Lock()


class Chain:
    """steps: ((registry name, (operand, ...)), ...); an operand is ("in", k) or ("step", j).
    The result is the last step's value, reduced by `reduction` (None, "sum" or "mean") over all elements."""

    def __init__(self, steps, ninputs, reduction=None):
        assert steps and reduction in (None,) + REDUCTIONS
        for name, args in steps:
            assert name in FUSABLE and len(args) == (1 if FUSABLE[name].unary else 2), name
        self.steps, self.ninputs, self.reduction = tuple(steps), ninputs, reduction
        self.in_registers = all(name in _SINGLE_OPERATION for name, _ in self.steps)
        self._kernels = {}  # (dtype, kinds) -> the compiled function, or None: interpreted
        self._fast = {}     # the inputs' (dtype, device, shape, strides) -> what a compiled call needs

    def __len__(self):
        return len(self.steps) + (self.reduction is not None)

    def __repr__(self):
        ops = " -> ".join(n for n, _ in self.steps) + (f" -> {self.reduction}" if self.reduction else "")
        return f"Chain({ops}, inputs={self.ninputs})"

    def __call__(self, *inputs):
        # fast path: inputs laid out as in an earlier call that ran compiled with no copies (a dict lookup)
        key = tuple((t._impl.dtype, t._impl.device_type, t._impl.shape, t._impl.strides) for t in inputs
                    if isinstance(t, Tensor))
        fast = self._fast.get(key)
        if fast is not None and len(inputs) == self.ninputs:
            fn, shape, dtype_id, numel, ptrs, dev = fast
            out = _C.empty(shape, dtype_id, *dev)
            fn(ptrs(*[t._impl.data_ptr for t in inputs]), out.data_ptr, numel, _C.get_num_threads())
            STATS["compiled_calls"] += 1
            return _wrap(out)
        return self._call(inputs, key)

    def run_impls(self, impls, out=None):
        """The chain on TensorImpls (a replayed plan's call): a new TensorImpl, or the result written into `out`
        (an existing contiguous buffer of the result's shape and dtype, which may be one of the inputs: each
        element is read before it is written) and `out` returned."""
        key = tuple((i.dtype, i.device_type, i.shape, i.strides) for i in impls)
        fast = self._fast.get(key)
        if fast is None:
            result = self._call([_wrap(i) for i in impls], key)._impl
            if out is None:
                return result
            _C.copy_(out, result)
            return out
        fn, shape, dtype_id, numel, ptrs, dev = fast
        if out is None:
            out = _C.empty(shape, dtype_id, *dev)
        elif out.shape != tuple(shape) or out.dtype != dtype_id or not out.is_contiguous:
            _C.copy_(out, self.run_impls(impls))
            return out
        fn(ptrs(*[i.data_ptr for i in impls]), out.data_ptr, numel, _C.get_num_threads())
        STATS["compiled_calls"] += 1
        return out

    def bind(self):
        """run_impls for one call site of a replayed plan, whose inputs keep their layouts from call to call (the
        plan's guards): after the first call, no layout key is computed."""
        fast = None
        # the pointer array is kept, and a slot rewritten only when its input is another TensorImpl than last time
        # (a TensorImpl's data pointer never changes; `last` holds them so that none is freed and its id reused)
        last, ptrs = [], None

        def call(impls, out=None):
            nonlocal fast, ptrs
            if fast is None:
                result = self.run_impls(impls, out)
                f = self._fast.get(tuple((i.dtype, i.device_type, i.shape, i.strides) for i in impls))
                if f is not None and (out is None or (out.shape == tuple(f[1]) and out.is_contiguous)):
                    fast = f  # (else: interpreted, or written through a copy: stays on the checked path)
                    last[:] = impls
                    ptrs = f[4](*[i.data_ptr for i in impls])
                return result
            fn, shape, dtype_id, numel, _, dev = fast
            for k, i in enumerate(impls):
                if i is not last[k]:
                    last[k] = i
                    ptrs[k] = i.data_ptr
            if out is None:
                out = _C.empty(shape, dtype_id, *dev)
            fn(ptrs, out.data_ptr, numel, _C.get_num_threads())
            STATS["compiled_calls"] += 1
            return out
        return call

    def _call(self, inputs, key):
        if len(inputs) != self.ninputs:
            raise TypeError(f"fused chain {self!r}: expected {self.ninputs} inputs, got {len(inputs)}")
        dtype, dev = inputs[0].dtype, inputs[0].device
        for t in inputs:
            if t.dtype is not dtype or dtype not in _CTYPE or t.device != dev:
                raise RuntimeError(f"fused chain {self!r}: inputs must be tensors of one dtype (float32 or float64) "
                                   f"on one device; got {[(str(x.dtype), str(x.device)) for x in inputs]}; run the "
                                   "ops eagerly instead")
        on_gpu = dev.type == "cuda"
        shape = _broadcast([tuple(t.shape) for t in inputs], self)
        numel = 1
        for s in shape:
            numel *= s
        kinds = tuple("scalar" if t.numel() == 1 or not any(t.stride()) else "full" for t in inputs)
        layout, key = key, (dtype, kinds, dev)
        if key not in self._kernels:
            self._kernels[key] = (_build_cuda(_source_cuda(self, _CTYPE[dtype], kinds), dev.index or 0) if on_gpu
                                  else _build(_source(self, _CTYPE[dtype], kinds),
                                              ["-ffp-contract=off"] if self.in_registers else []))
        fn = self._kernels[key]
        ready = [t if k == "scalar" or (tuple(t.shape) == shape and t.is_contiguous()) else _materialize(t, shape)
                 for t, k in zip(inputs, kinds)]
        reduce_after = on_gpu and self.reduction  # (the GPU kernel writes the elementwise values; eager sums them)
        if fn is not None and numel and not reduce_after and all(r is t for r, t in zip(ready, inputs)):
            self._fast[layout] = (fn, () if self.reduction else shape, dtype.id, numel,
                                  _pointer_list if on_gpu else ctypes.c_void_p * max(1, len(inputs)), dev._code)
        if fn is None:
            return self._interpret(ready, kinds, shape, numel, dtype)
        out = empty(() if self.reduction and not reduce_after else shape, dtype=dtype, device=dev)
        if numel:
            ptrs = (_pointer_list if on_gpu else ctypes.c_void_p * max(1, len(ready)))(*[t.data_ptr() for t in ready])
            fn(ptrs, out.data_ptr(), numel, _C.get_num_threads())
        elif self.reduction and not reduce_after:
            out.fill_(0.0 if self.reduction == "sum" else float("nan"))
        STATS["compiled_calls"] += 1
        if reduce_after:
            return out.sum() if self.reduction == "sum" else out.mean()
        return out

    def _interpret(self, inputs, kinds, shape, numel, dtype):
        """The chain block by block with the eager kernels; a reduction sums the whole result once, as eager."""
        STATS["interpreted_calls"] += 1
        out = empty(shape, dtype=dtype, device=inputs[0].device)
        flat_out = out.view(-1)
        # a "scalar" input is read at its first element (as the kernel reads in[k][0]): a one-element tensor, or a
        # zero-stride expanded one of any size (which reshape(()) cannot view)
        flat = [] if not numel else [t[(0,) * t.dim()] if k == "scalar" else t.view(-1) for t, k in zip(inputs, kinds)]
        for b0 in range(0, numel, _INTERPRETER_BLOCK):
            b1 = min(numel, b0 + _INTERPRETER_BLOCK)
            vals = []
            for name, args in self.steps:
                ops = [(flat[i] if flat[i].dim() == 0 else flat[i][b0:b1]) if kind == "in" else vals[i]
                       for kind, i in args]
                vals.append(getattr(Tensor, name)(*ops))
            flat_out[b0:b1] = vals[-1]
        if self.reduction == "sum":
            return out.sum()
        return out.mean() if self.reduction == "mean" else out


def _broadcast(shapes, chain):
    nd = max(len(s) for s in shapes)
    out = []
    for d in range(nd):
        sizes = {s[d - nd + len(s)] for s in shapes if d - nd + len(s) >= 0} - {1}
        if len(sizes) > 1:
            raise RuntimeError(f"fused chain {chain!r}: the input shapes {shapes} do not broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _materialize(t, shape):
    STATS["materialized"] += 1
    return t.expand(shape).contiguous()


# ------------------------------------------------------------------------------------------ code generation
# ops whose functor is one IEEE operation (no multiply-add inside that the eager build could contract): a chain of
# only these runs in registers, one loop over the block, compiled with -ffp-contract=off so no multiply and add
# of two ops fuse into an FMA the eager kernels would not compute
_SINGLE_OPERATION = frozenset(("add", "sub", "mul", "div", "neg", "abs", "relu", "square", "maximum", "minimum",
                               "sqrt", "reciprocal", "floor", "ceil", "trunc", "round", "sign"))


def _source(chain, ctype, kinds):
    """The C++ source of the chain for one dtype and input kinds."""
    if chain.in_registers:
        return _source_in_registers(chain, ctype, kinds)
    # temporaries: one block buffer per step, reused once nothing later reads it
    last_use = {}
    for j, (_, args) in enumerate(chain.steps):
        for kind, i in args:
            if kind == "step":
                last_use[i] = j
    free, where, ntemps, body = [], {}, 0, []
    final = len(chain.steps) - 1
    for j, (name, args) in enumerate(chain.steps):
        operands = []
        for kind, i in args:
            if kind == "in":
                operands.append(f"s{i}" if kinds[i] == "scalar" else f"x{i}[i]")
            else:
                operands.append(f"t{where[i]}[i]")
        for kind, i in args:
            if kind == "step" and last_use[i] == j:
                free.append(where[i])
        if j == final and not chain.reduction:
            dst = "o[i]"
        else:
            if free:
                where[j] = free.pop()
            else:
                where[j], ntemps = ntemps, ntemps + 1
            dst = f"t{where[j]}[i]"
        body.append(f"  for (int64_t i = 0; i < m; ++i) {dst} = {FUSABLE[name].functor}{{}}({', '.join(operands)});")
    return _assemble(chain, ctype, kinds, [f"  alignas(64) T t{k}[kBlock];" for k in range(ntemps)], body,
                     f"t{where[final]}" if chain.reduction else "nullptr")


def _source_in_registers(chain, ctype, kinds):
    """One loop over the block computing every op of an element in registers."""
    body = ["  for (int64_t i = 0; i < m; ++i) {"]
    for j, (name, args) in enumerate(chain.steps):
        operands = [(f"s{i}" if kinds[i] == "scalar" else f"x{i}[i]") if kind == "in" else f"v{i}" for kind, i in args]
        body.append(f"    const T v{j} = {FUSABLE[name].functor}{{}}({', '.join(operands)});")
    body += [f"    {'t0' if chain.reduction else 'o'}[i] = v{len(chain.steps) - 1};", "  }"]
    return _assemble(chain, ctype, kinds, ["  alignas(64) T t0[kBlock];"] if chain.reduction else [], body,
                     "t0" if chain.reduction else "nullptr")


def _assemble(chain, ctype, kinds, temps, body, value):
    loads = [f"  const T s{k} = *static_cast<const T*>(in[{k}]);" if kind == "scalar" else
             f"  const T* x{k} = static_cast<const T*>(in[{k}]) + b0;" for k, kind in enumerate(kinds)]
    lines = ["// tinygrad_ext fused kernel: " + repr(chain) + f" ({ctype}; inputs {', '.join(kinds)})",
             "#include <algorithm>", "#include <cstdint>", "#include <thread>", "#include <vector>",
             '#include "elementwise.h"', "using namespace tg;", f"using T = {ctype};",
             f"constexpr int64_t kBlock = {_BLOCK};",
             "",
             "// one block [b0, b0 + m): the chain's value in v (or, without a reduction, written to out)",
             "template <class Use>",
             "static inline void block(const void* const* in, T* out, int64_t b0, int64_t m, Use use) {",
             *loads, *temps, *([] if chain.reduction else ["  T* o = out + b0;"]), *body, f"  use({value}, m);",
             "}", ""]
    lines += _REDUCE[ctype] if chain.reduction else []
    lines += _ENTRY[chain.reduction or "none"]
    return "\n".join(lines) + "\n"


def _source_cuda(chain, ctype, kinds):
    """The CUDA source of the chain's elementwise ops for one dtype and input kinds: a grid-stride loop, the ops of an
    element in registers, each op's value passed through a volatile local (stored and loaded: it must exist as the
    op's rounded result, so no multiply of one op is contracted with an add of the next, by NVVM or by ptxas)."""
    params = [f"const T* __restrict__ x{k}" for k in range(len(kinds))] + ["T* __restrict__ out", "int64_t n"]
    body = [f"  const T s{k} = *x{k};" for k, kind in enumerate(kinds) if kind == "scalar"]
    body.append("  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; "
                "i += int64_t(gridDim.x) * blockDim.x) {")
    for j, (name, args) in enumerate(chain.steps):
        operands = [(f"s{i}" if kinds[i] == "scalar" else f"x{i}[i]") if kind == "in" else f"v{i}" for kind, i in args]
        body.append(f"    const T v{j} = rounded({FUSABLE[name].functor}{{}}({', '.join(operands)}));")
    body += [f"    out[i] = v{len(chain.steps) - 1};", "  }"]
    return "\n".join([f"// tinygrad_ext fused CUDA kernel: {chain!r} ({ctype}; inputs {', '.join(kinds)})",
                      '#include "elementwise.h"', "using namespace tg;", f"using T = {ctype};",
                      "// an op's value as eager writes it: a rounded T (a volatile store and load; an empty asm or",
                      "// register move would leave ptxas free to fuse a multiply with the next op's add)",
                      "__device__ __forceinline__ T rounded(T v) {", "  volatile T r = v;", "  return r;", "}",
                      f'extern "C" __global__ void tg_fused({", ".join(params)}) {{', *body, "}", ""])


def _pointer_list(*ptrs):  # a GPU kernel's pointer arguments (the CPU kernels take a ctypes array)
    return list(ptrs)


_REDUCE = {
    # the eager float sum (csrc/cpu/reduce.cpp, sum_float_run): 32 float lanes per 2048-element block, folded
    # pairwise, each block into a double; the run's last elements one by one
    "float": ["static double run_sum(const void* const* in, int64_t lo, int64_t hi) {",
              "  double total = 0;",
              "  for (int64_t b0 = lo; b0 < hi; b0 += kBlock) {",
              "    block(in, nullptr, b0, std::min(kBlock, hi - b0), [&](const T* v, int64_t m) {",
              "      const int64_t lanes = m / 32 * 32;",
              "      if (lanes) {",
              "        float lane[32] = {};",
              "        for (int64_t i = 0; i < lanes; i += 32)",
              "          for (int64_t j = 0; j < 32; ++j) lane[j] += v[i + j];",
              "        for (int64_t w = 16; w > 0; w /= 2)",
              "          for (int64_t j = 0; j < w; ++j) lane[j] += lane[j + w];",
              "        total += lane[0];",
              "      }",
              "      for (int64_t i = lanes; i < m; ++i) total += v[i];",
              "    });",
              "  }",
              "  return total;",
              "}"],
    # the eager double sum (reduce_block): 8 double lanes over the run, its last elements into lane 0
    "double": ["static double run_sum(const void* const* in, int64_t lo, int64_t hi) {",
               "  double acc[8] = {};",
               "  const int64_t even = lo + (hi - lo) / 8 * 8;",
               "  for (int64_t b0 = lo; b0 < hi; b0 += kBlock) {",
               "    block(in, nullptr, b0, std::min(kBlock, hi - b0), [&](const T* v, int64_t m) {",
               "      const int64_t k = std::max<int64_t>(0, std::min(m, even - b0));",
               "      for (int64_t i = 0; i < k; i += 8)",
               "        for (int64_t j = 0; j < 8; ++j) acc[j] += v[i + j];",
               "      for (int64_t i = k; i < m; ++i) acc[0] += v[i];",
               "    });",
               "  }",
               "  double total = 0;",
               "  for (int j = 0; j < 8; ++j) total += acc[j];",
               "  return total;",
               "}"],
}

_THREADS = [
    "// body(t) for t in [0, nt): the calling thread runs t = 0",
    "template <class Body> static void parallel(int nt, Body body) {",
    "  std::vector<std::thread> pool;",
    "  for (int t = 1; t < nt; ++t) pool.emplace_back(body, t);",
    "  body(0);",
    "  for (auto& th : pool) th.join();",
    "}",
    ""]
_SUM_ENTRY = [
    *_THREADS,
    "static double total(const void* const* in, int64_t n, int nt) {",
    f"  if (n <= {_PARALLEL_SUM} || nt <= 1) return run_sum(in, 0, n);",
    "  // as the eager kernel: one contiguous part per thread, the partial sums added in order",
    "  const int64_t chunk = (n + nt - 1) / nt;",
    "  std::vector<double> part(nt, 0.0);",
    "  parallel(nt, [&](int t) {",
    "    const int64_t lo = t * chunk, hi = std::min(n, lo + chunk);",
    "    if (lo < hi) part[t] = run_sum(in, lo, hi);",
    "  });",
    "  double s = 0;",
    "  for (double p : part) s += p;",
    "  return s;",
    "}",
    ""]
_ENTRY = {
    "none": [*_THREADS,
             'extern "C" void tg_fused(const void* const* in, void* out, int64_t n, int nt) {',
             f"  const int64_t blocks = (n + kBlock - 1) / kBlock, per = {_GRAIN} / kBlock;",
             "  nt = int(std::max<int64_t>(1, std::min<int64_t>(nt, (blocks + per - 1) / per)));",
             f"  if (n < {_SPAWN_MIN}) nt = 1;  // (a thread is spawned per call: worth it for large n only)",
             "  parallel(nt, [&](int t) {",
             "    for (int64_t b = blocks * t / nt; b < blocks * (t + 1) / nt; ++b)",
             "      block(in, static_cast<T*>(out), b * kBlock, std::min(kBlock, n - b * kBlock),",
             "            [](const T*, int64_t) {});",
             "  });",
             "}"],
    "sum": [*_SUM_ENTRY,
            'extern "C" void tg_fused(const void* const* in, void* out, int64_t n, int nt) {',
            "  *static_cast<T*>(out) = T(total(in, n, nt));",
            "}"],
    # the eager mean (ops/reduce.h's MeanOp): the double sum divided by the count, then converted to T
    "mean": [*_SUM_ENTRY,
             'extern "C" void tg_fused(const void* const* in, void* out, int64_t n, int nt) {',
             "  *static_cast<T*>(out) = T(total(in, n, nt) / double(n));",
             "}"],
}


# ------------------------------------------------------------------------------------------ compiling
def compiler():
    """The C++ compiler that builds fused kernels ($CXX, c++ or g++ on PATH), or None (TG_NO_CXX=1: none)."""
    if os.environ.get("TG_NO_CXX", "") not in ("", "0"):
        return None
    for name in (os.environ.get("CXX"), "c++", "g++"):
        path = shutil.which(name) if name else None
        if path:
            return path
    return None


# the headers the generated source #includes (tg_op_lists.h, the op lists they include, is written beside the
# source from the registry); CMakeLists.txt installs them into the package's include/ops
HEADERS = ("elementwise.h", "math.h")
_HERE = os.path.dirname(os.path.abspath(__file__))
# where to look, in order: an installed package's own copy, then csrc/ops of the source tree beside the package
HEADER_DIRS = (os.path.join(_HERE, "include", "ops"), os.path.normpath(os.path.join(_HERE, os.pardir, os.pardir,
                                                                                     "csrc", "ops")))


def include_dirs():
    """The first of HEADER_DIRS that holds every header of HEADERS, or None (the chains are interpreted)."""
    for ops in HEADER_DIRS:
        if all(os.path.isfile(os.path.join(ops, h)) for h in HEADERS):
            return ops
    return None


def cache_dir():
    return os.environ.get("TG_KERNEL_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "tinygrad_ext",
                                                             "kernels")


def available():
    """Whether fused kernels are compiled (else interpreted)."""
    return compiler() is not None and include_dirs() is not None


_loaded = {}  # source hash -> ctypes function


def _headers(ops):
    """{include name: text}: the functor headers and the op lists they include (tg_op_lists.h, from the registry)."""
    texts = {}
    for h in HEADERS:
        with open(os.path.join(ops, h)) as f:
            texts[h] = f.read()
    texts["tg_op_lists.h"] = _registry.cpp_header()  # (written by CMake in a build)
    return texts


def _cached(name, make):
    """The path of `name` in the kernel cache. When it is not there, make(a temporary folder) builds it and returns
    the built file's path (or None: nothing is cached), which is moved in atomically: another process sees the whole
    file or none."""
    root = cache_dir()
    path = os.path.join(root, name)
    if os.path.exists(path):
        STATS["loaded"] += 1
        return path
    os.makedirs(root, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        built = make(tmp)
        if built is None:
            return None
        os.replace(built, path)
    STATS["compiled"] += 1
    return path


def _digest(*parts):
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


def _build(source, extra_flags=()):
    """The compiled kernel of `source` (from the disk cache when built before), or None without a compiler."""
    cxx, ops = compiler(), include_dirs()
    if cxx is None or ops is None:
        return None
    headers = _headers(ops)
    flags = ["-O3", "-std=gnu++17", "-fPIC", "-shared", "-pthread", "-fno-math-errno", "-fno-trapping-math",
             *_ISA_FLAGS.get(_C.cpu_isa(), []), *extra_flags]
    digest = _digest(source, *headers.values(), cxx, " ".join(flags))

    def make(tmp):
        for name, text in headers.items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        src = os.path.join(tmp, "kernel.cpp")
        with open(src, "w") as f:
            f.write(source)
        built = os.path.join(tmp, "kernel.so")
        proc = subprocess.run([cxx, *flags, "-iquote", tmp, src, "-o", built], capture_output=True, text=True)
        if proc.returncode != 0:
            warnings.warn(f"fused kernel: {cxx} failed to compile the generated source (the chain is "
                          f"interpreted instead; TG_NO_CXX=1 skips compiling):\n{proc.stderr[-2000:]}")
            return None
        with open(os.path.join(cache_dir(), f"fused_{digest}.cpp"), "w") as f:
            f.write(source)  # (kept beside the library, for reading)
        return built

    with _lock:
        fn = _loaded.get(digest)
        if fn is not None:
            return fn
        lib = _cached(f"fused_{digest}.so", make)
        if lib is None:
            return None
        fn = ctypes.CDLL(lib).tg_fused
        fn.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int)
        fn.restype = None
        _loaded[digest] = fn
        return fn


def cuda_arch(index):
    """NVRTC's architecture name for GPU `index` (sm_<major><minor>)."""
    major, minor = _C.cuda_get_device_properties(index)[2:4]
    return f"sm_{major}{minor}"


def compile_cuda(source, arch):
    """The cubin of a generated CUDA source for `arch`, from the disk cache when compiled before; None without NVRTC
    or the functor headers (a compile error warns and gives None too: the chain is interpreted)."""
    ops = include_dirs()
    if not _nvrtc.available() or ops is None:
        return None
    headers = _headers(ops)
    digest = _digest(source, *headers.values(), arch, repr(_nvrtc.version()), " ".join(_nvrtc.OPTIONS))

    def make(tmp):
        try:
            cubin = _nvrtc.compile_cubin(source, headers, arch)
        except _nvrtc.CompileError as e:
            warnings.warn(f"fused kernel: {e} (the chain is interpreted instead)")
            return None
        built = os.path.join(tmp, "kernel.cubin")
        with open(built, "wb") as f:
            f.write(cubin)
        return built

    with _lock:
        path = _cached(f"fused_{digest}_{arch}.cubin", make)
    if path is None:
        return None
    with open(path, "rb") as f:
        return f.read()


def _build_cuda(source, index):
    """The launcher of a generated CUDA kernel on GPU `index` (fn(pointers, out pointer, n, threads)), or None."""
    cubin = compile_cuda(source, cuda_arch(index))
    if cubin is None:
        return None
    kernel = _C.cuda_kernel_load(cubin, "tg_fused", index)

    def launch(ptrs, out, n, _threads):
        _C.cuda_kernel_launch(kernel, [*ptrs, out, n], n, index)
    return launch


# ------------------------------------------------------------------------------------------ plans (tinygrad_ext.static)
# ops cheap enough to compute again in each reader (as XLA, transcendental ones are never duplicated)
_CHEAP = frozenset(("add", "sub", "mul", "div", "neg", "abs", "relu", "square", "maximum", "minimum"))
MIN_PLAN_OPS = 3  # shorter chains stay eager kernels (which already reuse their dead inputs' buffers in a plan)


class FusedStep:
    """The plan record of a fused step (in place of the op records it replaces)."""

    __slots__ = ("type", "src", "inputs", "controls", "device", "value", "chain", "members")

    def __init__(self, type_name, root, chain=None, members=()):
        self.type, self.src, self.device, self.value = type_name, root.src, root.device, None
        self.inputs, self.controls, self.chain, self.members = (), (), chain, members


_shapes = {}  # the leaves' shapes -> their broadcast shape


def _shape_of(*inputs):
    """A stand-in for a fused-away value that is only read for its shape: a zero-stride expanded scalar."""
    shapes = tuple(t._impl.shape for t in inputs)
    shape = _shapes.get(shapes)
    if shape is None:
        shape = _shapes[shapes] = _broadcast(shapes, "shape")
    a = inputs[0]._impl
    return _wrap(_C.expand(_C.empty((), a.dtype, a.device_type, a.device_index), shape))


def fuse_steps(steps, elementwise, reductions, fetch_slots, shape_readers):
    """Plan steps ((kernel, input slots, output slot, record), ...), in order, with each chain of floating
    elementwise ops on one device, the CPU or a GPU with NVRTC (record.type -> registry name in `elementwise`),
    optionally ending in a full reduction (record.type -> "sum"/"mean" in `reductions`), as one fused step of at
    least MIN_PLAN_OPS ops. An op whose only reader is such an op, or a cheap op (_CHEAP) whose every reader is (and
    whose value is not fetched), is computed inside its readers' kernels (recomputed where it has several: `(y - x)`
    in the loss and in its gradient), so it needs no buffer; a reader that only needs its shape (`shape_readers`:
    record.type -> input positions) gets a zero-stride stand-in.
    Returns (steps, fused kernels, ops they run)."""
    value_readers, shape_only = {}, {}
    for n, (_, ins, _, r) in enumerate(steps):
        for pos, i in enumerate(ins):
            (shape_only if pos in shape_readers.get(r.type, ()) else value_readers).setdefault(i, set()).add(n)
    producer = {out: n for n, (_, _, out, _) in enumerate(steps)}
    fetched = set(fetch_slots)

    def kind(n):
        r = steps[n][3]
        if getattr(getattr(r.src, "dtype", None), "torch", None) not in _CTYPE or r.controls or not \
                (r.device == "cpu" or (str(r.device).startswith("cuda") and _nvrtc.available())):
            return None
        if r.type in elementwise and elementwise[r.type] in FUSABLE:
            return "op"
        attrs = getattr(r.src, "attrs", None) or {}
        if r.type in reductions and not attrs.get("keepdims") and attrs.get("axis") is None:
            return "reduce"
        return None

    kinds = [kind(n) for n in range(len(steps))]

    def inlined(i):  # the step computing slot i, when each reader computes it itself
        p = producer.get(i)
        if p is None or kinds[p] != "op" or i in fetched:
            return None
        users = value_readers.get(i, ())
        if not users or any(kinds[u] is None for u in users):
            return None
        return p if len(users) == 1 or elementwise[steps[p][3].type] in _CHEAP else None

    def members(n):  # n and the steps inlined into it, in step order
        ms = {n}
        for i in steps[n][1]:
            p = inlined(i)
            if p is not None:
                ms |= members(p)
        return ms

    fused, kept_by = {}, {}
    for n in range(len(steps)):
        out = steps[n][2]
        if kinds[n] is None or (kinds[n] == "op" and inlined(out) is not None):
            continue  # not fusable, or computed inside its readers
        ms = sorted(members(n))
        if len(ms) < MIN_PLAN_OPS or (kinds[n] == "reduce" and len(ms) < 2):
            continue
        body = ms[:-1] if kinds[n] == "reduce" else ms
        index = {steps[m][2]: j for j, m in enumerate(body)}
        inputs, chain_steps = [], []
        for m in body:
            args = []
            for i in steps[m][1]:
                if i not in index and i not in inputs:
                    inputs.append(i)
                args.append(("step", index[i]) if i in index else ("in", inputs.index(i)))
            chain_steps.append((elementwise[steps[m][3].type], tuple(args)))
        chain = Chain(chain_steps, len(inputs), reductions[steps[n][3].type] if kinds[n] == "reduce" else None)
        fused[n] = (chain, tuple(inputs), out, FusedStep("_Fused", steps[n][3], chain, [steps[m][3] for m in ms]))
        for m in body:
            kept_by.setdefault(m, set()).add(n)
    # a step is gone when each of its value readers is a fused step, or gone itself (readers come later)
    gone = set()
    for m in reversed(range(len(steps))):
        if m in kept_by and m not in fused and all(u in fused or u in gone for u in value_readers[steps[m][2]]):
            gone.add(m)

    def leaves(i):  # the slots a gone value is computed from
        p = producer.get(i)
        if p not in gone:
            return [i]
        return [x for j in steps[p][1] for x in leaves(j)]

    out_steps = []
    for n, s in enumerate(steps):
        if n in fused:
            out_steps.append(fused[n])
        elif n not in gone:
            out_steps.append(s)
        elif steps[n][2] in shape_only:
            ins = tuple(dict.fromkeys(leaves(steps[n][2])))
            out_steps.append((_shape_of, ins, steps[n][2], FusedStep("_ShapeOf", s[3])))
    return out_steps, len(fused), sum(len(f[3].members) for f in fused.values())
