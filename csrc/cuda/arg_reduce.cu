// max / min with indices on the GPU (torch.max(dim), argmax, ...): the
// reducer below over the shared kernels of reduce.cuh. Values keep the input
// dtype, indices are int64; the first index wins among ties and the first NaN
// wins outright (semantics of cpu/reduce.cpp).
#include "reduce.cuh"

namespace tg::cuda {
namespace {
using reduction::is_nan;
using reduction::reduce_launch;

// Value and index; i < 0 marks a thread that saw no element.
template <class T> struct ArgAcc {
  T v;
  int64_t i;
};

template <class T, bool kMax> struct ArgR {
  using Acc = ArgAcc<T>;
  __device__ static Acc init() { return Acc{T(0), -1}; }
  __device__ static Acc step(Acc a, T x, int64_t r) {
    if (a.i < 0) return Acc{x, r};
    if (is_nan(a.v)) return a;  // the first NaN wins
    if (is_nan(x) || (kMax ? x > a.v : x < a.v)) return Acc{x, r};
    return a;  // ties keep the earlier index (r grows within a thread)
  }
  // Order-independent: ties and NaNs are settled by index.
  __device__ static Acc merge(Acc a, Acc b) {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    const bool an = is_nan(a.v), bn = is_nan(b.v);
    if (an || bn) {
      if (an && bn) return a.i <= b.i ? a : b;
      return an ? a : b;
    }
    if (kMax ? b.v > a.v : b.v < a.v) return b;
    if (a.v == b.v) return b.i < a.i ? b : a;
    return a;
  }
  __device__ static void write(const ReduceIter& r, int64_t o, Acc a) {
    reinterpret_cast<T*>(r.out)[o] = a.v;
    reinterpret_cast<int64_t*>(r.indices)[o] = a.i;
  }
};

}  // namespace

void arg_reduce(bool is_max, ReduceIter& r) {
  // The front end passes one reduced dim; the shared kernels handle any grouping anyway.
  const char* name = is_max ? "argmax" : "argmin";
  TG_CHECK(r.out_numel == 0 || r.red_numel > 0, name, ": empty reduction");
  TG_CHECK(r.indices != nullptr, name, ": missing indices output");
  TG_DISPATCH(r.dtype, name, [&] {
    using T = scalar_t;
    if (is_max) reduce_launch<ArgR<T, true>, T>(r, "argmax");
    else reduce_launch<ArgR<T, false>, T>(r, "argmin");
  });
}

}  // namespace tg::cuda
