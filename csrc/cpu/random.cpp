// Random fills of CPU tensors from the CPU generator, draw for draw as torch's CPU kernels
// (aten/src/ATen/native/cpu/DistributionTemplates.h and core/DistributionsHelper.h), so a seed gives torch's
// numbers: one draw per element in order, uniform floats from the top bits of one 32-bit draw (24 for float32,
// 11 for float16, 8 for bfloat16), doubles from 53 bits of a 64-bit draw, normals by Box-Muller (16 at a time for
// a contiguous tensor of 16+ elements, else pairs in double with the second one cached). Serial: the stream is
// sequential, as torch's. Built with -ffp-contract=off (CMakeLists.txt): torch's arithmetic is not contracted.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "../core/generator.h"
#include "../core/half.h"
#include "../ops/philox.h"  // RandomKind
#include "kernels.h"

namespace tg::cpu {
namespace {
constexpr double kPi = 3.14159265358979323846;
#define TG_INLINE inline __attribute__((always_inline))

// The type torch draws T in: double for double, float for the others (float16 and bfloat16 values are float
// draws rounded).
template <class T> using acc_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// torch's uniform_real_distribution<A>(from, to) for A = float or double: the low 24 bits of a 32-bit draw or the
// low 53 of a 64-bit one, times 2^-24 or 2^-53, times (to - from), plus from
// (torch's vectorized CPU build contracts the last multiply and add: one rounding)
template <class A> TG_INLINE A uniform(CpuGenerator& g, A from, A to) {
  constexpr int digits = std::is_same_v<A, double> ? 53 : 24;
  constexpr uint64_t mask = (uint64_t(1) << digits) - 1;
  const uint64_t v = std::is_same_v<A, double> ? g.random64() : g.random();
  const A x = A(v & mask) * (A(1) / A(uint64_t(1) << digits));
  return std::fma(x, to - from, from);
}
double uniform01(CpuGenerator& g) { return uniform<double>(g, 0.0, 1.0); }

template <class T> constexpr int digits() {  // of T's significand, for random_() without bounds
  if constexpr (std::is_same_v<T, double>) return 53;
  else if constexpr (std::is_same_v<T, Half>) return 11;
  else if constexpr (std::is_same_v<T, BFloat16>) return 8;
  else return 24;
}

// torch's normal_distribution<double>: Box-Muller on two doubles, the sine sample kept for the next call.
double normal_double(CpuGenerator& g, double mean, double std) {
  double z;
  if (g.next_double_normal) {
    z = *g.next_double_normal;
    g.next_double_normal.reset();
  } else {
    const double u1 = uniform01(g), u2 = uniform01(g);
    const double r = std::sqrt(-2.0 * std::log1p(-u2)), theta = 2.0 * kPi * u1;
    g.next_double_normal = r * std::sin(theta);
    z = r * std::cos(theta);
  }
  return z * std + mean;
}

// float32 log and sine/cosine as torch's vectorized normal_ evaluates them: the Cephes polynomials of its
// avx_mathfun.h (range reduction by frexp and by multiples of pi/4 in three parts), each multiply-add fused where its
// compiler fuses them. Its float32 randn is then equal bit for bit (tests/test_random_torch.py).
// (Written as loops over the 8 lanes of one vector, branch-free, so that the AVX2 copy vectorizes them.)
TG_INLINE void torch_logf8(const float* in, float* out) {  // in > 0 and normal (here 1 - u: in [2^-24, 1])
  for (int l = 0; l < 8; ++l) {
    uint32_t b;
    std::memcpy(&b, in + l, sizeof b);
    const uint32_t mb = (b & ~0x7f800000U) | 0x3f000000U;  // the significand in [0.5, 1)
    float x;
    std::memcpy(&x, &mb, sizeof x);
    const bool small = x < 0.707106781186547524f;
    const float e = float(int32_t(b >> 23) - 0x7f) + 1.0f - (small ? 1.0f : 0.0f);
    x = (x - 1.0f) + (small ? x : 0.0f);
    const float z = x * x;
    float y = 7.0376836292e-2f;
    y = std::fma(y, x, -1.1514610310e-1f);
    y = std::fma(y, x, 1.1676998740e-1f);
    y = std::fma(y, x, -1.2420140846e-1f);
    y = std::fma(y, x, 1.4249322787e-1f);
    y = std::fma(y, x, -1.6668057665e-1f);
    y = std::fma(y, x, 2.0000714765e-1f);
    y = std::fma(y, x, -2.4999993993e-1f);
    y = std::fma(y, x, 3.3333331174e-1f);
    y = std::fma(y * x, z, e * -2.12194440e-4f);
    y = std::fma(-z, 0.5f, y);
    out[l] = std::fma(e, 0.693359375f, x + y);
  }
}

TG_INLINE void torch_sincosf8(const float* in, float* sin_out, float* cos_out) {  // in >= 0
  for (int l = 0; l < 8; ++l) {
    float x = in[l];
    const int32_t j = (int32_t(x * 1.27323954473516f) + 1) & ~1;  // the octant, rounded to even
    const float y = float(j);
    x = std::fma(y, -0.78515625f, x);
    x = std::fma(y, -2.4187564849853515625e-4f, x);
    x = std::fma(y, -3.77489497744594108e-8f, x);
    const float z = x * x;
    float c = std::fma(std::fma(2.443315711809948e-5f, z, -1.388731625493765e-3f), z, 4.166664568298827e-2f);
    c = std::fma(c * z, z, -(z * 0.5f)) + 1.0f;
    float s = std::fma(std::fma(-1.9515295891e-4f, z, 8.3321608736e-3f), z, -1.6666654611e-1f);
    s = std::fma(s * z, x, x);
    const bool swap = (j & 2) != 0;
    const float sv = swap ? c : s, cv = swap ? s : c;
    sin_out[l] = (j & 4) ? -sv : sv;
    cos_out[l] = (~(j - 2) & 4) ? -cv : cv;
  }
}

// Box-Muller over 16 uniforms: pairs (j, j + 8), as torch's vectorized float path (the functions above, theta in
// float, the final multiply-add fused) and its scalar double one (libm, theta in double).
template <class A> TG_INLINE void normal_16(A* d, A mean, A std) {
  if constexpr (std::is_same_v<A, float>) {
    float u1[8], theta[8], lg[8], s[8], c[8];
    for (int j = 0; j < 8; ++j) u1[j] = 1.0f - d[j], theta[j] = float(2.0 * kPi) * d[j + 8];
    torch_logf8(u1, lg);
    torch_sincosf8(theta, s, c);
    for (int j = 0; j < 8; ++j) {
      const float radius = std::sqrt(-2.0f * lg[j]);
      d[j] = std::fma(radius * c[j], std, mean);
      d[j + 8] = std::fma(radius * s[j], std, mean);
    }
  } else {
    for (int j = 0; j < 8; ++j) {
      const A u1 = A(1) - d[j], u2 = d[j + 8];
      const double radius = std::sqrt(-2.0 * std::log(u1)), theta = 2.0 * kPi * u2;
      d[j] = radius * std::cos(theta) * std + mean;
      d[j + 8] = radius * std::sin(theta) * std + mean;
    }
  }
}

// torch's normal_ of a contiguous tensor of 16+ elements: float32 and float64 draw every uniform first, then
// transform each block of 16, then redraw and transform the last 16 when n is no multiple of 16; float16 and
// bfloat16 draw and transform block by block in float32 (the last block the last 16 elements), then round.
template <class T> TG_INLINE void normal_fill(T* d, int64_t n, double mean, double std, CpuGenerator& g) {
  using A = acc_t<T>;
  if constexpr (std::is_same_v<T, A>) {
    for (int64_t i = 0; i < n; ++i) d[i] = uniform<T>(g, T(0), T(1));
    for (int64_t i = 0; i + 16 <= n; i += 16) normal_16(d + i, A(mean), A(std));
    if (n % 16 != 0) {
      T* tail = d + n - 16;
      for (int i = 0; i < 16; ++i) tail[i] = uniform<T>(g, T(0), T(1));
      normal_16(tail, A(mean), A(std));
    }
  } else {
    float block[16];
    auto one = [&](int64_t at) {
      for (float& u : block) u = uniform<float>(g, 0.0f, 1.0f);
      normal_16(block, float(mean), float(std));
      for (int i = 0; i < 16; ++i) d[at + i] = T(block[i]);
    };
    for (int64_t i = 0; i + 16 <= n; i += 16) one(i);
    if (n % 16 != 0) one(n - 16);
  }
}

// torch's random_() without bounds: [0, 2^digits] for floating types, [0, max] for integers, 0/1 for bool.
template <class T> T random_default(CpuGenerator& g) {
  if constexpr (std::is_same_v<T, bool>) return bool(g.random() & 1);
  else if constexpr (std::is_same_v<T, int64_t>) return T(g.random64() % (uint64_t(INT64_MAX) + 1));
  else if constexpr (std::is_same_v<T, double>) return T(g.random64() % ((uint64_t(1) << 53) + 1));
  else if constexpr (std::is_integral_v<T>) return T(g.random() % (uint64_t(std::numeric_limits<T>::max()) + 1));
  else return T(float(g.random() % ((uint64_t(1) << digits<T>()) + 1)));
}

template <class T> T cast(double v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return T(float(v));
  else return T(v);
}

template <class T> TG_INLINE void fill(T* p, int64_t n, int kind, double a, double b, CpuGenerator& g, bool dense) {
  constexpr bool floating = !std::is_integral_v<T>;
  switch (kind) {
    case kUniform:
      if constexpr (floating) {
        using A = acc_t<T>;
        const A from = A(a), to = A(b);
        for (int64_t i = 0; i < n; ++i) p[i] = T(uniform<A>(g, from, to));
      }
      return;
    case kNormal:
      if constexpr (floating) {
        if (dense && n >= 16) {
          normal_fill(p, n, a, b, g);
          return;
        }
        for (int64_t i = 0; i < n; ++i) p[i] = cast<T>(normal_double(g, a, b));
      }
      return;
    case kRandInt: {  // [a, b): a 64-bit draw for ranges of 2^32 and more (torch: for int64, double, float, bf16)
      const uint64_t range = uint64_t(int64_t(b) - int64_t(a));
      constexpr bool wide = std::is_same_v<T, int64_t> || std::is_same_v<T, double> || std::is_same_v<T, float> ||
                            std::is_same_v<T, BFloat16>;
      for (int64_t i = 0; i < n; ++i) {
        const uint64_t v = wide && range >= (uint64_t(1) << 32) ? g.random64() : g.random();
        p[i] = cast<T>(double(int64_t(v % range + uint64_t(int64_t(a)))));
      }
      return;
    }
    case kRandomDefault:
      for (int64_t i = 0; i < n; ++i) p[i] = random_default<T>(g);
      return;
    case kBernoulli:
      for (int64_t i = 0; i < n; ++i) p[i] = cast<T>(uniform01(g) < a ? 1.0 : 0.0);
      return;
    case kExponential:
      for (int64_t i = 0; i < n; ++i) p[i] = cast<T>(-1.0 / a * std::log(1.0 - uniform01(g)));
      return;
    case kCauchy:
      for (int64_t i = 0; i < n; ++i) p[i] = cast<T>(a + b * std::tan(kPi * (uniform01(g) - 0.5)));
      return;
    case kLogNormal:
      for (int64_t i = 0; i < n; ++i) p[i] = cast<T>(std::exp(normal_double(g, a, b)));
      return;
    case kGeometric:
      for (int64_t i = 0; i < n; ++i) p[i] = cast<T>(std::ceil(std::log(uniform01(g)) / std::log(1.0 - a)));
      return;
    default: TG_CHECK(false, "random fill: unknown distribution ", kind);
  }
}
}  // namespace

// One multiversioned entry per element type (templates cannot be cloned; everything they call is inlined into
// each copy): the AVX2/FMA copy computes the fused multiply-adds in one instruction instead of a libm call.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define TG_RANDOM_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TG_RANDOM_CLONES
#endif
#define TG_FILL(T, name)                                                                                   \
  TG_RANDOM_CLONES void name(T* p, int64_t n, int kind, double a, double b, CpuGenerator& g, bool dense) { \
    fill(p, n, kind, a, b, g, dense);                                                                      \
  }
namespace {
TG_FILL(float, fill_float)
TG_FILL(double, fill_double)
}  // namespace
#undef TG_FILL

void fill_random(const Tensor& t, int kind, double a, double b, CpuGenerator& g, bool dense) {
  const int64_t n = t->numel();
  switch (t->dtype) {
    case DType::Bool: return fill(t->data<bool>(), n, kind, a, b, g, dense);
    case DType::UInt8: return fill(t->data<uint8_t>(), n, kind, a, b, g, dense);
    case DType::Int8: return fill(t->data<int8_t>(), n, kind, a, b, g, dense);
    case DType::Int16: return fill(t->data<int16_t>(), n, kind, a, b, g, dense);
    case DType::Int32: return fill(t->data<int32_t>(), n, kind, a, b, g, dense);
    case DType::Int64: return fill(t->data<int64_t>(), n, kind, a, b, g, dense);
    case DType::Float16: return fill(t->data<Half>(), n, kind, a, b, g, dense);
    case DType::BFloat16: return fill(t->data<BFloat16>(), n, kind, a, b, g, dense);
    case DType::Float32: return fill_float(t->data<float>(), n, kind, a, b, g, dense);
    case DType::Float64: return fill_double(t->data<double>(), n, kind, a, b, g, dense);
  }
}

void randperm(int64_t* p, int64_t n, CpuGenerator& g) {
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  for (int64_t i = 0; i + 1 < n; ++i) {  // torch's: position i swapped with a uniform one of [i, n)
    const int64_t z = int64_t(g.random() % uint64_t(n - i));
    std::swap(p[i], p[i + z]);
  }
}

double uniform_double(CpuGenerator& g) { return uniform01(g); }

// torch's sample_poisson (aten/src/ATen/native/Distributions.cpp, after numpy's): no draw for a zero rate, the
// product of uniforms below 10 (the count of factors before it falls to exp(-lam)), Hoermann's transformed
// rejection (PTRS, 1993) from 10 on.
double poisson_double(double lam, CpuGenerator& g) {
  if (lam >= 10) {
    const double slam = std::sqrt(lam), loglam = std::log(lam), b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    const double log_invalpha = std::log(1.1239 + 1.1328 / (b - 3.4)), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const double u = uniform01(g) - 0.5, v = uniform01(g), us = 0.5 - std::abs(u);
      const double k = std::floor((2 * a / us + b) * u + lam + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (std::log(v) + log_invalpha - std::log(a / (us * us) + b) <= -lam + k * loglam - std::lgamma(k + 1)) return k;
    }
  }
  if (lam == 0) return 0;
  const double enlam = std::exp(-lam);
  double count = 0, prod = 1;
  for (;;) {
    prod *= uniform01(g);
    if (prod <= enlam) return count;
    count += 1;
  }
}

// torch's sample_gamma (aten/src/ATen/native/Distributions.h, after numpy's) as _s_gamma_cpu calls it: Marsaglia and
// Tsang's rejection (2000) in double, alpha < 1 raised by one and the sample scaled by U^(1/alpha); T is the
// tensor's type, in which torch does the steps its float literals leave in T. Not a number where torch never ends
// (alpha NaN or at most -2/3).
template <class T> T gamma_sample(T alpha, CpuGenerator& g) {
  double scale = 1.0;
  if (alpha < T(1)) {
    if (alpha == T(0)) return T(0);
    scale *= std::pow(1 - uniform01(g), T(1) / alpha);
    alpha += T(1);
  }
  const double d = alpha - T(1.0f / 3.0f);
  if (!(d > 0)) return std::numeric_limits<T>::quiet_NaN();
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, y;
    do {
      x = normal_double(g, 0.0, 1.0);
      y = 1.0 + c * x;
    } while (y <= 0);
    const double v = y * y * y, u = 1 - uniform01(g), xx = x * x;
    if (u < 1.0 - double(0.0331f) * xx * xx) return T(scale * d * v);
    if (std::log(u) < 0.5 * xx + d * (1.0 - v + std::log(v))) return T(scale * d * v);
  }
}

template <class T> void standard_gamma(const T* alpha, T* out, int64_t n, CpuGenerator& g) {
  for (int64_t i = 0; i < n; ++i) out[i] = std::max(std::numeric_limits<T>::min(), gamma_sample(alpha[i], g));
}
template void standard_gamma(const float*, float*, int64_t, CpuGenerator&);
template void standard_gamma(const double*, double*, int64_t, CpuGenerator&);

namespace {
// The binomial sampler of torch's CPU kernel (_s_binomial_cpu; Distributions.h, after TensorFlow's): T is the
// tensor's type, in which torch keeps the count, the probability and the steps that mix only them; the rest is
// double.
double stirling_tail(double k) {  // log k! minus Stirling's approximation of it
  static constexpr double kTail[] = {0.0810614667953272,  0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                                     0.0166446911898211,  0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                                     0.00925546218271273, 0.00833056343336287};
  if (k <= 9) return kTail[size_t(k)];
  const double kp1sq = (k + 1) * (k + 1);
  return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1);
}

// Sums of geometric waiting times until they pass count (count * prob < 10).
template <class T> T binomial_inversion(T count, T prob, CpuGenerator& g) {
  const double logprob = std::log1p(-prob);
  double geom_sum = 0;
  T successes = 0;
  for (;;) {
    geom_sum += std::ceil(std::log(uniform01(g)) / logprob);
    if (geom_sum > count) return successes;
    successes = successes + 1;
  }
}

// Hoermann's transformed rejection with squeeze (BTRS, 1993), count * prob >= 10.
template <class T> T btrs(T count, T prob, CpuGenerator& g) {
  const double stddev = std::sqrt(count * prob * (1 - prob));
  const double b = 1.15 + 2.53 * stddev, a = -0.0873 + 0.0248 * b + 0.01 * prob, c = count * prob + 0.5;
  const double v_r = 0.92 - 4.2 / b, r = prob / (1 - prob), alpha = (2.83 + 5.1 / b) * stddev;
  const double m = std::floor((count + 1) * prob);
  for (;;) {
    const double u = uniform01(g) - 0.5;
    double v = uniform01(g);
    const double us = 0.5 - std::abs(u);
    const T k = T(std::floor((2 * a / us + b) * u + c));
    if (k < 0 || k > count) continue;
    if (us >= 0.07 && v <= v_r) return k;
    v = std::log(v * alpha / (a / (us * us) + b));
    const double bound = (m + 0.5) * std::log((m + 1) / (r * (count - m + 1))) +
                         (count + 1) * std::log((count - m + 1) / (count - k + 1)) +
                         (k + 0.5) * std::log(r * (count - k + 1) / (k + 1)) + stirling_tail(m) +
                         stirling_tail(count - m) - stirling_tail(k) - stirling_tail(count - k);
    if (v <= bound) return k;
  }
}

template <class T> T binomial_sample(T count, T prob, CpuGenerator& g) {
  if (count <= 0.0 || prob <= 0.0) return 0;
  if (prob >= 1.0) return count;
  if (prob <= 0.5) return count * prob >= 10.0 ? btrs(count, prob, g) : binomial_inversion(count, prob, g);
  if (prob > 0.5) {
    const T q = T(1.0 - prob);
    return count - (count * q >= 10.0 ? btrs(count, q, g) : binomial_inversion(count, q, g));
  }
  return std::numeric_limits<T>::quiet_NaN();  // (prob NaN)
}
}  // namespace

template <class T> void binomial(const T* count, const T* prob, T* out, int64_t n, CpuGenerator& g) {
  for (int64_t i = 0; i < n; ++i) out[i] = binomial_sample(count[i], prob[i], g);
}
template void binomial(const float*, const float*, float*, int64_t, CpuGenerator&);
template void binomial(const double*, const double*, double*, int64_t, CpuGenerator&);

}  // namespace tg::cpu
