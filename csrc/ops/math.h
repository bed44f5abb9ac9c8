// Branch-free float32 exp/log/tanh for the CPU: plain arithmetic and selects,
// so loops calling them auto-vectorize (libm calls would not). On the GPU the
// functors use CUDA's own expf/logf instead. Cephes-style range reduction and
// minimax polynomials; max error about 2 ulp over the whole float range.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#ifdef __CUDACC__
#define TG_HD __host__ __device__ __forceinline__
#else
#define TG_HD inline __attribute__((always_inline))
#endif

// Host-only helpers, always inlined: the CPU kernels are compiled once per ISA
// (cpu/isa.h), and an out-of-line copy would be shared between the ISAs.
#define TG_CPU_INLINE inline __attribute__((always_inline))

namespace tg::math {

TG_CPU_INLINE float bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}
TG_CPU_INLINE int32_t float_to_bits(float f) {
  int32_t i;
  std::memcpy(&i, &f, 4);
  return i;
}
TG_CPU_INLINE double bits_to_double(int64_t i) {
  double f;
  std::memcpy(&f, &i, 8);
  return f;
}
TG_CPU_INLINE int64_t double_to_bits(double f) {
  int64_t i;
  std::memcpy(&i, &f, 8);
  return i;
}

// exp(r) for |r| <= ln2/2: Cephes' polynomial.
TG_CPU_INLINE float exp_of_reduced(float r) {
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  return p * (r * r) + r + 1.0f;
}

// exp(r) for |r| <= ln2/2 after the reduction x = n*ln2 + r, n = round(x / ln2); valid for
// |x| <= 88. The caller scales by 2^n and handles overflow, underflow and NaN as it needs.
TG_CPU_INLINE float expf_reduced(float x, float& n) {
  // Round to nearest with the 1.5 * 2^23 trick: plain adds, so SSE2 vectorizes it too.
  n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  return exp_of_reduced(r);
}

// The shift is done unsigned: a NaN input makes the biased exponent negative (the result is then
// discarded by the callers' NaN select).
TG_CPU_INLINE float pow2i(float n) {
  return bits_to_float(static_cast<int32_t>(static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23));
}

TG_CPU_INLINE float expf_poly(float x) {
  // NOTE: exp(x) = 2^n * exp(r), n = round(x / ln2), |r| <= ln2/2.
  float xc = x > 88.3762626647949f ? 88.3762626647949f : x;
  xc = xc < -87.3365447504f ? -87.3365447504f : xc;  // keeps 2^n a normal float
  float n;
  float p = expf_reduced(xc, n);
  float y = p * pow2i(n);
  y = x > 88.72283935546875f ? INFINITY : y;
  y = x < -103.972084045410f ? 0.0f : y;
  // Between -103.97 and -87.34 the true result is subnormal; go through two scalings.
  float small = p * pow2i(n + 64.0f) * 5.42101086e-20f;  // 2^-64
  y = (x < -87.3365447504f && x >= -103.972084045410f) ? small : y;
  return x != x ? x : y;
}

// log(2^e (1 + m)) for m in [sqrt(1/2) - 1, sqrt(2) - 1]: Cephes' polynomial, ln2 in two parts.
TG_CPU_INLINE float log_reduced(float m, float e) {
  float z = m * m;
  float p = 7.0376836292E-2f;
  p = p * m - 1.1514610310E-1f;
  p = p * m + 1.1676998740E-1f;
  p = p * m - 1.2420140846E-1f;
  p = p * m + 1.4249322787E-1f;
  p = p * m - 1.6668057665E-1f;
  p = p * m + 2.0000714765E-1f;
  p = p * m - 2.4999993993E-1f;
  p = p * m + 3.3333331174E-1f;
  float y = m * z * p;
  y += -2.12194440e-4f * e;
  y += -0.5f * z;
  y = m + y;
  return y + 0.693359375f * e;
}

TG_CPU_INLINE float logf_poly(float x) {
  // NOTE: log(x) = e*ln2 + log(m), m in [sqrt(1/2), sqrt(2)).
  int32_t bits = float_to_bits(x);
  bool subnormal = x < 1.17549435e-38f;
  float xs = subnormal ? x * 16777216.0f : x;  // 2^24 lifts subnormals
  bits = float_to_bits(xs);
  float e = static_cast<float>(((bits >> 23) & 0xff) - 126) - (subnormal ? 24.0f : 0.0f);
  float m = bits_to_float((bits & 0x007fffff) | 0x3f000000);  // [0.5, 1)
  bool lo = m < 0.707106781186547524f;
  e = lo ? e - 1.0f : e;
  m = lo ? m + m - 1.0f : m - 1.0f;
  float y = log_reduced(m, e);
  y = x == INFINITY ? INFINITY : y;
  y = x == 0.0f ? -INFINITY : y;
  y = x < 0.0f ? NAN : y;
  return x != x ? x : y;
}

TG_CPU_INLINE float tanhf_poly(float x) {
  // Small |x|: odd polynomial (no cancellation). Otherwise tanh(x) = 1 - 2 / (e^{2x} + 1),
  // which holds for both signs and saturates correctly (e^{2x} = inf or 0).
  float z = x * x;
  float p = -5.70498872745E-3f;
  p = p * z + 2.06390887954E-2f;
  p = p * z - 5.37397155531E-2f;
  p = p * z + 1.33314422036E-1f;
  p = p * z - 3.33332819422E-1f;
  float small = x + x * z * p;
  // |x| >= 10 gives +-1 in float: clamping there lets the bare exp core serve (no overflow or
  // underflow cases; NaN fails both compares and is returned below).
  float xc = x > 10.0f ? 10.0f : x;
  xc = xc < -10.0f ? -10.0f : xc;
  float n;
  float e = expf_reduced(2.0f * xc, n);  // sets n: scale in a second statement
  e *= pow2i(n);
  float large = 1.0f - 2.0f / (e + 1.0f);
  float y = z < 0.390625f ? small : large;
  return x != x ? x : y;
}

// exp(x) for x clamped to [-87.3, 88.3] (normal results only): the bare core, for callers whose
// argument is bounded or who do not need the overflow, underflow and NaN cases of expf_poly (whose extra
// selects keep GCC from vectorizing loops that combine them with other conditions).
TG_CPU_INLINE float expf_bounded(float x) {
  float xc = x > 88.3f ? 88.3f : x;
  xc = xc < -87.3f ? -87.3f : xc;
  float n;
  float p = expf_reduced(xc, n);
  return p * pow2i(n);
}

// erf(x) for float: x * P(x^2) for |x| < 0.9, else 1 - exp(-x^2) * Q(|x| - 2.45), 1 beyond 3.95.
// P and Q are least-squares fits on Chebyshev nodes (fit in float64, checked in float32: within
// 2e-7 relative on the first range, 1e-7 absolute on the second).
TG_CPU_INLINE float erff_poly(float x) {
  float ax = x < 0.0f ? -x : x;
  float e = expf_bounded(-x * x);
  float z = x * x;
  float p = -6.106989575826347e-4f;
  p = p * z + 5.015357350402789e-3f;
  p = p * z - 2.678133977971123e-2f;
  p = p * z + 1.1282212116597987e-1f;
  p = p * z - 3.7612530639449715e-1f;
  p = p * z + 1.1283791550268802f;
  float small = x * p;
  float v = (ax > 3.95f ? 3.95f : ax) - 2.45f;
  float q = 1.9975958550674967e-6f;
  q = q * v - 7.549283699393918e-6f;
  q = q * v + 1.5774077225751952e-5f;
  q = q * v - 5.8451323954678655e-5f;
  q = q * v + 2.3566403362793048e-4f;
  q = q * v - 8.079947273811618e-4f;
  q = q * v + 2.6569498645859016e-3f;
  q = q * v - 8.510384205594251e-3f;
  q = q * v + 2.617652361357745e-2f;
  q = q * v - 7.690283949010901e-2f;
  q = q * v + 2.1458708046907166e-1f;
  float large = 1.0f - e * q;
  large = ax > 3.95f ? 1.0f : large;
  large = x < 0.0f ? -large : large;
  float y = ax < 0.9f ? small : large;
  return x != x ? x : y;
}

// erfc(a) for a >= 0, given e = exp(-a^2): e times a polynomial in t = 1 / (1 + a / 2) (least-squares fit
// of erfc(a) exp(a^2) for relative error, in float64 on Chebyshev nodes of t, a up to 10; checked in
// float32: within 4e-7 relative). No cancellation in either tail: the normal CDF 0.5 erfc(-x / sqrt 2)
// (gelu) takes it for both signs, one polynomial instead of erf's two.
TG_CPU_INLINE float erfcf_with_exp(float a, float e) {
  float t = 1.0f / (1.0f + 0.5f * a);
  float q = -0.05433047203903282f;
  q = q * t + 0.26012769531586616f;
  q = q * t - 0.43295462969247545f;
  q = q * t + 0.21033686385097922f;
  q = q * t + 0.02564511633166812f;
  q = q * t + 0.17691685704057303f;
  q = q * t + 0.2511932125364836f;
  q = q * t + 0.28082077430315827f;
  q = q * t + 0.2822519898953089f;
  q = q * t - 7.438237787763501e-06f;
  return q * e;
}

// gelu(x) = x Phi(x) for float, Phi the normal CDF: with h = erfc(|x| / sqrt 2) / 2 = e q(t), e = exp(-x^2 / 2),
// t = 1 / (1 + |x| / sqrt 8), Phi is h for x < 0 and 1 - h above (no cancellation in either tail). q is a
// least-squares fit of h / e for relative error (float64, Chebyshev nodes of t for |x| up to 13.2; checked in
// float32: within 4.2e-7). The exp takes one-step range reduction: its error (n ulps of ln2, n <= 126) stays
// below that of the rounded argument x^2 / 2.
TG_CPU_INLINE float geluf_poly(float x) {
  const float t = 1.0f / (1.0f + std::fabs(x) * 0.353553390593273762f);
  float z = -0.5f * x * x;
  const bool far = z < -87.3f;  // |x| > 13.2: |gelu| below 1e-37, taken as -0 (as torch's)
  z = far ? -87.3f : z;
  const float n = (z * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = z - n * 0.693147180559945309f;
  const float e = exp_of_reduced(r) * pow2i(n);
  float q = -0.006157957850143895f;
  q = q * t + 0.07669991205430463f;
  q = q * t - 0.24921193356094082f;
  q = q * t + 0.27716605031595554f;
  q = q * t - 0.037377235571483855f;
  q = q * t + 0.16373281982740645f;
  q = q * t + 0.13332701728681323f;
  q = q * t + 0.14185711709486726f;
  q = q * t - 3.568142908985854e-05f;
  const float xh = far ? -0.0f : x * (q * e);
  return x <= 0.0f ? xh : x - xh;  // (NaN: NaN through t)
}

// log|Gamma(x)| for float: Lanczos' approximation (g = 5, six terms: Numerical Recipes' coefficients) for
// z = x >= 0.5, the reflection log(pi / |sin(pi x)|) - lgamma(1 - x) below, both computed and selected. Within
// about 1e-7 absolute near the zeros at 1 and 2 (exact at them) and a few float ulps elsewhere (checked against
// float64).
TG_CPU_INLINE float lgammaf_poly(float x) {
  bool reflect = x < 0.5f;
  float z = reflect ? 1.0f - x : x;
  float a = 1.000000000190015f + 76.18009172947146f / z - 86.50532032941677f / (z + 1.0f) +
            24.01409824083091f / (z + 2.0f) - 1.231739572450155f / (z + 3.0f) + 1.208650973866179e-3f / (z + 4.0f) -
            5.395239384953e-6f / (z + 5.0f);
  float t = z + 4.5f;
  float lg = (z - 0.5f) * logf_poly(t) - t + logf_poly(2.5066282746310005f * a);
  // |sin(pi x)| from r = x - round(x) in [-0.5, 0.5] (round by the 1.5 * 2^23 trick, exact below 2^22)
  float xr = (x < 4194304.0f && x > -4194304.0f) ? x : 0.0f;
  float r = xr - ((xr + 12582912.0f) - 12582912.0f);
  float u = r * 3.14159265358979323846f, u2 = u * u;
  float sp = 1.0f / 39916800.0f;
  sp = -sp * u2 + 1.0f / 362880.0f;
  sp = sp * u2 - 1.0f / 5040.0f;
  sp = sp * u2 + 1.0f / 120.0f;
  sp = sp * u2 - 1.0f / 6.0f;
  sp = u + u * u2 * sp;
  sp = sp < 0.0f ? -sp : sp;
  float y = reflect ? logf_poly(3.14159265358979323846f / sp) - lg : lg;
  y = (x == INFINITY || x == -INFINITY) ? INFINITY : y;
  y = (x == 1.0f || x == 2.0f) ? 0.0f : y;  // (the zeros exact, as torch's lgammaf gives them)
  return x != x ? x : y;
}

// log1p(u) without cancellation (Goldberg): log(1 + u) * u / ((1 + u) - 1), u where 1 + u rounds to 1.
TG_CPU_INLINE float log1pf_poly(float u) {
  float w = 1.0f + u;
  float d = w - 1.0f;
  float y = logf_poly(w) * (u / (d == 0.0f ? 1.0f : d));
  y = d == 0.0f ? u : y;
  return w == INFINITY ? w : y;
}

// 2^x for x <= 0 (NaN passes through): 2^n exp(f ln2) with n = round(x) and f = x - n exact (so no rounding of
// x ln2 is amplified), 2^n applied in two halves to reach the subnormal results; 0 below -150.
TG_CPU_INLINE float exp2f_nonpositive(float x) {
  float xc = x < -151.0f ? -151.0f : x;
  float n = (xc + 12582912.0f) - 12582912.0f;
  float f = xc - n;
  float ignored;
  float nh = (n * 0.5f + 12582912.0f) - 12582912.0f;
  return expf_reduced(f * 0.693147180559945309f, ignored) * pow2i(nh) * pow2i(n - nh);
}

// exp(x) for x <= 0 down to the subnormal results (NaN passes through): 2^n applied in two halves, as above;
// 0 below -104 (e^-104 is below half the smallest subnormal).
TG_CPU_INLINE float expf_nonpositive(float x) {
  float xc = x < -104.0f ? -104.0f : x;
  float n;
  float p = expf_reduced(xc, n);
  float nh = (n * 0.5f + 12582912.0f) - 12582912.0f;
  return p * pow2i(nh) * pow2i(n - nh);
}

// log(1 + e) for e in [0, 1] (log1p of an exp(-|x|): softplus, logaddexp): w = 1 + e is in [1, 2], so log(w)
// needs no exponent extraction (w or w / 2 in [sqrt(1/2), sqrt(2)], both exact) and no special cases; the
// rounding error d = e - (w - 1) of w (exact) adds d / w ~ d (2 - w) (good to (w - 1)^2 d: within an ulp).
TG_CPU_INLINE float log1pf_unit(float e) {
  float w = 1.0f + e;
  float d = e - (w - 1.0f);
  bool hi = w > 1.41421356237309505f;
  float m = hi ? w * 0.5f - 1.0f : w - 1.0f;
  float k = hi ? 1.0f : 0.0f;
  return log_reduced(m, k) + d * (2.0f - w);
}

// fmod(a, b) for floats, exact (as C's): in double, |a| is reduced modulo B = |b| 2^e in `Steps` steps, e
// falling by 49 per step to 0, so each quotient q = trunc(x / B) is below 2^50 (from x times 1 / B: off by at
// most one, fixed by one add or subtract of B); the remainder fma(-q, B, x) is a multiple of the lowest bit of
// B below 2^25 of them, so exact. Steps = 6 covers every pair of floats (|a / b| < 2^277); Steps = 1 those with
// |a| < 2^48 |b|. NaN where b is 0 or a infinite (or either NaN), a where b is infinite; the sign of a.
template <int Steps> TG_CPU_INLINE float fmodf_exact(float a, float b) {
  const double x0 = std::fabs(double(a)), y = std::fabs(double(b));
  const int64_t d = ((double_to_bits(x0) >> 52) & 0x7ff) - ((double_to_bits(y) >> 52) & 0x7ff);
  const double rb = 1.0 / y;
  double x = x0;
  for (int i = 1; i <= Steps; ++i) {
    int64_t e = d - 49 * i;
    e = e < 0 ? 0 : e > 1022 ? 1022 : e;  // (above 277 only for b = 0, inf or NaN, whose result is replaced)
    const double B = y * bits_to_double(uint64_t(e + 1023) << 52), rB = rb * bits_to_double(uint64_t(1023 - e) << 52);
    const double q = std::trunc(x * rB);
    double r = std::fma(-q, B, x);
    r = r < 0.0 ? r + B : r;
    x = r >= B ? r - B : r;
  }
  float r = std::copysign(static_cast<float>(x), a);
  r = y == INFINITY ? a : r;
  return (y == 0.0) | (x0 == INFINITY) | (a != a) | (b != b) ? NAN : r;
}

// expm1(x): a Taylor polynomial for |x| < 0.5 (no cancellation), exp(x) - 1 beyond.
TG_CPU_INLINE float expm1f_poly(float x) {
  float p = 1.0f / 40320.0f;
  p = p * x + 1.0f / 5040.0f;
  p = p * x + 1.0f / 720.0f;
  p = p * x + 1.0f / 120.0f;
  p = p * x + 1.0f / 24.0f;
  p = p * x + 1.0f / 6.0f;
  p = p * x + 0.5f;
  float small = x + x * x * p;
  float large = expf_bounded(x) - 1.0f;
  large = x > 88.72283935546875f ? INFINITY : large;
  float y = std::fabs(x) < 0.5f ? small : large;
  return x != x ? x : y;
}

}  // namespace tg::math
