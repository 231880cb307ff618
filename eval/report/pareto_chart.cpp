// Bits per weight against mean KL, one point per precision (see charts.h).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "eval/report/axis.h"
#include "eval/report/charts.h"
#include "eval/report/colors.h"
#include "eval/report/format.h"
#include "eval/report/svg_writer.h"
#include "eval/report/text_file.h"

namespace llmrun::eval {
namespace {

constexpr double kWidth = 720, kHeight = 460;
constexpr double kLeft = 78, kRight = 24, kTop = 52, kBottom = 56;
constexpr double kLabelFont = 10.5;

struct Point {
  std::string label, source;  // source: "llmrun" or "reference"
  double bits = 0, kl = 0;
};

// A name short enough to sit beside its point: "mixed:attn=X,mlp=X,embed=X" -> "X +emb"
// (every part the same format), "@DIR/plan-6.5.json" -> "plan-6.5" (plans differ by file
// name, their folders are long), else at most 24 characters (the tooltip has the rest).
std::string point_label(const std::string& name) {
  if (name.rfind('@', 0) == 0) {
    std::string file = name.substr(name.find_last_of('/') == std::string::npos ? 1 : name.find_last_of('/') + 1);
    const std::string ext = ".json";
    if (file.size() > ext.size() && file.compare(file.size() - ext.size(), ext.size(), ext) == 0)
      file.resize(file.size() - ext.size());
    if (!file.empty()) return file.size() <= 24 ? file : file.substr(0, 23) + "…";
  }
  if (name.rfind("mixed:", 0) == 0) {
    std::string common;
    bool same = true, embed = false;
    size_t start = 6;
    while (start <= name.size() && same) {
      size_t end = name.find(',', start);
      if (end == std::string::npos) end = name.size();
      const std::string part = name.substr(start, end - start);
      const size_t eq = part.find('=');
      if (eq == std::string::npos) {
        same = false;
        break;
      }
      const std::string key = part.substr(0, eq), value = part.substr(eq + 1);
      embed = embed || key == "embed";
      if (common.empty()) common = value;
      same = same && value == common;
      start = end + 1;
    }
    if (same && !common.empty()) return common + (embed ? " +emb" : "");
  }
  return name.size() <= 24 ? name : name.substr(0, 23) + "…";
}

std::vector<Point> points_of(const EvalReport& report) {
  std::vector<Point> out;
  for (const PrecisionRow& r : report.rows)
    if (r.mean_kl && *r.mean_kl > 0 && std::isfinite(*r.mean_kl) && r.bits_per_weight > 0)
      out.push_back({r.precision, "llmrun", r.bits_per_weight, *r.mean_kl});
  for (const ReferencePoint& p : report.reference_points)
    if (p.mean_kl > 0 && std::isfinite(p.mean_kl) && p.bits_per_weight > 0)
      out.push_back({p.label, "reference", p.bits_per_weight, p.mean_kl});
  return out;
}

// Indices of the points no other point beats on both axes (fewer or equal bits and lower
// or equal KL, one of them strictly), sorted by bits.
std::vector<size_t> frontier(const std::vector<Point>& pts) {
  std::vector<size_t> out;
  for (size_t i = 0; i < pts.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < pts.size() && !dominated; ++j)
      dominated = j != i && pts[j].bits <= pts[i].bits && pts[j].kl <= pts[i].kl &&
                  (pts[j].bits < pts[i].bits || pts[j].kl < pts[i].kl);
    if (!dominated) out.push_back(i);
  }
  std::sort(out.begin(), out.end(), [&](size_t a, size_t b) { return pts[a].bits < pts[b].bits; });
  return out;
}

}  // namespace

std::string pareto_svg(const EvalReport& report) {
  const std::vector<Point> pts = points_of(report);
  const std::string base = report.baseline.empty() ? std::string("baseline") : report.baseline;
  SvgWriter svg(kWidth, kHeight, "bits per weight vs mean KL");
  svg.heading(kWidth, "Size vs accuracy: mean KL vs " + base + " (lower left is better)");
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  // x: bits per weight from 0; y: KL in whole decades, log scale.
  double max_bits = 1, lo = 1e-3, hi = 1e-1;
  if (!pts.empty()) {
    max_bits = 0, lo = pts.front().kl, hi = pts.front().kl;
    for (const Point& p : pts) max_bits = std::max(max_bits, p.bits), lo = std::min(lo, p.kl), hi = std::max(hi, p.kl);
  }
  const Axis x_axis = nice_axis(max_bits * 1.2);  // room for the labels right of the points
  const int d_lo = int(std::floor(std::log10(lo))), d_hi = std::max(d_lo + 1, int(std::ceil(std::log10(hi))));
  auto x_of = [&](double bits) { return kLeft + plot_w * bits / x_axis.max; };
  auto y_of = [&](double kl) { return kTop + plot_h * (1 - (std::log10(kl) - d_lo) / double(d_hi - d_lo)); };

  for (double t : x_axis.ticks) {
    svg.leaf("line", Attrs().set("x1", x_of(t)).set("x2", x_of(t)).set("y1", kTop).set("y2", kTop + plot_h)
                         .set("stroke", "#e5e5e5"));
    svg.text("text", Attrs().set("x", x_of(t)).set("y", kTop + plot_h + 16).set("text-anchor", "middle")
                         .set("font-size", kLabelFont).set("fill", "#333333"),
             x_axis.label(t));
  }
  for (int d = d_lo; d <= d_hi; ++d) {
    const double y = y_of(std::pow(10.0, d));
    svg.leaf("line", Attrs().set("x1", kLeft).set("x2", kLeft + plot_w).set("y1", y).set("y2", y).set("stroke", "#e5e5e5"));
    svg.text("text", Attrs().set("x", kLeft - 6).set("y", y + 4).set("text-anchor", "end").set("font-size", kLabelFont)
                         .set("fill", "#333333"),
             "1e" + std::to_string(d));
  }
  svg.leaf("rect", Attrs().set("x", kLeft).set("y", kTop).set("width", plot_w).set("height", plot_h).set("fill", "none")
                       .set("stroke", "#333333"));
  svg.text("text", Attrs().set("x", kLeft + plot_w / 2).set("y", kHeight - 14).set("text-anchor", "middle")
                       .set("font-size", 12.0),
           "bits per weight (whole model)");
  svg.text("text", Attrs().set("x", 18).set("y", kTop + plot_h / 2).set("text-anchor", "middle").set("font-size", 12.0)
                       .set("transform", "rotate(-90 18 " + format_fixed(kTop + plot_h / 2, 2) + ")"),
           "mean KL vs " + base + " (log)");

  const std::vector<size_t> best = frontier(pts);
  if (best.size() > 1) {
    std::string line;
    for (size_t i : best) line += format_fixed(x_of(pts[i].bits), 2) + "," + format_fixed(y_of(pts[i].kl), 2) + " ";
    svg.leaf("polyline", Attrs().set("class", "frontier").set("points", line).set("fill", "none")
                             .set("stroke", "#999999").set("stroke-dasharray", "4 3"));
  }
  for (size_t i = 0; i < pts.size(); ++i) {
    const Point& p = pts[i];
    const bool ours = p.source == "llmrun";
    const std::string tip = p.label + " (" + p.source + "): " + format_significant(p.bits, 4) + " bits/weight, mean KL " +
                            format_significant(p.kl, 3);
    Attrs a;
    a.set("class", "point").set("data-source", p.source).set("data-precision", p.label).set("data-bits", p.bits)
        .set("data-kl", format_significant(p.kl, 6));
    if (ours) {
      a.set("cx", x_of(p.bits)).set("cy", y_of(p.kl)).set("r", 5.0).set("fill", precision_color(1));
      svg.with_tooltip("circle", a, tip);
    } else {
      a.set("x", x_of(p.bits) - 4.5).set("y", y_of(p.kl) - 4.5).set("width", 9.0).set("height", 9.0)
          .set("fill", precision_color(2));
      svg.with_tooltip("rect", a, tip);
    }
    svg.text("text", Attrs().set("x", x_of(p.bits) + 8).set("y", y_of(p.kl) + 4).set("font-size", kLabelFont)
                         .set("fill", "#333333"),
             point_label(p.label));
  }
  // Legend.
  svg.leaf("circle", Attrs().set("cx", kLeft + 12).set("cy", kTop + 14).set("r", 5.0).set("fill", precision_color(1)));
  svg.text("text", Attrs().set("x", kLeft + 22).set("y", kTop + 18).set("font-size", kLabelFont), "llmrun");
  if (!report.reference_points.empty()) {
    svg.leaf("rect", Attrs().set("x", kLeft + 7.5).set("y", kTop + 27.5).set("width", 9.0).set("height", 9.0)
                         .set("fill", precision_color(2)));
    svg.text("text", Attrs().set("x", kLeft + 22).set("y", kTop + 36).set("font-size", kLabelFont),
             report.reference_label.empty() ? std::string("reference") : report.reference_label);
  }
  return svg.finish();
}

void write_pareto_svg(const std::string& path, const EvalReport& report) { write_text_file(path, pareto_svg(report)); }

}  // namespace llmrun::eval
