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
// Along a contiguous dim (inner == 1) each row's scan is one dependent chain of steps: rows b..e are scanned
// kRows at a time, their chains interleaved, so the loop is bound by the steps' throughput rather than their
// latency. A row's state S starts as init(offset of its first element) and is advanced by step(state, offset, i)
// for its elements i = 1..n-1 (offsets in elements).
template <class S, class Init, class Step> void chains(int64_t b, int64_t e, int64_t n, Init init, Step step) {
  constexpr int64_t kRows = 8;
  int64_t o = b;
  for (; o + kRows <= e; o += kRows) {
    S s[kRows];
    for (int64_t r = 0; r < kRows; ++r) s[r] = init((o + r) * n);
    for (int64_t i = 1; i < n; ++i)
      for (int64_t r = 0; r < kRows; ++r) step(s[r], (o + r) * n + i, i);
  }
  for (; o < e; ++o) {
    S s = init(o * n);
    for (int64_t i = 1; i < n; ++i) step(s, o * n + i, i);
  }
}

int64_t grain(int64_t n, int64_t inner) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(n * inner, 1)); }

// y[i] = F::step(y[i-1], x[i]) along the middle dim of (outer, n, inner) blocks, the running value kept in
// F::acc_t<T> (each output is the rounded running value, never one rebuilt from rounded outputs).
template <class F, class T> void running(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  using Acc = typename F::template acc_t<T>;
  parallel_for(0, outer, grain(n, inner), [&](int64_t b, int64_t e) {
    if (inner == 1) {
      chains<Acc>(
          b, e, n, [&](int64_t p) { return Acc(y[p] = x[p]); },
          [&](Acc& acc, int64_t p, int64_t) { y[p] = T(acc = F::template step<Acc>(acc, Acc(x[p]))); });
      return;
    }
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
  struct Best {
    T value;
    int64_t at;
  };
  parallel_for(0, outer, grain(n, inner), [&](int64_t b, int64_t e) {
    if (inner == 1) {
      chains<Best>(
          b, e, n,
          [&](int64_t p) {
            ix[p] = 0;
            return Best{y[p] = x[p], 0};
          },
          [&](Best& best, int64_t p, int64_t i) {
            if (F::later_wins(x[p], best.value)) best = Best{x[p], i};
            y[p] = best.value;
            ix[p] = best.at;
          });
      return;
    }
    for (int64_t o = b; o < e; ++o) {
      int64_t r = o * n * inner;
      for (int64_t k = 0; k < inner; ++k) y[r + k] = x[r + k], ix[r + k] = 0;
      for (int64_t i = 1; i < n; ++i) {
        int64_t prev = r + (i - 1) * inner, cur = r + i * inner;
        for (int64_t k = 0; k < inner; ++k) {
          bool take = F::later_wins(x[cur + k], y[prev + k]);
          y[cur + k] = take ? x[cur + k] : y[prev + k];
          ix[cur + k] = take ? i : ix[prev + k];
        }
      }
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
