#include "runtime/hardware.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "kernels/cpu/linear.h"
#include "kernels/quant/weight_format.h"

namespace llmrun {

HardwareInfo detect_hardware() {
  HardwareInfo hw;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0) {
      hw.cpu.model = line.substr(line.find(':') + 2);
      break;
    }
  hw.cpu.cores = int(sysconf(_SC_NPROCESSORS_ONLN));
#if defined(__x86_64__)
  __builtin_cpu_init();
  hw.cpu.avx2 = __builtin_cpu_supports("avx2");
  hw.cpu.fma = __builtin_cpu_supports("fma");
  hw.cpu.avx512f = __builtin_cpu_supports("avx512f");
  hw.cpu.avx512bw = __builtin_cpu_supports("avx512bw");
  hw.cpu.avx512vnni = __builtin_cpu_supports("avx512vnni");
  // g++ 12's builtin has no f16c / avx512bf16 names; read the kernel's flag list.
  std::ifstream flags("/proc/cpuinfo");
  for (std::string line; std::getline(flags, line);)
    if (line.rfind("flags", 0) == 0) {
      hw.cpu.f16c = line.find(" f16c") != std::string::npos;
      hw.cpu.avx512bf16 = line.find(" avx512_bf16") != std::string::npos;
      break;
    }
#endif
  hw.cpu.kernel_isa = cpu::kernel_isa_name(cpu::best_kernel_isa());
  hw.cuda_devices = cuda::list_devices();
  if (hw.cuda_devices.empty()) hw.cuda_note = cuda::unavailable_reason();
  return hw;
}

std::string cpu_format_support(const CpuInfo& cpu, const std::string& format) {
  if (cpu.kernel_isa == "scalar") return "scalar decode, fp32 math";
  if (format == "fp32") return cpu.kernel_isa + " fp32";
  return cpu.kernel_isa + " decode in registers, fp32 math";
}

// What llmrun's CUDA kernels do with each format (kernels/cuda/linear.cuh); no format uses
// tensor-core fp8 yet, so none is claimed.
std::string cuda_format_support(int major, int minor, const std::string& format) {
  const int cc = major * 10 + minor;
  if (format == "bf16" && cc < 80) return "not run (bf16 needs sm_80+)";
  if (format == "fp32") return "decode: fp32 GEMV; prefill: cuBLASLt fp32 GEMM";
  if (format == "fp16" || format == "bf16") return "decode: GEMV, fp32 accumulation; prefill: cuBLASLt GEMM, fp32 accumulation";
  return "decode: GEMV dequantizing in registers, fp32 accumulation; prefill: dequantized into a scratch buffer + cuBLASLt GEMM, fp32 accumulation";
}

std::string describe_hardware(const HardwareInfo& hw) {
  std::ostringstream s;
  s << "CPU: " << (hw.cpu.model.empty() ? "unknown" : hw.cpu.model) << ", " << hw.cpu.cores << " cores\n"
    << "  features: avx2=" << hw.cpu.avx2 << " fma=" << hw.cpu.fma << " f16c=" << hw.cpu.f16c
    << " avx512f=" << hw.cpu.avx512f << " avx512bw=" << hw.cpu.avx512bw << " avx512vnni=" << hw.cpu.avx512vnni
    << " avx512bf16=" << hw.cpu.avx512bf16 << "\n"
    << "  CPU kernels: " << hw.cpu.kernel_isa << "\n";
  for (const CodecRecord* c : all_codecs())
    s << "  " << c->name << ": " << cpu_format_support(hw.cpu, c->name) << "\n";
  if (hw.cuda_devices.empty()) s << "CUDA: none (" << hw.cuda_note << ")\n";
  for (const cuda::DeviceInfo& d : hw.cuda_devices) {
    s << "CUDA " << d.index << ": " << d.name << ", sm_" << d.compute_major << d.compute_minor << ", "
      << double(d.total_memory) / double(1 << 30) << " GiB, " << d.multiprocessors << " SMs\n";
    for (const CodecRecord* c : all_codecs())
      s << "  " << c->name << ": " << cuda_format_support(d.compute_major, d.compute_minor, c->name) << "\n";
  }
  return s.str();
}

std::string hardware_line(const HardwareInfo& hw) {
  std::ostringstream s;
  s << (hw.cpu.model.empty() ? "CPU" : hw.cpu.model) << " (" << hw.cpu.cores << " cores"
    << ", " << hw.cpu.kernel_isa << " kernels)";
  for (const cuda::DeviceInfo& d : hw.cuda_devices) s << "; " << d.name << " sm_" << d.compute_major << d.compute_minor;
  return s.str();
}

}  // namespace llmrun
