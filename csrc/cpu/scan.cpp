// Scan kernels (see scan.h).
#include "scan.h"
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>
#include "../ops/elementwise.h"
#include "parallel.h"

namespace tg::cpu {
namespace {
// Runs step(prev_row, cur_row, i) for rows i = 1..n-1 of every outer block (row offsets in elements);
// row 0 is init(row). With inner == 1 the rows are single elements: step is then called with the
// block's offset and runs the whole block itself (scan1), keeping the running value in a register.
template <class Init, class Step, class Scan1>
void scan_blocks(int64_t outer, int64_t n, int64_t inner, Init init, Step step, Scan1 scan1) {
  parallel_for(0, outer, std::max<int64_t>(1, 32768 / std::max<int64_t>(n * inner, 1)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      if (inner == 1) {
        scan1(o * n);
        continue;
      }
      init(o * n * inner);
      for (int64_t i = 1; i < n; ++i) step(o * n * inner + (i - 1) * inner, o * n * inner + i * inner, i);
    }
  });
}

// Running value y[i] = op(y[i-1], x[i]) along the middle dim of (outer, n, inner) blocks, kept in the
// accumulation type torch's CPU scans use (double for float32: each output is the rounded exact-ish running
// value, never a running value rebuilt from rounded outputs).
template <class T, class Op> void running(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, Op op) {
  using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;
  parallel_for(0, outer, std::max<int64_t>(1, 32768 / std::max<int64_t>(n * inner, 1)), [&](int64_t b, int64_t e) {
    std::vector<Acc> acc(inner);
    for (int64_t o = b; o < e; ++o) {
      const T* xo = x + o * n * inner;
      T* yo = y + o * n * inner;
      for (int64_t k = 0; k < inner; ++k) yo[k] = T(acc[k] = Acc(xo[k]));
      for (int64_t i = 1; i < n; ++i)  // vectorizes over k
        for (int64_t k = 0; k < inner; ++k) yo[i * inner + k] = T(acc[k] = op(acc[k], Acc(xo[i * inner + k])));
    }
  });
}

template <class T> inline bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  else return false;
}

template <class T> inline T log_add_exp(T a, T b) {
  if (a == b) return a + T(0.69314718055994530942);  // (also both -inf or both +inf)
  T m = a > b ? a : b, d = a > b ? b - a : a - b;    // d <= 0, or NaN
  return m + std::log1p(std::exp(d));
}
}  // namespace

void cumsum(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner) {
  TG_DISPATCH(out->dtype, "cumsum", [&] {
    running(in->data<scalar_t>(), out->data<scalar_t>(), outer, n, inner, [](auto a, auto b) {
      if constexpr (std::is_same_v<scalar_t, bool>) return bool(a || b);
      else return wrap_add(a, b);
    });
  });
}

void cumprod(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner) {
  TG_DISPATCH(out->dtype, "cumprod", [&] {
    running(in->data<scalar_t>(), out->data<scalar_t>(), outer, n, inner, [](auto a, auto b) {
      if constexpr (std::is_same_v<scalar_t, bool>) return bool(a && b);
      else return wrap_mul(a, b);
    });
  });
}

void cummax(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n, int64_t inner,
            bool is_max) {
  TG_DISPATCH(in->dtype, is_max ? "cummax" : "cummin", [&] {
    const scalar_t* x = in->data<scalar_t>();
    scalar_t* y = values->data<scalar_t>();
    int64_t* ix = indices->data<int64_t>();
    auto later_wins = [is_max](scalar_t v, scalar_t best) {
      return is_nan(v) || (!is_nan(best) && (is_max ? v >= best : v <= best));
    };
    scan_blocks(
        outer, n, inner,
        [&](int64_t r) {
          for (int64_t k = 0; k < inner; ++k) y[r + k] = x[r + k], ix[r + k] = 0;
        },
        [&](int64_t prev, int64_t cur, int64_t i) {
          for (int64_t k = 0; k < inner; ++k) {
            bool take = later_wins(x[cur + k], y[prev + k]);
            y[cur + k] = take ? x[cur + k] : y[prev + k];
            ix[cur + k] = take ? i : ix[prev + k];
          }
        },
        [&](int64_t r) {
          scalar_t best = x[r];
          int64_t at = 0;
          for (int64_t i = 0; i < n; ++i) {
            if (later_wins(x[r + i], best)) best = x[r + i], at = i;
            y[r + i] = best;
            ix[r + i] = at;
          }
        });
  });
}

void logcumsumexp(const Tensor& in, const Tensor& out, int64_t outer, int64_t n, int64_t inner) {
  TG_DISPATCH_FLOAT(out->dtype, "logcumsumexp", [&] {
    const scalar_t* x = in->data<scalar_t>();
    scalar_t* y = out->data<scalar_t>();
    scan_blocks(
        outer, n, inner,
        [&](int64_t r) {
          for (int64_t k = 0; k < inner; ++k) y[r + k] = x[r + k];
        },
        [&](int64_t prev, int64_t cur, int64_t) {
          for (int64_t k = 0; k < inner; ++k) y[cur + k] = log_add_exp(y[prev + k], x[cur + k]);
        },
        [&](int64_t r) {
          scalar_t acc = x[r];
          y[r] = acc;
          for (int64_t i = 1; i < n; ++i) y[r + i] = acc = log_add_exp(acc, x[r + i]);
        });
  });
}

void reverse_rows(const Tensor& in, const Tensor& out, int64_t rows, int64_t n) {
  auto run = [&](auto elem) {
    using E = decltype(elem);
    const E* x = reinterpret_cast<const E*>(in->data_ptr());
    E* y = reinterpret_cast<E*>(out->data_ptr());
    parallel_for(0, rows, std::max<int64_t>(1, 65536 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) std::reverse_copy(x + r * n, x + (r + 1) * n, y + r * n);
    });
  };
  switch (itemsize(in->dtype)) {
    case 1: run(uint8_t{}); break;
    case 2: run(uint16_t{}); break;
    case 4: run(uint32_t{}); break;
    default: run(uint64_t{}); break;
  }
}

}  // namespace tg::cpu
