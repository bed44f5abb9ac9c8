// cumsum on the GPU (semantics of cpu/index.cpp): in and out contiguous, one
// dtype, viewed as (outer, n, inner); out[o, i, k] = sum_{j <= i} in[o, j, k].
//
// Integer and bool values accumulate in int64 and are cast back: the same
// modular result as the CPU's running sum in the element type, and for bool
// (sum != 0) is the CPU's running OR. Floating types accumulate in their own
// type, in a different order than the CPU's left-to-right sum (rounding may
// differ in the last bits).
//
// cumsum_row_kernel (inner == 1, rows long enough to fill a block): one block
//   per row, chunks of kThreads * kItems elements; each thread scans its kItems
//   in registers, a warp-shuffle scan and a scan of the warp totals give its
//   exclusive prefix, and a running carry links the chunks.
// cumsum_column_kernel (otherwise): one thread per (o, k) column, walking n;
//   neighbouring threads read neighbouring k, so loads coalesce when inner > 1.
#include "helpers.cuh"
#include "kernels.h"

namespace tg::cuda {
namespace {

constexpr int kItems = 4;            // elements per thread per chunk in the row kernel
constexpr int64_t kMinRowScan = 256;  // shorter rows: a thread per row beats an idle block

template <class T>
using Acc = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;

template <class T>
__device__ __forceinline__ T from_acc(Acc<T> v) {
  if constexpr (std::is_same_v<T, bool>) return v != 0;
  else return static_cast<T>(v);
}

// Inclusive scan across the warp.
template <class A>
__device__ __forceinline__ A warp_inclusive_scan(A v, int lane) {
#pragma unroll
  for (int d = 1; d < 32; d *= 2) {
    const A up = __shfl_up_sync(kFullMask, v, d);
    if (lane >= d) v += up;
  }
  return v;
}

template <class T>
__global__ void __launch_bounds__(kThreads) cumsum_row_kernel(const T* x, T* y, int64_t outer, int64_t n) {
  using A = Acc<T>;
  constexpr int kWarps = kThreads / 32;
  __shared__ A warp_totals[kWarps];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int64_t row = blockIdx.x; row < outer; row += gridDim.x) {
    const T* xr = x + row * n;
    T* yr = y + row * n;
    A carry = A(0);  // sum of the row's earlier chunks (the same in every thread)
    for (int64_t base = 0; base < n; base += int64_t(kThreads) * kItems) {
      const int64_t i0 = base + int64_t(threadIdx.x) * kItems;
      A v[kItems], total = A(0);
#pragma unroll
      for (int j = 0; j < kItems; ++j) {
        total += i0 + j < n ? A(xr[i0 + j]) : A(0);
        v[j] = total;
      }
      const A incl = warp_inclusive_scan(total, lane);
      A excl = __shfl_up_sync(kFullMask, incl, 1);  // not incl - total: exact for floats too
      if (lane == 0) excl = A(0);
      if (lane == 31) warp_totals[warp] = incl;
      __syncthreads();
      if (warp == 0) {
        const A w = warp_inclusive_scan(lane < kWarps ? warp_totals[lane] : A(0), lane);
        if (lane < kWarps) warp_totals[lane] = w;
      }
      __syncthreads();
      const A prefix = carry + (warp > 0 ? warp_totals[warp - 1] : A(0)) + excl;
#pragma unroll
      for (int j = 0; j < kItems; ++j)
        if (i0 + j < n) yr[i0 + j] = from_acc<T>(prefix + v[j]);
      carry += warp_totals[kWarps - 1];
      __syncthreads();  // warp_totals is rewritten by the next chunk
    }
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    cumsum_column_kernel(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  const int64_t columns = outer * inner, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < columns; c += stride) {
    const int64_t o = c / inner, k = c % inner;
    const T* xc = x + o * n * inner + k;
    T* yc = y + o * n * inner + k;
    Acc<T> acc = 0;
    for (int64_t i = 0; i < n; ++i) {
      acc += Acc<T>(xc[i * inner]);
      yc[i * inner] = from_acc<T>(acc);
    }
  }
}

}  // namespace

void cumsum(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner) {
  TG_CHECK(in->dtype == out->dtype, "cumsum: dtype mismatch (", dtype_name(in->dtype), " vs ",
           dtype_name(out->dtype), ")");
  if (outer * n * inner == 0) return;
  const int device = use_device_of(out->data_ptr());
  TG_DISPATCH(out->dtype, "cumsum", [&] {
    const scalar_t* x = in->data<scalar_t>();
    scalar_t* y = out->data<scalar_t>();
    if (inner == 1 && n >= kMinRowScan) {
      cumsum_row_kernel<scalar_t><<<grid_for(outer, 1, device), kThreads>>>(x, y, outer, n);
      TG_CUDA_CHECK_LAUNCH("cumsum_row_kernel");
    } else {
      cumsum_column_kernel<scalar_t><<<grid_for(outer * inner, kThreads, device), kThreads>>>(x, y, outer, n, inner);
      TG_CUDA_CHECK_LAUNCH("cumsum_column_kernel");
    }
  });
}

}  // namespace tg::cuda
