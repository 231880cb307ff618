#include "loaders/model_resolver.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "loaders/gguf_model.h"
#include "runtime/error.h"

namespace llmrun {
namespace {

namespace fs = std::filesystem;

bool is_checkpoint(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "config.json", ec);
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::vector<std::string> split_roots(const std::string& list) {
  std::vector<std::string> roots;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) roots.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return roots;
}

// The snapshot refs/main names, else the newest snapshot that holds a checkpoint.
std::string hub_snapshot(const fs::path& repo_dir) {
  std::error_code ec;
  std::ifstream ref(repo_dir / "refs" / "main");
  std::string commit;
  if (ref >> commit && is_checkpoint(repo_dir / "snapshots" / commit))
    return (repo_dir / "snapshots" / commit).string();
  fs::path best;
  fs::file_time_type best_time;
  for (const auto& e : fs::directory_iterator(repo_dir / "snapshots", ec)) {
    if (!is_checkpoint(e.path())) continue;
    const auto t = fs::last_write_time(e.path(), ec);
    if (best.empty() || t > best_time) best = e.path(), best_time = t;
  }
  return best.string();
}

}  // namespace

const std::map<std::string, std::string>& model_aliases() {
  static const std::map<std::string, std::string> aliases = {
      {"qwen3-0.6b", "Qwen/Qwen3-0.6B"},      {"qwen3-1.7b", "Qwen/Qwen3-1.7B"},
      {"qwen3-4b", "Qwen/Qwen3-4B"},          {"qwen3-8b", "Qwen/Qwen3-8B"},
      {"qwen3-14b", "Qwen/Qwen3-14B"},        {"qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B-Instruct"},
      {"qwen2.5-1.5b", "Qwen/Qwen2.5-1.5B-Instruct"}, {"qwen2.5-7b", "Qwen/Qwen2.5-7B-Instruct"},
      {"llama-3.2-1b", "meta-llama/Llama-3.2-1B-Instruct"},
      {"llama-3.2-3b", "meta-llama/Llama-3.2-3B-Instruct"},
      {"llama-3.1-8b", "meta-llama/Llama-3.1-8B-Instruct"},
      {"mistral-7b", "mistralai/Mistral-7B-Instruct-v0.3"},
  };
  return aliases;
}

std::string alias_repo(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  auto it = model_aliases().find(lower);
  return it == model_aliases().end() ? "" : it->second;
}

ModelSearch ModelSearch::from_environment() {
  ModelSearch s;
  s.models_env = env("LLMRUN_MODELS");
  s.local_models_dir = "models";
  s.hf_hub_cache = env("HF_HUB_CACHE");
  if (s.hf_hub_cache.empty() && !env("HF_HOME").empty()) s.hf_hub_cache = env("HF_HOME") + "/hub";
  if (s.hf_hub_cache.empty() && !env("HOME").empty()) s.hf_hub_cache = env("HOME") + "/.cache/huggingface/hub";
  return s;
}

std::string resolve_model(const std::string& model, const ModelSearch& search) {
  std::error_code ec;
  if (model.empty()) fail("--model: empty name");
  // A GGUF file, or a folder holding one (and no config.json).
  if (const std::string gguf = find_gguf_model(model); !gguf.empty()) return gguf;
  if (fs::is_directory(model, ec)) {
    if (!is_checkpoint(model)) fail("--model ", model, ": no config.json or .gguf file in this folder (not a Hugging Face checkpoint)");
    return model;
  }
  if (fs::exists(model, ec)) fail("--model ", model, ": not a directory or a GGUF file (expected a checkpoint folder or a .gguf file)");

  const std::string alias = alias_repo(model);
  const std::string repo = !alias.empty() ? alias : model;  // "Org/Name" or "Name"
  const std::string base = repo.substr(repo.find('/') == std::string::npos ? 0 : repo.find('/') + 1);
  std::vector<std::string> looked;

  std::vector<std::string> roots = split_roots(search.models_env);
  if (!search.local_models_dir.empty()) roots.push_back(search.local_models_dir);
  for (const std::string& root : roots)
    for (const std::string& sub : {model, repo, base}) {
      const fs::path p = fs::path(root) / sub;
      if (std::find(looked.begin(), looked.end(), p.string()) != looked.end()) continue;
      looked.push_back(p.string());
      if (is_checkpoint(p)) return p.string();
    }
  if (!search.hf_hub_cache.empty() && repo.find('/') != std::string::npos) {
    std::string cache_name = "models--" + repo;
    for (size_t p = cache_name.find('/'); p != std::string::npos; p = cache_name.find('/')) cache_name.replace(p, 1, "--");
    const fs::path repo_dir = fs::path(search.hf_hub_cache) / cache_name;
    looked.push_back((repo_dir / "snapshots" / "*").string());
    if (fs::is_directory(repo_dir / "snapshots", ec)) {
      const std::string snap = hub_snapshot(repo_dir);
      if (!snap.empty()) return snap;
    }
  }
  std::string places;
  for (const std::string& l : looked) places += (places.empty() ? "" : ", ") + l;
  const std::string download = repo.find('/') != std::string::npos
                                   ? "; download it with: huggingface-cli download " + repo
                                   : "; give a checkpoint folder or a Hugging Face repo id like Qwen/Qwen3-4B";
  fail("--model ", model, ": not found (looked in ", places, ")", download);
}

}  // namespace llmrun
