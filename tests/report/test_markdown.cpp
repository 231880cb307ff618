// The Markdown table against tables written out by hand.
#include <gtest/gtest.h>

#include "eval/report/markdown.h"
#include "tests/report/sample_reports.h"

namespace llmrun::eval {
namespace {

TEST(MarkdownTable, LambadaReportMatchesHandWrittenTable) {
  // Δacc = (0.41 - 0.4124) * 100 = -0.24 pp; Δppl(int8) = 18.6 - 18.4321 = +0.17;
  // speedup = 2301.3 / 1534.2 = 1.50, 2750 / 1534.2 = 1.79; 1.192e9 B = 1192.0 MB.
  // Empty columns (KL, top-1, prefill, decode, TTFT) are left out; RSS only on fp16.
  const std::string expected =
      "lambada · model: models/qwen3-0.6b · baseline: fp16 · speedup from eval tok/s\n"
      "\n"
      "| precision |        acc % | Δacc pp |   ppl |  Δppl | eval tok/s | speedup | weight MB | bits/w | peak RSS MB |\n"
      "|:----------|-------------:|--------:|------:|------:|-----------:|--------:|----------:|-------:|------------:|\n"
      "| fp16      | 41.24 ± 0.69 |       — | 18.43 |     — |       1534 |   1.00× |    1192.0 |  16.00 |      2500.0 |\n"
      "| int8      | 41.00 ± 0.68 |   -0.24 | 18.60 | +0.17 |       2301 |   1.50× |     600.0 |   8.50 |           — |\n"
      "| fp8       | 39.81 ± 0.68 |   -1.43 | 19.20 | +0.70 |       2750 |   1.79× |     620.0 |   8.25 |           — |\n";
  EXPECT_EQ(markdown_table(testing::lambada_report()), expected);
}

TEST(MarkdownTable, PairedLambadaRowsShowTheDifferencesErrorAndFlips) {
  EvalReport report = testing::lambada_report();
  report.rows[1].delta_accuracy_stderr = 0.0012;
  report.rows[1].passages_gained = 31;
  report.rows[1].passages_lost = 43;
  // -0.24 pp from the accuracies, +- 0.12 from the pairing; fp8 was not paired.
  const std::string expected =
      "lambada · model: models/qwen3-0.6b · baseline: fp16 · speedup from eval tok/s\n"
      "\n"
      "| precision |        acc % |      Δacc pp | passages +/− |   ppl |  Δppl | eval tok/s | speedup | weight MB | bits/w | "
      "peak RSS MB |\n"
      "|:----------|-------------:|-------------:|-------------:|------:|------:|-----------:|--------:|----------:|-------:|"
      "------------:|\n"
      "| fp16      | 41.24 ± 0.69 |            — |            — | 18.43 |     — |       1534 |   1.00× |    1192.0 |  16.00 | "
      "     2500.0 |\n"
      "| int8      | 41.00 ± 0.68 | -0.24 ± 0.12 |    +31 / −43 | 18.60 | +0.17 |       2301 |   1.50× |     600.0 |   8.50 | "
      "          — |\n"
      "| fp8       | 39.81 ± 0.68 |        -1.43 |            — | 19.20 | +0.70 |       2750 |   1.79× |     620.0 |   8.25 | "
      "          — |\n";
  EXPECT_EQ(markdown_table(report), expected);
}

TEST(MarkdownTable, BenchReportShowsOnlySpeedColumns) {
  // Speedup from decode: 61.5 / 40 = 1.5375 -> 1.54, 70.3 / 40 = 1.7575 -> 1.76;
  // TTFT 25 / 3 = 8.33 ms at three significant digits.
  const std::string expected =
      "bench · model: m · baseline: fp16 · speedup from decode tok/s\n"
      "\n"
      "| precision              | prefill tok/s |     decode tok/s | TTFT ms | speedup |\n"
      "|:-----------------------|--------------:|-----------------:|--------:|--------:|\n"
      "| fp16                   |          1000 | 40.0 (39.0–41.5) |    25.0 |   1.00× |\n"
      "| fp8                    |          2000 | 61.5 (60.5–63.0) |    12.5 |   1.54× |\n"
      "| mixed:attn=fp8,mlp=fp6 |          3000 | 70.3 (69.3–71.8) |    8.33 |   1.76× |\n";
  EXPECT_EQ(markdown_table(testing::bench_report()), expected);
}

TEST(MarkdownTable, EmptyColumnsAreDroppedAndTinyDifferencesHaveNoSign) {
  EvalReport report;
  report.task = "kld";
  report.baseline = "fp16";
  PrecisionRow base, same;
  base.precision = "fp16";
  base.accuracy = 0.5;
  same.precision = "fp8|e4m3";  // a pipe must not split the cell
  same.accuracy = 0.5 - 1e-7;   // -0.00001 pp: prints 0.00, never -0.00
  same.mean_kl = 2.34e-5;
  same.top1_agreement = 0.9876;
  report.rows = {base, same};
  const std::string table = markdown_table(report);
  EXPECT_EQ(table,
            "kld · baseline: fp16\n"
            "\n"
            "| precision | acc % | Δacc pp |  mean KL | top-1 % |\n"
            "|:----------|------:|--------:|---------:|--------:|\n"
            "| fp16      | 50.00 |       — |        — |       — |\n"
            "| fp8\\|e4m3 | 50.00 |    0.00 | 2.34e-05 |   98.76 |\n");
  EXPECT_EQ(table.find("-0.00"), std::string::npos);
}

TEST(MarkdownTable, NoRowsGivesHeaderOnly) {
  EvalReport report;
  report.task = "bench";
  EXPECT_EQ(markdown_table(report), "bench\n\n| precision |\n|:----------|\n");
}

}  // namespace
}  // namespace llmrun::eval
