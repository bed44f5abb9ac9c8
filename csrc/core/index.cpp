// Indexing and random-number ops: validation and iterator set-up; the
// kernels are cpu/index.cpp and cuda/index.cu.
#include <algorithm>
#include <cmath>
#include "../cpu/kernels.h"
#include "../cpu/parallel.h"
#include "../cpu/scatter.h"
#include "../cuda/kernels.h"
#include "../ops/philox.h"
#include "generator.h"
#include "iterator.h"
#include "ops.h"

namespace tg {

namespace {
void check_index_dtype(const Tensor& idx, const char* op) {
  TG_CHECK_INDEX(idx->dtype == DType::Int64 || idx->dtype == DType::Int32, op,
                 ": tensors used as indices must be long or int tensors, got ", type_name(idx->dtype));
}

// Indices checked before any kernel runs. Advanced indexing counts negative indices from the end and
// raises IndexError; gather/scatter (torch: RuntimeError) and index_select (IndexError "index out of
// range in self") take only [0, size).
// IndexSelectDim1: torch's index_select along dim 1 of a tensor of 2+ dims (or of an empty one) runs
// another kernel, whose range error is a RuntimeError (IndexError elsewhere).
enum class IndexRule { Wrap, GatherScatter, IndexSelect, IndexSelectDim1 };
// The smallest and largest of an int64 index: one pass on the host for a small CPU index (the common t[idx], whose
// checks would otherwise cost more than the gather), else two reductions.
std::pair<int64_t, int64_t> index_range(const Tensor& i64) {
  if (i64->device().is_cuda() || i64->numel() > 65536)
    return {item_int(reduce(ReduceOpId::amin, i64, {}, false)), item_int(reduce(ReduceOpId::amax, i64, {}, false))};
  const Tensor c = i64->is_contiguous() ? i64 : contiguous(i64);
  const int64_t* p = c->data<int64_t>();
  int64_t lo = p[0], hi = p[0];
  for (int64_t k = 1, n = c->numel(); k < n; ++k) {
    lo = std::min(lo, p[k]);
    hi = std::max(hi, p[k]);
  }
  return {lo, hi};
}

Tensor checked_index(const Tensor& idx, int64_t size, int64_t dim, const char* op, IndexRule rule = IndexRule::Wrap) {
  check_index_dtype(idx, op);
  Tensor i64 = to_dtype(idx, DType::Int64);
  if (i64->numel() == 0) return i64;
  auto [lo, hi] = index_range(i64);
  int64_t bad = hi >= size ? hi : lo;
  if (rule == IndexRule::IndexSelect)
    TG_CHECK_INDEX(lo >= 0 && hi < size, "index out of range in self");  // (torch's words alone)
  if (rule == IndexRule::IndexSelectDim1)
    TG_CHECK(lo >= 0 && hi < size, "INDICES element is out of DATA bounds, id=", bad, " axis_dim=", size);
  if (rule == IndexRule::GatherScatter)
    TG_CHECK(lo >= 0 && hi < size, "index ", bad, " is out of bounds for dimension ", dim, " with size ", size);
  TG_CHECK_INDEX(lo >= -size && hi < size, "index ", bad, " is out of bounds for dimension ", dim, " with size ", size);
  if (lo < 0) {  // negative indices count from the end
    Tensor neg = binary(BinaryOpId::lt, i64, Scalar::from_int(0), false);
    i64 = where(neg, binary(BinaryOpId::add, i64, Scalar::from_int(size), false), i64);
  }
  return i64;
}

struct IndexPlan {
  Shape out_sizes;
  Tensor src;                   // the indexed tensor restrided to out_sizes (0 stride on the index dims)
  std::vector<Tensor> indices;  // int64, viewed to out_sizes
  std::vector<int64_t> strides_bytes;
};

// The indices' broadcast shape b and the result's sizes: a's dims before `dim`, b, a's dims after the indexed ones.
Shape index_out_sizes(const Tensor& a, int64_t dim, const std::vector<Tensor>& indices, const char* op, Shape& b) {
  int64_t k = int64_t(indices.size());
  TG_CHECK(k >= 1 && k <= 4, op, ": between 1 and 4 index tensors are supported, got ", k);
  TG_CHECK_INDEX(dim + k <= a->dim(), "too many indices for tensor of dimension ", a->dim());
  b = indices[0]->sizes;
  for (const Tensor& t : indices) {
    check_same_device(a, t, op);
    const Shape& s = t->sizes;
    bool fits = true;  // (torch's IndexError names every index's shape)
    for (size_t i = 1; i <= std::min(b.size(), s.size()); ++i) {
      int64_t x = b[b.size() - i], y = s[s.size() - i];
      fits = fits && (x == y || x == 1 || y == 1);
    }
    if (!fits) {
      std::string shapes;
      for (const Tensor& u : indices) shapes += str_cat(shapes.empty() ? "" : ", ", u->sizes);
      TG_CHECK_INDEX(false, "shape mismatch: indexing tensors could not be broadcast together with shapes ", shapes);
    }
    b = broadcast_shapes(b, s);
  }
  Shape out(a->sizes.begin(), a->sizes.begin() + dim);
  out.insert(out.end(), b.begin(), b.end());
  out.insert(out.end(), a->sizes.begin() + dim + k, a->sizes.end());
  return out;
}

IndexPlan plan_index(const Tensor& a, int64_t dim, const std::vector<Tensor>& indices, const char* op) {
  int64_t k = int64_t(indices.size());
  IndexPlan p;
  Shape b;
  p.out_sizes = index_out_sizes(a, dim, indices, op, b);
  Shape pre(a->sizes.begin(), a->sizes.begin() + dim), post(a->sizes.begin() + dim + k, a->sizes.end());
  Shape src_strides(a->strides.begin(), a->strides.begin() + dim);
  src_strides.insert(src_strides.end(), b.size(), 0);
  src_strides.insert(src_strides.end(), a->strides.begin() + dim + k, a->strides.end());
  p.src = make_view(a, p.out_sizes, src_strides, a->offset);
  for (int64_t j = 0; j < k; ++j) {
    Tensor idx = checked_index(indices[j], a->sizes[dim + j], dim + j, op);
    Tensor e = expand(idx, b);
    Shape st(pre.size(), 0);
    st.insert(st.end(), e->strides.begin(), e->strides.end());
    st.insert(st.end(), post.size(), 0);
    p.indices.push_back(make_view(e, p.out_sizes, st, e->offset));
    p.strides_bytes.push_back(a->strides[dim + j] * itemsize(a->dtype));
  }
  return p;
}

ElementwiseIter iter_with(const Tensor& out, const Tensor& src, const std::vector<Tensor>& idx) {
  switch (idx.size()) {
    case 1: return make_iter(out, {src, idx[0]});
    case 2: return make_iter(out, {src, idx[0], idx[1]});
    case 3: return make_iter(out, {src, idx[0], idx[1], idx[2]});
    default: return make_iter(out, {src, idx[0], idx[1], idx[2], idx[3]});
  }
}
}  // namespace

Tensor index(const Tensor& a, int64_t dim, const std::vector<Tensor>& indices) {
  Shape b;  // an empty result reads nothing: the indices' range is not checked (torch's)
  Shape out_sizes = index_out_sizes(a, dim, indices, "index", b);
  if (std::count(out_sizes.begin(), out_sizes.end(), 0)) return empty(out_sizes, a->dtype, a->device());
  IndexPlan p = plan_index(a, dim, indices, "index");
  Tensor out = empty(p.out_sizes, a->dtype, a->device());
  ElementwiseIter it = iter_with(out, p.src, p.indices);  // (a move of bytes: any dtype)
  TG_ON_DEVICE(a->device(), index_get, it, int(p.indices.size()), p.strides_bytes.data());
  return out;
}

void index_put_(const Tensor& a, int64_t dim, const std::vector<Tensor>& indices, const Tensor& values,
                bool accumulate) {
  check_inference_write(a);
  // torch's order: the values' dtype and shape, then (only when something is written) the indices' range
  Shape b;
  Shape out_sizes = index_out_sizes(a, dim, indices, "index_put_", b);
  check_same_device(a, values, "index_put_");
  TG_CHECK(values->dtype == a->dtype || can_cast(values->dtype, a->dtype),
           "Index put requires the source and "
           "destination dtypes match, got ",
           type_name(a->dtype), " for the destination and ", type_name(values->dtype), " for the source.");
  bool fits = values->dim() <= int64_t(out_sizes.size());
  for (int64_t i = 1; fits && i <= values->dim(); ++i) {
    int64_t v = values->sizes[values->dim() - i];
    fits = v == 1 || v == out_sizes[out_sizes.size() - i];
  }
  TG_CHECK(fits, "shape mismatch: value tensor of shape ", values->sizes,
           " cannot be broadcast to indexing result of shape ", out_sizes);
  if (std::count(out_sizes.begin(), out_sizes.end(), 0)) return;
  IndexPlan p = plan_index(a, dim, indices, "index_put_");
  if (is_narrow(a->dtype)) {  // in the compute dtype, converted back
    Tensor f = widen(a);
    index_put_(f, dim, indices, widen(to_dtype(values, a->dtype)), accumulate);
    copy_(a, f);
    return;
  }
  Tensor v = contiguous(to_dtype(values, a->dtype));
  if (v->storage == a->storage) v = clone(v);
  Tensor vexp = expand(v, p.out_sizes);
  // Operand 0 (the destination) is `a` restrided; the values play the source.
  ElementwiseIter it = iter_with(p.src, vexp, p.indices);
  TG_ON_DEVICE(a->device(), index_put, it, int(p.indices.size()), p.strides_bytes.data(), accumulate);
  bump_version(a);
}

Tensor index_select(const Tensor& a, int64_t dim, const Tensor& idx) {
  // torch's checks, in its order and words
  dim = wrap_dim(dim, a->dim());
  TG_CHECK_INDEX(idx->dim() <= 1, "index_select(): Index is supposed to be a vector");
  TG_CHECK(a->dim() > 0 || idx->numel() == 1, "index_select(): Index to scalar can have only 1 value, got ",
           idx->numel(), " value(s)");
  TG_CHECK(idx->dtype == DType::Int64 || idx->dtype == DType::Int32,
           "index_select(): Expected dtype int32 or int64 for index");
  TG_CHECK(a->dim() <= 1 || a->sizes[dim] > 0 || idx->numel() == 0,  // (1-D: the range check's IndexError)
           "index_select(): self indexing axis dim should be positive (dimension ", dim, " of shape ", a->sizes,
           " is empty, the index is not)");
  check_same_device(a, idx, "index_select");
  Tensor i = checked_index(
      reshape_any(idx, {-1}), a->dim() ? a->sizes[dim] : 1, dim, "index_select",
      a->dim() > 1 && (dim == 1 || a->numel() == 0) ? IndexRule::IndexSelectDim1 : IndexRule::IndexSelect);
  if (a->dim() == 0) return clone(a);
  return index(a, dim, {i});
}

namespace {
// torch's gather/scatter checks count a 0-d tensor as 1-d of size 1; a size of a dim that t lacks raises
// wrap_dim's IndexError, as torch's t.size(d)
int64_t nonempty_dim(const Tensor& t) { return std::max<int64_t>(t->dim(), 1); }
int64_t nonempty_size(const Tensor& t, int64_t d) { return t->dim() ? t->sizes[wrap_dim(d, t->dim())] : 1; }

// The index dtype (not checked for an empty index, as torch), in torch's words: `method` is "gather" or "scatter"
// (every scatter variant's text).
void check_gather_scatter_index_dtype(const Tensor& index, const char* method) {
  TG_CHECK(index->numel() == 0 || index->dtype == DType::Int64 || index->dtype == DType::Int32, method,
           "(): Expected dtype int32/int64 for index");
}

// gather's (non-empty) index: a's rank and, off `dim`, no larger sizes
void check_gather_shape(const Tensor& a, int64_t dim, const Tensor& index) {
  TG_CHECK(nonempty_dim(a) == nonempty_dim(index),
           "Index tensor must have the same number of dimensions as input tensor");
  for (int64_t d = 0; d < nonempty_dim(a); ++d)
    TG_CHECK(d == dim || nonempty_size(index, d) <= nonempty_size(a, d), "Size does not match at dimension ", d,
             " expected index ", index->sizes, " to be no larger than self ", a->sizes, " apart from dimension ", dim);
}

// gather/scatter: `a` viewed with index's sizes and a 0 stride on `dim` (the shapes checked)
Tensor restride_for(const Tensor& a, int64_t dim, const Tensor& index) {
  Shape st = a->dim() ? a->strides : Shape{0};
  if (!st.empty()) st[dim] = 0;
  return make_view(a, index->sizes, Shape(st.begin(), st.begin() + index->dim()), a->offset);
}
}  // namespace

void check_scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  dim = wrap_dim(dim, self->dim());
  check_gather_scatter_index_dtype(index, "scatter");
  TG_CHECK(!src || src->dtype == self->dtype, "scatter(): Expected self.dtype to be equal to src.dtype");
  if (index->numel() == 0) return;
  TG_CHECK(nonempty_dim(self) == nonempty_dim(index),
           "Index tensor must have the same number of dimensions as self tensor");
  bool fits = true;  // torch's order: self's sizes off dim, src's sizes (a dim src lacks: IndexError), src's rank
  for (int64_t d = 0; fits && d < nonempty_dim(self); ++d)
    fits = d == dim || nonempty_size(index, d) <= nonempty_size(self, d);
  if (src) {
    for (int64_t d = 0; fits && d < nonempty_dim(self); ++d) fits = nonempty_size(index, d) <= nonempty_size(src, d);
    TG_CHECK(nonempty_dim(src) == nonempty_dim(index),
             "Index tensor must have the same number of dimensions as src tensor");
  }
  TG_CHECK(fits, "Expected index ", index->sizes, " to be no larger than self ", self->sizes, " apart from dimension ",
           dim, src ? str_cat(" and to be no larger size than src ", src->sizes) : std::string());
}

Tensor gather(const Tensor& a, int64_t dim, const Tensor& index) {
  dim = wrap_dim(dim, a->dim());
  check_gather_scatter_index_dtype(index, "gather");
  check_same_device(a, index, "gather");
  Tensor out = empty(index->sizes, a->dtype, a->device());
  if (out->numel() == 0) return out;  // (an empty index is not checked further)
  check_gather_shape(a, dim, index);
  Tensor src = restride_for(a, dim, index);
  Tensor idx = checked_index(index, a->dim() ? a->sizes[dim] : 1, dim, "gather", IndexRule::GatherScatter);
  ElementwiseIter it = make_iter(out, {src, idx});
  int64_t st = (a->dim() ? a->strides[dim] : 0) * itemsize(a->dtype);
  TG_ON_DEVICE(a->device(), index_get, it, 1, &st);
  return out;
}

namespace {

void scatter_into(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterReduce op) {
  check_inference_write(self);
  const char* name = op == ScatterReduce::sum      ? "scatter_add_"
                     : op == ScatterReduce::assign ? "scatter_"
                                                   : "scatter_reduce_";
  check_scatter(self, dim, index, src);
  dim = wrap_dim(dim, self->dim());
  check_no_internal_overlap(self);
  check_same_device(self, index, name);
  check_same_device(self, src, name);
  if (is_narrow(self->dtype)) {  // in the compute dtype, converted back
    Tensor f = widen(self);
    scatter_into(f, dim, index, widen(src), op);
    copy_(self, f);
    return;
  }
  if (index->numel() == 0) return;
  Tensor dst = restride_for(self, dim, index);
  Tensor idx = checked_index(index, self->dim() ? self->sizes[dim] : 1, dim, name, IndexRule::GatherScatter);
  bool combine = op == ScatterReduce::prod || op == ScatterReduce::amax || op == ScatterReduce::amin;
  if (combine && self->device().is_cuda()) {  // no CUDA kernel for these yet: combined on the host
    Tensor host = to_device(self, Device{});
    scatter_into(host, dim, to_device(index, Device{}), to_device(src, Device{}), op);
    copy_(self, to_device(host, self->device()));
    return;
  }
  Tensor s = make_view(src, index->sizes,
                       src->dim() ? Shape(src->strides.begin(), src->strides.begin() + index->dim())
                                  : Shape(index->dim(), 0),  // (a 0-d src: one element for a one-element index)
                       src->offset);
  ElementwiseIter it = make_iter(dst, {s, idx});
  int64_t st = (self->dim() ? self->strides[dim] : 0) * itemsize(self->dtype);
  if (combine) cpu::scatter_reduce(it, st, op);
  else TG_ON_DEVICE(self->device(), index_put, it, 1, &st, op == ScatterReduce::sum);
  bump_version(self);
}

}  // namespace

void scatter_reduce_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                     const std::string& reduce) {
  static const std::pair<const char*, ScatterReduce> ops[] = {{"assign", ScatterReduce::assign},
                                                              {"sum", ScatterReduce::sum},
                                                              {"prod", ScatterReduce::prod},
                                                              {"amax", ScatterReduce::amax},
                                                              {"amin", ScatterReduce::amin}};
  for (auto& [name, op] : ops)
    if (reduce == name) return scatter_into(self, dim, index, src, op);
  throw Error("scatter_reduce_: unknown reduce '" + reduce + "'");
}

void scatter_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  scatter_into(self, dim, index, src, ScatterReduce::sum);
}

Tensor nonzero(const Tensor& a) {
  // Host-side: the output size depends on the data.
  Tensor c = contiguous(to_dtype(to_device(a, Device{}), DType::Bool));
  const bool* p = c->data<bool>();
  int64_t n = c->numel(), nd = a->dim(), count = 0;
  for (int64_t i = 0; i < n; ++i) count += p[i];
  Tensor out = empty({count, nd}, DType::Int64, {});
  int64_t* o = out->data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    if (!p[i]) continue;
    int64_t r = i;
    for (int64_t d = nd - 1; d >= 0; --d) {
      o[d] = r % a->sizes[d];
      r /= a->sizes[d];
    }
    o += nd;
  }
  return to_device(out, a->device());
}

Tensor masked_select(const Tensor& a, const Tensor& mask) {
  TG_CHECK(mask->dtype == DType::Bool, "masked_select: expected BoolTensor for mask");
  Shape b = broadcast_shapes(a->sizes, mask->sizes);
  // Flattened first: one index tensor whatever the rank (index() takes at most 4)
  Tensor ae = reshape_any(expand(a, b), {-1}), me = reshape_any(expand(mask, b), {-1});
  return index(ae, 0, {select(nonzero(me), 1, 0)});
}

// ------------------------------------------------------------------- random
namespace {
struct Philox {  // the CUDA tensors' stream
  uint64_t seed = CpuGenerator::kDefaultSeed;
  uint64_t offset = 0;  // 128-bit blocks used
};
Philox g_philox;

// t filled with `kind` draws: on the CPU from the CPU generator in t's logical order (a non-contiguous t through a
// contiguous copy; torch's normal_ then takes its pairwise path), on CUDA from the Philox stream.
void fill(const Tensor& t, int kind, double a, double b) {
  check_inference_write(t);
  if (t->numel() == 0) return;
  check_no_internal_overlap(t);
  const bool cuda = t->device().is_cuda();
  if (cuda && is_narrow(t->dtype)) {  // drawn in the compute dtype, converted
    Tensor f = empty(t->sizes, compute_dtype(t->dtype), t->device());
    fill(f, kind, a, b);
    copy_(t, f);
    return;
  }
  if (cuda) {
    TG_CHECK(kind != kRandomDefault, "random_(): without bounds on CUDA tensors is not supported; give random_(to)");
    Tensor dst = t->is_contiguous() ? t : empty(t->sizes, t->dtype, t->device());
    const uint64_t offset = g_philox.offset;
    g_philox.offset += uint64_t(t->numel());
    cuda::fill_random(dst, kind, a, b, g_philox.seed, offset);
    if (dst != t) copy_(t, dst);
  } else if (t->is_contiguous()) {
    cpu::fill_random(t, kind, a, b, cpu_generator(), true);
  } else {  // torch draws in memory order: t's dims by decreasing stride, filled through a contiguous copy
    Shape order(t->dim());
    for (int64_t d = 0; d < t->dim(); ++d) order[d] = d;
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return t->strides[x] > t->strides[y]; });
    Tensor in_memory_order = permute(t, order), dst = empty(in_memory_order->sizes, t->dtype, t->device());
    cpu::fill_random(dst, kind, a, b, cpu_generator(), false);
    copy_(in_memory_order, dst);
  }
  bump_version(t);
}

void check_floating(const Tensor& t, const char* kernel) {
  TG_CHECK_TYPE(is_floating(t->dtype), "\"", kernel, "\" not implemented for '", type_name(t->dtype), "'");
}
}  // namespace

void manual_seed(uint64_t seed) {
  cpu_generator().manual_seed(seed);
  cuda_manual_seed(seed);
}
uint64_t initial_seed() { return cpu_generator().initial_seed(); }
std::vector<uint8_t> get_rng_state() { return cpu_generator().state(); }
void set_rng_state(const std::vector<uint8_t>& state) { cpu_generator().set_state(state.data(), state.size()); }
std::vector<uint8_t> seeded_rng_state(uint64_t seed) { return CpuGenerator(seed).state(); }
void cuda_manual_seed(uint64_t seed) { g_philox = Philox{seed, 0}; }
std::pair<uint64_t, uint64_t> get_cuda_rng_state() { return {g_philox.seed, g_philox.offset}; }
void set_cuda_rng_state(uint64_t seed, uint64_t offset) { g_philox = Philox{seed, offset}; }

void uniform_(const Tensor& t, double lo, double hi) {
  TG_CHECK_TYPE(is_floating(t->dtype), "uniform_ expects a floating point tensor, got ", type_name(t->dtype));
  TG_CHECK(lo <= hi, "uniform_ expects to return a [from, to) range, but found from=", lo, " > to=", hi);
  fill(t, kUniform, lo, hi);
}

void normal_(const Tensor& t, double mean, double std) {
  TG_CHECK_TYPE(is_floating(t->dtype), "normal_ expects a floating point tensor, got ", type_name(t->dtype));
  TG_CHECK(std >= 0.0, "normal expects std >= 0.0, but found std ", std);
  fill(t, kNormal, mean, std);
}

void random_(const Tensor& t, int64_t lo, int64_t hi) {
  TG_CHECK(lo < hi, "random_ expects 'from' to be less than 'to', but got from=", lo, " >= to=", hi);
  fill(t, kRandInt, double(lo), double(hi));
}

void random_(const Tensor& t) { fill(t, kRandomDefault, 0, 0); }

void bernoulli_(const Tensor& t, double p) {
  TG_CHECK(p >= 0 && p <= 1, "bernoulli_ expects p to be in [0, 1], but got p=", p);
  fill(t, kBernoulli, p, 0);
}

void exponential_(const Tensor& t, double lambd) {
  check_floating(t, "exponential_cpu");
  TG_CHECK(lambd > 0.0, "exponential_ expects lambda > 0.0, but found lambda=", lambd);
  fill(t, kExponential, lambd, 0);
}

void cauchy_(const Tensor& t, double median, double sigma) {
  check_floating(t, "cauchy_cpu");
  TG_CHECK(sigma > 0.0, "cauchy_ expects sigma > 0.0, but found sigma=", sigma);
  fill(t, kCauchy, median, sigma);
}

void log_normal_(const Tensor& t, double mean, double std) {
  check_floating(t, "log_normal_cpu");
  TG_CHECK(std > 0.0, "log_normal_ expects std > 0.0, but found std=", std);
  fill(t, kLogNormal, mean, std);
}

void geometric_(const Tensor& t, double p) {
  TG_CHECK(p > 0 && p < 1, "geometric_ expects p to be in (0, 1), but got p=", p);
  fill(t, kGeometric, p, 0);
}

Tensor poisson(const Tensor& rates) {
  TG_CHECK(rates->dtype == DType::Float64 && rates->is_contiguous() && !rates->device().is_cuda(),
           "poisson: expects a contiguous float64 CPU tensor of rates");
  const int64_t n = rates->numel();
  const double* r = rates->data<double>();
  for (int64_t i = 0; i < n; ++i) TG_CHECK(r[i] >= 0, "invalid Poisson rate, expected rate to be non-negative");
  Tensor out = empty(rates->sizes, DType::Float64, {});
  double* o = out->data<double>();
  CpuGenerator& g = cpu_generator();
  for (int64_t i = 0; i < n; ++i) o[i] = cpu::poisson_double(r[i], g);  // serial: one stream, as torch's
  return out;
}

Tensor standard_gamma(const Tensor& alpha) {
  TG_CHECK(!alpha->device().is_cuda(), "_standard_gamma: expects a CPU tensor (the caller runs CUDA on the host)");
  TG_CHECK_TYPE(alpha->dtype == DType::Float32 || alpha->dtype == DType::Float64, "\"gamma_cpu\" not implemented for '",
                type_name(alpha->dtype), "'");
  const Tensor a = alpha->is_contiguous() ? alpha : contiguous(alpha);
  Tensor out = empty(a->sizes, a->dtype, {});
  CpuGenerator& g = cpu_generator();
  if (a->dtype == DType::Float32) cpu::standard_gamma(a->data<float>(), out->data<float>(), a->numel(), g);
  else cpu::standard_gamma(a->data<double>(), out->data<double>(), a->numel(), g);
  return out;
}

Tensor binomial(const Tensor& count, const Tensor& prob) {
  TG_CHECK(!count->device().is_cuda() && !prob->device().is_cuda() && count->dtype == prob->dtype &&
               (count->dtype == DType::Float32 || count->dtype == DType::Float64) && count->sizes == prob->sizes,
           "binomial: expects float32 or float64 CPU tensors of one dtype and shape (the caller broadcasts)");
  const Tensor n = contiguous(count), p = contiguous(prob);
  Tensor out = empty(n->sizes, n->dtype, {});
  CpuGenerator& g = cpu_generator();
  if (n->dtype == DType::Float32) cpu::binomial(n->data<float>(), p->data<float>(), out->data<float>(), n->numel(), g);
  else cpu::binomial(n->data<double>(), p->data<double>(), out->data<double>(), n->numel(), g);
  return out;
}

Tensor randperm(int64_t n, Device device) {
  TG_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  Tensor out = empty({n}, DType::Int64, {});
  int64_t* p = out->data<int64_t>();
  if (!device.is_cuda()) {
    cpu::randperm(p, n, cpu_generator());
    return out;
  }
  // CUDA: Fisher-Yates on the host with draws from the Philox stream
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  const uint64_t offset = g_philox.offset;
  g_philox.offset += uint64_t(n);
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j = random_value<int64_t>(kRandInt, 0, double(i + 1), g_philox.seed, offset + uint64_t(i));
    std::swap(p[i], p[j]);
  }
  return to_device(out, device);
}

}  // namespace tg
