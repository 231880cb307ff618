#pragma once
// A checkpoint's identity by content rather than by path, for caches keyed by what a model
// is (measured precision plans): a copy or a move keeps it, a fine-tune or a re-quantization
// changes it.
#include <string>

namespace llmrun {

// SHA-256 (hex) over every weight file (*.safetensors, *.gguf) and config.json of a
// checkpoint folder, or of one .gguf file: each file's name, size, its first and last MiB
// (safetensors and GGUF headers: names, dtypes, shapes, offsets, metadata) and 64 evenly
// spaced 4 KiB samples of the rest (tensor data), without reading gigabytes. Errors name
// the file.
std::string checkpoint_fingerprint(const std::string& path);

}  // namespace llmrun
