// Reductions: the loops over a ReduceIter that apply the shared functors of ops/reduce.h (sums and products
// accumulate in double for floats, int64 for integers; max/min propagate NaN as torch does). Compiled once
// per ISA.
#include <limits>
#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include "isa.h"
#include "../ops/reduce.h"
#include "kernels.h"
#include "parallel.h"

namespace tg::cpu::TG_ISA {
namespace {

int64_t keep_offset(const ReduceIter& r, int64_t o) {
  int64_t off = 0;
  for (int d = r.nkeep - 1; d >= 0; --d) {
    off += (o % r.keep_shape[d]) * r.keep_strides[d];
    o /= r.keep_shape[d];
  }
  return off;
}

// max/min of a contiguous float run with AVX2 or AVX-512: maxps/minps do not propagate NaN
// in the way torch does, so NaNs are tracked separately with an unordered compare.
template <class R, class A, class T> bool simd_minmax(const T* x, int64_t n, A& acc) {
#if defined(__AVX2__)
  constexpr bool is_max = std::is_same_v<R, AmaxOp>;
  if constexpr (std::is_same_v<T, float> && (std::is_same_v<R, AmaxOp> || std::is_same_v<R, AminOp>)) {
    int64_t i = 0;
#if defined(__AVX512F__)
    // Four independent 16-lane accumulators: 64 floats per step keep enough loads in flight to run at
    // memory speed on one core.
    __m512 z[4];
    for (auto& v : z) v = _mm512_set1_ps(acc);
    __mmask16 nan512 = 0;
    for (; i + 64 <= n; i += 64) {
      for (int q = 0; q < 4; ++q) {
        const __m512 a = _mm512_loadu_ps(x + i + 16 * q);
        z[q] = is_max ? _mm512_max_ps(a, z[q]) : _mm512_min_ps(a, z[q]);
        nan512 |= _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
      }
    }
    if (nan512) {
      acc = std::numeric_limits<float>::quiet_NaN();
      return true;
    }
    alignas(64) float wide[64];
    for (int q = 0; q < 4; ++q) _mm512_store_ps(wide + 16 * q, z[q]);
    for (float v : wide) acc = R::step(acc, v);
#endif
    __m256 m0 = _mm256_set1_ps(acc), m1 = m0, nan = _mm256_setzero_ps();
    for (; i + 16 <= n; i += 16) {
      __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
      m0 = is_max ? _mm256_max_ps(a, m0) : _mm256_min_ps(a, m0);
      m1 = is_max ? _mm256_max_ps(b, m1) : _mm256_min_ps(b, m1);
      nan = _mm256_or_ps(nan, _mm256_or_ps(_mm256_cmp_ps(a, a, _CMP_UNORD_Q), _mm256_cmp_ps(b, b, _CMP_UNORD_Q)));
    }
    if (_mm256_movemask_ps(nan)) {
      acc = std::numeric_limits<float>::quiet_NaN();
      return true;
    }
    alignas(32) float lanes[16];
    _mm256_store_ps(lanes, m0);
    _mm256_store_ps(lanes + 8, m1);
    for (float v : lanes) acc = R::step(acc, v);
    for (; i < n; ++i) acc = R::step(acc, x[i]);
    return true;
  }
#endif
  (void)x;
  (void)n;
  (void)acc;
  return false;
}

// Sum of a contiguous float run: 32 float lanes over blocks of 2048 elements
// (each lane adds 64 values in float), the lanes folded pairwise, and each
// block's total added to the double accumulator. Twice the throughput of
// converting every element to double; the error of a 64-term float sum.
template <class R, class A, class T> bool sum_float_run(const T* x, int64_t n, A& total) {
  if constexpr (R::kSimdSum && std::is_same_v<T, float>) {
    constexpr int64_t kLanes = 32, kBlock = 2048;
    int64_t i = 0;
    for (; i + kLanes <= n;) {
      float lane[kLanes] = {};
      const int64_t end = i + std::min(kBlock, (n - i) / kLanes * kLanes);
      for (; i < end; i += kLanes)
        for (int64_t j = 0; j < kLanes; ++j) lane[j] += x[i + j];
      for (int64_t w = kLanes / 2; w > 0; w /= 2)
        for (int64_t j = 0; j < w; ++j) lane[j] += lane[j + w];
      total += lane[0];
    }
    for (; i < n; ++i) total += x[i];
    return true;
  }
  (void)x;
  (void)n;
  (void)total;
  return false;
}

// Reduces one output element's block; a contiguous innermost run is reduced
// with 8 independent accumulators so the loop vectorizes.
template <class R, class A, class T> A reduce_block(const ReduceIter& r, const char* base) {
  const int nd = r.nred;
  const int64_t inner = nd ? r.red_shape[nd - 1] : 1;
  const int64_t is = nd ? r.red_strides[nd - 1] : 0;
  const int64_t rows = inner ? r.red_numel / inner : 0;
  A total = R::template init<T>();
  int64_t idx[kMaxIterDims] = {0};
  for (int64_t row = 0; row < rows; ++row) {
    int64_t off = 0;
    for (int d = 0; d < nd - 1; ++d) off += idx[d] * r.red_strides[d];
    const char* p = base + off;
    const T* run = reinterpret_cast<const T*>(p);
    if (is == sizeof(T) && (simd_minmax<R, A, T>(run, inner, total) || sum_float_run<R, A, T>(run, inner, total))) {
      if (total != total) return total;  // NaN: nothing can change the result
    } else if (is == sizeof(T)) {
      const T* x = reinterpret_cast<const T*>(p);
      A acc[8];
      for (int j = 0; j < 8; ++j) acc[j] = R::template init<T>();
      int64_t i = 0;
      for (; i + 8 <= inner; i += 8)
        for (int j = 0; j < 8; ++j) acc[j] = R::step(acc[j], x[i + j]);
      for (; i < inner; ++i) acc[0] = R::step(acc[0], x[i]);
      for (int j = 0; j < 8; ++j) total = R::merge(total, acc[j]);
    } else {
      for (int64_t i = 0; i < inner; ++i) total = R::step(total, *reinterpret_cast<const T*>(p + i * is));
    }
    for (int d = nd - 2; d >= 0; --d) {
      if (++idx[d] < r.red_shape[d]) break;
      idx[d] = 0;
    }
  }
  return total;
}

template <class R, class T> void reduce_impl(ReduceIter& r) {
  using A = typename R::template acc_t<T>;
  using Out = typename R::template out_t<T>;
  const int64_t n = r.red_numel;
  Out* out = reinterpret_cast<Out*>(r.out);
  const int64_t kinner_stride = r.nkeep ? r.keep_strides[r.nkeep - 1] : 0;
  const bool red_contig = r.nred && r.red_strides[r.nred - 1] == int64_t(sizeof(T));
  if (r.nkeep && kinner_stride == int64_t(sizeof(T)) && !red_contig && r.red_numel > 1) {
    // Column mode (e.g. sum over dim 0 of a row-major matrix): stream over the
    // reduced dims and update a block of contiguous outputs at once.
    const int64_t inner = r.keep_shape[r.nkeep - 1];
    const int64_t outer = r.out_numel / inner;
    // Wide blocks (up to 2048 accumulators, 16 KiB) so each reduced row is read as one long
    // contiguous run; split so both threads get work when there is a single outer row.
    constexpr int64_t kMaxBlock = 2048;
    const int64_t per_thread = (inner + get_num_threads() - 1) / get_num_threads();
    const int64_t block = std::min(kMaxBlock, std::max<int64_t>(64, (outer > 1 ? inner : per_thread + 63) / 64 * 64));
    const int64_t nblocks = (inner + block - 1) / block;
    parallel_for(0, outer * nblocks, 1, [&](int64_t b, int64_t e) {
      A acc[kMaxBlock];
      for (int64_t t = b; t < e; ++t) {
        int64_t ob = t / nblocks, j0 = (t % nblocks) * block, w = std::min(block, inner - j0);
        const char* base = r.in + keep_offset(r, ob * inner) + j0 * int64_t(sizeof(T));
        for (int64_t j = 0; j < w; ++j) acc[j] = R::template init<T>();
        int64_t q = 0;
        if (r.nred == 1) {
          // Four reduced rows per pass over the accumulators: a quarter of the
          // accumulator loads and stores, same order of operations per column.
          const int64_t rs = r.red_strides[0];
          for (; q + 4 <= r.red_numel; q += 4) {
            const T* x0 = reinterpret_cast<const T*>(base + q * rs);
            const T* x1 = reinterpret_cast<const T*>(base + (q + 1) * rs);
            const T* x2 = reinterpret_cast<const T*>(base + (q + 2) * rs);
            const T* x3 = reinterpret_cast<const T*>(base + (q + 3) * rs);
            for (int64_t j = 0; j < w; ++j)
              acc[j] = R::step(R::step(R::step(R::step(acc[j], x0[j]), x1[j]), x2[j]), x3[j]);
          }
        }
        int64_t idx[kMaxIterDims] = {0};
        idx[0] = q;  // nred > 1 starts at 0; nred == 1 continues after the unrolled rows
        for (; q < r.red_numel; ++q) {
          int64_t off = 0;
          for (int d = 0; d < r.nred; ++d) off += idx[d] * r.red_strides[d];
          const T* x = reinterpret_cast<const T*>(base + off);
          for (int64_t j = 0; j < w; ++j) acc[j] = R::step(acc[j], x[j]);
          for (int d = r.nred - 1; d >= 0; --d) {
            if (++idx[d] < r.red_shape[d]) break;
            idx[d] = 0;
          }
        }
        for (int64_t j = 0; j < w; ++j) out[ob * inner + j0 + j] = static_cast<Out>(R::project(acc[j], n));
      }
    });
    return;
  }
  if (r.out_numel == 1 && r.nred == 1 && red_contig && r.red_numel > 65536) {
    // One long contiguous run: split it across threads and merge the partials.
    int nt = get_num_threads();
    std::vector<A> part(nt, R::template init<T>());
    int64_t chunk = (n + nt - 1) / nt;
    parallel_for(0, nt, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        int64_t lo = t * chunk, hi = std::min(n, lo + chunk);
        if (lo >= hi) continue;
        ReduceIter sub = r;
        sub.red_shape[0] = hi - lo;
        sub.red_numel = hi - lo;
        part[t] = reduce_block<R, A, T>(sub, r.in + lo * int64_t(sizeof(T)));
      }
    });
    A total = R::template init<T>();
    for (A v : part) total = R::merge(total, v);
    out[0] = static_cast<Out>(R::project(total, n));
    return;
  }
  parallel_for(0, r.out_numel, std::max<int64_t>(1, 32768 / std::max<int64_t>(r.red_numel, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t o = b; o < e; ++o)
                   out[o] = static_cast<Out>(R::project(reduce_block<R, A, T>(r, r.in + keep_offset(r, o)), n));
               });
}

}  // namespace

#define TG_REDUCE_CASE(name, F, kind, identity) \
  case ReduceOpId::name: reduce_impl<F, scalar_t>(r); break;
void reduce(ReduceOpId op, ReduceIter& r) {
  TG_DISPATCH(r.dtype, "reduce", [&] {
    switch (op) { TG_REDUCE_OPS(TG_REDUCE_CASE) }
  });
}
#undef TG_REDUCE_CASE

void arg_reduce(bool is_max, ReduceIter& r) {
  // One reduced dim (the front end guarantees it); first index wins ties, and a NaN wins outright.
  TG_DISPATCH(r.dtype, "argmax", [&] {
    using T = scalar_t;
    const int64_t n = r.red_numel, s = r.nred ? r.red_strides[0] : 0;
    T* vals = reinterpret_cast<T*>(r.out);
    int64_t* idx = reinterpret_cast<int64_t*>(r.indices);
    parallel_for(0, r.out_numel, std::max<int64_t>(1, 32768 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const char* p = r.in + keep_offset(r, o);
        T best = *reinterpret_cast<const T*>(p);
        int64_t bi = 0;
        for (int64_t i = 1; i < n && best == best; ++i) {
          T x = *reinterpret_cast<const T*>(p + i * s);
          if (x != x || (is_max ? x > best : x < best)) {
            best = x;
            bi = i;
          }
        }
        vals[o] = best;
        idx[o] = bi;
      }
    });
  });
}

}  // namespace tg::cpu::TG_ISA
