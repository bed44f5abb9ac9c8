// The singular value decomposition on the CPU by one-sided Jacobi (Hestenes): plane rotations applied to the
// columns of W = A V (A m x n with m >= n; a wide matrix is decomposed as its transpose) until every pair of
// columns is orthogonal; then S = the column norms of W, U = W / S, and V holds the accumulated rotations.
// Runs in double for float32 and float64 inputs; one matrix per task.
// NOTE: Jacobi's singular values are accurate to a few ulps of ||A|| relative to each value (better than
// bidiagonalisation for small ones); singular vectors are unique only up to sign (and rotation within equal
// singular values), as with LAPACK.
#include "linalg.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "../core/ops.h"
#include "parallel.h"

namespace tg {
namespace {

constexpr int kMaxSweeps = 80;

// Column-major m x n matrix of doubles.
struct Mat {
  int64_t m, n;
  std::vector<double> a;
  Mat(int64_t rows, int64_t cols) : m(rows), n(cols), a(rows * cols, 0.0) {}
  double* col(int64_t j) { return a.data() + j * m; }
  const double* col(int64_t j) const { return a.data() + j * m; }
};

double dot(const double* x, const double* y, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += x[i] * y[i];
  return s;
}

void rotate(double* x, double* y, int64_t n, double c, double s) {
  for (int64_t i = 0; i < n; ++i) {
    const double xi = x[i], yi = y[i];
    x[i] = c * xi - s * yi;
    y[i] = s * xi + c * yi;
  }
}

// e_f orthogonalised (twice, for stability) against the valid columns of U, into v; returns its norm.
double residual_of_unit(const Mat& U, const std::vector<bool>& valid, int64_t f, std::vector<double>& v) {
  std::fill(v.begin(), v.end(), 0.0);
  v[f] = 1.0;
  for (int pass = 0; pass < 2; ++pass)
    for (int64_t k = 0; k < U.n; ++k) {
      if (!valid[k]) continue;
      const double p = dot(U.col(k), v.data(), U.m);
      for (int64_t i = 0; i < U.m; ++i) v[i] -= p * U.col(k)[i];
    }
  return std::sqrt(dot(v.data(), v.data(), U.m));
}

// Fills the columns of U not marked valid (those of zero singular values, and the extra columns of a full U)
// with an orthonormal completion of the valid ones: unit vectors e_f orthogonalised against the columns kept so
// far. With r columns kept, the squared parts sum to m - r over all f, so some e_f keeps at least
// (m - r) / m of its squared norm: the first one keeping half of that is taken (scanning on from the last one).
void complete_basis(Mat& U, std::vector<bool>& valid) {
  std::vector<double> v(U.m);
  int64_t kept = std::count(valid.begin(), valid.end(), true), f = 0;
  for (int64_t j = 0; j < U.n; ++j) {
    if (valid[j]) continue;
    const double enough = std::sqrt(0.5 * static_cast<double>(U.m - kept) / static_cast<double>(U.m));
    double norm = 0;
    for (int64_t tries = 0; tries < U.m; ++tries, f = (f + 1) % U.m)
      if ((norm = residual_of_unit(U, valid, f, v)) >= enough) break;
    for (int64_t i = 0; i < U.m; ++i) U.col(j)[i] = v[i] / norm;
    valid[j] = true;
    ++kept;
    f = (f + 1) % U.m;
  }
}

// SVD of the tall m x n (m >= n) matrix W (overwritten): S (n), U (m x ucols, ucols = n or m), V (n x n).
void jacobi_svd(Mat& W, std::vector<double>& S, Mat* U, Mat* V) {
  const int64_t m = W.m, n = W.n;
  Mat Vm(n, n);
  for (int64_t j = 0; j < n; ++j) Vm.col(j)[j] = 1.0;
  const double eps = 1e-15;
  std::vector<double> sq(n);  // the squared column norms, updated by each rotation, recomputed every sweep
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    bool rotated = false;
    for (int64_t j = 0; j < n; ++j) sq[j] = dot(W.col(j), W.col(j), m);
    for (int64_t p = 0; p + 1 < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        const double alpha = sq[p], beta = sq[q], gamma = dot(W.col(p), W.col(q), m);
        if (gamma == 0.0 || std::fabs(gamma) <= eps * std::sqrt(alpha * beta)) continue;
        rotated = true;
        const double zeta = (beta - alpha) / (2.0 * gamma);
        const double t = (zeta >= 0 ? 1.0 : -1.0) / (std::fabs(zeta) + std::sqrt(1.0 + zeta * zeta));
        const double c = 1.0 / std::sqrt(1.0 + t * t), s = c * t;
        rotate(W.col(p), W.col(q), m, c, s);
        rotate(Vm.col(p), Vm.col(q), n, c, s);
        sq[p] = alpha - t * gamma;  // the rotation zeroes the pair's inner product
        sq[q] = beta + t * gamma;
      }
    if (!rotated) break;
  }
  std::vector<double> norms(n);
  for (int64_t j = 0; j < n; ++j) norms[j] = std::sqrt(dot(W.col(j), W.col(j), m));
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return norms[i] > norms[j]; });
  S.resize(n);
  for (int64_t j = 0; j < n; ++j) S[j] = norms[order[j]];
  if (!U) return;
  std::vector<bool> valid(U->n, false);
  for (int64_t j = 0; j < n; ++j) {
    const int64_t src = order[j];
    std::copy(Vm.col(src), Vm.col(src) + n, V->col(j));
    if (S[j] > 1e-290) {  // else a zero column: its direction comes from complete_basis
      for (int64_t i = 0; i < m; ++i) U->col(j)[i] = W.col(src)[i] / S[j];
      valid[j] = true;
    }
  }
  complete_basis(*U, valid);
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> linalg_svd(const Tensor& A, bool full_matrices, bool compute_uv) {
  TG_CHECK(!A->device().is_cuda(), "linalg.svd: CUDA tensors are not supported (the SVD kernel runs on the CPU "
           "only); call .cpu() on the input");
  TG_CHECK(A->dim() >= 2, "linalg.svd: The input tensor A must have at least 2 dimensions.");
  TG_CHECK(A->dtype == DType::Float32 || A->dtype == DType::Float64,
           "linalg.svd: Expected a floating point or complex tensor as input. Got ", type_name(A->dtype));
  const int64_t m = A->sizes[A->dim() - 2], n = A->sizes[A->dim() - 1], k = std::min(m, n);
  const Shape batch(A->sizes.begin(), A->sizes.end() - 2);
  const int64_t B = checked_numel(batch, "linalg.svd");
  const int64_t ur = m, uc = full_matrices ? m : k, vr = full_matrices ? n : k, vc = n;
  auto with = [&](int64_t r, int64_t c) { Shape s = batch; s.push_back(r); s.push_back(c); return s; };
  Shape s_shape = batch;
  s_shape.push_back(k);
  const Tensor a = contiguous(to_dtype(A, DType::Float64));
  const double* ad = a->data<double>();
  for (int64_t i = 0; i < a->numel(); ++i)
    TG_CHECK(std::isfinite(ad[i]), "linalg.svd: The algorithm failed to converge because the input matrix "
             "contained non-finite values.");
  Tensor U = compute_uv ? empty(with(ur, uc), DType::Float64) : empty({0}, A->dtype);
  Tensor Vh = compute_uv ? empty(with(vr, vc), DType::Float64) : empty({0}, A->dtype);
  Tensor S = empty(s_shape, DType::Float64);
  const bool tall = m >= n;
  cpu::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const double* x = ad + b * m * n;  // row-major m x n
      // W: A (tall) or A^T (wide) as a column-major rows x cols matrix, rows >= cols.
      const int64_t rows = tall ? m : n, cols = tall ? n : m;
      Mat W(rows, cols);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) (tall ? W.col(j)[i] : W.col(i)[j]) = x[i * n + j];
      std::vector<double> s;
      // Left vectors of W: U of A when tall, V of A when wide.
      Mat L(rows, compute_uv ? (full_matrices ? rows : cols) : 0), R(cols, compute_uv ? cols : 0);
      jacobi_svd(W, s, compute_uv ? &L : nullptr, compute_uv ? &R : nullptr);
      std::copy(s.begin(), s.end(), S->data<double>() + b * k);
      if (!compute_uv) continue;
      double* u = U->data<double>() + b * ur * uc;   // row-major
      double* vh = Vh->data<double>() + b * vr * vc;  // row-major
      if (tall) {  // U = L (m x uc), Vh = R^T (k x n), completed to n x n when full: R is n x n already
        for (int64_t i = 0; i < ur; ++i)
          for (int64_t j = 0; j < uc; ++j) u[i * uc + j] = L.col(j)[i];
        for (int64_t i = 0; i < vr; ++i)
          for (int64_t j = 0; j < vc; ++j) vh[i * vc + j] = R.col(i)[j];
      } else {  // A^T = L S R^T: U = R (m x m), Vh = L^T (vr x n)
        for (int64_t i = 0; i < ur; ++i)
          for (int64_t j = 0; j < uc; ++j) u[i * uc + j] = R.col(j)[i];
        for (int64_t i = 0; i < vr; ++i)
          for (int64_t j = 0; j < vc; ++j) vh[i * vc + j] = L.col(i)[j];
      }
    }
  });
  if (compute_uv) return {to_dtype(U, A->dtype), to_dtype(S, A->dtype), to_dtype(Vh, A->dtype)};
  return {U, to_dtype(S, A->dtype), Vh};
}

}  // namespace tg
