// The registry's reductions (sum, prod, mean, amax, ...) on the GPU: the shared functors of ops/reduce.h,
// the same ones the CPU loops apply, over the kernels of reduce.cuh. Results match cpu/reduce.cpp's: sums and
// products accumulate in double for floating inputs and in int64 for integer and bool inputs (wrapping on
// overflow), max/min propagate NaN.
#include "../ops/reduce.h"
#include "reduce.cuh"

namespace tg::cuda {
namespace {
using reduction::reduce_launch;

// reduce.cuh's reducer interface over a shared functor F for input type T.
template <class F, class T> struct FunctorR {
  using Acc = typename F::template acc_t<T>;
  using Out = typename F::template out_t<T>;
  __device__ static Acc init() { return F::template init<T>(); }
  __device__ static Acc step(Acc a, T x, int64_t) { return F::step(a, x); }
  __device__ static Acc merge(Acc a, Acc b) { return F::merge(a, b); }
  __device__ static void write(const ReduceIter& r, int64_t o, Acc a) {
    reinterpret_cast<Out*>(r.out)[o] = static_cast<Out>(F::project(a, r.red_numel));
  }
};

}  // namespace

#define TG_REDUCE_CASE(name, F, kind, identity) \
  case ReduceOpId::name: reduce_launch<FunctorR<F, scalar_t>, scalar_t>(r, #name); return;
void reduce(ReduceOpId op, ReduceIter& r) {
  TG_DISPATCH(r.dtype, "reduce", [&] {
    switch (op) { TG_REDUCE_OPS(TG_REDUCE_CASE) }
    throw Error("reduce: unknown op");
  });
}
#undef TG_REDUCE_CASE

}  // namespace tg::cuda
