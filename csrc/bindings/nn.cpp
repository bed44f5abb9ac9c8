// Bindings of the neural-network kernels (core/nn_ops.h).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

void bind_nn(py::module_& m) { (void)m; }
