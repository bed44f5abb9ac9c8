// Host-side emulation of the CUDA convolution (nn.cu: conv2d_forward, conv2d_backward_input,
// conv2d_backward_weight) with the kernels' own index and layout functions (conv_index.h): the im2col
// chunks, each im2col entry's source element, the batched per-(image, group) GEMMs' offsets and strides (split
// into launches and decomposed per problem as gemm.cu does, through gemm_batch.h, each problem run here as a
// plain strided GEMM), the col2im gather, and the direct grouped kernels' per-element sums. Every function is
// driven the way its kernel drives it (one "thread" per element, the same chunk loop and accumulate flags).
//
// `conv_index_test --batches` instead checks, for a table of shapes, that every problem of every GEMM batch
// is exactly the per-(image, group) GemmView (forward_gemm, backward_input_gemm, backward_weight_gemm) and
// that the problems of a batch write disjoint C elements (they run concurrently); prints "ok <problems>".
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
#include <cstring>
#include <iostream>
#include <set>
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

// Problems per launch in the emulation: small and odd, so launches split a chunk mid-image (gemm.cu: 65535).
constexpr int64_t kLaunch = 3;

// A batch of GEMMs as gemm.cu runs it: launches of at most kLaunch problems, problem z0 + blockIdx.z of each.
void batched_gemm(const GemmBatchView& v, const double* a, const double* b, double* c, bool accumulate) {
  tg::cuda::for_each_batch_launch(v.batch.count, kLaunch, [&](int64_t z0, int64_t nz) {
    for (int64_t z = 0; z < nz; ++z) strided_gemm(batch_member(v, z0 + z), a, b, c, accumulate);
  });
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
    batched_gemm(forward_gemm_batch(s, pointwise, n0, nb), w.data(), pointwise ? x.data() : col.data(), y.data(), true);
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
    batched_gemm(backward_input_gemm_batch(s, pointwise, n0, nb), w.data(), gy.data(),
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
      batched_gemm(backward_weight_gemm_batch(s, pointwise, n0 + j, j), gy.data(), pointwise ? x.data() : col.data(),
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

// ------------------------------------------------------------------ --batches
bool same(const GemmView& x, const GemmView& y) {
  const int64_t a[] = {x.M, x.N, x.K, x.a, x.rsa, x.csa, x.b, x.rsb, x.csb, x.c, x.rsc, x.csc};
  const int64_t b[] = {y.M, y.N, y.K, y.a, y.rsa, y.csa, y.b, y.rsb, y.csb, y.c, y.rsc, y.csc};
  return std::equal(std::begin(a), std::end(a), std::begin(b));
}

// Every problem z of v (through the launch split) must be want(z); their C elements must be disjoint.
template <class Want> bool check_batch(const char* what, const ConvShape& s, const GemmBatchView& v, Want want) {
  std::set<int64_t> written;
  int64_t seen = 0, elements = 0;
  bool ok = true;
  tg::cuda::for_each_batch_launch(v.batch.count, kLaunch, [&](int64_t z0, int64_t nz) {
    for (int64_t bz = 0; bz < nz; ++bz, ++seen) {
      const int64_t z = z0 + bz;
      const GemmView m = batch_member(v, z);
      if (z != seen || !same(m, want(z))) {
        std::fprintf(stderr, "%s: problem %lld differs (N %lld C %lld O %lld G %lld)\n", what, (long long)z,
                     (long long)s.N, (long long)s.C, (long long)s.O, (long long)s.G);
        ok = false;
      }
      for (int64_t i = 0; i < m.M; ++i)
        for (int64_t j = 0; j < m.N; ++j, ++elements) written.insert(m.c + i * m.rsc + j * m.csc);
    }
  });
  if (int64_t(written.size()) != elements) {
    std::fprintf(stderr, "%s: problems overlap in C\n", what);
    ok = false;
  }
  return ok;
}

ConvShape shape(int64_t N, int64_t C, int64_t H, int64_t W, int64_t O, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t G) {
  const int64_t OH = (H + 2 * ph - dh * (kh - 1) - 1) / sh + 1, OW = (W + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
  return {N, C, H, W, O, kh, kw, OH, OW, sh, sw, ph, pw, dh, dw, G};
}

int check_batches() {
  // plain, grouped, depthwise, depthwise with a multiplier, pointwise (grouped too), strided 1x1, strided +
  // padded, dilated, asymmetric, many groups of one image, a single image and group, pointwise depthwise
  const ConvShape shapes[] = {
      shape(3, 3, 7, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1),    shape(4, 6, 6, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2),
      shape(3, 8, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8),    shape(2, 4, 9, 8, 12, 3, 3, 2, 2, 1, 1, 1, 1, 4),
      shape(5, 6, 5, 6, 9, 1, 1, 1, 1, 0, 0, 1, 1, 3),    shape(3, 4, 5, 6, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1),
      shape(2, 4, 7, 7, 6, 1, 1, 2, 2, 0, 0, 1, 1, 2),    shape(3, 6, 9, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 3),
      shape(2, 4, 10, 9, 4, 3, 2, 2, 1, 2, 0, 2, 3, 2),   shape(2, 4, 8, 7, 4, 3, 5, 1, 2, 1, 2, 2, 1, 4),
      shape(1, 12, 6, 6, 24, 3, 3, 1, 1, 1, 1, 1, 1, 12), shape(1, 2, 4, 4, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1),
      shape(3, 5, 4, 3, 5, 1, 1, 1, 1, 0, 0, 1, 1, 5),
  };
  bool ok = true;
  int64_t problems = 0;
  for (const ConvShape& s : shapes)
    for (int pass = 0; pass <= int(is_pointwise(s)); ++pass) {  // the im2col layout, and the image as col when 1x1
      const bool pointwise = pass == 1;
      for (int64_t chunk = 1; chunk <= s.N; ++chunk)
        for (int64_t n0 = 0; n0 < s.N; n0 += chunk) {
          const int64_t nb = std::min(chunk, s.N - n0);
          ok &= check_batch("forward", s, forward_gemm_batch(s, pointwise, n0, nb),
                            [&](int64_t z) { return forward_gemm(s, pointwise, n0 + z / s.G, z / s.G, z % s.G); });
          ok &= check_batch("backward input", s, backward_input_gemm_batch(s, pointwise, n0, nb), [&](int64_t z) {
            return backward_input_gemm(s, pointwise, n0 + z / s.G, z / s.G, z % s.G);
          });
          for (int64_t j = 0; j < nb; ++j)
            ok &= check_batch("backward weight", s, backward_weight_gemm_batch(s, pointwise, n0 + j, j),
                              [&](int64_t g) { return backward_weight_gemm(s, pointwise, n0 + j, j, g); });
          problems += 2 * nb * s.G + nb * s.G;
        }
    }
  if (!ok) return 1;
  std::printf("ok %lld\n", (long long)problems);
  return 0;
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

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--batches") == 0) return check_batches();
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
