// sum / prod / amax / amin on the GPU: the reducers below over the shared
// kernels of reduce.cuh.
//
// Semantics follow cpu/reduce.cpp: sums and products accumulate in double for
// floating inputs and int64 for integer/bool inputs (wrapping on overflow);
// they write the input dtype for floats and int64 otherwise. amax/amin
// propagate NaN.
#include <limits>
#include <type_traits>
#include "reduce.cuh"

namespace tg::cuda {
namespace {
using reduction::is_nan;
using reduction::reduce_launch;

template <class T> using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
template <class T> using sum_out_t = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;

// Integer accumulators wrap like two's complement (unsigned arithmetic is
// defined on overflow; signed is not).
__device__ __forceinline__ double acc_add(double a, double b) { return a + b; }
__device__ __forceinline__ int64_t acc_add(int64_t a, int64_t b) { return int64_t(uint64_t(a) + uint64_t(b)); }
__device__ __forceinline__ double acc_mul(double a, double b) { return a * b; }
__device__ __forceinline__ int64_t acc_mul(int64_t a, int64_t b) { return int64_t(uint64_t(a) * uint64_t(b)); }

template <class T>
struct SumR {
  using Acc = acc_t<T>;
  __device__ static Acc init() { return Acc(0); }
  __device__ static Acc step(Acc a, T x, int64_t) { return acc_add(a, Acc(x)); }
  __device__ static Acc merge(Acc a, Acc b) { return acc_add(a, b); }
  __device__ static void write(const ReduceIter& r, int64_t o, Acc a) {
    reinterpret_cast<sum_out_t<T>*>(r.out)[o] = static_cast<sum_out_t<T>>(a);
  }
};

template <class T>
struct ProdR {
  using Acc = acc_t<T>;
  __device__ static Acc init() { return Acc(1); }
  __device__ static Acc step(Acc a, T x, int64_t) { return acc_mul(a, Acc(x)); }
  __device__ static Acc merge(Acc a, Acc b) { return acc_mul(a, b); }
  __device__ static void write(const ReduceIter& r, int64_t o, Acc a) {
    reinterpret_cast<sum_out_t<T>*>(r.out)[o] = static_cast<sum_out_t<T>>(a);
  }
};

// NOTE: once an accumulator holds NaN it stays NaN: `x > m` is false against
// NaN, and a NaN x is always taken.
template <class T, bool kMax>
struct MinMaxR {
  using Acc = T;
  __device__ static Acc init() {
    if constexpr (std::is_floating_point_v<T>)
      return kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    else
      return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  __device__ static Acc step(Acc m, T x, int64_t) { return ((kMax ? x > m : x < m) || is_nan(x)) ? x : m; }
  __device__ static Acc merge(Acc a, Acc b) { return step(a, b, 0); }
  __device__ static void write(const ReduceIter& r, int64_t o, Acc a) { reinterpret_cast<T*>(r.out)[o] = a; }
};

}  // namespace

void reduce(ReduceOpId op, ReduceIter& r) {
  TG_DISPATCH(r.dtype, "reduce", [&] {
    using T = scalar_t;
    switch (op) {
      case ReduceOpId::sum: reduce_launch<SumR<T>, T>(r, "sum"); return;
      case ReduceOpId::prod: reduce_launch<ProdR<T>, T>(r, "prod"); return;
      case ReduceOpId::amax: reduce_launch<MinMaxR<T, true>, T>(r, "amax"); return;
      case ReduceOpId::amin: reduce_launch<MinMaxR<T, false>, T>(r, "amin"); return;
    }
    throw Error("reduce: unknown op");
  });
}

}  // namespace tg::cuda
