#pragma once
// --model NAME -> a checkpoint folder: a directory as given, else a known alias or a
// Hugging Face repo id looked up in $LLMRUN_MODELS, ./models and the HF hub cache.
#include <map>
#include <string>
#include <vector>

namespace llmrun {

struct ModelSearch {
  std::string models_env;        // $LLMRUN_MODELS (":"-separated roots), may be empty
  std::string local_models_dir;  // ./models
  std::string hf_hub_cache;      // $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
  // Reads the three from the environment.
  static ModelSearch from_environment();
};

// "qwen3-4b" -> "Qwen/Qwen3-4B"; empty when not an alias.
std::string alias_repo(const std::string& name);
const std::map<std::string, std::string>& model_aliases();

// Returns a folder holding config.json, or the path of a GGUF file (given as such, or
// the one .gguf in a folder without config.json). Throws llmrun::Error listing every place looked
// and how to download the model when nothing is found.
std::string resolve_model(const std::string& model, const ModelSearch& search);

}  // namespace llmrun
