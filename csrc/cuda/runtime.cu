// CUDA runtime glue: device discovery, device selection, synchronization,
// host<->device copies, and the caching allocator registered for
// DeviceType::CUDA (see allocator.h for the design).
//
// Streams: every kernel and copy runs on the calling thread's current stream of
// its device (current_stream(); the legacy default stream 0 unless
// torch.cuda.set_stream / `with torch.cuda.stream(s)` chose another). The
// caching allocator keeps each block with the stream it was allocated on and
// hands it out again only on that stream (torch's rule: a tensor used on
// another stream must stay alive until that stream's work is done).
//
// Nothing in this file may touch the GPU at import time: the allocator is
// registered by a static initializer that only stores two function pointers,
// and device_count() turns any initialization failure into 0 devices, keeping
// the reason (init_error()) for torch.cuda's warning and errors.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>
#include "allocator.h"
#include "helpers.cuh"
#include "kernels.h"
#include "runtime_api.h"
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

// The calling thread's current stream per device (0: the legacy default stream).
thread_local uintptr_t t_current_stream[kMaxDevices] = {};

// Counters (runtime_api.h).
struct Counters {
  std::atomic<int64_t> memcpy_htod{0}, memcpy_dtoh{0}, memcpy_async{0}, device_synchronize{0}, stream_synchronize{0},
      event_synchronize{0}, cuda_free{0};
};
Counters g_counters;
void tally(std::atomic<int64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

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
  uintptr_t stream;                // the stream it was allocated on: it is cached for (and reused on) that stream only
  std::vector<uintptr_t> used_on;  // other streams that use it (Tensor.record_stream)
};

// A released block still in use on other streams: cached once the events recorded on them have passed.
struct Pending {
  void* ptr;
  Block block;
  std::vector<cudaEvent_t> events;
};

struct DeviceStats {
  int64_t allocated = 0, peak = 0, reserved = 0, peak_reserved = 0;
};

// Free blocks of one device: by stream, then by size class.
using StreamCache = std::unordered_map<uintptr_t, std::unordered_map<size_t, std::vector<void*>>>;

struct CachingAllocator {
  std::mutex mu;
  bool caching = true;
  std::map<uintptr_t, Block> live;  // by base address: release() and device_of() look blocks up here
  StreamCache cached[kMaxDevices];  // free blocks by stream and size class
  std::vector<Pending> pending;     // released blocks awaiting other streams (record_stream)
  DeviceStats stats[kMaxDevices];
  std::atomic<int64_t> mallocs{0};

  CachingAllocator() { caching = !util::env_flag("TG_CUDA_NO_CACHE"); }

  // Caller holds mu. cudaFree every cached block of `device`; returns the
  // first error (the remaining blocks are still attempted).
  cudaError_t free_cached(int device) {
    cudaError_t first = cudaSuccess;
    if (cached[device].empty()) return first;
    cudaError_t e = try_set_device(device);
    if (e != cudaSuccess) return e;
    for (auto& [stream, by_size] : cached[device]) {
      for (auto& [size, blocks] : by_size) {
        for (void* p : blocks) {
          tally(g_counters.cuda_free);
          e = cudaFree(p);
          if (e != cudaSuccess && first == cudaSuccess) first = e;
          stats[device].reserved -= int64_t(size);
        }
      }
    }
    cached[device].clear();
    return first;
  }
};

void cache_or_free(CachingAllocator& a, void* ptr, const Block& b);

// Caller holds mu. Caches (or frees) the pending blocks whose streams have reached their events; with wait,
// waits for all of them first (empty_cache).
void process_pending(CachingAllocator& a, bool wait) {
  for (size_t i = 0; i < a.pending.size();) {
    Pending& p = a.pending[i];
    bool done = true;
    for (cudaEvent_t e : p.events) {
      const cudaError_t r = wait ? cudaEventSynchronize(e) : cudaEventQuery(e);
      if (r == cudaErrorNotReady) done = false;
      if (r != cudaSuccess) (void)cudaGetLastError();  // (a failed event: nothing left to wait for)
      if (!done) break;
    }
    if (!done) {
      ++i;
      continue;
    }
    for (cudaEvent_t e : p.events) (void)cudaEventDestroy(e);
    cache_or_free(a, p.ptr, p.block);
    a.pending[i] = std::move(a.pending.back());
    a.pending.pop_back();
  }
}

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
  const uintptr_t stream = t_current_stream[device];
  void* p = nullptr;
  size_t got = size;
  if (!a.pending.empty()) process_pending(a, false);
  if (a.caching) {
    auto st = a.cached[device].find(stream);
    if (st != a.cached[device].end()) {
      auto it = st->second.find(size);
      if (it != st->second.end() && !it->second.empty()) {
        p = it->second.back();
        it->second.pop_back();
      }
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
    DeviceStats& s = a.stats[device];
    s.reserved += int64_t(got);
    if (s.reserved > s.peak_reserved) s.peak_reserved = s.reserved;
  }
  try {
    a.live.emplace(reinterpret_cast<uintptr_t>(p), Block{got, device, stream, {}});
  } catch (...) {  // host bad_alloc: do not leak the device block
    tally(g_counters.cuda_free);
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
    tally(g_counters.cuda_free);
    (void)cudaFree(ptr);
    (void)cudaGetLastError();
    return;
  }
  Block b = std::move(it->second);
  a.live.erase(it);
  a.stats[b.device].allocated -= int64_t(b.size);
  if (!b.used_on.empty()) {  // used on other streams: reusable once they get past this point
    std::vector<cudaEvent_t> events;
    try {
      (void)try_set_device(b.device);
      for (uintptr_t s : b.used_on) {
        cudaEvent_t e = nullptr;
        if (cudaEventCreateWithFlags(&e, cudaEventDisableTiming) != cudaSuccess) throw std::runtime_error("event");
        events.push_back(e);
        if (cudaEventRecord(e, reinterpret_cast<cudaStream_t>(s)) != cudaSuccess) throw std::runtime_error("event");
      }
      a.pending.push_back(Pending{ptr, b, events});
      return;
    } catch (...) {  // no event: wait for the device instead (then every stream is past its uses)
      for (cudaEvent_t e : events) (void)cudaEventDestroy(e);
      (void)cudaGetLastError();
      (void)cudaDeviceSynchronize();
      (void)cudaGetLastError();
    }
  }
  cache_or_free(a, ptr, b);
}

void record_stream(const void* ptr, uintptr_t stream) {
  CachingAllocator& a = state();
  std::lock_guard<std::mutex> lock(a.mu);
  auto it = a.live.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == a.live.end()) return;  // not from this allocator (e.g. DLPack): nothing to defer
  Block& b = it->second;
  if (stream != b.stream && std::find(b.used_on.begin(), b.used_on.end(), stream) == b.used_on.end())
    b.used_on.push_back(stream);
}

namespace {
// Caller holds mu: a released block (no longer used anywhere) back to its stream's cache, or to the driver.
void cache_or_free(CachingAllocator& a, void* ptr, const Block& b) {
  // A block of the exact request (the out-of-memory fallback) is no size class: no later request
  // would find it in the cache, so it goes straight back to the driver.
  if (a.caching && b.size == round_size(int64_t(b.size))) {
    try {
      a.cached[b.device][b.stream][b.size].push_back(ptr);
      return;
    } catch (...) {  // host bad_alloc: fall through and free the block instead
    }
  }
  // Errors are ignored: at interpreter exit the runtime may already be unloading.
  (void)try_set_device(b.device);
  tally(g_counters.cuda_free);
  (void)cudaFree(ptr);
  (void)cudaGetLastError();
  a.stats[b.device].reserved -= int64_t(b.size);
}
}  // namespace

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
  a.stats[device].peak_reserved = a.stats[device].reserved;
}

int64_t max_memory_reserved(int device) {
  check_device_index(device, "max_memory_reserved");
  CachingAllocator& a = state();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.stats[device].peak_reserved;
}

int64_t cuda_free_count() { return g_counters.cuda_free.load(std::memory_order_relaxed); }

std::pair<int64_t, int64_t> mem_get_info(int device) {
  set_device(device);
  size_t free_b = 0, total_b = 0;
  TG_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return {int64_t(free_b), int64_t(total_b)};
}

std::vector<std::pair<std::string, int64_t>> counters() {
  const Counters& c = g_counters;
  auto v = [](const std::atomic<int64_t>& x) { return x.load(std::memory_order_relaxed); };
  const int64_t syncs =
      v(c.memcpy_htod) + v(c.memcpy_dtoh) + v(c.device_synchronize) + v(c.stream_synchronize) + v(c.event_synchronize);
  return {{"host_syncs", syncs},
          {"memcpy_htod", v(c.memcpy_htod)},
          {"memcpy_dtoh", v(c.memcpy_dtoh)},
          {"memcpy_async", v(c.memcpy_async)},
          {"device_synchronize", v(c.device_synchronize)},
          {"stream_synchronize", v(c.stream_synchronize)},
          {"event_synchronize", v(c.event_synchronize)},
          {"cuda_malloc", cuda_malloc_count()},
          {"cuda_free", cuda_free_count()}};
}

void empty_cache() {
  CachingAllocator& a = state();
  std::lock_guard<std::mutex> lock(a.mu);
  process_pending(a, true);
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
      r.status =
          util::describe_init_failure(classify(e), driver, CUDART_VERSION, cudaGetErrorName(e), cudaGetErrorString(e));
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
  std::string msg = str_cat("CUDA error: ", cudaGetErrorString(e), " (", cudaGetErrorName(e), ") ", where, " ", what,
                            " at ", file, ":", line);
  if (!launch_blocking())  // torch's hint: a kernel fault surfaces at a later call
    msg +=
        "\nCUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below "
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
  if (cudaPointerGetAttributes(&attr, ptr) == cudaSuccess && attr.type == cudaMemoryTypeDevice) return attr.device;
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
    tally(g_counters.device_synchronize);
    TG_CUDA_CHECK(cudaDeviceSynchronize());
  }
}

// ------------------------------------------------------------------ streams
cudaStream_t current_stream() {
  int d = 0;
  if (cudaGetDevice(&d) != cudaSuccess) {
    (void)cudaGetLastError();
    return nullptr;
  }
  return reinterpret_cast<cudaStream_t>(t_current_stream[d]);
}

uintptr_t current_stream_handle(int device) {
  check_device_index(device, "current_stream");
  return t_current_stream[device];
}

void set_current_stream(int device, uintptr_t stream) {
  check_device_index(device, "set_stream");
  t_current_stream[device] = stream;
}

uintptr_t stream_from_pool(int device, int priority) {
  TG_CHECK(device >= 0 && device < device_count(), "Invalid device id ", device);
  constexpr int kPool = 32;  // torch's pool size per priority
  static std::mutex mu;
  static cudaStream_t pool[kMaxDevices][2][kPool];
  static int created[kMaxDevices][2];
  static std::atomic<uint32_t> next[kMaxDevices][2];
  const int level = priority < 0 ? 1 : 0;
  const uint32_t k = next[device][level].fetch_add(1, std::memory_order_relaxed) % kPool;
  std::lock_guard<std::mutex> lock(mu);
  if (created[device][level] <= int(k)) {  // created lazily, in order
    set_device(device);
    int least = 0, greatest = 0;
    TG_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
    for (int i = created[device][level]; i <= int(k); ++i) {
      TG_CUDA_CHECK(
          cudaStreamCreateWithPriority(&pool[device][level][i], cudaStreamNonBlocking, level ? greatest : least));
      created[device][level] = i + 1;
    }
  }
  return reinterpret_cast<uintptr_t>(pool[device][level][k]);
}

namespace {
// A cudaStreamQuery / cudaEventQuery answer: true when the work is done, false while some is pending.
bool is_done(cudaError_t e) {
  if (e == cudaErrorNotReady) {
    (void)cudaGetLastError();
    return false;
  }
  TG_CUDA_CHECK(e);
  return true;
}
}  // namespace

bool stream_query(uintptr_t stream) { return is_done(cudaStreamQuery(reinterpret_cast<cudaStream_t>(stream))); }

void stream_synchronize(uintptr_t stream) {
  tally(g_counters.stream_synchronize);
  TG_CUDA_CHECK(cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(stream)));
}

void stream_wait_event(uintptr_t stream, uintptr_t event) {
  TG_CUDA_CHECK(cudaStreamWaitEvent(reinterpret_cast<cudaStream_t>(stream), reinterpret_cast<cudaEvent_t>(event), 0));
}

int stream_priority(uintptr_t stream) {
  int p = 0;
  TG_CUDA_CHECK(cudaStreamGetPriority(reinterpret_cast<cudaStream_t>(stream), &p));
  return p;
}

std::pair<int, int> stream_priority_range() {
  int least = 0, greatest = 0;
  TG_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
  return {least, greatest};
}

// ------------------------------------------------------------------ events
uintptr_t event_create(int device, bool enable_timing, bool blocking) {
  set_device(device);
  unsigned flags = (enable_timing ? cudaEventDefault : cudaEventDisableTiming) | (blocking ? cudaEventBlockingSync : 0);
  cudaEvent_t e = nullptr;
  TG_CUDA_CHECK(cudaEventCreateWithFlags(&e, flags));
  return reinterpret_cast<uintptr_t>(e);
}

void event_destroy(uintptr_t event) noexcept {
  if (event) (void)cudaEventDestroy(reinterpret_cast<cudaEvent_t>(event));
  (void)cudaGetLastError();
}

void event_record(uintptr_t event, uintptr_t stream) {
  TG_CUDA_CHECK(cudaEventRecord(reinterpret_cast<cudaEvent_t>(event), reinterpret_cast<cudaStream_t>(stream)));
}

bool event_query(uintptr_t event) { return is_done(cudaEventQuery(reinterpret_cast<cudaEvent_t>(event))); }

void event_synchronize(uintptr_t event) {
  tally(g_counters.event_synchronize);
  TG_CUDA_CHECK(cudaEventSynchronize(reinterpret_cast<cudaEvent_t>(event)));
}

float event_elapsed_time(uintptr_t start, uintptr_t end) {
  float ms = 0;
  TG_CUDA_CHECK(cudaEventElapsedTime(&ms, reinterpret_cast<cudaEvent_t>(start), reinterpret_cast<cudaEvent_t>(end)));
  return ms;
}

// ------------------------------------------------------------------ pinned host memory
std::shared_ptr<Storage> pinned_storage(int64_t nbytes) {
  TG_CHECK(nbytes >= 0, "pin_memory: negative size ", nbytes);
  TG_CHECK(device_count() > 0, "Cannot access accelerator device when none is available.");  // (torch's words)
  void* p = nullptr;
  TG_CUDA_CHECK(cudaHostAlloc(&p, size_t(nbytes > 0 ? nbytes : 1), cudaHostAllocPortable));
  return Storage::wrap(p, nbytes, Device{}, [](void* q) {
    (void)cudaFreeHost(q);  // (from a destructor: errors at interpreter exit are ignored)
    (void)cudaGetLastError();
  });
}

bool is_pinned(const void* ptr) {
  if (!ptr || device_count() == 0) return false;
  cudaPointerAttributes attr{};
  const cudaError_t e = cudaPointerGetAttributes(&attr, ptr);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return attr.type == cudaMemoryTypeHost;
}

// ------------------------------------------------------------------ copies
void copy_between_devices(const Tensor& dst, const Tensor& src, bool non_blocking) {
  TG_CHECK(dst->dtype == src->dtype, "copy_between_devices: dtype mismatch (", dtype_name(dst->dtype), " vs ",
           dtype_name(src->dtype), ")");
  TG_CHECK(dst->numel() == src->numel(), "copy_between_devices: numel mismatch (", dst->numel(), " vs ", src->numel(),
           ")");
  TG_CHECK(dst->is_contiguous() && src->is_contiguous(), "copy_between_devices: tensors must be contiguous");
  const size_t nbytes = size_t(dst->numel()) * size_t(itemsize(dst->dtype));
  if (nbytes == 0) return;
  const Device dd = dst->device(), sd = src->device();
  void* d = dst->data_ptr();
  const void* s = src->data_ptr();
  // Every copy is queued on the current stream of the GPU involved, after the kernels queued there. A copy
  // with the host waits for that stream (counted as a host sync) unless non_blocking: a copy from the host
  // then returns once the source is read (pageable memory is staged at once; pinned memory must stay
  // unchanged until the stream gets there, as in torch), and one to pinned host memory returns at once.
  if (dd.is_cuda() && sd.is_cuda()) {
    set_device(dd.index);
    const cudaStream_t stream = reinterpret_cast<cudaStream_t>(t_current_stream[dd.index]);
    if (dd.index == sd.index) {
      TG_CUDA_CHECK(cudaMemcpyAsync(d, s, nbytes, cudaMemcpyDeviceToDevice, stream));
      return;
    }
    // Two GPUs: a device's stream orders only that device's work. The copy waits for the source device's
    // current stream (the kernels writing src), and that stream then waits for the copy (src is not reused
    // there while the copy still reads it), as torch's copy_ between devices does.
    struct Events {
      cudaEvent_t ready = nullptr, done = nullptr;
      ~Events() {
        if (ready) (void)cudaEventDestroy(ready);  // (released once complete)
        if (done) (void)cudaEventDestroy(done);
      }
    } ev;
    const cudaStream_t src_stream = reinterpret_cast<cudaStream_t>(t_current_stream[sd.index]);
    set_device(sd.index);
    TG_CUDA_CHECK(cudaEventCreateWithFlags(&ev.ready, cudaEventDisableTiming));
    TG_CUDA_CHECK(cudaEventRecord(ev.ready, src_stream));
    set_device(dd.index);
    TG_CUDA_CHECK(cudaStreamWaitEvent(stream, ev.ready, 0));
    TG_CUDA_CHECK(cudaMemcpyPeerAsync(d, dd.index, s, sd.index, nbytes, stream));
    TG_CUDA_CHECK(cudaEventCreateWithFlags(&ev.done, cudaEventDisableTiming));
    TG_CUDA_CHECK(cudaEventRecord(ev.done, stream));
    set_device(sd.index);
    TG_CUDA_CHECK(cudaStreamWaitEvent(src_stream, ev.done, 0));
    set_device(dd.index);
    return;
  }
  TG_CHECK(dd.is_cuda() || sd.is_cuda(), "copy_between_devices: neither tensor is on a GPU");
  const int device = dd.is_cuda() ? dd.index : sd.index;
  set_device(device);
  const cudaStream_t stream = reinterpret_cast<cudaStream_t>(t_current_stream[device]);
  const bool to_gpu = dd.is_cuda();
  TG_CUDA_CHECK(cudaMemcpyAsync(d, s, nbytes, to_gpu ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost, stream));
  // (a copy to pageable host memory completes before cudaMemcpyAsync returns: a sync whatever the flag)
  if (non_blocking && (to_gpu || is_pinned(d))) {
    tally(g_counters.memcpy_async);
    return;
  }
  tally(to_gpu ? g_counters.memcpy_htod : g_counters.memcpy_dtoh);
  TG_CUDA_CHECK(cudaStreamSynchronize(stream));
}

// ------------------------------------------------------------------ kernels compiled at run time
uintptr_t kernel_load(const std::string& image, const std::string& name, int device) {
  set_device(device);
  cudaLibrary_t library = nullptr;
  TG_CUDA_CHECK(cudaLibraryLoadData(&library, image.data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
  cudaKernel_t kernel = nullptr;
  TG_CUDA_CHECK(cudaLibraryGetKernel(&kernel, library, name.c_str()));
  return reinterpret_cast<uintptr_t>(kernel);
}

void kernel_launch(uintptr_t kernel, const std::vector<int64_t>& args, int64_t n, int device) {
  TG_CHECK(kernel != 0 && n >= 0, "kernel_launch: no kernel, or a negative element count ", n);
  if (n == 0) return;
  set_device(device);
  std::vector<void*> params(args.size());
  std::vector<int64_t> values(args);  // (each parameter is read from its own 8 bytes at the launch)
  for (size_t k = 0; k < values.size(); ++k) params[k] = &values[k];
  constexpr int64_t kThreads = 256;
  const int64_t blocks = std::min<int64_t>((n + kThreads - 1) / kThreads, int64_t(sm_count(device)) * 32);
  TG_CUDA_CHECK(cudaLaunchKernel(reinterpret_cast<const void*>(kernel), dim3(unsigned(blocks)), dim3(kThreads),
                                 params.data(), 0, current_stream()));
  TG_CUDA_CHECK_LAUNCH("fused kernel");
}

}  // namespace tg::cuda
