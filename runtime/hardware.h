#pragma once
// What this machine can run: CPU features, CUDA devices, and which weight formats run
// natively on each.
#include <string>
#include <vector>

#include "kernels/cuda/cuda_devices.h"

namespace llmrun {

struct CpuInfo {
  std::string model;  // from /proc/cpuinfo
  int cores = 0;      // online processors
  bool avx2 = false, fma = false, f16c = false, avx512f = false, avx512bw = false, avx512vnni = false,
       avx512bf16 = false;  // shown to users; what runs is decided by kernel_isa below
  // The CPU linear kernels' family on this machine and build ("avx512", "avx2", "scalar"):
  // kernels/cpu/linear.h's own check, the one the backend uses, never a second guess.
  std::string kernel_isa = "scalar";
};

struct HardwareInfo {
  CpuInfo cpu;
  std::vector<cuda::DeviceInfo> cuda_devices;
  std::string cuda_note;  // why there are none, when there are none
};

HardwareInfo detect_hardware();

// For each weight format: how it runs on the CPU ("avx2 decode in registers", "scalar")
// and on a CUDA device of the given compute capability (what is native there).
std::string cpu_format_support(const CpuInfo& cpu, const std::string& format);
std::string cuda_format_support(int major, int minor, const std::string& format);

// Multi-line human-readable summary (llmeval hw) and a one-line one for reports.
std::string describe_hardware(const HardwareInfo& hw);
std::string hardware_line(const HardwareInfo& hw);

}  // namespace llmrun
