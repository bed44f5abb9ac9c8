// Host-side policy of the CUDA runtime glue (runtime.cu) that needs no CUDA
// headers: environment flags, the allocator's size classes and its
// out-of-memory retry, torch's out-of-memory message, and the explanation of a
// failed CUDA initialization. Plain C++17, so tests compile it on machines
// without a GPU or the CUDA toolkit (tests/test_cuda_extra.py builds
// runtime_util_test.cpp with the host compiler).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

namespace tg::cuda::util {

// An environment flag is on when set to anything but "" or "0" (CUDA_LAUNCH_BLOCKING=1, TG_CUDA_NO_CACHE=1).
inline bool flag_value(const char* v) { return v && *v && std::strcmp(v, "0") != 0; }
inline bool env_flag(const char* name) { return flag_value(std::getenv(name)); }

// ------------------------------------------------------------------ size classes
constexpr size_t kMinBlock = 512;                  // every block is a multiple of this (and 512-byte aligned)
constexpr size_t kSmallLimit = size_t(1) << 20;    // below: 512-byte classes; above: 4 classes per octave
constexpr int64_t kMaxRequest = int64_t(1) << 50;  // larger requests fail before rounding can overflow

// Size classes: multiples of 512 bytes below 1 MiB; above, each power of two
// is split into 4 classes (1, 1.25, 1.5, 1.75 x 2^k), so a block wastes at
// most 25% while repeated similar sizes still land in the same class.
// `nbytes` must be <= kMaxRequest.
inline size_t round_size(int64_t nbytes) {
  size_t n = nbytes <= 0 ? 1 : size_t(nbytes);
  if (n < kSmallLimit) return (n + kMinBlock - 1) / kMinBlock * kMinBlock;
  size_t octave = size_t(1) << (63 - __builtin_clzll(static_cast<unsigned long long>(n)));
  size_t step = octave / 4;
  return (n + step - 1) / step * step;
}

// The size cudaMalloc is asked for when the size class does not fit: the
// request itself, at least one byte (cudaMalloc returns 256-byte aligned memory).
inline size_t exact_size(int64_t nbytes) { return nbytes <= 0 ? 1 : size_t(nbytes); }

// ------------------------------------------------------------------ out-of-memory retry
enum class MallocStatus { kOk, kOutOfMemory, kError };

struct MallocResult {
  void* ptr = nullptr;
  size_t size = 0;  // bytes obtained (the size class, or the exact request)
  MallocStatus status = MallocStatus::kOutOfMemory;
  int attempts = 0;  // device allocations tried
};

// The allocation sequence of a cache miss:
//   1. the size class (`rounded`);
//   2. out of memory: give every cached block of the device back (`free_cache()`) and try the class again;
//   3. still out of memory: the exact request (`exact`, when smaller), which can fit where its class,
//      up to 25% larger, does not.
// `try_malloc(size, &ptr)` returns a MallocStatus; a kError stops the sequence at once (the caller raises
// the CUDA error). Out of memory after step 3 is the caller's OutOfMemoryError.
template <class TryMalloc, class FreeCache>
MallocResult malloc_with_retry(size_t rounded, size_t exact, TryMalloc&& try_malloc, FreeCache&& free_cache) {
  MallocResult r;
  auto attempt = [&](size_t size) {
    void* p = nullptr;
    ++r.attempts;
    r.status = try_malloc(size, &p);
    if (r.status == MallocStatus::kOk) {
      r.ptr = p;
      r.size = size;
    }
    return r.status != MallocStatus::kOutOfMemory;  // done: success or a hard error
  };
  if (attempt(rounded)) return r;
  free_cache();
  if (attempt(rounded)) return r;
  if (exact < rounded && attempt(exact)) return r;
  return r;
}

// ------------------------------------------------------------------ messages
// torch's format_size: "512 bytes", "1.50 KiB", "20.00 MiB", "2.00 GiB".
inline std::string format_size(uint64_t size) {
  std::ostringstream os;
  os.precision(2);
  os << std::fixed;
  if (size <= 1024) os << size << " bytes";
  else if (size <= (uint64_t(1) << 20)) os << double(size) / 1024.0 << " KiB";
  else if (size <= (uint64_t(1) << 30)) os << double(size) / 1048576.0 << " MiB";
  else os << double(size) / 1073741824.0 << " GiB";
  return os.str();
}

// torch.cuda.OutOfMemoryError's message, with tinygrad_ext's caching allocator in place of PyTorch's.
// `allocated` and `reserved` are the allocator's statistics (memory_allocated / memory_reserved) of the device.
inline std::string oom_message(int64_t requested, int device, uint64_t total, uint64_t free_bytes, int64_t allocated,
                               int64_t reserved) {
  const int64_t unallocated = reserved > allocated ? reserved - allocated : 0;
  std::ostringstream os;
  os << "CUDA out of memory. Tried to allocate " << format_size(uint64_t(requested < 0 ? 0 : requested)) << ". GPU "
     << device;
  if (total > 0)
    os << " has a total capacity of " << format_size(total) << " of which " << format_size(free_bytes) << " is free. ";
  else os << ": its free memory could not be queried. ";
  os << "Of the allocated memory " << format_size(uint64_t(allocated < 0 ? 0 : allocated))
     << " is allocated by tinygrad_ext, and " << format_size(uint64_t(unallocated))
     << " is reserved by tinygrad_ext but unallocated (its cached blocks were already freed and the allocation "
        "retried). Free tensors you no longer need (del them) and call tinygrad_ext.cuda.empty_cache(), or use a "
        "smaller batch.";
  return os.str();
}

// "13.0" from CUDART_VERSION / cudaDriverGetVersion's 1000 * major + 10 * minor.
inline std::string cuda_version_str(int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }

// Why cudaGetDeviceCount failed, in CUDA's terms (runtime.cu maps cudaError_t to these).
enum class InitFailure {
  kNone,                 // success
  kNoDevice,             // cudaErrorNoDevice: a driver but no (visible) GPU
  kInsufficientDriver,   // cudaErrorInsufficientDriver: no driver at all, or one older than the runtime
  kInitializationError,  // cudaErrorInitializationError
  kUnknown,              // cudaErrorUnknown
  kOther,
};

struct InitStatus {
  // A broken set-up (warned about once, as torch's "CUDA initialization: ..." UserWarning) rather than the
  // plain absence of a driver or a GPU (silent, as in torch).
  bool failed = false;
  std::string reason;  // "" when CUDA initialized; else why no GPU is usable (torch's wording where it has one)
};

// `driver_version`: cudaDriverGetVersion's answer (0 or negative: no driver); `runtime_version`: CUDART_VERSION;
// `error_name` / `error_string`: cudaGetErrorName / cudaGetErrorString of the failure (kOther's message).
inline InitStatus describe_init_failure(InitFailure kind, int driver_version, int runtime_version,
                                        const std::string& error_name = "", const std::string& error_string = "") {
  InitStatus s;
  switch (kind) {
    case InitFailure::kNone: break;
    case InitFailure::kNoDevice: s.reason = "No CUDA GPUs are available"; break;
    case InitFailure::kInsufficientDriver:
      if (driver_version <= 0) {
        s.reason =
            "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed "
            "a driver from http://www.nvidia.com/Download/index.aspx";
      } else {
        s.failed = true;
        s.reason = "The NVIDIA driver on your system is too old (found version " + std::to_string(driver_version) +
                   ", which supports CUDA " + cuda_version_str(driver_version) +
                   "). tinygrad_ext was built with the CUDA " + cuda_version_str(runtime_version) +
                   " runtime, which needs a driver for CUDA " + std::to_string(runtime_version / 1000) + ".x or newer" +
                   (runtime_version >= 13000 ? " (R580 or newer on Linux)" : "") +
                   ". Update the GPU driver, or rebuild tinygrad_ext against a CUDA toolkit the driver supports "
                   "(TG_CUDA_ROOT=/path/to/cuda-12.x, see README.md).";
      }
      break;
    case InitFailure::kInitializationError:
      s.failed = true;
      s.reason = "CUDA driver initialization failed, you might not have a CUDA gpu.";
      break;
    case InitFailure::kUnknown:
      s.failed = true;
      s.reason =
          "CUDA unknown error - this may be due to an incorrectly set up environment, e.g. changing env "
          "variable CUDA_VISIBLE_DEVICES after program start. Setting the available devices to be zero.";
      break;
    case InitFailure::kOther:
      s.failed = true;
      s.reason = "Unexpected error from cudaGetDeviceCount(): " + error_name + ": " + error_string + " (CUDA runtime " +
                 cuda_version_str(runtime_version) + ", driver " +
                 (driver_version > 0 ? "for CUDA " + cuda_version_str(driver_version) : std::string("not found")) + ")";
      break;
  }
  return s;
}

}  // namespace tg::cuda::util
