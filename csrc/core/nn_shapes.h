// The device-neutral shapes of the neural-network kernels: core/nn_ops.cpp fills them and passes them to the
// CPU (cpu/nn_kernels.h) or CUDA (cuda/nn_kernels.h) kernels alike.
#pragma once
#include <cstdint>

namespace tg {

struct ConvShape {
  int64_t N, C, H, W;  // input  (N, C, H, W)
  int64_t O, kh, kw;   // weight (O, C / G, kh, kw)
  int64_t OH, OW;      // output (N, O, OH, OW)
  int64_t sh, sw, ph, pw, dh, dw, G;
};

struct PoolShape {
  int64_t planes, H, W;  // input (planes, H, W) where planes = N * C
  int64_t OH, OW;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};

// The arguments of the classification-loss kernels (see cpu/nn_kernels.h).
struct ClassLossArgs {
  int64_t N, C, S;
  int64_t ignore_index;
  int reduction;
  double label_smoothing;
  bool log_softmax;
};

}  // namespace tg
