// Shared plumbing for the CUDA kernels: error checking, device selection,
// launch sizing, and the strided offset calculator used by every kernel that
// walks an ElementwiseIter or a ReduceIter.
//
// Conventions (all .cu files in this directory):
//  * Every kernel runs on the calling thread's current stream
//    (current_stream(): the legacy default stream 0 unless torch.cuda.set_stream
//    or `with torch.cuda.stream(s)` chose another), and so do the copies, so
//    kernels, copies and the caching allocator's block reuse (per stream) are
//    ordered with each other without events.
//  * Every CUDA API call goes through TG_CUDA_CHECK and every launch is
//    followed by TG_CUDA_CHECK_LAUNCH; failures throw tg::Error (RuntimeError
//    in Python). Nothing here calls exit() or asserts.
//  * Launches with no work are skipped (a 0-sized grid is a launch error).
//  * Strides are in bytes, like ElementwiseIter / ReduceIter.
#pragma once
#include <cuda_runtime.h>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include "../core/dtype.h"
#include "../core/error.h"
#include "../core/iterator.h"

namespace tg::cuda {

// Throws tg::Error: "CUDA error: <description> (<cudaError name>) <where> <what> at <file>:<line>", plus
// torch's CUDA_LAUNCH_BLOCKING hint unless launches are synchronous. Out of line (runtime.cu): every
// kernel's error path calls it.
[[noreturn]] void throw_cuda_error(int err, const char* what, const char* where, const char* file, int line);
// CUDA_LAUNCH_BLOCKING=1 (torch's variable, read once): every launch is followed by a device
// synchronization, so a kernel that faults is reported at its own launch.
bool launch_blocking();

// Throws tg::Error naming the failed call. cudaGetLastError() clears the
// per-thread error state so a recoverable error (bad argument, OOM) does not
// resurface in an unrelated later check; sticky errors (a kernel fault) stay.
#define TG_CUDA_CHECK(expr)                                                        \
  do {                                                                             \
    cudaError_t tg_err_ = (expr);                                                  \
    if (tg_err_ != cudaSuccess) {                                                  \
      (void)cudaGetLastError();                                                    \
      ::tg::cuda::throw_cuda_error(int(tg_err_), #expr, "in", __FILE__, __LINE__); \
    }                                                                              \
  } while (0)

// After a <<<...>>> launch: configuration errors are reported synchronously
// through cudaGetLastError. Faults inside a kernel surface at a later call
// (the next launch check, cudaMemcpy, synchronize()), which is checked too —
// so the kernel named in a message may be a later one than the culprit,
// unless CUDA_LAUNCH_BLOCKING=1 makes this check wait for the kernel.
#define TG_CUDA_CHECK_LAUNCH(kernel_name)                                                       \
  do {                                                                                          \
    cudaError_t tg_err_ = cudaGetLastError();                                                   \
    if (tg_err_ == cudaSuccess && ::tg::cuda::launch_blocking()) {                              \
      tg_err_ = cudaDeviceSynchronize();                                                        \
      if (tg_err_ != cudaSuccess) (void)cudaGetLastError();                                     \
    }                                                                                           \
    if (tg_err_ != cudaSuccess)                                                                 \
      ::tg::cuda::throw_cuda_error(int(tg_err_), kernel_name, "launching", __FILE__, __LINE__); \
  } while (0)

// ---------------------------------------------------------------- devices
// Implemented in runtime.cu.
int device_of(const void* ptr);  // the GPU owning a device pointer (0 with a single GPU)
void set_device(int device);     // cudaSetDevice, skipped when already current
int sm_count(int device);        // multiprocessors, cached per device
cudaStream_t current_stream();   // the calling thread's current stream of the current device
// Makes the GPU owning `ptr` current and returns its index.
inline int use_device_of(const void* ptr) {
  int d = device_of(ptr);
  set_device(d);
  return d;
}

// ---------------------------------------------------------------- launches
constexpr int kThreads = 256;  // default block size of the 1-D kernels

// Blocks for a grid-stride kernel over `work` items at `per_block` items per
// block: enough to fill the GPU a few times over, never 0 (callers skip empty
// work before asking), and within the 2^31-1 limit of gridDim.x.
inline unsigned grid_for(int64_t work, int64_t per_block, int device) {
  int64_t blocks = (work + per_block - 1) / per_block;
  int64_t cap = int64_t(sm_count(device)) * 32;
  if (blocks > cap) blocks = cap;
  if (blocks < 1) blocks = 1;
  return static_cast<unsigned>(blocks);
}

// ---------------------------------------------------------------- dtypes
// The accumulator of sums over T: float32 for float16 / bfloat16 (rounded once at the end), T otherwise.
template <class T> using acc_t = std::conditional_t<is_reduced_float_v<T>, float, T>;

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtype_of<int8_t>() { return DType::Int8; }
template <> constexpr DType dtype_of<int16_t>() { return DType::Int16; }
template <> constexpr DType dtype_of<Half>() { return DType::Float16; }
template <> constexpr DType dtype_of<BFloat16>() { return DType::BFloat16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }

// ---------------------------------------------------------------- indexing
// The rare 64-bit case out of line: the inlined division sequence is long,
// and every strided kernel would otherwise carry a copy of it per call site.
__device__ __noinline__ inline void divmod_u64_slow(uint64_t n, uint64_t d, uint64_t& q, uint64_t& r) {
  q = n / d;
  r = n - q * d;
}

// q = n / d, r = n % d with 32-bit hardware division when both fit (the
// common case): 64-bit division is a long software sequence on the GPU.
__device__ __forceinline__ void divmod_u64(uint64_t n, uint64_t d, uint64_t& q, uint64_t& r) {
  if (((n | d) >> 32) == 0) {
    const uint32_t q32 = uint32_t(n) / uint32_t(d);
    q = q32;
    r = n - uint64_t(q32) * d;
  } else {
    divmod_u64_slow(n, d, q, r);
  }
}

// Byte offsets of linear element i (row-major over shape, innermost last) for
// N operands. Built on the host from an ElementwiseIter; passed to kernels by
// value as a __grid_constant__ parameter so it is read from the constant bank.
template <int N> struct OffsetCalc {
  int ndim;
  int64_t shape[kMaxIterDims];
  int64_t strides[N][kMaxIterDims];

  static OffsetCalc from_iter(const ElementwiseIter& it) {
    OffsetCalc c{};
    c.ndim = it.ndim;
    for (int d = 0; d < it.ndim; ++d) {
      c.shape[d] = it.shape[d];
      for (int o = 0; o < N; ++o) c.strides[o][d] = o < it.nops ? it.strides[o][d] : 0;
    }
    return c;
  }

  __device__ __forceinline__ void get(int64_t i, int64_t (&off)[N]) const {
#pragma unroll
    for (int o = 0; o < N; ++o) off[o] = 0;
    if (ndim == 1) {  // flat but strided (a slice, a broadcast scalar): no division
#pragma unroll
      for (int o = 0; o < N; ++o) off[o] = i * strides[o][0];
      return;
    }
    // Not unrolled: the division dominates, and an unrolled copy per dim
    // would multiply the code of hundreds of kernels.
    uint64_t rem = uint64_t(i);
#pragma unroll 1
    for (int d = ndim - 1; d >= 0; --d) {
      uint64_t q, r;
      divmod_u64(rem, uint64_t(shape[d]), q, r);
#pragma unroll
      for (int o = 0; o < N; ++o) off[o] += int64_t(r) * strides[o][d];
      rem = q;
    }
  }
};

// Byte offset of element i of a row-major index space (shape/strides as in
// ReduceIter's keep/red groups).
__device__ __forceinline__ int64_t nd_offset(int64_t i, int ndim, const int64_t* shape, const int64_t* strides) {
  if (ndim == 1) return i * strides[0];
  int64_t off = 0;
  uint64_t rem = uint64_t(i);
#pragma unroll 1
  for (int d = ndim - 1; d >= 0; --d) {
    uint64_t q, r;
    divmod_u64(rem, uint64_t(shape[d]), q, r);
    off += int64_t(r) * strides[d];
    rem = q;
  }
  return off;
}

// ---------------------------------------------------------------- warps
constexpr unsigned kFullMask = 0xffffffffu;

// __shfl_down_sync for any trivially copyable value: sub-word types go through
// an int, larger ones word by word (accumulators may be structs).
template <class T> __device__ __forceinline__ T shfl_down(T v, int delta) {
  static_assert(std::is_trivially_copyable_v<T>, "shuffled values must be trivially copyable");
  if constexpr (sizeof(T) < 4) {
    return static_cast<T>(__shfl_down_sync(kFullMask, static_cast<int>(v), delta));
  } else {
    static_assert(sizeof(T) % 4 == 0, "shuffled structs must be a whole number of 32-bit words");
    constexpr int kWords = sizeof(T) / 4;
    unsigned words[kWords];
    memcpy(words, &v, sizeof(T));  // well-defined type punning; compiles to register moves
#pragma unroll
    for (int w = 0; w < kWords; ++w) words[w] = __shfl_down_sync(kFullMask, words[w], delta);
    T out;
    memcpy(&out, words, sizeof(T));
    return out;
  }
}

}  // namespace tg::cuda
