// CPU kernels of the neural-network ops (core/nn_ops.h validates and
// allocates, then calls these). Every pointer is to contiguous memory laid out
// as the comment says; outputs are fully written (no need to zero them first)
// unless stated. Instantiated for float and double; the forward conv2d and
// max_pool2d also for uint8/int32/int64 and avg_pool2d for int64, as torch's CPU kernels.
//
// Dimension letters: N batch, C input channels, O output channels, H x W input
// plane, OH x OW output plane, kh x kw kernel, G groups.
#pragma once
#include <cstdint>
#include "../core/nn_shapes.h"  // ConvShape, PoolShape, ClassLossArgs

namespace tg::cpu {

// y = conv(x, w) + b; b may be null.
template <class T> void conv2d_forward(const ConvShape& s, const T* x, const T* w, const T* b, T* y);
// gx = d(sum gy * y)/dx (the transposed convolution of gy with w).
template <class T> void conv2d_backward_input(const ConvShape& s, const T* gy, const T* w, T* gx);
// gw = d(sum gy * y)/dw, summed over the batch in a fixed order (deterministic).
template <class T> void conv2d_backward_weight(const ConvShape& s, const T* gy, const T* x, T* gw);

// torch's index for a max-pooling window that holds only padding (dilation makes them): its first tap moved
// forward by whole dilations to a non-negative row and column. The value there is -inf; the backward kernels
// skip indices outside the plane.
#if defined(__CUDACC__)
__host__ __device__
#endif
    inline int64_t
    padding_window_index(int64_t h0, int64_t w0, int64_t dh, int64_t dw, int64_t W) {
  if (h0 < 0) h0 += (-h0 + dh - 1) / dh * dh;
  if (w0 < 0) w0 += (-w0 + dw - 1) / dw * dw;
  return h0 * W + w0;
}

// Max pooling; idx[p, oh, ow] = flat index (h * W + w) of the maximum in its plane.
// NOTE: a NaN in a window wins (propagates), as in torch.
template <class T> void max_pool2d_forward(const PoolShape& s, const T* x, T* y, int64_t* idx);
template <class T> void max_pool2d_backward(const PoolShape& s, const T* gy, const int64_t* idx, T* gx);
// divisor > 0 overrides the window size as divisor.
template <class T>
void avg_pool2d_forward(const PoolShape& s, bool count_include_pad, int64_t divisor, const T* x, T* y);
template <class T>
void avg_pool2d_backward(const PoolShape& s, bool count_include_pad, int64_t divisor, const T* gy, T* gx);

// Softmax over the middle dim of an (outer, D, inner) block.
template <class T> void softmax_forward(int64_t outer, int64_t D, int64_t inner, bool log, const T* x, T* y);
template <class T>
void softmax_backward(int64_t outer, int64_t D, int64_t inner, bool log, const T* gy, const T* y, T* gx);

// Classification losses over input (N, C, S) and int64 targets (N, S), already
// validated (every target is ignore_index or in [0, C)).
//   log_softmax = true:  cross entropy (fused log_softmax + nll, label smoothing)
//   log_softmax = false: nll_loss on log-probabilities (label_smoothing must be 0)
// reduction: 0 none (out has N*S values), 1 mean, 2 sum (out has 1 value).
// lse receives the per-row log-sum-exp (cross entropy only, may be null
// otherwise); total_weight the sum of the targets' weights (non-ignored rows).
template <class T>
void class_loss_forward(const ClassLossArgs& a, const T* x, const int64_t* t, const T* w, T* out, T* lse,
                        T* total_weight);
// g holds N*S values (reduction none) or one; total_weight: the forward's (one value, read by the kernel on
// the tensors' device, so a CUDA backward needs no host sync).
template <class T>
void class_loss_backward(const ClassLossArgs& a, const T* g, const T* x, const int64_t* t, const T* w, const T* lse,
                         const T* total_weight, T* gx);

}  // namespace tg::cpu
