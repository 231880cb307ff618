// Bar charts of quality and speedup per precision (see charts.h).
#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "eval/report/axis.h"
#include "eval/report/charts.h"
#include "eval/report/colors.h"
#include "eval/report/derived.h"
#include "eval/report/format.h"
#include "eval/report/svg_writer.h"
#include "eval/report/text_file.h"

namespace llmrun::eval {
namespace {

// Layout in px. Text widths are estimated (no font metrics in a dependency-free
// writer): about 0.6 em per character for DejaVu Sans / Helvetica.
constexpr double kOuterMargin = 16;
constexpr double kTitleHeight = 44;
constexpr double kPanelTitleHeight = 30;
constexpr double kPlotHeight = 260;
constexpr double kSlot = 60;       // horizontal space per precision
constexpr double kBarWidth = 36;
constexpr double kPanelGap = 28;
constexpr double kPanelRight = 12;
constexpr double kReferenceLabelRoom = 30;  // "1.0×" right of the dashed line
constexpr double kLabelFont = 11;
constexpr double kLabelAngle = 40;  // degrees, for names too wide to sit flat
constexpr size_t kMaxLabelChars = 28;
constexpr double kPi = 3.14159265358979323846;

double text_width(const std::string& text, double font_px) {
  return 0.6 * font_px * static_cast<double>(display_width(text));
}

// At most kMaxLabelChars code points, cut with an ellipsis (the tooltip has the full name).
std::string short_name(const std::string& name) {
  if (display_width(name) <= kMaxLabelChars) return name;
  size_t count = 0, i = 0;
  for (; i < name.size(); ++i) {
    if ((static_cast<unsigned char>(name[i]) & 0xC0) != 0x80 && ++count == kMaxLabelChars) break;
  }
  return name.substr(0, i) + "…";
}

struct Bar {
  std::optional<double> value;  // report units (accuracy as a fraction)
  std::optional<double> error;  // ± around value, same units
  std::string label;            // over the bar
  std::string tooltip;
};

struct Panel {
  std::string id;          // data-panel
  std::string metric;      // data-metric
  std::string title;
  std::string axis_label;
  double scale = 1;        // axis units per report unit (100 for accuracy in %)
  std::optional<double> reference;  // dashed line, axis units
  std::vector<Bar> bars;   // one per report row
};

std::optional<Panel> quality_panel(const EvalReport& report) {
  auto any = [&report](std::optional<double> PrecisionRow::*field) {
    return std::any_of(report.rows.begin(), report.rows.end(),
                       [field](const PrecisionRow& r) { return (r.*field).has_value(); });
  };
  Panel panel;
  panel.id = "quality";
  if (any(&PrecisionRow::accuracy)) {
    panel.metric = "accuracy";
    panel.title = "accuracy";
    panel.axis_label = report.task.empty() ? "accuracy (%)" : report.task + " accuracy (%)";
    panel.scale = 100;
    for (const PrecisionRow& r : report.rows) {
      Bar bar{r.accuracy, r.accuracy_stderr, "", r.precision + ": "};
      if (r.accuracy) {
        bar.label = format_fixed(100 * *r.accuracy, 1) + "%";
        bar.tooltip += "accuracy " + format_fixed(100 * *r.accuracy, 2) + "%";
        if (r.accuracy_stderr) bar.tooltip += " ± " + format_fixed(100 * *r.accuracy_stderr, 2);
      } else {
        bar.tooltip += "no accuracy";
      }
      panel.bars.push_back(bar);
    }
    return panel;
  }
  std::optional<double> PrecisionRow::*field = nullptr;
  if (any(&PrecisionRow::mean_kl)) {
    field = &PrecisionRow::mean_kl;
    panel.metric = "mean_kl";
    panel.title = "mean KL";
    panel.axis_label = report.baseline.empty() ? "mean KL vs baseline" : "mean KL vs " + report.baseline;
  } else if (any(&PrecisionRow::perplexity)) {
    field = &PrecisionRow::perplexity;
    panel.metric = "perplexity";
    panel.title = "perplexity";
    panel.axis_label = "perplexity";
  } else {
    return std::nullopt;
  }
  const int digits = field == &PrecisionRow::perplexity ? 4 : 3;
  for (const PrecisionRow& r : report.rows) {
    const std::optional<double>& v = r.*field;
    panel.bars.push_back({v, std::nullopt, v ? format_significant(*v, digits) : "",
                          r.precision + ": " + (v ? panel.title + " " + format_significant(*v, digits)
                                                  : "no " + panel.title)});
  }
  return panel;
}

std::optional<Panel> speedup_panel(const EvalReport& report) {
  const SpeedMetric metric = speed_metric(report);
  if (metric == SpeedMetric::kNone) return std::nullopt;
  const std::string base = report.baseline.empty() ? std::string("baseline") : report.baseline;
  Panel panel;
  panel.id = "speedup";
  panel.metric = "speedup";
  panel.title = "speedup vs " + base;
  panel.axis_label = "speedup (×, " + std::string(speed_metric_label(metric)) + ")";
  panel.reference = 1.0;
  for (const PrecisionRow& r : report.rows) {
    const std::optional<double> s = speedup(report, r);
    panel.bars.push_back({s, std::nullopt, s ? format_fixed(*s, 2) + "×" : "",
                          r.precision + ": " + (s ? format_fixed(*s, 2) + "× " + base + " by " +
                                                        speed_metric_label(metric)
                                                  : "no speed measured")});
  }
  return panel;
}

struct PanelGeometry {
  double x = 0;      // left edge of the panel
  double left = 0;   // room for tick labels and the axis label
  double width = 0;  // whole panel
  Axis axis;
};

PanelGeometry measure(const Panel& panel) {
  double top = 0;
  for (const Bar& bar : panel.bars)
    if (bar.value) top = std::max(top, (*bar.value + bar.error.value_or(0)) * panel.scale);
  if (panel.reference) top = std::max(top, *panel.reference);
  PanelGeometry g;
  g.axis = nice_axis(top * 1.12);  // headroom for the value labels over the bars
  double widest_tick = 0;
  for (double t : g.axis.ticks) widest_tick = std::max(widest_tick, text_width(g.axis.label(t), kLabelFont));
  g.left = std::max(56.0, 30 + widest_tick + 8);
  g.width = g.left + kSlot * static_cast<double>(panel.bars.size()) + kPanelRight;
  if (panel.reference) g.width += kReferenceLabelRoom;
  return g;
}

void draw_panel(SvgWriter& svg, const EvalReport& report, const Panel& panel, const PanelGeometry& g,
                const std::string& letter, bool rotate_names) {
  const double plot_x = g.x + g.left;
  const PrecisionRow* base = baseline_row(report);
  const size_t baseline_index = base ? static_cast<size_t>(base - report.rows.data()) : report.rows.size();
  const double plot_w = kSlot * static_cast<double>(panel.bars.size());
  const double plot_top = kTitleHeight + kPanelTitleHeight;
  const double axis_y = plot_top + kPlotHeight;
  auto y_of = [&](double axis_value) { return axis_y - kPlotHeight * axis_value / g.axis.max; };

  svg.open("g", Attrs().set("class", "panel").set("data-panel", panel.id));
  svg.text("text", Attrs()
                       .set("x", plot_x + plot_w / 2)
                       .set("y", kTitleHeight + 16)
                       .set("text-anchor", "middle")
                       .set("font-size", 13.0)
                       .set("font-weight", "bold"),
           letter + panel.title);

  // Grid lines and ticks first so bars sit on top of them.
  for (double t : g.axis.ticks) {
    const double y = y_of(t);
    svg.leaf("line", Attrs()
                         .set("x1", plot_x)
                         .set("x2", plot_x + plot_w)
                         .set("y1", y)
                         .set("y2", y)
                         .set("stroke", t == 0 ? "#333333" : "#e5e5e5")
                         .set("stroke-width", 1.0));
    svg.leaf("line", Attrs().set("x1", plot_x - 4).set("x2", plot_x).set("y1", y).set("y2", y).set("stroke", "#333333"));
    svg.text("text", Attrs()
                         .set("x", plot_x - 7)
                         .set("y", y + 4)
                         .set("text-anchor", "end")
                         .set("font-size", kLabelFont)
                         .set("fill", "#333333"),
             g.axis.label(t));
  }
  svg.leaf("line", Attrs().set("x1", plot_x).set("x2", plot_x).set("y1", plot_top).set("y2", axis_y).set("stroke", "#333333"));
  const double label_x = g.x + 14;
  const double label_y = plot_top + kPlotHeight / 2;
  svg.text("text", Attrs()
                       .set("x", label_x)
                       .set("y", label_y)
                       .set("text-anchor", "middle")
                       .set("transform", "rotate(-90 " + format_coordinate(label_x) + " " + format_coordinate(label_y) + ")")
                       .set("fill", "#333333"),
           panel.axis_label);

  for (size_t i = 0; i < panel.bars.size(); ++i) {
    const Bar& bar = panel.bars[i];
    const std::string& name = report.rows[i].precision;
    const double center = plot_x + kSlot * (static_cast<double>(i) + 0.5);
    double label_bottom = axis_y;
    if (bar.value) {
      const double top_y = y_of(std::max(0.0, *bar.value * panel.scale));
      svg.with_tooltip("rect", Attrs()
                                   .set("class", "bar")
                                   .set("data-panel", panel.id)
                                   .set("data-metric", panel.metric)
                                   .set("data-precision", name)
                                   .set("data-value", format_shortest(*bar.value))
                                   .set("x", center - kBarWidth / 2)
                                   .set("y", top_y)
                                   .set("width", kBarWidth)
                                   .set("height", axis_y - top_y)
                                   .set("fill", precision_color(i)),
                       bar.tooltip);
      label_bottom = top_y;
      if (bar.error && *bar.error > 0) {
        const double hi = y_of(std::min(g.axis.max, (*bar.value + *bar.error) * panel.scale));
        const double lo = y_of(std::max(0.0, (*bar.value - *bar.error) * panel.scale));
        svg.open("g", Attrs().set("class", "error-bar").set("stroke", "#222222").set("stroke-width", 1.2));
        svg.leaf("line", Attrs().set("x1", center).set("x2", center).set("y1", hi).set("y2", lo));
        svg.leaf("line", Attrs().set("x1", center - 6).set("x2", center + 6).set("y1", hi).set("y2", hi));
        svg.leaf("line", Attrs().set("x1", center - 6).set("x2", center + 6).set("y1", lo).set("y2", lo));
        svg.close("g");
        label_bottom = std::min(label_bottom, hi);
      }
    }
    svg.text("text", Attrs()
                         .set("class", "value-label")
                         .set("x", center)
                         .set("y", label_bottom - 5)
                         .set("text-anchor", "middle")
                         .set("font-size", 10.5)
                         .set("fill", bar.value ? "#222222" : "#999999"),
             bar.value ? bar.label : i == baseline_index ? "baseline" : "n/a");

    const std::string shown = short_name(name);
    Attrs name_attrs = Attrs().set("class", "precision-label").set("font-size", kLabelFont).set("fill", "#222222");
    if (rotate_names) {
      const double x = center + 3, y = axis_y + 14;
      name_attrs.set("x", x).set("y", y).set("text-anchor", "end").set(
          "transform", "rotate(-" + format_coordinate(kLabelAngle) + " " + format_coordinate(x) + " " +
                           format_coordinate(y) + ")");
    } else {
      name_attrs.set("x", center).set("y", axis_y + 16).set("text-anchor", "middle");
    }
    svg.text("text", name_attrs, shown);
  }

  if (panel.reference) {
    const double y = y_of(*panel.reference);
    svg.leaf("line", Attrs()
                         .set("class", "reference")
                         .set("x1", plot_x)
                         .set("x2", plot_x + plot_w)
                         .set("y1", y)
                         .set("y2", y)
                         .set("stroke", "#c0392b")
                         .set("stroke-width", 1.3)
                         .set("stroke-dasharray", "6 4"));
    svg.text("text", Attrs()
                         .set("x", plot_x + plot_w + 4)
                         .set("y", y + 4)
                         .set("text-anchor", "start")
                         .set("font-size", 10.0)
                         .set("fill", "#c0392b"),
             format_fixed(*panel.reference, 1) + "×");
  }
  svg.close("g");
}

std::string chart_title(const EvalReport& report) {
  std::string title = report.task.empty() ? "llmeval" : report.task;
  if (!report.model.empty()) title += " · " + report.model;
  if (!report.baseline.empty()) title += " · baseline " + report.baseline;
  return title;
}

}  // namespace

std::string accuracy_speed_svg(const EvalReport& report) {
  std::vector<Panel> panels;
  if (auto p = quality_panel(report)) panels.push_back(std::move(*p));
  if (auto p = speedup_panel(report)) panels.push_back(std::move(*p));
  const std::string title = chart_title(report);

  double widest_name = 0;
  for (const PrecisionRow& r : report.rows) widest_name = std::max(widest_name, text_width(short_name(r.precision), kLabelFont));
  const bool rotate = widest_name > kSlot - 6;
  const double angle = kLabelAngle * kPi / 180;
  const double names_height = rotate ? std::sin(angle) * widest_name + 24 : 26;

  std::vector<PanelGeometry> geometry;
  for (const Panel& p : panels) geometry.push_back(measure(p));
  // Slanted names reach left of their bar; the first panel's must stay on the canvas.
  double x = kOuterMargin;
  if (rotate && !geometry.empty())
    x += std::max(0.0, std::cos(angle) * widest_name - kSlot / 2 - geometry[0].left + 4);
  for (PanelGeometry& g : geometry) {
    g.x = x;
    x += g.width + kPanelGap;
  }
  const double content_width = geometry.empty() ? 2 * kOuterMargin : x - kPanelGap + kOuterMargin;
  const double width = std::max({content_width, text_width(title, 15) + 2 * kOuterMargin, 320.0});
  for (PanelGeometry& g : geometry) g.x += (width - content_width) / 2;  // centered when the title is wider
  const double height = panels.empty() ? 120 : kTitleHeight + kPanelTitleHeight + kPlotHeight + names_height + 12;

  SvgWriter svg(width, height, title);
  svg.heading(width, title);
  if (panels.empty()) {
    svg.text("text", Attrs().set("x", width / 2).set("y", 80).set("text-anchor", "middle").set("fill", "#777777"),
             "no accuracy, KL, perplexity or speed measured");
  }
  for (size_t i = 0; i < panels.size(); ++i) {
    const std::string letter = panels.size() > 1 ? std::string("(") + static_cast<char>('a' + i) + ") " : "";
    draw_panel(svg, report, panels[i], geometry[i], letter, rotate);
  }
  return svg.finish();
}

void write_accuracy_speed_svg(const std::string& path, const EvalReport& report) {
  write_text_file(path, accuracy_speed_svg(report));
}

}  // namespace llmrun::eval
