// Storage: one refcounted block of device memory shared by every view of it. (The version counter that autograd
// checks for saved tensors is the TensorImpl's, shared by its views: tensor.h.)
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include "error.h"

namespace tg {

enum class DeviceType : int8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int8_t index = 0;
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  bool is_cuda() const { return type == DeviceType::CUDA; }
};
std::string device_str(Device d);  // "cpu", "cuda:0"

// How a device allocates. CPU's is built in; the CUDA backend registers its own.
struct Allocator {
  void* (*allocate)(int64_t nbytes, int device_index);  // throws std::bad_alloc / tg::Error
  void (*release)(void* ptr, int device_index);
};
void register_allocator(DeviceType type, Allocator a);

struct Storage {
  void* data = nullptr;
  int64_t nbytes = 0;
  Device device;
  std::function<void(void*)> deleter;  // frees data (allocator release, or a numpy owner)

  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() {
    if (deleter) deleter(data);
  }

  static std::shared_ptr<Storage> allocate(int64_t nbytes, Device device);
  // Wraps memory owned elsewhere; deleter runs when the last view is gone.
  static std::shared_ptr<Storage> wrap(void* data, int64_t nbytes, Device device, std::function<void(void*)> deleter);
};

}  // namespace tg
