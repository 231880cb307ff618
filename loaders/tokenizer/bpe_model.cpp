#include "loaders/tokenizer/bpe_model.h"

#include <cstdio>
#include <queue>

#include "loaders/tokenizer/utf8.h"

namespace llmrun::tok {

void MergeTable::reserve(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap *= 2;
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  count_ = 0;
}

void MergeTable::insert(int32_t left, int32_t right, uint32_t rank, int32_t merged) {
  const uint64_t key = pack(left, right);
  for (size_t i = hash(key);; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.key == key || s.key == kEmpty) {
      if (s.key == kEmpty) ++count_;
      s = {key, rank, merged};
      return;
    }
  }
}

namespace {

constexpr size_t kMaxCachedWordBytes = 256;
constexpr size_t kMaxCacheEntries = 200000;

// One symbol of a word being merged: a token id over a byte span, linked to its
// neighbours (-1 at the ends); len 0 marks a symbol merged into its left neighbour.
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  uint32_t len;
};

struct Candidate {
  uint32_t rank;
  int32_t pos;
  int32_t merged;
  // std::priority_queue pops the largest: make that the lowest rank, then leftmost.
  bool operator<(const Candidate& o) const {
    return rank != o.rank ? rank > o.rank : pos > o.pos;
  }
};

}  // namespace

BpeModel::BpeModel(const Json& model, const std::vector<std::pair<std::string, int64_t>>& vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges,
                   const std::string& where) {
  const std::string type = optional_string(model, "type", "BPE", where);
  if (type != "BPE")
    fail(key_path(where, "type"), ": model '", type, "' is not supported (only BPE)");
  const auto dropout = model.find("dropout");
  if (dropout != model.end() && dropout->is_number() && dropout->get<double>() != 0.0)
    fail(key_path(where, "dropout"), ": BPE dropout is not supported (it makes ids random)");

  // Ids are dense, each of 0..n-1 once (as HF writes them): checked before the token
  // table is sized, so a small file cannot ask for a table of 2^31 entries.
  const size_t limit = vocab.size();
  const std::string vwhere = key_path(where, "vocab");
  for (const auto& [token, id] : vocab) {
    if (id < 0 || static_cast<uint64_t>(id) >= limit)
      fail(vwhere, "[", quoted(token), "]: id ", id, " is outside 0..", int64_t(limit) - 1,
           " (ids must be dense: the vocabulary has ", limit, " tokens)");
  }
  tokens_.resize(limit);
  has_token_.assign(limit, false);
  for (const auto& [token, id] : vocab) {
    if (has_token_[id])
      fail(vwhere, "[", quoted(token), "]: id ", id, " is already the id of ", quoted(tokens_[id]));
    tokens_[id] = token;
    has_token_[id] = true;
  }
  vocab_.reserve(vocab.size() * 2);
  for (size_t id = 0; id < limit; ++id)
    if (has_token_[id]) vocab_.emplace(tokens_[id], static_cast<int32_t>(id));

  continuing_subword_prefix_ = optional_string(model, "continuing_subword_prefix", "", where);
  end_of_word_suffix_ = optional_string(model, "end_of_word_suffix", "", where);
  byte_fallback_ = optional_bool(model, "byte_fallback", false, where);
  fuse_unk_ = optional_bool(model, "fuse_unk", false, where);
  ignore_merges_ = optional_bool(model, "ignore_merges", false, where);
  const std::string unk = optional_string(model, "unk_token", "", where);
  if (!unk.empty()) {
    unk_id_ = id_of(unk);
    if (!unk_id_) fail(key_path(where, "unk_token"), ": '", unk, "' is not in the vocabulary");
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    byte_ids_[b] = id_of(name).value_or(-1);
  }

  merges_.reserve(merges.size());
  const std::string mwhere = key_path(where, "merges");
  std::string joined;
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto& [left, right] = merges[i];
    const auto a = id_of(left);
    const auto b = id_of(right);
    if (!a) fail(mwhere, "[", i, "]: token \"", left, "\" is not in the vocabulary");
    if (!b) fail(mwhere, "[", i, "]: token \"", right, "\" is not in the vocabulary");
    const size_t skip = std::min(continuing_subword_prefix_.size(), right.size());
    joined.assign(left);
    joined.append(right, skip, std::string::npos);
    const auto merged = id_of(joined);
    if (!merged) fail(mwhere, "[", i, "]: merged token \"", joined, "\" is not in the vocabulary");
    merges_.insert(*a, *b, static_cast<uint32_t>(i), *merged);
  }
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (const auto id = id_of(word)) {
      out.push_back(*id);
      return;
    }
  }
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    const auto it = cache_.find(std::string(word));
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = out.size();
  merge_word(word, out);
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() < kMaxCacheEntries)
      cache_.emplace(std::string(word), std::vector<int32_t>(out.begin() + first, out.end()));
  }
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& out) const {
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add = [&](int32_t id, size_t len) {
    const auto n = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, n - 1, -1, static_cast<uint32_t>(len)});
    if (n > 0) symbols[n - 1].next = n;
  };

  // Initial symbols: one per character (HF's merge_word), with byte fallback and unk.
  // An unknown character waiting to be added (fused with following unknowns when
  // fuse_unk); -1 when none.
  int32_t unk_pending = -1;
  size_t unk_len = 0;
  std::string piece;
  for (size_t i = 0; i < word.size();) {
    const size_t len = utf8::next(word, i).len;
    const bool is_first = i == 0;
    const bool is_last = i + len == word.size();
    piece.assign(word.substr(i, len));
    if (!is_first) piece.insert(0, continuing_subword_prefix_);
    if (is_last) piece += end_of_word_suffix_;
    i += len;
    if (const auto id = id_of(piece)) {
      if (unk_pending >= 0) {
        add(unk_pending, unk_len);
        unk_pending = -1;
      }
      add(*id, len);
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (char c : piece) all = all && byte_ids_[static_cast<uint8_t>(c)] >= 0;
      if (all) {
        for (char c : piece) add(byte_ids_[static_cast<uint8_t>(c)], 1);
        continue;
      }
    }
    if (unk_id_) {
      if (unk_pending >= 0 && fuse_unk_) {
        unk_len += len;
      } else {
        if (unk_pending >= 0) add(unk_pending, unk_len);
        unk_pending = *unk_id_;
        unk_len = len;
      }
    }
  }
  if (unk_pending >= 0) add(unk_pending, unk_len);

  std::priority_queue<Candidate> queue;
  uint32_t rank;
  int32_t merged;
  for (size_t p = 0; p + 1 < symbols.size(); ++p)
    if (merges_.find(symbols[p].id, symbols[p + 1].id, rank, merged))
      queue.push({rank, static_cast<int32_t>(p), merged});

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& cur = symbols[top.pos];
    if (cur.len == 0 || cur.next < 0) continue;
    const int32_t right_pos = cur.next;
    Symbol& right = symbols[right_pos];
    // Stale entry: the pair at this position changed since it was queued.
    if (!merges_.find(cur.id, right.id, rank, merged) || merged != top.merged) continue;
    cur.id = top.merged;
    cur.len += right.len;
    cur.next = right.next;
    right.len = 0;
    if (cur.next >= 0) symbols[cur.next].prev = top.pos;
    if (cur.prev >= 0 && merges_.find(symbols[cur.prev].id, cur.id, rank, merged))
      queue.push({rank, cur.prev, merged});
    if (cur.next >= 0 && merges_.find(cur.id, symbols[cur.next].id, rank, merged))
      queue.push({rank, top.pos, merged});
  }
  for (const Symbol& s : symbols)
    if (s.len != 0) out.push_back(s.id);
}

}  // namespace llmrun::tok
