// Neural-network ops front end: convolution, pooling, softmax and the
// classification losses. Each validates its inputs with torch's messages
// (all tensors of an op on one device), allocates the outputs on that device
// and calls its kernel (cpu/nn_kernels.h or cuda/nn_kernels.h, same
// signatures). float32 and float64, CPU and CUDA.
#pragma once
#include <array>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>
#include "tensor.h"

namespace tg {

using Pair = std::array<int64_t, 2>;

struct Conv2dParams {
  Pair stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
};

// input (N, C, H, W), weight (O, C / groups, kh, kw), bias (O) or null.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);
// The gradients of conv2d; a false mask entry skips (returns null for) that gradient.
// grad_bias is grad_output summed over (N, OH, OW).
std::tuple<Tensor, Tensor, Tensor> conv2d_backward(const Tensor& grad_output, const Tensor& input, const Tensor& weight,
                                                   const Conv2dParams& p, std::array<bool, 3> mask);
// The two linear maps on their own (double backward composes them):
// the input gradient given only the input's sizes, the weight gradient given only the weight's.
Tensor conv2d_backward_input(const Tensor& grad_output, const Tensor& weight, const Shape& input_sizes,
                             const Conv2dParams& p);
Tensor conv2d_backward_weight(const Tensor& grad_output, const Tensor& input, const Shape& weight_sizes,
                              const Conv2dParams& p);

struct Pool2dParams {
  Pair kernel{1, 1}, stride{1, 1}, padding{0, 0}, dilation{1, 1};
  bool ceil_mode = false;
};

// input (N, C, H, W) or (C, H, W). Returns (values, int64 indices into each H*W plane).
std::pair<Tensor, Tensor> max_pool2d(const Tensor& input, const Pool2dParams& p);
Tensor max_pool2d_backward(const Tensor& grad_output, const Tensor& indices, const Shape& input_sizes);
// divisor_override <= 0: none.
Tensor avg_pool2d(const Tensor& input, const Pool2dParams& p, bool count_include_pad, int64_t divisor_override);
Tensor avg_pool2d_backward(const Tensor& grad_output, const Shape& input_sizes, const Pool2dParams& p,
                           bool count_include_pad, int64_t divisor_override);

// interpolate's nearest (mode 0), nearest-exact (1) and linear (2) resampling of input (N, C, d1[, d2[, d3]])
// to output_size (one per spatial dim); scales: the scale factor per dim, <= 0 for none (the sizes' ratio).
Tensor upsample(const Tensor& input, const Shape& output_size, const std::vector<double>& scales, int64_t mode,
                bool align_corners);
// Its gradient for an input of input_sizes.
Tensor upsample_backward(const Tensor& grad_output, const Shape& input_sizes, const std::vector<double>& scales,
                         int64_t mode, bool align_corners);

Tensor softmax(const Tensor& input, int64_t dim, bool log);
// output is softmax's (or log_softmax's) result.
Tensor softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim, bool log);

// input (N, C, d1, ...) or (C,), target int64 (N, d1, ...) or () of class indices,
// weight (C) or null. reduction: 0 none, 1 mean, 2 sum.
// cross_entropy returns (loss, lse, total_weight); nll_loss (loss, total_weight).
std::tuple<Tensor, Tensor, Tensor> cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                                                 int64_t reduction, int64_t ignore_index, double label_smoothing);
Tensor cross_entropy_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target,
                              const Tensor& weight, const Tensor& lse, const Tensor& total_weight, int64_t reduction,
                              int64_t ignore_index, double label_smoothing);
std::pair<Tensor, Tensor> nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t reduction,
                                   int64_t ignore_index);
Tensor nll_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target, const Tensor& weight,
                         const Tensor& total_weight, int64_t reduction, int64_t ignore_index);

}  // namespace tg
