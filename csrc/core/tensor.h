// TensorImpl: a view (sizes, strides, offset, dtype) onto a shared Storage.
// Strides and offset are in elements. Every view op here is O(ndim) and never
// copies; contiguous()/reshape() copy only when they must, as in torch.
#pragma once
#include <memory>
#include <vector>
#include "dtype.h"
#include "storage.h"

namespace tg {

using Shape = std::vector<int64_t>;

struct TensorImpl;
using Tensor = std::shared_ptr<TensorImpl>;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape sizes, strides;
  int64_t offset = 0;
  DType dtype = DType::Float32;
  // A Python number converted for an op: it takes part in type promotion only
  // by category, as in torch (int32 tensor + 2 stays int32).
  bool wrapped_number = false;

  int64_t dim() const { return static_cast<int64_t>(sizes.size()); }
  int64_t numel() const;
  Device device() const { return storage->device; }
  bool is_contiguous() const;
  char* data_ptr() const { return static_cast<char*>(storage->data) + offset * itemsize(dtype); }
  template <class T> T* data() const { return reinterpret_cast<T*>(data_ptr()); }
};

// Sizes and their products, overflow-checked (ValueError on negative sizes,
// RuntimeError on overflow) before anything is allocated.
int64_t checked_numel(const Shape& sizes, const char* op);
Shape contiguous_strides(const Shape& sizes);
// Wraps a possibly negative dim into [0, ndim); IndexError in torch's words otherwise.
int64_t wrap_dim(int64_t dim, int64_t ndim);

Tensor empty(const Shape& sizes, DType dtype, Device device = {});
Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t offset);

// View ops (no copies).
Tensor view(const Tensor& t, Shape sizes);
Tensor reshape(const Tensor& t, Shape sizes);
Tensor as_strided(const Tensor& t, Shape sizes, Shape strides, int64_t offset);
Tensor permute(const Tensor& t, Shape dims);
Tensor transpose(const Tensor& t, int64_t d0, int64_t d1);
Tensor expand(const Tensor& t, Shape sizes);
Tensor squeeze(const Tensor& t);
Tensor squeeze(const Tensor& t, int64_t dim);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t stop, int64_t step);
Tensor select(const Tensor& t, int64_t dim, int64_t index);
Tensor alias(const Tensor& t);  // new TensorImpl, same view (detach, .data)

}  // namespace tg
