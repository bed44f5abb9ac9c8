// Running (scan) kernels beside cumsum: cumprod, cummax/cummin with indices, logcumsumexp. Input and
// outputs are contiguous (outer, n, inner); each of the outer blocks scans its n rows of `inner`
// elements in order (vectorized over inner), blocks in parallel.
#pragma once
#include "../core/tensor.h"

namespace tg::cpu {

void cumprod(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner);
// Equal values: the later index wins; a NaN wins and stays (torch's rules).
void cummax(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n, int64_t inner,
            bool is_max);
void logcumsumexp(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner);
// flip's fast path: each of the rows (n contiguous elements, contiguous rows) reversed into out.
void reverse_rows(const Tensor& in, const Tensor& out, int64_t rows, int64_t n);

}  // namespace tg::cpu
