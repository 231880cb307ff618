#pragma once
// The machine-readable results: results.json (everything) and results.csv (one row per
// precision, for spreadsheets).
#include <nlohmann/json.hpp>
#include <string>

#include "eval/results.h"

namespace llmrun::eval {

// Every field of the report, keys in declaration order, null for absent optionals:
// {task, model, baseline, info{}, rows[{precision, weight_bytes, ...}],
//  sensitivity[{format, projections[], kl[[...]]}]}.
nlohmann::ordered_json report_json(const EvalReport& report);
void write_json(const std::string& path, const EvalReport& report);

// RFC 4180: CRLF line ends, fields with , " CR or LF quoted and quotes doubled, an empty
// field for an absent value. The header names are the JSON row keys.
std::string report_csv(const EvalReport& report);
void write_csv(const std::string& path, const EvalReport& report);

}  // namespace llmrun::eval
