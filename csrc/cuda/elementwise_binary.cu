// Binary elementwise ops on the GPU, over launch_elementwise
// (elementwise.cuh) with the functors of ops/elementwise.h.
// Operand 0 = out, 1 = a, 2 = b; a and b share the (promoted) dtype;
// TG_BINARY_OPS and TG_BINARY_INT_OPS keep it, TG_COMPARE_OPS produce bool.
//
// One kernel per dtype and family, not per op: the functor below switches on
// the op id, which is the same for every element of a launch, so the branch
// is uniform and free next to the memory traffic — while the build compiles
// ~10x fewer kernels for each GPU architecture.
#include "elementwise.cuh"
#include "kernels.h"

namespace tg::cuda {
namespace {

struct BinaryFn {
  BinaryOpId op;
  OpParams params;
  template <class T> TG_HD T operator()(T a, T b) const {
    const double* p = params.v;
    (void)p;  // (families whose ops take no parameters)
    switch (op) {
#define TG_CASE(name, F, ARGS) \
  case BinaryOpId::name: return TG_MAKE(F, ARGS)(a, b);
      TG_BINARY_OPS(TG_CASE)
#undef TG_CASE
      default: return T(0);  // unreachable: binary() only passes TG_BINARY_OPS here
    }
  }
};

struct CompareFn {
  BinaryOpId op;
  OpParams params;
  template <class T> TG_HD bool operator()(T a, T b) const {
    const double* p = params.v;
    (void)p;  // (families whose ops take no parameters)
    switch (op) {
#define TG_CASE(name, F, ARGS) \
  case BinaryOpId::name: return TG_MAKE(F, ARGS)(a, b);
      TG_COMPARE_OPS(TG_CASE)
#undef TG_CASE
      default: return false;  // unreachable: binary() only passes TG_COMPARE_OPS here
    }
  }
};

struct BinaryIntFn {  // TG_BINARY_INT_OPS, bool and integer dtypes only
  BinaryOpId op;
  OpParams params;
  template <class T> TG_HD T operator()(T a, T b) const {
    const double* p = params.v;
    (void)p;  // (families whose ops take no parameters)
    switch (op) {
#define TG_CASE(name, F, ARGS) \
  case BinaryOpId::name: return TG_MAKE(F, ARGS)(a, b);
      TG_BINARY_INT_OPS(TG_CASE)
#undef TG_CASE
      default: return T(0);  // unreachable: binary() only passes TG_BINARY_INT_OPS here
    }
  }
};

bool is_int_op(BinaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) \
  case BinaryOpId::name: return true;
    TG_BINARY_INT_OPS(TG_CASE)
#undef TG_CASE
    default: return false;
  }
}

bool is_compare(BinaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) \
  case BinaryOpId::name: return true;
    TG_COMPARE_OPS(TG_CASE)
#undef TG_CASE
    default: return false;
  }
}

bool is_arith(BinaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) \
  case BinaryOpId::name: return true;
    TG_BINARY_OPS(TG_CASE)
#undef TG_CASE
    default: return false;
  }
}

}  // namespace

void binary(BinaryOpId op, ElementwiseIter& it, const OpParams& params) {
  if (is_compare(op)) {
    TG_DISPATCH(it.dtypes[1], "compare",
                [&] { launch_elementwise<bool, scalar_t, scalar_t>(it, CompareFn{op, params}, "compare"); });
    return;
  }
  if (is_int_op(op)) {
    TG_DISPATCH_INTEGRAL(it.dtypes[1], "bitwise", [&] {
      launch_elementwise<scalar_t, scalar_t, scalar_t>(it, BinaryIntFn{op, params}, "bitwise");
    });
    return;
  }
  TG_CHECK(is_arith(op), "binary: unknown op ", int(op));
  TG_DISPATCH(it.dtypes[1], "binary",
              [&] { launch_elementwise<scalar_t, scalar_t, scalar_t>(it, BinaryFn{op, params}, "binary"); });
}

}  // namespace tg::cuda
