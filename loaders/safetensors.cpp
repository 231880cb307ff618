// safetensors layout: u64 little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"k": "v"}}, then the data region; offsets are relative to its start.
// Every header field is checked before any pointer into the mapping is formed, so a
// malformed or truncated file is an llmrun::Error, never an out-of-bounds read.
#include "loaders/safetensors.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kernels/quant/half.h"
#include "loaders/shape.h"
#include "runtime/error.h"

// Tensor bytes are little-endian in the file and are reinterpreted in place.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "llmrun assumes a little-endian host");

namespace llmrun {
namespace {

using json = nlohmann::json;

// Same limit as the reference Rust implementation: larger headers are corrupt or hostile.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr const char* kMetadataKey = "__metadata__";
constexpr const char* kIndexFile = "model.safetensors.index.json";
constexpr const char* kSingleFile = "model.safetensors";

struct DTypeRecord {
  DType dtype;
  const char* name;
  size_t size;
};

// Indexed by the DType enum value.
constexpr DTypeRecord kDTypes[] = {
    {DType::f64, "F64", 8},         {DType::f32, "F32", 4},
    {DType::f16, "F16", 2},         {DType::bf16, "BF16", 2},
    {DType::i64, "I64", 8},         {DType::i32, "I32", 4},
    {DType::i16, "I16", 2},         {DType::i8, "I8", 1},
    {DType::u8, "U8", 1},           {DType::boolean, "BOOL", 1},
    {DType::f8_e4m3, "F8_E4M3", 1}, {DType::f8_e5m2, "F8_E5M2", 1},
};

const DTypeRecord& dtype_record(DType dtype) {
  size_t i = static_cast<size_t>(dtype);
  LLMRUN_CHECK(i < std::size(kDTypes) && kDTypes[i].dtype == dtype, "dtype value ", i);
  return kDTypes[i];
}

bool parse_dtype(const std::string& name, DType* out) {
  for (const DTypeRecord& r : kDTypes) {
    if (name == r.name) {
      *out = r.dtype;
      return true;
    }
  }
  return false;
}

std::string supported_dtype_names() {
  std::string names;
  for (const DTypeRecord& r : kDTypes) names += std::string(names.empty() ? "" : ", ") + r.name;
  return names;
}

// A short, one-line rendering of untrusted text for error messages.
std::string clip(const std::string& text, size_t limit = 200) {
  std::string out;
  for (char c : text.substr(0, limit)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (text.size() > limit) out += "...";
  return out;
}

const char* json_type(const json& j) { return j.type_name(); }

// nlohmann's parse errors read "[json.exception.parse_error.101] parse error at line 1,
// column 7: syntax error while parsing ... - invalid literal; last read: '...'": drop
// the bracketed id and keep the rest short.
std::string short_parse_error(const json::exception& e) {
  std::string what = e.what();
  size_t close = what.find("] ");
  if (what.rfind("[json.exception", 0) == 0 && close != std::string::npos) what = what.substr(close + 2);
  return clip(what, 160);
}

// Parses JSON text, rejecting duplicate top-level keys (nlohmann would silently keep
// the last one, hiding a second tensor of the same name).
json parse_json_object_text(const char* begin, const char* end, const std::string& where) {
  std::set<std::string> top_keys;
  std::string duplicate;
  auto on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && duplicate.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!top_keys.insert(key).second) duplicate = key;
    }
    return true;
  };
  json doc;
  try {
    doc = json::parse(begin, end, on_event);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e400
    fail(where, ": invalid JSON (", short_parse_error(e), ")");
  }
  if (!doc.is_object()) fail(where, ": JSON is a ", json_type(doc), ", expected an object");
  if (!duplicate.empty()) fail(where, ": key \"", clip(duplicate), "\" appears twice");
  return doc;
}

std::string errno_text() { return std::strerror(errno); }

// A non-negative integer that fits uint64 (nlohmann stores big or fractional numbers
// as floats, and negative ones as signed).
bool as_u64(const json& j, uint64_t* out) {
  if (j.is_number_unsigned()) {
    *out = j.get<uint64_t>();
    return true;
  }
  if (j.is_number_integer() && j.get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(j.get<int64_t>());
    return true;
  }
  return false;
}

struct ParsedEntry {
  TensorView view;
  uint64_t begin;  // data-region offsets
  uint64_t end;
};

// Validates one header entry against the data region [0, data_size); `file_size` and
// `data_start` only feed the truncation message.
ParsedEntry parse_entry(const std::string& path, const std::string& name, const json& entry,
                        uint64_t data_size, uint64_t data_start, uint64_t file_size) {
  const std::string where = path + ": tensor " + clip(name);
  if (!entry.is_object()) fail(where, ": header entry is a ", json_type(entry), ", expected an object");
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!entry.contains(key)) fail(where, ": header entry has no \"", key, "\"");
  }
  const json& dtype_j = entry.at("dtype");
  const json& shape_j = entry.at("shape");
  const json& offsets_j = entry.at("data_offsets");

  ParsedEntry p;
  p.view.name = name;
  p.view.file = path;
  if (!dtype_j.is_string()) fail(where, ": dtype is a ", json_type(dtype_j), ", expected a string");
  const std::string& dtype_str = dtype_j.get_ref<const std::string&>();
  if (!parse_dtype(dtype_str, &p.view.dtype)) {
    fail(where, ": unknown dtype \"", clip(dtype_str), "\" (known: ", supported_dtype_names(), ")");
  }

  if (!shape_j.is_array()) fail(where, ": shape is a ", json_type(shape_j), ", expected an array");
  uint64_t numel = 1;
  for (const json& dim_j : shape_j) {
    uint64_t dim = 0;
    if (!dim_j.is_number_integer()) fail(where, ": shape ", clip(shape_j.dump()), " holds a non-integer");
    if (!as_u64(dim_j, &dim)) fail(where, ": shape ", clip(shape_j.dump()), " has a negative dimension");
    if (dim > uint64_t(std::numeric_limits<int64_t>::max()) || __builtin_mul_overflow(numel, dim, &numel) ||
        numel > uint64_t(std::numeric_limits<int64_t>::max())) {
      fail(where, ": shape ", clip(shape_j.dump()), " has more elements than fit in 64 bits");
    }
    p.view.shape.push_back(static_cast<int64_t>(dim));
  }
  uint64_t expected_bytes = 0;
  if (__builtin_mul_overflow(numel, uint64_t(dtype_size(p.view.dtype)), &expected_bytes)) {
    fail(where, ": shape ", clip(shape_j.dump()), " x ", dtype_str, " is more bytes than fit in 64 bits");
  }

  if (!offsets_j.is_array() || offsets_j.size() != 2 || !as_u64(offsets_j[0], &p.begin) ||
      !as_u64(offsets_j[1], &p.end)) {
    fail(where, ": data_offsets ", clip(offsets_j.dump()), " is not [begin, end] with non-negative integers");
  }
  if (p.begin > p.end) fail(where, ": data_offsets [", p.begin, ",", p.end, "] has begin > end");
  if (p.end > data_size) {
    fail(where, ": truncated: data_offsets end ", p.end, " needs a file of at least ", data_start + p.end,
         " bytes (", data_start, " header + ", p.end, " data) but it is ", file_size, " bytes");
  }
  if (p.end - p.begin != expected_bytes) {
    fail(where, ": data_offsets [", p.begin, ",", p.end, "] span ", p.end - p.begin, " bytes but shape ",
         p.view.shape_str(), " x ", dtype_str, " needs ", expected_bytes);
  }
  p.view.nbytes = static_cast<size_t>(expected_bytes);
  return p;
}

void parse_metadata(const std::string& path, const json& meta, std::map<std::string, std::string>* out) {
  if (!meta.is_object()) fail(path, ": ", kMetadataKey, " is a ", json_type(meta), ", expected an object of strings");
  for (const auto& [key, value] : meta.items()) {
    if (!value.is_string()) {
      fail(path, ": ", kMetadataKey, " key \"", clip(key), "\" holds a ", json_type(value), ", expected a string");
    }
    (*out)[key] = value.get<std::string>();
  }
}

// Closes a descriptor on every exit path of open().
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

bool is_regular_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open: ", errno_text());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail(path, ": read error");
  return text.str();
}

// A shard file name from an index must stay inside the checkpoint folder.
bool safe_relative_name(const std::string& name) {
  if (name.empty() || name[0] == '/') return false;
  std::stringstream parts(name);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part == "..") return false;
  }
  return true;
}

// `path` is the destination named in errors; the bytes go to its temporary file.
void write_all(int fd, const void* data, size_t size, const std::string& path) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(path, ": write failed: ", errno_text());
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// Opens a new file next to `path` with O_EXCL (never clobbers anything) and returns its name.
int create_temp_beside(const std::string& path, std::string* temp_path) {
  std::random_device seed;
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::ostringstream name;
    name << path << ".partial-" << ::getpid() << "-" << std::hex << seed();
    int fd = ::open(name.str().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      *temp_path = name.str();
      return fd;
    }
    if (errno != EEXIST) fail(path, ": cannot create temporary file ", name.str(), ": ", errno_text());
  }
  fail(path, ": cannot create a unique temporary file beside it");
}

// Removes `<path>.partial-<pid>-<hex>` files left by writers that were killed: ours only
// (that exact pattern), and only when no process <pid> is running.
void remove_stale_partials(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + ".partial-";
  std::error_code ec;
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());  // "<pid>-<hex>"
    const size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || rest.find_first_not_of("0123456789") != dash ||
        dash + 1 == rest.size() || rest.find_first_not_of("0123456789abcdef", dash + 1) != std::string::npos)
      continue;
    const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
    if (pid <= 0 || (::kill(pid_t(pid), 0) != 0 && errno == ESRCH)) fs::remove(e.path(), ec);
  }
}

}  // namespace

const char* dtype_name(DType dtype) { return dtype_record(dtype).name; }
size_t dtype_size(DType dtype) { return dtype_record(dtype).size; }

int64_t TensorView::numel() const { return element_count(shape); }

std::string TensorView::shape_str() const { return shape_text(shape); }

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  FdGuard fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) fail(path, ": cannot open: ", errno_text());
  struct stat st;
  if (::fstat(fd.fd, &st) != 0) fail(path, ": cannot stat: ", errno_text());
  if (!S_ISREG(st.st_mode)) fail(path, ": not a regular file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size == 0) fail(path, ": file is empty; a safetensors file starts with an 8-byte header length");
  if (file_size < 8) {
    fail(path, ": file is only ", file_size, " bytes; a safetensors file starts with an 8-byte header length");
  }

  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  void* map = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd.fd, 0);
  if (map == MAP_FAILED) fail(path, ": mmap of ", file_size, " bytes failed: ", errno_text());
  file->map_ = map;  // the destructor unmaps from here on, including on errors below
  file->map_size_ = file_size;
  const auto* bytes = static_cast<const uint8_t*>(map);

  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  if (header_len > kMaxHeaderBytes) {
    fail(path, ": header length ", header_len, " is absurd (limit ", kMaxHeaderBytes,
         " bytes): corrupt or not a safetensors file");
  }
  if (header_len > file_size - 8) {
    fail(path, ": header length ", header_len, " exceeds the ", file_size - 8,
         " bytes after the length field: truncated or not a safetensors file");
  }
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = file_size - data_start;
  const auto* header = reinterpret_cast<const char*>(bytes + 8);
  json doc = parse_json_object_text(header, header + header_len, path + ": header");

  std::vector<ParsedEntry> entries;
  for (const auto& [name, entry] : doc.items()) {
    if (name == kMetadataKey) {
      parse_metadata(path, entry, &file->metadata_);
      continue;
    }
    entries.push_back(parse_entry(path, name, entry, data_size, data_start, file_size));
  }

  // File order; ties (empty tensors) by name so the order is deterministic.
  std::sort(entries.begin(), entries.end(), [](const ParsedEntry& a, const ParsedEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.view.name < b.view.name;
  });
  // Empty tensors occupy no bytes and overlap nothing; gaps between tensors are allowed
  // (writers may pad).
  const ParsedEntry* previous = nullptr;
  for (const ParsedEntry& e : entries) {
    if (e.begin == e.end) continue;
    if (previous && e.begin < previous->end) {
      fail(path, ": tensors ", clip(previous->view.name), " [", previous->begin, ",", previous->end, ") and ",
           clip(e.view.name), " [", e.begin, ",", e.end, ") overlap in the data region");
    }
    if (!previous || e.end > previous->end) previous = &e;
  }

  file->tensors_.reserve(entries.size());
  for (ParsedEntry& e : entries) {
    e.view.data = bytes + data_start + e.begin;
    file->by_name_[e.view.name] = file->tensors_.size();
    file->tensors_.push_back(std::move(e.view));
  }
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, map_size_);
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

Checkpoint Checkpoint::open_dir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) fail(dir, ": no such directory");
  Checkpoint ckpt;
  ckpt.dir_ = dir;
  const std::string index_path = dir + "/" + kIndexFile;
  const std::string single_path = dir + "/" + kSingleFile;

  if (!is_regular_file(index_path)) {
    if (!is_regular_file(single_path)) fail("no ", kSingleFile, " or ", kIndexFile, " in ", dir);
    ckpt.files_.push_back(SafetensorsFile::open(single_path));
    for (const TensorView& t : ckpt.files_[0]->tensors()) ckpt.index_[t.name] = &t;
    return ckpt;
  }

  const std::string text = read_whole_file(index_path);
  json doc = parse_json_object_text(text.data(), text.data() + text.size(), index_path);
  if (!doc.contains("weight_map")) fail(index_path, ": no \"weight_map\"");
  const json& weight_map_j = doc["weight_map"];
  if (!weight_map_j.is_object()) fail(index_path, ": weight_map is a ", json_type(weight_map_j), ", expected an object");
  if (weight_map_j.empty()) fail(index_path, ": weight_map is empty");
  std::map<std::string, std::string> weight_map;  // tensor -> shard file name
  for (const auto& [tensor, shard_j] : weight_map_j.items()) {
    if (!shard_j.is_string()) {
      fail(index_path, ": weight_map entry for tensor ", clip(tensor), " is a ", json_type(shard_j), ", expected a file name");
    }
    const std::string& shard = shard_j.get_ref<const std::string&>();
    if (!safe_relative_name(shard)) {
      fail(index_path, ": weight_map entry for tensor ", clip(tensor), " names shard \"", clip(shard),
           "\", which is not a file inside ", dir);
    }
    weight_map[tensor] = shard;
  }

  std::set<std::string> shard_names;
  for (const auto& [tensor, shard] : weight_map) shard_names.insert(shard);
  std::map<std::string, std::string> owner;  // tensor -> shard that holds it
  for (const std::string& shard : shard_names) {
    try {
      ckpt.files_.push_back(SafetensorsFile::open(dir + "/" + shard));
    } catch (const Error& e) {
      fail(index_path, ": shard ", clip(shard), ": ", e.what());
    }
    for (const TensorView& t : ckpt.files_.back()->tensors()) {
      auto [it, fresh] = owner.emplace(t.name, shard);
      if (!fresh) fail(index_path, ": tensor ", clip(t.name), " appears in both shard ", it->second, " and shard ", shard);
      auto listed = weight_map.find(t.name);
      if (listed == weight_map.end()) {
        fail(index_path, ": shard ", shard, " holds tensor ", clip(t.name), ", which the index does not list");
      }
      if (listed->second != shard) {
        fail(index_path, ": shard ", shard, " holds tensor ", clip(t.name), ", which the index assigns to ", listed->second);
      }
      ckpt.index_[t.name] = &t;
    }
  }
  for (const auto& [tensor, shard] : weight_map) {
    if (!owner.count(tensor)) {
      fail(index_path, ": tensor ", clip(tensor), " is assigned to shard ", clip(shard), ", which does not hold it");
    }
  }
  return ckpt;
}

const TensorView* Checkpoint::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

const TensorView& Checkpoint::get(const std::string& name) const {
  const TensorView* t = find(name);
  if (!t) fail(dir_, ": tensor ", name, " not found");
  return *t;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(index_.size());
  for (const auto& entry : index_) out.push_back(entry.first);
  return out;
}

std::vector<float> to_f32(const TensorView& view) {
  const size_t n = static_cast<size_t>(view.numel());
  if (view.dtype != DType::f32 && view.dtype != DType::f16 && view.dtype != DType::bf16) {
    fail(view.file, ": tensor ", view.name, " has dtype ", dtype_name(view.dtype), "; expected F32, F16 or BF16");
  }
  LLMRUN_CHECK(view.nbytes == n * dtype_size(view.dtype), view.name, " nbytes ", view.nbytes, " numel ", n);
  std::vector<float> out(n);
  if (n == 0) return out;
  // memcpy, not a cast: the data need not be aligned (headers of any length are legal).
  if (view.dtype == DType::f32) {
    std::memcpy(out.data(), view.data, n * sizeof(float));
    return out;
  }
  for (size_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, view.data + 2 * i, sizeof h);
    out[i] = view.dtype == DType::f16 ? quant::f16_to_f32(h) : quant::bf16_to_f32(h);
  }
  return out;
}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  remove_stale_partials(path);
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    const std::string where = path + ": tensor " + t.name;
    if (t.name == kMetadataKey) fail(where, ": name is reserved");
    if (header.contains(t.name)) fail(where, ": name appears twice");
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0 || __builtin_mul_overflow(numel, uint64_t(d), &numel)) fail(where, ": bad shape");
    }
    uint64_t expected = 0;
    if (__builtin_mul_overflow(numel, uint64_t(dtype_size(t.dtype)), &expected) || t.bytes.size() != expected) {
      fail(where, ": ", t.bytes.size(), " bytes given but shape x ", dtype_name(t.dtype), " needs ", expected);
    }
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const nlohmann::ordered_json::exception& e) {
    fail(path, ": cannot encode header (tensor or metadata names must be UTF-8): ", e.what());
  }
  // Pad so the data region starts 8-byte aligned (8 + header length is a multiple of 8).
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  uint8_t length_le[8];
  for (int i = 0; i < 8; ++i) length_le[i] = uint8_t(uint64_t(header_text.size()) >> (8 * i));

  std::string temp;
  int fd = create_temp_beside(path, &temp);
  try {
    write_all(fd, length_le, sizeof length_le, path);
    write_all(fd, header_text.data(), header_text.size(), path);
    for (const TensorToWrite& t : tensors) write_all(fd, t.bytes.data(), t.bytes.size(), path);
    // Data must be on disk before the rename makes it visible under the final name.
    if (::fsync(fd) != 0) fail(path, ": fsync failed: ", errno_text());
    int rc = ::close(fd);
    fd = -1;
    if (rc != 0) fail(path, ": close failed: ", errno_text());
    if (::rename(temp.c_str(), path.c_str()) != 0) fail(path, ": cannot rename ", temp, " into place: ", errno_text());
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
}

void release_pages(const TensorView& view) {
  if (view.nbytes == 0) return;
  const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  // Whole pages only; a page shared with a neighbouring tensor is simply re-read later.
  const uintptr_t begin = reinterpret_cast<uintptr_t>(view.data) & ~(page - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(view.data) + view.nbytes;
  madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);  // advisory: failure is harmless
}

}  // namespace llmrun
