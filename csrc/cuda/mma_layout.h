// Index functions of the tensor-core GEMM (gemm.cu, gemm_tc_kernel), shared with
// its host-side emulation test (mma_layout_test.cpp), so the test runs the very
// mapping the kernel uses: which thread copies which element of a slab, where
// a tile element lives in shared memory, which elements each lane puts into
// its mma fragment registers, and which C element each accumulator is.
// Plain C++ (host and device), no CUDA headers.
//
// Block tile BM x BN = 128 x 128, 256 threads = 8 warps as 2 (m) x 4 (n), each
// warp 64 x 32 = 4 x 4 mma tiles of 16 x 8. A slab is BK elements of k: 64
// bytes per row, i.e. 16 floats (TF32) or 32 halves (float16 / bfloat16).
// Each operand is seen as an MN x K matrix (A: m x k, B: n x k); its shared
// tile keeps the global layout: [mn][k] rows of BK + 16 bytes of pad when k has
// unit stride ("KC"), else [k][mn] rows of BM + 8 elements.
//
// mma fragments (PTX ISA, "Matrix Fragments for mma.m16n8k8" (.tf32) and
// "... mma.m16n8k16 with floating point type" (.f16 / .bf16)), with
// g = lane / 4 (groupID), t = lane % 4 (threadID_in_group):
//   m16n8k8 .tf32: A 16 x 8 in 4 registers a0..a3, one element each:
//       a_r = A(g + 8 * (r % 2), t + 4 * (r / 2));  B 8 x 8 in b0, b1: b_r = B(t + 4 * r, g).
//   m16n8k16 .f16/.bf16: A 16 x 16 in 4 .f16x2 registers; register r holds
//       elements a_{2r} (low 16 bits) and a_{2r+1} (high 16 bits) at
//       A(g + 8 * (r % 2), 2t + 8 * (r / 2)) and the next column (k + 1);
//       B 16 x 8 in 2 .f16x2 registers: register r holds B(2t + 8r, g) (low)
//       and B(2t + 8r + 1, g) (high).
//   C/D 16 x 8 (both shapes), 4 floats: c_i = C(g + 8 * (i / 2), 2t + i % 2).
// ".row.col": A is read as row-major m x k and B as column-major k x n,
// which is what these coordinates describe; the layout of the operands in
// memory only changes smem_index below.
#pragma once

#if defined(__CUDACC__)
#define TG_MMA_HD __host__ __device__ __forceinline__
#else
#define TG_MMA_HD inline
#endif

namespace tg::cuda::mma_layout {

constexpr int kTcThreads = 256;
constexpr int BM = 128, BN = 128;  // block tile
constexpr int WM = 64, WN = 32;    // warp tile (8 warps: 2 x 4)
static_assert(BM == BN, "A and B share the tile code");

// Per element size (4: float as TF32, 2: float16 / bfloat16).
template <int kBytes> struct Shape {
  static constexpr int BK = 64 / kBytes;     // slab depth: 64 bytes per row
  static constexpr int VEC = 16 / kBytes;    // elements per 16-byte copy
  static constexpr int MMA_K = 32 / kBytes;  // k of one mma: 8 (tf32) or 16 (f16/bf16)
  static constexpr int LD_K = BK + VEC;      // [mn][k] row length (+16 bytes: conflict-free fragment reads)
  static constexpr int LD_MN = BM + 8;       // [k][mn] row length
  static constexpr int STAGE = BM * LD_K;    // elements per operand per stage (the larger layout)
  static_assert(STAGE >= BK * LD_MN, "a stage holds either layout");
};

struct Coord {
  int row, col;
};

// Shared-memory index of tile element (mn, k).
template <int kBytes, bool KC> TG_MMA_HD int smem_index(int mn, int k) {
  return KC ? mn * Shape<kBytes>::LD_K + k : k * Shape<kBytes>::LD_MN + mn;
}

// The slab copy: pass l of thread tid copies the element(s) at (outer, inner)
// of the tile, "inner" being the operand's unit-stride direction (k when KC,
// else mn) and "outer" the other. vec: VEC consecutive inner elements per
// copy (16 bytes), else one. Passes: copy_passes.
template <int kBytes, bool KC> TG_MMA_HD Coord copy_coord(int tid, int l, bool vec) {
  using S = Shape<kBytes>;
  constexpr int IN = KC ? S::BK : BM;
  if (vec) return {tid / (IN / S::VEC) + l * (kTcThreads / (IN / S::VEC)), (tid % (IN / S::VEC)) * S::VEC};
  return {tid / IN + l * (kTcThreads / IN), tid % IN};
}
template <int kBytes> TG_MMA_HD constexpr int copy_passes(bool vec) {
  return BM * Shape<kBytes>::BK / (vec ? Shape<kBytes>::VEC : 1) / kTcThreads;
}

// Top-left corner of warp w's WM x WN tile inside the block tile.
TG_MMA_HD Coord warp_origin(int warp) { return {(warp / (BN / WN)) * WM, (warp % (BN / WN)) * WN}; }

// Fragment register r of the lane: (row, col) of A (m, k) and (k, n) of B; for
// 16-bit types the register's low half, its high half being the next k.
TG_MMA_HD Coord tf32_a(int lane, int r) { return {lane / 4 + 8 * (r % 2), lane % 4 + 4 * (r / 2)}; }
TG_MMA_HD Coord tf32_b(int lane, int r) { return {lane % 4 + 4 * r, lane / 4}; }
TG_MMA_HD Coord f16_a(int lane, int r) { return {lane / 4 + 8 * (r % 2), 2 * (lane % 4) + 8 * (r / 2)}; }
TG_MMA_HD Coord f16_b(int lane, int r) { return {2 * (lane % 4) + 8 * r, lane / 4}; }
template <int kBytes> TG_MMA_HD Coord frag_a(int lane, int r) { return kBytes == 4 ? tf32_a(lane, r) : f16_a(lane, r); }
template <int kBytes> TG_MMA_HD Coord frag_b(int lane, int r) { return kBytes == 4 ? tf32_b(lane, r) : f16_b(lane, r); }
// Accumulator i (0..3) of the lane: (m, n) in the 16 x 8 tile.
TG_MMA_HD Coord acc_c(int lane, int i) { return {lane / 4 + 8 * (i / 2), 2 * (lane % 4) + i % 2}; }

}  // namespace tg::cuda::mma_layout
