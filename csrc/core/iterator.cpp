#include "iterator.h"
#include <algorithm>

namespace tg {

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = n; i-- > 0;) {  // from the last dim: the mismatch torch names is the innermost
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      throw ShapeError(str_cat("The size of tensor a (", da, ") must match the size of tensor b (", db,
                               ") at non-singleton dimension ", i, " (shapes ", a, " and ", b, ")"));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

ElementwiseIter make_iter(const Tensor& out, std::initializer_list<Tensor> inputs) {
  ElementwiseIter it;
  int64_t nd = out->dim();
  TG_CHECK(nd <= kMaxTensorDims, "only tensors with up to ", kMaxTensorDims, " dims are supported, got ", nd);
  it.nops = 1 + int(inputs.size());
  it.numel = out->numel();
  const Tensor* ops[kMaxOperands];
  ops[0] = &out;
  int k = 1;
  for (const Tensor& t : inputs) ops[k++] = &t;

  // Full-rank strides in bytes; missing leading dims and size-1 dims broadcast with stride 0.
  int64_t shape[kMaxTensorDims], st[kMaxOperands][kMaxTensorDims];
  for (int64_t d = 0; d < nd; ++d) shape[d] = out->sizes[d];
  for (int o = 0; o < it.nops; ++o) {
    const TensorImpl& t = **ops[o];
    if (t.device() != out->device()) {
      TG_CHECK(o > 0 && out->device().is_cuda() && !t.device().is_cuda() && t.numel() == 1,
               "Expected all tensors to be on the same device, but found at least two devices, ",
               device_str(out->device()), " and ", device_str(t.device()), "!");
      it.host_scalars |= 1u << o;
    }
    it.data[o] = t.data_ptr();
    it.dtypes[o] = t.dtype;
    int64_t isz = itemsize(t.dtype), lead = nd - t.dim();
    for (int64_t d = 0; d < nd; ++d) {
      int64_t td = d - lead;
      st[o][d] = (td < 0 || t.sizes[td] == 1) ? 0 : t.strides[td] * isz;
    }
  }
  // Coalesce from the inside out: dim d merges into the running inner dim when
  // every operand steps over it exactly as one more run of the inner dim.
  int n = 0;  // dims written so far, innermost first
  int64_t cshape[kMaxIterDims], cst[kMaxOperands][kMaxIterDims];
  for (int64_t d = nd - 1; d >= 0; --d) {
    if (shape[d] == 1) continue;
    bool merge = n > 0;
    for (int o = 0; o < it.nops && merge; ++o) merge = st[o][d] == cst[o][n - 1] * cshape[n - 1];
    if (merge) {
      cshape[n - 1] *= shape[d];
    } else {
      TG_CHECK(n < kMaxIterDims, "elementwise ops support at most ", kMaxIterDims,
               " dimensions that do not merge "
               "(got a tensor of ",
               nd, " dims); make it contiguous first");
      cshape[n] = shape[d];
      for (int o = 0; o < it.nops; ++o) cst[o][n] = st[o][d];
      ++n;
    }
  }
  it.ndim = n;
  for (int i = 0; i < n; ++i) {  // back to outermost-first order
    it.shape[i] = cshape[n - 1 - i];
    for (int o = 0; o < it.nops; ++o) it.strides[o][i] = cst[o][n - 1 - i];
  }
  return it;
}

}  // namespace tg
