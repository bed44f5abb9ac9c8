// CTC loss (Graves et al., 2006) on the CPU; see ctc.cpp.
#pragma once
#include <utility>
#include <vector>
#include "../core/tensor.h"

namespace tg {

// log_probs (T, N, C) float32/float64; targets int64, padded (N, S) or the targets of all samples concatenated
// (sum(target_lengths),); one length per sample. Returns (neg_log_likelihood (N,), log_alpha (N, T, 2*max_S+1)).
std::pair<Tensor, Tensor> ctc_loss(const Tensor& log_probs, const Tensor& targets,
                                   const std::vector<int64_t>& input_lengths,
                                   const std::vector<int64_t>& target_lengths, int64_t blank);
// The gradient with respect to log_probs (T, N, C) of sum_n grad[n] * nll[n], in torch's form (see ctc.cpp).
Tensor ctc_loss_backward(const Tensor& grad, const Tensor& log_probs, const Tensor& targets,
                         const std::vector<int64_t>& input_lengths, const std::vector<int64_t>& target_lengths,
                         const Tensor& neg_log_likelihood, const Tensor& log_alpha, int64_t blank, bool zero_infinity);

}  // namespace tg
