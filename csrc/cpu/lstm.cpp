// The fused LSTM cell on the CPU (see the registry's NN_KERNELS rows lstm_cell_forward/backward): one pass
// over the gates of each batch row instead of a dozen elementwise kernels per time step. Gate order i, f, g, o
// (torch's); act holds sigmoid(i), sigmoid(f), tanh(g), sigmoid(o), which the backward reads.
#include <algorithm>

#include "../ops/elementwise.h"  // tg_exp, tg_tanh: plain arithmetic that vectorizes
#include "nn_kernels.h"
#include "parallel.h"

// The row loops are compiled for AVX-512, AVX2/FMA and the baseline, picked at load time (GCC's function
// multiversioning; this file is not among the per-ISA sources of isa.h).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define TG_LSTM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TG_LSTM_CLONES
#endif

namespace tg::cpu {
namespace {
// Rows per parallel chunk: about 8K gate values each (a batch of 32 x 256 units splits over 4 threads).
int64_t grain_rows(int64_t H) { return std::max<int64_t>(1, 2048 / std::max<int64_t>(1, H)); }
template <class T> TG_HD T sigmoid(T x) { return T(1) / (T(1) + tg_exp(-x)); }

// NOTE: each row runs as short loops over contiguous, restrict-qualified ranges so that they vectorize (one
// loop touching all of them exceeds the compiler's aliasing checks and stays scalar).
// dst[n][j] = src[n][j] (0 if src is null) + t[j][n] for the rows [nb, ne) and the columns [0, cols); t has N
// columns. In blocks of columns, so that a block of t's rows is read from L1 by every row of the chunk (row by row,
// column n of t is one value per cache line, from L2).
template <class T>
TG_HD void add_transposed(int64_t nb, int64_t ne, int64_t cols, int64_t N, const T* src, int64_t src_stride, const T* t,
                          T* dst, int64_t dst_stride) {
  constexpr int64_t kBlock = 64;
  for (int64_t jb = 0; jb < cols; jb += kBlock) {
    const int64_t je = std::min(jb + kBlock, cols);
    for (int64_t n = nb; n < ne; ++n) {
      T* __restrict d = dst + n * dst_stride;
      if (src) {
        const T* __restrict r = src + n * src_stride;
        for (int64_t j = jb; j < je; ++j) d[j] = r[j] + t[j * N + n];
      } else {
        for (int64_t j = jb; j < je; ++j) d[j] = t[j * N + n];
      }
    }
  }
}

template <class T>
TG_HD void forward_rows(int64_t nb, int64_t ne, int64_t N, int64_t H, const T* gates, const T* gates_t, const T* cx,
                        T* hy, T* cy, T* act) {
  if (gates_t) add_transposed(nb, ne, 4 * H, N, gates, 4 * H, gates_t, act, 4 * H);
  for (int64_t n = nb; n < ne; ++n) {
    const T* __restrict gr = gates + n * 4 * H;
    T* __restrict a = act + n * 4 * H;
    const T* __restrict c = cx + n * H;
    T* __restrict h = hy + n * H;
    T* __restrict co = cy + n * H;
    // the pre-activations gates + gates_t^T first (column n of gates_t; see add_transposed), then activated
    if (!gates_t)
      for (int64_t j = 0; j < 4 * H; ++j) a[j] = gr[j];
    for (int64_t j = 0; j < 2 * H; ++j) a[j] = sigmoid(a[j]);
    for (int64_t j = 2 * H; j < 3 * H; ++j) a[j] = tg_tanh(a[j]);
    for (int64_t j = 3 * H; j < 4 * H; ++j) a[j] = sigmoid(a[j]);
    for (int64_t j = 0; j < H; ++j) co[j] = a[H + j] * c[j] + a[j] * a[2 * H + j];
    for (int64_t j = 0; j < H; ++j) h[j] = a[3 * H + j] * tg_tanh(co[j]);
  }
}

template <class T>
TG_HD void backward_rows(int64_t nb, int64_t ne, int64_t N, int64_t H, const T* grad_hy, const T* grad_hy_t,
                         const T* grad_cy, const T* act, const T* cx, const T* cy, T* grad_gates, T* grad_cx) {
  if (grad_hy_t) add_transposed(nb, ne, H, N, grad_hy, H, grad_hy_t, grad_gates + 3 * H, 4 * H);
  for (int64_t n = nb; n < ne; ++n) {
    const T* __restrict a = act + n * 4 * H;
    const T* __restrict c = cx + n * H;
    const T* __restrict cn = cy + n * H;
    T* __restrict gg = grad_gates + n * 4 * H;
    T* __restrict dc = grad_cx + n * H;  // first dL/dc', then dL/dc
    // dh = grad_hy + grad_hy_t^T first (into the o gate's slot), then dL/dc' and the o gate's gradient, then
    // the other gates
    T* __restrict dhs = gg + 3 * H;
    if (!grad_hy_t)
      for (int64_t j = 0; j < H; ++j) dhs[j] = grad_hy ? grad_hy[n * H + j] : T(0);
    for (int64_t j = 0; j < H; ++j) {
      const T dh = dhs[j];
      const T tc = tg_tanh(cn[j]), o = a[3 * H + j];
      gg[3 * H + j] = dh * tc * o * (T(1) - o);
      dc[j] = (grad_cy ? grad_cy[n * H + j] : T(0)) + dh * o * (T(1) - tc * tc);
    }
    for (int64_t j = 0; j < H; ++j) {
      const T i = a[j], f = a[H + j], g = a[2 * H + j], d = dc[j];
      gg[j] = d * g * i * (T(1) - i);
      gg[H + j] = d * c[j] * f * (T(1) - f);
      gg[2 * H + j] = d * i * (T(1) - g * g);
      dc[j] = d * f;
    }
  }
}

// One multiversioned entry per element type (templates cannot be cloned).
#define TG_LSTM_ROWS(T)                                                                                                \
  TG_LSTM_CLONES void forward_rows_##T(int64_t nb, int64_t ne, int64_t N, int64_t H, const T* gates, const T* gates_t, \
                                       const T* cx, T* hy, T* cy, T* act) {                                            \
    forward_rows(nb, ne, N, H, gates, gates_t, cx, hy, cy, act);                                                       \
  }                                                                                                                    \
  TG_LSTM_CLONES void backward_rows_##T(int64_t nb, int64_t ne, int64_t N, int64_t H, const T* grad_hy,                \
                                        const T* grad_hy_t, const T* grad_cy, const T* act, const T* cx, const T* cy,  \
                                        T* grad_gates, T* grad_cx) {                                                   \
    backward_rows(nb, ne, N, H, grad_hy, grad_hy_t, grad_cy, act, cx, cy, grad_gates, grad_cx);                        \
  }                                                                                                                    \
  void rows(int64_t nb, int64_t ne, int64_t N, int64_t H, const T* gates, const T* gates_t, const T* cx, T* hy, T* cy, \
            T* act) {                                                                                                  \
    forward_rows_##T(nb, ne, N, H, gates, gates_t, cx, hy, cy, act);                                                   \
  }                                                                                                                    \
  void rows(int64_t nb, int64_t ne, int64_t N, int64_t H, const T* grad_hy, const T* grad_hy_t, const T* grad_cy,      \
            const T* act, const T* cx, const T* cy, T* grad_gates, T* grad_cx) {                                       \
    backward_rows_##T(nb, ne, N, H, grad_hy, grad_hy_t, grad_cy, act, cx, cy, grad_gates, grad_cx);                    \
  }
TG_LSTM_ROWS(float)
TG_LSTM_ROWS(double)
#undef TG_LSTM_ROWS
}  // namespace

template <class T>
void lstm_cell_forward(int64_t N, int64_t H, const T* gates, const T* gates_t, const T* cx, T* hy, T* cy, T* act) {
  parallel_for(0, N, grain_rows(H),
               [&](int64_t nb, int64_t ne) { rows(nb, ne, N, H, gates, gates_t, cx, hy, cy, act); });
}

template <class T>
void lstm_cell_backward(int64_t N, int64_t H, const T* grad_hy, const T* grad_hy_t, const T* grad_cy, const T* act,
                        const T* cx, const T* cy, T* grad_gates, T* grad_cx) {
  parallel_for(0, N, grain_rows(H), [&](int64_t nb, int64_t ne) {
    rows(nb, ne, N, H, grad_hy, grad_hy_t, grad_cy, act, cx, cy, grad_gates, grad_cx);
  });
}

TG_NN_INSTANTIATE(lstm_cell_forward, float)
TG_NN_INSTANTIATE(lstm_cell_forward, double)
TG_NN_INSTANTIATE(lstm_cell_backward, float)
TG_NN_INSTANTIATE(lstm_cell_backward, double)

}  // namespace tg::cpu
