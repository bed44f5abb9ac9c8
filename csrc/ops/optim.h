// One functor per fused optimizer step, shared by the CPU loop (cpu/optim.cpp) and the CUDA kernel
// (cuda/optim.cu). The op registry's OPTIMIZER_STEPS (python/tinygrad_ext/_registry.py) names them, their
// state slots and their members (TG_OPTIM_STEPS in the generated tg_op_lists.h).
//
// A functor whose members include the parameter's step count (`step`) derives the numbers it needs from it once,
// on the host, in prepare() (make_step calls it): the same double arithmetic, in the same order, as the registry's
// formula (pow and sqrt are the C library's, as Python's ** and math.sqrt).
//
// f(p, g, s0, s1, s2) updates one element of the parameter p and of its state slots in place from its
// gradient g; the first nstates() slots are real tensors, the others are unused locals (the kernels are
// instantiated for kMinStates up to the registry's slot count). The update is
// torch's single-tensor formula, one rounding per operation in the same order as the unfused chain of
// elementwise ops it replaces (a scalar operand rounded to T first, as an elementwise op rounds a Python
// number): so the results are the same bit for bit. Where torch's kernel is a fused multiply-add (add_ with
// alpha, addcmul_'s last product, lerp_), fma_rn() rounds once as it does; everywhere else mul_rn() keeps a product
// from being contracted with the following add (cpu/optim.cpp is compiled with -ffp-contract=off; nvcc
// contracts unless told, so the GPU multiplies with __fmul_rn / __dmul_rn).
#pragma once
#include <cmath>
#include <type_traits>
#include <utility>
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

template <class F, class = void> struct has_prepare : std::false_type {};
template <class F> struct has_prepare<F, std::void_t<decltype(std::declval<F&>().prepare())>> : std::true_type {};

// The functor built from its members, with prepare() run where it has one.
template <class F> F make_step(F f) {
  if constexpr (has_prepare<F>::value) f.prepare();
  return f;
}
#define TG_MAKE_STEP(F, ARGS) make_step(TG_MAKE(F, ARGS))

// A functor's hyperparameters (TG_MAKE builds it from v[0..]: X(adam_step_, AdamStepOp, 3, 10, (p[0], ...))).
struct OptimHyper {
  double v[TG_MAX_OPTIM_HYPER] = {};
};

// The gradient as the update uses it: negated when maximizing, plus weight_decay * p (the L2 penalty,
// grad.add(param, alpha=weight_decay)). (Written with selects, not branches, so the CPU loops vectorize; a
// select keeps the untaken value exact.)
template <class T> TG_HD T effective_grad(T p, T g, double weight_decay, double maximize) {
  g = maximize != 0 ? -g : g;
  return weight_decay != 0 ? fma_rn(p, T(weight_decay), g) : g;
}

// SGD: buf = momentum * buf + (1 - dampening) * d (buf = d on the first step); d = d + momentum * buf with
// nesterov, else buf; p -= lr * d (each `+ x * alpha` torch's add_ with alpha: fused). Slot: momentum_buffer
// (with momentum != 0).
struct SgdStepOp {
  double lr, momentum, dampening, weight_decay, nesterov, maximize, first;
  static constexpr int kMinStates = 0;  // nstates() is at least this
  TG_HD int nstates() const { return momentum != 0 ? 1 : 0; }
  template <class T> TG_HD void operator()(T& p, T g, T& buf, T&, T&) const {
    T d = effective_grad(p, g, weight_decay, maximize);
    if (momentum != 0) {
      buf = first != 0 ? d : fma_rn(d, T(1.0 - dampening), mul_rn(buf, T(momentum)));
      d = nesterov != 0 ? fma_rn(buf, T(momentum), d) : buf;
    }
    p = fma_rn(d, T(-lr), p);
  }
};

// Adam's, NAdam's and RAdam's start: decoupled weight decay scales p by 1 - lr * weight_decay first (AdamW),
// else it joins the gradient; then m = lerp(m, g, 1 - beta1), v = beta2 v + (1 - beta2) g^2 (addcmul). Returns g.
template <class T>
TG_HD T adam_moments(T& p, T g, T& m, T& v, double lr, double beta1, double beta2, double weight_decay,
                     double decoupled, double maximize) {
  // (p times 1 when not decoupled: exact, and one condition fewer for GCC to unswitch the loop on)
  p = mul_rn(p, T(decoupled != 0 && weight_decay != 0 ? 1.0 - mul_rn(lr, weight_decay) : 1.0));
  g = effective_grad(p, g, decoupled != 0 ? 0.0 : weight_decay, maximize);
  m = lerp_rn(m, g, T(1.0 - beta1));
  v = addcmul_sq(mul_rn(v, T(beta2)), g, 1.0 - beta2);
  return g;
}

// Adam / AdamW: the moments (adam_moments; amsgrad: vmax = max(vmax, v), used instead of v);
// p += (-step_size * m) / (sqrt(v) / bias_correction2_sqrt + eps) (addcdiv), step_size = lr / (1 - beta1^step),
// bias_correction2_sqrt = sqrt(1 - beta2^step). Slots: exp_avg, exp_avg_sq, max_exp_avg_sq.
struct AdamStepOp {
  double lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled, step;
  double step_size = 0, bias_correction2_sqrt = 0;  // (prepare())
  static constexpr int kMinStates = 2;              // nstates() is at least this
  TG_HD int nstates() const { return amsgrad != 0 ? 3 : 2; }
  void prepare() {
    bias_correction2_sqrt = std::sqrt(1.0 - std::pow(beta2, step));
    step_size = lr / (1.0 - std::pow(beta1, step));
    // without weight decay AdamW's update is Adam's (both leave g and p as they are): one loop version fewer for
    // GCC to unswitch, so that AdamW(weight_decay=0) vectorizes as Adam does (it ran scalar, 4x slower)
    if (weight_decay == 0) decoupled = 0;
  }
  template <class T> TG_HD void operator()(T& p, T g, T& m, T& v, T& vmax) const {
    g = adam_moments(p, g, m, v, lr, beta1, beta2, weight_decay, decoupled, maximize);
    vmax = amsgrad != 0 ? MaximumOp{}(vmax, v) : vmax;
    const T denom = SqrtOp{}(amsgrad != 0 ? vmax : v) / T(bias_correction2_sqrt) + T(eps);
    p = p + mul_rn(T(-step_size), m) / denom;
  }
};

// RMSprop: sq = alpha sq + (1 - alpha) g^2; avg = sqrt(sq) + eps (centered: sqrt(sq - ga^2) + eps, with
// ga = lerp(ga, g, 1 - alpha)); momentum: buf = momentum buf + g / avg, p -= lr buf; else p += (-lr g) / avg.
// Slots: square_avg, then grad_avg (centered), then momentum_buffer (momentum > 0).
struct RmspropStepOp {
  double lr, alpha, eps, weight_decay, momentum, centered, maximize;
  static constexpr int kMinStates = 1;  // nstates() is at least this
  TG_HD int nstates() const { return 1 + (centered != 0) + (momentum > 0); }
  template <class T> TG_HD void operator()(T& p, T g, T& sq, T& s1, T& s2) const {
    g = effective_grad(p, g, weight_decay, maximize);
    sq = addcmul_sq(mul_rn(sq, T(alpha)), g, 1.0 - alpha);
    const bool c = centered != 0;
    const T ga = lerp_rn(s1, g, T(1.0 - alpha));  // grad_avg (slot 1 when centered)
    const T avg = SqrtOp{}(c ? fma_rn(-ga, ga, sq) : sq) + T(eps);
    const T buf = mul_rn(c ? s2 : s1, T(momentum)) + g / avg;  // momentum_buffer (the next slot)
    const bool mom = momentum > 0;
    s1 = c ? ga : mom ? buf : s1;
    s2 = c && mom ? buf : s2;
    p = mom ? fma_rn(buf, T(-lr), p) : p + mul_rn(T(-lr), g) / avg;
  }
};

// Adagrad: sum += g^2 (fused); p += (-clr * g) / (sqrt(sum) + eps), clr = lr / (1 + (step - 1) lr_decay).
// Slot: sum.
struct AdagradStepOp {
  double lr, lr_decay, eps, weight_decay, maximize, step;
  double clr = 0;                       // (prepare())
  static constexpr int kMinStates = 1;  // nstates() is at least this
  TG_HD int nstates() const { return 1; }
  void prepare() { clr = lr / (1.0 + (step - 1.0) * lr_decay); }
  template <class T> TG_HD void operator()(T& p, T g, T& sum, T&, T&) const {
    g = effective_grad(p, g, weight_decay, maximize);
    sum = fma_rn(g, g, sum);
    p = p + mul_rn(T(-clr), g) / (SqrtOp{}(sum) + T(eps));
  }
};

// Adamax: m = lerp(m, g, 1 - beta1); u = max(beta2 u, |g| + eps); p += (-clr * m) / u, clr = lr / (1 - beta1^step).
// Slots: exp_avg, exp_inf.
struct AdamaxStepOp {
  double lr, beta1, beta2, eps, weight_decay, maximize, step;
  double clr = 0;                       // (prepare())
  static constexpr int kMinStates = 2;  // nstates() is at least this
  TG_HD int nstates() const { return 2; }
  void prepare() { clr = lr / (1.0 - std::pow(beta1, step)); }
  template <class T> TG_HD void operator()(T& p, T g, T& m, T& u, T&) const {
    g = effective_grad(p, g, weight_decay, maximize);
    m = lerp_rn(m, g, T(1.0 - beta1));
    u = MaximumOp{}(mul_rn(u, T(beta2)), AbsOp{}(g) + T(eps));
    p = p + mul_rn(T(-clr), m) / u;
  }
};

// Adadelta: sq = rho sq + (1 - rho) g^2; delta = sqrt(acc + eps) / sqrt(sq + eps) * g;
// acc = rho acc + (1 - rho) delta^2 (the squares: addcmul, fused); p -= lr delta (fused). Slots: square_avg,
// acc_delta.
struct AdadeltaStepOp {
  double lr, rho, eps, weight_decay, maximize;
  static constexpr int kMinStates = 2;  // nstates() is at least this
  TG_HD int nstates() const { return 2; }
  template <class T> TG_HD void operator()(T& p, T g, T& sq, T& acc, T&) const {
    g = effective_grad(p, g, weight_decay, maximize);
    sq = addcmul_sq(mul_rn(sq, T(rho)), g, 1.0 - rho);
    const T delta = mul_rn(SqrtOp{}(acc + T(eps)) / SqrtOp{}(sq + T(eps)), g);
    acc = addcmul_sq(mul_rn(acc, T(rho)), delta, 1.0 - rho);
    p = fma_rn(delta, T(-lr), p);
  }
};

// NAdam: the moments (adam_moments); mu_t = beta1 (1 - 0.96^(t psi) / 2) for t = step and step + 1;
// denom = sqrt(v / (1 - beta2^step)) + eps; p += (-lr (1 - mu) / (1 - mu_product) g) / denom, then
// p += (-lr mu_next / (1 - mu_product mu_next) m) / denom (addcdiv). mu_product: the running product of mu up to this
// step (the optimizer's 0-d state, rounded in its dtype as torch's). Slots: exp_avg, exp_avg_sq.
struct NadamStepOp {
  double lr, beta1, beta2, eps, weight_decay, momentum_decay, maximize, decoupled, step, mu_product;
  double bias_correction2 = 0, grad_scale = 0, exp_avg_scale = 0;  // (prepare())
  static constexpr int kMinStates = 2;                             // nstates() is at least this
  TG_HD int nstates() const { return 2; }
  void prepare() {
    const double mu = beta1 * (1.0 - 0.5 * std::pow(0.96, step * momentum_decay));
    const double mu_next = beta1 * (1.0 - 0.5 * std::pow(0.96, (step + 1.0) * momentum_decay));
    bias_correction2 = 1.0 - std::pow(beta2, step);
    grad_scale = lr * (1.0 - mu) / (1.0 - mu_product);
    exp_avg_scale = lr * mu_next / (1.0 - mu_product * mu_next);
  }
  template <class T> TG_HD void operator()(T& p, T g, T& m, T& v, T&) const {
    g = adam_moments(p, g, m, v, lr, beta1, beta2, weight_decay, decoupled, maximize);
    const T denom = SqrtOp{}(v / T(bias_correction2)) + T(eps);
    p = p + mul_rn(T(-grad_scale), g) / denom;
    p = p + mul_rn(T(-exp_avg_scale), m) / denom;
  }
};

// RAdam: the moments (adam_moments); u = m / (1 - beta1^step) * lr; once the variance is tractable
// (rho_t > 5, rho_t = rho_inf - 2 step beta2^step / (1 - beta2^step), rho_inf = 2 / (1 - beta2) - 1):
// u = u * (sqrt(1 - beta2^step) / (sqrt(v) + eps)) * rect; p -= u. Slots: exp_avg, exp_avg_sq.
struct RadamStepOp {
  double lr, beta1, beta2, eps, weight_decay, maximize, decoupled, step;
  double bias_correction1 = 0, bias_correction2_sqrt = 0, rect = 0;  // (prepare(); rect 0: not rectified)
  static constexpr int kMinStates = 2;                               // nstates() is at least this
  TG_HD int nstates() const { return 2; }
  void prepare() {  // (torch's Python: its square roots are `** 0.5`)
    const double bias_correction2 = 1.0 - std::pow(beta2, step);
    bias_correction1 = 1.0 - std::pow(beta1, step);
    bias_correction2_sqrt = std::pow(bias_correction2, 0.5);
    const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
    const double rho_t = rho_inf - 2.0 * step * std::pow(beta2, step) / bias_correction2;
    rect = rho_t > 5.0
               ? std::pow((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t), 0.5)
               : 0.0;
  }
  template <class T> TG_HD void operator()(T& p, T g, T& m, T& v, T&) const {
    g = adam_moments(p, g, m, v, lr, beta1, beta2, weight_decay, decoupled, maximize);
    const T u = mul_rn(m / T(bias_correction1), T(lr));
    // torch's bias_correction2 ** 0.5 / (sqrt(v) + eps): a number over a tensor, which torch computes as the
    // tensor's reciprocal times the number (two roundings)
    const T adaptive = mul_rn(T(1) / (SqrtOp{}(v) + T(eps)), T(bias_correction2_sqrt));
    p = p - (rect > 0 ? mul_rn(mul_rn(u, adaptive), T(rect)) : u);
  }
};

// ASGD: p = p (1 - lambd eta) - eta g (fused); ax += mu (p - ax), or ax = p while mu is 1. eta and mu: the optimizer's
// 0-d states' values at this step. Slot: ax.
struct AsgdStepOp {
  double lambd, eta, mu, weight_decay, maximize;
  static constexpr int kMinStates = 1;  // nstates() is at least this
  TG_HD int nstates() const { return 1; }
  template <class T> TG_HD void operator()(T& p, T g, T& ax, T&, T&) const {
    g = effective_grad(p, g, weight_decay, maximize);
    p = mul_rn(p, T(1.0 - mul_rn(lambd, eta)));
    p = fma_rn(g, T(-eta), p);
    ax = mu != 1 ? ax + mul_rn(p - ax, T(mu)) : p;
  }
};

#define TG_ENUM_ENTRY(name, functor, nslots, nhyper, step_index, ARGS) name,
enum class OptimStepId { TG_OPTIM_STEPS(TG_ENUM_ENTRY) };
#undef TG_ENUM_ENTRY

}  // namespace tg
