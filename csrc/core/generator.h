// torch's CPU random generator (its CPUGeneratorImpl): a 32-bit Mersenne Twister (MT19937, Matsumoto and Nishimura
// 1998) seeded with the low 32 bits of the seed, its 32- and 64-bit draws (a 64-bit draw is two 32-bit ones, the
// first the high half), and the second sample of a Box-Muller pair kept for the next normal draw. So
// torch.manual_seed(s) gives torch's numbers on the CPU (the fills in cpu/random.cpp follow torch's CPU
// kernels), and the state serializes to torch's byte layout: torch.get_rng_state() of either library loads into
// the other.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tg {

class CpuGenerator {
 public:
  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;  // torch's
  static constexpr size_t kStateBytes = 5056;                  // torch's CPUGeneratorImplState
  static constexpr size_t kLegacyStateBytes = 5048;            // torch's THGeneratorState (no float normal)

  explicit CpuGenerator(uint64_t seed = kDefaultSeed) { manual_seed(seed); }
  void manual_seed(uint64_t seed);
  uint64_t initial_seed() const { return seed_; }
  uint32_t random() {  // (inline: the fills draw one per element)
    if (--left_ == 0) twist();
    uint32_t y = words_[next_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    return y ^ (y >> 18);
  }
  uint64_t random64() {
    const uint64_t hi = random();
    return (hi << 32) | random();
  }
  // The cached second samples of normal draws in double and in float (torch's next_*_normal_sample).
  std::optional<double> next_double_normal;
  std::optional<float> next_float_normal;

  std::vector<uint8_t> state() const;
  void set_state(const uint8_t* data, size_t size);  // throws torch's error for another size

 private:
  static constexpr int kN = 624;
  void twist();
  uint64_t seed_ = 0;
  int left_ = 1;       // draws left before the next twist, plus one (torch's layout)
  uint32_t next_ = 0;  // index of the next state word to temper
  uint32_t words_[kN] = {};
};

// The global CPU generator (torch.default_generator).
CpuGenerator& cpu_generator();

}  // namespace tg
