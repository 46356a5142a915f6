// Elementwise float32 kernels: binary operations with numpy broadcasting, and unary ones.
// Broadcasting is reduced first: axes where out is 1 are dropped and neighbouring axes that
// broadcast the same way are merged, so [80,784,64]·[1,1,64] becomes 62720 rows of 64 against
// one row, and the innermost loop always runs over contiguous memory (or one repeated value),
// which the compiler vectorises. Work is split over the threads in contiguous ranges of the
// output.
#include <algorithm>
#include <cmath>

#include "common.h"
#include "threads.h"

namespace fewshot {
namespace {

enum BinaryOp { kAdd, kSub, kMul, kDiv, kMax, kMin, kSquaredDifference, kPow, kFirst };
enum UnaryOp { kRelu, kStep, kNeg, kSquare, kSqrt, kRsqrt, kExp, kLog, kAbs, kSigmoid, kTanh };

struct Add { static float apply(float a, float b) { return a + b; } };
struct Sub { static float apply(float a, float b) { return a - b; } };
struct Mul { static float apply(float a, float b) { return a * b; } };
struct Div { static float apply(float a, float b) { return a / b; } };
// NaN propagates, as in tfjs's own kernels.
struct Max { static float apply(float a, float b) { return (a != a || b != b) ? NAN : (a > b ? a : b); } };
struct Min { static float apply(float a, float b) { return (a != a || b != b) ? NAN : (a < b ? a : b); } };
struct SquaredDifference { static float apply(float a, float b) { return (a - b) * (a - b); } };
struct Pow { static float apply(float a, float b) { return std::pow(a, b); } };
// a broadcast to the output's shape (b is not read)
struct First { static float apply(float a, float) { return a; } };

// One contiguous run of the output; a and b either advance with it or repeat one value.
template <class Op>
void run(const float *__restrict a, bool aMoves, const float *__restrict b, bool bMoves, float *__restrict out, int64_t n) {
  if (aMoves && bMoves) {
    for (int64_t i = 0; i < n; i++) out[i] = Op::apply(a[i], b[i]);
  } else if (aMoves) {
    const float y = b[0];
    for (int64_t i = 0; i < n; i++) out[i] = Op::apply(a[i], y);
  } else if (bMoves) {
    const float x = a[0];
    for (int64_t i = 0; i < n; i++) out[i] = Op::apply(x, b[i]);
  } else {
    std::fill(out, out + n, Op::apply(a[0], b[0]));
  }
}

struct Layout {
  std::vector<int64_t> size, strideA, strideB;  // merged axes, outermost first
};

// Drops unit axes of the output and merges neighbours that broadcast alike.
Layout merge(const std::vector<int64_t> &outShape, const std::vector<int64_t> &aShape, const std::vector<int64_t> &bShape) {
  const size_t rank = outShape.size();
  auto dim = [rank](const std::vector<int64_t> &shape, size_t axis) {
    size_t pad = rank - shape.size();
    return axis < pad ? int64_t{1} : shape[axis - pad];
  };
  std::vector<int64_t> size;
  std::vector<bool> aFull, bFull;
  for (size_t axis = 0; axis < rank; axis++) {
    int64_t n = outShape[axis];
    if (n == 1) continue;
    bool af = dim(aShape, axis) == n, bf = dim(bShape, axis) == n;
    if (!size.empty() && aFull.back() == af && bFull.back() == bf) {
      size.back() *= n;
    } else {
      size.push_back(n);
      aFull.push_back(af);
      bFull.push_back(bf);
    }
  }
  if (size.empty()) size = {1}, aFull = {true}, bFull = {true};
  Layout layout{size, std::vector<int64_t>(size.size()), std::vector<int64_t>(size.size())};
  int64_t sa = 1, sb = 1;
  for (size_t i = size.size(); i-- > 0;) {
    layout.strideA[i] = aFull[i] ? sa : 0;
    layout.strideB[i] = bFull[i] ? sb : 0;
    if (aFull[i]) sa *= size[i];
    if (bFull[i]) sb *= size[i];
  }
  return layout;
}

template <class Op>
void broadcast(const Layout &l, const float *a, const float *b, float *out, int64_t total) {
  const size_t rank = l.size.size();
  const int64_t inner = l.size[rank - 1];
  const bool aMoves = l.strideA[rank - 1] != 0, bMoves = l.strideB[rank - 1] != 0;
  auto range = [&](int64_t begin, int64_t end) {
    std::vector<int64_t> index(rank);
    int64_t rest = begin;
    for (size_t i = rank; i-- > 0;) {
      index[i] = rest % l.size[i];
      rest /= l.size[i];
    }
    for (int64_t at = begin; at < end;) {
      int64_t offA = 0, offB = 0;
      for (size_t i = 0; i < rank; i++) offA += index[i] * l.strideA[i], offB += index[i] * l.strideB[i];
      int64_t n = std::min(inner - index[rank - 1], end - at);
      run<Op>(a + offA, aMoves, b + offB, bMoves, out + at, n);
      at += n;
      index[rank - 1] += n;
      for (size_t i = rank - 1; i > 0 && index[i] == l.size[i]; i--) index[i] = 0, index[i - 1]++;
    }
  };
  parallelFor(total, kGrain, range);
}

// binary(op, a, aShape, b, bShape, out, outShape)
napi_value binary(napi_env env, napi_value *args, size_t) {
  int32_t op = integer(env, args[0], "op");
  Floats a = floats(env, args[1], "a"), b = floats(env, args[3], "b"), out = floats(env, args[5], "out");
  std::vector<int64_t> aShape = ints(env, args[2], "aShape"), bShape = ints(env, args[4], "bShape"), outShape = ints(env, args[6], "outShape");
  int64_t total = 1;
  for (int64_t n : outShape) total *= n;
  if (static_cast<int64_t>(out.length) != total) throw std::invalid_argument("out has the wrong size");
  if (total == 0) return nullptr;
  Layout layout = merge(outShape, aShape, bShape);
  switch (op) {
    case kAdd: broadcast<Add>(layout, a.data, b.data, out.data, total); break;
    case kSub: broadcast<Sub>(layout, a.data, b.data, out.data, total); break;
    case kMul: broadcast<Mul>(layout, a.data, b.data, out.data, total); break;
    case kDiv: broadcast<Div>(layout, a.data, b.data, out.data, total); break;
    case kMax: broadcast<Max>(layout, a.data, b.data, out.data, total); break;
    case kMin: broadcast<Min>(layout, a.data, b.data, out.data, total); break;
    case kSquaredDifference: broadcast<SquaredDifference>(layout, a.data, b.data, out.data, total); break;
    case kPow: broadcast<Pow>(layout, a.data, b.data, out.data, total); break;
    case kFirst: broadcast<First>(layout, a.data, a.data, out.data, total); break;
    default: throw std::invalid_argument("unknown binary op");
  }
  return nullptr;
}

template <class F>
void mapRange(const float *__restrict x, float *__restrict out, int64_t n, const F f) {
  for (int64_t i = 0; i < n; i++) out[i] = f(x[i]);
}

// f is passed by value into the loop: read through a reference, what it captures (Step's
// alpha) might alias out, which keeps the loop from being vectorised (20× slower).
template <class F>
void map(const float *x, float *out, int64_t n, F f) {
  parallelFor(n, kGrain, [&](int64_t begin, int64_t end) { mapRange(x + begin, out + begin, end - begin, f); });
}

// unary(op, x, out, alpha): alpha is Step's value for x <= 0.
napi_value unary(napi_env env, napi_value *args, size_t) {
  int32_t op = integer(env, args[0], "op");
  Floats x = floats(env, args[1], "x"), out = floats(env, args[2], "out");
  const float alpha = static_cast<float>(number(env, args[3], "alpha"));
  if (x.length != out.length) throw std::invalid_argument("out has the wrong size");
  const int64_t n = static_cast<int64_t>(x.length);
  switch (op) {
    case kRelu: map(x.data, out.data, n, [](float v) { return v < 0.f ? 0.f : v; }); break;
    case kStep: map(x.data, out.data, n, [alpha](float v) { return v > 0.f ? 1.f : (v != v ? v : alpha); }); break;
    case kNeg: map(x.data, out.data, n, [](float v) { return -v; }); break;
    case kSquare: map(x.data, out.data, n, [](float v) { return v * v; }); break;
    case kSqrt: map(x.data, out.data, n, [](float v) { return std::sqrt(v); }); break;
    case kRsqrt: map(x.data, out.data, n, [](float v) { return 1.f / std::sqrt(v); }); break;
    case kExp: map(x.data, out.data, n, [](float v) { return std::exp(v); }); break;
    case kLog: map(x.data, out.data, n, [](float v) { return std::log(v); }); break;
    case kAbs: map(x.data, out.data, n, [](float v) { return std::fabs(v); }); break;
    case kSigmoid: map(x.data, out.data, n, [](float v) { return 1.f / (1.f + std::exp(-v)); }); break;
    case kTanh: map(x.data, out.data, n, [](float v) { return std::tanh(v); }); break;
    default: throw std::invalid_argument("unknown unary op");
  }
  return nullptr;
}

}  // namespace

std::vector<Export> elementwiseExports() { return {{"binary", binary, 7}, {"unary", unary, 4}}; }

}  // namespace fewshot
