// Picks the AVX2/FMA copy of the CPU kernels when the processor has it (and
// TG_CPU_ISA=base does not ask for the portable one), else the portable copy.
#include <cstdlib>
#include <cstring>
#include "gemm.h"
#include "kernels.h"

namespace tg::cpu {

bool using_avx2() {
  static const bool v = [] {
#if defined(TG_HAVE_AVX2_KERNELS)
    const char* env = std::getenv("TG_CPU_ISA");
    if (env && std::strcmp(env, "base") == 0) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
  }();
  return v;
}

#if defined(TG_HAVE_AVX2_KERNELS)
#define TG_PICK(fn, ...) (using_avx2() ? avx2::fn(__VA_ARGS__) : base::fn(__VA_ARGS__))
#else
#define TG_PICK(fn, ...) base::fn(__VA_ARGS__)
#endif

void unary(UnaryOpId op, ElementwiseIter& it) { TG_PICK(unary, op, it); }
void binary(BinaryOpId op, ElementwiseIter& it) { TG_PICK(binary, op, it); }
void clamp(const ClampOp& f, ElementwiseIter& it) { TG_PICK(clamp, f, it); }
void leaky_relu(const LeakyReluOp& f, ElementwiseIter& it) { TG_PICK(leaky_relu, f, it); }
void where(ElementwiseIter& it) { TG_PICK(where, it); }
void copy(ElementwiseIter& it) { TG_PICK(copy, it); }
void reduce(ReduceOpId op, ReduceIter& r) { TG_PICK(reduce, op, r); }
void arg_reduce(bool is_max, ReduceIter& r) { TG_PICK(arg_reduce, is_max, r); }

namespace avx2 { template <class T> void gemm(int64_t, int64_t, int64_t, const T*, int64_t, int64_t, const T*, int64_t, int64_t, T*, int64_t, int64_t, bool); }
namespace base { template <class T> void gemm(int64_t, int64_t, int64_t, const T*, int64_t, int64_t, const T*, int64_t, int64_t, T*, int64_t, int64_t, bool); }

template <class T>
void gemm(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb,
          int64_t csb, T* C, int64_t rsc, int64_t csc, bool accumulate) {
  TG_PICK(gemm<T>, M, N, K, A, rsa, csa, B, rsb, csb, C, rsc, csc, accumulate);
}
template void gemm<float>(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t,
                          float*, int64_t, int64_t, bool);
template void gemm<double>(int64_t, int64_t, int64_t, const double*, int64_t, int64_t, const double*, int64_t,
                           int64_t, double*, int64_t, int64_t, bool);

}  // namespace tg::cpu
