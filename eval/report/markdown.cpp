#include "eval/report/markdown.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <vector>

#include "eval/report/derived.h"
#include "eval/report/format.h"

namespace llmrun::eval {
namespace {

using Cell = std::optional<std::string>;

struct Column {
  std::string header;
  bool left_aligned;  // names left, numbers right
  std::function<Cell(const PrecisionRow&)> cell;
};

Cell optional_text(const std::optional<double>& v, const std::function<std::string(double)>& text) {
  if (!v) return std::nullopt;
  return text(*v);
}

std::string percent(double fraction) { return format_fixed(100 * fraction, 2); }
std::string megabytes(double bytes) { return format_fixed(bytes / 1e6, 1); }
std::string sig3(double v) { return format_significant(v, 3); }
std::string sig4(double v) { return format_significant(v, 4); }

// A pipe inside a cell would end it.
std::string escape_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::vector<Column> all_columns(const EvalReport& report) {
  auto ratio = [&report](const PrecisionRow& r) -> Cell {
    return optional_text(speedup(report, r), [](double v) { return format_fixed(v, 2) + "×"; });
  };
  return {
      {"precision", true, [](const PrecisionRow& r) -> Cell { return escape_cell(r.precision); }},
      {"acc %", false,
       [](const PrecisionRow& r) -> Cell {
         if (!r.accuracy) return std::nullopt;
         std::string s = percent(*r.accuracy);
         if (r.accuracy_stderr) s += " ± " + percent(*r.accuracy_stderr);
         return s;
       }},
      {"Δacc pp", false,
       [&report](const PrecisionRow& r) -> Cell {
         Cell s = optional_text(delta_accuracy(report, r), [](double v) { return format_signed(100 * v, 2); });
         if (s && r.delta_accuracy_stderr) *s += " ± " + percent(*r.delta_accuracy_stderr);
         return s;
       }},
      {"passages +/−", false,
       [](const PrecisionRow& r) -> Cell {
         if (!r.passages_gained || !r.passages_lost) return std::nullopt;
         return "+" + std::to_string(*r.passages_gained) + " / −" + std::to_string(*r.passages_lost);
       }},
      {"ppl", false, [](const PrecisionRow& r) { return optional_text(r.perplexity, sig4); }},
      {"Δppl", false,
       [&report](const PrecisionRow& r) -> Cell {
         return optional_text(delta_perplexity(report, r), [](double v) { return format_signed(v, 2); });
       }},
      {"mean KL", false, [](const PrecisionRow& r) { return optional_text(r.mean_kl, sig3); }},
      {"p99 KL", false, [](const PrecisionRow& r) { return optional_text(r.p99_kl, sig3); }},
      {"top-1 %", false, [](const PrecisionRow& r) { return optional_text(r.top1_agreement, percent); }},
      {"eval tok/s", false, [](const PrecisionRow& r) { return optional_text(r.eval_tokens_per_second, sig3); }},
      {"prefill tok/s", false,
       [](const PrecisionRow& r) { return optional_text(r.prefill_tokens_per_second, sig3); }},
      {"decode tok/s", false,
       [](const PrecisionRow& r) -> Cell {
         if (!r.decode_tokens_per_second) return std::nullopt;
         std::string s = sig3(*r.decode_tokens_per_second);
         if (r.decode_min && r.decode_max) s += " (" + sig3(*r.decode_min) + "–" + sig3(*r.decode_max) + ")";
         return s;
       }},
      {"generate tok/s", false,
       [](const PrecisionRow& r) { return optional_text(r.generate_tokens_per_second, sig3); }},
      {"TTFT ms", false, [](const PrecisionRow& r) { return optional_text(r.time_to_first_token_ms, sig3); }},
      {"speedup", false, ratio},
      {"weight MB", false,
       [](const PrecisionRow& r) -> Cell {
         if (r.weight_bytes <= 0) return std::nullopt;
         return megabytes(static_cast<double>(r.weight_bytes));
       }},
      {"bits/w", false,
       [](const PrecisionRow& r) -> Cell {
         if (r.bits_per_weight <= 0) return std::nullopt;
         return format_fixed(r.bits_per_weight, 2);
       }},
      {"peak RSS MB", false, [](const PrecisionRow& r) { return optional_text(r.peak_rss_bytes, megabytes); }},
  };
}

std::string pad(const std::string& text, size_t width, bool left_aligned) {
  const size_t w = display_width(text);
  const std::string fill(w < width ? width - w : 0, ' ');
  return left_aligned ? text + fill : fill + text;
}

std::string header_line(const EvalReport& report) {
  std::string line = report.task.empty() ? "llmeval" : report.task;
  if (!report.model.empty()) line += " · model: " + report.model;
  if (!report.baseline.empty()) line += " · baseline: " + report.baseline;
  // Which kernels measured the speeds: the backend, threads and CPU kernel family.
  const auto backend = report.info.find("backend");
  if (backend != report.info.end()) line += " · backend: " + backend->second;
  if (speed_metric(report) != SpeedMetric::kNone && report.rows.size() > 1)
    line += " · speedup from " + std::string(speed_metric_label(speed_metric(report)));
  return line;
}

}  // namespace

std::string markdown_table(const EvalReport& report) {
  // Cells of the columns that have at least one value: [column][row].
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> cells;
  std::vector<Column> candidates = all_columns(report);
  for (size_t index = 0; index < candidates.size(); ++index) {
    Column& column = candidates[index];
    std::vector<std::string> texts;
    bool any = false;
    for (const PrecisionRow& row : report.rows) {
      Cell cell = column.cell(row);
      any = any || cell.has_value();
      texts.push_back(cell.value_or("—"));
    }
    if (!any && index > 0) continue;  // the precision column shows even without rows
    columns.push_back(std::move(column));
    cells.push_back(std::move(texts));
  }

  std::vector<size_t> widths;
  for (size_t c = 0; c < columns.size(); ++c) {
    size_t w = std::max<size_t>(3, display_width(columns[c].header));
    for (const std::string& text : cells[c]) w = std::max(w, display_width(text));
    widths.push_back(w);
  }

  std::string out = header_line(report) + "\n\n";
  auto add_line = [&](const std::function<std::string(size_t)>& cell_of) {
    out += "|";
    for (size_t c = 0; c < columns.size(); ++c) out += " " + cell_of(c) + " |";
    out += "\n";
  };
  add_line([&](size_t c) { return pad(columns[c].header, widths[c], columns[c].left_aligned); });
  // The alignment rule spans the cell padding too: |:-----|-----:|
  out += "|";
  for (size_t c = 0; c < columns.size(); ++c) {
    std::string rule(widths[c] + 2, '-');
    (columns[c].left_aligned ? rule.front() : rule.back()) = ':';
    out += rule + "|";
  }
  out += "\n";
  for (size_t r = 0; r < report.rows.size(); ++r)
    add_line([&](size_t c) { return pad(cells[c][r], widths[c], columns[c].left_aligned); });
  return out;
}

}  // namespace llmrun::eval
