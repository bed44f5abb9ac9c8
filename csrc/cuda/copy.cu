// copy with dtype conversion on the GPU (operand 0 = destination, 1 = source;
// any of the 6x6 dtype pairs), over launch_elementwise (elementwise.cuh).
// Same-dtype copies go through the same kernels: the dense path moves 16
// bytes per thread per step, as fast as cudaMemcpy for contiguous data.
#include <type_traits>
#include "elementwise.cuh"
#include "kernels.h"

namespace tg::cuda {
namespace {
// The conversions of the CPU copy (cpu/elementwise.cpp): half.h's convert (bool is x != 0, float16 and
// bfloat16 through float32, everything else static_cast).
template <class Out> struct CastOp {
  template <class In> TG_HD Out operator()(In x) const {
    constexpr bool narrow_int = std::is_integral_v<Out> && !std::is_same_v<Out, bool> && sizeof(Out) < 4;
    if constexpr (narrow_int && (std::is_floating_point_v<In> || is_reduced_float_v<In>)) {
      // NOTE: float -> uint8/int8/int16 out of range is undefined in C++; x86 (the CPU kernel) wraps it
      // modulo 2^bits while the GPU's cvt would saturate. Going through int64 wraps on both, as torch does.
      using F = std::conditional_t<std::is_same_v<In, double>, double, float>;
      return static_cast<Out>(static_cast<int64_t>(static_cast<F>(x)));
    } else {
      return convert<Out>(x);
    }
  }
};
}  // namespace

void copy(ElementwiseIter& it) {
  DType o = it.dtypes[0], i = it.dtypes[1];
  if (is_narrow(o) || is_narrow(i)) {
    // A narrow dtype to or from its compute dtype, or to itself (as bits); the front end converts other
    // pairs through the compute dtype (core/ops.cpp).
    auto pair = [&](DType a, DType b) { return o == a && i == b; };
    if (pair(DType::Int8, DType::Int8)) launch_elementwise<int8_t, int8_t>(it, CastOp<int8_t>{}, "copy");
    else if (pair(DType::Int16, DType::Int16)) launch_elementwise<int16_t, int16_t>(it, CastOp<int16_t>{}, "copy");
    else if (pair(DType::Float16, DType::Float16)) launch_elementwise<Half, Half>(it, CastOp<Half>{}, "copy");
    else if (pair(DType::BFloat16, DType::BFloat16))
      launch_elementwise<BFloat16, BFloat16>(it, CastOp<BFloat16>{}, "copy");
    else if (pair(DType::Float16, DType::Float32)) launch_elementwise<Half, float>(it, CastOp<Half>{}, "copy");
    else if (pair(DType::Float32, DType::Float16)) launch_elementwise<float, Half>(it, CastOp<float>{}, "copy");
    else if (pair(DType::BFloat16, DType::Float32)) launch_elementwise<BFloat16, float>(it, CastOp<BFloat16>{}, "copy");
    else if (pair(DType::Float32, DType::BFloat16)) launch_elementwise<float, BFloat16>(it, CastOp<float>{}, "copy");
    else if (pair(DType::Int8, DType::Int32)) launch_elementwise<int8_t, int32_t>(it, CastOp<int8_t>{}, "copy");
    else if (pair(DType::Int32, DType::Int8)) launch_elementwise<int32_t, int8_t>(it, CastOp<int32_t>{}, "copy");
    else if (pair(DType::Int16, DType::Int32)) launch_elementwise<int16_t, int32_t>(it, CastOp<int16_t>{}, "copy");
    else if (pair(DType::Int32, DType::Int16)) launch_elementwise<int32_t, int16_t>(it, CastOp<int32_t>{}, "copy");
    else throw_dtype_error("copy", nullptr, is_narrow(o) ? o : i);
    return;
  }
  TG_DISPATCH(it.dtypes[0], "copy", [&] {
    using out_t = scalar_t;
    TG_DISPATCH(it.dtypes[1], "copy", [&] { launch_elementwise<out_t, scalar_t>(it, CastOp<out_t>{}, "copy"); });
  });
}

}  // namespace tg::cuda
