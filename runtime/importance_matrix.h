#pragma once
// How much each input of a weight matrix matters: for every linear weight, the mean of
// x_j^2 over calibration tokens of the activation column j it multiplies (llama.cpp calls
// this an importance matrix, "imatrix"). A weight's error costs its squared size times
// that mean, so the group-scaled codecs weight their scale search by it
// (CodecRecord::encode_row_weighted). `llmeval imatrix` writes one; `--imatrix FILE`
// (llmrun, llmrun quantize, llmeval) uses it. A tied embedding's entry is what its use as
// the LM head reads (the final norm's output); its lookup has no input to weigh.
//
// File: safetensors, one F32 [cols] tensor per weight, named as the weight (HF names), and
// metadata kImportanceMarkerKey = kImportanceMarker plus how it was made.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmrun {

constexpr const char* kImportanceMarkerKey = "llmrun.format";
constexpr const char* kImportanceMarker = "llmrun-importance-matrix";
constexpr const char* kImportanceTokensKey = "llmrun.calibration_tokens";

struct ImportanceMatrix {
  std::map<std::string, std::vector<float>> by_weight;  // HF weight name -> [cols], finite, >= 0
  int64_t tokens = 0;                                   // calibration tokens behind each mean
  std::string path;                                     // where it was read from (errors name it)
};

// Throws llmrun::Error naming the file (and tensor) when it is missing, malformed, not an
// importance matrix, or holds a negative or non-finite value.
ImportanceMatrix read_importance_matrix(const std::string& path);

// read_importance_matrix(path), or nothing when path is empty (no --imatrix given).
std::optional<ImportanceMatrix> read_importance_matrix_if_given(const std::string& path);

// `info` goes into the metadata besides the marker and the token count.
void write_importance_matrix(const std::string& path, const ImportanceMatrix& m,
                             const std::map<std::string, std::string>& info = {});

}  // namespace llmrun
