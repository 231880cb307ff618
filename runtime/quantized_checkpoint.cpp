#include "runtime/quantized_checkpoint.h"

#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "runtime/error.h"

namespace llmrun {
namespace {

DType storage_dtype(WeightFormat f) {
  switch (f) {
    case WeightFormat::f32: return DType::f32;
    case WeightFormat::f16: return DType::f16;
    case WeightFormat::bf16: return DType::bf16;
    default: return DType::u8;  // packed codes
  }
}

}  // namespace

std::map<std::string, WeightFormat> quantized_tensor_formats(const Checkpoint& checkpoint) {
  std::map<std::string, WeightFormat> formats;
  if (checkpoint.files().empty()) return formats;
  const SafetensorsFile& file = *checkpoint.files().front();
  const auto& meta = file.metadata();
  auto marker = meta.find(kQuantizedMarkerKey);
  if (marker == meta.end() || marker->second != kQuantizedMarker) return formats;
  auto get = [&](const char* key) {
    auto it = meta.find(key);
    if (it == meta.end()) fail(file.path(), ": quantized checkpoint without metadata \"", key, "\"");
    return it->second;
  };
  if (get(kQuantizedVersionKey) != kQuantizedVersion)
    fail(file.path(), ": quantized format version ", get(kQuantizedVersionKey), " is not supported (this llmrun reads ",
         kQuantizedVersion, ")");
  if (get(kCodecVersionKey) != kCodecVersion)
    fail(file.path(), ": codec version ", get(kCodecVersionKey), " is not supported (this llmrun has ", kCodecVersion, ")");
  const auto j = nlohmann::json::parse(get(kTensorFormatsKey), nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail(file.path(), ": metadata \"", kTensorFormatsKey, "\" is not a JSON object");
  for (const auto& [name, f] : j.items()) {
    if (!f.is_string()) fail(file.path(), ": tensor ", name, ": format must be a string");
    try {
      formats[name] = parse_stored_weight_format(f.get<std::string>());
    } catch (const Error& e) {
      fail(file.path(), ": tensor ", name, ": ", e.what());
    }
  }
  return formats;
}

void fail_importance_on_quantized(const std::string& flag, const std::string& dir) {
  fail(flag, ": ", dir, " is already quantized; --imatrix applies to original checkpoints only");
}

HostWeight read_packed_weight(const Checkpoint& checkpoint, const std::string& name, WeightFormat format,
                              int64_t rows, int64_t cols, bool vector) {
  const CodecRecord& c = codec(format);
  const TensorView& codes = checkpoint.get(name);
  const std::vector<int64_t> want_shape =
      c.packed() ? std::vector<int64_t>{rows, c.row_bytes(cols)}
               : (vector ? std::vector<int64_t>{cols} : std::vector<int64_t>{rows, cols});
  if (codes.dtype != storage_dtype(format) || codes.shape != want_shape) {
    std::string want = "[";
    for (size_t i = 0; i < want_shape.size(); ++i) want += (i ? "," : "") + std::to_string(want_shape[i]);
    fail(codes.file, ": ", name, ": ", dtype_name(codes.dtype), " ", codes.shape_str(), ", expected ",
         dtype_name(storage_dtype(format)), " ", want, "] for ", c.name);
  }
  HostWeight w;
  w.name = name;
  w.format = format;
  w.rows = rows;
  w.cols = cols;
  w.packed.assign(codes.data, codes.data + codes.nbytes);
  const int64_t row_bytes = c.row_bytes(cols);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t bad = c.first_non_finite(w.packed.data() + r * row_bytes, cols);
    if (bad >= 0)
      fail(codes.file, ": ", name, ": the ", c.name, " code at row ", r, ", column ", bad,
           " is not a finite number (NaN or infinity)");
  }
  w.scales.assign(size_t(rows), 1.0f);
  if (c.scaled) {
    const TensorView& scales = checkpoint.get(name + kScaleSuffix);
    if (scales.dtype != DType::f32 || scales.shape != std::vector<int64_t>{rows})
      fail(scales.file, ": ", scales.name, ": ", dtype_name(scales.dtype), " ", scales.shape_str(), ", expected F32 [",
           rows, "]");
    std::memcpy(w.scales.data(), scales.data, scales.nbytes);
    for (int64_t r = 0; r < rows; ++r)
      if (!(w.scales[size_t(r)] > 0.0f) || !std::isfinite(w.scales[size_t(r)]))
        fail(scales.file, ": ", scales.name, ": scale ", w.scales[size_t(r)], " of row ", r, " is not a positive finite number");
  }
  return w;
}

void append_packed_weight(std::vector<TensorToWrite>& out, const HostWeight& w, bool vector) {
  const CodecRecord& c = codec(w.format);
  TensorToWrite codes{w.name, storage_dtype(w.format), {}, w.packed};
  codes.shape = c.packed() ? std::vector<int64_t>{w.rows, c.row_bytes(w.cols)}
                         : (vector ? std::vector<int64_t>{w.cols} : std::vector<int64_t>{w.rows, w.cols});
  out.push_back(std::move(codes));
  if (c.scaled) {
    TensorToWrite scales{w.name + kScaleSuffix, DType::f32, {w.rows}, std::vector<uint8_t>(w.scales.size() * sizeof(float))};
    std::memcpy(scales.bytes.data(), w.scales.data(), scales.bytes.size());
    out.push_back(std::move(scales));
  }
}

}  // namespace llmrun
