// Host-side planning shared by every elementwise launch (elementwise.cuh),
// where(): operand 0 = out, 1 = cond (bool), 2 = x, 3 = y; out = cond ? x : y,
// and frexp (two outputs, contiguous).
#include "elementwise.cuh"
#include "kernels.h"

namespace tg::cuda {

ElementwisePlan plan_elementwise(const ElementwiseIter& it, int nops, const DType* dtypes, const int64_t* sizes,
                                 int vec, const char* name) {
  TG_CHECK(it.nops == nops, name, ": expected ", nops, " operands, got ", it.nops);
  TG_CHECK(it.ndim >= 0 && it.ndim <= kMaxIterDims, name, ": bad iterator rank ", it.ndim);
  TG_CHECK((it.host_scalars & 1u) == 0, name, ": the output must be on the GPU");
  for (int o = 0; o < nops; ++o)
    TG_CHECK(it.dtypes[o] == dtypes[o], name, ": operand ", o, " is ", dtype_name(it.dtypes[o]),
             ", the kernel expects ", dtype_name(dtypes[o]));
  ElementwisePlan plan{};
  if (it.numel <= 0) return plan;  // grid 0: nothing to launch
  plan.device = use_device_of(it.data[0]);

  // Dense: flat, output contiguous, inputs contiguous or broadcast scalars,
  // every non-scalar pointer aligned to its vector width. A 0-d iterator
  // (one element) counts as contiguous.
  plan.dense = it.ndim <= 1;
  for (int o = 0; o < nops && plan.dense; ++o) {
    const int64_t s = it.ndim == 1 ? it.strides[o][0] : sizes[o];
    plan.scalar[o] = o > 0 && (s == 0 || ((it.host_scalars >> o) & 1u));
    const uintptr_t align = uintptr_t(sizes[o]) * uintptr_t(vec);
    plan.dense = plan.scalar[o] || (s == sizes[o] && reinterpret_cast<uintptr_t>(it.data[o]) % align == 0);
  }
  if (plan.dense) {
    plan.grid = grid_for((it.numel + vec - 1) / vec, kThreads, plan.device);
  } else {
    for (int o = 0; o < nops; ++o) plan.scalar[o] = false;
    plan.grid = grid_for(it.numel, kThreads, plan.device);
  }
  return plan;
}

namespace {
struct WhereOp {
  template <class T> TG_HD T operator()(bool c, T x, T y) const { return c ? x : y; }
};
}  // namespace

void where(ElementwiseIter& it) {
  TG_DISPATCH(it.dtypes[0], "where",
              [&] { launch_elementwise<scalar_t, bool, scalar_t, scalar_t>(it, WhereOp{}, "where"); });
}

namespace {
template <class T> __global__ void frexp_kernel(const T* x, T* mantissa, int32_t* exponent, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int e = 0;  // (zero, inf and NaN: themselves and exponent 0, as torch's)
    mantissa[i] = isfinite(x[i]) && x[i] != 0 ? ::frexp(x[i], &e) : x[i];
    exponent[i] = e;
  }
}
}  // namespace

template <class T> void frexp(const T* x, T* mantissa, int32_t* exponent, int64_t n) {
  if (n == 0) return;
  const int device = use_device_of(x);
  frexp_kernel<T><<<grid_for(n, kThreads, device), kThreads, 0, current_stream()>>>(x, mantissa, exponent, n);
  TG_CUDA_CHECK_LAUNCH("frexp_kernel");
}
template void frexp(const float*, float*, int32_t*, int64_t);
template void frexp(const double*, double*, int32_t*, int64_t);

}  // namespace tg::cuda
