// torch's CPU generator: MT19937 and the state layout of torch.get_rng_state() (see generator.h).
#include "generator.h"

#include <cstring>

#include "error.h"

namespace tg {

namespace {
constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU, kUpper = 0x80000000U, kLower = 0x7fffffffU;

// The byte layout of torch's state tensor (little-endian, natural alignment): the legacy THGeneratorState
// (initial seed, left, seeded, next, the 624 words widened to 64 bits, three doubles of which the second is the
// cached double normal, a validity flag), then the cached float normal and its flag.
constexpr size_t kSeedAt = 0, kLeftAt = 8, kSeededAt = 12, kNextAt = 16, kWordsAt = 24;
constexpr size_t kNormalYAt = kWordsAt + 624 * 8 + 8, kNormalValidAt = kWordsAt + 624 * 8 + 24;
constexpr size_t kFloatNormalAt = 5048, kFloatValidAt = 5052;

template <class T> void put(std::vector<uint8_t>& out, size_t at, T v) { std::memcpy(out.data() + at, &v, sizeof v); }
template <class T> T get(const uint8_t* in, size_t at) {
  T v;
  std::memcpy(&v, in + at, sizeof v);
  return v;
}
}  // namespace

void CpuGenerator::manual_seed(uint64_t seed) {
  seed_ = seed;
  words_[0] = uint32_t(seed);
  for (int j = 1; j < kN; ++j) words_[j] = 1812433253U * (words_[j - 1] ^ (words_[j - 1] >> 30)) + uint32_t(j);
  left_ = 1;
  next_ = 0;
  next_double_normal.reset();
  next_float_normal.reset();
}

void CpuGenerator::twist() {
  auto mix = [](uint32_t u, uint32_t v) { return (((u & kUpper) | (v & kLower)) >> 1) ^ ((v & 1U) ? kMatrixA : 0U); };
  int k = 0;
  for (; k < kN - kM; ++k) words_[k] = words_[k + kM] ^ mix(words_[k], words_[k + 1]);
  for (; k < kN - 1; ++k) words_[k] = words_[k + kM - kN] ^ mix(words_[k], words_[k + 1]);
  words_[kN - 1] = words_[kM - 1] ^ mix(words_[kN - 1], words_[0]);
  left_ = kN;
  next_ = 0;
}

std::vector<uint8_t> CpuGenerator::state() const {
  std::vector<uint8_t> out(kStateBytes, 0);
  put(out, kSeedAt, seed_);
  put(out, kLeftAt, int32_t(left_));
  put(out, kSeededAt, int32_t(1));
  put(out, kNextAt, uint64_t(next_));
  for (int j = 0; j < kN; ++j) put(out, kWordsAt + 8 * size_t(j), uint64_t(words_[j]));
  if (next_double_normal) {
    put(out, kNormalYAt, *next_double_normal);
    put(out, kNormalValidAt, int32_t(1));
  }
  if (next_float_normal) {
    put(out, kFloatNormalAt, *next_float_normal);
    out[kFloatValidAt] = 1;
  }
  return out;
}

void CpuGenerator::set_state(const uint8_t* in, size_t size) {
  TG_CHECK(size == kStateBytes || size == kLegacyStateBytes, "Expected either a THGeneratorState of size ",
           kLegacyStateBytes, " or a CPUGeneratorImplState of size ", kStateBytes,
           " but found the input RNG state size to be ", size);
  const int32_t left = get<int32_t>(in, kLeftAt);
  const uint64_t next = get<uint64_t>(in, kNextAt);
  TG_CHECK(left >= 1 && left <= kN && next <= uint64_t(kN) && int64_t(next) + left <= kN + 1,
           "set_rng_state: the state's position (left ", left, ", next ", next, ") is not a Mersenne Twister's");
  seed_ = get<uint64_t>(in, kSeedAt);
  left_ = left;
  next_ = uint32_t(next);
  for (int j = 0; j < kN; ++j) words_[j] = uint32_t(get<uint64_t>(in, kWordsAt + 8 * size_t(j)));
  next_double_normal.reset();
  next_float_normal.reset();
  if (get<int32_t>(in, kNormalValidAt)) next_double_normal = get<double>(in, kNormalYAt);
  if (size == kStateBytes && in[kFloatValidAt]) next_float_normal = get<float>(in, kFloatNormalAt);
}

CpuGenerator& cpu_generator() {
  static CpuGenerator g;
  return g;
}

}  // namespace tg
