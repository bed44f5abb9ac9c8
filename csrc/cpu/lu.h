// Dense factorizations and solvers on the CPU beside the SVD: LU with partial pivoting, triangular solves,
// Cholesky, Householder QR and the symmetric eigendecomposition; see lu.cpp. Every function takes a batch of
// matrices (..., m, n) in float32 or float64, row-major after a contiguous copy, one matrix per task.
#pragma once
#include <tuple>
#include "../core/tensor.h"

namespace tg {

// P A = L U of every matrix of A (..., m, n): LU (..., m, n) holds U and L's strictly lower part (unit diagonal),
// pivots int32 (..., min(m, n)) are LAPACK's 1-based row swaps, info int32 (...) is 0 or the first zero pivot's
// 1-based index (the factorization still completes, as getrf's).
std::tuple<Tensor, Tensor, Tensor> linalg_lu_factor(const Tensor& A);
// X with A X = B for LU and pivots of A (..., n, n) from linalg_lu_factor and B (..., n, k) of the same batch.
Tensor linalg_lu_solve(const Tensor& LU, const Tensor& pivots, const Tensor& B);
// X with A X = B for A (..., n, n) triangular (only its upper or lower triangle read; a unit diagonal assumed
// when unitriangular) and B (..., n, k) of the same batch.
Tensor linalg_solve_triangular(const Tensor& A, const Tensor& B, bool upper, bool unitriangular);
// A = L L^T from A's lower triangle: L (..., n, n) lower, info int32 (...) 0 or the order of the first leading
// minor that is not positive-definite (L is then incomplete).
std::tuple<Tensor, Tensor> linalg_cholesky(const Tensor& A);
// A = Q R by Householder reflections (LAPACK's signs): Q (..., m, m) and R (..., m, n) when complete, else
// Q (..., m, k) and R (..., k, n), k = min(m, n); without compute_q, Q is empty.
std::tuple<Tensor, Tensor> linalg_qr(const Tensor& A, bool complete, bool compute_q);
// A = V diag(L) V^T of the symmetric matrix in A's lower (upper) triangle, by cyclic Jacobi rotations:
// L (..., n) ascending, V (..., n, n) orthonormal columns; without compute_v, V is empty.
std::tuple<Tensor, Tensor> linalg_eigh(const Tensor& A, bool upper, bool compute_v);
// geqrf: A = Q R with R in the upper triangle of `a` (..., m, n) and the Householder vectors below it (their
// leading 1 implied), tau (..., min(m, n)) their scales: LAPACK's layout, as householder_product reads it.
std::tuple<Tensor, Tensor> linalg_geqrf(const Tensor& A);
// P A P^T = L D L^T (Bunch-Kaufman, LAPACK's sytf2 on the lower triangle): LD (..., n, n) holds L's strictly lower
// part and D (1x1 and 2x2 blocks), pivots int32 (..., n) LAPACK's ipiv, info int32 (...) 0 or the first zero
// block's 1-based index.
std::tuple<Tensor, Tensor, Tensor> linalg_ldl_factor(const Tensor& A);
// X with A X = B from linalg_ldl_factor's (LD, pivots) and B (..., n, k) of the same batch.
Tensor linalg_ldl_solve(const Tensor& LD, const Tensor& pivots, const Tensor& B);

}  // namespace tg
