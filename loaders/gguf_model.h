#pragma once
// A GGUF file seen as a Hugging Face checkpoint: config.json and generation_config.json
// built from its metadata (llama, qwen2, qwen3), and its tensors under HF names in HF
// layout (dequantized to fp32; llama's q/k rows un-permuted). The config text goes
// through the same parser as a real config.json (loaders/hf_config), so every rule and
// every refusal there applies to GGUF files too; `llmrun quantize` writes the same text.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "loaders/gguf.h"

namespace llmrun {

// --model as given -> the GGUF file it means: the path itself when it is a GGUF file, the
// one .gguf in a folder without config.json; "" when neither. Several .gguf files in
// one folder: an error listing them.
std::string find_gguf_model(const std::string& path);

// config.json for the file's architecture. Unsupported architecture, missing or
// inconsistent keys, rope settings we do not implement: an error naming the file and key.
nlohmann::ordered_json gguf_hf_config(const GgufFile& file);
// generation_config.json: bos/eos from tokenizer.ggml.* (no sampling defaults in GGUF).
nlohmann::ordered_json gguf_generation_config(const GgufFile& file);

// The files `llmrun quantize` writes beside the weights for a GGUF source, as
// (file name, text): config.json, generation_config.json, and the tokenizer's
// tokenizer.json + tokenizer_config.json (loaders/tokenizer/gguf_tokenizer).
std::vector<std::pair<std::string, std::string>> gguf_hf_files(const GgufFile& file);

// HF tensor name -> GGUF name ("model.layers.3.self_attn.q_proj.weight" ->
// "blk.3.attn_q.weight"); "" for a name with no GGUF counterpart.
std::string gguf_name_for(const std::string& hf_name);
// The inverse, for reporting unused tensors; the GGUF name itself when unknown.
std::string hf_name_for(const std::string& gguf_name);

// The tensor in HF layout, fp32: shape [ne[1], ne[0]] for matrices, [ne[0]] for
// vectors. For the llama architecture, q and k weights and biases are un-permuted
// (llama.cpp's converter interleaves each head's two rotary halves).
std::vector<float> gguf_hf_tensor_f32(const GgufFile& file, const std::string& hf_name);

// Undoes convert_hf_to_gguf.py's permute for one tensor of `rows` rows of `cols`
// values: rows of each of n_heads heads go from [head_dim/2, 2] order back to
// [2, head_dim/2]. rows must be n_heads * an even head_dim.
std::vector<float> unpermute_rope_rows(const std::vector<float>& src, int64_t rows, int64_t cols, int64_t n_heads);

}  // namespace llmrun
