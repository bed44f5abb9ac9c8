// Scan kernels (see scan.h).
#include "scan.h"
#include <cmath>
#include <limits>
#include "../ops/elementwise.h"
#include "parallel.h"

namespace tg::cpu {
namespace {
// Runs row_step(prev_row, x_row, out_row, i) for rows i = 1..n-1 of every outer block; row 0 is init(x, out).
template <class Init, class Step>
void scan_blocks(int64_t outer, int64_t n, int64_t inner, Init init, Step step) {
  parallel_for(0, outer, std::max<int64_t>(1, 32768 / std::max<int64_t>(n * inner, 1)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      init(o * n * inner);
      for (int64_t i = 1; i < n; ++i) step(o * n * inner + (i - 1) * inner, o * n * inner + i * inner, i);
    }
  });
}

template <class T>
inline bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v; else return false;
}

template <class T>
inline T log_add_exp(T a, T b) {
  if (a == b) return a + T(0.69314718055994530942);  // (also both -inf or both +inf)
  T m = a > b ? a : b, d = a > b ? b - a : a - b;  // d <= 0, or NaN
  return m + std::log1p(std::exp(d));
}
}  // namespace

void cumprod(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner) {
  TG_DISPATCH(out->dtype, "cumprod", [&] {
    const scalar_t* x = in->data<scalar_t>();
    scalar_t* y = out->data<scalar_t>();
    scan_blocks(outer, n, inner, [&](int64_t r) { for (int64_t k = 0; k < inner; ++k) y[r + k] = x[r + k]; },
                [&](int64_t prev, int64_t cur, int64_t) {
                  for (int64_t k = 0; k < inner; ++k) {
                    if constexpr (std::is_same_v<scalar_t, bool>) y[cur + k] = y[prev + k] && x[cur + k];
                    else y[cur + k] = wrap_mul(y[prev + k], x[cur + k]);
                  }
                });
  });
}

void cummax(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n, int64_t inner,
            bool is_max) {
  TG_DISPATCH(in->dtype, is_max ? "cummax" : "cummin", [&] {
    const scalar_t* x = in->data<scalar_t>();
    scalar_t* y = values->data<scalar_t>();
    int64_t* ix = indices->data<int64_t>();
    scan_blocks(outer, n, inner, [&](int64_t r) {
      for (int64_t k = 0; k < inner; ++k) y[r + k] = x[r + k], ix[r + k] = 0;
    }, [&](int64_t prev, int64_t cur, int64_t i) {
      for (int64_t k = 0; k < inner; ++k) {
        scalar_t v = x[cur + k], best = y[prev + k];
        bool take = is_nan(v) || (!is_nan(best) && (is_max ? v >= best : v <= best));
        y[cur + k] = take ? v : best;
        ix[cur + k] = take ? i : ix[prev + k];
      }
    });
  });
}

void logcumsumexp(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner) {
  TG_DISPATCH_FLOAT(out->dtype, "logcumsumexp", [&] {
    const scalar_t* x = in->data<scalar_t>();
    scalar_t* y = out->data<scalar_t>();
    scan_blocks(outer, n, inner, [&](int64_t r) { for (int64_t k = 0; k < inner; ++k) y[r + k] = x[r + k]; },
                [&](int64_t prev, int64_t cur, int64_t) {
                  for (int64_t k = 0; k < inner; ++k) y[cur + k] = log_add_exp(y[prev + k], x[cur + k]);
                });
  });
}

}  // namespace tg::cpu
