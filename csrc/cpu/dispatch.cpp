// Picks the best copy of the CPU kernels the processor runs: AVX-512
// (F/DQ/BW/VL), else AVX2/FMA, else the portable copy. TG_CPU_ISA=avx2 or
// TG_CPU_ISA=base asks for a lower one (never a higher one than the CPU has).
#include <cstdlib>
#include <cstring>
#include "gemm.h"
#include "kernels.h"

namespace tg::cpu {

namespace {
Isa detect() {
  Isa best = Isa::base;
#if defined(TG_HAVE_AVX2_KERNELS)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::avx2;
#endif
#if defined(TG_HAVE_AVX512_KERNELS)
  if (best == Isa::avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    best = Isa::avx512;
#endif
  const char* env = std::getenv("TG_CPU_ISA");
  if (env && std::strcmp(env, "base") == 0) return Isa::base;
  if (env && std::strcmp(env, "avx2") == 0 && best == Isa::avx512) return Isa::avx2;
  return best;
}
}  // namespace

Isa isa() {
  static const Isa v = detect();
  return v;
}

const char* isa_name(Isa i) {
  switch (i) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "base";
  }
}

#if defined(TG_HAVE_AVX512_KERNELS)
#define TG_PICK(fn, ...) \
  (isa() == Isa::avx512 ? avx512::fn(__VA_ARGS__) : isa() == Isa::avx2 ? avx2::fn(__VA_ARGS__) : base::fn(__VA_ARGS__))
#elif defined(TG_HAVE_AVX2_KERNELS)
#define TG_PICK(fn, ...) (isa() == Isa::avx2 ? avx2::fn(__VA_ARGS__) : base::fn(__VA_ARGS__))
#else
#define TG_PICK(fn, ...) base::fn(__VA_ARGS__)
#endif

void unary(UnaryOpId op, ElementwiseIter& it, const OpParams& p) { TG_PICK(unary, op, it, p); }
void binary(BinaryOpId op, ElementwiseIter& it, const OpParams& p) { TG_PICK(binary, op, it, p); }
void clamp(const ClampOp& f, ElementwiseIter& it) { TG_PICK(clamp, f, it); }
void leaky_relu(const LeakyReluOp& f, ElementwiseIter& it) { TG_PICK(leaky_relu, f, it); }
void where(ElementwiseIter& it) { TG_PICK(where, it); }
void copy(ElementwiseIter& it) { TG_PICK(copy, it); }
void reduce(ReduceOpId op, ReduceIter& r) { TG_PICK(reduce, op, r); }
void arg_reduce(bool is_max, ReduceIter& r) { TG_PICK(arg_reduce, is_max, r); }
void optim_step(OptimStepId op, ElementwiseIter& it, const OptimHyper& h) { TG_PICK(optim_step, op, it, h); }

#define TG_DECLARE_GEMM(ns)                                                                                          \
  namespace ns {                                                                                                     \
  template <class T>                                                                                                 \
  void gemm(int64_t, int64_t, int64_t, const T*, int64_t, int64_t, const T*, int64_t, int64_t, T*, int64_t, int64_t, \
            bool);                                                                                                   \
  }
TG_DECLARE_GEMM(avx512)
TG_DECLARE_GEMM(avx2)
TG_DECLARE_GEMM(base)

template <class T>
void gemm(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb,
          T* C, int64_t rsc, int64_t csc, bool accumulate) {
  TG_PICK(gemm<T>, M, N, K, A, rsa, csa, B, rsb, csb, C, rsc, csc, accumulate);
}
template void gemm<float>(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t,
                          float*, int64_t, int64_t, bool);
template void gemm<double>(int64_t, int64_t, int64_t, const double*, int64_t, int64_t, const double*, int64_t, int64_t,
                           double*, int64_t, int64_t, bool);

}  // namespace tg::cpu
