#include "runtime/backend.h"

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_devices.h"
#include "runtime/error.h"

namespace llmrun {

const char* op_name(Op op) {
  switch (op) {
    case Op::embed: return "embed";
    case Op::linear: return "linear";
    case Op::rmsnorm: return "rmsnorm";
    case Op::rope: return "rope";
    case Op::attention: return "attention";
    case Op::swiglu: return "swiglu";
    case Op::add: return "add";
    case Op::argmax: return "argmax";
  }
  return "?";
}

namespace {

// "cuda" -> 0, "cuda:3" -> 3; anything else after "cuda:" is an error naming the flag.
int cuda_index(const std::string& device) {
  if (device == "cuda") return 0;
  const std::string n = device.substr(5);
  if (n.empty() || n.size() > 3 || n.find_first_not_of("0123456789") != std::string::npos)
    fail("--device ", device, ": expected cuda:N with N a device number");
  return std::stoi(n);
}

}  // namespace

std::unique_ptr<Backend> make_backend(const BackendOptions& options) {
  const std::string& d = options.device;
  if (d == "cpu") return cpu::make_cpu_backend(options.threads);
  if (d == "cuda-host") fail("--device cuda-host: the CUDA backend does not run models yet in this version");
  if (d == "auto") return cpu::make_cpu_backend(options.threads);
  if (d == "cuda" || d.rfind("cuda:", 0) == 0) {
    const int index = cuda_index(d);
    const std::string reason = cuda::unavailable_reason();
    if (!reason.empty()) fail("--device ", d, ": ", reason, "; use --device cpu");
    const int count = int(cuda::list_devices().size());
    if (index >= count) fail("--device ", d, ": there ", count == 1 ? "is" : "are", " ", count, " CUDA device(s)");
    fail("--device ", d, ": the CUDA backend does not run models yet in this version; use --device cpu");
  }
  fail("--device ", d, ": unknown device (valid: auto, cpu, cuda, cuda:N, cuda-host)");
}

}  // namespace llmrun
