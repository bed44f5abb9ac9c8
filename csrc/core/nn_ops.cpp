// Neural-network ops front end (convolution, pooling, softmax, losses):
// validation in torch's words, output allocation, kernel call on the
// tensors' device.
#include "nn_ops.h"
#include <cmath>
#include "../cpu/nn_kernels.h"
#include "../cuda/kernels.h"
#include "../cuda/nn_kernels.h"
#include "ops.h"

namespace tg {

namespace {

struct Conv2dParams {
  Pair stride{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
};

struct Pool2dParams {
  Pair kernel{1, 1}, stride{1, 1}, padding{0, 0}, dilation{1, 1};
  bool ceil_mode = false;
};

}  // namespace

namespace {

// `t` (null for an absent bias or weight: nothing to check) must be on `ref`'s device.
void check_device(const Tensor& ref, const Tensor& t, const char* op) {
  if (t) check_same_device(ref, t, op);
}

void check_float(const Tensor& t, const char* op) {
  // torch has no integer kernel for these: NotImplementedError "<op>" not implemented for '<Type>'
  if (!is_floating(t->dtype)) throw_dtype_error(op, "a floating point (float32 or float64)", t->dtype);
}

// The integer kernels torch has on the CPU only: conv2d and max_pool2d for every integer type, avg_pool2d
// (int64_only) for int64. Runs f(scalar_t{}) for x's integer dtype; anything else raises torch's
// NotImplementedError naming `op`, as does a CUDA tensor (deliberate: our GPU kernels are floating only).
template <class F> void dispatch_cpu_integer(const Tensor& x, const char* op, bool int64_only, F f) {
  if (!x->device().is_cuda()) {
    switch (x->dtype) {
      case DType::UInt8:
        if (!int64_only) return f(uint8_t{});
        break;
      case DType::Int32:
        if (!int64_only) return f(int32_t{});
        break;
      case DType::Int64: return f(int64_t{});
      default: break;
    }
  }
  throw_dtype_error(op, x->device().is_cuda() ? "a floating point CUDA" : nullptr, x->dtype);
}

// Output size of a sliding window (conv, pooling). Computed in 128 bits: sizes, paddings, strides and
// dilations up to 2^63 cannot overflow it; a result beyond int64 is an error, not a wrapped size.
int64_t window_out_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  using i128 = __int128;
  i128 span = i128(in) + 2 * i128(pad) - i128(dilation) * (k - 1) - 1 + (ceil_mode ? i128(stride) - 1 : 0);
  i128 q = span / stride;
  if (span % stride != 0 && span < 0) --q;  // rounds toward negative infinity
  i128 out = q + 1;
  // the last window must start inside the input or the left padding
  if (ceil_mode && (out - 1) * stride >= i128(in) + pad) --out;
  TG_CHECK(out <= INT64_MAX, "window output size overflows int64 (input ", in, ", kernel ", k, ", padding ", pad,
           ", stride ", stride, ", dilation ", dilation, ")");
  return static_cast<int64_t>(out);
}

Tensor as_batched(const Tensor& t) { return t->dim() == 3 ? unsqueeze(t, 0) : t; }

ConvShape conv_shape(const Shape& in, const Shape& w, const Conv2dParams& p) {
  ConvShape s;
  s.N = in[0];
  s.C = in[1];
  s.H = in[2];
  s.W = in[3];
  s.O = w[0];
  s.kh = w[2];
  s.kw = w[3];
  s.sh = p.stride[0];
  s.sw = p.stride[1];
  s.ph = p.padding[0];
  s.pw = p.padding[1];
  s.dh = p.dilation[0];
  s.dw = p.dilation[1];
  s.G = p.groups;
  s.OH = window_out_size(s.H, s.kh, s.ph, s.sh, s.dh, false);
  s.OW = window_out_size(s.W, s.kw, s.pw, s.sw, s.dw, false);
  return s;
}

// Checks conv2d's arguments; `in` is the batched (4-D) input shape.
void check_conv(const Shape& in, const Shape& w, const Tensor& bias, const Conv2dParams& p) {
  TG_CHECK(w.size() == 4,
           "conv2d: expected a 4-dimensional weight (out_channels, in_channels / groups, kH, kW), "
           "but got weight of size ",
           w);
  for (int i = 0; i < 2; ++i) {
    TG_CHECK(p.stride[i] > 0, "non-positive stride is not supported");
    TG_CHECK(p.padding[i] >= 0, "negative padding is not supported");
    TG_CHECK(p.dilation[i] > 0, "dilation should be greater than zero");
  }
  TG_CHECK(p.groups > 0, "non-positive groups is not supported");
  TG_CHECK(w[0] % p.groups == 0, "Given groups=", p.groups, ", expected weight to be divisible by ", p.groups,
           " at dimension 0, but got weight of size ", w, " instead");
  TG_CHECK(in[1] == w[1] * p.groups, "Given groups=", p.groups, ", weight of size ", w, ", expected input", in,
           " to have ", w[1] * p.groups, " channels, but got ", in[1], " channels instead");
  if (bias)
    TG_CHECK(bias->dim() == 1 && bias->sizes[0] == w[0], "Given weight of size ", w,
             ", expected bias to be 1-dimensional with ", w[0], " elements, but got bias of size ", bias->sizes,
             " instead");
  using i128 = __int128;  // padded sizes and dilated kernels of huge arguments do not fit int64
  for (int i = 0; i < 2; ++i)
    TG_CHECK(p.padding[i] <= INT64_MAX / 4, "Given padding=", p.padding[i], " at dimension ", i,
             " , expected padding to be at most ", INT64_MAX / 4);
  const int64_t ph = in[2] + 2 * p.padding[0], pw = in[3] + 2 * p.padding[1];
  const i128 kh = i128(p.dilation[0]) * (w[2] - 1) + 1, kw = i128(p.dilation[1]) * (w[3] - 1) + 1;
  TG_CHECK(ph >= kh && pw >= kw, "Calculated padded input size per channel: (", ph, " x ", pw, "). Kernel size: (",
           static_cast<long double>(kh), " x ", static_cast<long double>(kw),
           "). Kernel size can't be greater than actual input size");
}

void check_conv_tensors(const Tensor& input, const Tensor& weight, const Tensor& bias, const char* op) {
  check_device(input, weight, op);
  check_device(input, bias, op);
  // torch's order and words: the bias first, then the weight
  if (bias)
    TG_CHECK(input->dtype == bias->dtype, "Input type (", cpp_type_name(input->dtype), ") and bias type (",
             cpp_type_name(bias->dtype), ") should be the same");
  TG_CHECK(input->dtype == weight->dtype, "expected scalar type ", type_name(input->dtype), " but found ",
           type_name(weight->dtype));
}

template <class T> const T* ptr(const Tensor& t) { return t ? t->data<T>() : nullptr; }

// float16/bfloat16 run these kernels in float32 (torch's CPU accumulates in float too): widened operands
// (`t` may be null: an absent bias or weight), the results rounded back to `dtype`.
Tensor widen_opt(const Tensor& t) { return t ? widen(t) : t; }
Tensor narrow_opt(const Tensor& t, DType dtype) { return t ? to_dtype(t, dtype) : t; }

// Except on a GPU with tensor cores (sm_80+), where the CUDA convolution runs on the 16-bit tensors themselves
// (float32 accumulation, one rounding: cuda/nn.cu).
bool conv_in_16bit(const Tensor& t) {
  return is_reduced_float(t->dtype) && t->device().is_cuda() && cuda::device_properties(t->device().index).major >= 8;
}

// f(T{}) for t's 16-bit dtype (Half or BFloat16).
template <class F> void dispatch_16bit(const Tensor& t, F f) {
  if (t->dtype == DType::Float16) f(Half{});
  else f(BFloat16{});
}

// -------------------------------------------------------------- convolution
// (on the parameter structs here; the front ends below take them loose)
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  TG_CHECK(input->dim() == 3 || input->dim() == 4,
           "Expected 3D (unbatched) or 4D (batched) input to conv2d, but "
           "got input of size: ",
           input->sizes);
  check_conv_tensors(input, weight, bias, "conv2d");
  if (is_narrow(input->dtype) && !conv_in_16bit(input))
    return to_dtype(conv2d(widen(input), widen(weight), widen_opt(bias), p), input->dtype);
  Tensor x = contiguous(as_batched(input));
  check_conv(x->sizes, weight->sizes, bias, p);
  ConvShape s = conv_shape(x->sizes, weight->sizes, p);
  Tensor out = empty({s.N, s.O, s.OH, s.OW}, x->dtype, x->device());
  if (out->numel()) {
    Tensor w = contiguous(weight), b = bias ? contiguous(bias) : nullptr;
    if (is_reduced_float(x->dtype)) {
      dispatch_16bit(x, [&](auto tag) {
        using T = decltype(tag);
        cuda::conv2d_forward<T>(s, x->data<T>(), w->data<T>(), ptr<T>(b), out->data<T>());
      });
    } else if (is_floating(x->dtype)) {
      TG_DISPATCH_FLOAT(x->dtype, "conv2d", [&] {
        TG_ON_DEVICE(x->device(), conv2d_forward<scalar_t>, s, x->data<scalar_t>(), w->data<scalar_t>(),
                     ptr<scalar_t>(b), out->data<scalar_t>());
      });
    } else {
      const bool dilated = p.dilation[0] != 1 || p.dilation[1] != 1;  // torch's dilated kernel: int64 only
      dispatch_cpu_integer(x, dilated ? "slow_conv_dilated<>" : "slow_conv2d_cpu", dilated, [&](auto tag) {
        using scalar_t = decltype(tag);
        cpu::conv2d_forward<scalar_t>(s, x->data<scalar_t>(), w->data<scalar_t>(), ptr<scalar_t>(b),
                                      out->data<scalar_t>());
      });
    }
  }
  return input->dim() == 3 ? squeeze(out, 0) : out;
}

// grad_output must have the output shape that input/weight/params give.
void check_conv_grad(const Tensor& gy, const Shape& in, const Shape& w, const Conv2dParams& p) {
  ConvShape s = conv_shape(in, w, p);
  Shape want{s.N, s.O, s.OH, s.OW};
  TG_CHECK(gy->sizes == want, "conv2d_backward: expected grad_output of size ", want, ", but got ", gy->sizes);
}

Tensor conv2d_backward_input(const Tensor& grad_output, const Tensor& weight, const Shape& input_sizes,
                             const Conv2dParams& p) {
  TG_CHECK(input_sizes.size() == 3 || input_sizes.size() == 4,
           "conv2d_backward: input sizes must have 3 or 4 "
           "dimensions, got ",
           input_sizes);
  check_conv_tensors(grad_output, weight, nullptr, "conv2d_backward");
  if (is_reduced_float(grad_output->dtype) && !conv_in_16bit(grad_output))
    return to_dtype(conv2d_backward_input(widen(grad_output), widen(weight), input_sizes, p), grad_output->dtype);
  Shape in = input_sizes;
  if (in.size() == 3) in.insert(in.begin(), 1);
  checked_numel(in, "conv2d_backward");
  check_conv(in, weight->sizes, nullptr, p);
  Tensor gy = contiguous(grad_output->dim() == 3 ? unsqueeze(grad_output, 0) : grad_output);
  check_conv_grad(gy, in, weight->sizes, p);
  ConvShape s = conv_shape(in, weight->sizes, p);
  Tensor gx = empty(in, gy->dtype, gy->device());
  if (gx->numel()) {
    if (gy->numel() == 0) {
      fill_(gx, Scalar::from_int(0));
    } else {
      Tensor w = contiguous(weight);
      if (is_reduced_float(gy->dtype)) {
        dispatch_16bit(gy, [&](auto tag) {
          using T = decltype(tag);
          cuda::conv2d_backward_input<T>(s, gy->data<T>(), w->data<T>(), gx->data<T>());
        });
      } else if (is_floating(gy->dtype)) {
        TG_DISPATCH_FLOAT(gy->dtype, "conv2d_backward", [&] {
          TG_ON_DEVICE(gy->device(), conv2d_backward_input<scalar_t>, s, gy->data<scalar_t>(), w->data<scalar_t>(),
                       gx->data<scalar_t>());
        });
      } else {  // integer conv_transpose2d (never a gradient: integer tensors do not require grad)
        dispatch_cpu_integer(gy, "slow_conv_transpose2d_out_cpu", true, [&](int64_t) {
          cpu::conv2d_backward_input<int64_t>(s, gy->data<int64_t>(), w->data<int64_t>(), gx->data<int64_t>());
        });
      }
    }
  }
  return input_sizes.size() == 3 ? squeeze(gx, 0) : gx;
}

Tensor conv2d_backward_weight(const Tensor& grad_output, const Tensor& input, const Shape& weight_sizes,
                              const Conv2dParams& p) {
  TG_CHECK(input->dim() == 3 || input->dim() == 4,
           "Expected 3D (unbatched) or 4D (batched) input to conv2d, but "
           "got input of size: ",
           input->sizes);
  check_float(grad_output, "conv2d_backward");
  check_conv_tensors(grad_output, input, nullptr, "conv2d_backward");
  if (is_reduced_float(input->dtype) && !conv_in_16bit(input))
    return to_dtype(conv2d_backward_weight(widen(grad_output), widen(input), weight_sizes, p), input->dtype);
  TG_CHECK(weight_sizes.size() == 4, "conv2d_backward: weight sizes must have 4 dimensions, got ", weight_sizes);
  checked_numel(weight_sizes, "conv2d_backward");
  Tensor x = contiguous(as_batched(input));
  check_conv(x->sizes, weight_sizes, nullptr, p);
  Tensor gy = contiguous(grad_output->dim() == 3 ? unsqueeze(grad_output, 0) : grad_output);
  check_conv_grad(gy, x->sizes, weight_sizes, p);
  ConvShape s = conv_shape(x->sizes, weight_sizes, p);
  Tensor gw = empty(weight_sizes, x->dtype, x->device());
  if (gw->numel()) {
    if (gy->numel() == 0) {
      fill_(gw, Scalar::from_int(0));
    } else if (is_reduced_float(x->dtype)) {
      dispatch_16bit(x, [&](auto tag) {
        using T = decltype(tag);
        cuda::conv2d_backward_weight<T>(s, gy->data<T>(), x->data<T>(), gw->data<T>());
      });
    } else {
      TG_DISPATCH_FLOAT(x->dtype, "conv2d_backward", [&] {
        TG_ON_DEVICE(x->device(), conv2d_backward_weight<scalar_t>, s, gy->data<scalar_t>(), x->data<scalar_t>(),
                     gw->data<scalar_t>());
      });
    }
  }
  return gw;
}

std::tuple<Tensor, Tensor, Tensor> conv2d_backward(const Tensor& grad_output, const Tensor& input, const Tensor& weight,
                                                   const Conv2dParams& p, std::array<bool, 3> mask) {
  Tensor gx, gw, gb;
  if (mask[0]) gx = conv2d_backward_input(grad_output, weight, input->sizes, p);
  if (mask[1]) gw = conv2d_backward_weight(grad_output, input, weight->sizes, p);
  if (mask[2]) {
    Tensor gy = grad_output->dim() == 3 ? unsqueeze(grad_output, 0) : grad_output;
    gb = reduce(ReduceOpId::sum, gy, {0, 2, 3}, false);
  }
  return {gx, gw, gb};
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, Pair stride, Pair padding, Pair dilation,
              int64_t groups) {
  return conv2d(input, weight, bias, Conv2dParams{stride, padding, dilation, groups});
}

std::tuple<Tensor, Tensor, Tensor> conv2d_backward(const Tensor& grad_output, const Tensor& input, const Tensor& weight,
                                                   Pair stride, Pair padding, Pair dilation, int64_t groups,
                                                   std::array<bool, 3> mask) {
  return conv2d_backward(grad_output, input, weight, Conv2dParams{stride, padding, dilation, groups}, mask);
}

Tensor conv2d_backward_input(const Tensor& grad_output, const Tensor& weight, const Shape& input_sizes, Pair stride,
                             Pair padding, Pair dilation, int64_t groups) {
  return conv2d_backward_input(grad_output, weight, input_sizes, Conv2dParams{stride, padding, dilation, groups});
}

Tensor conv2d_backward_weight(const Tensor& grad_output, const Tensor& input, const Shape& weight_sizes, Pair stride,
                              Pair padding, Pair dilation, int64_t groups) {
  return conv2d_backward_weight(grad_output, input, weight_sizes, Conv2dParams{stride, padding, dilation, groups});
}

// ------------------------------------------------------------------ pooling
namespace {
PoolShape pool_shape(const Shape& sizes, const Pool2dParams& p) {
  const int64_t nd = static_cast<int64_t>(sizes.size());
  bool ok = nd == 3 || nd == 4;
  for (int64_t d = nd - 3; ok && d < nd; ++d) ok = sizes[d] > 0;
  TG_CHECK(ok, "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:", sizes);
  TG_CHECK(p.kernel[0] > 0 && p.kernel[1] > 0, "kernel size should be greater than zero, but got kH: ", p.kernel[0],
           " kW: ", p.kernel[1]);
  TG_CHECK(p.stride[0] > 0 && p.stride[1] > 0, "stride should be greater than zero, but got dH: ", p.stride[0],
           " dW: ", p.stride[1]);
  TG_CHECK(p.dilation[0] > 0 && p.dilation[1] > 0,
           "dilation should be greater than zero, but got dilationH: ", p.dilation[0], " dilationW: ", p.dilation[1]);
  TG_CHECK(p.padding[0] >= 0 && p.padding[1] >= 0, "pad must be non-negative, but got padH: ", p.padding[0],
           " padW: ", p.padding[1]);
  for (int d = 0; d < 2; ++d) {  // torch checks the dilated window first (H, then W), then the plain kernel
    const int64_t half = ((p.kernel[d] - 1) * p.dilation[d] + 1) / 2;
    TG_CHECK(p.padding[d] <= half, "pad should be at most half of effective kernel size, but got pad=", p.padding[d],
             ", kernel_size=", p.kernel[d], " and dilation=", p.dilation[d]);
  }
  TG_CHECK(p.kernel[1] / 2 >= p.padding[1] && p.kernel[0] / 2 >= p.padding[0],
           "pad should be smaller than or equal to half of kernel size, but got padW = ", p.padding[1],
           ", padH = ", p.padding[0], ", kW = ", p.kernel[1], ", kH = ", p.kernel[0]);
  PoolShape s;
  const int64_t C = sizes[nd - 3];
  s.planes = C * (nd == 4 ? sizes[0] : 1);
  s.H = sizes[nd - 2];
  s.W = sizes[nd - 1];
  s.kh = p.kernel[0];
  s.kw = p.kernel[1];
  s.sh = p.stride[0];
  s.sw = p.stride[1];
  s.ph = p.padding[0];
  s.pw = p.padding[1];
  s.dh = p.dilation[0];
  s.dw = p.dilation[1];
  s.OH = window_out_size(s.H, s.kh, s.ph, s.sh, s.dh, p.ceil_mode);
  s.OW = window_out_size(s.W, s.kw, s.pw, s.sw, s.dw, p.ceil_mode);
  TG_CHECK(s.OH >= 1 && s.OW >= 1, "Given input size: (", C, "x", s.H, "x", s.W, "). Calculated output size: (", C, "x",
           s.OH, "x", s.OW, "). Output size is too small");
  return s;
}

Shape pool_out_sizes(const Shape& in, const PoolShape& s) {
  Shape out = in;
  out[out.size() - 2] = s.OH;
  out[out.size() - 1] = s.OW;
  return out;
}

std::pair<Tensor, Tensor> max_pool2d(const Tensor& input, const Pool2dParams& p) {
  if (is_narrow(input->dtype)) {  // int8/int16 as int32, float16/bfloat16 as float32
    auto [out, idx] = max_pool2d(widen(input), p);
    if (!is_floating(input->dtype)) {  // a window of padding only: the narrow type's lowest, as torch (not int32's)
      const bool int8 = input->dtype == DType::Int8;
      out = clamp(out, Scalar::from_int(int8 ? INT8_MIN : INT16_MIN), Scalar::from_int(int8 ? INT8_MAX : INT16_MAX));
    }
    return {to_dtype(out, input->dtype), idx};
  }
  if (!is_floating(input->dtype)) dispatch_cpu_integer(input, "max_pool2d", false, [](auto) {});
  PoolShape s = pool_shape(input->sizes, p);
  Tensor x = contiguous(input);
  Shape os = pool_out_sizes(x->sizes, s);
  Tensor out = empty(os, x->dtype, x->device());
  Tensor idx = empty(os, DType::Int64, x->device());
  if (out->numel()) {
    if (is_floating(x->dtype)) {
      TG_DISPATCH_FLOAT(x->dtype, "max_pool2d", [&] {
        TG_ON_DEVICE(x->device(), max_pool2d_forward<scalar_t>, s, x->data<scalar_t>(), out->data<scalar_t>(),
                     idx->data<int64_t>());
      });
    } else {
      dispatch_cpu_integer(x, "max_pool2d", false, [&](auto tag) {
        using scalar_t = decltype(tag);
        cpu::max_pool2d_forward<scalar_t>(s, x->data<scalar_t>(), out->data<scalar_t>(), idx->data<int64_t>());
      });
    }
  }
  return {out, idx};
}

}  // namespace

std::pair<Tensor, Tensor> max_pool2d(const Tensor& input, Pair kernel, Pair stride, Pair padding, Pair dilation,
                                     bool ceil_mode) {
  return max_pool2d(input, Pool2dParams{kernel, stride, padding, dilation, ceil_mode});
}

Tensor max_pool2d_backward(const Tensor& grad_output, const Tensor& indices, const Shape& input_sizes) {
  check_device(grad_output, indices, "max_pool2d_backward");
  check_float(grad_output, "max_pool2d_backward");
  if (is_reduced_float(grad_output->dtype))
    return to_dtype(max_pool2d_backward(widen(grad_output), indices, input_sizes), grad_output->dtype);
  TG_CHECK(indices->dtype == DType::Int64 && indices->sizes == grad_output->sizes && input_sizes.size() >= 3 &&
               grad_output->dim() == int64_t(input_sizes.size()),
           "max_pool2d_backward: expected int64 indices of grad_output's size ", grad_output->sizes,
           " for an input of size ", input_sizes);
  checked_numel(input_sizes, "max_pool2d_backward");
  const size_t nd = input_sizes.size();
  PoolShape s{};
  s.planes = 1;
  for (size_t d = 0; d + 2 < nd; ++d) s.planes *= input_sizes[d];
  s.H = input_sizes[nd - 2];
  s.W = input_sizes[nd - 1];
  s.OH = grad_output->sizes[nd - 2];
  s.OW = grad_output->sizes[nd - 1];
  s.kh = s.kw = 1;
  Tensor gy = contiguous(grad_output), idx = contiguous(indices);
  Tensor gx = empty(input_sizes, gy->dtype, gy->device());
  if (gx->numel()) {
    TG_DISPATCH_FLOAT(gy->dtype, "max_pool2d_backward", [&] {
      TG_ON_DEVICE(gy->device(), max_pool2d_backward<scalar_t>, s, gy->data<scalar_t>(), idx->data<int64_t>(),
                   gx->data<scalar_t>());
    });
  }
  return gx;
}

namespace {

Tensor avg_pool2d(const Tensor& input, const Pool2dParams& p, bool count_include_pad, int64_t divisor_override) {
  TG_CHECK(p.dilation[0] == 1 && p.dilation[1] == 1, "avg_pool2d: dilation is not supported");
  if (!is_floating(input->dtype)) dispatch_cpu_integer(input, "avg_pool2d", true, [](auto) {});
  if (is_reduced_float(input->dtype))
    return to_dtype(avg_pool2d(widen(input), p, count_include_pad, divisor_override), input->dtype);
  PoolShape s = pool_shape(input->sizes, p);
  Tensor x = contiguous(input);
  Tensor out = empty(pool_out_sizes(x->sizes, s), x->dtype, x->device());
  if (out->numel()) {
    if (is_floating(x->dtype)) {
      TG_DISPATCH_FLOAT(x->dtype, "avg_pool2d", [&] {
        TG_ON_DEVICE(x->device(), avg_pool2d_forward<scalar_t>, s, count_include_pad, divisor_override,
                     x->data<scalar_t>(), out->data<scalar_t>());
      });
    } else {
      cpu::avg_pool2d_forward<int64_t>(s, count_include_pad, divisor_override, x->data<int64_t>(),
                                       out->data<int64_t>());
    }
  }
  return out;
}

Tensor avg_pool2d_backward(const Tensor& grad_output, const Shape& input_sizes, const Pool2dParams& p,
                           bool count_include_pad, int64_t divisor_override) {
  checked_numel(input_sizes, "avg_pool2d_backward");
  check_float(grad_output, "avg_pool2d_backward");
  if (is_reduced_float(grad_output->dtype))
    return to_dtype(avg_pool2d_backward(widen(grad_output), input_sizes, p, count_include_pad, divisor_override),
                    grad_output->dtype);
  PoolShape s = pool_shape(input_sizes, p);
  TG_CHECK(grad_output->sizes == pool_out_sizes(input_sizes, s), "avg_pool2d_backward: expected grad_output of size ",
           pool_out_sizes(input_sizes, s), ", but got ", grad_output->sizes);
  Tensor gy = contiguous(grad_output);
  Tensor gx = empty(input_sizes, gy->dtype, gy->device());
  if (gx->numel()) {
    TG_DISPATCH_FLOAT(gy->dtype, "avg_pool2d_backward", [&] {
      TG_ON_DEVICE(gy->device(), avg_pool2d_backward<scalar_t>, s, count_include_pad, divisor_override,
                   gy->data<scalar_t>(), gx->data<scalar_t>());
    });
  }
  return gx;
}

}  // namespace

// (divisor_override: none, or the divisor replacing the window's size)
Tensor avg_pool2d(const Tensor& input, Pair kernel, Pair stride, Pair padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  return avg_pool2d(input, Pool2dParams{kernel, stride, padding, {1, 1}, ceil_mode}, count_include_pad,
                    divisor_override.value_or(0));
}

Tensor avg_pool2d_backward(const Tensor& grad_output, const Shape& input_sizes, Pair kernel, Pair stride, Pair padding,
                           bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override) {
  return avg_pool2d_backward(grad_output, input_sizes, Pool2dParams{kernel, stride, padding, {1, 1}, ceil_mode},
                             count_include_pad, divisor_override.value_or(0));
}

// ------------------------------------------------------------------ upsample
namespace {
// The kernel's shape for input_sizes (N, C, spatial...) resampled to output_size, checked in interpolate's terms.
UpsampleShape upsample_shape(const Shape& input_sizes, const Shape& output_size, const std::vector<double>& scales,
                             int64_t mode, bool align_corners, const char* op) {
  const size_t k = output_size.size();
  TG_CHECK(k >= 1 && k <= 3 && input_sizes.size() == k + 2, op, ": expected an input of ", k + 2, " dims (N, C and ", k,
           " spatial dims) for an output size of ", k, " dims, but got an input of size ", input_sizes,
           " and output size ", output_size);
  TG_CHECK(scales.size() == k, op, ": expected ", k, " scale factors (one per spatial dim), but got ", scales.size());
  TG_CHECK(mode >= kUpsampleNearest && mode <= kUpsampleLinear, op,
           ": mode must be 0 (nearest), 1 (nearest-exact) or 2 (linear), but got ", mode);
  UpsampleShape s{};
  s.planes = input_sizes[0] * input_sizes[1];
  s.dims = int64_t(k);
  for (size_t d = 0; d < 3; ++d) {
    const bool real = d >= 3 - k;
    s.in[d] = real ? input_sizes[2 + d - (3 - k)] : 1;
    s.out[d] = real ? output_size[d - (3 - k)] : 1;
    s.scale[d] = real ? scales[d - (3 - k)] : 0.0;
    TG_CHECK(s.in[d] > 0 && s.out[d] > 0, op, ": input and output sizes should be greater than 0, but got input ",
             input_sizes, " and output size ", output_size);
  }
  s.mode = int(mode);
  s.align_corners = align_corners;
  return s;
}
}  // namespace

Tensor upsample(const Tensor& input, const Shape& output_size, const std::vector<double>& scales, int64_t mode,
                bool align_corners) {
  check_float(input, "upsample");
  if (is_reduced_float(input->dtype))
    return to_dtype(upsample(widen(input), output_size, scales, mode, align_corners), input->dtype);
  const UpsampleShape s = upsample_shape(input->sizes, output_size, scales, mode, align_corners, "upsample");
  Shape out_sizes{input->sizes[0], input->sizes[1]};
  out_sizes.insert(out_sizes.end(), output_size.begin(), output_size.end());
  Tensor x = contiguous(input);
  Tensor out = empty(out_sizes, x->dtype, x->device());
  if (out->numel()) {
    TG_DISPATCH_FLOAT(x->dtype, "upsample", [&] {
      TG_ON_DEVICE(x->device(), upsample_forward<scalar_t>, s, x->data<scalar_t>(), out->data<scalar_t>());
    });
  }
  return out;
}

Tensor upsample_backward(const Tensor& grad_output, const Shape& input_sizes, const std::vector<double>& scales,
                         int64_t mode, bool align_corners) {
  check_float(grad_output, "upsample_backward");
  checked_numel(input_sizes, "upsample_backward");
  if (is_reduced_float(grad_output->dtype))
    return to_dtype(upsample_backward(widen(grad_output), input_sizes, scales, mode, align_corners),
                    grad_output->dtype);
  TG_CHECK(grad_output->dim() == int64_t(input_sizes.size()) && grad_output->dim() >= 3 &&
               grad_output->sizes[0] == input_sizes[0] && grad_output->sizes[1] == input_sizes[1],
           "upsample_backward: expected grad_output of the input's N and C and one size per spatial dim, but got ",
           grad_output->sizes, " for an input of size ", input_sizes);
  const Shape output_size(grad_output->sizes.begin() + 2, grad_output->sizes.end());
  const UpsampleShape s = upsample_shape(input_sizes, output_size, scales, mode, align_corners, "upsample_backward");
  Tensor gy = contiguous(grad_output);
  Tensor gx = empty(input_sizes, gy->dtype, gy->device());
  if (gx->numel()) {
    TG_DISPATCH_FLOAT(gy->dtype, "upsample_backward", [&] {
      TG_ON_DEVICE(gy->device(), upsample_backward<scalar_t>, s, gy->data<scalar_t>(), gx->data<scalar_t>());
    });
  }
  return gx;
}

// ------------------------------------------------------------------ softmax
namespace {
void softmax_dims(const Shape& sizes, int64_t dim, int64_t& outer, int64_t& D, int64_t& inner) {
  const int64_t nd = static_cast<int64_t>(sizes.size());
  outer = D = inner = 1;
  if (nd == 0) {
    wrap_dim(dim, 1);  // a 0-d tensor accepts dim 0 / -1
    return;
  }
  const int64_t d = wrap_dim(dim, nd);
  for (int64_t i = 0; i < d; ++i) outer *= sizes[i];
  D = sizes[d];
  for (int64_t i = d + 1; i < nd; ++i) inner *= sizes[i];
}
}  // namespace

Tensor softmax(const Tensor& input, int64_t dim, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  int64_t outer, D, inner;
  softmax_dims(input->sizes, dim, outer, D, inner);                            // (the dim is checked first, as torch's)
  if (input->numel() == 0 && !is_floating(input->dtype)) return clone(input);  // torch's: no kernel runs
  check_float(input, op);
  if (is_reduced_float(input->dtype)) return to_dtype(softmax(widen(input), dim, log), input->dtype);
  Tensor x = contiguous(input);
  Tensor out = empty(x->sizes, x->dtype, x->device());
  if (out->numel()) {
    TG_DISPATCH_FLOAT(x->dtype, op, [&] {
      TG_ON_DEVICE(x->device(), softmax_forward<scalar_t>, outer, D, inner, log, x->data<scalar_t>(),
                   out->data<scalar_t>());
    });
  }
  return out;
}

Tensor softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim, bool log) {
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  check_device(grad_output, output, op);
  check_float(grad_output, op);
  TG_CHECK(grad_output->sizes == output->sizes && grad_output->dtype == output->dtype, op,
           ": grad_output and output must have the same size and dtype, got ", grad_output->sizes, " and ",
           output->sizes);
  if (is_reduced_float(output->dtype))
    return to_dtype(softmax_backward(widen(grad_output), widen(output), dim, log), output->dtype);
  int64_t outer, D, inner;
  softmax_dims(output->sizes, dim, outer, D, inner);
  Tensor gy = contiguous(grad_output), y = contiguous(output);
  Tensor gx = empty(y->sizes, y->dtype, y->device());
  if (gx->numel()) {
    TG_DISPATCH_FLOAT(y->dtype, op, [&] {
      TG_ON_DEVICE(y->device(), softmax_backward<scalar_t>, outer, D, inner, log, gy->data<scalar_t>(),
                   y->data<scalar_t>(), gx->data<scalar_t>());
    });
  }
  return gx;
}

// ------------------------------------------------------------------- losses
namespace {
struct LossPlan {
  ClassLossArgs args;
  Shape none_sizes;  // the output's sizes with reduction='none'
  Tensor x, t, w;    // contiguous input, target, weight
};

LossPlan plan_class_loss(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t reduction,
                         int64_t ignore_index, double label_smoothing, bool log_softmax, const char* op) {
  check_device(input, target, op);
  check_device(input, weight, op);
  check_float(input, op);
  TG_CHECK(target->dtype == DType::Int64, op, ": expected scalar type Long but found ", type_name(target->dtype),
           " (class-index targets must be int64)");
  TG_CHECK(reduction >= 0 && reduction <= 2, op, ": invalid reduction ", reduction);
  TG_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
           "label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  const int64_t nd = input->dim();
  TG_CHECK(nd >= 1, op, ": input must have at least one dimension (classes), got a 0-d tensor");
  LossPlan p;
  ClassLossArgs& a = p.args;
  if (nd == 1) {
    TG_CHECK(target->dim() == 0, "0D target tensor expected for 1D input (unbatched), but got target of size ",
             target->sizes);
    a.N = 1;
    a.C = input->sizes[0];
    a.S = 1;
  } else {
    TG_CHECK(nd != 2 || target->dim() == 1, "0D or 1D target tensor expected, multi-target not supported");
    TG_CHECK(target->dim() >= 1, "Expected target to have ", nd - 1, " dimension(s), got a 0-d target");
    TG_CHECK_VALUE(input->sizes[0] == target->sizes[0], "Expected input batch_size (", input->sizes[0],
                   ") to match target batch_size (", target->sizes[0], ").");
    Shape want{input->sizes[0]};
    for (int64_t d = 2; d < nd; ++d) want.push_back(input->sizes[d]);
    TG_CHECK(target->sizes == want, "Expected target size ", want, ", got ", target->sizes);
    a.N = input->sizes[0];
    a.C = input->sizes[1];
    a.S = 1;
    for (int64_t d = 2; d < nd; ++d) a.S *= input->sizes[d];
    p.none_sizes = want;
  }
  if (weight) {
    check_float(weight, op);
    TG_CHECK(weight->dim() == 1 && weight->sizes[0] == a.C, "weight tensor should be defined either for all ", a.C,
             " classes or no classes but got weight tensor of shape: ", weight->sizes);
    p.w = contiguous(to_dtype(weight, input->dtype));
  }
  a.ignore_index = ignore_index;
  a.reduction = static_cast<int>(reduction);
  a.label_smoothing = label_smoothing;
  a.log_softmax = log_softmax;
  p.x = contiguous(input);
  p.t = contiguous(target);
  // CPU targets are validated before anything is computed (and on every reduction); the error names the
  // first bad target. CUDA targets are checked by the kernels (a device-side assertion, as torch's): reading
  // them here would cost a host sync per loss (cuda/nn.cu, TG_TARGET_ASSERT).
  if (p.t->device().is_cuda()) return p;
  const int64_t* t = p.t->data<int64_t>();
  for (int64_t r = 0, n = p.t->numel(); r < n; ++r)
    TG_CHECK_INDEX(t[r] == ignore_index || (t[r] >= 0 && t[r] < a.C), "Target ", t[r], " is out of bounds.");
  return p;
}

std::tuple<Tensor, Tensor, Tensor> class_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                                              int64_t reduction, int64_t ignore_index, double label_smoothing,
                                              bool log_softmax, const char* op) {
  if (is_reduced_float(input->dtype)) {
    auto [out, lse, tw] =
        class_loss(widen(input), target, widen_opt(weight), reduction, ignore_index, label_smoothing, log_softmax, op);
    return {to_dtype(out, input->dtype), narrow_opt(lse, input->dtype), to_dtype(tw, input->dtype)};
  }
  LossPlan p = plan_class_loss(input, target, weight, reduction, ignore_index, label_smoothing, log_softmax, op);
  const ClassLossArgs& a = p.args;
  Tensor out = empty(reduction == 0 ? p.none_sizes : Shape{}, p.x->dtype, p.x->device());
  Tensor lse = log_softmax ? empty({a.N * a.S}, p.x->dtype, p.x->device()) : nullptr;
  Tensor tw = empty({}, p.x->dtype, p.x->device());
  TG_DISPATCH_FLOAT(p.x->dtype, op, [&] {
    TG_ON_DEVICE(p.x->device(), class_loss_forward<scalar_t>, a, p.x->data<scalar_t>(), p.t->data<int64_t>(),
                 ptr<scalar_t>(p.w), out->data<scalar_t>(), lse ? lse->data<scalar_t>() : nullptr,
                 tw->data<scalar_t>());
  });
  return {out, lse, tw};
}

Tensor class_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target, const Tensor& weight,
                           const Tensor& lse, const Tensor& total_weight, int64_t reduction, int64_t ignore_index,
                           double label_smoothing, bool log_softmax, const char* op) {
  if (is_reduced_float(input->dtype))
    return to_dtype(class_loss_backward(widen(grad_output), widen(input), target, widen_opt(weight), widen_opt(lse),
                                        widen(total_weight), reduction, ignore_index, label_smoothing, log_softmax, op),
                    input->dtype);
  LossPlan p = plan_class_loss(input, target, weight, reduction, ignore_index, label_smoothing, log_softmax, op);
  const ClassLossArgs& a = p.args;
  check_device(input, grad_output, op);
  check_device(input, lse, op);
  check_device(input, total_weight, op);
  Tensor g = contiguous(to_dtype(grad_output, p.x->dtype));
  TG_CHECK(g->numel() == (reduction == 0 ? a.N * a.S : 1), op, ": grad_output has ", g->numel(), " elements, expected ",
           reduction == 0 ? a.N * a.S : 1);
  TG_CHECK(!log_softmax || (lse && lse->numel() == a.N * a.S), op, ": the saved log-sum-exp does not match input");
  Tensor l = log_softmax ? contiguous(to_dtype(lse, p.x->dtype)) : nullptr;
  Tensor gx = empty(p.x->sizes, p.x->dtype, p.x->device());
  TG_CHECK(total_weight->numel() == 1, op, ": total_weight must hold one value, got ", total_weight->numel());
  Tensor tw = contiguous(to_dtype(total_weight, p.x->dtype));  // read by the kernel: no host sync on CUDA
  TG_DISPATCH_FLOAT(p.x->dtype, op, [&] {
    TG_ON_DEVICE(p.x->device(), class_loss_backward<scalar_t>, a, g->data<scalar_t>(), p.x->data<scalar_t>(),
                 p.t->data<int64_t>(), ptr<scalar_t>(p.w), l ? l->data<scalar_t>() : nullptr, tw->data<scalar_t>(),
                 gx->data<scalar_t>());
  });
  return gx;
}
}  // namespace

std::tuple<Tensor, Tensor, Tensor> cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                                                 int64_t reduction, int64_t ignore_index, double label_smoothing) {
  return class_loss(input, target, weight, reduction, ignore_index, label_smoothing, true, "cross_entropy");
}

Tensor cross_entropy_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target,
                              const Tensor& weight, const Tensor& lse, const Tensor& total_weight, int64_t reduction,
                              int64_t ignore_index, double label_smoothing) {
  return class_loss_backward(grad_output, input, target, weight, lse, total_weight, reduction, ignore_index,
                             label_smoothing, true, "cross_entropy_backward");
}

std::pair<Tensor, Tensor> nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t reduction,
                                   int64_t ignore_index) {
  auto [out, lse, tw] = class_loss(input, target, weight, reduction, ignore_index, 0.0, false, "nll_loss");
  (void)lse;
  return {out, tw};
}

Tensor nll_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target, const Tensor& weight,
                         const Tensor& total_weight, int64_t reduction, int64_t ignore_index) {
  return class_loss_backward(grad_output, input, target, weight, nullptr, total_weight, reduction, ignore_index, 0.0,
                             false, "nll_loss_backward");
}

}  // namespace tg
