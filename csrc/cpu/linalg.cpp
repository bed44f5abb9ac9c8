// The singular value decomposition on the CPU, as MKL's gesdd (torch's CPU backend) does it for up to 25 columns,
// so that the singular vectors' signs come out as torch's: A (m x n) is scaled by a power of two to a largest entry
// near 1; a tall one (m > n) is first factored A = QR by Householder reflections and R decomposed; A (R) is reduced
// to a bidiagonal B = Q^T A P by Householder reflections (LAPACK's dlarfg signs): upper for m >= n, lower for a
// wide A (turned upper by plane rotations from the left); B is diagonalized as LAPACK's dbdsqr does (implicit QR
// sweeps from the larger end of each block, zero-shifted where a shift would spoil the small values, 2 x 2 blocks
// by dlasv2, negative values made positive through V, a selection sort). Each sweep's plane rotations are
// recorded, then applied to U and V in blocks of rows (in parallel across the thread pool). Runs in the input's
// precision (float32 as torch's sgesdd); one matrix per task of the batch.
// NOTE: the singular values are accurate to a few ulps of ||A|| (absolute, as LAPACK's QR); singular vectors are
// unique only up to sign (and rotation within equal singular values): beyond 25 columns MKL divides and conquers,
// whose signs are not reproduced.
#include "linalg.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "../core/ops.h"
#include "gemm.h"
#include "parallel.h"

namespace tg {
namespace {

// Column-major m x n matrix.
template <class T> struct Mat {
  int64_t m = 0, n = 0;
  std::vector<T> a;
  Mat() = default;
  Mat(int64_t rows, int64_t cols) : m(rows), n(cols), a(rows * cols, T(0)) {}
  T* col(int64_t j) { return a.data() + j * m; }
  const T* col(int64_t j) const { return a.data() + j * m; }
  T& at(int64_t i, int64_t j) { return a[i + j * m]; }
  T at(int64_t i, int64_t j) const { return a[i + j * m]; }
  static Mat eye(int64_t rows, int64_t cols) {
    Mat e(rows, cols);
    for (int64_t j = 0; j < std::min(rows, cols); ++j) e.at(j, j) = T(1);
    return e;
  }
};

// The inner loops, compiled for AVX-512, AVX2/FMA and the baseline with run-time selection (this file is not one
// of the per-ISA kernel sources of cpu/isa.h). Dot products keep 16 partial sums so they vectorize without
// reassociation flags.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TG_LINALG_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TG_LINALG_CLONES
#endif
#define TG_LINALG_KERNELS(T)                                      \
  TG_LINALG_CLONES T dot(const T* x, const T* y, int64_t n) {     \
    T p[16] = {};                                                 \
    int64_t i = 0;                                                \
    for (; i + 16 <= n; i += 16)                                  \
      for (int k = 0; k < 16; ++k) p[k] += x[i + k] * y[i + k];   \
    T s = 0;                                                      \
    for (; i < n; ++i) s += x[i] * y[i];                          \
    for (int k = 0; k < 16; ++k) s += p[k];                       \
    return s;                                                     \
  }                                                               \
  /* y += a x */                                                  \
  TG_LINALG_CLONES void axpy(T* y, const T* x, T a, int64_t n) {  \
    for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];             \
  }                                                               \
  /* (x, y) = (c x + s y, c y - s x) */                           \
  TG_LINALG_CLONES void rotate(T* x, T* y, int64_t n, T c, T s) { \
    for (int64_t i = 0; i < n; ++i) {                             \
      const T xi = x[i], yi = y[i];                               \
      x[i] = c * xi + s * yi;                                     \
      y[i] = c * yi - s * xi;                                     \
    }                                                             \
  }
TG_LINALG_KERNELS(float)
TG_LINALG_KERNELS(double)
#undef TG_LINALG_KERNELS

// Work (multiply-adds) below which a step runs on the calling thread alone.
constexpr int64_t kParallelWork = 1 << 15;

// Householder reflection H = I - tau v v^T (v[0] = 1) with H x = beta e1 for x = (x[0], x[1 * inc], ...): the
// tail of v overwrites x's tail; returns tau (0 when x's tail is zero: H = I, beta = x[0]).
template <class T> T householder(T* x, int64_t len, int64_t inc, T& beta) {
  T ss = 0;
  if (inc == 1) ss = dot(x + 1, x + 1, len - 1);
  else
    for (int64_t i = 1; i < len; ++i) ss += x[i * inc] * x[i * inc];
  const T alpha = x[0];
  if (ss == T(0)) {
    beta = alpha;
    return T(0);
  }
  const T norm = std::sqrt(alpha * alpha + ss);
  beta = alpha >= T(0) ? -norm : norm;  // (LAPACK's dlarfg: -SIGN(norm, alpha); MKL's SIGN takes -0 as +0)
  const T scale = T(1) / (alpha - beta);
  for (int64_t i = 1; i < len; ++i) x[i * inc] *= scale;
  return (beta - alpha) / beta;
}

// A[r0:, c0:c1] = H A[r0:, c0:c1] for H = I - tau v v^T, v = (1, v[1], ..., v[len - 1]), len = A.m - r0.
template <class T> void reflect_left(Mat<T>& A, const T* v, T tau, int64_t r0, int64_t c0, int64_t c1) {
  if (tau == T(0) || c0 >= c1) return;
  const int64_t len = A.m - r0;
  auto cols = [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      T* x = A.col(j) + r0;
      const T s = tau * (x[0] + dot(v + 1, x + 1, len - 1));
      x[0] -= s;
      axpy(x + 1, v + 1, -s, len - 1);
    }
  };
  if (len * (c1 - c0) < kParallelWork) cols(c0, c1);
  else cpu::parallel_for(c0, c1, std::max<int64_t>(1, kParallelWork / len), cols);
}

// A[r0:, c0:] = A[r0:, c0:] H for H = I - tau v v^T, v = (1, v[1], ..., v[len - 1]) contiguous, len = A.n - c0.
template <class T> void reflect_right(Mat<T>& A, const T* v, T tau, int64_t r0, int64_t c0) {
  const int64_t len = A.n - c0;
  if (tau == T(0) || r0 >= A.m) return;
  auto rows = [&](int64_t b, int64_t e) {
    std::vector<T> w(A.col(c0) + b, A.col(c0) + e);  // w = A[b:e, c0:] v
    for (int64_t j = 1; j < len; ++j) axpy(w.data(), A.col(c0 + j) + b, v[j], e - b);
    for (int64_t j = 0; j < len; ++j) axpy(A.col(c0 + j) + b, w.data(), -tau * v[j], e - b);
  };
  if ((A.m - r0) * len < kParallelWork) rows(r0, A.m);
  else cpu::parallel_for(r0, A.m, std::max<int64_t>(64, kParallelWork / len), rows);
}

// The compact WY form I - V T V^T of H_k0 ... H_{k1-1} (T upper triangular, by LAPACK's forward recurrence),
// the reflectors' vectors stored below the diagonal of H's columns k0 .. k1 - 1.
template <class T>
void wy_block(const Mat<T>& H, const std::vector<T>& tau, int64_t k0, int64_t k1, Mat<T>& V, Mat<T>& Tm) {
  const int64_t b = k1 - k0, rows = H.m - k0;
  V = Mat<T>(rows, b);
  Tm = Mat<T>(b, b);
  Mat<T> G(b, b);
  for (int64_t j = 0; j < b; ++j) {
    V.at(j, j) = T(1);
    std::copy(H.col(k0 + j) + k0 + j + 1, H.col(k0 + j) + H.m, V.col(j) + j + 1);
  }
  cpu::gemm<T>(b, b, rows, V.a.data(), rows, 1, V.a.data(), 1, rows, G.a.data(), 1, b, false);  // V^T V
  for (int64_t j = 0; j < b; ++j) {  // T[:j, j] = -tau_j T[:j, :j] (V[:, :j]^T v_j)
    Tm.at(j, j) = tau[k0 + j];
    for (int64_t i = 0; i < j; ++i) {
      T acc = 0;
      for (int64_t l = i; l < j; ++l) acc += Tm.at(i, l) * G.at(l, j);
      Tm.at(i, j) = -tau[k0 + j] * acc;
    }
  }
}

// C[r0:, c0:] = (I - V T V^T) C[r0:, c0:] (T^T for `transpose`) through the GEMM: C -= V (T (V^T C)).
template <class T> void apply_wy(const Mat<T>& V, const Mat<T>& Tm, bool transpose, Mat<T>& C, int64_t r0, int64_t c0) {
  const int64_t rows = V.m, b = V.n, nc = C.n - c0;
  if (nc <= 0 || rows <= 0) return;
  Mat<T> W(b, nc), TW(b, nc);
  T* Cb = C.col(c0) + r0;
  cpu::gemm<T>(b, nc, rows, V.a.data(), rows, 1, Cb, 1, C.m, W.a.data(), 1, b, false);  // V^T C
  cpu::gemm<T>(b, nc, b, Tm.a.data(), transpose ? b : 1, transpose ? 1 : b, W.a.data(), 1, b, TW.a.data(), 1, b,
               false);  // T (V^T C)
  for (T& x : TW.a) x = -x;
  cpu::gemm<T>(rows, nc, b, V.a.data(), 1, rows, TW.a.data(), 1, b, Cb, 1, C.m, true);  // C -= V ...
}

constexpr int64_t kBlock = 32;  // reflectors per compact WY block

// Q C for Q = H_0 ... H_{n-1} stored by qr_in_place (or bidiagonalize's left reflectors) in H: C (H.m x c) is
// overwritten, a block of reflectors at a time, last block first. When `identity_front` (C starts as I), a block
// starting at k skips the columns j < k of C, zero in its rows.
template <class T> void apply_q(const Mat<T>& H, const std::vector<T>& tau, Mat<T>& C, bool identity_front) {
  Mat<T> V, Tm;
  for (int64_t k1 = H.n; k1 > 0;) {
    const int64_t k0 = std::max<int64_t>(0, k1 - kBlock);
    wy_block(H, tau, k0, k1, V, Tm);
    apply_wy(V, Tm, false, C, k0, identity_front ? k0 : 0);
    k1 = k0;
  }
}

// Householder QR of A (m x n, m >= n) in place: R in the upper triangle, the reflectors' vectors below it. Panels
// of kBlock columns are factored one reflector at a time; the columns right of a panel get its reflectors at once
// as a compact WY transform (Q_panel^T = I - V T^T V^T) through the GEMM, as LAPACK's geqrf.
template <class T> void qr_in_place(Mat<T>& A, std::vector<T>& tau) {
  tau.assign(A.n, T(0));
  Mat<T> V, Tm;
  for (int64_t k0 = 0; k0 < A.n; k0 += kBlock) {
    const int64_t k1 = std::min(A.n, k0 + kBlock);
    for (int64_t k = k0; k < k1; ++k) {
      T beta;
      tau[k] = householder(A.col(k) + k, A.m - k, 1, beta);
      A.at(k, k) = T(1);
      reflect_left(A, A.col(k) + k, tau[k], k, k + 1, k1);
      A.at(k, k) = beta;
    }
    if (k1 == A.n) break;
    wy_block(A, tau, k0, k1, V, Tm);
    apply_wy(V, Tm, true, A, k0, k1);
  }
}

// Householder bidiagonalization of A (m x n, m >= n) in place: B = Q^T A P upper bidiagonal (diagonal d,
// superdiagonal e); Q's reflectors below the diagonal (tauq), P's right of the superdiagonal (taup).
template <class T>
void bidiagonalize(Mat<T>& A, std::vector<T>& d, std::vector<T>& e, std::vector<T>& tauq, std::vector<T>& taup) {
  const int64_t n = A.n;
  d.assign(n, T(0));
  e.assign(std::max<int64_t>(n - 1, 0), T(0));
  tauq.assign(n, T(0));
  taup.assign(n, T(0));
  std::vector<T> v;
  for (int64_t k = 0; k < n; ++k) {
    tauq[k] = householder(A.col(k) + k, A.m - k, 1, d[k]);
    A.at(k, k) = T(1);
    reflect_left(A, A.col(k) + k, tauq[k], k, k + 1, n);
    A.at(k, k) = d[k];
    if (k + 1 >= n) continue;
    taup[k] = householder(&A.at(k, k + 1), n - k - 1, A.m, e[k]);
    v.resize(n - k - 1);
    v[0] = T(1);
    for (int64_t j = k + 2; j < n; ++j) v[j - k - 1] = A.at(k, j);
    reflect_right(A, v.data(), taup[k], k + 1, k + 1);
  }
}

// P = G_0 ... G_{n-2} (n x n) from bidiagonalize's right reflectors: G_k acts on indices k + 1 .. n - 1, so
// P = diag(1, P') with P' formed by apply_q from the reflectors' vectors laid out as columns.
template <class T> Mat<T> form_p(const Mat<T>& A, const std::vector<T>& taup) {
  const int64_t n = A.n;
  Mat<T> P = Mat<T>::eye(n, n);
  if (n < 2) return P;
  Mat<T> Hp(n - 1, n - 1), Pp = Mat<T>::eye(n - 1, n - 1);
  for (int64_t k = 0; k + 1 < n; ++k)
    for (int64_t r = k + 1; r < n - 1; ++r) Hp.at(r, k) = A.at(k, r + 1);
  apply_q(Hp, std::vector<T>(taup.begin(), taup.begin() + (n - 1)), Pp, true);
  for (int64_t j = 1; j < n; ++j) std::copy(Pp.col(j - 1), Pp.col(j - 1) + n - 1, P.col(j) + 1);
  return P;
}

// The recorded rotations of one QR sweep, applied to the columns of X: column pairs (k, k + 1) (or (k, l)),
// x' = c x + s y, y' = c y - s x, in order. Rows are independent: blocks of rows go to the thread pool.
struct Rotation {
  int64_t i, j;
  double c, s;
};
template <class T> void apply_rotations(Mat<T>& X, const std::vector<Rotation>& rots) {
  if (rots.empty() || X.m == 0) return;
  auto rows = [&](int64_t b, int64_t e) {
    for (const Rotation& r : rots) rotate(X.col(r.i) + b, X.col(r.j) + b, e - b, T(r.c), T(r.s));
  };
  const int64_t work = X.m * int64_t(rots.size());
  if (work < kParallelWork) rows(0, X.m);
  else cpu::parallel_for(0, X.m, std::max<int64_t>(32, kParallelWork / int64_t(rots.size())), rows);
}

// The bidiagonal SVD in LAPACK's way, so that the singular vectors' signs come out as torch's (MKL's gesdd, whose
// bidiagonal step for up to 25 columns is dbdsqr's; beyond that it divides and conquers, not reproduced here).

// Fortran's SIGN(a, b): |a| with b's sign (a zero b, either sign, counts as positive: MKL's).
template <class T> T fsign(T a, T b) { return b >= T(0) ? std::fabs(a) : -std::fabs(a); }

// dlartg (LAPACK >= 3.10): c f + s g = r, c g - s f = 0, with c >= 0 and r of f's sign.
template <class T> void lartg(T f, T g, T& c, T& s, T& r) {
  if (g == T(0)) {
    c = T(1);
    s = T(0);
    r = f;
    return;
  }
  if (f == T(0)) {
    c = T(0);
    s = fsign(T(1), g);
    r = std::fabs(g);
    return;
  }
  constexpr T safmin = std::numeric_limits<T>::min(), safmax = T(1) / std::numeric_limits<T>::min();
  const T rtmin = std::sqrt(safmin), rtmax = std::sqrt(safmax / T(2));
  const T f1 = std::fabs(f), g1 = std::fabs(g);
  if (f1 > rtmin && f1 < rtmax && g1 > rtmin && g1 < rtmax) {
    const T d = std::sqrt(f * f + g * g);
    c = f1 / d;
    r = fsign(d, f);
    s = g / r;
    return;
  }
  const T u = std::min(safmax, std::max(safmin, std::max(f1, g1)));
  const T fs = f / u, gs = g / u, d = std::sqrt(fs * fs + gs * gs);
  c = std::fabs(fs) / d;
  r = fsign(d, f);
  s = gs / r;
  r *= u;
}

// dlas2: the singular values of the upper triangular [[f, g], [0, h]] (ssmin <= ssmax).
template <class T> void las2(T f, T g, T h, T& ssmin, T& ssmax) {
  const T fa = std::fabs(f), ga = std::fabs(g), ha = std::fabs(h);
  const T fhmn = std::min(fa, ha), fhmx = std::max(fa, ha);
  if (fhmn == T(0)) {
    ssmin = T(0);
    if (fhmx == T(0)) ssmax = ga;
    else {
      const T mx = std::max(fhmx, ga), mn = std::min(fhmx, ga);
      ssmax = mx * std::sqrt(T(1) + (mn / mx) * (mn / mx));
    }
  } else if (ga < fhmx) {
    const T as = T(1) + fhmn / fhmx, at = (fhmx - fhmn) / fhmx, au = (ga / fhmx) * (ga / fhmx);
    const T c = T(2) / (std::sqrt(as * as + au) + std::sqrt(at * at + au));
    ssmin = fhmn * c;
    ssmax = fhmx / c;
  } else {
    const T au = fhmx / ga;
    if (au == T(0)) {
      ssmin = (fhmn * fhmx) / ga;
      ssmax = ga;
    } else {
      const T as = T(1) + fhmn / fhmx, at = (fhmx - fhmn) / fhmx;
      const T c = T(1) / (std::sqrt(T(1) + (as * au) * (as * au)) + std::sqrt(T(1) + (at * au) * (at * au)));
      ssmin = (fhmn * c) * au;
      ssmin = ssmin + ssmin;
      ssmax = ga / (c + c);
    }
  }
}

// dlasv2: the SVD of the upper triangular [[f, g], [0, h]]: [[csl, snl], [-snl, csl]] [[f, g], [0, h]]
// [[csr, -snr], [snr, csr]] = diag(ssmax, ssmin), the signs of ssmax and ssmin as LAPACK chooses them.
template <class T> void lasv2(T f, T g, T h, T& ssmin, T& ssmax, T& snr, T& csr, T& snl, T& csl) {
  const T eps = std::numeric_limits<T>::epsilon() / T(2);
  T ft = f, fa = std::fabs(f), ht = h, ha = std::fabs(h);
  int pmax = 1;  // the entry of largest magnitude: 1 f, 2 g, 3 h
  const bool swap = ha > fa;
  if (swap) {
    pmax = 3;
    std::swap(ft, ht);
    std::swap(fa, ha);
  }
  const T gt = g, ga = std::fabs(g);
  T clt, crt, slt, srt;
  if (ga == T(0)) {  // diagonal
    ssmin = ha;
    ssmax = fa;
    clt = crt = T(1);
    slt = srt = T(0);
  } else {
    bool gasmal = true;
    if (ga > fa) {
      pmax = 2;
      if (fa / ga < eps) {  // a very large g
        gasmal = false;
        ssmax = ga;
        ssmin = ha > T(1) ? fa / (ga / ha) : (fa / ga) * ha;
        clt = T(1);
        slt = ht / gt;
        srt = T(1);
        crt = ft / gt;
      }
    }
    if (gasmal) {
      const T dd = fa - ha;
      T l = dd == fa ? T(1) : dd / fa;
      const T m = gt / ft;
      T t = T(2) - l;
      const T mm = m * m, tt = t * t;
      const T s = std::sqrt(tt + mm);
      const T r = l == T(0) ? std::fabs(m) : std::sqrt(l * l + mm);
      const T a = T(0.5) * (s + r);
      ssmin = ha / a;
      ssmax = fa * a;
      if (mm == T(0)) t = l == T(0) ? fsign(T(2), ft) * fsign(T(1), gt) : gt / fsign(dd, ft) + m / t;
      else t = (m / (s + t) + m / (r + l)) * (T(1) + a);
      l = std::sqrt(t * t + T(4));
      crt = T(2) / l;
      srt = t / l;
      clt = (crt + srt * m) / a;
      slt = (ht / ft) * srt / a;
    }
  }
  if (swap) {
    csl = srt;
    snl = crt;
    csr = slt;
    snr = clt;
  } else {
    csl = clt;
    snl = slt;
    csr = crt;
    snr = srt;
  }
  T tsign;
  if (pmax == 1) tsign = fsign(T(1), csr) * fsign(T(1), csl) * fsign(T(1), f);
  else if (pmax == 2) tsign = fsign(T(1), snr) * fsign(T(1), csl) * fsign(T(1), g);
  else tsign = fsign(T(1), snr) * fsign(T(1), snl) * fsign(T(1), h);
  ssmax = fsign(ssmax, tsign);
  ssmin = fsign(ssmin, tsign * fsign(T(1), f) * fsign(T(1), h));
}

// dbdsqr: diagonalizes the upper bidiagonal (d, e) = U diag(d) V^T, its rotations applied to the columns of U and
// V (when given: they hold the bidiagonalization's Q and P, so the products come out). Relative accuracy; each
// sweep chases the bulge from the larger end of the block, with a zero shift where a shift would spoil the small
// singular values, a 2 x 2 block by dlasv2. d ends non-negative (a negative one flips its V column) and descending
// (a selection sort: each pair moves at most once). One column: dbdsdc's, the sign goes to U.
template <class T> void bidiagonal_qr(std::vector<T>& dv, std::vector<T>& ev, Mat<T>* U, Mat<T>* V) {
  const int64_t n = int64_t(dv.size());
  if (n == 0) return;
  if (n == 1) {
    if (dv[0] < T(0) && U)
      for (int64_t t = 0; t < U->m; ++t) U->at(t, 0) = -U->at(t, 0);
    dv[0] = std::fabs(dv[0]);
    return;
  }
  auto D = [&](int64_t i) -> T& { return dv[i - 1]; };  // (1-based, as LAPACK's)
  auto E = [&](int64_t i) -> T& { return ev[i - 1]; };
  const T eps = std::numeric_limits<T>::epsilon() / T(2), unfl = std::numeric_limits<T>::min();
  const T tol = std::max(T(10), std::min(T(100), std::pow(eps, T(-0.125)))) * eps;
  constexpr int64_t kMaxItr = 6;
  T sminoa = std::fabs(D(1));
  if (sminoa != T(0)) {
    T mu = sminoa;
    for (int64_t i = 2; i <= n; ++i) {
      mu = std::fabs(D(i)) * (mu / (mu + std::fabs(E(i - 1))));
      sminoa = std::min(sminoa, mu);
      if (sminoa == T(0)) break;
    }
  }
  sminoa = sminoa / std::sqrt(T(n));
  const T thresh = std::max(tol * sminoa, T(kMaxItr) * (T(n) * (T(n) * unfl)));
  std::vector<Rotation> urot, vrot;  // one sweep's rotations, in their order
  auto flush = [&] {
    if (U) apply_rotations(*U, urot);
    if (V) apply_rotations(*V, vrot);
    urot.clear();
    vrot.clear();
  };
  const int64_t maxit = kMaxItr * n * n;
  int64_t m = n, oldll = -1, oldm = -1, iter = 0;
  int idir = 0;
  while (m > 1 && iter <= maxit) {  // (past maxit, as a last resort, the values are taken as they are)
    T smax = std::fabs(D(m));
    int64_t ll = 0;
    for (int64_t lll = 1; lll < m; ++lll) {
      const int64_t l = m - lll;
      const T abss = std::fabs(D(l)), abse = std::fabs(E(l));
      if (abse <= thresh) {
        ll = l;
        break;
      }
      smax = std::max(smax, std::max(abss, abse));
    }
    if (ll > 0) {
      E(ll) = T(0);
      if (ll == m - 1) {  // the bottom value converged
        --m;
        continue;
      }
    }
    ++ll;  // e(ll) .. e(m - 1) nonzero
    if (ll == m - 1) {
      T sigmn, sigmx, sinr, cosr, sinl, cosl;
      lasv2(D(m - 1), E(m - 1), D(m), sigmn, sigmx, sinr, cosr, sinl, cosl);
      D(m - 1) = sigmx;
      E(m - 1) = T(0);
      D(m) = sigmn;
      vrot.push_back({m - 2, m - 1, double(cosr), double(sinr)});
      urot.push_back({m - 2, m - 1, double(cosl), double(sinl)});
      flush();
      m -= 2;
      continue;
    }
    if (ll > oldm || m < oldll) idir = std::fabs(D(ll)) >= std::fabs(D(m)) ? 1 : 2;  // from the larger end
    T smin;
    bool split = false;
    if (idir == 1) {
      if (std::fabs(E(m - 1)) <= tol * std::fabs(D(m))) {
        E(m - 1) = T(0);
        continue;
      }
      T mu = std::fabs(D(ll));
      smin = mu;
      for (int64_t l = ll; l < m && !split; ++l) {
        if (std::fabs(E(l)) <= tol * mu) {
          E(l) = T(0);
          split = true;
        } else {
          mu = std::fabs(D(l + 1)) * (mu / (mu + std::fabs(E(l))));
          smin = std::min(smin, mu);
        }
      }
    } else {
      if (std::fabs(E(ll)) <= tol * std::fabs(D(ll))) {
        E(ll) = T(0);
        continue;
      }
      T mu = std::fabs(D(m));
      smin = mu;
      for (int64_t l = m - 1; l >= ll && !split; --l) {
        if (std::fabs(E(l)) <= tol * mu) {
          E(l) = T(0);
          split = true;
        } else {
          mu = std::fabs(D(l)) * (mu / (mu + std::fabs(E(l))));
          smin = std::min(smin, mu);
        }
      }
    }
    if (split) continue;
    oldll = ll;
    oldm = m;
    T shift = T(0);
    if (!(T(n) * tol * (smin / smax) <= std::max(eps, T(0.01) * tol))) {
      T sll, r;
      if (idir == 1) {
        sll = std::fabs(D(ll));
        las2(D(m - 1), E(m - 1), D(m), shift, r);
      } else {
        sll = std::fabs(D(m));
        las2(D(ll), E(ll), D(ll + 1), shift, r);
      }
      if (sll > T(0) && (shift / sll) * (shift / sll) < eps) shift = T(0);
    }
    iter += m - ll;
    if (shift == T(0) && idir == 1) {  // zero shift, top to bottom
      T cs = T(1), sn = T(0), r, oldcs = T(1), oldsn = T(0);
      for (int64_t i = ll; i < m; ++i) {
        lartg(D(i) * cs, E(i), cs, sn, r);
        if (i > ll) E(i - 1) = oldsn * r;
        T di;
        lartg(oldcs * r, D(i + 1) * sn, oldcs, oldsn, di);
        D(i) = di;
        vrot.push_back({i - 1, i, double(cs), double(sn)});
        urot.push_back({i - 1, i, double(oldcs), double(oldsn)});
      }
      const T h = D(m) * cs;
      D(m) = h * oldcs;
      E(m - 1) = h * oldsn;
      if (std::fabs(E(m - 1)) <= thresh) E(m - 1) = T(0);
    } else if (shift == T(0)) {  // zero shift, bottom to top
      T cs = T(1), sn = T(0), r, oldcs = T(1), oldsn = T(0);
      for (int64_t i = m; i > ll; --i) {
        lartg(D(i) * cs, E(i - 1), cs, sn, r);
        if (i < m) E(i) = oldsn * r;
        T di;
        lartg(oldcs * r, D(i - 1) * sn, oldcs, oldsn, di);
        D(i) = di;
        urot.push_back({i - 2, i - 1, double(cs), double(-sn)});
        vrot.push_back({i - 2, i - 1, double(oldcs), double(-oldsn)});
      }
      const T h = D(ll) * cs;
      D(ll) = h * oldcs;
      E(ll) = h * oldsn;
      if (std::fabs(E(ll)) <= thresh) E(ll) = T(0);
    } else if (idir == 1) {  // shifted, top to bottom
      T f = (std::fabs(D(ll)) - shift) * (fsign(T(1), D(ll)) + shift / D(ll)), g = E(ll);
      for (int64_t i = ll; i < m; ++i) {
        T cosr, sinr, cosl, sinl, r;
        lartg(f, g, cosr, sinr, r);
        if (i > ll) E(i - 1) = r;
        f = cosr * D(i) + sinr * E(i);
        E(i) = cosr * E(i) - sinr * D(i);
        g = sinr * D(i + 1);
        D(i + 1) = cosr * D(i + 1);
        lartg(f, g, cosl, sinl, r);
        D(i) = r;
        f = cosl * E(i) + sinl * D(i + 1);
        D(i + 1) = cosl * D(i + 1) - sinl * E(i);
        if (i < m - 1) {
          g = sinl * E(i + 1);
          E(i + 1) = cosl * E(i + 1);
        }
        vrot.push_back({i - 1, i, double(cosr), double(sinr)});
        urot.push_back({i - 1, i, double(cosl), double(sinl)});
      }
      E(m - 1) = f;
      if (std::fabs(E(m - 1)) <= thresh) E(m - 1) = T(0);
    } else {  // shifted, bottom to top
      T f = (std::fabs(D(m)) - shift) * (fsign(T(1), D(m)) + shift / D(m)), g = E(m - 1);
      for (int64_t i = m; i > ll; --i) {
        T cosr, sinr, cosl, sinl, r;
        lartg(f, g, cosr, sinr, r);
        if (i < m) E(i) = r;
        f = cosr * D(i) + sinr * E(i - 1);
        E(i - 1) = cosr * E(i - 1) - sinr * D(i);
        g = sinr * D(i - 1);
        D(i - 1) = cosr * D(i - 1);
        lartg(f, g, cosl, sinl, r);
        D(i) = r;
        f = cosl * E(i - 1) + sinl * D(i - 1);
        D(i - 1) = cosl * D(i - 1) - sinl * E(i - 1);
        if (i > ll + 1) {
          g = sinl * E(i - 2);
          E(i - 2) = cosl * E(i - 2);
        }
        urot.push_back({i - 2, i - 1, double(cosr), double(-sinr)});
        vrot.push_back({i - 2, i - 1, double(cosl), double(-sinl)});
      }
      E(ll) = f;
      if (std::fabs(E(ll)) <= thresh) E(ll) = T(0);
    }
    flush();
  }
  for (int64_t i = 0; i < n; ++i)
    if (dv[i] < T(0)) {
      dv[i] = -dv[i];
      if (V)
        for (int64_t t = 0; t < V->m; ++t) V->at(t, i) = -V->at(t, i);
    }
  for (int64_t i = 1; i < n; ++i) {  // the smallest of d(1 .. n + 1 - i) to n + 1 - i
    int64_t isub = 1;
    T smin = D(1);
    for (int64_t j = 2; j <= n + 1 - i; ++j)
      if (D(j) <= smin) {
        isub = j;
        smin = D(j);
      }
    const int64_t k = n + 1 - i;
    if (isub != k) {
      D(isub) = D(k);
      D(k) = smin;
      if (U) std::swap_ranges(U->col(isub - 1), U->col(isub - 1) + U->m, U->col(k - 1));
      if (V) std::swap_ranges(V->col(isub - 1), V->col(isub - 1) + V->m, V->col(k - 1));
    }
  }
}

// The SVD of one matrix A (m x n) = UA diag(S) VA^T as MKL's gesdd: W is A (m >= n) or A^T (`wide`), column-major
// rows x cols, rows >= cols (overwritten). A tall A (m > n) is first factored A = Q R and R decomposed; a square
// one directly; a wide one is reduced to a lower bidiagonal (the reflectors of W's upper bidiagonalization:
// W's Q is A's P and the other way round), turned upper by rotations from the left (dbdsdc's), which go to UA.
// UA (m x uc) and VA (n x vc), preallocated, are filled when given (uc = m or n for a tall A, vc = n or m for a
// wide one, n x n otherwise); S is the singular values, descending.
template <class T> void svd_one(Mat<T>& W, bool wide, std::vector<T>& S, Mat<T>* UA, Mat<T>* VA) {
  const int64_t rows = W.m, cols = W.n;
  T maxabs = 0;
  for (T x : W.a) maxabs = std::max(maxabs, std::fabs(x));
  int ex = 0;
  if (maxabs > T(0)) std::frexp(maxabs, &ex);
  for (T& x : W.a) x = std::ldexp(x, -ex);     // (exact: a power of two)
  const bool qr_first = !wide && rows > cols;  // then the bidiagonal steps work on R (cols x cols)
  std::vector<T> tau_qr;
  Mat<T> R;
  Mat<T>& A = qr_first ? R : W;
  if (qr_first) {
    qr_in_place(W, tau_qr);
    R = Mat<T>(cols, cols);
    for (int64_t j = 0; j < cols; ++j) std::copy(W.col(j), W.col(j) + j + 1, R.col(j));
  }
  std::vector<T> d, e, tauq, taup;
  bidiagonalize(A, d, e, tauq, taup);
  Mat<T> Ub, Vb;  // A's (R's) left and right vectors
  if (UA) {
    if (wide) {
      Ub = form_p(A, taup);
      Vb = Mat<T>::eye(A.m, VA->n);
      apply_q(A, tauq, Vb, true);
    } else {
      Ub = Mat<T>::eye(A.m, qr_first ? cols : UA->n);
      apply_q(A, tauq, Ub, true);
      Vb = form_p(A, taup);
    }
  }
  if (wide) {  // (d, e) is lower bidiagonal: rotate it upper
    std::vector<Rotation> rots;
    for (int64_t i = 0; i + 1 < cols; ++i) {
      T c, s, r;
      lartg(d[i], e[i], c, s, r);
      d[i] = r;
      e[i] = s * d[i + 1];
      d[i + 1] = c * d[i + 1];
      rots.push_back({i, i + 1, double(c), double(s)});
    }
    if (UA) apply_rotations(Ub, rots);
  }
  bidiagonal_qr(d, e, UA ? &Ub : nullptr, UA ? &Vb : nullptr);
  S.resize(cols);
  for (int64_t j = 0; j < cols; ++j) S[j] = std::ldexp(d[j], ex);
  if (!UA) return;
  *VA = std::move(Vb);
  if (qr_first) {  // UA = Q [Ub; 0] (with the identity's columns beyond n when full)
    std::fill(UA->a.begin(), UA->a.end(), T(0));
    for (int64_t j = 0; j < cols; ++j) std::copy(Ub.col(j), Ub.col(j) + cols, UA->col(j));
    for (int64_t j = cols; j < UA->n; ++j) UA->at(j, j) = T(1);
    apply_q(W, tau_qr, *UA, false);
  } else {
    *UA = std::move(Ub);
  }
}

template <class T>
void svd_batch(const Tensor& a, const Tensor& U, const Tensor& S, const Tensor& Vh, int64_t B, int64_t m, int64_t n,
               bool full_matrices, bool compute_uv) {
  const int64_t k = std::min(m, n);
  const int64_t uc = full_matrices ? m : k, vr = full_matrices ? n : k;
  const bool tall = m >= n;
  const T* ad = a->data<T>();
  cpu::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* x = ad + b * m * n;  // row-major m x n
      // W: A (tall) or A^T (wide) as a column-major rows x cols matrix, rows >= cols.
      const int64_t rows = tall ? m : n, cols = tall ? n : m;
      Mat<T> W(rows, cols);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) (tall ? W.at(i, j) : W.at(j, i)) = x[i * n + j];
      std::vector<T> s;
      Mat<T> UA(m, compute_uv ? uc : 0), VA(n, compute_uv ? vr : 0);
      svd_one(W, !tall, s, compute_uv ? &UA : nullptr, compute_uv ? &VA : nullptr);
      std::copy(s.begin(), s.end(), S->data<T>() + b * k);
      if (!compute_uv) continue;
      T* u = U->data<T>() + b * m * uc;    // row-major
      T* vh = Vh->data<T>() + b * vr * n;  // row-major
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < uc; ++j) u[i * uc + j] = UA.col(j)[i];
      for (int64_t i = 0; i < vr; ++i)
        for (int64_t j = 0; j < n; ++j) vh[i * n + j] = VA.col(i)[j];
    }
  });
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> linalg_svd(const Tensor& A, bool full_matrices, bool compute_uv) {
  TG_CHECK(!A->device().is_cuda(),
           "linalg.svd: CUDA tensors are not supported (the SVD kernel runs on the CPU "
           "only); call .cpu() on the input");
  TG_CHECK(A->dim() >= 2, "linalg.svd: The input tensor A must have at least 2 dimensions.");
  TG_CHECK(A->dtype == DType::Float32 || A->dtype == DType::Float64,
           "linalg.svd: Expected a floating point or complex tensor as input. Got ", type_name(A->dtype));
  const int64_t m = A->sizes[A->dim() - 2], n = A->sizes[A->dim() - 1], k = std::min(m, n);
  const Shape batch(A->sizes.begin(), A->sizes.end() - 2);
  const int64_t B = checked_numel(batch, "linalg.svd");
  const int64_t uc = full_matrices ? m : k, vr = full_matrices ? n : k;
  auto with = [&](int64_t r, int64_t c) {
    Shape s = batch;
    s.push_back(r);
    s.push_back(c);
    return s;
  };
  Shape s_shape = batch;
  s_shape.push_back(k);
  const Tensor a = contiguous(A);
  const bool finite =
      a->dtype == DType::Float32
          ? std::all_of(a->data<float>(), a->data<float>() + a->numel(), [](float x) { return std::isfinite(x); })
          : std::all_of(a->data<double>(), a->data<double>() + a->numel(), [](double x) { return std::isfinite(x); });
  TG_CHECK(finite,
           "linalg.svd: The algorithm failed to converge because the input matrix contained non-finite "
           "values.");
  Tensor U = empty(compute_uv ? with(m, uc) : Shape{0}, A->dtype);
  Tensor Vh = empty(compute_uv ? with(vr, n) : Shape{0}, A->dtype);
  Tensor S = empty(s_shape, A->dtype);
  if (A->dtype == DType::Float32) svd_batch<float>(a, U, S, Vh, B, m, n, full_matrices, compute_uv);
  else svd_batch<double>(a, U, S, Vh, B, m, n, full_matrices, compute_uv);
  return {U, S, Vh};
}

}  // namespace tg
