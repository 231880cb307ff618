// llmeval hw and the reports' hardware line say what the CPU kernels actually run: the
// family comes from kernels/cpu/linear.h's own check, not from a second reading of the
// feature flags (which once claimed avx512 on CPUs without the VL/VBMI bits the kernels need).
#include <gtest/gtest.h>

#include "kernels/cpu/linear.h"
#include "runtime/hardware.h"

namespace llmrun {
namespace {

TEST(HardwareReport, CpuKernelFamilyIsTheKernelsOwn) {
  const HardwareInfo hw = detect_hardware();
  EXPECT_EQ(hw.cpu.kernel_isa, cpu::kernel_isa_name(cpu::best_kernel_isa()));
  EXPECT_NE(describe_hardware(hw).find("CPU kernels: " + hw.cpu.kernel_isa), std::string::npos);
  EXPECT_NE(hardware_line(hw).find(hw.cpu.kernel_isa + " kernels"), std::string::npos);
}

TEST(HardwareReport, FormatSupportFollowsTheKernelFamily) {
  CpuInfo cpu;
  cpu.avx2 = cpu.fma = cpu.f16c = cpu.avx512f = cpu.avx512bw = true;  // flags alone decide nothing
  cpu.kernel_isa = "avx2";
  EXPECT_EQ(cpu_format_support(cpu, "fp8"), "avx2 decode in registers, fp32 math");
  cpu.kernel_isa = "scalar";
  EXPECT_EQ(cpu_format_support(cpu, "fp8"), "scalar decode, fp32 math");
}

}  // namespace
}  // namespace llmrun
