// One functor per fused optimizer step, shared by the CPU loop (cpu/optim.cpp) and the CUDA kernel
// (cuda/optim.cu). The op registry's OPTIMIZER_STEPS (python/tinygrad_ext/_registry.py) names them, their
// state slots and their members (TG_OPTIM_STEPS in the generated tg_op_lists.h).
//
// f(p, g, s0, s1, s2) updates one element of the parameter p and of its state slots in place from its
// gradient g; the first nstates() slots are real tensors, the others are unused locals (the kernels are
// instantiated for kMinStates up to the registry's slot count). The update is
// torch's single-tensor formula, one rounding per operation in the same order as the unfused chain of
// elementwise ops it replaces (a scalar operand rounded to T first, as an elementwise op rounds a Python
// number): so the results are the same bit for bit. mul_rn() keeps a product from being contracted with the
// following add into one fused multiply-add (cpu/optim.cpp is compiled with -ffp-contract=off; nvcc
// contracts unless told, so the GPU multiplies with __fmul_rn / __dmul_rn).
#pragma once
#include <cmath>
#include "elementwise.h"

namespace tg {

template <class T> TG_HD T mul_rn(T a, T b) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float>) return __fmul_rn(a, b);
  else return __dmul_rn(a, b);
#else
  return a * b;
#endif
}

// A functor's hyperparameters (TG_MAKE builds it from v[0..]: X(adam_step_, AdamStepOp, 3, 10, (p[0], ...))).
struct OptimHyper {
  double v[TG_MAX_OPTIM_HYPER] = {};
};

// The gradient as the update uses it: negated when maximizing, plus weight_decay * p (the L2 penalty).
// (Written with selects, not branches, so the CPU loops vectorize; a select keeps the untaken value exact.)
template <class T> TG_HD T effective_grad(T p, T g, double weight_decay, double maximize) {
  g = maximize != 0 ? -g : g;
  return weight_decay != 0 ? g + mul_rn(p, T(weight_decay)) : g;
}

// SGD: buf = momentum * buf + (1 - dampening) * d (buf = d on the first step); d = d + momentum * buf with
// nesterov, else buf; p -= lr * d. Slot: momentum_buffer (with momentum != 0).
struct SgdStepOp {
  double lr, momentum, dampening, weight_decay, nesterov, maximize, first;
  static constexpr int kMinStates = 0;  // nstates() is at least this
  TG_HD int nstates() const { return momentum != 0 ? 1 : 0; }
  template <class T> TG_HD void operator()(T& p, T g, T& buf, T&, T&) const {
    T d = effective_grad(p, g, weight_decay, maximize);
    if (momentum != 0) {
      buf = first != 0 ? d : mul_rn(buf, T(momentum)) + (dampening == 0 ? d : mul_rn(d, T(1.0 - dampening)));
      d = nesterov != 0 ? d + mul_rn(buf, T(momentum)) : buf;
    }
    p = p - mul_rn(d, T(lr));
  }
};

// Adam / AdamW: m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2 (amsgrad: vmax = max(vmax, v),
// used instead of v); p -= step_size * m / (sqrt(v) / bias_correction2_sqrt + eps). decoupled: the weight
// decay scales p by 1 - lr * weight_decay first (AdamW) instead of joining the gradient. step_size and
// bias_correction2_sqrt come from the step count (the caller's). Slots: exp_avg, exp_avg_sq, max_exp_avg_sq.
struct AdamStepOp {
  double lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled, step_size, bias_correction2_sqrt;
  static constexpr int kMinStates = 2;  // nstates() is at least this
  TG_HD int nstates() const { return amsgrad != 0 ? 3 : 2; }
  template <class T> TG_HD void operator()(T& p, T g, T& m, T& v, T& vmax) const {
    const bool decay_p = decoupled != 0 && weight_decay != 0;
    p = decay_p ? mul_rn(p, T(1.0 - mul_rn(lr, weight_decay))) : p;
    g = effective_grad(p, g, decoupled != 0 ? 0.0 : weight_decay, maximize);
    m = mul_rn(m, T(beta1));
    m = m + mul_rn(g, T(1.0 - beta1));
    v = mul_rn(v, T(beta2));
    v = v + mul_rn(mul_rn(g, g), T(1.0 - beta2));
    vmax = amsgrad != 0 ? MaximumOp{}(vmax, v) : vmax;
    const T denom = SqrtOp{}(amsgrad != 0 ? vmax : v) / T(bias_correction2_sqrt) + T(eps);
    p = p - mul_rn(m / denom, T(step_size));
  }
};

// RMSprop: sq = alpha sq + (1 - alpha) g^2; avg = sqrt(sq) + eps (centered: sqrt(sq - ga^2) + eps, with
// ga = alpha ga + (1 - alpha) g); momentum: buf = momentum buf + g / avg, p -= lr buf; else p -= lr g / avg.
// Slots: square_avg, then grad_avg (centered), then momentum_buffer (momentum > 0).
struct RmspropStepOp {
  double lr, alpha, eps, weight_decay, momentum, centered, maximize;
  static constexpr int kMinStates = 1;  // nstates() is at least this
  TG_HD int nstates() const { return 1 + (centered != 0) + (momentum > 0); }
  template <class T> TG_HD void operator()(T& p, T g, T& sq, T& s1, T& s2) const {
    g = effective_grad(p, g, weight_decay, maximize);
    sq = mul_rn(sq, T(alpha));
    sq = sq + mul_rn(mul_rn(g, g), T(1.0 - alpha));
    const bool c = centered != 0;
    const T ga = mul_rn(s1, T(alpha)) + mul_rn(g, T(1.0 - alpha));  // grad_avg (slot 1 when centered)
    const T avg = SqrtOp{}(c ? sq - mul_rn(ga, ga) : sq) + T(eps);
    const T buf = mul_rn(c ? s2 : s1, T(momentum)) + g / avg;  // momentum_buffer (the next slot)
    const bool mom = momentum > 0;
    s1 = c ? ga : mom ? buf : s1;
    s2 = c && mom ? buf : s2;
    p = p - (mom ? mul_rn(buf, T(lr)) : mul_rn(g / avg, T(lr)));
  }
};

// Adagrad: sum += g^2; p -= clr * g / (sqrt(sum) + eps), clr = lr / (1 + (step - 1) lr_decay) (the caller's).
// Slot: sum.
struct AdagradStepOp {
  double clr, eps, weight_decay, maximize;
  static constexpr int kMinStates = 1;  // nstates() is at least this
  TG_HD int nstates() const { return 1; }
  template <class T> TG_HD void operator()(T& p, T g, T& sum, T&, T&) const {
    g = effective_grad(p, g, weight_decay, maximize);
    sum = sum + mul_rn(g, g);
    p = p - mul_rn(g / (SqrtOp{}(sum) + T(eps)), T(clr));
  }
};

// Adamax: m = beta1 m + (1 - beta1) g; u = max(beta2 u, |g| + eps); p -= clr * m / u, clr = lr / (1 - beta1^t)
// (the caller's). Slots: exp_avg, exp_inf.
struct AdamaxStepOp {
  double beta1, beta2, eps, weight_decay, maximize, clr;
  static constexpr int kMinStates = 2;  // nstates() is at least this
  TG_HD int nstates() const { return 2; }
  template <class T> TG_HD void operator()(T& p, T g, T& m, T& u, T&) const {
    g = effective_grad(p, g, weight_decay, maximize);
    m = mul_rn(m, T(beta1));
    m = m + mul_rn(g, T(1.0 - beta1));
    u = MaximumOp{}(mul_rn(u, T(beta2)), AbsOp{}(g) + T(eps));
    p = p - mul_rn(m / u, T(clr));
  }
};

// Adadelta: sq = rho sq + (1 - rho) g^2; delta = sqrt(acc + eps) / sqrt(sq + eps) * g;
// acc = rho acc + (1 - rho) delta^2; p -= lr delta. Slots: square_avg, acc_delta.
struct AdadeltaStepOp {
  double lr, rho, eps, weight_decay, maximize;
  static constexpr int kMinStates = 2;  // nstates() is at least this
  TG_HD int nstates() const { return 2; }
  template <class T> TG_HD void operator()(T& p, T g, T& sq, T& acc, T&) const {
    g = effective_grad(p, g, weight_decay, maximize);
    sq = mul_rn(sq, T(rho));
    sq = sq + mul_rn(mul_rn(g, g), T(1.0 - rho));
    const T delta = mul_rn(SqrtOp{}(acc + T(eps)) / SqrtOp{}(sq + T(eps)), g);
    acc = mul_rn(acc, T(rho));
    acc = acc + mul_rn(mul_rn(delta, delta), T(1.0 - rho));
    p = p - mul_rn(delta, T(lr));
  }
};

#define TG_ENUM_ENTRY(name, functor, nslots, nhyper, ARGS) name,
enum class OptimStepId { TG_OPTIM_STEPS(TG_ENUM_ENTRY) };
#undef TG_ENUM_ENTRY

}  // namespace tg
