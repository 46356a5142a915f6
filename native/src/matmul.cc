// Batched matrix products as oneDNN matmul primitives: transposed operands are described by
// their strides (no copy), and a batch of one on either side is broadcast over the other's.
// The work is split between the threads (threads.h) by matrices of the batch, or, for a single
// product, by blocks of the left operand's rows; each part is a single-threaded primitive.
#include <algorithm>
#include <map>

#include "common.h"
#include "onednn.h"
#include "threads.h"

namespace fewshot {
namespace {

using dnnl::memory;
using dt = memory::data_type;

struct Plan {
  dnnl::matmul primitive;
  memory::desc scratchpad, a, b, out;
};

// a is stored [batchA, m, k] (rows `lda` apart), or transposed [batchA, k, m] (columns `lda`
// apart); likewise b; out is [batch, m, n]. Strides between matrices are those of whole operands.
struct Shape {
  int64_t batchA, batchB, m, k, n, transposeA, transposeB, lda, matrixA, matrixB;
  std::vector<int64_t> key() const { return {batchA, batchB, m, k, n, transposeA, transposeB, lda, matrixA, matrixB}; }
};

Plan makePlan(const Shape &s) {
  Plan plan;
  plan.a = memory::desc({s.batchA, s.m, s.k}, dt::f32, s.transposeA ? memory::dims{s.matrixA, 1, s.lda} : memory::dims{s.matrixA, s.lda, 1});
  plan.b = memory::desc({s.batchB, s.k, s.n}, dt::f32, s.transposeB ? memory::dims{s.matrixB, 1, s.k} : memory::dims{s.matrixB, s.n, 1});
  const int64_t batch = std::max(s.batchA, s.batchB);
  plan.out = memory::desc({batch, s.m, s.n}, dt::f32, memory::dims{s.m * s.n, s.n, 1});
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(plan.a, plan.b, plan.out), userScratchpad(), cpuEngine());
  plan.primitive = dnnl::matmul(pd);
  plan.scratchpad = pd.scratchpad_desc();
  return plan;
}

constexpr size_t kMaxPlans = 1024;
// Products smaller than this many multiply-adds (some 20 µs of one core) run on one thread.
constexpr int64_t kSplitWork = 1 << 20;

Plan &planFor(const Shape &s) {
  static std::map<std::vector<int64_t>, Plan> plans;
  std::vector<int64_t> key = s.key();
  auto found = plans.find(key);
  if (found != plans.end()) return found->second;
  if (plans.size() >= kMaxPlans) plans.clear();
  return plans.emplace(key, makePlan(s)).first->second;
}

// matmul(dims Int32Array [batchA, batchB, m, k, n, transposeA, transposeB], a, b, out)
napi_value matmul(napi_env env, napi_value *args, size_t) {
  std::vector<int64_t> d = ints(env, args[0], "dims");
  if (d.size() != 7) throw std::invalid_argument("dims has 7 entries");
  const int64_t batchA = d[0], batchB = d[1], m = d[2], k = d[3], n = d[4];
  const bool transposeA = d[5] != 0, transposeB = d[6] != 0;
  if (batchA != batchB && batchA != 1 && batchB != 1) throw std::invalid_argument("batches must match or be 1");
  Floats a = floats(env, args[1], "a"), b = floats(env, args[2], "b"), out = floats(env, args[3], "out");
  const int64_t batch = std::max(batchA, batchB);
  if (static_cast<int64_t>(a.length) != batchA * m * k || static_cast<int64_t>(b.length) != batchB * k * n ||
      static_cast<int64_t>(out.length) != batch * m * n) {
    throw std::invalid_argument("operand sizes do not match dims");
  }
  if (out.length == 0) return nullptr;
  if (k == 0) {
    std::fill(out.data, out.data + out.length, 0.f);
    return nullptr;
  }
  const int64_t work = batch * m * k * n;
  // A single product with a transposed left operand (a weight gradient, xᵀ·dy) stays whole:
  // split by rows, oneDNN's GEMM run on two threads at once corrupted the heap (seen only under
  // the V8 profiler's signals, reproducibly there; not in isolation).
  const int64_t threads = work >= kSplitWork && (batch >= 2 || !transposeA) ? threadCount() : 1;
  const bool byMatrices = batch >= threads;
  const int64_t parts = std::max<int64_t>(1, std::min(threads, byMatrices ? batch : m));
  const int64_t total = byMatrices ? batch : m;
  auto first = [&](int64_t p) { return total * p / parts; };
  std::vector<Plan *> plans(parts);
  std::vector<Shape> shapes(parts);
  for (int64_t p = 0; p < parts; p++) {
    const int64_t size = first(p + 1) - first(p);
    Shape s{batchA, batchB, m, k, n, transposeA, transposeB, transposeA ? m : k, m * k, k * n};
    if (byMatrices) {
      s.batchA = batchA == 1 ? 1 : size;
      s.batchB = batchB == 1 ? 1 : size;
    } else {
      // Rows of the one product (A not transposed, see above), a dense block of A: its
      // "matrix" stride is the part's own, as oneDNN takes a memory's size as batch × it.
      s.m = size;
      s.matrixA = size * k;
    }
    shapes[p] = s;
    plans[p] = &planFor(s);
  }
  parallelChunks(parts, [&](int64_t p) {
    const Plan &plan = *plans[p];
    const int64_t at = first(p);
    const float *ap = a.data, *bp = b.data;
    float *op = out.data;
    if (byMatrices) {
      if (batchA != 1) ap += at * m * k;
      if (batchB != 1) bp += at * k * n;
      op += at * m * n;
    } else {
      ap += at * k;
      op += at * n;
    }
    execute(plan.primitive, plan.scratchpad,
            {{DNNL_ARG_SRC, memory(plan.a, cpuEngine(), const_cast<float *>(ap))},
             {DNNL_ARG_WEIGHTS, memory(plan.b, cpuEngine(), const_cast<float *>(bp))},
             {DNNL_ARG_DST, memory(plan.out, cpuEngine(), op)}});
  });
  return nullptr;
}

}  // namespace

std::vector<Export> matmulExports() { return {{"matmul", matmul, 4}}; }

}  // namespace fewshot
