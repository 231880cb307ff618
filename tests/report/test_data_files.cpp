// results.json read back with nlohmann, results.csv against lines written by hand.
#include <nlohmann/json.hpp>

#include "eval/report/data_files.h"
#include "runtime/error.h"
#include "tests/report/sample_reports.h"
#include "tests/report/temp_dir.h"
#include "tests/test_support.h"

namespace llmrun::eval {
namespace {

template <class T>
void expect_optional(const nlohmann::json& j, const std::optional<T>& v, const char* key) {
  ASSERT_TRUE(j.contains(key)) << key;
  if (v) {
    EXPECT_EQ(j[key].get<T>(), *v) << key;
  } else {
    EXPECT_TRUE(j[key].is_null()) << key;
  }
}

TEST(ResultsJson, ReadsBackWithTheSameValues) {
  EvalReport report = testing::lambada_report();
  report.rows[1].mean_kl = 0.0123;
  report.rows[1].top1_agreement = 0.97;
  report.rows[1].delta_accuracy_stderr = 0.0012;
  report.rows[1].passages_gained = 31;
  report.rows[1].passages_lost = 43;
  report.rows[2].precision = "mixed:attn=fp8,mlp=\"fp6\"";
  report.sensitivity.push_back(testing::sample_grid());
  TempDir dir;
  const std::string path = dir.path() + "/results.json";
  write_json(path, report);

  const nlohmann::json j = nlohmann::json::parse(llmrun::testing::read_file(path));
  EXPECT_EQ(j["task"], "lambada");
  EXPECT_EQ(j["model"], "models/qwen3-0.6b");
  EXPECT_EQ(j["baseline"], "fp16");
  EXPECT_EQ(j["info"]["hardware"], "test machine");
  EXPECT_EQ(j["info"]["git_commit"], "abc1234");
  ASSERT_EQ(j["rows"].size(), report.rows.size());
  for (size_t i = 0; i < report.rows.size(); ++i) {
    const PrecisionRow& r = report.rows[i];
    const nlohmann::json& row = j["rows"][i];
    SCOPED_TRACE(r.precision);
    EXPECT_EQ(row["precision"], r.precision);
    EXPECT_EQ(row["weight_bytes"].get<int64_t>(), r.weight_bytes);
    EXPECT_EQ(row["bits_per_weight"].get<double>(), r.bits_per_weight);
    EXPECT_EQ(row["wall_seconds"].get<double>(), r.wall_seconds);
    expect_optional(row, r.accuracy, "accuracy");
    expect_optional(row, r.accuracy_stderr, "accuracy_stderr");
    expect_optional(row, r.delta_accuracy_stderr, "delta_accuracy_stderr");
    expect_optional(row, r.passages_gained, "passages_gained");
    expect_optional(row, r.passages_lost, "passages_lost");
    if (r.passages_gained) {
      EXPECT_TRUE(row["passages_gained"].is_number_integer());
    }
    expect_optional(row, r.perplexity, "perplexity");
    expect_optional(row, r.delta_perplexity, "delta_perplexity");
    expect_optional(row, r.mean_kl, "mean_kl");
    expect_optional(row, r.p99_kl, "p99_kl");
    expect_optional(row, r.top1_agreement, "top1_agreement");
    expect_optional(row, r.eval_tokens_per_second, "eval_tokens_per_second");
    expect_optional(row, r.prefill_tokens_per_second, "prefill_tokens_per_second");
    expect_optional(row, r.decode_tokens_per_second, "decode_tokens_per_second");
    expect_optional(row, r.decode_min, "decode_min");
    expect_optional(row, r.decode_max, "decode_max");
    expect_optional(row, r.generate_tokens_per_second, "generate_tokens_per_second");
    expect_optional(row, r.time_to_first_token_ms, "time_to_first_token_ms");
    expect_optional(row, r.peak_rss_bytes, "peak_rss_bytes");
    EXPECT_EQ(row.size(), 22u);  // every PrecisionRow field, nothing else
  }
  ASSERT_EQ(j["sensitivity"].size(), 1u);
  EXPECT_EQ(j["sensitivity"][0]["format"], "fp6");
  EXPECT_EQ(j["sensitivity"][0]["projections"].get<std::vector<std::string>>(), report.sensitivity[0].projections);
  EXPECT_EQ(j["sensitivity"][0]["kl"].get<std::vector<std::vector<double>>>(), report.sensitivity[0].kl);
}

TEST(ResultsCsv, HeaderAndRfc4180Quoting) {
  EvalReport report;
  PrecisionRow row;
  row.precision = "a,\"b\"";
  row.weight_bytes = 1000;
  row.bits_per_weight = 8.5;
  row.accuracy = 0.5;
  row.wall_seconds = 2.25;
  PrecisionRow plain;
  plain.precision = "int8";
  plain.mean_kl = 1e-5;
  PrecisionRow multiline;
  multiline.precision = "x\ny";
  report.rows = {row, plain, multiline};

  TempDir dir;
  const std::string path = dir.path() + "/results.csv";
  write_csv(path, report);
  const std::string expected =
      "precision,weight_bytes,bits_per_weight,accuracy,accuracy_stderr,delta_accuracy_stderr,passages_gained,"
      "passages_lost,perplexity,delta_perplexity,mean_kl,"
      "p99_kl,top1_agreement,eval_tokens_per_second,prefill_tokens_per_second,decode_tokens_per_second,"
      "decode_min,decode_max,generate_tokens_per_second,time_to_first_token_ms,peak_rss_bytes,wall_seconds\r\n"
      // 17 absent optionals between accuracy and wall_seconds: 18 commas.
      "\"a,\"\"b\"\"\",1000,8.5,0.5,,,,,,,,,,,,,,,,,,2.25\r\n"
      "int8,0,0,,,,,,,,1e-05,,,,,,,,,,,0\r\n"
      "\"x\ny\",0,0,,,,,,,,,,,,,,,,,,,0\r\n";
  EXPECT_EQ(llmrun::testing::read_file(path), expected);
}

TEST(ResultsFiles, UnwritablePathIsAOneLineErrorNamingIt) {
  const std::string path = "/nonexistent-dir/results.json";
  try {
    write_json(path, testing::lambada_report());
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(path + ": cannot write:", 0), 0u) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace llmrun::eval
