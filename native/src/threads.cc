#include "threads.h"

#include <omp.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FEWSHOT_PAUSE() _mm_pause()
#else
#define FEWSHOT_PAUSE() std::this_thread::yield()
#endif

namespace fewshot {
namespace {

// One word says which run is current, how many chunks it has and the next one to claim:
// [generation:32][chunks:16][next:16]. Claiming is a compare-and-swap on it, so a thread that
// read an old run's word can never claim a chunk of a newer one.
constexpr uint64_t kChunkBits = 16;
constexpr uint64_t kMaxChunks = (uint64_t{1} << kChunkBits) - 1;
// How long an idle worker keeps looking for the next run before it sleeps: kernels follow each
// other a few microseconds apart while tfjs dispatches, and waking a sleeper costs more.
constexpr int kIdleSpins = 4000;

class Pool {
 public:
  ~Pool() { stopWorkers(); }

  int threads() const { return threads_; }

  void resize(int threads) {
    stopWorkers();
    threads_ = threads < 1 ? 1 : threads;
    stop_ = false;
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this] { work(); });
  }

  void run(int64_t chunks, void (*body)(void *, int64_t), void *context, bool wake) {
    if (threads_ == 1 || inside_ || chunks < 2) {
      for (int64_t c = 0; c < chunks; c++) body(context, c);
      return;
    }
    if (static_cast<uint64_t>(chunks) > kMaxChunks) throw std::invalid_argument("too many chunks");
    inside_ = true;
    body_.store(body, std::memory_order_relaxed);
    context_.store(context, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    failure_ = nullptr;
    const uint64_t generation = (state_.load(std::memory_order_relaxed) >> 32) + 1;
    state_.store((generation << 32) | (static_cast<uint64_t>(chunks) << kChunkBits), std::memory_order_seq_cst);
    if (wake && sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    take(static_cast<uint32_t>(generation));
    // Only chunks that a worker has already claimed are waited for.
    for (int spins = 0; done_.load(std::memory_order_acquire) < chunks; spins++) {
      if (spins < 1000) FEWSHOT_PAUSE(); else std::this_thread::yield();
    }
    inside_ = false;
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  // Claims and runs chunks of `generation` until none are left; true if it ran any.
  void take(uint32_t generation) {
    auto body = body_.load(std::memory_order_relaxed);
    void *context = context_.load(std::memory_order_relaxed);
    uint64_t state = state_.load(std::memory_order_acquire);
    int64_t ran = 0;
    for (;;) {
      if (static_cast<uint32_t>(state >> 32) != generation) break;
      const uint64_t chunks = (state >> kChunkBits) & kMaxChunks, next = state & kMaxChunks;
      if (next >= chunks) break;
      if (!state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      try {
        body(context, static_cast<int64_t>(next));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!failure_) failure_ = std::current_exception();
      }
      ran++;
      state = state_.load(std::memory_order_acquire);
    }
    if (ran) done_.fetch_add(ran, std::memory_order_acq_rel);
  }

  void work() {
    omp_set_num_threads(1);
    inside_ = true;  // a worker's chunks never start runs of their own
    uint32_t seen = static_cast<uint32_t>(state_.load(std::memory_order_acquire) >> 32);
    while (!stop_.load(std::memory_order_acquire)) {
      uint32_t generation = static_cast<uint32_t>(state_.load(std::memory_order_acquire) >> 32);
      if (generation != seen) {
        seen = generation;
        take(generation);
        continue;
      }
      bool changed = false;
      for (int i = 0; i < kIdleSpins && !changed; i++) {
        FEWSHOT_PAUSE();
        changed = static_cast<uint32_t>(state_.load(std::memory_order_relaxed) >> 32) != seen;
      }
      if (changed) continue;
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      wake_.wait(lock, [&] {
        return stop_.load(std::memory_order_acquire) || static_cast<uint32_t>(state_.load(std::memory_order_seq_cst) >> 32) != seen;
      });
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    }
  }

  void stopWorkers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      wake_.notify_all();
    }
    for (std::thread &t : workers_) t.join();
    workers_.clear();
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> state_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<void (*)(void *, int64_t)> body_{nullptr};
  std::atomic<void *> context_{nullptr};
  std::atomic<bool> stop_{false};
  std::atomic<int> sleepers_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::exception_ptr failure_;
  static thread_local bool inside_;
};

thread_local bool Pool::inside_ = false;

Pool &pool() {
  static Pool instance;
  return instance;
}

}  // namespace

int threadCount() { return pool().threads(); }

void setThreadCount(int threads) {
  // oneDNN runs inside the chunks, one thread each: its own OpenMP team would be a second
  // pool competing for the same cores.
  omp_set_num_threads(1);
  pool().resize(threads);
}

void runChunks(int64_t chunks, void (*body)(void *, int64_t), void *context, bool wake) { pool().run(chunks, body, context, wake); }

}  // namespace fewshot
