#pragma once
// out[n, W.rows] = x[n, W.cols] * W^T (+ bias), fp32 accumulation, for every weight format.
//
// Kernel families, picked at run time from the CPU's features:
//   - scalar: the reference. Decodes a tile of W rows to fp32 with the codec's decode_row
//     (scale applied) and takes an fp32 dot per (token, row). Portable, kept forever.
//   - avx2 (AVX2 + FMA + F16C) and avx512 (AVX-512 F/BW/VL/VBMI + FMA + F16C): one set of
//     kernels (simd/linear_kernels.h) over 8- or 16-lane vectors. Decode (n <= 3 tokens)
//     streams each packed row once, dequantizes in registers and multiplies by the row
//     scale once at the end; prefill (n > 3) decodes a tile of W to fp32 once and runs a
//     register-blocked micro-kernel over all tokens. Each ISA's file is compiled with its
//     own flags, so the rest of the binary stays baseline x86-64.
// Every family reads W once per call, whatever n is.
#include "kernels/cpu/cpu_tensor.h"

namespace llmrun::cpu {

enum class KernelIsa {
  scalar,  // reference, any CPU
  avx2,    // AVX2 + FMA + F16C (x86-64)
  avx512,  // AVX-512 F + BW + VL + VBMI, FMA, F16C (x86-64)
};

// How the SIMD kernels turn fp8 E4M3 / fp6 E3M2 codes into fp32; both are exact.
//   bits: fp8 moves its fields into an fp16 (shift + mask) and converts with F16C; fp6 does
//         the same on AVX2, and on AVX-512 looks its magnitude up among 32 fp32 values held
//         in two registers (vpermt2ps) after VBMI byte moves.
//   lut:  gathers fp32 from a 256- / 64-entry table in memory.
// bits measured 5-10x faster than lut on Zen 5 (bench_linear gemv_warm); lut is kept so
// the comparison can be rerun on another CPU.
enum class MinifloatDecode { bits, lut };

const char* kernel_isa_name(KernelIsa isa);
// fp32 values per vector register: 16, 8, 1 (scalar).
int64_t kernel_isa_lanes(KernelIsa isa);
// Whether this CPU (and this build) can run the kernels of `isa`.
bool kernel_isa_supported(KernelIsa isa);
// The fastest supported family: avx512, else avx2, else scalar.
KernelIsa best_kernel_isa();
// The family that runs a linear of `format` when `family` is asked for: itself, or the
// scalar reference for a format its SIMD kernels do not decode yet.
KernelIsa linear_isa(WeightFormat format, KernelIsa family);

// The backend's entry: best_kernel_isa(), MinifloatDecode::bits. threads >= 1; small
// problems run on one thread whatever `threads` says.
void linear(const CpuTensor& x, const CpuWeight& w, const CpuWeight* bias, CpuTensor& out,
            int threads);

// The same with the kernel family named (tests compare families, benchmarks time them).
// Throws llmrun::Error when `isa` is not supported here.
void linear(const CpuTensor& x, const CpuWeight& w, const CpuWeight* bias, CpuTensor& out,
            int threads, KernelIsa isa, MinifloatDecode decode = MinifloatDecode::bits);

}  // namespace llmrun::cpu
