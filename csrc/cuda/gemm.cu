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
// gemv_split_kernel + gemv_finish_kernel: a vector output (M == 1 or N == 1)
//   whose matrix operand is contiguous along the output rather than along K
//   (x @ W with W row-major): the warp-per-element kernel would read it with a
//   large stride. One thread per output element walks a chunk of K, so a
//   warp reads 32 consecutive elements per k; K is split into chunks over
//   blockIdx.y (enough threads to fill the GPU) whose partial sums the finish
//   kernel adds in chunk order (deterministic).
// gemm_tc_kernel: tensor cores (sm_80+; other GPUs and small outputs take the
//   FP32 kernels above), one template over the input type:
//   - float32 when torch.backends.cuda.matmul.allow_tf32 is on: inputs rounded
//     to TF32 (cvt.rna: 10-bit mantissa, float32 range), mma.sync m16n8k8;
//   - float16 / bfloat16 (gemm_reduced): mma.sync m16n8k16 on the 16-bit
//     inputs, 16-bit C; addmm's C + A @ B is formed in float32 and rounded
//     once to the output type, as cuBLAS does for torch.
//   Both accumulate in float32. gemm_16bit (conv2d's GEMMs) runs the 16-bit
//   inputs at any size: the tensor-core kernel for outputs that fill the
//   tiles (also with a float32 C, for sums that go on across calls), else the
//   vector and one-warp-per-element kernels above on the 16-bit operands with
//   float32 sums (acc_t). Tile shapes, thread mappings and fragment
//   layouts: mma_layout.h (checked on the CPU by mma_layout_test.cpp).
//   256 threads = 8 warps (2 x 4) per 128 x 128 tile of C; each warp owns
//   64 x 32 = 4 x 4 mma tiles (64 accumulators per thread). K advances in
//   64-byte slabs (16 floats, 32 halves) through a two-stage cp.async pipeline: slab k+1 is copied
//   global -> shared while slab k is multiplied (40 KB of shared memory;
//   128 registers, so two blocks share an SM).
//   Each operand is seen as an MN x K matrix (A: m x k, B: n x k) and its
//   shared tile keeps the global layout: [mn][k] rows of BK (+16 bytes pad)
//   when k has unit stride, else [k][mn] rows of 128 (+8 elements pad). So copies walk global
//   memory contiguously, and with those pads the fragment reads of all four
//   layout pairs are bank-conflict free. Copies are 16 bytes when the walked
//   direction has unit stride, the other stride is a multiple of 16 bytes and
//   the base is 16-byte aligned, else one element (any strides: cp.async of 4
//   bytes for float, a direct load and store for 16-bit types, which cp.async
//   cannot copy alone); whatever lies past M, N or K is zero-filled, so every
//   size works without packing.
// Batches (gemm_batch.h: bmm, conv2d's (image, group) GEMMs): every kernel
//   above takes one. A launch covers problems z0 .. z0 + gridDim.z - 1
//   (at most 65535: one launch per run of that many), each block working on
//   problem z0 + blockIdx.z: its offsets are added to the base pointers at the
//   start (the tensor-core kernel keeps its bases in shared memory,
//   its registers being at the limit). The kernel is chosen by the shape of
//   one problem, so every problem is computed as the single GEMM would be;
//   the vector kernels split K only as far as the whole batch needs to fill
//   the GPU, each problem's partial sums in its own slice.
#include "allocator.h"
#include "helpers.cuh"
#include "kernels.h"
#include "mma_layout.h"

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
  GemmBatch batch;  // a launch runs problems z0 + blockIdx.z of it (gemm_batch.h)
  int64_t z0;
};

// batch_offsets' division: 32-bit when both operands fit (divmod_u64). The inlined 64-bit sequence would cost
// the FP32 tile kernel some 80 registers (206 instead of 124: one block per SM instead of two).
struct FastDivision {
  __device__ __forceinline__ void operator()(int64_t n, int64_t d, int64_t& q, int64_t& r) const {
    uint64_t uq, ur;
    divmod_u64(uint64_t(n), uint64_t(d), uq, ur);
    q = int64_t(uq);
    r = int64_t(ur);
  }
};

// The offsets of this block's problem of the batch (problem z0 + blockIdx.z).
__device__ __forceinline__ GemmOffsets block_problem(const GemmBatch& batch, int64_t z0) {
  return batch_offsets(batch, z0 + int64_t(blockIdx.z), FastDivision{});
}

// Moves the operands' base pointers to this block's problem of the batch.
template <class TA, class TB, class TC>
__device__ __forceinline__ void to_problem(const GemmBatch& batch, int64_t z0, TA*& A, TB*& B, TC*& C) {
  const GemmOffsets o = block_problem(batch, z0);
  A += o.a;
  B += o.b;
  C += o.c;
}

// Top-left corner of this block's BM x BN tile of C. Tile order: grid.x is
// linear over tiles, grouped kGroupM tile rows at a time so blocks running
// together share A rows and B columns in L2.
// (64-bit: kGroupM * tiles_n may exceed int when M is small and N huge.)
__device__ __forceinline__ void tile_origin(const GemmArgs& g, int BM, int BN, int64_t& m0, int64_t& n0) {
  const int64_t tiles_n = (g.N + BN - 1) / BN, tiles_m = (g.M + BM - 1) / BM;
  const int64_t pid = blockIdx.x, width = kGroupM * tiles_n;
  const int64_t first_m = (pid / width) * kGroupM;
  const int64_t group_rows = tiles_m - first_m < kGroupM ? tiles_m - first_m : kGroupM;
  m0 = (first_m + (pid % width) % group_rows) * BM;
  n0 = ((pid % width) / group_rows) * BN;
}

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
  to_problem(g.batch, g.z0, A, B, C);

  const int tid = threadIdx.x;
  const int tx = tid % (BN / TN), ty = tid / (BN / TN);
  const bool a_k_contig = g.csa == 1;  // else walk m (best when rsa == 1)
  const bool b_n_contig = g.csb == 1;  // else walk k (best when rsb == 1)
  int64_t m0, n0;
  tile_origin(g, BM, BN, m0, n0);
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
// a fixed shuffle tree (deterministic). Sums in acc_t<T> (float32 for 16-bit
// inputs), C of OutT (T, or float32 for 16-bit T), one rounding.
template <class T, class OutT>
__global__ void __launch_bounds__(kThreads)
    gemm_dot_kernel(const __grid_constant__ GemmArgs g, const T* A, const T* B, OutT* C) {
  using Acc = acc_t<T>;
  constexpr int kWarps = kThreads / 32;
  to_problem(g.batch, g.z0, A, B, C);
  const int lane = threadIdx.x % 32;
  const int64_t total = g.M * g.N;
  for (int64_t o = int64_t(blockIdx.x) * kWarps + threadIdx.x / 32; o < total; o += int64_t(gridDim.x) * kWarps) {
    const int64_t m = o / g.N, n = o % g.N;
    Acc acc = Acc(0);
    for (int64_t k = lane; k < g.K; k += 32)
      acc = fma(Acc(A[m * g.rsa + k * g.csa]), Acc(B[k * g.rsb + n * g.csb]), acc);
#pragma unroll
    for (int delta = 16; delta > 0; delta /= 2) acc += __shfl_down_sync(kFullMask, acc, delta);
    if (lane == 0) {
      OutT* c = C + m * g.rsc + n * g.csc;
      *c = OutT(g.accumulate ? acc + Acc(*c) : acc);
    }
  }
}

// out[l] = sum over k in chunk blockIdx.y of X[l * sl + k * sk] * v[k * sv], as one partial per chunk
// (partial[(blockIdx.z * chunks + chunk) * L + l]), or straight into C (c[l * sc], accumulating when asked) when
// there is one chunk. Batched like GemmArgs, with batch's A for X and its B for v.
struct GemvArgs {
  int64_t L, K, chunk;  // output length, reduction length, k per chunk
  int64_t sl, sk, sv, sc;
  bool accumulate;
  GemmBatch batch;
  int64_t z0;
};

// (Sums and partials in acc_t<T>, C of OutT, as gemm_dot_kernel.)
template <class T, class OutT>
__global__ void __launch_bounds__(kThreads)
    gemv_split_kernel(const __grid_constant__ GemvArgs g, const T* X, const T* v, acc_t<T>* partial, OutT* C) {
  using Acc = acc_t<T>;
  const int64_t l = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (l >= g.L) return;
  to_problem(g.batch, g.z0, X, v, C);
  const int64_t k0 = int64_t(blockIdx.y) * g.chunk;
  const int64_t k1 = k0 + g.chunk < g.K ? k0 + g.chunk : g.K;
  const T* x = X + l * g.sl;
  Acc acc = Acc(0);
  for (int64_t k = k0; k < k1; ++k) acc = fma(Acc(x[k * g.sk]), Acc(v[k * g.sv]), acc);
  if (gridDim.y > 1) {
    partial[(int64_t(blockIdx.z) * gridDim.y + blockIdx.y) * g.L + l] = acc;
  } else {
    OutT* c = C + l * g.sc;
    *c = OutT(g.accumulate ? acc + Acc(*c) : acc);
  }
}

template <class T, class OutT>
__global__ void __launch_bounds__(kThreads)
    gemv_finish_kernel(const __grid_constant__ GemvArgs g, int64_t chunks, const acc_t<T>* partial, OutT* C) {
  using Acc = acc_t<T>;
  const int64_t l = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (l >= g.L) return;
  C += block_problem(g.batch, g.z0).c;
  partial += int64_t(blockIdx.z) * chunks * g.L;  // this problem's partials
  Acc acc = partial[l];
  for (int64_t s = 1; s < chunks; ++s) acc += partial[s * g.L + l];
  OutT* c = C + l * g.sc;
  *c = OutT(g.accumulate ? acc + Acc(*c) : acc);
}

// The batch with A and B's offsets exchanged (the vector kernels' X is B when M == 1).
GemmBatch swap_ab(GemmBatch b) {
  std::swap(b.a_outer, b.b_outer);
  std::swap(b.a_inner, b.b_inner);
  return b;
}

// The vector case of gemm_impl when the matrix operand steps by 1 along the output: returns false otherwise.
template <class T, class OutT> bool launch_gemv(const GemmArgs& g, const T* A, const T* B, OutT* C, int device) {
  GemvArgs a{};
  const T *X, *v;
  if (g.M == 1 && g.csb == 1 && g.rsb != 1) {  // C[0, n] = sum_k A[0, k] B[k, n]
    a = GemvArgs{g.N, g.K, 0, g.csb, g.rsb, g.csa, g.csc, g.accumulate, swap_ab(g.batch), 0};
    X = B, v = A;
  } else if (g.N == 1 && g.rsa == 1 && g.csa != 1) {  // C[m, 0] = sum_k A[m, k] B[k, 0]
    a = GemvArgs{g.M, g.K, 0, g.rsa, g.csa, g.rsb, g.rsc, g.accumulate, g.batch, 0};
    X = A, v = B;
  } else {
    return false;
  }
  const int64_t blocks_l = (a.L + kThreads - 1) / kThreads;
  // Enough blocks for about 8 per SM over the whole batch, each chunk of K at least 64 long.
  const int64_t blocks = blocks_l * a.batch.count;
  int64_t chunks = (int64_t(sm_count(device)) * 8 + blocks - 1) / blocks;
  const int64_t max_chunks = (a.K + 63) / 64;
  if (chunks > max_chunks) chunks = max_chunks;
  if (chunks > 65535) chunks = 65535;  // gridDim.y
  if (chunks < 1) chunks = 1;
  a.chunk = (a.K + chunks - 1) / chunks;
  chunks = (a.K + a.chunk - 1) / a.chunk;
  if (chunks < 1) chunks = 1;
  TG_CHECK(blocks_l <= int64_t(0x7fffffff), "gemm: output of ", a.L, " elements is too large");
  if (chunks == 1) {
    for_each_batch_launch(a.batch.count, kMaxBatchPerLaunch, [&](int64_t z0, int64_t nz) {
      a.z0 = z0;
      const dim3 grid{unsigned(blocks_l), 1u, unsigned(nz)};
      gemv_split_kernel<T, OutT><<<grid, kThreads, 0, current_stream()>>>(a, X, v, nullptr, C);
      TG_CUDA_CHECK_LAUNCH("gemv_split_kernel");
    });
    return true;
  }
  // Partial sums of one launch's problems, reused by the next launch (same stream). (More than one chunk means
  // fewer than 8 blocks per SM without the split: a small batch, one launch.)
  using Acc = acc_t<T>;
  const int64_t per_launch = std::min(a.batch.count, kMaxBatchPerLaunch);
  DeviceBuffer partial(per_launch * chunks * a.L * int64_t(sizeof(Acc)), device);
  for_each_batch_launch(a.batch.count, kMaxBatchPerLaunch, [&](int64_t z0, int64_t nz) {
    a.z0 = z0;
    const dim3 grid{unsigned(blocks_l), unsigned(chunks), unsigned(nz)}, finish{unsigned(blocks_l), 1u, unsigned(nz)};
    gemv_split_kernel<T, OutT><<<grid, kThreads, 0, current_stream()>>>(a, X, v, partial.as<Acc>(), C);
    TG_CUDA_CHECK_LAUNCH("gemv_split_kernel");
    gemv_finish_kernel<T, OutT><<<finish, kThreads, 0, current_stream()>>>(a, chunks, partial.as<Acc>(), C);
    TG_CUDA_CHECK_LAUNCH("gemv_finish_kernel");
  });
  return true;
}

// ------------------------------------------------------- tensor cores (TF32, float16, bfloat16)
// One kernel for the three input types E (float rounded to TF32, Half, BFloat16); the tile shapes, thread
// mappings and fragment layouts are in mma_layout.h (shared with the host-side test mma_layout_test.cpp).
namespace tc {
using namespace mma_layout;

// Operand X of the product as an MN x K matrix: element (mn, k) at x[mn * s_mn + k * s_k], x the base of
// problem 0 of the batch (the kernel adds the others' offsets).
template <class E> struct Operand {
  const E* x;
  int64_t s_mn, s_k, MN;
  bool vec;  // 16-byte copies allowed (see launch_gemm_tc)
};

template <class E> constexpr int kBytes = int(sizeof(E));
template <class E> using ShapeOf = Shape<kBytes<E>>;

#if __CUDA_ARCH__ >= 800
// NOTE: src_bytes < the copy size zero-fills the rest of the destination;
// 0 reads nothing (src must still be a valid address).
__device__ __forceinline__ void cp_async4(void* dst, const void* src, int src_bytes) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(d), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int src_bytes) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cp_async_wait_all_but_newest() { asm volatile("cp.async.wait_group 1;\n" ::); }

__device__ __forceinline__ uint32_t to_tf32(float v) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(v));
  return r;
}

// d += a * b for one 16 x 8 tile (fragments: mma_layout.h), float32 accumulation.
template <class E> __device__ __forceinline__ void mma(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]);
template <> __device__ __forceinline__ void mma<float>(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
template <> __device__ __forceinline__ void mma<Half>(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
template <>
__device__ __forceinline__ void mma<BFloat16>(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// One fragment register from shared tile s: element (mn, k) as TF32, or the
// 16-bit pair (mn, k) (low half), (mn, k + 1) (high half).
template <class E, bool KC> __device__ __forceinline__ uint32_t fragment_register(const E* s, int mn, int k) {
  if constexpr (std::is_same_v<E, float>) {
    return to_tf32(s[smem_index<4, KC>(mn, k)]);
  } else if constexpr (KC) {  // the pair is adjacent (k even, rows of even length): one 32-bit read
    return *reinterpret_cast<const uint32_t*>(s + smem_index<2, true>(mn, k));
  } else {
    return uint32_t(s[smem_index<2, false>(mn, k)].bits) | (uint32_t(s[smem_index<2, false>(mn, k + 1)].bits) << 16);
  }
}

// Issues the copies of the BM x BK slab (mn0, k0) of X (op's layout, this problem's base `base`) into s
// (thread mapping: copy_coord). 16-byte copies go through cp.async; single-element ones too for float
// (4 bytes), while 16-bit elements (cp.async has no 2-byte copy) are loaded and stored directly, into the
// stage no thread reads during this step.
template <class E, bool KC>
__device__ __forceinline__ void load_slab(E* s, const Operand<E>& op, const E* base, int64_t mn0, int64_t k0,
                                          int64_t K) {
  using S = ShapeOf<E>;
  constexpr int LD = KC ? S::LD_K : S::LD_MN;
  const int64_t s_in = KC ? op.s_k : op.s_mn, s_out = KC ? op.s_mn : op.s_k;
  const int64_t in_left = KC ? K - k0 : op.MN - mn0, out_left = KC ? op.MN - mn0 : K - k0;
  const E* x = base + mn0 * op.s_mn + k0 * op.s_k;  // element (mn0, k0): always in range
  if (op.vec) {                                     // s_in == 1: VEC inner elements per copy, fewer at the edge
#pragma unroll
    for (int l = 0; l < copy_passes<kBytes<E>>(true); ++l) {
      const Coord c = copy_coord<kBytes<E>, KC>(threadIdx.x, l, true);
      const int64_t left = in_left - c.col;
      const int n = left <= 0 ? 0 : (left < S::VEC ? int(left) : S::VEC);
      const bool ok = n > 0 && c.row < out_left;
      cp_async16(s + c.row * LD + c.col, ok ? x + c.row * s_out + c.col : x, ok ? kBytes<E> * n : 0);
    }
  } else {
#pragma unroll
    for (int l = 0; l < copy_passes<kBytes<E>>(false); ++l) {
      const Coord c = copy_coord<kBytes<E>, KC>(threadIdx.x, l, false);
      const bool ok = c.col < in_left && c.row < out_left;
      const E* p = x + c.col * s_in + c.row * s_out;
      if constexpr (std::is_same_v<E, float>) cp_async4(s + c.row * LD + c.col, ok ? p : x, ok ? 4 : 0);
      else s[c.row * LD + c.col] = ok ? *p : E(0.0f);
    }
  }
}
#endif  // __CUDA_ARCH__ >= 800

// C = A @ B (+ C): E inputs, float32 accumulation, one rounding to the output type OutT (float for TF32;
// E, or float for 16-bit E whose sums continue across calls). A_KC / B_KC: the operand's k direction has unit stride
// (shared layout [mn][k]). 256 threads, 128 x 128 tile of C; K advances in BK-deep slabs through a two-stage pipeline:
// slab k+1 is copied global -> shared while slab k is multiplied (40 KB of shared memory; two blocks per SM).
template <class E, class OutT, bool A_KC, bool B_KC>
__global__ void __launch_bounds__(kTcThreads, 2)
    gemm_tc_kernel(const __grid_constant__ GemmArgs g, const __grid_constant__ Operand<E> a_op,
                   const __grid_constant__ Operand<E> b_op, OutT* C) {
#if __CUDA_ARCH__ >= 800
  using S = ShapeOf<E>;
  constexpr int KB = kBytes<E>;
  __shared__ __align__(16) E As[2][S::STAGE];
  __shared__ __align__(16) E Bs[2][S::STAGE];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const Coord w = warp_origin(warp);
  int64_t m0, n0;
  tile_origin(g, BM, BN, m0, n0);
  const int64_t ktiles = (g.K + S::BK - 1) / S::BK;
  // This block's problem of the batch: its bases in shared memory, read where used (registers are at the
  // limit: holding them through the main loop, or dividing after it, would spill).
  __shared__ const E* problem_base[2];
  __shared__ OutT* problem_c;
  if (threadIdx.x == 0) {
    const GemmOffsets o = block_problem(g.batch, g.z0);
    problem_base[0] = a_op.x + o.a;
    problem_base[1] = b_op.x + o.b;
    problem_c = C + o.c;
  }
  __syncthreads();

  float acc[WM / 16][WN / 8][4] = {};
  if (ktiles > 0) {
    load_slab<E, A_KC>(As[0], a_op, problem_base[0], m0, 0, g.K);
    load_slab<E, B_KC>(Bs[0], b_op, problem_base[1], n0, 0, g.K);
  }
  cp_async_commit();
  for (int64_t kt = 0; kt < ktiles; ++kt) {
    const int buf = int(kt & 1);
    if (kt + 1 < ktiles) {  // into the other buffer, freed by the barrier that ended the last step
      load_slab<E, A_KC>(As[buf ^ 1], a_op, problem_base[0], m0, (kt + 1) * S::BK, g.K);
      load_slab<E, B_KC>(Bs[buf ^ 1], b_op, problem_base[1], n0, (kt + 1) * S::BK, g.K);
    }
    cp_async_commit();  // possibly empty: keeps "all but the newest group" meaning "slab kt"
    cp_async_wait_all_but_newest();
    __syncthreads();  // every thread's copies (and direct stores) of slab kt have landed
#pragma unroll
    for (int kk = 0; kk < S::BK; kk += S::MMA_K) {
      uint32_t af[WM / 16][4], bf[WN / 8][2];
#pragma unroll
      for (int i = 0; i < WM / 16; ++i)
#pragma unroll
        for (int r = 0; r < 4; ++r) {
          const Coord c = frag_a<KB>(lane, r);
          af[i][r] = fragment_register<E, A_KC>(As[buf], w.row + i * 16 + c.row, kk + c.col);
        }
#pragma unroll
      for (int j = 0; j < WN / 8; ++j)
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          const Coord c = frag_b<KB>(lane, r);  // (k, n)
          bf[j][r] = fragment_register<E, B_KC>(Bs[buf], w.col + j * 8 + c.col, kk + c.row);
        }
#pragma unroll
      for (int i = 0; i < WM / 16; ++i)
#pragma unroll
        for (int j = 0; j < WN / 8; ++j) mma<E>(acc[i][j], af[i], bf[j]);
    }
    __syncthreads();  // slab kt fully read: its buffer may be refilled next step
  }

  C = problem_c;
#pragma unroll
  for (int i = 0; i < WM / 16; ++i)
#pragma unroll
    for (int j = 0; j < WN / 8; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const Coord c = acc_c(lane, r);
        const int64_t m = m0 + w.row + i * 16 + c.row, n = n0 + w.col + j * 8 + c.col;
        if (m >= g.M || n >= g.N) continue;
        OutT* out = C + m * g.rsc + n * g.csc;
        // addmm: beta * C + alpha * (A @ B) in float32, then one rounding (as cuBLAS for torch)
        *out = OutT(g.accumulate ? acc[i][j][r] + float(*out) : acc[i][j][r]);
      }
#endif  // older GPUs never launch this kernel (see launch_gemm_tc)
}
}  // namespace tc

// Launches the tensor-core kernel for the operand layouts (one launch per kMaxBatchPerLaunch problems of the
// batch); false when this GPU has none (before sm_80).
template <class E, class OutT>
bool launch_gemm_tc(const GemmArgs& g, const E* A, const E* B, OutT* C, int device, unsigned grid) {
  if (device_properties(device).major < 8) return false;
  // 16-byte copies: unit stride along the walked direction, the other stride a multiple of 16 bytes, and
  // every problem's base 16-byte aligned (then every chunk is): problem 0's, and batch offsets of whole
  // 16-byte units.
  constexpr int64_t VEC = tc::ShapeOf<E>::VEC;
  auto make = [](const E* x, int64_t s_mn, int64_t s_k, int64_t MN, int64_t outer, int64_t inner) {
    const bool kc = s_k == 1;
    const int64_t s_out = kc ? s_mn : s_k;
    const bool vec = (kc || s_mn == 1) && s_out % VEC == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0 &&
                     outer % VEC == 0 && inner % VEC == 0;
    return tc::Operand<E>{x, s_mn, s_k, MN, vec};
  };
  const tc::Operand<E> a = make(A, g.rsa, g.csa, g.M, g.batch.a_outer, g.batch.a_inner);
  const tc::Operand<E> b = make(B, g.csb, g.rsb, g.N, g.batch.b_outer, g.batch.b_inner);
  const bool a_kc = g.csa == 1, b_kc = g.rsb == 1;
  constexpr int T = mma_layout::kTcThreads;
  for_each_batch_launch(g.batch.count, kMaxBatchPerLaunch, [&](int64_t z0, int64_t nz) {
    GemmArgs gz = g;
    gz.z0 = z0;
    const dim3 blocks{grid, 1u, unsigned(nz)};
    if (a_kc && b_kc) tc::gemm_tc_kernel<E, OutT, true, true><<<blocks, T, 0, current_stream()>>>(gz, a, b, C);
    else if (a_kc) tc::gemm_tc_kernel<E, OutT, true, false><<<blocks, T, 0, current_stream()>>>(gz, a, b, C);
    else if (b_kc) tc::gemm_tc_kernel<E, OutT, false, true><<<blocks, T, 0, current_stream()>>>(gz, a, b, C);
    else tc::gemm_tc_kernel<E, OutT, false, false><<<blocks, T, 0, current_stream()>>>(gz, a, b, C);
    TG_CUDA_CHECK_LAUNCH("gemm_tc_kernel");
  });
  return true;
}

// Blocks of BM x BN tiles covering the M x N output (the tile kernels' grid).
unsigned tile_grid(int64_t M, int64_t N, int BM, int BN) {
  const int64_t tiles = ((N + BN - 1) / BN) * ((M + BM - 1) / BM);
  // gridDim.x limit; C would be hundreds of terabytes before this trips.
  TG_CHECK(tiles <= int64_t(0x7fffffff), "gemm: ", M, " x ", N, " output is too large");
  return unsigned(tiles);
}

// T: float, double, or (with float32 accumulation) Half / BFloat16; OutT: T, or float for 16-bit T.
// The kernel is picked by the shape of one problem, so a batched GEMM runs each problem as the single GEMM of
// that shape would (same kernel, same sums), with blockIdx.z selecting the problem.
template <class T, class OutT>
void gemm_impl(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb,
               int64_t csb, OutT* C, int64_t rsc, int64_t csc, bool accumulate, bool allow_tf32,
               const GemmBatch& batch) {
  TG_CHECK(M >= 0 && N >= 0 && K >= 0, "gemm: negative size (", M, ", ", N, ", ", K, ")");
  TG_CHECK(batch.count >= 0 && batch.inner >= 1, "gemm: bad batch (", batch.count, " problems, ", batch.inner,
           " per outer step)");
  if (M == 0 || N == 0 || batch.count == 0) return;
  if (K == 0 && accumulate) return;  // C + 0 == C; skipping also keeps -0.0 and NaN payloads exact
  TG_CHECK(C != nullptr && (K == 0 || (A != nullptr && B != nullptr)), "gemm: null operand");
  const int device = use_device_of(C);
  const GemmArgs g{M, N, K, rsa, csa, rsb, csb, rsc, csc, accumulate, batch, 0};

  // Few or thin outputs: 128 x 128 tiles would sit mostly idle; parallelize over K instead
  // (in float32 even when TF32 is allowed: these are memory bound).
  if ((M == 1 || N == 1) && K > 0 && launch_gemv(g, A, B, C, device)) return;
  if (M * N > 8192 && M != 1 && N != 1) {
    if constexpr (is_reduced_float_v<T>) {
      // GPUs before sm_80 have no 16-bit mma: they take the one-warp-per-element kernel below
      if (launch_gemm_tc<T, OutT>(g, A, B, C, device, tile_grid(M, N, tc::BM, tc::BN))) return;
    } else {
      using Cfg = TileConfig<T>;
      static_assert(tc::BM == TileConfig<float>::BM && tc::BN == TileConfig<float>::BN, "same tile grid");
      const unsigned grid = tile_grid(M, N, Cfg::BM, Cfg::BN);
      if constexpr (std::is_same_v<T, float>)
        if (allow_tf32 && launch_gemm_tc<float, float>(g, A, B, C, device, grid)) return;
      for_each_batch_launch(batch.count, kMaxBatchPerLaunch, [&](int64_t z0, int64_t nz) {
        GemmArgs gz = g;
        gz.z0 = z0;
        gemm_tile_kernel<T><<<dim3(grid, 1u, unsigned(nz)), kGemmThreads, 0, current_stream()>>>(gz, A, B, C);
        TG_CUDA_CHECK_LAUNCH("gemm_tile_kernel");
      });
      return;
    }
  }
  const int64_t warps_per_block = kThreads / 32;
  // Blocks per problem: grid_for's, shared out over a batch (a large batch fills the GPU by itself).
  const int64_t fill = std::max<int64_t>(1, int64_t(sm_count(device)) * 32 / batch.count);
  const unsigned blocks = unsigned(std::min<int64_t>(grid_for(M * N, warps_per_block, device), fill));
  for_each_batch_launch(batch.count, kMaxBatchPerLaunch, [&](int64_t z0, int64_t nz) {
    GemmArgs gz = g;
    gz.z0 = z0;
    gemm_dot_kernel<T, OutT><<<dim3(blocks, 1u, unsigned(nz)), kThreads, 0, current_stream()>>>(gz, A, B, C);
    TG_CUDA_CHECK_LAUNCH("gemm_dot_kernel");
  });
}

}  // namespace

template <class T>
void gemm(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb,
          T* C, int64_t rsc, int64_t csc, bool accumulate, const GemmBatch& batch) {
  gemm_impl<T, T>(M, N, K, A, rsa, csa, B, rsb, csb, C, rsc, csc, accumulate, false, batch);
}

void gemm_tf32(int64_t M, int64_t N, int64_t K, const float* A, int64_t rsa, int64_t csa, const float* B, int64_t rsb,
               int64_t csb, float* C, int64_t rsc, int64_t csc, bool accumulate, const GemmBatch& batch) {
  gemm_impl<float, float>(M, N, K, A, rsa, csa, B, rsb, csb, C, rsc, csc, accumulate, true, batch);
}

bool gemm_reduced(DType dtype, int64_t M, int64_t N, int64_t K, const void* A, int64_t rsa, int64_t csa, const void* B,
                  int64_t rsb, int64_t csb, void* C, int64_t rsc, int64_t csc, bool accumulate,
                  const GemmBatch& batch) {
  TG_CHECK(M >= 0 && N >= 0 && K >= 0, "gemm: negative size (", M, ", ", N, ", ", K, ")");
  TG_CHECK(dtype == DType::Float16 || dtype == DType::BFloat16, "gemm_reduced: float16 or bfloat16 only");
  TG_CHECK(batch.count >= 0 && batch.inner >= 1, "gemm: bad batch (", batch.count, " problems, ", batch.inner,
           " per outer step)");
  // Few or thin outputs: the float32 kernels' K-parallel paths (on widened operands) suit them better.
  if (M * N <= 8192 || M == 1 || N == 1) return false;
  const int device = use_device_of(C);
  if (device_properties(device).major < 8) return false;
  if ((K == 0 && accumulate) || batch.count == 0) return true;  // C + 0 == C; no problem to run
  TG_CHECK(C != nullptr && (K == 0 || (A != nullptr && B != nullptr)), "gemm: null operand");
  const GemmArgs g{M, N, K, rsa, csa, rsb, csb, rsc, csc, accumulate, batch, 0};
  const unsigned grid = tile_grid(M, N, tc::BM, tc::BN);
  if (dtype == DType::Float16)
    return launch_gemm_tc<Half, Half>(g, static_cast<const Half*>(A), static_cast<const Half*>(B),
                                      static_cast<Half*>(C), device, grid);
  return launch_gemm_tc<BFloat16, BFloat16>(g, static_cast<const BFloat16*>(A), static_cast<const BFloat16*>(B),
                                            static_cast<BFloat16*>(C), device, grid);
}

template <class E, class OutT>
void gemm_16bit(int64_t M, int64_t N, int64_t K, const E* A, int64_t rsa, int64_t csa, const E* B, int64_t rsb,
                int64_t csb, OutT* C, int64_t rsc, int64_t csc, bool accumulate, const GemmBatch& batch) {
  gemm_impl<E, OutT>(M, N, K, A, rsa, csa, B, rsb, csb, C, rsc, csc, accumulate, false, batch);
}

template void gemm<float>(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t,
                          float*, int64_t, int64_t, bool, const GemmBatch&);
template void gemm<double>(int64_t, int64_t, int64_t, const double*, int64_t, int64_t, const double*, int64_t, int64_t,
                           double*, int64_t, int64_t, bool, const GemmBatch&);
#define TG_INSTANTIATE_GEMM_16BIT(E, OutT)                                                                             \
  template void gemm_16bit<E, OutT>(int64_t, int64_t, int64_t, const E*, int64_t, int64_t, const E*, int64_t, int64_t, \
                                    OutT*, int64_t, int64_t, bool, const GemmBatch&);
TG_INSTANTIATE_GEMM_16BIT(Half, Half)
TG_INSTANTIATE_GEMM_16BIT(Half, float)
TG_INSTANTIATE_GEMM_16BIT(BFloat16, BFloat16)
TG_INSTANTIATE_GEMM_16BIT(BFloat16, float)
#undef TG_INSTANTIATE_GEMM_16BIT

}  // namespace tg::cuda
