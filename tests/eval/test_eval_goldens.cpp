// llmeval's LAMBADA and perplexity against lm-evaluation-harness 0.4.13 and the HF
// perplexity guide, run with transformers on stories260k (tests/data/eval/README.md).
#include <nlohmann/json.hpp>

#include <cmath>

#include "eval/lambada.h"
#include "eval/perplexity.h"
#include "loaders/tokenizer/tokenizer.h"
#include "runtime/model_loader.h"
#include "tests/test_support.h"
#include "tests/quiet_load.h"

namespace llmrun::eval {
namespace {

// Both sides compute in fp32 with different summation orders; a continuation's
// log-prob sums a few log-softmax values of magnitude ~10, each within ~1e-6 relative.
constexpr double kRelative = 1e-4;

struct Stories {
  std::unique_ptr<Backend> backend;
  LoadedModel model;
  std::unique_ptr<Tokenizer> tokenizer;
};

Stories load_stories(const std::string& dir) {
  Stories s;
  s.backend = make_backend({"cpu", 2});
  s.model = load_model(dir, *s.backend, testing::quiet_load("auto"));
  s.tokenizer = load_tokenizer(dir);
  return s;
}

TEST(LambadaGolden, MatchesLmEvalOnFirst500) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  LLMRUN_REQUIRE_FIXTURE(data, "lambada/lambada_test.jsonl");
  const auto g = nlohmann::json::parse(testing::read_file(testing::test_data("eval/lambada_stories260k_500.json")));
  ASSERT_TRUE(g["bos"].get<bool>());
  Stories s = load_stories(dir);
  // lm-eval's HF backend used the tokenizer's default special tokens: BOS here.
  ASSERT_FALSE(s.tokenizer->encode("", true).empty());
  const std::vector<LambadaPassage> passages = load_lambada(data, 500);
  ASSERT_EQ(passages.size(), 500u);
  std::vector<EncodedPassage> encoded;
  for (const LambadaPassage& p : passages) encoded.push_back(encode_passage(*s.tokenizer, p, true));
  for (size_t i = 0; i < 5; ++i) {
    const auto& gp = g["passages"][i];
    EXPECT_EQ(passages[i].context, gp["context"].get<std::string>()) << i;
    EXPECT_EQ(passages[i].continuation, gp["continuation"].get<std::string>()) << i;
    EXPECT_EQ(encoded[i].context, gp["context_ids"].get<std::vector<int32_t>>()) << i;
    EXPECT_EQ(encoded[i].continuation, gp["continuation_ids"].get<std::vector<int32_t>>()) << i;
  }
  // Batched, as llmeval runs it; the batch must not change any result (below).
  const LambadaResult r = score_lambada(*s.model.model, encoded, 8);
  double worst = 0;
  for (size_t i = 0; i < 500; ++i) {
    const auto& gp = g["passages"][i];
    EXPECT_EQ(passages[i].continuation, gp["continuation"].get<std::string>()) << i;
    const double want = gp["logprob"].get<double>();
    EXPECT_NEAR(r.passages[i].logprob, want, kRelative * std::abs(want)) << "passage " << i;
    EXPECT_EQ(r.passages[i].greedy, gp["is_greedy"].get<bool>()) << "passage " << i;
    worst = std::max(worst, std::abs(r.passages[i].logprob - want) / std::abs(want));
  }
  EXPECT_EQ(r.accuracy, g["acc"].get<double>());
  EXPECT_NEAR(r.accuracy_stderr, g["acc_stderr"].get<double>(), 1e-12);
  EXPECT_NEAR(r.perplexity, g["perplexity"].get<double>(), kRelative * g["perplexity"].get<double>());
  const std::vector<EncodedPassage> first40(encoded.begin(), encoded.begin() + 40);
  const LambadaResult one_by_one = score_lambada(*s.model.model, first40, 1);
  for (size_t i = 0; i < 40; ++i) {
    EXPECT_NEAR(one_by_one.passages[i].logprob, r.passages[i].logprob, 1e-5 * std::abs(r.passages[i].logprob)) << i;
    EXPECT_EQ(one_by_one.passages[i].greedy, r.passages[i].greedy) << i;
  }
  std::printf("[ measured ] lambada acc %.4f (lm-eval %.4f), ppl %.6g (lm-eval %.6g), worst log-prob rel. diff %.2e\n",
              r.accuracy, g["acc"].get<double>(), r.perplexity, g["perplexity"].get<double>(), worst);
}

TEST(PerplexityGolden, MatchesHfGuideOnWikitext) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  LLMRUN_REQUIRE_FIXTURE(text, "wikitext2/wiki.test.raw");
  const auto g = nlohmann::json::parse(testing::read_file(testing::test_data("eval/perplexity_stories260k_wikitext.json")));
  Stories s = load_stories(dir);
  std::vector<int32_t> ids = s.tokenizer->encode(testing::read_file(text), true);
  ids.resize(size_t(g["n_tokens_used"].get<int64_t>()));
  const auto first = g["first_ids"].get<std::vector<int32_t>>();
  EXPECT_EQ(std::vector<int32_t>(ids.begin(), ids.begin() + long(first.size())), first);
  for (const auto& setting : g["settings"]) {
    const PerplexityResult r =
        perplexity(*s.model.model, ids, setting["max_length"].get<int64_t>(), setting["stride"].get<int64_t>());
    EXPECT_EQ(r.n_tokens, setting["n_tokens"].get<int64_t>());
    ASSERT_EQ(r.windows.size(), setting["windows"].size());
    const double want = setting["ppl"].get<double>();
    EXPECT_NEAR(r.perplexity, want, kRelative * want) << "stride " << setting["stride"];
    std::printf("[ measured ] perplexity stride %lld: %.6f (HF %.6f)\n",
                static_cast<long long>(setting["stride"].get<int64_t>()), r.perplexity, want);
  }
}

}  // namespace
}  // namespace llmrun::eval
