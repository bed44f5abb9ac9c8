#include "ops.h"
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <type_traits>
#include "../cpu/gemm.h"
#include "../cpu/kernels.h"
#include "../cpu/parallel.h"
#include "../cpu/scan.h"
#include "../cuda/kernels.h"
#include "../cuda/runtime_api.h"
#include "iterator.h"

namespace tg {

void throw_dtype_error(const char* opname, const char* expected, DType t) {
  // torch: NotImplementedError "<op>" not implemented for '<Type>'
  if (!expected) throw NotImplementedError(str_cat("\"", opname, "\" not implemented for '", type_name(t), "'"));
  throw NotImplementedError(
      str_cat("\"", opname, "\" not implemented for '", type_name(t), "' (expected ", expected, " tensor)"));
}

// The C++ type of a dtype, as torch names it in some dtype errors (mm, conv's bias).
const char* cpp_type_name(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "unsigned char";
    case DType::Int8: return "signed char";
    case DType::Int16: return "short int";
    case DType::Int32: return "int";
    case DType::Int64: return "long int";
    case DType::Float16: return "c10::Half";
    case DType::BFloat16: return "c10::BFloat16";
    case DType::Float32: return "float";
    default: return "double";
  }
}

// ---------------------------------------------------------------- promotion
namespace {
DType g_default_float = DType::Float32;
}  // namespace

DType default_float_dtype() { return g_default_float; }
void set_default_float_dtype(DType t) {
  TG_CHECK_TYPE(is_floating(t), "only floating-point types are supported as the default type");
  g_default_float = t;
}

namespace {
std::atomic<MatmulPrecision> g_matmul_precision{MatmulPrecision::Highest};  // torch's default: no TF32
}  // namespace

MatmulPrecision float32_matmul_precision() { return g_matmul_precision.load(std::memory_order_relaxed); }
void set_float32_matmul_precision(MatmulPrecision p) { g_matmul_precision.store(p, std::memory_order_relaxed); }

namespace {
// torch's combine_categories: the higher-priority result keeps its dtype unless
// the lower one is of a higher category (bool < integer < floating).
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_floating(*higher)) return higher;
  if (*higher == DType::Bool || is_floating(*lower)) return promote_types(*higher, *lower);
  return higher;
}
void update(std::optional<DType>& slot, DType t) { slot = slot ? promote_types(*slot, t) : t; }
DType scalar_dtype(const Scalar& s) {
  return s.kind == Scalar::Float ? g_default_float : s.kind == Scalar::Int ? DType::Int64 : DType::Bool;
}
}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  std::optional<DType> dim_r, zero_r, wrapped_r;
  for (const Tensor* t : {&a, &b}) {
    const TensorImpl& x = **t;
    if (x.wrapped_number) update(wrapped_r, is_floating(x.dtype) ? g_default_float : x.dtype);
    else if (x.dim() == 0) update(zero_r, x.dtype);
    else update(dim_r, x.dtype);
  }
  return *combine(combine(dim_r, zero_r), wrapped_r);
}

DType result_type(const Tensor& a, const Scalar& s) {
  std::optional<DType> t = a->dtype;
  return *combine(t, scalar_dtype(s));
}

bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  TG_CHECK(a->device() == b->device(),
           "Expected all tensors to be on the same device, but found at least two "
           "devices, ",
           device_str(a->device()), " and ", device_str(b->device()), "! (in ", op, ")");
}

namespace {
bool inference_mode_on = false;  // torch.inference_mode's state, set by the Python context manager
}  // namespace

void set_inference_mode(bool enabled) { inference_mode_on = enabled; }

// torch's refusal of an in-place write to an inference tensor outside inference_mode: checked before the in-place
// kernels write (prepare_out, copy_, index_put_, scatter, random fills: nothing written, the project's contract), and
// by bump_version after any other write (where torch checks, after writing)
void check_inference_write(const Tensor& t) {
  TG_CHECK(!t->inference || inference_mode_on,
           "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a "
           "normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details.");
}

void bump_version(const Tensor& t) {
  check_inference_write(t);
  ++*t->version;
}

bool is_cpu_scalar(const Tensor& t) { return !t->device().is_cuda() && t->dim() == 0; }

void check_same_device_or_cpu_scalar(const Tensor& a, const Tensor& b, const char* op) {
  if (!is_cpu_scalar(a) && !is_cpu_scalar(b)) check_same_device(a, b, op);
}

namespace {
// The device an op with these operands runs on: the first GPU among them (CPU scalars may join it), else the CPU.
Device common_device(std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts)
    if ((*t)->device().is_cuda()) return (*t)->device();
  return Device{};
}
}  // namespace

// ------------------------------------------------------------------- copies
namespace {
// The copy kernels convert between the six compute dtypes and between each narrow dtype (int8, int16,
// float16, bfloat16) and its compute dtype (int32, float32); other pairs go through that, with the same
// results (float16 -> int8 is float16 -> float32 -> int32 -> int8, as torch's static_casts).
void copy_kernel(const Tensor& dst, const Tensor& src) {
  DType o = dst->dtype, i = src->dtype;
  DType via = o == i                                  ? o
              : is_narrow(o) && i != compute_dtype(o) ? compute_dtype(o)
              : is_narrow(i) && o != compute_dtype(i) ? compute_dtype(i)
                                                      : o;
  if (via != o) {
    Tensor mid = empty(dst->sizes, via, dst->device());
    copy_kernel(mid, src);
    copy_kernel(dst, mid);
    return;
  }
  ElementwiseIter it = make_iter(dst, {src});
  TG_ON_DEVICE(dst->device(), copy, it);
}
}  // namespace

Tensor scalar_tensor(const Scalar& s, DType dtype, Device device) {
  Tensor t = empty({}, dtype, {});
  TG_DISPATCH_ALL(dtype, "scalar_tensor", [&] {
    *t->data<scalar_t>() = s.kind == Scalar::Float ? convert<scalar_t>(s.d) : convert<scalar_t>(s.i);
  });
  return device.is_cuda() ? to_device(t, device) : t;
}

void check_no_internal_overlap(const Tensor& t) {
  if (t->numel() == 0) return;  // (nothing is written)
  for (int64_t d = 0; d < t->dim(); ++d)
    TG_CHECK(t->strides[d] != 0 || t->sizes[d] <= 1,
             "unsupported operation: more than one element "
             "of the written-to tensor refers to a single memory location. Please clone() the tensor before "
             "performing the operation.");
}

void copy_(const Tensor& dst, const Tensor& src, bool non_blocking) {
  check_inference_write(dst);
  check_no_internal_overlap(dst);
  // A CPU 0-d source (fill_, x[i] = 2.0) is passed to the CUDA copy kernel by value: no transfer, no sync.
  if (dst->device() != src->device() && !(dst->device().is_cuda() && is_cpu_scalar(src))) {
    Shape b = broadcast_shapes(dst->sizes, src->sizes);
    TG_CHECK(b == dst->sizes, "output with shape ", dst->sizes, " doesn't match the broadcast shape ", b);
    Tensor s = src->dtype == dst->dtype ? src : to_dtype(src, dst->dtype);
    s = contiguous(expand(s, dst->sizes));
    // A strided destination takes the data through a contiguous buffer on its own device.
    Tensor d = dst->is_contiguous() ? dst : empty(dst->sizes, dst->dtype, dst->device());
    cuda::copy_between_devices(d, s, non_blocking && d == dst);
    if (d != dst) copy_(dst, d);
    bump_version(dst);
    return;
  }
  Shape b = broadcast_shapes(dst->sizes, src->sizes);
  TG_CHECK(b == dst->sizes, "output with shape ", dst->sizes, " doesn't match the broadcast shape ", b);
  if (dst->numel() == 0) return;
  Tensor s = src;
  if (src->storage == dst->storage && !(src->offset == dst->offset && src->strides == dst->strides))
    s = clone(src);  // overlapping views: read everything before writing
  copy_kernel(dst, s);
  bump_version(dst);
}

Tensor contiguous(const Tensor& t) {
  if (t->is_contiguous()) return t;
  return clone(t);
}

Tensor clone(const Tensor& t) {
  Tensor out = empty(t->sizes, t->dtype, t->device());
  if (t->numel()) { copy_kernel(out, t); }
  return out;
}

Tensor flip(const Tensor& a, const Shape& dims) {
  // The copy kernel reads a view whose flipped dims step backwards (a negative stride that never
  // leaves this function).
  Shape strides = a->strides;
  int64_t offset = a->offset;
  for (int64_t d : dims) {
    d = wrap_dim(d, a->dim());
    if (a->dim() == 0) break;  // (a scalar's dim 0 / -1 is itself)
    if (a->sizes[d] > 1) offset += (a->sizes[d] - 1) * strides[d], strides[d] = -strides[d];
  }
  Tensor reversed = make_view(a, a->sizes, strides, offset);
  // Only the last dim reversed, contiguous, on the CPU: whole rows reversed in cache (the copy kernel
  // would step backwards one element at a time).
  int64_t nd = a->dim();
  if (nd && !a->device().is_cuda() && a->is_contiguous() && a->sizes[nd - 1] > 1 && strides[nd - 1] < 0 &&
      std::equal(strides.begin(), strides.end() - 1, a->strides.begin())) {
    Tensor out = empty(a->sizes, a->dtype, a->device());
    cpu::reverse_rows(a, out, a->numel() / a->sizes[nd - 1], a->sizes[nd - 1]);
    return out;
  }
  return clone(reversed);
}

std::pair<Tensor, Tensor> frexp(const Tensor& self) {
  TG_CHECK_TYPE(
      self->dtype == DType::Float32 || self->dtype == DType::Float64,
      "frexp: expects a float32 or float64 tensor (the caller computes float16 and bfloat16 in float32), got ",
      type_name(self->dtype));
  const Tensor x = self->is_contiguous() ? self : contiguous(self);
  Tensor mantissa = empty(x->sizes, x->dtype, x->device());
  Tensor exponent = empty(x->sizes, DType::Int32, x->device());
  if (x->dtype == DType::Float32)
    TG_ON_DEVICE(x->device(), frexp, x->data<float>(), mantissa->data<float>(), exponent->data<int32_t>(), x->numel());
  else
    TG_ON_DEVICE(x->device(), frexp, x->data<double>(), mantissa->data<double>(), exponent->data<int32_t>(),
                 x->numel());
  return {mantissa, exponent};
}

Tensor to_dtype(const Tensor& t, DType dtype) {
  if (t->dtype == dtype) return t;
  Tensor out = empty(t->sizes, dtype, t->device());
  if (t->numel()) { copy_kernel(out, t); }
  return out;
}

Tensor widen(const Tensor& t) { return to_dtype(t, compute_dtype(t->dtype)); }

Tensor view_dtype(const Tensor& t, DType dtype) {
  int64_t from = itemsize(t->dtype), to = itemsize(dtype);
  if (from == to) {
    Tensor v = alias(t);
    v->dtype = dtype;
    return v;
  }
  const char* a = type_name(t->dtype);
  const char* b = type_name(dtype);
  int64_t nd = t->dim();
  TG_CHECK(nd > 0, "self.dim() cannot be 0 to view ", a, " as ", b, " (different element sizes)");
  TG_CHECK(t->strides[nd - 1] == 1, "self.stride(-1) must be 1 to view ", a, " as ", b,
           " (different element sizes), but got ", t->strides[nd - 1]);
  Shape sizes = t->sizes, strides = t->strides;
  int64_t offset = t->offset;
  if (to > from) {  // several elements become one
    int64_t k = to / from;
    TG_CHECK(sizes[nd - 1] % k == 0, "self.size(-1) must be divisible by ", k, " to view ", a, " as ", b,
             " (different element sizes), but got ", sizes[nd - 1]);
    TG_CHECK(offset % k == 0, "self.storage_offset() must be divisible by ", k, " to view ", a, " as ", b,
             " (different element sizes), but got ", offset);
    for (int64_t d = 0; d < nd - 1; ++d)
      TG_CHECK(strides[d] % k == 0, "self.stride(", d, ") must be divisible by ", k, " to view ", a, " as ", b,
               " (different element sizes), but got ", strides[d]);
    sizes[nd - 1] /= k;
    for (int64_t d = 0; d < nd - 1; ++d) strides[d] /= k;
    offset /= k;
  } else {  // one element becomes several
    int64_t k = from / to;
    sizes[nd - 1] *= k;
    for (int64_t d = 0; d < nd - 1; ++d) strides[d] *= k;
    offset *= k;
  }
  Tensor v = make_view(t, sizes, strides, offset);
  v->dtype = dtype;
  return v;
}

Tensor to_device(const Tensor& t, Device device, bool non_blocking) {
  if (t->device() == device) return t;
  Tensor src = contiguous(t);
  // GPU -> CPU without waiting: into pinned memory, as torch (a pageable destination would wait anyway).
  Tensor out = non_blocking && !device.is_cuda() ? empty_pinned(t->sizes, t->dtype) : empty(t->sizes, t->dtype, device);
  cuda::copy_between_devices(out, src, non_blocking);
  return out;
}

Tensor empty_pinned(const Shape& sizes, DType dtype) {
  Tensor t = empty({0}, dtype, Device{});
  int64_t nbytes;
  TG_CHECK(!__builtin_mul_overflow(checked_numel(sizes, "pin_memory"), itemsize(dtype), &nbytes),
           "pin_memory: Storage size calculation overflowed with sizes=", sizes);
  t->storage = cuda::pinned_storage(nbytes);
  t->sizes = sizes;
  t->strides = contiguous_strides(sizes);
  return t;
}

Tensor pin_memory(const Tensor& t) {
  TG_CHECK(!t->device().is_cuda(), "cannot pin '", device_str(t->device()),
           "' memory: only dense CPU tensors can "
           "be pinned");
  Tensor out = empty_pinned(t->sizes, t->dtype);
  if (out->numel()) copy_(out, t);
  return out;
}

Tensor reshape_any(const Tensor& t, Shape sizes) {
  if (Tensor v = reshape(t, sizes)) return v;
  return view(clone(t), std::move(sizes));
}

double item_double(const Tensor& t) {
  TG_CHECK(t->numel() == 1, "a Tensor with ", t->numel(), " elements cannot be converted to Scalar");
  Tensor c = to_dtype(to_device(t, Device{}), DType::Float64);
  return *c->data<double>();
}

int64_t item_int(const Tensor& t) {
  TG_CHECK(t->numel() == 1, "a Tensor with ", t->numel(), " elements cannot be converted to Scalar");
  Tensor c = to_dtype(to_device(t, Device{}), DType::Int64);
  return *c->data<int64_t>();
}

// ----------------------------------------------------------------- creation
// torch's checked conversion of a Python number stored into a tensor of `t` (fill, full, where,
// masked_fill, clamp bounds): integers must fit, NaN and inf have no integer value, and a finite double
// beyond float32's range is an overflow. Arithmetic with a number wraps instead (uint8 + 300), as torch.
void check_scalar_fits(const Scalar& s, DType t) {
  bool ok = true;
  const char* name = "float";
  if (is_integral(t, false)) {
    double lo = -9223372036854775808.0, hi = 9223372036854775807.0;  // the type's [lowest, max]
    switch (t) {
      case DType::UInt8: lo = 0.0, hi = 255.0, name = "uint8_t"; break;
      case DType::Int8: lo = -128.0, hi = 127.0, name = "int8_t"; break;
      case DType::Int16: lo = -32768.0, hi = 32767.0, name = "int16_t"; break;
      case DType::Int32: lo = -2147483648.0, hi = 2147483647.0, name = "int"; break;
      default: name = "int64_t"; break;
    }
    if (s.kind == Scalar::Float) {  // torch's c10::overflows (negative floats never wrap)
      ok = s.d >= lo && (t == DType::Int64 ? s.d < hi : s.d <= hi);  // (false for NaN; 2**63 itself is out)
    } else if (t == DType::UInt8) {
      ok = s.i >= -255 && s.i <= 255;  // (torch lets negative integers wrap into uint8)
    } else {
      ok = t == DType::Int64 || (double(s.i) >= lo && double(s.i) <= hi);
    }
  } else if (t == DType::Float32 && s.kind == Scalar::Float) {  // (float16/bfloat16 round to inf: torch checks none)
    ok = !std::isfinite(s.d) || std::fabs(s.d) <= 3.4028234663852886e38;
  }
  if (!ok) throw Error(str_cat("value cannot be converted to type ", name, " without overflow"));
}

void fill_(const Tensor& t, const Scalar& value) {
  check_scalar_fits(value, t->dtype);
  // An expanded view is filled through one copy of each aliased element (torch allows fill_ there).
  Shape sizes = t->sizes;
  for (int64_t d = 0; d < t->dim(); ++d)
    if (t->strides[d] == 0) sizes[d] = std::min<int64_t>(sizes[d], 1);
  copy_(sizes == t->sizes ? t : make_view(t, sizes, t->strides, t->offset),
        scalar_tensor(value, t->dtype, Device{}));  // (a CUDA tensor takes it by value: copy_)
}

Tensor full(const Shape& sizes, const Scalar& value, DType dtype, Device device) {
  Tensor t = empty(sizes, dtype, device);
  fill_(t, value);
  *t->version = 0;  // a new tensor starts at version 0, as in torch
  return t;
}

namespace {
// A double truncated toward zero into int64, as torch's Scalar::to<int64_t> (checked: a cast out of range is UB).
int64_t trunc_to_int64(double v, const char* op) {
  TG_CHECK(std::isfinite(v) && std::fabs(v) < 9.2e18, op,
           ": value cannot be converted to type int64 without "
           "overflow: ",
           v);
  return static_cast<int64_t>(v);
}

// Integer results wrap to the dtype's width, as torch's casts do.
template <class T> T wrap_int(uint64_t v) { return std::is_same_v<T, bool> ? T(v != 0) : T(v); }
}  // namespace

// arange's floating values as torch's CPU kernel makes them, bit for bit (below its 32768-element grain, where it
// splits the range between threads): pairs of 32-byte vectors (AVX2), each from base = start + step * i (one fma,
// in the accumulate type: double, float for float16 and bfloat16) rounded to the dtype, its lanes base + j * step
// (one fma; float16 and bfloat16 round the product first); the elements past the last pair as the bases.
template <class T> void arange_fill(T* p, double start, double step, int64_t count) {
  using acc_t = std::conditional_t<is_reduced_float_v<T>, float, double>;
  constexpr int64_t W = 32 / int64_t(sizeof(T));
  const acc_t s = acc_t(start), st = acc_t(step);
  auto vector_at = [&](int64_t i) {
    const acc_t base = acc_t(convert<T>(std::fma(st, acc_t(i), s)));
    for (int64_t j = 0; j < W; ++j) {
      if constexpr (is_reduced_float_v<T>) {
        const float product = float(j) * st;
        p[i + j] = convert<T>(base + product);
      } else {
        p[i + j] = convert<T>(std::fma(acc_t(j), st, base));
      }
    }
  };
  int64_t i = 0;
  for (; i + 2 * W <= count; i += 2 * W) vector_at(i), vector_at(i + W);
  for (; i < count; ++i) p[i] = convert<T>(std::fma(st, acc_t(i), s));
}

// torch's rules: floating dtypes as arange_fill; integer dtypes truncate start and step to int64 first (int64 also
// end, with an exact integer count; narrower types count in double), no bool kernel.
Tensor arange(double start, double end, double step, DType dtype, Device device) {
  if (dtype == DType::Bool) throw_dtype_error("arange_cpu", nullptr, dtype);
  TG_CHECK(std::isfinite(start) && std::isfinite(end), "unsupported range: ", start, " -> ", end);
  bool integral = !is_floating(dtype);
  int64_t istart = integral ? trunc_to_int64(start, "arange") : 0;
  int64_t istep = integral ? trunc_to_int64(step, "arange") : 0;
  int64_t count;
  if (dtype == DType::Int64) {
    int64_t iend = trunc_to_int64(end, "arange");
    TG_CHECK(step != 0, "step must be nonzero");
    TG_CHECK((step > 0 && end >= start) || (step < 0 && end <= start),  // (torch: the bounds before truncation)
             "upper bound and lower bound inconsistent with step sign");
    TG_CHECK_VALUE(istep != 0, "step must be nonzero (arange: step ", step, " truncated to the int64 dtype is 0)");
    __int128 span = __int128(iend) - istart + istep - (istep > 0 ? 1 : -1);
    count = static_cast<int64_t>(span / istep);
  } else {
    TG_CHECK(step != 0, "step must be nonzero");
    TG_CHECK((step > 0 && end >= start) || (step < 0 && end <= start),
             "upper bound and lower bound inconsistent with step sign");
    double n = std::ceil((end - start) / step);
    TG_CHECK(n < 9.2e18, "arange: invalid size, possible overflow?");
    count = static_cast<int64_t>(n);
  }
  Tensor t = empty({count}, dtype, {});
  TG_DISPATCH_ALL(dtype, "arange", [&] {
    scalar_t* p = t->data<scalar_t>();
    if constexpr (std::is_floating_point_v<scalar_t> || is_reduced_float_v<scalar_t>) {
      arange_fill(p, start, step, count);
    } else {
      for (int64_t i = 0; i < count; ++i) p[i] = wrap_int<scalar_t>(uint64_t(istart) + uint64_t(i) * uint64_t(istep));
    }
  });
  return to_device(t, device);
}

// linspace's values, symmetric from both ends as torch's kernel (the last value is exactly `end`). A floating
// dtype computes in its own precision as torch's does, bit for bit: float and double by one fma from the nearer
// end; float16 and bfloat16 round every step to the dtype (their arithmetic is float rounded back).
template <class T> void linspace_fill(T* p, double start, double end, int64_t steps) {
  const int64_t half = steps / 2;
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    const T s = T(start), e = T(end);
    const T st = steps > 1 ? (e - s) / T(steps - 1) : T(0);
    for (int64_t i = 0; i < steps; ++i)
      p[i] = steps == 1 ? s : i < half ? std::fma(st, T(i), s) : std::fma(-st, T(steps - 1 - i), e);
  } else if constexpr (is_reduced_float_v<T>) {
    auto r = [](float x) { return float(convert<T>(x)); };
    const float s = r(float(start)), e = r(float(end));
    const float st = steps > 1 ? r(r(e - s) / r(float(steps - 1))) : 0.0f;
    for (int64_t i = 0; i < steps; ++i)
      p[i] = convert<T>(steps == 1 ? s
                        : i < half ? r(s + r(st * r(float(i))))
                                   : r(e - r(st * r(float(steps - 1 - i)))));
  } else {
    const double step = steps > 1 ? (end - start) / double(steps - 1) : 0.0;
    for (int64_t i = 0; i < steps; ++i) {
      double v = steps == 1 ? start  // one step: `start`, as torch
                 : i < half ? start + step * double(i)
                            : end - step * double(steps - 1 - i);
      // (bool: one step, `start` != 0, as torch)
      if constexpr (std::is_same_v<T, bool>) p[i] = convert<T>(v);
      else p[i] = wrap_int<T>(uint64_t(int64_t(v)));  // (between the integer ends: in range)
    }
  }
}

Tensor linspace(double start, double end, int64_t steps, DType dtype, Device device) {
  TG_CHECK(steps >= 0, "number of steps must be non-negative");
  if (dtype == DType::Bool && steps > 1) throw_dtype_error("linspace_cpu", nullptr, dtype);  // (1 step: no kernel)
  if (!is_floating(dtype) &&
      dtype != DType::Bool) {  // torch converts the ends to the dtype (checked), then truncates them
    if (steps > 0) check_scalar_fits(Scalar::from_double(start), dtype);  // (torch converts only what it uses)
    if (steps > 1) check_scalar_fits(Scalar::from_double(end), dtype);
    start = double(trunc_to_int64(start, "linspace"));
    end = double(trunc_to_int64(end, "linspace"));
  }
  Tensor t = empty({steps}, dtype, {});
  TG_DISPATCH_ALL(dtype, "linspace", [&] { linspace_fill(t->data<scalar_t>(), start, end, steps); });
  return to_device(t, device);
}

Tensor eye(int64_t n, int64_t m, DType dtype, Device device) {
  TG_CHECK(n >= 0, "n must be greater or equal to 0, got ", n);
  TG_CHECK(m >= 0, "m must be greater or equal to 0, got ", m);
  Tensor t = full({n, m}, Scalar::from_int(0), dtype, device);
  int64_t k = std::min(n, m);
  if (k) fill_(as_strided(t, {k}, {m + 1}, 0), Scalar::from_int(1));
  return t;
}

// -------------------------------------------------------------- elementwise
namespace {
bool is_float_binary(BinaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) case BinaryOpId::name:
    TG_BINARY_FLOAT_OPS(TG_CASE)
#undef TG_CASE
    return true;
    default: return false;
  }
}

// Floating inputs only: integer and bool inputs raise NotImplementedError, as torch's activations.
bool is_floating_only(UnaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) case UnaryOpId::name:
    TG_UNARY_FLOATING_OPS(TG_CASE)
#undef TG_CASE
    return true;
    default: return false;
  }
}

bool is_floating_only(BinaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) case BinaryOpId::name:
    TG_BINARY_FLOATING_OPS(TG_CASE)
#undef TG_CASE
    return true;
    default: return false;
  }
}

[[noreturn]] void throw_not_implemented(const char* name, DType dtype, Device device) {
  throw NotImplementedError(std::string("\"") + name + (device.is_cuda() ? "_cuda" : "_cpu") +
                            "\" not implemented for '" + type_name(dtype) + "'");
}

bool is_float_unary(UnaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) case UnaryOpId::name:
    TG_UNARY_FLOAT_OPS(TG_CASE)
#undef TG_CASE
    return true;
    default: return false;
  }
}

const char* unary_name(UnaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) \
  case UnaryOpId::name: return #name;
    TG_UNARY_FLOAT_OPS(TG_CASE)
    TG_UNARY_FLOATING_OPS(TG_CASE)
    TG_UNARY_OPS(TG_CASE)
    TG_UNARY_INT_OPS(TG_CASE)
#undef TG_CASE
    default: return "logical_not";
  }
}

const char* binary_name(BinaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) \
  case BinaryOpId::name: return #name;
    TG_BINARY_OPS(TG_CASE)
    TG_COMPARE_OPS(TG_CASE)
    TG_BINARY_INT_OPS(TG_CASE)
#undef TG_CASE
  }
  return "?";
}

bool is_bitwise(BinaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) case BinaryOpId::name:
    TG_BINARY_INT_OPS(TG_CASE)
#undef TG_CASE
    return true;
    default: return false;
  }
}

bool is_bitwise(UnaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) case UnaryOpId::name:
    TG_UNARY_INT_OPS(TG_CASE)
#undef TG_CASE
    return true;
    default: return false;
  }
}

// Bitwise ops take bool and integer dtypes only; torch's message for a float one.
void check_bitwise_dtype(const char* name, DType compute, Device device) {
  TG_CHECK_AS(NotImplementedError, !is_floating(compute), "\"", name, device.is_cuda() ? "_cuda" : "_cpu",
              "\" not implemented for '", type_name(compute), "'");
}

bool is_compare(BinaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) case BinaryOpId::name:
    TG_COMPARE_OPS(TG_CASE)
#undef TG_CASE
    return true;
    default: return false;
  }
}

// Whether two tensors are the same view of the same memory.
bool same_view(const TensorImpl& x, const TensorImpl& y) {
  return x.storage == y.storage && x.offset == y.offset && x.strides == y.strides && x.sizes == y.sizes;
}

// Validates an explicit output and decides whether the kernel can write into
// it directly, or must write a temporary that is then copied (dtype differs,
// or out overlaps an input through another view).
Tensor prepare_out(const Tensor& out, const Shape& shape, DType result, const char* op,
                   std::initializer_list<const Tensor*> inputs) {
  check_inference_write(out);
  TG_CHECK(shape == out->sizes, "output with shape ", out->sizes, " doesn't match the broadcast shape ", shape);
  TG_CHECK(can_cast(result, out->dtype), "result type ", type_name(result),
           " can't be cast to the desired output type ", type_name(out->dtype));
  bool direct = out->dtype == result;
  for (const Tensor* in : inputs) {
    if (!direct) break;
    if (!is_cpu_scalar(*in)) check_same_device(out, *in, op);
    const TensorImpl& x = **in;
    if (x.storage == out->storage && !same_view(x, *out)) direct = false;
  }
  check_no_internal_overlap(out);
  return direct ? out : nullptr;
}

Tensor finish_out(const Tensor& out, const Tensor& direct, const Tensor& result) {
  if (!out) return result;
  if (direct) bump_version(out);
  else copy_(out, result);
  return out;
}

[[noreturn]] void throw_bool_sub(bool both) {
  if (both)
    throw Error(
        "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
        "`logical_xor()` operator instead.");
  throw Error(
      "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
      "mask, use the `~` or `logical_not()` operator instead.");
}

DType unary_compute_dtype(UnaryOpId op, DType in) {
  if (op == UnaryOpId::logical_not) return in;
  if (is_float_unary(op)) return is_floating(in) ? in : g_default_float;
  if (in != DType::Bool) return in;
  TG_CHECK(op != UnaryOpId::neg,
           "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
           "to invert a mask, use the `~` or `logical_not()` operator instead.");
  TG_CHECK(op != UnaryOpId::relu, "Boolean inputs not supported for relu");
  TG_CHECK_AS(NotImplementedError, op != UnaryOpId::abs, "\"abs_cpu\" not implemented for 'Bool'");
  TG_CHECK_AS(NotImplementedError,  // (torch's vectorized rounding kernels)
              op != UnaryOpId::floor && op != UnaryOpId::ceil && op != UnaryOpId::round && op != UnaryOpId::trunc, "\"",
              unary_name(op), "_vml_cpu\" not implemented for 'Bool'");
  return op == UnaryOpId::square ? DType::Int64 : in;  // square(bool) is pow(bool, 2): int64, as torch
}

// CPU only: torch's CUDA integer division by zero does not raise (the result is unspecified), and a check
// would cost a device-to-host synchronization per division.
void check_int_divisor(BinaryOpId op, DType compute, const Tensor& b, Device device) {
  if ((op != BinaryOpId::floor_divide && op != BinaryOpId::remainder && op != BinaryOpId::fmod) ||
      !is_integral(compute, true) || device.is_cuda())
    return;
  // Compared after the cast: uint8 // 256 divides by 0.
  Tensor zero = binary(BinaryOpId::eq, to_dtype(b, compute), Scalar::from_int(0), false);
  if (zero->numel() == 0) return;  // nothing to divide (amax of an empty tensor would throw)
  Tensor any = reduce(ReduceOpId::any, zero, {}, false);
  TG_CHECK_AS(ZeroDivError, item_int(any) == 0, "ZeroDivisionError");  // (torch's whole message)
}

// The result of an elementwise op, laid out as torch's TensorIterator lays it out, so that a channels-last (or
// transposed) input gives a channels-last (transposed) result: row-major when every input is row-major; the
// inputs' strides when they all have the result's shape and are all channels-last, or all dense with the same
// strides; otherwise the result's dims in the memory order of the inputs' strides (an insertion sort from the last
// dim inward, the first input that orders two dims decides, a broadcast (0) stride orders nothing).
// Whether t's elements fill its storage span without gaps or overlaps, in some order of its dims (torch's
// is_non_overlapping_and_dense).
bool non_overlapping_and_dense(const Tensor& t) {
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < t->dim(); ++d)
    if (t->sizes[d] != 1) dims.push_back(d);
  std::sort(dims.begin(), dims.end(), [&](int64_t x, int64_t y) { return t->strides[x] < t->strides[y]; });
  int64_t expected = 1;
  for (int64_t d : dims) {
    if (t->strides[d] != expected) return false;
    expected *= t->sizes[d];
  }
  return true;
}

Tensor empty_elementwise(const Shape& shape, DType dtype, Device device, std::initializer_list<const Tensor*> inputs) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  bool all_contiguous = true, same_shape = true;
  for (const Tensor* t : inputs) {
    all_contiguous = all_contiguous && (*t)->is_contiguous();
    same_shape = same_shape && (*t)->sizes == shape;
  }
  if (all_contiguous || nd < 2) return empty(shape, dtype, device);
  auto dense = [&](const Shape& strides) {
    Tensor r = empty(shape, dtype, device);
    r->strides = strides;
    return r;
  };
  if (same_shape) {
    const Tensor& first = **inputs.begin();
    bool all_same = true;
    for (const Tensor* t : inputs) all_same = all_same && (*t)->strides == first->strides;
    if (all_same && non_overlapping_and_dense(first)) return dense(first->strides);
  }
  // each input's strides against the result's dims (0 where it is broadcast)
  std::vector<Shape> strides;
  for (const Tensor* t : inputs) {
    const Shape& sz = (*t)->sizes;
    const int64_t lead = nd - static_cast<int64_t>(sz.size());
    Shape st(nd, 0);
    for (int64_t i = std::max<int64_t>(lead, 0); i < nd; ++i)
      st[i] = (sz[i - lead] == 1 && shape[i] != 1) ? 0 : (*t)->strides[i - lead];
    strides.push_back(std::move(st));
  }
  auto should_swap = [&](int64_t d0, int64_t d1) {
    for (const Shape& st : strides) {
      if (st[d0] == 0 || st[d1] == 0) continue;
      if (st[d0] != st[d1]) return st[d0] < st[d1] ? -1 : 1;
      if (shape[d0] > shape[d1]) return 1;
    }
    return 0;
  };
  std::vector<int64_t> perm(nd);  // innermost first
  for (int64_t i = 0; i < nd; ++i) perm[i] = nd - 1 - i;
  for (int64_t i = 1; i < nd; ++i) {
    int64_t d1 = i;
    for (int64_t d0 = i - 1; d0 >= 0; --d0) {
      int c = should_swap(perm[d0], perm[d1]);
      if (c > 0) {
        std::swap(perm[d0], perm[d1]);
        d1 = d0;
      } else if (c < 0) {
        break;
      }
    }
  }
  bool inverted = true;
  for (int64_t i = 0; i < nd; ++i) inverted = inverted && perm[i] == nd - 1 - i;
  if (inverted) return empty(shape, dtype, device);
  Shape out(nd);
  int64_t expected = 1;
  for (int64_t d : perm) {
    out[d] = expected;
    expected *= shape[d];
  }
  return dense(out);
}

Tensor binary_impl(BinaryOpId op, const Tensor& a, const Tensor& b, DType rt, const Tensor& out,
                   const OpParams& params = {}) {
  const char* name = binary_name(op);
  check_same_device_or_cpu_scalar(a, b, name);
  const Device device = common_device({&a, &b});
  bool cmp = is_compare(op);
  if (is_floating_only(op) && !is_floating(rt)) throw_not_implemented(name, rt, a->device());
  DType compute = rt;
  if (is_float_binary(op) && !is_floating(rt)) compute = g_default_float;
  if (op == BinaryOpId::sub && rt == DType::Bool)
    throw Error(
        "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
        "`logical_xor()` operator instead.");
  if (op == BinaryOpId::sub && (a->dtype == DType::Bool || b->dtype == DType::Bool))
    throw_bool_sub(a->dtype == DType::Bool && b->dtype == DType::Bool);
  // torch's kernels without a bool instance, by their names
  const bool lshift = op == BinaryOpId::bitwise_left_shift, rshift = op == BinaryOpId::bitwise_right_shift;
  const char* no_bool = op == BinaryOpId::pow            ? "pow"
                        : op == BinaryOpId::floor_divide ? "div_floor_cpu"
                        : op == BinaryOpId::remainder    ? "remainder_cpu"
                        : op == BinaryOpId::fmod         ? "fmod_cpu"
                        : lshift                         ? "lshift_cpu"
                        : rshift                         ? "rshift_cpu"
                                                         : nullptr;
  TG_CHECK_AS(NotImplementedError, !(compute == DType::Bool && no_bool), "\"", no_bool ? no_bool : "",
              "\" not implemented for 'Bool'");
  check_int_divisor(op, compute, b, device);
  if (is_bitwise(op)) check_bitwise_dtype(lshift ? "lshift" : rshift ? "rshift" : name, compute, a->device());
  DType out_dtype = cmp ? DType::Bool : compute;
  Shape shape = broadcast_shapes(a->sizes, b->sizes);
  Tensor direct = out ? prepare_out(out, shape, out_dtype, name, {&a, &b}) : nullptr;
  Tensor res = direct ? direct : empty_elementwise(shape, out_dtype, device, {&a, &b});
  if (res->numel() && is_narrow(compute)) {
    // (A Python number may be float32 already: float16/bfloat16 tensor * number and / number keep it so.)
    auto wide = [&](const Tensor& x) { return widen(x->wrapped_number ? x : to_dtype(x, compute)); };
    copy_kernel(res, binary_impl(op, wide(a), wide(b), compute_dtype(compute), nullptr, params));
  } else if (res->numel()) {
    Tensor ac = to_dtype(a, compute), bc = to_dtype(b, compute);
    ElementwiseIter it = make_iter(res, {ac, bc});
    TG_ON_DEVICE(res->device(), binary, op, it, params);
  }
  return finish_out(out, direct, res);
}
}  // namespace

Tensor unary(UnaryOpId op, const Tensor& a, const Tensor& out, const OpParams& params) {
  if (is_floating_only(op) && !is_floating(a->dtype))  // (round(decimals=) is torch's round kernel)
    throw_not_implemented(op == UnaryOpId::round_decimals ? "round" : unary_name(op), a->dtype, a->device());
  if (op == UnaryOpId::threshold && a->dtype == DType::Bool) throw_not_implemented("threshold", a->dtype, a->device());
  DType compute = unary_compute_dtype(op, a->dtype);
  if (is_bitwise(op)) check_bitwise_dtype(unary_name(op), compute, a->device());
  DType out_dtype = op == UnaryOpId::logical_not ? DType::Bool : compute;
  Tensor direct = out ? prepare_out(out, a->sizes, out_dtype, unary_name(op), {&a}) : nullptr;
  Tensor ac = to_dtype(a, compute);
  Tensor res = direct ? direct : empty_elementwise(a->sizes, out_dtype, a->device(), {&a});
  if (res->numel() && is_narrow(compute)) {
    copy_kernel(res, unary(op, widen(ac), nullptr, params));
  } else if (res->numel()) {
    ElementwiseIter it = make_iter(res, {ac});
    TG_ON_DEVICE(res->device(), unary, op, it, params);
  }
  return finish_out(out, direct, res);
}

Tensor binary(BinaryOpId op, const Tensor& a, const Tensor& b, const Tensor& out, const OpParams& params) {
  return binary_impl(op, a, b, result_type(a, b), out, params);
}

Tensor binary(BinaryOpId op, const Tensor& a, const Scalar& s, bool reflected, const Tensor& out,
              const OpParams& params) {
  DType rt = result_type(a, s);
  DType compute = (is_float_binary(op) && !is_floating(rt)) ? g_default_float : rt;
  if (op == BinaryOpId::sub && (s.kind == Scalar::Bool || a->dtype == DType::Bool))
    throw_bool_sub(s.kind == Scalar::Bool && a->dtype == DType::Bool);
  TG_CHECK(!(op == BinaryOpId::pow && !reflected && is_integral(compute, true) && s.kind != Scalar::Float && s.i < 0),
           "Integers to negative integer powers are not allowed.");
  if (op == BinaryOpId::pow && !reflected && s.kind == Scalar::Int) {
    if (is_integral(compute, true)) check_scalar_fits(s, compute);  // (torch: the exponent in the tensor's type)
    // torch keeps an integer exponent in double: float32 would round 2**32 + 1 to an even power
    if (rt == DType::Float32 && (s.i > (int64_t(1) << 24) || s.i < -(int64_t(1) << 24))) {
      Tensor r = to_dtype(binary_impl(op, to_dtype(a, DType::Float64), scalar_tensor(s, DType::Float64, Device{}),
                                      DType::Float64, nullptr),
                          DType::Float32);
      if (!out) return r;
      copy_(out, r);
      return out;
    }
  }
  // bool ** True / False: torch's shortcuts for the exponents 1 and 0 (a copy, ones) run no bool kernel
  if (op == BinaryOpId::pow && !reflected && s.kind == Scalar::Bool && compute == DType::Bool) {
    Tensor r = s.i ? a : full(a->sizes, Scalar::from_bool(true), DType::Bool, a->device());
    if (!out) return s.i ? clone(a) : r;
    copy_(out, r);
    return out;
  }
  // x ** 2 is the most common power (losses); a multiply is exact and vectorizes.
  if (op == BinaryOpId::pow && !reflected && s.kind != Scalar::Bool && s.d == 2.0 && is_floating(rt))
    return binary_impl(BinaryOpId::mul, a, a, rt, out);
  // torch's other float32/float64/bfloat16 specializations of a number exponent: x * x * x, 1 / (x * x)
  // (each product rounded to the dtype), sqrt, rsqrt and reciprocal, so x ** 3 is bitwise torch's
  // (not pow's rounding) and (-0.) ** 0.5 is -0., (-inf) ** 0.5 NaN
  if (op == BinaryOpId::pow && !reflected && s.kind != Scalar::Bool &&
      (rt == DType::Float32 || rt == DType::Float64 || rt == DType::BFloat16)) {
    if (s.d == 3.0 || s.d == -2.0) {
      Tensor sq = binary_impl(BinaryOpId::mul, a, a, rt, nullptr);
      if (s.d == 3.0) return binary_impl(BinaryOpId::mul, sq, a, rt, out);
      return unary(UnaryOpId::reciprocal, sq, out);
    }
    if (s.d == 0.5) return unary(UnaryOpId::sqrt, to_dtype(a, rt), out);
    if (s.d == -0.5) return unary(UnaryOpId::rsqrt, to_dtype(a, rt), out);
    if (s.d == -1.0) return unary(UnaryOpId::reciprocal, to_dtype(a, rt), out);
  }
  // float16/bfloat16: torch keeps the number of tensor * number, tensor / number and tensor // number in
  // float32 (the other ops round it to the dtype first).
  bool keep_float32 =
      is_reduced_float(compute) &&
      (op == BinaryOpId::mul || (!reflected && (op == BinaryOpId::div || op == BinaryOpId::floor_divide)));
  Tensor st = scalar_tensor(s, keep_float32 ? DType::Float32 : compute,
                            Device{});  // on the host: a CUDA kernel takes it by value
  st->wrapped_number = true;
  return reflected ? binary_impl(op, st, a, rt, out, params) : binary_impl(op, a, st, rt, out, params);
}

Tensor clamp(const Tensor& a, std::optional<Scalar> lo, std::optional<Scalar> hi, const Tensor& out) {
  TG_CHECK(lo || hi, "torch.clamp: At least one of 'min' or 'max' must not be None");
  DType rt = a->dtype;  // an integer tensor clamped to a float bound becomes float, as in torch
  if (!is_floating(rt) && ((lo && lo->kind == Scalar::Float) || (hi && hi->kind == Scalar::Float)))
    rt = g_default_float;
  // A NaN bound makes every result NaN, and torch then checks neither bound's range
  auto is_nan = [](const std::optional<Scalar>& b) { return b && b->kind == Scalar::Float && std::isnan(b->d); };
  if (!is_nan(lo) && !is_nan(hi))
    for (const auto& b : {lo, hi})
      if (b && rt != DType::Bool) check_scalar_fits(*b, rt);
  Tensor direct = out ? prepare_out(out, a->sizes, rt, "clamp", {&a}) : nullptr;
  Tensor ac = to_dtype(a, rt);
  Tensor res = direct ? direct : empty_elementwise(a->sizes, rt, a->device(), {&a});
  ClampOp f{lo ? lo->d : 0.0, hi ? hi->d : 0.0, lo ? lo->i : 0, hi ? hi->i : 0, bool(lo), bool(hi)};
  if (res->numel() && is_narrow(rt)) {
    copy_kernel(res, clamp(widen(ac), lo, hi));
  } else if (res->numel()) {
    ElementwiseIter it = make_iter(res, {ac});
    TG_ON_DEVICE(res->device(), clamp, f, it);
  }
  return finish_out(out, direct, res);
}

Tensor leaky_relu(const Tensor& a, double slope, const Tensor& out) {
  TG_CHECK_TYPE(is_floating(a->dtype), "leaky_relu: expected a floating point tensor, got ", type_name(a->dtype));
  Tensor direct = out ? prepare_out(out, a->sizes, a->dtype, "leaky_relu", {&a}) : nullptr;
  Tensor res = direct ? direct : empty_elementwise(a->sizes, a->dtype, a->device(), {&a});
  if (res->numel() && is_narrow(a->dtype)) {
    copy_kernel(res, leaky_relu(widen(a), slope));
  } else if (res->numel()) {
    ElementwiseIter it = make_iter(res, {a});
    TG_ON_DEVICE(res->device(), leaky_relu, LeakyReluOp{slope}, it);
  }
  return finish_out(out, direct, res);
}

namespace {
Tensor where_into(const Tensor& cond, const Tensor& a, const Tensor& b, DType rt, const Tensor& out) {
  check_same_device_or_cpu_scalar(cond, a, "where");
  check_same_device_or_cpu_scalar(a, b, "where");
  check_same_device_or_cpu_scalar(cond, b, "where");
  TG_CHECK(cond->dtype == DType::Bool,
           "where expected condition to be a boolean tensor, but got a tensor with "
           "dtype ",
           type_name(cond->dtype));
  Shape shape = broadcast_shapes(broadcast_shapes(cond->sizes, a->sizes), b->sizes);
  Tensor direct = out ? prepare_out(out, shape, rt, "where", {&cond, &a, &b}) : nullptr;
  Tensor res = direct ? direct : empty_elementwise(shape, rt, common_device({&cond, &a, &b}), {&cond, &a, &b});
  if (res->numel() && is_narrow(rt)) {
    copy_kernel(res, where_into(cond, widen(to_dtype(a, rt)), widen(to_dtype(b, rt)), compute_dtype(rt), nullptr));
  } else if (res->numel()) {
    Tensor ac = to_dtype(a, rt), bc = to_dtype(b, rt);
    ElementwiseIter it = make_iter(res, {cond, ac, bc});
    TG_ON_DEVICE(res->device(), where, it);
  }
  return finish_out(out, direct, res);
}
}  // namespace

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  return where_into(cond, a, b, result_type(a, b), nullptr);
}

Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) {
  DType rt = result_type(a, b);
  check_scalar_fits(b, rt);
  return where_into(cond, a, scalar_tensor(b, rt, Device{}), rt, nullptr);  // (by value on a GPU)
}

Tensor masked_fill_(const Tensor& t, const Tensor& mask, const Scalar& value) {
  TG_CHECK(mask->dtype == DType::Bool, "masked_fill_ only supports boolean masks, but got mask with dtype ",
           cpp_type_name(mask->dtype));
  Shape b = broadcast_shapes(mask->sizes, t->sizes);  // (torch's order: the mask is tensor a)
  TG_CHECK(b == t->sizes, "output with shape ", t->sizes, " doesn't match the broadcast shape ", b);
  check_scalar_fits(value, t->dtype);  // (a float into an integer tensor truncates where it fits, as torch's)
  return where_into(mask, scalar_tensor(value, t->dtype, Device{}), t, t->dtype, t);  // (by value on a GPU)
}

// --------------------------------------------------------------- reductions
namespace {
struct DimPlan {
  Shape reduce_dims;  // sorted, unique
  Shape out_sizes;    // with keepdim applied
  ReduceIter r;
};

// Splits the input's dims into kept and reduced groups (each merged where it
// is laid out back-to-back) for the reduction kernel.
DimPlan plan_reduction(const Tensor& a, Shape dims, bool keepdim, const char* name) {
  DimPlan p;
  int64_t nd = a->dim();
  TG_CHECK(nd <= kMaxTensorDims, name, ": only tensors with up to ", kMaxTensorDims, " dims are supported");
  std::vector<bool> red(std::max<int64_t>(nd, 1), dims.empty());
  for (int64_t& d : dims) d = wrap_dim(d, nd);  // every dim's range first, then repeats (torch's make_dim_mask)
  for (int64_t w : dims) {
    TG_CHECK(!red[w], "dim ", w, " appears multiple times in the list of dims");
    red[w] = true;
  }
  for (int64_t d = 0; d < nd; ++d) {
    if (red[d]) {
      p.reduce_dims.push_back(d);
      if (keepdim) p.out_sizes.push_back(1);
    } else {
      p.out_sizes.push_back(a->sizes[d]);
    }
  }
  int64_t isz = itemsize(a->dtype);
  auto push = [&](bool is_red, int64_t size, int64_t stride) {
    int& n = is_red ? p.r.nred : p.r.nkeep;
    int64_t* shape = is_red ? p.r.red_shape : p.r.keep_shape;
    int64_t* st = is_red ? p.r.red_strides : p.r.keep_strides;
    if (size == 1) return;
    if (n > 0 && st[n - 1] == stride * size) {  // previous (outer) dim continues into this one
      shape[n - 1] *= size;
      st[n - 1] = stride;
      return;
    }
    TG_CHECK(n < kMaxIterDims, name, ": at most ", kMaxIterDims,
             " dimensions that do not merge are supported "
             "(got a tensor of ",
             nd, " dims); make it contiguous first");
    shape[n] = size;
    st[n] = stride;
    ++n;
  };
  for (int64_t d = 0; d < nd; ++d) push(red[d], a->sizes[d], a->strides[d] * isz);
  p.r.out_numel = 1;
  for (int i = 0; i < p.r.nkeep; ++i) p.r.out_numel *= p.r.keep_shape[i];
  p.r.red_numel = 1;
  for (int i = 0; i < p.r.nred; ++i) p.r.red_numel *= p.r.red_shape[i];
  if (a->numel() == 0) {  // a zero-size dim: counts come from the sizes, not the merged groups
    p.r.out_numel = 1;
    for (int64_t d = 0; d < nd; ++d)
      if (!red[d]) p.r.out_numel *= a->sizes[d];
    p.r.red_numel = 0;
  }
  p.r.in = a->data_ptr();
  p.r.dtype = a->dtype;
  return p;
}

Tensor reduce_into(ReduceOpId op, double identity, const Tensor& a, Shape dims, bool keepdim, DType out_dtype,
                   const char* name) {
  if (is_narrow(a->dtype))  // accumulated in the compute dtype, converted once
    return to_dtype(reduce_into(op, identity, widen(a), std::move(dims), keepdim, compute_dtype(out_dtype), name),
                    out_dtype);
  DimPlan p = plan_reduction(a, std::move(dims), keepdim, name);
  Tensor out = empty(p.out_sizes, out_dtype, a->device());
  if (out->numel() == 0) return out;
  if (p.r.red_numel == 0) {  // empty reduction: the registry's identity
    fill_(out, std::isnan(identity) ? Scalar::from_double(identity) : Scalar::from_int(int64_t(identity)));
    return out;
  }
  p.r.out = out->data_ptr();
  TG_ON_DEVICE(a->device(), reduce, op, p.r);
  return out;
}

void check_nonempty_minmax(const Tensor& a, const Shape& dims, const char* name) {
  if (a->numel() != 0) return;
  TG_CHECK(!dims.empty() && a->dim() > 0, name,
           "(): Expected reduction dim to be specified for input.numel() == 0. "
           "Specify the reduction dim with the 'dim' argument.");
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, a->dim());
    TG_CHECK_INDEX(a->sizes[w] != 0, name, "(): Expected reduction dim ", w, " to have non-zero size.");
  }
}

struct ReduceInfo {
  const char* name;
  ReduceKind kind;
  double identity;
};
ReduceInfo reduce_info(ReduceOpId op) {
  switch (op) {
#define TG_REDUCE_INFO(name, F, kind, identity) \
  case ReduceOpId::name: return {#name, ReduceKind::kind, double(identity)};
    TG_REDUCE_OPS(TG_REDUCE_INFO)
#undef TG_REDUCE_INFO
  }
  throw Error("reduce: unknown op");
}
}  // namespace

Tensor reduce(ReduceOpId op, const Tensor& a, Shape dims, bool keepdim, std::optional<DType> dtype, const char* name) {
  const ReduceInfo info = reduce_info(op);
  if (!name) name = info.name;
  Tensor x = a;
  DType out_dtype = a->dtype;
  switch (info.kind) {
    case ReduceKind::sum: {  // summed in int64 (wrapping) or the floating dtype; dtype= casts the input first
      if (dtype) x = to_dtype(a, *dtype);
      Tensor out = reduce_into(op, info.identity, x, std::move(dims), keepdim,
                               is_floating(x->dtype) ? x->dtype : DType::Int64, name);
      return dtype && out->dtype != *dtype ? to_dtype(out, *dtype) : out;
    }
    case ReduceKind::mean:
      TG_CHECK(is_floating(dtype ? *dtype : a->dtype), name, "(): could not infer output dtype. ",
               dtype ? "Optional" : "Input",
               " dtype must be either a floating point or complex dtype. Got: ", type_name(dtype ? *dtype : a->dtype));
      if (dtype) x = to_dtype(a, *dtype);
      out_dtype = x->dtype;
      break;
    case ReduceKind::keep: check_nonempty_minmax(a, dims, name); break;
    case ReduceKind::logical: out_dtype = a->dtype == DType::UInt8 ? DType::UInt8 : DType::Bool; break;
  }
  return reduce_into(op, info.identity, x, std::move(dims), keepdim, out_dtype, name);
}

std::pair<Tensor, Tensor> max_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "max" : "min";
  if (is_narrow(a->dtype)) {
    auto [values, indices] = max_dim(widen(a), dim, keepdim, is_max);
    return {to_dtype(values, a->dtype), indices};
  }
  int64_t w = wrap_dim(dim, a->dim());
  if (a->dim() > 0) TG_CHECK_INDEX(a->sizes[w] != 0, name, "(): Expected reduction dim ", w, " to have non-zero size.");
  DimPlan p = plan_reduction(a, {w}, keepdim, name);
  Tensor values = empty(p.out_sizes, a->dtype, a->device());
  Tensor indices = empty(p.out_sizes, DType::Int64, a->device());
  if (values->numel() == 0) return {values, indices};
  // The reduced dim is a single one: keep its stride even when its size is 1.
  p.r.nred = 1;
  p.r.red_shape[0] = a->dim() ? a->sizes[w] : 1;
  p.r.red_strides[0] = a->dim() ? a->strides[w] * itemsize(a->dtype) : 0;
  p.r.red_numel = p.r.red_shape[0];
  p.r.out = values->data_ptr();
  p.r.indices = indices->data_ptr();
  TG_ON_DEVICE(a->device(), arg_reduce, is_max, p.r);
  return {values, indices};
}

Tensor argmax(const Tensor& a, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "argmax" : "argmin";
  TG_CHECK(a->dtype != DType::Bool, name, "(): does not support bool input");
  if (!dim) {
    TG_CHECK_INDEX(a->numel() > 0, name, "(): Expected reduction dim to be specified for input.numel() == 0.");
    Tensor flat = reshape_any(a, {-1});
    Tensor idx = max_dim(flat, 0, false, is_max).second;
    if (keepdim) return view(idx, Shape(a->dim(), 1));
    return idx;
  }
  int64_t w = wrap_dim(*dim, a->dim());  // (checked here to name argmax/argmin)
  if (a->dim() > 0) TG_CHECK_INDEX(a->sizes[w] != 0, name, "(): Expected reduction dim ", w, " to have non-zero size.");
  return max_dim(a, *dim, keepdim, is_max).second;
}

std::pair<Tensor, Tensor> scan(ScanOpId op, const Tensor& a, int64_t dim, std::optional<DType> dtype) {
  const char* name = "";
  ScanKind kind = ScanKind::sum;
  switch (op) {
#define TG_SCAN_INFO(n, F, k) \
  case ScanOpId::n: name = #n, kind = ScanKind::k; break;
    TG_SCAN_OPS(TG_SCAN_INFO)
#undef TG_SCAN_INFO
  }
  dim = wrap_dim(dim, a->dim());
  if (kind == ScanKind::floating && !is_floating(a->dtype))
    throw_dtype_error(str_cat(name, "_out_cpu").c_str(), nullptr, a->dtype);
  DType out_dtype = dtype ? *dtype : kind != ScanKind::sum || is_floating(a->dtype) ? a->dtype : DType::Int64;
  if (is_narrow(out_dtype)) {  // the scan in the compute dtype, each value converted (torch's accumulate type)
    auto [values, indices] = scan(op, widen(to_dtype(a, out_dtype)), dim);
    return {to_dtype(values, out_dtype), indices};
  }
  Tensor in = contiguous(to_dtype(a, out_dtype));
  Tensor values = empty(a->sizes, out_dtype, a->device());
  Tensor indices = kind == ScanKind::indices ? empty(a->sizes, DType::Int64, a->device()) : Tensor();
  if (values->numel() == 0) return {values, indices};
  int64_t outer = 1, inner = 1, n = a->dim() ? a->sizes[dim] : 1;
  for (int64_t d = 0; d < dim; ++d) outer *= a->sizes[d];
  for (int64_t d = dim + 1; d < a->dim(); ++d) inner *= a->sizes[d];
  TG_ON_DEVICE(a->device(), scan, op, in, values, indices, outer, n, inner);
  return {values, indices};
}

// ------------------------------------------------------------ linear algebra
namespace {
// torch's dtype checks of the three products, each in its own words (below): mm compares the operands (bool
// included), addmm compares mat1 with mat2 and then self with mat2, bmm refuses bool first.
void check_mm_dtypes(const Tensor& a, const Tensor& b) {
  TG_CHECK(a->dtype == b->dtype, "expected m1 and m2 to have the same dtype, but got: ", cpp_type_name(a->dtype),
           " != ", cpp_type_name(b->dtype));
  check_same_device(a, b, "mm");
}

// c = a @ b (+ c when accumulating) on the CPU, every matrix given by its base and (row, column) strides; a
// floating or integer (not bool) dtype.
void cpu_gemm(DType dtype, int64_t M, int64_t N, int64_t K, const char* a, const Shape& as, const char* b,
              const Shape& bs, char* c, int64_t rsc, int64_t csc, bool accumulate) {
  if (!is_floating(dtype)) {
    TG_DISPATCH_INTEGRAL(dtype, "mm", [&] {
      if constexpr (!std::is_same_v<scalar_t, bool>)
        cpu::gemm_integer<scalar_t>(M, N, K, reinterpret_cast<const scalar_t*>(a), as[0], as[1],
                                    reinterpret_cast<const scalar_t*>(b), bs[0], bs[1], reinterpret_cast<scalar_t*>(c),
                                    rsc, csc, accumulate);
    });
    return;
  }
  TG_DISPATCH_FLOAT(dtype, "mm", [&] {
    cpu::gemm<scalar_t>(M, N, K, reinterpret_cast<const scalar_t*>(a), as[0], as[1],
                        reinterpret_cast<const scalar_t*>(b), bs[0], bs[1], reinterpret_cast<scalar_t*>(c), rsc, csc,
                        accumulate);
  });
}

// out = a @ b (+ out when accumulating), a and b given by their base and (row, column) strides. out is the matrix
// (its last two dims); on a GPU, also the whole output of `batch` (problem 0 at a, b and out, see
// cuda/gemm_batch.h), which the CPU does not take (its callers loop).
void gemm_into(const Tensor& out, const char* a, const Shape& as, const char* b, const Shape& bs, int64_t M, int64_t N,
               int64_t K, DType dtype, Device device, bool accumulate, const cuda::GemmBatch& batch = {}) {
  TG_CHECK(device.is_cuda() || batch.count == 1, "mm: batched GEMMs run on a GPU only");
  const int64_t rsc = out->strides[out->dim() - 2], csc = out->strides[out->dim() - 1];
  if (dtype == DType::Bool || (device.is_cuda() && !is_floating(dtype))) {
    // torch: integer products on the CPU only, no bool kernel anywhere (but no kernel runs without work)
    if (M * N == 0) return;
    if (K > 0) throw_dtype_error(device.is_cuda() ? "addmm_cuda" : "addmm_impl_cpu_", nullptr, dtype);
    if (!accumulate) fill_(out, Scalar::from_int(0));
    return;
  }
  if (!device.is_cuda()) {
    cpu_gemm(dtype, M, N, K, a, as, b, bs, out->data_ptr(), rsc, csc, accumulate);
    return;
  }
  TG_DISPATCH_FLOAT(dtype, "mm", [&] {
    auto* C = out->data<scalar_t>();
    // TF32 is for float32 only (there the casts are no-ops; they keep the double branch compiling).
    if (std::is_same_v<scalar_t, float> && float32_matmul_precision() != MatmulPrecision::Highest) {
      cuda::gemm_tf32(M, N, K, reinterpret_cast<const float*>(a), as[0], as[1], reinterpret_cast<const float*>(b),
                      bs[0], bs[1], reinterpret_cast<float*>(C), rsc, csc, accumulate, batch);
      return;
    }
    cuda::gemm<scalar_t>(M, N, K, reinterpret_cast<const scalar_t*>(a), as[0], as[1],
                         reinterpret_cast<const scalar_t*>(b), bs[0], bs[1], C, rsc, csc, accumulate, batch);
  });
}

// float16 / bfloat16 on a GPU: the 16-bit tensor-core GEMM into out (float32 accumulation, one rounding; out and
// batch as gemm_into's); false where the float32 GEMM on widened operands runs instead (see cuda::gemm_reduced).
bool gemm_reduced_into(const Tensor& out, const char* a, const Shape& as, const char* b, const Shape& bs, int64_t M,
                       int64_t N, int64_t K, bool accumulate, const cuda::GemmBatch& batch = {}) {
  return out->device().is_cuda() && is_reduced_float(out->dtype) &&
         cuda::gemm_reduced(out->dtype, M, N, K, a, as[0], as[1], b, bs[0], bs[1], out->data_ptr(),
                            out->strides[out->dim() - 2], out->strides[out->dim() - 1], accumulate, batch);
}

void check_mm_shapes(const Tensor& a, const Tensor& b) {
  TG_CHECK(a->dim() == 2, "self must be a matrix (mm: got a ", a->dim(), "-D tensor of shape ", a->sizes, ")");
  TG_CHECK(b->dim() == 2, "mat2 must be a matrix (mm: got a ", b->dim(), "-D tensor of shape ", b->sizes, ")");
  TG_CHECK(a->sizes[1] == b->sizes[0], "mat1 and mat2 shapes cannot be multiplied (", a->sizes[0], "x", a->sizes[1],
           " and ", b->sizes[0], "x", b->sizes[1], ")");
}

// out= of a product (prepare_out's rules, and never written directly over an operand: a GEMM reads them while
// it writes): the buffer to compute into, or nullptr for a temporary that finish_out copies.
Tensor product_out(const Tensor& out, const Shape& shape, DType dtype, const char* op,
                   std::initializer_list<const Tensor*> inputs) {
  if (!out) return nullptr;
  Tensor direct = prepare_out(out, shape, dtype, op, inputs);
  for (const Tensor* in : inputs)
    if (direct && (*in)->storage == direct->storage) direct = nullptr;
  return direct;
}
}  // namespace

Tensor mm(const Tensor& a, const Tensor& b, const Tensor& out) {
  check_mm_shapes(a, b);
  check_mm_dtypes(a, b);
  Shape shape{a->sizes[0], b->sizes[1]};
  Tensor direct = product_out(out, shape, a->dtype, "mm", {&a, &b});
  Tensor r = direct ? direct : empty(shape, a->dtype, a->device());
  if (is_narrow(a->dtype)) {
    if (!gemm_reduced_into(r, a->data_ptr(), a->strides, b->data_ptr(), b->strides, a->sizes[0], b->sizes[1],
                           a->sizes[1], false))
      return finish_out(out, nullptr, to_dtype(mm(widen(a), widen(b)), a->dtype));  // float32 (int32) GEMM, converted
  } else {
    gemm_into(r, a->data_ptr(), a->strides, b->data_ptr(), b->strides, a->sizes[0], b->sizes[1], a->sizes[1], a->dtype,
              a->device(), false);
  }
  return finish_out(out, direct, r);
}

Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b, const Tensor& out) {
  TG_CHECK(a->dim() == 2, "mat1 must be a matrix, got ", a->dim(), "-D tensor");
  TG_CHECK(b->dim() == 2, "mat2 must be a matrix, got ", b->dim(), "-D tensor");
  check_mm_shapes(a, b);
  TG_CHECK(a->dtype == b->dtype, "mat1 and mat2 must have the same dtype, but got ", type_name(a->dtype), " and ",
           type_name(b->dtype));
  TG_CHECK(bias->dtype == b->dtype, "self and mat2 must have the same dtype, but got ", type_name(bias->dtype), " and ",
           type_name(b->dtype));
  check_same_device(a, b, "addmm");
  check_same_device(bias, a, "addmm");
  if (is_narrow(a->dtype) && !(is_reduced_float(a->dtype) && a->device().is_cuda()))
    return finish_out(out, nullptr, to_dtype(addmm(widen(to_dtype(bias, a->dtype)), widen(a), widen(b)), a->dtype));
  Shape shape{a->sizes[0], b->sizes[1]};
  // out is the bias itself (addmm_, a gradient accumulated in place): the GEMM accumulates onto it directly
  bool onto_bias = out && same_view(*out, *bias) && out->sizes == shape && out->dtype == a->dtype &&
                   a->storage != out->storage && b->storage != out->storage;
  Tensor direct = onto_bias ? prepare_out(out, shape, a->dtype, "addmm", {&a, &b})
                            : product_out(out, shape, a->dtype, "addmm", {&bias, &a, &b});
  Tensor r = direct ? direct : empty(shape, a->dtype, a->device());
  if (!onto_bias) copy_(r, expand(to_dtype(bias, a->dtype), r->sizes));  // the bias, then a @ b accumulated onto it
  if (is_narrow(a->dtype)) {
    if (!gemm_reduced_into(r, a->data_ptr(), a->strides, b->data_ptr(), b->strides, a->sizes[0], b->sizes[1],
                           a->sizes[1], true))  // r holds the bias in a's dtype
      return finish_out(out, nullptr, to_dtype(addmm(widen(r), widen(a), widen(b)), a->dtype));
    return finish_out(out, direct, r);
  }
  gemm_into(r, a->data_ptr(), a->strides, b->data_ptr(), b->strides, a->sizes[0], b->sizes[1], a->sizes[1], a->dtype,
            a->device(), true);
  return finish_out(out, direct, r);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  TG_CHECK(a->dim() == 3, "batch1 must be a 3D tensor (bmm: got shape ", a->sizes, ")");
  TG_CHECK(b->dim() == 3, "batch2 must be a 3D tensor (bmm: got shape ", b->sizes, ")");
  TG_CHECK(a->sizes[0] == b->sizes[0] && a->sizes[2] == b->sizes[1],
           "Expected size for first two dimensions of batch2 tensor to be: [", a->sizes[0], ", ", a->sizes[2],
           "] but got: [", b->sizes[0], ", ", b->sizes[1], "].");
  if (a->dtype != b->dtype && (a->dtype == DType::Bool || b->dtype == DType::Bool))
    throw_dtype_error("bmm", nullptr, DType::Bool);
  TG_CHECK(a->dtype == b->dtype, "expected scalar type ", type_name(a->dtype), " but found ", type_name(b->dtype));
  check_same_device(a, b, "bmm");
  int64_t B = a->sizes[0], M = a->sizes[1], K = a->sizes[2], N = b->sizes[2];
  Tensor out = empty({B, M, N}, a->dtype, a->device());
  if (out->numel() == 0) return out;
  int64_t isz = itemsize(a->dtype);
  if (a->device().is_cuda()) {  // one batched GEMM (gemm_batch.h: one level, the batch strides)
    cuda::GemmBatch batch;
    batch.count = B;
    batch.a_outer = a->strides[0], batch.b_outer = b->strides[0], batch.c_outer = out->strides[0];
    const Shape as{a->strides[1], a->strides[2]}, bs{b->strides[1], b->strides[2]};
    if (is_narrow(a->dtype)) {
      if (gemm_reduced_into(out, a->data_ptr(), as, b->data_ptr(), bs, M, N, K, false, batch)) return out;
      return to_dtype(bmm(widen(a), widen(b)), a->dtype);  // float32 (int32) GEMMs, converted
    }
    gemm_into(out, a->data_ptr(), as, b->data_ptr(), bs, M, N, K, a->dtype, a->device(), false, batch);
    return out;
  }
  if (is_narrow(a->dtype)) return to_dtype(bmm(widen(a), widen(b)), a->dtype);
  if (a->dtype == DType::Bool) {  // (no kernel: gemm_into's error, or zeros without terms)
    for (int64_t i = 0; i < B; ++i)
      gemm_into(select(out, 0, i), a->data_ptr(), {a->strides[1], a->strides[2]}, b->data_ptr(),
                {b->strides[1], b->strides[2]}, M, N, K, a->dtype, a->device(), false);
    return out;
  }
  if (K * M * N < 400 && is_floating(a->dtype)) {
    // torch's bmm of fewer than 400 products per matrix: each dot product summed in order, rounded per step
    // (baddbmm_cpu_kernel), so tiny batched products (attention over a few tokens) round as its do
    TG_DISPATCH_FLOAT(a->dtype, "bmm", [&] {
      const int64_t* as = a->strides.data();
      const int64_t* bs = b->strides.data();
      const scalar_t* pa = a->data<scalar_t>();
      const scalar_t* pb = b->data<scalar_t>();
      scalar_t* pc = out->data<scalar_t>();
      for (int64_t i = 0; i < B; ++i)
        for (int64_t r = 0; r < M; ++r)
          for (int64_t c = 0; c < N; ++c) {
            scalar_t acc = 0;
            for (int64_t k = 0; k < K; ++k)
              acc += pa[i * as[0] + r * as[1] + k * as[2]] * pb[i * bs[0] + k * bs[1] + c * bs[2]];
            pc[(i * M + r) * N + c] = acc;
          }
    });
    return out;
  }
  // The batch split between threads, each GEMM then on one thread, where the batch keeps every thread busy or
  // each product is too small to thread on its own (then a task holds ~32K multiply-adds); otherwise one product
  // at a time, each threaded.
  const Shape as{a->strides[1], a->strides[2]}, bs{b->strides[1], b->strides[2]};
  const char *pa = a->data_ptr(), *pb = b->data_ptr();
  char* pc = out->data_ptr();
  auto products = [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      cpu_gemm(a->dtype, M, N, K, pa + i * a->strides[0] * isz, as, pb + i * b->strides[0] * isz, bs,
               pc + i * out->strides[0] * isz, out->strides[1], out->strides[2], false);
  };
  const double work = double(M) * double(N) * double(K);
  if (B >= 4 * cpu::get_num_threads() || work < 32768)
    cpu::parallel_for(0, B, std::max<int64_t>(1, int64_t(32768 / std::max(work, 1.0))), products);
  else products(0, B);
  return out;
}

namespace {
// Whether torch's suggest_memory_format() of t is channels_last (4-d) or channels_last_3d (5-d) (c10's
// is_channels_last_strides_2d/3d: strides that do not decrease in the order C, W, H(, D), N; a size-1 dim steps
// by 1; the ambiguous N111-like layouts, whose N stride equals C's bound, stay row-major).
const int64_t kChannelsLastOrder4[] = {1, 3, 2, 0}, kChannelsLastOrder5[] = {1, 4, 3, 2, 0};

bool suggests_channels_last(const Tensor& t) {
  const int64_t nd = t->dim();
  if ((nd != 4 && nd != 5) || t->strides[1] == 0) return false;
  const int64_t* order = nd == 4 ? kChannelsLastOrder4 : kChannelsLastOrder5;
  int64_t bound = 0;
  for (int64_t k = 0; k < nd; ++k) {
    const int64_t d = order[k];
    if (t->sizes[d] == 0 || t->strides[d] < bound || (d == 0 && bound == t->strides[1])) return false;
    bound = t->strides[d] * (t->sizes[d] > 1 ? t->sizes[d] : 1);
  }
  return true;
}
}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  TG_CHECK(!tensors.empty(), "torch.cat(): expected a non-empty list of Tensors");
  // Legacy rule kept by torch: 1-D empty tensors are skipped.
  std::vector<Tensor> ts;
  for (const Tensor& t : tensors)
    if (!(t->dim() == 1 && t->numel() == 0)) ts.push_back(t);
  if (ts.empty()) return clone(tensors[0]);
  const Tensor& ref = ts[0];
  TG_CHECK(ref->dim() > 0, "zero-dimensional tensor (at position 0) cannot be concatenated");
  dim = wrap_dim(dim, ref->dim());
  DType dt = ref->dtype;
  int64_t total = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    TG_CHECK(t->dim() == ref->dim(), "Tensors must have same number of dimensions: got ", ref->dim(), " and ",
             t->dim());
    check_same_device(ref, t, "cat");
    for (int64_t d = 0; d < ref->dim(); ++d)
      TG_CHECK(d == dim || t->sizes[d] == ref->sizes[d], "Sizes of tensors must match except in dimension ", dim,
               ". Expected size ", ref->sizes[d], " but got size ", t->sizes[d], " for tensor number ", i,
               " in the list.");
    total += t->sizes[dim];
    dt = promote_types(dt, t->dtype);
  }
  Shape sizes = ref->sizes;
  sizes[dim] = total;
  Tensor out = empty(sizes, dt, ref->device());
  // torch's cat_compute_output_memory_format: channels-last when every input suggests it
  if (std::all_of(ts.begin(), ts.end(), [](const Tensor& t) { return suggests_channels_last(t); })) {
    const int64_t* order = out->dim() == 4 ? kChannelsLastOrder4 : kChannelsLastOrder5;
    int64_t expected = 1;
    for (int64_t k = 0; k < out->dim(); ++k) {
      out->strides[order[k]] = expected;
      expected *= sizes[order[k]];
    }
  }
  int64_t pos = 0;
  for (const Tensor& t : ts) {
    copy_(slice(out, dim, pos, pos + t->sizes[dim], 1), t);
    pos += t->sizes[dim];
  }
  *out->version = 0;
  return out;
}

}  // namespace tg
