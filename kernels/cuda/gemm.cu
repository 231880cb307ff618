// GemmContext: cuBLASLt under nvcc, a reference loop on the host harness.
#include "kernels/cuda/device_compat.cuh"
#include "kernels/cuda/gemm.h"

#include <cstring>
#include <utility>

#include "kernels/cuda/act_types.cuh"
#include "runtime/error.h"

#if !defined(LLMRUN_HOST_HARNESS)
#include <cublasLt.h>

#include "kernels/cuda/cuda_check.h"
#endif

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

void check_args(GemmType type, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, const void* b,
                int64_t ldb, const float* c, int64_t ldc, const char* what) {
  if (m < 0 || n < 0 || k < 0 || lda < k || ldb < k || ldc < n)
    fail(what, ": GEMM shape m=", m, " n=", n, " k=", k, " lda=", lda, " ldb=", ldb, " ldc=", ldc);
  if (m > 0 && n > 0 && (!c || (k > 0 && (!a || !b)))) fail(what, ": GEMM with a null pointer");
  (void)type;
}

}  // namespace

#if defined(LLMRUN_HOST_HARNESS)

struct GemmContext::Impl {};

GemmContext::GemmContext(int sm_count_override) : sm_count_(sm_count_override > 0 ? sm_count_override : 132) {}
GemmContext::~GemmContext() = default;

namespace {
template <typename T>
float element(const void* p, int64_t i) {
  return to_f32(static_cast<const T*>(p)[i]);
}
}  // namespace

void GemmContext::matmul_nt(GemmType type, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
                            const void* b, int64_t ldb, float* c, int64_t ldc, Stream stream, const char* what) {
  check_args(type, m, n, k, a, lda, b, ldb, c, ldc, what);
  stream->enqueue([=] {
    float (*get)(const void*, int64_t) = type == GemmType::f32    ? element<float>
                                         : type == GemmType::bf16 ? element<bf16_t>
                                                                  : element<f16_t>;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float acc = 0.0f;  // fp32, in k order
        for (int64_t p = 0; p < k; ++p) acc += get(a, i * lda + p) * get(b, j * ldb + p);
        c[i * ldc + j] = acc;
      }
  });
}

#else

#define LLMRUN_CUBLASLT_CHECK(call, what)                                                   \
  do {                                                                                      \
    const cublasStatus_t llmrun_lt_status_ = (call);                                        \
    if (llmrun_lt_status_ != CUBLAS_STATUS_SUCCESS)                                         \
      ::llmrun::fail(what, ": ", #call, ": cuBLASLt status ", int(llmrun_lt_status_));      \
  } while (0)

namespace {
constexpr size_t kWorkspaceBytes = size_t(32) << 20;  // cuBLASLt's recommendation for Hopper

// The largest power of two (up to 256) dividing the address.
uint32_t alignment_of(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  uint32_t align = 256;
  while (align > 1 && a % align != 0) align /= 2;
  return align;
}

cudaDataType_t cuda_type(GemmType t) {
  return t == GemmType::f32 ? CUDA_R_32F : t == GemmType::bf16 ? CUDA_R_16BF : CUDA_R_16F;
}

// cuBLASLt descriptors, destroyed on every path out of matmul_nt.
struct Descriptors {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  ~Descriptors() {
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};
}  // namespace

struct GemmContext::Impl {
  cublasLtHandle_t handle = nullptr;
  void* workspace = nullptr;
};

GemmContext::GemmContext(int sm_count_override) : impl_(new Impl) {
  int device = 0;
  LLMRUN_CUDA_CHECK(cudaGetDevice(&device));
  LLMRUN_CUDA_CHECK(cudaDeviceGetAttribute(&sm_count_, cudaDevAttrMultiProcessorCount, device));
  if (sm_count_override > 0) sm_count_ = sm_count_override;
  LLMRUN_CUBLASLT_CHECK(cublasLtCreate(&impl_->handle), "GemmContext");
  impl_->workspace = device_alloc(kWorkspaceBytes, "cuBLASLt workspace");
}

GemmContext::~GemmContext() {
  device_free(impl_->workspace);
  if (impl_->handle) cublasLtDestroy(impl_->handle);
}

void GemmContext::matmul_nt(GemmType type, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
                            const void* b, int64_t ldb, float* c, int64_t ldc, Stream stream, const char* what) {
  check_args(type, m, n, k, a, lda, b, ldb, c, ldc, what);
  if (m == 0 || n == 0) return;
  if (k == 0) return fill_zero(c, size_t(m * ldc) * sizeof(float), stream);
  // Column-major view: c^T [n, m] = b^T... cuBLASLt sees row-major b[n, k] as a column-major
  // [k, n] matrix B' and a[m, k] as [k, m] A', so c^T = B'^T * A' (op(A) = T, op(B) = N).
  const cudaDataType_t t = cuda_type(type);
  Descriptors d;
  LLMRUN_CUBLASLT_CHECK(cublasLtMatmulDescCreate(&d.op, CUBLAS_COMPUTE_32F, CUDA_R_32F), what);
  const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
  LLMRUN_CUBLASLT_CHECK(cublasLtMatmulDescSetAttribute(d.op, CUBLASLT_MATMUL_DESC_TRANSA, &transa, sizeof transa), what);
  LLMRUN_CUBLASLT_CHECK(cublasLtMatmulDescSetAttribute(d.op, CUBLASLT_MATMUL_DESC_TRANSB, &transb, sizeof transb), what);
  LLMRUN_CUBLASLT_CHECK(cublasLtMatrixLayoutCreate(&d.a, t, uint64_t(k), uint64_t(n), ldb), what);
  LLMRUN_CUBLASLT_CHECK(cublasLtMatrixLayoutCreate(&d.b, t, uint64_t(k), uint64_t(m), lda), what);
  LLMRUN_CUBLASLT_CHECK(cublasLtMatrixLayoutCreate(&d.c, CUDA_R_32F, uint64_t(n), uint64_t(m), ldc), what);
  LLMRUN_CUBLASLT_CHECK(cublasLtMatmulPreferenceCreate(&d.pref), what);
  const uint64_t workspace = kWorkspaceBytes;
  LLMRUN_CUBLASLT_CHECK(cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                             &workspace, sizeof workspace),
                        what);
  // The heuristic assumes 256-byte aligned operands unless told; activation rows handed in
  // by callers may sit at any element offset.
  const std::pair<cublasLtMatmulPreferenceAttributes_t, const void*> operands[] = {
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, b},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, a},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, c},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, c}};
  for (const auto& [attribute, pointer] : operands) {
    const uint32_t alignment = alignment_of(pointer);
    LLMRUN_CUBLASLT_CHECK(cublasLtMatmulPreferenceSetAttribute(d.pref, attribute, &alignment, sizeof alignment), what);
  }
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  LLMRUN_CUBLASLT_CHECK(cublasLtMatmulAlgoGetHeuristic(impl_->handle, d.op, d.a, d.b, d.c, d.c, d.pref, 1,
                                                       &result, &found),
                        what);
  if (found == 0)
    fail(what, ": cuBLASLt has no algorithm for this GEMM (m=", m, " n=", n, " k=", k, ", lda=", lda,
         ", ldb=", ldb, ")");
  const float alpha = 1.0f, beta = 0.0f;
  LLMRUN_CUBLASLT_CHECK(cublasLtMatmul(impl_->handle, d.op, &alpha, b, d.a, a, d.b, &beta, c, d.c, c, d.c,
                                       &result.algo, impl_->workspace, kWorkspaceBytes, stream),
                        what);
}

#endif

}  // namespace llmrun::LLMRUN_CUDA_NS
