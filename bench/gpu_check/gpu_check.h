#pragma once
// The GPU check's results (scripts/gpu-check.sh, docs/GPU_CHECK.md): collect() turns the
// check's work folder into results.json; summary_table() renders results.json as the one
// Markdown table the check ends with (check | result | figure | target), with each target of
// the CUDA backend evaluated from the numbers: pass, fail, or n/a when a number is missing.
//
// The work folder, written by gpu-check.sh (paths relative to it):
//   env.txt                 key=value lines: gpu_name, driver, memory_total_mib,
//                           compute_cap, budget_s, elapsed_s, started, bundle (MANIFEST line)
//   stages/NNN.json         one record per stage in the order run: {name, kind, rc, seconds,
//                           limit_s, timed_out, log, skipped?, ...kind's own fields below}
//   logs/*.log              each stage's stdout + stderr
//   kind ceilings           output: JSON of bench_gpu_ceilings (or the torch fallback)
//   kind conformance        binary, output: gtest JSON (--gtest_output=json:...)
//   kind sanitizer          tool: memcheck | racecheck (the summary line is read from the log)
//   kind greedy             precision, device, tokens, output: the generated ids
//   kind logits             model, device, output: raw float32 logits
//   kind random_model       model_dir (its config.json is copied in as model_config)
//   kind bench              label, precision, prompt_len, gen_len, output: llmeval's
//                           results.json, gpu_memory: MiB used, one nvidia-smi sample a line
//   kind sampling           mode: greedy | sampled (llmrun --stats line read from the log)
//   kind peer               output: JSON of scripts/gpu_check/hf_peer_bench.py
#include <nlohmann/json.hpp>
#include <string>

namespace llmrun::gpu_check {

// results.json (schema "llmrun-gpu-check/1"): env, gpu, ceilings, stages (each with a
// status pass|fail|timeout|skipped and the log's most telling line as message),
// conformance, sanitizer, greedy, logits, model_config, bench, sampling, peer. A missing
// or unreadable output leaves its section without that number and says why in the
// stage's message. Throws std::runtime_error when work_dir has no stages/ folder.
nlohmann::ordered_json collect(const std::string& work_dir);

// The table, ending in a newline. Throws std::runtime_error on a results.json of another schema.
std::string summary_table(const nlohmann::json& results);

}  // namespace llmrun::gpu_check
