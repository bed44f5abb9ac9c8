// CPU GEMM kernels, compiled once per ISA (see isa.h): C = A @ B (+ C).
//
// Structure (GotoBLAS/BLIS style):
//   for jc in N step NC            B block (kc x nc) lives in L3
//     for pc in K step KC          pack B block into NR-wide panels
//       for ic in M step MC        A block (mc x kc) lives in L2
//         pack A block into MR-tall panels
//         for jr in nc step NR     one B micro-panel (kc x NR) stays in L1
//           for ir in mc step MR   A micro-panels stream from L2
//             micro-kernel: MR x NR tile of C in registers, kc rank-1 updates
//
// Packing copies operands into the exact order the micro-kernel consumes
// them, so arbitrary strides (transposed or sliced views) cost only the
// packing pass, and zero-padding partial panels lets the micro-kernel always
// run full tiles; only the valid part of an edge tile is written back.
//
// Two refinements over the textbook scheme, both for small or skinny shapes
// such as 64 x 100 x 1000 where packing is a large share of the work:
//  * the problem may be solved as C^T = B^T A^T (free: strides swap) when
//    that wastes less of the register tile on padding (gemm_packed);
//  * when only a few B panels consume an A block, full A slivers are read in
//    place instead of being packed (compute_rows).
//
// Threads split C into a tm x tn grid of tasks. When tm > 1 the packed B block
// is shared: it is packed cooperatively, then every task consumes it. When
// tm == 1 tasks own disjoint column ranges and run fully independently.
//
// Products with fewer than kSmallWork multiply-adds, and matrix-vector
// shapes (M == 1 or N == 1), skip all of this and use direct loops.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

#include "isa.h"
#include "parallel.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define TG_GEMM_AVX2 1
#endif
#if defined(TG_GEMM_AVX2) && defined(__AVX512F__)
#define TG_GEMM_AVX512 1
#endif

namespace tg::cpu::TG_ISA {
namespace {

// ---------------------------------------------------------------------------
// Blocking parameters.
//
// MR x NR is the register tile. AVX2 has 16 ymm registers: a 6x16 float tile
// is 12 accumulators + 2 B vectors + 1 broadcast A value, and each k step
// issues 12 FMAs against 8 loads, enough to keep both FMA pipes busy.
// AVX-512 has 32 zmm registers: a 12x32 float tile is 24 accumulators + 2 B
// vectors, the A values are broadcast straight from memory into the FMAs
// (24 FMAs against 14 loads per k step). Its double GEMM keeps the AVX2
// kernel (float64 matmul is not on any hot path).
// The portable copy targets 128-bit registers (SSE2 / NEON), see below.
//
// KC: a B micro-panel (KC x NR) should stay in L1 (32 KiB) while the A
// micro-panels stream past it, and KC should be long enough to amortize the
// load/store of the C tile at the end of each micro-kernel call. 384 x 16
// floats = 24 KiB measured best on Zen 3 (256 and 512 were 2-5% slower).
// MC: the packed A block (MC x KC) should take about half of L2 (512 KiB+);
// 144 x 384 floats = 216 KiB.
// NC: the packed B block (KC x NC) should fit comfortably in L3.
template <class T> struct Config;

// Rows of the portable tile. x86-64 without AVX has 16 xmm registers and no
// FMA (each multiply-add needs a temporary register), so 8 accumulators
// (4 x 8 floats, 4 x 4 doubles) beat 12 (measured 15-25% faster); AArch64 has
// 32 vector registers and takes 6-row tiles.
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
constexpr int kPortableMR = 4;
#else
constexpr int kPortableMR = 6;
#endif

#if defined(TG_GEMM_TEST_MODE)
// Test builds only (gemm_test_main.cpp): tiny cache blocks so that small
// shapes exercise every blocking loop and edge case of the packed path.
template <class T> struct Config {
#if defined(TG_GEMM_AVX512)
  static constexpr int MR = std::is_same_v<T, float> ? 12 : 6, NR = 32 / sizeof(T) * (std::is_same_v<T, float> ? 4 : 2);
#elif defined(TG_GEMM_AVX2)
  static constexpr int MR = 6, NR = 32 / sizeof(T) * 2;
#else
  static constexpr int MR = kPortableMR, NR = 16 / sizeof(T) * 2;
#endif
  static constexpr int64_t KC = 5, MC = 2 * MR, NC = 3 * NR;
};
#elif defined(TG_GEMM_AVX2)
template <> struct Config<float> {
#ifdef TG_GEMM_AVX512
  // B micro-panel 256 x 32 floats = 32 KiB (L1 is 32-48 KiB on AVX-512 parts).
  static constexpr int MR = 12, NR = 32;
  static constexpr int64_t KC = 256, MC = 192, NC = 4096;
#else
  static constexpr int MR = 6, NR = 16;
  static constexpr int64_t KC = 384, MC = 144, NC = 4080;
#endif
};
template <> struct Config<double> {
  static constexpr int MR = 6, NR = 8;
  static constexpr int64_t KC = 256, MC = 72, NC = 4080;
};
#else
template <> struct Config<float> {
  static constexpr int MR = kPortableMR, NR = 8;
  static constexpr int64_t KC = 256, MC = 144, NC = 4080;
};
template <> struct Config<double> {
  static constexpr int MR = kPortableMR, NR = 4;
  static constexpr int64_t KC = 256, MC = 96, NC = 4080;
};
#endif

constexpr size_t kAlign = 64;

// Problems with fewer multiply-adds than this use direct loops: packing and
// tile bookkeeping would cost more than they save.
constexpr int64_t kSmallWork = 32 * 1024;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Grow-only, 64-byte aligned scratch buffer. One per thread (thread_local), so
// concurrent gemm calls never share packing space.
class Scratch {
 public:
  ~Scratch() { release(); }
  template <class T> T* get(size_t count) {
    // Slack: 6-wide packing stores 8 lanes and may spill past the end.
    size_t bytes = count * sizeof(T) + kAlign;
    if (bytes > cap_) {
      release();
      ptr_ = ::operator new(bytes, std::align_val_t(kAlign));
      cap_ = bytes;
    }
    return static_cast<T*>(ptr_);
  }

 private:
  void release() {
    if (ptr_) ::operator delete(ptr_, std::align_val_t(kAlign));
    ptr_ = nullptr;
    cap_ = 0;
  }
  void* ptr_ = nullptr;
  size_t cap_ = 0;
};

thread_local Scratch t_pack_a;
thread_local Scratch t_pack_b;

template <class T> struct Operands {
  int64_t M, N, K;
  const T* A;
  int64_t rsa, csa;
  const T* B;
  int64_t rsb, csb;
  T* C;
  int64_t rsc, csc;
  bool accumulate;

  // C^T = B^T A^T: same memory, roles of rows and columns exchanged.
  Operands transposed() const { return {N, M, K, B, csb, rsb, A, csa, rsa, C, csc, rsc, accumulate}; }
};

// ---------------------------------------------------------------------------
// Packing.
//
// A panel of A (MR rows) and a panel of B (NR columns) are the same thing seen
// from different sides: W "lanes" (rows of A / columns of B), each a vector of
// kc values, stored interleaved so that dst[k*W + l] = lane l at step k.
// Lane l, step k lives at src[l*ls + k*ks]. Lanes past `w` are zero-filled.
//
// Two layouts cover nearly all real calls: ls == 1 (each step is W adjacent
// values: a straight copy) and ks == 1 (each lane is contiguous: a transpose).
// The AVX2 copy vectorizes both for full panels; without them packing costs a
// large fraction of the multiply for shapes like 64 x 100 x 1000.

#ifdef TG_GEMM_AVX2
// Prefetches p[offset] into L1. The address is formed with integer arithmetic
// because it may lie outside the array (edge tiles, end of a panel), where a
// prefetch is harmless but pointer arithmetic would not be.
template <class T> inline void prefetch(const T* p, int64_t offset) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(offset * int64_t(sizeof(T)));
  _mm_prefetch(reinterpret_cast<const char*>(addr), _MM_HINT_T0);
}

// In-place transpose of an 8x8 float block held in r[0..7].
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]);
  const __m256 t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]);
  const __m256 t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]);
  const __m256 t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]);
  const __m256 t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44);
  const __m256 s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44);
  const __m256 s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44);
  const __m256 s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44);
  const __m256 s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// In-place transpose of a 4x4 double block held in r[0..3].
inline void transpose4(__m256d r[4]) {
  const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]);
  const __m256d t1 = _mm256_unpackhi_pd(r[0], r[1]);
  const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]);
  const __m256d t3 = _mm256_unpackhi_pd(r[2], r[3]);
  r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
  r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
  r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
  r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

// Copy-style packing touches a new cache line (often a new page) every step;
// the hardware prefetcher does not follow such large strides well, so fetch
// this many steps ahead explicitly. Prefetches past the end are harmless.
constexpr int64_t kPrefetchSteps = 8;

// Two floats at p as lanes 0, 1 (one 8-byte move). NOTE: through
// _mm_loadl_epi64/_mm_storel_epi64, whose pointer types allow any alignment:
// _mm_load_sd/_mm_store_sd dereference a double*, undefined (UBSan reports
// it) when p is only float-aligned.
inline __m128 load_two(const float* p) {
  return _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}
inline void store_two(float* p, __m128 v) { _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_castps_si128(v)); }

// The first n (8, 6 or 4) floats at p; never touches p[n..8).
inline __m256 load_lanes(const float* p, int n) {
  if (n == 8) return _mm256_loadu_ps(p);
  const __m128 hi = n == 6 ? load_two(p + 4) : _mm_setzero_ps();
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p)), hi, 1);
}

inline void store_lanes(float* p, __m256 v, int n) {
  if (n == 8) return _mm256_storeu_ps(p, v);
  _mm_storeu_ps(p, _mm256_castps256_ps128(v));
  if (n == 6) store_two(p + 4, _mm256_extractf128_ps(v, 1));
}

// Vectorized full-panel packing; returns the number of steps done (a multiple
// of the transpose size), the caller finishes the rest with scalar code.
// Float panels (W = 6, 12, 16, 32) go in groups of 8 lanes, the last group
// possibly partial (4 or 6 lanes).
template <class T, int W> int64_t pack_panel_simd(int64_t kc, const T* src, int64_t ls, int64_t ks, T* dst) {
  if constexpr (std::is_same_v<T, float>) {
    static_assert(W % 8 == 0 || W % 8 == 4 || W % 8 == 6, "float panels are groups of 8, 6 or 4 lanes");
    if (ls == 1) {
      for (int64_t k = 0; k < kc; ++k) {
        const float* s = src + k * ks;
        for (int g = 0; g < W; g += 16) prefetch(s + g, kPrefetchSteps * ks);
        for (int g = 0; g < W; g += 8) {
          const int n = std::min(8, W - g);
          store_lanes(dst + k * W + g, load_lanes(s + g, n), n);
        }
      }
      return kc;
    }
    if (ks == 1) {
      int64_t k = 0;
      for (; k + 8 <= kc; k += 8) {
        for (int g = 0; g < W; g += 8) {
          const int n = std::min(8, W - g);
          __m256 r[8];
          for (int l = 0; l < 8; ++l) r[l] = l < n ? _mm256_loadu_ps(src + (g + l) * ls + k) : _mm256_setzero_ps();
          transpose8(r);
          for (int q = 0; q < 8; ++q) store_lanes(dst + (k + q) * W + g, r[q], n);
        }
      }
      return k;
    }
  } else if constexpr (std::is_same_v<T, double> && W == 8) {
    if (ls == 1) {
      for (int64_t k = 0; k < kc; ++k) {
        const double* s = src + k * ks;
        _mm256_store_pd(dst + k * 8, _mm256_loadu_pd(s));
        _mm256_store_pd(dst + k * 8 + 4, _mm256_loadu_pd(s + 4));
      }
      return kc;
    }
    if (ks == 1) {
      int64_t k = 0;
      for (; k + 4 <= kc; k += 4) {
        for (int half = 0; half < 2; ++half) {
          __m256d r[4];
          for (int l = 0; l < 4; ++l) r[l] = _mm256_loadu_pd(src + (half * 4 + l) * ls + k);
          transpose4(r);
          for (int q = 0; q < 4; ++q) _mm256_store_pd(dst + (k + q) * 8 + half * 4, r[q]);
        }
      }
      return k;
    }
  } else if constexpr (std::is_same_v<T, double> && W == 6) {
    if (ls == 1) {
      for (int64_t k = 0; k < kc; ++k) {
        const double* s = src + k * ks;
        double* d = dst + k * 6;
        _mm256_storeu_pd(d, _mm256_loadu_pd(s));
        _mm_storeu_pd(d + 4, _mm_loadu_pd(s + 4));
      }
      return kc;
    }
    if (ks == 1) {
      int64_t k = 0;
      for (; k + 4 <= kc; k += 4) {
        __m256d lo[4], hi[4];
        for (int l = 0; l < 4; ++l) lo[l] = _mm256_loadu_pd(src + l * ls + k);
        hi[0] = _mm256_loadu_pd(src + 4 * ls + k);
        hi[1] = _mm256_loadu_pd(src + 5 * ls + k);
        hi[2] = hi[3] = _mm256_setzero_pd();
        transpose4(lo);
        transpose4(hi);
        for (int q = 0; q < 4; ++q) {
          _mm256_storeu_pd(dst + (k + q) * 6, lo[q]);
          _mm256_storeu_pd(dst + (k + q) * 6 + 4, hi[q]);
        }
      }
      return k;
    }
  }
  (void)kc, (void)src, (void)ls, (void)ks, (void)dst;
  return 0;
}
#endif  // TG_GEMM_AVX2

// Packs one W-lane panel (w <= W valid lanes), see the section comment.
template <class T, int W> void pack_panel(int64_t kc, const T* src, int64_t ls, int64_t ks, int64_t w, T* dst) {
  int64_t k0 = 0;
  if (w == W) {
#ifdef TG_GEMM_AVX2
    k0 = pack_panel_simd<T, W>(kc, src, ls, ks, dst);
    if (k0 == kc) return;
#endif
    if (ks == 1) {
      // W sequential read streams, one sequential write stream.
      const T* lanes[W];
      for (int l = 0; l < W; ++l) lanes[l] = src + l * ls;
      for (int64_t k = k0; k < kc; ++k)
        for (int l = 0; l < W; ++l) dst[k * W + l] = lanes[l][k];
    } else {
      for (int64_t k = k0; k < kc; ++k)
        for (int l = 0; l < W; ++l) dst[k * W + l] = src[k * ks + l * ls];
    }
    return;
  }
  // Partial panel (the edge of a matrix): full-width writes with a select, so
  // the zero padding costs no extra loop (or memset call) per step.
  for (int64_t k = 0; k < kc; ++k)
    for (int l = 0; l < W; ++l) dst[k * W + l] = l < w ? src[l * ls + k * ks] : T(0);
}

// Packs rows [0, mc) x cols [0, kc) of A into MR-row panels: panel p holds
// A[p*MR + r, k] at dst[p*MR*kc + k*MR + r].
template <class T, int MR> void pack_a(int64_t mc, int64_t kc, const T* A, int64_t rsa, int64_t csa, T* dst) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc)
    pack_panel<T, MR>(kc, A + i0 * rsa, rsa, csa, std::min<int64_t>(MR, mc - i0), dst);
}

// Packs NR-column panels [p0, p1) of the kc x nc block at B: panel p holds
// B[k, p*NR + j] at dst[p*NR*kc + k*NR + j].
template <class T, int NR>
void pack_b(int64_t p0, int64_t p1, int64_t nc, int64_t kc, const T* B, int64_t rsb, int64_t csb, T* dst) {
  for (int64_t p = p0; p < p1; ++p)
    pack_panel<T, NR>(kc, B + p * NR * csb, csb, rsb, std::min<int64_t>(NR, nc - p * NR), dst + p * NR * kc);
}

// ---------------------------------------------------------------------------
// Micro-kernels. Each computes the MR x NR product of one packed A panel and
// one packed B panel over kc, then writes the valid m x n corner to C
// (adding to C when `acc`).

// Writes a row-major MR x NR tile to C; the slow path shared by edge tiles
// and non-unit column strides.
template <class T, int MR, int NR>
inline void store_tile(const T* tile, T* c, int64_t rsc, int64_t csc, int64_t m, int64_t n, bool acc) {
  for (int64_t i = 0; i < m; ++i) {
    T* ci = c + i * rsc;
    const T* ti = tile + i * NR;
    if (acc) {
      for (int64_t j = 0; j < n; ++j) ci[j * csc] += ti[j];
    } else {
      for (int64_t j = 0; j < n; ++j) ci[j * csc] = ti[j];
    }
  }
}

// Portable kernel: the fixed-size accumulator array and constant trip counts
// let the compiler keep the tile in vector registers and vectorize over j.
template <class T, int MR, int NR>
void micro_kernel_portable(int64_t kc, const T* __restrict a, int64_t a_rs, int64_t a_ks, const T* __restrict b, T* c,
                           int64_t rsc, int64_t csc, int64_t m, int64_t n, bool acc) {
  T ab[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) ab[i][j] = T(0);
  for (int64_t k = 0; k < kc; ++k, a += a_ks, b += NR) {
    for (int i = 0; i < MR; ++i) {
      const T ai = a[i * a_rs];
      for (int j = 0; j < NR; ++j) ab[i][j] += ai * b[j];
    }
  }
  store_tile<T, MR, NR>(&ab[0][0], c, rsc, csc, m, n, acc);
}

#ifdef TG_GEMM_AVX2
// Pulls the C tile (first and last column of each row) toward L1 while the k
// loop runs; it is needed at the end.
template <class T> inline void prefetch_tile(const T* c, int rows, int64_t rsc, int64_t last_col) {
  for (int i = 0; i < rows; ++i) {
    prefetch(c, i * rsc);
    prefetch(c, i * rsc + last_col);
  }
}

// 6x16 float: rows of the tile are two ymm registers each. Per k: two aligned
// loads of B, six broadcasts of A, twelve FMAs.
template <bool kPackedA>
void micro_kernel_f32_6x16(int64_t kc, const float* __restrict a, int64_t a_rs, int64_t a_ks, const float* __restrict b,
                           float* c, int64_t rsc, int64_t csc, int64_t m, int64_t n, bool acc) {
  if constexpr (kPackedA) a_rs = 1, a_ks = 6;  // compile-time addressing
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

  prefetch_tile(c, 6, rsc, 15 * csc);

#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    __m256 ai;
    ai = _mm256_broadcast_ss(a + 0 * a_rs);
    c00 = _mm256_fmadd_ps(ai, b0, c00);
    c01 = _mm256_fmadd_ps(ai, b1, c01);
    ai = _mm256_broadcast_ss(a + 1 * a_rs);
    c10 = _mm256_fmadd_ps(ai, b0, c10);
    c11 = _mm256_fmadd_ps(ai, b1, c11);
    ai = _mm256_broadcast_ss(a + 2 * a_rs);
    c20 = _mm256_fmadd_ps(ai, b0, c20);
    c21 = _mm256_fmadd_ps(ai, b1, c21);
    ai = _mm256_broadcast_ss(a + 3 * a_rs);
    c30 = _mm256_fmadd_ps(ai, b0, c30);
    c31 = _mm256_fmadd_ps(ai, b1, c31);
    ai = _mm256_broadcast_ss(a + 4 * a_rs);
    c40 = _mm256_fmadd_ps(ai, b0, c40);
    c41 = _mm256_fmadd_ps(ai, b1, c41);
    ai = _mm256_broadcast_ss(a + 5 * a_rs);
    c50 = _mm256_fmadd_ps(ai, b0, c50);
    c51 = _mm256_fmadd_ps(ai, b1, c51);
    a += a_ks;
    b += 16;
  }

  if (m == 6 && n == 16 && csc == 1) {
    const __m256 r[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int i = 0; i < 6; ++i) {
      float* ci = c + i * rsc;
      __m256 lo = r[i][0], hi = r[i][1];
      if (acc) {
        lo = _mm256_add_ps(lo, _mm256_loadu_ps(ci));
        hi = _mm256_add_ps(hi, _mm256_loadu_ps(ci + 8));
      }
      _mm256_storeu_ps(ci, lo);
      _mm256_storeu_ps(ci + 8, hi);
    }
    return;
  }
  if (m == 6 && n == 16 && rsc == 1) {
    // Column-contiguous C (typically row-major C computed as C^T = B^T A^T):
    // transpose the tile in registers so that each of its 16 columns becomes
    // one vector of 6 adjacent values, instead of 96 scalar stores.
    for (int half = 0; half < 2; ++half) {
      __m256 t[8] = {half ? c01 : c00, half ? c11 : c10, half ? c21 : c20,    half ? c31 : c30,
                     half ? c41 : c40, half ? c51 : c50, _mm256_setzero_ps(), _mm256_setzero_ps()};
      transpose8(t);
      for (int j = 0; j < 8; ++j) {
        float* cj = c + (half * 8 + j) * csc;
        __m128 lo = _mm256_castps256_ps128(t[j]);
        __m128 hi = _mm256_extractf128_ps(t[j], 1);  // rows 4, 5 in lanes 0, 1
        if (acc) {
          lo = _mm_add_ps(lo, _mm_loadu_ps(cj));
          hi = _mm_add_ps(hi, load_two(cj + 4));
        }
        _mm_storeu_ps(cj, lo);
        store_two(cj + 4, hi);
      }
    }
    return;
  }
  alignas(32) float tile[6 * 16];
  _mm256_store_ps(tile + 0, c00);
  _mm256_store_ps(tile + 8, c01);
  _mm256_store_ps(tile + 16, c10);
  _mm256_store_ps(tile + 24, c11);
  _mm256_store_ps(tile + 32, c20);
  _mm256_store_ps(tile + 40, c21);
  _mm256_store_ps(tile + 48, c30);
  _mm256_store_ps(tile + 56, c31);
  _mm256_store_ps(tile + 64, c40);
  _mm256_store_ps(tile + 72, c41);
  _mm256_store_ps(tile + 80, c50);
  _mm256_store_ps(tile + 88, c51);
  store_tile<float, 6, 16>(tile, c, rsc, csc, m, n, acc);
}

// 6x8 double: same shape of loop with 4-wide vectors.
template <bool kPackedA>
void micro_kernel_f64_6x8(int64_t kc, const double* __restrict a, int64_t a_rs, int64_t a_ks,
                          const double* __restrict b, double* c, int64_t rsc, int64_t csc, int64_t m, int64_t n,
                          bool acc) {
  if constexpr (kPackedA) a_rs = 1, a_ks = 6;
  __m256d c00 = _mm256_setzero_pd(), c01 = _mm256_setzero_pd();
  __m256d c10 = _mm256_setzero_pd(), c11 = _mm256_setzero_pd();
  __m256d c20 = _mm256_setzero_pd(), c21 = _mm256_setzero_pd();
  __m256d c30 = _mm256_setzero_pd(), c31 = _mm256_setzero_pd();
  __m256d c40 = _mm256_setzero_pd(), c41 = _mm256_setzero_pd();
  __m256d c50 = _mm256_setzero_pd(), c51 = _mm256_setzero_pd();

  prefetch_tile(c, 6, rsc, 7 * csc);

#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    const __m256d b0 = _mm256_load_pd(b);
    const __m256d b1 = _mm256_load_pd(b + 4);
    __m256d ai;
    ai = _mm256_broadcast_sd(a + 0 * a_rs);
    c00 = _mm256_fmadd_pd(ai, b0, c00);
    c01 = _mm256_fmadd_pd(ai, b1, c01);
    ai = _mm256_broadcast_sd(a + 1 * a_rs);
    c10 = _mm256_fmadd_pd(ai, b0, c10);
    c11 = _mm256_fmadd_pd(ai, b1, c11);
    ai = _mm256_broadcast_sd(a + 2 * a_rs);
    c20 = _mm256_fmadd_pd(ai, b0, c20);
    c21 = _mm256_fmadd_pd(ai, b1, c21);
    ai = _mm256_broadcast_sd(a + 3 * a_rs);
    c30 = _mm256_fmadd_pd(ai, b0, c30);
    c31 = _mm256_fmadd_pd(ai, b1, c31);
    ai = _mm256_broadcast_sd(a + 4 * a_rs);
    c40 = _mm256_fmadd_pd(ai, b0, c40);
    c41 = _mm256_fmadd_pd(ai, b1, c41);
    ai = _mm256_broadcast_sd(a + 5 * a_rs);
    c50 = _mm256_fmadd_pd(ai, b0, c50);
    c51 = _mm256_fmadd_pd(ai, b1, c51);
    a += a_ks;
    b += 8;
  }

  if (m == 6 && n == 8 && csc == 1) {
    const __m256d r[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int i = 0; i < 6; ++i) {
      double* ci = c + i * rsc;
      __m256d lo = r[i][0], hi = r[i][1];
      if (acc) {
        lo = _mm256_add_pd(lo, _mm256_loadu_pd(ci));
        hi = _mm256_add_pd(hi, _mm256_loadu_pd(ci + 4));
      }
      _mm256_storeu_pd(ci, lo);
      _mm256_storeu_pd(ci + 4, hi);
    }
    return;
  }
  if (m == 6 && n == 8 && rsc == 1) {
    // Column-contiguous C: transpose in registers, see the float kernel.
    for (int half = 0; half < 2; ++half) {
      __m256d top[4] = {half ? c01 : c00, half ? c11 : c10, half ? c21 : c20, half ? c31 : c30};
      __m256d bot[4] = {half ? c41 : c40, half ? c51 : c50, _mm256_setzero_pd(), _mm256_setzero_pd()};
      transpose4(top);
      transpose4(bot);
      for (int j = 0; j < 4; ++j) {
        double* cj = c + (half * 4 + j) * csc;
        __m256d lo = top[j];
        __m128d hi = _mm256_castpd256_pd128(bot[j]);  // rows 4, 5
        if (acc) {
          lo = _mm256_add_pd(lo, _mm256_loadu_pd(cj));
          hi = _mm_add_pd(hi, _mm_loadu_pd(cj + 4));
        }
        _mm256_storeu_pd(cj, lo);
        _mm_storeu_pd(cj + 4, hi);
      }
    }
    return;
  }
  alignas(32) double tile[6 * 8];
  _mm256_store_pd(tile + 0, c00);
  _mm256_store_pd(tile + 4, c01);
  _mm256_store_pd(tile + 8, c10);
  _mm256_store_pd(tile + 12, c11);
  _mm256_store_pd(tile + 16, c20);
  _mm256_store_pd(tile + 20, c21);
  _mm256_store_pd(tile + 24, c30);
  _mm256_store_pd(tile + 28, c31);
  _mm256_store_pd(tile + 32, c40);
  _mm256_store_pd(tile + 36, c41);
  _mm256_store_pd(tile + 40, c50);
  _mm256_store_pd(tile + 44, c51);
  store_tile<double, 6, 8>(tile, c, rsc, csc, m, n, acc);
}

#ifdef TG_GEMM_AVX512
// 12x32 float: rows of the tile are two zmm registers each. Per k: two
// aligned loads of B, twelve A values broadcast from memory as FMA operands,
// twenty-four FMAs. Edge tiles with unit column stride use masked stores.
template <bool kPackedA>
void micro_kernel_f32_12x32(int64_t kc, const float* __restrict a, int64_t a_rs, int64_t a_ks,
                            const float* __restrict b, float* c, int64_t rsc, int64_t csc, int64_t m, int64_t n,
                            bool acc) {
  constexpr int MR = 12;
  if constexpr (kPackedA) a_rs = 1, a_ks = MR;
  __m512 lo[MR], hi[MR];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) lo[i] = hi[i] = _mm512_setzero_ps();
  prefetch_tile(c, MR, rsc, 31 * csc);

#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i * a_rs]);
      lo[i] = _mm512_fmadd_ps(ai, b0, lo[i]);
      hi[i] = _mm512_fmadd_ps(ai, b1, hi[i]);
    }
    a += a_ks;
    b += 32;
  }

  if (csc == 1) {
    const __mmask16 mlo = n >= 16 ? 0xFFFF : __mmask16((1u << n) - 1);
    const __mmask16 mhi = n >= 32 ? 0xFFFF : n <= 16 ? 0 : __mmask16((1u << (n - 16)) - 1);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      if (i >= m) break;
      float* ci = c + i * rsc;
      __m512 l = lo[i], h = hi[i];
      if (acc) {
        l = _mm512_add_ps(l, _mm512_maskz_loadu_ps(mlo, ci));
        h = _mm512_add_ps(h, _mm512_maskz_loadu_ps(mhi, ci + 16));
      }
      _mm512_mask_storeu_ps(ci, mlo, l);
      _mm512_mask_storeu_ps(ci + 16, mhi, h);
    }
    return;
  }
  alignas(64) float tile[MR * 32];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    _mm512_store_ps(tile + i * 32, lo[i]);
    _mm512_store_ps(tile + i * 32 + 16, hi[i]);
  }
  store_tile<float, MR, 32>(tile, c, rsc, csc, m, n, acc);
}
#endif  // TG_GEMM_AVX512
#endif  // TG_GEMM_AVX2

// Element (r, k) of the A sliver is at a[r * a_rs + k * a_ks]: packed panels
// have a_rs = 1, a_ks = MR; see compute_rows for when A is read in place.
template <class T>
inline void micro_kernel(int64_t kc, const T* a, int64_t a_rs, int64_t a_ks, const T* b, T* c, int64_t rsc, int64_t csc,
                         int64_t m, int64_t n, bool acc) {
#ifdef TG_GEMM_AVX2
  const bool packed = a_rs == 1 && a_ks == Config<T>::MR;
#ifdef TG_GEMM_AVX512
  if constexpr (std::is_same_v<T, float>) {
    if (packed) micro_kernel_f32_12x32<true>(kc, a, 1, 12, b, c, rsc, csc, m, n, acc);
    else micro_kernel_f32_12x32<false>(kc, a, a_rs, a_ks, b, c, rsc, csc, m, n, acc);
  } else
#endif
      if constexpr (std::is_same_v<T, float>) {
    if (packed) micro_kernel_f32_6x16<true>(kc, a, 1, 6, b, c, rsc, csc, m, n, acc);
    else micro_kernel_f32_6x16<false>(kc, a, a_rs, a_ks, b, c, rsc, csc, m, n, acc);
  } else {
    if (packed) micro_kernel_f64_6x8<true>(kc, a, 1, 6, b, c, rsc, csc, m, n, acc);
    else micro_kernel_f64_6x8<false>(kc, a, a_rs, a_ks, b, c, rsc, csc, m, n, acc);
  }
#else
  micro_kernel_portable<T, Config<T>::MR, Config<T>::NR>(kc, a, a_rs, a_ks, b, c, rsc, csc, m, n, acc);
#endif
}

// ---------------------------------------------------------------------------
// Macro-kernel: an A block (mc rows, see ABlock) times B panels [p0, p1) of a
// packed B block, into the C block whose top-left corner is c (column 0 of
// panel 0).
template <class T> struct ABlock {
  const T* packed;  // MR-row panels, as written by pack_a
  // When non-null, full MR-row slivers are read in place instead: element
  // (r, k) of the block at direct[r * rs + k * ks]. Only the trailing partial
  // sliver (if any) comes from `packed`, at its usual offset.
  const T* direct = nullptr;
  int64_t rs = 0, ks = 0;
};

template <class T>
void macro_kernel(int64_t mc, int64_t nc, int64_t kc, int64_t p0, int64_t p1, const ABlock<T>& A, const T* Bp, T* c,
                  int64_t rsc, int64_t csc, bool acc) {
  constexpr int MR = Config<T>::MR, NR = Config<T>::NR;
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t j0 = p * NR;
    const int64_t n = std::min<int64_t>(NR, nc - j0);
    const T* bp = Bp + p * NR * kc;
    for (int64_t i0 = 0; i0 < mc; i0 += MR) {
      const int64_t m = std::min<int64_t>(MR, mc - i0);
      T* cij = c + i0 * rsc + j0 * csc;
      if (A.direct && m == MR) micro_kernel<T>(kc, A.direct + i0 * A.rs, A.rs, A.ks, bp, cij, rsc, csc, m, n, acc);
      else micro_kernel<T>(kc, A.packed + i0 * kc, 1, MR, bp, cij, rsc, csc, m, n, acc);
    }
  }
}

// Splits `total` units into `parts` near-equal contiguous ranges; returns the
// begin of range `idx` (range idx is [split_at(idx), split_at(idx + 1))).
inline int64_t split_at(int64_t total, int64_t parts, int64_t idx) { return total * idx / parts; }

// Reading A in place instead of packing it: at most this many B panels may
// consume the A block, and for column-major A the column stride must stay
// small (each k step touches a new cache line, see compute_rows).
#ifdef TG_GEMM_TEST_MODE
constexpr int64_t kMaxDirectPanels = 2;  // with NC = 3 panels: both paths run
#else
constexpr int64_t kMaxDirectPanels = 8;
#endif
constexpr int64_t kMaxDirectStride = 4096;

// Rows [m0, m1) of C times the packed B panels [p0, p1) of the current
// (jc, pc) block; packs A itself, MC rows at a time.
template <class T>
void compute_rows(const Operands<T>& op, int64_t m0, int64_t m1, int64_t jc, int64_t nc, int64_t pc, int64_t kc,
                  int64_t p0, int64_t p1, const T* Bp, bool acc) {
  constexpr int MR = Config<T>::MR;
  const int64_t rows = m1 - m0;
  if (rows <= 0 || p1 <= p0) return;
  // Even MC blocks (rounded to MR) rather than MC-sized blocks plus a runt.
  const int64_t nblocks = ceil_div(rows, Config<T>::MC);
  const int64_t mc_step = ceil_div(ceil_div(rows, nblocks), MR) * MR;
  T* Ap = t_pack_a.get<T>(static_cast<size_t>(mc_step * kc));
  // Packing A pays off by making the A block cheap to re-read once per B
  // panel. When only a few B panels will read it (small N), reading A in
  // place is cheaper, provided each step of a sliver is one contiguous run
  // (column-major A: rsa == 1, close-by columns) or the sliver is MR
  // sequential streams (row-major A: csa == 1). Partial slivers are packed.
  const bool direct =
      p1 - p0 <= kMaxDirectPanels && ((op.rsa == 1 && op.csa * int64_t(sizeof(T)) <= kMaxDirectStride) || op.csa == 1);
  for (int64_t ic = m0; ic < m1; ic += mc_step) {
    const int64_t mc = std::min(mc_step, m1 - ic);
    const T* Asrc = op.A + ic * op.rsa + pc * op.csa;
    ABlock<T> ab{Ap};
    if (direct) {
      ab.direct = Asrc;
      ab.rs = op.rsa;
      ab.ks = op.csa;
      const int64_t full = mc / MR * MR;
      if (full < mc) pack_a<T, MR>(mc - full, kc, Asrc + full * op.rsa, op.rsa, op.csa, Ap + full * kc);
    } else {
      pack_a<T, MR>(mc, kc, Asrc, op.rsa, op.csa, Ap);
    }
    macro_kernel<T>(mc, nc, kc, p0, p1, ab, Bp, op.C + ic * op.rsc + jc * op.csc, op.rsc, op.csc, acc);
  }
}

// K is cut into equal blocks no larger than KC (e.g. 1000 -> 3 x 334 rather
// than 2 x 384 + 232) so every pass does a similar amount of work.
template <class T> int64_t k_step(int64_t K) { return ceil_div(K, ceil_div(K, Config<T>::KC)); }

template <class T> int64_t n_step(int64_t N) {
  constexpr int NR = Config<T>::NR;
  return ceil_div(ceil_div(N, ceil_div(N, Config<T>::NC)), NR) * NR;
}

// One task that owns rows [m0, m1) and columns [n0, n1) outright: packs its
// own B, no synchronization with anybody.
template <class T> void run_independent(const Operands<T>& op, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  constexpr int NR = Config<T>::NR;
  if (m1 <= m0 || n1 <= n0) return;
  const int64_t ks = k_step<T>(op.K);
  const int64_t ns = n_step<T>(n1 - n0);
  T* Bp = t_pack_b.get<T>(static_cast<size_t>(ks * ns));
  for (int64_t jc = n0; jc < n1; jc += ns) {
    const int64_t nc = std::min(ns, n1 - jc);
    const int64_t np = ceil_div(nc, NR);
    for (int64_t pc = 0; pc < op.K; pc += ks) {
      const int64_t kc = std::min(ks, op.K - pc);
      pack_b<T, NR>(0, np, nc, kc, op.B + pc * op.rsb + jc * op.csb, op.rsb, op.csb, Bp);
      compute_rows<T>(op, m0, m1, jc, nc, pc, kc, 0, np, Bp, op.accumulate || pc > 0);
    }
  }
}

// Threaded plan with a shared packed B: for every (jc, pc) block, pack B
// cooperatively, then let the threads compute it in (row block x column
// range) tasks. Row blocks are about MC rows, their count a multiple of tm so
// that they divide evenly when all threads run at the same speed; tasks are
// claimed from a shared counter, so a thread slowed down by other load on the
// machine simply takes fewer of them.
template <class T> void run_shared_b(const Operands<T>& op, int tm, int tn) {
  constexpr int MR = Config<T>::MR, NR = Config<T>::NR;
  const int64_t ks = k_step<T>(op.K);
  const int64_t ns = n_step<T>(op.N);
  const int64_t mpanels = ceil_div(op.M, MR);
  const int64_t row_blocks = std::min(mpanels, ceil_div(ceil_div(mpanels * MR, Config<T>::MC), tm) * tm);
  const int64_t ntasks = row_blocks * tn;
  T* Bp = t_pack_b.get<T>(static_cast<size_t>(ks * ns));
  for (int64_t jc = 0; jc < op.N; jc += ns) {
    const int64_t nc = std::min(ns, op.N - jc);
    const int64_t np = ceil_div(nc, NR);
    for (int64_t pc = 0; pc < op.K; pc += ks) {
      const int64_t kc = std::min(ks, op.K - pc);
      const T* Bsrc = op.B + pc * op.rsb + jc * op.csb;
      parallel_for(0, np, 1, [&](int64_t p0, int64_t p1) { pack_b<T, NR>(p0, p1, nc, kc, Bsrc, op.rsb, op.csb, Bp); });
      const bool acc = op.accumulate || pc > 0;
      std::atomic<int64_t> next{0};
      parallel_for(0, int64_t(tm) * tn, 1, [&](int64_t, int64_t) {
        for (int64_t t; (t = next.fetch_add(1, std::memory_order_relaxed)) < ntasks;) {
          const int64_t ti = t / tn, tj = t % tn;
          const int64_t m0 = std::min(op.M, split_at(mpanels, row_blocks, ti) * MR);
          const int64_t m1 = std::min(op.M, split_at(mpanels, row_blocks, ti + 1) * MR);
          compute_rows<T>(op, m0, m1, jc, nc, pc, kc, split_at(np, tn, tj), split_at(np, tn, tj + 1), Bp, acc);
        }
      });
    }
  }
}

// ---------------------------------------------------------------------------
// Planning: orientation and thread grid, from a rough cost model measured in
// "multiply-adds of a full micro-kernel".

// A packed element costs about as much as this many kernel multiply-adds
// (vectorized packing moves a few elements per cycle; the kernel retires
// 2 x vector-width multiply-adds per cycle).
constexpr double kPackCost = 4.0;
// Fixed cost of one parallel_for dispatch, in the same units (~3 us).
constexpr double kDispatchCost = 150e3;
// Writing a tile through a non-unit column stride (scalar stores) costs
// roughly this many extra k iterations per tile and K block.
constexpr double kScatterK = 16.0;

template <class T> double tile_cost(const Operands<T>& op) {
  constexpr int MR = Config<T>::MR, NR = Config<T>::NR;
  const double pm = double(ceil_div(op.M, MR) * MR);
  const double pn = double(ceil_div(op.N, NR) * NR);
  const double kblocks = double(ceil_div(op.K, Config<T>::KC));
  // Strided tile writes cost more when they also read C (accumulating) and when the column stride is a
  // multiple of 1 KiB (the tile's columns then share a few L1 sets): 32 x 256 x 1024 addmm into a row-major C
  // took 0.51 ms written transposed with the stride 4 KiB, 0.21 ms as given.
  const bool aliased = op.csc * int64_t(sizeof(T)) % 1024 == 0;
  const double scatter = kScatterK * (op.accumulate ? 2.0 : 1.0) * (aliased ? 4.0 : 1.0);
  const double extra = kblocks * (op.csc == 1 ? 2.0 : scatter);
  return pm * pn * (double(op.K) + extra);
}

struct Plan {
  int tm = 1, tn = 1;
  bool shared_b = false;
};

template <class T> Plan plan_threads(const Operands<T>& op, int max_threads) {
  constexpr int MR = Config<T>::MR, NR = Config<T>::NR;
  const int64_t mpanels = ceil_div(op.M, MR), npanels = ceil_div(op.N, NR);
  const double K = double(op.K);
  const double kblocks = double(ceil_div(op.K, Config<T>::KC));
  const double nblocks = double(ceil_div(op.N, Config<T>::NC));
  Plan best;
  double best_cost = 1e300;
  for (int t = 1; t <= max_threads; ++t) {
    for (int tm = 1; tm <= t; ++tm) {
      if (t % tm) continue;
      const int tn = t / tm;
      if (tm > mpanels || tn > npanels) continue;
      const double rows = double(ceil_div(mpanels, tm) * MR);
      const double cols = double(ceil_div(npanels, tn) * NR);
      double cost = rows * cols * K;
      // Every task packs the A rows it owns once per column block it visits.
      cost += kPackCost * rows * K * nblocks;
      const bool shared = tm > 1;
      if (shared) {
        // B packed once, split among all threads; two dispatches per block.
        cost += kPackCost * double(op.N) * K / t;
        cost += 2.0 * kDispatchCost * kblocks * nblocks;
      } else {
        cost += kPackCost * cols * K;
        if (t > 1) cost += kDispatchCost;
      }
      if (cost < best_cost * 0.97) {  // prefer fewer threads on near-ties
        best_cost = cost;
        best = {tm, tn, shared};
      }
    }
  }
  return best;
}

template <class T> void gemm_packed(Operands<T> op) {
  // Orientation: computing C^T = B^T A^T is free (strides swap) and can waste
  // less padding (e.g. N = 100 pads to 112 with NR = 16) or turn a
  // column-major C into row-major write-back.
  // NOTE: an A packed from steps a multiple of 2048 bytes apart (rsa == 1 and e.g. 512, 1024 floats per
  // step) has its MR-row slivers share a few L1 sets, re-fetching every line: the orientation without that
  // wins when only one has it (64 x 1024 x 512, row-major: 38 GFLOP/s transposed, 68-75 as given).
  const Operands<T> t = op.transposed();
  const bool aliased = op.rsa == 1 && op.csa * int64_t(sizeof(T)) % 2048 == 0;
  const bool t_aliased = t.rsa == 1 && t.csa * int64_t(sizeof(T)) % 2048 == 0;
  if (aliased != t_aliased ? aliased : tile_cost(t) < tile_cost(op)) op = t;

  const Plan plan = plan_threads(op, get_num_threads());
  if (plan.tm * plan.tn == 1) {
    run_independent(op, 0, op.M, 0, op.N);
  } else if (plan.shared_b) {
    run_shared_b(op, plan.tm, plan.tn);
  } else {
    constexpr int NR = Config<T>::NR;
    const int64_t npanels = ceil_div(op.N, NR);
    parallel_for(0, plan.tn, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t n0 = std::min(op.N, split_at(npanels, plan.tn, t) * NR);
        const int64_t n1 = std::min(op.N, split_at(npanels, plan.tn, t + 1) * NR);
        run_independent(op, 0, op.M, n0, n1);
      }
    });
  }
}

// ---------------------------------------------------------------------------
// Direct loops for tiny products and matrix-vector shapes (M == 1 or N == 1),
// where packing cannot pay off. The loop order follows the memory layout so
// that the innermost loop is unit-stride whenever the layout allows it.

// Matrix-vector shapes stream one operand from memory exactly once; the loops
// below each keep several independent streams in flight (4 columns of B in
// the dot form, 4 rows of B / columns of A in the axpy forms), which both
// raises the achievable bandwidth and cuts the traffic on the output.

// Four dot products a[q] . b[q], q < 4 (one side is usually the same vector
// four times), with independent partial sums per lane so they vectorize
// without reassociation flags.
template <class T> inline void dot4(int64_t K, const T* const a[4], const T* const b[4], T out[4]) {
  constexpr int U = 64 / sizeof(T);  // one cache line of each operand
  T part[4][U] = {};
  int64_t k = 0;
  for (; k + U <= K; k += U)
    for (int q = 0; q < 4; ++q)
      for (int u = 0; u < U; ++u) part[q][u] += a[q][k + u] * b[q][k + u];
  for (int q = 0; q < 4; ++q) {
    T s = T(0);
    for (int64_t r = k; r < K; ++r) s += a[q][r] * b[q][r];
    for (int u = 0; u < U; ++u) s += part[q][u];
    out[q] = s;
  }
}

template <class T> inline T dot(int64_t K, const T* a, const T* b) {
  constexpr int U = 64 / sizeof(T);
  T part[U] = {};
  int64_t k = 0;
  for (; k + U <= K; k += U)
    for (int u = 0; u < U; ++u) part[u] += a[k + u] * b[k + u];
  T s = T(0);
  for (; k < K; ++k) s += a[k] * b[k];
  for (int u = 0; u < U; ++u) s += part[u];
  return s;
}

// y[0:n] += sum_q x[q] * v[q][0:n] over four unit-stride vectors v[q].
template <class T> inline void axpy4(int64_t n, const T x[4], const T* const v[4], T* y) {
  const T x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
  const T *v0 = v[0], *v1 = v[1], *v2 = v[2], *v3 = v[3];
  for (int64_t j = 0; j < n; ++j) y[j] += x0 * v0[j] + x1 * v1[j] + x2 * v2[j] + x3 * v3[j];
}

template <class T> void gemm_direct(const Operands<T>& op) {
  const int64_t M = op.M, N = op.N, K = op.K;
  const T* A = op.A;
  const T* B = op.B;
  T* C = op.C;
  auto store = [&](T& cij, T s) { cij = op.accumulate ? cij + s : s; };
  if (op.csa == 1 && op.rsb == 1) {
    // Rows of A and columns of B are contiguous: dot products, four at a
    // time along the longer side of C.
    const bool along_j = N >= M;
    const int64_t outer = along_j ? M : N, inner = along_j ? N : M;
    for (int64_t o = 0; o < outer; ++o) {
      auto a_of = [&](int64_t t) { return A + (along_j ? o : t) * op.rsa; };
      auto b_of = [&](int64_t t) { return B + (along_j ? t : o) * op.csb; };
      auto c_of = [&](int64_t t) -> T& { return along_j ? C[o * op.rsc + t * op.csc] : C[t * op.rsc + o * op.csc]; };
      int64_t t = 0;
      for (; t + 4 <= inner; t += 4) {
        const T* a[4] = {a_of(t), a_of(t + 1), a_of(t + 2), a_of(t + 3)};
        const T* b[4] = {b_of(t), b_of(t + 1), b_of(t + 2), b_of(t + 3)};
        T s[4];
        dot4(K, a, b, s);
        for (int q = 0; q < 4; ++q) store(c_of(t + q), s[q]);
      }
      for (; t < inner; ++t) store(c_of(t), dot(K, a_of(t), b_of(t)));
    }
    return;
  }
  if ((op.rsa == 1 && op.rsc == 1) || (op.csb == 1 && op.csc == 1)) {
    // Axpy forms, on C^T = B^T A^T when that makes the inner loop unit-stride:
    // row form C[i, :] += sum_k A[i, k] * B[k, :] with B, C row-major (the
    // column form for column-major A, C is the same loop transposed).
    const Operands<T> o = (op.csb == 1 && op.csc == 1) ? op : op.transposed();
    for (int64_t i = 0; i < o.M; ++i) {
      T* ci = o.C + i * o.rsc;
      if (!o.accumulate)
        for (int64_t j = 0; j < o.N; ++j) ci[j] = T(0);
      const T* ai = o.A + i * o.rsa;
      int64_t k = 0;
      for (; k + 4 <= o.K; k += 4) {
        const T x[4] = {ai[k * o.csa], ai[(k + 1) * o.csa], ai[(k + 2) * o.csa], ai[(k + 3) * o.csa]};
        const T* v[4] = {o.B + k * o.rsb, o.B + (k + 1) * o.rsb, o.B + (k + 2) * o.rsb, o.B + (k + 3) * o.rsb};
        axpy4(o.N, x, v, ci);
      }
      for (; k < o.K; ++k) {
        const T x = ai[k * o.csa];
        const T* v = o.B + k * o.rsb;
        for (int64_t j = 0; j < o.N; ++j) ci[j] += x * v[j];
      }
    }
    return;
  }
  // Any other strides: plain loops.
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      T s = T(0);
      for (int64_t k = 0; k < K; ++k) s += A[i * op.rsa + k * op.csa] * B[k * op.rsb + j * op.csb];
      store(C[i * op.rsc + j * op.csc], s);
    }
}

// Matrix-vector shapes are memory bound; threads split the long output side.
template <class T> void gemm_direct_threaded(const Operands<T>& op) {
  const double work = double(op.M) * double(op.N) * double(op.K);
  const int64_t len = std::max(op.M, op.N);
  const int nt = get_num_threads();
  if (nt <= 1 || work < double(1 << 18) || len < 2 * 64) {
    gemm_direct(op);
    return;
  }
  const bool split_m = op.M >= op.N;
  parallel_for(0, len, 64, [&](int64_t b, int64_t e) {
    Operands<T> sub = op;
    if (split_m) {
      sub.M = e - b;
      sub.A += b * op.rsa;
      sub.C += b * op.rsc;
    } else {
      sub.N = e - b;
      sub.B += b * op.csb;
      sub.C += b * op.csc;
    }
    gemm_direct(sub);
  });
}

}  // namespace

template <class T>
void gemm(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb,
          T* C, int64_t rsc, int64_t csc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) C[i * rsc + j * csc] = T(0);
    return;
  }
  const Operands<T> op{M, N, K, A, rsa, csa, B, rsb, csb, C, rsc, csc, accumulate};
#ifndef TG_GEMM_TEST_MODE  // test builds force the packed path
  if (M == 1 || N == 1 || double(M) * double(N) * double(K) < kSmallWork) {
    gemm_direct_threaded(op);
    return;
  }
#endif
  gemm_packed(op);
}

template void gemm<float>(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t,
                          float*, int64_t, int64_t, bool);
template void gemm<double>(int64_t, int64_t, int64_t, const double*, int64_t, int64_t, const double*, int64_t, int64_t,
                           double*, int64_t, int64_t, bool);

}  // namespace tg::cpu::TG_ISA
