#pragma once
// Dense matrix products with fp32 accumulation for the prefill path of linear: cuBLASLt
// on the GPU; a plain reference loop in the host harness build (same contract, so the
// backend's own code runs unchanged on `--device cuda-host`). Plain C++.
#include <cstdint>
#include <memory>

#include "kernels/cuda/stream.h"

namespace llmrun::LLMRUN_CUDA_NS {

// Input element type of a GEMM; output and accumulation are always fp32.
enum class GemmType { f32, bf16, f16 };

// One per device: owns the cuBLASLt handle and its workspace (no globals), and knows the
// device's SM count (the GEMV plans its split-K with it).
class GemmContext {
 public:
  // The current device. sm_count_override > 0 replaces the device's SM count (tests; the
  // harness build models an H200's 132 otherwise).
  explicit GemmContext(int sm_count_override = 0);
  ~GemmContext();
  GemmContext(const GemmContext&) = delete;
  GemmContext& operator=(const GemmContext&) = delete;

  int sm_count() const { return sm_count_; }

  // c[m, n] fp32 (row-major, ld ldc) = a[m, k] (row-major, ld lda) * b[n, k]^T (row-major,
  // ld ldb): every input of `type`, products and sums in fp32 (fp32 inputs: true fp32
  // FMA, no TF32). Queued on `stream`. `what` names the caller in errors.
  void matmul_nt(GemmType type, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, const void* b,
                 int64_t ldb, float* c, int64_t ldc, Stream stream, const char* what);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int sm_count_ = 0;
};

}  // namespace llmrun::LLMRUN_CUDA_NS
