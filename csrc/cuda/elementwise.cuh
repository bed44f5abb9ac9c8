// The generic elementwise launcher: out = f(in...) over an ElementwiseIter.
// Used by elementwise_unary.cu, elementwise_binary.cu, elementwise.cu and
// copy.cu, each of which only picks functors and dtypes.
//
// Two kernels per (functor, dtypes):
//  * dense_kernel: the iterator is flat (ndim <= 1), the output is
//    contiguous and every input is contiguous or a broadcast scalar (stride
//    0), and every non-scalar pointer is aligned to its vector width. Each
//    thread handles a chunk of V consecutive elements with one vector
//    load/store per operand (V = 4 floats = one float4; 2 doubles; never more
//    than 16 bytes). The last, partial chunk goes element by element through
//    the same code, so the functor is instantiated once per kernel.
//  * strided_kernel: everything else (views, broadcasts, misaligned slices).
//    Element i's byte offsets come from OffsetCalc (row-major over the
//    iterator's coalesced shape; usually 1 or 2 dims after coalescing).
// Both are grid-stride loops, so any numel fits any grid.
//
// Compile time matters here (hundreds of functor x dtype instantiations, each
// compiled for every GPU architecture): the host-side planning is one
// non-template function (plan_elementwise, in elementwise.cu), and each
// kernel body contains a single call site of the functor.
#pragma once
#include <algorithm>
#include <utility>
#include "helpers.cuh"

// The shared functors compare unsigned values with 0 in generic code (e.g.
// relu<uint8_t>); that is intended, so nvcc's "pointless comparison" remark
// is silenced for the translation units that instantiate them.
#pragma nv_diag_suppress 186

namespace tg::cuda {

// V values of T as one aligned unit, so loads and stores are single vector instructions.
template <class T, int V> struct alignas(sizeof(T) * V) Vec {
  T v[V];
};

template <int N> struct OperandPtrs {
  char* data[N];
  bool scalar[N];  // stride 0 (dense path only); never true for the output
  // A host scalar (ElementwiseIter::host_scalars): its value travels in the kernel's parameters (value[o],
  // the bytes of one element), never in device memory. The kernels read it through in(o).
  bool host[N];
  uint64_t value[N];
  // Operand o's base: its device pointer, or the address of its value inside the __grid_constant__
  // parameter block (stride 0, so every element reads that one value).
  __device__ __forceinline__ const char* in(int o) const {
    return host[o] ? reinterpret_cast<const char*>(&value[o]) : data[o];
  }
};

// Host-side decision shared by every instantiation (defined in elementwise.cu).
struct ElementwisePlan {
  bool dense;     // use dense_kernel (else strided_kernel)
  int device;     // the GPU holding the operands, made current
  unsigned grid;  // blocks of kThreads
  bool scalar[kMaxOperands];
};
// Validates `it` against the kernel's operand dtypes and item sizes, selects
// the device and picks the kernel. vec: the dense kernel's V.
ElementwisePlan plan_elementwise(const ElementwiseIter& it, int nops, const DType* dtypes, const int64_t* sizes,
                                 int vec, const char* name);

// Elements [i, i + valid) of a dense operand; lanes past `valid` repeat
// element i so the functor only ever sees real values.
template <class T, int V>
__device__ __forceinline__ Vec<T, V> load_vec(const char* base, bool scalar, int64_t i, int valid) {
  Vec<T, V> r;
  const T* p = reinterpret_cast<const T*>(base);
  if (scalar) {
    const T x = p[0];
#pragma unroll
    for (int j = 0; j < V; ++j) r.v[j] = x;
  } else if (valid == V) {
    r = *reinterpret_cast<const Vec<T, V>*>(p + i);
  } else {
#pragma unroll
    for (int j = 0; j < V; ++j) r.v[j] = p[i + (j < valid ? j : 0)];
  }
  return r;
}

template <class T, int V>
__device__ __forceinline__ void store_vec(char* base, int64_t i, int valid, const Vec<T, V>& r) {
  T* p = reinterpret_cast<T*>(base);
  if (valid == V) {
    *reinterpret_cast<Vec<T, V>*>(p + i) = r;
  } else {
#pragma unroll
    for (int j = 0; j < V; ++j)
      if (j < valid) p[i + j] = r.v[j];
  }
}

template <int V, class Out, class F, class... In>
__device__ __forceinline__ Vec<Out, V> apply_vec(const F& f, const Vec<In, V>&... x) {
  Vec<Out, V> r;
#pragma unroll
  for (int j = 0; j < V; ++j) r.v[j] = static_cast<Out>(f(x.v[j]...));
  return r;
}

// The operand types of one kernel: Out is operand 0, In... are 1..N.
template <class Out, class... In> struct Signature {
  static constexpr int kIn = int(sizeof...(In));
  static constexpr int kOps = kIn + 1;
  static constexpr size_t kMaxSize = std::max({sizeof(Out), sizeof(In)...});
  // Elements per dense chunk: 16 bytes of the widest operand, at most 4
  // (more would only multiply the functor's code for 1-byte types).
  static constexpr int kVec = 16 / kMaxSize < 4 ? int(16 / kMaxSize) : 4;
  using Seq = std::index_sequence_for<In...>;

  template <class F, size_t... I>
  __device__ __forceinline__ static void dense_chunk(const F& f, const OperandPtrs<kOps>& p, int64_t i, int valid,
                                                     std::index_sequence<I...>) {
    const Vec<Out, kVec> r = apply_vec<kVec, Out>(f, load_vec<In, kVec>(p.in(I + 1), p.scalar[I + 1], i, valid)...);
    store_vec<Out, kVec>(p.data[0], i, valid, r);
  }

  // One element at byte offsets off[] from the operands' bases.
  template <class F, size_t... I>
  __device__ __forceinline__ static void strided_step(const F& f, const OperandPtrs<kOps>& p,
                                                      const int64_t (&off)[kOps], std::index_sequence<I...>) {
    *reinterpret_cast<Out*>(p.data[0] + off[0]) =
        static_cast<Out>(f(*reinterpret_cast<const In*>(p.in(I + 1) + off[I + 1])...));
  }
};

template <class Sig, class F>
__global__ void __launch_bounds__(kThreads)
    dense_kernel(int64_t n, const __grid_constant__ OperandPtrs<Sig::kOps> p, F f) {
  constexpr int V = Sig::kVec;
  const int64_t nchunks = (n + V - 1) / V;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < nchunks; c += stride) {
    const int64_t i = c * V;
    const int valid = n - i < V ? int(n - i) : V;
    Sig::dense_chunk(f, p, i, valid, typename Sig::Seq{});
  }
}

template <class Sig, class F>
__global__ void __launch_bounds__(kThreads) strided_kernel(int64_t n, const __grid_constant__ OffsetCalc<Sig::kOps> oc,
                                                           const __grid_constant__ OperandPtrs<Sig::kOps> p, F f) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[Sig::kOps];
    oc.get(i, off);
    Sig::strided_step(f, p, off, typename Sig::Seq{});
  }
}

// Runs out = f(in...) over `it` on the GPU holding operand 0.
template <class Out, class... In, class F> void launch_elementwise(ElementwiseIter& it, const F& f, const char* name) {
  using Sig = Signature<Out, In...>;
  constexpr int N = Sig::kOps;
  static const DType dtypes[N] = {dtype_of<Out>(), dtype_of<In>()...};
  static const int64_t sizes[N] = {int64_t(sizeof(Out)), int64_t(sizeof(In))...};
  const ElementwisePlan plan = plan_elementwise(it, N, dtypes, sizes, Sig::kVec, name);
  if (plan.grid == 0) return;  // no elements
  OperandPtrs<N> p{};
  for (int o = 0; o < N; ++o) {
    p.data[o] = it.data[o];
    p.scalar[o] = plan.scalar[o];
    p.host[o] = (it.host_scalars >> o) & 1u;
    if (p.host[o]) std::memcpy(&p.value[o], it.data[o], size_t(sizes[o]));  // read on the host: no copy, no sync
  }
  if (plan.dense) {
    dense_kernel<Sig, F><<<plan.grid, kThreads, 0, current_stream()>>>(it.numel, p, f);
  } else {
    strided_kernel<Sig, F><<<plan.grid, kThreads, 0, current_stream()>>>(it.numel, OffsetCalc<N>::from_iter(it), p, f);
  }
  TG_CUDA_CHECK_LAUNCH(name);
}

}  // namespace tg::cuda
