// interpolate's nearest / nearest-exact / (bi/tri)linear resampling on the GPU: the CUDA side of
// cpu/upsample.cpp, included by nn.cu (which instantiates every TG_NN_KERNELS entry). One thread per output
// element computes its taps per dim (upsample_taps, shared with the CPU). Forward: a weighted gather of at
// most 8 inputs. Backward: the gradient is zeroed, then each output adds its weighted gradient into its taps
// with atomicAdd (as torch's CUDA upsampling backward: an input read by several outputs may differ in the last
// bit between runs).
#pragma once

namespace tg::cuda {
namespace {

struct UpsampleTap {
  int64_t i[2];
  double w[2];
  int n;
};

// The taps along dim d of output position o (an unused leading dim, or a nearest mode: one tap).
__device__ __forceinline__ UpsampleTap upsample_tap(const UpsampleShape& s, int d, int64_t o) {
  UpsampleTap t;
  double l1;
  upsample_taps(s.in[d], s.out[d], s.scale[d], s.mode, s.align_corners, o, t.i[0], t.i[1], l1);
  const bool linear = s.mode == kUpsampleLinear && d >= 3 - s.dims;
  t.n = linear ? 2 : 1;
  t.w[0] = linear ? 1.0 - l1 : 1.0;
  t.w[1] = l1;
  return t;
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    upsample_kernel(const __grid_constant__ UpsampleShape s, const T* in, T* out, bool backward) {
  // forward: in = x, out = y; backward: in = gy, out = gx (zeroed)
  const int64_t OW = s.out[2], OH = s.out[1], OD = s.out[0];
  const int64_t total = s.planes * OD * OH * OW, plane = s.in[0] * s.in[1] * s.in[2];
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    const int64_t ow = i % OW, oh = (i / OW) % OH, od = (i / (OW * OH)) % OD, p = i / (OW * OH * OD);
    const UpsampleTap td = upsample_tap(s, 0, od), th = upsample_tap(s, 1, oh), tw = upsample_tap(s, 2, ow);
    const int64_t base = p * plane;
    T acc = 0;
    for (int a = 0; a < td.n; ++a)
      for (int b = 0; b < th.n; ++b)
        for (int c = 0; c < tw.n; ++c) {
          const int64_t k = base + (td.i[a] * s.in[1] + th.i[b]) * s.in[2] + tw.i[c];
          const T w = T(td.w[a] * th.w[b] * tw.w[c]);
          if (backward) atomicAdd(out + k, w * in[i]);  // float and double (sm_60+)
          else acc += w * in[k];
        }
    if (!backward) out[i] = acc;
  }
}

}  // namespace

template <class T> void upsample_forward(const UpsampleShape& s, const T* x, T* y) {
  const int64_t total = s.planes * s.out[0] * s.out[1] * s.out[2];
  if (total == 0) return;
  const int device = use_device_of(y);
  upsample_kernel<T><<<grid_for(total, kThreads, device), kThreads, 0, current_stream()>>>(s, x, y, false);
  TG_CUDA_CHECK_LAUNCH("upsample_kernel");
}

template <class T> void upsample_backward(const UpsampleShape& s, const T* gy, T* gx) {
  const int64_t in_total = s.planes * s.in[0] * s.in[1] * s.in[2];
  if (in_total == 0) return;
  const int device = use_device_of(gx);
  TG_CUDA_CHECK(cudaMemsetAsync(gx, 0, size_t(in_total) * sizeof(T), current_stream()));
  const int64_t total = s.planes * s.out[0] * s.out[1] * s.out[2];
  if (total == 0) return;
  upsample_kernel<T><<<grid_for(total, kThreads, device), kThreads, 0, current_stream()>>>(s, gy, gx, true);
  TG_CUDA_CHECK_LAUNCH("upsample_kernel");
}

}  // namespace tg::cuda
