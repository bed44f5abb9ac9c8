// A batch of GEMMs of one shape run by one kernel launch (bmm over its batch, conv2d over (image, group)):
// the problems' base offsets, shared by gemm.cu's kernels (which problem a block works on, from blockIdx.z),
// its launcher (launches of at most gridDim.z's 65535 problems), conv_index.h (the convolution's batches) and
// the host-side test conv_index_test.cpp, so the test runs the very decomposition the kernels use.
// Plain C++ (host and device), no CUDA headers.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define TG_GEMM_HD __host__ __device__ __forceinline__
#else
#define TG_GEMM_HD inline
#endif

namespace tg::cuda {

// `count` GEMMs of one shape. Problem z (0 <= z < count) is split in two levels, z = outer * inner + i with
// 0 <= i < inner (e.g. image and group, each with its own strides; bmm uses one level: inner = 1), and runs on
// A + outer * a_outer + i * a_inner, B + outer * b_outer + i * b_inner and C + outer * c_outer + i * c_inner
// (offsets in elements). The problems run concurrently: their C regions must not overlap. The default is the
// single GEMM.
struct GemmBatch {
  int64_t count = 1, inner = 1;
  int64_t a_outer = 0, a_inner = 0, b_outer = 0, b_inner = 0, c_outer = 0, c_inner = 0;
};

struct GemmOffsets {
  int64_t a, b, c;
};

struct PlainDivision {
  TG_GEMM_HD void operator()(int64_t n, int64_t d, int64_t& q, int64_t& r) const {
    q = n / d;
    r = n - q * d;
  }
};

// The element offsets of problem z from the three base pointers. `div(n, d, q, r)` divides (q = n / d,
// r = n % d for n >= 0): the kernels pass their 32-bit fast path (gemm.cu), the host plain division.
template <class Div = PlainDivision>
TG_GEMM_HD GemmOffsets batch_offsets(const GemmBatch& batch, int64_t z, Div div = {}) {
  int64_t outer, i;
  div(z, batch.inner, outer, i);
  return {outer * batch.a_outer + i * batch.a_inner, outer * batch.b_outer + i * batch.b_inner,
          outer * batch.c_outer + i * batch.c_inner};
}

// Most problems per launch: gridDim.z's limit (the kernels take problem z0 + blockIdx.z).
constexpr int64_t kMaxBatchPerLaunch = 65535;

// Calls launch(z0, n) for consecutive runs of at most max_per_launch problems covering [0, count), in order.
template <class Launch> void for_each_batch_launch(int64_t count, int64_t max_per_launch, Launch launch) {
  for (int64_t z0 = 0; z0 < count; z0 += max_per_launch)
    launch(z0, count - z0 < max_per_launch ? count - z0 : max_per_launch);
}

}  // namespace tg::cuda
