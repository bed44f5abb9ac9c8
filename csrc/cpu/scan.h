// The registry's scans (ops/scan.h's functors) and flip's row reversal. Input and outputs are contiguous
// (outer, n, inner); each of the outer blocks scans its n rows of `inner` elements in order (vectorized over
// inner), blocks in parallel.
#pragma once
#include "../core/tensor.h"
#include "../ops/scan.h"

namespace tg::cpu {

// values: the scan (the output dtype); indices (int64, the indices kind only): where each running extreme is.
void scan(ScanOpId op, const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n,
          int64_t inner);
// flip's fast path: each of the rows (n contiguous elements, contiguous rows) reversed into out.
void reverse_rows(const Tensor& in, const Tensor& out, int64_t rows, int64_t n);

}  // namespace tg::cpu
