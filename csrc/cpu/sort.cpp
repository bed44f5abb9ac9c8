// Sorting kernels (see sort.h). Each element becomes an unsigned integer key whose unsigned order is
// torch's order of the values (NaN largest); a key of at most 32 bits is packed with the element's
// index into one uint64 (key high, index low), so one std::sort of plain integers sorts by value and
// then by index, i.e. stably. 64-bit keys sort as (key, index) pairs.
#include "sort.h"
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>
#include "parallel.h"

namespace tg::cpu {
namespace {

template <class T> using key_type = std::conditional_t<sizeof(T) <= 4, uint32_t, uint64_t>;

// The unsigned key of v: ascending key order is torch's ascending value order, NaN last.
template <class T> inline key_type<T> order_key(T v) {
  using K = key_type<T>;
  if constexpr (std::is_floating_point_v<T>) {
    if (v != v) return ~K(0);  // every NaN, whatever its sign and payload, above +inf
    if (v == T(0)) v = T(0);   // -0 and +0 are equal values: one key (ties kept in index order)
    K bits;
    std::memcpy(&bits, &v, sizeof(v));
    constexpr K sign = K(1) << (sizeof(K) * 8 - 1);
    return (bits & sign) ? ~bits : (bits | sign);  // negatives reversed below the positives
  } else if constexpr (std::is_same_v<T, bool>) {
    return K(v);
  } else if constexpr (std::is_signed_v<T>) {
    return K(static_cast<std::make_unsigned_t<T>>(v)) ^ (K(1) << (sizeof(T) * 8 - 1));
  } else {
    return K(v);
  }
}

// A sortable (key, index) item: one uint64 for 32-bit keys and rows below 2^32, else a pair.
struct Packed {
  using item = uint64_t;
  static item make(uint64_t key, int64_t j) { return (key << 32) | static_cast<uint64_t>(j); }
  static uint64_t key(item v) { return v >> 32; }
  static int64_t index(item v) { return static_cast<int64_t>(v & 0xffffffffu); }
};
struct Wide {
  using item = std::pair<uint64_t, int64_t>;
  static item make(uint64_t key, int64_t j) { return {key, j}; }
  static uint64_t key(const item& v) { return v.first; }
  static int64_t index(const item& v) { return v.second; }
};

// Runs fn(P, buffer, row_in, row_values, row_indices) on every row, rows split between threads.
template <class T, class Fn>
void for_each_row(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n,
                  int64_t inner, int64_t out_n, Fn fn) {
  const T* x = in->data<T>();
  T* v = values->data<T>();
  int64_t* ix = indices->data<int64_t>();
  const int64_t rows = outer * inner;
  auto run = [&](auto packing) {
    using P = decltype(packing);
    parallel_for(0, rows, std::max<int64_t>(1, 32768 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
      std::vector<typename P::item> buf(static_cast<size_t>(n));
      for (int64_t r = b; r < e; ++r) {
        const int64_t o = r / inner, i = r % inner;
        fn(P{}, buf, x + o * n * inner + i, v + o * out_n * inner + i, ix + o * out_n * inner + i);
      }
    });
  };
  if constexpr (sizeof(key_type<T>) <= 4) {
    if (n <= (int64_t(1) << 32)) return run(Packed{});
  }
  run(Wide{});
}

// The item of element j; reversed keys sort descending, ties still by ascending index.
template <class P, class T> inline typename P::item item_of(const T* row, int64_t j, int64_t inner, bool reverse) {
  uint64_t k = order_key(row[j * inner]);
  return P::make(reverse ? static_cast<key_type<T>>(~k) : k, j);
}

template <class P, class T>
void fill_keys(std::vector<typename P::item>& buf, const T* row, int64_t n, int64_t inner, bool reverse) {
  for (int64_t j = 0; j < n; ++j) buf[j] = item_of<P>(row, j, inner, reverse);
}

template <class P, class T>
void write_out(const std::vector<typename P::item>& buf, int64_t count, const T* row, int64_t inner, T* v,
               int64_t* ix) {
  for (int64_t j = 0; j < count; ++j) {
    int64_t src = P::index(buf[j]);
    v[j * inner] = row[src * inner];
    ix[j * inner] = src;
  }
}

// A stable sort of one row of n >= kRadixMin elements by their keys: LSD radix sort, 8 bits a pass, on (key,
// index) arrays. All the passes' histograms come from one read of the keys; a pass whose byte is the same in every
// key moves nothing and is skipped (small integers sort in one or two passes). Ties keep the index order.
constexpr int64_t kRadixMin = 4096;

template <class T> void radix_sort_row(const T* row, int64_t n, int64_t inner, bool reverse, T* v, int64_t* ix) {
  using K = key_type<T>;
  constexpr int kPasses = sizeof(K);
  std::vector<K> keys(static_cast<size_t>(n)), keys2(static_cast<size_t>(n));
  std::vector<int64_t> idx(static_cast<size_t>(n)), idx2(static_cast<size_t>(n));
  std::vector<int64_t> count(static_cast<size_t>(kPasses) * 256, 0);
  for (int64_t j = 0; j < n; ++j) {
    K k = order_key(row[j * inner]);
    keys[j] = reverse ? K(~k) : k;
    for (int p = 0; p < kPasses; ++p) ++count[p * 256 + ((keys[j] >> (8 * p)) & 0xff)];
  }
  for (int64_t j = 0; j < n; ++j) idx[j] = j;
  for (int p = 0; p < kPasses; ++p) {
    int64_t* c = count.data() + p * 256;
    if (c[(keys[0] >> (8 * p)) & 0xff] == n) continue;  // every key has this byte: the order stands
    int64_t start = 0;
    for (int d = 0; d < 256; ++d) std::swap(c[d], start), start += c[d];  // (exclusive prefix sums)
    for (int64_t j = 0; j < n; ++j) {
      const int64_t to = c[(keys[j] >> (8 * p)) & 0xff]++;
      keys2[to] = keys[j];
      idx2[to] = idx[j];
    }
    keys.swap(keys2);
    idx.swap(idx2);
  }
  for (int64_t j = 0; j < n; ++j) {
    v[j * inner] = row[idx[j] * inner];
    ix[j * inner] = idx[j];
  }
}

}  // namespace

void sort(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n, int64_t inner,
          bool descending, bool stable) {
  TG_DISPATCH(in->dtype, "sort", [&] {
    if (!stable) {
      // NOTE: torch's unstable CPU sort is std::sort of (value, index) comparing values only, so equal values end
      // in the order that algorithm leaves them: the same std::sort on (key, index) pairs.
      for_each_row<scalar_t>(
          in, values, indices, outer, n, inner, n, [&](auto, auto&, const scalar_t* row, scalar_t* v, int64_t* ix) {
            using K = key_type<scalar_t>;
            std::vector<std::pair<K, int64_t>> items(static_cast<size_t>(n));
            for (int64_t j = 0; j < n; ++j) {
              const K k = order_key(row[j * inner]);
              items[j] = {descending ? K(~k) : k, j};
            }
            std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            for (int64_t j = 0; j < n; ++j) {
              v[j * inner] = row[items[j].second * inner];
              ix[j * inner] = items[j].second;
            }
          });
      return;
    }
    if (n >= kRadixMin) {
      const scalar_t* x = in->data<scalar_t>();
      scalar_t* v = values->data<scalar_t>();
      int64_t* ix = indices->data<int64_t>();
      parallel_for(0, outer * inner, 1, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          const int64_t off = r / inner * n * inner + r % inner;
          radix_sort_row(x + off, n, inner, descending, v + off, ix + off);
        }
      });
      return;
    }
    for_each_row<scalar_t>(in, values, indices, outer, n, inner, n,
                           [&](auto p, auto& buf, const scalar_t* row, scalar_t* v, int64_t* ix) {
                             using P = decltype(p);
                             fill_keys<P>(buf, row, n, inner, descending);
                             std::sort(buf.begin(), buf.end());
                             write_out<P>(buf, n, row, inner, v, ix);
                           });
  });
}

// torch's CPU topk: (value, index) pairs compared by value alone (NaN largest), then std::partial_sort of the
// first k when k * 64 <= n, else std::nth_element at k - 1 and, when sorted, std::sort of the k - 1 before it;
// equal values end in the order those algorithms leave them, reproduced by running them on the same comparisons
// (the keys order as torch's comparator: NaN first when largest, -0 == +0).
void topk(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n, int64_t inner,
          int64_t k, bool largest, bool sorted) {
  TG_DISPATCH(in->dtype, "topk", [&] {
    using K = key_type<scalar_t>;
    const scalar_t* x = in->data<scalar_t>();
    scalar_t* v = values->data<scalar_t>();
    int64_t* ix = indices->data<int64_t>();
    parallel_for(0, outer * inner, std::max<int64_t>(1, 32768 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
      std::vector<std::pair<K, int64_t>> q(static_cast<size_t>(n));
      auto first_less = [](const auto& p, const auto& r) { return p.first < r.first; };
      for (int64_t r = b; r < e; ++r) {
        const int64_t o = r / inner, i = r % inner;
        const scalar_t* row = x + o * n * inner + i;
        for (int64_t j = 0; j < n; ++j) {
          const K key = order_key(row[j * inner]);
          q[j] = {largest ? K(~key) : key, j};
        }
        if (k * 64 <= n) {
          std::partial_sort(q.begin(), q.begin() + k, q.end(), first_less);
        } else {
          std::nth_element(q.begin(), q.begin() + (k - 1), q.end(), first_less);
          if (sorted) std::sort(q.begin(), q.begin() + (k - 1), first_less);
        }
        for (int64_t j = 0; j < k; ++j) {
          v[(o * k + j) * inner + i] = row[q[j].second * inner];
          ix[(o * k + j) * inner + i] = q[j].second;
        }
      }
    });
  });
}

// torch's quick_select_template (kthvalue's CPU kernel): median-of-three quickselect on the values and their
// indices together, swapping both; gt is its "greater or NaN" comparison (here on the keys).
template <class K> void quick_select(std::vector<K>& a, std::vector<int64_t>& id, int64_t k) {
  auto swap = [&](int64_t i, int64_t j) {
    std::swap(a[i], a[j]);
    std::swap(id[i], id[j]);
  };
  int64_t L = 0, R = static_cast<int64_t>(a.size()) - 1;
  while (true) {
    if (R <= L) return;
    if (R == L + 1) {
      if (a[L] > a[R]) swap(L, R);
      return;
    }
    const int64_t P = L + (R - L) / 2;
    swap(P, L + 1);
    if (a[L + 1] > a[R]) swap(L + 1, R);
    if (a[L] > a[R]) swap(L, R);
    if (a[L + 1] > a[L]) swap(L + 1, L);
    int64_t i = L + 1, j = R;
    const K piv = a[L];
    while (true) {
      do ++i;
      while (piv > a[i]);
      do --j;
      while (a[j] > piv);
      if (j < i) break;
      swap(i, j);
    }
    swap(L, j);
    if (j <= k) L = i;
    if (j >= k) R = j - 1;
  }
}

void kthvalue(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n, int64_t inner,
              int64_t k, bool stable) {
  TG_DISPATCH(in->dtype, "kthvalue", [&] {
    if (stable) {  // the k-th in (value, index) order: a total order, so nth_element's pick is unique
      for_each_row<scalar_t>(in, values, indices, outer, n, inner, 1,
                             [&](auto p, auto& buf, const scalar_t* row, scalar_t* v, int64_t* ix) {
                               using P = decltype(p);
                               fill_keys<P>(buf, row, n, inner, false);
                               std::nth_element(buf.begin(), buf.begin() + (k - 1), buf.end());
                               const int64_t src = P::index(buf[k - 1]);
                               *v = row[src * inner];
                               *ix = src;
                             });
      return;
    }
    using K = key_type<scalar_t>;
    const scalar_t* x = in->data<scalar_t>();
    scalar_t* v = values->data<scalar_t>();
    int64_t* ix = indices->data<int64_t>();
    parallel_for(0, outer * inner, std::max<int64_t>(1, 32768 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
      std::vector<K> a(static_cast<size_t>(n));
      std::vector<int64_t> id(static_cast<size_t>(n));
      for (int64_t r = b; r < e; ++r) {
        const int64_t o = r / inner, i = r % inner;
        const scalar_t* row = x + o * n * inner + i;
        for (int64_t j = 0; j < n; ++j) a[j] = order_key(row[j * inner]), id[j] = j;
        quick_select(a, id, k - 1);
        v[o * inner + i] = row[id[k - 1] * inner];
        ix[o * inner + i] = id[k - 1];
      }
    });
  });
}

// torch's CPU mode: std::sort of (value, index) pairs compared by value alone (not stable: which index a tie
// ends on is std::sort's order, reproduced by sorting the same way), then the first longest run of equal values
// (NaN equals nothing); the index is the run's last element in that order.
template <class T> inline bool value_less(T a, T b) {
  if constexpr (std::is_arithmetic_v<T>) {
    return a < b;
  } else {
    return static_cast<float>(a) < static_cast<float>(b);  // (half, bfloat16: compared as float, as c10's)
  }
}
template <class T> inline bool value_differs(T a, T b) {
  if constexpr (std::is_arithmetic_v<T>) {
    return a != b;
  } else {
    return static_cast<float>(a) != static_cast<float>(b);
  }
}

void mode(const Tensor& in, const Tensor& values, const Tensor& indices, int64_t outer, int64_t n, int64_t inner) {
  TG_DISPATCH(in->dtype, "mode", [&] {
    const scalar_t* x = in->data<scalar_t>();
    scalar_t* v = values->data<scalar_t>();
    int64_t* ix = indices->data<int64_t>();
    const int64_t rows = outer * inner;
    parallel_for(0, rows, std::max<int64_t>(1, 32768 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
      std::vector<std::pair<scalar_t, int64_t>> elements(static_cast<size_t>(n));
      for (int64_t r = b; r < e; ++r) {
        const int64_t o = r / inner, i = r % inner;
        const scalar_t* row = x + o * n * inner + i;
        for (int64_t k = 0; k < n; ++k) elements[k] = {row[k * inner], k};
        std::sort(elements.begin(), elements.end(),
                  [](const auto& p, const auto& q) { return value_less(p.first, q.first); });
        int64_t run = 0, best = 0, src = 0;
        for (int64_t j = 0; j < n; ++j) {
          ++run;
          if (j == n - 1 || value_differs(elements[j].first, elements[j + 1].first)) {
            if (run > best) best = run, src = elements[j].second;
            run = 0;
          }
        }
        v[o * inner + i] = row[src * inner];
        ix[o * inner + i] = src;
      }
    });
  });
}

void searchsorted(const Tensor& seq, const Tensor& values, const Tensor& out, int64_t rows, int64_t m, int64_t n,
                  bool shared, bool right) {
  TG_DISPATCH(seq->dtype, "searchsorted", [&] {
    const scalar_t* s = seq->data<scalar_t>();
    const scalar_t* v = values->data<scalar_t>();
    int64_t* o = out->data<int64_t>();
    parallel_for(0, rows * n, 4096, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) {
        const scalar_t* row = s + (shared ? 0 : (k / n) * m);
        o[k] = (right ? std::upper_bound(row, row + m, v[k]) : std::lower_bound(row, row + m, v[k])) - row;
      }
    });
  });
}

}  // namespace tg::cpu
