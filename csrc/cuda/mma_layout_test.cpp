// Host-side emulation of gemm.cu's tensor-core kernel (gemm_tc_kernel) with the kernel's own index functions
// (mma_layout.h): every block tile of a small GEMM is computed the way the kernel does it -- the slab copies
// per thread, the shared-memory layout, each lane's fragment registers (16-bit pairs in low/high halves), the
// accumulator -> C mapping -- while the mma itself is emulated from the PTX ISA's fragment tables, written
// here independently in their element-index form. Shapes with edge tiles in M, N and K, all four operand
// layouts, 16-byte and single-element copies, TF32 (4-byte) and float16/bfloat16 (2-byte) elements.
// Values are small integers, exact in every element type, so the result must equal the reference exactly.
// Also checks that the fragment reads are free of shared-memory bank conflicts (the pads' purpose).
// Built and run by tests/test_cuda_mma_layout.py; prints "ok" and exits 0 on success.
#include "mma_layout.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <vector>

using namespace tg::cuda::mma_layout;

namespace {
int failures = 0;
void expect(bool ok, const char* what, int a = 0, int b = 0, int c = 0) {
  if (!ok && ++failures <= 20) std::printf("FAIL: %s (%d, %d, %d)\n", what, a, b, c);
}

// ---- the hardware: PTX ISA fragment tables (element index i of a lane's fragment -> tile position)
// m16n8k8 .tf32: a0..a3, b0..b1, c0..c3. m16n8k16 .f16/.bf16: a0..a7, b0..b3 (two per .f16x2 register,
// element 2r in register r's low half), c0..c3.
Coord ptx_a(int bytes, int lane, int i) {
  const int g = lane >> 2, t = lane % 4;
  if (bytes == 4) return {(i == 0 || i == 2) ? g : g + 8, i < 2 ? t : t + 4};
  return {(i < 2 || (i >= 4 && i < 6)) ? g : g + 8, i < 4 ? t * 2 + (i & 1) : t * 2 + (i & 1) + 8};
}
Coord ptx_b(int bytes, int lane, int i) {  // (row = k, col = n)
  const int g = lane >> 2, t = lane % 4;
  if (bytes == 4) return {i == 0 ? t : t + 4, g};
  return {i < 2 ? t * 2 + (i & 1) : t * 2 + (i & 1) + 8, g};
}
Coord ptx_c(int lane, int i) {
  const int g = lane >> 2, t = lane % 4;
  return {i < 2 ? g : g + 8, t * 2 + (i & 1)};
}

// A fragment register as the kernel fills it: its element(s), low half first.
struct Reg {
  float e[2];
};

// Conflict-free: the 32 lanes' 4-byte words (byte offset / 4) on distinct banks unless they are the same word.
void check_banks(const int (&word)[32], const char* what) {
  for (int a = 0; a < 32; ++a)
    for (int b = a + 1; b < 32; ++b) expect(word[a] == word[b] || word[a] % 32 != word[b] % 32, what, a, b);
}

template <int KB, bool KC> struct Tile {  // one operand's shared stage
  std::vector<float> s = std::vector<float>(Shape<KB>::STAGE);
  // The kernel's copy of slab (mn0, k0) of X (MN x K, x(mn, k) = X[mn * s_mn + k * s_k]); unwritten slots stay NaN.
  void load(const std::vector<float>& X, int64_t s_mn, int64_t s_k, int MN, int K, int mn0, int k0, bool vec) {
    using S = Shape<KB>;
    for (auto& v : s) v = NAN;
    const int LD = KC ? S::LD_K : S::LD_MN, n = vec ? S::VEC : 1;
    std::set<int> seen;
    for (int tid = 0; tid < kTcThreads; ++tid)
      for (int l = 0; l < copy_passes<KB>(vec); ++l) {
        const Coord c = copy_coord<KB, KC>(tid, l, vec);
        for (int e = 0; e < n; ++e) {
          const int outer = c.row, inner = c.col + e;
          const int mn = KC ? outer : inner, k = KC ? inner : outer;
          const int at = outer * LD + inner;  // the kernel's destination address
          expect(at == smem_index<KB, KC>(mn, k), "copy destination == smem_index", mn, k);
          expect(seen.insert(at).second, "each slot copied once", mn, k);
          const bool in = mn0 + mn < MN && k0 + k < K;  // cp.async zero-fill / the direct store's 0
          s[at] = in ? X[(mn0 + mn) * s_mn + (k0 + k) * s_k] : 0.0f;
        }
      }
    expect(int(seen.size()) == BM * S::BK, "the slab is fully covered", int(seen.size()));
  }
  // Register r of the lane for the mma tile at (mn_base, k_base): frag_a (A) or frag_b (B, given as (k, mn)).
  Reg reg(Coord c, bool is_a, int mn_base, int k_base) const {
    const int mn = mn_base + (is_a ? c.row : c.col), k = k_base + (is_a ? c.col : c.row);
    Reg r{{s[smem_index<KB, KC>(mn, k)], 0.0f}};
    if (KB == 2) {
      r.e[1] = s[smem_index<KB, KC>(mn, k + 1)];
      if (KC) {  // the kernel reads the pair as one aligned 32-bit word
        expect(smem_index<KB, KC>(mn, k) % 2 == 0, "pair word aligned", mn, k);
        expect(smem_index<KB, KC>(mn, k + 1) == smem_index<KB, KC>(mn, k) + 1, "pair adjacent", mn, k);
      }
    }
    return r;
  }
  int word(Coord c, bool is_a, int mn_base, int k_base) const {  // 4-byte word of the (first) 16/32-bit read
    const int mn = mn_base + (is_a ? c.row : c.col), k = k_base + (is_a ? c.col : c.row);
    return smem_index<KB, KC>(mn, k) * KB / 4;
  }
};

// C (M x N, row-major) = A @ B (+ C) the kernel's way. A(m, k) = A[m * rsa + k * csa], B(k, n) = B[k * rsb + n * csb].
template <int KB, bool A_KC, bool B_KC>
void kernel_gemm(int M, int N, int K, const std::vector<float>& A, int64_t rsa, int64_t csa,
                 const std::vector<float>& B, int64_t rsb, int64_t csb, std::vector<float>& C, bool vec_a, bool vec_b,
                 bool accumulate) {
  using S = Shape<KB>;
  constexpr int EA = KB == 4 ? 4 : 8, EB = KB == 4 ? 2 : 4;  // fragment elements per lane
  Tile<KB, A_KC> ta;
  Tile<KB, B_KC> tb;
  for (int m0 = 0; m0 < M; m0 += BM)
    for (int n0 = 0; n0 < N; n0 += BN) {
      std::vector<float> acc(8 * 32 * (WM / 16) * (WN / 8) * 4, 0.0f);
      auto at = [&](int w, int lane, int i, int j, int r) -> float& {
        return acc[(((w * 32 + lane) * (WM / 16) + i) * (WN / 8) + j) * 4 + r];
      };
      for (int k0 = 0; k0 < K; k0 += S::BK) {
        ta.load(A, rsa, csa, M, K, m0, k0, vec_a);
        tb.load(B, csb, rsb, N, K, n0, k0, vec_b);  // B as an N x K matrix
        for (int w = 0; w < 8; ++w) {
          const Coord wo = warp_origin(w);
          for (int kk = 0; kk < S::BK; kk += S::MMA_K) {
            // bank conflicts of each read instruction (register r of tile i / j, same for all warps' lanes)
            for (int r = 0; r < 4; ++r) {
              int words[32];
              for (int lane = 0; lane < 32; ++lane) words[lane] = ta.word(frag_a<KB>(lane, r), true, wo.row, kk);
              check_banks(words, "A fragment reads conflict-free");
            }
            for (int r = 0; r < 2; ++r) {
              int words[32];
              for (int lane = 0; lane < 32; ++lane) words[lane] = tb.word(frag_b<KB>(lane, r), false, wo.col, kk);
              check_banks(words, "B fragment reads conflict-free");
            }
            for (int i = 0; i < WM / 16; ++i)
              for (int j = 0; j < WN / 8; ++j) {
                // the hardware assembles the 16 x MMA_K A tile and MMA_K x 8 B tile from the lanes' registers
                std::vector<float> a(16 * S::MMA_K, NAN), b(S::MMA_K * 8, NAN);
                std::vector<int> a_hits(16 * S::MMA_K, 0), b_hits(S::MMA_K * 8, 0);
                for (int lane = 0; lane < 32; ++lane) {
                  for (int r = 0; r < 4; ++r) {
                    const Reg reg = ta.reg(frag_a<KB>(lane, r), true, wo.row + i * 16, kk);
                    for (int h = 0; h < (KB == 4 ? 1 : 2); ++h) {
                      const Coord p = ptx_a(KB, lane, KB == 4 ? r : 2 * r + h);
                      a[p.row * S::MMA_K + p.col] = reg.e[h];
                      ++a_hits[p.row * S::MMA_K + p.col];
                    }
                  }
                  for (int r = 0; r < 2; ++r) {
                    const Reg reg = tb.reg(frag_b<KB>(lane, r), false, wo.col + j * 8, kk);
                    for (int h = 0; h < (KB == 4 ? 1 : 2); ++h) {
                      const Coord p = ptx_b(KB, lane, KB == 4 ? r : 2 * r + h);
                      b[p.row * 8 + p.col] = reg.e[h];
                      ++b_hits[p.row * 8 + p.col];
                    }
                  }
                }
                for (int h : a_hits) expect(h == 1, "A tile element in exactly one register", h);
                for (int h : b_hits) expect(h == 1, "B tile element in exactly one register", h);
                (void)EA, (void)EB;
                for (int lane = 0; lane < 32; ++lane)
                  for (int r = 0; r < 4; ++r) {
                    const Coord p = ptx_c(lane, r);
                    float d = at(w, lane, i, j, r);
                    for (int k = 0; k < S::MMA_K; ++k) d += a[p.row * S::MMA_K + k] * b[k * 8 + p.col];
                    at(w, lane, i, j, r) = d;
                  }
              }
          }
        }
      }
      // epilogue: accumulator r of the lane is C(acc_c(lane, r)) of its 16 x 8 tile
      for (int w = 0; w < 8; ++w)
        for (int lane = 0; lane < 32; ++lane)
          for (int i = 0; i < WM / 16; ++i)
            for (int j = 0; j < WN / 8; ++j)
              for (int r = 0; r < 4; ++r) {
                const Coord c = acc_c(lane, r), wo = warp_origin(w);
                const int m = m0 + wo.row + i * 16 + c.row, n = n0 + wo.col + j * 8 + c.col;
                if (m >= M || n >= N) continue;
                float& out = C[m * N + n];
                out = accumulate ? at(w, lane, i, j, r) + out : at(w, lane, i, j, r);
              }
    }
}

template <int KB, bool A_KC, bool B_KC> void check(int M, int N, int K, bool vec_a, bool vec_b, bool accumulate) {
  // A stored m x k (k contiguous when A_KC, else m), B stored k x n (k contiguous when B_KC, else n).
  std::vector<float> A(M * K), B(K * N), C(M * N), ref(M * N);
  const int64_t rsa = A_KC ? K : 1, csa = A_KC ? 1 : M, rsb = B_KC ? 1 : N, csb = B_KC ? K : 1;
  unsigned seed = 12345u + M * 7 + N * 13 + K;
  auto next = [&] {
    seed = seed * 1103515245u + 12345u;
    return float(int((seed >> 16) % 9) - 4);
  };
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < K; ++k) A[m * rsa + k * csa] = next();
  for (int k = 0; k < K; ++k)
    for (int n = 0; n < N; ++n) B[k * rsb + n * csb] = next();
  for (int i = 0; i < M * N; ++i) C[i] = ref[i] = next();
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double s = 0;
      for (int k = 0; k < K; ++k) s += double(A[m * rsa + k * csa]) * B[k * rsb + n * csb];
      ref[m * N + n] = float(accumulate ? s + ref[m * N + n] : s);
    }
  kernel_gemm<KB, A_KC, B_KC>(M, N, K, A, rsa, csa, B, rsb, csb, C, vec_a, vec_b, accumulate);
  int bad = 0;
  for (int i = 0; i < M * N; ++i) bad += !(C[i] == ref[i]);
  expect(bad == 0, "C == reference (bytes per element, wrong elements, M)", KB, bad, M);
}

template <int KB> void check_all(int M, int N, int K) {
  for (int v = 0; v < 4; ++v) {
    const bool va = v & 1, vb = v & 2, acc = v == 3;
    check<KB, true, true>(M, N, K, va, vb, acc);
    check<KB, true, false>(M, N, K, va, vb, acc);
    check<KB, false, true>(M, N, K, va, vb, acc);
    check<KB, false, false>(M, N, K, va, vb, acc);
  }
}
}  // namespace

int main() {
  // The register form (frag_*) against the PTX tables: same positions for every lane and register.
  for (int lane = 0; lane < 32; ++lane) {
    for (int r = 0; r < 4; ++r) {
      const Coord t = tf32_a(lane, r), p = ptx_a(4, lane, r);
      expect(t.row == p.row && t.col == p.col, "tf32 A register", lane, r);
      for (int h = 0; h < 2; ++h) {
        const Coord f = f16_a(lane, r), q = ptx_a(2, lane, 2 * r + h);
        expect(f.row == q.row && f.col + h == q.col, "f16 A register", lane, r, h);
      }
      const Coord c = acc_c(lane, r), pc = ptx_c(lane, r);
      expect(c.row == pc.row && c.col == pc.col, "C register", lane, r);
    }
    for (int r = 0; r < 2; ++r) {
      const Coord t = tf32_b(lane, r), p = ptx_b(4, lane, r);
      expect(t.row == p.row && t.col == p.col, "tf32 B register", lane, r);
      for (int h = 0; h < 2; ++h) {
        const Coord f = f16_b(lane, r), q = ptx_b(2, lane, 2 * r + h);
        expect(f.row + h == q.row && f.col == q.col, "f16 B register", lane, r, h);
      }
    }
  }
  // Edge tiles in M, N and K (K not a multiple of either slab depth), and one exact 128 x 128 x 64 block.
  check_all<4>(150, 137, 70);
  check_all<2>(150, 137, 70);
  check_all<2>(128, 128, 64);
  check_all<4>(130, 9, 5);
  check_all<2>(130, 9, 5);
  if (failures) {
    std::printf("%d failures\n", failures);
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
