// Matrix decompositions on the CPU; see linalg.cpp.
#pragma once
#include <tuple>
#include "../core/tensor.h"

namespace tg {

// The SVD A = U diag(S) Vh of every matrix of A (..., m, n), float32/float64, k = min(m, n): S (..., k) in
// descending order; U (..., m, m) and Vh (..., n, n) when full_matrices, else (..., m, k) and (..., k, n).
// Without compute_uv, U and Vh are empty (0-element) tensors.
std::tuple<Tensor, Tensor, Tensor> linalg_svd(const Tensor& A, bool full_matrices, bool compute_uv);

}  // namespace tg
