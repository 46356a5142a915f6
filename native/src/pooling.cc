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
  const int64_t parts = std::min<int64_t>(x.length >= static_cast<size_t>(kGrain) ? threadCount() : 1, batch);
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

// The max-pool gradient's own operations for 2×2 windows, stride 2 (src/core/tensor/ops.ts),
// one pass each where written with tfjs ops they are five and three. `top` and `bottom` are
// one window row's two input rows, `w` windows of `c` channels.

// mask = 1/ties where x equals its window's max, else 0
void maxMaskRow(const float *__restrict top, const float *__restrict bottom, const float *__restrict pooled, float *__restrict maskTop,
                float *__restrict maskBottom, int64_t w, int64_t c) {
  for (int64_t j = 0; j < w; j++) {
    const int64_t left = 2 * j * c, right = left + c;
    for (int64_t k = 0; k < c; k++) {
      const float m = pooled[j * c + k];
      const float a = top[left + k] == m, b = top[right + k] == m, d = bottom[left + k] == m, e = bottom[right + k] == m;
      const float share = 1.f / std::max(1.f, a + b + d + e);
      maskTop[left + k] = a * share;
      maskTop[right + k] = b * share;
      maskBottom[left + k] = d * share;
      maskBottom[right + k] = e * share;
    }
  }
}

// sum = each window's Σ x · mask
void windowSumRow(const float *__restrict top, const float *__restrict bottom, const float *__restrict maskTop,
                  const float *__restrict maskBottom, float *__restrict sum, int64_t w, int64_t c) {
  for (int64_t j = 0; j < w; j++) {
    const int64_t left = 2 * j * c, right = left + c;
    for (int64_t k = 0; k < c; k++) {
      sum[j * c + k] = top[left + k] * maskTop[left + k] + top[right + k] * maskTop[right + k] + bottom[left + k] * maskBottom[left + k] +
                       bottom[right + k] * maskBottom[right + k];
    }
  }
}

// windows(0, x, pooled, out): out = the window-max mask of x [B, 2H, 2W, C];
// windows(1, x, mask, out):   out [B, H, W, C] = each window's sum of x · mask.
napi_value windows(napi_env env, napi_value *args, size_t) {
  int32_t kind = integer(env, args[0], "kind");
  if (kind != 0 && kind != 1) throw std::invalid_argument("unknown window operation");
  Floats x = floats(env, args[1], "x"), y = floats(env, args[2], "y"), out = floats(env, args[3], "out");
  std::vector<int64_t> d = ints(env, args[4], "dims");
  if (d.size() != 4) throw std::invalid_argument("dims has 4 entries: B, H, W, C of the pooled shape");
  const int64_t b = d[0], h = d[1], w = d[2], c = d[3];
  const int64_t small = b * h * w * c;
  if (static_cast<int64_t>(x.length) != 4 * small || static_cast<int64_t>(y.length) != (kind == 0 ? small : 4 * small) ||
      static_cast<int64_t>(out.length) != (kind == 0 ? 4 * small : small)) {
    throw std::invalid_argument("array sizes do not match dims");
  }
  const int64_t row = 2 * w * c;  // one row of x
  parallelFor(b * h, std::max<int64_t>(1, kGrain / (2 * row)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const float *top = x.data + 2 * r * row;
      if (kind == 0) {
        maxMaskRow(top, top + row, y.data + r * w * c, out.data + 2 * r * row, out.data + 2 * r * row + row, w, c);
      } else {
        const float *mask = y.data + 2 * r * row;
        windowSumRow(top, top + row, mask, mask + row, out.data + r * w * c, w, c);
      }
    }
  });
  return nullptr;
}

}  // namespace

std::vector<Export> poolingExports() { return {{"pool", pool, 4}, {"windows", windows, 5}}; }

}  // namespace fewshot
