// DLPack: zero-copy tensor exchange with numpy, PyTorch, CuPy, JAX, ... (https://dmlc.github.io/dlpack/).
// A producer hands out a PyCapsule named "dltensor" (DLPack 0.x, DLManagedTensor) or "dltensor_versioned"
// (DLPack 1.x, DLManagedTensorVersioned, with flags); the consumer renames it "used_dltensor[_versioned]"
// and calls the tensor's deleter when it no longer needs the memory.
// Exported tensors: the capsule holds a reference to our Storage, so the memory lives as long as the
// consumer's array. Imported tensors: our Storage wraps the producer's memory and its deleter runs the
// producer's deleter, so the producer's memory lives as long as our tensor and its views.
#include <pybind11/pybind11.h>
#include "../core/ops.h"
#include "../cuda/kernels.h"

namespace py = pybind11;
using namespace tg;

void check_bool_bytes(const Tensor& t, const char* op);  // bindings/module.cpp

namespace {

// The ABI structs of dlpack.h (v1.x), written out from the specification.
enum DLDeviceCode : int32_t { kDLCPU = 1, kDLCUDA = 2, kDLCUDAHost = 3, kDLCUDAManaged = 13 };
enum DLTypeCode : uint8_t { kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBfloat = 4, kDLComplex = 5, kDLBool = 6 };
struct DLDevice {
  int32_t device_type;
  int32_t device_id;
};
struct DLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};
struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;  // in elements; NULL means compact row-major
  uint64_t byte_offset;
};
struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor*);
};
struct DLPackVersion {
  uint32_t major, minor;
};
struct DLManagedTensorVersioned {
  DLPackVersion version;
  void* manager_ctx;
  void (*deleter)(DLManagedTensorVersioned*);
  uint64_t flags;
  DLTensor dl_tensor;
};
constexpr uint64_t kFlagReadOnly = 1, kFlagIsCopied = 2;

// Our dtype as a DLPack type code and width, from its torch name ("float16" -> kDLFloat, 16 bits);
// lanes 0 for a dtype DLPack cannot describe.
DLDataType dl_dtype(DType t) {
  std::string name = dtype_name(t);
  uint8_t bits = static_cast<uint8_t>(itemsize(t) * 8);
  auto starts = [&](const char* prefix) { return name.rfind(prefix, 0) == 0; };
  if (name == "bool") return {kDLBool, 8, 1};
  if (starts("bfloat")) return {kDLBfloat, bits, 1};
  if (starts("float")) return {kDLFloat, bits, 1};
  if (starts("complex")) return {kDLComplex, bits, 1};
  if (starts("uint")) return {kDLUInt, bits, 1};
  if (starts("int")) return {kDLInt, bits, 1};
  return {0, 0, 0};
}

DType from_dl_dtype(DLDataType t) {
  for (int i = 0; i < kNumDTypes; ++i) {
    DLDataType d = dl_dtype(static_cast<DType>(i));
    if (d.lanes == 1 && d.code == t.code && d.bits == t.bits && t.lanes == 1) return static_cast<DType>(i);
  }
  throw py::buffer_error(str_cat("from_dlpack: unsupported DLPack dtype (code ", int(t.code), ", bits ", int(t.bits),
                                 ", lanes ", t.lanes,
                                 "); supported: bool, uint8, int32, int64, "
                                 "float32, float64 and the other dtypes tinygrad_ext has"));
}

// ------------------------------------------------------------------ export
// One allocation owns everything the consumer sees: the managed tensor, its shape and strides, and a
// reference to the storage.
template <class Managed> struct Exported {
  Managed managed{};
  std::shared_ptr<Storage> storage;
  Shape shape, strides;
  static void deleter(Managed* m) { delete static_cast<Exported*>(m->manager_ctx); }
};

template <class Managed> Managed* export_tensor(const Tensor& t) {
  auto* e = new Exported<Managed>();
  e->storage = t->storage;
  e->shape = t->sizes;
  e->strides = t->strides;
  DLTensor& dl = e->managed.dl_tensor;
  dl.data = t->storage->data;
  dl.byte_offset = static_cast<uint64_t>(t->offset * itemsize(t->dtype));
  dl.device = {t->device().is_cuda() ? kDLCUDA : kDLCPU, t->device().index};
  dl.ndim = static_cast<int32_t>(t->dim());
  dl.dtype = dl_dtype(t->dtype);
  if (dl.dtype.lanes == 0) {
    delete e;
    throw py::buffer_error(str_cat("__dlpack__: torch.", dtype_name(t->dtype), " has no DLPack type"));
  }
  dl.shape = e->shape.data();
  dl.strides = e->strides.data();
  e->managed.manager_ctx = e;
  e->managed.deleter = &Exported<Managed>::deleter;
  return &e->managed;
}

// A capsule nobody consumed still owns its tensor (the consumer renames the capsules it takes).
template <class Managed> void capsule_destructor(PyObject* capsule, const char* name) {
  if (!PyCapsule_IsValid(capsule, name)) return;
  auto* m = static_cast<Managed*>(PyCapsule_GetPointer(capsule, name));
  if (m && m->deleter) m->deleter(m);
}

py::object to_dlpack(const Tensor& t, bool versioned, bool copied) {
  if (!versioned) {
    DLManagedTensor* m = export_tensor<DLManagedTensor>(t);
    PyObject* cap =
        PyCapsule_New(m, "dltensor", [](PyObject* c) { capsule_destructor<DLManagedTensor>(c, "dltensor"); });
    if (!cap) {
      m->deleter(m);
      throw py::error_already_set();
    }
    return py::reinterpret_steal<py::object>(cap);
  }
  DLManagedTensorVersioned* m = export_tensor<DLManagedTensorVersioned>(t);
  m->version = {1, 0};
  m->flags = copied ? kFlagIsCopied : 0;
  PyObject* cap = PyCapsule_New(m, "dltensor_versioned", [](PyObject* c) {
    capsule_destructor<DLManagedTensorVersioned>(c, "dltensor_versioned");
  });
  if (!cap) {
    m->deleter(m);
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::object>(cap);
}

// ------------------------------------------------------------------ import
// A copy of `t` that reads it byte by byte: right for views with negative strides or misaligned data,
// which the typed kernels must not see.
Tensor byte_copy(const Tensor& t) {
  int64_t isz = itemsize(t->dtype);
  auto bytes = std::make_shared<TensorImpl>(*t);
  bytes->dtype = DType::UInt8;
  bytes->offset = t->offset * isz;
  for (int64_t& s : bytes->strides) s *= isz;
  bytes->sizes.push_back(isz);
  bytes->strides.push_back(1);
  auto out = std::make_shared<TensorImpl>(*clone(bytes));
  out->dtype = t->dtype;
  out->offset = 0;
  out->sizes = t->sizes;
  out->strides = contiguous_strides(t->sizes);
  return out;
}

// `copy`: None copies only when needed (a read-only, misaligned or negatively strided tensor), True
// always, False never (BufferError when a copy would be needed).
template <class Managed> Tensor import_tensor(Managed* m, bool read_only, py::handle copy, void (*drop)(Managed*)) {
  const DLTensor& dl = m->dl_tensor;
  std::unique_ptr<Managed, void (*)(Managed*)> owner(m, drop);  // runs the producer's deleter on errors
  DType dtype;
  Device device;
  bool cuda = dl.device.device_type == kDLCUDA || dl.device.device_type == kDLCUDAManaged;
  if (cuda) {
    if (!cuda::is_built() || cuda::device_count() <= dl.device.device_id)
      throw py::buffer_error(
          str_cat("from_dlpack: the tensor is on CUDA device ", dl.device.device_id, ", but ",
                  cuda::is_built() ? "that device is not available" : "tinygrad_ext was built without CUDA"));
    device = Device{DeviceType::CUDA, static_cast<int8_t>(dl.device.device_id)};
  } else if (dl.device.device_type != kDLCPU && dl.device.device_type != kDLCUDAHost) {
    throw py::buffer_error(str_cat("from_dlpack: unsupported DLPack device type ", dl.device.device_type,
                                   "; tinygrad_ext takes CPU (1) and CUDA (2) tensors"));
  }
  dtype = from_dl_dtype(dl.dtype);
  if (dl.ndim < 0) throw py::buffer_error("from_dlpack: negative ndim");
  int64_t isz = itemsize(dtype);
  Shape sizes(dl.shape, dl.shape + dl.ndim), strides;
  strides = dl.strides ? Shape(dl.strides, dl.strides + dl.ndim) : contiguous_strides(sizes);
  checked_numel(sizes, "from_dlpack");
  // The bytes the view can reach, relative to its first element: [lo, hi).
  int64_t lo = 0, hi = isz;
  bool empty_tensor = false, negative = false;
  for (int i = 0; i < dl.ndim; ++i) {
    if (sizes[i] == 0) empty_tensor = true;
    if (sizes[i] <= 1) continue;
    int64_t reach = (sizes[i] - 1) * strides[i] * isz;
    (reach < 0 ? lo : hi) += reach;
    negative |= strides[i] < 0;
  }
  char* first = static_cast<char*>(dl.data) + dl.byte_offset;
  auto t = std::make_shared<TensorImpl>();
  t->dtype = dtype;
  t->sizes = sizes;
  t->strides = strides;
  if (empty_tensor) lo = 0, hi = 0;
  t->offset = -lo / isz;
  bool misaligned = reinterpret_cast<uintptr_t>(first) % isz != 0;
  Managed* raw = owner.release();
  t->storage = Storage::wrap(first + lo, hi - lo, device, [raw, drop](void*) { drop(raw); });
  bool must_copy = read_only || misaligned || negative;
  bool want_copy = !copy.is_none() && copy.cast<bool>();
  if (must_copy && !copy.is_none() && !want_copy)
    throw py::buffer_error(str_cat("from_dlpack(copy=False): the tensor is ",
                                   read_only    ? "read-only"
                                   : misaligned ? "not aligned to its element size"
                                                : "strided backwards",
                                   ", which tinygrad_ext can only take as a copy; use copy=None or copy=True"));
  if (empty_tensor) t->strides = contiguous_strides(sizes);
  if (must_copy || want_copy) t = byte_copy(t);
  return t;
}

Tensor from_dlpack(py::handle capsule, py::handle copy) {
  PyObject* c = capsule.ptr();  // (PyCapsule_IsValid is false for anything but a capsule of that name)
  Tensor t;
  if (PyCapsule_IsValid(c, "dltensor_versioned")) {
    auto* m = static_cast<DLManagedTensorVersioned*>(PyCapsule_GetPointer(c, "dltensor_versioned"));
    if (m->version.major > 1)
      throw py::buffer_error(str_cat("from_dlpack: DLPack version ", m->version.major, ".", m->version.minor,
                                     " is newer than the 1.x this tinygrad_ext reads"));
    PyCapsule_SetName(c, "used_dltensor_versioned");
    t = import_tensor<DLManagedTensorVersioned>(m, m->flags & kFlagReadOnly, copy, [](DLManagedTensorVersioned* p) {
      if (p->deleter) p->deleter(p);
    });
  } else if (PyCapsule_IsValid(c, "dltensor")) {
    auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(c, "dltensor"));
    PyCapsule_SetName(c, "used_dltensor");
    t = import_tensor<DLManagedTensor>(m, false, copy, [](DLManagedTensor* p) {
      if (p->deleter) p->deleter(p);
    });
  } else {
    throw Error(
        "from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed only once, "
        "so you might have already constructed a tensor from it once.");
  }
  if (t->dtype == DType::Bool) check_bool_bytes(t, "from_dlpack");
  return t;
}

}  // namespace

void bind_dlpack(py::module_& m) {
  m.def("to_dlpack", &to_dlpack, py::arg("tensor"), py::arg("versioned"), py::arg("copied") = false);
  m.def("from_dlpack", &from_dlpack, py::arg("capsule"), py::arg("copy") = py::none());
}
