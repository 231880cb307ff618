// results.json -> the one Markdown table gpu-check.sh ends with. The rows are fixed (a
// missing number is a row saying n/a and why, never a missing row); the targets are
// issue 8's (docs/GPU_CHECK.md explains each figure).
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/gpu_check/gpu_check.h"

namespace llmrun::gpu_check {
namespace {

using json = nlohmann::json;

// Targets (issue 8, section 4).
constexpr double kDecodeBandwidthShare = 0.80;   // fp16 decode bytes/s vs device-to-device copy
constexpr double kInt8Fp8Speedup = 1.85;         // decode vs fp16, embedding/LM head quantized too
constexpr double kFp6Speedup = 2.4;
constexpr double kPrefillGemmShare = 0.60;       // prefill 512 FLOP/s vs cuBLASLt bf16
constexpr double kSamplingUsPerToken = 50;       // top-k 20, top-p 0.95, vocab 151,936
constexpr int kDecodeCtx = 128, kLongCtx = 4096, kPrefillLen = 512;

struct Row {
  std::string check, result, figure, target;
};

std::string fmt(const char* f, ...) {
  char buf[512];
  va_list args;
  va_start(args, f);
  std::vsnprintf(buf, sizeof buf, f, args);
  va_end(args);
  return buf;
}

std::string cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

std::optional<double> num(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  const double v = j[key].get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

class Table {
 public:
  explicit Table(const json& r) : r_(r) {
    for (const json& s : r.value("stages", json::array()))
      if (s.is_object()) stages_[s.value("name", "")] = s;
  }

  // Why a stage gave no number: "conformance/test_x failed (rc 1): message".
  std::string why(const std::string& name) const {
    const auto it = stages_.find(name);
    if (it == stages_.end()) return name + " not run";
    const json& s = it->second;
    const std::string status = s.value("status", "fail"), message = s.value("message", "");
    std::string head;
    if (status == "timeout") head = name + " timed out";
    else if (status == "skipped") head = name + " skipped";
    else if (status == "pass") head = name + " passed but gave no number";
    else head = name + " failed (rc " + std::to_string(s.value("rc", -1)) + ")";
    return message.empty() ? head : head + ": " + message;
  }
  std::string status(const std::string& name) const {
    const auto it = stages_.find(name);
    return it == stages_.end() ? "missing" : it->second.value("status", "fail");
  }
  const json& results() const { return r_; }
  const std::map<std::string, json>& stages() const { return stages_; }

 private:
  const json& r_;
  std::map<std::string, json> stages_;
};

// The stage's status as a row result: pass, fail, timeout, or n/a when it did not run.
std::string stage_result(const std::string& status) {
  if (status == "pass" || status == "fail" || status == "timeout") return status;
  return "n/a";
}

void gpu_rows(const Table& t, std::vector<Row>& rows) {
  const json& gpu = t.results().value("gpu", json());
  if (!gpu.is_object()) {
    rows.push_back({"GPU", "n/a", "not recorded", "—"});
    return;
  }
  std::string figure = gpu.value("name", "?") + " · driver " + gpu.value("driver", "?") + " · sm " +
                       gpu.value("compute_capability", "?");
  if (const auto mib = num(gpu, "memory_total_mib")) figure += fmt(" · %.0f MiB", *mib);
  rows.push_back({"GPU", "info", figure, "—"});
}

void ceiling_rows(const Table& t, std::vector<Row>& rows) {
  const json& c = t.results().value("ceilings", json());
  const std::string source = c.is_object() && c.value("source", "") == "torch" ? " (torch)" : "";
  if (const auto gbps = num(c, "d2d_copy_gbps"))
    rows.push_back({"ceiling: device-to-device copy", "info", fmt("%.0f GB/s (read + write)", *gbps) + source, "—"});
  else
    rows.push_back({"ceiling: device-to-device copy", "n/a", t.why("ceilings"), "—"});
  if (const auto tflops = num(c, "cublaslt_bf16_tflops")) {
    std::string figure = fmt("%.1f TFLOP/s on 512-token Qwen3-4B layer GEMMs", *tflops);
    if (const auto peak = num(c, "cublaslt_bf16_peak_tflops")) figure += fmt(" · %.1f at 8192³", *peak);
    rows.push_back({"ceiling: cuBLASLt bf16 GEMM", "info", figure + source, "—"});
  } else {
    rows.push_back({"ceiling: cuBLASLt bf16 GEMM", "n/a", t.why("ceilings"), "—"});
  }
}

void conformance_row(const Table& t, std::vector<Row>& rows) {
  const json& list = t.results().value("conformance", json::array());
  if (list.empty()) {
    rows.push_back({"CUDA conformance", "n/a", "no CUDA test binaries ran", "all pass"});
    return;
  }
  int64_t passed = 0, failed = 0, skipped = 0;
  std::string result = "pass", problems;
  for (const json& c : list) {
    const std::string name = c.value("stage", "");
    const std::string status = t.status(name);
    passed += c.value("passed", int64_t(0));
    failed += c.value("failed", int64_t(0));
    skipped += c.value("skipped", int64_t(0));
    if (status != "pass" || !c.contains("tests")) {
      if (status == "timeout" && result != "fail") result = "timeout";
      else if (status != "timeout") result = "fail";
      problems += " · " + t.why(name);
    } else if (c.value("failed", int64_t(0)) > 0) {
      result = "fail";
    }
  }
  if (result == "pass" && passed == 0) result = "fail", problems += " · no test ran";
  rows.push_back({"CUDA conformance",
                  result,
                  fmt("%zu %s: %lld passed, %lld failed, %lld skipped", list.size(),
                      list.size() == 1 ? "binary" : "binaries", (long long)passed, (long long)failed,
                      (long long)skipped) +
                      problems,
                  "all pass"});
}

void sanitizer_rows(const Table& t, std::vector<Row>& rows) {
  const json& s = t.results().value("sanitizer", json::object());
  for (const char* tool : {"memcheck", "racecheck"}) {
    const std::string check = std::string("compute-sanitizer ") + tool;
    const std::string target = std::string("0 ") + (std::string(tool) == "memcheck" ? "errors" : "hazards");
    const json& e = s.is_object() && s.contains(tool) ? s[tool] : json();
    if (!e.is_object()) {
      rows.push_back({check, "n/a", t.why(tool), target});
      continue;
    }
    const std::string name = e.value("stage", tool);
    const std::string status = t.status(name);
    if (status == "pass" && e.contains("count")) {
      rows.push_back({check, e.value("count", int64_t(1)) == 0 ? "pass" : "fail", e.value("summary", ""), target});
    } else {
      // A non-zero exit with a summary of 0 means the program itself failed under the tool.
      rows.push_back({check, status == "pass" ? "fail" : stage_result(status),
                      (e.contains("summary") ? e.value("summary", "") + " · " : "") + t.why(name), target});
    }
  }
}

void greedy_rows(const Table& t, std::vector<Row>& rows) {
  for (const json& g : t.results().value("greedy", json::array())) {
    const std::string precision = g.value("precision", "?");
    const int64_t tokens = g.value("tokens", int64_t(0));
    const std::string check =
        "greedy ids CUDA = CPU · stories260k " + (precision == "auto" ? std::string("checkpoint dtype") : precision);
    const std::string target = fmt("%lld/%lld equal", (long long)tokens, (long long)tokens);
    if (!g.contains("equal_prefix")) {
      std::string reasons, result = "n/a";
      for (const json& name : g.value("stages", json::array())) {
        const std::string st = t.status(name.get<std::string>());
        if (st != "pass") {
          reasons += (reasons.empty() ? "" : " · ") + t.why(name.get<std::string>());
          result = st == "timeout" ? "timeout" : st == "fail" ? "fail" : result;
        }
      }
      rows.push_back({check, result, reasons.empty() ? "no ids" : reasons, target});
      continue;
    }
    const int64_t equal = g.value("equal_prefix", int64_t(0));
    const size_t got = g.value("cuda", json::array()).size();
    const bool pass = equal == tokens && int64_t(got) == tokens && int64_t(g.value("cpu", json::array()).size()) == tokens;
    rows.push_back({check, pass ? "pass" : "fail",
                    pass ? fmt("%lld/%lld equal", (long long)equal, (long long)tokens)
                         : fmt("first %lld/%lld equal (CUDA gave %zu ids)", (long long)equal, (long long)tokens, got),
                    target});
  }
}

void logits_rows(const Table& t, std::vector<Row>& rows) {
  for (const json& l : t.results().value("logits", json::array())) {
    const std::string check = "logits CUDA vs CPU · " + l.value("model", "?");
    if (l.contains("all_finite") && !l.value("all_finite", true)) {
      rows.push_back({check, "fail", "NaN/inf where the CPU logits are finite", "finite, within the dtype's bound"});
      continue;
    }
    const auto diff = num(l, "max_abs_diff"), ref = num(l, "max_abs_ref");
    if (diff && ref) {
      rows.push_back({check, "info",
                      fmt("max|Δ| %.2e of max|ref| %.3g (%.2e relative)", *diff, *ref, *ref > 0 ? *diff / *ref : 0.0),
                      "within the dtype's bound (conformance)"});
      continue;
    }
    std::string reasons = l.contains("size_mismatch") ? "CPU and CUDA logits differ in size" : "";
    std::string result = "n/a";
    for (const json& name : l.value("stages", json::array())) {
      const std::string st = t.status(name.get<std::string>());
      if (st != "pass") {
        reasons += (reasons.empty() ? "" : " · ") + t.why(name.get<std::string>());
        if (st == "fail" || st == "timeout") result = st;
      }
    }
    rows.push_back({check, result, reasons.empty() ? "no logits" : reasons, "within the dtype's bound (conformance)"});
  }
}

// One bench entry: (label, prompt_len).
struct Bench {
  std::optional<double> decode, prefill, ttft_ms, weight_bytes, mem_mib;
  int prompt_len = 0, gen_len = 0;
  std::string stage;
};

Bench find_bench(const Table& t, const std::string& label, int prompt_len) {
  Bench b;
  b.stage = "bench/" + label + "/" + std::to_string(prompt_len);
  for (const json& e : t.results().value("bench", json::array())) {
    if (e.value("label", "") != label || e.value("prompt_len", 0) != prompt_len) continue;
    b.prompt_len = e.value("prompt_len", 0);
    b.gen_len = e.value("gen_len", 0);
    b.stage = e.value("stage", b.stage);
    const json& row = e.value("row", json());
    b.decode = num(row, "decode_tokens_per_second");
    b.prefill = num(row, "prefill_tokens_per_second");
    b.ttft_ms = num(row, "time_to_first_token_ms");
    b.weight_bytes = num(row, "weight_bytes");
    b.mem_mib = num(e, "gpu_memory_peak_mib");
  }
  return b;
}

// KV-cache bytes per cached position: K and V, every layer, bf16 (the activation dtype of
// the bf16 checkpoint); 0 without the model's config.
double kv_bytes_per_position(const json& config) {
  const auto layers = num(config, "num_hidden_layers"), kv = num(config, "num_key_value_heads"),
             head_dim = num(config, "head_dim");
  if (!layers || !kv || !head_dim) return 0;
  return 2.0 * *layers * *kv * *head_dim * 2.0;
}

// Weights of the linear layers (q, k, v, o, gate, up, down; LM head excluded): the FLOPs of
// a prefill are 2 x this per token (attention's own FLOPs left out: < 3% at 512 tokens).
std::optional<double> linear_params(const json& config) {
  const auto h = num(config, "hidden_size"), inter = num(config, "intermediate_size"),
             layers = num(config, "num_hidden_layers"), heads = num(config, "num_attention_heads"),
             kv = num(config, "num_key_value_heads");
  if (!h || !inter || !layers || !heads || !kv) return std::nullopt;
  const double head_dim = num(config, "head_dim").value_or(*h / *heads);
  const double q = *heads * head_dim, kvd = *kv * head_dim;
  return *layers * (*h * (q + 2 * kvd) + q * *h + 3 * *h * *inter);
}

std::string mem_text(const Bench& b) { return b.mem_mib ? fmt(" · GPU +%.1f GiB", *b.mem_mib / 1024.0) : ""; }

void decode_rows(const Table& t, std::vector<Row>& rows, int ctx) {
  const json& config = t.results().value("model_config", json());
  const auto copy = num(t.results().value("ceilings", json()), "d2d_copy_gbps");
  const std::string at = fmt(" · ctx %d", ctx);
  const Bench fp16 = find_bench(t, "fp16", ctx);
  const bool targets = ctx == kDecodeCtx;

  // fp16: achieved bandwidth = (weights + the KV cache read at the mean decode position) x tok/s.
  {
    const std::string target = targets ? fmt("≥ %.0f%% of copy bandwidth", kDecodeBandwidthShare * 100) : "—";
    Row row{"decode fp16" + at, "n/a", "", target};
    if (!fp16.decode) {
      row.figure = "no number: " + t.why(fp16.stage);
    } else {
      row.figure = fmt("%.1f tok/s", *fp16.decode);
      if (!fp16.weight_bytes) {
        row.figure += " · no weight_bytes in llmeval's row";
        if (!copy) row.figure += " · no copy ceiling: " + t.why("ceilings");
      } else {
        const double mean_pos = fp16.prompt_len + fp16.gen_len / 2.0;
        const double gbps = *fp16.decode * (*fp16.weight_bytes + kv_bytes_per_position(config) * mean_pos) / 1e9;
        row.figure += fmt(" · %.0f GB/s", gbps);
        if (config.is_null()) row.figure += " (weights only: no model config)";
        if (copy) {
          const double share = gbps / *copy;
          row.figure += fmt(" = %.1f%% of copy", share * 100);
          row.result = targets ? (share >= kDecodeBandwidthShare ? "pass" : "fail") : "info";
        } else {
          row.figure += " · no copy ceiling: " + t.why("ceilings");
        }
      }
      row.figure += mem_text(fp16);
    }
    rows.push_back(row);
  }

  struct Variant {
    const char* label;
    const char* title;
    double target;  // 0: no target
  };
  // The embedding/LM-head variants carry the targets and are measured at context 128 only.
  static const Variant kVariants[] = {{"int8+head", "decode int8, embed/head int8", kInt8Fp8Speedup},
                                      {"fp8+head", "decode fp8, embed/head fp8", kInt8Fp8Speedup},
                                      {"fp6+head", "decode fp6, embed/head fp6", kFp6Speedup},
                                      {"int8", "decode int8 (default policy)", 0},
                                      {"fp8", "decode fp8 (default policy)", 0},
                                      {"fp6", "decode fp6 (default policy)", 0}};
  for (const Variant& v : kVariants) {
    if (!targets && v.target > 0) continue;
    const Bench b = find_bench(t, v.label, ctx);
    Row row{v.title + at, "n/a", "", v.target > 0 ? fmt("≥ %gx fp16", v.target) : "—"};
    if (!b.decode) {
      row.figure = "no number: " + t.why(b.stage);
    } else if (!fp16.decode) {
      row.figure = fmt("%.1f tok/s · no fp16 number to compare", *b.decode) + mem_text(b);
    } else {
      const double ratio = *b.decode / *fp16.decode;
      row.figure = fmt("%.1f tok/s = %.2fx fp16", *b.decode, ratio) + mem_text(b);
      row.result = v.target > 0 ? (ratio >= v.target ? "pass" : "fail") : "info";
    }
    rows.push_back(row);
  }
}

void prefill_rows(const Table& t, std::vector<Row>& rows) {
  const json& config = t.results().value("model_config", json());
  const auto gemm = num(t.results().value("ceilings", json()), "cublaslt_bf16_tflops");
  const auto params = linear_params(config);
  for (const char* label : {"fp16", "int8", "fp8", "fp6"}) {
    const bool target = std::string(label) == "fp16";
    const Bench b = find_bench(t, label, kPrefillLen);
    Row row{fmt("prefill %d %s", kPrefillLen, label), "n/a", "",
            target ? fmt("≥ %.0f%% of cuBLASLt bf16", kPrefillGemmShare * 100) : "—"};
    if (!b.prefill) {
      row.figure = "no number: " + t.why(b.stage);
    } else {
      row.figure = fmt("%.0f tok/s", *b.prefill);
      if (!target) row.result = "info";
      if (params) {
        const double tflops = 2.0 * *params * *b.prefill / 1e12;
        row.figure += fmt(" · %.1f TFLOP/s", tflops);
        if (gemm) {
          row.figure += fmt(" = %.1f%% of cuBLASLt", tflops / *gemm * 100);
          if (target) row.result = tflops / *gemm >= kPrefillGemmShare ? "pass" : "fail";
        } else if (target) {
          row.figure += " · no cuBLASLt ceiling: " + t.why("ceilings");
        }
      } else if (target) {
        row.figure += " · no model config: " + t.why("random_model");
      }
      if (b.ttft_ms) row.figure += fmt(" · TTFT %.1f ms", *b.ttft_ms);
      row.figure += mem_text(b);
    }
    rows.push_back(row);
  }
}

void sampling_row(const Table& t, std::vector<Row>& rows) {
  const json& s = t.results().value("sampling", json());
  Row row{"sampling top-k 20, top-p 0.95 · vocab 151936", "n/a", "", fmt("< %.0f µs/token", kSamplingUsPerToken)};
  if (const auto us = num(s, "us_per_token")) {
    row.result = *us < kSamplingUsPerToken ? "pass" : "fail";
    row.figure = fmt("%.1f µs/token over greedy (%.1f vs %.1f tok/s)", *us,
                     num(s, "sampled_tokens_per_second").value_or(0), num(s, "greedy_tokens_per_second").value_or(0));
  } else {
    std::string reasons;
    for (const char* name : {"sampling/greedy", "sampling/sampled"})
      if (t.status(name) != "pass") reasons += (reasons.empty() ? "" : " · ") + t.why(name);
    row.figure = "no number: " + (reasons.empty() ? std::string("no llmrun --stats speed in the logs") : reasons);
  }
  rows.push_back(row);
}

void peer_row(const Table& t, std::vector<Row>& rows) {
  const json& p = t.results().value("peer", json());
  Row row{"peer: HF transformers bf16 generate", "n/a", "", "—"};
  const auto decode = num(p, "decode_tokens_per_second");
  if (!decode) {
    row.figure = "no number: " + t.why("peer");
  } else {
    row.result = "info";
    row.figure = fmt("decode %.1f tok/s · ctx %d", *decode, p.value("prompt_len", 0));
    if (const auto prefill = num(p, "prefill_tokens_per_second"))
      row.figure += fmt(" · prefill %d %.0f tok/s", p.value("prefill_len", 0), *prefill);
    if (const auto ttft = num(p, "ttft_ms")) row.figure += fmt(" · TTFT %.1f ms", *ttft);
    if (const auto mem = num(p, "peak_memory_bytes")) row.figure += fmt(" · GPU %.1f GiB", *mem / (1 << 30));
    const Bench fp16 = find_bench(t, "fp16", kDecodeCtx);
    if (fp16.decode) row.figure += fmt(" · llmrun fp16 decode = %.2fx", *fp16.decode / *decode);
  }
  rows.push_back(row);
}

void time_row(const Table& t, std::vector<Row>& rows) {
  const json& env = t.results().value("env", json::object());
  int failed = 0, timed_out = 0, skipped = 0;
  for (const auto& [name, s] : t.stages()) {
    const std::string st = s.value("status", "fail");
    failed += st == "fail";
    timed_out += st == "timeout";
    skipped += st == "skipped";
  }
  std::string figure;
  if (env.contains("elapsed_s") && env.contains("budget_s"))
    figure = env.value("elapsed_s", "?") + " s of a " + env.value("budget_s", "?") + " s budget · ";
  figure += fmt("%zu stages: %d failed, %d timed out, %d skipped", t.stages().size(), failed, timed_out, skipped);
  rows.push_back({"time", "info", figure, "—"});
}

}  // namespace

std::string summary_table(const json& results) {
  if (!results.is_object() || results.value("schema", "") != "llmrun-gpu-check/1")
    throw std::runtime_error("not a gpu-check results.json (schema llmrun-gpu-check/1)");
  const Table t(results);
  std::vector<Row> rows;
  gpu_rows(t, rows);
  ceiling_rows(t, rows);
  conformance_row(t, rows);
  sanitizer_rows(t, rows);
  greedy_rows(t, rows);
  logits_rows(t, rows);
  decode_rows(t, rows, kDecodeCtx);
  prefill_rows(t, rows);
  decode_rows(t, rows, kLongCtx);
  sampling_row(t, rows);
  peer_row(t, rows);
  time_row(t, rows);

  std::string out = "| check | result | figure | target |\n|---|---|---|---|\n";
  for (const Row& row : rows)
    out += "| " + cell(row.check) + " | " + cell(row.result) + " | " + cell(row.figure) + " | " + cell(row.target) + " |\n";
  return out;
}

}  // namespace llmrun::gpu_check
