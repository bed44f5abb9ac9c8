// Bindings of the CPU-only kernels: the CTC loss (cpu/ctc.h) and the SVD (cpu/linalg.h).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "../cpu/ctc.h"
#include "../cpu/linalg.h"

namespace py = pybind11;
using namespace tg;

void bind_linalg(py::module_& m) {
  m.def("ctc_loss", [](const Tensor& log_probs, const Tensor& targets, const std::vector<int64_t>& input_lengths,
                       const std::vector<int64_t>& target_lengths, int64_t blank) {
    py::gil_scoped_release nogil;
    return ctc_loss(log_probs, targets, input_lengths, target_lengths, blank);
  });
  m.def("ctc_loss_backward",
        [](const Tensor& grad, const Tensor& log_probs, const Tensor& targets,
           const std::vector<int64_t>& input_lengths, const std::vector<int64_t>& target_lengths,
           const Tensor& neg_log_likelihood, const Tensor& log_alpha, int64_t blank, bool zero_infinity) {
          py::gil_scoped_release nogil;
          return ctc_loss_backward(grad, log_probs, targets, input_lengths, target_lengths, neg_log_likelihood,
                                   log_alpha, blank, zero_infinity);
        });
  m.def("linalg_svd", [](const Tensor& A, bool full_matrices, bool compute_uv) {
    py::gil_scoped_release nogil;
    return linalg_svd(A, full_matrices, compute_uv);
  });
}
