// The fused LSTM cell's front end (see rnn_ops.h).
#include "rnn_ops.h"
#include "../cpu/nn_kernels.h"
#include "../cuda/kernels.h"
#include "../cuda/nn_kernels.h"
#include "ops.h"

namespace tg {

namespace {
// t (null: absent) must be (rows, cols) with ref's dtype and device.
void check_state(const Tensor& t, const Tensor& ref, int64_t rows, int64_t cols, const char* op, const char* what) {
  if (!t) return;
  check_same_device(ref, t, op);
  TG_CHECK(t->sizes == Shape({rows, cols}), op, ": ", what, " must have shape (", rows, ", ", cols, "), got ",
           t->sizes);
  TG_CHECK(t->dtype == ref->dtype, op, ": ", what, " must have the dtype of the gates, got ", dtype_name(t->dtype),
           " and ", dtype_name(ref->dtype));
}

// out (null: a new tensor) must be a contiguous (rows, cols) tensor with ref's dtype and device.
Tensor out_or_empty(const Tensor& out, const Tensor& ref, int64_t rows, int64_t cols, const char* op,
                    const char* what) {
  if (!out) return empty({rows, cols}, ref->dtype, ref->device());
  check_state(out, ref, rows, cols, op, what);
  TG_CHECK(out->is_contiguous(), op, ": ", what, " must be contiguous");
  return out;
}

template <class T> const T* data_or_null(const Tensor& t) { return t ? t->data<T>() : nullptr; }
}  // namespace

std::tuple<Tensor, Tensor, Tensor> lstm_cell(const Tensor& gates, const Tensor& gates_t, const Tensor& cx,
                                             const Tensor& hy_out) {
  const char* op = "lstm_cell";
  TG_CHECK(gates->sizes.size() == 2 && gates->sizes[1] % 4 == 0, op, ": gates must be 2-D (N, 4 * hidden_size), got ",
           gates->sizes);
  const int64_t N = gates->sizes[0], H = gates->sizes[1] / 4;
  check_state(gates_t, gates, 4 * H, N, op, "gates_t");
  check_state(cx, gates, N, H, op, "cx");
  Tensor g = contiguous(gates), gt = gates_t ? contiguous(gates_t) : nullptr, c = contiguous(cx);
  Tensor hy = out_or_empty(hy_out, g, N, H, op, "hy"), cy = empty({N, H}, g->dtype, g->device());
  Tensor act = empty(g->sizes, g->dtype, g->device());
  TG_DISPATCH_FLOAT(g->dtype, op, [&] {
    TG_ON_DEVICE(g->device(), lstm_cell_forward<scalar_t>, N, H, g->data<scalar_t>(), data_or_null<scalar_t>(gt),
                 c->data<scalar_t>(), hy->data<scalar_t>(), cy->data<scalar_t>(), act->data<scalar_t>());
  });
  return {hy, cy, act};
}

std::tuple<Tensor, Tensor> lstm_cell_backward(const Tensor& grad_hy, const Tensor& grad_hy_t, const Tensor& grad_cy,
                                              const Tensor& act, const Tensor& cx, const Tensor& cy,
                                              const Tensor& grad_gates_out) {
  const char* op = "lstm_cell_backward";
  TG_CHECK(act->sizes.size() == 2 && act->sizes[1] % 4 == 0, op, ": act must be 2-D (N, 4 * hidden_size), got ",
           act->sizes);
  const int64_t N = act->sizes[0], H = act->sizes[1] / 4;
  check_state(cx, act, N, H, op, "cx");
  check_state(cy, act, N, H, op, "cy");
  check_state(grad_hy, act, N, H, op, "grad_hy");
  check_state(grad_hy_t, act, H, N, op, "grad_hy_t");
  check_state(grad_cy, act, N, H, op, "grad_cy");
  Tensor a = contiguous(act), c = contiguous(cx), cn = contiguous(cy);
  Tensor gh = grad_hy ? contiguous(grad_hy) : nullptr, ght = grad_hy_t ? contiguous(grad_hy_t) : nullptr;
  Tensor gc = grad_cy ? contiguous(grad_cy) : nullptr;
  Tensor grad_gates = out_or_empty(grad_gates_out, a, N, 4 * H, op, "grad_gates");
  Tensor grad_cx = empty({N, H}, a->dtype, a->device());
  TG_DISPATCH_FLOAT(a->dtype, op, [&] {
    TG_ON_DEVICE(a->device(), lstm_cell_backward<scalar_t>, N, H, data_or_null<scalar_t>(gh),
                 data_or_null<scalar_t>(ght), data_or_null<scalar_t>(gc), a->data<scalar_t>(), c->data<scalar_t>(),
                 cn->data<scalar_t>(), grad_gates->data<scalar_t>(), grad_cx->data<scalar_t>());
  });
  return {grad_gates, grad_cx};
}

}  // namespace tg
