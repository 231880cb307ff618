// The tokenizer API beyond the goldens: UTF-8 repair, streaming, special ids from the
// model folder's config files, lookups, and one-line errors naming the file and key.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "loaders/tokenizer/tokenizer.h"
#include "loaders/tokenizer/utf8.h"
#include "runtime/error.h"
#include "tests/tokenizer/golden_support.h"

namespace {

using llmrun::StreamingDecoder;
using llmrun::Tokenizer;

const std::string kFffd = "\xEF\xBF\xBD";

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// Expected values: Python's bytes.decode("utf-8", errors="replace").
TEST(Utf8, SanitizeReplacesEachMaximalInvalidSubpartOnce) {
  using llmrun::utf8::sanitize;
  EXPECT_EQ(sanitize("plain ascii"), "plain ascii");
  EXPECT_EQ(sanitize("\xE2\x82\xAC ok"), "\xE2\x82\xAC ok");
  EXPECT_EQ(sanitize("\xE2\x82"), kFffd);                  // truncated 3-byte
  EXPECT_EQ(sanitize("\xED\xA0\x80"), repeat(kFffd, 3));   // surrogate
  EXPECT_EQ(sanitize("\xF0\x9F\x98"), kFffd);              // truncated emoji
  EXPECT_EQ(sanitize("\xC0\xAF"), repeat(kFffd, 2));       // overlong
  EXPECT_EQ(sanitize("\xF4\x90\x80\x80"), repeat(kFffd, 4));  // above U+10FFFF
  EXPECT_EQ(sanitize("a\x80" "b"), "a" + kFffd + "b");
  EXPECT_EQ(sanitize("\xE2(\xA1"), kFffd + "(" + kFffd);
  EXPECT_EQ(sanitize(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(TokenizerApi, Qwen3FolderLookupsAndSpecialIds) {
  LLMRUN_REQUIRE_FIXTURE(dir, "tokenizers/qwen3");
  auto tok = llmrun::load_tokenizer(dir);
  EXPECT_EQ(tok->vocab_size(), 151669u);
  EXPECT_EQ(tok->piece_to_id("<|im_start|>"), 151644);
  EXPECT_EQ(tok->piece_to_id("Hello"), 9707);
  EXPECT_FALSE(tok->piece_to_id("no such piece").has_value());
  EXPECT_EQ(tok->id_to_piece(9707), "Hello");
  EXPECT_EQ(tok->id_to_piece(151667), "<think>");
  EXPECT_THROW(tok->id_to_piece(151669), llmrun::Error);
  EXPECT_TRUE(tok->is_special(151644));
  EXPECT_FALSE(tok->is_special(151667));  // <think> is an added token, not special
  EXPECT_FALSE(tok->is_special(9707));
  // tokenizer_config.json: bos_token null, eos <|im_end|>, pad <|endoftext|>.
  EXPECT_FALSE(tok->bos_id().has_value());
  ASSERT_FALSE(tok->eos_ids().empty());
  EXPECT_EQ(tok->eos_ids()[0], 151645);
  EXPECT_EQ(tok->pad_id(), 151643);
  // Qwen3's post-processor adds nothing.
  EXPECT_EQ(tok->encode("Hello", true), tok->encode("Hello", false));
  // Ids outside the vocabulary are skipped by decode, as HF does.
  EXPECT_EQ(tok->decode({9707, 999999}, false), "Hello");
}

TEST(TokenizerApi, Llama3FolderBosEos) {
  LLMRUN_REQUIRE_FIXTURE(dir, "tokenizers/llama3");
  auto tok = llmrun::load_tokenizer(dir);
  EXPECT_EQ(tok->bos_id(), 128000);
  ASSERT_FALSE(tok->eos_ids().empty());
  EXPECT_EQ(tok->eos_ids()[0], 128001);
}

TEST(TokenizerApi, Stories260kFolderIsSentencePieceWithBos) {
  LLMRUN_REQUIRE_FIXTURE(dir, "models/stories260k");
  auto tok = llmrun::load_tokenizer(dir);
  EXPECT_EQ(tok->vocab_size(), 512u);
  EXPECT_EQ(tok->bos_id(), 1);
  ASSERT_EQ(tok->eos_ids().size(), 1u);
  EXPECT_EQ(tok->eos_ids()[0], 2);
  EXPECT_EQ(tok->special_ids().add_bos, true);
  EXPECT_TRUE(tok->is_special(1));
  EXPECT_FALSE(tok->is_special(403));
  // Independent reference: sentencepiece 0.2.3 in Python gives these pieces.
  const std::vector<int32_t> want = {1, 403, 407, 261, 378, 432, 383, 286};
  EXPECT_EQ(tok->encode("Once upon a time, there was", true), want);
  EXPECT_EQ(tok->id_to_piece(403), "\xE2\x96\x81Once");
  EXPECT_EQ(tok->decode(want, true), "Once upon a time, there was");
  // As HF decodes the same ids with the converted tokenizer.json (Strip removes one
  // leading space of the whole text, which starts with "<s>" here).
  EXPECT_EQ(tok->decode(want, false), "<s> Once upon a time, there was");
}

TEST(StreamingDecoder, HoldsSplitCharacterUntilComplete) {
  LLMRUN_REQUIRE_FIXTURE(path, "tokenizers/qwen3/tokenizer.json");
  auto tok = llmrun::load_tokenizer(path);
  const int32_t head = *tok->piece_to_id("\xC3\xB0\xC5\x81\xC4\xBA");  // "ðŁĺ" = F0 9F 98
  const int32_t tail = *tok->piece_to_id("\xC4\xA2");                  // "Ģ" = 80
  StreamingDecoder stream(*tok, {});
  EXPECT_EQ(stream.push(9707), "Hello");
  EXPECT_EQ(stream.push(head), "");
  EXPECT_EQ(stream.push(tail), "\xF0\x9F\x98\x80");  // 😀
  EXPECT_EQ(stream.flush(), "");
  // An incomplete character at the end: flush prints U+FFFD, as decode() does.
  EXPECT_EQ(stream.push(head), "");
  EXPECT_EQ(stream.flush(), kFffd);
  EXPECT_EQ(tok->decode({head}, false), kFffd);
}

TEST(StreamingDecoder, HoldsByteFallbackRun) {
  LLMRUN_REQUIRE_FIXTURE(path, "models/stories260k/tokenizer.model");
  auto tok = llmrun::load_tokenizer(path);
  const auto ids = tok->encode("\xE5\x8F\xAB", false);  // 叫: "▁" + three byte pieces
  ASSERT_EQ(ids.size(), 4u);
  StreamingDecoder stream(*tok, {});
  std::string out;
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    const std::string piece = stream.push(ids[i]);
    EXPECT_TRUE(llmrun::utf8::is_valid(piece));
    out += piece;
  }
  EXPECT_EQ(out, "");
  EXPECT_EQ(stream.push(ids.back()), "\xE5\x8F\xAB");
}

// decode(prompt) + streamed continuation == decode(prompt + continuation): the space that
// SentencePiece drops at the start of a text must come back after a prompt.
TEST(StreamingDecoder, ContinuationKeepsSentencePieceLeadingSpace) {
  LLMRUN_REQUIRE_FIXTURE(path, "models/stories260k/tokenizer.model");
  auto tok = llmrun::load_tokenizer(path);
  const auto ids = tok->encode("Once upon a time, there was a little girl.", true);
  const std::string whole = tok->decode(ids, true);
  for (size_t k = 2; k < ids.size(); ++k) {
    const std::vector<int32_t> prompt(ids.begin(), ids.begin() + static_cast<long>(k));
    const std::vector<int32_t> rest(ids.begin() + static_cast<long>(k), ids.end());
    StreamingDecoder stream(*tok, {true, true});
    std::string streamed;
    for (int32_t id : rest) streamed += stream.push(id);
    streamed += stream.flush();
    EXPECT_EQ(tok->decode(prompt, true) + streamed, whole) << "split at " << k;
    EXPECT_EQ(tok->decode_continuation(rest, true), streamed) << "split at " << k;
  }
  // Without the option the continuation is decoded as a text of its own.
  const std::vector<int32_t> upon = {407};  // "▁upon"
  EXPECT_EQ(tok->decode(upon, true), "upon");
  EXPECT_EQ(tok->decode_continuation(upon, true), " upon");
}

TEST(TokenizerSpeed, TenKilobyteWordIsNotQuadratic) {
  LLMRUN_REQUIRE_FIXTURE(path, "tokenizers/qwen3/tokenizer.json");
  auto tok = llmrun::load_tokenizer(path);
  std::string word;
  unsigned x = 7;
  for (int i = 0; i < 40 * 1024; ++i) {
    x = x * 1103515245u + 12345u;
    word.push_back(static_cast<char>('a' + (x >> 16) % 26));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto ids = tok->encode(word, false);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(ids.size(), 1000u);
  EXPECT_EQ(tok->decode(ids, false), word);
  // O(n log n) takes a few ms; a quadratic merge loop takes seconds at 40 KB.
  EXPECT_LT(s, 1.0) << "encoding a 40 KB word took " << s << " s";
}

// --- errors --------------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/llmrun_tok_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { llmrun::testing::run_command("rm -rf '" + path_ + "'"); }
  std::string write(const std::string& name, const std::string& content) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The message of the llmrun::Error `fn` throws (fails the test when it does not).
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const llmrun::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no llmrun::Error thrown";
  return {};
}

const char* kMinimalJson = R"({
  "added_tokens": [],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
  "post_processor": null,
  "decoder": {"type": "ByteLevel"},
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": MERGES}
})";

std::string minimal_json(const std::string& merges, const std::string& replace_from = "",
                         const std::string& replace_to = "") {
  std::string s = kMinimalJson;
  s.replace(s.find("MERGES"), 6, merges);
  if (!replace_from.empty()) s.replace(s.find(replace_from), replace_from.size(), replace_to);
  return s;
}

void expect_one_line_naming(const std::string& msg, const std::vector<std::string>& parts) {
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
}

TEST(TokenizerErrors, MinimalFileWorksWithBothMergeForms) {
  TempDir dir;
  for (const std::string merges : {R"(["a b"])", R"([["a", "b"]])"}) {
    auto tok = llmrun::load_tokenizer(dir.write("tokenizer.json", minimal_json(merges)));
    EXPECT_EQ(tok->encode("abab", false), (std::vector<int32_t>{2, 2})) << merges;
    EXPECT_EQ(tok->decode({2, 0}, false), "aba");
  }
}

TEST(TokenizerErrors, MissingPaths) {
  TempDir dir;
  expect_one_line_naming(error_of([&] { llmrun::load_tokenizer(dir.path() + "/nope"); }),
                         {dir.path() + "/nope"});
  expect_one_line_naming(error_of([&] { llmrun::load_tokenizer(dir.path()); }),
                         {dir.path(), "tokenizer.json", "tokenizer.model"});
}

TEST(TokenizerErrors, MalformedTokenizerJson) {
  TempDir dir;
  const std::string p = dir.write("tokenizer.json", "{\"model\": {\"vocab\": {\"a\": 0,}}");
  expect_one_line_naming(error_of([&] { llmrun::load_tokenizer(p); }), {p, "invalid JSON"});
}

// A truncated tokenizer.model: one line naming the file, without SentencePiece's own source
// paths ("./src/sentencepiece_processor.cc(232) [...]").
TEST(TokenizerErrors, TruncatedSentencePieceModel) {
  LLMRUN_REQUIRE_FIXTURE(spm, "models/stories260k");
  TempDir dir;
  const std::string model = llmrun::testing::read_file(spm + "/tokenizer.model");
  const std::string p = dir.write("tokenizer.model", model.substr(0, 100));
  const std::string e = error_of([&] { llmrun::load_tokenizer(p); });
  expect_one_line_naming(e, {p, "not a SentencePiece model (truncated, or another file format?)"});
  EXPECT_EQ(e.find("src/"), std::string::npos) << e;
}

// A piece holding a NUL byte: SentencePiece's trie throws on it from a context that ends
// in std::terminate (a fuzzing finding, fuzz/regressions/tokenizer_model/); it must be a
// one-line error naming the file and the piece instead.
TEST(TokenizerErrors, SentencePiecePieceWithNulByte) {
  auto piece = [](const std::string& text, int type) {
    std::string entry = "\x0a" + std::string(1, char(text.size())) + text;  // 1: piece
    entry += std::string("\x15\0\0\0\0", 5);                                 // 2: score 0.0f
    entry += "\x18" + std::string(1, char(type));                            // 3: type
    return "\x0a" + std::string(1, char(entry.size())) + entry;              // ModelProto.pieces
  };
  const std::string model = piece("<unk>", 2) + piece("<s>", 3) + piece("</s>", 3) + piece(std::string("a\0b", 3), 1);
  TempDir dir;
  const std::string p = dir.write("tokenizer.model", model);
  expect_one_line_naming(error_of([&] { llmrun::load_tokenizer(p); }),
                         {p, "piece 3", "holds a NUL byte", "not a valid SentencePiece model"});
  TempDir other;
  const std::string q = other.write("tokenizer.model", piece("<unk>", 2) + piece("", 1));
  expect_one_line_naming(error_of([&] { llmrun::load_tokenizer(q); }), {q, "piece 1", "is empty"});
}

TEST(TokenizerErrors, NamesTheKeyAtFault) {
  TempDir dir;
  struct Case {
    std::string json;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {minimal_json(R"(["a b", "a c"])"), {"model.merges[1]", "\"c\""}},
      {minimal_json(R"(["ab"])"), {"model.merges[0]", "left right"}},
      {minimal_json(R"([["a"]])"), {"model.merges[0]"}},
      {minimal_json(R"(["a b"])", "\"b\": 1", "\"b\": \"x\""), {"model.vocab[\"b\"]"}},
      {minimal_json(R"(["a b"])", "\"ByteLevel\", \"add", "\"Whitespace\", \"add"),
       {"pre_tokenizer.type", "Whitespace"}},
      {minimal_json(R"(["a b"])", "\"normalizer\": null", "\"normalizer\": {\"type\": \"BertNormalizer\"}"),
       {"normalizer.type", "BertNormalizer"}},
      {minimal_json(R"(["a b"])", "\"decoder\": {\"type\": \"ByteLevel\"}", "\"decoder\": {\"type\": \"CTC\"}"),
       {"decoder.type", "CTC"}},
      {minimal_json(R"(["a b"])", "\"type\": \"BPE\"", "\"type\": \"Unigram\""), {"model.type", "Unigram"}},
      {minimal_json(R"(["a b"])", "\"use_regex\": true", "\"use_regex\": 3"),
       {"pre_tokenizer.use_regex", "true or false"}},
      {minimal_json(R"(["a b"])", "\"added_tokens\": []", "\"added_tokens\": [{\"id\": 5}]"),
       {"added_tokens[0].content", "missing"}},
  };
  for (const Case& c : cases) {
    const std::string p = dir.write("tokenizer.json", c.json);
    std::vector<std::string> parts = c.parts;
    parts.push_back(p);
    expect_one_line_naming(error_of([&] { llmrun::load_tokenizer(p); }), parts);
  }
}

// Ids sized tables: a 61-byte file claiming id 2^31-1 asked for a 64 GiB token table,
// and a post-processor id of 2^32+1 became 1. Each is refused, naming the key, before
// anything is allocated from it.
TEST(TokenizerErrors, IdsMustBeDenseAndInTheVocabulary) {
  TempDir dir;
  struct Case {
    std::string json;
    std::vector<std::string> parts;
  };
  const std::string post = R"("post_processor": {"type": "TemplateProcessing", "single": [
      {"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "special_tokens": {"<s>": {"id": "<s>", "ids": [IDS], "tokens": ["<s>"]}}})";
  auto with_post = [&](const std::string& ids) {
    std::string p = post;
    p.replace(p.find("IDS"), 3, ids);
    return minimal_json(R"(["a b"])", "\"post_processor\": null", p);
  };
  const std::vector<Case> cases = {
      {R"({"model":{"type":"BPE","vocab":{"a":2147483647},"merges":[]}})",
       {"model.vocab[\"a\"]", "id 2147483647", "outside 0..0", "dense"}},
      {minimal_json(R"(["a b"])", "\"ab\": 2", "\"ab\": 3"), {"model.vocab[\"ab\"]", "id 3", "outside 0..2"}},
      {minimal_json(R"(["a b"])", "\"ab\": 2", "\"ab\": 1"), {"model.vocab[", "id 1 is already the id of"}},
      {minimal_json(R"(["a b"])", "\"added_tokens\": []", R"("added_tokens": [{"id": 2147483647, "content": "<s>"}])"),
       {"added_tokens[0].id", "2147483647", "outside 0..3"}},
      {with_post("4294967297"), {"post_processor.special_tokens[\"<s>\"].ids", "4294967297", "not a token id"}},
      {with_post("-1"), {"post_processor.special_tokens[\"<s>\"].ids", "-1", "not a token id"}},
      {with_post("7"), {"post_processor", "id 7 is not in the vocabulary (size 3)"}},
  };
  for (const Case& c : cases) {
    const std::string p = dir.write("tokenizer.json", c.json);
    std::vector<std::string> parts = c.parts;
    parts.push_back(p);
    expect_one_line_naming(error_of([&] { llmrun::load_tokenizer(p); }), parts);
  }
  // In range, it loads and adds the id.
  auto tok = llmrun::load_tokenizer(dir.write("tokenizer.json", with_post("2")));
  EXPECT_EQ(tok->encode("a", true), (std::vector<int32_t>{2, 0}));
}

TEST(TokenizerErrors, BadConfigFilesInFolder) {
  TempDir dir;
  dir.write("tokenizer.json", minimal_json(R"(["a b"])"));
  dir.write("tokenizer_config.json", "{\"eos_token\": \"<nope>\"}");
  expect_one_line_naming(error_of([&] { llmrun::load_tokenizer(dir.path()); }),
                         {"tokenizer_config.json", "eos_token", "<nope>"});
  dir.write("tokenizer_config.json", "{\"eos_token\": \"ab\"}");
  dir.write("generation_config.json", "{\"eos_token_id\": [2, 99]}");
  expect_one_line_naming(error_of([&] { llmrun::load_tokenizer(dir.path()); }),
                         {"generation_config.json", "eos_token_id"});
  dir.write("generation_config.json", "{\"eos_token_id\": [2, 1], \"bos_token_id\": 0}");
  dir.write("config.json", "not json");
  expect_one_line_naming(error_of([&] { llmrun::load_tokenizer(dir.path()); }),
                         {"config.json", "invalid JSON"});
  dir.write("config.json", "{\"eos_token_id\": 0}");
  auto tok = llmrun::load_tokenizer(dir.path());
  EXPECT_EQ(tok->bos_id(), 0);
  // tokenizer_config's eos first, then generation_config's; config.json's is not used
  // when generation_config.json gives them.
  EXPECT_EQ(tok->eos_ids(), (std::vector<int32_t>{2, 1}));
}

TEST(TokenizerErrors, NotASentencePieceModel) {
  TempDir dir;
  const std::string p = dir.write("tokenizer.model", "this is not a protobuf");
  expect_one_line_naming(error_of([&] { llmrun::load_tokenizer(p); }), {p});
}

}  // namespace
