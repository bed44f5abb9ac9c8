// CUDA runtime glue: device discovery, device selection, synchronization,
// host<->device copies, and the caching allocator registered for
// DeviceType::CUDA (see allocator.h for the design).
//
// Nothing in this file may touch the GPU at import time: the allocator is
// registered by a static initializer that only stores two function pointers,
// and device_count() turns any initialization failure into 0 devices, keeping
// the reason (init_error()) for torch.cuda's warning and errors.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>
#include "allocator.h"
#include "helpers.cuh"
#include "kernels.h"
#include "runtime_util.h"

namespace tg::cuda {
namespace {

using util::kMaxRequest;
using util::round_size;

constexpr int kMaxDevices = 64;  // int8 device index in tg::Device; a 64-bit "used" mask

void check_device_index(int device, const char* what) {
  TG_CHECK(device >= 0 && device < kMaxDevices, what, ": invalid CUDA device index ", device);
}

// Devices this process has touched (bit d = device d), for synchronize().
std::atomic<uint64_t> g_used_devices{0};

// Makes `device` current on this thread. The current device is read back
// rather than cached, so a cudaSetDevice made by other code in the process
// (another CUDA library) cannot leave us launching on the wrong GPU;
// cudaGetDevice only reads thread-local runtime state.
cudaError_t try_set_device(int device) noexcept {
  int cur = -1;
  cudaError_t e = cudaGetDevice(&cur);
  if (e != cudaSuccess) (void)cudaGetLastError();
  if (e != cudaSuccess || cur != device) e = cudaSetDevice(device);
  if (e == cudaSuccess) g_used_devices.fetch_or(uint64_t(1) << device, std::memory_order_relaxed);
  return e;
}

struct Block {
  size_t size;
  int device;
};

struct DeviceStats {
  int64_t allocated = 0, peak = 0, reserved = 0;
};

struct CachingAllocator {
  std::mutex mu;
  bool caching = true;
  std::map<uintptr_t, Block> live;  // by base address: release() and device_of() look blocks up here
  std::unordered_map<size_t, std::vector<void*>> cached[kMaxDevices];  // free blocks by size class
  DeviceStats stats[kMaxDevices];
  std::atomic<int64_t> mallocs{0};

  CachingAllocator() {
    caching = !util::env_flag("TG_CUDA_NO_CACHE");
  }

  // Caller holds mu. cudaFree every cached block of `device`; returns the
  // first error (the remaining blocks are still attempted).
  cudaError_t free_cached(int device) {
    cudaError_t first = cudaSuccess;
    if (cached[device].empty()) return first;
    cudaError_t e = try_set_device(device);
    if (e != cudaSuccess) return e;
    for (auto& [size, blocks] : cached[device]) {
      for (void* p : blocks) {
        e = cudaFree(p);
        if (e != cudaSuccess && first == cudaSuccess) first = e;
        stats[device].reserved -= int64_t(size);
      }
    }
    cached[device].clear();
    return first;
  }
};

// Never destroyed: tensors may be released during interpreter shutdown, after
// static destructors have run; the process exit returns the memory anyway.
CachingAllocator& state() {
  static CachingAllocator* s = new CachingAllocator();
  return *s;
}

// torch.cuda.OutOfMemoryError (tg::OutOfMemoryError) with torch's message. The
// caller holds the allocator's lock (the statistics) and has already emptied
// the device's cache and retried, so "reserved but unallocated" is what the
// cache could not give back.
[[noreturn]] void throw_oom(int64_t nbytes, int device, const DeviceStats& stats) {
  size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
    (void)cudaGetLastError();
    free_b = total_b = 0;
  }
  throw OutOfMemoryError(
      util::oom_message(nbytes, device, uint64_t(total_b), uint64_t(free_b), stats.allocated, stats.reserved));
}

void* allocate_fn(int64_t nbytes, int device) { return allocate(nbytes, device); }
void release_fn(void* ptr, int device) { release(ptr, device); }

// Registration only stores function pointers: no CUDA call at import.
struct RegisterAllocator {
  RegisterAllocator() { register_allocator(DeviceType::CUDA, Allocator{&allocate_fn, &release_fn}); }
};
RegisterAllocator g_register_allocator;

}  // namespace

// ------------------------------------------------------------------ allocator
void* allocate(int64_t nbytes, int device) {
  check_device_index(device, "allocate");
  TG_CHECK(nbytes >= 0, "CUDA allocate: negative size ", nbytes);
  TG_CUDA_CHECK(try_set_device(device));
  CachingAllocator& a = state();
  std::lock_guard<std::mutex> lock(a.mu);
  if (nbytes > kMaxRequest) throw_oom(nbytes, device, a.stats[device]);
  const size_t size = round_size(nbytes);
  void* p = nullptr;
  size_t got = size;
  if (a.caching) {
    auto it = a.cached[device].find(size);
    if (it != a.cached[device].end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
    }
  }
  if (!p) {
    // The size class; out of memory: the cache given back, the class again, then the exact request.
    cudaError_t hard = cudaSuccess;
    const util::MallocResult r = util::malloc_with_retry(
        size, util::exact_size(nbytes),
        [&](size_t n, void** out) {
          a.mallocs.fetch_add(1, std::memory_order_relaxed);
          cudaError_t e = cudaMalloc(out, n);
          if (e == cudaSuccess) return util::MallocStatus::kOk;
          (void)cudaGetLastError();  // out of memory is not sticky: clear it so the process stays usable
          if (e == cudaErrorMemoryAllocation) return util::MallocStatus::kOutOfMemory;
          hard = e;
          return util::MallocStatus::kError;
        },
        [&] {
          (void)a.free_cached(device);
          (void)cudaGetLastError();
        });
    if (r.status == util::MallocStatus::kOutOfMemory) throw_oom(nbytes, device, a.stats[device]);
    if (hard != cudaSuccess) throw_cuda_error(int(hard), "cudaMalloc", "in", __FILE__, __LINE__);
    p = r.ptr;
    got = r.size;
    a.stats[device].reserved += int64_t(got);
  }
  try {
    a.live.emplace(reinterpret_cast<uintptr_t>(p), Block{got, device});
  } catch (...) {  // host bad_alloc: do not leak the device block
    (void)cudaFree(p);
    a.stats[device].reserved -= int64_t(got);
    throw;
  }
  DeviceStats& s = a.stats[device];
  s.allocated += int64_t(got);
  if (s.allocated > s.peak) s.peak = s.allocated;
  return p;
}

// Called from Storage's destructor: must not throw.
void release(void* ptr, int device) noexcept {
  if (!ptr) return;
  CachingAllocator& a = state();
  std::lock_guard<std::mutex> lock(a.mu);
  auto it = a.live.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == a.live.end()) {
    // Not ours (should not happen): hand it to cudaFree and swallow errors.
    if (device >= 0 && device < kMaxDevices) (void)try_set_device(device);
    (void)cudaFree(ptr);
    (void)cudaGetLastError();
    return;
  }
  const Block b = it->second;
  a.live.erase(it);
  a.stats[b.device].allocated -= int64_t(b.size);
  // A block of the exact request (the out-of-memory fallback) is no size class: no later request
  // would find it in the cache, so it goes straight back to the driver.
  if (a.caching && b.size == round_size(int64_t(b.size))) {
    try {
      a.cached[b.device][b.size].push_back(ptr);
      return;
    } catch (...) {  // host bad_alloc: fall through and free the block instead
    }
  }
  // Errors are ignored: at interpreter exit the runtime may already be unloading.
  (void)try_set_device(b.device);
  (void)cudaFree(ptr);
  (void)cudaGetLastError();
  a.stats[b.device].reserved -= int64_t(b.size);
}

int64_t memory_allocated(int device) {
  check_device_index(device, "memory_allocated");
  CachingAllocator& a = state();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.stats[device].allocated;
}

int64_t max_memory_allocated(int device) {
  check_device_index(device, "max_memory_allocated");
  CachingAllocator& a = state();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.stats[device].peak;
}

int64_t memory_reserved(int device) {
  check_device_index(device, "memory_reserved");
  CachingAllocator& a = state();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.stats[device].reserved;
}

void reset_peak_memory_stats(int device) {
  check_device_index(device, "reset_peak_memory_stats");
  CachingAllocator& a = state();
  std::lock_guard<std::mutex> lock(a.mu);
  a.stats[device].peak = a.stats[device].allocated;
}

void empty_cache() {
  CachingAllocator& a = state();
  std::lock_guard<std::mutex> lock(a.mu);
  cudaError_t first = cudaSuccess;
  for (int d = 0; d < kMaxDevices; ++d) {
    cudaError_t e = a.free_cached(d);
    if (e != cudaSuccess && first == cudaSuccess) first = e;
  }
  TG_CUDA_CHECK(first);
}

int64_t cuda_malloc_count() { return state().mallocs.load(std::memory_order_relaxed); }

bool caching_enabled() { return state().caching; }

// ------------------------------------------------------------------ devices
bool is_built() { return true; }
int runtime_version() { return CUDART_VERSION; }

namespace {
struct Discovery {
  int count = 0;
  util::InitStatus status;
};

util::InitFailure classify(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return util::InitFailure::kNone;
    case cudaErrorNoDevice: return util::InitFailure::kNoDevice;
    case cudaErrorInsufficientDriver: return util::InitFailure::kInsufficientDriver;
    case cudaErrorInitializationError: return util::InitFailure::kInitializationError;
    case cudaErrorUnknown: return util::InitFailure::kUnknown;
    default: return util::InitFailure::kOther;
  }
}

// Once per process: the set of visible devices is fixed for its life (CUDA
// reads CUDA_VISIBLE_DEVICES once). A failure is kept with torch's
// explanation instead of being discarded: torch.cuda.is_available() is then
// False, and tinygrad_ext.cuda warns once and reports it (unavailable_reason()).
//
// TG_CUDA_FAKE_DRIVER_VERSION=12080 (testing aid) answers as CUDA does on a
// machine whose driver supports only CUDA 12.8: no devices, "driver too old".
const Discovery& discovery() {
  static const Discovery d = [] {
    Discovery r;
    int c = 0;
    cudaError_t e = cudaGetDeviceCount(&c);
    if (e != cudaSuccess) (void)cudaGetLastError();  // not sticky: clear it for later calls
    int driver = 0;
    if (const char* fake = std::getenv("TG_CUDA_FAKE_DRIVER_VERSION"); fake && *fake) {
      e = cudaErrorInsufficientDriver;
      driver = std::atoi(fake);
    } else if (e != cudaSuccess && cudaDriverGetVersion(&driver) != cudaSuccess) {
      (void)cudaGetLastError();
      driver = 0;
    }
    if (e != cudaSuccess) {
      c = 0;
      r.status = util::describe_init_failure(classify(e), driver, CUDART_VERSION, cudaGetErrorName(e),
                                             cudaGetErrorString(e));
    }
    r.count = c < 0 ? 0 : (c > kMaxDevices ? kMaxDevices : c);
    return r;
  }();
  return d;
}
}  // namespace

int device_count() { return discovery().count; }

std::string init_error() { return discovery().status.reason; }
bool init_failed() { return discovery().status.failed; }

bool launch_blocking() {
  static const bool v = util::env_flag("CUDA_LAUNCH_BLOCKING");
  return v;
}

void throw_cuda_error(int err, const char* what, const char* where, const char* file, int line) {
  const cudaError_t e = static_cast<cudaError_t>(err);
  std::string msg = str_cat("CUDA error: ", cudaGetErrorString(e), " (", cudaGetErrorName(e), ") ", where, " ",
                            what, " at ", file, ":", line);
  if (!launch_blocking())  // torch's hint: a kernel fault surfaces at a later call
    msg += "\nCUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below "
           "might be incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1";
  throw Error(msg);
}

void set_device(int device) {
  check_device_index(device, "set_device");
  TG_CUDA_CHECK(try_set_device(device));
}

int device_of(const void* ptr) {
  if (device_count() <= 1) return 0;
  {
    CachingAllocator& a = state();
    std::lock_guard<std::mutex> lock(a.mu);
    const uintptr_t p = reinterpret_cast<uintptr_t>(ptr);
    auto it = a.live.upper_bound(p);  // first block starting after p
    if (it != a.live.begin()) {
      --it;
      if (p >= it->first && p < it->first + it->second.size) return it->second.device;
    }
  }
  // Not from our allocator: ask the driver.
  cudaPointerAttributes attr{};
  if (cudaPointerGetAttributes(&attr, ptr) == cudaSuccess && attr.type == cudaMemoryTypeDevice)
    return attr.device;
  (void)cudaGetLastError();
  int cur = 0;
  TG_CUDA_CHECK(cudaGetDevice(&cur));
  return cur;
}

int sm_count(int device) {
  check_device_index(device, "sm_count");
  static std::atomic<int> cache[kMaxDevices];  // zero-initialized: 0 = not queried yet
  int n = cache[device].load(std::memory_order_relaxed);
  if (n > 0) return n;
  TG_CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device));
  if (n < 1) n = 1;
  cache[device].store(n, std::memory_order_relaxed);
  return n;
}

const DeviceProperties& device_properties(int device) {
  const int n = device_count();
  // Without a GPU: why (torch's _lazy_init raises the initialization error itself).
  if (n == 0) throw Error(init_error().empty() ? std::string("No CUDA GPUs are available") : init_error());
  TG_CHECK(device >= 0 && device < n, "Invalid device id ", device, " (", n, " CUDA device(s))");
  // Filled once per device; call_once retries when the query throws.
  static std::once_flag once[kMaxDevices];
  static DeviceProperties props[kMaxDevices];
  std::call_once(once[device], [device] {
    cudaDeviceProp p{};
    TG_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
    props[device] = DeviceProperties{p.name, int64_t(p.totalGlobalMem), p.major, p.minor, p.multiProcessorCount};
  });
  return props[device];
}

void synchronize() {
  // Only devices this process has used: synchronizing another one would
  // create a context on it (hundreds of MB) for nothing.
  const int n = device_count();
  const uint64_t used = g_used_devices.load(std::memory_order_relaxed);
  for (int d = 0; d < n; ++d) {
    if (!(used & (uint64_t(1) << d))) continue;
    set_device(d);
    TG_CUDA_CHECK(cudaDeviceSynchronize());
  }
}

// ------------------------------------------------------------------ copies
void copy_between_devices(const Tensor& dst, const Tensor& src) {
  TG_CHECK(dst->dtype == src->dtype, "copy_between_devices: dtype mismatch (", dtype_name(dst->dtype), " vs ",
           dtype_name(src->dtype), ")");
  TG_CHECK(dst->numel() == src->numel(), "copy_between_devices: numel mismatch (", dst->numel(), " vs ",
           src->numel(), ")");
  TG_CHECK(dst->is_contiguous() && src->is_contiguous(), "copy_between_devices: tensors must be contiguous");
  const size_t nbytes = size_t(dst->numel()) * size_t(itemsize(dst->dtype));
  if (nbytes == 0) return;
  const Device dd = dst->device(), sd = src->device();
  void* d = dst->data_ptr();
  const void* s = src->data_ptr();
  // cudaMemcpy is synchronous with the host for host<->device copies and runs
  // on the legacy default stream, so it is ordered after pending kernels.
  if (dd.is_cuda() && sd.is_cuda()) {
    if (dd.index == sd.index) {
      set_device(dd.index);
      TG_CUDA_CHECK(cudaMemcpy(d, s, nbytes, cudaMemcpyDeviceToDevice));
    } else {
      set_device(dd.index);
      TG_CUDA_CHECK(cudaMemcpyPeer(d, dd.index, s, sd.index, nbytes));
    }
  } else if (dd.is_cuda()) {
    set_device(dd.index);
    TG_CUDA_CHECK(cudaMemcpy(d, s, nbytes, cudaMemcpyHostToDevice));
  } else if (sd.is_cuda()) {
    set_device(sd.index);
    TG_CUDA_CHECK(cudaMemcpy(d, s, nbytes, cudaMemcpyDeviceToHost));
  } else {
    TG_CHECK(false, "copy_between_devices: neither tensor is on a GPU");
  }
}

}  // namespace tg::cuda
