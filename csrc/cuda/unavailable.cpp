// Built instead of the .cu sources when CUDA is off: every CUDA entry point
// raises the error a CPU-only torch build gives.
#include "allocator.h"
#include "kernels.h"

namespace tg::cuda {
namespace {
[[noreturn]] void fail() { throw Error("Torch not compiled with CUDA enabled (tinygrad_ext was built without CUDA)"); }
}  // namespace

void unary(UnaryOpId, ElementwiseIter&) { fail(); }
void binary(BinaryOpId, ElementwiseIter&) { fail(); }
void clamp(const ClampOp&, ElementwiseIter&) { fail(); }
void leaky_relu(const LeakyReluOp&, ElementwiseIter&) { fail(); }
void where(ElementwiseIter&) { fail(); }
void copy(ElementwiseIter&) { fail(); }
void reduce(ReduceOpId, ReduceIter&) { fail(); }
void arg_reduce(bool, ReduceIter&) { fail(); }
void index_get(ElementwiseIter&, int, const int64_t*) { fail(); }
void index_put(ElementwiseIter&, int, const int64_t*, bool) { fail(); }
void fill_random(const Tensor&, int, double, double, uint64_t, uint64_t) { fail(); }
template <class T>
void gemm(int64_t, int64_t, int64_t, const T*, int64_t, int64_t, const T*, int64_t, int64_t, T*, int64_t, int64_t,
          bool) { fail(); }
template void gemm<float>(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t,
                          float*, int64_t, int64_t, bool);
template void gemm<double>(int64_t, int64_t, int64_t, const double*, int64_t, int64_t, const double*, int64_t,
                           int64_t, double*, int64_t, int64_t, bool);
void copy_between_devices(const Tensor&, const Tensor&) { fail(); }
bool is_built() { return false; }
int device_count() { return 0; }
void synchronize() {}
int64_t memory_allocated(int) { return 0; }
int64_t max_memory_allocated(int) { return 0; }
int64_t memory_reserved(int) { return 0; }
void reset_peak_memory_stats(int) {}
void empty_cache() {}
int64_t cuda_malloc_count() { return 0; }
bool caching_enabled() { return false; }
void* allocate(int64_t, int) { fail(); }
void release(void*, int) noexcept {}
}  // namespace tg::cuda
