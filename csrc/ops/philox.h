// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11): a counter-based generator, so element i of a random tensor is a pure
// function of (seed, offset + i) and every device produces the same stream.
#pragma once
#include <cstdint>
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
    c0 = n0; c1 = uint32_t(p1); c2 = n2; c3 = uint32_t(p0);
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

enum RandomKind { kUniform = 0, kNormal = 1, kRandInt = 2, kBernoulli = 3 };

// The value of element i for each distribution; T is the tensor's type.
template <class T>
TG_HD T random_value(int kind, double a, double b, uint64_t seed, uint64_t counter) {
  Philox4x32 r = philox(seed, counter);
  // 53-bit uniform in [0, 1) from two words.
  double u = double((uint64_t(r.v[0]) << 21) ^ (r.v[1] >> 11)) * (1.0 / 9007199254740992.0);
  switch (kind) {
    case kUniform: {
      T v = T(a + (b - a) * u);
      return (v >= T(b) && b > a) ? T(a) : v;  // float rounding must not reach the open upper end
    }
    case kNormal: {
      // NOTE: Box-Muller; u1 in (0, 1] keeps log finite.
      double u1 = 1.0 - double(r.v[2]) * (1.0 / 4294967296.0);
      double u2 = double(r.v[3]) * (1.0 / 4294967296.0);
      return T(a + b * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
    }
    case kRandInt: {
      uint64_t range = uint64_t(int64_t(b) - int64_t(a));
      uint64_t x = (uint64_t(r.v[2]) << 32) | r.v[3];
      return T(int64_t(a) + int64_t(x % range));
    }
    default:
      return T(u < a ? 1 : 0);
  }
}

}  // namespace tg
