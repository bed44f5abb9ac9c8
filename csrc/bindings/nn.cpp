// Bindings of the neural-network kernels (core/nn_ops.h). Python passes
// normalized arguments (pairs as 2-tuples, reduction as 0/1/2, None for an
// absent bias or weight); validation happens in the core.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "../core/nn_ops.h"
#include "../core/rnn_ops.h"
#include "gil.h"

namespace py = pybind11;
using namespace tg;

namespace {

Tensor opt(py::handle h) { return h.is_none() ? nullptr : h.cast<Tensor>(); }

py::object or_none(const Tensor& t) { return t ? py::cast(t) : py::none(); }

Conv2dParams conv_params(Pair stride, Pair padding, Pair dilation, int64_t groups) {
  Conv2dParams p;
  p.stride = stride;
  p.padding = padding;
  p.dilation = dilation;
  p.groups = groups;
  return p;
}

Pool2dParams pool_params(Pair kernel, Pair stride, Pair padding, Pair dilation, bool ceil_mode) {
  Pool2dParams p;
  p.kernel = kernel;
  p.stride = stride;
  p.padding = padding;
  p.dilation = dilation;
  p.ceil_mode = ceil_mode;
  return p;
}

}  // namespace

void bind_nn(py::module_& m) {
  m.def("conv2d",
        [](const Tensor& x, const Tensor& w, py::handle b, Pair stride, Pair padding, Pair dilation, int64_t groups) {
          Tensor bias = opt(b);
          py::gil_scoped_release nogil;
          return conv2d(x, w, bias, conv_params(stride, padding, dilation, groups));
        });
  m.def("conv2d_backward", [](const Tensor& gy, const Tensor& x, const Tensor& w, Pair stride, Pair padding,
                              Pair dilation, int64_t groups, std::array<bool, 3> mask) {
    auto [gx, gw, gb] = [&] {
      py::gil_scoped_release nogil;
      return conv2d_backward(gy, x, w, conv_params(stride, padding, dilation, groups), mask);
    }();
    return py::make_tuple(or_none(gx), or_none(gw), or_none(gb));
  });
  m.def("conv2d_backward_input", [](const Tensor& gy, const Tensor& w, const Shape& input_sizes, Pair stride,
                                    Pair padding, Pair dilation, int64_t groups) {
    py::gil_scoped_release nogil;
    return conv2d_backward_input(gy, w, input_sizes, conv_params(stride, padding, dilation, groups));
  });
  m.def("conv2d_backward_weight", [](const Tensor& gy, const Tensor& x, const Shape& weight_sizes, Pair stride,
                                     Pair padding, Pair dilation, int64_t groups) {
    py::gil_scoped_release nogil;
    return conv2d_backward_weight(gy, x, weight_sizes, conv_params(stride, padding, dilation, groups));
  });

  m.def("max_pool2d", [](const Tensor& x, Pair kernel, Pair stride, Pair padding, Pair dilation, bool ceil_mode) {
    ReleaseGil nogil(x->numel());
    return max_pool2d(x, pool_params(kernel, stride, padding, dilation, ceil_mode));
  });
  m.def("max_pool2d_backward", &max_pool2d_backward, py::call_guard<py::gil_scoped_release>());
  m.def("upsample", &upsample, py::call_guard<py::gil_scoped_release>());
  m.def("upsample_backward", &upsample_backward, py::call_guard<py::gil_scoped_release>());
  m.def("avg_pool2d", [](const Tensor& x, Pair kernel, Pair stride, Pair padding, bool ceil_mode,
                         bool count_include_pad, py::handle divisor) {
    return avg_pool2d(x, pool_params(kernel, stride, padding, {1, 1}, ceil_mode), count_include_pad,
                      divisor.is_none() ? 0 : divisor.cast<int64_t>());
  });
  m.def("avg_pool2d_backward", [](const Tensor& gy, const Shape& input_sizes, Pair kernel, Pair stride, Pair padding,
                                  bool ceil_mode, bool count_include_pad, py::handle divisor) {
    return avg_pool2d_backward(gy, input_sizes, pool_params(kernel, stride, padding, {1, 1}, ceil_mode),
                               count_include_pad, divisor.is_none() ? 0 : divisor.cast<int64_t>());
  });

  m.def("softmax", [](const Tensor& x, int64_t dim, bool log) {
    ReleaseGil nogil(x->numel());
    return softmax(x, dim, log);
  });
  m.def("softmax_backward", &softmax_backward, py::call_guard<py::gil_scoped_release>());

  m.def("cross_entropy",
        [](const Tensor& x, const Tensor& t, py::handle w, int64_t reduction, int64_t ignore_index,
           double label_smoothing) { return cross_entropy(x, t, opt(w), reduction, ignore_index, label_smoothing); });
  m.def("cross_entropy_backward",
        [](const Tensor& g, const Tensor& x, const Tensor& t, py::handle w, const Tensor& lse, const Tensor& tw,
           int64_t reduction, int64_t ignore_index, double label_smoothing) {
          return cross_entropy_backward(g, x, t, opt(w), lse, tw, reduction, ignore_index, label_smoothing);
        });
  m.def(
      "lstm_cell",
      [](const Tensor& gates, py::handle gates_t, const Tensor& cx, py::handle hy) {
        Tensor gt = opt(gates_t), out = opt(hy);
        py::gil_scoped_release nogil;
        return lstm_cell(gates, gt, cx, out);
      },
      py::arg("gates"), py::arg("gates_t"), py::arg("cx"), py::arg("hy") = py::none());
  m.def(
      "lstm_cell_backward",
      [](py::handle grad_hy, py::handle grad_hy_t, py::handle grad_cy, const Tensor& act, const Tensor& cx,
         const Tensor& cy, py::handle grad_gates) {
        Tensor gh = opt(grad_hy), ght = opt(grad_hy_t), gc = opt(grad_cy), out = opt(grad_gates);
        py::gil_scoped_release nogil;
        return lstm_cell_backward(gh, ght, gc, act, cx, cy, out);
      },
      py::arg("grad_hy"), py::arg("grad_hy_t"), py::arg("grad_cy"), py::arg("act"), py::arg("cx"), py::arg("cy"),
      py::arg("grad_gates") = py::none());
  m.def("nll_loss", [](const Tensor& x, const Tensor& t, py::handle w, int64_t reduction, int64_t ignore_index) {
    return nll_loss(x, t, opt(w), reduction, ignore_index);
  });
  m.def("nll_loss_backward",
        [](const Tensor& g, const Tensor& x, const Tensor& t, py::handle w, const Tensor& tw, int64_t reduction,
           int64_t ignore_index) { return nll_loss_backward(g, x, t, opt(w), tw, reduction, ignore_index); });
}
