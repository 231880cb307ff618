// The SVG charts: parsed by a real XML parser (xmllint), rendered by a real renderer
// (rsvg-convert), and their marks read back: one bar per precision per panel carrying
// the right value, heights proportional to values, one heatmap cell per tensor.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "eval/report/charts.h"
#include "eval/report/write_all.h"
#include "runtime/error.h"
#include "tests/report/sample_reports.h"
#include "tests/report/svg_inspect.h"
#include "tests/report/temp_dir.h"

namespace llmrun::eval {
namespace {

using testing::Element;
using testing::elements;
using testing::number;
using testing::with_class;
using llmrun::testing::run_command;

std::vector<Element> bars(const std::string& svg, const std::string& panel) {
  std::vector<Element> out;
  for (const Element& e : with_class(elements(svg, "rect"), "bar"))
    if (e.at("data-panel") == panel) out.push_back(e);
  return out;
}

void expect_well_formed(const std::string& path) {
  const auto r = run_command("xmllint --noout '" + path + "'");
  EXPECT_EQ(r.exit_code, 0) << path << ":\n" << r.output;
  EXPECT_EQ(r.output, "") << path;
}

// An attribute as xmllint's XPath reads it, entities resolved by the parser.
std::string xpath_string(const std::string& path, const std::string& expression) {
  const auto r = run_command("xmllint --xpath \"string(" + expression + ")\" '" + path + "'", false);
  EXPECT_EQ(r.exit_code, 0) << expression;
  std::string value = r.output;
  if (!value.empty() && value.back() == '\n') value.pop_back();  // xmllint ends the line
  return value;
}

TEST(AccuracySpeedChart, OneBarPerPrecisionPerPanelWithItsValue) {
  const EvalReport report = testing::lambada_report();
  const std::string svg = accuracy_speed_svg(report);

  const std::vector<Element> quality = bars(svg, "quality");
  const std::vector<Element> speed = bars(svg, "speedup");
  ASSERT_EQ(quality.size(), 3u);
  ASSERT_EQ(speed.size(), 3u);
  const double expected_speedup[] = {1.0, 2301.3 / 1534.2, 2750 / 1534.2};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(report.rows[i].precision);
    EXPECT_EQ(quality[i].at("data-precision"), report.rows[i].precision);
    EXPECT_EQ(quality[i].at("data-metric"), "accuracy");
    EXPECT_EQ(number(quality[i], "data-value"), *report.rows[i].accuracy);
    EXPECT_EQ(speed[i].at("data-precision"), report.rows[i].precision);
    EXPECT_NEAR(number(speed[i], "data-value"), expected_speedup[i], 1e-12);
    // The same precision has the same color in both panels, and a color of its own.
    EXPECT_EQ(quality[i].at("fill"), speed[i].at("fill"));
    for (size_t k = 0; k < i; ++k) EXPECT_NE(quality[i].at("fill"), quality[k].at("fill"));
  }
  // Three accuracy error bars; none on speed.
  EXPECT_EQ(with_class(elements(svg, "g"), "error-bar").size(), 3u);
  // Precision names under the bars, once per panel.
  EXPECT_EQ(with_class(elements(svg, "text"), "precision-label").size(), 6u);
}

TEST(AccuracySpeedChart, BarHeightsAreProportionalToValues) {
  const EvalReport report = testing::lambada_report();
  const std::string svg = accuracy_speed_svg(report);
  for (const char* panel : {"quality", "speedup"}) {
    SCOPED_TRACE(panel);
    const std::vector<Element> b = bars(svg, panel);
    ASSERT_EQ(b.size(), 3u);
    // Bars stand on one axis at zero, so height / value is the same for every bar
    // (coordinates are written to 0.01 px: relative error < 1e-4 at these heights).
    for (size_t i = 0; i < 3; ++i)
      EXPECT_NEAR(number(b[i], "y") + number(b[i], "height"), number(b[0], "y") + number(b[0], "height"), 0.011);
    for (size_t i = 1; i < 3; ++i) {
      const double height_ratio = number(b[i], "height") / number(b[0], "height");
      const double value_ratio = number(b[i], "data-value") / number(b[0], "data-value");
      EXPECT_NEAR(height_ratio, value_ratio, 2e-4 * value_ratio);
    }
  }
  // The dashed 1.0x line passes through the top of the baseline's speedup bar (1.0x).
  const std::vector<Element> lines = with_class(elements(svg, "line"), "reference");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("stroke-dasharray"), "6 4");
  EXPECT_NEAR(number(lines[0], "y1"), number(bars(svg, "speedup")[0], "y"), 0.011);
}

TEST(AccuracySpeedChart, QualityFallsBackToKlThenPerplexity) {
  EvalReport report = testing::lambada_report();
  for (PrecisionRow& r : report.rows) r.accuracy.reset();
  report.rows[1].mean_kl = 0.02;
  report.rows[2].mean_kl = 0.05;
  std::vector<Element> b = bars(accuracy_speed_svg(report), "quality");
  ASSERT_EQ(b.size(), 2u);  // the baseline has no KL against itself: no bar
  EXPECT_EQ(b[0].at("data-metric"), "mean_kl");
  EXPECT_EQ(b[0].at("data-precision"), "int8");
  EXPECT_NEAR(number(b[1], "height") / number(b[0], "height"), 2.5, 2.5 * 2e-4);
  EXPECT_NE(accuracy_speed_svg(report).find("mean KL vs fp16"), std::string::npos);  // axis label

  for (PrecisionRow& r : report.rows) r.mean_kl.reset();
  b = bars(accuracy_speed_svg(report), "quality");
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[2].at("data-metric"), "perplexity");
  EXPECT_EQ(number(b[2], "data-value"), 19.2);
}

TEST(AccuracySpeedChart, BenchHasOnlyTheSpeedupPanel) {
  const std::string svg = accuracy_speed_svg(testing::bench_report());
  EXPECT_TRUE(bars(svg, "quality").empty());
  const std::vector<Element> b = bars(svg, "speedup");
  ASSERT_EQ(b.size(), 3u);
  EXPECT_NEAR(number(b[2], "data-value"), 70.3 / 40, 1e-12);  // decode tok/s ratio
}

TEST(AccuracySpeedChart, WellFormedWithHostileNames) {
  LLMRUN_REQUIRE_TOOL("xmllint", "libxml2-utils");
  EvalReport report = testing::lambada_report();
  report.model = "models/<x>&\"y\"";
  report.rows[1].precision = "a<b&\"c\"";
  report.rows[2].precision = "@plan.json";
  report.rows.push_back(report.rows[2]);
  report.rows[3].precision = "mixed:attn=fp8,mlp=fp6,\x01" "down=int8 'quoted' and a very long tail";
  TempDir dir;
  const std::string path = dir.path() + "/chart.svg";
  write_accuracy_speed_svg(path, report);
  expect_well_formed(path);
  // A real parser reads the names back exactly (the control character is replaced).
  EXPECT_EQ(xpath_string(path, "(//*[local-name()='rect'][@class='bar'])[2]/@data-precision"), "a<b&\"c\"");
  EXPECT_EQ(xpath_string(path, "(//*[local-name()='rect'][@class='bar'])[3]/@data-precision"), "@plan.json");
  EXPECT_EQ(xpath_string(path, "(//*[local-name()='rect'][@class='bar'])[4]/@data-precision"),
            "mixed:attn=fp8,mlp=fp6,\xEF\xBF\xBD" "down=int8 'quoted' and a very long tail");
  EXPECT_EQ(xpath_string(path, "count(//*[local-name()='rect'][@class='bar'])"), "8");
}

TEST(SensitivityChart, OneCellPerLayerAndProjectionOnALogScale) {
  const SensitivityGrid grid = testing::sample_grid();
  const std::string svg = sensitivity_svg(grid);
  const std::vector<Element> cells = with_class(elements(svg, "rect"), "cell");
  ASSERT_EQ(cells.size(), 4u * 7u);
  std::set<std::pair<std::string, std::string>> seen;
  for (const Element& c : cells) {
    const size_t layer = std::stoul(c.at("data-layer"));
    const std::string& projection = c.at("data-projection");
    const size_t p = std::find(grid.projections.begin(), grid.projections.end(), projection) - grid.projections.begin();
    ASSERT_LT(layer, 4u);
    ASSERT_LT(p, 7u);
    EXPECT_EQ(number(c, "data-value"), grid.kl[layer][p]);
    seen.insert({c.at("data-layer"), projection});
  }
  EXPECT_EQ(seen.size(), 28u);
  // The scale spans whole decades 1e-5 .. 1e-2, so the ends get viridis' end colors
  // (#440154 dark purple, #fde725 yellow); zero and negative KL sit at the bottom.
  auto fill_of = [&](size_t layer, size_t p) {
    for (const Element& c : cells)
      if (c.at("data-layer") == std::to_string(layer) && c.at("data-projection") == grid.projections[p])
        return c.at("fill");
    return std::string();
  };
  EXPECT_EQ(fill_of(0, 0), "#440154");
  EXPECT_EQ(fill_of(3, 2), "#fde725");
  EXPECT_EQ(fill_of(3, 3), "#440154");
  EXPECT_EQ(fill_of(3, 4), "#440154");
  // 1e-3.5 is not in the grid, but 1e-4 sits a third up: between the 3rd and 4th stops.
  EXPECT_NE(fill_of(1, 0), fill_of(0, 0));
  // Tick labels, one per decade, and tooltips on every cell.
  for (const char* tick : {">1e-5<", ">1e-4<", ">0.001<", ">0.01<"}) EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  EXPECT_NE(svg.find("<title>layer 2 · v: KL increase 0.00300</title>"), std::string::npos);
}

TEST(SensitivityChart, WellFormedWithHostileProjectionNames) {
  LLMRUN_REQUIRE_TOOL("xmllint", "libxml2-utils");
  SensitivityGrid grid = testing::sample_grid();
  grid.format = "mixed:<fp8>&\"fp6\"";
  grid.projections[0] = "<q&k>";
  grid.kl[1][1] = std::nan("");
  TempDir dir;
  const std::string path = dir.path() + "/sensitivity.svg";
  write_sensitivity_svg(path, grid);
  expect_well_formed(path);
  EXPECT_EQ(xpath_string(path, "count(//*[local-name()='rect'][@class='cell'])"), "28");
  EXPECT_EQ(xpath_string(path, "(//*[local-name()='rect'][@class='cell'])[1]/@data-projection"), "<q&k>");
}

TEST(SensitivityChart, RaggedGridIsAnErrorNamingThePath) {
  SensitivityGrid grid = testing::sample_grid();
  grid.kl[2].pop_back();
  try {
    write_sensitivity_svg("/tmp/out/sensitivity.svg", grid);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "/tmp/out/sensitivity.svg: sensitivity grid: layer 2 has 6 values for 7 projections");
  }
}

// rsvg-convert renders at the SVG's own size; a chart must differ clearly from a blank
// canvas of that size (a PNG of flat white compresses to almost nothing).
void expect_renders(const std::string& svg_path, const std::string& dir) {
  const std::string svg = llmrun::testing::read_file(svg_path);
  const Element root = elements(svg, "svg").at(0);
  const auto width = static_cast<uint32_t>(std::lround(number(root, "width")));
  const auto height = static_cast<uint32_t>(std::lround(number(root, "height")));
  const std::string png = svg_path + ".png";
  auto r = run_command("rsvg-convert -o '" + png + "' '" + svg_path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string image = llmrun::testing::read_file(png);
  EXPECT_EQ(testing::png_size(image), std::make_pair(width, height));

  const std::string blank_svg = dir + "/blank.svg", blank_png = dir + "/blank.png";
  std::ofstream(blank_svg) << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\""
                           << height << "\"><rect width=\"" << width << "\" height=\"" << height
                           << "\" fill=\"#ffffff\"/></svg>";
  r = run_command("rsvg-convert -o '" + blank_png + "' '" + blank_svg + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const size_t blank_size = llmrun::testing::read_file(blank_png).size();
  EXPECT_GT(image.size(), 5 * blank_size) << svg_path << ": " << image.size() << " bytes vs blank " << blank_size;
}

TEST(ChartRendering, RsvgConvertDrawsBothCharts) {
  LLMRUN_REQUIRE_TOOL("rsvg-convert", "librsvg2-bin");
  EvalReport report = testing::lambada_report();
  report.sensitivity.push_back(testing::sample_grid());
  TempDir dir;
  write_all(dir.path(), report);
  expect_renders(dir.path() + "/chart.svg", dir.path());
  expect_renders(dir.path() + "/sensitivity.svg", dir.path());
}

TEST(WriteAll, WritesEveryFileIntoANewDirectory) {
  TempDir dir;
  EvalReport report = testing::lambada_report();
  const std::string out = dir.path() + "/a/b";
  std::vector<std::string> written = write_all(out, report);
  EXPECT_EQ(written, (std::vector<std::string>{out + "/results.json", out + "/results.csv", out + "/chart.svg"}));
  for (const std::string& path : written) EXPECT_GT(std::filesystem::file_size(path), 100u) << path;

  report.sensitivity = {testing::sample_grid()};
  written = write_all(out, report);
  ASSERT_EQ(written.size(), 4u);
  EXPECT_EQ(written[3], out + "/sensitivity.svg");

  report.sensitivity.push_back(testing::sample_grid());
  report.sensitivity[1].format = "mixed:attn=fp8";
  report.sensitivity.push_back(testing::sample_grid());
  written = write_all(out, report);
  ASSERT_EQ(written.size(), 6u);
  EXPECT_EQ(written[3], out + "/sensitivity-fp6.svg");
  EXPECT_EQ(written[4], out + "/sensitivity-mixed_attn_fp8.svg");
  EXPECT_EQ(written[5], out + "/sensitivity-fp6-2.svg");
}

TEST(WriteAll, ADirectoryThatCannotBeMadeIsAOneLineError) {
  TempDir dir;
  const std::string file = dir.path() + "/plain-file";
  std::ofstream(file) << "x";
  try {
    write_all(file + "/out", testing::lambada_report());
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(file + "/out: cannot create directory", 0), 0u) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace llmrun::eval
