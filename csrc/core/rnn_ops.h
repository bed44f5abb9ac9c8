// The fused LSTM cell (the registry's NN_KERNELS rows lstm_cell_forward / lstm_cell_backward): validation in
// torch's words, output allocation, kernel call on the tensors' device. nn.LSTM's layers call it once per
// time step; its Tensor-op formula is nn/modules/rnn.py's (used when a graph of the backward is built).
#pragma once
#include <tuple>
#include "tensor.h"

namespace tg {

// The pre-activations are gates (N, 4H) (order i, f, g, o) + gates_t^T, gates_t (4H, N) or null (the recurrent
// part h W_hh^T computed as W_hh h^T); cx (N, H). Returns (hy, cy, act), act = the four activated gates; hy is
// written into hy_out when given (a contiguous (N, H) tensor, e.g. one step of the layer's output).
std::tuple<Tensor, Tensor, Tensor> lstm_cell(const Tensor& gates, const Tensor& gates_t, const Tensor& cx,
                                             const Tensor& hy_out = nullptr);
// hy's gradient is grad_hy (N, H) + grad_hy_t^T (H, N); grad_cy (N, H); any of them null (zero). Returns
// (grad of the pre-activations (N, 4H), grad_cx (N, H)), the first written into grad_gates_out when given.
std::tuple<Tensor, Tensor> lstm_cell_backward(const Tensor& grad_hy, const Tensor& grad_hy_t, const Tensor& grad_cy,
                                              const Tensor& act, const Tensor& cx, const Tensor& cy,
                                              const Tensor& grad_gates_out = nullptr);

}  // namespace tg
