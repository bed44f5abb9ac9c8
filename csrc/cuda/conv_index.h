// Index and layout functions of the CUDA convolution (nn.cu), shared with its
// host-side emulation test (conv_index_test.cpp), so the test runs the very
// mapping the kernels use: which input element each im2col entry reads, which
// column entries each input-gradient element gathers (col2im), the operands
// of every per-(image, group) GEMM (offsets and strides), the batches that run
// them in one launch (gemm_batch.h), how many images an im2col chunk holds, and
// the per-element sums of the direct grouped kernels.
// Plain C++ (host and device), no CUDA headers.
//
// Dimension letters (as cpu/nn_kernels.h): N batch, C input channels, O output
// channels, H x W input plane, OH x OW output plane (P = OH * OW positions),
// kh x kw kernel, G groups; Cg = C / G, Og = O / G, K = Cg * kh * kw (the
// im2col rows of one group), KC = C * kh * kw (of all groups).
// The column buffer of a chunk of nb images is (nb, KC, P):
//   col[j, (c * kh + ki) * kw + kj, oh * OW + ow]
//     = x[n0 + j, c, oh * sh - ph + ki * dh, ow * sw - pw + kj * dw] (0 in the padding).
// A 1x1, stride-1, unpadded kernel ("pointwise") reads the image itself as col.
//
// Every function takes the division as `div(n, d, q, r)` (q = n / d, r = n % d for n >= 0):
// the kernels pass their fast 32-bit one, the host test plain_div.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "../core/nn_shapes.h"
#include "gemm_batch.h"

#if defined(__CUDACC__)
#define TG_CONV_HD __host__ __device__ __forceinline__
#else
#define TG_CONV_HD inline
#endif

namespace tg::cuda::conv_index {

struct PlainDiv {
  TG_CONV_HD void operator()(int64_t n, int64_t d, int64_t& q, int64_t& r) const {
    q = n / d;
    r = n - q * d;
  }
};

// a * b + c with one rounding (the kernels' fma; the host's, so both sum the same way).
template <class T> TG_CONV_HD T madd(T a, T b, T c) {
#if defined(__CUDA_ARCH__)
  return fma(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

TG_CONV_HD bool is_pointwise(const ConvShape& s) {
  return s.kh == 1 && s.kw == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0;
}

// ------------------------------------------------------------------ im2col / col2im
// The element of x (an index into the whole input) that entry i of the chunk's column buffer (images from n0)
// holds, or -1 where it reads padding.
template <class Div> TG_CONV_HD int64_t im2col_source(const ConvShape& s, int64_t n0, int64_t i, Div div) {
  const int64_t P = s.OH * s.OW, KC = s.C * s.kh * s.kw;
  int64_t q, p, j, row, oh, ow, t, c, ki, kj;
  div(i, P, q, p);
  div(q, KC, j, row);
  div(p, s.OW, oh, ow);
  div(row, s.kw, t, kj);
  div(t, s.kh, c, ki);
  const int64_t ih = oh * s.sh - s.ph + ki * s.dh, iw = ow * s.sw - s.pw + kj * s.dw;
  if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) return -1;
  return ((n0 + j) * s.C + c) * s.H * s.W + ih * s.W + iw;
}

// The adjoint of im2col as a gather: element i of the chunk's input gradient (i counted from image n0) is the
// sum of the column entries that read it, col(index into the chunk's buffer) converted to Acc, taps in (ki, kj)
// order (the order in which cpu/conv.cpp's col2im adds them).
template <class Acc, class Div, class Col> TG_CONV_HD Acc col2im_sum(const ConvShape& s, int64_t i, Div div, Col col) {
  const int64_t P = s.OH * s.OW, KC = s.C * s.kh * s.kw;
  int64_t q, w, h, jc, j, c;
  div(i, s.W, q, w);
  div(q, s.H, jc, h);
  div(jc, s.C, j, c);
  const int64_t base = (j * KC + c * s.kh * s.kw) * P;
  Acc acc = Acc(0);
  for (int64_t ki = 0; ki < s.kh; ++ki) {
    const int64_t th = h + s.ph - ki * s.dh;  // oh * sh for the output row that reads h through tap ki
    if (th < 0) break;                        // th only decreases with ki
    if (th % s.sh != 0 || th / s.sh >= s.OH) continue;
    const int64_t row = base + ki * s.kw * P + (th / s.sh) * s.OW;
    for (int64_t kj = 0; kj < s.kw; ++kj) {
      const int64_t tw = w + s.pw - kj * s.dw;
      if (tw < 0) break;
      if (tw % s.sw != 0 || tw / s.sw >= s.OW) continue;
      acc += col(row + kj * P + tw / s.sw);
    }
  }
  return acc;
}

// Images unrolled per im2col launch: the column buffer (elements of `bytes` bytes) stays under `budget` bytes,
// at least one image.
inline int64_t images_per_chunk(const ConvShape& s, int64_t bytes, int64_t budget) {
  const int64_t per_image = std::max<int64_t>(1, s.C * s.kh * s.kw * s.OH * s.OW * bytes);
  return std::clamp<int64_t>(budget / per_image, 1, std::max<int64_t>(s.N, 1));
}

// ------------------------------------------------------------------ the GEMMs
// One GEMM C (M x N) = A (M x K) @ B (K x N) (+ C) as element offsets from its three base pointers and
// strides: X[i, j] = base[x + i * rsx + j * csx].
struct GemmView {
  int64_t M, N, K;
  int64_t a, rsa, csa;
  int64_t b, rsb, csb;
  int64_t c, rsc, csc;
};

// Forward, image n (the j-th of its chunk), group g: y_g (Og x P) = W_g (Og x K) @ col_g (K x P).
// Bases: the weight, the column buffer (the input when pointwise), the output.
TG_CONV_HD GemmView forward_gemm(const ConvShape& s, bool pointwise, int64_t n, int64_t j, int64_t g) {
  const int64_t Cg = s.C / s.G, Og = s.O / s.G, K = Cg * s.kh * s.kw, P = s.OH * s.OW;
  const int64_t b = pointwise ? (n * s.C + g * Cg) * s.H * s.W : (j * s.C * s.kh * s.kw + g * K) * P;
  return {Og, P, K, g * Og * K, K, 1, b, P, 1, (n * s.O + g * Og) * P, P, 1};
}

// Input gradient: gcol_g (K x P) = W_g^T (K x Og) @ gy_g (Og x P).
// Bases: the weight, the output gradient, the column buffer (the input gradient when pointwise).
TG_CONV_HD GemmView backward_input_gemm(const ConvShape& s, bool pointwise, int64_t n, int64_t j, int64_t g) {
  const int64_t Cg = s.C / s.G, Og = s.O / s.G, K = Cg * s.kh * s.kw, P = s.OH * s.OW;
  const int64_t c = pointwise ? (n * s.C + g * Cg) * s.H * s.W : (j * s.C * s.kh * s.kw + g * K) * P;
  return {K, P, Og, g * Og * K, 1, K, (n * s.O + g * Og) * P, P, 1, c, P, 1};
}

// Weight gradient: gW_g (Og x K) (+)= gy_g (Og x P) @ col_g^T (P x K), accumulated image after image.
// Bases: the output gradient, the column buffer (the input when pointwise), the weight gradient.
TG_CONV_HD GemmView backward_weight_gemm(const ConvShape& s, bool pointwise, int64_t n, int64_t j, int64_t g) {
  const int64_t Cg = s.C / s.G, Og = s.O / s.G, K = Cg * s.kh * s.kw, P = s.OH * s.OW;
  const int64_t b = pointwise ? (n * s.C + g * Cg) * s.H * s.W : (j * s.C * s.kh * s.kw + g * K) * P;
  return {Og, K, P, (n * s.O + g * Og) * P, P, 1, b, 1, P, g * Og * K, K, 1};
}

// The same GEMMs batched (gemm_batch.h), each batch one launch of gemm.cu: `first` is the view of problem 0 and
// problem z reads its bases moved by batch_offsets(batch, z); batch_member is that view.
struct GemmBatchView {
  GemmView first;
  GemmBatch batch;
};
TG_CONV_HD GemmView batch_member(const GemmBatchView& v, int64_t z) {
  const GemmOffsets o = batch_offsets(v.batch, z);
  GemmView m = v.first;
  m.a += o.a;
  m.b += o.b;
  m.c += o.c;
  return m;
}

// Forward or input gradient over the nb images of the chunk from image n0 and all groups: problem
// z = j * G + g is forward_gemm / backward_input_gemm(s, pointwise, n0 + j, j, g). The outputs (y, or the
// column buffer / input gradient) of different problems are disjoint.
TG_CONV_HD GemmBatchView forward_gemm_batch(const ConvShape& s, bool pointwise, int64_t n0, int64_t nb) {
  const int64_t Cg = s.C / s.G, Og = s.O / s.G, K = Cg * s.kh * s.kw, P = s.OH * s.OW;
  GemmBatch b;
  b.count = nb * s.G, b.inner = s.G;
  b.a_outer = 0, b.a_inner = Og * K;                                // the weight: groups only
  b.b_outer = pointwise ? s.C * s.H * s.W : s.C * s.kh * s.kw * P;  // the image / its columns
  b.b_inner = pointwise ? Cg * s.H * s.W : K * P;                   // the group's channels / rows
  b.c_outer = s.O * P, b.c_inner = Og * P;
  return {forward_gemm(s, pointwise, n0, 0, 0), b};
}

TG_CONV_HD GemmBatchView backward_input_gemm_batch(const ConvShape& s, bool pointwise, int64_t n0, int64_t nb) {
  const int64_t Cg = s.C / s.G, Og = s.O / s.G, K = Cg * s.kh * s.kw, P = s.OH * s.OW;
  GemmBatch b;
  b.count = nb * s.G, b.inner = s.G;
  b.a_outer = 0, b.a_inner = Og * K;  // the weight: groups only
  b.b_outer = s.O * P, b.b_inner = Og * P;
  b.c_outer = pointwise ? s.C * s.H * s.W : s.C * s.kh * s.kw * P;  // the input gradient / the columns
  b.c_inner = pointwise ? Cg * s.H * s.W : K * P;
  return {backward_input_gemm(s, pointwise, n0, 0, 0), b};
}

// Weight gradient of image n (the j-th of its chunk) over all groups: problem g is
// backward_weight_gemm(s, pointwise, n, j, g). The images all add into the same weight gradient, so each image
// is its own batch, run in image order (a fixed order of the sums: deterministic).
TG_CONV_HD GemmBatchView backward_weight_gemm_batch(const ConvShape& s, bool pointwise, int64_t n, int64_t j) {
  const int64_t Cg = s.C / s.G, Og = s.O / s.G, K = Cg * s.kh * s.kw, P = s.OH * s.OW;
  GemmBatch b;
  b.count = s.G, b.inner = s.G;  // one outer step
  b.a_inner = Og * P;
  b.b_inner = pointwise ? Cg * s.H * s.W : K * P;
  b.c_inner = Og * K;
  return {backward_weight_gemm(s, pointwise, n, j, 0), b};
}

// ------------------------------------------------ grouped convolution, direct
// Groups with few input channels each (depthwise: one; Cg * kh * kw <= kMaxDirectK) run without im2col.
// Readers x(i), w(i), gy(i) return the element converted to the accumulator type Acc.
constexpr int64_t kMaxDirectK = 64;
TG_CONV_HD bool use_direct_grouped(const ConvShape& s) { return s.G > 1 && (s.C / s.G) * s.kh * s.kw <= kMaxDirectK; }

// Output element i = (n, o, oh, ow), without the bias: channels, then taps in (ki, kj) order. Sets o.
template <class Acc, class Div, class X, class Wt>
TG_CONV_HD Acc grouped_forward_sum(const ConvShape& s, int64_t i, Div div, X x, Wt w, int64_t& o) {
  const int64_t P = s.OH * s.OW, Cg = s.C / s.G, Og = s.O / s.G;
  int64_t q, p, n, oh, ow;
  div(i, P, q, p);
  div(q, s.O, n, o);
  div(p, s.OW, oh, ow);
  Acc acc = Acc(0);
  for (int64_t ci = 0; ci < Cg; ++ci) {
    const int64_t xc = (n * s.C + (o / Og) * Cg + ci) * s.H * s.W, wc = (o * Cg + ci) * s.kh * s.kw;
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      const int64_t ih = oh * s.sh - s.ph + ki * s.dh;
      if (ih < 0 || ih >= s.H) continue;
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        const int64_t iw = ow * s.sw - s.pw + kj * s.dw;
        if (iw >= 0 && iw < s.W) acc = madd(w(wc + ki * s.kw + kj), x(xc + ih * s.W + iw), acc);
      }
    }
  }
  return acc;
}

// Input-gradient element i = (n, c, h, w): the group's output channels, then taps in (ki, kj) order.
template <class Acc, class Div, class Gy, class Wt>
TG_CONV_HD Acc grouped_backward_input_sum(const ConvShape& s, int64_t i, Div div, Gy gy, Wt w) {
  const int64_t P = s.OH * s.OW, Cg = s.C / s.G, Og = s.O / s.G;
  int64_t q, wi, h, n, c;
  div(i, s.W, q, wi);
  div(q, s.H, q, h);
  div(q, s.C, n, c);
  const int64_t g = c / Cg, ci = c % Cg;
  Acc acc = Acc(0);
  for (int64_t o = g * Og; o < (g + 1) * Og; ++o) {
    const int64_t gyo = (n * s.O + o) * P, wc = (o * Cg + ci) * s.kh * s.kw;
    for (int64_t ki = 0; ki < s.kh; ++ki) {
      const int64_t th = h + s.ph - ki * s.dh;  // oh * sh for the output row reading h through tap ki
      if (th < 0) break;
      if (th % s.sh != 0 || th / s.sh >= s.OH) continue;
      for (int64_t kj = 0; kj < s.kw; ++kj) {
        const int64_t tw = wi + s.pw - kj * s.dw;
        if (tw < 0) break;
        if (tw % s.sw != 0 || tw / s.sw >= s.OW) continue;
        acc = madd(w(wc + ki * s.kw + kj), gy(gyo + (th / s.sh) * s.OW + tw / s.sw), acc);
      }
    }
  }
  return acc;
}

// Weight-gradient element e = (o, ci, ki, kj) is the sum over terms t in [0, N * P) of gy[gy_index] * x[x_index]
// (grouped_weight_term of its WeightTap); a term reading padding has x_index -1 and contributes nothing.
struct WeightTap {
  int64_t o, c, ki, kj;  // c: the input channel (of all groups)
};
template <class Div> TG_CONV_HD WeightTap grouped_weight_tap(const ConvShape& s, int64_t e, Div div) {
  const int64_t Cg = s.C / s.G, Og = s.O / s.G;
  int64_t oc, tap, o, ci, ki, kj;
  div(e, s.kh * s.kw, oc, tap);
  div(oc, Cg, o, ci);
  div(tap, s.kw, ki, kj);
  return {o, (o / Og) * Cg + ci, ki, kj};
}
struct Term {
  int64_t gy_index, x_index;
};
template <class Div> TG_CONV_HD Term grouped_weight_term(const ConvShape& s, const WeightTap& k, int64_t t, Div div) {
  const int64_t P = s.OH * s.OW;
  int64_t n, p, oh, ow;
  div(t, P, n, p);
  div(p, s.OW, oh, ow);
  const int64_t ih = oh * s.sh - s.ph + k.ki * s.dh, iw = ow * s.sw - s.pw + k.kj * s.dw;
  const bool inside = ih >= 0 && ih < s.H && iw >= 0 && iw < s.W;
  return {(n * s.O + k.o) * P + p, inside ? (n * s.C + k.c) * s.H * s.W + ih * s.W + iw : -1};
}

}  // namespace tg::cuda::conv_index
