// The CUDA runtime's host-facing API beside the allocator (allocator.h): counters of host
// synchronizations and device allocations, device memory queries, streams, events and pinned host
// memory. Plain C++ (no CUDA headers), so the bindings compile without the toolkit; without a CUDA
// build, unavailable.cpp defines these to raise torch's errors (or answer zero).
//
// Streams and events are passed around as opaque handles (the cudaStream_t / cudaEvent_t value as an
// integer; stream 0 is the legacy default stream, torch's default stream).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include "../core/storage.h"

namespace tg::cuda {

// ------------------------------------------------------------------ counters
// Monotonic counts since the process started: (name, count) pairs. "host_syncs" is the sum of the
// calls that make the host wait for the GPU: synchronous host<->device copies ("memcpy_htod",
// "memcpy_dtoh"), cudaDeviceSynchronize ("device_synchronize"), cudaStreamSynchronize
// ("stream_synchronize"), cudaEventSynchronize ("event_synchronize"). "cuda_malloc" / "cuda_free"
// count the allocator's device allocations (each also synchronizes the device). Syncs that
// CUDA_LAUNCH_BLOCKING=1 adds after every launch are not counted.
std::vector<std::pair<std::string, int64_t>> counters();

// ------------------------------------------------------------------ memory
std::pair<int64_t, int64_t> mem_get_info(int device);  // (free, total) bytes: cudaMemGetInfo
int64_t max_memory_reserved(int device);               // peak of memory_reserved since start or the last reset
int64_t cuda_free_count();

// ------------------------------------------------------------------ streams
// The calling thread's current stream on `device` (0 = the legacy default stream until set_stream).
uintptr_t current_stream_handle(int device);
void set_current_stream(int device, uintptr_t stream);
// A stream from the device's pool (torch's: 32 non-blocking streams per priority, handed out round robin,
// never destroyed). priority: 0 (normal) or negative (high).
uintptr_t stream_from_pool(int device, int priority);
bool stream_query(uintptr_t stream);        // all work done
void stream_synchronize(uintptr_t stream);  // counted
void stream_wait_event(uintptr_t stream, uintptr_t event);
int stream_priority(uintptr_t stream);
std::pair<int, int> stream_priority_range();  // (least, greatest): cudaDeviceGetStreamPriorityRange

// Tensor.record_stream: the block holding `ptr` (a storage's base) is also used on `stream`; when released
// it is reused only after the work queued on that stream so far (an event) has completed.
void record_stream(const void* ptr, uintptr_t stream);

// ------------------------------------------------------------------ events
uintptr_t event_create(int device, bool enable_timing, bool blocking);
void event_destroy(uintptr_t event) noexcept;
void event_record(uintptr_t event, uintptr_t stream);
bool event_query(uintptr_t event);
void event_synchronize(uintptr_t event);                   // counted
float event_elapsed_time(uintptr_t start, uintptr_t end);  // milliseconds

// ------------------------------------------------------------------ pinned host memory
// Page-locked CPU storage (cudaHostAlloc): copies from it to the GPU can run asynchronously
// (non_blocking=True). The storage's device is the CPU.
std::shared_ptr<Storage> pinned_storage(int64_t nbytes);
bool is_pinned(const void* ptr);  // cudaPointerGetAttributes says cudaMemoryTypeHost

// ------------------------------------------------------------------ kernels compiled at run time
// The elementwise fusion's generated kernels (tinygrad_ext/_fusion.py compiles them with NVRTC).
// kernel_load: `image` (a cubin for this device's architecture, or PTX) loaded as a library on `device`; the
// handle of its kernel `name`. Loaded libraries stay loaded for the process (the fusion caches the handles).
uintptr_t kernel_load(const std::string& image, const std::string& name, int device);
// The kernel over n elements on the device's current stream, its parameters `args` in order, each 8 bytes
// (the data pointers, then n): a grid-stride launch of 256-thread blocks.
void kernel_launch(uintptr_t kernel, const std::vector<int64_t>& args, int64_t n, int device);

}  // namespace tg::cuda
