// Strided GEMM on the GPU: C = A @ B (+ C when accumulate), semantics of
// cpu/gemm.h. Dimension letters: A is M x K, B is K x N, C is M x N; every
// operand is addressed X[i, j] = X[i * rs + j * cs] with strides in elements,
// so transposed and sliced views need no copy. accumulate=false never reads C
// (it may hold garbage or NaN); K == 0 gives C = 0 (or leaves C unchanged when
// accumulating).
//
// gemm_tile_kernel: classic shared-memory tiling with register blocking.
//   A block of 256 threads computes a BM x BN tile of C, stepping over K in
//   BK-wide slabs. Each slab of A (BM x BK) and B (BK x BN) is staged in
//   shared memory (A transposed, so both are read along m / n), double
//   buffered: the next slab is loaded into registers while the current one
//   is multiplied, then stored to the other buffer (one barrier per slab).
//   Each thread owns a TM x TN sub-tile of C split in two halves per
//   direction (rows ty*TM/2.. and BM/2 + ty*TM/2..) so a warp's shared-memory
//   reads are broadcasts or consecutive words.
//   Global loads go through (rs, cs): the thread -> element mapping walks the
//   operand's unit-stride direction when it has one, so loads coalesce for
//   both normal and transposed layouts. Out-of-range rows/cols/k load 0.
//   float: 128 x 128 x 8 tiles, 8 x 8 per thread. double: 64 x 64 x 8, 4 x 4.
// gemm_dot_kernel: one warp per output element, lanes splitting K; for
//   outputs too few or too thin (vectors) to fill 128 x 128 tiles.
#include "helpers.cuh"
#include "kernels.h"

namespace tg::cuda {
namespace {

constexpr int kGemmThreads = 256;  // 16 x 16 threads per tile block
constexpr int kGroupM = 8;         // tile rows per group in the tile order

template <class T> struct TileConfig;
template <> struct TileConfig<float> {
  static constexpr int BM = 128, BN = 128, BK = 8, TM = 8, TN = 8;
};
template <> struct TileConfig<double> {
  static constexpr int BM = 64, BN = 64, BK = 8, TM = 4, TN = 4;
};

struct GemmArgs {
  int64_t M, N, K;
  int64_t rsa, csa, rsb, csb, rsc, csc;
  bool accumulate;
};

template <class T>
__global__ void __launch_bounds__(kGemmThreads)
    gemm_tile_kernel(const __grid_constant__ GemmArgs g, const T* A, const T* B, T* C) {
  using Cfg = TileConfig<T>;
  constexpr int BM = Cfg::BM, BN = Cfg::BN, BK = Cfg::BK, TM = Cfg::TM, TN = Cfg::TN;
  static_assert((BM / TM) * (BN / TN) == kGemmThreads, "one thread per TM x TN sub-tile");
  static_assert((BM * BK) % kGemmThreads == 0 && (BK * BN) % kGemmThreads == 0, "whole slabs per thread");
  constexpr int LA = BM * BK / kGemmThreads, LB = BK * BN / kGemmThreads;  // slab elements per thread
  constexpr int PAD = 16 / int(sizeof(T));  // keeps rows 16-byte aligned and spreads banks on transposed stores
  __shared__ __align__(16) T As[2][BK][BM + PAD];
  __shared__ __align__(16) T Bs[2][BK][BN + PAD];

  const int tid = threadIdx.x;
  const int tx = tid % (BN / TN), ty = tid / (BN / TN);
  const bool a_k_contig = g.csa == 1;  // else walk m (best when rsa == 1)
  const bool b_n_contig = g.csb == 1;  // else walk k (best when rsb == 1)
  // Tile order: grid.x is linear over tiles, grouped kGroupM tile rows at a
  // time so blocks running together share A rows and B columns in L2.
  // (64-bit: kGroupM * tiles_n may exceed int when M is small and N huge.)
  const int64_t tiles_n = (g.N + BN - 1) / BN, tiles_m = (g.M + BM - 1) / BM;
  const int64_t pid = blockIdx.x, width = kGroupM * tiles_n;
  const int64_t first_m = (pid / width) * kGroupM;
  const int64_t group_rows = tiles_m - first_m < kGroupM ? tiles_m - first_m : kGroupM;
  const int64_t m0 = (first_m + (pid % width) % group_rows) * BM;
  const int64_t n0 = ((pid % width) / group_rows) * BN;
  const int64_t ktiles = (g.K + BK - 1) / BK;
  T ra[LA], rb[LB];
  auto load_slab = [&](int64_t k0) {
#pragma unroll
    for (int l = 0; l < LA; ++l) {
      const int e = tid + l * kGemmThreads;
      const int m = a_k_contig ? e / BK : e % BM;
      const int k = a_k_contig ? e % BK : e / BM;
      const int64_t gm = m0 + m, gk = k0 + k;
      ra[l] = (gm < g.M && gk < g.K) ? A[gm * g.rsa + gk * g.csa] : T(0);
    }
#pragma unroll
    for (int l = 0; l < LB; ++l) {
      const int e = tid + l * kGemmThreads;
      const int n = b_n_contig ? e % BN : e / BK;
      const int k = b_n_contig ? e / BN : e % BK;
      const int64_t gn = n0 + n, gk = k0 + k;
      rb[l] = (gn < g.N && gk < g.K) ? B[gk * g.rsb + gn * g.csb] : T(0);
    }
  };
  auto store_slab = [&](int buf) {
#pragma unroll
    for (int l = 0; l < LA; ++l) {
      const int e = tid + l * kGemmThreads;
      const int m = a_k_contig ? e / BK : e % BM;
      const int k = a_k_contig ? e % BK : e / BM;
      As[buf][k][m] = ra[l];
    }
#pragma unroll
    for (int l = 0; l < LB; ++l) {
      const int e = tid + l * kGemmThreads;
      const int n = b_n_contig ? e % BN : e / BK;
      const int k = b_n_contig ? e / BN : e % BK;
      Bs[buf][k][n] = rb[l];
    }
  };

  T acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

  if (ktiles > 0) {
    load_slab(0);
    store_slab(0);
    __syncthreads();
  }
  for (int64_t kt = 0; kt < ktiles; ++kt) {
    const int buf = int(kt & 1);
    const bool has_next = kt + 1 < ktiles;
    if (has_next) load_slab((kt + 1) * BK);  // in flight while we multiply
#pragma unroll
    for (int k = 0; k < BK; ++k) {
      T a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM / 2; ++i) {
        a[i] = As[buf][k][ty * (TM / 2) + i];
        a[TM / 2 + i] = As[buf][k][BM / 2 + ty * (TM / 2) + i];
      }
#pragma unroll
      for (int j = 0; j < TN / 2; ++j) {
        b[j] = Bs[buf][k][tx * (TN / 2) + j];
        b[TN / 2 + j] = Bs[buf][k][BN / 2 + tx * (TN / 2) + j];
      }
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);
    }
    // The other buffer was last read in the previous step, before the
    // barrier that ended it, so it can be overwritten now.
    if (has_next) store_slab(buf ^ 1);
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int64_t m = m0 + (i < TM / 2 ? ty * (TM / 2) + i : BM / 2 + ty * (TM / 2) + (i - TM / 2));
    if (m >= g.M) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int64_t n = n0 + (j < TN / 2 ? tx * (TN / 2) + j : BN / 2 + tx * (TN / 2) + (j - TN / 2));
      if (n >= g.N) continue;
      T* c = C + m * g.rsc + n * g.csc;
      *c = g.accumulate ? acc[i][j] + *c : acc[i][j];
    }
  }
}

// One warp per C element: lanes take k = lane, lane + 32, ... and combine with
// a fixed shuffle tree (deterministic).
template <class T>
__global__ void __launch_bounds__(kThreads)
    gemm_dot_kernel(const __grid_constant__ GemmArgs g, const T* A, const T* B, T* C) {
  constexpr int kWarps = kThreads / 32;
  const int lane = threadIdx.x % 32;
  const int64_t total = g.M * g.N;
  for (int64_t o = int64_t(blockIdx.x) * kWarps + threadIdx.x / 32; o < total; o += int64_t(gridDim.x) * kWarps) {
    const int64_t m = o / g.N, n = o % g.N;
    T acc = T(0);
    for (int64_t k = lane; k < g.K; k += 32) acc = fma(A[m * g.rsa + k * g.csa], B[k * g.rsb + n * g.csb], acc);
#pragma unroll
    for (int delta = 16; delta > 0; delta /= 2) acc += __shfl_down_sync(kFullMask, acc, delta);
    if (lane == 0) {
      T* c = C + m * g.rsc + n * g.csc;
      *c = g.accumulate ? acc + *c : acc;
    }
  }
}

}  // namespace

template <class T>
void gemm(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb,
          int64_t csb, T* C, int64_t rsc, int64_t csc, bool accumulate) {
  TG_CHECK(M >= 0 && N >= 0 && K >= 0, "gemm: negative size (", M, ", ", N, ", ", K, ")");
  if (M == 0 || N == 0) return;
  if (K == 0 && accumulate) return;  // C + 0 == C; skipping also keeps -0.0 and NaN payloads exact
  TG_CHECK(C != nullptr && (K == 0 || (A != nullptr && B != nullptr)), "gemm: null operand");
  const int device = use_device_of(C);
  const GemmArgs g{M, N, K, rsa, csa, rsb, csb, rsc, csc, accumulate};

  // Few or thin outputs: 128 x 128 tiles would sit mostly idle; parallelize over K instead.
  if (M * N <= 8192 || M == 1 || N == 1) {
    const int64_t warps_per_block = kThreads / 32;
    const unsigned grid = grid_for(M * N, warps_per_block, device);
    gemm_dot_kernel<T><<<grid, kThreads>>>(g, A, B, C);
    TG_CUDA_CHECK_LAUNCH("gemm_dot_kernel");
    return;
  }
  using Cfg = TileConfig<T>;
  const int64_t tiles = ((N + Cfg::BN - 1) / Cfg::BN) * ((M + Cfg::BM - 1) / Cfg::BM);
  // gridDim.x limit; C would be hundreds of terabytes before this trips.
  TG_CHECK(tiles <= int64_t(0x7fffffff), "gemm: ", M, " x ", N, " output is too large");
  const unsigned grid = unsigned(tiles);
  gemm_tile_kernel<T><<<grid, kGemmThreads>>>(g, A, B, C);
  TG_CUDA_CHECK_LAUNCH("gemm_tile_kernel");
}

template void gemm<float>(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t,
                          float*, int64_t, int64_t, bool);
template void gemm<double>(int64_t, int64_t, int64_t, const double*, int64_t, int64_t, const double*, int64_t,
                           int64_t, double*, int64_t, int64_t, bool);

}  // namespace tg::cuda
