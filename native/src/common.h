// Shared by the addon's kernels: reading Node-API arguments and the export table.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace fewshot {

// A Float32Array argument: the kernels read and write tfjs's own buffers in place.
struct Floats {
  float *data;
  size_t length;
};

Floats floats(napi_env env, napi_value value, const char *what);
// An Int32Array argument (shapes, geometry): one call instead of one per element.
std::vector<int64_t> ints(napi_env env, napi_value value, const char *what);
int32_t integer(napi_env env, napi_value value, const char *what);
double number(napi_env env, napi_value value, const char *what);

using Kernel = napi_value (*)(napi_env env, napi_value *args, size_t argc);

struct Export {
  const char *name;
  Kernel kernel;
  size_t argc;
};

// Every translation unit's exports, collected by addon.cc.
std::vector<Export> convolutionExports();
std::vector<Export> matmulExports();
std::vector<Export> elementwiseExports();
std::vector<Export> reduceExports();
std::vector<Export> layoutExports();
std::vector<Export> poolingExports();

}  // namespace fewshot
