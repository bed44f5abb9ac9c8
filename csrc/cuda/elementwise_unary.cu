// Unary elementwise ops on the GPU: the functors of ops/elementwise.h (the
// same ones the CPU loops run) over launch_elementwise (elementwise.cuh).
// Operand 0 is the output, operand 1 the input; the front end has already
// chosen the dtype, so both agree except for logical_not (-> bool).
//
// As in elementwise_binary.cu, one kernel per dtype and family: the functors
// below switch on the op id, uniform across a launch.
#include "elementwise.cuh"
#include "kernels.h"

namespace tg::cuda {
namespace {

struct UnaryFloatFn {  // TG_UNARY_FLOAT_OPS, float and double only
  UnaryOpId op;
  OpParams params;
  template <class T> TG_HD T operator()(T x) const {
    const double* p = params.v;
    (void)p;  // (families whose ops take no parameters)
    switch (op) {
#define TG_CASE(name, F, ARGS) \
  case UnaryOpId::name: return TG_MAKE(F, ARGS)(x);
      TG_UNARY_FLOAT_OPS(TG_CASE)
      TG_UNARY_FLOATING_OPS(TG_CASE)
#undef TG_CASE
      default: return x;  // unreachable: unary() only passes TG_UNARY_FLOAT_OPS/TG_UNARY_FLOATING_OPS here
    }
  }
};

struct UnaryFn {  // TG_UNARY_OPS, every dtype
  UnaryOpId op;
  OpParams params;
  template <class T> TG_HD T operator()(T x) const {
    const double* p = params.v;
    (void)p;  // (families whose ops take no parameters)
    switch (op) {
#define TG_CASE(name, F, ARGS) \
  case UnaryOpId::name: return TG_MAKE(F, ARGS)(x);
      TG_UNARY_OPS(TG_CASE)
#undef TG_CASE
      default: return x;  // unreachable: unary() only passes TG_UNARY_OPS here
    }
  }
};

struct UnaryIntFn {  // TG_UNARY_INT_OPS, bool and integer dtypes only
  UnaryOpId op;
  OpParams params;
  template <class T> TG_HD T operator()(T x) const {
    const double* p = params.v;
    (void)p;  // (families whose ops take no parameters)
    switch (op) {
#define TG_CASE(name, F, ARGS) \
  case UnaryOpId::name: return TG_MAKE(F, ARGS)(x);
      TG_UNARY_INT_OPS(TG_CASE)
#undef TG_CASE
      default: return x;  // unreachable: unary() only passes TG_UNARY_INT_OPS here
    }
  }
};

bool is_int_op(UnaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) \
  case UnaryOpId::name: return true;
    TG_UNARY_INT_OPS(TG_CASE)
#undef TG_CASE
    default: return false;
  }
}

// logical_not: x == 0, any input dtype, bool output (a named functor because
// device lambdas would need --extended-lambda).
struct LogicalNotOp {
  template <class T> TG_HD bool operator()(T x) const { return x == T(0); }
};

bool is_float_op(UnaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) \
  case UnaryOpId::name: return true;
    TG_UNARY_FLOAT_OPS(TG_CASE)
    TG_UNARY_FLOATING_OPS(TG_CASE)
#undef TG_CASE
    default: return false;
  }
}

bool is_any_op(UnaryOpId op) {
  switch (op) {
#define TG_CASE(name, F, ARGS) \
  case UnaryOpId::name: return true;
    TG_UNARY_OPS(TG_CASE)
#undef TG_CASE
    default: return false;
  }
}

}  // namespace

void unary(UnaryOpId op, ElementwiseIter& it, const OpParams& params) {
  if (op == UnaryOpId::logical_not) {
    TG_DISPATCH(it.dtypes[1], "logical_not",
                [&] { launch_elementwise<bool, scalar_t>(it, LogicalNotOp{}, "logical_not"); });
    return;
  }
  if (is_float_op(op)) {
    TG_DISPATCH_FLOAT(it.dtypes[0], "unary",
                      [&] { launch_elementwise<scalar_t, scalar_t>(it, UnaryFloatFn{op, params}, "unary"); });
    return;
  }
  if (is_int_op(op)) {
    TG_DISPATCH_INTEGRAL(it.dtypes[0], "bitwise",
                         [&] { launch_elementwise<scalar_t, scalar_t>(it, UnaryIntFn{op, params}, "bitwise"); });
    return;
  }
  TG_CHECK(is_any_op(op), "unary: unknown op ", int(op));
  TG_DISPATCH(it.dtypes[0], "unary", [&] { launch_elementwise<scalar_t, scalar_t>(it, UnaryFn{op, params}, "unary"); });
}

void clamp(const ClampOp& f, ElementwiseIter& it) {
  TG_DISPATCH(it.dtypes[0], "clamp", [&] { launch_elementwise<scalar_t, scalar_t>(it, f, "clamp"); });
}

void leaky_relu(const LeakyReluOp& f, ElementwiseIter& it) {
  TG_DISPATCH_FLOAT(it.dtypes[0], "leaky_relu", [&] { launch_elementwise<scalar_t, scalar_t>(it, f, "leaky_relu"); });
}

}  // namespace tg::cuda
