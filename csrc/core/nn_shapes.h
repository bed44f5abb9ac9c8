// The device-neutral shapes of the neural-network kernels: core/nn_ops.cpp fills them and passes them to the
// CPU (cpu/nn_kernels.h) or CUDA (cuda/nn_kernels.h) kernels alike.
#pragma once
#include <cmath>
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

// The resampling of interpolate's nearest, nearest-exact and (bi/tri)linear modes: (planes, D, H, W) to
// (planes, OD, OH, OW); a 1-d or 2-d resampling has its leading unused dims of size 1 (dims says how many
// of the last dims are real).
enum UpsampleMode : int { kUpsampleNearest = 0, kUpsampleNearestExact = 1, kUpsampleLinear = 2 };

struct UpsampleShape {
  int64_t planes, dims;
  int64_t in[3], out[3];  // (D, H, W) and (OD, OH, OW)
  double scale[3];        // the scale factor per dim; <= 0: none (the ratio of the sizes)
  int mode;
  bool align_corners;
};

// Output position i of a dim of n_in -> n_out reads x[i0] * (1 - l1) + x[i1] * l1 (nearest: i1 = i0, l1 = 0),
// with torch's source coordinates (nearest in float, as torch's kernels; linear in double).
#if defined(__CUDACC__)
__host__ __device__
#endif
    inline void
    upsample_taps(int64_t n_in, int64_t n_out, double scale, int mode, bool align_corners, int64_t i, int64_t& i0,
                  int64_t& i1, double& l1) {
  if (mode != kUpsampleLinear) {
    const float s = scale > 0 ? float(1.0 / scale) : float(n_in) / float(n_out);
    const float src = mode == kUpsampleNearest ? float(i) * s : float((double(i) + 0.5) * s);
    const int64_t k = int64_t(floorf(src));
    i0 = i1 = k < n_in - 1 ? k : n_in - 1;
    l1 = 0;
    return;
  }
  double src;
  if (align_corners) {
    src = n_out > 1 ? double(n_in - 1) / double(n_out - 1) * double(i) : 0.0;
  } else {
    const double ratio = scale > 0 ? 1.0 / scale : double(n_in) / double(n_out);
    src = (double(i) + 0.5) * ratio - 0.5;
    if (!(src > 0.0)) src = 0.0;
  }
  i0 = int64_t(src) < n_in - 1 ? int64_t(src) : n_in - 1;
  i1 = i0 < n_in - 1 ? i0 + 1 : i0;
  l1 = src - double(i0);
  l1 = l1 < 0.0 ? 0.0 : l1 > 1.0 ? 1.0 : l1;
}

}  // namespace tg
