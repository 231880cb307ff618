#pragma once
// A weight in device memory, in the layout of weight_layout.h: the view kernels take
// (DeviceWeight) and the owner that uploads it (DeviceWeightStorage). Plain C++.
#include <cstdint>
#include <string>
#include <type_traits>

#include "kernels/cuda/stream.h"
#include "kernels/cuda/weight_layout.h"
#include "kernels/quant/weight_format.h"
#include "runtime/error.h"

namespace llmrun::LLMRUN_CUDA_NS {

// Non-owning; cheap to copy. Shapes as in cuda_layout::DevicePackedWeight.
struct DeviceWeight {
  const char* name = "";  // for errors; owned by the storage
  WeightFormat format = WeightFormat::f32;
  int64_t rows = 0, cols = 0;
  int64_t k_pad = 0;      // codes per row, round_up(cols, 64)
  int64_t segments = 0;   // k_pad / codes per segment
  int64_t row_bytes = 0;  // bytes per row
  const uint8_t* bytes = nullptr;  // [rows, row_bytes] device layout, device memory
  const float* scales = nullptr;   // [rows] fp32 device scales (codec scale * 2^fold_log2)
  int group_size = 0;              // group-scaled formats: weights per group scale, else 0
  int64_t groups_per_row = 0;      // k_pad / group_size
  const uint16_t* group_scales = nullptr;  // [rows, groups_per_row] fp16 bits, or null
};

// Owns the device copy of a packed weight; not movable, so the view's name stays valid.
class DeviceWeightStorage {
 public:
  // Queued on `stream`; the host copy may be released when this returns.
  DeviceWeightStorage(const cuda_layout::DevicePackedWeight& w, Stream stream)
      : name_(w.name),
        bytes_(w.bytes.size(), "weight"),
        scales_(w.scales.size(), "weight scales"),
        group_scales_(w.group_scales.size(), "weight group scales") {
    bytes_.upload(w.bytes, stream);
    scales_.upload(w.scales, stream);
    if (!w.group_scales.empty()) group_scales_.upload(w.group_scales, stream);
    view_ = DeviceWeight{name_.c_str(), w.format,      w.rows,         w.cols,       w.k_pad,
                         w.segments,    w.row_bytes,   bytes_.data(),  scales_.data(), w.group_size,
                         w.groups_per_row, w.group_scales.empty() ? nullptr : group_scales_.data()};
  }
  DeviceWeightStorage(const DeviceWeightStorage&) = delete;
  DeviceWeightStorage& operator=(const DeviceWeightStorage&) = delete;
  const DeviceWeight& view() const { return view_; }

 private:
  std::string name_;
  DeviceBuffer<uint8_t> bytes_;
  DeviceBuffer<float> scales_;
  DeviceBuffer<uint16_t> group_scales_;
  DeviceWeight view_;
};

// Calls fn(std::integral_constant<WeightFormat, F>{}) for the weight's format, so launchers
// pick a kernel template instance; a format without a device kernel is an error naming
// the weight (the failing default of every dispatch).
template <typename Fn>
void visit_format(WeightFormat format, const char* weight_name, Fn&& fn) {
  switch (format) {
    case WeightFormat::f32: return fn(std::integral_constant<WeightFormat, WeightFormat::f32>{});
    case WeightFormat::f16: return fn(std::integral_constant<WeightFormat, WeightFormat::f16>{});
    case WeightFormat::bf16: return fn(std::integral_constant<WeightFormat, WeightFormat::bf16>{});
    case WeightFormat::int8: return fn(std::integral_constant<WeightFormat, WeightFormat::int8>{});
    case WeightFormat::fp8_e4m3: return fn(std::integral_constant<WeightFormat, WeightFormat::fp8_e4m3>{});
    case WeightFormat::fp6_e3m2: return fn(std::integral_constant<WeightFormat, WeightFormat::fp6_e3m2>{});
    case WeightFormat::fp6_e2m3: return fn(std::integral_constant<WeightFormat, WeightFormat::fp6_e2m3>{});
    case WeightFormat::int8_g32: return fn(std::integral_constant<WeightFormat, WeightFormat::int8_g32>{});
    case WeightFormat::fp8_g32: return fn(std::integral_constant<WeightFormat, WeightFormat::fp8_g32>{});
    case WeightFormat::fp6_e2m3_g32: return fn(std::integral_constant<WeightFormat, WeightFormat::fp6_e2m3_g32>{});
    case WeightFormat::int8_g64: return fn(std::integral_constant<WeightFormat, WeightFormat::int8_g64>{});
    case WeightFormat::fp8_g64: return fn(std::integral_constant<WeightFormat, WeightFormat::fp8_g64>{});
    case WeightFormat::fp6_e2m3_g64: return fn(std::integral_constant<WeightFormat, WeightFormat::fp6_e2m3_g64>{});
  }
  fail(weight_name, ": no CUDA kernel for weight format ", format_name(format), " (use --device cpu)");
}

}  // namespace llmrun::LLMRUN_CUDA_NS
