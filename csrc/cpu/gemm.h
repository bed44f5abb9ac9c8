// Strided GEMM: C = A @ B (+ C when accumulate). Every operand is addressed as
// X[i, j] = X[i * rs + j * cs], so transposed and sliced views need no copy
// (packing absorbs the strides). accumulate=false never reads C (it may hold
// garbage or NaN). K == 0 gives C = 0 (or leaves C unchanged when accumulating).
#pragma once
#include <cstdint>

namespace tg::cpu {

template <class T>
void gemm(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb,
          T* C, int64_t rsc, int64_t csc, bool accumulate);

// The same contract for uint8/int32/int64 (cpu/gemm_int.cpp): a plain loop, wrap-around on overflow.
template <class T>
void gemm_integer(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb,
                  int64_t csb, T* C, int64_t rsc, int64_t csc, bool accumulate);

}  // namespace tg::cpu
