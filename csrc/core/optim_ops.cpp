// The fused optimizer steps: argument checks, then one kernel over param, grad and the states.
#include "optim_ops.h"
#include <sstream>
#include <string>
#include "../cuda/kernels.h"
#include "error.h"
#include "iterator.h"
#include "ops.h"

namespace tg {

namespace {
struct StepInfo {
  int nhyper;                       // the functor's members
  int (*nstates)(const double* p);  // the state tensors its flags use
};

StepInfo step_info(OptimStepId op) {
  switch (op) {
#define TG_STEP_INFO(name, F, NSLOTS, NHYPER, ARGS) \
  case OptimStepId::name: return {NHYPER, [](const double* p) { return TG_MAKE(F, ARGS).nstates(); }};
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
}  // namespace

void optim_step(OptimStepId op, const char* name, const Tensor& param, const Tensor& grad,
                const std::vector<Tensor>& states, const std::vector<double>& hyper) {
  const StepInfo info = step_info(op);
  TG_CHECK(int(hyper.size()) == info.nhyper, name, ": expected ", info.nhyper, " hyperparameters, got ", hyper.size());
  OptimHyper h;
  for (size_t i = 0; i < hyper.size(); ++i) h.v[i] = hyper[i];
  const int nstates = info.nstates(h.v);
  TG_CHECK(int(states.size()) == nstates, name, ": expected ", nstates, " state tensors for these options, got ",
           states.size());
  TG_CHECK(is_floating(param->dtype), name, ": the parameter must be a floating point tensor, got ", describe(param));
  std::vector<Tensor> ops{param, grad};
  ops.insert(ops.end(), states.begin(), states.end());
  for (size_t i = 1; i < ops.size(); ++i) {
    const Tensor& t = ops[i];
    const std::string what = i == 1 ? std::string("the gradient") : "state " + std::to_string(i - 2);
    TG_CHECK(t->sizes == param->sizes && t->dtype == param->dtype && t->device() == param->device(), name, ": ", what,
             " (", describe(t), ") does not match the parameter (", describe(param),
             "): they must have the same shape, dtype and device");
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

}  // namespace tg
