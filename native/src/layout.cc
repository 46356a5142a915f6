// Moving float32 data without arithmetic: copying a box from one tensor into another (slice,
// pad, concat are all such copies), filling, and transposing.
#include <algorithm>
#include <cstring>

#include "common.h"
#include "threads.h"

namespace fewshot {
namespace {

std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

// copy(src, srcShape, srcBegin, dst, dstShape, dstBegin, size): dst[dstBegin + i] = src[srcBegin + i]
// for every index i of the box `size`. Axes the box spans whole in both tensors, innermost
// first, make one contiguous run per outer index.
napi_value copy(napi_env env, napi_value *args, size_t) {
  Floats src = floats(env, args[0], "src"), dst = floats(env, args[3], "dst");
  std::vector<int64_t> srcShape = ints(env, args[1], "srcShape"), srcBegin = ints(env, args[2], "srcBegin");
  std::vector<int64_t> dstShape = ints(env, args[4], "dstShape"), dstBegin = ints(env, args[5], "dstBegin");
  std::vector<int64_t> size = ints(env, args[6], "size");
  const size_t rank = size.size();
  if (srcShape.size() != rank || srcBegin.size() != rank || dstShape.size() != rank || dstBegin.size() != rank) {
    throw std::invalid_argument("shapes of different ranks");
  }
  int64_t total = 1, srcTotal = 1, dstTotal = 1;
  for (size_t i = 0; i < rank; i++) {
    if (size[i] < 0 || srcBegin[i] < 0 || dstBegin[i] < 0 || srcBegin[i] + size[i] > srcShape[i] || dstBegin[i] + size[i] > dstShape[i]) {
      throw std::invalid_argument("box out of bounds");
    }
    total *= size[i], srcTotal *= srcShape[i], dstTotal *= dstShape[i];
  }
  if (static_cast<int64_t>(src.length) != srcTotal || static_cast<int64_t>(dst.length) != dstTotal) {
    throw std::invalid_argument("array sizes do not match shapes");
  }
  if (total == 0) return nullptr;
  std::vector<int64_t> srcStrides = stridesOf(srcShape), dstStrides = stridesOf(dstShape);
  size_t inner = rank;
  int64_t run = 1;
  while (inner > 0 && size[inner - 1] == srcShape[inner - 1] && size[inner - 1] == dstShape[inner - 1]) run *= size[--inner];
  if (inner > 0) run *= size[--inner];  // the first partial axis is still contiguous
  const int64_t runs = total / run;
  const int64_t srcBase = [&] { int64_t o = 0; for (size_t i = 0; i < rank; i++) o += srcBegin[i] * srcStrides[i]; return o; }();
  const int64_t dstBase = [&] { int64_t o = 0; for (size_t i = 0; i < rank; i++) o += dstBegin[i] * dstStrides[i]; return o; }();
  parallelFor(runs, std::max<int64_t>(1, kGrain / run), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      int64_t rest = r, from = srcBase, to = dstBase;
      for (size_t i = inner; i-- > 0;) {
        int64_t index = rest % size[i];
        rest /= size[i];
        from += index * srcStrides[i];
        to += index * dstStrides[i];
      }
      std::memcpy(dst.data + to, src.data + from, static_cast<size_t>(run) * sizeof(float));
    }
  });
  return nullptr;
}

// fill(out, value)
napi_value fill(napi_env env, napi_value *args, size_t) {
  Floats out = floats(env, args[0], "out");
  const float value = static_cast<float>(number(env, args[1], "value"));
  const int64_t n = static_cast<int64_t>(out.length);
  parallelFor(n, kGrain, [&](int64_t begin, int64_t end) { std::fill(out.data + begin, out.data + end, value); });
  return nullptr;
}

// transpose(x, shape, perm, out): out's axis i is x's axis perm[i].
napi_value transpose(napi_env env, napi_value *args, size_t) {
  Floats x = floats(env, args[0], "x"), out = floats(env, args[3], "out");
  std::vector<int64_t> shape = ints(env, args[1], "shape"), perm = ints(env, args[2], "perm");
  const size_t rank = shape.size();
  if (perm.size() != rank || x.length != out.length) throw std::invalid_argument("perm or out does not match x");
  // Merge output axes whose input axes are neighbours in the same order; drop unit axes.
  std::vector<int64_t> xStrides = stridesOf(shape);
  std::vector<int64_t> size, stride;  // per merged output axis: its length and its stride in x
  for (size_t i = 0; i < rank; i++) {
    int64_t axis = perm[i];
    if (axis < 0 || static_cast<size_t>(axis) >= rank) throw std::invalid_argument("perm out of range");
    if (shape[axis] == 1) continue;
    if (!size.empty() && stride.back() == xStrides[axis] * shape[axis]) {
      size.back() *= shape[axis];
      stride.back() = xStrides[axis];
    } else {
      size.push_back(shape[axis]);
      stride.push_back(xStrides[axis]);
    }
  }
  const int64_t total = static_cast<int64_t>(x.length);
  if (size.size() <= 1 || total == 0) {
    std::memcpy(out.data, x.data, x.length * sizeof(float));
    return nullptr;
  }
  const size_t merged = size.size();
  const int64_t inner = size[merged - 1], innerStride = stride[merged - 1];
  const int64_t rows = total / inner;
  parallelFor(rows, std::max<int64_t>(1, kGrain / inner), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      int64_t rest = r, from = 0;
      for (size_t i = merged - 1; i-- > 0;) {
        from += (rest % size[i]) * stride[i];
        rest /= size[i];
      }
      float *to = out.data + r * inner;
      if (innerStride == 1) {
        std::memcpy(to, x.data + from, static_cast<size_t>(inner) * sizeof(float));
      } else {
        for (int64_t j = 0; j < inner; j++) to[j] = x.data[from + j * innerStride];
      }
    }
  });
  return nullptr;
}

}  // namespace

std::vector<Export> layoutExports() { return {{"copy", copy, 7}, {"fill", fill, 2}, {"transpose", transpose, 4}}; }

}  // namespace fewshot
