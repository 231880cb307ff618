#pragma once
// The BPE model of a tokenizer.json: vocabulary, ranked merges, byte fallback. A word is
// merged with a priority queue over a linked list of symbols (lowest rank first, then
// leftmost, as HF does), so long words cost O(n log n); merged words are cached.
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "loaders/tokenizer/json_fields.h"

namespace llmrun::tok {

// (left id, right id) -> (rank, merged id); open addressing, fixed after construction.
class MergeTable {
 public:
  void reserve(size_t n);
  // A later duplicate replaces an earlier one (as HF's HashMap collect does).
  void insert(int32_t left, int32_t right, uint32_t rank, int32_t merged);
  // False when the pair has no merge.
  bool find(int32_t left, int32_t right, uint32_t& rank, int32_t& merged) const {
    if (slots_.empty()) return false;
    const uint64_t key = pack(left, right);
    for (size_t i = hash(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) {
        rank = s.rank;
        merged = s.merged;
        return true;
      }
      if (s.key == kEmpty) return false;
    }
  }
  size_t size() const { return count_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key = kEmpty;
    uint32_t rank = 0;
    int32_t merged = 0;
  };
  static uint64_t pack(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  size_t hash(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask_;
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

class BpeModel {
 public:
  // `model` is tokenizer.json's "model" object (its vocab and merges are passed apart,
  // as read by read_tokenizer_json); `where` prefixes errors.
  BpeModel(const Json& model, const std::vector<std::pair<std::string, int64_t>>& vocab,
           const std::vector<std::pair<std::string, std::string>>& merges,
           const std::string& where);

  // Appends the ids of one pre-tokenized word.
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  // Largest id + 1.
  size_t id_limit() const { return tokens_.size(); }
  // nullptr when the id has no token.
  const std::string* token(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= tokens_.size() || !has_token_[id]) return nullptr;
    return &tokens_[id];
  }
  std::optional<int32_t> id_of(std::string_view token) const {
    const auto it = vocab_.find(token);
    if (it == vocab_.end()) return std::nullopt;
    return it->second;
  }

 private:
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;

  std::vector<std::string> tokens_;  // [id] -> token string
  std::vector<bool> has_token_;      // [id]: whether the vocabulary defines it
  std::unordered_map<std::string_view, int32_t> vocab_;  // views into tokens_
  MergeTable merges_;
  std::optional<int32_t> unk_id_;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  std::array<int32_t, 256> byte_ids_{};  // <0xNN> token ids; -1 when absent

  // Merged words. Pure memo: results never depend on it.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace llmrun::tok
