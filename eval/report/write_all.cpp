#include "eval/report/write_all.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include "eval/report/charts.h"
#include "eval/report/data_files.h"
#include "runtime/error.h"

namespace llmrun::eval {
namespace {

// A format name as a file name part: "mixed:attn=fp8" -> "mixed_attn_fp8".
std::string file_safe(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '.' || c == '_';
    out += plain ? c : '_';
  }
  return out.empty() ? "grid" : out;
}

}  // namespace

std::vector<std::string> write_all(const std::string& dir, const EvalReport& report) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(dir, ": cannot create directory: ", ec.message());
  if (!std::filesystem::is_directory(dir, ec)) fail(dir, ": cannot create directory: not a directory");

  const std::filesystem::path root(dir);
  std::vector<std::string> written;
  auto path_of = [&](const std::string& name) {
    written.push_back((root / name).string());
    return written.back();
  };
  write_json(path_of("results.json"), report);
  write_csv(path_of("results.csv"), report);
  write_accuracy_speed_svg(path_of("chart.svg"), report);
  const bool any_kl = std::any_of(report.rows.begin(), report.rows.end(), [](const PrecisionRow& r) { return r.mean_kl.has_value(); });
  if (any_kl) write_pareto_svg(path_of("pareto.svg"), report);
  if (report.sensitivity.size() == 1) {
    write_sensitivity_svg(path_of("sensitivity.svg"), report.sensitivity.front());
  } else {
    std::set<std::string> used;
    for (size_t i = 0; i < report.sensitivity.size(); ++i) {
      std::string name = "sensitivity-" + file_safe(report.sensitivity[i].format);
      if (!used.insert(name).second) name += "-" + std::to_string(i);
      used.insert(name);
      write_sensitivity_svg(path_of(name + ".svg"), report.sensitivity[i]);
    }
  }
  return written;
}

}  // namespace llmrun::eval
