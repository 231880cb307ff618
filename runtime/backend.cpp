#include "runtime/backend.h"

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_devices.h"
#include "runtime/error.h"

namespace llmrun {

int64_t Backend::free_memory_bytes() const {
  // MemAvailable: what the kernel can hand out without swapping (page cache included).
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? int64_t(pages) * page : INT64_MAX;
}

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
    case Op::sample: return "sample";
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

// "auto" -> nullopt (the backend decides per checkpoint).
std::optional<TensorType> activation_override(const std::string& name) {
  if (name == "auto") return std::nullopt;
  if (name == "f32") return TensorType::f32;
  if (name == "bf16") return TensorType::bf16;
  if (name == "f16") return TensorType::f16;
  fail("--activations ", name, ": unknown (valid: auto, f32, bf16, f16)");
}

std::unique_ptr<Backend> cpu_backend(const BackendOptions& options) {
  const std::optional<TensorType> act = activation_override(options.activations);
  if (act && *act != TensorType::f32)
    fail("--activations ", options.activations, ": the CPU backend computes in f32 (use a CUDA device for ",
         options.activations, ")");
  return cpu::make_cpu_backend(options.threads, options.cpu_isa);
}

}  // namespace

std::unique_ptr<Backend> make_backend(const BackendOptions& options) {
  const std::string& d = options.device;
  const std::optional<TensorType> act = activation_override(options.activations);
  if (d == "cpu") return cpu_backend(options);
  // Every other choice can end on a CUDA backend, which has no CPU kernel families.
  const bool cpu_only_option = options.cpu_isa != "auto";
  const bool cuda_possible = d != "auto" || (cuda::built_with_cuda() && !cuda::list_devices().empty());
  if (cpu_only_option && cuda_possible)
    fail("--cpu-isa ", options.cpu_isa, ": only the CPU backend has kernel families (add --device cpu)");
  if (d == "cuda-host") return cuda_host::make_cuda_backend(0, act);
  if (d == "auto") {
    if (cuda::built_with_cuda() && !cuda::list_devices().empty()) return cuda::make_cuda_backend(0, act);
    return cpu_backend(options);
  }
  if (d == "cuda" || d.rfind("cuda:", 0) == 0) {
    const int index = cuda_index(d);
    const std::string reason = cuda::unavailable_reason();
    if (!reason.empty()) fail("--device ", d, ": ", reason, "; use --device cpu");
    const int count = int(cuda::list_devices().size());
    if (index >= count) fail("--device ", d, ": there ", count == 1 ? "is" : "are", " ", count, " CUDA device(s)");
    return cuda::make_cuda_backend(index, act);
  }
  fail("--device ", d, ": unknown device (valid: auto, cpu, cuda, cuda:N, cuda-host)");
}

}  // namespace llmrun
