// sort, topk, mode, searchsorted: validation, output allocation and the (outer, n, inner) row layout of the CPU
// kernels in cpu/sort.cpp. CUDA tensors run on the host (no GPU kernels for these yet): the input is copied to the
// CPU and the results back to the input's device.
#include <algorithm>
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

template <class Op> std::pair<Tensor, Tensor> on_host(const Tensor& a, Op op) {
  auto [values, indices] = op(to_device(a, Device{}));
  return {to_device(values, a->device()), to_device(indices, a->device())};
}

// int8/int16/float16/bfloat16: the op in the compute dtype, its values converted back (exactly: they
// are the input's).
template <class Op> std::pair<Tensor, Tensor> in_compute_dtype(const Tensor& a, Op op) {
  auto [values, indices] = op(widen(a));
  return {to_dtype(values, a->dtype), indices};
}

}  // namespace

std::pair<Tensor, Tensor> sort(const Tensor& a, int64_t dim, bool descending, bool stable) {
  dim = wrap_dim(dim, a->dim());
  // NOTE: torch sorts a 1-D integer tensor of 32768 elements or more in ascending order by a radix sort: stably.
  stable = stable || (a->dim() == 1 && a->numel() >= 32768 && !descending && is_integral(a->dtype, false));
  if (a->device().is_cuda()) return on_host(a, [&](const Tensor& h) { return sort(h, dim, descending, stable); });
  if (is_narrow(a->dtype))
    return in_compute_dtype(a, [&](const Tensor& f) { return sort(f, dim, descending, stable); });
  Tensor in = contiguous(a);
  Tensor values = empty(a->sizes, a->dtype, a->device()), indices = empty(a->sizes, DType::Int64, a->device());
  Rows r = rows_along(a, dim);
  if (a->numel()) cpu::sort(in, values, indices, r.outer, r.n, r.inner, descending, stable);
  return {values, indices};
}

std::pair<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim, bool largest, bool sorted) {
  dim = wrap_dim(dim, a->dim());
  Rows r = rows_along(a, dim);
  TG_CHECK(k >= 0 && k <= r.n, "selected index k out of range");
  if (a->dim() == 0) k = 1;  // a scalar's topk is the scalar, k = 0 included (torch's)
  if (a->device().is_cuda()) return on_host(a, [&](const Tensor& h) { return topk(h, k, dim, largest, sorted); });
  if (is_narrow(a->dtype))
    return in_compute_dtype(a, [&](const Tensor& f) { return topk(f, k, dim, largest, sorted); });
  Shape sizes = a->sizes;
  if (a->dim()) sizes[dim] = k;
  Tensor in = contiguous(a);
  Tensor values = empty(sizes, a->dtype, a->device()), indices = empty(sizes, DType::Int64, a->device());
  if (values->numel()) cpu::topk(in, values, indices, r.outer, r.n, r.inner, k, largest, sorted);
  return {values, indices};
}

std::pair<Tensor, Tensor> kthvalue(const Tensor& a, int64_t k, int64_t dim, bool stable) {
  dim = wrap_dim(dim, a->dim());
  Rows r = rows_along(a, dim);
  TG_CHECK(k >= 1 && k <= r.n, "kthvalue(): selected number k out of range for dimension ", dim);
  if (a->device().is_cuda()) return on_host(a, [&](const Tensor& h) { return kthvalue(h, k, dim, stable); });
  if (is_narrow(a->dtype)) return in_compute_dtype(a, [&](const Tensor& f) { return kthvalue(f, k, dim, stable); });
  Shape sizes = a->sizes;
  if (a->dim()) sizes[dim] = 1;
  Tensor in = contiguous(a);
  Tensor values = empty(sizes, a->dtype, a->device()), indices = empty(sizes, DType::Int64, a->device());
  if (values->numel()) cpu::kthvalue(in, values, indices, r.outer, r.n, r.inner, k, stable);
  return {values, indices};
}

std::pair<Tensor, Tensor> mode(const Tensor& a, int64_t dim, bool keepdim) {
  dim = wrap_dim(dim, a->dim());
  Rows r = rows_along(a, dim);
  TG_CHECK_INDEX(r.n > 0, "mode(): Expected reduction dim ", dim, " to have non-zero size.");
  if (a->device().is_cuda()) return on_host(a, [&](const Tensor& h) { return mode(h, dim, keepdim); });
  if (is_narrow(a->dtype)) return in_compute_dtype(a, [&](const Tensor& f) { return mode(f, dim, keepdim); });
  Shape sizes = a->sizes;
  if (a->dim()) sizes[dim] = 1;
  Tensor in = contiguous(a);
  Tensor values = empty(sizes, a->dtype, a->device()), indices = empty(sizes, DType::Int64, a->device());
  if (values->numel()) cpu::mode(in, values, indices, r.outer, r.n, r.inner);
  if (!keepdim && a->dim()) values = squeeze(values, dim), indices = squeeze(indices, dim);
  return {values, indices};
}

Tensor searchsorted(const Tensor& seq, const Tensor& values, bool right) {
  TG_CHECK(seq->dim() >= 1,
           "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions "
           "of boundaries tensor and input value tensor must match, but we got boundaries tensor ",
           seq->sizes, " and input value tensor ", values->sizes);
  bool shared = seq->dim() == 1;
  TG_CHECK(shared || (values->dim() == seq->dim() &&
                      std::equal(seq->sizes.begin(), seq->sizes.end() - 1, values->sizes.begin())),
           "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries "
           "tensor and input value tensor must match, but we got boundaries tensor ",
           seq->sizes, " and input value tensor ", values->sizes);
  TG_CHECK(seq->dtype == values->dtype,
           "torch.searchsorted(): boundaries and input value tensors should have the same "
           "dtype, got ",
           type_name(seq->dtype), " and ", type_name(values->dtype));
  check_same_device(seq, values, "searchsorted");
  if (seq->device().is_cuda()) {
    Tensor host = searchsorted(to_device(seq, Device{}), to_device(values, Device{}), right);
    return to_device(host, seq->device());
  }
  if (is_narrow(seq->dtype)) return searchsorted(widen(seq), widen(values), right);
  Tensor out = empty(values->sizes, DType::Int64, values->device());
  int64_t m = seq->sizes.back(), n = values->dim() ? values->sizes.back() : 1;
  if (out->numel() && n)
    cpu::searchsorted(contiguous(seq), contiguous(values), out, out->numel() / n, m, n, shared, right);
  return out;
}

}  // namespace tg
