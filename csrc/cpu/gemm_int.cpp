// Integer GEMM (torch computes integer mm/bmm/matmul on the CPU). Wrap-around arithmetic as torch's:
// products and sums are formed in the unsigned type of the same width, so overflow is defined.
#include <algorithm>
#include <type_traits>

#include "gemm.h"
#include "parallel.h"

namespace tg::cpu {

template <class T>
void gemm_integer(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb,
                  int64_t csb, T* C, int64_t rsc, int64_t csc, bool accumulate) {
  using U = std::make_unsigned_t<T>;
  int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, N * K));
  parallel_for(0, M, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      for (int64_t j = 0; j < N; ++j) {
        T* c = C + i * rsc + j * csc;
        U acc = accumulate ? U(*c) : U(0);
        for (int64_t k = 0; k < K; ++k) acc += U(U(A[i * rsa + k * csa]) * U(B[k * rsb + j * csb]));
        *c = T(acc);
      }
    }
  });
}

template void gemm_integer<uint8_t>(int64_t, int64_t, int64_t, const uint8_t*, int64_t, int64_t, const uint8_t*,
                                    int64_t, int64_t, uint8_t*, int64_t, int64_t, bool);
template void gemm_integer<int32_t>(int64_t, int64_t, int64_t, const int32_t*, int64_t, int64_t, const int32_t*,
                                    int64_t, int64_t, int32_t*, int64_t, int64_t, bool);
template void gemm_integer<int64_t>(int64_t, int64_t, int64_t, const int64_t*, int64_t, int64_t, const int64_t*,
                                    int64_t, int64_t, int64_t*, int64_t, int64_t, bool);

}  // namespace tg::cpu
