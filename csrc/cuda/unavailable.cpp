// Built instead of the .cu sources when CUDA is off: every CUDA entry point
// raises the error a CPU-only torch build gives.
#include "allocator.h"
#include "kernels.h"
#include "nn_kernels.h"
#include "runtime_api.h"

namespace tg::cuda {
namespace {
[[noreturn]] void fail() { throw Error("Torch not compiled with CUDA enabled (tinygrad_ext was built without CUDA)"); }
}  // namespace

void unary(UnaryOpId, ElementwiseIter&, const OpParams&) { fail(); }
void binary(BinaryOpId, ElementwiseIter&, const OpParams&) { fail(); }
void clamp(const ClampOp&, ElementwiseIter&) { fail(); }
void leaky_relu(const LeakyReluOp&, ElementwiseIter&) { fail(); }
void where(ElementwiseIter&) { fail(); }
void copy(ElementwiseIter&) { fail(); }
void reduce(ReduceOpId, ReduceIter&) { fail(); }
void arg_reduce(bool, ReduceIter&) { fail(); }
void optim_step(OptimStepId, ElementwiseIter&, const OptimHyper&) { fail(); }
void index_get(ElementwiseIter&, int, const int64_t*) { fail(); }
void index_put(ElementwiseIter&, int, const int64_t*, bool) { fail(); }
void fill_random(const Tensor&, int, double, double, uint64_t, uint64_t) { fail(); }
template <class T> void frexp(const T*, T*, int32_t*, int64_t) { fail(); }
template void frexp<float>(const float*, float*, int32_t*, int64_t);
template void frexp<double>(const double*, double*, int32_t*, int64_t);
template <class T>
void gemm(int64_t, int64_t, int64_t, const T*, int64_t, int64_t, const T*, int64_t, int64_t, T*, int64_t, int64_t, bool,
          const GemmBatch&) {
  fail();
}
template void gemm<float>(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t,
                          float*, int64_t, int64_t, bool, const GemmBatch&);
template void gemm<double>(int64_t, int64_t, int64_t, const double*, int64_t, int64_t, const double*, int64_t, int64_t,
                           double*, int64_t, int64_t, bool, const GemmBatch&);
void copy_between_devices(const Tensor&, const Tensor&, bool) { fail(); }
bool is_built() { return false; }
int runtime_version() { return 0; }
int device_count() { return 0; }
std::string init_error() { return ""; }
bool init_failed() { return false; }
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
// (the stubs name their parameters, which they do not read)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define TG_FAIL_NN(name, params)                  \
  template <class T> void name params { fail(); } \
  TG_NN_INSTANTIATE(name, float) TG_NN_INSTANTIATE(name, double)
TG_NN_KERNELS(TG_FAIL_NN)
#undef TG_FAIL_NN
// the convolution's 16-bit entry points (core/nn_ops.cpp calls them on GPUs with tensor cores only)
TG_NN_INSTANTIATE(conv2d_forward, Half)
TG_NN_INSTANTIATE(conv2d_forward, BFloat16)
TG_NN_INSTANTIATE(conv2d_backward_input, Half)
TG_NN_INSTANTIATE(conv2d_backward_input, BFloat16)
TG_NN_INSTANTIATE(conv2d_backward_weight, Half)
TG_NN_INSTANTIATE(conv2d_backward_weight, BFloat16)
#pragma GCC diagnostic pop
}  // namespace tg::cuda

namespace tg::cuda {
void scan(ScanOpId, const Tensor&, const Tensor&, const Tensor&, int64_t, int64_t, int64_t) { fail(); }
void gemm_tf32(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t, float*,
               int64_t, int64_t, bool, const GemmBatch&) {
  fail();
}
bool gemm_reduced(DType, int64_t, int64_t, int64_t, const void*, int64_t, int64_t, const void*, int64_t, int64_t, void*,
                  int64_t, int64_t, bool, const GemmBatch&) {
  fail();
}
const DeviceProperties& device_properties(int) { fail(); }
}  // namespace tg::cuda

namespace tg::cuda {
std::vector<std::pair<std::string, int64_t>> counters() {
  return {{"host_syncs", 0},        {"memcpy_htod", 0},        {"memcpy_dtoh", 0},
          {"memcpy_async", 0},      {"device_synchronize", 0}, {"stream_synchronize", 0},
          {"event_synchronize", 0}, {"cuda_malloc", 0},        {"cuda_free", 0}};
}
std::pair<int64_t, int64_t> mem_get_info(int) { fail(); }
int64_t max_memory_reserved(int) { return 0; }
int64_t cuda_free_count() { return 0; }
uintptr_t current_stream_handle(int) { fail(); }
void set_current_stream(int, uintptr_t) { fail(); }
uintptr_t stream_from_pool(int, int) { fail(); }
bool stream_query(uintptr_t) { fail(); }
void stream_synchronize(uintptr_t) { fail(); }
void stream_wait_event(uintptr_t, uintptr_t) { fail(); }
void record_stream(const void*, uintptr_t) { fail(); }
int stream_priority(uintptr_t) { fail(); }
std::pair<int, int> stream_priority_range() { fail(); }
uintptr_t event_create(int, bool, bool) { fail(); }
void event_destroy(uintptr_t) noexcept {}
void event_record(uintptr_t, uintptr_t) { fail(); }
bool event_query(uintptr_t) { fail(); }
void event_synchronize(uintptr_t) { fail(); }
float event_elapsed_time(uintptr_t, uintptr_t) { fail(); }
// torch's error for pinning without a usable accelerator
std::shared_ptr<Storage> pinned_storage(int64_t) {
  throw Error("Cannot access accelerator device when none is available.");
}
bool is_pinned(const void*) { return false; }
uintptr_t kernel_load(const std::string&, const std::string&, int) { fail(); }
void kernel_launch(uintptr_t, const std::vector<int64_t>&, int64_t, int) { fail(); }
}  // namespace tg::cuda
