// The size/accuracy (Pareto) chart and the reference points it reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "eval/report/charts.h"
#include "eval/report/reference_points.h"
#include "eval/report/write_all.h"
#include "runtime/error.h"
#include "tests/report/svg_inspect.h"
#include "tests/report/temp_dir.h"
#include "tests/test_support.h"

namespace llmrun::eval {
namespace {

using testing::Element;
using testing::elements;
using testing::number;
using testing::with_class;

EvalReport kld_report() {
  EvalReport r;
  r.task = "kld";
  r.baseline = "fp16";
  auto row = [](const char* name, double bits, std::optional<double> kl) {
    PrecisionRow p;
    p.precision = name;
    p.bits_per_weight = bits;
    p.mean_kl = kl;
    return p;
  };
  // fp4 has no KL measured: not a point.
  r.rows = {row("fp16", 19.37, std::nullopt), row("int8", 8.05, 0.00377), row("fp6", 6.05, 0.120),
            row("fp4", 4.0, std::nullopt)};
  r.reference_points = {{"Q8_0", 8.51, 0.00388}, {"Q4_K_M", 6.17, 0.0529}};
  r.reference_label = "llama.cpp";
  return r;
}

std::vector<Element> points(const std::string& svg) {
  std::vector<Element> out = with_class(elements(svg, "circle"), "point");
  for (const Element& e : with_class(elements(svg, "rect"), "point")) out.push_back(e);
  return out;
}

const Element& point(const std::vector<Element>& all, const std::string& name) {
  for (const Element& e : all)
    if (e.at("data-precision") == name) return e;
  throw Error("no point " + name);
}

TEST(ParetoChart, OnePointPerMeasuredPrecisionAndReference) {
  const std::string svg = pareto_svg(kld_report());
  const std::vector<Element> all = points(svg);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(point(all, "int8").at("data-source"), "llmrun");
  EXPECT_EQ(point(all, "Q8_0").at("data-source"), "reference");
  EXPECT_DOUBLE_EQ(number(point(all, "fp6"), "data-kl"), 0.12);
  EXPECT_DOUBLE_EQ(number(point(all, "Q4_K_M"), "data-bits"), 6.17);
  // More bits lie to the right, more KL higher up (smaller y), on a log scale: fp6's KL is
  // 31.8x int8's, Q4_K_M's 14.0x int8's, so Q4_K_M sits log(14)/log(31.8) of the way up.
  const double y_int8 = number(point(all, "int8"), "cy"), y_fp6 = number(point(all, "fp6"), "cy");
  const double y_q4 = number(point(all, "Q4_K_M"), "y") + 4.5;
  EXPECT_GT(number(point(all, "int8"), "cx"), number(point(all, "fp6"), "cx"));
  EXPECT_GT(y_int8, y_fp6);
  EXPECT_NEAR((y_int8 - y_q4) / (y_int8 - y_fp6), std::log(0.0529 / 0.00377) / std::log(0.120 / 0.00377), 0.01);
}

// The frontier joins the points nothing beats on both axes: Q8_0 (8.51 bits, KL 0.00388)
// loses to int8 (8.05, 0.00377); fp6, Q4_K_M and int8 remain.
TEST(ParetoChart, FrontierSkipsDominatedPoints) {
  const std::string svg = pareto_svg(kld_report());
  const std::vector<Element> line = with_class(elements(svg, "polyline"), "frontier");
  ASSERT_EQ(line.size(), 1u);
  const std::string& pts = line[0].at("points");
  EXPECT_EQ(std::count(pts.begin(), pts.end(), ','), 3) << pts;
}

TEST(ParetoChart, MixedPlansOfOneFormatAreLabelledShort) {
  EvalReport report = kld_report();
  report.rows[2].precision = "mixed:attn=fp6-e2m3-g32,mlp=fp6-e2m3-g32,embed=fp6-e2m3-g32";
  report.rows[3].precision = "mixed:attn=int8,mlp=fp6";
  report.rows[3].mean_kl = 0.05;
  const std::string svg = pareto_svg(report);
  EXPECT_NE(svg.find(">fp6-e2m3-g32 +emb<"), std::string::npos);
  EXPECT_NE(svg.find(">mixed:attn=int8,mlp=fp6<"), std::string::npos);  // 23 characters: kept whole
  EXPECT_NE(svg.find("data-precision=\"mixed:attn=fp6-e2m3-g32,mlp=fp6-e2m3-g32,embed=fp6-e2m3-g32\""),
            std::string::npos);
}

// A plan file's point is named by the file, not by its long folder.
TEST(ParetoChart, PlanFilesAreLabelledByFileName) {
  EvalReport report = kld_report();
  report.rows[2].precision = "@/home/user/llmrun-plans/smollm2-135m/plan-6.5+emb.json";
  report.rows[3].precision = "@plan-8.json";
  report.rows[3].mean_kl = 0.05;
  const std::string svg = pareto_svg(report);
  EXPECT_NE(svg.find(">plan-6.5+emb<"), std::string::npos);
  EXPECT_NE(svg.find(">plan-8<"), std::string::npos);
  EXPECT_NE(svg.find("data-precision=\"@/home/user/llmrun-plans/smollm2-135m/plan-6.5+emb.json\""), std::string::npos);
}

TEST(ParetoChart, WellFormedWithHostileNamesAndWrittenForKlReportsOnly) {
  LLMRUN_REQUIRE_TOOL("xmllint", "libxml2-utils");
  TempDir dir;
  EvalReport report = kld_report();
  report.rows[1].precision = "<int8 & \"x\">";
  report.reference_points[0].label = "Q8_0 </svg>";
  const std::vector<std::string> written = write_all(dir.path(), report);
  ASSERT_EQ(written.back(), dir.path() + "/pareto.svg");
  const auto r = llmrun::testing::run_command("xmllint --noout '" + written.back() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (PrecisionRow& row : report.rows) row.mean_kl.reset();
  for (const std::string& path : write_all(dir.path() + "/nokl", report))
    EXPECT_EQ(path.find("pareto"), std::string::npos) << path;
}

std::string file_with(const TempDir& dir, const std::string& text) {
  const std::string path = dir.path() + "/points.csv";
  std::ofstream(path) << text;
  return path;
}

TEST(ReferencePoints, ReadsRowsSkippingHeaderAndComments) {
  TempDir dir;
  const auto pts = read_reference_points(
      file_with(dir, "label,bits_per_weight,mean_kl\n# llama.cpp 7d56da7\nQ8_0,8.51,0.00388\r\n\nQ6_K,8.12,0.00909\n"));
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[1].label, "Q6_K");
  EXPECT_DOUBLE_EQ(pts[0].bits_per_weight, 8.51);
  EXPECT_DOUBLE_EQ(pts[1].mean_kl, 0.00909);
}

TEST(ReferencePoints, BadRowsNameFileAndLine) {
  TempDir dir;
  const std::pair<std::string, std::string> cases[] = {
      {"Q8_0,8.51,0.1\nQ6_K,abc,0.1\n", ":2: bits_per_weight 'abc' is not a finite number"},
      {"Q8_0,8.51\n", ":1: expected label,bits_per_weight,mean_kl"},
      {"Q8_0,8.51,0.1,7\n", ":1: expected label,bits_per_weight,mean_kl"},
      {"Q8_0,8.51,-1\n", ":1: mean_kl must be >= 0"},
      {"Q8_0,0,0.1\n", ":1: bits_per_weight must be in (0, 64]"},
      {",8,0.1\n", ":1: empty label"},
      {"Q8_0,8,nan\n", ":1: mean_kl 'nan' is not a finite number"},
      {"# nothing\n", ": no reference points"},
  };
  for (const auto& [text, message] : cases) {
    const std::string path = file_with(dir, text);
    try {
      read_reference_points(path);
      ADD_FAILURE() << text << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), path + message);
    }
  }
  EXPECT_THROW(read_reference_points(dir.path() + "/missing.csv"), Error);
}

}  // namespace
}  // namespace llmrun::eval
