// Convolution, pooling, softmax and the classification losses on the GPU: the
// CUDA side of cpu/nn_kernels.h (same entry points and semantics, declared in
// cuda/nn_kernels.h). Pointers are device pointers to contiguous memory. Every
// kernel is a grid-stride loop with 64-bit indices on the legacy default
// stream, and every sum runs in a fixed order (no float atomics), so results
// are bit-reproducible run to run on the same GPU.
//
// Dimension letters (as cpu/nn_kernels.h): N batch, C input channels, O output
// channels, H x W input plane, OH x OW output plane (P = OH * OW positions),
// kh x kw kernel, G groups; Cg = C / G, Og = O / G, K = Cg * kh * kw (the
// im2col rows of one group), KC = C * kh * kw (of all groups).
//
// conv2d: im2col + the strided GEMM of gemm.cu, as cpu/conv.cpp. A chunk of
//   images is unrolled at once into col (nb, KC, P); then, per image and
//   group, y_g = W_g @ col_g (forward); gcol_g = W_g^T @ gy_g, then a col2im
//   gather where each input element sums its taps in (ki, kj) order (backward
//   input); gW_g = sum_n gy_g @ col_g^T, image after image through the GEMM's
//   accumulate flag (backward weight: a fixed order, deterministic). A 1x1,
//   stride-1, unpadded kernel reads the image itself as col. The GEMMs are
//   batched (gemm_batch.h): one launch per chunk for every (image, group) of
//   the forward and input gradient, one per image for the weight gradient's
//   groups (the images add into the same sums, in order).
// max_pool2d: one thread per output. The backward kernel gets the indices but
//   not the window geometry (PoolShape's kernel fields are unset there), so
//   it cannot gather over "the windows that contain an input": one warp per
//   plane zeroes the plane, then scatters 32 outputs at a time, lanes with
//   the same target summed in lane order and written by the lowest of them
//   (deterministic, no atomics).
// avg_pool2d: one thread per output; the backward pass gathers, per input
//   element, the outputs whose windows contain it (a computed range).
// softmax, log_softmax and the losses: a group of 1, 32 (a warp) or 256 (the
//   block) threads per row, combined with fixed shuffle / shared-memory trees.
//   A row (o, i) of an (outer, D, inner) block has its D elements `inner`
//   apart; with inner > 1 and many rows, a thread per row makes neighbouring
//   threads read neighbouring addresses. Few long contiguous rows (fewer than
//   the SMs): each row is split into chunks of kSplitChunk, a block reduces
//   each chunk (max, then the sum of exponentials; backward: the dot), a
//   thread per row combines its chunks in order, and the results are written
//   by a thread per element (rounding may differ from the one-block-per-row
//   kernels in the last bits).
#include <algorithm>
#include <limits>

#include "allocator.h"
#include "conv_index.h"
#include "helpers.cuh"
#include "kernels.h"
#include "nn_kernels.h"

namespace tg::cuda {
namespace {

constexpr int kWarps = kThreads / 32;
static_assert((kWarps & (kWarps - 1)) == 0 && kWarps <= 32, "the block tree assumes a power-of-two warp count");

__device__ __forceinline__ void divmod(int64_t n, int64_t d, int64_t& q, int64_t& r) {
  uint64_t uq, ur;
  divmod_u64(uint64_t(n), uint64_t(d), uq, ur);
  q = int64_t(uq);
  r = int64_t(ur);
}

__device__ __forceinline__ int64_t global_thread() { return int64_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t grid_threads() { return int64_t(gridDim.x) * blockDim.x; }

__device__ __forceinline__ float dev_exp(float x) { return expf(x); }
__device__ __forceinline__ double dev_exp(double x) { return exp(x); }
__device__ __forceinline__ float dev_log(float x) { return logf(x); }
__device__ __forceinline__ double dev_log(double x) { return log(x); }

template <class T> __device__ __forceinline__ T neg_inf() { return -std::numeric_limits<T>::infinity(); }

struct AddOp {
  template <class A> __device__ A operator()(A a, A b) const { return a + b; }
};
// NOTE: NaN wins, so that a row holding a NaN stays NaN.
struct MaxNanOp {
  template <class A> __device__ A operator()(A a, A b) const {
    if (a != a) return a;
    if (b != b) return b;
    return a > b ? a : b;
  }
};

// Combines v over the `group` threads that share a row (1, 32 or kThreads,
// groups aligned to warps / the block) in a fixed tree and returns the result
// to every thread of the group. With group == kThreads every thread of the
// block must call it (it synchronizes); smem holds kWarps + 1 values.
template <class A, class F> __device__ __forceinline__ A group_allreduce(A v, int group, A* smem, F combine) {
  if (group == 1) return v;
#pragma unroll
  for (int delta = 16; delta > 0; delta /= 2) v = combine(v, shfl_down(v, delta));
  if (group == 32) return __shfl_sync(kFullMask, v, 0);  // lane 0's value everywhere: one result per row
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = smem[lane < kWarps ? lane : 0];
#pragma unroll
    for (int delta = kWarps / 2; delta > 0; delta /= 2) v = combine(v, shfl_down(v, delta));
    if (lane == 0) smem[kWarps] = v;
  }
  __syncthreads();
  v = smem[kWarps];
  __syncthreads();  // smem is rewritten by the next call
  return v;
}

// Threads per row for `rows` rows of D elements `inner` apart.
int row_group(int64_t rows, int64_t D, int64_t inner) {
  if (inner > 1 && rows >= 4096) return 1;  // neighbouring rows are neighbouring addresses
  if (D >= 4096) return kThreads;
  if (D >= 32) return 32;
  return 1;
}

// The first element of row r (= (o, i)) of an (outer, D, inner) block.
__device__ __forceinline__ int64_t row_base(int64_t r, int64_t D, int64_t inner) {
  if (inner == 1) return r * D;
  int64_t o, i;
  divmod(r, inner, o, i);
  return o * D * inner + i;
}

// ---------------------------------------------------------------- convolution
// Index math and GEMM operands: conv_index.h (shared with the host test conv_index_test.cpp).
using conv_index::GemmView;
using conv_index::is_pointwise;
using conv_index::use_direct_grouped;

struct FastDiv {  // conv_index's division: 32-bit hardware division when both operands fit
  __device__ __forceinline__ void operator()(int64_t n, int64_t d, int64_t& q, int64_t& r) const { divmod(n, d, q, r); }
};

// col[i] for the nb images from n0 (conv_index::im2col_source); 0 where that reads padding.
template <class T>
__global__ void __launch_bounds__(kThreads)
    im2col_kernel(const __grid_constant__ ConvShape s, int64_t n0, int64_t nb, const T* x, T* col) {
  const int64_t total = nb * s.C * s.kh * s.kw * s.OH * s.OW;
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    const int64_t src = conv_index::im2col_source(s, n0, i, FastDiv{});
    col[i] = src < 0 ? T(0.0f) : x[src];
  }
}

// The adjoint of im2col as a gather (conv_index::col2im_sum): writes every element of the nb images from n0,
// summed in acc_t<T> from a column buffer of ColT (float32 for 16-bit T: one rounding per element).
template <class ColT, class T>
__global__ void __launch_bounds__(kThreads)
    col2im_kernel(const __grid_constant__ ConvShape s, int64_t n0, int64_t nb, const ColT* col, T* gx) {
  using Acc = acc_t<T>;
  const int64_t HW = s.H * s.W, total = nb * s.C * HW;
  T* gxc = gx + n0 * s.C * HW;
  for (int64_t i = global_thread(); i < total; i += grid_threads())
    gxc[i] = T(conv_index::col2im_sum<Acc>(s, i, FastDiv{}, [&](int64_t k) { return Acc(col[k]); }));
}

// ------------------------------------------------ grouped convolution, direct
// Groups with few input channels each (depthwise: one; Cg * kh * kw <= 64):
// the GEMM per (image, group) would be a launch per group per image, each far
// too small to fill the GPU, so these run directly: forward and input
// gradient a thread per output / input element (channels, then taps in
// (ki, kj) order), weight gradient a block per weight element reducing over
// (n, oh, ow) in a fixed tree. Sums in acc_t<T> (float32 for 16-bit T), one rounding.
template <class T>
__global__ void __launch_bounds__(kThreads)
    grouped_forward_kernel(const __grid_constant__ ConvShape s, const T* x, const T* w, const T* b, T* y) {
  using Acc = acc_t<T>;
  const int64_t total = s.N * s.O * s.OH * s.OW;
  auto xr = [&](int64_t k) { return Acc(x[k]); };
  auto wr = [&](int64_t k) { return Acc(w[k]); };
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    int64_t o;
    const Acc acc = conv_index::grouped_forward_sum<Acc>(s, i, FastDiv{}, xr, wr, o);
    y[i] = T(b ? acc + Acc(b[o]) : acc);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    grouped_backward_input_kernel(const __grid_constant__ ConvShape s, const T* gy, const T* w, T* gx) {
  using Acc = acc_t<T>;
  const int64_t total = s.N * s.C * s.H * s.W;
  auto gyr = [&](int64_t k) { return Acc(gy[k]); };
  auto wr = [&](int64_t k) { return Acc(w[k]); };
  for (int64_t i = global_thread(); i < total; i += grid_threads())
    gx[i] = T(conv_index::grouped_backward_input_sum<Acc>(s, i, FastDiv{}, gyr, wr));
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    grouped_backward_weight_kernel(const __grid_constant__ ConvShape s, const T* gy, const T* x, T* gw) {
  using Acc = acc_t<T>;
  __shared__ Acc smem[kWarps + 1];
  const int64_t terms = s.N * s.OH * s.OW;
  for (int64_t e = blockIdx.x; e < s.O * (s.C / s.G) * s.kh * s.kw; e += gridDim.x) {  // uniform per block
    const conv_index::WeightTap tap = conv_index::grouped_weight_tap(s, e, FastDiv{});
    Acc acc = Acc(0);
    for (int64_t j = threadIdx.x; j < terms; j += kThreads) {
      const conv_index::Term t = conv_index::grouped_weight_term(s, tap, j, FastDiv{});
      if (t.x_index >= 0) acc = fma(Acc(gy[t.gy_index]), Acc(x[t.x_index]), acc);
    }
    acc = group_allreduce(acc, kThreads, smem, AddOp{});
    if (threadIdx.x == 0) gw[e] = T(acc);
    __syncthreads();  // smem is reused by the next element
  }
}

// y[n, o, p] = b[o] over the whole output: the GEMMs then accumulate onto it.
template <class T>
__global__ void __launch_bounds__(kThreads) bias_fill_kernel(int64_t total, int64_t P, int64_t O, const T* b, T* y) {
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    int64_t q, p, n, o;
    divmod(i, P, q, p);
    divmod(q, O, n, o);
    y[i] = b[o];
  }
}

// out[i] = in[i] rounded to T (the 16-bit weight gradient from its float32 sum).
template <class T> __global__ void __launch_bounds__(kThreads) round_kernel(int64_t n, const float* in, T* out) {
  for (int64_t i = global_thread(); i < n; i += grid_threads()) out[i] = T(in[i]);
}

// Images unrolled per im2col launch: the column buffer (elements of ColT) stays under 64 MiB, at least one image.
template <class ColT> int64_t images_per_chunk(const ConvShape& s) {
  return conv_index::images_per_chunk(s, int64_t(sizeof(ColT)), int64_t(64) << 20);
}

// Bytes of the column buffer for `chunk` images (none for a pointwise convolution).
template <class ColT> int64_t col_bytes(const ConvShape& s, bool pointwise, int64_t chunk) {
  return pointwise ? 0 : chunk * s.C * s.kh * s.kw * s.OH * s.OW * int64_t(sizeof(ColT));
}

template <class T> void launch_im2col(const ConvShape& s, int64_t n0, int64_t nb, const T* x, T* col, int device) {
  const int64_t total = nb * s.C * s.kh * s.kw * s.OH * s.OW;
  if (total == 0) return;
  im2col_kernel<T><<<grid_for(total, kThreads, device), kThreads, 0, current_stream()>>>(s, n0, nb, x, col);
  TG_CUDA_CHECK_LAUNCH("im2col_kernel");
}

// A batch of the convolution's GEMMs on their bases (conv_index's GemmBatchView), one launch: gemm.cu's float32 /
// float64 GEMM, or for 16-bit T its float32-accumulating one (tensor cores on sm_80+), C of T or float32.
template <class T, class OutT>
void conv_gemm(const conv_index::GemmBatchView& bv, const T* a, const T* b, OutT* c, bool accumulate) {
  const GemmView& v = bv.first;
  if constexpr (is_reduced_float_v<T>)
    gemm_16bit<T, OutT>(v.M, v.N, v.K, a + v.a, v.rsa, v.csa, b + v.b, v.rsb, v.csb, c + v.c, v.rsc, v.csc, accumulate,
                        bv.batch);
  else
    gemm<T>(v.M, v.N, v.K, a + v.a, v.rsa, v.csa, b + v.b, v.rsb, v.csb, c + v.c, v.rsc, v.csc, accumulate, bv.batch);
}

// ------------------------------------------------------------------- pooling
template <class T>
__global__ void __launch_bounds__(kThreads)
    max_pool2d_forward_kernel(const __grid_constant__ PoolShape s, const T* x, T* y, int64_t* idx) {
  const int64_t total = s.planes * s.OH * s.OW;
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    int64_t q, ow, p, oh;
    divmod(i, s.OW, q, ow);
    divmod(q, s.OH, p, oh);
    const T* xp = x + p * s.H * s.W;
    const int64_t h0 = oh * s.sh - s.ph, w0 = ow * s.sw - s.pw;
    T best = neg_inf<T>();
    int64_t bi = -1;
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      const int64_t ih = h0 + ki * s.dh;
      if (ih < 0 || ih >= s.H) continue;
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        const int64_t iw = w0 + kj * s.dw;
        if (iw < 0 || iw >= s.W) continue;
        const int64_t k = ih * s.W + iw;
        const T v = xp[k];
        // NOTE: the first NaN of the window wins (nothing replaces a NaN); ties keep the first maximum.
        if (bi < 0 || v > best || (v != v && best == best)) {
          best = v;
          bi = k;
        }
      }
    }
    y[i] = best;  // a window of padding only (possible with dilation): -inf and torch's index, as the CPU
    idx[i] = bi < 0 ? cpu::padding_window_index(h0, w0, s.dh, s.dw, s.W) : bi;
  }
}

// One thread per output element: gx[p, idx[k]] += gy[p, k] with atomicAdd into
// the zeroed gradient (cudaMemsetAsync in the launcher), so a few large planes
// fill the GPU as well as many small ones. Indices outside the plane (a
// padding-only window) are skipped. NOTE: as torch's CUDA scatter of pooling
// gradients, this is deterministic except where overlapping windows
// (stride < kernel) pick the same input element: those additions land in
// hardware order, so such an element may differ in the last bit between runs
// (and from the CPU, which adds in output order). The backward gets no window
// geometry (it is a scatter by index, also for the double backward's
// replays), so a gather over the windows that can contain an input element
// is not available here.
template <class T>
__global__ void __launch_bounds__(kThreads)
    max_pool2d_backward_kernel(const __grid_constant__ PoolShape s, const T* gy, const int64_t* idx, T* gx) {
  const int64_t HW = s.H * s.W, OHW = s.OH * s.OW, total = s.planes * OHW;
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    const int64_t e = idx[i];
    if (e < 0 || e >= HW) continue;
    atomicAdd(gx + (i / OHW) * HW + e, gy[i]);  // float and double (sm_60+)
  }
}

// One average-pooling window: clipped bounds and torch's divisor (as cpu/conv.cpp's avg_window).
struct AvgWindow {
  int64_t h0, h1, w0, w1;
  double divisor;
};

__device__ __forceinline__ AvgWindow avg_window(const PoolShape& s, int64_t oh, int64_t ow, bool count_include_pad,
                                                int64_t divisor) {
  AvgWindow a;
  a.h0 = oh * s.sh - s.ph;
  a.w0 = ow * s.sw - s.pw;
  a.h1 = min(a.h0 + s.kh, s.H + s.ph);
  a.w1 = min(a.w0 + s.kw, s.W + s.pw);
  const int64_t pool_size = (a.h1 - a.h0) * (a.w1 - a.w0);
  a.h0 = max(a.h0, int64_t(0));
  a.w0 = max(a.w0, int64_t(0));
  a.h1 = min(a.h1, s.H);
  a.w1 = min(a.w1, s.W);
  if (divisor > 0) a.divisor = double(divisor);
  else if (count_include_pad) a.divisor = double(pool_size);
  else a.divisor = double((a.h1 - a.h0) * (a.w1 - a.w0));
  return a;
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    avg_pool2d_forward_kernel(const __grid_constant__ PoolShape s, bool count_include_pad, int64_t divisor, const T* x,
                              T* y) {
  const int64_t total = s.planes * s.OH * s.OW;
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    int64_t q, ow, p, oh;
    divmod(i, s.OW, q, ow);
    divmod(q, s.OH, p, oh);
    const AvgWindow a = avg_window(s, oh, ow, count_include_pad, divisor);
    const T* xp = x + p * s.H * s.W;
    T acc = T(0);
    for (int64_t ih = a.h0; ih < a.h1; ++ih)
      for (int64_t iw = a.w0; iw < a.w1; ++iw) acc += xp[ih * s.W + iw];
    y[i] = static_cast<T>(acc / a.divisor);
  }
}

// gx[p, h, w] = sum of gy[p, oh, ow] / divisor over the windows holding (h, w), in (oh, ow)
// order: oh * sh - ph <= h < oh * sh - ph + kh gives oh's range directly (dilation is 1).
template <class T>
__global__ void __launch_bounds__(kThreads)
    avg_pool2d_backward_kernel(const __grid_constant__ PoolShape s, bool count_include_pad, int64_t divisor,
                               const T* gy, T* gx) {
  const int64_t total = s.planes * s.H * s.W;
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    int64_t q, w, p, h;
    divmod(i, s.W, q, w);
    divmod(q, s.H, p, h);
    const int64_t oh0 = h + s.ph < s.kh ? 0 : (h + s.ph - s.kh) / s.sh + 1;
    const int64_t oh1 = min((h + s.ph) / s.sh + 1, s.OH);
    const int64_t ow0 = w + s.pw < s.kw ? 0 : (w + s.pw - s.kw) / s.sw + 1;
    const int64_t ow1 = min((w + s.pw) / s.sw + 1, s.OW);
    const T* gyp = gy + p * s.OH * s.OW;
    T acc = T(0);
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const AvgWindow a = avg_window(s, oh, ow, count_include_pad, divisor);
        if (h < a.h0 || h >= a.h1 || w < a.w0 || w >= a.w1) continue;
        acc += static_cast<T>(gyp[oh * s.OW + ow] / a.divisor);
      }
    }
    gx[i] = acc;
  }
}

// ------------------------------------------------------------------- softmax
// Every thread runs the same number of row iterations (the bound is per
// block), so group_allreduce's barriers are reached uniformly.
template <class T>
__global__ void __launch_bounds__(kThreads)
    softmax_forward_kernel(int64_t rows, int64_t D, int64_t inner, bool log, int group, const T* x, T* y) {
  __shared__ T smem[kWarps + 1];
  const int per_block = kThreads / group, lane = threadIdx.x % group;
  for (int64_t rb = int64_t(blockIdx.x) * per_block; rb < rows; rb += int64_t(gridDim.x) * per_block) {
    const int64_t r = rb + threadIdx.x / group;
    const bool valid = r < rows;  // uniform over a group
    const int64_t base = valid ? row_base(r, D, inner) : 0;
    const T* xr = x + base;
    T* yr = y + base;
    T m = neg_inf<T>();
    if (valid)
      for (int64_t d = lane; d < D; d += group) m = MaxNanOp{}(m, xr[d * inner]);
    m = group_allreduce(m, group, smem, MaxNanOp{});
    if (m == neg_inf<T>()) m = T(0);  // an all -inf row: exp gives 0s, then 0 / 0 or log(0) - (-inf): NaN
    T sum = T(0);
    if (valid)
      for (int64_t d = lane; d < D; d += group) sum += dev_exp(xr[d * inner] - m);
    sum = group_allreduce(sum, group, smem, AddOp{});
    if (!valid) continue;
    if (log) {
      const T lse = m + dev_log(sum);
      for (int64_t d = lane; d < D; d += group) yr[d * inner] = xr[d * inner] - lse;
    } else {
      const T inv = T(1) / sum;
      for (int64_t d = lane; d < D; d += group) yr[d * inner] = dev_exp(xr[d * inner] - m) * inv;
    }
  }
}

// log_softmax: gx = gy - exp(y) * sum(gy);  softmax: gx = y * (gy - sum(gy * y)).
template <class T>
__global__ void __launch_bounds__(kThreads) softmax_backward_kernel(int64_t rows, int64_t D, int64_t inner, bool log,
                                                                    int group, const T* gy, const T* y, T* gx) {
  __shared__ T smem[kWarps + 1];
  const int per_block = kThreads / group, lane = threadIdx.x % group;
  for (int64_t rb = int64_t(blockIdx.x) * per_block; rb < rows; rb += int64_t(gridDim.x) * per_block) {
    const int64_t r = rb + threadIdx.x / group;
    const bool valid = r < rows;
    const int64_t base = valid ? row_base(r, D, inner) : 0;
    T dot = T(0);
    if (valid)
      for (int64_t d = lane; d < D; d += group) {
        const int64_t k = base + d * inner;
        dot += log ? gy[k] : gy[k] * y[k];
      }
    dot = group_allreduce(dot, group, smem, AddOp{});
    if (!valid) continue;
    for (int64_t d = lane; d < D; d += group) {
      const int64_t k = base + d * inner;
      gx[k] = log ? gy[k] - dev_exp(y[k]) * dot : y[k] * (gy[k] - dot);
    }
  }
}

// ------------------------------------------------------- softmax of few long rows
constexpr int64_t kSplitChunk = 8192;      // elements per block
constexpr int64_t kMinSplitRow = 1 << 15;  // shorter rows: the kernels above

// What a chunk sums or maximizes: element k of a row starting at `base`, whose row index is r.
template <class T> struct SplitTerms {
  const T *x, *aux, *row_max;  // forward: x, -, the row maxima (exp pass); backward: gy, y
  int kind;                    // 0: x (max), 1: exp(x - max), 2: gy (log_softmax dot), 3: gy * y (softmax dot)
  __device__ __forceinline__ T operator()(int64_t k, int64_t r) const {
    switch (kind) {
      case 0: return x[k];
      case 1: {
        T m = row_max[r];
        if (m == neg_inf<T>()) m = T(0);  // as the row kernel: an all -inf row gives NaN
        return dev_exp(x[k] - m);
      }
      case 2: return x[k];
      default: return x[k] * aux[k];
    }
  }
};

// partial[b] = the max (kind 0) or sum (others) over chunk b % chunks of row b / chunks.
template <class T>
__global__ void __launch_bounds__(kThreads)
    split_row_partials_kernel(int64_t D, int64_t chunks, const SplitTerms<T> f, T* partial) {
  __shared__ T smem[kWarps + 1];
  const int64_t r = int64_t(blockIdx.x) / chunks, c = int64_t(blockIdx.x) % chunks;
  const int64_t d0 = c * kSplitChunk, d1 = d0 + kSplitChunk < D ? d0 + kSplitChunk : D;
  const bool is_max = f.kind == 0;
  T v = is_max ? neg_inf<T>() : T(0);
  for (int64_t d = d0 + threadIdx.x; d < d1; d += kThreads) {
    const T t = f(r * D + d, r);
    v = is_max ? MaxNanOp{}(v, t) : v + t;
  }
  v = is_max ? group_allreduce(v, kThreads, smem, MaxNanOp{}) : group_allreduce(v, kThreads, smem, AddOp{});
  if (threadIdx.x == 0) partial[blockIdx.x] = v;
}

// out[r] = the max or sum of row r's partials, in chunk order.
template <class T>
__global__ void __launch_bounds__(kThreads)
    split_row_combine_kernel(int64_t rows, int64_t chunks, bool is_max, const T* partial, T* out) {
  const int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  T v = partial[r * chunks];
  for (int64_t c = 1; c < chunks; ++c)
    v = is_max ? MaxNanOp{}(v, partial[r * chunks + c]) : v + partial[r * chunks + c];
  out[r] = v;
}

// The results, a thread per element: forward from (row max, row sum), backward from the row dot.
template <class T>
__global__ void __launch_bounds__(kThreads)
    split_row_apply_kernel(int64_t n, int64_t D, bool log, bool backward, const T* a, const T* b, const T* m,
                           const T* s, T* out) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += stride) {
    const int64_t r = k / D;
    if (backward) {  // a = gy, b = y, s = dot
      out[k] = log ? a[k] - dev_exp(b[k]) * s[r] : b[k] * (a[k] - s[r]);
    } else {  // a = x
      T mr = m[r];
      if (mr == neg_inf<T>()) mr = T(0);
      out[k] = log ? a[k] - (mr + dev_log(s[r])) : dev_exp(a[k] - mr) * (T(1) / s[r]);
    }
  }
}

// Whether softmax over (outer, D, inner) takes the split-row kernels.
bool use_split_rows(int64_t rows, int64_t D, int64_t inner, int device) {
  return inner == 1 && D >= kMinSplitRow && rows < sm_count(device);
}

// Reduces each of `rows` rows of D elements through f into out[rows] (max for kind 0, else sum).
template <class T> void split_row_reduce(int64_t rows, int64_t D, const SplitTerms<T>& f, T* out, int device) {
  const int64_t chunks = (D + kSplitChunk - 1) / kSplitChunk, blocks = rows * chunks;
  TG_CHECK(blocks <= int64_t(0x7fffffff), "softmax: ", rows, " rows of ", D, " are too many elements");
  DeviceBuffer partial(blocks * int64_t(sizeof(T)), device);
  split_row_partials_kernel<T><<<unsigned(blocks), kThreads, 0, current_stream()>>>(D, chunks, f, partial.as<T>());
  TG_CUDA_CHECK_LAUNCH("split_row_partials_kernel");
  split_row_combine_kernel<T><<<unsigned((rows + kThreads - 1) / kThreads), kThreads, 0, current_stream()>>>(
      rows, chunks, f.kind == 0, partial.as<T>(), out);
  TG_CUDA_CHECK_LAUNCH("split_row_combine_kernel");
}

template <class T> void split_row_softmax(int64_t rows, int64_t D, bool log, const T* x, T* y, int device) {
  DeviceBuffer stats(2 * rows * int64_t(sizeof(T)), device);
  T* m = stats.as<T>();
  T* sum = m + rows;
  split_row_reduce<T>(rows, D, SplitTerms<T>{x, nullptr, nullptr, 0}, m, device);
  split_row_reduce<T>(rows, D, SplitTerms<T>{x, nullptr, m, 1}, sum, device);
  split_row_apply_kernel<T><<<grid_for(rows * D, kThreads, device), kThreads, 0, current_stream()>>>(
      rows * D, D, log, false, x, nullptr, m, sum, y);
  TG_CUDA_CHECK_LAUNCH("split_row_apply_kernel");
}

template <class T>
void split_row_softmax_backward(int64_t rows, int64_t D, bool log, const T* gy, const T* y, T* gx, int device) {
  DeviceBuffer dot(rows * int64_t(sizeof(T)), device);
  split_row_reduce<T>(rows, D, SplitTerms<T>{gy, y, nullptr, log ? 2 : 3}, dot.as<T>(), device);
  split_row_apply_kernel<T><<<grid_for(rows * D, kThreads, device), kThreads, 0, current_stream()>>>(
      rows * D, D, log, true, gy, y, nullptr, dot.as<T>(), gx);
  TG_CUDA_CHECK_LAUNCH("split_row_apply_kernel");
}

// -------------------------------------------------------------------- losses
// A class index outside [0, C) (and not ignore_index) stops the kernel with a
// device-side assertion, as torch's CUDA_KERNEL_ASSERT (__assert_fail, which
// NDEBUG does not remove): the targets are never read on the host, so the
// loss makes no host sync. The failure surfaces as "CUDA error: device-side
// assert triggered" at the next checked CUDA call (at once with
// CUDA_LAUNCH_BLOCKING=1), and as in torch the CUDA context is unusable
// afterwards. The CPU path validates every target before computing
// (IndexError "Target t is out of bounds.").
#define TG_TARGET_ASSERT(cond) \
  if (!(cond)) __assert_fail("Target out of bounds: " #cond, __FILE__, __LINE__, __func__)

// Row r = (n, s) of the (N, C, S) input: its C logits are S apart. See
// cpu/softmax.cpp for the formulas. Writes lse[r] (cross entropy), the loss
// (out[r] with reduction none, else row_loss[r]) and row_weight[r]; an
// ignored row gets 0 for all three. wsum: sum_c w_c on the device; null
// without class weights (then it is C) or without label smoothing (unused).
template <class T>
__global__ void __launch_bounds__(kThreads)
    class_loss_rows_kernel(const __grid_constant__ ClassLossArgs a, int group, const T* x, const int64_t* t, const T* w,
                           const double* wsum, T* out, T* lse, double* row_loss, double* row_weight) {
  __shared__ T smem[kWarps + 1];
  const int64_t rows = a.N * a.S, C = a.C, S = a.S;
  const double e = a.label_smoothing;
  const int per_block = kThreads / group, lane = threadIdx.x % group;
  for (int64_t rb = int64_t(blockIdx.x) * per_block; rb < rows; rb += int64_t(gridDim.x) * per_block) {
    const int64_t r = rb + threadIdx.x / group;
    const bool valid = r < rows;
    const int64_t tr = valid ? t[r] : a.ignore_index;
    const bool active = valid && tr != a.ignore_index;  // uniform over a group, like valid
    if (active) TG_TARGET_ASSERT(tr >= 0 && tr < C);
    const T* xr = x + (valid ? row_base(r, C, S) : 0);
    double loss = 0, wt = 0;
    T l = T(0);
    if (active) wt = w ? double(w[tr]) : 1.0;
    if (a.log_softmax) {
      T m = neg_inf<T>();
      if (active)
        for (int64_t c = lane; c < C; c += group) m = MaxNanOp{}(m, xr[c * S]);
      m = group_allreduce(m, group, smem, MaxNanOp{});
      if (m == neg_inf<T>()) m = T(0);
      T se = T(0), sx = T(0);
      if (active)
        for (int64_t c = lane; c < C; c += group) {
          const T v = xr[c * S];
          se += dev_exp(v - m);
          if (e > 0) sx += (w ? w[c] : T(1)) * v;
        }
      se = group_allreduce(se, group, smem, AddOp{});
      if (e > 0) sx = group_allreduce(sx, group, smem, AddOp{});
      if (active) {
        l = m + dev_log(se);
        loss = (1 - e) * wt * (double(l) - double(xr[tr * S]));
        if (e > 0) {
          const double W = wsum ? *wsum : double(C);
          loss += e / double(C) * (W * double(l) - double(sx));
        }
      }
    } else if (active) {
      loss = -wt * double(xr[tr * S]);
    }
    if (valid && lane == 0) {
      if (lse) lse[r] = l;
      row_weight[r] = wt;
      if (a.reduction == 0) out[r] = static_cast<T>(loss);
      else row_loss[r] = loss;
    }
  }
}

// *wsum = sum_c w_c, one block, a fixed order.
template <class T> __global__ void __launch_bounds__(kThreads) weight_sum_kernel(int64_t C, const T* w, double* wsum) {
  __shared__ double smem[kWarps + 1];
  double acc = 0;
  for (int64_t c = threadIdx.x; c < C; c += kThreads) acc += double(w[c]);
  acc = group_allreduce(acc, kThreads, smem, AddOp{});
  if (threadIdx.x == 0) *wsum = acc;
}

// Pass 1 of the final sums: block b adds rows [b * chunk, (b + 1) * chunk) of
// row_weight (and row_loss unless null) into partial[2b + 1] (and partial[2b]).
__global__ void __launch_bounds__(kThreads)
    loss_partials_kernel(int64_t n, int64_t chunk, const double* row_loss, const double* row_weight, double* partial) {
  __shared__ double smem[kWarps + 1];
  const int64_t lo = int64_t(blockIdx.x) * chunk, hi = min(lo + chunk, n);
  double lsum = 0, wtot = 0;
  for (int64_t r = lo + threadIdx.x; r < hi; r += kThreads) {
    wtot += row_weight[r];
    if (row_loss) lsum += row_loss[r];
  }
  wtot = group_allreduce(wtot, kThreads, smem, AddOp{});
  lsum = group_allreduce(lsum, kThreads, smem, AddOp{});
  if (threadIdx.x == 0) {
    partial[2 * blockIdx.x] = lsum;
    partial[2 * blockIdx.x + 1] = wtot;
  }
}

// Pass 2, one block: the partials in order; writes total_weight, and out[0] for mean / sum.
template <class T>
__global__ void __launch_bounds__(kThreads)
    loss_finish_kernel(int64_t nparts, const double* partial, int reduction, T* out, T* total_weight) {
  __shared__ double smem[kWarps + 1];
  double lsum = 0, wtot = 0;
  for (int64_t b = threadIdx.x; b < nparts; b += kThreads) {
    lsum += partial[2 * b];
    wtot += partial[2 * b + 1];
  }
  lsum = group_allreduce(lsum, kThreads, smem, AddOp{});
  wtot = group_allreduce(wtot, kThreads, smem, AddOp{});
  if (threadIdx.x == 0) {
    *total_weight = static_cast<T>(wtot);
    if (reduction != 0) out[0] = static_cast<T>(reduction == 1 ? lsum / wtot : lsum);
  }
}

// One thread per element of gx (N, C, S); wsum as for class_loss_rows_kernel.
template <class T>
__global__ void __launch_bounds__(kThreads)
    class_loss_backward_kernel(const __grid_constant__ ClassLossArgs a, const T* g, const T* x, const int64_t* t,
                               const T* w, const double* wsum, const T* lse, const T* total_weight, T* gx) {
  const int64_t C = a.C, S = a.S, total = a.N * C * S;
  const double e = a.label_smoothing;
  for (int64_t i = global_thread(); i < total; i += grid_threads()) {
    int64_t q, s, n, c;
    divmod(i, S, q, s);
    divmod(q, C, n, c);
    const int64_t r = n * S + s, tr = t[r];
    if (tr == a.ignore_index) {
      gx[i] = T(0);
      continue;
    }
    TG_TARGET_ASSERT(tr >= 0 && tr < C);
    double scale = a.reduction == 0 ? double(g[r]) : double(g[0]);
    if (a.reduction == 1) scale /= double(*total_weight);
    const double wt = w ? double(w[tr]) : 1.0;
    if (!a.log_softmax) {
      gx[i] = c == tr ? static_cast<T>(-scale * wt) : T(0);
      continue;
    }
    const double W = wsum ? *wsum : double(C);
    const double p = double(dev_exp(x[i] - lse[r]));
    const double a1 = scale * (1 - e) * wt, a2 = scale * e / double(C);
    double v = a1 * p + a2 * (W * p - (w ? double(w[c]) : 1.0));
    if (c == tr) v -= a1;
    gx[i] = static_cast<T>(v);
  }
}

// sum_c w_c into `buf` when w is given; returns it, or null without w (the kernels then use C).
template <class T> const double* weight_sum(int64_t C, const T* w, const DeviceBuffer& buf) {
  if (!w) return nullptr;
  weight_sum_kernel<T><<<1, kThreads, 0, current_stream()>>>(C, w, buf.as<double>());
  TG_CUDA_CHECK_LAUNCH("weight_sum_kernel");
  return buf.as<double>();
}

}  // namespace

// ---------------------------------------------------------------- convolution
// float16 / bfloat16 (sm_80+, see core/nn_ops.cpp): the same im2col / col2im on the 16-bit tensors, the GEMMs
// with float32 accumulation (tensor cores where the output fills 128 x 128 tiles); the forward's bias is added
// to the float32 sum before its one rounding, the input gradient's columns are kept in float32 for col2im, and
// the weight gradient is summed over the images in float32 and rounded once.
template <class T> void conv2d_forward(const ConvShape& s, const T* x, const T* w, const T* b, T* y) {
  const int64_t total = s.N * s.O * s.OH * s.OW;
  if (total == 0) return;
  const int device = use_device_of(y);
  if (use_direct_grouped(s)) {
    grouped_forward_kernel<T><<<grid_for(total, kThreads, device), kThreads, 0, current_stream()>>>(s, x, w, b, y);
    TG_CUDA_CHECK_LAUNCH("grouped_forward_kernel");
    return;
  }
  if (b) {
    bias_fill_kernel<T>
        <<<grid_for(total, kThreads, device), kThreads, 0, current_stream()>>>(total, s.OH * s.OW, s.O, b, y);
    TG_CUDA_CHECK_LAUNCH("bias_fill_kernel");
  }
  const bool pointwise = is_pointwise(s);
  const int64_t chunk = pointwise ? s.N : images_per_chunk<T>(s);
  DeviceBuffer col(col_bytes<T>(s, pointwise, chunk), device);  // scratch from the caching allocator
  for (int64_t n0 = 0; n0 < s.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, s.N - n0);
    if (!pointwise) launch_im2col(s, n0, nb, x, col.as<T>(), device);
    // every (image, group) of the chunk in one launch
    conv_gemm(conv_index::forward_gemm_batch(s, pointwise, n0, nb), w, pointwise ? x : col.as<T>(), y, b != nullptr);
  }
}

template <class T> void conv2d_backward_input(const ConvShape& s, const T* gy, const T* w, T* gx) {
  using ColT = acc_t<T>;  // the column gradient: float32 for 16-bit T
  if (s.N * s.C * s.H * s.W == 0) return;
  const int device = use_device_of(gx);
  if (use_direct_grouped(s)) {
    grouped_backward_input_kernel<T>
        <<<grid_for(s.N * s.C * s.H * s.W, kThreads, device), kThreads, 0, current_stream()>>>(s, gy, w, gx);
    TG_CUDA_CHECK_LAUNCH("grouped_backward_input_kernel");
    return;
  }
  const bool pointwise = is_pointwise(s);
  const int64_t chunk = pointwise ? s.N : images_per_chunk<ColT>(s);
  DeviceBuffer col(col_bytes<ColT>(s, pointwise, chunk), device);  // scratch from the caching allocator
  for (int64_t n0 = 0; n0 < s.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, s.N - n0);
    // every (image, group) of the chunk in one launch
    const conv_index::GemmBatchView v = conv_index::backward_input_gemm_batch(s, pointwise, n0, nb);
    if (pointwise) conv_gemm(v, w, gy, gx, false);
    else conv_gemm(v, w, gy, col.as<ColT>(), false);
    if (!pointwise) {
      const int64_t total = nb * s.C * s.H * s.W;
      col2im_kernel<ColT, T>
          <<<grid_for(total, kThreads, device), kThreads, 0, current_stream()>>>(s, n0, nb, col.as<ColT>(), gx);
      TG_CUDA_CHECK_LAUNCH("col2im_kernel");
    }
  }
}

template <class T> void conv2d_backward_weight(const ConvShape& s, const T* gy, const T* x, T* gw) {
  using Acc = acc_t<T>;  // the sum over the images: float32 for 16-bit T
  const int64_t wsize = s.O * (s.C / s.G) * s.kh * s.kw;
  if (wsize == 0) return;
  const int device = use_device_of(gw);
  if (s.N == 0) {
    TG_CUDA_CHECK(cudaMemsetAsync(gw, 0, size_t(wsize) * sizeof(T), current_stream()));  // all-zero bits are +0.0
    return;
  }
  if (use_direct_grouped(s)) {
    grouped_backward_weight_kernel<T><<<grid_for(wsize, 1, device), kThreads, 0, current_stream()>>>(s, gy, x, gw);
    TG_CUDA_CHECK_LAUNCH("grouped_backward_weight_kernel");
    return;
  }
  constexpr bool wide = !std::is_same_v<Acc, T>;
  DeviceBuffer wide_gw(wide ? wsize * int64_t(sizeof(Acc)) : 0, device);
  Acc* sum = nullptr;
  if constexpr (wide) sum = wide_gw.as<Acc>();
  else sum = gw;
  const bool pointwise = is_pointwise(s);
  const int64_t chunk = pointwise ? s.N : images_per_chunk<T>(s);
  DeviceBuffer col(col_bytes<T>(s, pointwise, chunk), device);  // scratch from the caching allocator
  for (int64_t n0 = 0; n0 < s.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, s.N - n0);
    if (!pointwise) launch_im2col(s, n0, nb, x, col.as<T>(), device);
    for (int64_t j = 0; j < nb; ++j)  // summed over the images in order (deterministic), all groups in one launch
      conv_gemm(conv_index::backward_weight_gemm_batch(s, pointwise, n0 + j, j), gy, pointwise ? x : col.as<T>(), sum,
                n0 + j != 0);
  }
  if constexpr (wide) {
    round_kernel<T><<<grid_for(wsize, kThreads, device), kThreads, 0, current_stream()>>>(wsize, sum, gw);
    TG_CUDA_CHECK_LAUNCH("round_kernel");
  }
}

// ------------------------------------------------------------------- pooling
template <class T> void max_pool2d_forward(const PoolShape& s, const T* x, T* y, int64_t* idx) {
  const int64_t total = s.planes * s.OH * s.OW;
  if (total == 0) return;
  const int device = use_device_of(y);
  max_pool2d_forward_kernel<T><<<grid_for(total, kThreads, device), kThreads, 0, current_stream()>>>(s, x, y, idx);
  TG_CUDA_CHECK_LAUNCH("max_pool2d_forward_kernel");
}

template <class T> void max_pool2d_backward(const PoolShape& s, const T* gy, const int64_t* idx, T* gx) {
  if (s.planes * s.H * s.W == 0) return;
  const int device = use_device_of(gx);
  TG_CUDA_CHECK(cudaMemsetAsync(gx, 0, size_t(s.planes * s.H * s.W) * sizeof(T), current_stream()));
  const int64_t total = s.planes * s.OH * s.OW;
  if (total == 0) return;
  max_pool2d_backward_kernel<T><<<grid_for(total, kThreads, device), kThreads, 0, current_stream()>>>(s, gy, idx, gx);
  TG_CUDA_CHECK_LAUNCH("max_pool2d_backward_kernel");
}

template <class T>
void avg_pool2d_forward(const PoolShape& s, bool count_include_pad, int64_t divisor, const T* x, T* y) {
  const int64_t total = s.planes * s.OH * s.OW;
  if (total == 0) return;
  const int device = use_device_of(y);
  avg_pool2d_forward_kernel<T>
      <<<grid_for(total, kThreads, device), kThreads, 0, current_stream()>>>(s, count_include_pad, divisor, x, y);
  TG_CUDA_CHECK_LAUNCH("avg_pool2d_forward_kernel");
}

template <class T>
void avg_pool2d_backward(const PoolShape& s, bool count_include_pad, int64_t divisor, const T* gy, T* gx) {
  const int64_t total = s.planes * s.H * s.W;
  if (total == 0) return;
  const int device = use_device_of(gx);
  avg_pool2d_backward_kernel<T>
      <<<grid_for(total, kThreads, device), kThreads, 0, current_stream()>>>(s, count_include_pad, divisor, gy, gx);
  TG_CUDA_CHECK_LAUNCH("avg_pool2d_backward_kernel");
}

// ------------------------------------------------------------------- softmax
template <class T> void softmax_forward(int64_t outer, int64_t D, int64_t inner, bool log, const T* x, T* y) {
  const int64_t rows = outer * inner;
  if (rows * D == 0) return;
  const int device = use_device_of(y);
  if (use_split_rows(rows, D, inner, device)) return split_row_softmax<T>(rows, D, log, x, y, device);
  const int group = row_group(rows, D, inner);
  softmax_forward_kernel<T>
      <<<grid_for(rows, kThreads / group, device), kThreads, 0, current_stream()>>>(rows, D, inner, log, group, x, y);
  TG_CUDA_CHECK_LAUNCH("softmax_forward_kernel");
}

template <class T>
void softmax_backward(int64_t outer, int64_t D, int64_t inner, bool log, const T* gy, const T* y, T* gx) {
  const int64_t rows = outer * inner;
  if (rows * D == 0) return;
  const int device = use_device_of(gx);
  if (use_split_rows(rows, D, inner, device)) return split_row_softmax_backward<T>(rows, D, log, gy, y, gx, device);
  const int group = row_group(rows, D, inner);
  softmax_backward_kernel<T><<<grid_for(rows, kThreads / group, device), kThreads, 0, current_stream()>>>(
      rows, D, inner, log, group, gy, y, gx);
  TG_CUDA_CHECK_LAUNCH("softmax_backward_kernel");
}

// -------------------------------------------------------------------- losses
template <class T>
void class_loss_forward(const ClassLossArgs& a, const T* x, const int64_t* t, const T* w, T* out, T* lse,
                        T* total_weight) {
  const int64_t rows = a.N * a.S;
  const int device = use_device_of(total_weight);
  DeviceBuffer wsum_buf(int64_t(sizeof(double)), device);
  const double* wsum = weight_sum(a.C, a.label_smoothing > 0 ? w : nullptr, wsum_buf);
  // Per-row loss (mean / sum only) and weight, then a two-pass fixed-order sum. The number of
  // partials depends on `rows` alone, so the result does not depend on the GPU either.
  DeviceBuffer row_loss(a.reduction == 0 ? 0 : rows * int64_t(sizeof(double)), device);
  DeviceBuffer row_weight(rows * int64_t(sizeof(double)), device);
  if (rows > 0) {
    const int group = row_group(rows, a.C, a.S);
    class_loss_rows_kernel<T><<<grid_for(rows, kThreads / group, device), kThreads, 0, current_stream()>>>(
        a, group, x, t, w, wsum, out, lse, a.reduction == 0 ? nullptr : row_loss.as<double>(), row_weight.as<double>());
    TG_CUDA_CHECK_LAUNCH("class_loss_rows_kernel");
  }
  const int64_t nparts = rows == 0 ? 0 : std::min<int64_t>(1024, (rows + kThreads * 16 - 1) / (kThreads * 16));
  DeviceBuffer partial(2 * nparts * int64_t(sizeof(double)), device);
  if (nparts > 0) {
    const int64_t chunk = (rows + nparts - 1) / nparts;
    loss_partials_kernel<<<unsigned(nparts), kThreads, 0, current_stream()>>>(
        rows, chunk, a.reduction == 0 ? nullptr : row_loss.as<double>(), row_weight.as<double>(), partial.as<double>());
    TG_CUDA_CHECK_LAUNCH("loss_partials_kernel");
  }
  loss_finish_kernel<T>
      <<<1, kThreads, 0, current_stream()>>>(nparts, partial.as<double>(), a.reduction, out, total_weight);
  TG_CUDA_CHECK_LAUNCH("loss_finish_kernel");
}

template <class T>
void class_loss_backward(const ClassLossArgs& a, const T* g, const T* x, const int64_t* t, const T* w, const T* lse,
                         const T* total_weight, T* gx) {
  const int64_t total = a.N * a.C * a.S;
  if (total == 0) return;
  const int device = use_device_of(gx);
  DeviceBuffer wsum_buf(int64_t(sizeof(double)), device);
  const double* wsum = weight_sum(a.C, a.log_softmax && a.label_smoothing > 0 ? w : nullptr, wsum_buf);
  class_loss_backward_kernel<T><<<grid_for(total, kThreads, device), kThreads, 0, current_stream()>>>(
      a, g, x, t, w, wsum, lse, total_weight, gx);
  TG_CUDA_CHECK_LAUNCH("class_loss_backward_kernel");
}

}  // namespace tg::cuda

#include "upsample.cuh"
#include "lstm.cuh"

namespace tg::cuda {

#define TG_INSTANTIATE_NN(name, params) TG_NN_INSTANTIATE(name, float) TG_NN_INSTANTIATE(name, double)
TG_NN_KERNELS(TG_INSTANTIATE_NN)
#undef TG_INSTANTIATE_NN
// The convolution also on float16 / bfloat16 tensors (core/nn_ops.cpp calls these on GPUs with tensor cores).
#define TG_INSTANTIATE_CONV_16BIT(T)          \
  TG_NN_INSTANTIATE(conv2d_forward, T)        \
  TG_NN_INSTANTIATE(conv2d_backward_input, T) \
  TG_NN_INSTANTIATE(conv2d_backward_weight, T)
TG_INSTANTIATE_CONV_16BIT(Half)
TG_INSTANTIATE_CONV_16BIT(BFloat16)
#undef TG_INSTANTIATE_CONV_16BIT

}  // namespace tg::cuda
