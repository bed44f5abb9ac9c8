// The strided row loop under every CPU elementwise kernel. The iterator's
// inner dim is a "row"; rows (or, for a flat iterator, slices of the single
// dim) are split across the thread pool.
//
// These templates live in the ISA namespace (isa.h): elementwise.cpp is
// compiled once per ISA, and instantiations with the same mangled name in both
// copies would be merged by the linker, silently running one ISA's code for
// both (it did: every elementwise op ran the SSE2 copy).
#pragma once
#include "../core/iterator.h"
#include "isa.h"
#include "parallel.h"

namespace tg::cpu::TG_ISA {

constexpr int64_t kGrain = 32768;  // elements per task: below this, threads cost more than they save

// row(char* const* ptrs, const int64_t* inner_strides, int64_t n)
template <class Row> void for_each_row(const ElementwiseIter& it, Row row, int64_t grain = kGrain) {
  if (it.numel == 0) return;
  const int nops = it.nops;
  if (it.ndim <= 1) {
    int64_t s[kMaxOperands];
    for (int o = 0; o < nops; ++o) s[o] = it.ndim ? it.strides[o][0] : 0;
    parallel_for(0, it.numel, grain, [&](int64_t b, int64_t e) {
      char* p[kMaxOperands];
      for (int o = 0; o < nops; ++o) p[o] = it.data[o] + b * s[o];
      row(p, s, e - b);
    });
    return;
  }
  const int nd = it.ndim;
  const int64_t inner = it.shape[nd - 1];
  const int64_t rows = it.numel / inner;
  int64_t s[kMaxOperands];
  for (int o = 0; o < nops; ++o) s[o] = it.strides[o][nd - 1];
  int64_t grain_rows = std::max<int64_t>(1, grain / inner);
  parallel_for(0, rows, grain_rows, [&](int64_t b, int64_t e) {
    int64_t idx[kMaxIterDims];  // multi-index over the outer dims
    int64_t r = b;
    for (int d = nd - 2; d >= 0; --d) {
      idx[d] = r % it.shape[d];
      r /= it.shape[d];
    }
    for (int64_t i = b; i < e; ++i) {
      char* p[kMaxOperands];
      for (int o = 0; o < nops; ++o) {
        int64_t off = 0;
        for (int d = 0; d < nd - 1; ++d) off += idx[d] * it.strides[o][d];
        p[o] = it.data[o] + off;
      }
      row(p, s, inner);
      for (int d = nd - 2; d >= 0; --d) {
        if (++idx[d] < it.shape[d]) break;
        idx[d] = 0;
      }
    }
  });
}

// Elementwise map over typed operands: out = f(in...). The contiguous and
// broadcast-scalar cases get their own loops so the compiler vectorizes them.
template <class Out, class A, class F> void map1(const ElementwiseIter& it, F f) {
  for_each_row(it, [&](char* const* p, const int64_t* s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const A* a = reinterpret_cast<const A*>(p[1]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(A)) {
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(f(a[i]));
    } else if (s[0] == sizeof(Out) && s[1] == 0) {
      const Out v = static_cast<Out>(f(*a));
      for (int64_t i = 0; i < n; ++i) o[i] = v;
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = static_cast<Out>(f(*reinterpret_cast<const A*>(p[1] + i * s[1])));
    }
  });
}

template <class Out, class A, class B, class F> void map2(const ElementwiseIter& it, F f) {
  for_each_row(it, [&](char* const* p, const int64_t* s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const A* a = reinterpret_cast<const A*>(p[1]);
    const B* b = reinterpret_cast<const B*>(p[2]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(A) && s[2] == sizeof(B)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
    } else if (s[0] == sizeof(Out) && s[1] == sizeof(A) && s[2] == 0) {
      const B bv = *b;
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
    } else if (s[0] == sizeof(Out) && s[1] == 0 && s[2] == sizeof(B)) {
      const A av = *a;
      for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) =
            f(*reinterpret_cast<const A*>(p[1] + i * s[1]), *reinterpret_cast<const B*>(p[2] + i * s[2]));
    }
  });
}

}  // namespace tg::cpu::TG_ISA
