// Bindings of the CPU dense solvers beside the SVD (cpu/lu.h): LU, triangular solve, Cholesky, QR, geqrf, eigh, LDL.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "../cpu/lu.h"

namespace py = pybind11;
using namespace tg;

void bind_lu(py::module_& m) {
  m.def("linalg_lu_factor", [](const Tensor& A) {
    py::gil_scoped_release nogil;
    return linalg_lu_factor(A);
  });
  m.def("linalg_lu_solve", [](const Tensor& LU, const Tensor& pivots, const Tensor& B) {
    py::gil_scoped_release nogil;
    return linalg_lu_solve(LU, pivots, B);
  });
  m.def("linalg_solve_triangular", [](const Tensor& A, const Tensor& B, bool upper, bool unitriangular) {
    py::gil_scoped_release nogil;
    return linalg_solve_triangular(A, B, upper, unitriangular);
  });
  m.def("linalg_cholesky", [](const Tensor& A) {
    py::gil_scoped_release nogil;
    return linalg_cholesky(A);
  });
  m.def("linalg_qr", [](const Tensor& A, bool complete, bool compute_q) {
    py::gil_scoped_release nogil;
    return linalg_qr(A, complete, compute_q);
  });
  m.def("linalg_eigh", [](const Tensor& A, bool upper, bool compute_v) {
    py::gil_scoped_release nogil;
    return linalg_eigh(A, upper, compute_v);
  });
  m.def("linalg_geqrf", [](const Tensor& A) {
    py::gil_scoped_release nogil;
    return linalg_geqrf(A);
  });
  m.def("linalg_ldl_factor", [](const Tensor& A) {
    py::gil_scoped_release nogil;
    return linalg_ldl_factor(A);
  });
  m.def("linalg_ldl_solve", [](const Tensor& LD, const Tensor& pivots, const Tensor& B) {
    py::gil_scoped_release nogil;
    return linalg_ldl_solve(LD, pivots, B);
  });
}
