// Our tokenizers against ids and text produced by HF `tokenizers` / SentencePiece
// (scripts/make_tokenizer_goldens.py) on the same bytes.
#include <sstream>

#include "loaders/tokenizer/tokenizer.h"
#include "loaders/tokenizer/utf8.h"
#include "tests/tokenizer/golden_support.h"

namespace {

using llmrun::testing::GoldenCase;

std::string show_ids(const std::vector<int32_t>& v, size_t around) {
  std::ostringstream s;
  const size_t b = around > 8 ? around - 8 : 0;
  s << "[" << (b ? "... " : "");
  for (size_t i = b; i < v.size() && i < around + 8; ++i) s << v[i] << " ";
  s << (around + 8 < v.size() ? "...]" : "]") << " (size " << v.size() << ")";
  return s.str();
}

// Empty when equal, else where they first differ.
std::string compare_ids(const std::vector<int32_t>& got, const std::vector<int32_t>& want) {
  if (got == want) return {};
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  return "first difference at " + std::to_string(i) + "\n  got:  " + show_ids(got, i) +
         "\n  want: " + show_ids(want, i);
}

struct Param {
  const char* name;  // goldens_<name>.json
  // The pipeline keeps the text (no lowercasing or stripping): most cases round-trip.
  bool lossless = true;
  // Set: run this tokenizer (under tests/data) against the goldens instead of theirs; a
  // GGUF built from the golden's own vocabulary must tokenize as the original does.
  const char* other_tokenizer = nullptr;
};

class TokenizerGoldens : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    LLMRUN_REQUIRE_FIXTURE(wiki, "wikitext2/wiki.test.raw");
    goldens_ = llmrun::testing::load_goldens(GetParam().name, llmrun::testing::read_file(wiki));
    const std::string& src = goldens_.tokenizer;
    std::string path;
    if (GetParam().other_tokenizer) {
      path = llmrun::testing::test_data(GetParam().other_tokenizer);
    } else if (src.rfind("data:", 0) == 0) {
      path = llmrun::testing::tokenizer_data(src.substr(5));
    } else {
      LLMRUN_REQUIRE_FIXTURE(fixture, src);
      path = fixture;
    }
    tok_ = llmrun::load_tokenizer(path);
  }
  llmrun::testing::Goldens goldens_;
  std::unique_ptr<llmrun::Tokenizer> tok_;
};

TEST_P(TokenizerGoldens, EncodeMatchesWithoutSpecialTokens) {
  ASSERT_TRUE(tok_);
  int failures = 0;
  for (const GoldenCase& c : goldens_.cases) {
    const std::string diff = compare_ids(tok_->encode(c.raw, false), c.ids);
    EXPECT_TRUE(diff.empty()) << c.name << ": " << diff;
    if (!diff.empty() && ++failures > 10) FAIL() << "too many failures";
  }
}

TEST_P(TokenizerGoldens, EncodeMatchesWithSpecialTokens) {
  ASSERT_TRUE(tok_);
  int failures = 0;
  for (const GoldenCase& c : goldens_.cases) {
    const std::string diff = compare_ids(tok_->encode(c.raw, true), c.ids_special);
    EXPECT_TRUE(diff.empty()) << c.name << ": " << diff;
    if (!diff.empty() && ++failures > 10) FAIL() << "too many failures";
  }
}

TEST_P(TokenizerGoldens, DecodeMatchesReference) {
  ASSERT_TRUE(tok_);
  int failures = 0;
  size_t round_trips = 0;
  for (const GoldenCase& c : goldens_.cases) {
    // The reference decoded what it was given: the input with invalid bytes replaced.
    const std::string text = llmrun::utf8::sanitize(c.raw);
    const std::string want = c.decode.value_or(text);
    const std::string got = tok_->decode(c.ids, false);
    EXPECT_EQ(got, want) << c.name;
    round_trips += !c.decode.has_value();
    EXPECT_EQ(tok_->decode(c.ids_special, true), c.decode_skip.value_or(text)) << c.name;
    if (got != want && ++failures > 10) FAIL() << "too many failures";
  }
  // Most of the corpus round-trips in the reference; where it does, so must we (checked
  // above through the equality with the reference).
  if (GetParam().lossless) {
    EXPECT_GT(round_trips, goldens_.cases.size() / 2);
  }
}

TEST_P(TokenizerGoldens, StreamingEqualsDecode) {
  ASSERT_TRUE(tok_);
  for (const GoldenCase& c : goldens_.cases) {
    for (bool skip : {false, true}) {
      llmrun::StreamingDecoder stream(*tok_, {skip, false});
      std::string streamed;
      for (int32_t id : c.ids_special) {
        const std::string piece = stream.push(id);
        ASSERT_TRUE(llmrun::utf8::is_valid(piece)) << c.name << ": invalid UTF-8 streamed";
        streamed += piece;
      }
      streamed += stream.flush();
      EXPECT_EQ(streamed, tok_->decode(c.ids_special, skip)) << c.name << " skip=" << skip;
    }
  }
}

TEST_P(TokenizerGoldens, PromptPlusStreamedContinuationEqualsWholeDecode) {
  ASSERT_TRUE(tok_);
  size_t checked = 0;
  for (const GoldenCase& c : goldens_.cases) {
    const auto& ids = c.ids_special;
    // A few split points per case keep this fast on the 10 KB cases.
    for (size_t k : {size_t{1}, size_t{2}, ids.size() / 3, ids.size() / 2, ids.size() - 1}) {
      if (k == 0 || k >= ids.size()) continue;
      const std::vector<int32_t> prompt(ids.begin(), ids.begin() + static_cast<long>(k));
      const std::string prompt_text = tok_->decode(prompt, true);
      // The prompt must end on a whole character for its text to be printable.
      if (prompt_text.empty() || prompt_text.find(llmrun::utf8::kReplacement) != std::string::npos)
        continue;
      if (tok_->decode(ids, true).find(llmrun::utf8::kReplacement) != std::string::npos) continue;
      llmrun::StreamingDecoder stream(*tok_, {true, true});
      std::string streamed;
      for (size_t i = k; i < ids.size(); ++i) streamed += stream.push(ids[i]);
      streamed += stream.flush();
      EXPECT_EQ(prompt_text + streamed, tok_->decode(ids, true)) << c.name << " split at " << k;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100u);
}

INSTANTIATE_TEST_SUITE_P(All, TokenizerGoldens,
                         ::testing::Values(Param{"qwen3"}, Param{"llama3"}, Param{"llama2_sp"},
                                           Param{"stories260k_sp"}, Param{"stories260k_metaspace"},
                                           Param{"stories260k_legacy"}, Param{"synthetic_roberta", false},
                                           Param{"synthetic_split", false},
                                           // tokenizer.ggml.model "llama": the stories260k
                                           // vocabulary as llama.cpp's converter writes it
                                           // (scripts/make_gguf_tokenizer_goldens.py)
                                           Param{"stories260k_sp", true, "gguf/stories260k_spm_vocab.gguf"}),
                         [](const auto& p) {
                           return std::string(p.param.name) + (p.param.other_tokenizer ? "_from_gguf" : "");
                         });

}  // namespace
