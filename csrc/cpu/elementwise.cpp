// Elementwise CPU kernels: each op of the lists in ops/elementwise.h, for each
// dtype, over the strided loops of loops.h. Compiled once per ISA.
#include "isa.h"
#include "kernels.h"
#include "loops.h"

namespace tg::cpu::TG_ISA {

void unary(UnaryOpId op, ElementwiseIter& it) {
  // The front end has already chosen the dtype: operands 0 and 1 agree (except logical_not -> bool).
  if (op == UnaryOpId::logical_not) {
    TG_DISPATCH(it.dtypes[1], "logical_not", [&] {
      map1<bool, scalar_t>(it, [](scalar_t x) { return x == scalar_t(0); });
    });
    return;
  }
  switch (op) {
#define TG_FLOAT_CASE(name, F) \
  case UnaryOpId::name: TG_DISPATCH_FLOAT(it.dtypes[0], #name, [&] { map1<scalar_t, scalar_t>(it, F{}); }); return;
    TG_UNARY_FLOAT_OPS(TG_FLOAT_CASE)
#undef TG_FLOAT_CASE
#define TG_ANY_CASE(name, F) \
  case UnaryOpId::name: TG_DISPATCH(it.dtypes[0], #name, [&] { map1<scalar_t, scalar_t>(it, F{}); }); return;
    TG_UNARY_OPS(TG_ANY_CASE)
#undef TG_ANY_CASE
    default: throw Error("unary: unknown op");
  }
}

void binary(BinaryOpId op, ElementwiseIter& it) {
  switch (op) {
#define TG_BIN_CASE(name, F) \
  case BinaryOpId::name: \
    TG_DISPATCH(it.dtypes[1], #name, [&] { map2<scalar_t, scalar_t, scalar_t>(it, F{}); }); return;
    TG_BINARY_OPS(TG_BIN_CASE)
#undef TG_BIN_CASE
#define TG_CMP_CASE(name, F) \
  case BinaryOpId::name: TG_DISPATCH(it.dtypes[1], #name, [&] { map2<bool, scalar_t, scalar_t>(it, F{}); }); return;
    TG_COMPARE_OPS(TG_CMP_CASE)
#undef TG_CMP_CASE
  }
}

void clamp(const ClampOp& f, ElementwiseIter& it) {
  TG_DISPATCH(it.dtypes[0], "clamp", [&] { map1<scalar_t, scalar_t>(it, f); });
}

void leaky_relu(const LeakyReluOp& f, ElementwiseIter& it) {
  TG_DISPATCH_FLOAT(it.dtypes[0], "leaky_relu", [&] { map1<scalar_t, scalar_t>(it, f); });
}

void where(ElementwiseIter& it) {
  TG_DISPATCH(it.dtypes[0], "where", [&] {
    for_each_row(it, [&](char* const* p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<scalar_t*>(p[0] + i * s[0]) =
            *reinterpret_cast<const bool*>(p[1] + i * s[1]) ? *reinterpret_cast<const scalar_t*>(p[2] + i * s[2])
                                                            : *reinterpret_cast<const scalar_t*>(p[3] + i * s[3]);
    });
  });
}

void copy(ElementwiseIter& it) {
  TG_DISPATCH(it.dtypes[0], "copy", [&] {
    using out_t = scalar_t;
    TG_DISPATCH(it.dtypes[1], "copy", [&] {
      if constexpr (std::is_same_v<out_t, bool>)
        map1<bool, scalar_t>(it, [](scalar_t x) { return x != scalar_t(0); });
      else
        map1<out_t, scalar_t>(it, [](scalar_t x) { return static_cast<out_t>(x); });
    });
  });
}

}  // namespace tg::cpu::TG_ISA
