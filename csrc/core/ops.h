// The core's op front end: every op validates its inputs (errors name the op
// and the shapes), applies type promotion, allocates the output and calls the
// device's kernel. Bindings call only these functions.
#pragma once
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include "../ops/elementwise.h"
#include "../ops/reduce.h"
#include "../ops/scan.h"
#include "tensor.h"

namespace tg {

// A Python number: keeps its category (bool/int/float) for type promotion.
struct Scalar {
  enum Kind : int8_t { Bool, Int, Float } kind = Float;
  double d = 0;
  int64_t i = 0;
  static Scalar from_double(double v) {  // (i: the truncated value where it fits; a cast out of range is UB)
    Scalar s;
    s.kind = Float;
    s.d = v;
    s.i = std::fabs(v) < 9.2e18 ? static_cast<int64_t>(v) : 0;
    return s;
  }
  static Scalar from_int(int64_t v) {
    Scalar s;
    s.kind = Int;
    s.i = v;
    s.d = static_cast<double>(v);
    return s;
  }
  static Scalar from_bool(bool v) {
    Scalar s;
    s.kind = Bool;
    s.i = v;
    s.d = v;
    return s;
  }
};

const char* cpp_type_name(DType t);  // "float", "long int", "c10::Half", ...
// torch.get_default_dtype(): the dtype of Python floats and of float results from integer inputs.
DType default_float_dtype();
void set_default_float_dtype(DType t);  // torch's C++ names in messages: Float, Long, ...
// torch.set_float32_matmul_precision. CUDA float32 matmuls may use TF32 tensor
// cores unless it is Highest: torch.backends.cuda.matmul.allow_tf32 reads
// (precision != Highest) and writes (High / Highest) the same setting.
enum class MatmulPrecision { Highest, High, Medium };
MatmulPrecision float32_matmul_precision();
void set_float32_matmul_precision(MatmulPrecision p);
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, const Scalar& s);
bool can_cast(DType from, DType to);
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
// A CPU 0-d tensor (a Python number, torch.tensor(2.)) may join a CUDA op, as in torch's TensorIterator: the
// CUDA kernels read it on the host and take it as a kernel argument (ElementwiseIter::host_scalars).
bool is_cpu_scalar(const Tensor& t);
void check_same_device_or_cpu_scalar(const Tensor& a, const Tensor& b, const char* op);

// Copies and conversions.
// Broadcasts src, casts dtype. Between the CPU and a GPU, non_blocking lets the host go on without waiting
// for the copy (when the host side is pinned memory; see cuda::copy_between_devices).
void copy_(const Tensor& dst, const Tensor& src, bool non_blocking = false);
// torch's check of a written-to tensor: an expanded view (a 0 stride over 2+ elements) cannot take a result.
void check_no_internal_overlap(const Tensor& t);
void check_inference_write(const Tensor& t);    // torch's error for a write to an inference tensor (ops.cpp)
Tensor to_dtype(const Tensor& t, DType dtype);  // returns t itself when nothing changes
Tensor to_device(const Tensor& t, Device device, bool non_blocking = false);
// Page-locked (cudaHostAlloc) CPU tensors: Tensor.pin_memory() copies t into one (needs a usable GPU).
Tensor empty_pinned(const Shape& sizes, DType dtype);
Tensor pin_memory(const Tensor& t);
// int8/int16/float16/bfloat16 tensors converted to their compute dtype (int32, float32: dtype.h's
// is_narrow), which the kernels run in; other tensors as they are.
Tensor widen(const Tensor& t);
// Tensor.view(dtype): the same memory read as another dtype (the last dim rescaled for another element size).
Tensor view_dtype(const Tensor& t, DType dtype);
Tensor reshape_any(const Tensor& t, Shape sizes);  // view if possible, else copy
Tensor scalar_tensor(const Scalar& s, DType dtype, Device device);
double item_double(const Tensor& t);
int64_t item_int(const Tensor& t);

// Creation.
void fill_(const Tensor& t, const Scalar& value);
Tensor full(const Shape& sizes, const Scalar& value, DType dtype, Device device);
Tensor arange(double start, double end, double step, DType dtype, Device device);
Tensor linspace(double start, double end, int64_t steps, DType dtype, Device device);
Tensor eye(int64_t n, int64_t m, DType dtype, Device device);

// Elementwise. `out`, when given, receives the result (in-place ops pass the
// tensor itself): its shape must be the broadcast shape and the result type
// must cast to its dtype; it is left untouched when a check fails.
// params: the op's scalar parameters (its registry entry's `params`), zero for ops without any.
Tensor unary(UnaryOpId op, const Tensor& a, const Tensor& out = nullptr, const OpParams& params = {});
Tensor binary(BinaryOpId op, const Tensor& a, const Tensor& b, const Tensor& out = nullptr,
              const OpParams& params = {});
Tensor binary(BinaryOpId op, const Tensor& a, const Scalar& b, bool reflected, const Tensor& out = nullptr,
              const OpParams& params = {});
Tensor clamp(const Tensor& a, std::optional<Scalar> lo, std::optional<Scalar> hi, const Tensor& out = nullptr);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b);
Tensor masked_fill_(const Tensor& t, const Tensor& mask, const Scalar& value);

// Reductions. Empty dims = all dims.
// The registry's reductions (ops/reduce.h's ReduceOpId), with the entry's dtype rule: `dtype` casts the input
// first (sum-like and mean), `name` replaces the op's name in errors (max() reports as "max", not "amax").
Tensor reduce(ReduceOpId op, const Tensor& a, Shape dims, bool keepdim, std::optional<DType> dtype = std::nullopt,
              const char* name = nullptr);

// The registry's scans (ops/scan.h's ScanOpId) along dim, with the entry's dtype rule: `dtype` casts the input
// first (the sum kind); the indices are set for the indices kind only.
std::pair<Tensor, Tensor> scan(ScanOpId op, const Tensor& a, int64_t dim, std::optional<DType> dtype = std::nullopt);

// Random numbers (the others are generated): the CPU generator's state in torch's layout; the state of a CPU
// generator just seeded with `seed`.
std::vector<uint8_t> get_rng_state();
void set_rng_state(const std::vector<uint8_t>& state);
std::vector<uint8_t> seeded_rng_state(uint64_t seed);
Tensor randperm(int64_t n, Device device);

}  // namespace tg

// The front ends bound one to one (products, indexing, sorting, random numbers, ...): declared by the op registry's
// FRONT_ENDS (python/tinygrad_ext/_registry.py), generated by CMake.
#include "tg_front_ends_core_ops.h"
