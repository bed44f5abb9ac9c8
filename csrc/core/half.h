// float16 and bfloat16 storage types: 16 bits in memory, float32 for math. Conversions from float round
// to nearest even, turn NaN into the quiet NaN and overflow to infinity, as c10::Half and c10::BFloat16; they are
// host and device code (TG_HD), so the CPU and CUDA kernels share them.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>
#include "../ops/math.h"  // TG_HD

namespace tg {

TG_HD uint32_t f32_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
#endif
}
TG_HD float bits_f32(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}

// IEEE binary16: 1 sign, 5 exponent, 10 mantissa bits.
TG_HD uint16_t float_to_half_bits(float f) {
  uint32_t x = f32_bits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return uint16_t(sign | 0x7e00u);   // NaN: the quiet NaN, as c10::Half
  if (ax >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to 65536 or more (or inf): infinity
  if (ax < 0x38800000u) {           // below half's smallest normal 2^-14: a subnormal (or zero), in steps of 2^-24
    float r = bits_f32(ax) + 0.5f;  // adding 0.5 (exponent -1) leaves exactly the 2^-24 multiple, rounded to even
    return uint16_t(sign | (f32_bits(r) - 0x3f000000u));
  }
  uint32_t mant_odd = (ax >> 13) & 1u;
  ax += 0xc8000fffu + mant_odd;  // rebias the exponent (-112 << 23) and round to nearest even
  return uint16_t(sign | (ax >> 13));
}
TG_HD float half_bits_to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t em = h & 0x7fffu;
  if (em >= 0x7c00u) return bits_f32(sign | 0x7f800000u | (uint32_t(em & 0x3ffu) << 13));  // inf, NaN
  if (em < 0x400u) {  // zero or subnormal: m * 2^-24
    float v = float(em) * 5.9604644775390625e-08f;
    return sign ? -v : v;
  }
  return bits_f32(sign | ((em << 13) + 0x38000000u));
}

// bfloat16: float32's top 16 bits (8 exponent bits), rounded to nearest even.
TG_HD uint16_t float_to_bfloat16_bits(float f) {
  uint32_t x = f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fc0u;  // NaN: the quiet NaN, as c10::BFloat16
  x += 0x7fffu + ((x >> 16) & 1u);
  return uint16_t(x >> 16);
}
TG_HD float bfloat16_bits_to_float(uint16_t b) { return bits_f32(uint32_t(b) << 16); }

struct Half {
  uint16_t bits;
  Half() = default;
  TG_HD explicit Half(float f) : bits(float_to_half_bits(f)) {}
  TG_HD operator float() const { return half_bits_to_float(bits); }
};
struct BFloat16 {
  uint16_t bits;
  BFloat16() = default;
  TG_HD explicit BFloat16(float f) : bits(float_to_bfloat16_bits(f)) {}
  TG_HD operator float() const { return bfloat16_bits_to_float(bits); }
};

template <class T> constexpr bool is_reduced_float_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// static_cast between any two storage types, as torch's conversions: to and from float16/bfloat16 through
// float32 (a double or an int64 is rounded to float first, as c10 does), to bool by != 0.
template <class Out, class In> TG_HD Out convert(In x) {
  if constexpr (std::is_same_v<Out, In>) return x;
  else if constexpr (is_reduced_float_v<Out>) {
    if constexpr (is_reduced_float_v<In>) return Out(float(x));
    else return Out(static_cast<float>(x));
  } else if constexpr (is_reduced_float_v<In>) {
    float f = float(x);
    if constexpr (std::is_same_v<Out, bool>) return f != 0.0f;
    else return static_cast<Out>(f);
  } else if constexpr (std::is_same_v<Out, bool>) return x != In(0);
  else return static_cast<Out>(x);
}

}  // namespace tg
