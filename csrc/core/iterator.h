// ElementwiseIter: the one helper every elementwise kernel (CPU and CUDA) uses.
// It broadcasts the inputs to the output's shape (broadcast dims get stride 0),
// records per-operand byte strides, and merges dims that are laid out
// back-to-back so most kernels see a single contiguous dimension.
#pragma once
#include "tensor.h"

namespace tg {

constexpr int kMaxIterDims = 16;    // dims a kernel walks, after merging back-to-back dims
constexpr int kMaxTensorDims = 64;  // dims a tensor may have (torch's limit)
constexpr int kMaxOperands = 6;     // out + inputs (where: 3; index: src + 4 index tensors)

struct ElementwiseIter {
  int ndim = 0;  // after coalescing; shape[ndim-1] is innermost
  int nops = 0;  // operand 0 is the output
  int64_t numel = 0;
  int64_t shape[kMaxIterDims];
  int64_t strides[kMaxOperands][kMaxIterDims];  // bytes
  char* data[kMaxOperands];
  DType dtypes[kMaxOperands];
  // Bit o: input o is a one-element CPU tensor of a CUDA op (a Python number, a CPU 0-d tensor). Its
  // stride is 0 and data[o] is a host pointer: the CUDA kernels read the value on the host and pass it
  // by value as a kernel argument (torch's CPU-scalar operand), so no host-to-device copy is made.
  unsigned host_scalars = 0;

  // Every operand dense in the same order: one flat loop of numel elements,
  // where a 0-stride operand is a broadcast scalar.
  bool is_flat() const { return ndim <= 1; }
};

// A reduction over the inner block of a permuted view (the CPU and CUDA reduction kernels take it):
// out[o] = reduce_{r} in[keep(o) + red(r)], o over the kept dims (row-major,
// out contiguous), r over the reduced dims. Dims are outermost first.
struct ReduceIter {
  int nkeep = 0, nred = 0;
  int64_t keep_shape[kMaxIterDims], keep_strides[kMaxIterDims];  // input byte strides
  int64_t red_shape[kMaxIterDims], red_strides[kMaxIterDims];
  int64_t out_numel = 1, red_numel = 1;
  const char* in = nullptr;
  char* out = nullptr;           // contiguous, out_numel elements
  char* indices = nullptr;       // arg reductions: contiguous int64, out_numel
  DType dtype = DType::Float32;  // input dtype
};

// numpy broadcasting; ShapeError in torch's words on mismatch.
Shape broadcast_shapes(const Shape& a, const Shape& b);
// out must already have the broadcast shape of the inputs. Inputs share out's device, except that a CUDA
// op may take one-element CPU tensors (host_scalars above).
ElementwiseIter make_iter(const Tensor& out, std::initializer_list<Tensor> inputs);

}  // namespace tg
