// Heatmap of a sensitivity grid (see charts.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include "eval/report/charts.h"
#include "eval/report/colors.h"
#include "eval/report/format.h"
#include "eval/report/svg_writer.h"
#include "eval/report/text_file.h"
#include "runtime/error.h"

namespace llmrun::eval {
namespace {

constexpr double kOuterMargin = 16;
constexpr double kTitleHeight = 44;
constexpr double kColumnHeader = 44;  // axis label and projection names above the grid
constexpr double kFont = 11;
constexpr double kColorBarWidth = 14;
constexpr double kColorBarMinHeight = 160;

double text_width(const std::string& text, double font_px) {
  return 0.6 * font_px * static_cast<double>(display_width(text));
}

// Whole decades of the log color scale: [lo, hi] with lo < hi.
struct LogScale {
  int lo = -4, hi = -3;
  double position(double v) const {  // 0..1, values <= 0 at the bottom
    if (!(v > 0)) return 0;
    return std::clamp((std::log10(v) - lo) / (hi - lo), 0.0, 1.0);
  }
};

LogScale log_scale(const SensitivityGrid& grid) {
  double min_positive = std::numeric_limits<double>::infinity(), max_value = 0;
  for (const auto& layer : grid.kl)
    for (double v : layer)
      if (std::isfinite(v) && v > 0) {
        min_positive = std::min(min_positive, v);
        max_value = std::max(max_value, v);
      }
  LogScale scale;
  if (max_value > 0) {
    scale.lo = static_cast<int>(std::floor(std::log10(min_positive)));
    scale.hi = static_cast<int>(std::ceil(std::log10(max_value)));
    if (scale.hi == scale.lo) ++scale.hi;
  }
  return scale;
}

// 10^decade as people write it: "0.01", "1", "100", else "1e-5".
std::string decade_label(int decade) {
  if (decade >= -3 && decade <= 3) return format_fixed(std::pow(10.0, decade), decade < 0 ? -decade : 0);
  return "1e" + std::to_string(decade);
}

void check_shape(const SensitivityGrid& grid, const std::string& path) {
  for (size_t l = 0; l < grid.kl.size(); ++l)
    if (grid.kl[l].size() != grid.projections.size())
      fail(path, ": sensitivity grid: layer ", l, " has ", grid.kl[l].size(), " values for ",
           grid.projections.size(), " projections");
}

}  // namespace

std::string sensitivity_svg(const SensitivityGrid& grid, const std::string& path_for_errors) {
  check_shape(grid, path_for_errors);
  const size_t layers = grid.kl.size(), projections = grid.projections.size();
  const std::string title = grid.format.empty() ? "KL increase when one tensor is quantized"
                                                : "KL increase when one tensor is quantized to " + grid.format;

  double widest_projection = 0;
  for (const std::string& p : grid.projections) widest_projection = std::max(widest_projection, text_width(p, kFont));
  const double cell_w = std::max(std::clamp(520.0 / std::max<size_t>(projections, 1), 40.0, 72.0), widest_projection + 8);
  const double cell_h = std::clamp(560.0 / std::max<size_t>(layers, 1), 8.0, 22.0);
  const int layer_stride = static_cast<int>(std::ceil(14 / cell_h));  // labels >= 14 px apart
  const double grid_x = kOuterMargin + 24 + text_width(std::to_string(layers), kFont) + 10;
  const double grid_y = kTitleHeight + kColumnHeader;
  const double grid_w = cell_w * static_cast<double>(projections);
  const double grid_h = cell_h * static_cast<double>(layers);

  const LogScale scale = log_scale(grid);
  const double bar_x = grid_x + grid_w + 24;
  const double bar_h = std::max(grid_h, kColorBarMinHeight);
  double widest_tick = 0;
  for (int d = scale.lo; d <= scale.hi; ++d) widest_tick = std::max(widest_tick, text_width(decade_label(d), kFont));
  const double bar_label_x = bar_x + kColorBarWidth + 8 + widest_tick + 14;
  const double width = std::max(bar_label_x + 10 + kOuterMargin, text_width(title, 15) + 2 * kOuterMargin);
  const double height = grid_y + bar_h + 36;

  SvgWriter svg(width, height, title);
  svg.heading(width, title);
  svg.open("defs");
  svg.open("linearGradient", Attrs().set("id", "kl-scale").set("x1", 0.0).set("y1", 1.0).set("x2", 0.0).set("y2", 0.0));
  for (size_t i = 0; i < viridis_stop_count(); ++i)
    svg.leaf("stop", Attrs()
                         .set("offset", format_fixed(static_cast<double>(i) / static_cast<double>(viridis_stop_count() - 1), 4))
                         .set("stop-color", viridis_stop(i)));
  svg.close("linearGradient");
  svg.close("defs");

  // Axis labels and headers.
  svg.text("text", Attrs().set("x", grid_x + grid_w / 2).set("y", kTitleHeight + 14).set("text-anchor", "middle").set("fill", "#333333"),
           "projection");
  for (size_t p = 0; p < projections; ++p)
    svg.text("text", Attrs()
                         .set("x", grid_x + cell_w * (static_cast<double>(p) + 0.5))
                         .set("y", grid_y - 8)
                         .set("text-anchor", "middle")
                         .set("font-size", kFont),
             grid.projections[p]);
  const double layer_label_x = kOuterMargin + 8, layer_label_y = grid_y + grid_h / 2;
  svg.text("text", Attrs()
                       .set("x", layer_label_x)
                       .set("y", layer_label_y)
                       .set("text-anchor", "middle")
                       .set("fill", "#333333")
                       .set("transform", "rotate(-90 " + format_coordinate(layer_label_x) + " " +
                                             format_coordinate(layer_label_y) + ")"),
           "layer");

  svg.open("g", Attrs().set("class", "heatmap"));
  for (size_t l = 0; l < layers; ++l) {
    const double y = grid_y + cell_h * static_cast<double>(l);
    if (static_cast<int>(l) % layer_stride == 0)
      svg.text("text", Attrs()
                           .set("x", grid_x - 6)
                           .set("y", y + cell_h / 2 + 3.5)
                           .set("text-anchor", "end")
                           .set("font-size", kFont),
               std::to_string(l));
    for (size_t p = 0; p < projections; ++p) {
      const double v = grid.kl[l][p];
      const bool measured = std::isfinite(v);
      svg.with_tooltip("rect",
                       Attrs()
                           .set("class", "cell")
                           .set("data-layer", std::to_string(l))
                           .set("data-projection", grid.projections[p])
                           .set("data-value", format_shortest(v))
                           .set("x", grid_x + cell_w * static_cast<double>(p))
                           .set("y", y)
                           .set("width", cell_w)
                           .set("height", cell_h)
                           .set("fill", measured ? viridis(scale.position(v)) : "#d0d0d0")
                           .set("stroke", "#ffffff")
                           .set("stroke-width", 0.5),
                       "layer " + std::to_string(l) + " · " + grid.projections[p] + ": KL increase " +
                           (measured ? format_significant(v, 3) : "not measured"));
    }
  }
  svg.close("g");

  // Color bar: low at the bottom, one tick per decade (every other one past 8 decades).
  svg.open("g", Attrs().set("class", "color-bar"));
  svg.leaf("rect", Attrs()
                       .set("x", bar_x)
                       .set("y", grid_y)
                       .set("width", kColorBarWidth)
                       .set("height", bar_h)
                       .set("fill", "url(#kl-scale)")
                       .set("stroke", "#555555")
                       .set("stroke-width", 0.5));
  const int tick_every = scale.hi - scale.lo > 8 ? 2 : 1;
  for (int d = scale.lo; d <= scale.hi; d += tick_every) {
    const double y = grid_y + bar_h * (1 - static_cast<double>(d - scale.lo) / (scale.hi - scale.lo));
    svg.leaf("line", Attrs()
                         .set("x1", bar_x + kColorBarWidth)
                         .set("x2", bar_x + kColorBarWidth + 4)
                         .set("y1", y)
                         .set("y2", y)
                         .set("stroke", "#333333"));
    svg.text("text", Attrs().set("x", bar_x + kColorBarWidth + 7).set("y", y + 4).set("font-size", kFont),
             decade_label(d));
  }
  const double bar_label_y = grid_y + bar_h / 2;
  svg.text("text", Attrs()
                       .set("x", bar_label_x)
                       .set("y", bar_label_y)
                       .set("text-anchor", "middle")
                       .set("fill", "#333333")
                       .set("transform", "rotate(90 " + format_coordinate(bar_label_x) + " " +
                                             format_coordinate(bar_label_y) + ")"),
           "mean KL increase (log scale)");
  svg.close("g");
  if (layers == 0 || projections == 0)
    svg.text("text", Attrs().set("x", width / 2).set("y", grid_y + 20).set("text-anchor", "middle").set("fill", "#777777"),
             "empty grid");
  return svg.finish();
}

void write_sensitivity_svg(const std::string& path, const SensitivityGrid& grid) {
  write_text_file(path, sensitivity_svg(grid, path));
}

}  // namespace llmrun::eval
