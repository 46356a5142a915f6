// The addon's own threads: the calling thread plus (cores - 1) workers that help when they can.
//
// Why not OpenMP's fork-join: its parallel regions end in a barrier that waits for every
// thread of the team, so on a machine whose cores are busy with other processes (the API, the
// prediction process and a training worker share them) one descheduled thread stalls each
// kernel for a scheduler slice: measured 6-15× slower than one thread on a loaded 2-core
// machine. Here the caller claims chunks of the work like any worker and only ever waits for
// chunks a worker has already started; a worker that is not running simply takes none.
// oneDNN's primitives run single-threaded inside those chunks (its OpenMP team is set to 1).
#pragma once

#include <cstdint>

namespace fewshot {

// Threads taking part in a parallel run, the caller included.
int threadCount();
void setThreadCount(int threads);

// Runs body(context, chunk) for every chunk in [0, chunks), spread over the threads. Workers
// that went to sleep are woken only when `wake` says the work is worth a system call and
// their start-up (tens of microseconds); the ones still spinning take part either way.
void runChunks(int64_t chunks, void (*body)(void *, int64_t), void *context, bool wake);

template <class F>
void parallelChunks(int64_t chunks, F &&f, bool wake = true) {
  if (chunks <= 1) {
    if (chunks == 1) f(int64_t{0});
    return;
  }
  runChunks(chunks, [](void *context, int64_t chunk) { (*static_cast<F *>(context))(chunk); }, &f, wake);
}

// Elementwise work is split in ranges of at least this many elements: below it, handing work to
// another thread costs more than it saves.
constexpr int64_t kGrain = 1 << 14;
// Elementwise work at least this large wakes sleeping workers (about 100 µs of one thread's work).
constexpr int64_t kWakeWork = 1 << 19;

// Splits [0, total) into contiguous ranges of at least `grain` items (a few per thread, so a
// late thread finds some left) and runs body(begin, end) on each.
template <class F>
void parallelFor(int64_t total, int64_t grain, F &&body) {
  int64_t chunks = total / (grain > 0 ? grain : 1);
  const int64_t most = 4 * static_cast<int64_t>(threadCount());
  if (chunks > most) chunks = most;
  if (chunks <= 1 || threadCount() == 1) {
    if (total > 0) body(int64_t{0}, total);
    return;
  }
  // `grain` items are about kGrain elements: wake sleepers for kWakeWork elements or more.
  parallelChunks(chunks, [&](int64_t c) { body(total * c / chunks, total * (c + 1) / chunks); }, total >= (kWakeWork / kGrain) * grain);
}

}  // namespace fewshot
