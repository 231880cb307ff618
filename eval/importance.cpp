#include "eval/importance.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include <unistd.h>

#include "eval/auto_precision.h"
#include "eval/data_path.h"
#include "eval/progress.h"
#include "loaders/checkpoint_fingerprint.h"
#include "loaders/sha256.h"
#include "loaders/tokenizer/tokenizer.h"
#include "runtime/generate.h"
#include "runtime/precision_policy.h"
#include "runtime/quantized_checkpoint.h"
#include "runtime/weight_source.h"
#include "runtime/sampler.h"

#include "runtime/error.h"

namespace llmrun::eval {
namespace {

// A backend that runs everything on `inner` and, for each linear op, adds the squares of
// its input's columns into the weight's sums (read back as fp32, so any activation dtype).
class ImportanceRecorder final : public Backend {
 public:
  explicit ImportanceRecorder(Backend& inner) : inner_(inner) {}

  struct Sums {
    std::vector<double> squares;  // [cols]
    int64_t rows = 0;
  };
  const std::map<std::string, Sums>& sums() const { return sums_; }
  // Rows the linear ops have seen (each the same count: every row passes every op once).
  int64_t rows_seen() const { return sums_.empty() ? 0 : sums_.begin()->second.rows; }

  std::string name() const override { return inner_.name(); }
  bool supports(Op op, WeightFormat format, TensorType activation) const override {
    return inner_.supports(op, format, activation);
  }
  int64_t free_memory_bytes() const override { return inner_.free_memory_bytes(); }
  TensorType activation_dtype(WeightFormat checkpoint) const override { return inner_.activation_dtype(checkpoint); }
  std::unique_ptr<Tensor> alloc(int64_t rows, int64_t cols, TensorType dtype) override {
    return inner_.alloc(rows, cols, dtype);
  }
  std::unique_ptr<Tensor> view_rows(Tensor& t, int64_t first, int64_t n) override { return inner_.view_rows(t, first, n); }
  std::unique_ptr<Weight> upload(const HostWeight& weight) override { return inner_.upload(weight); }
  std::unique_ptr<KvStorage> alloc_kv(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity,
                                      TensorType dtype) override {
    return inner_.alloc_kv(layers, kv_heads, head_dim, capacity, dtype);
  }
  void write_i32(const std::vector<int32_t>& host, Tensor& out) override { inner_.write_i32(host, out); }
  void embed(const Weight& table, const Tensor& ids, Tensor& out) override { inner_.embed(table, ids, out); }
  void rmsnorm(const Tensor& x, const Weight& gain, float eps, Tensor& out) override { inner_.rmsnorm(x, gain, eps, out); }
  void add_rmsnorm(Tensor& residual, const Tensor& delta, const Weight& gain, float eps, Tensor& out) override {
    inner_.add_rmsnorm(residual, delta, gain, eps, out);
  }
  void linear(const Tensor& x, const Weight& w, const Weight* bias, Tensor& out) override {
    record(x, w);
    inner_.linear(x, w, bias, out);
  }
  void rmsnorm_rope_heads(Tensor& x, const Weight* head_gain, float eps, int64_t head_dim, const Tensor& positions,
                          const Weight& inv_freq, float attention_factor) override {
    inner_.rmsnorm_rope_heads(x, head_gain, eps, head_dim, positions, inv_freq, attention_factor);
  }
  void attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionBatch& batch, int64_t layer,
                 const AttentionShape& shape, Tensor& out) override {
    inner_.attention(q, k, v, batch, layer, shape, out);
  }
  void swiglu(const Tensor& gate, const Tensor& up, Tensor& out) override { inner_.swiglu(gate, up, out); }
  void add(Tensor& x, const Tensor& y) override { inner_.add(x, y); }
  void take_rows(const Tensor& x, int64_t first, int64_t n, Tensor& out) override { inner_.take_rows(x, first, n, out); }
  void put_rows(const Tensor& src, int64_t first, Tensor& out) override { inner_.put_rows(src, first, out); }
  void argmax(const Tensor& x, Tensor& out) override { inner_.argmax(x, out); }
  void sample(const Tensor& x, const SamplingParams& params, const std::vector<float>& uniforms,
              Tensor& out) override {
    inner_.sample(x, params, uniforms, out);
  }
  void to_host(const Tensor& x, float* dst) override { inner_.to_host(x, dst); }
  std::vector<int32_t> read_i32(const Tensor& x) override { return inner_.read_i32(x); }
  void synchronize() override { inner_.synchronize(); }
  // No graph capture: each step must pass through linear() to be recorded.

 private:
  void record(const Tensor& x, const Weight& w) {
    host_.resize(size_t(x.rows() * x.cols()));
    inner_.to_host(x, host_.data());
    Sums& s = sums_[w.name()];
    s.squares.resize(size_t(x.cols()));
    for (int64_t r = 0; r < x.rows(); ++r) {
      const float* row = host_.data() + r * x.cols();
      for (int64_t j = 0; j < x.cols(); ++j) s.squares[size_t(j)] += double(row[j]) * double(row[j]);
    }
    s.rows += x.rows();
  }

  Backend& inner_;
  std::map<std::string, Sums> sums_;
  std::vector<float> host_;
};

// The recorder's sums as means over `tokens` rows.
ImportanceMatrix matrix_of(const ImportanceRecorder& recorder, int64_t tokens) {
  ImportanceMatrix m;
  m.tokens = tokens;
  for (const auto& [name, s] : recorder.sums()) {
    std::vector<float>& v = m.by_weight[name];
    v.resize(s.squares.size());
    for (size_t j = 0; j < v.size(); ++j) v[j] = float(s.squares[j] / double(s.rows));
    // Every token passes every linear op once, the LM head included.
    if (s.rows != m.tokens) fail("importance matrix: ", name, " saw ", s.rows, " rows for ", m.tokens, " tokens");
  }
  return m;
}

// Runs `ids` through `model` in windows of `context` tokens, each on a fresh cache with the
// logits of every row (so a tied LM head sees every token).
void run_windows(DecoderModel& model, const std::vector<int32_t>& ids, int64_t context,
                 const std::function<void(int64_t, int64_t)>& progress) {
  const int64_t windows = (int64_t(ids.size()) + context - 1) / context;
  KvCache cache = model.new_cache(context);
  for (int64_t i = 0; i < windows; ++i) {
    const auto first = ids.begin() + long(i * context);
    const std::vector<int32_t> window(first, first + long(std::min<int64_t>(context, int64_t(ids.size()) - i * context)));
    cache.clear();
    model.forward(window, cache, LogitRows::all);
    if (progress) progress(i + 1, windows);
  }
}

}  // namespace

ImportanceMatrix measure_importance(const std::string& model_dir, Backend& backend,
                                    const std::vector<int32_t>& calibration, int64_t context,
                                    const std::function<void(int64_t, int64_t)>& progress) {
  if (calibration.empty()) fail("importance matrix: no calibration tokens");
  if (context < 1) fail("importance matrix: window of ", context, " tokens");
  ImportanceRecorder recorder(backend);
  LoadedModel loaded = load_model(model_dir, recorder, LoadOptions{});
  run_windows(*loaded.model, calibration, context, progress);
  return matrix_of(recorder, int64_t(calibration.size()));
}

std::vector<int32_t> probe_ids(const std::string& model_dir, const ModelConfig& config, const ProbeCalibration& o) {
  std::vector<int32_t> ordinary;
  // A GGUF file holds its tokenizer; a folder may have none (test checkpoints, scored by id).
  if (has_tokenizer(model_dir)) {
    const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(model_dir);
    const int64_t n = std::min<int64_t>(config.vocab_size, int64_t(tokenizer->vocab_size()));
    for (int32_t id = 0; id < n; ++id)
      if (!tokenizer->is_special(id)) ordinary.push_back(id);
  } else {
    std::vector<int32_t> special = config.eos_token_ids;
    if (config.bos_token_id) special.push_back(*config.bos_token_id);
    for (int32_t id = 0; id < config.vocab_size; ++id)
      if (std::find(special.begin(), special.end(), id) == special.end()) ordinary.push_back(id);
  }
  if (ordinary.empty()) fail(model_dir, ": no ordinary (non-special) token ids to probe the model with");
  // A fixed engine and an explicit draw (not std::uniform_int_distribution, whose mapping
  // differs between standard libraries), so the same seed gives the same ids everywhere.
  std::mt19937_64 engine(o.seed);
  std::vector<int32_t> ids(size_t(o.tokens));
  for (int32_t& id : ids) id = ordinary[size_t(engine() % ordinary.size())];
  return ids;
}

std::string probe_description(const ProbeCalibration& o) {
  std::ostringstream d;
  d << "probe: " << o.tokens << " random token ids, seed " << o.seed << ", windows of " << o.context << " tokens";
  return d.str();
}

ImportanceMatrix measure_importance_probe(const std::string& model_dir, Backend& backend, const ProbeCalibration& o,
                                          const std::function<void(int64_t, int64_t)>& progress) {
  if (o.tokens < 1) fail("importance matrix: ", o.tokens, " probe tokens");
  if (o.context < 1) fail("importance matrix: window of ", o.context, " tokens");
  ImportanceRecorder recorder(backend);
  LoadedModel loaded = load_model(model_dir, recorder, LoadOptions{});
  const std::vector<int32_t> ids = probe_ids(model_dir, loaded.config, o);
  run_windows(*loaded.model, ids, std::min(o.context, loaded.config.max_position_embeddings), progress);
  return matrix_of(recorder, int64_t(ids.size()));
}

ImportanceMatrix measure_importance_self(const std::string& model_dir, Backend& backend, const SelfCalibration& o,
                                         const std::function<void(int64_t, int64_t)>& progress,
                                         std::vector<std::vector<int32_t>>* fed) {
  if (o.tokens < 1) fail("importance matrix: ", o.tokens, " self-sampled tokens");
  if (o.context < 2) fail("importance matrix: samples of ", o.context, " tokens (at least 2)");
  ImportanceRecorder recorder(backend);
  LoadedModel loaded = load_model(model_dir, recorder, LoadOptions{});
  const ModelConfig& config = loaded.config;
  std::vector<int32_t> stops = config.eos_token_ids;
  stops.insert(stops.end(), loaded.generation.eos_token_ids.begin(), loaded.generation.eos_token_ids.end());
  const std::optional<int32_t> bos = config.bos_token_id ? config.bos_token_id : loaded.generation.bos_token_id;
  if (!bos && stops.empty())
    fail(model_dir, ": no bos_token_id or eos_token_id to start self-sampled calibration text from");
  const int32_t start = bos ? *bos : stops.front();
  SamplerOptions sampling;
  sampling.temperature = o.temperature;
  sampling.seed = o.seed;
  validate(sampling);
  Sampler sampler(sampling);
  const int64_t context = std::min(o.context, config.max_position_embeddings);
  KvCache cache = loaded.model->new_cache(context);
  while (recorder.rows_seen() < o.tokens) {
    cache.clear();
    GenerationRequest request;
    request.prompt = {start};
    // The start token and each sampled token but the last are fed: as many as are sampled.
    request.max_new_tokens = std::min(context - 1, o.tokens - recorder.rows_seen());
    request.stop_ids = stops;
    const std::vector<int32_t> sampled = generate(*loaded.model, cache, sampler, request, nullptr);
    if (fed) {
      fed->push_back(request.prompt);
      fed->back().insert(fed->back().end(), sampled.begin(), sampled.end() - 1);
    }
    if (progress) progress(recorder.rows_seen(), o.tokens);
  }
  return matrix_of(recorder, recorder.rows_seen());
}

namespace {

// A checkpoint `llmrun quantize` wrote (its weights are codes already: nothing to weigh).
bool is_quantized_checkpoint(const std::string& model_dir) {
  const WeightSource source(model_dir);
  return source.checkpoint() && !quantized_tensor_formats(*source.checkpoint()).empty();
}

// The matrix `measure` makes for model_dir, measured once per checkpoint content and
// `identity` (how it is measured), then read from the cache folder.
ImportanceMatrix cached_matrix(const std::string& flag, const std::string& model_dir, const std::string& identity,
                               const std::string& description, const std::string& announce,
                               const std::function<ImportanceMatrix()>& measure) {
  const std::string key = "checkpoint " + checkpoint_fingerprint(model_dir) + "\n" + identity;
  const std::string path = cache_folder("imatrix") + "/" + sha256_hex(key).substr(0, 16) + ".safetensors";
  if (std::filesystem::exists(path)) {
    std::cerr << "llmrun: " << flag << ": using the cached " << path << "\n";
    return read_importance_matrix(path);
  }
  std::cerr << "llmrun: " << flag << ": " << announce << " (runs once; cached)\n";
  const auto t0 = std::chrono::steady_clock::now();
  const ImportanceMatrix m = measure();
  std::filesystem::create_directories(cache_folder("imatrix"));
  // Written whole, then renamed: a run stopped midway leaves no half file under the name,
  // and two runs measuring at once (each its own partial file) both leave a whole one.
  const std::string partial = path + ".partial." + std::to_string(::getpid());
  write_importance_matrix(partial, m, {{"llmrun.model", model_dir}, {"llmrun.calibration", description}});
  std::filesystem::rename(partial, path);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "llmrun: wrote " << path << " in " << s << " s\n";
  return read_importance_matrix(path);
}

}  // namespace

std::optional<ImportanceMatrix> importance_for(const std::string& imatrix, const std::string& model_dir,
                                               Backend& backend) {
  if (!importance_is_measured(imatrix)) return read_importance_matrix_if_given(imatrix);
  const std::string flag = "--imatrix " + imatrix;
  // Refused before measuring, as the loader would refuse the matrix after it.
  if (is_quantized_checkpoint(model_dir)) fail_importance_on_quantized(flag, model_dir);
  if (imatrix == "self") {
    const SelfCalibration o;
    std::ostringstream identity;
    identity << "self-sampled tokens " << o.tokens << " context " << o.context << " temperature " << o.temperature
             << " seed " << o.seed;
    return cached_matrix(flag, model_dir, identity.str(), self_description(o),
                         "sampling " + std::to_string(o.tokens) + " tokens from the model to measure it", [&] {
                           return measure_importance_self(model_dir, backend, o, progress_callback("self-sampled tokens"));
                         });
  }
  const ProbeCalibration o;
  std::ostringstream identity;
  identity << "probe tokens " << o.tokens << " context " << o.context << " seed " << o.seed;
  return cached_matrix(flag, model_dir, identity.str(), probe_description(o),
                       "running the model over " + std::to_string(o.tokens) + " random token ids to measure it", [&] {
                         return measure_importance_probe(model_dir, backend, o, progress_callback("probe windows"));
                       });
}

bool importance_is_measured(const std::string& imatrix) { return imatrix == "self" || imatrix == "probe"; }

std::string resolve_imatrix(const std::string& imatrix, const std::string& model_dir,
                            const std::vector<std::string>& precisions,
                            const std::vector<std::string>& tensor_precision) {
  if (imatrix == "none") return "";
  if (imatrix != "auto") return imatrix;
  bool weighs = false;
  for (const std::string& p : precisions) {
    if (parse_auto_spec(p)) weighs = true;
    else
      for (WeightFormat f : PrecisionPolicy::parse(p, tensor_precision).named_formats())
        weighs = weighs || codec(f).encode_row_weighted != nullptr;
  }
  return weighs && !is_quantized_checkpoint(model_dir) ? "probe" : "";
}

std::string self_description(const SelfCalibration& o) {
  std::ostringstream d;
  d << "self-sampled: " << o.tokens << " tokens at temperature " << o.temperature << ", seed " << o.seed
    << ", samples of up to " << o.context << " tokens";
  return d.str();
}

}  // namespace llmrun::eval
