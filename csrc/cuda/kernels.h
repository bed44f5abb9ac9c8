// CUDA kernel entry points: the same signatures as the CPU ones (cpu/kernels.h)
// so the op front end dispatches on the device alone. Without a CUDA build,
// cuda/unavailable.cpp defines them to throw.
#pragma once
#include <string>
#include "../cpu/kernels.h"
#include "../ops/scan.h"
#include "gemm_batch.h"

namespace tg::cuda {
TG_CPU_KERNELS
void index_get(ElementwiseIter& it, int nindex, const int64_t* index_strides);
void index_put(ElementwiseIter& it, int nindex, const int64_t* index_strides, bool accumulate);
void fill_random(const Tensor& t, int kind, double a, double b, uint64_t seed, uint64_t offset);
// frexp (cpu/kernels.h's signature; x, mantissa and exponent contiguous on one GPU)
template <class T> void frexp(const T* x, T* mantissa, int32_t* exponent, int64_t n);
// The registry's scans (cpu/scan.h's signature).
void scan(ScanOpId op, const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n,
          int64_t inner);
// The GEMMs: cpu/gemm.h's semantics, A, B and C the bases of problem 0 of `batch` (gemm_batch.h; default: the
// single GEMM). A batch runs in one launch (one per 65535 problems), every problem through the kernel its
// shape alone would take (tile / tensor-core, vector, one warp per element: all take a batch).
template <class T>
void gemm(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb,
          T* C, int64_t rsc, int64_t csc, bool accumulate, const GemmBatch& batch = {});
// gemm<float> allowed to round its inputs to TF32 and use tensor cores (sm_80+):
// torch.backends.cuda.matmul.allow_tf32.
void gemm_tf32(int64_t M, int64_t N, int64_t K, const float* A, int64_t rsa, int64_t csa, const float* B, int64_t rsb,
               int64_t csb, float* C, int64_t rsc, int64_t csc, bool accumulate, const GemmBatch& batch = {});
// float16 / bfloat16 GEMM on tensor cores (sm_80+): 16-bit A, B and C (dtype), float32 accumulation and one
// rounding of C (+ C when accumulating) to dtype. Returns false, doing nothing, where the float32 GEMM on
// widened operands should run instead: a GPU without them, or an output too small or thin for 128 x 128 tiles.
bool gemm_reduced(DType dtype, int64_t M, int64_t N, int64_t K, const void* A, int64_t rsa, int64_t csa, const void* B,
                  int64_t rsb, int64_t csb, void* C, int64_t rsc, int64_t csc, bool accumulate,
                  const GemmBatch& batch = {});
// float16 / bfloat16 A and B (E) with float32 accumulation at any size (conv2d's GEMMs): C of E (C + A @ B
// formed in float32 when accumulating, one rounding) or of float (sums kept in float32 across calls). The
// tensor-core kernel where gemm_reduced would take it, else the vector and one-warp-per-element kernels on the
// 16-bit operands. Instantiated for E in {Half, BFloat16} and OutT in {E, float}.
template <class E, class OutT>
void gemm_16bit(int64_t M, int64_t N, int64_t K, const E* A, int64_t rsa, int64_t csa, const E* B, int64_t rsb,
                int64_t csb, OutT* C, int64_t rsc, int64_t csc, bool accumulate, const GemmBatch& batch = {});
// dst and src contiguous, same dtype and numel, at least one on a GPU; queued on the current stream. A copy
// with the host waits for it unless non_blocking (then only a copy to pinned host memory returns early).
void copy_between_devices(const Tensor& dst, const Tensor& src, bool non_blocking = false);

bool is_built();
int runtime_version();  // CUDART_VERSION the extension was compiled with (e.g. 13000), 0 without CUDA
int device_count();     // 0 when there is no driver or device, or CUDA failed to initialize
// Why device_count() is 0: "" when CUDA initialized (or was not built), else torch's explanation
// ("No CUDA GPUs are available", "Found no NVIDIA driver ...", "The NVIDIA driver on your system is too old ...").
std::string init_error();
// Whether that is a broken set-up (an old driver, a failed initialization: torch warns "CUDA initialization: ...")
// rather than the plain absence of a driver or a GPU.
bool init_failed();
void synchronize();

// torch.cuda.get_device_properties: queried once per device; throws for an
// ordinal outside [0, device_count()), with init_error() as the message when there is no GPU.
struct DeviceProperties {
  std::string name;
  int64_t total_memory = 0;  // bytes
  int major = 0, minor = 0, multi_processor_count = 0;
};
const DeviceProperties& device_properties(int device);
}  // namespace tg::cuda

// Runs a kernel on a tensor's device: tg::cuda::fn for a CUDA device, else
// tg::cpu::fn (the two share signatures; the CUDA ones throw when CUDA was not built).
#define TG_ON_DEVICE(dev, fn, ...) ((dev).is_cuda() ? ::tg::cuda::fn(__VA_ARGS__) : ::tg::cpu::fn(__VA_ARGS__))
