// Max and average pooling (forward only: the engine differentiates pooling through its own
// closed forms, see src/core/tensor/ops.ts) as oneDNN primitives on NHWC data. Padding never
// counts: a max ignores it and an average divides by the pixels inside, as tfjs does.
#include <algorithm>
#include <map>

#include "common.h"
#include "onednn.h"
#include "threads.h"

namespace fewshot {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct Plan {
  dnnl::pooling_forward primitive;
  memory::desc scratchpad, src, dst;
};

constexpr size_t kMaxPlans = 256;

Plan &planFor(int32_t kind, const std::vector<int64_t> &g) {
  static std::map<std::vector<int64_t>, Plan> plans;
  std::vector<int64_t> key = g;
  key.push_back(kind);
  auto found = plans.find(key);
  if (found != plans.end()) return found->second;
  if (plans.size() >= kMaxPlans) plans.clear();
  const int64_t n = g[0], h = g[1], w = g[2], c = g[3], oh = g[4], ow = g[5], kh = g[6], kw = g[7], sh = g[8], sw = g[9], pt = g[10], pl = g[11];
  Plan plan;
  plan.src = memory::desc({n, c, h, w}, dt::f32, tag::nhwc);
  plan.dst = memory::desc({n, c, oh, ow}, dt::f32, tag::nhwc);
  const memory::dims padHigh{fewshot::padHigh(h, oh, sh, kh, pt), fewshot::padHigh(w, ow, sw, kw, pl)};
  auto algorithm = kind == 0 ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
  dnnl::pooling_forward::primitive_desc pd(
      dnnl::pooling_forward::desc(dnnl::prop_kind::forward_inference, algorithm, plan.src, plan.dst, {sh, sw}, {kh, kw}, {pt, pl}, padHigh),
      userScratchpad(), cpuEngine());
  plan.primitive = dnnl::pooling_forward(pd);
  plan.scratchpad = pd.scratchpad_desc();
  return plans.emplace(key, std::move(plan)).first->second;
}

// pool(kind, geometry Int32Array [N, H, W, C, OH, OW, KH, KW, SH, SW, PT, PL], x, out):
// kind 0 = max, 1 = average. The batch is split between the threads.
napi_value pool(napi_env env, napi_value *args, size_t) {
  int32_t kind = integer(env, args[0], "kind");
  if (kind != 0 && kind != 1) throw std::invalid_argument("unknown pooling");
  std::vector<int64_t> g = ints(env, args[1], "geometry");
  if (g.size() != 12) throw std::invalid_argument("geometry has 12 entries");
  Floats x = floats(env, args[2], "x"), out = floats(env, args[3], "out");
  const int64_t batch = g[0], inImage = g[1] * g[2] * g[3], outImage = g[4] * g[5] * g[3];
  if (static_cast<int64_t>(x.length) != batch * inImage || static_cast<int64_t>(out.length) != batch * outImage) {
    throw std::invalid_argument("array sizes do not match the geometry");
  }
  if (out.length == 0) return nullptr;
  const int64_t parts = std::min<int64_t>(static_cast<int64_t>(x.length) >= kWakeWork ? threadCount() : 1, batch);
  auto first = [&](int64_t p) { return batch * p / parts; };
  std::vector<Plan *> plans(parts);
  for (int64_t p = 0; p < parts; p++) {
    std::vector<int64_t> part = g;
    part[0] = first(p + 1) - first(p);
    plans[p] = &planFor(kind, part);
  }
  parallelChunks(parts, [&](int64_t p) {
    Plan &plan = *plans[p];
    execute(plan.primitive, plan.scratchpad,
            {{DNNL_ARG_SRC, memory(plan.src, cpuEngine(), x.data + first(p) * inImage)},
             {DNNL_ARG_DST, memory(plan.dst, cpuEngine(), out.data + first(p) * outImage)}});
  });
  return nullptr;
}

// The 2×2, stride-2 max-pool's gradient and the gradient of that (src/core/tensor/ops.ts), one
// pass each, finding each window's max in x as they go: where x equals its window's max it
// gets 1/ties of the window's value, elsewhere nothing. (Written with tfjs ops, the mask alone
// takes five passes, then one more to spread through it.) `top` and `bottom` are one window
// row's two rows of x: `w` windows of `c` channels.

struct Shares {
  float a, b, d, e;  // top-left, top-right, bottom-left, bottom-right
};

inline Shares sharesOf(float m, float a, float b, float d, float e) {
  const float ta = a == m, tb = b == m, td = d == m, te = e == m;
  const float share = 1.f / std::max(1.f, ta + tb + td + te);
  return {ta * share, tb * share, td * share, te * share};
}

// dx: each window's dy spread over its maxima
void spreadRow(const float *__restrict top, const float *__restrict bottom, const float *__restrict pooled, const float *__restrict dy,
               float *__restrict outTop, float *__restrict outBottom, int64_t w, int64_t c) {
  for (int64_t j = 0; j < w; j++) {
    const int64_t left = 2 * j * c, right = left + c;
    for (int64_t k = 0; k < c; k++) {
      const Shares s = sharesOf(pooled[j * c + k], top[left + k], top[right + k], bottom[left + k], bottom[right + k]);
      const float g = dy[j * c + k];
      outTop[left + k] = g * s.a;
      outTop[right + k] = g * s.b;
      outBottom[left + k] = g * s.d;
      outBottom[right + k] = g * s.e;
    }
  }
}

// each window's sum of g over its maxima
void sumRow(const float *__restrict top, const float *__restrict bottom, const float *__restrict pooled, const float *__restrict gTop,
            const float *__restrict gBottom, float *__restrict sum, int64_t w, int64_t c) {
  for (int64_t j = 0; j < w; j++) {
    const int64_t left = 2 * j * c, right = left + c;
    for (int64_t k = 0; k < c; k++) {
      const Shares s = sharesOf(pooled[j * c + k], top[left + k], top[right + k], bottom[left + k], bottom[right + k]);
      sum[j * c + k] = gTop[left + k] * s.a + gTop[right + k] * s.b + gBottom[left + k] * s.d + gBottom[right + k] * s.e;
    }
  }
}

// windows(kind, x [B, 2H, 2W, C], pooled [B, H, W, C], g, out):
//   0: g = dy [B, H, W, C],   out [B, 2H, 2W, C]: dy spread over each window's maxima;
//   1: g [B, 2H, 2W, C],      out [B, H, W, C]:   each window's sum of g over its maxima.
napi_value windows(napi_env env, napi_value *args, size_t) {
  int32_t kind = integer(env, args[0], "kind");
  if (kind != 0 && kind != 1) throw std::invalid_argument("unknown window operation");
  Floats x = floats(env, args[1], "x"), pooled = floats(env, args[2], "pooled"), g = floats(env, args[3], "g"), out = floats(env, args[4], "out");
  std::vector<int64_t> d = ints(env, args[5], "dims");
  if (d.size() != 4) throw std::invalid_argument("dims has 4 entries: B, H, W, C of the pooled shape");
  const int64_t b = d[0], h = d[1], w = d[2], c = d[3];
  const int64_t small = b * h * w * c;
  const int64_t gSize = kind == 0 ? small : 4 * small, outSize = kind == 0 ? 4 * small : small;
  if (static_cast<int64_t>(x.length) != 4 * small || static_cast<int64_t>(pooled.length) != small ||
      static_cast<int64_t>(g.length) != gSize || static_cast<int64_t>(out.length) != outSize) {
    throw std::invalid_argument("array sizes do not match dims");
  }
  const int64_t row = 2 * w * c;  // one row of x
  parallelFor(b * h, std::max<int64_t>(1, kGrain / (2 * row)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const float *top = x.data + 2 * r * row;
      const float *maxima = pooled.data + r * w * c;
      if (kind == 0) {
        spreadRow(top, top + row, maxima, g.data + r * w * c, out.data + 2 * r * row, out.data + 2 * r * row + row, w, c);
      } else {
        sumRow(top, top + row, maxima, g.data + 2 * r * row, g.data + 2 * r * row + row, out.data + r * w * c, w, c);
      }
    }
  });
  return nullptr;
}

}  // namespace

std::vector<Export> poolingExports() { return {{"pool", pool, 4}, {"windows", windows, 6}}; }

}  // namespace fewshot
