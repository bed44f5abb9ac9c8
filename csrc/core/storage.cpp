#include "storage.h"
#include <cstdlib>
#include <new>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tg {

std::string device_str(Device d) { return d.type == DeviceType::CPU ? "cpu" : str_cat("cuda:", int(d.index)); }

namespace {
// 64-byte alignment: whole cache lines, and aligned AVX loads on contiguous data.
// Large blocks are 2 MiB aligned and marked for transparent huge pages, as
// numpy does: first-touch page faults otherwise dominate big elementwise ops.
constexpr size_t kHugePage = size_t(2) << 20;

// A training step frees and reallocates the same large blocks every step. glibc
// would hand them back to the OS (munmap / trim) and fault them in again each
// time; keeping them in the heap makes reuse free. Set once, before the first
// allocation.
[[maybe_unused]] const bool g_malloc_tuned = [] {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
  return true;
}();

void* cpu_allocate(int64_t nbytes, int) {
  size_t n = (static_cast<size_t>(nbytes) + 63) & ~size_t(63);
  bool huge = n >= 2 * kHugePage;
  if (huge) n = (n + kHugePage - 1) & ~(kHugePage - 1);
  void* p = std::aligned_alloc(huge ? kHugePage : 64, n ? n : 64);  // never a 0-byte request
  if (!p) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (huge) madvise(p, n, MADV_HUGEPAGE);  // advisory: failure is harmless
#endif
  return p;
}
void cpu_release(void* p, int) { std::free(p); }

Allocator g_allocators[2] = {{cpu_allocate, cpu_release}, {nullptr, nullptr}};
}  // namespace

void register_allocator(DeviceType type, Allocator a) { g_allocators[int(type)] = a; }

std::shared_ptr<Storage> Storage::allocate(int64_t nbytes, Device device) {
  const Allocator& a = g_allocators[int(device.type)];
  TG_CHECK(a.allocate, "cannot allocate on ", device_str(device), ": tinygrad_ext was built without CUDA support");
  auto s = std::make_shared<Storage>();
  s->data = a.allocate(nbytes, device.index);
  s->nbytes = nbytes;
  s->device = device;
  auto release = a.release;
  int idx = device.index;
  s->deleter = [release, idx](void* p) { release(p, idx); };
  return s;
}

std::shared_ptr<Storage> Storage::wrap(void* data, int64_t nbytes, Device device, std::function<void(void*)> deleter) {
  auto s = std::make_shared<Storage>();
  s->data = data;
  s->nbytes = nbytes;
  s->device = device;
  s->deleter = std::move(deleter);
  return s;
}

}  // namespace tg
