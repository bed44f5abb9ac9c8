// Persistent thread pool behind tg::cpu::parallel_for.
//
// Design notes (why, not what):
//  * One job runs at a time. A job lives on the caller's stack; workers reach
//    it through `job_` and register themselves (`refs`) under the mutex, so the
//    caller can prove nobody still holds a pointer to it before returning.
//    Without that, a worker waking late could grab chunk 0 of the *next* job
//    while still holding the previous job's function.
//  * Chunks are claimed with an atomic counter, so a slow-to-wake worker
//    simply finds nothing left; the caller always works too, so progress never
//    depends on workers being scheduled.
//  * Workers spin for a short while after each job before sleeping on the
//    condition variable: kernels such as gemm issue several parallel_for calls
//    back to back, and a futex wake-up costs tens of microseconds in a VM.
//  * Nested calls (from inside a body) and calls that find the pool busy
//    (another application thread is dispatching) run inline, which can never
//    deadlock.
//  * The pool is intentionally leaked: joining threads from a static
//    destructor races with Python's interpreter teardown, and a leaked pool
//    whose workers sleep on a condition variable is harmless at exit.
//  * After fork() the child has no worker threads; an atfork handler drops the
//    (leaked) pool so the child lazily builds a fresh one.
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define TG_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define TG_CPU_RELAX() asm volatile("yield" ::: "memory")
#else
#define TG_CPU_RELAX() ((void)0)
#endif

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define TG_HAVE_ATFORK 1
#endif

#if defined(__linux__)
#include <sched.h>
#define TG_HAVE_SCHED_AFFINITY 1
#endif

namespace tg::cpu {
namespace {

// Set while a thread executes chunks of a job: nested parallel_for runs inline.
thread_local bool t_in_parallel = false;

int default_num_threads() {
  // Cached: hardware_concurrency() reads sysfs on Linux (~10 us), far more
  // than a small op.
  static const int n = [] {
#ifdef TG_HAVE_SCHED_AFFINITY
    // Respect taskset / cpusets: more threads than usable cores would only
    // make the spinning workers fight the caller for a core.
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return static_cast<int>(CPU_COUNT(&set));
#endif
    unsigned c = std::thread::hardware_concurrency();
    return c == 0 ? 1 : static_cast<int>(c);
  }();
  return n;
}

std::atomic<int> g_requested_threads{0};  // 0 = not set yet -> default

struct Job {
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t begin = 0, end = 0, chunk = 1, nchunks = 0;
  std::atomic<int64_t> next{0};  // next chunk index to claim
  std::atomic<int64_t> done{0};  // chunks finished
  int refs = 0;                  // workers currently attached (guarded by mu_)
  std::mutex exc_mu;
  std::exception_ptr exc;

  // Claims and runs chunks until none are left.
  void run_chunks() {
    for (;;) {
      int64_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= nchunks) return;
      int64_t b = begin + c * chunk;
      int64_t e = std::min(end, b + chunk);
      try {
        (*fn)(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> lk(exc_mu);
        if (!exc) exc = std::current_exception();
      }
      done.fetch_add(1, std::memory_order_acq_rel);
    }
  }
};

class ThreadPool {
 public:
  // How long a worker polls for new work before blocking, and how long the
  // caller polls for stragglers. Long enough to bridge the gap between the
  // back-to-back parallel_for calls of one kernel and the Python between the
  // ops of a training step (an autograd step leaves 100-300 us gaps), short
  // enough not to burn a core noticeably when idle. On the project's VM a
  // futex wake-up of a sleeping worker is slow: benchmarks/bench_step_threads.py
  // (2-thread tutorial step, median of 5 rounds, 4 alternating builds) gave
  // 692-1342 us with 200 us of spinning and 651-691 us with 1 ms (1 thread:
  // 672-842 us).
  static constexpr std::chrono::microseconds kSpinTime{1000};

  // Grows or shrinks the worker set so that workers + caller == n.
  // Only called by the thread holding dispatch_mu_, i.e. with no job running.
  void resize(int n) {
    int want = std::max(0, n - 1);
    int have = static_cast<int>(workers_.size());
    if (want == have) return;
    if (want < have) {
      {
        std::lock_guard<std::mutex> lk(mu_);
        retire_from_ = want;  // workers with index >= want exit
      }
      wake_.notify_all();
      for (int i = want; i < have; ++i) workers_[i].join();
      workers_.resize(want);
      std::lock_guard<std::mutex> lk(mu_);
      retire_from_ = 1 << 30;
    } else {
      for (int i = have; i < want; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
    }
  }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs `job` with the caller participating. Caller holds dispatch_mu_.
  void run(Job& job) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &job;
      generation_.fetch_add(1, std::memory_order_release);
      if (sleepers_ > 0) wake_.notify_all();
    }

    t_in_parallel = true;
    job.run_chunks();
    t_in_parallel = false;

    // All chunks are claimed now; wait until they are finished and every
    // worker has detached from the job. Spin first: the tail is usually short.
    spin_until([&] { return job.done.load(std::memory_order_acquire) == job.nchunks; });
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return job.done.load(std::memory_order_acquire) == job.nchunks && job.refs == 0; });
    job_ = nullptr;  // late wakers now see no job and go back to waiting
  }

  std::mutex dispatch_mu_;  // serializes jobs and resizes

 private:
  // Polls `ready` for at most kSpinTime; the clock is read only every 64
  // polls because it costs more than the poll itself.
  template <class Pred> static void spin_until(Pred ready) {
    auto deadline = std::chrono::steady_clock::now() + kSpinTime;
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (ready()) return;
        TG_CPU_RELAX();
      }
      if (std::chrono::steady_clock::now() >= deadline) return;
    }
  }

  void worker_loop(int index) {
    t_in_parallel = true;  // anything a worker runs is nested by definition
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      // Cheap phase: watch the generation counter without the lock.
      spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
      Job* job = nullptr;
      {
        std::unique_lock<std::mutex> lk(mu_);
        ++sleepers_;
        wake_.wait(lk, [&] {
          return index >= retire_from_ || (job_ != nullptr && generation_.load(std::memory_order_relaxed) != seen);
        });
        --sleepers_;
        if (index >= retire_from_) return;
        seen = generation_.load(std::memory_order_relaxed);
        job = job_;
        ++job->refs;
      }
      job->run_chunks();
      {
        std::lock_guard<std::mutex> lk(mu_);
        --job->refs;
        // The caller may be blocked waiting for the last chunk / detach.
        if (job->refs == 0) done_cv_.notify_all();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;     // workers wait here for a job
  std::condition_variable done_cv_;  // caller waits here for completion
  Job* job_ = nullptr;               // guarded by mu_
  int sleepers_ = 0;                 // guarded by mu_
  int retire_from_ = 1 << 30;        // guarded by mu_
  std::atomic<uint64_t> generation_{0};
};

std::atomic<ThreadPool*> g_pool{nullptr};
// Leaked like the pool; a function-local static so it works even when a
// static initializer elsewhere calls parallel_for first.
std::mutex*& pool_create_mu() {
  static std::mutex* mu = new std::mutex();
  return mu;
}

#ifdef TG_HAVE_ATFORK
// In a forked child the workers do not exist; forget (leak) the old pool.
// Mutexes in it may even be held by a thread that no longer exists.
void on_fork_child() {
  g_pool.store(nullptr, std::memory_order_relaxed);
  pool_create_mu() = new std::mutex();  // the parent may have held the old one
}
#endif

ThreadPool* get_pool() {
  ThreadPool* p = g_pool.load(std::memory_order_acquire);
  if (p) return p;
  std::lock_guard<std::mutex> lk(*pool_create_mu());
  p = g_pool.load(std::memory_order_relaxed);
  if (!p) {
#ifdef TG_HAVE_ATFORK
    static bool registered = [] {
      pthread_atfork(nullptr, nullptr, &on_fork_child);
      return true;
    }();
    (void)registered;
#endif
    p = new ThreadPool();  // intentionally leaked, see file comment
    g_pool.store(p, std::memory_order_release);
  }
  return p;
}

}  // namespace

int get_num_threads() {
  int n = g_requested_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : default_num_threads();
}

void set_num_threads(int n) { g_requested_threads.store(std::max(1, n), std::memory_order_relaxed); }

void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (end <= begin) return;
  const int64_t n = end - begin;
  grain = std::max<int64_t>(grain, 1);
  const int nthreads = get_num_threads();
  if (n <= grain || nthreads <= 1 || t_in_parallel) {
    fn(begin, end);
    return;
  }

  ThreadPool* pool = get_pool();
  std::unique_lock<std::mutex> dispatch(pool->dispatch_mu_, std::try_to_lock);
  if (!dispatch.owns_lock()) {
    // Another application thread is using the pool; do not queue behind it.
    fn(begin, end);
    return;
  }
  pool->resize(nthreads);

  // One chunk per thread (at least `grain` items each): callers express load
  // balance through the range they pass, e.g. gemm passes one item per task.
  Job job;
  job.fn = &fn;
  job.begin = begin;
  job.end = end;
  job.chunk = std::max<int64_t>(grain, (n + nthreads - 1) / nthreads);
  job.nchunks = (n + job.chunk - 1) / job.chunk;
  pool->run(job);

  if (job.exc) std::rethrow_exception(job.exc);
}

}  // namespace tg::cpu
