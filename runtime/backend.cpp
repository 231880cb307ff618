#include "runtime/backend.h"

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_devices.h"
#include "runtime/error.h"

namespace llmrun {

std::unique_ptr<Backend> make_backend(const BackendOptions& options) {
  const std::string& d = options.device;
  if (d == "cpu" || d == "auto") return cpu::make_cpu_backend(options.threads);
  if (d == "cuda" || d.rfind("cuda:", 0) == 0) {
    std::string reason = cuda::unavailable_reason();
    if (reason.empty())
      reason = "the CUDA backend does not run models yet in this version (device query and kernels only)";
    fail("--device ", d, ": ", reason, "; use --device cpu");
  }
  fail("--device ", d, ": unknown device (valid: auto, cpu, cuda, cuda:N)");
}

}  // namespace llmrun
