// Sorting kernels: sort, topk, kthvalue (median: its stable pick) and mode. The input is
// contiguous, viewed as (outer, n, inner); each of the outer * inner rows (n elements, stride inner)
// is handled on its own, rows in parallel. Outputs are contiguous (outer, n or k, inner): values in the
// input's dtype, indices int64.
//
// Order is torch's: NaN after +inf (first when descending); equal elements keep their index order (stable),
// except in sort with stable=false, which orders them as torch's unstable sort does.
#pragma once
#include "../core/tensor.h"

namespace tg::cpu {

void sort(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n, int64_t inner,
          bool descending, bool stable = true);
// The k largest (or smallest) of each row, best first when `sorted`; unsorted, position k - 1 still
// holds the k-th best (nth_element's guarantee), which kthvalue relies on.
void topk(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n, int64_t inner,
          int64_t k, bool largest, bool sorted);
// The k-th smallest (1-based) of each row: stable, the k-th in (value, index) order (median's pick), else
// torch's kthvalue (its quickselect's index among equal values); values and indices hold outer * inner elements.
void kthvalue(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n, int64_t inner,
              int64_t k, bool stable);
// The most frequent value of each row (the smallest among equally frequent ones) and the index torch's CPU
// kernel gives: the last of its occurrences in the order an (unstable) std::sort by value leaves them (the last
// occurrence for rows of up to 16 elements); values and indices hold outer * inner elements.
void mode(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n, int64_t inner);
// For each of the rows x n values, the number of elements of its sorted row of m (the single row when
// `shared`) that are < the value (<= with `right`): binary searches, rows in parallel. One dtype, all
// contiguous; out is int64.
void searchsorted(const Tensor& seq, const Tensor& values, const Tensor& out, int64_t rows, int64_t m, int64_t n,
                  bool shared, bool right);

}  // namespace tg::cpu
