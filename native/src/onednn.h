// oneDNN as the kernels use it: one CPU engine; a stream per thread (streams are not shared
// between threads); primitives created with a user-managed scratchpad, so that two threads can
// run the same primitive on different parts of a batch at once, each with its own scratch memory.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <unordered_map>

namespace fewshot {

dnnl::engine &cpuEngine();
// The calling thread's stream.
dnnl::stream &cpuStream();
dnnl::primitive_attr userScratchpad();

// The high padding oneDNN wants for a window of stride `stride`, extent `extent` and low padding
// `padLow` to produce `out` outputs from `in` inputs: negative where a 'valid' window leaves
// the last rows or columns out, which oneDNN's fast kernels take as it is (a view that stops
// before them, the other way to say it, sends pooling to a reference kernel 1000× slower).
inline int64_t padHigh(int64_t in, int64_t out, int64_t stride, int64_t extent, int64_t padLow) {
  return (out - 1) * stride + extent - in - padLow;
}

// Runs a primitive on the calling thread's stream, with scratch memory of the thread's own as
// the primitive's scratchpad (`scratchpad`, from its primitive descriptor), and waits.
void execute(const dnnl::primitive &primitive, const dnnl::memory::desc &scratchpad, std::unordered_map<int, dnnl::memory> args);

}  // namespace fewshot
