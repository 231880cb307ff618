// llmeval bench and llmeval hw.
#include <iostream>

#include "eval/bench.h"
#include "eval/cli/commands.h"
#include "runtime/hardware.h"

namespace llmrun::eval {

int run_bench(const CommonOptions& common, const BenchOptions& o) {
  EvalContext ctx(common);
  const std::vector<std::string> precisions = precision_list(common.precisions, common.baseline);
  EvalReport report = ctx.new_report("bench");
  report.info["settings"] = "prompt " + std::to_string(o.prompt_len) + ", generate " + std::to_string(o.gen_len) +
                            ", median of " + std::to_string(o.reps) + " after 1 warm-up";
  for (const std::string& p : precisions) {
    reset_peak_rss();
    LoadedModel m = ctx.load(p);
    const BenchResult b = bench_model(*m.model, {o.prompt_len, o.gen_len, o.reps, 1});
    PrecisionRow row;
    row.precision = p;
    fill_size(row, m.summary);
    row.prefill_tokens_per_second = b.prefill_tps;
    row.decode_tokens_per_second = b.decode_tps;
    row.decode_min = b.decode_min;
    row.decode_max = b.decode_max;
    row.time_to_first_token_ms = b.ttft_ms;
    row.peak_rss_bytes = b.peak_rss_bytes;
    report.rows.push_back(row);
  }
  ctx.finish(report);
  return 0;
}

int run_hw() {
  std::cout << describe_hardware(detect_hardware());
  return 0;
}

}  // namespace llmrun::eval
