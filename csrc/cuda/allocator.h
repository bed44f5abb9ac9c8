// The CUDA caching allocator (implemented in runtime.cu) and its statistics.
//
// Blocks are rounded up to size classes and kept on per-device free lists when
// released, so a training loop in steady state allocates without cudaMalloc
// (cudaMalloc/cudaFree synchronize the device and cost tens of microseconds).
// Reuse needs no events because every kernel and copy runs on the legacy
// default stream: a block's next user is always ordered after its last one.
//
// TG_CUDA_NO_CACHE=1 in the environment turns caching off (cudaMalloc and
// cudaFree per tensor) so compute-sanitizer sees every out-of-bounds access.
//
// Plain C++ header: usable from the bindings without the CUDA toolkit headers.
#pragma once
#include <cstdint>
#include "../core/error.h"

namespace tg::cuda {

// A cache miss asks cudaMalloc for the size class; when that fails the cache
// is given back to the driver and the class tried again, then the exact
// request (which may fit where its class does not; such a block is freed, not
// cached, on release). If all fail, allocate() throws tg::OutOfMemoryError
// (error.h) with torch's message: "CUDA out of memory. Tried to allocate
// 2.00 GiB. GPU 0 has a total capacity of ... of which ... is free. Of the
// allocated memory ... is allocated by tinygrad_ext, and ... is reserved by
// tinygrad_ext but unallocated ...". The error is not sticky: the process
// goes on using the GPU.

// Statistics in bytes of (rounded) blocks. `device` must be in [0, 64).
int64_t memory_allocated(int device);      // held by live tensors and scratch buffers
int64_t max_memory_allocated(int device);  // peak of memory_allocated since start or the last reset
int64_t memory_reserved(int device);       // allocated + cached (what cudaMalloc handed out)
void reset_peak_memory_stats(int device);
// cudaFree every cached block (all devices). Live blocks are untouched.
void empty_cache();
// Number of cudaMalloc calls made by the allocator since start: flat in a
// steady-state loop when the cache works.
int64_t cuda_malloc_count();
bool caching_enabled();  // false under TG_CUDA_NO_CACHE=1

// Raw access to the same allocator (what Storage uses for DeviceType::CUDA).
// allocate(0) returns a valid, unique minimum-size block.
void* allocate(int64_t nbytes, int device);
void release(void* ptr, int device) noexcept;

// A scratch buffer for the duration of a kernel sequence (e.g. the partial
// results of a two-pass reduction). Releasing it right after the launches is
// safe: the block's next user is ordered after them on the default stream.
class DeviceBuffer {
 public:
  DeviceBuffer(int64_t nbytes, int device) : ptr_(allocate(nbytes, device)), device_(device) {}
  ~DeviceBuffer() { release(ptr_, device_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T> T* as() const { return static_cast<T*>(ptr_); }

 private:
  void* ptr_;
  int device_;
};

}  // namespace tg::cuda
