// The fused optimizer steps: argument checks, then one kernel over param, grad and the states.
#include "optim_ops.h"
#include <sstream>
#include <string>
#include "../cuda/kernels.h"
#include "../ops/elementwise.h"
#include "error.h"
#include "iterator.h"
#include "ops.h"

namespace tg {

namespace {
struct StepInfo {
  int nhyper;                       // the functor's members
  int step_index;                   // the member `step` (-1: none)
  int (*nstates)(const double* p);  // the state tensors its flags use
};

StepInfo step_info(OptimStepId op) {
  switch (op) {
#define TG_STEP_INFO(name, F, NSLOTS, NHYPER, STEP, ARGS) \
  case OptimStepId::name: return {NHYPER, STEP, [](const double* p) { return TG_MAKE(F, ARGS).nstates(); }};
    TG_OPTIM_STEPS(TG_STEP_INFO)
#undef TG_STEP_INFO
  }
  throw Error("optim_step: unknown step");
}

std::string describe(const Tensor& t) {
  std::ostringstream s;
  s << "shape " << t->sizes << ", " << dtype_name(t->dtype) << " on " << device_str(t->device());
  return s.str();
}

// More than one element at one address: a write through such a view races with itself.
bool has_internal_overlap(const Tensor& t) {
  for (int64_t d = 0; d < t->dim(); ++d)
    if (t->sizes[d] > 1 && t->strides[d] == 0) return true;
  return false;
}

ElementwiseIter make_step_iter(const std::vector<Tensor>& ops) {
  const Tensor& p = ops[0];
  switch (ops.size()) {
    case 2: return make_iter(p, {ops[1]});
    case 3: return make_iter(p, {ops[1], ops[2]});
    case 4: return make_iter(p, {ops[1], ops[2], ops[3]});
    default: return make_iter(p, {ops[1], ops[2], ops[3], ops[4]});
  }
}
// The checks of one parameter's step: its operands (param, grad, the states), all checked, nothing written.
std::vector<Tensor> checked_operands(const StepInfo& info, const char* name, const Tensor& param, const Tensor& grad,
                                     const std::vector<Tensor>& states, const OptimHyper& h) {
  const int nstates = info.nstates(h.v);
  TG_CHECK(int(states.size()) == nstates, name, ": expected ", nstates, " state tensors for these options, got ",
           states.size());
  TG_CHECK(is_floating(param->dtype), name, ": the parameter must be a floating point tensor, got ", describe(param));
  std::vector<Tensor> ops{param, grad};
  ops.insert(ops.end(), states.begin(), states.end());
  for (size_t i = 1; i < ops.size(); ++i) {
    const Tensor& t = ops[i];
    TG_CHECK(t->sizes == param->sizes && t->dtype == param->dtype && t->device() == param->device(), name, ": ",
             i == 1 ? std::string("the gradient") : "state " + std::to_string(i - 2), " (", describe(t),
             ") does not match the parameter (", describe(param), "): they must have the same shape, dtype and device");
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    if (i != 1)
      TG_CHECK(!has_internal_overlap(ops[i]), name, ": ",
               i == 0 ? std::string("the parameter") : "state " + std::to_string(i - 2), " (", describe(ops[i]),
               ") has more than one element at one memory "
               "location (an expanded tensor); clone() it first");
    for (size_t j = 0; j < i; ++j)
      TG_CHECK(ops[i]->storage != ops[j]->storage, name,
               ": the parameter, its gradient and its state tensors "
               "must not share memory (operands ",
               j, " and ", i, " do); clone() one of them first");
  }
  return ops;
}

// One kernel over checked operands (param, grad, states), the written ones' versions bumped.
void run_step(OptimStepId op, const std::vector<Tensor>& ops, const OptimHyper& h) {
  const Tensor& param = ops[0];
  if (param->numel() == 0) return;
  std::vector<Tensor> run = ops;
  if (is_narrow(param->dtype))  // computed in float32, rounded once at the end
    for (Tensor& t : run) t = to_dtype(t, compute_dtype(t->dtype));
  ElementwiseIter it = make_step_iter(run);
  TG_ON_DEVICE(param->device(), optim_step, op, it, h);
  for (size_t i = 0; i < ops.size(); ++i) {
    if (i == 1) continue;
    if (run[i] != ops[i]) copy_(ops[i], run[i]);
    bump_version(ops[i]);
  }
}

// counter += 1, as the elementwise add of the number 1 (a float32 or float64 counter on the CPU directly); returns
// the new count.
double next_step(const Tensor& counter) {
  if (counter->device().is_cuda() || (counter->dtype != DType::Float32 && counter->dtype != DType::Float64)) {
    binary(BinaryOpId::add, counter, Scalar::from_int(1), false, counter);
    return item_double(counter);
  }
  bump_version(counter);
  if (counter->dtype == DType::Float32) return *counter->data<float>() += 1.0f;
  return *counter->data<double>() += 1.0;
}

OptimHyper to_hyper(const StepInfo& info, const char* name, const std::vector<double>& hyper) {
  TG_CHECK(int(hyper.size()) == info.nhyper, name, ": expected ", info.nhyper, " hyperparameters, got ", hyper.size());
  OptimHyper h;
  for (size_t i = 0; i < hyper.size(); ++i) h.v[i] = hyper[i];
  return h;
}
}  // namespace

void optim_step(OptimStepId op, const char* name, const Tensor& param, const Tensor& grad,
                const std::vector<Tensor>& states, const std::vector<double>& hyper) {
  const StepInfo info = step_info(op);
  const OptimHyper h = to_hyper(info, name, hyper);
  run_step(op, checked_operands(info, name, param, grad, states, h), h);
}

void optim_step_foreach(OptimStepId op, const char* name, const std::vector<Tensor>& params,
                        const std::vector<Tensor>& grads, const std::vector<std::vector<Tensor>>& states,
                        const std::vector<Tensor>& steps, const std::vector<std::vector<double>>& hyper) {
  const StepInfo info = step_info(op);
  const size_t n = params.size();
  TG_CHECK(grads.size() == n && states.size() == n, name, ": expected as many gradients and state lists as ",
           "parameters (", n, "), got ", grads.size(), " and ", states.size());
  TG_CHECK(steps.empty() || steps.size() == n, name, ": expected no step counters or one per parameter (", n, "), got ",
           steps.size());
  TG_CHECK(int(hyper.size()) == info.nhyper, name, ": expected ", info.nhyper, " hyperparameters, got ", hyper.size());
  for (size_t k = 0; k < hyper.size(); ++k)
    TG_CHECK(hyper[k].size() == 1 || hyper[k].size() == n || (int(k) == info.step_index && !steps.empty()), name,
             ": hyperparameter ", k, " has ", hyper[k].size(), " values; expected 1 or one per parameter (", n, ")");
  for (const Tensor& s : steps)
    TG_CHECK(s->numel() == 1, name, ": a step counter must be a one-element tensor, got ", describe(s));
  std::vector<OptimHyper> hs(n);
  std::vector<std::vector<Tensor>> ops(n);
  for (size_t i = 0; i < n; ++i) {  // every check before anything is written
    for (size_t k = 0; k < hyper.size(); ++k)
      if (!hyper[k].empty()) hs[i].v[k] = hyper[k][hyper[k].size() == 1 ? 0 : i];
    ops[i] = checked_operands(info, name, params[i], grads[i], states[i], hs[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    if (!steps.empty()) {  // the counter += 1 (in its dtype, as the optimizers' step state), its new value the step
      const double step = next_step(steps[i]);
      if (info.step_index >= 0) hs[i].v[info.step_index] = step;
    }
    run_step(op, ops[i], hs[i]);
  }
}

}  // namespace tg
