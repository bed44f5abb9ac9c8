// The fused optimizer steps' front end (the op registry's OPTIMIZER_STEPS; the functors in ops/optim.h).
#pragma once
#include <vector>
#include "../ops/optim.h"
#include "tensor.h"

namespace tg {

// Updates param and its state tensors in place from grad in one elementwise pass: the functor of `op` built
// from `hyper` (its members, in order). Checks, raising RuntimeError that names the op: a floating param;
// grad and each state of param's shape, dtype and device; as many states as the functor's flags use; the
// written tensors (param, states) free of internal overlap and of shared memory with each other or grad. Any
// strides work. float16 / bfloat16 compute in float32 and are rounded once (torch's fused kernels).
void optim_step(OptimStepId op, const char* name, const Tensor& param, const Tensor& grad,
                const std::vector<Tensor>& states, const std::vector<double>& hyper);

// The step of every parameter of a group in one call (torch's foreach path), each as optim_step, bit for bit:
// states[i] are params[i]'s state tensors; hyper[k] is member k's value for all parameters (one number) or for each
// (one per parameter). steps, when not empty, are the parameters' step counters (one-element tensors): each is
// incremented by one and its new value is the member `step` (where the functor has one; its given values are then
// ignored). Every parameter is checked before anything is written; the parameters are then updated in
// order, as the same calls of optim_step would.
void optim_step_foreach(OptimStepId op, const char* name, const std::vector<Tensor>& params,
                        const std::vector<Tensor>& grads, const std::vector<std::vector<Tensor>>& states,
                        const std::vector<Tensor>& steps, const std::vector<std::vector<double>>& hyper);

}  // namespace tg
