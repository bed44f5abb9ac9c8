// Scalar types, their sizes and names, PyTorch's promotion lattice, and the
// dispatch macro that turns a runtime dtype into a C++ type.
#pragma once
#include <cstdint>
#include "error.h"
#include "half.h"

namespace tg {

// The ids are the Python side's too (python/tinygrad_ext/_dtype.py); new dtypes go at the end.
enum class DType : int8_t { Bool, UInt8, Int32, Int64, Float32, Float64, Int8, Int16, Float16, BFloat16 };
constexpr int kNumDTypes = 10;

inline int64_t itemsize(DType t) {
  switch (t) {
    case DType::Bool:
    case DType::UInt8:
    case DType::Int8: return 1;
    case DType::Int16:
    case DType::Float16:
    case DType::BFloat16: return 2;
    case DType::Int32:
    case DType::Float32: return 4;
    default: return 8;
  }
}
inline const char* dtype_name(DType t) {  // torch's names: torch.float32 ...
  switch (t) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "uint8";
    case DType::Int8: return "int8";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Float32: return "float32";
    default: return "float64";
  }
}
inline const char* type_name(DType t) {  // torch's scalar type names: Float (FloatTensor) ...
  switch (t) {
    case DType::Bool: return "Bool";
    case DType::UInt8: return "Byte";
    case DType::Int8: return "Char";
    case DType::Int16: return "Short";
    case DType::Int32: return "Int";
    case DType::Int64: return "Long";
    case DType::Float16: return "Half";
    case DType::BFloat16: return "BFloat16";
    case DType::Float32: return "Float";
    default: return "Double";
  }
}
// float16 and bfloat16: 16-bit storage, float32 compute.
inline bool is_reduced_float(DType t) { return t == DType::Float16 || t == DType::BFloat16; }
// The kernels compute in six dtypes (bool, uint8, int32, int64, float32, float64): int8 and int16 tensors
// are widened to int32 and float16/bfloat16 to float32 around them by the op front ends (results are
// the same: integer arithmetic wraps modulo 2^bits either way, and torch's CPU computes float16 and
// bfloat16 in float32 too). Only the copy and gather kernels see the narrow dtypes themselves.
inline bool is_narrow(DType t) { return t == DType::Int8 || t == DType::Int16 || is_reduced_float(t); }
inline DType compute_dtype(DType t) {
  return is_reduced_float(t) ? DType::Float32 : (t == DType::Int8 || t == DType::Int16) ? DType::Int32 : t;
}
inline bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64 || is_reduced_float(t); }
inline bool is_integral(DType t, bool include_bool) {
  return t == DType::UInt8 || t == DType::Int8 || t == DType::Int16 || t == DType::Int32 || t == DType::Int64 ||
         (include_bool && t == DType::Bool);
}
// 0 bool, 1 integer, 2 floating: the categories type promotion compares.
inline int category(DType t) { return t == DType::Bool ? 0 : is_floating(t) ? 2 : 1; }

// Promotion of two tensor dtypes, as torch.promote_types: bool < integers < floating types; within a
// category the wider type, with uint8 + int8 -> int16 and float16 + bfloat16 -> float32 (neither holds
// the other's values).
inline DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::Bool) return b;
  if (b == DType::Bool) return a;
  if (is_floating(a) != is_floating(b)) return is_floating(a) ? a : b;
  if (itemsize(a) == itemsize(b)) return is_floating(a) ? DType::Float32 : DType::Int16;  // f16/bf16, u8/i8
  return itemsize(a) > itemsize(b) ? a : b;
}

// The TG_DISPATCH macros' error: "<op>: unsupported dtype", or with `expected` ("a floating point"),
// "<op>: expected <expected> tensor, got torch.<dtype>" (TypeError). Out of line, in core/ops.cpp: the
// per-ISA kernel copies (cpu/isa.h) must not instantiate message-building templates of their own, or
// the linker may keep an AVX copy of one for all callers.
[[noreturn]] void throw_dtype_error(const char* opname, const char* expected, DType t);

}  // namespace tg

// TG_DISPATCH(dtype, "op", [&] { ... scalar_t ... }) runs the lambda with
// scalar_t bound to the C++ type of dtype.
#define TG_DISPATCH_CASE(enumval, ctype, ...) \
  case ::tg::DType::enumval: {                \
    using scalar_t = ctype;                   \
    return __VA_ARGS__();                     \
  }
#define TG_DISPATCH(dtype, opname, ...)              \
  [&] {                                              \
    switch (dtype) {                                 \
      TG_DISPATCH_CASE(Bool, bool, __VA_ARGS__)      \
      TG_DISPATCH_CASE(UInt8, uint8_t, __VA_ARGS__)  \
      TG_DISPATCH_CASE(Int32, int32_t, __VA_ARGS__)  \
      TG_DISPATCH_CASE(Int64, int64_t, __VA_ARGS__)  \
      TG_DISPATCH_CASE(Float32, float, __VA_ARGS__)  \
      TG_DISPATCH_CASE(Float64, double, __VA_ARGS__) \
      default: break;                                \
    }                                                \
    ::tg::throw_dtype_error(opname, nullptr, dtype); \
  }()
// TG_DISPATCH_INTEGRAL: bool and the integer types only (bitwise ops).
#define TG_DISPATCH_INTEGRAL(dtype, opname, ...)                  \
  [&] {                                                           \
    switch (dtype) {                                              \
      TG_DISPATCH_CASE(Bool, bool, __VA_ARGS__)                   \
      TG_DISPATCH_CASE(UInt8, uint8_t, __VA_ARGS__)               \
      TG_DISPATCH_CASE(Int32, int32_t, __VA_ARGS__)               \
      TG_DISPATCH_CASE(Int64, int64_t, __VA_ARGS__)               \
      default: break;                                             \
    }                                                             \
    ::tg::throw_dtype_error(opname, "an integer or bool", dtype); \
  }()
#define TG_DISPATCH_FLOAT(dtype, opname, ...)                   \
  [&] {                                                         \
    switch (dtype) {                                            \
      TG_DISPATCH_CASE(Float32, float, __VA_ARGS__)             \
      TG_DISPATCH_CASE(Float64, double, __VA_ARGS__)            \
      default: break;                                           \
    }                                                           \
    ::tg::throw_dtype_error(opname, "a floating point", dtype); \
  }()
// TG_DISPATCH_ALL: every dtype, float16 and bfloat16 as their storage types (Half, BFloat16), for the
// front ends' own loops (scalar_tensor, arange); the kernels see the compute dtypes (is_narrow above).
#define TG_DISPATCH_ALL(dtype, opname, ...)                   \
  [&] {                                                       \
    switch (dtype) {                                          \
      TG_DISPATCH_CASE(Int8, int8_t, __VA_ARGS__)             \
      TG_DISPATCH_CASE(Int16, int16_t, __VA_ARGS__)           \
      TG_DISPATCH_CASE(Float16, ::tg::Half, __VA_ARGS__)      \
      TG_DISPATCH_CASE(BFloat16, ::tg::BFloat16, __VA_ARGS__) \
      default: break;                                         \
    }                                                         \
    return TG_DISPATCH(dtype, opname, __VA_ARGS__);           \
  }()
