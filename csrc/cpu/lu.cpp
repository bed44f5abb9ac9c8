// LU, triangular solves, Cholesky, Householder QR and eigh (as MKL's syevd) on the CPU (lu.h). Unblocked textbook
// kernels on row-major matrices: every inner loop runs along a row, so it is contiguous and vectorizes. One matrix per
// task of the thread pool.
#include "lu.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

#include "../core/error.h"
#include "../core/ops.h"
#include "gemm.h"
#include "parallel.h"

namespace tg {
namespace {

void check_input(const Tensor& A, const char* op) {
  TG_CHECK_AS(NotImplementedError, !A->device().is_cuda(), op,
              ": CUDA tensors are not supported (the kernel runs "
              "on the CPU only); call .cpu() on the inputs");
  TG_CHECK(A->dim() >= 2, op, ": The input tensor A must have at least 2 dimensions.");
  TG_CHECK(A->dtype == DType::Float32 || A->dtype == DType::Float64, op,
           ": Expected a floating point tensor as input. Got ", type_name(A->dtype));
}

Shape batch_of(const Tensor& A) { return Shape(A->sizes.begin(), A->sizes.end() - 2); }

Shape with(Shape s, int64_t r, int64_t c) {
  s.push_back(r);
  s.push_back(c);
  return s;
}

// fn(b) for every matrix b of a batch of `count`, about `work` flops each.
template <class F> void for_each_matrix(int64_t count, int64_t work, F fn) {
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, work));
  cpu::parallel_for(0, count, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) fn(b);
  });
}

// ------------------------------------------------------------------- LU
// Unblocked LU of columns [j0, j1) of rows [j0, m): pivots searched in the column, whole rows swapped (so the
// columns left and right of the panel follow), the elimination applied to the panel's columns only.
template <class T> void lu_panel(T* a, int32_t* piv, int64_t m, int64_t n, int64_t j0, int64_t j1, int32_t& info) {
  for (int64_t j = j0; j < j1; ++j) {
    int64_t p = j;
    T best = std::abs(a[j * n + j]);
    for (int64_t i = j + 1; i < m; ++i) {
      const T v = std::abs(a[i * n + j]);
      if (v > best || std::isnan(v)) best = v, p = i;
      if (std::isnan(v)) break;
    }
    piv[j] = static_cast<int32_t>(p + 1);
    if (p != j) std::swap_ranges(a + p * n, a + p * n + n, a + j * n);
    const T pivot = a[j * n + j];
    if (pivot == T(0)) {
      if (info == 0) info = static_cast<int32_t>(j + 1);
      continue;
    }
    const T* rj = a + j * n;
    for (int64_t i = j + 1; i < m; ++i) {
      T* ri = a + i * n;
      const T l = ri[j] / pivot;
      ri[j] = l;
      for (int64_t c = j + 1; c < j1; ++c) ri[c] -= l * rj[c];
    }
  }
}

// Right-looking blocked LU (getrf's): factor a panel of kBlock columns, solve U12 = L11^-1 A12 by row
// substitution, update the trailing matrix A22 -= L21 U12 through the GEMM.
constexpr int64_t kBlock = 48;

template <class T> int32_t lu_one(T* a, int32_t* piv, int64_t m, int64_t n) {
  const int64_t k = std::min(m, n);
  int32_t info = 0;
  std::vector<T> negL;
  for (int64_t j0 = 0; j0 < k; j0 += kBlock) {
    const int64_t j1 = std::min(k, j0 + kBlock), jb = j1 - j0;
    lu_panel(a, piv, m, n, j0, j1, info);
    if (j1 >= n) continue;
    for (int64_t r = j0 + 1; r < j1; ++r) {  // U12: unit lower L11 substitution on rows [j0, j1), columns [j1, n)
      T* ar = a + r * n;
      for (int64_t q = j0; q < r; ++q) {
        const T l = ar[q];
        const T* aq = a + q * n;
        for (int64_t c = j1; c < n; ++c) ar[c] -= l * aq[c];
      }
    }
    const int64_t M = m - j1, N = n - j1;
    if (M <= 0) continue;
    negL.resize(M * jb);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t q = 0; q < jb; ++q) negL[i * jb + q] = -a[(j1 + i) * n + j0 + q];
    cpu::gemm<T>(M, N, jb, negL.data(), jb, 1, a + j0 * n + j1, n, 1, a + j1 * n + j1, n, 1, true);
  }
  return info;
}

template <class T> void lu_solve_one(const T* lu, const int32_t* piv, T* x, int64_t n, int64_t r) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t p = piv[i] - 1;
    if (p != i) std::swap_ranges(x + p * r, x + p * r + r, x + i * r);
  }
  for (int64_t i = 1; i < n; ++i) {  // L y = P b, L unit lower
    T* xi = x + i * r;
    for (int64_t j = 0; j < i; ++j) {
      const T l = lu[i * n + j];
      const T* xj = x + j * r;
      for (int64_t c = 0; c < r; ++c) xi[c] -= l * xj[c];
    }
  }
  for (int64_t i = n - 1; i >= 0; --i) {  // U x = y
    T* xi = x + i * r;
    for (int64_t j = i + 1; j < n; ++j) {
      const T u = lu[i * n + j];
      const T* xj = x + j * r;
      for (int64_t c = 0; c < r; ++c) xi[c] -= u * xj[c];
    }
    const T d = lu[i * n + i];
    for (int64_t c = 0; c < r; ++c) xi[c] /= d;
  }
}

// ------------------------------------------------------- triangular solve
template <class T> void triangular_one(const T* a, T* x, int64_t n, int64_t r, bool upper, bool unit) {
  for (int64_t s = 0; s < n; ++s) {
    const int64_t i = upper ? n - 1 - s : s;
    T* xi = x + i * r;
    const int64_t j0 = upper ? i + 1 : 0, j1 = upper ? n : i;
    for (int64_t j = j0; j < j1; ++j) {
      const T v = a[i * n + j];
      const T* xj = x + j * r;
      for (int64_t c = 0; c < r; ++c) xi[c] -= v * xj[c];
    }
    if (!unit) {
      const T d = a[i * n + i];
      for (int64_t c = 0; c < r; ++c) xi[c] /= d;
    }
  }
}

// --------------------------------------------------------------- Cholesky
// Right-looking on the transpose: u (row-major) holds U = L^T, so the trailing update runs along rows.
template <class T> int32_t cholesky_one(const T* a, T* l, int64_t n, T* u) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j) u[i * n + j] = a[j * n + i];  // A's lower triangle, transposed
  int32_t info = 0;
  for (int64_t j = 0; j < n && info == 0; ++j) {
    T* uj = u + j * n;
    if (!(uj[j] > T(0))) {
      info = static_cast<int32_t>(j + 1);
      break;
    }
    const T root = std::sqrt(uj[j]), inv = T(1) / root;
    uj[j] = root;
    for (int64_t c = j + 1; c < n; ++c) uj[c] *= inv;
    for (int64_t i = j + 1; i < n; ++i) {
      T* ui = u + i * n;
      const T f = uj[i];
      for (int64_t c = i; c < n; ++c) ui[c] -= f * uj[c];
    }
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) l[i * n + j] = j <= i ? u[j * n + i] : T(0);
  return info;
}

// --------------------------------------------------------------------- QR
// Reflects rows [j, m) of the matrix q (row stride `stride`, `cols` columns) by H = I - tau v v^T, v (m - j) with
// v[0] = 1; w holds cols scratch values.
template <class T> void reflect(T* q, int64_t stride, int64_t cols, const T* v, T tau, int64_t j, int64_t m, T* w) {
  if (tau == T(0)) return;
  std::fill(w, w + cols, T(0));
  for (int64_t i = j; i < m; ++i) {
    const T vi = v[i - j];
    const T* qi = q + i * stride;
    for (int64_t c = 0; c < cols; ++c) w[c] += vi * qi[c];
  }
  for (int64_t i = j; i < m; ++i) {
    const T s = tau * v[i - j];
    T* qi = q + i * stride;
    for (int64_t c = 0; c < cols; ++c) qi[c] -= s * w[c];
  }
}

// a (m x n) becomes R in its upper triangle; the reflectors' vectors go to vs (k x m), their taus to taus.
template <class T> void householder(T* a, int64_t m, int64_t n, T* vs, T* taus, T* w) {
  const int64_t k = std::min(m, n);
  for (int64_t j = 0; j < k; ++j) {
    T* v = vs + j * m;
    T scale = 0;
    for (int64_t i = j; i < m; ++i) scale = std::max(scale, std::abs(a[i * n + j]));
    T norm2 = 0;
    if (scale > T(0))
      for (int64_t i = j + 1; i < m; ++i) norm2 += (a[i * n + j] / scale) * (a[i * n + j] / scale);
    taus[j] = 0;
    v[0] = 1;
    for (int64_t i = j + 1; i < m; ++i) v[i - j] = a[i * n + j];  // (the zeros as they are, when H = I)
    if (norm2 == T(0)) continue;  // already zero below the diagonal (LAPACK's dlarfg: H = I)
    const T alpha = a[j * n + j];
    const T beta = -std::copysign(scale * std::sqrt((alpha / scale) * (alpha / scale) + norm2), alpha);
    taus[j] = (beta - alpha) / beta;
    const T inv = T(1) / (alpha - beta);
    for (int64_t i = j + 1; i < m; ++i) v[i - j] = a[i * n + j] * inv;
    a[j * n + j] = beta;
    for (int64_t i = j + 1; i < m; ++i) a[i * n + j] = 0;
    reflect(a + j + 1, n, n - j - 1, v, taus[j], j, m, w);  // the trailing columns
  }
}

// ------------------------------------------------------------------- eigh
// As MKL's syevd (torch's CPU backend) does it for up to 25 rows, so that the eigenvectors' signs come out as
// torch's: the triangle read is reduced to a tridiagonal T = Q^T A Q by Householder reflections (LAPACK's dsytd2:
// the lower triangle from the first column on, the upper from the last), T is diagonalized by implicit QL / QR
// iterations (dsteqr: QL where the block's last diagonal is the larger, 2 x 2 blocks by dlaev2, MKL's rotation
// signs), the rotations accumulated into Z, and the eigenvectors are Q Z, ascending (a selection sort). Beyond 25
// rows MKL divides and conquers, whose signs are not reproduced.

// dlarfg on (x[0], x[1], ..., x[len - 1]): H x = beta e1 for H = I - tau v v^T, v[0] = 1, v's tail over x's;
// tau = 0 (H = I) when the tail is zero. beta = -SIGN(norm, x[0]), a zero x[0] counting as positive (MKL's).
template <class T> T larfg(T* x, int64_t len, T& beta) {
  T ss = 0;
  for (int64_t i = 1; i < len; ++i) ss += x[i] * x[i];
  const T alpha = x[0];
  if (ss == T(0)) {
    beta = alpha;
    return T(0);
  }
  const T norm = std::sqrt(alpha * alpha + ss);
  beta = alpha >= T(0) ? -norm : norm;
  const T scale = T(1) / (alpha - beta);
  for (int64_t i = 1; i < len; ++i) x[i] *= scale;
  return (beta - alpha) / beta;
}

// dlartg as MKL's dsteqr rotates (LAPACK's before 3.10): c f + s g = r, c g - s f = 0, r >= 0 unless |f| > |g|
// and f < 0 (then c > 0).
template <class T> void lartg_steqr(T f, T g, T& c, T& s, T& r) {
  if (g == T(0)) {
    c = T(1);
    s = T(0);
    r = f;
    return;
  }
  if (f == T(0)) {
    c = T(0);
    s = T(1);
    r = g;
    return;
  }
  r = std::hypot(f, g);
  c = f / r;
  s = g / r;
  if (std::abs(f) > std::abs(g) && c < T(0)) {
    c = -c;
    s = -s;
    r = -r;
  }
}

// dlaev2: the eigensystem of [[a, b], [b, c]]: rt1 (the larger in magnitude), rt2, and (cs1, sn1), rt1's unit
// eigenvector.
template <class T> void laev2(T a, T b, T c, T& rt1, T& rt2, T& cs1, T& sn1) {
  const T sm = a + c, df = a - c, adf = std::abs(df), tb = b + b, ab = std::abs(tb);
  const T acmx = std::abs(a) > std::abs(c) ? a : c, acmn = std::abs(a) > std::abs(c) ? c : a;
  T rt;
  if (adf > ab) rt = adf * std::sqrt(T(1) + (ab / adf) * (ab / adf));
  else if (adf < ab) rt = ab * std::sqrt(T(1) + (adf / ab) * (adf / ab));
  else rt = ab * std::sqrt(T(2));
  int sgn1;
  if (sm < T(0)) {
    rt1 = T(0.5) * (sm - rt);
    sgn1 = -1;
    rt2 = (acmx / rt1) * acmn - (b / rt1) * b;
  } else if (sm > T(0)) {
    rt1 = T(0.5) * (sm + rt);
    sgn1 = 1;
    rt2 = (acmx / rt1) * acmn - (b / rt1) * b;
  } else {
    rt1 = T(0.5) * rt;
    rt2 = T(-0.5) * rt;
    sgn1 = 1;
  }
  int sgn2;
  T cs;
  if (df >= T(0)) {
    cs = df + rt;
    sgn2 = 1;
  } else {
    cs = df - rt;
    sgn2 = -1;
  }
  if (std::abs(cs) > ab) {
    const T ct = -tb / cs;
    sn1 = T(1) / std::sqrt(T(1) + ct * ct);
    cs1 = ct * sn1;
  } else if (ab == T(0)) {
    cs1 = T(1);
    sn1 = T(0);
  } else {
    const T tn = -cs / tb;
    cs1 = T(1) / std::sqrt(T(1) + tn * tn);
    sn1 = tn * cs1;
  }
  if (sgn1 == sgn2) {
    const T tn = cs1;
    cs1 = -sn1;
    sn1 = tn;
  }
}

// dsteqr: diagonalizes the symmetric tridiagonal (d, e) in place, the rotations applied to the columns of z
// (column-major n x n, column j at z + j n) when given; d ascending at the end, z's columns with it.
template <class T> void steqr(std::vector<T>& dv, std::vector<T>& ev, T* z, int64_t n) {
  if (n <= 1) return;
  auto D = [&](int64_t i) -> T& { return dv[i - 1]; };  // (1-based, as LAPACK's)
  auto E = [&](int64_t i) -> T& { return ev[i - 1]; };
  const T eps = std::numeric_limits<T>::epsilon() / T(2), eps2 = eps * eps, safmin = std::numeric_limits<T>::min();
  auto rot = [&](int64_t i, T c, T s) {  // columns i, i + 1 (1-based): LAPACK's dlasr('R', 'V', ...) step
    if (!z) return;
    T* x = z + (i - 1) * n;
    T* y = z + i * n;
    for (int64_t r = 0; r < n; ++r) {
      const T xi = x[r], yi = y[r];
      y[r] = c * yi - s * xi;
      x[r] = s * yi + c * xi;
    }
  };
  std::vector<std::pair<T, T>> work(n);
  const int64_t nmaxit = 30 * n;
  int64_t jtot = 0, l1 = 1;
  while (l1 <= n && jtot < nmaxit) {
    if (l1 > 1) E(l1 - 1) = T(0);
    int64_t m = n;
    for (int64_t mm = l1; mm < n; ++mm) {
      const T tst = std::abs(E(mm));
      if (tst == T(0)) {
        m = mm;
        break;
      }
      if (tst <= (std::sqrt(std::abs(D(mm))) * std::sqrt(std::abs(D(mm + 1)))) * eps) {
        E(mm) = T(0);
        m = mm;
        break;
      }
    }
    int64_t l = l1, lend = m;
    const int64_t lsv = l, lendsv = lend;
    l1 = m + 1;
    if (lend == l) continue;
    T anorm = 0;
    for (int64_t i = l; i <= lend; ++i) anorm = std::max(anorm, std::abs(D(i)));
    for (int64_t i = l; i < lend; ++i) anorm = std::max(anorm, std::abs(E(i)));
    if (anorm == T(0)) continue;
    if (std::abs(D(lend)) < std::abs(D(l))) {  // QR where the first diagonal is the larger
      lend = lsv;
      l = lendsv;
    }
    if (lend > l) {  // QL
      while (l <= lend) {
        m = lend;
        for (int64_t mm = l; mm < lend; ++mm)
          if (std::abs(E(mm)) * std::abs(E(mm)) <= (eps2 * std::abs(D(mm))) * std::abs(D(mm + 1)) + safmin) {
            m = mm;
            break;
          }
        if (m < lend) E(m) = T(0);
        T p = D(l);
        if (m == l) {  // an eigenvalue found
          ++l;
          continue;
        }
        if (m == l + 1) {
          T rt1, rt2, c, s;
          laev2(D(l), E(l), D(l + 1), rt1, rt2, c, s);
          rot(l, c, s);
          D(l) = rt1;
          D(l + 1) = rt2;
          E(l) = T(0);
          l += 2;
          continue;
        }
        if (jtot == nmaxit) break;
        ++jtot;
        T g = (D(l + 1) - p) / (T(2) * E(l));
        T r = std::hypot(g, T(1));
        g = D(m) - p + (E(l) / (g + (g >= T(0) ? r : -r)));
        T s = 1, c = 1;
        p = 0;
        for (int64_t i = m - 1; i >= l; --i) {
          const T f = s * E(i), b = c * E(i);
          lartg_steqr(g, f, c, s, r);
          if (i != m - 1) E(i + 1) = r;
          g = D(i + 1) - p;
          r = (D(i) - g) * s + T(2) * c * b;
          p = s * r;
          D(i + 1) = g + p;
          g = c * r - b;
          work[i] = {c, -s};
        }
        for (int64_t i = m - 1; i >= l; --i) rot(i, work[i].first, work[i].second);
        D(l) = D(l) - p;
        E(l) = g;
      }
    } else {  // QR
      while (l >= lend) {
        m = lend;
        for (int64_t mm = l; mm > lend; --mm)
          if (std::abs(E(mm - 1)) * std::abs(E(mm - 1)) <= (eps2 * std::abs(D(mm))) * std::abs(D(mm - 1)) + safmin) {
            m = mm;
            break;
          }
        if (m > lend) E(m - 1) = T(0);
        T p = D(l);
        if (m == l) {
          --l;
          continue;
        }
        if (m == l - 1) {
          T rt1, rt2, c, s;
          laev2(D(l - 1), E(l - 1), D(l), rt1, rt2, c, s);
          rot(l - 1, c, s);
          D(l - 1) = rt1;
          D(l) = rt2;
          E(l - 1) = T(0);
          l -= 2;
          continue;
        }
        if (jtot == nmaxit) break;
        ++jtot;
        T g = (D(l - 1) - p) / (T(2) * E(l - 1));
        T r = std::hypot(g, T(1));
        g = D(m) - p + (E(l - 1) / (g + (g >= T(0) ? r : -r)));
        T s = 1, c = 1;
        p = 0;
        for (int64_t i = m; i < l; ++i) {
          const T f = s * E(i), b = c * E(i);
          lartg_steqr(g, f, c, s, r);
          if (i != m) E(i - 1) = r;
          g = D(i) - p;
          r = (D(i + 1) - g) * s + T(2) * c * b;
          p = s * r;
          D(i) = g + p;
          g = c * r - b;
          work[i] = {c, s};
        }
        for (int64_t i = m; i < l; ++i) rot(i, work[i].first, work[i].second);
        D(l) = D(l) - p;
        E(l - 1) = g;
      }
    }
  }
  for (int64_t ii = 2; ii <= n; ++ii) {  // (past nmaxit iterations, as a last resort, the values as they are)
    const int64_t i = ii - 1;
    int64_t k = i;
    T p = D(i);
    for (int64_t j = ii; j <= n; ++j)
      if (D(j) < p) {
        k = j;
        p = D(j);
      }
    if (k != i) {
      D(k) = D(i);
      D(i) = p;
      if (z) std::swap_ranges(z + (i - 1) * n, z + i * n, z + (k - 1) * n);
    }
  }
}

// The eigenvalues w (ascending) of the symmetric a (row-major n x n, both triangles holding the one read; used as
// scratch), and when z is given its eigenvectors as z's columns (column-major n x n).
template <class T> void eigh_one(T* a, T* w, T* z, int64_t n, bool upper) {
  auto A = [&](int64_t i, int64_t j) -> T& { return a[i * n + j]; };
  std::vector<T> d(n), e(std::max<int64_t>(n - 1, 0)), taus(std::max<int64_t>(n - 1, 0)), x(n), v(n), u(n);
  std::vector<std::vector<T>> vs(std::max<int64_t>(n - 1, 0));
  // One reflector H = I - tau v v^T on the block [lo, hi) of rows and columns: B = H B H, as dsytd2's rank-2 update
  // B - v w^T - w v^T, w = x - tau (x^T v) v / 2, x = tau B v.
  auto update = [&](int64_t lo, int64_t hi, const T* vv, T tau) {
    const int64_t k = hi - lo;
    T xv = 0;
    for (int64_t i = 0; i < k; ++i) {
      T acc = 0;
      for (int64_t j = 0; j < k; ++j) acc += A(lo + i, lo + j) * vv[j];
      x[i] = tau * acc;
      xv += x[i] * vv[i];
    }
    const T alpha = T(-0.5) * tau * xv;
    for (int64_t i = 0; i < k; ++i) u[i] = x[i] + alpha * vv[i];
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) A(lo + i, lo + j) -= vv[i] * u[j] + u[i] * vv[j];
  };
  if (!upper) {  // H(i) annihilates A(i + 2:, i), i = 0 .. n - 2
    for (int64_t i = 0; i + 1 < n; ++i) {
      const int64_t len = n - i - 1;
      for (int64_t r = 0; r < len; ++r) v[r] = A(i + 1 + r, i);
      T beta;
      taus[i] = larfg(v.data(), len, beta);
      v[0] = T(1);
      e[i] = beta;
      if (taus[i] != T(0)) update(i + 1, n, v.data(), taus[i]);
      d[i] = A(i, i);
      vs[i].assign(v.begin(), v.begin() + len);
    }
  } else {  // H(i) annihilates A(0:i - 1, i + 1), i = n - 2 .. 0 (its vector ends with 1 at row i)
    for (int64_t i = n - 2; i >= 0; --i) {
      const int64_t len = i + 1;
      v[0] = A(i, i + 1);  // (alpha first for larfg, the rest reversed: the norm does not mind)
      for (int64_t r = 0; r < i; ++r) v[1 + r] = A(i - 1 - r, i + 1);
      T beta;
      taus[i] = larfg(v.data(), len, beta);
      std::vector<T> vv(len);
      vv[i] = T(1);
      for (int64_t r = 0; r < i; ++r) vv[i - 1 - r] = v[1 + r];
      e[i] = beta;
      if (taus[i] != T(0)) update(0, len, vv.data(), taus[i]);
      d[i + 1] = A(i + 1, i + 1);
      vs[i] = std::move(vv);
    }
  }
  if (n > 0) d[upper ? 0 : n - 1] = A(upper ? 0 : n - 1, upper ? 0 : n - 1);
  if (z) {
    std::fill(z, z + n * n, T(0));
    for (int64_t i = 0; i < n; ++i) z[i * n + i] = T(1);
  }
  steqr(d, e, z, n);
  std::copy(d.begin(), d.end(), w);
  if (!z) return;
  // Q Z: Q = H(0) ... H(n - 2) (lower; the last applied first) or H(n - 2) ... H(0) (upper; the first first).
  for (int64_t t = 0; t + 1 < n; ++t) {
    const int64_t i = upper ? t : n - 2 - t;
    const T tau = taus[i];
    if (tau == T(0)) continue;
    const int64_t lo = upper ? 0 : i + 1, len = int64_t(vs[i].size());
    const T* vv = vs[i].data();
    for (int64_t c = 0; c < n; ++c) {
      T* col = z + c * n + lo;
      T s = 0;
      for (int64_t r = 0; r < len; ++r) s += vv[r] * col[r];
      s *= tau;
      for (int64_t r = 0; r < len; ++r) col[r] -= s * vv[r];
    }
  }
}

template <class T> Tensor typed_solve(const Tensor& LU, const Tensor& pivots, const Tensor& B) {
  const Tensor lu = contiguous(LU), piv = contiguous(pivots);
  Tensor X = clone(B);
  const int64_t n = LU->sizes.back(), r = B->sizes.back();
  const int64_t count = checked_numel(batch_of(B), "linalg.lu_solve");
  const T* lp = lu->data<T>();
  const int32_t* pp = piv->data<int32_t>();
  T* xp = X->data<T>();
  for_each_matrix(count, n * n * r, [&](int64_t b) { lu_solve_one(lp + b * n * n, pp + b * n, xp + b * n * r, n, r); });
  return X;
}

// ------------------------------------------------------------------- LDL
// Bunch-Kaufman's symmetric indefinite factorization P A P^T = L D L^T of the lower triangle, LAPACK's unblocked
// dsytf2 step for step (so the pivots are LAPACK's): 1x1 or 2x2 diagonal blocks, ipiv 1-based, a 2x2 block's two
// entries both -(kp + 1). On return a's lower triangle holds L below D's blocks and D, the upper one zeros.
template <class T> int32_t ldl_one(T* a, int32_t* ipiv, int64_t n) {
  const T alpha = (T(1) + std::sqrt(T(17))) / T(8);
  auto A = [&](int64_t i, int64_t j) -> T& { return a[i * n + j]; };
  int32_t info = 0;
  for (int64_t k = 0; k < n;) {
    int64_t kstep = 1, kp = k;
    const T absakk = std::abs(A(k, k));
    int64_t imax = k;
    T colmax = 0;
    for (int64_t i = k + 1; i < n; ++i)
      if (std::abs(A(i, k)) > colmax) colmax = std::abs(A(i, k)), imax = i;
    if (std::max(absakk, colmax) == T(0) || std::isnan(absakk)) {
      if (info == 0) info = static_cast<int32_t>(k + 1);
    } else {
      if (!(absakk >= alpha * colmax)) {
        T rowmax = 0;
        for (int64_t j = k; j < imax; ++j) rowmax = std::max(rowmax, std::abs(A(imax, j)));
        for (int64_t j = imax + 1; j < n; ++j) rowmax = std::max(rowmax, std::abs(A(j, imax)));
        if (absakk >= alpha * colmax * (colmax / rowmax)) kp = k;
        else if (std::abs(A(imax, imax)) >= alpha * rowmax) kp = imax;
        else kp = imax, kstep = 2;
      }
      const int64_t kk = k + kstep - 1;
      if (kp != kk) {  // interchange rows and columns kk and kp of the trailing submatrix
        for (int64_t i = kp + 1; i < n; ++i) std::swap(A(i, kk), A(i, kp));
        for (int64_t j = kk + 1; j < kp; ++j) std::swap(A(j, kk), A(kp, j));
        std::swap(A(kk, kk), A(kp, kp));
        if (kstep == 2) std::swap(A(k + 1, k), A(kp, k));
      }
      if (kstep == 1) {
        const T d11 = T(1) / A(k, k);
        for (int64_t j = k + 1; j < n; ++j) {
          const T x = d11 * A(j, k);
          for (int64_t i = j; i < n; ++i) A(i, j) -= A(i, k) * x;
        }
        for (int64_t i = k + 1; i < n; ++i) A(i, k) *= d11;
      } else if (k < n - 2) {
        T d21 = A(k + 1, k);
        const T d11 = A(k + 1, k + 1) / d21, d22 = A(k, k) / d21;
        const T t = T(1) / (d11 * d22 - T(1));
        d21 = t / d21;
        for (int64_t j = k + 2; j < n; ++j) {
          const T wk = d21 * (d11 * A(j, k) - A(j, k + 1));
          const T wkp1 = d21 * (d22 * A(j, k + 1) - A(j, k));
          for (int64_t i = j; i < n; ++i) A(i, j) = A(i, j) - A(i, k) * wk - A(i, k + 1) * wkp1;
          A(j, k) = wk;
          A(j, k + 1) = wkp1;
        }
      }
    }
    if (kstep == 1) ipiv[k] = static_cast<int32_t>(kp + 1);
    else ipiv[k] = ipiv[k + 1] = static_cast<int32_t>(-(kp + 1));
    k += kstep;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) A(i, j) = 0;
  return info;
}

// X (n x r, in place of B) with A X = B from ldl_one's factors (LAPACK's dsytrs, lower).
template <class T> void ldl_solve_one(const T* a, const int32_t* ipiv, T* b, int64_t n, int64_t r) {
  auto A = [&](int64_t i, int64_t j) { return a[i * n + j]; };
  auto row = [&](int64_t i) { return b + i * r; };
  auto swap_rows = [&](int64_t i, int64_t j) {
    if (i != j) std::swap_ranges(row(i), row(i) + r, row(j));
  };
  for (int64_t k = 0; k < n;) {  // L D Y = P B
    if (ipiv[k] > 0) {
      swap_rows(k, ipiv[k] - 1);
      for (int64_t i = k + 1; i < n; ++i)
        for (int64_t c = 0; c < r; ++c) row(i)[c] -= A(i, k) * row(k)[c];
      const T inv = T(1) / A(k, k);
      for (int64_t c = 0; c < r; ++c) row(k)[c] *= inv;
      k += 1;
    } else {
      swap_rows(k + 1, -ipiv[k] - 1);
      for (int64_t i = k + 2; i < n; ++i)
        for (int64_t c = 0; c < r; ++c) row(i)[c] -= A(i, k) * row(k)[c];
      for (int64_t i = k + 2; i < n; ++i)
        for (int64_t c = 0; c < r; ++c) row(i)[c] -= A(i, k + 1) * row(k + 1)[c];
      const T akm1k = A(k + 1, k), akm1 = A(k, k) / akm1k, ak = A(k + 1, k + 1) / akm1k;
      const T denom = akm1 * ak - T(1);
      for (int64_t c = 0; c < r; ++c) {
        const T bkm1 = row(k)[c] / akm1k, bk = row(k + 1)[c] / akm1k;
        row(k)[c] = (ak * bkm1 - bk) / denom;
        row(k + 1)[c] = (akm1 * bk - bkm1) / denom;
      }
      k += 2;
    }
  }
  for (int64_t k = n - 1; k >= 0;) {  // L^T P X = Y
    const int64_t first = ipiv[k] > 0 ? k : k - 1;
    for (int64_t j = first; j <= k; ++j)
      for (int64_t i = k + 1; i < n; ++i)
        for (int64_t c = 0; c < r; ++c) row(j)[c] -= A(i, j) * row(i)[c];
    swap_rows(k, (ipiv[k] > 0 ? ipiv[k] : -ipiv[k]) - 1);
    k = first - 1;
  }
}

// {a factored copy of A, pivots int32 (..., k), info int32 (...)}: info = one(matrix, its pivots) factors each
// matrix of the copy in place (about `work` flops).
template <class F>
std::tuple<Tensor, Tensor, Tensor> pivoted_factor(const Tensor& A, const char* op, int64_t k, int64_t work, F one) {
  const Shape batch = batch_of(A);
  const int64_t count = checked_numel(batch, op), size = A->sizes[A->dim() - 2] * A->sizes[A->dim() - 1];
  Tensor factors = clone(A);
  Shape ps = batch;
  ps.push_back(k);
  Tensor piv = empty(ps, DType::Int32), info = empty(batch, DType::Int32);
  int32_t* pp = piv->data<int32_t>();
  int32_t* ip = info->data<int32_t>();
  auto run = [&](auto* a) { for_each_matrix(count, work, [&](int64_t b) { ip[b] = one(a + b * size, pp + b * k); }); };
  if (A->dtype == DType::Float32) run(factors->data<float>());
  else run(factors->data<double>());
  return {factors, piv, info};
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> linalg_lu_factor(const Tensor& A) {
  check_input(A, "linalg.lu_factor");
  const int64_t m = A->sizes[A->dim() - 2], n = A->sizes[A->dim() - 1], k = std::min(m, n);
  return pivoted_factor(A, "linalg.lu_factor", k, m * n * k,
                        [&](auto* a, int32_t* piv) { return lu_one(a, piv, m, n); });
}

Tensor linalg_lu_solve(const Tensor& LU, const Tensor& pivots, const Tensor& B) {
  check_input(LU, "linalg.lu_solve");
  check_input(B, "linalg.lu_solve");
  const int64_t n = LU->sizes.back();
  TG_CHECK(LU->dim() == B->dim() && LU->dtype == B->dtype && pivots->dtype == DType::Int32 &&
               LU->sizes[LU->dim() - 2] == n && B->sizes[B->dim() - 2] == n && batch_of(LU) == batch_of(B),
           "linalg.lu_solve: expected LU (..., n, n), int32 pivots and B (..., n, k) of one batch and dtype, got ",
           LU->sizes, " and ", B->sizes);
  return LU->dtype == DType::Float32 ? typed_solve<float>(LU, pivots, B) : typed_solve<double>(LU, pivots, B);
}

Tensor linalg_solve_triangular(const Tensor& A, const Tensor& B, bool upper, bool unitriangular) {
  check_input(A, "linalg.solve_triangular");
  check_input(B, "linalg.solve_triangular");
  const int64_t n = A->sizes.back(), r = B->sizes.back();
  TG_CHECK(A->dim() == B->dim() && A->dtype == B->dtype && A->sizes[A->dim() - 2] == n && B->sizes[B->dim() - 2] == n &&
               batch_of(A) == batch_of(B),
           "linalg.solve_triangular: expected A (..., n, n) and B (..., n, k) of one batch and dtype, got ", A->sizes,
           " and ", B->sizes);
  const Tensor a = contiguous(A);
  Tensor X = clone(B);
  const int64_t count = checked_numel(batch_of(B), "linalg.solve_triangular");
  auto run = [&](const auto* ap, auto* xp) {
    for_each_matrix(count, n * n * r,
                    [&](int64_t b) { triangular_one(ap + b * n * n, xp + b * n * r, n, r, upper, unitriangular); });
  };
  if (A->dtype == DType::Float32) run(a->data<float>(), X->data<float>());
  else run(a->data<double>(), X->data<double>());
  return X;
}

std::tuple<Tensor, Tensor> linalg_cholesky(const Tensor& A) {
  check_input(A, "linalg.cholesky");
  const int64_t n = A->sizes.back();
  const Shape batch = batch_of(A);
  const int64_t count = checked_numel(batch, "linalg.cholesky");
  const Tensor a = contiguous(A);
  Tensor L = empty(A->sizes, A->dtype), info = empty(batch, DType::Int32);
  int32_t* ip = info->data<int32_t>();
  auto run = [&](const auto* ap, auto* lp) {
    for_each_matrix(count, n * n * n, [&](int64_t b) {
      std::vector<std::remove_const_t<std::remove_pointer_t<decltype(ap)>>> u(n * n);
      ip[b] = cholesky_one(ap + b * n * n, lp + b * n * n, n, u.data());
    });
  };
  if (A->dtype == DType::Float32) run(a->data<float>(), L->data<float>());
  else run(a->data<double>(), L->data<double>());
  return {L, info};
}

std::tuple<Tensor, Tensor> linalg_qr(const Tensor& A, bool complete, bool compute_q) {
  check_input(A, "linalg.qr");
  const int64_t m = A->sizes[A->dim() - 2], n = A->sizes[A->dim() - 1], k = std::min(m, n);
  const Shape batch = batch_of(A);
  const int64_t count = checked_numel(batch, "linalg.qr");
  const int64_t qc = complete ? m : k, rr = complete ? m : k;
  Tensor work = clone(A);
  Tensor Q = empty(compute_q ? with(batch, m, qc) : Shape{0}, A->dtype);
  Tensor R = empty(with(batch, rr, n), A->dtype);
  auto run = [&](auto* wp, auto* qp, auto* rp) {
    using T = std::remove_pointer_t<decltype(wp)>;
    for_each_matrix(count, m * n * k, [&](int64_t b) {
      T* a = wp + b * m * n;
      std::vector<T> vs(std::max<int64_t>(1, k * m)), taus(std::max<int64_t>(1, k)), w(std::max(n, qc) + 1);
      householder(a, m, n, vs.data(), taus.data(), w.data());
      T* r = rp + b * rr * n;
      for (int64_t i = 0; i < rr; ++i)
        for (int64_t c = 0; c < n; ++c) r[i * n + c] = (i < m && c >= i) ? a[i * n + c] : T(0);
      if (!compute_q) return;
      T* q = qp + b * m * qc;
      if (!std::all_of(r, r + rr * n, [](T x) { return std::isfinite(x); })) {
        std::fill(q, q + m * qc, std::numeric_limits<T>::quiet_NaN());  // (as LAPACK's: NaN in, NaN out)
        return;
      }
      std::fill(q, q + m * qc, T(0));
      for (int64_t i = 0; i < std::min(m, qc); ++i) q[i * qc + i] = 1;
      for (int64_t j = k - 1; j >= 0; --j) {
        if (taus[j] == T(0))  // (LAPACK's dorg2r sets the column to -tau v: -0 below a zero tail's diagonal)
          for (int64_t i = j + 1; i < m; ++i) q[i * qc + j] = -T(0) * vs[j * m + i - j];
        reflect(q, qc, qc, vs.data() + j * m, taus[j], j, m, w.data());
      }
    });
  };
  if (A->dtype == DType::Float32) run(work->data<float>(), Q->data<float>(), R->data<float>());
  else run(work->data<double>(), Q->data<double>(), R->data<double>());
  return {Q, R};
}

std::tuple<Tensor, Tensor> linalg_eigh(const Tensor& A, bool upper, bool compute_v) {
  check_input(A, "linalg.eigh");
  const int64_t n = A->sizes.back();
  const Shape batch = batch_of(A);
  const int64_t count = checked_numel(batch, "linalg.eigh");
  const Tensor a = contiguous(A);
  Shape ls = batch;
  ls.push_back(n);
  Tensor L = empty(ls, A->dtype), V = empty(compute_v ? A->sizes : Shape{0}, A->dtype);
  auto run = [&](const auto* ap, auto* lp, auto* vp) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(ap)>>;
    for_each_matrix(count, 10 * n * n * n, [&](int64_t b) {
      const T* src = ap + b * n * n;
      std::vector<T> s(n * n), vt(compute_v ? n * n : 0);
      for (int64_t i = 0; i < n; ++i)  // symmetric from the triangle read
        for (int64_t j = 0; j <= i; ++j) s[i * n + j] = s[j * n + i] = upper ? src[j * n + i] : src[i * n + j];
      if (!std::all_of(s.begin(), s.end(), [](T x) { return std::isfinite(x); })) {  // NaN out, as LAPACK's
        std::fill(lp + b * n, lp + b * n + n, std::numeric_limits<T>::quiet_NaN());
        if (compute_v) std::fill(vp + b * n * n, vp + b * n * n + n * n, std::numeric_limits<T>::quiet_NaN());
        return;
      }
      eigh_one(s.data(), lp + b * n, compute_v ? vt.data() : nullptr, n, upper);
      if (!compute_v) return;
      T* v = vp + b * n * n;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < n; ++c) v[i * n + c] = vt[c * n + i];
    });
  };
  if (A->dtype == DType::Float32) run(a->data<float>(), L->data<float>(), V->data<float>());
  else run(a->data<double>(), L->data<double>(), V->data<double>());
  return {L, V};
}

}  // namespace tg

namespace tg {

std::tuple<Tensor, Tensor> linalg_geqrf(const Tensor& A) {
  check_input(A, "geqrf");
  const int64_t m = A->sizes[A->dim() - 2], n = A->sizes[A->dim() - 1], k = std::min(m, n);
  const Shape batch = batch_of(A);
  const int64_t count = checked_numel(batch, "geqrf");
  Tensor a = clone(A);
  Shape ts = batch;
  ts.push_back(k);
  Tensor tau = empty(ts, A->dtype);
  auto run = [&](auto* ap, auto* tp) {
    using T = std::remove_pointer_t<decltype(ap)>;
    for_each_matrix(count, m * n * k, [&](int64_t b) {
      T* x = ap + b * m * n;
      std::vector<T> vs(std::max<int64_t>(1, k * m)), w(n + 1);
      householder(x, m, n, vs.data(), tp + b * k, w.data());
      for (int64_t j = 0; j < k; ++j)  // the reflectors' vectors below the diagonal (v_j[0] = 1 implied)
        for (int64_t i = j + 1; i < m; ++i) x[i * n + j] = vs[j * m + i - j];
    });
  };
  if (A->dtype == DType::Float32) run(a->data<float>(), tau->data<float>());
  else run(a->data<double>(), tau->data<double>());
  return {a, tau};
}

std::tuple<Tensor, Tensor, Tensor> linalg_ldl_factor(const Tensor& A) {
  check_input(A, "torch.linalg.ldl_factor_ex");
  const int64_t n = A->sizes.back();
  TG_CHECK(A->sizes[A->dim() - 2] == n,
           "torch.linalg.ldl_factor_ex: A must be batches of square matrices, but they are ", A->sizes[A->dim() - 2],
           " by ", n, " matrices");
  return pivoted_factor(A, "torch.linalg.ldl_factor_ex", n, n * n * n,
                        [&](auto* a, int32_t* piv) { return ldl_one(a, piv, n); });
}

Tensor linalg_ldl_solve(const Tensor& LD, const Tensor& pivots, const Tensor& B) {
  check_input(LD, "torch.linalg.ldl_solve");
  check_input(B, "torch.linalg.ldl_solve");
  const int64_t n = LD->sizes.back(), r = B->sizes.back();
  TG_CHECK(LD->sizes[LD->dim() - 2] == n && B->sizes[B->dim() - 2] == n && batch_of(LD) == batch_of(B) &&
               pivots->dtype == DType::Int32 && pivots->dim() == LD->dim() - 1 && pivots->sizes.back() == n,
           "torch.linalg.ldl_solve: LD, pivots and B must be one batch of (n, n), (n,) and (n, k)");
  const int64_t count = checked_numel(batch_of(B), "torch.linalg.ldl_solve");
  const Tensor ld = contiguous(LD), pv = contiguous(pivots);
  Tensor X = clone(B);
  const int32_t* pp = pv->data<int32_t>();
  auto run = [&](const auto* lp, auto* xp) {
    for_each_matrix(count, n * n * r,
                    [&](int64_t b) { ldl_solve_one(lp + b * n * n, pp + b * n, xp + b * n * r, n, r); });
  };
  if (B->dtype == DType::Float32) run(ld->data<float>(), X->data<float>());
  else run(ld->data<double>(), X->data<double>());
  return X;
}

}  // namespace tg
