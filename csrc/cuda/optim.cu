// The fused optimizer steps (ops/optim.h) on the GPU: one grid-stride pass over the parameter, its gradient
// and its state slots. The functors multiply with __fmul_rn / __dmul_rn, so no product is contracted into a
// multiply-add and the results equal the unfused ops'.
#include "../ops/optim.h"
#include "helpers.cuh"
#include "kernels.h"

namespace tg::cuda {

namespace {
template <int N> struct StepPtrs {
  char* data[N];
};

// Operands 0 (param), 1 (grad) and 2 .. 2 + NS (the slots in use); the functor's other slots are locals.
template <class T, int NS, class F>
__global__ void __launch_bounds__(kThreads)
    step_kernel(int64_t n, bool dense, const __grid_constant__ OffsetCalc<2 + NS> oc,
                const __grid_constant__ StepPtrs<2 + NS> ptrs, F f) {
  constexpr int N = 2 + NS;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[N];
    if (dense) {
#pragma unroll
      for (int o = 0; o < N; ++o) off[o] = i * int64_t(sizeof(T));
    } else {
      oc.get(i, off);
    }
    auto at = [&](int o) -> T& { return *reinterpret_cast<T*>(ptrs.data[o] + off[o]); };
    T p = at(0), s0{}, s1{}, s2{};
    if constexpr (NS > 0) s0 = at(2);
    if constexpr (NS > 1) s1 = at(3);
    if constexpr (NS > 2) s2 = at(4);
    f(p, at(1), s0, s1, s2);
    at(0) = p;
    if constexpr (NS > 0) at(2) = s0;
    if constexpr (NS > 1) at(3) = s1;
    if constexpr (NS > 2) at(4) = s2;
  }
}

template <class T, int NS, class F> void launch_step(const ElementwiseIter& it, const F& f, const char* name) {
  constexpr int N = 2 + NS;
  const int device = use_device_of(it.data[0]);
  bool dense = it.ndim <= 1;
  for (int o = 0; o < N && dense; ++o) dense = it.ndim == 0 || it.strides[o][0] == int64_t(sizeof(T));
  StepPtrs<N> ptrs{};
  for (int o = 0; o < N; ++o) ptrs.data[o] = it.data[o];
  const unsigned grid = grid_for(it.numel, kThreads, device);
  step_kernel<T, NS, F>
      <<<grid, kThreads, 0, current_stream()>>>(it.numel, dense, OffsetCalc<N>::from_iter(it), ptrs, f);
  TG_CUDA_CHECK_LAUNCH(name);
}

template <class T, int Max, class F> void step_with_slots(const ElementwiseIter& it, const F& f, const char* name) {
  // (instantiated for the slot counts the functor can use: kMinStates .. Max)
  switch (it.nops - 2) {
    case 0:
      if constexpr (F::kMinStates <= 0 && Max >= 0) return launch_step<T, 0>(it, f, name);
      break;
    case 1:
      if constexpr (F::kMinStates <= 1 && Max >= 1) return launch_step<T, 1>(it, f, name);
      break;
    case 2:
      if constexpr (F::kMinStates <= 2 && Max >= 2) return launch_step<T, 2>(it, f, name);
      break;
    case 3:
      if constexpr (F::kMinStates <= 3 && Max >= 3) return launch_step<T, 3>(it, f, name);
      break;
  }
  throw Error("optim_step: more state tensors than the step has slots");
}
}  // namespace

void optim_step(OptimStepId op, ElementwiseIter& it, const OptimHyper& hyper) {
  if (it.numel <= 0) return;
  const double* p = hyper.v;
  switch (op) {
#define TG_STEP_CASE(name, F, NSLOTS, NHYPER, STEP, ARGS)                                            \
  case OptimStepId::name:                                                                            \
    TG_DISPATCH_FLOAT(it.dtypes[0], #name,                                                           \
                      [&] { step_with_slots<scalar_t, NSLOTS>(it, TG_MAKE_STEP(F, ARGS), #name); }); \
    return;
    TG_OPTIM_STEPS(TG_STEP_CASE)
#undef TG_STEP_CASE
  }
}

}  // namespace tg::cuda
