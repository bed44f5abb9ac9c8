// The fused LSTM cell on the GPU: the CUDA side of cpu/lstm.cpp, included by nn.cu (which instantiates every
// TG_NN_KERNELS entry). One thread per (row, hidden unit) handles that unit's four gates.
#pragma once

namespace tg::cuda {
namespace {

template <class T> __device__ __forceinline__ T lstm_sigmoid(T x) { return T(1) / (T(1) + dev_exp(-x)); }
__device__ __forceinline__ float lstm_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double lstm_tanh(double x) { return tanh(x); }

template <class T>
__global__ void __launch_bounds__(kThreads)
    lstm_cell_forward_kernel(int64_t N, int64_t H, const T* gates, const T* gates_t, const T* cx, T* hy, T* cy,
                             T* act) {
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < N * H; k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = k / H, j = k - n * H, b = n * 4 * H + j;
    T pre[4];
    for (int q = 0; q < 4; ++q) pre[q] = gates[b + q * H] + (gates_t ? gates_t[(q * H + j) * N + n] : T(0));
    const T i = lstm_sigmoid(pre[0]), f = lstm_sigmoid(pre[1]), g = lstm_tanh(pre[2]), o = lstm_sigmoid(pre[3]);
    const T cn = f * cx[k] + i * g;
    act[b] = i;
    act[b + H] = f;
    act[b + 2 * H] = g;
    act[b + 3 * H] = o;
    cy[k] = cn;
    hy[k] = o * lstm_tanh(cn);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    lstm_cell_backward_kernel(int64_t N, int64_t H, const T* grad_hy, const T* grad_hy_t, const T* grad_cy,
                              const T* act, const T* cx, const T* cy, T* grad_gates, T* grad_cx) {
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < N * H; k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = k / H, j = k - n * H, b = n * 4 * H + j;
    const T i = act[b], f = act[b + H], g = act[b + 2 * H], o = act[b + 3 * H];
    const T tc = lstm_tanh(cy[k]);
    const T dh = (grad_hy ? grad_hy[k] : T(0)) + (grad_hy_t ? grad_hy_t[j * N + n] : T(0));
    const T dc = (grad_cy ? grad_cy[k] : T(0)) + dh * o * (T(1) - tc * tc);
    grad_gates[b] = dc * g * i * (T(1) - i);
    grad_gates[b + H] = dc * cx[k] * f * (T(1) - f);
    grad_gates[b + 2 * H] = dc * i * (T(1) - g * g);
    grad_gates[b + 3 * H] = dh * tc * o * (T(1) - o);
    grad_cx[k] = dc * f;
  }
}

}  // namespace

template <class T>
void lstm_cell_forward(int64_t N, int64_t H, const T* gates, const T* gates_t, const T* cx, T* hy, T* cy, T* act) {
  if (N * H == 0) return;
  const int device = use_device_of(gates);
  lstm_cell_forward_kernel<T>
      <<<grid_for(N * H, kThreads, device), kThreads, 0, current_stream()>>>(N, H, gates, gates_t, cx, hy, cy, act);
  TG_CUDA_CHECK_LAUNCH("lstm_cell_forward_kernel");
}

template <class T>
void lstm_cell_backward(int64_t N, int64_t H, const T* grad_hy, const T* grad_hy_t, const T* grad_cy, const T* act,
                        const T* cx, const T* cy, T* grad_gates, T* grad_cx) {
  if (N * H == 0) return;
  const int device = use_device_of(act);
  lstm_cell_backward_kernel<T><<<grid_for(N * H, kThreads, device), kThreads, 0, current_stream()>>>(
      N, H, grad_hy, grad_hy_t, grad_cy, act, cx, cy, grad_gates, grad_cx);
  TG_CUDA_CHECK_LAUNCH("lstm_cell_backward_kernel");
}

}  // namespace tg::cuda
