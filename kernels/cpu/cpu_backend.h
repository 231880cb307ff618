#pragma once
#include <memory>
#include <string>

#include "runtime/backend.h"

namespace llmrun::cpu {

// threads <= 0: one per core. isa: "auto" (best_kernel_isa()), "avx512", "avx2" or
// "scalar"; an unknown name, or a family this CPU cannot run, is an error naming --cpu-isa.
std::unique_ptr<Backend> make_cpu_backend(int threads, const std::string& isa = "auto");

}  // namespace llmrun::cpu
