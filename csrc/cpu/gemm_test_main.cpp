// Correctness test and benchmark for csrc/cpu/gemm.cpp and csrc/cpu/parallel.cpp.
// Not part of the library build: tests/cpp/CMakeLists.txt builds it (gemm.cpp
// compiled six times: the three production ISA copies, plus three test-mode
// copies, -DTG_GEMM_TEST_MODE: tiny cache blocks and no direct-loop shortcut,
// so small shapes exercise every blocking loop and edge path of the packed
// code) and CTest runs `gemm_test test --quick`; tests/test_cpp_gemm.py does
// both in the suite. By hand:
//   cmake -S tests/cpp -B build/cpp-tests && cmake --build build/cpp-tests
// Run (G=build/cpp-tests/gemm_test):
//   $G test [--quick]              correctness (all ISA copies, float+double;
//                                  --quick: see run_correctness)
//   $G bench [--numpy] [--rounds R] [--only MxNxK]
//                                  GFLOP/s on 1 and 2 threads (float32); with
//                                  --numpy also times numpy (OpenBLAS) in
//                                  python3 child processes started with
//                                  OPENBLAS_NUM_THREADS=1 / =2, interleaved
//                                  with our trials (R rounds, default 10)
//   $G                             both, with --numpy
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "gemm.h"
#include "parallel.h"

// Declarations of the per-ISA copies (normally seen only by dispatch.cpp).
#define TG_DECLARE_GEMM(ns)                                                                                          \
  namespace tg::cpu::ns {                                                                                            \
  template <class T>                                                                                                 \
  void gemm(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb,          \
            int64_t csb, T* C, int64_t rsc, int64_t csc, bool accumulate);                                           \
  extern template void gemm<float>(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, \
                                   int64_t, float*, int64_t, int64_t, bool);                                         \
  extern template void gemm<double>(int64_t, int64_t, int64_t, const double*, int64_t, int64_t, const double*,       \
                                    int64_t, int64_t, double*, int64_t, int64_t, bool);                              \
  }
TG_DECLARE_GEMM(avx512)
TG_DECLARE_GEMM(avx2)
TG_DECLARE_GEMM(base)
TG_DECLARE_GEMM(avx512_t)
TG_DECLARE_GEMM(avx2_t)
TG_DECLARE_GEMM(base_t)

namespace {
bool has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
bool has_avx512() {
  return has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}
}  // namespace

// Stand-in for csrc/cpu/dispatch.cpp: the public entry point forwards to the
// best copy the CPU supports.
namespace tg::cpu {
template <class T>
void gemm(int64_t M, int64_t N, int64_t K, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb,
          T* C, int64_t rsc, int64_t csc, bool accumulate) {
  static const auto fn = has_avx512() ? &avx512::gemm<T> : has_avx2() ? &avx2::gemm<T> : &base::gemm<T>;
  fn(M, N, K, A, rsa, csa, B, rsb, csb, C, rsc, csc, accumulate);
}
template void gemm<float>(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t,
                          float*, int64_t, int64_t, bool);
template void gemm<double>(int64_t, int64_t, int64_t, const double*, int64_t, int64_t, const double*, int64_t, int64_t,
                           double*, int64_t, int64_t, bool);
}  // namespace tg::cpu

namespace {

template <class T>
using GemmFn = void (*)(int64_t, int64_t, int64_t, const T*, int64_t, int64_t, const T*, int64_t, int64_t, T*, int64_t,
                        int64_t, bool);

template <class T> struct Impl {
  const char* name;
  GemmFn<T> fn;
};

template <class T> std::vector<Impl<T>> impls() {
  std::vector<Impl<T>> v = {{"base", &tg::cpu::base::gemm<T>}, {"base_t", &tg::cpu::base_t::gemm<T>}};
  if (has_avx2()) {
    v.push_back({"avx2", &tg::cpu::avx2::gemm<T>});
    v.push_back({"avx2_t", &tg::cpu::avx2_t::gemm<T>});
  }
  if (has_avx512()) {
    v.push_back({"avx512", &tg::cpu::avx512::gemm<T>});
    v.push_back({"avx512_t", &tg::cpu::avx512_t::gemm<T>});
  }
  return v;
}

std::mt19937_64 g_rng(12345);

// A matrix stored inside a larger buffer so that strides, transposition and
// padding can all be exercised. Element (i, j) is at data[off + i*rs + j*cs].
template <class T> struct Strided {
  int64_t rows = 0, cols = 0, rs = 0, cs = 0;
  std::vector<T> data;
  int64_t off = 0;

  // layout 0: row-major, 1: column-major, 2: a view with no unit stride
  // (every other column of a row-major buffer, like x[:, ::2]), 3: row-major
  // with the rows reversed (negative row stride, like x[::-1]); pad: extra
  // leading-dimension slack.
  Strided(int64_t r, int64_t c, int layout, int64_t pad) : rows(r), cols(c) {
    if (layout == 3) {
      cs = 1;
      rs = -(c + pad);
    } else if (layout == 1) {
      rs = 1;
      cs = r + pad;
    } else if (layout == 2) {
      cs = 2;
      rs = 2 * c + pad;
    } else {
      cs = 1;
      rs = c + pad;
    }
    off = 3;  // not 64-byte aligned on purpose
    if (rs < 0 && rows > 0) off += (rows - 1) * -rs;
    const int64_t span = rows && cols ? (rows - 1) * std::abs(rs) + (cols - 1) * cs + 1 : 0;
    data.assign(static_cast<size_t>(off + span + 5), T(0));
  }
  T* ptr() { return data.data() + off; }
  T& at(int64_t i, int64_t j) { return data[off + i * rs + j * cs]; }
  void fill_random() {
    std::uniform_real_distribution<double> d(-1.0, 1.0);
    for (auto& x : data) x = T(d(g_rng));
  }
};

// Checks one gemm call against a long double reference, including that the
// memory around and between C's elements is untouched.
template <class T>
bool check_case(GemmFn<T> fn, int64_t M, int64_t N, int64_t K, int la, int lb, int lc, int64_t pad, bool accumulate,
                std::string* why) {
  Strided<T> A(M, K, la, pad), B(K, N, lb, pad), C(M, N, lc, pad);
  A.fill_random();
  B.fill_random();
  C.fill_random();
  std::vector<T> before = C.data;
  std::vector<bool> in_c(C.data.size(), false);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) in_c[C.off + i * C.rs + j * C.cs] = true;
  if (!accumulate) {
    // accumulate=false must never read C: poison it.
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C.at(i, j) = std::numeric_limits<T>::quiet_NaN();
  }
  fn(M, N, K, A.ptr(), A.rs, A.cs, B.ptr(), B.rs, B.cs, C.ptr(), C.rs, C.cs, accumulate);

  const long double eps = std::numeric_limits<T>::epsilon();
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      const int64_t idx = C.off + i * C.rs + j * C.cs;
      long double ref = accumulate ? (long double)before[idx] : 0.0L;
      long double mag = std::fabs(ref);
      for (int64_t k = 0; k < K; ++k) {
        long double p = (long double)A.at(i, k) * (long double)B.at(k, j);
        ref += p;
        mag += std::fabs(p);
      }
      const long double got = C.data[idx];
      // Standard forward error bound for a length-K sum, with slack.
      const long double tol = 2.0L * (K + 2) * eps * mag + 1e-30L;
      if (!(std::fabs(got - ref) <= tol)) {
        char buf[256];
        std::snprintf(buf, sizeof buf, "C[%lld,%lld]=%.9Lg ref=%.9Lg tol=%.3Lg", (long long)i, (long long)j, got, ref,
                      tol);
        *why = buf;
        return false;
      }
    }
  for (size_t t = 0; t < C.data.size(); ++t)
    if (!in_c[t] && std::memcmp(&C.data[t], &before[t], sizeof(T)) != 0) {
      *why = "wrote outside C at buffer index " + std::to_string(t);
      return false;
    }
  return true;
}

// quick (tests/test_cpp_gemm.py): threads 1 and 2, and the larger shapes up to 1M multiply-adds in the 8
// row/column-major layouts without padding; the exhaustive small-shape sweep is the same.
template <class T> int run_correctness(const char* tname, bool quick) {
  int failures = 0;
  long long cases = 0;
  struct Shape {
    int64_t M, N, K;
  };
  std::vector<Shape> shapes;
  for (int64_t M = 0; M <= 17; ++M)
    for (int64_t N = 0; N <= 17; ++N)
      for (int64_t K = 0; K <= 17; ++K) shapes.push_back({M, N, K});
  const std::vector<Shape> larger = {{63, 129, 257},  {129, 63, 257},  {257, 129, 63},  {1, 300, 513},  {300, 1, 513},
                                     {37, 41, 1000},  {64, 100, 1000}, {1000, 100, 64}, {64, 100, 10},  {100, 64, 1000},
                                     {301, 299, 263}, {6, 16, 1},      {7, 4099, 3},    {12, 32, 256},  {13, 33, 257},
                                     {2, 2, 5000},    {97, 5, 300},    {5, 97, 300},    {1, 1000, 700}, {700, 1, 1000},
                                     {1, 1, 100000},  {3, 1000, 100}};

  for (const auto& impl : impls<T>()) {
    for (int threads : {1, 2, 3}) {
      if (quick && threads == 3) continue;
      tg::cpu::set_num_threads(threads);
      long long before_fail = failures;
      auto run = [&](const Shape& s, bool exhaustive) {
        // A, B, C each in one of the 4 layouts of Strided (64 combinations).
        // The 8 row/column-major combinations always run; of the others,
        // the exhaustive small-shape sweep runs a deterministic fifth, the
        // larger shapes those without a reversed operand plus every fourth
        // of the rest, to keep the run time sane.
        for (int tr = 0; tr < 64; ++tr) {
          const int la = tr % 4, lb = tr / 4 % 4, lc = tr / 16;
          const bool plain = la < 2 && lb < 2 && lc < 2;
          const bool reversed = la == 3 || lb == 3 || lc == 3;
          if (exhaustive && !plain && (s.M * 31 + s.N * 7 + s.K + tr) % 5) continue;
          if (!exhaustive && reversed && tr % 4 != 3) continue;
          if (quick && !exhaustive && !plain) continue;
          for (int acc = 0; acc < 2; ++acc) {
            // Exhaustive small shapes: alternate padding; larger shapes get
            // both.
            for (int64_t pad : {int64_t(0), int64_t(3)}) {
              if (exhaustive && pad != ((s.M + s.N + s.K + tr) & 1 ? 3 : 0)) continue;
              if (quick && !exhaustive && pad) continue;
              ++cases;
              std::string why;
              if (!check_case<T>(impl.fn, s.M, s.N, s.K, la, lb, lc, pad, acc != 0, &why)) {
                if (++failures <= 20)
                  std::printf(
                      "FAIL %s %s threads=%d M=%lld N=%lld K=%lld layouts "
                      "A=%d B=%d C=%d pad=%lld acc=%d: %s\n",
                      tname, impl.name, threads, (long long)s.M, (long long)s.N, (long long)s.K, la, lb, lc,
                      (long long)pad, acc, why.c_str());
              }
            }
          }
        }
      };
      // The exhaustive sweep is single-threaded-sized anyway; run it once.
      if (threads == 1)
        for (const auto& s : shapes) run(s, true);
      for (const auto& s : larger)
        if (!quick || s.M * s.N * s.K <= 1000000) run(s, false);
      std::printf("  %-6s %-6s threads=%d: %s\n", tname, impl.name, threads, failures == before_fail ? "ok" : "FAILED");
    }
  }
  std::printf("%s: %lld cases, %d failures\n", tname, cases, failures);
  return failures;
}

int run_parallel_tests() {
  int failures = 0;
  auto expect = [&](bool ok, const char* what) {
    std::printf("  parallel_for: %-40s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) ++failures;
  };
  const int default_threads = tg::cpu::get_num_threads();
  std::printf("  parallel_for: default thread count %d (hardware %u)\n", default_threads,
              std::thread::hardware_concurrency());
  expect(default_threads >= 1, "default thread count >= 1");
  for (int nt : {1, 2, 4, 2}) {  // includes growing and shrinking the pool
    tg::cpu::set_num_threads(nt);
    std::vector<std::atomic<int>> hits(10007);
    tg::cpu::parallel_for(0, 10007, 7, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
    });
    bool ok = true;
    for (auto& h : hits) ok &= h.load() == 1;
    expect(ok, ("each index once, threads=" + std::to_string(nt)).c_str());
  }
  {
    tg::cpu::set_num_threads(2);
    std::atomic<int64_t> sum{0};
    tg::cpu::parallel_for(0, 64, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        tg::cpu::parallel_for(0, 100, 1, [&](int64_t b2, int64_t e2) { sum.fetch_add(e2 - b2); });
    });
    expect(sum.load() == 6400, "nested calls run inline");
  }
  {
    bool caught = false;
    try {
      tg::cpu::parallel_for(0, 100, 1, [&](int64_t b, int64_t) {
        if (b == 0) throw std::runtime_error("boom");
      });
    } catch (const std::runtime_error& e) { caught = std::string(e.what()) == "boom"; }
    expect(caught, "exception propagates to caller");
    std::atomic<int64_t> n{0};
    tg::cpu::parallel_for(0, 1000, 1, [&](int64_t b, int64_t e) { n += e - b; });
    expect(n.load() == 1000, "pool usable after exception");
  }
  {
    // Several application threads dispatching at once (each may run inline).
    std::atomic<int64_t> total{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
      ts.emplace_back([&] {
        for (int r = 0; r < 2000; ++r)
          tg::cpu::parallel_for(0, 64, 1, [&](int64_t b, int64_t e) {
            // Long enough that the callers' jobs overlap in time.
            auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
            while (std::chrono::steady_clock::now() < until) {}
            total.fetch_add(e - b);
          });
      });
    for (auto& t : ts) t.join();
    expect(total.load() == 4 * 2000 * 64, "concurrent callers");
  }
  {
    // fork() while the pool exists: the child has no workers and must build
    // a new pool rather than wait for threads that do not exist.
    tg::cpu::set_num_threads(2);
    tg::cpu::parallel_for(0, 100, 1, [](int64_t, int64_t) {});
    pid_t pid = fork();
    if (pid == 0) {
      alarm(20);  // a deadlock kills the child instead of hanging the test
      std::atomic<int64_t> n{0};
      tg::cpu::parallel_for(0, 1000, 1, [&](int64_t b, int64_t e) { n += e - b; });
      _exit(n.load() == 1000 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    expect(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "parallel_for in a forked child");
  }
  {
    // Many back-to-back tiny jobs: stresses the hand-off between jobs.
    std::atomic<int64_t> total{0};
    for (int r = 0; r < 100000; ++r)
      tg::cpu::parallel_for(0, 2, 1, [&](int64_t b, int64_t e) { total.fetch_add(e - b); });
    expect(total.load() == 200000, "100k back-to-back jobs");
  }
  {
    // Dispatch overhead: two chunks of ~2 us each, so the ideal per call is
    // 2 us when the worker takes one chunk; measured with the worker warm
    // (spinning between calls) and after it went to sleep.
    tg::cpu::set_num_threads(2);
    auto body = [](int64_t, int64_t) {
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(2);
      while (std::chrono::steady_clock::now() < until) {}
    };
    const int reps = 20000;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) tg::cpu::parallel_for(0, 2, 1, body);
    double warm = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / reps;
    double cold = 0;
    for (int r = 0; r < 20; ++r) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      auto t1 = std::chrono::steady_clock::now();
      tg::cpu::parallel_for(0, 2, 1, body);
      cold += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t1).count() / 20;
    }
    std::printf(
        "  parallel_for, 2 threads, 2 x 2 us chunks (ideal 2 us per call): "
        "warm %.2f us, after sleep %.1f us\n",
        warm, cold);
  }
  return failures;
}

// ---------------------------------------------------------------------------
// Benchmark.

struct BenchShape {
  int64_t M, N, K;
  bool target;  // part of the acceptance criteria
};

const std::vector<BenchShape> kBenchShapes = {
    {256, 256, 256, true},    {512, 512, 512, true},  {1024, 1024, 1024, true},
    {2048, 2048, 2048, true}, {64, 100, 1000, true},  {1000, 100, 64, false},
    {64, 100, 10, false},     {100, 64, 1000, false}, {1, 4096, 4096, false}};

// Timing on a shared 2-core VM is noisy (other builds, neighbours on the
// host, boost clocks), so ours and numpy are measured *interleaved*: every
// round runs one ~0.2 s trial of each contender for each thread count, and the
// best trial over all rounds is reported. A slow period then hurts whichever
// trial happened to fall into it, not one contender systematically.
//
// numpy runs in two long-lived python3 child processes (one started with
// OPENBLAS_NUM_THREADS=1, one with 2) that time np.matmul on request.
class NumpyServer {
 public:
  explicit NumpyServer(int threads) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[1]);
      close(from_child[0]);
      const std::string n = std::to_string(threads);
      setenv("OPENBLAS_NUM_THREADS", n.c_str(), 1);
      setenv("OMP_NUM_THREADS", n.c_str(), 1);
      execlp("python3", "python3", "-c",
             "import sys, time, numpy as np\n"
             "cache = {}\n"
             "for line in sys.stdin:\n"
             "    M, N, K, reps = map(int, line.split())\n"
             "    if (M, N, K) not in cache:\n"
             "        a = np.random.rand(M, K).astype(np.float32)\n"
             "        b = np.random.rand(K, N).astype(np.float32)\n"
             "        c = a @ b\n"
             "        cache[(M, N, K)] = (a, b, c)\n"
             "    a, b, c = cache[(M, N, K)]\n"
             "    t0 = time.perf_counter()\n"
             "    for _ in range(reps): np.matmul(a, b, out=c)\n"
             "    print((time.perf_counter() - t0) / reps, flush=True)\n",
             static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    in_ = fdopen(to_child[1], "w");
    out_ = fdopen(from_child[0], "r");
  }
  ~NumpyServer() {
    if (in_) std::fclose(in_);
    if (out_) std::fclose(out_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  bool ok() const { return in_ && out_; }
  // Seconds per call averaged over `reps` calls; NaN if the child failed.
  double time(int64_t M, int64_t N, int64_t K, int reps) {
    if (!ok()) return std::nan("");
    std::fprintf(in_, "%lld %lld %lld %d\n", (long long)M, (long long)N, (long long)K, reps);
    std::fflush(in_);
    double sec;
    if (std::fscanf(out_, "%lf", &sec) != 1) return std::nan("");
    return sec;
  }

 private:
  pid_t pid_ = -1;
  FILE* in_ = nullptr;
  FILE* out_ = nullptr;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void run_bench(bool with_numpy, int rounds, const std::string& only) {
  std::printf(
      "\nfloat32 GFLOP/s, row-major operands, best trial of %d interleaved "
      "rounds\n",
      rounds);
  std::printf("%-16s %8s %8s %6s | %8s %8s %6s\n", "M x N x K", "ours 1T", "numpy 1T", "ratio", "ours 2T", "numpy 2T",
              "ratio");
  std::unique_ptr<NumpyServer> np[2];
  if (with_numpy) {
    np[0] = std::make_unique<NumpyServer>(1);
    np[1] = std::make_unique<NumpyServer>(2);
  }
  // OpenBLAS worker threads busy-wait for a while after each call; give them
  // time to go to sleep before timing anything else.
  auto settle = [] { std::this_thread::sleep_for(std::chrono::milliseconds(150)); };
  for (const auto& sh : kBenchShapes) {
    const std::string tag = std::to_string(sh.M) + "x" + std::to_string(sh.N) + "x" + std::to_string(sh.K);
    if (!only.empty() && only != tag) continue;
    std::vector<float> A(sh.M * sh.K), B(sh.K * sh.N), C(sh.M * sh.N);
    std::uniform_real_distribution<float> d(0.f, 1.f);
    for (auto& x : A) x = d(g_rng);
    for (auto& x : B) x = d(g_rng);
    const double flop = 2.0 * sh.M * sh.N * sh.K;
    auto ours_call = [&] {
      tg::cpu::gemm<float>(sh.M, sh.N, sh.K, A.data(), sh.K, 1, B.data(), sh.N, 1, C.data(), sh.N, 1, false);
    };
    double best_ours[2] = {1e30, 1e30}, best_np[2] = {1e30, 1e30};
    int reps_ours[2] = {0, 0}, reps_np[2] = {0, 0};
    for (int t = 0; t < 2; ++t) {  // warm up and calibrate ~0.2 s trials
      tg::cpu::set_num_threads(t + 1);
      ours_call();
      auto t0 = std::chrono::steady_clock::now();
      ours_call();
      reps_ours[t] = std::max(1, int(0.2 / std::max(seconds_since(t0), 1e-7)));
      if (np[t]) {
        np[t]->time(sh.M, sh.N, sh.K, 1);
        const double one = np[t]->time(sh.M, sh.N, sh.K, 1);
        reps_np[t] = std::max(1, int(0.2 / std::max(one, 1e-7)));
        settle();
      }
    }
    for (int r = 0; r < rounds; ++r) {
      for (int t = 0; t < 2; ++t) {
        tg::cpu::set_num_threads(t + 1);
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < reps_ours[t]; ++i) ours_call();
        best_ours[t] = std::min(best_ours[t], seconds_since(t0) / reps_ours[t]);
        if (np[t]) {
          best_np[t] = std::min(best_np[t], np[t]->time(sh.M, sh.N, sh.K, reps_np[t]));
          settle();
        }
      }
    }
    char name[64];
    std::snprintf(name, sizeof name, "%lldx%lldx%lld%s", (long long)sh.M, (long long)sh.N, (long long)sh.K,
                  sh.target ? "*" : "");
    double g[2], n[2];
    for (int t = 0; t < 2; ++t) {
      g[t] = flop / best_ours[t] / 1e9;
      n[t] = np[t] ? flop / best_np[t] / 1e9 : std::nan("");
    }
    std::printf("%-16s %8.1f %8.1f %6.2f | %8.1f %8.1f %6.2f\n", name, g[0], n[0], g[0] / n[0], g[1], n[1],
                g[1] / n[1]);
    std::fflush(stdout);
  }
  std::printf("(* = acceptance target: ratio >= 0.90)\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "all";
  bool with_numpy = mode == "all";
  int rounds = 10;
  std::string only;
  bool quick = false;
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--quick") quick = true;
    if (std::string(argv[i]) == "--only" && i + 1 < argc) only = argv[++i];
    if (std::string(argv[i]) == "--numpy") with_numpy = true;
    if (std::string(argv[i]) == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
  }
  int failures = 0;
  if (mode == "test" || mode == "all") {
    failures += run_parallel_tests();
    failures += run_correctness<float>("float", quick);
    failures += run_correctness<double>("double", quick);
    std::printf("correctness: %s\n", failures ? "FAILED" : "all passed");
  }
  if (mode == "bench" || mode == "all") run_bench(with_numpy, rounds, only);
  return failures ? 1 : 0;
}
