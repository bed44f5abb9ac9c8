// Gather / scatter through an ElementwiseIter, and random fills, on the GPU.
//
// index_get / index_put (semantics of cpu/index.cpp): operand 0 is the
// destination, 1 the source, 2.. the int64 index tensors (nindex of them).
// Element i reads index value idx_k from operand 2 + k, and moves its pointer
// (the source for get, the destination for put) by idx_k * index_strides[k]
// bytes. Indices are validated by the caller.
//
// fill_random: element i of a contiguous tensor gets
// random_value<T>(kind, a, b, seed, offset + i) (derived_random_value for the
// distributions built on those), from the Philox stream (ops/philox.h).
#include "../ops/philox.h"
#include "helpers.cuh"
#include "kernels.h"

namespace tg::cuda {
namespace {

constexpr int kMaxIndices = kMaxOperands - 2;

struct IndexArgs {
  int nindex;
  int64_t strides[kMaxIndices];  // bytes per unit of each index
};

template <int N> struct Ptrs {
  char* data[N];
};

// Sum of idx_k * stride_k for element i, whose operand offsets are off[].
__device__ __forceinline__ int64_t index_offset(const Ptrs<kMaxOperands>& p, const int64_t (&off)[kMaxOperands],
                                                const IndexArgs& ia) {
  int64_t delta = 0;
#pragma unroll
  for (int k = 0; k < kMaxIndices; ++k)
    if (k < ia.nindex) delta += *reinterpret_cast<const int64_t*>(p.data[2 + k] + off[2 + k]) * ia.strides[k];
  return delta;
}

// Elem: an unsigned integer of the element's size; get only moves bytes.
template <class Elem>
__global__ void __launch_bounds__(kThreads)
    index_get_kernel(int64_t n, const __grid_constant__ OffsetCalc<kMaxOperands> oc,
                     const __grid_constant__ Ptrs<kMaxOperands> p, const __grid_constant__ IndexArgs ia) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[kMaxOperands];
    oc.get(i, off);
    const int64_t src = off[1] + index_offset(p, off, ia);
    *reinterpret_cast<Elem*>(p.data[0] + off[0]) = *reinterpret_cast<const Elem*>(p.data[1] + src);
  }
}

// ---- atomic accumulation for index_put(accumulate=True) ----
// NOTE: atomics make repeated indices correct but, for floating types, the
// summation order (and so the last bits of the result) is not deterministic
// run to run, unlike the serial CPU kernel. Integer results are exact.
__device__ __forceinline__ void atomic_accumulate(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_accumulate(double* p, double v) { atomicAdd(p, v); }  // sm_60+
__device__ __forceinline__ void atomic_accumulate(int32_t* p, int32_t v) {
  atomicAdd(reinterpret_cast<int*>(p), int(v));
}
__device__ __forceinline__ void atomic_accumulate(int64_t* p, int64_t v) {
  // Two's complement addition is the same operation on unsigned 64-bit words.
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}
// There are no byte atomics: bytes are updated through a compare-and-swap on
// the aligned 32-bit word holding them. That word may extend past the tensor
// but never past its allocation: CUDA storages come from the caching
// allocator, whose blocks are 512-byte aligned multiples of 512 bytes. Every
// concurrent writer of the word goes through the same CAS, so neighbours are
// never clobbered.
__device__ __forceinline__ void atomic_accumulate(uint8_t* p, uint8_t v) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
  unsigned* word = reinterpret_cast<unsigned*>(addr & ~uintptr_t(3));
  const unsigned shift = unsigned(addr & 3) * 8u;  // little-endian byte lane
  unsigned old = *reinterpret_cast<volatile unsigned*>(word), assumed;
  do {
    assumed = old;
    const unsigned byte = ((assumed >> shift) + unsigned(v)) & 0xffu;  // wraps modulo 256 like uint8 +=
    old = atomicCAS(word, assumed, (assumed & ~(0xffu << shift)) | (byte << shift));
  } while (old != assumed);
}
__device__ __forceinline__ void atomic_accumulate(bool* p, bool v) {
  // bool += is logical or; setting bit 0 of a byte holding 0 or 1 keeps it a valid bool.
  if (!v) return;
  const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
  atomicOr(reinterpret_cast<unsigned*>(addr & ~uintptr_t(3)), 1u << (unsigned(addr & 3) * 8u));
}

// NOTE: without accumulate, repeated indices race and an arbitrary one of the
// values wins (the serial CPU kernel keeps the last), as in torch on CUDA.
template <class T>
__global__ void __launch_bounds__(kThreads)
    index_put_kernel(int64_t n, const __grid_constant__ OffsetCalc<kMaxOperands> oc,
                     const __grid_constant__ Ptrs<kMaxOperands> p, const __grid_constant__ IndexArgs ia,
                     bool accumulate) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[kMaxOperands];
    oc.get(i, off);
    T* dst = reinterpret_cast<T*>(p.data[0] + off[0] + index_offset(p, off, ia));
    const T v = *reinterpret_cast<const T*>(p.data[1] + off[1]);
    if (accumulate) atomic_accumulate(dst, v);
    else *dst = v;
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    fill_random_kernel(T* out, int64_t n, int kind, double a, double b, uint64_t seed, uint64_t offset) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = kind <= kBernoulli ? random_value<T>(kind, a, b, seed, offset + uint64_t(i))
                                : derived_random_value<T>(kind, a, b, seed, offset + uint64_t(i));
}

// Checks shared by get and put; returns the iterator's offsets and pointers.
void prepare_index(const ElementwiseIter& it, int nindex, const int64_t* index_strides, const char* name,
                   OffsetCalc<kMaxOperands>& oc, Ptrs<kMaxOperands>& p, IndexArgs& ia) {
  TG_CHECK(nindex >= 1 && nindex <= kMaxIndices, name, ": between 1 and ", kMaxIndices, " index tensors, got ", nindex);
  TG_CHECK(it.nops == 2 + nindex, name, ": expected ", 2 + nindex, " operands, got ", it.nops);
  TG_CHECK(it.host_scalars == 0, name, ": every operand must be on the GPU");
  TG_CHECK(it.ndim >= 0 && it.ndim <= kMaxIterDims, name, ": bad iterator rank ", it.ndim);
  TG_CHECK(it.dtypes[0] == it.dtypes[1], name, ": source and destination dtypes differ");
  for (int k = 0; k < nindex; ++k) TG_CHECK(it.dtypes[2 + k] == DType::Int64, name, ": indices must be int64");
  oc = OffsetCalc<kMaxOperands>::from_iter(it);
  p = Ptrs<kMaxOperands>{};
  for (int o = 0; o < it.nops; ++o) p.data[o] = it.data[o];
  // Unused slots point at the (always valid) destination with stride 0 and are never read.
  for (int o = it.nops; o < kMaxOperands; ++o) p.data[o] = it.data[0];
  ia = IndexArgs{};
  ia.nindex = nindex;
  for (int k = 0; k < nindex; ++k) ia.strides[k] = index_strides[k];
}

}  // namespace

void index_get(ElementwiseIter& it, int nindex, const int64_t* index_strides) {
  OffsetCalc<kMaxOperands> oc;
  Ptrs<kMaxOperands> p;
  IndexArgs ia;
  prepare_index(it, nindex, index_strides, "index", oc, p, ia);
  if (it.numel <= 0) return;
  const int device = use_device_of(it.data[0]);
  const unsigned grid = grid_for(it.numel, kThreads, device);
  switch (itemsize(it.dtypes[0])) {
    case 1: index_get_kernel<uint8_t><<<grid, kThreads, 0, current_stream()>>>(it.numel, oc, p, ia); break;
    case 2: index_get_kernel<uint16_t><<<grid, kThreads, 0, current_stream()>>>(it.numel, oc, p, ia); break;
    case 4: index_get_kernel<uint32_t><<<grid, kThreads, 0, current_stream()>>>(it.numel, oc, p, ia); break;
    default: index_get_kernel<uint64_t><<<grid, kThreads, 0, current_stream()>>>(it.numel, oc, p, ia); break;
  }
  TG_CUDA_CHECK_LAUNCH("index_get_kernel");
}

void index_put(ElementwiseIter& it, int nindex, const int64_t* index_strides, bool accumulate) {
  OffsetCalc<kMaxOperands> oc;
  Ptrs<kMaxOperands> p;
  IndexArgs ia;
  prepare_index(it, nindex, index_strides, "index_put_", oc, p, ia);
  if (it.numel <= 0) return;
  const int device = use_device_of(it.data[0]);
  const unsigned grid = grid_for(it.numel, kThreads, device);
  TG_DISPATCH(it.dtypes[0], "index_put_", [&] {
    index_put_kernel<scalar_t><<<grid, kThreads, 0, current_stream()>>>(it.numel, oc, p, ia, accumulate);
    TG_CUDA_CHECK_LAUNCH("index_put_kernel");
  });
}

void fill_random(const Tensor& t, int kind, double a, double b, uint64_t seed, uint64_t offset) {
  TG_CHECK(t->is_contiguous(), "fill_random: expected a contiguous tensor");
  TG_CHECK(kind >= kUniform && kind <= kGeometric, "fill_random: unknown distribution ", kind);
  // random_value takes x % (b - a): an empty range would divide by zero.
  if (kind == kRandInt) TG_CHECK(int64_t(b) > int64_t(a), "random_: expects 'from' to be less than 'to'");
  const int64_t n = t->numel();
  if (n <= 0) return;
  const int device = use_device_of(t->data_ptr());
  const unsigned grid = grid_for(n, kThreads, device);
  TG_DISPATCH(t->dtype, "random", [&] {
    fill_random_kernel<scalar_t>
        <<<grid, kThreads, 0, current_stream()>>>(t->data<scalar_t>(), n, kind, a, b, seed, offset);
    TG_CUDA_CHECK_LAUNCH("fill_random_kernel");
  });
}

}  // namespace tg::cuda
