// CPU kernel entry points. Each is compiled once per ISA (see isa.h); the
// tg::cpu:: versions declared by TG_CPU_KERNELS dispatch to the best copy.
#pragma once
#include "../core/generator.h"
#include "../core/iterator.h"
#include "../ops/elementwise.h"
#include "../ops/optim.h"
#include "../ops/reduce.h"

namespace tg {

namespace cpu {
#define TG_CPU_KERNELS                                                                   \
  void unary(UnaryOpId op, ElementwiseIter& it, const OpParams& params);                 \
  void binary(BinaryOpId op, ElementwiseIter& it, const OpParams& params);               \
  void clamp(const ClampOp& f, ElementwiseIter& it);                                     \
  void leaky_relu(const LeakyReluOp& f, ElementwiseIter& it);                            \
  void where(ElementwiseIter& it);                                                       \
  void copy(ElementwiseIter& it);              /* casts from operand 1's dtype to 0's */ \
  void reduce(ReduceOpId op, ReduceIter& r);   /* out: the functor's out_t */            \
  void arg_reduce(bool is_max, ReduceIter& r); /* values (input dtype) + indices */      \
  void optim_step(OptimStepId op, ElementwiseIter& it, const OptimHyper& h);

TG_CPU_KERNELS
namespace avx512 {
TG_CPU_KERNELS
}
namespace avx2 {
TG_CPU_KERNELS
}
namespace base {
TG_CPU_KERNELS
}

enum class Isa { base, avx2, avx512 };
Isa isa();                  // which copy the dispatcher picked
const char* isa_name(Isa);  // "base", "avx2", "avx512"
}  // namespace cpu
}  // namespace tg

namespace tg::cpu {
// Gather/scatter through an ElementwiseIter: operand 0 is the destination,
// 1 the source, 2.. the int64 index tensors. Each index k moves its pointer
// (the source for get, the destination for put) by index * index_strides[k]
// bytes. Indices are validated by the caller. put runs serially so repeated
// indices accumulate deterministically.
void index_get(ElementwiseIter& it, int nindex, const int64_t* index_strides);
void index_put(ElementwiseIter& it, int nindex, const int64_t* index_strides, bool accumulate);
// The CPU generator's fills (random.cpp), draw for draw as torch's CPU kernels: contiguous t gets the values of a
// tensor that is `dense` (contiguous, for torch's 16-at-a-time normal path) or not (one pair at a time).
void fill_random(const Tensor& t, int kind, double a, double b, CpuGenerator& g, bool dense);
void randperm(int64_t* p, int64_t n, CpuGenerator& g);  // torch's CPU randperm: 0..n-1 shuffled
double uniform_double(CpuGenerator& g);                 // torch's uniform double in [0, 1)
double poisson_double(double lam, CpuGenerator& g);     // torch's sample_poisson: one Poisson(lam) draw
// torch's _s_gamma_cpu: out[i] a standard Gamma(alpha[i]) draw (at least T's smallest normal), in order
template <class T> void standard_gamma(const T* alpha, T* out, int64_t n, CpuGenerator& g);
// torch's _s_binomial_cpu: out[i] a Binomial(count[i], prob[i]) draw, in order
template <class T> void binomial(const T* count, const T* prob, T* out, int64_t n, CpuGenerator& g);
// frexp (index.cpp): x[i] = mantissa[i] * 2^exponent[i] with |mantissa[i]| in [0.5, 1); zero, inf and NaN give
// themselves and exponent 0, as torch's
template <class T> void frexp(const T* x, T* mantissa, int32_t* exponent, int64_t n);
}  // namespace tg::cpu
