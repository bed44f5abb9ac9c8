// CTC loss on the CPU: the alpha-beta recursion of Graves et al. (2006) in log space, one sample per task.
// Letters: T time steps, N samples, C classes, S a sample's target length, L = 2 S + 1 its extended labels
// (blank, l1, blank, l2, ..., blank); l'(s) is the extended label at s.
//   alpha[0][0] = lp[0][blank], alpha[0][1] = lp[0][l'(1)]
//   alpha[t][s] = lp[t][l'(s)] + lse(alpha[t-1][s], alpha[t-1][s-1], alpha[t-1][s-2] if l'(s) != l'(s-2))
//   nll = -lse(alpha[T-1][L-1], alpha[T-1][L-2])
// beta runs the same recursion backwards from the last step. Both include lp[t], so
//   d nll / d lp[t][c] = -exp(lse_{s: l'(s)=c}(alpha[t][s] + beta[t][s]) + nll - lp[t][c]).
// NOTE: like torch, the gradient returned adds exp(lp[t][c]): log_probs are meant to be a log_softmax's output,
// whose backward removes any per-(t, n) multiple of exp(lp), so the gradient reaching the logits is the same
// and log_probs.grad equals torch's.
#include "ctc.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "../core/ops.h"
#include "parallel.h"

namespace tg {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// log(exp(a) + exp(b) + exp(c)) in T's precision (as torch computes), -inf when all are -inf.
template <class T> T log_add(T a, T b, T c = static_cast<T>(kNegInf)) {
  const T m = std::max(a, std::max(b, c));
  if (m == static_cast<T>(kNegInf)) return m;
  return m + std::log(std::exp(a - m) + std::exp(b - m) + std::exp(c - m));
}

// The validated arguments, shared by forward and backward.
struct CtcArgs {
  int64_t T = 0, N = 0, C = 0, max_S = 0;
  std::vector<int64_t> offsets;  // where sample n's targets start in targets' data
  int64_t target_stride = 1;
};

CtcArgs check_ctc(const Tensor& log_probs, const Tensor& targets, const std::vector<int64_t>& input_lengths,
                  const std::vector<int64_t>& target_lengths, int64_t blank) {
  TG_CHECK(!log_probs->device().is_cuda() && !targets->device().is_cuda(),
           "ctc_loss: CUDA tensors are not supported (the CTC kernel runs on the CPU only); call .cpu() on "
           "log_probs and targets");
  TG_CHECK_AS(NotImplementedError, log_probs->dtype == DType::Float32 || log_probs->dtype == DType::Float64,
              "\"ctc_loss_cpu\" not implemented for '", type_name(log_probs->dtype), "'");
  TG_CHECK(log_probs->dim() == 3, "ctc_loss: expected log_probs of shape (T, N, C), got ", log_probs->sizes);
  TG_CHECK(targets->dtype == DType::Int64, "ctc_loss: targets must be an int64 tensor");
  CtcArgs a;
  a.T = log_probs->sizes[0], a.N = log_probs->sizes[1], a.C = log_probs->sizes[2];
  TG_CHECK(blank >= 0 && blank < a.C, "blank must be in label range");
  TG_CHECK(static_cast<int64_t>(input_lengths.size()) == a.N, "input_lengths must be of size batch_size");
  TG_CHECK(static_cast<int64_t>(target_lengths.size()) == a.N, "target_lengths must be of size batch_size");
  const char* where = " (while checking arguments for ctc_loss_allocate_outputs)";
  int64_t total = 0;
  for (int64_t n = 0; n < a.N; ++n) {
    TG_CHECK(target_lengths[n] >= 0, "Expected target_lengths to have value at least 0, but got value ",
             target_lengths[n], where);
    a.max_S = std::max(a.max_S, target_lengths[n]);
    a.offsets.push_back(total);
    total += target_lengths[n];
  }
  if (targets->dim() == 1) {
    TG_CHECK(targets->sizes[0] == total, "Expected tensor to have size ", total, " at dimension 0, but got size ",
             targets->sizes[0], " for argument #2 'targets'", where);
  } else {
    TG_CHECK(targets->dim() == 2 && targets->sizes[0] == a.N,
             "ctc_loss: expected targets of shape (N, S) with N = ", a.N, " or 1-D, got ", targets->sizes);
    TG_CHECK(targets->sizes[1] >= a.max_S, "Expected tensor to have size at least ", a.max_S,
             " at dimension 1, but got size ", targets->sizes[1], " for argument #2 'targets'", where);
    a.target_stride = targets->sizes[1];
    for (int64_t n = 0; n < a.N; ++n) a.offsets[n] = n * a.target_stride;
  }
  for (int64_t n = 0; n < a.N; ++n) {
    TG_CHECK(input_lengths[n] >= 0, "Expected input_lengths to have value at least 0, but got value ", input_lengths[n],
             where);
    TG_CHECK(input_lengths[n] <= a.T, "Expected input_lengths to have value at most ", a.T, ", but got value ",
             input_lengths[n], where);
  }
  // Not checked by torch (it reads out of bounds): a label outside [0, C) is an error here.
  const Tensor t = contiguous(targets);
  const int64_t* tg = t->data<int64_t>();
  for (int64_t n = 0; n < a.N; ++n)
    for (int64_t i = 0; i < target_lengths[n]; ++i) {
      const int64_t label = tg[a.offsets[n] + i];
      TG_CHECK_INDEX(label >= 0 && label < a.C, "ctc_loss: target ", label, " of sample ", n, " is out of range for ",
                     a.C, " classes");
    }
  return a;
}

// The extended label l'(s) of sample n.
struct Labels {
  const int64_t* targets;
  int64_t blank;
  int64_t operator()(int64_t s) const { return s % 2 == 0 ? blank : targets[s / 2]; }
};

template <class scalar_t>
void ctc_forward_sample(const CtcArgs& a, const scalar_t* lp, const Labels& l, int64_t n, int64_t T_n, int64_t S_n,
                        scalar_t* alpha, scalar_t* nll) {
  const int64_t L = 2 * a.max_S + 1, L_n = 2 * S_n + 1;
  const scalar_t neg_inf = static_cast<scalar_t>(kNegInf);
  auto at = [&](int64_t t, int64_t c) { return lp[(t * a.N + n) * a.C + c]; };
  std::fill(alpha, alpha + a.T * L, neg_inf);
  if (T_n == 0) {
    *nll = S_n == 0 ? 0 : -neg_inf;
    return;
  }
  alpha[0] = at(0, l(0));
  if (L_n > 1) alpha[1] = at(0, l(1));
  for (int64_t t = 1; t < T_n; ++t) {
    const scalar_t* prev = alpha + (t - 1) * L;
    scalar_t* cur = alpha + t * L;
    for (int64_t s = 0; s < L_n; ++s) {
      const scalar_t v =
          log_add(prev[s], s >= 1 ? prev[s - 1] : neg_inf, s >= 2 && l(s) != l(s - 2) ? prev[s - 2] : neg_inf);
      cur[s] = v == neg_inf ? neg_inf : v + at(t, l(s));
    }
  }
  const scalar_t* last = alpha + (T_n - 1) * L;
  *nll = -(L_n > 1 ? log_add(last[L_n - 1], last[L_n - 2]) : last[0]);
}

template <class scalar_t>
void ctc_backward_sample(const CtcArgs& a, const scalar_t* lp, const Labels& l, int64_t n, int64_t T_n, int64_t S_n,
                         const scalar_t* alpha, double nll, double gr, bool zero_grad, scalar_t* grad) {
  const int64_t L = 2 * a.max_S + 1, L_n = 2 * S_n + 1;
  const scalar_t neg_inf = static_cast<scalar_t>(kNegInf);
  auto row = [&](int64_t t) { return (t * a.N + n) * a.C; };
  for (int64_t t = 0; t < a.T; ++t) std::fill(grad + row(t), grad + row(t) + a.C, scalar_t(0));
  if (zero_grad || T_n == 0) return;
  std::vector<scalar_t> beta(2 * L_n, neg_inf), lcab(a.C);  // beta of steps t and t + 1
  scalar_t* cur = beta.data();
  scalar_t* next = beta.data() + L_n;
  const scalar_t nll_t = static_cast<scalar_t>(nll), gr_t = static_cast<scalar_t>(gr);
  for (int64_t t = T_n - 1; t >= 0; --t) {
    const scalar_t* lpt = lp + row(t);
    for (int64_t s = 0; s < L_n; ++s) {
      const scalar_t v = t == T_n - 1 ? (s >= L_n - 2 ? scalar_t(0) : neg_inf)
                                      : log_add(next[s], s + 1 < L_n ? next[s + 1] : neg_inf,
                                                s + 2 < L_n && l(s) != l(s + 2) ? next[s + 2] : neg_inf);
      cur[s] = v == neg_inf ? neg_inf : v + lpt[l(s)];
    }
    std::fill(lcab.begin(), lcab.end(), neg_inf);
    const scalar_t* alpha_t = alpha + t * L;
    for (int64_t s = 0; s < L_n; ++s) {
      const scalar_t ab = alpha_t[s] + cur[s];
      if (ab != neg_inf && !std::isnan(ab)) lcab[l(s)] = log_add(lcab[l(s)], ab);
    }
    scalar_t* g = grad + row(t);
    for (int64_t c = 0; c < a.C; ++c) g[c] = (std::exp(lpt[c]) - std::exp(lcab[c] + nll_t - lpt[c])) * gr_t;
    std::swap(cur, next);
  }
}

}  // namespace

std::pair<Tensor, Tensor> ctc_loss(const Tensor& log_probs, const Tensor& targets,
                                   const std::vector<int64_t>& input_lengths,
                                   const std::vector<int64_t>& target_lengths, int64_t blank) {
  const CtcArgs a = check_ctc(log_probs, targets, input_lengths, target_lengths, blank);
  const Tensor lp = contiguous(log_probs), tg = contiguous(targets);
  const int64_t L = 2 * a.max_S + 1;
  Tensor nll = empty({a.N}, log_probs->dtype), log_alpha = empty({a.N, a.T, L}, log_probs->dtype);
  auto run = [&](auto zero) {
    using scalar_t = decltype(zero);
    const scalar_t* lpd = lp->data<scalar_t>();
    scalar_t* alpha = log_alpha->data<scalar_t>();
    scalar_t* out = nll->data<scalar_t>();
    cpu::parallel_for(0, a.N, 1, [&](int64_t b, int64_t e) {
      for (int64_t n = b; n < e; ++n)
        ctc_forward_sample(a, lpd, Labels{tg->data<int64_t>() + a.offsets[n], blank}, n, input_lengths[n],
                           target_lengths[n], alpha + n * a.T * L, out + n);
    });
  };
  if (lp->dtype == DType::Float64) run(0.0);
  else run(0.0f);
  return {nll, log_alpha};
}

Tensor ctc_loss_backward(const Tensor& grad, const Tensor& log_probs, const Tensor& targets,
                         const std::vector<int64_t>& input_lengths, const std::vector<int64_t>& target_lengths,
                         const Tensor& neg_log_likelihood, const Tensor& log_alpha, int64_t blank, bool zero_infinity) {
  const CtcArgs a = check_ctc(log_probs, targets, input_lengths, target_lengths, blank);
  const int64_t L = 2 * a.max_S + 1;
  TG_CHECK(grad->numel() == a.N && neg_log_likelihood->numel() == a.N && log_alpha->sizes == Shape({a.N, a.T, L}),
           "ctc_loss_backward: expected grad and neg_log_likelihood of ", a.N, " elements and log_alpha of shape ",
           Shape({a.N, a.T, L}));
  const Tensor lp = contiguous(log_probs), tg = contiguous(targets);
  const Tensor gr = contiguous(to_dtype(grad, DType::Float64)),
               nll = contiguous(to_dtype(neg_log_likelihood, DType::Float64));
  const Tensor alpha = contiguous(to_dtype(log_alpha, log_probs->dtype));
  Tensor out = empty({a.T, a.N, a.C}, log_probs->dtype);
  auto run = [&](auto zero) {
    using scalar_t = decltype(zero);
    cpu::parallel_for(0, a.N, 1, [&](int64_t b, int64_t e) {
      for (int64_t n = b; n < e; ++n) {
        const double nll_n = nll->data<double>()[n];
        ctc_backward_sample(a, lp->data<scalar_t>(), Labels{tg->data<int64_t>() + a.offsets[n], blank}, n,
                            input_lengths[n], target_lengths[n], alpha->data<scalar_t>() + n * a.T * L, nll_n,
                            gr->data<double>()[n], zero_infinity && std::isinf(nll_n), out->data<scalar_t>());
      }
    });
  };
  if (lp->dtype == DType::Float64) run(0.0);
  else run(0.0f);
  return out;
}

}  // namespace tg
