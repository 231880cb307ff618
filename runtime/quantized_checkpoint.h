#pragma once
// llmrun's pre-quantized checkpoint: a standard safetensors file whose metadata says
// which codec each weight uses (layout documented in docs/QUANTIZED_FORMAT.md).
#include <map>
#include <string>

#include "loaders/safetensors.h"
#include "runtime/backend.h"

namespace llmrun {

constexpr const char* kQuantizedMarkerKey = "llmrun.format";
constexpr const char* kQuantizedMarker = "llmrun-quantized";
constexpr const char* kQuantizedVersionKey = "llmrun.format_version";
constexpr const char* kQuantizedVersion = "1";
constexpr const char* kCodecVersionKey = "llmrun.codec_version";
constexpr const char* kCodecVersion = "1";
constexpr const char* kTensorFormatsKey = "llmrun.tensor_formats";  // JSON {hf_name: format name}
constexpr const char* kSourceHashKey = "llmrun.source_sha256";
constexpr const char* kPrecisionKey = "llmrun.precision";
constexpr const char* kImportanceHashKey = "llmrun.imatrix_sha256";  // only when --imatrix weighted the scales
constexpr const char* kScaleSuffix = ".scale";

// Formats of a quantized checkpoint's tensors; empty when it is an ordinary checkpoint.
// Unknown format/codec versions are errors naming the file.
std::map<std::string, WeightFormat> quantized_tensor_formats(const Checkpoint& checkpoint);

// An importance matrix weights the rounding of original weights, so it has nothing to act
// on in a quantized checkpoint: one error for every path that meets one (`flag` is what the
// user typed, e.g. "--imatrix self").
[[noreturn]] void fail_importance_on_quantized(const std::string& flag, const std::string& dir);

// A weight stored by write order below, checked against the expected [rows, cols].
HostWeight read_packed_weight(const Checkpoint& checkpoint, const std::string& name, WeightFormat format,
                              int64_t rows, int64_t cols, bool vector);

// The tensors that store one weight: the codes (unscaled formats: their own dtype and
// shape; scaled: U8 [rows, row_bytes]) and, for scaled formats, NAME.scale F32 [rows].
void append_packed_weight(std::vector<TensorToWrite>& out, const HostWeight& w, bool vector);

}  // namespace llmrun
