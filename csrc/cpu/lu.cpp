// LU, triangular solves, Cholesky, Householder QR and Jacobi eigh on the CPU (lu.h). Unblocked textbook kernels
// on row-major matrices: every inner loop runs along a row, so it is contiguous and vectorizes. One matrix per
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
    for (int64_t i = j + 1; i < m; ++i) v[i - j] = 0;
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
template <class T> void jacobi_eigh(T* a, T* v, T* w, int64_t n, bool compute_v) {
  if (compute_v) {
    std::fill(v, v + n * n, T(0));
    for (int64_t i = 0; i < n; ++i) v[i * n + i] = 1;
  }
  // A rotation is skipped when a_pq is negligible beside the diagonal (Demmel-Veselic's relative criterion)
  // or beside the matrix's norm; the sweeps stop when one rotates nothing.
  const T eps = std::numeric_limits<T>::epsilon();
  T norm2 = 0;
  for (int64_t i = 0; i < n * n; ++i) norm2 += a[i] * a[i];
  const T floor = eps * eps * std::sqrt(norm2);
  for (int sweep = 0; sweep < 60; ++sweep) {
    int64_t rotations = 0;
    for (int64_t p = 0; p < n - 1; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        const T apq = a[p * n + q];
        if (!(std::abs(apq) > floor) || std::abs(apq) <= eps * std::sqrt(std::abs(a[p * n + p] * a[q * n + q])))
          continue;
        ++rotations;
        const T theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const T t = std::copysign(T(1), theta) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const T c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int64_t r = 0; r < n; ++r) {  // columns p, q
          const T x = a[r * n + p], y = a[r * n + q];
          a[r * n + p] = c * x - s * y;
          a[r * n + q] = s * x + c * y;
        }
        T* rp = a + p * n;
        T* rq = a + q * n;
        for (int64_t r = 0; r < n; ++r) {  // rows p, q
          const T x = rp[r], y = rq[r];
          rp[r] = c * x - s * y;
          rq[r] = s * x + c * y;
        }
        a[p * n + q] = a[q * n + p] = 0;
        if (compute_v) {  // v's columns p, q (rows of v^T kept in v: v[p*n + r] is column p)
          T* vp = v + p * n;
          T* vq = v + q * n;
          for (int64_t r = 0; r < n; ++r) {
            const T x = vp[r], y = vq[r];
            vp[r] = c * x - s * y;
            vq[r] = s * x + c * y;
          }
        }
      }
    }
    if (rotations == 0) break;
  }
  for (int64_t i = 0; i < n; ++i) w[i] = a[i * n + i];
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
      for (int64_t j = k - 1; j >= 0; --j) reflect(q, qc, qc, vs.data() + j * m, taus[j], j, m, w.data());
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
      std::vector<T> s(n * n), vt(compute_v ? n * n : 0), w(n);
      for (int64_t i = 0; i < n; ++i)  // symmetric from the triangle read
        for (int64_t j = 0; j <= i; ++j) s[i * n + j] = s[j * n + i] = upper ? src[j * n + i] : src[i * n + j];
      if (!std::all_of(s.begin(), s.end(), [](T x) { return std::isfinite(x); })) {  // NaN out, as LAPACK's
        std::fill(lp + b * n, lp + b * n + n, std::numeric_limits<T>::quiet_NaN());
        if (compute_v) std::fill(vp + b * n * n, vp + b * n * n + n * n, std::numeric_limits<T>::quiet_NaN());
        return;
      }
      jacobi_eigh(s.data(), vt.data(), w.data(), n, compute_v);
      std::vector<int64_t> order(n);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return w[x] < w[y]; });
      for (int64_t i = 0; i < n; ++i) lp[b * n + i] = w[order[i]];
      if (!compute_v) return;
      T* v = vp + b * n * n;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < n; ++c) v[i * n + c] = vt[order[c] * n + i];
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
