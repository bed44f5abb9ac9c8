// CUDA kernels of the neural-network ops (implemented in nn.cu): the same
// entry points and semantics as cpu/nn_kernels.h, both declared from the op
// registry's TG_NN_KERNELS list, so core/nn_ops.cpp picks the namespace by
// device alone. Pointers are device pointers to contiguous memory; everything
// else (shapes) lives on the host. Instantiated for float and double. Without
// a CUDA build, cuda/unavailable.cpp defines them to throw.
#pragma once
#include "../cpu/nn_kernels.h"

namespace tg::cuda {
TG_NN_KERNELS(TG_NN_DECLARE)
}  // namespace tg::cuda
