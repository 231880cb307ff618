#pragma once
// Pieces shared by the llmrun and llmeval command lines.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "runtime/backend.h"
#include "runtime/error.h"

namespace llmrun::cli {

// A bad flag value: reported with a usage hint and exit code 2, like CLI11's own errors.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Runs check (which may throw llmrun::Error about a flag value) and rethrows its error
// as a UsageError.
void as_usage_error(const std::function<void()>& check);

// "1,2,3" -> {1,2,3}; throws UsageError naming the flag on anything else.
std::vector<int32_t> parse_id_list(const std::string& text, const std::string& flag);
// --show-prompt-ids: "llmrun: prompt ids: 1,2,3" on stderr.
void print_prompt_ids(const std::vector<int32_t>& ids);

// text with control characters (ESC, newlines, ...) written as \xNN: names and values from
// files reach the terminal only this way, never as escape sequences.
std::string printable(const std::string& text);

// A whole-number flag of at least `min`; the error says the allowed range plainly
// ("--batch: must be a whole number >= 1, got '0'").
CLI::Validator at_least(int64_t min);

// --threads as given (0 = all cores), capped at the cores this machine has, with a note
// on stderr when capped: more threads than cores only slow the CPU backend down.
int capped_threads(int requested, const std::string& program);

// --cpu-isa's help, shared by llmrun and llmeval.
inline constexpr const char* kCpuIsaHelp =
    "CPU kernel family: auto (the fastest this CPU runs), avx512, avx2 or scalar (the reference)";

// --imatrix's help where one precision is loaded (llmrun, llmeval logits).
inline constexpr const char* kImatrixHelp =
    "How the group-scaled formats (int8, fp8, fp6, *-g32, *-g64) weigh each scale's error: by the activations of "
    "an importance matrix -- `probe` (one pass over 512 random token ids), `self` (1,024 tokens the model samples "
    "itself), each measured once per checkpoint and cached, or a file from `llmeval imatrix` -- or `none` (plain "
    "weight error). Default `auto`: `probe` when an original checkpoint is loaded in such a format, else none";

// Reads a whole file ("-" = stdin); errors name the flag and path (a folder is refused).
std::string read_input_file(const std::string& path, const std::string& flag);

// --model as a folder, alias or repo id (see loaders/model_resolver.h), from the environment.
std::string resolve_model_dir(const std::string& model);

// Runs body, turning errors into one line on stderr and an exit code: CLI11 usage
// errors and UsageError -> 2 (with a hint to --help), other errors -> 1.
int run_cli(const std::string& program, CLI::App& app, int argc, char** argv,
            const std::function<int()>& body);

}  // namespace llmrun::cli
