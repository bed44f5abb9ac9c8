// Scalar types, their sizes and names, PyTorch's promotion lattice, and the
// dispatch macro that turns a runtime dtype into a C++ type.
#pragma once
#include <cstdint>
#include "error.h"

namespace tg {

enum class DType : int8_t { Bool, UInt8, Int32, Int64, Float32, Float64 };
constexpr int kNumDTypes = 6;

inline int64_t itemsize(DType t) {
  switch (t) {
    case DType::Bool: case DType::UInt8: return 1;
    case DType::Int32: case DType::Float32: return 4;
    default: return 8;
  }
}
inline const char* dtype_name(DType t) {  // torch's names: torch.float32 ...
  switch (t) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "uint8";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    default: return "float64";
  }
}
inline bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }
inline bool is_integral(DType t, bool include_bool) {
  return t == DType::UInt8 || t == DType::Int32 || t == DType::Int64 || (include_bool && t == DType::Bool);
}
// 0 bool, 1 integer, 2 floating: the categories type promotion compares.
inline int category(DType t) { return t == DType::Bool ? 0 : is_floating(t) ? 2 : 1; }

// Promotion of two tensor dtypes, as torch.promote_types for this dtype set.
inline DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (is_floating(a) || is_floating(b)) {
    if (a == DType::Float64 || b == DType::Float64) return DType::Float64;
    return DType::Float32;
  }
  if (a == DType::Bool) return b;
  if (b == DType::Bool) return a;
  // uint8 with int32/int64 -> the signed one; int32 with int64 -> int64
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
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
  case ::tg::DType::enumval: { using scalar_t = ctype; return __VA_ARGS__(); }
#define TG_DISPATCH(dtype, opname, ...)                                          \
  [&] {                                                                          \
    switch (dtype) {                                                             \
      TG_DISPATCH_CASE(Bool, bool, __VA_ARGS__)                                  \
      TG_DISPATCH_CASE(UInt8, uint8_t, __VA_ARGS__)                              \
      TG_DISPATCH_CASE(Int32, int32_t, __VA_ARGS__)                              \
      TG_DISPATCH_CASE(Int64, int64_t, __VA_ARGS__)                              \
      TG_DISPATCH_CASE(Float32, float, __VA_ARGS__)                              \
      TG_DISPATCH_CASE(Float64, double, __VA_ARGS__)                             \
    }                                                                            \
    ::tg::throw_dtype_error(opname, nullptr, dtype);                             \
  }()
// TG_DISPATCH_INTEGRAL: bool and the integer types only (bitwise ops).
#define TG_DISPATCH_INTEGRAL(dtype, opname, ...)                                 \
  [&] {                                                                          \
    switch (dtype) {                                                             \
      TG_DISPATCH_CASE(Bool, bool, __VA_ARGS__)                                  \
      TG_DISPATCH_CASE(UInt8, uint8_t, __VA_ARGS__)                              \
      TG_DISPATCH_CASE(Int32, int32_t, __VA_ARGS__)                              \
      TG_DISPATCH_CASE(Int64, int64_t, __VA_ARGS__)                              \
      default: break;                                                            \
    }                                                                            \
    ::tg::throw_dtype_error(opname, "an integer or bool", dtype);                \
  }()
#define TG_DISPATCH_FLOAT(dtype, opname, ...)                                    \
  [&] {                                                                          \
    switch (dtype) {                                                             \
      TG_DISPATCH_CASE(Float32, float, __VA_ARGS__)                              \
      TG_DISPATCH_CASE(Float64, double, __VA_ARGS__)                             \
      default: break;                                                            \
    }                                                                            \
    ::tg::throw_dtype_error(opname, "a floating point", dtype);                  \
  }()
