// One functor per reduction, shared by the CPU loops (cpu/reduce.cpp) and the CUDA kernels (cuda/reduce.cu).
// Which reductions exist, their dtype rule (kind) and the value of an empty reduction come from the op registry
// (python/tinygrad_ext/_registry.py, REDUCTIONS) as the X-macro list TG_REDUCE_OPS(X) of tg_op_lists.h:
// X(name, Functor, kind, identity).
//
// A functor supplies, for an input element type T:
//   acc_t<T>                 the accumulator: double for floating T, int64 for integers and bool (sums and
//                            products wrap around modulo 2^64, then convert to the output, as torch's),
//                            T for max/min, a 0/1 byte for any/all
//   out_t<T>                 the output element type
//   init<T>()                the identity
//   step(acc, x)             folds one element in
//   merge(a, b)              combines two partial results
//   project(acc, n)          the output value of an accumulator over n elements (mean divides)
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include "elementwise.h"  // TG_HD, wrap_add, wrap_mul, tg_op_lists.h

namespace tg {

template <class T> using wide_acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
template <class T> using wide_out_t = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;

// The defaults: the accumulator is the output value; kSimdSum lets the CPU's float run use its blocked lanes.
struct ReduceDefaults {
  static constexpr bool kSimdSum = false;
  template <class A> static TG_HD A project(A a, int64_t) { return a; }
};
struct WideReduce : ReduceDefaults {  // sums and products: double or int64 accumulators
  template <class T> using acc_t = wide_acc_t<T>;
  template <class T> using out_t = wide_out_t<T>;
};

struct SumOp : WideReduce {
  static constexpr bool kSimdSum = true;
  template <class T> static TG_HD acc_t<T> init() { return acc_t<T>(0); }
  // NOTE: a narrower integer cannot overflow the int64 accumulator (that takes 2^32 elements), so it adds
  // plainly (GCC 12's AVX-512 vectorizer miscompiled the unsigned form of this sum of int32: 1..16 gave 92);
  // int64 inputs wrap around as torch's.
  template <class A, class T> static TG_HD A step(A acc, T x) {
    if constexpr (sizeof(T) < sizeof(A)) return acc + A(x);
    else return wrap_add(acc, A(x));
  }
  template <class A> static TG_HD A merge(A a, A b) { return wrap_add(a, b); }
};

struct NansumOp : SumOp {
  static constexpr bool kSimdSum = false;
  template <class A, class T> static TG_HD A step(A acc, T x) { return x != x ? acc : SumOp::step(acc, x); }
};

struct MeanOp : SumOp {  // floating inputs only (the front end refuses others)
  template <class T> using out_t = T;
  template <class A> static TG_HD A project(A a, int64_t n) { return a / A(n); }
};

struct ProdOp : WideReduce {
  template <class T> static TG_HD acc_t<T> init() { return acc_t<T>(1); }
  template <class A, class T> static TG_HD A step(A acc, T x) {
    A r = wrap_mul(acc, A(x));
#if !defined(__CUDA_ARCH__)
    // NOTE: GCC 12 miscompiles the vectorized widening integer product (AVX2 and AVX-512 copies: an int32 run
    // of 32+ holding a 0 gave -1080000); the empty asm keeps integer products scalar.
    if constexpr (std::is_integral_v<A>) asm("" : "+r"(r));
#endif
    return r;
  }
  template <class A> static TG_HD A merge(A a, A b) { return wrap_mul(a, b); }
};

// NOTE: once an accumulator holds NaN it stays NaN: `x > m` is false against NaN, and a NaN x is taken.
// Bitwise | (no short circuit) keeps the select branch-free, so the CPU loop vectorizes.
template <bool kMax> struct ExtremumOp : ReduceDefaults {
  template <class T> using acc_t = T;
  template <class T> using out_t = T;
  template <class T> static TG_HD T init() {
    if constexpr (std::is_floating_point_v<T>)
      return kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    else return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  template <class A, class T> static TG_HD A step(A m, T x) { return ((kMax ? x > m : x < m) | (x != x)) ? A(x) : m; }
  template <class A> static TG_HD A merge(A a, A b) { return step(a, b); }
};
using AmaxOp = ExtremumOp<true>;
using AminOp = ExtremumOp<false>;

// any/all: whether some / every element is nonzero (NaN counts as nonzero), as a bool. The accumulator is a
// 0/1 byte (a bool accumulator keeps the CPU loop from vectorizing).
template <bool kAny> struct LogicalOp : ReduceDefaults {
  template <class T> using acc_t = uint8_t;
  template <class T> using out_t = bool;  // (a uint8 result holds the same bytes)
  template <class T> static TG_HD uint8_t init() { return kAny ? 0 : 1; }
  template <class A, class T> static TG_HD A step(A acc, T x) {
    return kAny ? A(acc | A(x != T(0))) : A(acc & A(x != T(0)));
  }
  template <class A> static TG_HD A merge(A a, A b) { return kAny ? (a | b) : (a & b); }
};
using AnyOp = LogicalOp<true>;
using AllOp = LogicalOp<false>;

#define TG_REDUCE_ENUM(name, F, kind, identity) name,
enum class ReduceOpId { TG_REDUCE_OPS(TG_REDUCE_ENUM) };
#undef TG_REDUCE_ENUM

// The registry's dtype rules (REDUCTION_KINDS): sum (bool and integers -> int64), mean (floating only),
// keep (the input's dtype; an empty reduction raises), logical (bool; uint8 stays uint8).
enum class ReduceKind { sum, mean, keep, logical };

}  // namespace tg
