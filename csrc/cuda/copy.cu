// copy with dtype conversion on the GPU (operand 0 = destination, 1 = source;
// any of the 6x6 dtype pairs), over launch_elementwise (elementwise.cuh).
// Same-dtype copies go through the same kernels: the dense path moves 16
// bytes per thread per step, as fast as cudaMemcpy for contiguous data.
#include <type_traits>
#include "elementwise.cuh"
#include "kernels.h"

namespace tg::cuda {
namespace {
// The conversions of the CPU copy (cpu/elementwise.cpp): bool is x != 0,
// everything else static_cast.
template <class Out>
struct CastOp {
  template <class In> TG_HD Out operator()(In x) const {
    if constexpr (std::is_same_v<Out, bool>) {
      return x != In(0);
    } else if constexpr (std::is_same_v<Out, uint8_t> && std::is_floating_point_v<In>) {
      // NOTE: float -> uint8 of a negative value is undefined in C++; x86
      // (the CPU kernel) wraps it modulo 256 while the GPU's cvt would
      // saturate to 0. Going through int64 wraps on both, as torch does.
      return static_cast<uint8_t>(static_cast<int64_t>(x));
    } else {
      return static_cast<Out>(x);
    }
  }
};
}  // namespace

void copy(ElementwiseIter& it) {
  TG_DISPATCH(it.dtypes[0], "copy", [&] {
    using out_t = scalar_t;
    TG_DISPATCH(it.dtypes[1], "copy", [&] { launch_elementwise<out_t, scalar_t>(it, CastOp<out_t>{}, "copy"); });
  });
}

}  // namespace tg::cuda
