// GGUF SentencePiece-style tokenizers (tokenizer.ggml.model = "llama"): the vocabulary is
// rebuilt as a SentencePiece model from tokens, scores and token types
// (loaders/gguf_tokenizer_json). The whole tokenizer corpus against the sentencepiece
// library runs in test_tokenizer_goldens (stories260k_sp_from_gguf); here: ids from HF
// `tokenizers` through transformers' own GGUF conversion of the same file
// (tests/data/gguf/stories260k_spm_hf.json, scripts/make_gguf_tokenizer_goldens.py),
// special ids and flags from the metadata, and one-line errors for broken metadata.
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "loaders/tokenizer/tokenizer.h"
#include "tests/loaders/gguf_test_files.h"
#include "tests/test_support.h"

namespace llmrun {
namespace {

using testing::GgufBytes;

TEST(GgufSentencePiece, IdsEqualHfTokenizersOnTheSameGguf) {
  const auto golden = nlohmann::json::parse(testing::read_file(testing::test_data("gguf/stories260k_spm_hf.json")));
  const auto tok = load_tokenizer(testing::test_data("gguf/" + golden.at("gguf").get<std::string>()));
  ASSERT_GE(golden.at("cases").size(), 20u);
  for (const auto& c : golden.at("cases")) {
    const std::string text = c.at("text");
    EXPECT_EQ(tok->encode(text, false), c.at("ids").get<std::vector<int32_t>>()) << text;
    EXPECT_EQ(tok->encode(text, true), c.at("ids_special").get<std::vector<int32_t>>()) << text;
  }
}

TEST(GgufSentencePiece, SpecialIdsAndFlagsFromMetadata) {
  const auto tok = load_tokenizer(testing::test_data("gguf/stories260k_spm_vocab.gguf"));
  EXPECT_EQ(tok->vocab_size(), 512u);
  EXPECT_EQ(tok->special_ids().bos, 1);
  ASSERT_EQ(tok->special_ids().eos.size(), 1u);
  EXPECT_EQ(tok->special_ids().eos[0], 2);
  EXPECT_TRUE(tok->is_special(1));
  EXPECT_FALSE(tok->is_special(403));
  EXPECT_EQ(tok->id_to_piece(403), "\xE2\x96\x81Once");
  // add_bos_token = true: BOS first; decoding drops the dummy prefix's space.
  const std::vector<int32_t> ids = tok->encode("Once upon a time", true);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(tok->decode(ids, true), "Once upon a time");
}

// A GGUF with only tokenizer metadata: tokens a..., scores and types as given.
class BrokenSpm : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }
  // kv: how many key/values follow in `body`.
  std::string load_error(uint64_t kv, const GgufBytes& body) {
    std::ofstream(path_, std::ios::binary) << GgufBytes().header(0, kv).bytes() << body.bytes();
    return testing::error_of([&] { load_tokenizer(path_); });
  }
  static GgufBytes& f32s(GgufBytes& b, const std::string& key, const std::vector<float>& v) {
    b.str(key).u32(9).u32(6).u64(v.size());
    return b.f32s(v);
  }
  static GgufBytes& i32s(GgufBytes& b, const std::string& key, const std::vector<int32_t>& v) {
    b.str(key).u32(9).u32(5).u64(v.size());
    for (int32_t x : v) b.put(x);
    return b;
  }
  static GgufBytes base() {
    return std::move(GgufBytes().kv_str("tokenizer.ggml.model", "llama").kv_strings("tokenizer.ggml.tokens", {"<unk>", "a", "b"}));
  }
  std::string path_ = ::testing::TempDir() + "broken_spm.gguf";
};

TEST_F(BrokenSpm, EachRuleIsOneLineNamingFileAndKey) {
  auto expect_line = [&](const std::string& e, const std::string& key) {
    EXPECT_NE(e.find(path_), std::string::npos) << e;
    EXPECT_NE(e.find(key), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  };
  {
    GgufBytes b = base();
    expect_line(load_error(2, b), "tokenizer.ggml.scores");  // missing
  }
  {
    GgufBytes b = base();
    f32s(b, "tokenizer.ggml.scores", {0, 0});
    expect_line(load_error(3, b), "tokenizer.ggml.scores");  // 2 for 3 tokens
  }
  {
    GgufBytes b = base();
    f32s(b, "tokenizer.ggml.scores", {0, -1, NAN});
    expect_line(load_error(3, b), "tokenizer.ggml.scores");  // not finite
  }
  {
    GgufBytes b = base();
    f32s(b, "tokenizer.ggml.scores", {0, -1, -2});
    i32s(b, "tokenizer.ggml.token_type", {2, 1, 7});
    expect_line(load_error(4, b), "tokenizer.ggml.token_type");  // type 7
  }
  {
    GgufBytes b = base();
    f32s(b, "tokenizer.ggml.scores", {0, -1, -2});
    i32s(b, "tokenizer.ggml.token_type", {1, 1, 1});
    expect_line(load_error(4, b), "tokenizer.ggml.token_type");  // no unknown piece
  }
  {
    GgufBytes b = base();
    f32s(b, "tokenizer.ggml.scores", {0, -1, -2});
    i32s(b, "tokenizer.ggml.token_type", {2, 1, 1});
    b.str("tokenizer.ggml.add_space_prefix").u32(8).str("yes");  // a string, not a bool
    expect_line(load_error(5, b), "tokenizer.ggml.add_space_prefix");
  }
  {
    GgufBytes b = GgufBytes().kv_str("tokenizer.ggml.model", "bert");
    const std::string e = load_error(1, b);
    expect_line(e, "tokenizer.ggml.model");
    EXPECT_NE(e.find("bert"), std::string::npos) << e;
  }
  {  // well-formed: loads, and encodes with the three pieces
    GgufBytes b = base();
    f32s(b, "tokenizer.ggml.scores", {0, -1, -2});
    i32s(b, "tokenizer.ggml.token_type", {2, 1, 1});
    b.str("tokenizer.ggml.add_space_prefix").u32(7).put(uint8_t(0));
    EXPECT_EQ(load_error(5, b), "(no error)");
    EXPECT_EQ(load_tokenizer(path_)->encode("ab", false), (std::vector<int32_t>{1, 2}));
  }
}

}  // namespace
}  // namespace llmrun
