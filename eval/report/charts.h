#pragma once
// The SVG charts of an llmeval run: standalone SVG 1.1, no scripts, no external fonts,
// so they open in any browser and convert with rsvg-convert.
//
// For tests and scripts every mark carries its data: accuracy/speed bars are
//   <rect class="bar" data-panel="quality|speedup" data-metric=... data-precision=... data-value=...>
// (data-value in the report's own units, e.g. accuracy as a fraction), heatmap cells are
//   <rect class="cell" data-layer=... data-projection=... data-value=...>.
#include <string>

#include "eval/results.h"

namespace llmrun::eval {

// Two panels side by side: (a) quality per precision — accuracy with ±stderr error bars,
// else mean KL, else perplexity, whichever some row has — and (b) speedup vs the
// baseline with a dashed line at 1.0×. A panel without data is left out.
std::string accuracy_speed_svg(const EvalReport& report);
void write_accuracy_speed_svg(const std::string& path, const EvalReport& report);

// Bits per weight (x) against mean KL (y, log decades): a circle per precision with a mean
// KL, a square per reference point, and the dashed lower-left frontier of all of them.
// Marks: <circle|rect class="point" data-source="llmrun|reference" data-precision=...
// data-bits=... data-kl=...>.
std::string pareto_svg(const EvalReport& report);
void write_pareto_svg(const std::string& path, const EvalReport& report);

// Heatmap of layers (rows) x projections (columns), colored by KL on a log scale, with
// a color bar. Throws llmrun::Error naming path when a layer's row has the wrong length.
std::string sensitivity_svg(const SensitivityGrid& grid, const std::string& path_for_errors = "sensitivity grid");
void write_sensitivity_svg(const std::string& path, const SensitivityGrid& grid);

}  // namespace llmrun::eval
