// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11): a counter-based generator, so element i of a random tensor is a pure
// function of (seed, offset + i). It is the CUDA tensors' stream (CPU tensors
// draw from torch's Mersenne Twister, core/generator.h, for torch's numbers).
//
// The transforms from Philox words to uniform, normal, integer and Bernoulli
// values use only integer operations and IEEE double +, -, *, / and sqrt, each
// rounded on its own, in one fixed order, so the stream is the same on every
// GPU and equals a Python reference bitwise:
//  * no contraction into FMAs: nvcc fuses a * b + c by default, which changes
//    the last bit; rn::mul/add/sub below keep every product and sum separate;
//  * no libm: normal_'s log and cos are evaluated here (rn::log, rn::cos2pi).
// tests/test_cuda_extra.py checks the PTX of these transforms holds no fma and,
// on a GPU, the CUDA stream against the Python reference.
#pragma once
#include <cstdint>
#include <cstring>
#include "math.h"

namespace tg {

struct Philox4x32 {
  uint32_t v[4];
};

TG_HD Philox4x32 philox(uint64_t seed, uint64_t counter) {
  uint32_t c0 = uint32_t(counter), c1 = uint32_t(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t(0xD2511F53u) * c0, p1 = uint64_t(0xCD9E8D57u) * c2;
    uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0, n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
    c0 = n0;
    c1 = uint32_t(p1);
    c2 = n2;
    c3 = uint32_t(p0);
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

// ------------------------------------------------------------------ separately rounded double arithmetic
namespace rn {

// On the host, a compiler may fuse a product into a following add only where the target has an FMA
// instruction (it then defines __FP_FAST_FMA). There an empty asm makes each product opaque, so it is
// rounded and stored before it is added. x86-64's baseline has no FMA: plain arithmetic.
#if !defined(__CUDA_ARCH__) && defined(__FP_FAST_FMA) && (defined(__GNUC__) || defined(__clang__))
#if defined(__x86_64__) || defined(__i386__)
#define TG_RN_OPAQUE(v) __asm__("" : "+x"(v))
#elif defined(__aarch64__)
#define TG_RN_OPAQUE(v) __asm__("" : "+w"(v))
#else
#define TG_RN_OPAQUE(v) __asm__("" : "+m"(v))
#endif
#else
#define TG_RN_OPAQUE(v) ((void)0)
#endif

TG_HD double mul(double x, double y) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(x, y);  // never contracted into an fma
#else
  double p = x * y;
  TG_RN_OPAQUE(p);
  return p;
#endif
}
TG_HD double add(double x, double y) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(x, y);
#else
  return x + y;
#endif
}
TG_HD double sub(double x, double y) {
#ifdef __CUDA_ARCH__
  return __dsub_rn(x, y);
#else
  return x - y;
#endif
}
TG_HD double div(double x, double y) {
#ifdef __CUDA_ARCH__
  return __ddiv_rn(x, y);
#else
  return x / y;
#endif
}
TG_HD double sqrt(double x) {
#ifdef __CUDA_ARCH__
  return __dsqrt_rn(x);
#else
  return std::sqrt(x);  // IEEE: correctly rounded
#endif
}

// log(x) for a positive normal x (normal_ calls it on (0, 1]). x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
// log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: the odd series of atanh to s^21 (about
// 1 ulp); e * log(2) with log(2) split in two so that e * hi is exact.
TG_HD double log(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  int e = int((bits >> 52) & 0x7ff) - 1023;
  bits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;  // m in [1, 2)
  double m;
  std::memcpy(&m, &bits, 8);
  if (m > 1.4142135623730951) {  // exact halving keeps m - 1 small
    m = mul(m, 0.5);
    e += 1;
  }
  const double f = sub(m, 1.0);  // exact (Sterbenz)
  const double s = div(f, add(2.0, f));
  const double t = mul(s, s);
  double q = 0.047619047619047616;          // 1/21
  q = add(mul(q, t), 0.05263157894736842);  // 1/19
  q = add(mul(q, t), 0.058823529411764705);
  q = add(mul(q, t), 0.06666666666666667);
  q = add(mul(q, t), 0.07692307692307693);
  q = add(mul(q, t), 0.09090909090909091);
  q = add(mul(q, t), 0.1111111111111111);
  q = add(mul(q, t), 0.14285714285714285);
  q = add(mul(q, t), 0.2);
  q = add(mul(q, t), 0.3333333333333333);  // 1/3
  const double two_s = mul(2.0, s);
  const double log_m = add(two_s, mul(two_s, mul(t, q)));  // 2s (1 + t q(t))
  const double de = double(e);
  constexpr double kLn2Hi = 0.6931467056274414;      // log(2) to 21 bits: de * kLn2Hi is exact
  constexpr double kLn2Lo = 4.7493250390316726e-07;  // log(2) - kLn2Hi
  return add(mul(de, kLn2Hi), add(log_m, mul(de, kLn2Lo)));
}

// cos(2 pi k / 2^32) for a 32-bit k: the quarter turn n nearest to k / 2^32 is split off exactly in
// integers, leaving r in [-1/8, 1/8] turns, and cos(2 pi r) or sin(2 pi r) is a Taylor polynomial in r
// (terms to r^19; about 1 ulp).
TG_HD double cos2pi(uint32_t k) {
  const int64_t n = (int64_t(k) + (int64_t(1) << 29)) >> 30;                 // 0..4 quarter turns
  const double r = mul(double(int64_t(k) - (n << 30)), 1.0 / 4294967296.0);  // exact, |r| <= 1/8
  const double r2 = mul(r, r);
  double c = -0.03638284114254567;  // (2 pi)^18 / 18!, sign of r^18
  c = add(mul(c, r2), 0.28200596845579123);
  c = add(mul(c, r2), -1.714390711088672);
  c = add(mul(c, r2), 7.903536371318469);
  c = add(mul(c, r2), -26.4262567833744);
  c = add(mul(c, r2), 60.24464137187666);
  c = add(mul(c, r2), -85.45681720669373);
  c = add(mul(c, r2), 64.9393940226683);
  c = add(mul(c, r2), -19.739208802178716);
  c = add(mul(c, r2), 1.0);          // cos(2 pi r)
  double s = -0.012031585942120627;  // (2 pi)^19 / 19!, sign of r^19
  s = add(mul(s, r2), 0.10422916220813984);
  s = add(mul(s, r2), -0.7181223017785006);
  s = add(mul(s, r2), 3.819952584848282);
  s = add(mul(s, r2), -15.09464257682299);
  s = add(mul(s, r2), 42.058693944897655);
  s = add(mul(s, r2), -76.70585975306139);
  s = add(mul(s, r2), 81.60524927607506);
  s = add(mul(s, r2), -41.34170224039976);
  s = add(mul(s, r2), 6.283185307179586);
  s = mul(s, r);    // sin(2 pi r)
  switch (n & 3) {  // cos(2 pi r + n pi / 2)
    case 0: return c;
    case 1: return -s;
    case 2: return -c;
    default: return s;
  }
}

}  // namespace rn

// The distributions of the random fills: a and b are (from, to), (mean, std), (from, to), p, lambda, (median, sigma),
// (mean, std of the log), p; kRandomDefault is random_() without bounds (CPU only).
enum RandomKind {
  kUniform = 0,
  kNormal = 1,
  kRandInt = 2,
  kBernoulli = 3,
  kExponential = 4,
  kCauchy = 5,
  kLogNormal = 6,
  kGeometric = 7,
  kRandomDefault = 8
};

// The value of element i for each distribution; T is the tensor's type. Floating values are computed in
// double with rn:: arithmetic (see the top of this file) and rounded to T once.
template <class T> TG_HD T random_value(int kind, double a, double b, uint64_t seed, uint64_t counter) {
  Philox4x32 r = philox(seed, counter);
  // 53-bit uniform in [0, 1) from two words (exact: a 53-bit integer times 2^-53).
  double u = rn::mul(double((uint64_t(r.v[0]) << 21) ^ (r.v[1] >> 11)), 1.0 / 9007199254740992.0);
  switch (kind) {
    case kUniform: {
      T v = T(rn::add(a, rn::mul(rn::sub(b, a), u)));
      return (v >= T(b) && b > a) ? T(a) : v;  // float rounding must not reach the open upper end
    }
    case kNormal: {
      // NOTE: Box-Muller; u1 in (0, 1] keeps log finite.
      double u1 = rn::sub(1.0, rn::mul(double(r.v[2]), 1.0 / 4294967296.0));  // exact
      double radius = rn::sqrt(rn::mul(-2.0, rn::log(u1)));
      return T(rn::add(a, rn::mul(rn::mul(b, radius), rn::cos2pi(r.v[3]))));
    }
    case kRandInt: {
      uint64_t range = uint64_t(int64_t(b) - int64_t(a));
      uint64_t x = (uint64_t(r.v[2]) << 32) | r.v[3];
      return T(int64_t(a) + int64_t(x % range));
    }
    default: return T(u < a ? 1 : 0);
  }
}

// The distributions derived from the ones above (kExponential .. kGeometric), with the library's math functions.
template <class T> TG_HD T derived_random_value(int kind, double a, double b, uint64_t seed, uint64_t counter) {
  switch (kind) {
    case kExponential: return T(-1.0 / a * log(1.0 - random_value<double>(kUniform, 0.0, 1.0, seed, counter)));
    case kCauchy: {
      const double u = random_value<double>(kUniform, 0.0, 1.0, seed, counter);
      return T(a + b * tan(3.14159265358979323846 * (u - 0.5)));
    }
    case kLogNormal: return T(exp(random_value<double>(kNormal, a, b, seed, counter)));
    default: return T(ceil(log(random_value<double>(kUniform, 0.0, 1.0, seed, counter)) / log(1.0 - a)));
  }
}

}  // namespace tg
