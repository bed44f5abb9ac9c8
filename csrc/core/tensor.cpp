#include "tensor.h"
#include <algorithm>
#include <optional>

namespace tg {

int64_t TensorImpl::numel() const {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

bool TensorImpl::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (sizes[d] == 0) return true;
    if (sizes[d] != 1 && strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

int64_t checked_numel(const Shape& sizes, const char* op) {
  for (int64_t s : sizes)
    // ShapeError: a RuntimeError (torch) that is also a ValueError (numpy, tinygrad); RELIABILITY row 11
    TG_CHECK_AS(ShapeError, s >= 0, "Trying to create tensor with negative dimension ", s, ": ", sizes);
  int64_t n = 1;
  for (int64_t s : sizes)
    TG_CHECK(!__builtin_mul_overflow(n, s, &n), op, ": Storage size calculation overflowed with sizes=", sizes);
  return n;
}

Shape contiguous_strides(const Shape& sizes) {
  Shape st(sizes.size());
  int64_t acc = 1;
  for (int64_t d = int64_t(sizes.size()) - 1; d >= 0; --d) {
    st[d] = acc;
    acc *= std::max<int64_t>(sizes[d], 1);
  }
  return st;
}

int64_t wrap_dim(int64_t dim, int64_t ndim) {
  int64_t n = std::max<int64_t>(ndim, 1);  // a 0-d tensor accepts dims -1 and 0
  TG_CHECK_INDEX(dim >= -n && dim < n, "Dimension out of range (expected to be in range of [", -n, ", ", n - 1,
                 "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

Tensor empty(const Shape& sizes, DType dtype, Device device) {
  int64_t n = checked_numel(sizes, "empty");
  int64_t nbytes;
  TG_CHECK(!__builtin_mul_overflow(n, itemsize(dtype), &nbytes),
           "empty: Storage size calculation overflowed with sizes=", sizes);
  auto t = std::make_shared<TensorImpl>();
  t->storage = Storage::allocate(nbytes, device);
  t->sizes = sizes;
  t->strides = contiguous_strides(sizes);
  t->dtype = dtype;
  return t;
}

Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t offset) {
  auto t = std::make_shared<TensorImpl>();
  t->storage = base->storage;
  t->version = base->version;
  t->inference = base->inference;
  t->sizes = std::move(sizes);
  t->strides = std::move(strides);
  t->offset = offset;
  t->dtype = base->dtype;
  return t;
}

Tensor alias(const Tensor& t) { return make_view(t, t->sizes, t->strides, t->offset); }

Tensor variable_data(const Tensor& t) {
  Tensor out = alias(t);
  out->version = std::make_shared<int64_t>(0);
  out->inference = false;  // (torch: writes through .data of an inference tensor are allowed)
  return out;
}

namespace {
// Resolves one -1 in a requested shape (torch's infer_size).
Shape infer_size(Shape shape, int64_t numel) {
  int64_t newsize = 1;
  std::optional<size_t> infer;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      TG_CHECK(!infer, "only one dimension can be inferred");
      infer = i;
    } else {
      TG_CHECK(shape[i] >= 0, "invalid shape dimension ", shape[i]);
      TG_CHECK(!__builtin_mul_overflow(newsize, shape[i], &newsize), "shape '", shape,
               "' is invalid for input of size ", numel);
    }
  }
  if (infer) {
    TG_CHECK(newsize != 0, "cannot reshape tensor of 0 elements into shape ", shape,
             " because the unspecified dimension size -1 can be any value and is ambiguous");
    TG_CHECK(numel % newsize == 0, "shape '", shape, "' is invalid for input of size ", numel);
    shape[*infer] = numel / newsize;
  } else {
    TG_CHECK(numel == newsize, "shape '", shape, "' is invalid for input of size ", numel);
  }
  return shape;
}

// Strides that make `newshape` a view of (oldshape, oldstride), if any exist:
// dims are grouped into chunks that are contiguous with each other, and each
// chunk must be split or merged exactly by the new shape.
std::optional<Shape> view_strides(const Shape& oldshape, const Shape& oldstride, const Shape& newshape) {
  Shape newstride(newshape.size());
  if (oldshape.empty()) {
    std::fill(newstride.begin(), newstride.end(), 1);
    return newstride;
  }
  int64_t numel = 1;
  for (int64_t s : oldshape) numel *= s;
  if (numel == 0) return oldshape == newshape ? oldstride : contiguous_strides(newshape);

  int64_t view_d = int64_t(newshape.size()) - 1;
  int64_t chunk_base_stride = oldstride.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = int64_t(oldshape.size()) - 1; d >= 0; --d) {
    tensor_numel *= oldshape[d];
    if (d == 0 || (oldshape[d - 1] != 1 && oldstride[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || newshape[view_d] == 1)) {
        newstride[view_d] = view_numel * chunk_base_stride;
        view_numel *= newshape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = oldstride[d - 1];
        tensor_numel = view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return newstride;
}
}  // namespace

Tensor view(const Tensor& t, Shape sizes) {
  sizes = infer_size(std::move(sizes), t->numel());
  auto st = view_strides(t->sizes, t->strides, sizes);
  TG_CHECK(st,
           "view size is not compatible with input tensor's size and stride (at least one dimension "
           "spans across two contiguous subspaces). Use .reshape(...) instead.");
  return make_view(t, std::move(sizes), std::move(*st), t->offset);
}

Tensor reshape(const Tensor& t, Shape sizes) {
  sizes = infer_size(std::move(sizes), t->numel());
  if (auto st = view_strides(t->sizes, t->strides, sizes)) return make_view(t, sizes, *st, t->offset);
  return nullptr;  // caller copies: contiguous() lives in ops, which knows the devices
}

Tensor as_strided(const Tensor& t, Shape sizes, Shape strides, int64_t offset) {
  TG_CHECK(sizes.size() == strides.size(), "as_strided: mismatch in length of strides and shape");
  checked_numel(sizes, "as_strided");
  TG_CHECK(offset >= 0, "as_strided: Tensor: invalid storage offset ", offset);
  // Highest element reachable, overflow-checked, must lie inside the storage.
  int64_t last = offset;
  bool empty_view = false;
  for (size_t i = 0; i < sizes.size(); ++i) {
    TG_CHECK(strides[i] >= 0, "as_strided: negative strides are not supported, got ", strides);
    if (sizes[i] == 0) empty_view = true;
    int64_t span;
    TG_CHECK(!__builtin_mul_overflow(sizes[i] ? sizes[i] - 1 : 0, strides[i], &span) &&
                 !__builtin_add_overflow(last, span, &last),
             "as_strided: storage size calculation overflowed with sizes=", sizes, " strides=", strides);
  }
  int64_t capacity = t->storage->nbytes / itemsize(t->dtype);
  TG_CHECK(empty_view || last < capacity, "setStorage: sizes ", sizes, ", strides ", strides, ", storage offset ",
           offset, ", and itemsize ", itemsize(t->dtype), " requiring a storage size of ",
           (static_cast<long double>(last) + 1) * itemsize(t->dtype), " are out of bounds for storage of size ",
           t->storage->nbytes);
  return make_view(t, std::move(sizes), std::move(strides), offset);
}

Tensor permute(const Tensor& t, Shape dims) {
  int64_t n = t->dim();
  TG_CHECK(int64_t(dims.size()) == n,
           "permute(sparse_coo): number of dimensions in the tensor input does not "
           "match the length of the desired ordering of dimensions i.e. input.dim() = ",
           n, " is not equal to len(dims) = ", dims.size());
  Shape sizes(n), strides(n);
  std::vector<bool> seen(n, false);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = wrap_dim(dims[i], n);
    TG_CHECK(!seen[d], "permute(): duplicate dims are not allowed.");
    seen[d] = true;
    sizes[i] = t->sizes[d];
    strides[i] = t->strides[d];
  }
  return make_view(t, std::move(sizes), std::move(strides), t->offset);
}

Tensor transpose(const Tensor& t, int64_t d0, int64_t d1) {
  d0 = wrap_dim(d0, t->dim());
  d1 = wrap_dim(d1, t->dim());
  if (t->dim() == 0) return alias(t);
  Shape sizes = t->sizes, strides = t->strides;
  std::swap(sizes[d0], sizes[d1]);
  std::swap(strides[d0], strides[d1]);
  return make_view(t, std::move(sizes), std::move(strides), t->offset);
}

Tensor expand(const Tensor& t, Shape sizes) {
  int64_t ndim = int64_t(sizes.size()), tdim = t->dim();
  TG_CHECK(ndim >= tdim, "expand(torch.", type_name(t->dtype), "Tensor{", t->sizes, "}, size=", sizes,
           "): the number of sizes provided (", ndim,
           ") must be greater or equal to the number of "
           "dimensions in the tensor (",
           tdim, ")");
  Shape out_sizes(ndim), out_strides(ndim);
  for (int64_t i = ndim - 1; i >= 0; --i) {
    int64_t off = ndim - 1 - i, d = tdim - 1 - off;
    int64_t size = d >= 0 ? t->sizes[d] : 1, stride = d >= 0 ? t->strides[d] : 0;
    int64_t target = sizes[i];
    if (target == -1) {
      TG_CHECK(d >= 0, "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension ", i);
      target = size;
    }
    if (size != target) {
      TG_CHECK(size == 1, "The expanded size of the tensor (", target, ") must match the existing size (", size,
               ") at non-singleton dimension ", i, ".  Target sizes: ", sizes, ".  Tensor sizes: ", t->sizes);
      TG_CHECK(target >= 0, "expand: invalid size ", target, " in target sizes ", sizes);
      stride = 0;
    }
    out_sizes[i] = target;
    out_strides[i] = stride;
  }
  int64_t n = 1;
  for (int64_t s : out_sizes) TG_CHECK(!__builtin_mul_overflow(n, s, &n), "numel: integer multiplication overflow");
  return make_view(t, std::move(out_sizes), std::move(out_strides), t->offset);
}

Tensor squeeze(const Tensor& t) {
  Shape sizes, strides;
  for (int64_t i = 0; i < t->dim(); ++i)
    if (t->sizes[i] != 1) {
      sizes.push_back(t->sizes[i]);
      strides.push_back(t->strides[i]);
    }
  return make_view(t, std::move(sizes), std::move(strides), t->offset);
}

Tensor squeeze(const Tensor& t, int64_t dim) {
  dim = wrap_dim(dim, t->dim());
  if (t->dim() == 0 || t->sizes[dim] != 1) return alias(t);
  Shape sizes = t->sizes, strides = t->strides;
  sizes.erase(sizes.begin() + dim);
  strides.erase(strides.begin() + dim);
  return make_view(t, std::move(sizes), std::move(strides), t->offset);
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  dim = wrap_dim(dim, t->dim() + 1);
  Shape sizes = t->sizes, strides = t->strides;
  int64_t st = dim < t->dim() ? sizes[dim] * strides[dim] : 1;
  sizes.insert(sizes.begin() + dim, 1);
  strides.insert(strides.begin() + dim, st);
  return make_view(t, std::move(sizes), std::move(strides), t->offset);
}

Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t stop, int64_t step) {
  TG_CHECK(t->dim() > 0, "slice() cannot be applied to a 0-dim tensor.");
  dim = wrap_dim(dim, t->dim());
  TG_CHECK_VALUE(step != 0, "slice step cannot be zero");
  TG_CHECK_VALUE(step > 0, "step must be greater than zero");
  int64_t n = t->sizes[dim];
  auto clampi = [n](int64_t i) {
    if (i < 0) i += n;
    return std::min(std::max<int64_t>(i, 0), n);
  };
  start = clampi(start);
  stop = std::max(clampi(stop), start);
  Shape sizes = t->sizes, strides = t->strides;
  sizes[dim] = (stop - start + step - 1) / step;
  strides[dim] *= step;
  return make_view(t, std::move(sizes), std::move(strides), t->offset + start * t->strides[dim]);
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  TG_CHECK_INDEX(t->dim() > 0,
                 "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                 "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
  dim = wrap_dim(dim, t->dim());
  int64_t n = t->sizes[dim];
  TG_CHECK_INDEX(index >= -n && index < n, "index ", index, " is out of bounds for dimension ", dim, " with size ", n);
  if (index < 0) index += n;
  Shape sizes = t->sizes, strides = t->strides;
  int64_t off = t->offset + index * strides[dim];
  sizes.erase(sizes.begin() + dim);
  strides.erase(strides.begin() + dim);
  return make_view(t, std::move(sizes), std::move(strides), off);
}

Tensor t(const Tensor& self) {
  TG_CHECK(self->dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is ", self->dim(), "D");
  return self->dim() == 2 ? transpose(self, 0, 1) : alias(self);
}

Tensor squeeze_dims(const Tensor& self, const std::vector<int64_t>& dims) {
  int64_t nd = self->dim();
  std::vector<bool> drop(std::max<int64_t>(nd, 1), false);
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, nd);
    TG_CHECK(!drop[w], "dim ", w, " appears multiple times in the list of dims");
    drop[w] = true;
  }
  Shape sizes, strides;
  for (int64_t i = 0; i < nd; ++i)
    if (!(drop[i] && self->sizes[i] == 1)) {
      sizes.push_back(self->sizes[i]);
      strides.push_back(self->strides[i]);
    }
  return make_view(self, std::move(sizes), std::move(strides), self->offset);
}

Tensor diagonal(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2) {
  int64_t nd = self->dim(), d1 = wrap_dim(dim1, nd), d2 = wrap_dim(dim2, nd);
  TG_CHECK(d1 != d2, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  const Shape& sz = self->sizes;
  int64_t n = offset >= 0 ? std::min(sz[d1], sz[d2] - offset) : std::min(sz[d1] + offset, sz[d2]);
  n = std::max<int64_t>(n, 0);
  int64_t start = self->offset;
  if (n) start += offset >= 0 ? offset * self->strides[d2] : -offset * self->strides[d1];
  Shape sizes, strides;
  for (int64_t i = 0; i < nd; ++i)
    if (i != d1 && i != d2) {
      sizes.push_back(sz[i]);
      strides.push_back(self->strides[i]);
    }
  sizes.push_back(n);
  strides.push_back(self->strides[d1] + self->strides[d2]);
  return make_view(self, std::move(sizes), std::move(strides), start);
}

Tensor unfold(const Tensor& self, int64_t dimension, int64_t size, int64_t step) {
  int64_t nd = self->dim(), d = wrap_dim(dimension, nd);
  int64_t n = nd ? self->sizes[d] : 1;
  TG_CHECK(size >= 0, "size is ", size, " but must be >= 0");
  TG_CHECK(size <= n, "maximum size for tensor at dimension ", d, " is ", n, " but size is ", size);
  TG_CHECK(step > 0, "step is ", step, " but must be > 0");
  Shape sizes = self->sizes, strides = self->strides;
  if (nd) {
    sizes[d] = (n - size) / step + 1;
    strides[d] *= step;
  }
  sizes.push_back(size);
  strides.push_back(nd ? self->strides[d] : 1);
  return make_view(self, std::move(sizes), std::move(strides), self->offset);
}

}  // namespace tg
