// Softmax, log-softmax and the classification losses (fused cross entropy,
// nll) on the CPU. Sums run in double for both float and double inputs, as
// torch's CPU kernels accumulate float in double.
//
// Cross entropy with targets t, class weights w (1 when absent), label
// smoothing e over C classes, per row r:
//   loss_r = (1 - e) * w_t * (lse - x_t) + e / C * sum_c w_c * (lse - x_c)
// and its gradient, with p = softmax(x) and W = sum_c w_c:
//   dloss_r/dx_c = (1 - e) * w_t * (p_c - [c == t]) + e / C * (W * p_c - w_c)
// Mean reduction divides by the total weight of the non-ignored targets.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "nn_kernels.h"
#include "parallel.h"

namespace tg::cpu {
namespace {
int64_t grain_for(int64_t work_per_item) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, work_per_item)); }
}  // namespace

template <class T> void softmax_forward(int64_t outer, int64_t D, int64_t inner, bool log, const T* x, T* y) {
  parallel_for(0, outer, grain_for(D * inner), [&](int64_t ob, int64_t oe) {
    std::vector<double> mx(inner), sum(inner);
    for (int64_t o = ob; o < oe; ++o) {
      const T* xo = x + o * D * inner;
      T* yo = y + o * D * inner;
      std::fill(mx.begin(), mx.end(), -std::numeric_limits<double>::infinity());
      std::fill(sum.begin(), sum.end(), 0.0);
      for (int64_t d = 0; d < D; ++d)
        for (int64_t i = 0; i < inner; ++i) {
          const double v = xo[d * inner + i];
          // NOTE: NaN wins so that a NaN row stays NaN.
          if (v > mx[i] || std::isnan(v)) mx[i] = v;
        }
      for (int64_t i = 0; i < inner; ++i)
        if (std::isinf(mx[i]) && mx[i] < 0) mx[i] = 0;  // an all -inf row: exp gives 0s, log(0) = -inf
      for (int64_t d = 0; d < D; ++d)
        for (int64_t i = 0; i < inner; ++i) {
          const T e = std::exp(static_cast<T>(xo[d * inner + i] - mx[i]));
          sum[i] += e;
          if (!log) yo[d * inner + i] = e;
        }
      if (log) {
        for (int64_t i = 0; i < inner; ++i) sum[i] = mx[i] + std::log(sum[i]);
        for (int64_t d = 0; d < D; ++d)
          for (int64_t i = 0; i < inner; ++i) yo[d * inner + i] = static_cast<T>(xo[d * inner + i] - sum[i]);
      } else {
        for (int64_t i = 0; i < inner; ++i) sum[i] = 1.0 / sum[i];
        for (int64_t d = 0; d < D; ++d)
          for (int64_t i = 0; i < inner; ++i) yo[d * inner + i] = static_cast<T>(yo[d * inner + i] * sum[i]);
      }
    }
  });
}

template <class T>
void softmax_backward(int64_t outer, int64_t D, int64_t inner, bool log, const T* gy, const T* y, T* gx) {
  parallel_for(0, outer, grain_for(D * inner), [&](int64_t ob, int64_t oe) {
    std::vector<double> dot(inner);
    for (int64_t o = ob; o < oe; ++o) {
      const int64_t base = o * D * inner;
      std::fill(dot.begin(), dot.end(), 0.0);
      // log_softmax: gx = gy - exp(y) * sum(gy);  softmax: gx = y * (gy - sum(gy * y))
      for (int64_t d = 0; d < D; ++d)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t k = base + d * inner + i;
          dot[i] += log ? double(gy[k]) : double(gy[k]) * double(y[k]);
        }
      for (int64_t d = 0; d < D; ++d)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t k = base + d * inner + i;
          gx[k] = log ? static_cast<T>(gy[k] - std::exp(y[k]) * dot[i]) : static_cast<T>(y[k] * (gy[k] - dot[i]));
        }
    }
  });
}

template <class T>
void class_loss_forward(const ClassLossArgs& a, const T* x, const int64_t* t, const T* w, T* out, T* lse,
                        T* total_weight) {
  const int64_t N = a.N, C = a.C, S = a.S;
  const double e = a.label_smoothing;
  double wsum_all = 0;  // W = sum_c w_c
  for (int64_t c = 0; c < C; ++c) wsum_all += w ? double(w[c]) : 1.0;
  std::vector<double> row_loss(a.reduction == 0 ? 0 : N * S);
  std::vector<double> row_weight(N * S);
  parallel_for(0, N, grain_for(C * S), [&](int64_t nb, int64_t ne) {
    for (int64_t n = nb; n < ne; ++n) {
      for (int64_t s = 0; s < S; ++s) {
        const int64_t r = n * S + s;
        const int64_t tr = t[r];
        const T* xr = x + n * C * S + s;  // x_c at xr[c * S]
        double loss = 0, wt = 0, l = 0;
        if (tr != a.ignore_index) {
          wt = w ? double(w[tr]) : 1.0;
          if (a.log_softmax) {
            double m = -std::numeric_limits<double>::infinity();
            for (int64_t c = 0; c < C; ++c) {
              const double v = xr[c * S];
              if (v > m || std::isnan(v)) m = v;
            }
            if (std::isinf(m) && m < 0) m = 0;
            double se = 0;
            for (int64_t c = 0; c < C; ++c) se += std::exp(double(xr[c * S]) - m);
            l = m + std::log(se);
            loss = (1 - e) * wt * (l - double(xr[tr * S]));
            if (e > 0) {
              double sx = 0;
              for (int64_t c = 0; c < C; ++c) sx += (w ? double(w[c]) : 1.0) * double(xr[c * S]);
              loss += e / double(C) * (wsum_all * l - sx);
            }
          } else {
            loss = -wt * double(xr[tr * S]);
          }
        }
        if (lse) lse[r] = static_cast<T>(l);
        row_weight[r] = wt;
        if (a.reduction == 0) out[r] = static_cast<T>(loss);
        else row_loss[r] = loss;
      }
    }
  });
  double tw = 0, total = 0;
  for (int64_t r = 0; r < N * S; ++r) tw += row_weight[r];
  *total_weight = static_cast<T>(tw);
  if (a.reduction == 0) return;
  for (double v : row_loss) total += v;
  out[0] = static_cast<T>(a.reduction == 1 ? total / tw : total);
}

template <class T>
void class_loss_backward(const ClassLossArgs& a, const T* g, const T* x, const int64_t* t, const T* w, const T* lse,
                         const T* total_weight, T* gx) {
  const int64_t N = a.N, C = a.C, S = a.S;
  const double e = a.label_smoothing;
  double wsum_all = 0;
  for (int64_t c = 0; c < C; ++c) wsum_all += w ? double(w[c]) : 1.0;
  parallel_for(0, N, grain_for(C * S), [&](int64_t nb, int64_t ne) {
    for (int64_t n = nb; n < ne; ++n) {
      for (int64_t s = 0; s < S; ++s) {
        const int64_t r = n * S + s;
        const int64_t tr = t[r];
        const T* xr = x + n * C * S + s;
        T* gr = gx + n * C * S + s;
        if (tr == a.ignore_index) {
          for (int64_t c = 0; c < C; ++c) gr[c * S] = T(0);
          continue;
        }
        double scale = a.reduction == 0 ? double(g[r]) : double(g[0]);
        if (a.reduction == 1) scale /= double(*total_weight);
        const double wt = w ? double(w[tr]) : 1.0;
        if (!a.log_softmax) {
          for (int64_t c = 0; c < C; ++c) gr[c * S] = T(0);
          gr[tr * S] = static_cast<T>(-scale * wt);
          continue;
        }
        const double l = lse[r];
        const double a1 = scale * (1 - e) * wt, a2 = scale * e / double(C);
        for (int64_t c = 0; c < C; ++c) {
          const double p = std::exp(double(xr[c * S]) - l);
          double v = a1 * p + a2 * (wsum_all * p - (w ? double(w[c]) : 1.0));
          if (c == tr) v -= a1;
          gr[c * S] = static_cast<T>(v);
        }
      }
    }
  });
}

#define TG_INSTANTIATE(T)                  \
  TG_NN_INSTANTIATE(softmax_forward, T)    \
  TG_NN_INSTANTIATE(softmax_backward, T)   \
  TG_NN_INSTANTIATE(class_loss_forward, T) \
  TG_NN_INSTANTIATE(class_loss_backward, T)
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
#undef TG_INSTANTIATE

}  // namespace tg::cpu
