// Bindings of the CUDA runtime's host API (cuda/runtime_api.h): counters, memory queries, streams,
// events, pinned host memory and non-blocking copies. tinygrad_ext/cuda.py wraps them in torch.cuda's
// classes; without a CUDA build they raise torch's errors (cuda/unavailable.cpp).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "../core/ops.h"
#include "../cuda/runtime_api.h"
#include "gil.h"

namespace py = pybind11;
using namespace tg;

namespace {
Shape shape_arg(const std::vector<int64_t>& s) { return Shape(s.begin(), s.end()); }
DType dtype_arg(int v) {
  TG_CHECK_TYPE(v >= 0 && v < kNumDTypes, "invalid dtype id ", v);
  return static_cast<DType>(v);
}
}  // namespace

void bind_cuda(py::module_& m) {
  m.def("cuda_counters", [] {
    py::dict d;
    for (const auto& [name, value] : cuda::counters()) d[py::str(name)] = value;
    return d;
  });
  m.def("cuda_mem_get_info", &cuda::mem_get_info);
  m.def("cuda_max_memory_reserved", &cuda::max_memory_reserved);

  // Streams and events as integer handles (0: the legacy default stream).
  m.def("cuda_current_stream", &cuda::current_stream_handle);
  m.def("cuda_set_stream", &cuda::set_current_stream);
  m.def("cuda_stream_from_pool", &cuda::stream_from_pool);
  m.def("cuda_stream_query", &cuda::stream_query);
  m.def("cuda_stream_synchronize", &cuda::stream_synchronize, py::call_guard<py::gil_scoped_release>());
  m.def("cuda_stream_wait_event", &cuda::stream_wait_event);
  m.def("cuda_record_stream", [](const Tensor& t, uintptr_t stream) { cuda::record_stream(t->storage->data, stream); });
  m.def("cuda_stream_priority", &cuda::stream_priority);
  m.def("cuda_stream_priority_range", &cuda::stream_priority_range);
  m.def("cuda_event_create", &cuda::event_create);
  m.def("cuda_event_destroy", &cuda::event_destroy);
  m.def("cuda_event_record", &cuda::event_record);
  m.def("cuda_event_query", &cuda::event_query);
  m.def("cuda_event_synchronize", &cuda::event_synchronize, py::call_guard<py::gil_scoped_release>());
  m.def("cuda_event_elapsed_time", &cuda::event_elapsed_time);
  m.def("cuda_kernel_load", [](const py::bytes& image, const std::string& name, int device) {
    return cuda::kernel_load(std::string(image), name, device);
  });
  m.def("cuda_kernel_launch", &cuda::kernel_launch);

  // Pinned host memory and copies that need not wait.
  m.def("pin_memory", [](const Tensor& t) {
    ReleaseGil nogil(t->numel());
    return pin_memory(t);
  });
  m.def("is_pinned", [](const Tensor& t) { return !t->device().is_cuda() && cuda::is_pinned(t->storage->data); });
  m.def("empty_pinned",
        [](const std::vector<int64_t>& sizes, int dt) { return empty_pinned(shape_arg(sizes), dtype_arg(dt)); });
  m.def("copy_non_blocking_", [](const Tensor& dst, const Tensor& src) {
    ReleaseGil nogil(dst->numel());
    copy_(dst, src, true);
  });
}
