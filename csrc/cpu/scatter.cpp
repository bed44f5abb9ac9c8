// scatter_reduce's CPU kernel (see scatter.h).
#include "scatter.h"
#include "../ops/elementwise.h"
#include "loops.h"

namespace tg::cpu {
namespace {
template <class T> inline T combine(ScatterReduce op, T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return op == ScatterReduce::prod || op == ScatterReduce::amin ? (a && b) : (a || b);
  } else {
    if (op == ScatterReduce::prod) return wrap_mul(a, b);
    if (b != b) return b;  // NaN wins (a NaN already there stays: no comparison below is true)
    return (op == ScatterReduce::amax ? b > a : b < a) ? b : a;
  }
}
}  // namespace

void scatter_reduce(ElementwiseIter& it, int64_t index_stride, ScatterReduce op) {
  TG_DISPATCH(it.dtypes[0], "scatter_reduce_", [&] {
    TG_ISA::for_each_row(
        it,
        [&](char* const* p, const int64_t* s, int64_t n) {
          for (int64_t i = 0; i < n; ++i) {
            int64_t idx = *reinterpret_cast<const int64_t*>(p[2] + i * s[2]);
            auto* dst = reinterpret_cast<scalar_t*>(p[0] + i * s[0] + idx * index_stride);
            *dst = combine(op, *dst, *reinterpret_cast<const scalar_t*>(p[1] + i * s[1]));
          }
        },
        INT64_MAX);  // serial: repeated indices must not race
  });
}
}  // namespace tg::cpu
