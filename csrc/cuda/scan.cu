// The registry's scans on the GPU (ops/scan.h's functors, cpu/scan.cpp's semantics): in and out contiguous,
// viewed as (outer, n, inner). Every scan has scan_column_kernel (one thread per (o, k) column walking n, the
// running value in the functor's acc_t) or scan_index_kernel (the indices kind); cumsum has its own parallel
// kernels, below: out[o, i, k] = sum_{j <= i} in[o, j, k].
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
// Few long rows (fewer rows than SMs, inner == 1): a block per row would leave
//   most of the GPU idle, so each row is cut into tiles of kTile elements and
//   scanned in three launches: cumsum_tile_sums_kernel (a block per tile sums
//   it), an inclusive scan of each row's tile sums (the kernels above, on the
//   accumulator type), and cumsum_tiles_kernel (a block per tile scans it as
//   the row kernel does, starting from the sum of the row's earlier tiles).
#include "allocator.h"
#include "helpers.cuh"
#include "kernels.h"

namespace tg::cuda {
namespace {

constexpr int kItems = 4;                                  // elements per thread per chunk in the row kernel
constexpr int64_t kMinRowScan = 256;                       // shorter rows: a thread per row beats an idle block
constexpr int64_t kTile = int64_t(kThreads) * kItems * 8;  // elements per block in the tiled scan
constexpr int64_t kMinTiledScan = 1 << 16;                 // shorter rows: the row kernel

template <class T> using Acc = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;

template <class T> __device__ __forceinline__ T from_acc(Acc<T> v) {
  if constexpr (std::is_same_v<T, bool>) return v != 0;
  else return static_cast<T>(v);
}

// Inclusive scan across the warp.
template <class A> __device__ __forceinline__ A warp_inclusive_scan(A v, int lane) {
#pragma unroll
  for (int d = 1; d < 32; d *= 2) {
    const A up = __shfl_up_sync(kFullMask, v, d);
    if (lane >= d) v += up;
  }
  return v;
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    cumsum_column_kernel(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);

// Scans y[i] = carry + x[0..i] for i in [begin, end) of one row, a chunk of kThreads * kItems elements at a
// time: each thread scans its kItems in registers, a warp-shuffle scan and a scan of the warp totals give its
// exclusive prefix, and the running carry links the chunks. Every thread of the block calls it.
template <class T>
__device__ __forceinline__ void scan_range(const T* xr, T* yr, int64_t begin, int64_t end, Acc<T> carry,
                                           Acc<T>* warp_totals) {
  using A = Acc<T>;
  constexpr int kWarps = kThreads / 32;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int64_t base = begin; base < end; base += int64_t(kThreads) * kItems) {
    const int64_t i0 = base + int64_t(threadIdx.x) * kItems;
    A v[kItems], total = A(0);
#pragma unroll
    for (int j = 0; j < kItems; ++j) {
      total += i0 + j < end ? A(xr[i0 + j]) : A(0);
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
      if (i0 + j < end) yr[i0 + j] = from_acc<T>(prefix + v[j]);
    carry += warp_totals[kWarps - 1];
    __syncthreads();  // warp_totals is rewritten by the next chunk
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads) cumsum_row_kernel(const T* x, T* y, int64_t outer, int64_t n) {
  __shared__ Acc<T> warp_totals[kThreads / 32];
  for (int64_t row = blockIdx.x; row < outer; row += gridDim.x)
    scan_range(x + row * n, y + row * n, 0, n, Acc<T>(0), warp_totals);
}

// sums[row * tiles + t] = the sum of tile t of the row (a fixed-order block reduction).
template <class T>
__global__ void __launch_bounds__(kThreads)
    cumsum_tile_sums_kernel(const T* x, int64_t n, int64_t tiles, Acc<T>* sums) {
  using A = Acc<T>;
  __shared__ A warp_sums[kThreads / 32];
  const int64_t row = int64_t(blockIdx.x) / tiles, t = int64_t(blockIdx.x) % tiles;
  const T* xr = x + row * n;
  const int64_t begin = t * kTile, end = begin + kTile < n ? begin + kTile : n;
  A acc = A(0);
  for (int64_t i = begin + threadIdx.x; i < end; i += kThreads) acc += A(xr[i]);
  for (int d = 16; d > 0; d /= 2) acc += shfl_down(acc, d);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    A total = A(0);
    for (int w = 0; w < kThreads / 32; ++w) total += warp_sums[w];
    sums[blockIdx.x] = total;
  }
}

// Tile t of each row scanned from the inclusive scan of the row's tile sums (prefix).
template <class T>
__global__ void __launch_bounds__(kThreads)
    cumsum_tiles_kernel(const T* x, T* y, int64_t n, int64_t tiles, const Acc<T>* prefix) {
  __shared__ Acc<T> warp_totals[kThreads / 32];
  const int64_t row = int64_t(blockIdx.x) / tiles, t = int64_t(blockIdx.x) % tiles;
  const int64_t begin = t * kTile, end = begin + kTile < n ? begin + kTile : n;
  const Acc<T> carry = t > 0 ? prefix[blockIdx.x - 1] : Acc<T>(0);
  scan_range(x + row * n, y + row * n, begin, end, carry, warp_totals);
}

// The row or column kernel for contiguous (outer, n) rows of one type.
template <class T> void scan_rows(const T* x, T* y, int64_t outer, int64_t n, int device) {
  if (n >= kMinRowScan) {
    cumsum_row_kernel<T><<<grid_for(outer, 1, device), kThreads, 0, current_stream()>>>(x, y, outer, n);
    TG_CUDA_CHECK_LAUNCH("cumsum_row_kernel");
  } else {
    cumsum_column_kernel<T><<<grid_for(outer, kThreads, device), kThreads, 0, current_stream()>>>(x, y, outer, n, 1);
    TG_CUDA_CHECK_LAUNCH("cumsum_column_kernel");
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

// The generic kernels of the scans other than cumsum.
template <class F, class T>
__global__ void __launch_bounds__(kThreads)
    scan_column_kernel(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  using A = typename F::template acc_t<T>;
  const int64_t columns = outer * inner, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < columns; c += stride) {
    const T* xc = x + (c / inner) * n * inner + c % inner;
    T* yc = y + (c / inner) * n * inner + c % inner;
    A acc = A(xc[0]);
    yc[0] = T(acc);
    for (int64_t i = 1; i < n; ++i) yc[i * inner] = T(acc = F::step(acc, A(xc[i * inner])));
  }
}

template <class F, class T>
__global__ void __launch_bounds__(kThreads)
    scan_index_kernel(const T* x, T* y, int64_t* ix, int64_t outer, int64_t n, int64_t inner) {
  const int64_t columns = outer * inner, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < columns; c += stride) {
    const int64_t base = (c / inner) * n * inner + c % inner;
    T best = x[base];
    int64_t at = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (F::later_wins(x[base + i * inner], best)) best = x[base + i * inner], at = i;
      y[base + i * inner] = best;
      ix[base + i * inner] = at;
    }
  }
}

void cumsum(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner, int device) {
  TG_DISPATCH(out->dtype, "cumsum", [&] {
    const scalar_t* x = in->data<scalar_t>();
    scalar_t* y = out->data<scalar_t>();
    using A = Acc<scalar_t>;
    if (inner == 1 && n >= kMinTiledScan && outer < sm_count(device)) {
      const int64_t tiles = (n + kTile - 1) / kTile, blocks = outer * tiles;
      TG_CHECK(blocks <= int64_t(0x7fffffff), "cumsum: ", outer, " x ", n, " is too large");
      DeviceBuffer sums(blocks * int64_t(sizeof(A)), device), prefix(blocks * int64_t(sizeof(A)), device);
      cumsum_tile_sums_kernel<scalar_t><<<unsigned(blocks), kThreads, 0, current_stream()>>>(x, n, tiles, sums.as<A>());
      TG_CUDA_CHECK_LAUNCH("cumsum_tile_sums_kernel");
      scan_rows<A>(sums.as<A>(), prefix.as<A>(), outer, tiles, device);
      cumsum_tiles_kernel<scalar_t>
          <<<unsigned(blocks), kThreads, 0, current_stream()>>>(x, y, n, tiles, prefix.as<A>());
      TG_CUDA_CHECK_LAUNCH("cumsum_tiles_kernel");
    } else if (inner == 1 && n >= kMinRowScan) {
      scan_rows<scalar_t>(x, y, outer, n, device);
    } else {
      cumsum_column_kernel<scalar_t>
          <<<grid_for(outer * inner, kThreads, device), kThreads, 0, current_stream()>>>(x, y, outer, n, inner);
      TG_CUDA_CHECK_LAUNCH("cumsum_column_kernel");
    }
  });
}

template <class F, ScanKind kind>
void scan_as(const char* name, const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n,
             int64_t inner, int device) {
  const unsigned grid = grid_for(outer * inner, kThreads, device);
  if constexpr (std::is_same_v<F, CumsumOp>) {
    cumsum(in, values, outer, n, inner, device);
  } else if constexpr (kind == ScanKind::indices) {
    TG_DISPATCH(in->dtype, name, [&] {
      scan_index_kernel<F, scalar_t><<<grid, kThreads, 0, current_stream()>>>(
          in->data<scalar_t>(), values->data<scalar_t>(), indices->data<int64_t>(), outer, n, inner);
    });
  } else if constexpr (kind == ScanKind::floating) {
    TG_DISPATCH_FLOAT(values->dtype, name, [&] {
      scan_column_kernel<F, scalar_t>
          <<<grid, kThreads, 0, current_stream()>>>(in->data<scalar_t>(), values->data<scalar_t>(), outer, n, inner);
    });
  } else {
    TG_DISPATCH(values->dtype, name, [&] {
      scan_column_kernel<F, scalar_t>
          <<<grid, kThreads, 0, current_stream()>>>(in->data<scalar_t>(), values->data<scalar_t>(), outer, n, inner);
    });
  }
  TG_CUDA_CHECK_LAUNCH(name);
}
}  // namespace

void scan(ScanOpId op, const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n,
          int64_t inner) {
  const int device = use_device_of(values->data_ptr());
  switch (op) {
#define TG_SCAN_CASE(name, F, kind) \
  case ScanOpId::name: return scan_as<F, ScanKind::kind>(#name, in, values, indices, outer, n, inner, device);
    TG_SCAN_OPS(TG_SCAN_CASE)
#undef TG_SCAN_CASE
  }
}

}  // namespace tg::cuda
