// The Node-API module: every kernel is a synchronous function over tfjs's Float32Arrays, run on
// the calling thread and the addon's workers (threads.h).
#include <algorithm>

#include <oneapi/dnnl/dnnl.hpp>

#include "common.h"
#include "onednn.h"
#include "threads.h"

namespace fewshot {

dnnl::engine &cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream &cpuStream() {
  thread_local dnnl::stream stream(cpuEngine());
  return stream;
}

dnnl::primitive_attr userScratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void execute(const dnnl::primitive &primitive, const dnnl::memory::desc &scratchpad, std::unordered_map<int, dnnl::memory> args) {
  // Grows to the largest scratchpad this thread has needed, and stays.
  thread_local std::vector<uint8_t> scratch;
  if (scratchpad.get_size() > 0) {
    if (scratch.size() < scratchpad.get_size()) scratch.resize(scratchpad.get_size());
    args.insert({DNNL_ARG_SCRATCHPAD, dnnl::memory(scratchpad, cpuEngine(), scratch.data())});
  }
  primitive.execute(cpuStream(), args);
  cpuStream().wait();
}

namespace {

// The data of a typed array of the given type, or an error naming the argument.
void *typedArray(napi_env env, napi_value value, napi_typedarray_type expected, const char *what, size_t *length) {
  bool isTyped = false;
  napi_is_typedarray(env, value, &isTyped);
  napi_typedarray_type type;
  void *data = nullptr;
  if (!isTyped || napi_get_typedarray_info(env, value, &type, length, &data, nullptr, nullptr) != napi_ok || type != expected) {
    throw std::invalid_argument(std::string(what) + (expected == napi_float32_array ? " must be a Float32Array" : " must be an Int32Array"));
  }
  return data;
}

}  // namespace

Floats floats(napi_env env, napi_value value, const char *what) {
  size_t length = 0;
  float *data = static_cast<float *>(typedArray(env, value, napi_float32_array, what, &length));
  return {data, length};
}

std::vector<int64_t> ints(napi_env env, napi_value value, const char *what) {
  size_t length = 0;
  const int32_t *values = static_cast<const int32_t *>(typedArray(env, value, napi_int32_array, what, &length));
  return std::vector<int64_t>(values, values + length);
}

int32_t integer(napi_env env, napi_value value, const char *what) {
  int32_t result = 0;
  if (napi_get_value_int32(env, value, &result) != napi_ok) throw std::invalid_argument(std::string(what) + " must be a number");
  return result;
}

double number(napi_env env, napi_value value, const char *what) {
  double result = 0;
  if (napi_get_value_double(env, value, &result) != napi_ok) throw std::invalid_argument(std::string(what) + " must be a number");
  return result;
}

namespace {

napi_value call(napi_env env, napi_callback_info info) {
  void *data = nullptr;
  napi_value args[8];
  size_t argc = 8;
  napi_get_cb_info(env, info, &argc, args, nullptr, &data);
  const Export *exported = static_cast<const Export *>(data);
  try {
    if (argc < exported->argc) {
      throw std::invalid_argument(std::string(exported->name) + " takes " + std::to_string(exported->argc) + " arguments");
    }
    napi_value result = exported->kernel(env, args, argc);
    if (result != nullptr) return result;
  } catch (const dnnl::error &e) {
    napi_throw_error(env, "FEWSHOT_NATIVE_ONEDNN", (std::string(exported->name) + ": oneDNN: " + e.what()).c_str());
  } catch (const std::exception &e) {
    napi_throw_error(env, "FEWSHOT_NATIVE", (std::string(exported->name) + ": " + e.what()).c_str());
  }
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

napi_value setProperty(napi_env env, napi_value object, const char *name, napi_value value) {
  napi_set_named_property(env, object, name, value);
  return object;
}

// What the module runs on, for the backend's device string.
napi_value describe(napi_env env, napi_value *, size_t) {
  napi_value result, value;
  napi_create_object(env, &result);
  const dnnl_version_t *version = dnnl_version();
  std::string onednn = std::to_string(version->major) + "." + std::to_string(version->minor) + "." + std::to_string(version->patch);
  napi_create_string_utf8(env, onednn.c_str(), NAPI_AUTO_LENGTH, &value);
  setProperty(env, result, "onednn", value);
  const char *isa = "unknown";
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx: isa = "AMX"; break;
    case dnnl::cpu_isa::avx512_core_bf16: isa = "AVX-512 BF16"; break;
    case dnnl::cpu_isa::avx512_core_vnni: isa = "AVX-512 VNNI"; break;
    case dnnl::cpu_isa::avx512_core: isa = "AVX-512"; break;
    case dnnl::cpu_isa::avx2_vnni: isa = "AVX2 VNNI"; break;
    case dnnl::cpu_isa::avx2: isa = "AVX2"; break;
    case dnnl::cpu_isa::avx: isa = "AVX"; break;
    case dnnl::cpu_isa::sse41: isa = "SSE4.1"; break;
    default: break;
  }
  napi_create_string_utf8(env, isa, NAPI_AUTO_LENGTH, &value);
  setProperty(env, result, "isa", value);
  napi_create_int32(env, threadCount(), &value);
  setProperty(env, result, "threads", value);
  return result;
}

napi_value setThreads(napi_env env, napi_value *args, size_t) {
  int32_t threads = integer(env, args[0], "threads");
  if (threads < 1) throw std::invalid_argument("threads must be at least 1");
  setThreadCount(threads);
  return nullptr;
}

std::vector<Export> &exportsTable() {
  static std::vector<Export> table = [] {
    std::vector<Export> all = {{"describe", describe, 0}, {"setThreads", setThreads, 1}};
    for (auto part : {convolutionExports, matmulExports, elementwiseExports, reduceExports, layoutExports, poolingExports}) {
      for (const Export &e : part()) all.push_back(e);
    }
    return all;
  }();
  return table;
}

napi_value init(napi_env env, napi_value exports) {
  setThreadCount(1);  // until the backend says how many
  for (Export &e : exportsTable()) {
    napi_value fn;
    napi_create_function(env, e.name, NAPI_AUTO_LENGTH, call, &e, &fn);
    napi_set_named_property(env, exports, e.name, fn);
  }
  return exports;
}

}  // namespace
}  // namespace fewshot

NAPI_MODULE(NODE_GYP_MODULE_NAME, fewshot::init)
