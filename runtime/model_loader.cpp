#include "runtime/model_loader.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <set>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "loaders/gguf.h"
#include "loaders/gguf_model.h"
#include "loaders/hf_config.h"
#include "loaders/safetensors.h"
#include "loaders/sha256.h"
#include "runtime/quantized_checkpoint.h"
#include "kernels/quant/finite.h"
#include "runtime/error.h"
#include "runtime/precision_policy.h"
#include "runtime/models/weight_table.h"
#include "runtime/rope_frequencies.h"
#include "runtime/weight_source.h"

namespace llmrun {
namespace {

std::string shape_text(int64_t rows, int64_t cols, bool vector) {
  return vector ? "[" + std::to_string(cols) + "]"
                : "[" + std::to_string(rows) + "," + std::to_string(cols) + "]";
}

void check_shape(const SourceTensor& t, const WeightSlot& slot) {
  const bool vector = slot.role == WeightRole::vector;
  const bool ok = vector ? (t.shape.size() == 1 && t.shape[0] == slot.cols)
                         : (t.shape.size() == 2 && t.shape[0] == slot.rows && t.shape[1] == slot.cols);
  if (!ok)
    fail(t.file, ": ", t.name, ": shape ", t.shape_str(), ", expected ",
         shape_text(slot.rows, slot.cols, vector));
}

void check_finite(const SourceTensor& t, const std::vector<float>& values) {
  const int64_t i = quant::first_non_finite(values.data(), int64_t(values.size()));
  if (i >= 0) fail(t.file, ": ", t.name, ": non-finite value ", values[size_t(i)], " at element ", i);
}

// fp16 tops out at 65504; larger values (possible in bf16/fp32 checkpoints) would become
// inf, so converting them is an error rather than silent garbage.
void check_fits_f16(const SourceTensor& t, const std::vector<float>& values) {
  for (size_t i = 0; i < values.size(); ++i)
    if (std::abs(values[i]) >= 65520.0f)
      fail(t.file, ": ", t.name, ": value ", values[i], " at element ", i,
           " overflows fp16 (max 65504); keep this tensor in bf16/fp32 (--tensor-precision)");
}

}  // namespace

void check_importance(const ImportanceMatrix& m, const std::vector<WeightSlot>& table, const ModelConfig& config) {
  for (const auto& [name, values] : m.by_weight) {
    const auto slot = std::find_if(table.begin(), table.end(), [&](const WeightSlot& s) { return s.hf_name == name; });
    if (slot == table.end() || slot->role == WeightRole::vector)
      fail("--imatrix ", m.path, ": ", name, " is not a weight matrix of this ", config.architecture,
           " model (an importance matrix of another model?)");
    if (int64_t(values.size()) != slot->cols)
      fail("--imatrix ", m.path, ": ", name, ": ", values.size(), " inputs, but the weight has ", slot->cols);
  }
}

HostWeight encode_weight(const std::string& name, const std::vector<float>& src, int64_t rows, int64_t cols,
                         WeightFormat format, const std::vector<float>* importance) {
  const CodecRecord& c = codec(format);
  HostWeight w;
  w.name = name;
  w.format = format;
  w.rows = rows;
  w.cols = cols;
  const int64_t row_bytes = c.row_bytes(cols);
  w.packed.resize(size_t(rows * row_bytes));
  w.scales.resize(size_t(rows));
#pragma omp parallel for schedule(static) if (rows * cols >= (int64_t(1) << 18))
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = src.data() + r * cols;
    uint8_t* dst = w.packed.data() + r * row_bytes;
    if (importance && c.encode_row_weighted) c.encode_row_weighted(row, cols, importance->data(), dst, &w.scales[size_t(r)]);
    else c.encode_row(row, cols, dst, &w.scales[size_t(r)]);
  }
  return w;
}

int64_t LoadSummary::total_bytes() const {
  int64_t b = 0;
  for (const FormatUsage& u : by_format) b += u.bytes;
  return b;
}

int64_t LoadSummary::total_weights() const {
  int64_t n = 0;
  for (const FormatUsage& u : by_format) n += u.weights;
  return n;
}

double LoadSummary::bits_per_weight() const {
  return total_weights() ? 8.0 * double(total_bytes()) / double(total_weights()) : 0.0;
}

std::string LoadSummary::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "weights: %.2f M params, %.2f MB, %.2f bits/weight |",
                double(total_weights()) / 1e6, double(total_bytes()) / 1e6, bits_per_weight());
  std::string s = buf;
  for (size_t f = 0; f < by_format.size(); ++f) {
    if (!by_format[f].tensors) continue;
    std::snprintf(buf, sizeof buf, " %s: %lld tensors, %.2f MB;", format_name(WeightFormat(f)),
                  static_cast<long long>(by_format[f].tensors), double(by_format[f].bytes) / 1e6);
    s += buf;
  }
  if (s.back() == ';') s.pop_back();
  if (importance_weighted)
    s += " | importance-weighted scales: " + std::to_string(importance_weighted) + " tensors";
  return s;
}

WeightFormat baseline_format(const ModelConfig& config) {
  if (config.torch_dtype == "bfloat16") return WeightFormat::bf16;
  if (config.torch_dtype == "float16") return WeightFormat::f16;
  return WeightFormat::f32;
}

namespace {

struct WeightSink {
  // Called once per table slot, in table order, with the weight in its final format.
  std::function<void(const WeightSlot&, HostWeight&&)> take;
};

// Walks the weight table over a checkpoint: pre-quantized weights are read as stored;
// others are converted to fp32, checked, and encoded in the policy's format, one tensor
// at a time (peak memory: one source tensor in fp32 besides what the sink keeps).
LoadSummary read_weights(const std::string& dir, const ModelConfig& config, DecoderWeights& weights,
                         const LoadOptions& options, const WeightSink& sink) {
  auto log = options.log ? options.log : [](const std::string& line) { std::cerr << line << "\n"; };
  const WeightSource source(dir);
  const Checkpoint* checkpoint = source.checkpoint();  // null for GGUF
  const std::map<std::string, WeightFormat> stored =
      checkpoint ? quantized_tensor_formats(*checkpoint) : std::map<std::string, WeightFormat>{};
  if (!stored.empty() && (options.precision != "auto" || !options.tensor_precision.empty())) {
    const auto& meta = checkpoint->files().front()->metadata();
    const auto precision = meta.find(kPrecisionKey);
    fail(dir, ": already quantized (", precision == meta.end() ? std::string("precision not recorded") : precision->second,
         "); --precision applies to original checkpoints only");
  }
  const WeightFormat baseline = baseline_format(config);
  const PrecisionPolicy policy = PrecisionPolicy::parse(options.precision, options.tensor_precision);
  LoadSummary summary;
  summary.by_format.resize(all_codecs().size());

  std::set<std::string> used;
  const std::vector<WeightSlot> table = weight_table(config, weights);
  if (options.importance) {
    if (!stored.empty()) fail_importance_on_quantized("--imatrix " + options.importance->path, dir);
    check_importance(*options.importance, table, config);
  }
  int64_t total_bytes = 0, done_bytes = 0;
  for (const WeightSlot& slot : table)
    if (const auto t = source.find(slot.hf_name)) total_bytes += t->nbytes;
  for (const WeightSlot& slot : table) {
    const bool vector = slot.role == WeightRole::vector;
    HostWeight w;
    if (!stored.empty()) {
      auto it = stored.find(slot.hf_name);
      if (it == stored.end()) fail(dir, ": quantized checkpoint has no format for ", slot.hf_name);
      w = read_packed_weight(*checkpoint, slot.hf_name, it->second, slot.rows, slot.cols, vector);
      used.insert(slot.hf_name + kScaleSuffix);
    } else {
      const std::optional<SourceTensor> t = source.find(slot.hf_name);
      if (!t) {
        const std::string gguf_name = checkpoint ? "" : gguf_name_for(slot.hf_name);
        fail(dir, ": missing tensor ", gguf_name.empty() ? slot.hf_name : gguf_name, " (needed by ",
             config.architecture, ")");
      }
      check_shape(*t, slot);
      const std::vector<float> values = source.read_f32(slot.hf_name);
      check_finite(*t, values);
      const WeightFormat format = policy.format_for(slot.hf_name, slot.role, baseline);
      if (format == WeightFormat::f16) check_fits_f16(*t, values);
      const std::vector<float>* importance = nullptr;
      if (options.importance && !vector) {
        const auto it = options.importance->by_weight.find(slot.hf_name);
        if (it != options.importance->by_weight.end() && codec(format).encode_row_weighted) {
          importance = &it->second;
          summary.importance_weighted += 1;
        }
      }
      w = encode_weight(slot.hf_name, values, slot.rows, slot.cols, format, importance);
      source.release(slot.hf_name);
    }
    if (!vector) {
      FormatUsage& u = summary.by_format[size_t(w.format)];
      u.tensors += 1;
      u.weights += slot.rows * slot.cols;
      u.bytes += int64_t(w.packed.size() + (codec(w.format).scaled ? w.scales.size() * sizeof(float) : 0));
    }
    used.insert(slot.hf_name);
    sink.take(slot, std::move(w));
    if (options.progress) {
      if (const auto t = source.find(slot.hf_name)) done_bytes += t->nbytes;
      options.progress(done_bytes, total_bytes);
    }
  }
  for (const std::string& name : source.names())
    if (!used.count(name) && !is_ignored_tensor(config, name))
      log("warning: " + dir + ": tensor " + name + " is not used by " + config.architecture);
  if (options.importance && summary.importance_weighted == 0)
    log("warning: --imatrix " + options.importance->path +
        ": no weight is in a group-scaled format, whose scale search it weights; it changed nothing");
  return summary;
}

// SHA-256 of the checkpoint's weight file (of the shards' digests, in order, when
// sharded): identifies the source of a quantized checkpoint.
std::string checkpoint_hash(const std::string& dir) {
  if (is_gguf_file(dir)) return sha256_file(dir);
  const Checkpoint checkpoint = Checkpoint::open_dir(dir);
  std::string digests;
  for (const auto& file : checkpoint.files()) digests += sha256_file(file->path());
  return checkpoint.files().size() == 1 ? digests : sha256_hex(digests);
}

GenerationDefaults generation_of(const std::string& path) {
  if (!is_gguf_file(path)) return load_generation_defaults(path + "/generation_config.json");
  const auto file = GgufFile::open(path);
  GenerationDefaults g;
  if (file->find("tokenizer.ggml.bos_token_id")) g.bos_token_id = int32_t(file->get_int("tokenizer.ggml.bos_token_id"));
  if (file->find("tokenizer.ggml.eos_token_id")) g.eos_token_ids.push_back(int32_t(file->get_int("tokenizer.ggml.eos_token_id")));
  return g;
}

}  // namespace

ModelConfig config_of_model(const std::string& path) {
  if (!is_gguf_file(path)) return load_model_config(path + "/config.json");
  const auto file = GgufFile::open(path);
  return parse_model_config(gguf_hf_config(*file).dump(), path);
}

LoadedModel load_model(const std::string& dir, Backend& backend, const LoadOptions& options) {
  LoadedModel out;
  out.config = config_of_model(dir);
  out.generation = generation_of(dir);
  DecoderWeights weights;
  out.summary = read_weights(dir, out.config, weights, options, {[&](const WeightSlot& slot, HostWeight&& w) {
    const TensorType act = backend.activation_dtype(baseline_format(out.config));
    const Op op = slot.role == WeightRole::vector ? Op::rmsnorm : Op::linear;
    if (!backend.supports(op, w.format, act))
      fail(slot.hf_name, ": backend ", backend.name(), " cannot run ", format_name(w.format), " weights with ",
           tensor_type_name(act), " activations");
    *slot.target = backend.upload(w);
  }});
  const RopeTable rope = rope_table(out.config);
  weights.rope_inv_freq = backend.upload(
      encode_weight("rope.inv_freq", rope.inv_freq, 1, int64_t(rope.inv_freq.size()), WeightFormat::f32));
  weights.rope_attention_factor = rope.attention_factor;
  out.model = std::make_unique<DecoderModel>(out.config, std::move(weights), backend);
  return out;
}

LoadSummary quantize_checkpoint(const std::string& dir, const std::string& out_dir, const LoadOptions& options) {
  namespace fs = std::filesystem;
  const ModelConfig config = config_of_model(dir);
  if (fs::exists(out_dir) && fs::equivalent(dir, out_dir)) fail("--out ", out_dir, ": same folder as --model");
  std::vector<TensorToWrite> tensors;
  nlohmann::ordered_json formats = nlohmann::ordered_json::object();
  DecoderWeights unused;
  const LoadSummary summary = read_weights(dir, config, unused, options, {[&](const WeightSlot& slot, HostWeight&& w) {
    formats[slot.hf_name] = format_name(w.format);
    append_packed_weight(tensors, w, slot.role == WeightRole::vector);
  }});
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) fail("--out ", out_dir, ": cannot create (", ec.message(), ")");
  std::map<std::string, std::string> meta = {{kQuantizedMarkerKey, kQuantizedMarker},
                                             {kQuantizedVersionKey, kQuantizedVersion},
                                             {kCodecVersionKey, kCodecVersion},
                                             {kTensorFormatsKey, formats.dump()},
                                             {kPrecisionKey, options.precision},
                                             {kSourceHashKey, checkpoint_hash(dir)}};
  if (options.importance && !options.importance->path.empty()) meta[kImportanceHashKey] = sha256_file(options.importance->path);
  write_safetensors(out_dir + "/model.safetensors", tensors, meta);
  fs::remove(fs::path(out_dir) / "model.safetensors.index.json", ec);  // a stale index would shadow the new file
  // Everything a runnable folder needs besides weights: config, generation defaults, tokenizer.
  if (is_gguf_file(dir)) {
    const auto file = GgufFile::open(dir);
    for (const auto& [name, text] : gguf_hf_files(*file)) {
      std::ofstream out(fs::path(out_dir) / name, std::ios::binary | std::ios::trunc);
      out << text;
      if (!out) fail(out_dir, "/", name, ": cannot write");
    }
    return summary;
  }
  for (const char* name : {"config.json", "generation_config.json", "tokenizer.json", "tokenizer.model",
                           "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"}) {
    if (fs::exists(fs::path(dir) / name)) {
      const fs::path dst = fs::path(out_dir) / name;
      fs::copy_file(fs::path(dir) / name, dst, fs::copy_options::overwrite_existing, ec);
      // Sources may be read-only (a shared cache); the copy belongs to the user.
      if (!ec) fs::permissions(dst, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add, ec);
      if (ec) fail(out_dir, "/", name, ": cannot write (", ec.message(), ")");
    }
  }
  return summary;
}

}  // namespace llmrun
