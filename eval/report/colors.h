#pragma once
// Chart colors: one per precision (same in every panel) and a sequential scale.
#include <string>

namespace llmrun::eval {

// "#rrggbb" for the i-th precision; the baseline (index 0) is a neutral gray, the rest
// come from the Okabe–Ito colorblind-safe set, then repeat.
std::string precision_color(size_t index);

// Viridis (dark purple -> yellow) at t in [0, 1], clamped: perceptually uniform and
// readable in grayscale, for heatmaps.
std::string viridis(double t);

// The stops viridis() interpolates between, for an SVG gradient that matches it.
size_t viridis_stop_count();
std::string viridis_stop(size_t i);

}  // namespace llmrun::eval
