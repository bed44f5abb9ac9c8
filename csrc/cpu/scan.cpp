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

// y[i] = F::step(y[i-1], x[i]) along the middle dim of (outer, n, inner) blocks, the running value kept in
// F::acc_t<T> (each output is the rounded running value, never one rebuilt from rounded outputs).
template <class F, class T> void running(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  using Acc = typename F::template acc_t<T>;
  parallel_for(0, outer, std::max<int64_t>(1, 32768 / std::max<int64_t>(n * inner, 1)), [&](int64_t b, int64_t e) {
    std::vector<Acc> acc(inner);
    for (int64_t o = b; o < e; ++o) {
      const T* xo = x + o * n * inner;
      T* yo = y + o * n * inner;
      for (int64_t k = 0; k < inner; ++k) yo[k] = T(acc[k] = Acc(xo[k]));
      for (int64_t i = 1; i < n; ++i)  // vectorizes over k
        for (int64_t k = 0; k < inner; ++k)
          yo[i * inner + k] = T(acc[k] = F::template step<Acc>(acc[k], Acc(xo[i * inner + k])));
    }
  });
}

// The running extreme (F::later_wins) and its index.
template <class F, class T> void running_index(const T* x, T* y, int64_t* ix, int64_t outer, int64_t n, int64_t inner) {
  scan_blocks(
      outer, n, inner,
      [&](int64_t r) {
        for (int64_t k = 0; k < inner; ++k) y[r + k] = x[r + k], ix[r + k] = 0;
      },
      [&](int64_t prev, int64_t cur, int64_t i) {
        for (int64_t k = 0; k < inner; ++k) {
          bool take = F::later_wins(x[cur + k], y[prev + k]);
          y[cur + k] = take ? x[cur + k] : y[prev + k];
          ix[cur + k] = take ? i : ix[prev + k];
        }
      },
      [&](int64_t r) {
        T best = x[r];
        int64_t at = 0;
        for (int64_t i = 0; i < n; ++i) {
          if (F::later_wins(x[r + i], best)) best = x[r + i], at = i;
          y[r + i] = best;
          ix[r + i] = at;
        }
      });
}

template <class F, ScanKind kind>
void scan_as(const char* name, const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n,
             int64_t inner) {
  if constexpr (kind == ScanKind::indices) {
    TG_DISPATCH(in->dtype, name, [&] {
      running_index<F>(in->data<scalar_t>(), values->data<scalar_t>(), indices->data<int64_t>(), outer, n, inner);
    });
  } else if constexpr (kind == ScanKind::floating) {
    TG_DISPATCH_FLOAT(values->dtype, name,
                      [&] { running<F>(in->data<scalar_t>(), values->data<scalar_t>(), outer, n, inner); });
  } else {
    TG_DISPATCH(values->dtype, name,
                [&] { running<F>(in->data<scalar_t>(), values->data<scalar_t>(), outer, n, inner); });
  }
}
}  // namespace

void scan(ScanOpId op, const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n,
          int64_t inner) {
  switch (op) {
#define TG_SCAN_CASE(name, F, kind) \
  case ScanOpId::name: return scan_as<F, ScanKind::kind>(#name, in, values, indices, outer, n, inner);
    TG_SCAN_OPS(TG_SCAN_CASE)
#undef TG_SCAN_CASE
  }
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
