// The singular value decomposition on the CPU, as LAPACK's gesvd does it (Golub-Kahan-Reinsch): A (m x n, m >= n;
// a wide matrix is decomposed as its transpose) is scaled by a power of two to a largest entry near 1, reduced
// to an upper bidiagonal B = Q^T A P by Householder reflections (a tall one, m >= 2n, first to its triangular R
// by a QR factorization, so that the later steps work on n x n), and B is diagonalized by implicitly shifted QR
// sweeps (Wilkinson shifts, deflation on negligible off-diagonals, zero diagonals chased out). Each sweep's plane
// rotations are recorded, then applied to U and V in blocks of rows (in parallel across the thread pool).
// Runs in the input's precision (float32 as torch's sgesdd); one matrix per task of the batch.
// NOTE: the singular values are accurate to a few ulps of ||A|| (absolute, as LAPACK's QR); singular vectors are
// unique only up to sign (and rotation within equal singular values), as with LAPACK.
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
  beta = alpha > T(0) ? -norm : norm;
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

// sqrt(a^2 + b^2): the plain formula where no square can overflow or lose accuracy to underflow (the input is
// scaled to entries near 1, so nearly always), std::hypot (slow) elsewhere.
template <class T> T norm2(T a, T b) {
  const T r = std::sqrt(a * a + b * b);
  constexpr T lo = sizeof(T) == 4 ? T(1e-17) : T(1e-145), hi = sizeof(T) == 4 ? T(1e17) : T(1e145);
  return r > lo && r < hi ? r : std::hypot(a, b);
}

// (c, s, r) with c a + s b = r, c b - s a = 0.
template <class T> void givens(T a, T b, T& c, T& s, T& r) {
  if (b == T(0)) {
    c = T(1);
    s = T(0);
    r = a;
    return;
  }
  r = norm2(a, b);
  c = a / r;
  s = b / r;
}

// Diagonalizes the upper bidiagonal (d, e): U B V^T with the rotations applied to the columns of U and V (when
// given); d ends non-negative, unsorted.
template <class T> void bidiagonal_qr(std::vector<T>& d, std::vector<T>& e, Mat<T>* U, Mat<T>* V) {
  const int64_t n = int64_t(d.size());
  const T eps = std::numeric_limits<T>::epsilon();
  T anorm = 0;
  for (int64_t i = 0; i < n; ++i) anorm = std::max(anorm, std::fabs(d[i]) + (i + 1 < n ? std::fabs(e[i]) : T(0)));
  const T thresh = eps * anorm;
  auto negligible = [&](int64_t i) {  // e[i]
    return std::fabs(e[i]) <= eps * (std::fabs(d[i]) + std::fabs(d[i + 1])) || std::fabs(e[i]) <= thresh * eps;
  };
  std::vector<Rotation> left, right;
  auto flush = [&] {
    if (U) apply_rotations(*U, left);
    if (V) apply_rotations(*V, right);
    left.clear();
    right.clear();
  };
  int64_t h = n - 1, iters = 0;
  while (h > 0) {
    if (negligible(h - 1) || iters > 100) {  // (100 sweeps without converging: accept, as a last resort)
      e[h - 1] = T(0);
      --h;
      iters = 0;
      continue;
    }
    int64_t l = h - 1;
    while (l > 0 && !negligible(l - 1)) --l;
    int64_t z = -1;  // a zero diagonal in [l, h - 1]: rotate its row's superdiagonal out from the left
    for (int64_t i = h - 1; i >= l && z < 0; --i)
      if (std::fabs(d[i]) <= thresh) z = i;
    if (z >= 0) {
      T f = e[z];
      e[z] = T(0);
      d[z] = T(0);
      for (int64_t j = z + 1; j <= h && f != T(0); ++j) {
        T c, s, r;
        givens(d[j], f, c, s, r);
        d[j] = r;
        if (j < h) {
          f = -s * e[j];
          e[j] = c * e[j];
        }
        left.push_back({j, z, double(c), double(s)});
      }
      flush();
      continue;
    }
    if (std::fabs(d[h]) <= thresh) {  // a zero last diagonal: rotate e[h - 1] out from the right
      T f = e[h - 1];
      e[h - 1] = T(0);
      d[h] = T(0);
      for (int64_t j = h - 1; j >= l && f != T(0); --j) {
        T c, s, r;
        givens(d[j], f, c, s, r);
        d[j] = r;
        if (j > l) {
          f = -s * e[j - 1];
          e[j - 1] = c * e[j - 1];
        }
        right.push_back({j, h, double(c), double(s)});
      }
      flush();
      continue;
    }
    // Wilkinson shift: the eigenvalue of the trailing 2 x 2 of B^T B nearer its last entry.
    const T a = d[h - 1] * d[h - 1] + (h - 1 > l ? e[h - 2] * e[h - 2] : T(0));
    const T b = d[h - 1] * e[h - 1];
    const T cc = d[h] * d[h] + e[h - 1] * e[h - 1];
    const T delta = (a - cc) / T(2);
    const T root = norm2(delta, b);
    const T mu = b == T(0) ? cc : cc - b * b / (delta + (delta >= T(0) ? root : -root));
    T y = d[l] * d[l] - mu, zz = d[l] * e[l];
    for (int64_t k = l; k < h; ++k) {
      T c, s, r;
      givens(y, zz, c, s, r);  // from the right on columns k, k + 1
      if (k > l) e[k - 1] = r;
      const T dk = c * d[k] + s * e[k], ek = c * e[k] - s * d[k];
      const T bulge = s * d[k + 1], dk1 = c * d[k + 1];
      right.push_back({k, k + 1, double(c), double(s)});
      givens(dk, bulge, c, s, r);  // from the left on rows k, k + 1
      d[k] = r;
      e[k] = c * ek + s * dk1;
      d[k + 1] = c * dk1 - s * ek;
      if (k + 1 < h) {
        y = e[k];
        zz = s * e[k + 1];
        e[k + 1] = c * e[k + 1];
      }
      left.push_back({k, k + 1, double(c), double(s)});
    }
    flush();
    ++iters;
  }
  for (int64_t i = 0; i < n; ++i)
    if (d[i] < T(0)) {
      d[i] = -d[i];
      if (V)
        for (int64_t t = 0; t < V->m; ++t) V->at(t, i) = -V->at(t, i);
    }
}

// SVD of the m x n (m >= n) matrix W (overwritten): S (n, descending), and when U is given, U (m x ucols,
// ucols = n or m, preallocated) and V (n x n) with W = U[:, :n] diag(S) V^T.
template <class T> void svd_tall(Mat<T>& W, std::vector<T>& S, Mat<T>* U, Mat<T>* V) {
  const int64_t m = W.m, n = W.n;
  T maxabs = 0;
  for (T x : W.a) maxabs = std::max(maxabs, std::fabs(x));
  int ex = 0;
  if (maxabs > T(0)) std::frexp(maxabs, &ex);
  for (T& x : W.a) x = std::ldexp(x, -ex);  // (exact: a power of two)
  const bool qr_first = m >= 2 * n;         // then the bidiagonal steps work on R (n x n)
  std::vector<T> tau_qr;
  Mat<T> R;
  Mat<T>& A = qr_first ? R : W;
  if (qr_first) {
    qr_in_place(W, tau_qr);
    R = Mat<T>(n, n);
    for (int64_t j = 0; j < n; ++j) std::copy(W.col(j), W.col(j) + j + 1, R.col(j));
  }
  std::vector<T> d, e, tauq, taup;
  bidiagonalize(A, d, e, tauq, taup);
  Mat<T> Ub, Vb;
  if (U) {
    Ub = Mat<T>::eye(A.m, qr_first ? n : U->n);
    apply_q(A, tauq, Ub, true);
    Vb = form_p(A, taup);
  }
  bidiagonal_qr(d, e, U ? &Ub : nullptr, U ? &Vb : nullptr);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return d[i] > d[j]; });
  S.resize(n);
  for (int64_t j = 0; j < n; ++j) S[j] = std::ldexp(d[order[j]], ex);
  if (!U) return;
  for (int64_t j = 0; j < n; ++j) std::copy(Vb.col(order[j]), Vb.col(order[j]) + n, V->col(j));
  if (qr_first) {  // U = Q [Ub; 0] (with the identity's columns beyond n when full)
    std::fill(U->a.begin(), U->a.end(), T(0));
    for (int64_t j = 0; j < n; ++j) std::copy(Ub.col(order[j]), Ub.col(order[j]) + n, U->col(j));
    for (int64_t j = n; j < U->n; ++j) U->at(j, j) = T(1);
    apply_q(W, tau_qr, *U, false);
  } else {
    for (int64_t j = 0; j < n; ++j) std::copy(Ub.col(order[j]), Ub.col(order[j]) + m, U->col(j));
    for (int64_t j = n; j < U->n; ++j) std::copy(Ub.col(j), Ub.col(j) + m, U->col(j));
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
      // Left vectors of W: U of A when tall, V of A when wide.
      Mat<T> L(rows, compute_uv ? (full_matrices ? rows : cols) : 0), R(cols, compute_uv ? cols : 0);
      svd_tall(W, s, compute_uv ? &L : nullptr, compute_uv ? &R : nullptr);
      std::copy(s.begin(), s.end(), S->data<T>() + b * k);
      if (!compute_uv) continue;
      T* u = U->data<T>() + b * m * uc;    // row-major
      T* vh = Vh->data<T>() + b * vr * n;  // row-major
      const Mat<T>& UA = tall ? L : R;     // A = UA diag(S) VA^T
      const Mat<T>& VA = tall ? R : L;
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
