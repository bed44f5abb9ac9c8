// CPU kernels of the neural-network ops (core/nn_ops.h validates and
// allocates, then calls these). Their signatures and what each computes are
// declared once, in the op registry (python/tinygrad_ext/_registry.py,
// NN_KERNELS: the generated TG_NN_KERNELS list). Instantiated for float and
// double; the forward conv2d and max_pool2d also for uint8/int32/int64 and
// avg_pool2d for int64, as torch's CPU kernels.
//
// Dimension letters: N batch, C input channels, O output channels, H x W input
// plane, OH x OW output plane, kh x kw kernel, G groups.
#pragma once
#include <cstdint>
#include "../core/nn_shapes.h"  // ConvShape, PoolShape, ClassLossArgs
#include "tg_op_lists.h"        // generated from the op registry

// Expanded by TG_NN_KERNELS: a kernel's declaration, and its explicit instantiation for element type T
// (in the file that defines it).
#define TG_NN_DECLARE(name, params) template <class T> void name params;
#define TG_NN_INSTANTIATE(name, T) template decltype(name<T>) name<T>;

namespace tg::cpu {

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

TG_NN_KERNELS(TG_NN_DECLARE)

}  // namespace tg::cpu
