// llmeval bench and llmeval hw.
#include <iostream>
#include <memory>

#include "eval/bench.h"
#include "loaders/tokenizer/tokenizer.h"
#include "eval/cli/commands.h"
#include "runtime/backend.h"
#include "runtime/hardware.h"

namespace llmrun::eval {

int run_bench(const CommonOptions& common, const BenchOptions& o) {
  EvalContext ctx(common);
  const std::vector<std::string> precisions = precision_list(common.precisions, common.baseline);
  EvalReport report = ctx.new_report("bench");
  report.info["settings"] = "prompt " + std::to_string(o.prompt_len) + ", generate " + std::to_string(o.gen_len) +
                            ", median of " + std::to_string(o.reps) + " after 1 warm-up";
  // Generated tokens are detokenized as llmrun streams them, when the model has a tokenizer.
  std::unique_ptr<Tokenizer> tokenizer;
  try {
    tokenizer = load_tokenizer(ctx.model_dir());
  } catch (const Error&) {
    // A weights-only checkpoint: the end-to-end pass samples without detokenizing.
  }
  report.info["generate"] = std::string("sampled (temperature 0.6, top-k 20, top-p 0.95)") +
                            (tokenizer ? ", detokenized" : ", no tokenizer: not detokenized");
  for (const std::string& p : precisions) {
    reset_peak_rss();
    LoadedModel m = ctx.load(p);
    BenchSettings settings;
    settings.prompt_len = o.prompt_len, settings.gen_len = o.gen_len, settings.reps = o.reps;
    std::unique_ptr<StreamingDecoder> text;
    if (tokenizer) {
      text = std::make_unique<StreamingDecoder>(*tokenizer, StreamingDecoder::Options{});
      settings.on_token = [&](int32_t id) { text->push(id); };  // the text a user would see, then dropped
    }
    const BenchResult b = bench_model(*m.model, settings);
    PrecisionRow row;
    row.precision = p;
    fill_size(row, m.summary);
    row.prefill_tokens_per_second = b.prefill_tps;
    row.decode_tokens_per_second = b.decode_tps;
    row.decode_min = b.decode_min;
    row.decode_max = b.decode_max;
    row.generate_tokens_per_second = b.generate_tps;
    row.time_to_first_token_ms = b.ttft_ms;
    row.peak_rss_bytes = b.peak_rss_bytes;
    report.rows.push_back(row);
  }
  ctx.finish(report);
  return 0;
}

int run_hw() {
  const HardwareInfo hw = detect_hardware();
  std::cout << describe_hardware(hw);
  // What each backend of this build says it runs (Backend::supports), per format and
  // activation dtype: nothing here is claimed that the backend would refuse.
  std::vector<std::string> devices = {"cpu", "cuda-host"};
  if (!hw.cuda_devices.empty()) devices.insert(devices.begin() + 1, "cuda");
  std::cout << "Backends (format: activation dtypes the linear op runs with):\n";
  for (const std::string& d : devices) {
    std::unique_ptr<Backend> b = make_backend({d, 1});
    std::cout << "  " << b->name() << "\n";
    for (const CodecRecord* c : all_codecs()) {
      std::string acts;
      for (TensorType t : {TensorType::f32, TensorType::bf16, TensorType::f16})
        if (b->supports(Op::linear, c->format, t)) acts += std::string(acts.empty() ? "" : ", ") + tensor_type_name(t);
      std::cout << "    " << c->name << ": " << (acts.empty() ? "not supported" : acts) << "\n";
    }
  }
  return 0;
}

}  // namespace llmrun::eval
