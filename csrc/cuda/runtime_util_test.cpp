// Tests of runtime_util.h (the CUDA runtime's host-side policy) that need no GPU
// and no CUDA toolkit. tests/test_cuda_extra.py builds and runs it:
//   c++ -std=c++17 -O1 -o /tmp/runtime_util_test csrc/cuda/runtime_util_test.cpp && /tmp/runtime_util_test
// Prints "ok" and exits 0, or names the first failed check and exits 1.
#include "runtime_util.h"
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace tg::cuda::util;

namespace {
int g_failures = 0;
#define CHECK(cond)                                                 \
  do {                                                              \
    if (!(cond)) {                                                  \
      std::printf("FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                 \
    }                                                               \
  } while (0)

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A fake device: `free` bytes, cudaMalloc succeeds when the request fits.
struct FakeDevice {
  size_t free;
  size_t cached;              // what free_cache() gives back
  bool hard_error = false;    // every malloc fails with a non-OOM error
  std::vector<size_t> asked;  // sizes passed to malloc, in order
  int frees = 0;

  FakeDevice(size_t free_bytes, size_t cached_bytes) : free(free_bytes), cached(cached_bytes) {}

  MallocResult allocate(size_t rounded, size_t exact) {
    static char storage;
    return malloc_with_retry(
        rounded, exact,
        [&](size_t n, void** out) {
          asked.push_back(n);
          if (hard_error) return MallocStatus::kError;
          if (n > free) return MallocStatus::kOutOfMemory;
          free -= n;
          *out = &storage;
          return MallocStatus::kOk;
        },
        [&] {
          ++frees;
          free += cached;
          cached = 0;
        });
  }
};

void test_flags() {
  CHECK(!flag_value(nullptr));
  CHECK(!flag_value(""));
  CHECK(!flag_value("0"));
  CHECK(flag_value("1"));
  CHECK(flag_value("yes"));
  CHECK(flag_value("00"));  // only "0" itself is off, as CUDA reads CUDA_LAUNCH_BLOCKING
}

void test_sizes() {
  CHECK(round_size(0) == 512 && round_size(1) == 512 && round_size(512) == 512 && round_size(513) == 1024);
  CHECK(round_size((1 << 20) - 1) == (1 << 20));
  CHECK(round_size(1 << 20) == (1 << 20));
  CHECK(round_size((1 << 20) + 1) == (1 << 20) + (1 << 18));  // 1.25 MiB
  const int64_t gib = int64_t(1) << 30;
  CHECK(round_size(130 * gib) == size_t(160 * gib));  // 128 GiB octave, 32 GiB steps: 23% more than asked
  CHECK(exact_size(0) == 1 && exact_size(130 * gib) == size_t(130 * gib));
  CHECK(round_size(kMaxRequest) == size_t(kMaxRequest));
}

void test_retry() {
  const size_t gib = size_t(1) << 30;
  {  // fits: one attempt, the size class
    FakeDevice d{10 * gib, 0};
    MallocResult r = d.allocate(2 * gib, 2 * gib - 5);
    CHECK(r.status == MallocStatus::kOk && r.size == 2 * gib && r.attempts == 1 && d.frees == 0);
  }
  {  // fits once the cache is given back: the class again
    FakeDevice d{1 * gib, 4 * gib};
    MallocResult r = d.allocate(2 * gib, 2 * gib - 5);
    CHECK(r.status == MallocStatus::kOk && r.size == 2 * gib && r.attempts == 2 && d.frees == 1);
  }
  {  // only the exact request fits (139 GiB free, 130 GiB asked, its class is 160 GiB)
    FakeDevice d{139 * gib, 0};
    MallocResult r = d.allocate(160 * gib, 130 * gib);
    CHECK(r.status == MallocStatus::kOk && r.size == 130 * gib && r.attempts == 3 && d.frees == 1);
    CHECK(d.asked.size() == 3 && d.asked[0] == 160 * gib && d.asked[1] == 160 * gib && d.asked[2] == 130 * gib);
  }
  {  // nothing fits: out of memory after the three attempts, the cache given back once
    FakeDevice d{1 * gib, 1 * gib};
    MallocResult r = d.allocate(160 * gib, 130 * gib);
    CHECK(r.status == MallocStatus::kOutOfMemory && r.ptr == nullptr && r.attempts == 3 && d.frees == 1);
  }
  {  // exact == class: no third attempt
    FakeDevice d{0, 0};
    MallocResult r = d.allocate(1024, 1024);
    CHECK(r.status == MallocStatus::kOutOfMemory && r.attempts == 2);
  }
  {  // a hard error stops at once, cache untouched
    FakeDevice d{10 * gib, 1 * gib};
    d.hard_error = true;
    MallocResult r = d.allocate(1024, 1000);
    CHECK(r.status == MallocStatus::kError && r.attempts == 1 && d.frees == 0);
  }
}

void test_messages() {
  CHECK(format_size(0) == "0 bytes");
  CHECK(format_size(1024) == "1024 bytes");
  CHECK(format_size(1536) == "1.50 KiB");
  CHECK(format_size(uint64_t(20) << 20) == "20.00 MiB");
  CHECK(format_size(uint64_t(1) << 30) == "1024.00 MiB");  // torch's boundaries: <= 1 GiB is MiB
  CHECK(format_size(uint64_t(2) << 30) == "2.00 GiB");
  const uint64_t gib = uint64_t(1) << 30;
  std::string m = oom_message(int64_t(200 * gib), 0, 140 * gib, 3 * gib / 2, int64_t(130 * gib), int64_t(131 * gib));
  CHECK(contains(m,
                 "CUDA out of memory. Tried to allocate 200.00 GiB. GPU 0 has a total capacity of 140.00 GiB of "
                 "which 1.50 GiB is free. Of the allocated memory 130.00 GiB is allocated by tinygrad_ext, and "
                 "1024.00 MiB is reserved by tinygrad_ext but unallocated"));
  m = oom_message(100, 3, 0, 0, 0, 0);
  CHECK(contains(m, "Tried to allocate 100 bytes. GPU 3: its free memory could not be queried."));

  CHECK(cuda_version_str(13000) == "13.0" && cuda_version_str(12080) == "12.8" && cuda_version_str(12020) == "12.2");
  InitStatus s = describe_init_failure(InitFailure::kNone, 13000, 13000);
  CHECK(!s.failed && s.reason.empty());
  s = describe_init_failure(InitFailure::kNoDevice, 13000, 13000);
  CHECK(!s.failed && s.reason == "No CUDA GPUs are available");
  s = describe_init_failure(InitFailure::kInsufficientDriver, 0, 13000);
  CHECK(!s.failed && contains(s.reason, "Found no NVIDIA driver on your system"));
  s = describe_init_failure(InitFailure::kInsufficientDriver, 12080, 13000);
  CHECK(s.failed && contains(s.reason,
                             "The NVIDIA driver on your system is too old (found version 12080, which "
                             "supports CUDA 12.8)"));
  CHECK(contains(s.reason, "CUDA 13.0 runtime") && contains(s.reason, "R580") && contains(s.reason, "TG_CUDA_ROOT"));
  s = describe_init_failure(InitFailure::kInsufficientDriver, 11040, 12040);
  CHECK(s.failed && contains(s.reason, "CUDA 12.4 runtime, which needs a driver for CUDA 12.x") &&
        !contains(s.reason, "R580"));
  s = describe_init_failure(InitFailure::kInitializationError, 13000, 13000);
  CHECK(s.failed && contains(s.reason, "CUDA driver initialization failed"));
  s = describe_init_failure(InitFailure::kUnknown, 13000, 13000);
  CHECK(s.failed && contains(s.reason, "CUDA unknown error"));
  s = describe_init_failure(InitFailure::kOther, 13000, 13000, "cudaErrorSystemDriverMismatch", "mismatch");
  CHECK(s.failed && contains(s.reason,
                             "Unexpected error from cudaGetDeviceCount(): cudaErrorSystemDriverMismatch: "
                             "mismatch (CUDA runtime 13.0, driver for CUDA 13.0)"));
}
}  // namespace

int main() {
  test_flags();
  test_sizes();
  test_retry();
  test_messages();
  if (g_failures) return 1;
  std::printf("ok\n");
  return 0;
}
