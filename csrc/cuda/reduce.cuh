// The reduction kernels and their launcher, shared by reduce.cu (sum / prod /
// amax / amin) and arg_reduce.cu (max / min with indices). Both work on a
// ReduceIter (core/iterator.h):
//   out[o] = reduce_{r} in[keep(o) + red(r)],  o in [0, out_numel), r in [0, red_numel)
// where keep(o) / red(r) are byte offsets of the row-major multi-indices over
// the kept / reduced dim groups. `out` (and `indices`) are contiguous.
//
// A reducer R supplies the arithmetic:
//   using Acc;                        the accumulator (a value, or a struct)
//   Acc init();                       identity
//   Acc step(Acc, T x, int64_t r);    folds element r in (r grows within a thread)
//   Acc merge(Acc a, Acc b);          combines two partial results
//   void write(const ReduceIter&, int64_t o, Acc);   stores output o
//
// Work decomposition (every order is fixed, so results are bit-reproducible
// run to run on the same GPU):
//  * rows kernel: a group of G threads per output (G = 32, a warp, for short
//    reductions; G = 256, the block, for long ones); lane l takes
//    r = l, l + G, ...; the group combines lanes with a fixed shuffle tree.
//    Used when the reduced elements are contiguous (or nothing is).
//  * cols kernel: the kept inner dim is contiguous but the reduced dims are
//    not (e.g. sum over dim 0 of a row-major matrix): a 32 x 8 block where x
//    walks 32 consecutive outputs (coalesced loads) and y splits r in 8.
//  * When there are too few outputs to fill the GPU (out_numel == 1 with a
//    huge red_numel is the extreme), r is cut into `nsplit` chunks; pass 1
//    writes one partial accumulator per (output, chunk) to a scratch buffer
//    and reduce_partials_kernel merges them in chunk order.
#pragma once
#include <type_traits>
#include "allocator.h"
#include "helpers.cuh"
#include "kernels.h"

namespace tg::cuda::reduction {

template <class T> __device__ __forceinline__ bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return x != x;
  else return false;
}

template <class R> __device__ __forceinline__ typename R::Acc warp_reduce(typename R::Acc acc) {
  // Lane 0 ends with lanes 0..31 combined in a fixed tree.
#pragma unroll
  for (int delta = 16; delta > 0; delta /= 2) acc = R::merge(acc, shfl_down(acc, delta));
  return acc;
}

// Folds elements r = begin, begin + step, ... < end of one output's block
// (based at `base`) into acc. A single reduced dim (the common case, and
// always for arg reductions) is a plain strided loop the compiler unrolls to
// keep several loads in flight; several reduced dims go through nd_offset in
// a loop kept rolled, as it is rare and its code is large.
template <class R, class T>
__device__ __forceinline__ typename R::Acc fold_range(typename R::Acc acc, const ReduceIter& r, const char* base,
                                                      int64_t begin, int64_t end, int64_t step) {
  if (r.nred <= 1) {
    const int64_t s = r.nred == 1 ? r.red_strides[0] : 0;
#pragma unroll 4
    for (int64_t i = begin; i < end; i += step) acc = R::step(acc, *reinterpret_cast<const T*>(base + i * s), i);
  } else {
#pragma unroll 1
    for (int64_t i = begin; i < end; i += step)
      acc = R::step(acc, *reinterpret_cast<const T*>(base + nd_offset(i, r.nred, r.red_shape, r.red_strides)), i);
  }
  return acc;
}

// Pass 1, rows mode. `group` threads (32 or kThreads) per output; blockIdx.y
// is the chunk of r. Writes the output (partial == nullptr) or its partial.
// Every thread runs the same number of outer iterations (the loop bound is
// per block), so the __syncthreads inside are reached uniformly.
template <class R, class T>
__global__ void __launch_bounds__(kThreads)
    reduce_rows_kernel(const __grid_constant__ ReduceIter r, int group, int64_t chunk, typename R::Acc* partial) {
  using Acc = typename R::Acc;
  __shared__ Acc warp_acc[kThreads / 32];
  const int groups_per_block = kThreads / group;
  const int lane = threadIdx.x % group, gid = threadIdx.x / group;
  const int64_t split = blockIdx.y, nsplit = gridDim.y;
  const int64_t lo = split * chunk;
  const int64_t hi = lo + chunk < r.red_numel ? lo + chunk : r.red_numel;
  for (int64_t ob = int64_t(blockIdx.x) * groups_per_block; ob < r.out_numel;
       ob += int64_t(gridDim.x) * groups_per_block) {
    const int64_t o = ob + gid;
    const bool valid = o < r.out_numel;
    Acc acc = R::init();
    if (valid)
      acc = fold_range<R, T>(acc, r, r.in + nd_offset(o, r.nkeep, r.keep_shape, r.keep_strides), lo + lane, hi, group);
    acc = warp_reduce<R>(acc);
    if (group > 32) {  // combine the block's warps through shared memory
      const int warp = threadIdx.x / 32;
      if (threadIdx.x % 32 == 0) warp_acc[warp] = acc;
      __syncthreads();
      if (warp == 0) {
        acc = threadIdx.x < kThreads / 32 ? warp_acc[threadIdx.x] : R::init();
        acc = warp_reduce<R>(acc);
      }
      __syncthreads();  // warp_acc is rewritten by the next iteration
    }
    if (lane == 0 && valid) {
      if (partial) partial[o * nsplit + split] = acc;
      else R::write(r, o, acc);
    }
  }
}

// Pass 1, columns mode: x (threadIdx % 32) = output, y (threadIdx / 32) = slice of r.
template <class R, class T>
__global__ void __launch_bounds__(kThreads)
    reduce_cols_kernel(const __grid_constant__ ReduceIter r, int64_t chunk, typename R::Acc* partial) {
  using Acc = typename R::Acc;
  constexpr int kX = 32, kY = kThreads / 32;
  __shared__ Acc slice_acc[kY][kX];
  const int tx = threadIdx.x % kX, ty = threadIdx.x / kX;
  const int64_t split = blockIdx.y, nsplit = gridDim.y;
  const int64_t lo = split * chunk;
  const int64_t hi = lo + chunk < r.red_numel ? lo + chunk : r.red_numel;
  for (int64_t ob = int64_t(blockIdx.x) * kX; ob < r.out_numel; ob += int64_t(gridDim.x) * kX) {
    const int64_t o = ob + tx;
    const bool valid = o < r.out_numel;
    Acc acc = R::init();
    if (valid)
      acc = fold_range<R, T>(acc, r, r.in + nd_offset(o, r.nkeep, r.keep_shape, r.keep_strides), lo + ty, hi, kY);
    slice_acc[ty][tx] = acc;
    __syncthreads();
    if (ty == 0) {
      for (int y = 1; y < kY; ++y) acc = R::merge(acc, slice_acc[y][tx]);  // fixed order
      if (valid) {
        if (partial) partial[o * nsplit + split] = acc;
        else R::write(r, o, acc);
      }
    }
    __syncthreads();  // slice_acc is rewritten by the next iteration
  }
}

// Pass 2: one warp per output merges its nsplit partials (lane l takes chunks
// l, l + 32, ... in order, then the fixed shuffle tree).
template <class R>
__global__ void __launch_bounds__(kThreads)
    reduce_partials_kernel(const __grid_constant__ ReduceIter r, const typename R::Acc* partial, int64_t nsplit) {
  using Acc = typename R::Acc;
  constexpr int kWarps = kThreads / 32;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int64_t o = int64_t(blockIdx.x) * kWarps + warp; o < r.out_numel; o += int64_t(gridDim.x) * kWarps) {
    Acc acc = R::init();
    for (int64_t s = lane; s < nsplit; s += 32) acc = R::merge(acc, partial[o * nsplit + s]);
    acc = warp_reduce<R>(acc);
    if (lane == 0) R::write(r, o, acc);
  }
}

constexpr int64_t kMaxGridX = 65535LL * 32;  // grid-stride loops: more blocks buy nothing
constexpr int64_t kMaxSplits = 65535;        // gridDim.y limit

template <class R, class T> void reduce_launch(ReduceIter& r, const char* name) {
  using Acc = typename R::Acc;
  TG_CHECK(r.nkeep >= 0 && r.nkeep <= kMaxIterDims && r.nred >= 0 && r.nred <= kMaxIterDims, name,
           ": bad reduction rank");
  TG_CHECK(r.out_numel >= 0 && r.red_numel >= 0, name, ": bad reduction sizes");
  if (r.out_numel == 0) return;
  const int device = use_device_of(r.out);
  const int64_t isz = int64_t(sizeof(T));

  const bool keep_inner_contig = r.nkeep > 0 && r.keep_strides[r.nkeep - 1] == isz;
  const bool red_inner_contig = r.nred > 0 && r.red_strides[r.nred - 1] == isz;
  const bool cols = keep_inner_contig && !red_inner_contig && r.red_numel > 1;

  // Threads per output and the outputs' blocks.
  int group = kThreads;
  int64_t blocks_x, min_chunk;
  if (cols) {
    blocks_x = (r.out_numel + 31) / 32;
    min_chunk = 16 * (kThreads / 32);  // >= 16 elements per y-slice
  } else {
    group = r.red_numel <= 2048 ? 32 : kThreads;
    const int64_t per_block = kThreads / group;
    blocks_x = (r.out_numel + per_block - 1) / per_block;
    min_chunk = 16 * int64_t(group);  // >= 16 elements per lane
  }
  // Split r when the outputs alone leave the GPU idle.
  const int64_t target_blocks = int64_t(sm_count(device)) * 8;
  int64_t nsplit = 1;
  if (blocks_x < target_blocks && r.red_numel > min_chunk) {
    nsplit = (target_blocks + blocks_x - 1) / blocks_x;
    const int64_t by_size = (r.red_numel + min_chunk - 1) / min_chunk;
    if (nsplit > by_size) nsplit = by_size;
    if (nsplit > kMaxSplits) nsplit = kMaxSplits;
  }
  int64_t chunk = r.red_numel;
  if (nsplit > 1) {
    chunk = (r.red_numel + nsplit - 1) / nsplit;
    nsplit = (r.red_numel + chunk - 1) / chunk;  // no empty chunks
  }
  const dim3 grid(unsigned(blocks_x < kMaxGridX ? blocks_x : kMaxGridX), unsigned(nsplit));

  auto pass1 = [&](Acc* partial) {
    if (cols) reduce_cols_kernel<R, T><<<grid, kThreads, 0, current_stream()>>>(r, chunk, partial);
    else reduce_rows_kernel<R, T><<<grid, kThreads, 0, current_stream()>>>(r, group, chunk, partial);
    TG_CUDA_CHECK_LAUNCH(name);
  };
  if (nsplit == 1) {
    pass1(nullptr);
    return;
  }
  // nsplit > 1 only when out_numel is small (blocks_x < target_blocks), so this cannot overflow.
  DeviceBuffer partial(r.out_numel * nsplit * int64_t(sizeof(Acc)), device);
  pass1(partial.as<Acc>());
  const int64_t blocks2 = (r.out_numel + kThreads / 32 - 1) / (kThreads / 32);
  reduce_partials_kernel<R><<<unsigned(blocks2 < kMaxGridX ? blocks2 : kMaxGridX), kThreads, 0, current_stream()>>>(
      r, partial.as<Acc>(), nsplit);
  TG_CUDA_CHECK_LAUNCH(name);
}

}  // namespace tg::cuda::reduction
