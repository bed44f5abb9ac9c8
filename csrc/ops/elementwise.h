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

// tg_<f>(x): CUDA's own f on the GPU; on the CPU the branch-free float version of ops/math.h (so float
// loops vectorize) and the C library's for double.
#if defined(__CUDA_ARCH__)
#define TG_MATH_FN(name, cuda_fn, float_fn, std_fn) \
  template <class T> TG_HD T name(T x) { return cuda_fn(x); }
#else
#define TG_MATH_FN(name, cuda_fn, float_fn, std_fn)                   \
  template <class T> TG_HD T name(T x) {                              \
    if constexpr (std::is_same_v<T, float>) return math::float_fn(x); \
    else return std_fn(x);                                            \
  }
#endif
TG_MATH_FN(tg_exp, exp, expf_poly, std::exp)
TG_MATH_FN(tg_exp_bounded, exp, expf_bounded, std::exp)  // float: x clamped to [-87.3, 88.3] (see math.h)
TG_MATH_FN(tg_log, log, logf_poly, std::log)
TG_MATH_FN(tg_tanh, tanh, tanhf_poly, std::tanh)
TG_MATH_FN(tg_erf, erf, erff_poly, std::erf)
TG_MATH_FN(tg_log1p, log1p, log1pf_poly, std::log1p)
TG_MATH_FN(tg_expm1, expm1, expm1f_poly, std::expm1)
TG_MATH_FN(tg_log1p_unit, log1p, log1pf_unit, std::log1p)            // float: x in [0, 1] (see math.h)
TG_MATH_FN(tg_exp_nonpositive, exp, expf_nonpositive, std::exp)      // float: x <= 0
TG_MATH_FN(tg_exp2_nonpositive, exp2, exp2f_nonpositive, std::exp2)  // float: x <= 0
#undef TG_MATH_FN

// a * b + c rounded once: torch's vectorized add(alpha=), addcmul and lerp loops are fused multiply-adds. Written
// as an explicit fma so that no compiler's contraction choice (-O1 or -O3, GCC or nvcc) changes the result; the
// eager functors below and the fused optimizer steps (optim.h) share these, so both round alike.
template <class T> TG_HD T fma_rn(T a, T b, T c) {
#if defined(__CUDA_ARCH__)
  return fma(a, b, c);
#else
  return std::fma(a, b, c);  // (every ISA copy the same: the portable one calls the C library's)
#endif
}
// torch's lerp(a, b, w): a + w (b - a) for |w| < 0.5, else b + (w - 1)(b - a) (exact at w = 1), one rounding each
template <class T> TG_HD T lerp_rn(T a, T b, T w) {
  const T d = b - a;
  return (w < T(0.5)) & (w > T(-0.5)) ? fma_rn(w, d, a) : fma_rn(w - T(1), d, b);
}
// addcmul(a, t, t, value=v): a + (v t) t, the last product fused with the add
template <class T> TG_HD T addcmul_sq(T a, T t, double v) { return fma_rn(T(v) * t, t, a); }

// Scalar parameters of an op (elu's alpha, softplus's beta and threshold, ...): the registry entry's
// `params`, in its order, become the functor's members: X(elu, EluOp, (p[0], p[1], p[2])) constructs
// EluOp{p[0], p[1], p[2]} with TG_MAKE; an op without parameters has X(exp, ExpOp, ()).
struct OpParams {
  double v[4] = {0.0, 0.0, 0.0, 0.0};
};
#define TG_UNPAREN(...) __VA_ARGS__
#define TG_MAKE(F, ARGS) \
  F { TG_UNPAREN ARGS }

// NOTE: integer arithmetic wraps around modulo 2^bits, as torch's does; signed overflow is undefined
// in C++, so signed integers add, subtract and multiply in their unsigned type.
template <class T, bool = std::is_integral_v<T> && std::is_signed_v<T>> struct wrap_type {
  using type = T;
};
template <class T> struct wrap_type<T, true> {
  using type = std::make_unsigned_t<T>;
};
template <class T> TG_HD T wrap_add(T a, T b) {
  using U = typename wrap_type<T>::type;
  return T(U(a) + U(b));
}
template <class T> TG_HD T wrap_sub(T a, T b) {
  using U = typename wrap_type<T>::type;
  return T(U(a) - U(b));
}
template <class T> TG_HD T wrap_mul(T a, T b) {
  using U = typename wrap_type<T>::type;
  return T(U(a) * U(b));
}

// ---- unary ops on floating types (integer inputs are promoted to float32) ----
struct ExpOp {
  template <class T> TG_HD T operator()(T x) const { return tg_exp(x); }
};
struct LogOp {
  template <class T> TG_HD T operator()(T x) const { return tg_log(x); }
};
struct SqrtOp {
  template <class T> TG_HD T operator()(T x) const { return std::sqrt(x); }
};
struct RsqrtOp {
  template <class T> TG_HD T operator()(T x) const { return T(1) / std::sqrt(x); }
};
struct TanhOp {
  template <class T> TG_HD T operator()(T x) const { return tg_tanh(x); }
};
struct SigmoidOp {
  template <class T> TG_HD T operator()(T x) const { return T(1) / (T(1) + tg_exp(-x)); }
};
struct SinOp {
  template <class T> TG_HD T operator()(T x) const { return std::sin(x); }
};
struct CosOp {
  template <class T> TG_HD T operator()(T x) const { return std::cos(x); }
};
struct Log1pOp {
  template <class T> TG_HD T operator()(T x) const { return std::log1p(x); }
};
struct Expm1Op {
  template <class T> TG_HD T operator()(T x) const { return std::expm1(x); }
};
struct ReciprocalOp {
  template <class T> TG_HD T operator()(T x) const { return T(1) / x; }
};
struct TanOp {
  template <class T> TG_HD T operator()(T x) const { return std::tan(x); }
};
struct AsinOp {
  template <class T> TG_HD T operator()(T x) const { return std::asin(x); }
};
struct AcosOp {
  template <class T> TG_HD T operator()(T x) const { return std::acos(x); }
};
struct AtanOp {
  template <class T> TG_HD T operator()(T x) const { return std::atan(x); }
};
struct SinhOp {
  template <class T> TG_HD T operator()(T x) const { return std::sinh(x); }
};
struct CoshOp {
  template <class T> TG_HD T operator()(T x) const { return std::cosh(x); }
};
struct AsinhOp {
  template <class T> TG_HD T operator()(T x) const { return std::asinh(x); }
};
struct AcoshOp {
  template <class T> TG_HD T operator()(T x) const { return std::acosh(x); }
};
struct AtanhOp {
  template <class T> TG_HD T operator()(T x) const { return std::atanh(x); }
};
struct Log2Op {
  template <class T> TG_HD T operator()(T x) const { return std::log2(x); }
};
struct Log10Op {
  template <class T> TG_HD T operator()(T x) const { return std::log10(x); }
};
struct Exp2Op {
  template <class T> TG_HD T operator()(T x) const { return std::exp2(x); }
};
struct ErfOp {
  template <class T> TG_HD T operator()(T x) const { return tg_erf(x); }
};
struct ErfcOp {
  template <class T> TG_HD T operator()(T x) const { return std::erfc(x); }
};

// Special functions, computed in double (erfinv refines a single-precision first guess with Newton
// steps; digamma and polygamma use the recurrence up to x >= 10, then the asymptotic series).
// M. Giles, "Approximating the erfinv function" (2010), single-precision version: both branches computed
// and selected, so float loops vectorize; |y| >= 1 and NaN are selected at the end.
template <class T> TG_HD T erfinv_guess(T y) {
  T w = -tg_log((T(1) - y) * (T(1) + y));
  T v = w - T(2.5);
  T p = T(2.81022636e-08);
  p = T(3.43273939e-07) + p * v;
  p = T(-3.5233877e-06) + p * v;
  p = T(-4.39150654e-06) + p * v;
  p = T(0.00021858087) + p * v;
  p = T(-0.00125372503) + p * v;
  p = T(-0.00417768164) + p * v;
  p = T(0.246640727) + p * v;
  p = T(1.50140941) + p * v;
  T r = std::sqrt(w) - T(3);
  T q = T(-0.000200214257);
  q = T(0.000100950558) + q * r;
  q = T(0.00134934322) + q * r;
  q = T(-0.00367342844) + q * r;
  q = T(0.00573950773) + q * r;
  q = T(-0.0076224613) + q * r;
  q = T(0.00943887047) + q * r;
  q = T(1.00167406) + q * r;
  q = T(2.83297682) + q * r;
  return (w < T(5) ? p : q) * y;
}
template <class T> TG_HD T erfinv(T y) {
  T x = erfinv_guess(y);
  if constexpr (!std::is_same_v<T, float>)  // double: two Newton steps from the single-precision guess
    for (int i = 0; i < 2; ++i) x -= (std::erf(x) - y) / (T(1.1283791670955126) * std::exp(-x * x));
  T ay = y < T(0) ? -y : y;
  x = ay == T(1) ? (y > T(0) ? T(INFINITY) : T(-INFINITY)) : x;
  return (ay > T(1) || y != y) ? T(NAN) : x;
}
TG_HD double digamma_double(double x) {
  if (x == 0.0) return std::copysign(INFINITY, -x);  // as torch: -inf at +0, inf at -0
  double result = 0.0;
  if (x < 0.0) {
    if (x == std::floor(x)) return NAN;
    result = -3.14159265358979323846 / std::tan(3.14159265358979323846 * x);  // reflection
    x = 1.0 - x;
  }
  for (; x < 10.0; x += 1.0) result -= 1.0 / x;
  double z = 1.0 / (x * x);
  double series =
      z *
      (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 - z * (691.0 / 32760 - z / 12))))));
  return result + std::log(x) - 0.5 / x - series;
}
// Hurwitz zeta(s, q) = sum over k >= 0 of (q + k)^-s, for s > 1: the first terms summed until q + k >= 10,
// then the Euler-Maclaurin tail with the Bernoulli numbers B2..B16 over their factorials.
TG_HD double hurwitz_zeta(double s, double q) {
  if (s == 1.0) return INFINITY;
  if (!(s > 1.0) || q < -1e5) return NAN;
  if (q <= 0.0 && q == std::floor(q)) return INFINITY;
  double a = q, sum = 0.0;
  for (int k = 0; a < 10.0 || k < 10; ++k, a += 1.0) sum += std::pow(a, -s);
  double as = std::pow(a, -s);
  sum += a * as / (s - 1.0) + 0.5 * as;
  const double b[8] = {1.0 / 12,
                       -1.0 / 720,
                       1.0 / 30240,
                       -1.0 / 1209600,
                       1.0 / 47900160,
                       -691.0 / 1307674368000.0,
                       1.0 / 74724249600.0,
                       -3617.0 / 10670622842880000.0};
  double rising = s, ap = as / a;
  for (int j = 0; j < 8; ++j) {
    double term = b[j] * rising * ap;
    sum += term;
    if (std::fabs(term) < 1e-17 * std::fabs(sum)) break;
    rising *= (s + 2 * j + 1) * (s + 2 * j + 2);
    ap /= a * a;
  }
  return sum;
}
struct ErfinvOp {
  template <class T> TG_HD T operator()(T x) const { return erfinv(x); }
};
struct LgammaOp {
  template <class T> TG_HD T operator()(T x) const {
#if defined(__CUDA_ARCH__)
    return lgamma(x);
#else
    int sign;  // the reentrant form: lgamma itself writes the global signgam from every thread
    if constexpr (std::is_same_v<T, float>) return math::lgammaf_poly(x);
    else return T(::lgamma_r(double(x), &sign));
#endif
  }
};
struct DigammaOp {
  template <class T> TG_HD T operator()(T x) const { return T(digamma_double(double(x))); }
};
// polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1; digamma for n = 0.
struct PolygammaOp {
  double n;
  template <class T> TG_HD T operator()(T x) const {
    if (n == 0.0) return T(digamma_double(double(x)));
    double sign = std::fmod(n, 2.0) == 0.0 ? -1.0 : 1.0;
    return T(sign * std::tgamma(n + 1.0) * hurwitz_zeta(n + 1.0, double(x)));
  }
};

// ---- unary ops on floating types only (integer inputs raise, as torch's activations) ----
struct FracOp {
  template <class T> TG_HD T operator()(T x) const { return x - std::trunc(x); }
};
// round(x, decimals): scaled by 10^|decimals| (multiplied for decimals > 0, divided below 0), as torch.
struct RoundDecimalsOp {
  double decimals;
  double scale = std::pow(10.0, decimals < 0.0 ? -decimals : decimals);  // (once, at construction)
  template <class T> TG_HD T operator()(T x) const {
    // NOTE: members are read into locals before any condition: a load under a condition stays in the
    // loop (as a masked load) and keeps it from vectorizing.
    const bool neg = decimals < 0.0;
    const T s = T(scale);
    return neg ? std::nearbyint(x / s) * s : std::nearbyint(x * s) / s;
  }
};
// The normal CDF Phi(x) = erfc(-x / sqrt 2) / 2; e = exp(-x^2 / 2) from the caller (gelu's backward shares it).
template <class T> TG_HD T normal_cdf(T x, T e) {
#if !defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float>) {
    float h = 0.5f * math::erfcf_with_exp((x < 0.0f ? -x : x) * 0.70710678118654752440f, e);
    return x != x ? x : (x < 0.0f ? h : 1.0f - h);
  }
#endif
  (void)e;
  return T(0.5) * std::erfc(-x * T(0.70710678118654752440));
}
struct GeluOp {
  template <class T> TG_HD T operator()(T x) const {
#if !defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>) return math::geluf_poly(x);
#endif
    return x * normal_cdf(x, tg_exp_bounded(T(-0.5) * x * x));
  }
};
struct GeluTanhOp {
  template <class T> TG_HD T operator()(T x) const {
    T inner = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
    return T(0.5) * x * (T(1) + tg_tanh(inner));
  }
};
struct SiluOp {
  template <class T> TG_HD T operator()(T x) const { return x / (T(1) + tg_exp(-x)); }
};
// mish(x) = x tanh(log(1 + e^x)) = x n / (n + 2) with n = e^x (e^x + 2); x beyond 20 gives x.
struct MishOp {
  template <class T> TG_HD T operator()(T x) const {
    T e = tg_exp_bounded(x < T(20) ? x : T(20));
    e = x < T(-87) ? T(0) : e;  // (the bounded exp stops at 1e-38: the product is 0 in float there, NaN at -inf)
    T n = e * (e + T(2));
    return x > T(20) ? x : x * n / (n + T(2));
  }
};
struct EluOp {
  double alpha, scale, input_scale;
  template <class T> TG_HD T operator()(T x) const {
    const T s = T(scale), sa = T(scale * alpha), is = T(input_scale);
    T neg = sa * tg_expm1(x * is);
    return x > T(0) ? s * x : neg;
  }
};
// softplus(x) = log(1 + e^(beta x)) / beta, x itself where beta x > threshold (torch's cut-off).
struct SoftplusOp {
  double beta, threshold;
  template <class T> TG_HD T operator()(T x) const {
    const T b = T(beta), th = T(threshold);
    T z = x * b;
    T az = z < T(0) ? -z : z;  // log(1 + e^z) = max(z, 0) + log1p(e^-|z|)
    T y = ((z > T(0) ? z : T(0)) + tg_log1p_unit(tg_exp_nonpositive(-az))) / b;
    return z > th ? x : y;
  }
};
struct HardsigmoidOp {
  template <class T> TG_HD T operator()(T x) const {
    T y = x + T(3);
    y = y < T(0) ? T(0) : (y > T(6) ? T(6) : y);
    return y / T(6);
  }
};
struct HardswishOp {
  template <class T> TG_HD T operator()(T x) const {
    T y = x + T(3);
    y = y < T(0) ? T(0) : (y > T(6) ? T(6) : y);
    return x * y / T(6);
  }
};
// logsigmoid(x) = min(x, 0) - log(1 + e^-|x|): no overflow either side.
struct LogsigmoidOp {
  template <class T> TG_HD T operator()(T x) const {
    T ax = x < T(0) ? -x : x;
    return (x < T(0) ? x : T(0)) - tg_log1p(tg_exp(-ax));
  }
};
struct SoftshrinkOp {
  double lambd;
  template <class T> TG_HD T operator()(T x) const {
    const T l = T(lambd);
    return (x >= -l) & (x <= l) ? T(0) : (x > l ? x - l : x + l);  // (NaN fails both: x + l)
  }
};
struct HardshrinkOp {
  double lambd;
  template <class T> TG_HD T operator()(T x) const {
    const T l = T(lambd);
    return (x >= -l) & (x <= l) ? T(0) : x;
  }
};

// ---- unary ops that keep the dtype ----
// Floating neg and abs keep IEEE signs: -(0.0) is -0.0 and abs(-0.0) is +0.0 (0 - x would lose the first,
// a plain x < 0 test the second); integers wrap as torch's.
struct NegOp {
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return x;
    else if constexpr (std::is_floating_point_v<T>) return -x;
    else return wrap_sub(T(0), x);
  }
};
struct AbsOp {
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return x;
    else if constexpr (std::is_floating_point_v<T>) return x < T(0) ? -x : x + T(0);
    else return x < T(0) ? wrap_sub(T(0), x) : x;
  }
};
// NOTE: relu(nan) = nan (torch): the comparison is false for NaN, so x passes through.
struct ReluOp {
  template <class T> TG_HD T operator()(T x) const { return x < T(0) ? T(0) : x; }
};
struct SignOp {
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return x;
    else return T((T(0) < x) - (x < T(0)));
  }
};
struct FloorOp {
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::floor(x);
    else return x;
  }
};
struct CeilOp {
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::ceil(x);
    else return x;
  }
};
struct RoundOp {
  template <class T> TG_HD T operator()(T x) const {  // half to even, as torch
    if constexpr (std::is_floating_point_v<T>) return std::nearbyint(x);
    else return x;
  }
};
struct TruncOp {
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::trunc(x);
    else return x;
  }
};
struct SquareOp {
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return x;
    else return wrap_mul(x, x);
  }
};
// threshold(x) = x where x > threshold, else value (bool inputs are rejected by the front end).
struct ThresholdOp {
  double threshold, value;
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return x;
    else {
      const T th = T(threshold), v = T(value);  // (in the input's dtype, as torch)
      return x > th ? x : v;
    }
  }
};
// hardtanh: clamped to [min_val, max_val] (NaN stays NaN); bool inputs are rejected in Python.
struct HardtanhOp {
  double min_val, max_val;
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return x;
    else {
      const T lo = T(min_val), hi = T(max_val);
      return x < lo ? lo : (x > hi ? hi : x);
    }
  }
};
// nan_to_num: NaN, +inf and -inf replaced (the caller resolves torch's defaults: 0 and the dtype's
// largest and lowest finite values); other dtypes pass through.
struct NanToNumOp {
  double nan, posinf, neginf;
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      const T n = T(nan), pi = T(posinf), ni = T(neginf);
      return x != x ? n : (x == T(INFINITY) ? pi : (x == T(-INFINITY) ? ni : x));
    } else return x;
  }
};

// ---- binary ops whose result has the promoted dtype ----
struct AddOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a || b;
    else return wrap_add(a, b);
  }
};
struct SubOp {
  template <class T> TG_HD T operator()(T a, T b) const { return wrap_sub(a, b); }
};
struct MulOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a && b;
    else return wrap_mul(a, b);
  }
};
struct DivOp {
  template <class T> TG_HD T operator()(T a, T b) const { return a / b; }
};
struct PowOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::pow(a, b);
    } else if constexpr (std::is_same_v<T, bool>) {
      return a || !b;
    } else {  // integer power by squaring; negative exponents follow torch (0 unless |a| == 1)
      if (b < T(0)) return a == T(1) ? T(1) : (a == T(-1) ? ((b & 1) ? T(-1) : T(1)) : T(0));
      T r = 1;
      while (b) {
        if (b & 1) r = wrap_mul(r, a);
        a = wrap_mul(a, a);
        b >>= 1;
      }
      return r;
    }
  }
};
// NOTE: NaN wins in maximum/minimum (torch); fmax/fmin would drop it.
struct MaximumOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return a > b ? a : b;
  }
};
struct MinimumOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return a < b ? a : b;
  }
};
// Python's floor division and modulo (sign of the divisor). Integer division by
// zero is rejected before the kernel runs; INT_MIN // -1 wraps to INT_MIN.
// NOTE: float floor division as torch's div_floor: from fmod (exact), so inf // 2 is NaN and
// -5 // inf is -1, not floor(a / b).
struct FloorDivideOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (b == T(0)) return a / b;
      T mod = std::fmod(a, b);
      T div = (a - mod) / b;
      if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) div -= T(1);
      if (div == T(0)) return std::copysign(T(0), a / b);
      T floordiv = std::floor(div);
      return div - floordiv > T(0.5) ? floordiv + T(1) : floordiv;
    } else if constexpr (std::is_same_v<T, bool>) {
      return a;
    } else {
      if constexpr (std::is_signed_v<T>)
        if (b == T(-1)) return T(0 - static_cast<std::make_unsigned_t<T>>(a));
      T q = a / b;
      return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
    }
  }
};
struct RemainderOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      T r = std::fmod(a, b);
      return (r != T(0) && ((r < T(0)) != (b < T(0)))) ? r + b : r;
    } else if constexpr (std::is_same_v<T, bool>) {
      return false;
    } else {
      if constexpr (std::is_signed_v<T>)
        if (b == T(-1)) return T(0);
      T r = a % b;
      return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
    }
  }
};
// Float-only binary ops (TG_BINARY_FLOAT_OPS: integer operands are promoted to float first).
// The integer branches are never run (the front end promotes), but the CUDA kernels instantiate them.
struct HypotOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::hypot(a, b);
    else return T(0);
  }
};
struct Atan2Op {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::atan2(a, b);
    else return T(0);
  }
};
struct CopysignOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::copysign(a, b);
    else return T(0);
  }
};
// The next representable value after a towards b (b itself when a == b; NaN if either is).
struct NextafterOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::nextafter(a, b);
    else return T(0);
  }
};
// x log(y), 0 where x == 0 unless y is NaN (torch's xlogy).
struct XlogyOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (b != b) return b;
      return a == T(0) ? T(0) : a * tg_log(b);
    } else return T(0);
  }
};
// C's fmod (sign of the dividend); integer division by zero is rejected before the kernel runs.
// float on the CPU: math::fmodf_exact (vectorizes; needs a hardware fma), every quotient (cpu/elementwise.cpp
// runs the one-step form over blocks whose quotients are all below 2^48).
struct FmodOp {
  template <class T> TG_HD T operator()(T a, T b) const {
#if !defined(__CUDA_ARCH__) && defined(__FMA__)
    if constexpr (std::is_same_v<T, float>) return math::fmodf_exact<6>(a, b);
#endif
    if constexpr (std::is_floating_point_v<T>) return std::fmod(a, b);
    else if constexpr (std::is_same_v<T, bool>) return false;
    else {
      if constexpr (std::is_signed_v<T>)
        if (b == T(-1)) return T(0);
      return T(a % b);
    }
  }
};
// Floating-only binary ops (TG_BINARY_FLOATING_OPS: integer operands raise, as torch).
// log(e^a + e^b) = max + log1p(e^-|a - b|); equal infinities give themselves.
struct LogaddexpOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      T m = a > b ? a : b, d = a > b ? b - a : a - b;
      T y = m + tg_log1p_unit(tg_exp_nonpositive(d));
      return (a == b) & ((a == T(INFINITY)) | (a == T(-INFINITY))) ? a : y;  // equal infinities: themselves
    } else return T(0);
  }
};
struct Logaddexp2Op {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      T m = a > b ? a : b, d = a > b ? b - a : a - b;
      T y = m + tg_log1p_unit(tg_exp2_nonpositive(d)) * T(1.44269504088896340736);
      return (a == b) & ((a == T(INFINITY)) | (a == T(-INFINITY))) ? a : y;
    } else return T(0);
  }
};
// prelu(x, weight): weight already broadcast along the channels; glu's second half: a sigmoid(b).
struct PreluOp {
  template <class T> TG_HD T operator()(T a, T w) const {
    if constexpr (std::is_floating_point_v<T>) return a > T(0) ? a : w * a;
    else return T(0);
  }
};
struct GluOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return a / (T(1) + tg_exp(-b));
    else return T(0);
  }
};
// lerp(a, b, weight) as torch's (lerp_rn)
struct LerpOp {
  double weight;
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return lerp_rn(a, b, T(weight));
    else return T(0);
  }
};
// add/sub with alpha as torch's kernel: a + alpha * b with alpha rounded to the dtype first and one rounding
// (torch's vectorized loop is a fused multiply-add, so p.add_(g, alpha=-lr) rounds once); sub passes -alpha.
// Floating only: integer alpha stays in tensor.py's exact integer path.
struct AddAlphaOp {
  double alpha;
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return fma_rn(b, T(alpha), a);
    else return T(0);
  }
};
// addcmul(a, b, b, value=) as torch's kernel: a + (value * b) * b, the last product and the add fused (the
// square of the optimizers' second moments: v.mul_(beta2).addcmul_(g, g, value=1 - beta2)).
struct AddcmulSqOp {
  double value;
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return addcmul_sq(a, b, value);
    else return T(0);
  }
};
// Elementwise gradients (fused backward formulas).
// NOTE: relu's subgradient at 0 is 0, as torch's threshold_backward.
// torch's threshold_backward: zero where x <= 0, the gradient elsewhere (NaN included)
struct ReluBackwardOp {
  template <class T> TG_HD T operator()(T grad, T x) const { return x <= T(0) ? T(0) : grad; }
};
struct TanhBackwardOp {
  template <class T> TG_HD T operator()(T grad, T y) const { return grad * (T(1) - y * y); }
};
struct SigmoidBackwardOp {
  template <class T> TG_HD T operator()(T grad, T y) const { return grad * y * (T(1) - y); }
};
// Fused backward kernels of the activations, (grad, x): floating types only.
#define TG_FLOATING_ONLY(...)                  \
  if constexpr (std::is_floating_point_v<T>) { \
    __VA_ARGS__;                               \
  } else return T(0);
struct GeluBackwardOp {
  template <class T> TG_HD T operator()(T g, T x) const {
    TG_FLOATING_ONLY(T e = tg_exp_bounded(T(-0.5) * x * x);  // exp(-x^2 / 2): the density's and the CDF's
                     return g * (normal_cdf(x, e) + x * T(0.39894228040143267794) * e))
  }
};
struct GeluTanhBackwardOp {
  template <class T> TG_HD T operator()(T g, T x) const {
    TG_FLOATING_ONLY(const T k = T(0.79788456080286535588), c = T(0.044715); T t = tg_tanh(k * (x + c * x * x * x));
                     return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * k * (T(1) + T(3) * c * x * x)))
  }
};
struct SiluBackwardOp {
  template <class T> TG_HD T operator()(T g, T x) const {
    TG_FLOATING_ONLY(T s = T(1) / (T(1) + tg_exp(-x)); return g * s * (T(1) + x * (T(1) - s)))
  }
};
struct MishBackwardOp {
  template <class T> TG_HD T operator()(T g, T x) const {
    TG_FLOATING_ONLY(T e = tg_exp_bounded(x < T(20) ? x : T(20)); T n = e * (e + T(2));
                     T t = x > T(20) ? T(1) : n / (n + T(2));  // tanh(softplus(x))
                     T s = e / (e + T(1));                     // sigmoid(x)
                     return g * (t + x * s * (T(1) - t * t)))
  }
};
struct HardsigmoidBackwardOp {
  template <class T> TG_HD T operator()(T g, T x) const {
    TG_FLOATING_ONLY(return (x > T(-3)) & (x < T(3)) ? g / T(6) : T(0))
  }
};
struct HardswishBackwardOp {
  template <class T> TG_HD T operator()(T g, T x) const {
    TG_FLOATING_ONLY(return x < T(-3) ? T(0) : (x <= T(3) ? g * (x / T(3) + T(0.5)) : g))
  }
};
struct LogsigmoidBackwardOp {
  template <class T> TG_HD T operator()(T g, T x) const { TG_FLOATING_ONLY(return g / (T(1) + tg_exp_bounded(x))) }
};
struct SoftplusBackwardOp {
  double beta, threshold;
  template <class T> TG_HD T operator()(T g, T x) const {
    TG_FLOATING_ONLY(const T b = T(beta), th = T(threshold); T z = x * b; T y = g / (T(1) + tg_exp_bounded(-z));
                     return z > th ? g : y)
  }
};
struct EluBackwardOp {
  double alpha, scale, input_scale;
  template <class T> TG_HD T operator()(T g, T x) const {
    TG_FLOATING_ONLY(const T s = T(scale), sai = T(scale * alpha * input_scale), is = T(input_scale);
                     T neg = g * sai * tg_exp_bounded(x * is); return x > T(0) ? g * s : neg)
  }
};
#undef TG_FLOATING_ONLY

// ---- binary ops with a bool result ----
struct EqOp {
  template <class T> TG_HD bool operator()(T a, T b) const { return a == b; }
};
struct NeOp {
  template <class T> TG_HD bool operator()(T a, T b) const { return a != b; }
};
struct LtOp {
  template <class T> TG_HD bool operator()(T a, T b) const { return a < b; }
};
struct LeOp {
  template <class T> TG_HD bool operator()(T a, T b) const { return a <= b; }
};
struct GtOp {
  template <class T> TG_HD bool operator()(T a, T b) const { return a > b; }
};
struct GeOp {
  template <class T> TG_HD bool operator()(T a, T b) const { return a >= b; }
};
struct LogicalAndOp {
  template <class T> TG_HD bool operator()(T a, T b) const { return (a != T(0)) && (b != T(0)); }
};
struct LogicalOrOp {
  template <class T> TG_HD bool operator()(T a, T b) const { return (a != T(0)) || (b != T(0)); }
};
struct LogicalXorOp {
  template <class T> TG_HD bool operator()(T a, T b) const { return (a != T(0)) != (b != T(0)); }
};

// ---- bitwise ops: integer and bool dtypes only (the front end rejects floats,
// and the kernels are only instantiated for bool and the integer types) ----
struct BitwiseAndOp {
  template <class T> TG_HD T operator()(T a, T b) const { return T(a & b); }
};
struct BitwiseOrOp {
  template <class T> TG_HD T operator()(T a, T b) const { return T(a | b); }
};
struct BitwiseXorOp {
  template <class T> TG_HD T operator()(T a, T b) const { return T(a ^ b); }
};
struct BitwiseNotOp {
  template <class T> TG_HD T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return !x;
    else return T(~x);
  }
};

// NOTE: shifts by a negative amount or by the bit width or more give 0 (left) or the sign fill (right),
// as torch's CPU kernels; C++ leaves them undefined. Bool shifts act on 0/1.
struct LeftShiftOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a && !b;
    } else {
      using U = std::make_unsigned_t<T>;
      if (b < T(0) || b >= T(sizeof(T) * 8)) return T(0);
      return T(U(a) << b);
    }
  }
};
struct RightShiftOp {
  template <class T> TG_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a && !b;
    } else {
      constexpr T bits = T(sizeof(T) * 8);
      if (b < T(0) || b >= bits) return std::is_signed_v<T> ? T(a >> (bits - 1)) : T(0);
      return T(a >> b);
    }
  }
};

// ---- torch.special: erfcx, the modified Bessel functions i0/i0e/i1/i1e, zeta, gammainc/gammaincc ----
// Computed in double (float inputs round once at the end); edge values (infinities, NaN, the domain's
// boundaries) as torch's.
TG_HD double lgamma_double(double x) {
#if defined(__CUDA_ARCH__)
  return lgamma(x);
#else
  int sign;  // (reentrant: see LgammaOp)
  return ::lgamma_r(x, &sign);
#endif
}
// erfcx(x) = exp(x^2) erfc(x): directly below x = 26, x^2 split into its double and the fma's rounding
// error so the exponential is exact to rounding; above (erfc underflows) the asymptotic series
// 1 / (x sqrt(pi)) sum_k (-1)^k (2k - 1)!! / (2x^2)^k, whose terms fall below 1e-17 within ten terms.
TG_HD double erfcx_double(double x) {
  if (x < -26.7) return INFINITY;  // exp(x^2) overflows (and -inf's fma below would give NaN)
  if (x < 26.0) {
    double h = x * x, l = std::fma(x, x, -h);
    return std::exp(h) * std::exp(l) * std::erfc(x);  // (-inf: inf; NaN stays NaN)
  }
  double r = 1.0 / (2.0 * x * x), term = 1.0, sum = 1.0;
  for (int k = 1; k < 12; ++k) sum += (term *= -(2 * k - 1) * r);
  return sum / (x * 1.7724538509055160273);
}
// I_nu(x) for nu = 0, 1 and x >= 0, scaled by e^-x when `scaled`: the power series
// sum_k (x/2)^(2k + nu) / (k! (k + nu)!) below 20, above it the asymptotic expansion
// e^x / sqrt(2 pi x) sum_k (-1)^k prod_{j<=k} (4 nu^2 - (2j - 1)^2) / (k! (8x)^k), whose smallest term
// (near k = 2x) is below e^-2x. Unscaled, e^x overflows above 709.78, as torch's (inf; inf itself: NaN).
TG_HD double bessel_i(int nu, double x, bool scaled) {
  if (x < 20.0) {
    double q = 0.25 * x * x, term = nu ? 0.5 * x : 1.0, sum = term;
    for (int k = 1; k < 200 && term > 1e-17 * sum; ++k) sum += (term *= q / (k * (k + nu)));
    return scaled ? sum * std::exp(-x) : sum;
  }
  if (x == INFINITY) return scaled ? 0.0 : NAN;
  double mu = 4.0 * nu * nu, term = 1.0, sum = 1.0;
  for (int k = 1; k < 60 && std::fabs(term) > 1e-17 * std::fabs(sum); ++k) {
    double odd = 2 * k - 1;
    sum += (term *= -(mu - odd * odd) / (8.0 * k * x));
  }
  double s = sum / std::sqrt(6.283185307179586477 * x);
  return scaled ? s : std::exp(x) * s;
}
struct ErfcxOp {
  template <class T> TG_HD T operator()(T x) const { return T(erfcx_double(double(x))); }
};
struct I0Op {
  template <class T> TG_HD T operator()(T x) const { return T(bessel_i(0, std::fabs(double(x)), false)); }
};
struct I0eOp {
  template <class T> TG_HD T operator()(T x) const { return T(bessel_i(0, std::fabs(double(x)), true)); }
};
// I1 is odd.
struct I1Op {
  template <class T> TG_HD T operator()(T x) const {
    double v = bessel_i(1, std::fabs(double(x)), false);
    return T(x < T(0) ? -v : v);
  }
};
struct I1eOp {
  template <class T> TG_HD T operator()(T x) const {
    double v = bessel_i(1, std::fabs(double(x)), true);
    return T(x < T(0) ? -v : v);
  }
};
// The Hurwitz zeta function zeta(x, q) = sum_k (q + k)^-x (hurwitz_zeta above).
struct ZetaOp {
  template <class T> TG_HD T operator()(T x, T q) const {
    if constexpr (std::is_floating_point_v<T>) return T(hurwitz_zeta(double(x), double(q)));
    else return T(0);
  }
};
// The regularized incomplete gamma functions P(a, x) = gammainc and Q(a, x) = 1 - P = gammaincc, for
// a, x > 0: the series e^-x x^a / Gamma(a + 1) sum_n x^n / ((a + 1)...(a + n)) gives P where x < a + 1,
// the continued fraction (modified Lentz) gives Q elsewhere; the other is one minus it. Returns P, or Q
// when `upper`; the edge values as torch's (NaN outside the domain, a = 0 or an infinity decided first).
TG_HD double incomplete_gamma(double a, double x, bool upper) {
  if (a != a || x != x || x < 0.0 || a < 0.0) return NAN;
  if (a == 0.0) return x > 0.0 ? (upper ? 0.0 : 1.0) : NAN;
  if (x == 0.0) return upper ? 1.0 : 0.0;
  if (a == INFINITY) return x == INFINITY ? NAN : (upper ? 1.0 : 0.0);
  if (x == INFINITY) return upper ? 0.0 : 1.0;
  double front = std::exp(a * std::log(x) - x - lgamma_double(a));
  if (x < a + 1.0) {
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 100000 && term > 1e-17 * sum; ++n) sum += (term *= x / (a + n));
    double p = front * sum;
    return upper ? 1.0 - p : p;
  }
  const double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    d = std::fabs(d) < tiny ? tiny : d;
    c = b + an / c;
    c = std::fabs(c) < tiny ? tiny : c;
    d = 1.0 / d;
    double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < 1e-16) break;
  }
  double q = front * h;
  return upper ? q : 1.0 - q;
}
struct IgammaOp {
  template <class T> TG_HD T operator()(T a, T x) const {
    if constexpr (std::is_floating_point_v<T>) return T(incomplete_gamma(double(a), double(x), false));
    else return T(0);
  }
};
struct IgammacOp {
  template <class T> TG_HD T operator()(T a, T x) const {
    if constexpr (std::is_floating_point_v<T>) return T(incomplete_gamma(double(a), double(x), true));
    else return T(0);
  }
};

// Functors of TG_BINARY_FLOAT_OPS: the CPU kernels instantiate them for float and double only.
template <class F> struct is_float_only : std::false_type {};
#define TG_FLOAT_ONLY(name, F, ARGS) \
  template <> struct is_float_only<F> : std::true_type {};
TG_BINARY_FLOAT_OPS(TG_FLOAT_ONLY)
#undef TG_FLOAT_ONLY

// Op ids: one enum per family, generated from the lists.
#define TG_ENUM_ENTRY(name, functor, ARGS) name,
enum class UnaryOpId {
  TG_UNARY_FLOAT_OPS(TG_ENUM_ENTRY) TG_UNARY_FLOATING_OPS(TG_ENUM_ENTRY) TG_UNARY_OPS(TG_ENUM_ENTRY)
      TG_UNARY_INT_OPS(TG_ENUM_ENTRY) logical_not
};
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
  template <class T> TG_HD T operator()(T x) const {
    const T s = T(slope);  // (read before the condition: see RoundDecimalsOp)
    return x > T(0) ? x : x * s;
  }
};

}  // namespace tg
