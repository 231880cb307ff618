// gpu-check.sh's work folder -> results.json (layout in gpu_check.h).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "bench/gpu_check/gpu_check.h"

namespace llmrun::gpu_check {
namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

bool read_text(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The line of a log that says most about how the stage ended: the last line naming an
// error or a failure, else the last non-empty line; at most 200 characters.
std::string telling_line(const std::string& log) {
  static const std::regex failure(R"((error|fail|fatal|abort|exception|not found|cannot|terminate|killed))",
                                  std::regex::icase);
  std::string last, last_failure;
  for (const std::string& raw : lines_of(log)) {
    // compute-sanitizer prefixes its lines with "========= ".
    std::string line = trim(raw);
    while (!line.empty() && line.front() == '=') line.erase(0, 1);
    line = trim(line);
    if (line.empty()) continue;
    last = line;
    // gtest's summary "[  FAILED  ] 0 tests" and sanitizer's "0 errors" are not failures.
    if (std::regex_search(line, failure) && line.find("ERROR SUMMARY: 0 errors") == std::string::npos)
      last_failure = line;
  }
  std::string line = last_failure.empty() ? last : last_failure;
  if (line.size() > 200) line = line.substr(0, 197) + "...";
  return line;
}

std::vector<int64_t> read_ids(const std::string& text) {
  std::vector<int64_t> ids;
  std::istringstream in(text);
  for (int64_t id; in >> id;) ids.push_back(id);
  return ids;
}

bool read_f32(const fs::path& path, std::vector<float>& out) {
  std::string bytes;
  if (!read_text(path, bytes) || bytes.size() % sizeof(float) != 0) return false;
  out.resize(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return true;
}

ojson read_json_file(const fs::path& path) {
  std::string text;
  if (!read_text(path, text)) return nullptr;
  try {
    return ojson::parse(text);
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::string status_of(const ojson& stage) {
  if (stage.contains("skipped")) return "skipped";
  if (stage.value("timed_out", false)) return "timeout";
  return stage.value("rc", -1) == 0 ? "pass" : "fail";
}

// gtest JSON: totals, and skipped tests counted from the per-test results.
ojson gtest_counts(const ojson& report) {
  int64_t skipped = 0;
  for (const auto& suite : report.value("testsuites", ojson::array()))
    for (const auto& test : suite.value("testsuite", ojson::array()))
      if (test.value("result", "") == "SKIPPED") ++skipped;
  const int64_t tests = report.value("tests", int64_t(0)), failures = report.value("failures", int64_t(0)),
                errors = report.value("errors", int64_t(0)), disabled = report.value("disabled", int64_t(0));
  return {{"tests", tests},
          {"failed", failures + errors},
          {"skipped", skipped},
          {"disabled", disabled},
          {"passed", std::max<int64_t>(0, tests - failures - errors - skipped)}};
}

// compute-sanitizer's closing line: "ERROR SUMMARY: N errors" (memcheck) or
// "RACECHECK SUMMARY: N hazards displayed (E errors, W warnings)".
ojson sanitizer_summary(const std::string& log) {
  static const std::regex summary(R"(((?:ERROR|RACECHECK) SUMMARY): (\d+) (errors?|hazards?))");
  ojson out = nullptr;
  for (const std::string& line : lines_of(log)) {
    std::smatch m;
    if (std::regex_search(line, m, summary)) {
      std::string text = trim(line);
      while (!text.empty() && text.front() == '=') text.erase(0, 1);
      // Digits only (the regex), but more than int64 holds is still "many", not an exception.
      const std::string digits = m[2].str();
      const int64_t count = digits.size() > 18 ? INT64_MAX : std::stoll(digits);
      out = {{"count", count}, {"summary", trim(text)}};
    }
  }
  return out;
}

// llmrun --stats: "... generated 256 tok at 1234.5 tok/s ..."
std::optional<double> generated_tps(const std::string& log) {
  static const std::regex stats(R"(generated (\d+) tok at ([0-9.]+) tok/s)");
  std::optional<double> tps;
  for (const std::string& line : lines_of(log)) {
    std::smatch m;
    if (std::regex_search(line, m, stats)) {
      try {
        tps = std::stod(m[2].str());
      } catch (const std::exception&) {  // "1.2.3": not a speed
      }
    }
  }
  return tps;
}

// "name, driver, memory, cap" fields from env.txt.
ojson gpu_of(const ojson& env) {
  if (!env.contains("gpu_name")) return nullptr;
  ojson gpu = {{"name", env.value("gpu_name", "")},
               {"driver", env.value("driver", "")},
               {"compute_capability", env.value("compute_cap", "")}};
  try {
    gpu["memory_total_mib"] = std::stoll(env.value("memory_total_mib", ""));
  } catch (const std::exception&) {
    gpu["memory_total_mib"] = nullptr;
  }
  return gpu;
}

}  // namespace

ojson collect(const std::string& work_dir) {
  const fs::path work(work_dir);
  if (!fs::is_directory(work / "stages")) throw std::runtime_error(work_dir + ": no stages/ folder (not a gpu-check work folder)");
  ojson r;
  r["schema"] = "llmrun-gpu-check/1";

  ojson env = ojson::object();
  std::string env_text;
  if (read_text(work / "env.txt", env_text))
    for (const std::string& line : lines_of(env_text)) {
      const size_t eq = line.find('=');
      if (eq != std::string::npos && eq > 0) env[line.substr(0, eq)] = line.substr(eq + 1);
    }
  r["env"] = env;
  r["gpu"] = gpu_of(env);
  r["ceilings"] = nullptr;
  r["stages"] = ojson::array();
  r["conformance"] = ojson::array();
  r["sanitizer"] = ojson::object();
  r["greedy"] = ojson::array();
  r["logits"] = ojson::array();
  r["model_config"] = nullptr;
  r["bench"] = ojson::array();
  r["sampling"] = nullptr;
  r["peer"] = nullptr;

  std::vector<fs::path> records;
  for (const auto& entry : fs::directory_iterator(work / "stages"))
    if (entry.path().extension() == ".json") records.push_back(entry.path());
  std::sort(records.begin(), records.end());

  // greedy / logits outputs pair up by (precision|model) across devices.
  std::map<std::string, ojson> greedy, logits;
  std::vector<std::string> greedy_order, logits_order;
  std::optional<double> greedy_tps, sampled_tps;
  std::string sampling_stages;

  for (const fs::path& path : records) {
    ojson stage = read_json_file(path);
    if (!stage.is_object()) {
      r["stages"].push_back({{"name", path.filename().string()}, {"status", "fail"}, {"message", "unreadable stage record"}});
      continue;
    }
    std::string log;
    if (stage.contains("log")) read_text(work / stage["log"].get<std::string>(), log);
    stage["status"] = status_of(stage);
    if (stage.contains("skipped")) stage["message"] = stage["skipped"];
    else if (stage["status"] == "timeout")
      stage["message"] = "stopped after " + std::to_string(stage.value("limit_s", 0)) + " s" +
                         (trim(log).empty() ? "" : ": " + telling_line(log));
    else stage["message"] = telling_line(log);

    const std::string kind = stage.value("kind", ""), name = stage.value("name", "");
    const fs::path output = work / stage.value("output", "");
    const bool ran = !stage.contains("skipped");
    if (kind == "ceilings" && ran && stage["status"] == "pass") {
      ojson c = read_json_file(output);
      if (c.is_object()) {
        c["source"] = stage.value("source", "bench_gpu_ceilings");
        c["stage"] = name;
        r["ceilings"] = c;
      }
    } else if (kind == "conformance") {
      ojson entry = {{"binary", stage.value("binary", name)}, {"stage", name}};
      const ojson report = read_json_file(output);
      if (report.is_object()) entry.update(gtest_counts(report));
      r["conformance"].push_back(entry);
    } else if (kind == "sanitizer") {
      ojson entry = {{"stage", name}};
      const ojson s = sanitizer_summary(log);
      if (!s.is_null()) entry.update(s);
      r["sanitizer"][stage.value("tool", name)] = entry;
    } else if (kind == "greedy") {
      const std::string key = stage.value("precision", "");
      if (!greedy.count(key)) {
        greedy[key] = {{"precision", key}, {"tokens", stage.value("tokens", 0)}, {"stages", ojson::array()}};
        greedy_order.push_back(key);
      }
      greedy[key]["stages"].push_back(name);
      std::string text;
      if (ran && stage["status"] == "pass" && read_text(output, text)) greedy[key][stage.value("device", "?")] = read_ids(text);
    } else if (kind == "logits") {
      const std::string key = stage.value("model", "");
      if (!logits.count(key)) {
        logits[key] = {{"model", key}, {"stages", ojson::array()}};
        logits_order.push_back(key);
      }
      logits[key]["stages"].push_back(name);
      std::vector<float> values;
      if (ran && stage["status"] == "pass" && read_f32(output, values))
        logits[key]["_" + stage.value("device", "?")] = values;
    } else if (kind == "random_model") {
      if (ran && stage["status"] == "pass")
        r["model_config"] = read_json_file(fs::path(stage.value("model_dir", "")) / "config.json");
    } else if (kind == "bench") {
      ojson entry = {{"label", stage.value("label", "")},
                     {"precision", stage.value("precision", "")},
                     {"prompt_len", stage.value("prompt_len", 0)},
                     {"gen_len", stage.value("gen_len", 0)},
                     {"stage", name},
                     {"row", nullptr},
                     {"gpu_memory_peak_mib", nullptr}};
      const ojson report = read_json_file(output);
      if (ran && report.is_object() && report.contains("rows") && !report["rows"].empty()) entry["row"] = report["rows"][0];
      std::string mem;
      if (ran && stage.contains("gpu_memory") && read_text(work / stage["gpu_memory"].get<std::string>(), mem)) {
        // The first sample is taken before the run starts: the peak is counted from it.
        std::vector<int64_t> samples = read_ids(mem);
        if (samples.size() >= 2)
          entry["gpu_memory_peak_mib"] = *std::max_element(samples.begin() + 1, samples.end()) - samples.front();
      }
      r["bench"].push_back(entry);
    } else if (kind == "sampling") {
      sampling_stages += (sampling_stages.empty() ? "" : ",") + name;
      if (ran && stage["status"] == "pass") (stage.value("mode", "") == "sampled" ? sampled_tps : greedy_tps) = generated_tps(log);
    } else if (kind == "peer") {
      if (ran && stage["status"] == "pass") {
        ojson p = read_json_file(output);
        if (p.is_object()) r["peer"] = p;
      }
    }
    r["stages"].push_back(stage);
  }

  for (const std::string& key : greedy_order) {
    ojson g = greedy[key];
    if (g.contains("cpu") && g.contains("cuda")) {
      const auto cpu = g["cpu"].get<std::vector<int64_t>>(), cuda = g["cuda"].get<std::vector<int64_t>>();
      size_t k = 0;
      while (k < cpu.size() && k < cuda.size() && cpu[k] == cuda[k]) ++k;
      g["equal_prefix"] = k;
    }
    r["greedy"].push_back(g);
  }
  for (const std::string& key : logits_order) {
    ojson l = logits[key];
    if (l.contains("_cpu") && l.contains("_cuda")) {
      const auto cpu = l["_cpu"].get<std::vector<float>>(), cuda = l["_cuda"].get<std::vector<float>>();
      if (cpu.size() == cuda.size() && !cpu.empty()) {
        double max_diff = 0, max_ref = 0;
        bool finite = true;
        for (size_t i = 0; i < cpu.size(); ++i) {
          // Any NaN/inf where the reference is finite is a failure, never a small difference.
          if (!std::isfinite(cuda[i]) && std::isfinite(cpu[i])) finite = false;
          max_diff = std::max(max_diff, double(std::fabs(double(cuda[i]) - double(cpu[i]))));
          max_ref = std::max(max_ref, double(std::fabs(cpu[i])));
        }
        l["values"] = cpu.size();
        l["all_finite"] = finite;
        l["max_abs_diff"] = finite ? ojson(max_diff) : ojson(nullptr);
        l["max_abs_ref"] = max_ref;
      } else {
        l["size_mismatch"] = {cpu.size(), cuda.size()};
      }
    }
    l.erase("_cpu");
    l.erase("_cuda");
    r["logits"].push_back(l);
  }
  if (!sampling_stages.empty()) {
    ojson s = {{"stages", sampling_stages}, {"greedy_tokens_per_second", nullptr}, {"sampled_tokens_per_second", nullptr},
               {"us_per_token", nullptr}};
    if (greedy_tps) s["greedy_tokens_per_second"] = *greedy_tps;
    if (sampled_tps) s["sampled_tokens_per_second"] = *sampled_tps;
    if (greedy_tps && sampled_tps && *greedy_tps > 0 && *sampled_tps > 0)
      s["us_per_token"] = 1e6 / *sampled_tps - 1e6 / *greedy_tps;
    r["sampling"] = s;
  }
  return r;
}

}  // namespace llmrun::gpu_check
