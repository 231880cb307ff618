// The command lines end to end: outputs against independent goldens, and every bad
// input answered with one line naming the culprit and a non-zero exit.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/cli/random_checkpoint.h"
#include "tests/model/golden.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

using testing::bin;
using testing::run_command;

std::string llmrun_cmd(const std::string& args) { return bin("llmrun") + " " + args; }
std::string llmeval_cmd(const std::string& args) { return bin("llmeval") + " " + args; }

// Error output is exactly one "error:" line (plus the usage hint for flag errors).
void expect_one_line_error(const testing::CommandResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
  size_t errors = 0;
  for (size_t p = r.output.find("error:"); p != std::string::npos; p = r.output.find("error:", p + 1)) ++errors;
  EXPECT_EQ(errors, 1u) << r.output;
}

TEST(LlmrunCli, GreedyIdsOnStories260kMatchGolden) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  auto r = run_command(llmrun_cmd("--model " + dir + " --prompt-ids 1 -n 200 --temp 0"), false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string expected = testing::read_file(dir + "/expected_greedy.ids.txt");
  while (!expected.empty() && std::isspace(static_cast<unsigned char>(expected.back()))) expected.pop_back();
  EXPECT_EQ("1 " + r.output, expected + "\n");
}

// The CUDA backend's own code with its kernels on the host harness, end to end through the
// CLI: the same greedy ids as the CPU backend (all 200 at the checkpoint's fp32; the first 30
// with fp16 and int8 weights, where near-ties may flip later).
TEST(LlmrunCli, CudaHostDeviceGivesTheCpuIds) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  for (const auto& [precision, n] : {std::pair<std::string, int>{"auto", 200}, {"fp16", 30}, {"int8", 30}}) {
    const std::string args = "--model " + dir + " --prompt-ids 1 --temp 0 --precision " + precision + " -n " +
                             std::to_string(n);
    auto cpu = run_command(llmrun_cmd(args + " --device cpu"), false);
    auto dev = run_command(llmrun_cmd(args + " --device cuda-host"), false);
    ASSERT_EQ(cpu.exit_code, 0) << cpu.output;
    ASSERT_EQ(dev.exit_code, 0) << dev.output;
    EXPECT_EQ(dev.output, cpu.output) << precision;
  }
}

// Every kernel family this CPU runs, chosen with --cpu-isa, gives the checkpoint's golden
// greedy ids (the SIMD families round differently from the scalar reference: the first 60).
TEST(LlmrunCli, EveryCpuKernelFamilyGivesTheGoldenIds) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  std::string expected = testing::read_file(dir + "/expected_greedy.ids.txt");
  std::istringstream golden(expected);
  std::string first_ids, id;
  for (int i = 0; i < 61 && golden >> id; ++i) first_ids += (i ? " " : "") + id;
  for (const char* isa : {"scalar", "avx2", "avx512"}) {
    auto r = run_command(llmrun_cmd("--model " + dir + " --prompt-ids 1 -n 60 --temp 0 --device cpu --cpu-isa " + isa),
                         false);
    if (r.exit_code != 0 && r.output.find("cannot run the") != std::string::npos) continue;  // not on this CPU
    ASSERT_EQ(r.exit_code, 0) << isa << ": " << r.output;
    EXPECT_EQ("1 " + r.output, first_ids + "\n") << isa;
  }
}

TEST(LlmrunCli, BadInputs) {
  const std::string model = testing::test_data("models/qwen3-tiny");
  expect_one_line_error(run_command(llmrun_cmd("--prompt-ids 1")), 2, "--model");
  expect_one_line_error(run_command(llmrun_cmd("--model /nonexistent/m --prompt-ids 1")), 1,
                        "--model /nonexistent/m: not found (looked in");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1,x")), 2,
                        "--prompt-ids: 'x' is not a token id");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --temp -1")), 2,
                        "--temp must be >= 0");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --top-p 1.5")), 2,
                        "--top-p must be in (0, 1]");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --precision fp5")), 2,
                        "unknown precision 'fp5'");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --bogus")), 2, "--bogus");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 9999")), 1,
                        "token id 9999 is out of range");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --device tpu")), 1,
                        "--device tpu: unknown device");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --device cuda:x")), 1,
                        "--device cuda:x");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --device cpu --activations bf16")),
                        1, "--activations bf16: the CPU backend computes in f32");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --activations f8")), 1,
                        "--activations f8: unknown");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --device cpu --cpu-isa sse9")), 1,
                        "--cpu-isa sse9: unknown (valid: auto, avx512, avx2, scalar)");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --device cuda-host --cpu-isa avx2")),
                        1, "--cpu-isa avx2: only the CPU backend has kernel families");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1,2,3 --ctx 3")), 1,
                        "do not fit a context of 3");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 -n -5")), 2,
                        "--max-tokens: must be a whole number >= 0, got '-5'");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --ctx 0")), 2,
                        "--ctx: must be a whole number >= 1, got '0'");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 --threads 2.5")), 2,
                        "--threads: must be a whole number >= 0, got '2.5'");
  expect_one_line_error(run_command(llmrun_cmd("--model " + model + " -f " + ::testing::TempDir())), 1,
                        "is a folder, not a file");
}

// A context far beyond memory (a config allowing 2^31 - 1 positions, and --ctx asking for
// them) is refused before allocating, saying how much it needs and what fits.
TEST(LlmrunCli, KvCacheBeyondMemoryIsAnError) {
  namespace fs = std::filesystem;
  const std::string dir = ::testing::TempDir() + "llmrun_cli_long_context";
  fs::remove_all(dir);
  fs::copy(testing::test_data("models/qwen3-tiny"), dir);
  std::string config = testing::read_file(dir + "/config.json");
  const size_t at = config.find("\"max_position_embeddings\"");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, config.find_first_of(",}", at) - at, "\"max_position_embeddings\": 2147483647");
  std::ofstream(dir + "/config.json") << config;
  expect_one_line_error(run_command(llmrun_cmd("--model " + dir + " --prompt-ids 1 --ctx 2147483647")), 1,
                        "KV cache for a context of 2147483647 tokens needs 3072.0 GiB");
}

// A copy of qwen3-tiny with one file's bytes replaced (same length, so offsets stay valid).
std::string patched_copy(const std::string& name, const std::string& file, const std::string& from,
                         const std::string& to) {
  namespace fs = std::filesystem;
  const std::string dir = ::testing::TempDir() + name;
  fs::remove_all(dir);
  fs::copy(testing::test_data("models/qwen3-tiny"), dir);
  std::string bytes = testing::read_file(dir + "/" + file);
  const size_t at = bytes.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) bytes.replace(at, from.size(), to);
  std::ofstream(dir + "/" + file, std::ios::binary) << bytes;
  return dir;
}

// Values from generation_config.json are reported as that file's, not as flags.
TEST(LlmrunCli, GenerationConfigValuesAreReportedAsTheFiles) {
  const std::string dir =
      patched_copy("llmrun_cli_gen_config", "generation_config.json", "{", "{\"temperature\": -1, ");
  auto r = run_command(llmrun_cmd("--model " + dir + " --prompt-ids 1 -n 2"));
  expect_one_line_error(r, 1, "generation_config.json: \"temperature\" must be in [0, 1e+06], got -1");
  EXPECT_EQ(r.output.find("--temp"), std::string::npos) << r.output;
}

// Names from files reach the terminal with control characters escaped: an ESC in a tensor
// name is printed as \x1b, never as an escape sequence.
TEST(LlmrunCli, ControlCharactersInNamesAreEscaped) {
  const std::string dir =
      patched_copy("llmrun_cli_esc_name", "model.safetensors", "\"model.norm.weight\":{\"dtype\":\"BF16\"",
                   "\"model\\u001bweight\":{\"dtype\":\"XF16\"");  // an unknown dtype: the name is reported
  auto r = run_command(llmrun_cmd("--model " + dir + " --prompt-ids 1 -n 2"));
  expect_one_line_error(r, 1, "model\\x1bweight");
  EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << r.output;
}

// -n 0 generates nothing; --threads beyond the cores is capped with a note, not obeyed.
TEST(LlmrunCli, ZeroTokensAndTooManyThreads) {
  const std::string model = testing::test_data("models/qwen3-tiny");
  auto none = run_command(llmrun_cmd("--model " + model + " --prompt-ids 1,5,9 -n 0"), false);
  EXPECT_EQ(none.exit_code, 0) << none.output;
  EXPECT_EQ(none.output, "\n");
  auto capped = run_command(llmrun_cmd("--model " + model + " --prompt-ids 1 -n 2 --threads 100000"));
  EXPECT_EQ(capped.exit_code, 0) << capped.output;
  EXPECT_NE(capped.output.find("note: --threads 100000 capped at the"), std::string::npos) << capped.output;
}

// Weights of 1e18 overflow fp32 inside attention (scores ~1e37 and more): generation stops at the first token
// with an error naming where the first bad value appears, never prints garbage.
TEST(LlmrunCli, NonFiniteLogitsStopGeneration) {
  LLMRUN_REQUIRE_FIXTURE(tokenizer, "models/stories260k");
  const std::string dir = ::testing::TempDir() + "llmrun_cli_huge_weights";
  testing::write_random_llama(dir, tokenizer, 64, 2, 128, 1, 1e18f);
  for (const char* device : {"cpu", "cuda-host"})
    for (const char* temp : {"0", "0.8"}) {
      auto r = run_command(llmrun_cmd("--model " + dir + " --prompt-ids 1,5 -n 4 --device " + device + " --temp " +
                                      temp));
      expect_one_line_error(r, 1, "generated token 1: the logits are not finite (NaN or infinity) (first in ");
    }
}

TEST(LlmrunCli, UnknownArchitectureAndTruncatedCheckpoint) {
  const std::string src = testing::test_data("models/qwen3-tiny");
  const std::string dir = ::testing::TempDir() + "llmrun_cli_broken";
  ASSERT_EQ(std::system(("rm -rf " + dir + " && mkdir -p " + dir + " && cp " + src + "/*.json " + src +
                         "/model.safetensors " + dir).c_str()), 0);
  ASSERT_EQ(std::system(("sed -i 's/Qwen3ForCausalLM/BertModel/' " + dir + "/config.json").c_str()), 0);
  expect_one_line_error(run_command(llmrun_cmd("--model " + dir + " --prompt-ids 1")), 1,
                        "unsupported architecture \"BertModel\"");
  ASSERT_EQ(std::system(("sed -i 's/BertModel/Qwen3ForCausalLM/' " + dir + "/config.json && truncate -s 100000 " +
                         dir + "/model.safetensors").c_str()), 0);
  auto r = run_command(llmrun_cmd("--model " + dir + " --prompt-ids 1"));
  expect_one_line_error(r, 1, "model.safetensors");
  EXPECT_NE(r.output.find("truncated"), std::string::npos) << r.output;
  std::system(("rm -rf " + dir).c_str());
}

// llmeval logits writes [n, vocab] float32 equal to transformers' logits.
TEST(LlmevalCli, LogitsFileMatchesTransformers) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  std::string ids;
  for (int32_t id : g.prompt_ids) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  const std::string out = ::testing::TempDir() + "llmrun_logits.bin";
  auto r = run_command(llmeval_cmd("logits --model " + g.dir + " --ids " + ids + " --out " + out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string bytes = testing::read_file(out);
  const std::vector<float> ref = g.get("logits");
  ASSERT_EQ(bytes.size(), ref.size() * 4);
  std::vector<float> got(ref.size());
  std::memcpy(got.data(), bytes.data(), bytes.size());
  EXPECT_LE(testing::max_abs_diff(got, ref), 1e-4f * testing::max_abs(ref));
  std::remove(out.c_str());
}

// Several --ids: each prompt on a fresh cache, their logits one after another. A prompt's
// first 3 ids give transformers' first 3 rows (causal attention), not rows after the
// prompt before it.
TEST(LlmevalCli, LogitsOfSeveralPromptsFollowOneAnother) {
  const testing::Golden g = testing::load_golden("qwen3-tiny");
  ASSERT_GE(g.prompt_ids.size(), 3u);
  std::string ids, first3;
  for (size_t i = 0; i < g.prompt_ids.size(); ++i) {
    ids += (ids.empty() ? "" : ",") + std::to_string(g.prompt_ids[i]);
    if (i < 3) first3 += (first3.empty() ? "" : ",") + std::to_string(g.prompt_ids[i]);
  }
  const std::string out = ::testing::TempDir() + "llmrun_logits_two.bin";
  auto r = run_command(llmeval_cmd("logits --model " + g.dir + " --ids " + first3 + " --ids " + ids + " --out " + out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<float> ref = g.get("logits");
  const size_t vocab = ref.size() / g.prompt_ids.size();
  std::vector<float> want(ref.begin(), ref.begin() + long(3 * vocab));
  want.insert(want.end(), ref.begin(), ref.end());
  const std::string bytes = testing::read_file(out);
  ASSERT_EQ(bytes.size(), want.size() * 4);
  std::vector<float> got(want.size());
  std::memcpy(got.data(), bytes.data(), bytes.size());
  EXPECT_LE(testing::max_abs_diff(got, want), 1e-4f * testing::max_abs(want));
  std::remove(out.c_str());
  // A malformed list is a usage error; an id the model lacks fails the forward after the
  // first prompt's logits were written, and no partial file is left either way.
  expect_one_line_error(run_command(llmeval_cmd("logits --model " + g.dir + " --ids " + first3 + " --ids 1,x --out " + out)),
                        2, "--ids");
  expect_one_line_error(
      run_command(llmeval_cmd("logits --model " + g.dir + " --ids " + first3 + " --ids 1,99999999 --out " + out)), 1,
      "99999999");
  EXPECT_FALSE(testing::path_exists(out));
  EXPECT_FALSE(testing::path_exists(out + ".tmp"));
}

TEST(LlmevalCli, BadInputs) {
  expect_one_line_error(run_command(llmeval_cmd("")), 2, "subcommand");
  expect_one_line_error(run_command(llmeval_cmd("logits --model /nope --ids 1 --out /tmp/x")), 1, "/nope");
  expect_one_line_error(
      run_command(llmeval_cmd("logits --model " + testing::test_data("models/qwen3-tiny") + " --ids 1 --out /nonexistent-dir/x")),
      1, "/nonexistent-dir/x: cannot open for writing");
  const std::string model = testing::test_data("models/qwen3-tiny");
  expect_one_line_error(run_command(llmeval_cmd("lambada --model " + model + " --batch 0")), 2,
                        "--batch: must be a whole number >= 1, got '0'");
  expect_one_line_error(run_command(llmeval_cmd("bench --model " + model + " --reps -1")), 2,
                        "--reps: must be a whole number >= 1, got '-1'");
}

// Evaluation refuses broken logits with the place they first appear, never scores NaN.
TEST(LlmevalCli, NonFiniteLogitsStopEvaluation) {
  LLMRUN_REQUIRE_FIXTURE(tokenizer, "models/stories260k");
  const std::string dir = ::testing::TempDir() + "llmeval_cli_huge_weights";
  testing::write_random_llama(dir, tokenizer, 64, 2, 128, 1, 1e18f);
  expect_one_line_error(run_command(llmeval_cmd("perplexity --model " + dir + " --precisions fp32 --baseline fp32 --random-tokens 64 --ctx 32")), 1,
                        "perplexity window at token 0: the logits are not finite");
}

}  // namespace
}  // namespace llmrun
