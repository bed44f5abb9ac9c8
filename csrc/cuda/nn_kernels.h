// CUDA kernels of the neural-network ops (implemented in nn.cu): the same
// entry points and semantics as cpu/nn_kernels.h, so core/nn_ops.cpp picks
// the namespace by device alone. Pointers are device pointers to contiguous
// memory; everything else (shapes, total_weight) lives on the host.
// Instantiated for float and double. Without a CUDA build,
// cuda/unavailable.cpp defines them to throw.
#pragma once
#include <type_traits>
#include "../cpu/nn_kernels.h"

namespace tg::cuda {

template <class T> void conv2d_forward(const ConvShape& s, const T* x, const T* w, const T* b, T* y);
template <class T> void conv2d_backward_input(const ConvShape& s, const T* gy, const T* w, T* gx);
template <class T> void conv2d_backward_weight(const ConvShape& s, const T* gy, const T* x, T* gw);

template <class T> void max_pool2d_forward(const PoolShape& s, const T* x, T* y, int64_t* idx);
template <class T> void max_pool2d_backward(const PoolShape& s, const T* gy, const int64_t* idx, T* gx);
template <class T>
void avg_pool2d_forward(const PoolShape& s, bool count_include_pad, int64_t divisor, const T* x, T* y);
template <class T>
void avg_pool2d_backward(const PoolShape& s, bool count_include_pad, int64_t divisor, const T* gy, T* gx);

template <class T> void softmax_forward(int64_t outer, int64_t D, int64_t inner, bool log, const T* x, T* y);
template <class T>
void softmax_backward(int64_t outer, int64_t D, int64_t inner, bool log, const T* gy, const T* y, T* gx);

template <class T>
void class_loss_forward(const ClassLossArgs& a, const T* x, const int64_t* t, const T* w, T* out, T* lse,
                        T* total_weight);
template <class T>
void class_loss_backward(const ClassLossArgs& a, const T* g, const T* x, const int64_t* t, const T* w, const T* lse,
                         const T* total_weight, T* gx);

// The two declaration lists cannot drift apart: the front end calls both through one expression.
#define TG_SAME_SIGNATURE(fn)                                                          \
  static_assert(std::is_same_v<decltype(&cpu::fn<float>), decltype(&cuda::fn<float>)>, \
                #fn ": cpu/nn_kernels.h and cuda/nn_kernels.h disagree");
TG_SAME_SIGNATURE(conv2d_forward)
TG_SAME_SIGNATURE(conv2d_backward_input)
TG_SAME_SIGNATURE(conv2d_backward_weight)
TG_SAME_SIGNATURE(max_pool2d_forward)
TG_SAME_SIGNATURE(max_pool2d_backward)
TG_SAME_SIGNATURE(avg_pool2d_forward)
TG_SAME_SIGNATURE(avg_pool2d_backward)
TG_SAME_SIGNATURE(softmax_forward)
TG_SAME_SIGNATURE(softmax_backward)
TG_SAME_SIGNATURE(class_loss_forward)
TG_SAME_SIGNATURE(class_loss_backward)
#undef TG_SAME_SIGNATURE

}  // namespace tg::cuda
