#pragma once
// LAMBADA (OpenAI's detokenized test set), scored exactly as lm-evaluation-harness's
// lambada_openai task: context = the text before its last space, continuation = " " +
// the last word; continuation tokens = tokens(context + continuation) minus
// tokens(context); accuracy = every continuation token is the argmax.
#include <functional>
#include <string>
#include <vector>

#include "loaders/tokenizer/tokenizer.h"
#include "runtime/models/decoder.h"

namespace llmrun::eval {

// sha256 of lm-eval's lambada_openai test file (5,153 passages).
constexpr const char* kLambadaSha256 = "4aa8d02cd17c719165fc8a7887fddd641f43fcafa4b1c806ca8abc31fabdb226";

struct LambadaPassage {
  std::string context, continuation;
};

// Reads a jsonl file of {"text": ...}; `limit` > 0 keeps the first `limit` passages.
// Errors name the file and line.
std::vector<LambadaPassage> load_lambada(const std::string& path, int64_t limit = 0);
// The split lm-eval's task config makes of one text.
LambadaPassage split_passage(const std::string& text);

struct EncodedPassage {
  std::vector<int32_t> context, continuation;  // as lm-eval's _encode_pair makes them
};
EncodedPassage encode_passage(const Tokenizer& tokenizer, const LambadaPassage& passage, bool bos);

struct PassageScore {
  double logprob = 0;  // summed log-probability of the continuation tokens
  bool greedy = false;
  int64_t tokens = 0;  // tokens fed
};

struct LambadaResult {
  double accuracy = 0, accuracy_stderr = 0, perplexity = 0;
  int64_t tokens = 0;  // tokens fed, for tokens/second
  std::vector<PassageScore> passages;
};

// One precision against the baseline on the same passages. The difference of two
// accuracies measured on one set is paired: its standard error comes from the per-passage
// differences (each -1, 0 or +1), far below the two accuracies' own errors combined, so
// a loss of a point can be told from noise.
struct PairedAccuracy {
  double delta = 0, delta_stderr = 0;  // accuracy minus the baseline's, fractions
  int64_t gained = 0, lost = 0;        // passages right only here / only in the baseline
};
// Throws when the two results do not hold the same number of passages.
PairedAccuracy compare_passages(const LambadaResult& baseline, const LambadaResult& other);

// `batch` passages run through the model together (DecoderModel::forward_batch).
LambadaResult score_lambada(DecoderModel& model, const std::vector<EncodedPassage>& passages, int64_t batch = 1,
                            const std::function<void(int64_t done, int64_t total)>& progress = nullptr);

}  // namespace llmrun::eval
