// Gather/scatter, random-fill and frexp kernels (memory-bound; one copy for all ISAs).
#include <cmath>
#include <cstring>
#include "kernels.h"
#include "loops.h"

namespace tg::cpu {
namespace {
template <int N> struct Bytes {
  char b[N];
};

template <class Elem> void get_impl(ElementwiseIter& it, int nindex, const int64_t* index_strides) {
  TG_ISA::for_each_row(it, [&](char* const* p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      int64_t off = 0;
      for (int k = 0; k < nindex; ++k)
        off += *reinterpret_cast<const int64_t*>(p[2 + k] + i * s[2 + k]) * index_strides[k];
      std::memcpy(p[0] + i * s[0], p[1] + i * s[1] + off, sizeof(Elem));
    }
  });
}
}  // namespace

void index_get(ElementwiseIter& it, int nindex, const int64_t* index_strides) {
  switch (itemsize(it.dtypes[0])) {
    case 1: get_impl<Bytes<1>>(it, nindex, index_strides); break;
    case 2: get_impl<Bytes<2>>(it, nindex, index_strides); break;
    case 4: get_impl<Bytes<4>>(it, nindex, index_strides); break;
    default: get_impl<Bytes<8>>(it, nindex, index_strides); break;
  }
}

void index_put(ElementwiseIter& it, int nindex, const int64_t* index_strides, bool accumulate) {
  TG_DISPATCH(it.dtypes[0], "index_put_", [&] {
    TG_ISA::for_each_row(
        it,
        [&](char* const* p, const int64_t* s, int64_t n) {
          for (int64_t i = 0; i < n; ++i) {
            int64_t off = 0;
            for (int k = 0; k < nindex; ++k)
              off += *reinterpret_cast<const int64_t*>(p[2 + k] + i * s[2 + k]) * index_strides[k];
            auto* dst = reinterpret_cast<scalar_t*>(p[0] + i * s[0] + off);
            scalar_t v = *reinterpret_cast<const scalar_t*>(p[1] + i * s[1]);
            if (accumulate) {
              if constexpr (std::is_same_v<scalar_t, bool>) *dst = *dst || v;
              else *dst = wrap_add(*dst, v);
            } else {
              *dst = v;
            }
          }
        },
        INT64_MAX);  // serial: repeated indices must not race
  });
}

template <class T> void frexp(const T* x, T* mantissa, int32_t* exponent, int64_t n) {
  parallel_for(0, n, TG_ISA::kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      // NOTE: C leaves the exponent of inf and NaN unspecified; torch's is 0 (and zero's is 0 in C too)
      int e = 0;
      mantissa[i] = std::isfinite(x[i]) && x[i] != 0 ? std::frexp(x[i], &e) : x[i];
      exponent[i] = e;
    }
  });
}
template void frexp(const float*, float*, int32_t*, int64_t);
template void frexp(const double*, double*, int32_t*, int64_t);

}  // namespace tg::cpu
