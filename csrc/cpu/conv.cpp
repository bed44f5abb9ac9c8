// Convolution and pooling CPU kernels.
//
// Convolution is im2col + GEMM, one image at a time: the image's receptive
// fields are unrolled into col (C/G * kh * kw rows, OH * OW columns), and per
// group y = W_g @ col runs on the fast strided GEMM. The backward passes are
// the two other products of the same three matrices: gcol = W_g^T @ gy
// (scattered back with col2im) and gW_g += gy @ col^T. A 1x1 kernel with
// stride 1 and no padding needs no col at all: the image is the matrix.
//
// Threads: with at least as many images as threads, images are split between
// threads (each GEMM then runs on one thread, no synchronization per image);
// with fewer, images run in turn and each GEMM uses every thread.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "gemm.h"
#include "nn_kernels.h"
#include "parallel.h"

namespace tg::cpu {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0); }  // a >= 0; no a + b overflow

bool is_pointwise(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0;
}

// The output columns ow whose input column ow * sw + off lies inside [0, W):
// [lo, hi). Everything outside reads padding.
void valid_range(int64_t off, int64_t W, int64_t sw, int64_t OW, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : ceil_div(-off, sw);
  hi = W - off <= 0 ? 0 : ceil_div(W - off, sw);
  lo = std::min(lo, OW);
  hi = std::max(lo, std::min(hi, OW));
}

// x: (Cg, H, W) -> col: (Cg * kh * kw, OH * OW)
template <class T> void im2col(const ConvShape& s, int64_t Cg, const T* x, T* col) {
  const int64_t P = s.OH * s.OW;
  for (int64_t c = 0; c < Cg; ++c) {
    const T* xc = x + c * s.H * s.W;
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        T* row = col + ((c * s.kh + ki) * s.kw + kj) * P;
        const int64_t off = kj * s.dw - s.pw;
        int64_t lo, hi;
        valid_range(off, s.W, s.sw, s.OW, lo, hi);
        for (int64_t oh = 0; oh < s.OH; ++oh) {
          T* r = row + oh * s.OW;
          const int64_t ih = oh * s.sh - s.ph + ki * s.dh;
          if (ih < 0 || ih >= s.H) {
            std::fill(r, r + s.OW, T(0));
            continue;
          }
          const T* xr = xc + ih * s.W + off;
          std::fill(r, r + lo, T(0));
          if (s.sw == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) r[ow] = xr[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) r[ow] = xr[ow * s.sw];
          }
          std::fill(r + hi, r + s.OW, T(0));
        }
      }
    }
  }
}

// The adjoint of im2col: gx (Cg, H, W) += col scattered back (gx zeroed by the caller).
template <class T> void col2im(const ConvShape& s, int64_t Cg, const T* col, T* gx) {
  const int64_t P = s.OH * s.OW;
  for (int64_t c = 0; c < Cg; ++c) {
    T* gc = gx + c * s.H * s.W;
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        const T* row = col + ((c * s.kh + ki) * s.kw + kj) * P;
        const int64_t off = kj * s.dw - s.pw;
        int64_t lo, hi;
        valid_range(off, s.W, s.sw, s.OW, lo, hi);
        for (int64_t oh = 0; oh < s.OH; ++oh) {
          const int64_t ih = oh * s.sh - s.ph + ki * s.dh;
          if (ih < 0 || ih >= s.H) continue;
          const T* r = row + oh * s.OW;
          T* gr = gc + ih * s.W + off;
          if (s.sw == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) gr[ow] += r[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) gr[ow * s.sw] += r[ow];
          }
        }
      }
    }
  }
}

// A per-thread column buffer of at least n Ts, kept between calls: a fresh multi-megabyte block
// per call would cost page faults every training step. Buffers above 64 MiB are not kept.
template <class T> struct Scratch {
  std::unique_ptr<T[]> owned;
  T* data = nullptr;
  explicit Scratch(int64_t n) {
    thread_local std::vector<T> cache;
    if (n == 0) return;
    if (n * int64_t(sizeof(T)) > (int64_t(64) << 20)) {
      owned.reset(new T[n]);
      data = owned.get();
      return;
    }
    if (int64_t(cache.size()) < n) cache.resize(n);
    data = cache.data();
  }
};

// Runs body(n, scratch) for every image n; scratch holds `scratch_size` Ts per thread.
template <class T, class F> void for_each_image(int64_t N, int64_t scratch_size, F body) {
  const int nthreads = get_num_threads();
  if (N >= nthreads && nthreads > 1) {
    parallel_for(0, N, 1, [&](int64_t b, int64_t e) {
      Scratch<T> scratch(scratch_size);
      for (int64_t n = b; n < e; ++n) body(n, scratch.data);
    });
  } else {
    Scratch<T> scratch(scratch_size);
    for (int64_t n = 0; n < N; ++n) body(n, scratch.data);
  }
}

}  // namespace

// C = A @ B (+ C): the float GEMM, or for the integer dtypes torch also convolves on the CPU the wrap-around
// integer GEMM.
template <class T>
void gemm_any(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, T* C,
              int64_t rsc, bool accumulate) {
  if constexpr (std::is_floating_point_v<T>) gemm<T>(M, N, K, A, rsa, csa, B, rsb, 1, C, rsc, 1, accumulate);
  else gemm_integer<T>(M, N, K, A, rsa, csa, B, rsb, 1, C, rsc, 1, accumulate);
}

// The start of a max-pooling search: -inf, or an integer type's lowest value (torch's lower_bound).
template <class T> T lower_bound() {
  if constexpr (std::numeric_limits<T>::has_infinity) return -std::numeric_limits<T>::infinity();
  else return std::numeric_limits<T>::lowest();
}

template <class T> void conv2d_forward(const ConvShape& s, const T* x, const T* w, const T* b, T* y) {
  const int64_t Cg = s.C / s.G, Og = s.O / s.G, K = Cg * s.kh * s.kw, P = s.OH * s.OW;
  const bool pointwise = is_pointwise(s);
  for_each_image<T>(s.N, pointwise ? 0 : K * P, [&](int64_t n, T* col) {
    for (int64_t g = 0; g < s.G; ++g) {
      const T* xg = x + (n * s.C + g * Cg) * s.H * s.W;
      T* yg = y + (n * s.O + g * Og) * P;
      if (!pointwise) im2col(s, Cg, xg, col);
      if (b) {
        for (int64_t o = 0; o < Og; ++o) std::fill(yg + o * P, yg + (o + 1) * P, b[g * Og + o]);
      }
      gemm_any<T>(Og, P, K, w + g * Og * K, K, 1, pointwise ? xg : col, P, yg, P, b != nullptr);
    }
  });
}

template <class T> void conv2d_backward_input(const ConvShape& s, const T* gy, const T* w, T* gx) {
  const int64_t Cg = s.C / s.G, Og = s.O / s.G, K = Cg * s.kh * s.kw, P = s.OH * s.OW;
  const bool pointwise = is_pointwise(s);
  for_each_image<T>(s.N, pointwise ? 0 : K * P, [&](int64_t n, T* col) {
    for (int64_t g = 0; g < s.G; ++g) {
      T* gxg = gx + (n * s.C + g * Cg) * s.H * s.W;
      const T* gyg = gy + (n * s.O + g * Og) * P;
      // W_g^T (K x Og) @ gy_g (Og x P)
      gemm_any<T>(K, P, Og, w + g * Og * K, 1, K, gyg, P, pointwise ? gxg : col, P, false);
      if (!pointwise) {
        std::fill(gxg, gxg + Cg * s.H * s.W, T(0));
        col2im(s, Cg, col, gxg);
      }
    }
  });
}

template <class T> void conv2d_backward_weight(const ConvShape& s, const T* gy, const T* x, T* gw) {
  const int64_t Cg = s.C / s.G, Og = s.O / s.G, K = Cg * s.kh * s.kw, P = s.OH * s.OW;
  const int64_t wsize = s.O * K;
  const bool pointwise = is_pointwise(s);
  if (s.N == 0) {
    std::fill(gw, gw + wsize, T(0));
    return;
  }
  // Fixed partitions of the batch, each summing into its own buffer, added in
  // order afterwards: the result does not depend on thread timing. Each group's
  // sum is kept transposed, gw_g^T (K x Og) += col (K x P) @ gy_g^T (P x Og):
  // the GEMM then writes a row-major C (gw_g = gy_g @ col^T writes it
  // column-major after its orientation choice, 1.7x slower for 64 x 512 x 1024).
  const int nthreads = get_num_threads();
  const int64_t parts = (s.N >= nthreads && nthreads > 1) ? nthreads : 1;
  std::vector<T> partial(parts * wsize);
  auto run_part = [&](int64_t k) {
    T* acc = partial.data() + k * wsize;
    const int64_t nb = s.N * k / parts, ne = s.N * (k + 1) / parts;
    Scratch<T> col(pointwise ? 0 : K * P);
    for (int64_t n = nb; n < ne; ++n) {
      for (int64_t g = 0; g < s.G; ++g) {
        const T* xg = x + (n * s.C + g * Cg) * s.H * s.W;
        const T* gyg = gy + (n * s.O + g * Og) * P;
        if (!pointwise) im2col(s, Cg, xg, col.data);
        gemm<T>(K, Og, P, pointwise ? xg : col.data, P, 1, gyg, 1, P, acc + g * Og * K, Og, 1, n != nb);
      }
    }
  };
  if (parts == 1) {
    run_part(0);
  } else {
    parallel_for(0, parts, 1, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) run_part(k);
    });
    for (int64_t k = 1; k < parts; ++k) {
      const T* p = partial.data() + k * wsize;
      for (int64_t i = 0; i < wsize; ++i) partial[i] += p[i];
    }
  }
  for (int64_t g = 0; g < s.G; ++g) {  // gw_g (Og x K) = the transposed sum
    const T* t = partial.data() + g * Og * K;
    T* w = gw + g * Og * K;
    for (int64_t o = 0; o < Og; ++o)
      for (int64_t i = 0; i < K; ++i) w[o * K + i] = t[i * Og + o];
  }
}

// ------------------------------------------------------------------ pooling
namespace {
int64_t plane_grain(const PoolShape& s) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, s.OH * s.OW * s.kh * s.kw));
}

// The kernel taps [lo, hi) of each output position that fall inside the input (the rest is
// padding), computed once per call: no divisions in the pooling loops.
void tap_ranges(int64_t n_out, int64_t stride, int64_t pad, int64_t dil, int64_t k, int64_t n_in,
                std::vector<int64_t>& lo, std::vector<int64_t>& hi) {
  lo.resize(n_out);
  hi.resize(n_out);
  for (int64_t o = 0; o < n_out; ++o) {
    const int64_t start = o * stride - pad;
    lo[o] = start >= 0 ? 0 : ceil_div(-start, dil);
    hi[o] = std::max(lo[o], std::min(k, ceil_div(n_in - start, dil)));
  }
}
}  // namespace

template <class T> void max_pool2d_forward(const PoolShape& s, const T* x, T* y, int64_t* idx) {
  std::vector<int64_t> ilo, ihi, jlo, jhi;
  tap_ranges(s.OH, s.sh, s.ph, s.dh, s.kh, s.H, ilo, ihi);
  tap_ranges(s.OW, s.sw, s.pw, s.dw, s.kw, s.W, jlo, jhi);
  // Locals, not s's fields: the int64 index stores below could alias them and force reloads.
  const int64_t H = s.H, W = s.W, OH = s.OH, OW = s.OW, sh = s.sh, sw = s.sw, ph = s.ph, pw = s.pw;
  const int64_t dh = s.dh, dw = s.dw;
  const int64_t* il = ilo.data();
  const int64_t* ih = ihi.data();
  const int64_t* jl = jlo.data();
  const int64_t* jh = jhi.data();
  // Windows fully inside the input (all but the borders) read the same taps: a flat offset list.
  const int64_t kh = s.kh, kw = s.kw, ntaps = kh * kw;
  std::vector<int64_t> taps(ntaps);
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t j = 0; j < kw; ++j) taps[i * kw + j] = i * dh * W + j * dw;
  const int64_t* tp = taps.data();
  parallel_for(0, s.planes, plane_grain(s), [=](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; ++p) {
      const T* xp = x + p * H * W;
      T* yp = y + p * OH * OW;
      int64_t* ip = idx + p * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t h0 = oh * sh - ph, i0 = il[oh], i1 = ih[oh];
        const bool rows_inside = i0 == 0 && i1 == kh;
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t w0 = ow * sw - pw, j0 = jl[ow], j1 = jh[ow];
          if (rows_inside && j0 == 0 && j1 == kw) {
            // Two passes: the maximum with max instructions (no data-dependent branches, which
            // mispredict on random data), then the first tap holding it. NOTE: a NaN wins, as in torch.
            const T* a = xp + h0 * W + w0;
            T best = a[0];
            bool nan = best != best;
            for (int64_t t = 1; t < ntaps; ++t) {
              const T v = a[tp[t]];
              best = v > best ? v : best;
              nan |= v != v;
            }
            int64_t bt = 0;
            if (nan) {  // rare: a plain search
              while (a[tp[bt]] == a[tp[bt]]) ++bt;
              best = a[tp[bt]];
            } else {  // the first tap equal to the maximum, selected with masks (no branches)
              bt = ntaps - 1;
              for (int64_t t = ntaps - 2; t >= 0; --t) {
                const int64_t eq = -static_cast<int64_t>(a[tp[t]] == best);
                bt = (t & eq) | (bt & ~eq);
              }
            }
            yp[oh * OW + ow] = best;
            ip[oh * OW + ow] = h0 * W + w0 + tp[bt];
            continue;
          }
          T best = lower_bound<T>();
          int64_t bi = -1;
          for (int64_t i = i0; i < i1; ++i) {
            const int64_t row = (h0 + i * dh) * W + w0;
            for (int64_t j = j0; j < j1; ++j) {
              const int64_t k = row + j * dw;
              const T v = xp[k];
              // NaN wins (v != v); branch-free: random data mispredicts
              const bool take = (v > best) | (v != v) | (bi < 0);
              best = take ? v : best;
              bi = take ? k : bi;
            }
          }
          yp[oh * OW + ow] = best;  // a window of padding only (possible with dilation): -inf/lowest, as torch
          ip[oh * OW + ow] = bi < 0 ? padding_window_index(h0, w0, dh, dw, W) : bi;
        }
      }
    }
  });
}

template <class T> void max_pool2d_backward(const PoolShape& s, const T* gy, const int64_t* idx, T* gx) {
  parallel_for(0, s.planes, plane_grain(s), [&](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; ++p) {
      T* gp = gx + p * s.H * s.W;
      std::fill(gp, gp + s.H * s.W, T(0));
      const T* gyp = gy + p * s.OH * s.OW;
      const int64_t* ip = idx + p * s.OH * s.OW;
      const int64_t HW = s.H * s.W;
      for (int64_t k = 0; k < s.OH * s.OW; ++k)
        if (ip[k] >= 0 && ip[k] < HW) gp[ip[k]] += gyp[k];  // (a padding-only window's index is outside)
    }
  });
}

namespace {
// One average-pooling window: its clipped bounds and the divisor torch uses.
struct AvgWindow {
  int64_t h0, h1, w0, w1;
  double divisor;
};

AvgWindow avg_window(const PoolShape& s, int64_t oh, int64_t ow, bool count_include_pad, int64_t divisor) {
  AvgWindow a;
  a.h0 = oh * s.sh - s.ph;
  a.w0 = ow * s.sw - s.pw;
  a.h1 = std::min(a.h0 + s.kh, s.H + s.ph);
  a.w1 = std::min(a.w0 + s.kw, s.W + s.pw);
  const int64_t pool_size = (a.h1 - a.h0) * (a.w1 - a.w0);
  a.h0 = std::max<int64_t>(a.h0, 0);
  a.w0 = std::max<int64_t>(a.w0, 0);
  a.h1 = std::min(a.h1, s.H);
  a.w1 = std::min(a.w1, s.W);
  if (divisor > 0) a.divisor = double(divisor);
  else if (count_include_pad) a.divisor = double(pool_size);
  else a.divisor = double((a.h1 - a.h0) * (a.w1 - a.w0));
  return a;
}
}  // namespace

template <class T>
void avg_pool2d_forward(const PoolShape& s, bool count_include_pad, int64_t divisor, const T* x, T* y) {
  parallel_for(0, s.planes, plane_grain(s), [&](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; ++p) {
      const T* xp = x + p * s.H * s.W;
      T* yp = y + p * s.OH * s.OW;
      for (int64_t oh = 0; oh < s.OH; ++oh) {
        for (int64_t ow = 0; ow < s.OW; ++ow) {
          AvgWindow a = avg_window(s, oh, ow, count_include_pad, divisor);
          if constexpr (std::is_integral_v<T>) {  // int64 (torch's only integer avg_pool2d): a wrap-around
            uint64_t acc = 0;                     // sum, divided truncating toward zero
            for (int64_t ih = a.h0; ih < a.h1; ++ih)
              for (int64_t iw = a.w0; iw < a.w1; ++iw) acc += uint64_t(xp[ih * s.W + iw]);
            yp[oh * s.OW + ow] = T(int64_t(acc) / int64_t(a.divisor));
          } else {
            double acc = 0;
            for (int64_t ih = a.h0; ih < a.h1; ++ih)
              for (int64_t iw = a.w0; iw < a.w1; ++iw) acc += xp[ih * s.W + iw];
            yp[oh * s.OW + ow] = static_cast<T>(acc / a.divisor);
          }
        }
      }
    }
  });
}

template <class T>
void avg_pool2d_backward(const PoolShape& s, bool count_include_pad, int64_t divisor, const T* gy, T* gx) {
  parallel_for(0, s.planes, plane_grain(s), [&](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; ++p) {
      T* gp = gx + p * s.H * s.W;
      std::fill(gp, gp + s.H * s.W, T(0));
      const T* gyp = gy + p * s.OH * s.OW;
      for (int64_t oh = 0; oh < s.OH; ++oh) {
        for (int64_t ow = 0; ow < s.OW; ++ow) {
          AvgWindow a = avg_window(s, oh, ow, count_include_pad, divisor);
          const T v = static_cast<T>(gyp[oh * s.OW + ow] / a.divisor);
          for (int64_t ih = a.h0; ih < a.h1; ++ih)
            for (int64_t iw = a.w0; iw < a.w1; ++iw) gp[ih * s.W + iw] += v;
        }
      }
    }
  });
}

#define TG_INSTANTIATE(T)                      \
  TG_NN_INSTANTIATE(conv2d_forward, T)         \
  TG_NN_INSTANTIATE(conv2d_backward_input, T)  \
  TG_NN_INSTANTIATE(conv2d_backward_weight, T) \
  TG_NN_INSTANTIATE(max_pool2d_forward, T)     \
  TG_NN_INSTANTIATE(max_pool2d_backward, T)    \
  TG_NN_INSTANTIATE(avg_pool2d_forward, T)     \
  TG_NN_INSTANTIATE(avg_pool2d_backward, T)
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
#undef TG_INSTANTIATE
// The integer forward kernels torch has on the CPU (no gradients: integer tensors never require grad).
#define TG_INSTANTIATE_INT(T) TG_NN_INSTANTIATE(conv2d_forward, T) TG_NN_INSTANTIATE(max_pool2d_forward, T)
TG_INSTANTIATE_INT(uint8_t)
TG_INSTANTIATE_INT(int32_t)
TG_INSTANTIATE_INT(int64_t)
#undef TG_INSTANTIATE_INT
TG_NN_INSTANTIATE(avg_pool2d_forward, int64_t)
TG_NN_INSTANTIATE(conv2d_backward_input, int64_t)  // (the transposed convolution)

}  // namespace tg::cpu
