// interpolate's nearest / nearest-exact / (bi/tri)linear resampling on the CPU (cpu/nn_kernels.h).
// Separable: per call, one table of source indices and weights per dim (upsample_taps); an output row
// (plane, od, oh) reads at most 2 x 2 input rows (linear in D and H) and gathers along W through the W table.
// Forward: parallel over output rows; nearest copies the previous output row when it reads the same input row.
// Backward: parallel over planes (each plane's gradient is its own), each output row adding its weighted
// gradient into its input rows.
#include <algorithm>
#include <cstring>
#include <vector>
#include "nn_kernels.h"
#include "parallel.h"

namespace tg::cpu {
namespace {

template <class T> struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<T> l0, l1;
};

template <class T> Taps<T> taps(const UpsampleShape& s, int d) {
  Taps<T> t;
  const int64_t n = s.out[d];
  t.i0.resize(n), t.i1.resize(n), t.l0.resize(n), t.l1.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    double l1;
    upsample_taps(s.in[d], n, s.scale[d], s.mode, s.align_corners, i, t.i0[i], t.i1[i], l1);
    t.l0[i] = T(1.0 - l1);
    t.l1[i] = T(l1);
  }
  return t;
}

// The input rows (at most 4) that output row (od, oh) of a plane reads, and their weights.
template <class T> struct Rows {
  int64_t offset[4];  // from the plane's start
  T weight[4];
  int n = 0;
};

template <class T> struct Tables {
  Taps<T> d, h, w;
  bool linear_d, linear_h, linear;

  explicit Tables(const UpsampleShape& s) : d(taps<T>(s, 0)), h(taps<T>(s, 1)), w(taps<T>(s, 2)) {
    linear = s.mode == kUpsampleLinear;
    linear_d = linear && s.dims == 3;  // an unused leading dim takes one tap
    linear_h = linear && s.dims >= 2;
  }

  Rows<T> rows(const UpsampleShape& s, int64_t od, int64_t oh) const {
    Rows<T> r;
    for (int a = 0; a < (linear_d ? 2 : 1); ++a) {
      const int64_t id = a ? d.i1[od] : d.i0[od];
      const T wd = linear_d ? (a ? d.l1[od] : d.l0[od]) : T(1);
      for (int b = 0; b < (linear_h ? 2 : 1); ++b) {
        const int64_t ih = b ? h.i1[oh] : h.i0[oh];
        r.offset[r.n] = (id * s.in[1] + ih) * s.in[2];
        r.weight[r.n++] = linear_h ? wd * (b ? h.l1[oh] : h.l0[oh]) : wd;
      }
    }
    return r;
  }
};

// y[ow] = sum_k weight_k * (l0[ow] * row_k[i0[ow]] + l1[ow] * row_k[i1[ow]]) for N rows.
template <int N, class T> void linear_row(const T* plane, const Rows<T>& r, const Taps<T>& w, int64_t OW, T* y) {
  const T* row[N];
  T wt[N];
  for (int k = 0; k < N; ++k) row[k] = plane + r.offset[k], wt[k] = r.weight[k];
  const int64_t *i0 = w.i0.data(), *i1 = w.i1.data();
  const T *l0 = w.l0.data(), *l1 = w.l1.data();
  for (int64_t o = 0; o < OW; ++o) {
    T acc = 0;
    for (int k = 0; k < N; ++k) acc += wt[k] * (l0[o] * row[k][i0[o]] + l1[o] * row[k][i1[o]]);
    y[o] = acc;
  }
}

template <int N, class T>
void linear_row_backward(T* plane, const Rows<T>& r, const Taps<T>& w, int64_t OW, const T* gy) {
  const int64_t *i0 = w.i0.data(), *i1 = w.i1.data();
  const T *l0 = w.l0.data(), *l1 = w.l1.data();
  for (int k = 0; k < N; ++k) {
    T* row = plane + r.offset[k];
    const T wt = r.weight[k];
    for (int64_t o = 0; o < OW; ++o) {
      const T g = wt * gy[o];
      row[i0[o]] += l0[o] * g;
      row[i1[o]] += l1[o] * g;
    }
  }
}

}  // namespace

template <class T> void upsample_forward(const UpsampleShape& s, const T* x, T* y) {
  const Tables<T> t(s);
  const int64_t OD = s.out[0], OH = s.out[1], OW = s.out[2], plane = s.in[0] * s.in[1] * s.in[2];
  const int64_t *iw = t.w.i0.data(), *ih = t.h.i0.data();
  parallel_for(0, s.planes * OD * OH, std::max<int64_t>(1, 16384 / OW), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t q = r % (OD * OH), od = q / OH, oh = q % OH;
      const T* xp = x + (r / (OD * OH)) * plane;
      T* yr = y + r * OW;
      if (!t.linear) {
        if (r > b && oh > 0 && ih[oh] == ih[oh - 1]) {  // the same input row as the previous output row
          std::memcpy(yr, yr - OW, size_t(OW) * sizeof(T));
          continue;
        }
        const T* row = xp + (t.d.i0[od] * s.in[1] + ih[oh]) * s.in[2];
        for (int64_t o = 0; o < OW; ++o) yr[o] = row[iw[o]];
        continue;
      }
      const Rows<T> rows = t.rows(s, od, oh);
      if (rows.n == 1) linear_row<1>(xp, rows, t.w, OW, yr);
      else if (rows.n == 2) linear_row<2>(xp, rows, t.w, OW, yr);
      else linear_row<4>(xp, rows, t.w, OW, yr);
    }
  });
}

template <class T> void upsample_backward(const UpsampleShape& s, const T* gy, T* gx) {
  const Tables<T> t(s);
  const int64_t OD = s.out[0], OH = s.out[1], OW = s.out[2], plane = s.in[0] * s.in[1] * s.in[2];
  const int64_t *iw = t.w.i0.data(), *ih = t.h.i0.data();
  parallel_for(0, s.planes, std::max<int64_t>(1, 16384 / (OD * OH * OW)), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* gp = gx + p * plane;
      std::fill(gp, gp + plane, T(0));
      for (int64_t od = 0; od < OD; ++od) {
        for (int64_t oh = 0; oh < OH; ++oh) {
          const T* g = gy + ((p * OD + od) * OH + oh) * OW;
          if (!t.linear) {
            T* row = gp + (t.d.i0[od] * s.in[1] + ih[oh]) * s.in[2];
            for (int64_t o = 0; o < OW; ++o) row[iw[o]] += g[o];
            continue;
          }
          const Rows<T> rows = t.rows(s, od, oh);
          if (rows.n == 1) linear_row_backward<1>(gp, rows, t.w, OW, g);
          else if (rows.n == 2) linear_row_backward<2>(gp, rows, t.w, OW, g);
          else linear_row_backward<4>(gp, rows, t.w, OW, g);
        }
      }
    }
  });
}

TG_NN_INSTANTIATE(upsample_forward, float)
TG_NN_INSTANTIATE(upsample_forward, double)
TG_NN_INSTANTIATE(upsample_backward, float)
TG_NN_INSTANTIATE(upsample_backward, double)

}  // namespace tg::cpu
