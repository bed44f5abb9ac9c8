// sort, topk and mode: validation, output allocation and the (outer, n, inner) row layout of the
// CPU kernels in cpu/sort.cpp. CUDA tensors are sorted on the host (no sorting kernel for the GPU
// yet): the input is copied to the CPU and the results back to the input's device.
#include "../cpu/sort.h"
#include "error.h"
#include "ops.h"

namespace tg {
namespace {

struct Rows {
  int64_t outer = 1, n = 1, inner = 1;
};

Rows rows_along(const Tensor& a, int64_t dim) {
  Rows r;
  if (a->dim() == 0) return r;
  r.n = a->sizes[dim];
  for (int64_t d = 0; d < dim; ++d) r.outer *= a->sizes[d];
  for (int64_t d = dim + 1; d < a->dim(); ++d) r.inner *= a->sizes[d];
  return r;
}

template <class Op>
std::pair<Tensor, Tensor> on_host(const Tensor& a, Op op) {
  auto [values, indices] = op(to_device(a, Device{}));
  return {to_device(values, a->device()), to_device(indices, a->device())};
}

}  // namespace

std::pair<Tensor, Tensor> sort(const Tensor& a, int64_t dim, bool descending) {
  dim = wrap_dim(dim, a->dim());
  if (a->device().is_cuda()) return on_host(a, [&](const Tensor& h) { return sort(h, dim, descending); });
  Tensor in = contiguous(a);
  Tensor values = empty(a->sizes, a->dtype, a->device()), indices = empty(a->sizes, DType::Int64, a->device());
  Rows r = rows_along(a, dim);
  if (a->numel()) cpu::sort(in, values, indices, r.outer, r.n, r.inner, descending);
  return {values, indices};
}

std::pair<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim, bool largest, bool sorted) {
  dim = wrap_dim(dim, a->dim());
  Rows r = rows_along(a, dim);
  TG_CHECK(k >= 0 && k <= r.n, "selected index k out of range");
  if (a->dim() == 0) k = 1;  // a scalar's topk is the scalar, k = 0 included (torch's)
  if (a->device().is_cuda()) return on_host(a, [&](const Tensor& h) { return topk(h, k, dim, largest, sorted); });
  Shape sizes = a->sizes;
  if (a->dim()) sizes[dim] = k;
  Tensor in = contiguous(a);
  Tensor values = empty(sizes, a->dtype, a->device()), indices = empty(sizes, DType::Int64, a->device());
  if (values->numel()) cpu::topk(in, values, indices, r.outer, r.n, r.inner, k, largest, sorted);
  return {values, indices};
}

std::pair<Tensor, Tensor> mode(const Tensor& a, int64_t dim, bool keepdim) {
  dim = wrap_dim(dim, a->dim());
  Rows r = rows_along(a, dim);
  TG_CHECK_INDEX(r.n > 0, "mode(): Expected reduction dim ", dim,
                 " to have non-zero size.");
  if (a->device().is_cuda()) return on_host(a, [&](const Tensor& h) { return mode(h, dim, keepdim); });
  Shape sizes = a->sizes;
  if (a->dim()) sizes[dim] = 1;
  Tensor in = contiguous(a);
  Tensor values = empty(sizes, a->dtype, a->device()), indices = empty(sizes, DType::Int64, a->device());
  if (values->numel()) cpu::mode(in, values, indices, r.outer, r.n, r.inner);
  if (!keepdim && a->dim()) values = squeeze(values, dim), indices = squeeze(indices, dim);
  return {values, indices};
}

}  // namespace tg
