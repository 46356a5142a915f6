// 2-D convolution and both of its gradients as oneDNN primitives, on tfjs's layouts: activations
// NHWC, filters HWIO. Activations are used in place (oneDNN's NHWC kernels are its fast ones);
// filters are reordered to the layout each primitive prefers (a 3×3×64×64 filter is 37K floats,
// a microsecond's copy, and the blocked kernels run 2-3× faster than the HWIO ones).
// The batch is split between the threads (threads.h), each running a single-threaded primitive
// on its images; the filter gradient's per-part results are summed at the end. Stacked tasks
// (each with its own filter) are one call: each task is its own convolution.
#include <algorithm>
#include <map>
#include <memory>

#include "common.h"
#include "onednn.h"
#include "threads.h"

namespace fewshot {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

enum Kind { kForward = 0, kBackwardData = 1, kBackwardFilter = 2 };

// The geometry tfjs's computeConv2DInfo describes, flattened in this order by the caller.
struct Geometry {
  int64_t batch, inHeight, inWidth, inChannels, outChannels, filterHeight, filterWidth, outHeight, outWidth;
  int64_t strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft;
};

// One primitive for one kind and geometry (batch included), with what it needs around it.
struct Plan {
  dnnl::primitive primitive;
  memory::desc scratchpad, activation, output, userFilter, filter;
  bool reorderFilter = false;
  dnnl::reorder toPrimitive, toUser;
  // forward and input gradient: the filter in the primitive's layout, shared by the parts.
  std::unique_ptr<float[]> filterBuffer;
};

Plan makePlan(Kind kind, const Geometry &g) {
  memory::desc src({g.batch, g.inChannels, g.inHeight, g.inWidth}, dt::f32, tag::nhwc);
  memory::desc dst({g.batch, g.outChannels, g.outHeight, g.outWidth}, dt::f32, tag::nhwc);
  memory::dims filterDims{g.outChannels, g.inChannels, g.filterHeight, g.filterWidth};
  memory::desc user(filterDims, dt::f32, tag::hwio);
  // With one or two input channels the blocked input-gradient kernel is 2.7× slower than the
  // GEMM one that takes HWIO as it is (measured at 80×28×28×1).
  memory::desc preferred(filterDims, dt::f32, kind == kBackwardData && g.inChannels < 4 ? tag::hwio : tag::any);
  memory::dims strides{g.strideHeight, g.strideWidth};
  memory::dims dilations{g.dilationHeight - 1, g.dilationWidth - 1};
  memory::dims padLow{g.padTop, g.padLeft};
  const memory::dims padHigh{fewshot::padHigh(g.inHeight, g.outHeight, g.strideHeight, (g.filterHeight - 1) * g.dilationHeight + 1, g.padTop),
                             fewshot::padHigh(g.inWidth, g.outWidth, g.strideWidth, (g.filterWidth - 1) * g.dilationWidth + 1, g.padLeft)};
  const auto algorithm = dnnl::algorithm::convolution_direct;
  const dnnl::primitive_attr attr = userScratchpad();
  dnnl::convolution_forward::primitive_desc forward(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algorithm, src, preferred, dst, strides, dilations, padLow, padHigh),
      attr, cpuEngine());
  Plan plan;
  plan.userFilter = user;
  if (kind == kForward) {
    plan.primitive = dnnl::convolution_forward(forward);
    plan.scratchpad = forward.scratchpad_desc();
    plan.activation = src;
    plan.output = dst;
    plan.filter = forward.weights_desc();
  } else if (kind == kBackwardData) {
    dnnl::convolution_backward_data::primitive_desc pd(
        dnnl::convolution_backward_data::desc(algorithm, src, preferred, dst, strides, dilations, padLow, padHigh), attr, cpuEngine(),
        forward);
    plan.primitive = dnnl::convolution_backward_data(pd);
    plan.scratchpad = pd.scratchpad_desc();
    plan.activation = dst;  // the incoming gradient
    plan.output = src;
    plan.filter = pd.weights_desc();
  } else {
    dnnl::convolution_backward_weights::primitive_desc pd(
        dnnl::convolution_backward_weights::desc(algorithm, src, preferred, dst, strides, dilations, padLow, padHigh), attr,
        cpuEngine(), forward);
    plan.primitive = dnnl::convolution_backward_weights(pd);
    plan.scratchpad = pd.scratchpad_desc();
    plan.activation = src;
    plan.output = dst;  // here: the incoming gradient, an input
    plan.filter = pd.diff_weights_desc();
  }
  plan.reorderFilter = plan.filter != user;
  if (plan.reorderFilter) {
    if (kind == kBackwardFilter) {
      plan.toUser = dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), plan.filter, cpuEngine(), user));
    } else {
      plan.filterBuffer.reset(new float[plan.filter.get_size() / sizeof(float)]);
      plan.toPrimitive = dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), user, cpuEngine(), plan.filter));
    }
  }
  return plan;
}

// Plans by kind and geometry. Training meets a few dozen geometries; a process that meets
// more (serving many image sizes) starts over rather than grow without bound.
constexpr size_t kMaxPlans = 512;
constexpr int64_t kSplitMacs = 1 << 21;

Plan &planFor(Kind kind, const Geometry &g) {
  static std::map<std::vector<int64_t>, Plan> plans;
  std::vector<int64_t> key{kind, g.batch, g.inHeight, g.inWidth, g.inChannels, g.outChannels, g.filterHeight, g.filterWidth,
                           g.outHeight, g.outWidth, g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft};
  auto found = plans.find(key);
  if (found != plans.end()) return found->second;
  if (plans.size() >= kMaxPlans) plans.clear();
  return plans.emplace(key, makePlan(kind, g)).first->second;
}

// convolution(kind, geometry Int32Array[16], a, b, out): the geometry of one task's convolution
// (batch = images per task) followed by the number of tasks; task t's images are the t-th block
// of the batch, and with several tasks each has its own filter, stacked [tasks, KH, KW, C, O].
//   forward:         a = x [N,H,W,C],      b = filter [KH,KW,C,O], out = y [N,OH,OW,O]
//   backward data:   a = dy [N,OH,OW,O],   b = filter,             out = dx [N,H,W,C]
//   backward filter: a = x,                b = dy,                 out = dfilter [KH,KW,C,O]
napi_value convolution(napi_env env, napi_value *args, size_t) {
  int32_t kindValue = integer(env, args[0], "kind");
  if (kindValue < kForward || kindValue > kBackwardFilter) throw std::invalid_argument("unknown convolution kind");
  const Kind kind = static_cast<Kind>(kindValue);
  std::vector<int64_t> d = ints(env, args[1], "geometry");
  if (d.size() != 16) throw std::invalid_argument("geometry has 16 entries");
  const Geometry g{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
  const int64_t tasks = d[15];
  Floats a = floats(env, args[2], "a"), b = floats(env, args[3], "b"), out = floats(env, args[4], "out");
  const int64_t inImage = g.inHeight * g.inWidth * g.inChannels, outImage = g.outHeight * g.outWidth * g.outChannels;
  const int64_t filterSize = g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
  const int64_t images = tasks * g.batch;
  const int64_t aSize = images * (kind == kBackwardData ? outImage : inImage);
  const int64_t bSize = kind == kBackwardFilter ? images * outImage : tasks * filterSize;
  const int64_t outSize = kind == kForward ? images * outImage : kind == kBackwardData ? images * inImage : tasks * filterSize;
  if (tasks < 1 || static_cast<int64_t>(a.length) != aSize || static_cast<int64_t>(b.length) != bSize ||
      static_cast<int64_t>(out.length) != outSize) {
    throw std::invalid_argument("array sizes do not match the geometry");
  }
  if (g.batch == 0) {
    std::fill(out.data, out.data + out.length, 0.f);
    return nullptr;
  }

  // Work units: each task's images in `parts` parts, enough units to keep every thread busy.
  // A task's parts have at most two sizes (rounded down and up), so at most two plans.
  // A small convolution (under ~40 µs of one core) is not worth splitting.
  const int64_t macs = tasks * g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight * g.filterWidth * g.inChannels;
  const int64_t threads = macs >= kSplitMacs ? threadCount() : 1;
  const int64_t parts = std::min<int64_t>(g.batch, (threads + tasks - 1) / tasks);
  auto first = [&](int64_t p) { return g.batch * p / parts; };
  std::vector<Plan *> plans(parts);
  for (int64_t p = 0; p < parts; p++) {  // created here, on this thread, before the run
    Geometry part = g;
    part.batch = first(p + 1) - first(p);
    plans[p] = &planFor(kind, part);
  }
  const int64_t units = tasks * parts;
  // Unit u: task u / parts, part u % parts; its first image in the whole batch.
  auto image = [&](int64_t u) { return (u / parts) * g.batch + first(u % parts); };
  dnnl::engine &engine = cpuEngine();
  dnnl::stream &stream = cpuStream();

  if (kind == kBackwardFilter) {
    // Each unit's gradient in its primitive's layout; then, per task, in HWIO and summed.
    std::vector<std::unique_ptr<float[]>> results(units);
    for (int64_t u = 0; u < units; u++) results[u].reset(new float[plans[u % parts]->filter.get_size() / sizeof(float)]);
    parallelChunks(units, [&](int64_t u) {
      Plan &pl = *plans[u % parts];
      execute(pl.primitive, pl.scratchpad,
              {{DNNL_ARG_SRC, memory(pl.activation, engine, a.data + image(u) * inImage)},
               {DNNL_ARG_DIFF_DST, memory(pl.output, engine, b.data + image(u) * outImage)},
               {DNNL_ARG_DIFF_WEIGHTS, memory(pl.filter, engine, results[u].get())}});
    });
    std::unique_ptr<float[]> hwio(parts > 1 ? new float[filterSize] : nullptr);
    for (int64_t u = 0; u < units; u++) {
      Plan &pl = *plans[u % parts];
      float *task = out.data + (u / parts) * filterSize;
      float *target = u % parts == 0 ? task : hwio.get();
      if (pl.reorderFilter) {
        memory result(pl.filter, engine, results[u].get()), user(pl.userFilter, engine, target);
        pl.toUser.execute(stream, result, user);
        stream.wait();
      } else {
        std::copy(results[u].get(), results[u].get() + filterSize, target);
      }
      if (target != task) for (int64_t i = 0; i < filterSize; i++) task[i] += target[i];
    }
    return nullptr;
  }
  // Rows and columns a 'valid' window leaves out have a zero gradient, which the primitive
  // does not write.
  if (kind == kBackwardData && (padHigh(g.inHeight, g.outHeight, g.strideHeight, (g.filterHeight - 1) * g.dilationHeight + 1, g.padTop) < 0 ||
                                padHigh(g.inWidth, g.outWidth, g.strideWidth, (g.filterWidth - 1) * g.dilationWidth + 1, g.padLeft) < 0)) {
    std::fill(out.data, out.data + out.length, 0.f);
  }
  // Forward and input gradient: each task's filter is reordered once per plan, then shared by
  // that task's parts.
  std::map<Plan *, std::vector<std::unique_ptr<float[]>>> filters;
  for (Plan *pl : plans) {
    if (!pl->reorderFilter || filters.count(pl)) continue;
    auto &buffers = filters[pl];
    for (int64_t t = 0; t < tasks; t++) {
      buffers.emplace_back(new float[pl->filter.get_size() / sizeof(float)]);
      memory user(pl->userFilter, engine, b.data + t * filterSize), blocked(pl->filter, engine, buffers.back().get());
      pl->toPrimitive.execute(stream, user, blocked);
    }
    stream.wait();
  }
  const int64_t inputImage = kind == kForward ? inImage : outImage, outputImage = kind == kForward ? outImage : inImage;
  const int inputArg = kind == kForward ? DNNL_ARG_SRC : DNNL_ARG_DIFF_DST;
  const int outputArg = kind == kForward ? DNNL_ARG_DST : DNNL_ARG_DIFF_SRC;
  parallelChunks(units, [&](int64_t u) {
    Plan &pl = *plans[u % parts];
    const int64_t task = u / parts;
    memory filter = pl.reorderFilter ? memory(pl.filter, engine, filters.at(&pl)[task].get())
                                     : memory(pl.userFilter, engine, b.data + task * filterSize);
    execute(pl.primitive, pl.scratchpad,
            {{inputArg, memory(pl.activation, engine, a.data + image(u) * inputImage)},
             {DNNL_ARG_WEIGHTS, filter},
             {outputArg, memory(pl.output, engine, out.data + image(u) * outputImage)}});
  });
  return nullptr;
}

}  // namespace

std::vector<Export> convolutionExports() { return {{"convolution", convolution, 5}}; }

}  // namespace fewshot
