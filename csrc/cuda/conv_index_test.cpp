// Host-side emulation of the CUDA convolution (nn.cu: conv2d_forward, conv2d_backward_input,
// conv2d_backward_weight) with the kernels' own index and layout functions (conv_index.h): the im2col
// chunks, each im2col entry's source element, the per-(image, group) GEMMs' offsets and strides (run here as a
// plain strided GEMM), the col2im gather, and the direct grouped kernels' per-element sums. Every function is
// driven the way its kernel drives it (one "thread" per element, the same chunk loop and accumulate flags).
//
// Input (stdin, whitespace separated): N C H W O kh kw OH OW sh sw ph pw dh dw G budget, then the values of
// x (N, C, H, W), w (O, C / G, kh, kw), b (O) and gy (N, O, OH, OW). budget: the column buffer's byte budget
// (2-byte elements), small to force several im2col chunks.
// Output (stdout): six lines, y, gx and gw through the im2col + GEMM path and through the direct grouped
// kernels (both are run for every shape; the kernels pick one by use_direct_grouped). tests/test_cuda_conv16.py
// compares them with the CPU convolution (float64, exact for its small-integer inputs).
#include "conv_index.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

using namespace tg::cuda::conv_index;
using tg::ConvShape;
using Vec = std::vector<double>;

namespace {

// C (+)= A @ B on the view's bases: the GEMM the kernels launch (gemm.cu computes the same sums).
void strided_gemm(const GemmView& v, const double* a, const double* b, double* c, bool accumulate) {
  for (int64_t m = 0; m < v.M; ++m)
    for (int64_t n = 0; n < v.N; ++n) {
      double acc = 0;
      for (int64_t k = 0; k < v.K; ++k) acc += a[v.a + m * v.rsa + k * v.csa] * b[v.b + k * v.rsb + n * v.csb];
      double& out = c[v.c + m * v.rsc + n * v.csc];
      out = accumulate ? out + acc : acc;
    }
}

// im2col_kernel for the nb images from n0.
void im2col(const ConvShape& s, int64_t n0, int64_t nb, const Vec& x, Vec& col) {
  const int64_t total = nb * s.C * s.kh * s.kw * s.OH * s.OW;
  for (int64_t i = 0; i < total; ++i) {
    const int64_t src = im2col_source(s, n0, i, PlainDiv{});
    col[i] = src < 0 ? 0.0 : x[src];
  }
}

int64_t chunk_of(const ConvShape& s, bool pointwise, int64_t budget) {
  return pointwise ? s.N : images_per_chunk(s, 2, budget);
}

Vec col_buffer(const ConvShape& s, bool pointwise, int64_t chunk) {
  return Vec(pointwise ? 0 : chunk * s.C * s.kh * s.kw * s.OH * s.OW, std::nan(""));
}

Vec forward(const ConvShape& s, const Vec& x, const Vec& w, const Vec& b, int64_t budget) {
  Vec y(s.N * s.O * s.OH * s.OW);
  const int64_t P = s.OH * s.OW;
  for (int64_t i = 0; i < int64_t(y.size()); ++i) y[i] = b[(i / P) % s.O];  // bias_fill_kernel
  const bool pointwise = is_pointwise(s);
  const int64_t chunk = chunk_of(s, pointwise, budget);
  Vec col = col_buffer(s, pointwise, chunk);
  for (int64_t n0 = 0; n0 < s.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, s.N - n0);
    if (!pointwise) im2col(s, n0, nb, x, col);
    for (int64_t j = 0; j < nb; ++j)
      for (int64_t g = 0; g < s.G; ++g)
        strided_gemm(forward_gemm(s, pointwise, n0 + j, j, g), w.data(), pointwise ? x.data() : col.data(), y.data(),
                     true);
  }
  return y;
}

Vec backward_input(const ConvShape& s, const Vec& gy, const Vec& w, int64_t budget) {
  Vec gx(s.N * s.C * s.H * s.W, std::nan(""));
  const bool pointwise = is_pointwise(s);
  const int64_t chunk = chunk_of(s, pointwise, budget);
  Vec col = col_buffer(s, pointwise, chunk);
  for (int64_t n0 = 0; n0 < s.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, s.N - n0);
    for (int64_t j = 0; j < nb; ++j)
      for (int64_t g = 0; g < s.G; ++g)
        strided_gemm(backward_input_gemm(s, pointwise, n0 + j, j, g), w.data(), gy.data(),
                     pointwise ? gx.data() : col.data(), false);
    if (!pointwise) {  // col2im_kernel
      double* gxc = gx.data() + n0 * s.C * s.H * s.W;
      for (int64_t i = 0; i < nb * s.C * s.H * s.W; ++i)
        gxc[i] = col2im_sum<double>(s, i, PlainDiv{}, [&](int64_t k) { return col[k]; });
    }
  }
  return gx;
}

Vec backward_weight(const ConvShape& s, const Vec& gy, const Vec& x, int64_t budget) {
  Vec gw(s.O * (s.C / s.G) * s.kh * s.kw, std::nan(""));
  const bool pointwise = is_pointwise(s);
  const int64_t chunk = chunk_of(s, pointwise, budget);
  Vec col = col_buffer(s, pointwise, chunk);
  for (int64_t n0 = 0; n0 < s.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, s.N - n0);
    if (!pointwise) im2col(s, n0, nb, x, col);
    for (int64_t j = 0; j < nb; ++j)
      for (int64_t g = 0; g < s.G; ++g)
        strided_gemm(backward_weight_gemm(s, pointwise, n0 + j, j, g), gy.data(), pointwise ? x.data() : col.data(),
                     gw.data(), n0 + j != 0);
  }
  return gw;
}

// The direct grouped kernels: a thread per output / input-gradient element, a block per weight element.
Vec direct_forward(const ConvShape& s, const Vec& x, const Vec& w, const Vec& b) {
  Vec y(s.N * s.O * s.OH * s.OW);
  auto xr = [&](int64_t k) { return x[k]; };
  auto wr = [&](int64_t k) { return w[k]; };
  for (int64_t i = 0; i < int64_t(y.size()); ++i) {
    int64_t o;
    const double acc = grouped_forward_sum<double>(s, i, PlainDiv{}, xr, wr, o);
    y[i] = acc + b[o];
  }
  return y;
}

Vec direct_backward_input(const ConvShape& s, const Vec& gy, const Vec& w) {
  Vec gx(s.N * s.C * s.H * s.W);
  auto gyr = [&](int64_t k) { return gy[k]; };
  auto wr = [&](int64_t k) { return w[k]; };
  for (int64_t i = 0; i < int64_t(gx.size()); ++i)
    gx[i] = grouped_backward_input_sum<double>(s, i, PlainDiv{}, gyr, wr);
  return gx;
}

Vec direct_backward_weight(const ConvShape& s, const Vec& gy, const Vec& x) {
  Vec gw(s.O * (s.C / s.G) * s.kh * s.kw);
  for (int64_t e = 0; e < int64_t(gw.size()); ++e) {
    const WeightTap tap = grouped_weight_tap(s, e, PlainDiv{});
    double acc = 0;
    for (int64_t t = 0; t < s.N * s.OH * s.OW; ++t) {
      const Term term = grouped_weight_term(s, tap, t, PlainDiv{});
      if (term.x_index >= 0) acc += gy[term.gy_index] * x[term.x_index];
    }
    gw[e] = acc;
  }
  return gw;
}

Vec read(int64_t n) {
  Vec v(n);
  for (double& e : v) std::cin >> e;
  return v;
}

void print(const Vec& v) {
  for (size_t i = 0; i < v.size(); ++i) std::printf(i ? " %.17g" : "%.17g", v[i]);
  std::printf("\n");
}

}  // namespace

int main() {
  ConvShape s{};
  int64_t budget = 0;
  std::cin >> s.N >> s.C >> s.H >> s.W >> s.O >> s.kh >> s.kw >> s.OH >> s.OW >> s.sh >> s.sw >> s.ph >> s.pw >> s.dh >>
      s.dw >> s.G >> budget;
  if (!std::cin) {
    std::fprintf(stderr, "bad shape line\n");
    return 2;
  }
  const Vec x = read(s.N * s.C * s.H * s.W), w = read(s.O * (s.C / s.G) * s.kh * s.kw), b = read(s.O);
  const Vec gy = read(s.N * s.O * s.OH * s.OW);
  if (!std::cin) {
    std::fprintf(stderr, "too few values\n");
    return 2;
  }
  print(forward(s, x, w, b, budget));
  print(direct_forward(s, x, w, b));
  print(backward_input(s, gy, w, budget));
  print(direct_backward_input(s, gy, w));
  print(backward_weight(s, gy, x, budget));
  print(direct_backward_weight(s, gy, x));
  return 0;
}
