// The fused optimizer steps (ops/optim.h) on the CPU: one pass over the parameter, its gradient and its
// state slots, split across the thread pool as the elementwise kernels are. Compiled once per ISA, with
// -ffp-contract=off (CMakeLists.txt): the functors round every product as the unfused ops do.
#include "isa.h"
#include "kernels.h"
#include "loops.h"

namespace tg::cpu::TG_ISA {

namespace {
// Operands 0 (param), 1 (grad) and 2 .. 2 + NS (the slots in use); the functor's other slots are locals. The
// front end has checked that no two operands share memory, so the dense loop's pointers are __restrict.
template <class T, int NS, class F> void step_loop(const ElementwiseIter& it, const F& functor) {
  const F f = functor;  // (a local copy: its members are loop invariants)
  for_each_row(it, [&](char* const* ptr, const int64_t* s, int64_t n) {
    bool dense = true;
    for (int o = 0; o < 2 + NS; ++o) dense = dense && s[o] == int64_t(sizeof(T));
    if (dense) {
      T* __restrict p = reinterpret_cast<T*>(ptr[0]);
      const T* __restrict g = reinterpret_cast<const T*>(ptr[1]);
      T* __restrict a = NS > 0 ? reinterpret_cast<T*>(ptr[2]) : nullptr;
      T* __restrict b = NS > 1 ? reinterpret_cast<T*>(ptr[3]) : nullptr;
      T* __restrict c = NS > 2 ? reinterpret_cast<T*>(ptr[4]) : nullptr;
      for (int64_t i = 0; i < n; ++i) {
        T x = p[i], s0{}, s1{}, s2{};
        if constexpr (NS > 0) s0 = a[i];
        if constexpr (NS > 1) s1 = b[i];
        if constexpr (NS > 2) s2 = c[i];
        f(x, g[i], s0, s1, s2);
        p[i] = x;
        if constexpr (NS > 0) a[i] = s0;
        if constexpr (NS > 1) b[i] = s1;
        if constexpr (NS > 2) c[i] = s2;
      }
      return;
    }
    auto at = [&](int o, int64_t i) -> T& { return *reinterpret_cast<T*>(ptr[o] + i * s[o]); };
    for (int64_t i = 0; i < n; ++i) {
      T x = at(0, i), s0{}, s1{}, s2{};
      if constexpr (NS > 0) s0 = at(2, i);
      if constexpr (NS > 1) s1 = at(3, i);
      if constexpr (NS > 2) s2 = at(4, i);
      f(x, at(1, i), s0, s1, s2);
      at(0, i) = x;
      if constexpr (NS > 0) at(2, i) = s0;
      if constexpr (NS > 1) at(3, i) = s1;
      if constexpr (NS > 2) at(4, i) = s2;
    }
  });
}

template <class T, int Max, class F> void step_with_slots(const ElementwiseIter& it, const F& f) {
  // (instantiated for the slot counts the functor can use: kMinStates .. Max)
  switch (it.nops - 2) {
    case 0:
      if constexpr (F::kMinStates <= 0 && Max >= 0) return step_loop<T, 0>(it, f);
      break;
    case 1:
      if constexpr (F::kMinStates <= 1 && Max >= 1) return step_loop<T, 1>(it, f);
      break;
    case 2:
      if constexpr (F::kMinStates <= 2 && Max >= 2) return step_loop<T, 2>(it, f);
      break;
    case 3:
      if constexpr (F::kMinStates <= 3 && Max >= 3) return step_loop<T, 3>(it, f);
      break;
  }
  throw Error("optim_step: more state tensors than the step has slots");
}
}  // namespace

void optim_step(OptimStepId op, ElementwiseIter& it, const OptimHyper& hyper) {
  const double* p = hyper.v;
  switch (op) {
#define TG_STEP_CASE(name, F, NSLOTS, NHYPER, STEP, ARGS)                                                          \
  case OptimStepId::name:                                                                                          \
    TG_DISPATCH_FLOAT(it.dtypes[0], #name, [&] { step_with_slots<scalar_t, NSLOTS>(it, TG_MAKE_STEP(F, ARGS)); }); \
    return;
    TG_OPTIM_STEPS(TG_STEP_CASE)
#undef TG_STEP_CASE
  }
}

}  // namespace tg::cpu::TG_ISA
