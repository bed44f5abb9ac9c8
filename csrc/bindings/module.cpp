// The pybind11 module tinygrad_ext._C: the only file that knows Python exists.
// It converts arguments (Python numbers become Scalars, numpy arrays become
// Storages), maps C++ errors to the Python exceptions torch raises, and
// exposes the op front end of core/ops.h one function per op (those the op registry declares: tg_bindings.cpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "../core/ops.h"
#include "../core/optim_ops.h"
#include "../cpu/kernels.h"
#include "../cpu/parallel.h"
#include "../cuda/allocator.h"
#include "../cuda/kernels.h"
#include "gil.h"
#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace py = pybind11;
using namespace tg;

// A bool byte other than 0 or 1 (a uint8 array viewed as bool) would break every kernel that counts or
// indexes with the mask: ValueError for tensors taken from numpy or DLPack.
void check_bool_bytes(const Tensor& t, const char* op) {
  if (!t->numel()) return;
  auto bytes = std::make_shared<TensorImpl>(*t);
  bytes->dtype = DType::UInt8;
  TG_CHECK_VALUE(item_int(reduce(ReduceOpId::amax, bytes, {}, false)) <= 1, op,
                 ": the bool array holds bytes other than 0 and 1 (a "
                 "uint8 array viewed as bool?); convert it with array.astype(bool) first.");
}

namespace {

PyObject* g_shape_error = nullptr;
PyObject* g_zero_div_error = nullptr;

std::string type_name_of(py::handle h) {
  py::handle type = py::type::of(h);
  std::string mod = py::str(type.attr("__module__")), name = py::str(type.attr("__name__"));
  return mod == "builtins" ? name : mod + "." + name;
}

Scalar int_scalar(PyObject* v, const char* op) {
  int overflow = 0;
  long long i = PyLong_AsLongLongAndOverflow(v, &overflow);
  if (i == -1 && PyErr_Occurred()) throw py::error_already_set();
  TG_CHECK(!overflow, op, ": value cannot be converted to type int64 without overflow");
  return Scalar::from_int(i);
}

// A Python number (bool, int, float, or a numpy scalar) as a Scalar. Arrays are not numbers: torch's
// functions taking a Number raise TypeError for them (ndarray has __index__, which fails for most arrays).
Scalar to_scalar(py::handle h, const char* op) {
  PyObject* p = h.ptr();
  if (PyBool_Check(p)) return Scalar::from_bool(p == Py_True);
  if (PyLong_Check(p)) return int_scalar(p, op);
  if (PyFloat_Check(p)) return Scalar::from_double(PyFloat_AS_DOUBLE(p));
  if (py::isinstance<py::array>(h) || !PyNumber_Check(p))
    throw TypeError(str_cat(op, "(): expected a Tensor or a number, got ", type_name_of(h)));
  // numpy.bool_: torch's argument parser takes it for a float number (int64 tensor + np.bool_(True) is float32)
  if (PyObject_HasAttrString(p, "dtype") && py::str(h.attr("dtype").attr("kind")).cast<std::string>() == "b")
    return Scalar::from_double(PyObject_IsTrue(p) == 1 ? 1.0 : 0.0);
  if (PyIndex_Check(p)) {
    py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(p));
    if (!i) throw py::error_already_set();
    return int_scalar(i.ptr(), op);
  }
  double v = PyFloat_AsDouble(p);
  if (v == -1.0 && PyErr_Occurred()) throw py::error_already_set();
  return Scalar::from_double(v);
}

Tensor opt_tensor(py::handle h) { return h.is_none() ? nullptr : h.cast<Tensor>(); }

DType to_dtype_id(int v) {
  TG_CHECK_TYPE(v >= 0 && v < kNumDTypes, "invalid dtype id ", v);
  return static_cast<DType>(v);
}

Device to_device_arg(int type, int index) {
  TG_CHECK(type == 0 || type == 1, "invalid device type ", type);
  Device d{static_cast<DeviceType>(type), static_cast<int8_t>(index)};
  if (d.is_cuda()) {
    TG_CHECK(cuda::is_built(), "Torch not compiled with CUDA enabled (tinygrad_ext was built without CUDA)");
    int n = cuda::device_count();
    TG_CHECK(n > 0, cuda::init_error().empty() ? std::string("No CUDA GPUs are available") : cuda::init_error());
    TG_CHECK(index >= 0 && index < n, "CUDA error: invalid device ordinal: device index ", index, " out of range, ", n,
             " device(s)");
  }
  return d;
}

// ------------------------------------------------------------- numpy bridge
py::dtype numpy_dtype(DType t) {
  switch (t) {
    case DType::Bool: return py::dtype("bool");
    case DType::UInt8: return py::dtype("uint8");
    case DType::Int8: return py::dtype("int8");
    case DType::Int16: return py::dtype("int16");
    case DType::Int32: return py::dtype("int32");
    case DType::Int64: return py::dtype("int64");
    case DType::Float16: return py::dtype("float16");
    case DType::Float32: return py::dtype("float32");
    case DType::BFloat16: throw TypeError("Got unsupported ScalarType BFloat16");  // (numpy has no bfloat16)
    default: return py::dtype("float64");
  }
}

py::array to_numpy(const Tensor& t) {
  TG_CHECK_TYPE(!t->device().is_cuda(), "can't convert ", device_str(t->device()),
                " device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.");
  std::vector<py::ssize_t> shape(t->sizes.begin(), t->sizes.end()), strides;
  for (int64_t s : t->strides) strides.push_back(s * itemsize(t->dtype));
  // The array's base keeps the storage alive: numpy and the tensor share memory.
  auto* keep = new std::shared_ptr<Storage>(t->storage);
  py::capsule owner(keep, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
  return py::array(numpy_dtype(t->dtype), shape, strides, t->data_ptr(), owner);
}

Tensor from_numpy(py::handle obj) {
  TG_CHECK_TYPE(py::isinstance<py::array>(obj), "expected np.ndarray (got ",
                std::string(py::str(py::type::of(obj).attr("__name__"))), ")");
  py::array arr = py::reinterpret_borrow<py::array>(obj);
  py::dtype dt = arr.dtype();
  char kind = dt.kind();
  int64_t isz = dt.itemsize();
  DType d;
  if (kind == 'f' && isz == 4) d = DType::Float32;
  else if (kind == 'f' && isz == 8) d = DType::Float64;
  else if (kind == 'f' && isz == 2) d = DType::Float16;
  else if (kind == 'i' && isz == 2) d = DType::Int16;
  else if (kind == 'i' && isz == 1) d = DType::Int8;
  else if (kind == 'i' && isz == 8) d = DType::Int64;
  else if (kind == 'i' && isz == 4) d = DType::Int32;
  else if (kind == 'u' && isz == 1) d = DType::UInt8;
  else if (kind == 'b') d = DType::Bool;
  else
    throw TypeError(str_cat(
        "can't convert np.ndarray of type numpy.", std::string(py::str(dt.attr("type").attr("__name__"))),
        ". The only supported types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."));
  TG_CHECK_VALUE(dt.attr("isnative").cast<bool>(),
                 "given numpy array has byte order different from the native "
                 "byte order. Conversion between byte orders is currently not supported.");
  Shape sizes, strides;
  int64_t extent = 0;
  bool empty_arr = false;
  for (py::ssize_t i = 0; i < arr.ndim(); ++i) {
    int64_t st = arr.strides(i);
    TG_CHECK_VALUE(st >= 0,
                   "At least one stride in the given numpy array is negative, and tensors with negative "
                   "strides are not currently supported. (You can probably work around this by making a copy of "
                   "your array  with array.copy().) ");
    TG_CHECK_VALUE(st % isz == 0,
                   "given numpy array strides not a multiple of the element byte size. Copy the "
                   "numpy array to reallocate the memory.");
    sizes.push_back(arr.shape(i));
    strides.push_back(st / isz);
    if (arr.shape(i) == 0) empty_arr = true;
    extent += (arr.shape(i) - 1) * st;
  }
  bool writable = arr.attr("flags").attr("writeable").cast<bool>();
  bool aligned = reinterpret_cast<uintptr_t>(arr.data()) % isz == 0;
  int64_t nbytes = empty_arr ? 0 : extent + isz;
  Tensor t;
  if (!writable || !aligned) {
    // Safer than torch: a read-only array is copied, never aliased; so is a misaligned one (the
    // kernels load whole elements).
    t = empty(sizes, d, {});
    py::array dst(numpy_dtype(d), std::vector<py::ssize_t>(sizes.begin(), sizes.end()), std::vector<py::ssize_t>(),
                  t->data_ptr(), py::none());
    py::module_::import("numpy").attr("copyto")(dst, arr);
  } else {
    t = std::make_shared<TensorImpl>();
    t->sizes = sizes;
    t->strides = strides;
    t->dtype = d;
    PyObject* owner = arr.ptr();
    Py_INCREF(owner);
    t->storage = Storage::wrap(const_cast<void*>(arr.data()), nbytes, Device{}, [owner](void*) {
      py::gil_scoped_acquire gil;
      Py_DECREF(owner);
    });
  }
  if (d == DType::Bool) check_bool_bytes(t, "from_numpy");
  return t;
}

py::object item(const Tensor& t) {
  if (is_floating(t->dtype)) return py::float_(item_double(t));
  if (t->dtype == DType::Bool) return py::bool_(item_int(t) != 0);
  return py::int_(item_int(t));
}

Shape to_shape(py::handle h) {
  try {
    return h.cast<Shape>();
  } catch (const py::cast_error&) {
    throw TypeError(str_cat("expected a sequence of integers (int64), got ", std::string(py::repr(h))));
  }
}

// An op's scalar parameters (its registry entry's `params`): None, or a sequence of numbers.
OpParams op_params(py::handle h, const char* name) {
  OpParams p;
  if (h.is_none()) return p;
  auto seq = h.cast<py::sequence>();
  TG_CHECK(seq.size() <= 4, name, ": at most 4 scalar parameters, got ", seq.size());
  for (size_t i = 0; i < seq.size(); ++i) p.v[i] = seq[i].cast<double>();
  return p;
}

Tensor binary_tensors(BinaryOpId op, const Tensor& a, const Tensor& b, bool reflected, py::handle out,
                      const OpParams& p = {}) {
  Tensor o = opt_tensor(out);
  ReleaseGil nogil(std::max(a->numel(), b->numel()));
  return reflected ? binary(op, b, a, o, p) : binary(op, a, b, o, p);
}

// TensorImpl.shape, read on every graph node a binary op records: filled with the raw C API (py::tuple's
// item proxies cost more than the read itself).
py::tuple shape_tuple(const TensorImpl& t) {
  auto r = py::reinterpret_steal<py::tuple>(PyTuple_New(static_cast<Py_ssize_t>(t.sizes.size())));
  if (!r) throw py::error_already_set();
  for (size_t i = 0; i < t.sizes.size(); ++i) {
    PyObject* n = PyLong_FromLongLong(t.sizes[i]);
    if (!n) throw py::error_already_set();
    PyTuple_SET_ITEM(r.ptr(), static_cast<Py_ssize_t>(i), n);
  }
  return r;
}

}  // namespace

// the op registry's FRONT_ENDS (products, indexing, sorting, random numbers, nn, linalg), one m.def each:
// tg_bindings.cpp, generated by CMake from python/tinygrad_ext/_registry.py
void bind_generated(py::module_& m);
void bind_dlpack(py::module_& m);  // bindings/dlpack.cpp: to_dlpack / from_dlpack capsules
void bind_cuda(py::module_& m);    // bindings/cuda.cpp: streams, events, pinned memory, counters

PYBIND11_MODULE(_C, m) {
  m.doc() = "tinygrad_ext core: tensors, views and kernels (C++/CUDA)";

  py::object builtins = py::module_::import("builtins");
  g_shape_error =
      PyErr_NewException("tinygrad_ext._C.ShapeError",
                         py::make_tuple(builtins.attr("RuntimeError"), builtins.attr("ValueError")).ptr(), nullptr);
  g_zero_div_error = PyErr_NewException(
      "tinygrad_ext._C.ZeroDivisionError",
      py::make_tuple(builtins.attr("RuntimeError"), builtins.attr("ZeroDivisionError")).ptr(), nullptr);
  m.attr("ShapeError") = py::handle(g_shape_error);
  m.attr("ZeroDivisionError") = py::handle(g_zero_div_error);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ShapeError& e) { PyErr_SetString(g_shape_error, e.what()); } catch (const ZeroDivError& e) {
      PyErr_SetString(g_zero_div_error, e.what());
    } catch (const IndexError& e) { PyErr_SetString(PyExc_IndexError, e.what()); } catch (const ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const TypeError& e) { PyErr_SetString(PyExc_TypeError, e.what()); } catch (const NotImplementedError& e) {
      PyErr_SetString(PyExc_NotImplementedError, e.what());
    } catch (const OutOfMemoryError& e) {  // torch.cuda.OutOfMemoryError (a RuntimeError)
      PyErr_SetString(py::module_::import("tinygrad_ext.cuda").attr("OutOfMemoryError").ptr(), e.what());
    } catch (const Error& e) { PyErr_SetString(PyExc_RuntimeError, e.what()); }
  });

  py::class_<TensorImpl, Tensor>(m, "TensorImpl")
      .def_property_readonly("shape", &shape_tuple)
      .def_property_readonly("strides", [](const TensorImpl& t) { return py::tuple(py::cast(t.strides)); })
      .def_property_readonly("offset", [](const TensorImpl& t) { return t.offset; })
      .def_property_readonly("dtype", [](const TensorImpl& t) { return int(t.dtype); })
      // (shape, dtype) in one call: what a graph node keeps of an operand whose values its formula does not read
      .def_property_readonly("meta", [](const TensorImpl& t) { return py::make_tuple(shape_tuple(t), int(t.dtype)); })
      .def_property_readonly("device_type", [](const TensorImpl& t) { return int(t.device().type); })
      .def_property_readonly("device_index", [](const TensorImpl& t) { return int(t.device().index); })
      .def_property_readonly("ndim", &TensorImpl::dim)
      .def_property_readonly("numel", &TensorImpl::numel)
      .def_property_readonly("is_contiguous", &TensorImpl::is_contiguous)
      // a column-major matrix (a transposed contiguous one: strides (1, rows)), what mm's backward keeps of an
      // operand whose gradient it computes in that layout (torch's mm_mat1/mm_mat2_backward strides test)
      .def_property_readonly(
          "column_major",
          [](const TensorImpl& t) { return t.dim() == 2 && t.strides[0] == 1 && t.strides[1] == t.sizes[0]; })
      .def_property_readonly("data_ptr", [](const TensorImpl& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()); })
      .def_property_readonly("storage_id",
                             [](const TensorImpl& t) { return reinterpret_cast<uintptr_t>(t.storage.get()); })
      .def_property_readonly("storage_nbytes", [](const TensorImpl& t) { return t.storage->nbytes; })
      .def_property(
          "version", [](const TensorImpl& t) { return *t.version; }, [](TensorImpl& t, int64_t v) { *t.version = v; })
      .def_readwrite("inference", &TensorImpl::inference);

  // ---- creation, conversion, views
  m.def("empty", [](py::handle sizes, int dt, int dev, int idx) {
    return empty(to_shape(sizes), to_dtype_id(dt), to_device_arg(dev, idx));
  });
  m.def("full", [](py::handle sizes, py::handle v, int dt, int dev, int idx) {
    return full(to_shape(sizes), to_scalar(v, "full"), to_dtype_id(dt), to_device_arg(dev, idx));
  });
  m.def("arange", [](double s, double e, double st, int dt, int dev, int idx) {
    return arange(s, e, st, to_dtype_id(dt), to_device_arg(dev, idx));
  });
  m.def("linspace", [](double s, double e, int64_t n, int dt, int dev, int idx) {
    return linspace(s, e, n, to_dtype_id(dt), to_device_arg(dev, idx));
  });
  m.def("eye", [](int64_t n, int64_t mm, int dt, int dev, int idx) {
    return eye(n, mm, to_dtype_id(dt), to_device_arg(dev, idx));
  });
  m.def("scalar_tensor", [](py::handle v, int dt, int dev, int idx) {
    return scalar_tensor(to_scalar(v, "tensor"), to_dtype_id(dt), to_device_arg(dev, idx));
  });
  m.def("from_numpy", &from_numpy);
  m.def("to_numpy", &to_numpy);
  m.def("item", &item);
  m.def("to_dtype", [](const Tensor& t, int dt) { return to_dtype(t, to_dtype_id(dt)); });
  m.def("to_device", [](const Tensor& t, int dev, int idx) { return to_device(t, to_device_arg(dev, idx)); });
  m.def("copy_", [](const Tensor& dst, const Tensor& src) {
    ReleaseGil nogil(dst->numel());
    copy_(dst, src);
  });
  m.def("fill_", [](const Tensor& t, py::handle v) { fill_(t, to_scalar(v, "fill_")); });
  m.def("view_dtype", [](const Tensor& t, int d) {
    Tensor v = view_dtype(t, to_dtype_id(d));
    if (v->dtype == DType::Bool && t->dtype != DType::Bool) check_bool_bytes(v, "view");  // (bytes 0 or 1 only)
    return v;
  });
  m.def("view", [](const Tensor& t, py::handle s) { return view(t, to_shape(s)); });
  m.def("reshape", [](const Tensor& t, py::handle s) { return reshape_any(t, to_shape(s)); });
  m.def("as_strided", [](const Tensor& t, py::handle s, py::handle st, int64_t off) {
    return as_strided(t, to_shape(s), to_shape(st), off);
  });
  m.def("permute", [](const Tensor& t, py::handle d) { return permute(t, to_shape(d)); });
  m.def("expand", [](const Tensor& t, py::handle s) { return expand(t, to_shape(s)); });
  m.def("squeeze",
        [](const Tensor& t, py::handle dim) { return dim.is_none() ? squeeze(t) : squeeze(t, dim.cast<int64_t>()); });
  m.def("result_type", [](const Tensor& a, py::handle b) {
    return int(py::isinstance<TensorImpl>(b) ? result_type(a, b.cast<Tensor>())
                                             : result_type(a, to_scalar(b, "result_type")));
  });
  m.def("promote_types", [](int a, int b) { return int(promote_types(to_dtype_id(a), to_dtype_id(b))); });
  m.def("can_cast", [](int a, int b) { return can_cast(to_dtype_id(a), to_dtype_id(b)); });
  m.def("set_default_dtype", [](int dt) { set_default_float_dtype(to_dtype_id(dt)); });
  // torch.set/get_float32_matmul_precision and torch.backends.cuda.matmul.allow_tf32 (one setting)
  m.def("get_float32_matmul_precision", [] {
    switch (float32_matmul_precision()) {
      case MatmulPrecision::High: return "high";
      case MatmulPrecision::Medium: return "medium";
      default: return "highest";
    }
  });
  m.def("set_float32_matmul_precision", [](const std::string& p) {
    TG_CHECK(p == "highest" || p == "high" || p == "medium", p, " is not one of 'highest', 'high', or 'medium'");
    set_float32_matmul_precision(p == "highest" ? MatmulPrecision::Highest
                                 : p == "high"  ? MatmulPrecision::High
                                                : MatmulPrecision::Medium);
  });
  m.def("allow_tf32", [] { return float32_matmul_precision() != MatmulPrecision::Highest; });
  m.def("set_allow_tf32",
        [](bool on) { set_float32_matmul_precision(on ? MatmulPrecision::High : MatmulPrecision::Highest); });

  // ---- elementwise: one function per op, generated from the op lists
#define TG_BIND_UNARY(name, F, ARGS)                           \
  m.def(                                                       \
      #name,                                                   \
      [](const Tensor& a, py::handle out, py::handle params) { \
        Tensor o = opt_tensor(out);                            \
        OpParams p = op_params(params, #name);                 \
        ReleaseGil nogil(a->numel());                          \
        return unary(UnaryOpId::name, a, o, p);                \
      },                                                       \
      py::arg("a"), py::arg("out") = py::none(), py::arg("params") = py::none());
  TG_UNARY_FLOAT_OPS(TG_BIND_UNARY)
  TG_UNARY_FLOATING_OPS(TG_BIND_UNARY)
  TG_UNARY_OPS(TG_BIND_UNARY)
  TG_UNARY_INT_OPS(TG_BIND_UNARY)
  TG_BIND_UNARY(logical_not, _, ())
#undef TG_BIND_UNARY
#define TG_BIND_BINARY(name, F, ARGS)                                                                                  \
  m.def(                                                                                                               \
      #name,                                                                                                           \
      [](const Tensor& a, py::handle b, bool reflected, py::handle out, py::handle params) {                           \
        OpParams p = op_params(params, #name);                                                                         \
        if (py::isinstance<TensorImpl>(b))                                                                             \
          return binary_tensors(BinaryOpId::name, a, b.cast<Tensor>(), reflected, out, p);                             \
        if (py::isinstance<py::array>(b)) /* torch's functions and methods take no array (its operators: tensor.py) */ \
          throw TypeError(#name "(): argument 'other' (position 1) must be Tensor, not numpy.ndarray");                \
        Scalar s = to_scalar(b, #name);                                                                                \
        Tensor o = opt_tensor(out);                                                                                    \
        ReleaseGil nogil(a->numel());                                                                                  \
        return binary(BinaryOpId::name, a, s, reflected, o, p);                                                        \
      },                                                                                                               \
      py::arg("a"), py::arg("b"), py::arg("reflected") = false, py::arg("out") = py::none(),                           \
      py::arg("params") = py::none());
  TG_BINARY_OPS(TG_BIND_BINARY)
  TG_COMPARE_OPS(TG_BIND_BINARY)
  TG_BINARY_INT_OPS(TG_BIND_BINARY)
#undef TG_BIND_BINARY
  m.def(
      "clamp",
      [](const Tensor& a, py::handle lo, py::handle hi, py::handle out) {
        std::optional<Scalar> l, h;
        if (!lo.is_none()) l = to_scalar(lo, "clamp");
        if (!hi.is_none()) h = to_scalar(hi, "clamp");
        Tensor o = opt_tensor(out);
        ReleaseGil nogil(a->numel());
        return clamp(a, l, h, o);
      },
      py::arg("a"), py::arg("min"), py::arg("max"), py::arg("out") = py::none());
  m.def("where", [](const Tensor& c, py::handle a, py::handle b) {
    bool at = py::isinstance<TensorImpl>(a), bt = py::isinstance<TensorImpl>(b);
    if (at && bt) return where(c, a.cast<Tensor>(), b.cast<Tensor>());
    if (at) return where(c, a.cast<Tensor>(), to_scalar(b, "where"));
    if (bt) return where(unary(UnaryOpId::logical_not, c), b.cast<Tensor>(), to_scalar(a, "where"));
    throw TypeError("where(): at least one of the values must be a Tensor");
  });
  m.def("masked_fill_", [](const Tensor& t, const Tensor& mask, py::handle v) {
    if (py::isinstance<TensorImpl>(v)) {
      Tensor vt = v.cast<Tensor>();
      TG_CHECK(vt->dim() == 0, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
               vt->dim(), " dimension(s).");
      return masked_fill_(
          t, mask, is_floating(vt->dtype) ? Scalar::from_double(item_double(vt)) : Scalar::from_int(item_int(vt)));
    }
    return masked_fill_(t, mask, to_scalar(v, "masked_fill_"));
  });

  // ---- reductions
  // The registry's reductions: _C.<name>(input, dims, keepdim, dtype=None, name=None) (name: the op in errors).
#define TG_BIND_REDUCE(op, F, kind, identity)                                               \
  m.def(                                                                                    \
      #op,                                                                                  \
      [](const Tensor& a, py::handle dims, bool keepdim, py::handle dt, py::handle name) {  \
        std::optional<DType> d;                                                             \
        if (!dt.is_none()) d = to_dtype_id(dt.cast<int>());                                 \
        std::string n = name.is_none() ? std::string() : name.cast<std::string>();          \
        Shape ds = to_shape(dims);                                                          \
        ReleaseGil nogil(a->numel());                                                       \
        return reduce(ReduceOpId::op, a, ds, keepdim, d, n.empty() ? nullptr : n.c_str());  \
      },                                                                                    \
      py::arg("input"), py::arg("dims"), py::arg("keepdim"), py::arg("dtype") = py::none(), \
      py::arg("name") = py::none());
  TG_REDUCE_OPS(TG_BIND_REDUCE)
#undef TG_BIND_REDUCE
  // The registry's scans: _C.<name>(input, dim, dtype=None), a tensor or (the indices kind) (values, indices).
#define TG_BIND_SCAN(op, F, kind)                                                          \
  m.def(                                                                                   \
      #op,                                                                                 \
      [](const Tensor& a, int64_t dim, py::handle dt) -> py::object {                      \
        std::optional<DType> d;                                                            \
        if (!dt.is_none()) d = to_dtype_id(dt.cast<int>());                                \
        std::pair<Tensor, Tensor> r;                                                       \
        {                                                                                  \
          ReleaseGil nogil(a->numel());                                                    \
          r = scan(ScanOpId::op, a, dim, d);                                               \
        }                                                                                  \
        if (ScanKind::kind == ScanKind::indices) return py::make_tuple(r.first, r.second); \
        return py::cast(r.first);                                                          \
      },                                                                                   \
      py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
  TG_SCAN_OPS(TG_BIND_SCAN)
#undef TG_BIND_SCAN
  // ---- the registry's fused optimizer steps: _C.<name>(param, grad, states, hyper), all updated in place, and
  // _C.foreach_<name>(params, grads, states, steps, hyper), one call per param group (core/optim_ops.h)
#define TG_BIND_OPTIM_STEP(op, F, NSLOTS, NHYPER, STEP, ARGS)                                     \
  m.def(                                                                                          \
      #op,                                                                                        \
      [](const Tensor& param, const Tensor& grad, const std::vector<Tensor>& states,              \
         const std::vector<double>& hyper) {                                                      \
        ReleaseGil nogil(param->numel());                                                         \
        optim_step(OptimStepId::op, #op, param, grad, states, hyper);                             \
      },                                                                                          \
      py::arg("param"), py::arg("grad"), py::arg("states"), py::arg("hyper"));                    \
  m.def(                                                                                          \
      "foreach_" #op,                                                                             \
      [](const std::vector<Tensor>& params, const std::vector<Tensor>& grads,                     \
         const std::vector<std::vector<Tensor>>& states, const std::vector<Tensor>& steps,        \
         const std::vector<std::vector<double>>& hyper) {                                         \
        int64_t work = 0;                                                                         \
        for (const Tensor& p : params) work += p->numel();                                        \
        ReleaseGil nogil(work);                                                                   \
        optim_step_foreach(OptimStepId::op, "foreach_" #op, params, grads, states, steps, hyper); \
      },                                                                                          \
      py::arg("params"), py::arg("grads"), py::arg("states"), py::arg("steps"), py::arg("hyper"));
  TG_OPTIM_STEPS(TG_BIND_OPTIM_STEP)
#undef TG_BIND_OPTIM_STEP

  // ---- random
  // the CPU generator's state as bytes in torch's layout
  auto as_bytes = [](const std::vector<uint8_t>& v) {
    return py::bytes(reinterpret_cast<const char*>(v.data()), v.size());
  };
  m.def("get_rng_state", [as_bytes] { return as_bytes(get_rng_state()); });
  m.def("set_rng_state", [](const py::bytes& b) {
    const std::string s = b;
    set_rng_state(std::vector<uint8_t>(s.begin(), s.end()));
  });
  m.def("seeded_rng_state", [as_bytes](uint64_t seed) { return as_bytes(seeded_rng_state(seed)); });
  m.def("randperm", [](int64_t n, int dev, int idx) { return randperm(n, to_device_arg(dev, idx)); });

  // ---- runtime
  m.def("get_num_threads", &cpu::get_num_threads);
  m.def("set_num_threads", [](int n) {
    TG_CHECK(n > 0, "set_num_threads expects a positive integer, got ", n);
    cpu::set_num_threads(n);
  });
  m.def("cpu_isa", [] { return cpu::isa_name(cpu::isa()); });
  // torch.set_flush_denormal: the calling thread's MXCSR flush-to-zero and denormals-are-zero bits (as torch's);
  // false where the CPU has none.
  m.def("set_flush_denormal", [](bool on) {
#if defined(__x86_64__) || defined(_M_X64)
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(on ? (csr | 0x8040u) : (csr & ~0x8040u));
    return true;
#else
    (void)on;
    return false;
#endif
  });
  m.def("cuda_is_built", &cuda::is_built);
  m.def("cuda_runtime_version", &cuda::runtime_version);
  m.def("cuda_device_count", &cuda::device_count);
  m.def("cuda_synchronize", &cuda::synchronize);
  m.def("cuda_memory_allocated", &cuda::memory_allocated);
  m.def("cuda_max_memory_allocated", &cuda::max_memory_allocated);
  m.def("cuda_memory_reserved", &cuda::memory_reserved);
  m.def("cuda_reset_peak_memory_stats", &cuda::reset_peak_memory_stats);
  m.def("cuda_empty_cache", &cuda::empty_cache);
  m.def("cuda_malloc_count", &cuda::cuda_malloc_count);
  m.def("cuda_get_device_properties", [](int device) {
    const cuda::DeviceProperties& p = cuda::device_properties(device);
    return py::make_tuple(p.name, p.total_memory, p.major, p.minor, p.multi_processor_count);
  });

  bind_generated(m);
  bind_dlpack(m);
  bind_cuda(m);
}
