// One functor per scan, shared by the CPU loops (cpu/scan.cpp) and the CUDA kernels (cuda/scan.cu). Which
// scans exist and their dtype rule (kind) come from the op registry (python/tinygrad_ext/_registry.py, SCANS)
// as the X-macro list TG_SCAN_OPS(X) of tg_op_lists.h: X(name, Functor, kind).
//
// A "sum" or "floating" scan's functor supplies, for an element type T:
//   acc_t<T>         the running value's type (double for float32 sums and products, as torch's CPU scans)
//   step(acc, x)     the next running value
// An "indices" scan's functor supplies later_wins(x, best): whether x replaces the running extreme (and its
// index). Inputs and outputs are contiguous (outer, n, inner) blocks; each scans its n rows in order.
#pragma once
#include <cmath>
#include <type_traits>
#include "elementwise.h"  // TG_HD, wrap_add, wrap_mul, tg_op_lists.h

namespace tg {

struct WideScan {
  template <class T> using acc_t = std::conditional_t<std::is_same_v<T, float>, double, T>;
};

struct CumsumOp : WideScan {
  template <class A> static TG_HD A step(A acc, A x) {
    if constexpr (std::is_same_v<A, bool>) return acc || x;
    else return wrap_add(acc, x);
  }
};

struct CumprodOp : WideScan {
  template <class A> static TG_HD A step(A acc, A x) {
    if constexpr (std::is_same_v<A, bool>) return acc && x;
    else return wrap_mul(acc, x);
  }
};

struct LogcumsumexpOp {
  template <class T> using acc_t = T;
  template <class A> static TG_HD A step(A acc, A x) {
    if (acc == x) return acc + A(0.69314718055994530942);      // (also both -inf or both +inf)
    A m = acc > x ? acc : x, d = acc > x ? x - acc : acc - x;  // d <= 0, or NaN
    return m + std::log1p(std::exp(d));
  }
};

// Equal values: the later index wins; a NaN wins and stays (torch's rules).
template <bool kMax> struct CumExtremeOp {
  template <class T> static TG_HD bool later_wins(T x, T best) {
    if constexpr (std::is_floating_point_v<T>) return x != x || (best == best && (kMax ? x >= best : x <= best));
    else return kMax ? x >= best : x <= best;
  }
};
using CummaxOp = CumExtremeOp<true>;
using CumminOp = CumExtremeOp<false>;

#define TG_SCAN_ENUM(name, F, kind) name,
enum class ScanOpId { TG_SCAN_OPS(TG_SCAN_ENUM) };
#undef TG_SCAN_ENUM

// The registry's dtype rules (SCAN_KINDS): sum (bool and integers -> int64), floating (floating only), indices
// (the values keep the input's dtype, with int64 indices).
enum class ScanKind { sum, floating, indices };

}  // namespace tg
