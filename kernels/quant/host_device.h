#pragma once
// Marks codec functions usable from both host code and CUDA device code.
#if defined(__CUDACC__)
#define LLMRUN_HD __host__ __device__ __forceinline__
#else
#define LLMRUN_HD inline
#endif
