#include "eval/report/data_files.h"

#include <functional>
#include <optional>
#include <variant>
#include <vector>

#include "eval/report/format.h"
#include "eval/report/text_file.h"

namespace llmrun::eval {
namespace {

// One field of a row: its key and value; the one list both JSON and CSV are built from,
// so they cannot disagree on names or order.
using FieldValue = std::variant<std::string, int64_t, double, std::optional<double>, std::optional<int64_t>>;
struct Field {
  const char* key;
  FieldValue value;
};

std::vector<Field> row_fields(const PrecisionRow& r) {
  return {
      {"precision", r.precision},
      {"weight_bytes", r.weight_bytes},
      {"bits_per_weight", r.bits_per_weight},
      {"accuracy", r.accuracy},
      {"accuracy_stderr", r.accuracy_stderr},
      {"delta_accuracy_stderr", r.delta_accuracy_stderr},
      {"passages_gained", r.passages_gained},
      {"passages_lost", r.passages_lost},
      {"perplexity", r.perplexity},
      {"delta_perplexity", r.delta_perplexity},
      {"mean_kl", r.mean_kl},
      {"p99_kl", r.p99_kl},
      {"top1_agreement", r.top1_agreement},
      {"eval_tokens_per_second", r.eval_tokens_per_second},
      {"prefill_tokens_per_second", r.prefill_tokens_per_second},
      {"decode_tokens_per_second", r.decode_tokens_per_second},
      {"decode_min", r.decode_min},
      {"decode_max", r.decode_max},
      {"generate_tokens_per_second", r.generate_tokens_per_second},
      {"time_to_first_token_ms", r.time_to_first_token_ms},
      {"peak_rss_bytes", r.peak_rss_bytes},
      {"wall_seconds", r.wall_seconds},
  };
}

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

nlohmann::ordered_json field_json(const FieldValue& value) {
  return std::visit(Overloaded{
                        [](const std::string& s) { return nlohmann::ordered_json(s); },
                        [](int64_t v) { return nlohmann::ordered_json(v); },
                        [](double v) { return nlohmann::ordered_json(v); },
                        [](const std::optional<double>& v) {
                          return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
                        },
                        [](const std::optional<int64_t>& v) {
                          return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
                        },
                    },
                    value);
}

std::string field_text(const FieldValue& value) {
  return std::visit(Overloaded{
                        [](const std::string& s) { return s; },
                        [](int64_t v) { return std::to_string(v); },
                        [](double v) { return format_shortest(v); },
                        [](const std::optional<double>& v) { return v ? format_shortest(*v) : std::string(); },
                        [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string(); },
                    },
                    value);
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

nlohmann::ordered_json report_json(const EvalReport& report) {
  nlohmann::ordered_json j;
  j["task"] = report.task;
  j["model"] = report.model;
  j["baseline"] = report.baseline;
  j["info"] = nlohmann::ordered_json::object();
  for (const auto& [key, value] : report.info) j["info"][key] = value;
  j["rows"] = nlohmann::ordered_json::array();
  for (const PrecisionRow& row : report.rows) {
    nlohmann::ordered_json r;
    for (const Field& field : row_fields(row)) r[field.key] = field_json(field.value);
    j["rows"].push_back(std::move(r));
  }
  j["sensitivity"] = nlohmann::ordered_json::array();
  for (const SensitivityGrid& grid : report.sensitivity) {
    nlohmann::ordered_json g = {{"format", grid.format}, {"projections", grid.projections}, {"kl", grid.kl}};
    if (!grid.tensors.empty()) g["tensors"] = grid.tensors;
    j["sensitivity"].push_back(std::move(g));
  }
  return j;
}

void write_json(const std::string& path, const EvalReport& report) {
  // replace: invalid UTF-8 in a name must not make the whole report unwritable.
  write_text_file(path, report_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

std::string report_csv(const EvalReport& report) {
  std::string out;
  const std::vector<Field> header = row_fields(PrecisionRow{});
  for (size_t i = 0; i < header.size(); ++i) out += (i ? "," : "") + std::string(header[i].key);
  out += "\r\n";
  for (const PrecisionRow& row : report.rows) {
    const std::vector<Field> fields = row_fields(row);
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csv_field(field_text(fields[i].value));
    out += "\r\n";
  }
  return out;
}

void write_csv(const std::string& path, const EvalReport& report) { write_text_file(path, report_csv(report)); }

}  // namespace llmrun::eval
