// Elementwise CPU kernels: each op of the lists in ops/elementwise.h, for each
// dtype, over the strided loops of loops.h. Compiled once per ISA.
#include "isa.h"
#include "kernels.h"
#include "loops.h"

namespace tg::cpu::TG_ISA {

void unary(UnaryOpId op, ElementwiseIter& it, const OpParams& params) {
  const double* p = params.v;  // the X-macro items construct their functors from p[i]
  // The front end has already chosen the dtype: operands 0 and 1 agree (except logical_not -> bool).
  if (op == UnaryOpId::logical_not) {
    TG_DISPATCH(it.dtypes[1], "logical_not",
                [&] { map1<bool, scalar_t>(it, [](scalar_t x) { return x == scalar_t(0); }); });
    return;
  }
  switch (op) {
#define TG_FLOAT_CASE(name, F, ARGS)                                                                 \
  case UnaryOpId::name:                                                                              \
    TG_DISPATCH_FLOAT(it.dtypes[0], #name, [&] { map1<scalar_t, scalar_t>(it, TG_MAKE(F, ARGS)); }); \
    return;
    TG_UNARY_FLOAT_OPS(TG_FLOAT_CASE)
    TG_UNARY_FLOATING_OPS(TG_FLOAT_CASE)
#undef TG_FLOAT_CASE
#define TG_ANY_CASE(name, F, ARGS)                                                             \
  case UnaryOpId::name:                                                                        \
    TG_DISPATCH(it.dtypes[0], #name, [&] { map1<scalar_t, scalar_t>(it, TG_MAKE(F, ARGS)); }); \
    return;
    TG_UNARY_OPS(TG_ANY_CASE)
#undef TG_ANY_CASE
#define TG_INT_CASE(name, F, ARGS)                                                                      \
  case UnaryOpId::name:                                                                                 \
    TG_DISPATCH_INTEGRAL(it.dtypes[0], #name, [&] { map1<scalar_t, scalar_t>(it, TG_MAKE(F, ARGS)); }); \
    return;
    TG_UNARY_INT_OPS(TG_INT_CASE)
#undef TG_INT_CASE
    default: throw Error("unary: unknown op");
  }
}

namespace {
template <class F> void binary_arith(const F& f, ElementwiseIter& it, const char* name) {
  if constexpr (is_float_only<F>::value)
    TG_DISPATCH_FLOAT(it.dtypes[1], name, [&] { map2<scalar_t, scalar_t, scalar_t>(it, f); });
  else TG_DISPATCH(it.dtypes[1], name, [&] { map2<scalar_t, scalar_t, scalar_t>(it, f); });
}
}  // namespace

namespace {
// fmod on float32 rows with a contiguous (or scalar) divisor: math::fmodf_exact's one-step form over each block
// of 256 where every |a| < 2^48 |b| (a vectorized check: nearly always true), its full six steps elsewhere.
template <int64_t kStrideB> void fmod_float_rows(float* o, const float* a, const float* b, int64_t n) {
  constexpr int64_t kBlock = 256;
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t m = std::min(kBlock, n - i0);
    float* ob = o + i0;
    const float* ab = a + i0;
    const float* bb = b + i0 * kStrideB;
    int large = 0;  // (NaN and infinities count as large: both forms give the same there)
    for (int64_t i = 0; i < m; ++i)
      large |= !(std::fabs(double(ab[i])) < std::fabs(double(bb[i * kStrideB])) * 281474976710656.0);
    if (large)
      for (int64_t i = 0; i < m; ++i) ob[i] = math::fmodf_exact<6>(ab[i], bb[i * kStrideB]);
    else
      for (int64_t i = 0; i < m; ++i) ob[i] = math::fmodf_exact<1>(ab[i], bb[i * kStrideB]);
  }
}

void fmod_float(ElementwiseIter& it) {
  for_each_row(it, [&](char* const* p, const int64_t* s, int64_t n) {
    float* o = reinterpret_cast<float*>(p[0]);
    const float* a = reinterpret_cast<const float*>(p[1]);
    const float* b = reinterpret_cast<const float*>(p[2]);
    if (s[0] == 4 && s[1] == 4 && s[2] == 4) {
      fmod_float_rows<1>(o, a, b, n);
    } else if (s[0] == 4 && s[1] == 4 && s[2] == 0) {
      fmod_float_rows<0>(o, a, b, n);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<float*>(p[0] + i * s[0]) = FmodOp{}(*reinterpret_cast<const float*>(p[1] + i * s[1]),
                                                              *reinterpret_cast<const float*>(p[2] + i * s[2]));
    }
  });
}
}  // namespace

void binary(BinaryOpId op, ElementwiseIter& it, const OpParams& params) {
  const double* p = params.v;
#if defined(__FMA__)  // (fmodf_exact needs a hardware fma)
  if (op == BinaryOpId::fmod && it.dtypes[1] == DType::Float32) return fmod_float(it);
#endif
  switch (op) {
#define TG_BIN_CASE(name, F, ARGS) \
  case BinaryOpId::name: binary_arith(TG_MAKE(F, ARGS), it, #name); return;
    TG_BINARY_OPS(TG_BIN_CASE)
#undef TG_BIN_CASE
#define TG_CMP_CASE(name, F, ARGS)                                                                   \
  case BinaryOpId::name:                                                                             \
    TG_DISPATCH(it.dtypes[1], #name, [&] { map2<bool, scalar_t, scalar_t>(it, TG_MAKE(F, ARGS)); }); \
    return;
    TG_COMPARE_OPS(TG_CMP_CASE)
#undef TG_CMP_CASE
#define TG_INT_CASE(name, F, ARGS)                                                                                \
  case BinaryOpId::name:                                                                                          \
    TG_DISPATCH_INTEGRAL(it.dtypes[1], #name, [&] { map2<scalar_t, scalar_t, scalar_t>(it, TG_MAKE(F, ARGS)); }); \
    return;
    TG_BINARY_INT_OPS(TG_INT_CASE)
#undef TG_INT_CASE
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
        *reinterpret_cast<scalar_t*>(p[0] + i * s[0]) = *reinterpret_cast<const bool*>(p[1] + i * s[1])
                                                            ? *reinterpret_cast<const scalar_t*>(p[2] + i * s[2])
                                                            : *reinterpret_cast<const scalar_t*>(p[3] + i * s[3]);
    });
  });
}

namespace {
// out[i, j] = in[i, j] where `in` is transposed (stride 1 on the outer dim):
// 32x32 tiles keep both the reads and the writes within a few cache lines.
template <class Out, class In> bool transpose_copy(ElementwiseIter& it) {
  if (it.ndim != 2 || it.strides[0][1] != int64_t(sizeof(Out)) || it.strides[1][0] != int64_t(sizeof(In)) ||
      it.numel < 4096)
    return false;
  const int64_t R = it.shape[0], C = it.shape[1];
  const int64_t os = it.strides[0][0], is = it.strides[1][1];
  constexpr int64_t kTile = 32;
  const int64_t tiles_c = (C + kTile - 1) / kTile;
  parallel_for(0, ((R + kTile - 1) / kTile) * tiles_c, 4, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t r0 = (t / tiles_c) * kTile, c0 = (t % tiles_c) * kTile;
      int64_t r1 = std::min(R, r0 + kTile), c1 = std::min(C, c0 + kTile);
      for (int64_t r = r0; r < r1; ++r) {
        Out* o = reinterpret_cast<Out*>(it.data[0] + r * os);
        const char* in = it.data[1] + r * int64_t(sizeof(In));
        for (int64_t c = c0; c < c1; ++c) o[c] = static_cast<Out>(*reinterpret_cast<const In*>(in + c * is));
      }
    }
  });
  return true;
}
}  // namespace

namespace {
template <class Out, class In> void convert_copy(ElementwiseIter& it) {
  map1<Out, In>(it, [](In x) { return convert<Out>(x); });
}
// A narrow dtype (int8, int16, float16, bfloat16) to or from its compute dtype, or to itself (as bits);
// false for other pairs (the front end converts those through the compute dtype: core/ops.cpp).
bool narrow_copy(ElementwiseIter& it) {
  DType o = it.dtypes[0], i = it.dtypes[1];
  if (o == i) {
    if (itemsize(o) == 1) convert_copy<uint8_t, uint8_t>(it);
    else if (!transpose_copy<uint16_t, uint16_t>(it)) convert_copy<uint16_t, uint16_t>(it);
    return true;
  }
  auto pair = [&](DType a, DType b) { return o == a && i == b; };
  if (pair(DType::Float16, DType::Float32)) convert_copy<Half, float>(it);
  else if (pair(DType::Float32, DType::Float16)) convert_copy<float, Half>(it);
  else if (pair(DType::BFloat16, DType::Float32)) convert_copy<BFloat16, float>(it);
  else if (pair(DType::Float32, DType::BFloat16)) convert_copy<float, BFloat16>(it);
  else if (pair(DType::Int8, DType::Int32)) convert_copy<int8_t, int32_t>(it);
  else if (pair(DType::Int32, DType::Int8)) convert_copy<int32_t, int8_t>(it);
  else if (pair(DType::Int16, DType::Int32)) convert_copy<int16_t, int32_t>(it);
  else if (pair(DType::Int32, DType::Int16)) convert_copy<int32_t, int16_t>(it);
  else return false;
  return true;
}
}  // namespace

void copy(ElementwiseIter& it) {
  if (is_narrow(it.dtypes[0]) || is_narrow(it.dtypes[1])) {
    if (!narrow_copy(it)) throw_dtype_error("copy", nullptr, is_narrow(it.dtypes[0]) ? it.dtypes[0] : it.dtypes[1]);
    return;
  }
  if (it.dtypes[0] == it.dtypes[1] && it.dtypes[0] != DType::Bool) {
    bool done = TG_DISPATCH(it.dtypes[0], "copy", [&] { return transpose_copy<scalar_t, scalar_t>(it); });
    if (done) return;
  }
  TG_DISPATCH(it.dtypes[0], "copy", [&] {
    using out_t = scalar_t;
    TG_DISPATCH(it.dtypes[1], "copy", [&] {
      if constexpr (std::is_same_v<out_t, bool>) map1<bool, scalar_t>(it, [](scalar_t x) { return x != scalar_t(0); });
      else map1<out_t, scalar_t>(it, [](scalar_t x) { return static_cast<out_t>(x); });
    });
  });
}

}  // namespace tg::cpu::TG_ISA
