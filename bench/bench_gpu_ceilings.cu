// The two ceilings the CUDA backend is measured against on a GPU machine
// (scripts/gpu-check.sh, docs/GPU_CHECK.md):
//   d2d_copy_gbps          cudaMemcpyAsync device-to-device of a 1 GiB buffer; bytes read
//                          plus bytes written per second (the memory traffic a copy makes),
//                          the bandwidth a decode step (a stream of weight reads) can reach
//   cublaslt_bf16_tflops   cuBLASLt bf16 GEMMs (fp32 accumulation, bf16 out) on the shapes a
//                          prefill of 512 tokens runs through a Qwen3-4B layer: qkv, o,
//                          gate+up, down; 2 m n k flops per GEMM
//   cublaslt_bf16_peak_tflops  the same GEMM at 8192 x 8192 x 8192 (the dense peak)
// Each figure is the median of 5 timed trials (CUDA events), after a warm-up.
// Prints one JSON object on stdout (and to --out FILE); errors are one line on stderr, exit 1.
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

void check_lt(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": cublasLt status " + std::to_string(int(s)));
}

// Deterministic values in [-1, 1): random-looking data keeps the tensor cores as busy
// as real weights do (all-zero inputs would flatter the GEMM rate).
__global__ void fill_bf16(__nv_bfloat16* p, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    uint32_t h = uint32_t(i) * 2654435761u ^ seed;
    h ^= h >> 15, h *= 2246822519u, h ^= h >> 13;
    p[i] = __float2bfloat16(float(h & 0xffff) / 32768.0f - 1.0f);
  }
}

struct Timer {
  cudaEvent_t start, stop;
  Timer() {
    check_cuda(cudaEventCreate(&start), "cudaEventCreate");
    check_cuda(cudaEventCreate(&stop), "cudaEventCreate");
  }
  ~Timer() {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
  }
};

template <class F>
double median_seconds(F&& run_once, int reps, cudaStream_t stream) {
  Timer t;
  run_once();  // warm-up
  check_cuda(cudaStreamSynchronize(stream), "warm-up");
  std::vector<double> trials;
  for (int trial = 0; trial < 5; ++trial) {
    check_cuda(cudaEventRecord(t.start, stream), "cudaEventRecord");
    for (int r = 0; r < reps; ++r) run_once();
    check_cuda(cudaEventRecord(t.stop, stream), "cudaEventRecord");
    check_cuda(cudaEventSynchronize(t.stop), "cudaEventSynchronize");
    float ms = 0;
    check_cuda(cudaEventElapsedTime(&ms, t.start, t.stop), "cudaEventElapsedTime");
    trials.push_back(ms * 1e-3 / reps);
  }
  std::sort(trials.begin(), trials.end());
  return trials[trials.size() / 2];
}

double copy_gbps(cudaStream_t stream) {
  const size_t bytes = size_t(1) << 30;
  void *src = nullptr, *dst = nullptr;
  check_cuda(cudaMalloc(&src, bytes), "cudaMalloc 1 GiB");
  check_cuda(cudaMalloc(&dst, bytes), "cudaMalloc 1 GiB");
  check_cuda(cudaMemsetAsync(src, 0x5a, bytes, stream), "cudaMemset");
  const double s = median_seconds(
      [&] { check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync"); }, 10,
      stream);
  cudaFree(src);
  cudaFree(dst);
  return 2.0 * double(bytes) / s / 1e9;
}

// One y[n, m] = x[n, k] W[m, k]^T in cuBLASLt's column-major terms: D (m x n) = op(A) B with
// A = W stored k x m (transposed), B = x stored k x n; all bf16, fp32 compute.
struct Gemm {
  int64_t m, n, k;
  __nv_bfloat16 *a = nullptr, *b = nullptr, *d = nullptr;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t la = nullptr, lb = nullptr, ld = nullptr;
  cublasLtMatmulAlgo_t algo{};

  Gemm(cublasLtHandle_t lt, int64_t m_, int64_t n_, int64_t k_, size_t workspace_bytes, cudaStream_t stream)
      : m(m_), n(n_), k(k_) {
    check_cuda(cudaMalloc(&a, sizeof(__nv_bfloat16) * m * k), "cudaMalloc A");
    check_cuda(cudaMalloc(&b, sizeof(__nv_bfloat16) * k * n), "cudaMalloc B");
    check_cuda(cudaMalloc(&d, sizeof(__nv_bfloat16) * m * n), "cudaMalloc D");
    fill_bf16<<<1024, 256, 0, stream>>>(a, size_t(m * k), 1);
    fill_bf16<<<1024, 256, 0, stream>>>(b, size_t(k * n), 2);
    check_cuda(cudaGetLastError(), "fill_bf16");
    check_lt(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
    const cublasOperation_t trans_a = CUBLAS_OP_T, trans_b = CUBLAS_OP_N;
    check_lt(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &trans_a, sizeof trans_a), "TRANSA");
    check_lt(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &trans_b, sizeof trans_b), "TRANSB");
    check_lt(cublasLtMatrixLayoutCreate(&la, CUDA_R_16BF, k, m, k), "layout A");
    check_lt(cublasLtMatrixLayoutCreate(&lb, CUDA_R_16BF, k, n, k), "layout B");
    check_lt(cublasLtMatrixLayoutCreate(&ld, CUDA_R_16BF, m, n, m), "layout D");
    cublasLtMatmulPreference_t pref = nullptr;
    check_lt(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
    check_lt(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes,
                                                  sizeof workspace_bytes),
             "workspace preference");
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    check_lt(cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, ld, ld, pref, 1, &result, &found),
             "cublasLtMatmulAlgoGetHeuristic");
    cublasLtMatmulPreferenceDestroy(pref);
    if (found == 0)
      throw std::runtime_error("cuBLASLt has no bf16 algorithm for " + std::to_string(m) + "x" + std::to_string(n) +
                               "x" + std::to_string(k));
    algo = result.algo;
  }
  ~Gemm() {
    cublasLtMatrixLayoutDestroy(la);
    cublasLtMatrixLayoutDestroy(lb);
    cublasLtMatrixLayoutDestroy(ld);
    cublasLtMatmulDescDestroy(desc);
    cudaFree(a);
    cudaFree(b);
    cudaFree(d);
  }
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  void run(cublasLtHandle_t lt, void* workspace, size_t workspace_bytes, cudaStream_t stream) const {
    const float alpha = 1.0f, beta = 0.0f;
    check_lt(cublasLtMatmul(lt, desc, &alpha, a, la, b, lb, &beta, d, ld, d, ld, &algo, workspace, workspace_bytes,
                            stream),
             "cublasLtMatmul");
  }
  double flops() const { return 2.0 * double(m) * double(n) * double(k); }
};

// TFLOP/s of a sequence of GEMMs run back to back (one layer's worth).
double gemm_tflops(cublasLtHandle_t lt, const std::vector<int64_t>& mnk, int reps, cudaStream_t stream) {
  const size_t workspace_bytes = size_t(32) << 20;
  void* workspace = nullptr;
  check_cuda(cudaMalloc(&workspace, workspace_bytes), "cudaMalloc workspace");
  std::vector<std::unique_ptr<Gemm>> gemms;
  double flops = 0;
  for (size_t i = 0; i + 2 < mnk.size(); i += 3) {
    gemms.push_back(std::make_unique<Gemm>(lt, mnk[i], mnk[i + 1], mnk[i + 2], workspace_bytes, stream));
    flops += gemms.back()->flops();
  }
  const double s = median_seconds(
      [&] {
        for (const auto& g : gemms) g->run(lt, workspace, workspace_bytes, stream);
      },
      reps, stream);
  gemms.clear();
  cudaFree(workspace);
  return flops / s / 1e12;
}

int usage(const char* why) {
  std::fprintf(stderr, "bench_gpu_ceilings: %s\nusage: bench_gpu_ceilings [--out FILE]\n", why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf("bench_gpu_ceilings: device-to-device copy GB/s and cuBLASLt bf16 TFLOP/s of GPU 0, as JSON\n"
                  "usage: bench_gpu_ceilings [--out FILE]\n");
      return 0;
    }
    if (arg == "--out" && i + 1 < argc) out = argv[++i];
    else return usage(("unknown argument '" + arg + "'").c_str());
  }
  try {
    int count = 0;
    check_cuda(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    if (count == 0) throw std::runtime_error("no CUDA device");
    cudaDeviceProp prop{};
    check_cuda(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    int driver = 0, runtime = 0;
    check_cuda(cudaDriverGetVersion(&driver), "cudaDriverGetVersion");
    check_cuda(cudaRuntimeGetVersion(&runtime), "cudaRuntimeGetVersion");
    cudaStream_t stream = nullptr;
    check_cuda(cudaStreamCreate(&stream), "cudaStreamCreate");
    cublasLtHandle_t lt = nullptr;
    check_lt(cublasLtCreate(&lt), "cublasLtCreate");

    const double copy = copy_gbps(stream);
    // m = output features, n = tokens, k = input features; Qwen3-4B: hidden 2560,
    // 32 q heads + 2 x 8 kv heads of 128 (6144), intermediate 9728 (gate+up 19456).
    const double layer = gemm_tflops(lt, {6144, 512, 2560, 2560, 512, 4096, 19456, 512, 2560, 2560, 512, 9728}, 20,
                                     stream);
    const double peak = gemm_tflops(lt, {8192, 8192, 8192}, 5, stream);
    cublasLtDestroy(lt);
    cudaStreamDestroy(stream);

    char json[1024];
    std::snprintf(json, sizeof json,
                  "{\"device\": \"%s\", \"compute_capability\": \"%d.%d\", \"multiprocessors\": %d, "
                  "\"driver_api_version\": %d, \"runtime_version\": %d, \"d2d_copy_gbps\": %.1f, "
                  "\"cublaslt_bf16_tflops\": %.1f, \"cublaslt_bf16_shape\": \"512 tokens x Qwen3-4B layer GEMMs\", "
                  "\"cublaslt_bf16_peak_tflops\": %.1f, \"cublaslt_bf16_peak_shape\": \"8192x8192x8192\"}\n",
                  prop.name, prop.major, prop.minor, prop.multiProcessorCount, driver, runtime, copy, layer, peak);
    std::fputs(json, stdout);
    if (!out.empty()) {
      FILE* f = std::fopen(out.c_str(), "w");
      if (!f || std::fputs(json, f) < 0 || std::fclose(f) != 0)
        throw std::runtime_error("cannot write " + out + ": " + std::strerror(errno));
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gpu_ceilings: %s\n", e.what());
    return 1;
  }
}
