// Sum and mean of float32 data seen as [outer, reduced, inner], reduced over the middle axis
// (the caller brings the reduced axes together). Batch norm's statistics and every broadcast's
// gradient are of the kind [1, 62720, 64] → [1, 64]: the reduced rows are split in chunks,
// each adds its rows into its own partial row, and the partial rows are added last.
// Partials are accumulated in double: a float sum of 60K terms drifts visibly.
#include <algorithm>

#include "common.h"
#include "threads.h"

namespace fewshot {
namespace {

void sumRows(const float *x, int64_t rows, int64_t inner, double *acc) {
  if (inner == 1) {
    // One output per row block (a sum over the last axis): a vectorised reduction.
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t r = 0; r < rows; r++) s += x[r];
    acc[0] += s;
    return;
  }
  for (int64_t r = 0; r < rows; r++) {
    const float *row = x + r * inner;
#pragma omp simd
    for (int64_t j = 0; j < inner; j++) acc[j] += row[j];
  }
}

// reduce(op, x, dims Int32Array [outer, reduced, inner], out): op 0 = sum, 1 = mean.
napi_value reduce(napi_env env, napi_value *args, size_t) {
  int32_t op = integer(env, args[0], "op");
  if (op != 0 && op != 1) throw std::invalid_argument("unknown reduction");
  Floats x = floats(env, args[1], "x"), out = floats(env, args[3], "out");
  std::vector<int64_t> d = ints(env, args[2], "dims");
  if (d.size() != 3) throw std::invalid_argument("dims has 3 entries");
  const int64_t outer = d[0], reduced = d[1], inner = d[2];
  if (static_cast<int64_t>(x.length) != outer * reduced * inner || static_cast<int64_t>(out.length) != outer * inner) {
    throw std::invalid_argument("sizes do not match dims");
  }
  const double scale = op == 1 && reduced > 0 ? 1.0 / static_cast<double>(reduced) : 1.0;
  const int threads = threadCount();
  if (outer >= threads) {
    // Enough independent outputs: split them.
    parallelFor(outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, reduced * inner)), [&](int64_t begin, int64_t end) {
      std::vector<double> acc(inner);
      for (int64_t o = begin; o < end; o++) {
        std::fill(acc.begin(), acc.end(), 0.0);
        sumRows(x.data + o * reduced * inner, reduced, inner, acc.data());
        for (int64_t j = 0; j < inner; j++) out.data[o * inner + j] = static_cast<float>(acc[j] * scale);
      }
    });
    return nullptr;
  }
  // Few outputs, many rows: each chunk sums a range of the rows into its own partial result.
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(4 * threads, outer * reduced * inner / kGrain));
  std::vector<double> partial(static_cast<size_t>(chunks * outer * inner), 0.0);
  parallelChunks(
      chunks,
      [&](int64_t c) {
        const int64_t begin = reduced * c / chunks, end = reduced * (c + 1) / chunks;
        for (int64_t o = 0; o < outer; o++) {
          sumRows(x.data + (o * reduced + begin) * inner, end - begin, inner, partial.data() + (c * outer + o) * inner);
        }
      },
      outer * reduced * inner >= kWakeWork);
  for (int64_t i = 0; i < outer * inner; i++) {
    double s = 0;
    for (int64_t c = 0; c < chunks; c++) s += partial[static_cast<size_t>(c * outer * inner + i)];
    out.data[i] = static_cast<float>(s * scale);
  }
  return nullptr;
}

}  // namespace

std::vector<Export> reduceExports() { return {{"reduce", reduce, 4}}; }

}  // namespace fewshot
