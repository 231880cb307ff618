#pragma once
#include <memory>

#include "runtime/backend.h"

namespace llmrun::cpu {

// threads <= 0: one per core.
std::unique_ptr<Backend> make_cpu_backend(int threads);

}  // namespace llmrun::cpu
