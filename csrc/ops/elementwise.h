// One functor per elementwise op, shared by the CPU loops (cpu/elementwise.cpp)
// and the CUDA kernels (cuda/elementwise.cu). Which ops exist, their families and
// names come from the op registry (python/tinygrad_ext/_registry.py), which CMake
// turns into the X-macro lists of tg_op_lists.h that cpu/, cuda/ and bindings/ expand.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>
#include "math.h"
#include "tg_op_lists.h"  // generated from the op registry

namespace tg {

template <class T> TG_HD T tg_exp(T x) {
#if defined(__CUDA_ARCH__)
  return exp(x);
#else
  if constexpr (std::is_same_v<T, float>) return math::expf_poly(x); else return std::exp(x);
#endif
}
template <class T> TG_HD T tg_log(T x) {
#if defined(__CUDA_ARCH__)
  return log(x);
#else
  if constexpr (std::is_same_v<T, float>) return math::logf_poly(x); else return std::log(x);
#endif
}
template <class T> TG_HD T tg_tanh(T x) {
#if defined(__CUDA_ARCH__)
  return tanh(x);
#else
  if constexpr (std::is_same_v<T, float>) return math::tanhf_poly(x); else return std::tanh(x);
#endif
}

// NOTE: integer arithmetic wraps around modulo 2^bits, as torch's does; signed overflow is undefined
// in C++, so signed integers add, subtract and multiply in their unsigned type.
template <class T, bool = std::is_integral_v<T> && std::is_signed_v<T>> struct wrap_type { using type = T; };
template <class T> struct wrap_type<T, true> { using type = std::make_unsigned_t<T>; };
template <class T> TG_HD T wrap_add(T a, T b) { using U = typename wrap_type<T>::type; return T(U(a) + U(b)); }
template <class T> TG_HD T wrap_sub(T a, T b) { using U = typename wrap_type<T>::type; return T(U(a) - U(b)); }
template <class T> TG_HD T wrap_mul(T a, T b) { using U = typename wrap_type<T>::type; return T(U(a) * U(b)); }

// ---- unary ops on floating types (integer inputs are promoted to float32) ----
struct ExpOp { template <class T> TG_HD T operator()(T x) const { return tg_exp(x); } };
struct LogOp { template <class T> TG_HD T operator()(T x) const { return tg_log(x); } };
struct SqrtOp { template <class T> TG_HD T operator()(T x) const { return std::sqrt(x); } };
struct RsqrtOp { template <class T> TG_HD T operator()(T x) const { return T(1) / std::sqrt(x); } };
struct TanhOp { template <class T> TG_HD T operator()(T x) const { return tg_tanh(x); } };
struct SigmoidOp { template <class T> TG_HD T operator()(T x) const { return T(1) / (T(1) + tg_exp(-x)); } };
struct SinOp { template <class T> TG_HD T operator()(T x) const { return std::sin(x); } };
struct CosOp { template <class T> TG_HD T operator()(T x) const { return std::cos(x); } };
struct Log1pOp { template <class T> TG_HD T operator()(T x) const { return std::log1p(x); } };
struct Expm1Op { template <class T> TG_HD T operator()(T x) const { return std::expm1(x); } };
struct ReciprocalOp { template <class T> TG_HD T operator()(T x) const { return T(1) / x; } };
struct TanOp { template <class T> TG_HD T operator()(T x) const { return std::tan(x); } };
struct AsinOp { template <class T> TG_HD T operator()(T x) const { return std::asin(x); } };
struct AcosOp { template <class T> TG_HD T operator()(T x) const { return std::acos(x); } };
struct AtanOp { template <class T> TG_HD T operator()(T x) const { return std::atan(x); } };
struct SinhOp { template <class T> TG_HD T operator()(T x) const { return std::sinh(x); } };
struct CoshOp { template <class T> TG_HD T operator()(T x) const { return std::cosh(x); } };
struct AsinhOp { template <class T> TG_HD T operator()(T x) const { return std::asinh(x); } };
struct AcoshOp { template <class T> TG_HD T operator()(T x) const { return std::acosh(x); } };
struct AtanhOp { template <class T> TG_HD T operator()(T x) const { return std::atanh(x); } };
struct Log2Op { template <class T> TG_HD T operator()(T x) const { return std::log2(x); } };
struct Log10Op { template <class T> TG_HD T operator()(T x) const { return std::log10(x); } };
struct Exp2Op { template <class T> TG_HD T operator()(T x) const { return std::exp2(x); } };
struct ErfOp { template <class T> TG_HD T operator()(T x) const { return std::erf(x); } };
struct ErfcOp { template <class T> TG_HD T operator()(T x) const { return std::erfc(x); } };


// ---- unary ops that keep the dtype ----
struct NegOp { template <class T> TG_HD T operator()(T x) const {
  if constexpr (std::is_same_v<T, bool>) return x; else return wrap_sub(T(0), x); } };
struct AbsOp { template <class T> TG_HD T operator()(T x) const {
  if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return x; else return x < T(0) ? wrap_sub(T(0), x) : x; } };
// NOTE: relu(nan) = nan (torch): the comparison is false for NaN, so x passes through.
struct ReluOp { template <class T> TG_HD T operator()(T x) const { return x < T(0) ? T(0) : x; } };
struct SignOp { template <class T> TG_HD T operator()(T x) const {
  if constexpr (std::is_same_v<T, bool>) return x; else return T((T(0) < x) - (x < T(0))); } };
struct FloorOp { template <class T> TG_HD T operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::floor(x); else return x; } };
struct CeilOp { template <class T> TG_HD T operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::ceil(x); else return x; } };
struct RoundOp { template <class T> TG_HD T operator()(T x) const {  // half to even, as torch
  if constexpr (std::is_floating_point_v<T>) return std::nearbyint(x); else return x; } };
struct TruncOp { template <class T> TG_HD T operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::trunc(x); else return x; } };
struct SquareOp { template <class T> TG_HD T operator()(T x) const {
  if constexpr (std::is_same_v<T, bool>) return x; else return wrap_mul(x, x); } };


// ---- binary ops whose result has the promoted dtype ----
struct AddOp { template <class T> TG_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) return a || b; else return wrap_add(a, b); } };
struct SubOp { template <class T> TG_HD T operator()(T a, T b) const { return wrap_sub(a, b); } };
struct MulOp { template <class T> TG_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) return a && b; else return wrap_mul(a, b); } };
struct DivOp { template <class T> TG_HD T operator()(T a, T b) const { return a / b; } };
struct PowOp { template <class T> TG_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) { return std::pow(a, b); }
  else if constexpr (std::is_same_v<T, bool>) { return a || !b; }
  else {  // integer power by squaring; negative exponents follow torch (0 unless |a| == 1)
    if (b < T(0)) return a == T(1) ? T(1) : (a == T(-1) ? ((b & 1) ? T(-1) : T(1)) : T(0));
    T r = 1;
    while (b) { if (b & 1) r = wrap_mul(r, a); a = wrap_mul(a, a); b >>= 1; }
    return r;
  } } };
// NOTE: NaN wins in maximum/minimum (torch); fmax/fmin would drop it.
struct MaximumOp { template <class T> TG_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) { if (a != a) return a; if (b != b) return b; }
  return a > b ? a : b; } };
struct MinimumOp { template <class T> TG_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) { if (a != a) return a; if (b != b) return b; }
  return a < b ? a : b; } };
// Python's floor division and modulo (sign of the divisor). Integer division by
// zero is rejected before the kernel runs; INT_MIN // -1 wraps to INT_MIN.
// NOTE: float floor division as torch's div_floor: from fmod (exact), so inf // 2 is NaN and
// -5 // inf is -1, not floor(a / b).
struct FloorDivideOp { template <class T> TG_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) {
    if (b == T(0)) return a / b;
    T mod = std::fmod(a, b);
    T div = (a - mod) / b;
    if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) div -= T(1);
    if (div == T(0)) return std::copysign(T(0), a / b);
    T floordiv = std::floor(div);
    return div - floordiv > T(0.5) ? floordiv + T(1) : floordiv;
  }
  else if constexpr (std::is_same_v<T, bool>) { return a; }
  else {
    if constexpr (std::is_signed_v<T>) if (b == T(-1)) return T(0 - static_cast<std::make_unsigned_t<T>>(a));
    T q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
  } } };
struct RemainderOp { template <class T> TG_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) {
    T r = std::fmod(a, b);
    return (r != T(0) && ((r < T(0)) != (b < T(0)))) ? r + b : r;
  } else if constexpr (std::is_same_v<T, bool>) { return false; }
  else {
    if constexpr (std::is_signed_v<T>) if (b == T(-1)) return T(0);
    T r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  } } };
// Float-only binary ops (TG_BINARY_FLOAT_OPS: integer operands are promoted to float first).
// The integer branches are never run (the front end promotes), but the CUDA kernels instantiate them.
struct HypotOp { template <class T> TG_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) return std::hypot(a, b); else return T(0); } };
struct Atan2Op { template <class T> TG_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) return std::atan2(a, b); else return T(0); } };
// Elementwise gradients (fused backward formulas).
// NOTE: relu's subgradient at 0 is 0, as torch's threshold_backward.
struct ReluBackwardOp { template <class T> TG_HD T operator()(T grad, T x) const { return x > T(0) ? grad : T(0); } };
struct TanhBackwardOp { template <class T> TG_HD T operator()(T grad, T y) const { return grad * (T(1) - y * y); } };
struct SigmoidBackwardOp { template <class T> TG_HD T operator()(T grad, T y) const { return grad * y * (T(1) - y); } };


// ---- binary ops with a bool result ----
struct EqOp { template <class T> TG_HD bool operator()(T a, T b) const { return a == b; } };
struct NeOp { template <class T> TG_HD bool operator()(T a, T b) const { return a != b; } };
struct LtOp { template <class T> TG_HD bool operator()(T a, T b) const { return a < b; } };
struct LeOp { template <class T> TG_HD bool operator()(T a, T b) const { return a <= b; } };
struct GtOp { template <class T> TG_HD bool operator()(T a, T b) const { return a > b; } };
struct GeOp { template <class T> TG_HD bool operator()(T a, T b) const { return a >= b; } };
struct LogicalAndOp { template <class T> TG_HD bool operator()(T a, T b) const { return (a != T(0)) && (b != T(0)); } };
struct LogicalOrOp { template <class T> TG_HD bool operator()(T a, T b) const { return (a != T(0)) || (b != T(0)); } };
struct LogicalXorOp { template <class T> TG_HD bool operator()(T a, T b) const { return (a != T(0)) != (b != T(0)); } };


// ---- bitwise ops: integer and bool dtypes only (the front end rejects floats,
// and the kernels are only instantiated for bool and the integer types) ----
struct BitwiseAndOp { template <class T> TG_HD T operator()(T a, T b) const { return T(a & b); } };
struct BitwiseOrOp { template <class T> TG_HD T operator()(T a, T b) const { return T(a | b); } };
struct BitwiseXorOp { template <class T> TG_HD T operator()(T a, T b) const { return T(a ^ b); } };
struct BitwiseNotOp { template <class T> TG_HD T operator()(T x) const {
  if constexpr (std::is_same_v<T, bool>) return !x; else return T(~x); } };

// NOTE: shifts by a negative amount or by the bit width or more give 0 (left) or the sign fill (right),
// as torch's CPU kernels; C++ leaves them undefined. Bool shifts act on 0/1.
struct LeftShiftOp { template <class T> TG_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) { return a && !b; }
  else {
    using U = std::make_unsigned_t<T>;
    if (b < T(0) || b >= T(sizeof(T) * 8)) return T(0);
    return T(U(a) << b);
  } } };
struct RightShiftOp { template <class T> TG_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) { return a && !b; }
  else {
    constexpr T bits = T(sizeof(T) * 8);
    if (b < T(0) || b >= bits) return std::is_signed_v<T> ? T(a >> (bits - 1)) : T(0);
    return T(a >> b);
  } } };


// Functors of TG_BINARY_FLOAT_OPS: the CPU kernels instantiate them for float and double only.
template <class F> struct is_float_only : std::false_type {};
#define TG_FLOAT_ONLY(name, F) template <> struct is_float_only<F> : std::true_type {};
TG_BINARY_FLOAT_OPS(TG_FLOAT_ONLY)
#undef TG_FLOAT_ONLY

// Op ids: one enum per family, generated from the lists.
#define TG_ENUM_ENTRY(name, functor) name,
enum class UnaryOpId { TG_UNARY_FLOAT_OPS(TG_ENUM_ENTRY) TG_UNARY_OPS(TG_ENUM_ENTRY) TG_UNARY_INT_OPS(TG_ENUM_ENTRY)
                       logical_not };
enum class BinaryOpId { TG_BINARY_OPS(TG_ENUM_ENTRY) TG_COMPARE_OPS(TG_ENUM_ENTRY) TG_BINARY_INT_OPS(TG_ENUM_ENTRY) };
#undef TG_ENUM_ENTRY

// Ops with scalar parameters.
struct ClampOp {
  double lo, hi;
  int64_t ilo, ihi;  // the bounds of integer tensors, exact (a double loses int64 bounds beyond 2**53)
  bool has_lo, has_hi;
  // NOTE: NaN input stays NaN (comparisons are false), and a NaN bound makes every result NaN, as
  // torch.clamp (`lo != lo` is only true for a NaN bound).
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (has_lo && x < T(ilo)) x = T(ilo);
      if (has_hi && x > T(ihi)) x = T(ihi);
    } else {
      if (has_lo && (x < T(lo) || lo != lo)) x = T(lo);
      if (has_hi && (x > T(hi) || hi != hi)) x = T(hi);
    }
    return x;
  }
};
struct LeakyReluOp {
  double slope;
  template <class T> TG_HD T operator()(T x) const { return x > T(0) ? x : x * T(slope); }
};

}  // namespace tg
