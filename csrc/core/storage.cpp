#include "storage.h"
#include <cstdlib>
#include <new>

namespace tg {

std::string device_str(Device d) {
  return d.type == DeviceType::CPU ? "cpu" : str_cat("cuda:", int(d.index));
}

namespace {
// 64-byte alignment: whole cache lines, and aligned AVX loads on contiguous data.
void* cpu_allocate(int64_t nbytes, int) {
  size_t n = (static_cast<size_t>(nbytes) + 63) & ~size_t(63);
  void* p = std::aligned_alloc(64, n ? n : 64);  // never a 0-byte request
  if (!p) throw std::bad_alloc();
  return p;
}
void cpu_release(void* p, int) { std::free(p); }

Allocator g_allocators[2] = {{cpu_allocate, cpu_release}, {nullptr, nullptr}};
}  // namespace

void register_allocator(DeviceType type, Allocator a) { g_allocators[int(type)] = a; }

std::shared_ptr<Storage> Storage::allocate(int64_t nbytes, Device device) {
  const Allocator& a = g_allocators[int(device.type)];
  TG_CHECK(a.allocate, "cannot allocate on ", device_str(device),
           ": tinygrad_ext was built without CUDA support");
  auto s = std::make_shared<Storage>();
  s->data = a.allocate(nbytes, device.index);
  s->nbytes = nbytes;
  s->device = device;
  auto release = a.release;
  int idx = device.index;
  s->deleter = [release, idx](void* p) { release(p, idx); };
  return s;
}

std::shared_ptr<Storage> Storage::wrap(void* data, int64_t nbytes, Device device,
                                       std::function<void(void*)> deleter) {
  auto s = std::make_shared<Storage>();
  s->data = data;
  s->nbytes = nbytes;
  s->device = device;
  s->deleter = std::move(deleter);
  return s;
}

}  // namespace tg
