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

// Runs body(context, chunk) for every chunk in [0, chunks), spread over the threads.
void runChunks(int64_t chunks, void (*body)(void *, int64_t), void *context);

template <class F>
void parallelChunks(int64_t chunks, F &&f) {
  if (chunks <= 1) {
    if (chunks == 1) f(int64_t{0});
    return;
  }
  runChunks(chunks, [](void *context, int64_t chunk) { (*static_cast<F *>(context))(chunk); }, &f);
}

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
  parallelChunks(chunks, [&](int64_t c) { body(total * c / chunks, total * (c + 1) / chunks); });
}

}  // namespace fewshot
