// GGUF layout (github.com/ggml-org/ggml docs/gguf.md), all little-endian:
//   "GGUF" u32 version, u64 tensor_count, u64 kv_count,
//   kv_count x { string key, u32 value_type, value },
//   tensor_count x { string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset },
//   padding to general.alignment (default 32), then the data section; tensor offsets
//   are relative to its start and multiples of the alignment.
// A string is u64 length + bytes; an array is u32 element type + u64 count + elements.
// Every read goes through Cursor, which checks the bytes are there first; counts are
// checked against the bytes left before anything is reserved.
#include "loaders/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <limits>

#include "loaders/shape.h"
#include "runtime/error.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "llmrun assumes a little-endian host");

namespace llmrun {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr int kMaxDims = 4;              // GGML_MAX_DIMS
constexpr uint64_t kDefaultAlignment = 32;

constexpr GgmlTypeInfo kTypes[] = {
    {GgmlType::f32, "F32", 1, 4},          {GgmlType::f16, "F16", 1, 2},
    {GgmlType::q4_0, "Q4_0", 32, 18},      {GgmlType::q4_1, "Q4_1", 32, 20},
    {GgmlType::q5_0, "Q5_0", 32, 22},      {GgmlType::q5_1, "Q5_1", 32, 24},
    {GgmlType::q8_0, "Q8_0", 32, 34},      {GgmlType::q8_1, "Q8_1", 32, 36},
    {GgmlType::q2_k, "Q2_K", 256, 84},     {GgmlType::q3_k, "Q3_K", 256, 110},
    {GgmlType::q4_k, "Q4_K", 256, 144},    {GgmlType::q5_k, "Q5_K", 256, 176},
    {GgmlType::q6_k, "Q6_K", 256, 210},    {GgmlType::q8_k, "Q8_K", 256, 292},
    {GgmlType::iq2_xxs, "IQ2_XXS", 256, 66}, {GgmlType::iq2_xs, "IQ2_XS", 256, 74},
    {GgmlType::iq3_xxs, "IQ3_XXS", 256, 98}, {GgmlType::iq1_s, "IQ1_S", 256, 50},
    {GgmlType::iq4_nl, "IQ4_NL", 32, 18},  {GgmlType::iq3_s, "IQ3_S", 256, 110},
    {GgmlType::iq2_s, "IQ2_S", 256, 82},   {GgmlType::iq4_xs, "IQ4_XS", 256, 136},
    {GgmlType::i8, "I8", 1, 1},            {GgmlType::i16, "I16", 1, 2},
    {GgmlType::i32, "I32", 1, 4},          {GgmlType::i64, "I64", 1, 8},
    {GgmlType::f64, "F64", 1, 8},          {GgmlType::iq1_m, "IQ1_M", 256, 56},
    {GgmlType::bf16, "BF16", 1, 2},        {GgmlType::tq1_0, "TQ1_0", 256, 54},
    {GgmlType::tq2_0, "TQ2_0", 256, 66},   {GgmlType::mxfp4, "MXFP4", 32, 17},
    {GgmlType::nvfp4, "NVFP4", 64, 36},    {GgmlType::q1_0, "Q1_0", 128, 18},
};

const char* const kValueTypeNames[] = {"UINT8", "INT8",   "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
                                       "BOOL",  "STRING", "ARRAY",  "UINT64", "INT64", "FLOAT64"};

// Bytes of one scalar of a value type (strings: the length field, their minimum).
uint64_t min_value_bytes(GgufValueType t) {
  switch (t) {
    case GgufValueType::u8: case GgufValueType::i8: case GgufValueType::boolean: return 1;
    case GgufValueType::u16: case GgufValueType::i16: return 2;
    case GgufValueType::u32: case GgufValueType::i32: case GgufValueType::f32: return 4;
    case GgufValueType::u64: case GgufValueType::i64: case GgufValueType::f64: return 8;
    case GgufValueType::string: return 8;
    case GgufValueType::array: return 12;
  }
  return 1;
}

// A short, one-line rendering of untrusted text for error messages.
std::string clip(const std::string& text, size_t limit = 120) {
  std::string out;
  for (char c : text.substr(0, limit)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (text.size() > limit) out += "...";
  return out;
}

std::string errno_text() { return std::strerror(errno); }

// Offset of the first byte that is not well-formed UTF-8 (no overlong forms, surrogates
// or code points above U+10FFFF), or npos.
size_t invalid_utf8_at(const std::string& s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0, n = s.size(); i < n;) {
    const unsigned c = b[i];
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c < 0x80) len = 1;
    else if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c == 0xe0) len = 3, lo = 0xa0;
    else if (c >= 0xe1 && c <= 0xef) len = 3, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c == 0xf0) len = 4, lo = 0x90;
    else if (c >= 0xf1 && c <= 0xf3) len = 4;
    else if (c == 0xf4) len = 4, hi = 0x8f;
    else return i;
    if (len > n - i) return i;
    for (size_t k = 1; k < len; ++k) {
      const unsigned t = b[i + k];
      if (t < (k == 1 ? lo : 0x80) || t > (k == 1 ? hi : 0xbf)) return i;
    }
    i += len;
  }
  return std::string::npos;
}

// Bounds-checked reads from the mapping; `what` names the field for the error.
class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size, const std::string& path) : data_(data), size_(size), path_(path) {}
  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }

  void need(uint64_t n, const std::string& what) const {
    if (n > left())
      fail(path_, ": truncated: ", what, " needs ", n, " bytes at offset ", pos_, " but the file is ", size_,
           " bytes");
  }
  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(const std::string& what) {
    const uint64_t len = read<uint64_t>(what + " length");
    need(len, what + " of " + std::to_string(len) + " bytes");
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    // GGUF strings are UTF-8; other bytes would reach JSON (the tokenizer.json built from
    // the metadata) and the terminal.
    if (const size_t bad = invalid_utf8_at(s); bad != std::string::npos)
      fail(path_, ": ", what, ": not valid UTF-8 (byte ", bad, " of the string at offset ", pos_, ")");
    pos_ += len;
    return s;
  }
  // A count of items each at least `min_bytes` long must fit in what is left.
  void check_count(uint64_t count, uint64_t min_bytes, const std::string& what) const {
    if (count > left() / min_bytes)
      fail(path_, ": ", what, " count ", count, " cannot fit in the ", left(), " bytes left at offset ", pos_,
           " (corrupt)");
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& path_;
};

bool valid_value_type(uint32_t t) { return t <= uint32_t(GgufValueType::f64); }

int64_t read_integer(Cursor& c, GgufValueType t, const std::string& path, const std::string& what) {
  switch (t) {
    case GgufValueType::u8: return c.read<uint8_t>(what);
    case GgufValueType::i8: return c.read<int8_t>(what);
    case GgufValueType::u16: return c.read<uint16_t>(what);
    case GgufValueType::i16: return c.read<int16_t>(what);
    case GgufValueType::u32: return c.read<uint32_t>(what);
    case GgufValueType::i32: return c.read<int32_t>(what);
    case GgufValueType::i64: return c.read<int64_t>(what);
    case GgufValueType::u64: {
      const uint64_t v = c.read<uint64_t>(what);
      if (v > uint64_t(std::numeric_limits<int64_t>::max()))
        fail(path, ": ", what, ": UINT64 value ", v, " is beyond the supported range (2^63-1)");
      return int64_t(v);
    }
    case GgufValueType::boolean: {
      const uint8_t v = c.read<uint8_t>(what);
      if (v > 1) fail(path, ": ", what, ": BOOL byte is ", int(v), ", expected 0 or 1");
      return v;
    }
    default: break;
  }
  LLMRUN_CHECK(false, "not an integer type ", uint32_t(t));
}

bool is_integer_type(GgufValueType t) {
  return t != GgufValueType::f32 && t != GgufValueType::f64 && t != GgufValueType::string &&
         t != GgufValueType::array;
}

double read_real(Cursor& c, GgufValueType t, const std::string& what) {
  return t == GgufValueType::f32 ? double(c.read<float>(what)) : c.read<double>(what);
}

GgufValue read_value(Cursor& c, uint32_t raw_type, const std::string& path, const std::string& what) {
  if (!valid_value_type(raw_type)) fail(path, ": ", what, ": unknown value type ", raw_type);
  GgufValue v;
  v.type = GgufValueType(raw_type);
  if (v.type == GgufValueType::string) {
    v.string = c.read_string(what);
  } else if (v.type == GgufValueType::array) {
    const uint32_t raw_elem = c.read<uint32_t>(what + " element type");
    if (!valid_value_type(raw_elem)) fail(path, ": ", what, ": unknown array element type ", raw_elem);
    v.element_type = GgufValueType(raw_elem);
    if (v.element_type == GgufValueType::array) fail(path, ": ", what, ": arrays of arrays are not supported");
    const uint64_t n = c.read<uint64_t>(what + " array length");
    c.check_count(n, min_value_bytes(v.element_type), what + ": array");
    if (v.element_type == GgufValueType::string) {
      v.strings.reserve(size_t(n));
      for (uint64_t i = 0; i < n; ++i) v.strings.push_back(c.read_string(what + "[" + std::to_string(i) + "]"));
    } else if (is_integer_type(v.element_type)) {
      v.integers.reserve(size_t(n));
      for (uint64_t i = 0; i < n; ++i)
        v.integers.push_back(read_integer(c, v.element_type, path, what + "[" + std::to_string(i) + "]"));
    } else {
      v.reals.reserve(size_t(n));
      for (uint64_t i = 0; i < n; ++i) v.reals.push_back(read_real(c, v.element_type, what));
    }
  } else if (is_integer_type(v.type)) {
    v.integer = read_integer(c, v.type, path, what);
  } else {
    v.real = read_real(c, v.type, what);
  }
  return v;
}

struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

const char* gguf_value_type_name(GgufValueType type) {
  const auto i = size_t(type);
  return i < std::size(kValueTypeNames) ? kValueTypeNames[i] : "?";
}

const GgmlTypeInfo* ggml_type_info(uint32_t type) {
  for (const GgmlTypeInfo& t : kTypes)
    if (uint32_t(t.type) == type) return &t;
  return nullptr;
}

const GgmlTypeInfo& ggml_type_info(GgmlType type) {
  const GgmlTypeInfo* t = ggml_type_info(uint32_t(type));
  LLMRUN_CHECK(t != nullptr, "ggml type ", uint32_t(type));
  return *t;
}

bool GgufValue::is_integer() const { return is_integer_type(type) && type != GgufValueType::boolean; }

size_t GgufValue::array_size() const { return strings.size() + integers.size() + reals.size(); }

int64_t GgufTensor::numel() const { return element_count(ne); }

std::string GgufTensor::shape_str() const { return shape_text(ne); }

GgufFile::~GgufFile() {
  if (map_) ::munmap(map_, map_size_);
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path) {
  FdGuard fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) fail(path, ": cannot open: ", errno_text());
  struct stat st;
  if (::fstat(fd.fd, &st) != 0) fail(path, ": cannot stat: ", errno_text());
  if (!S_ISREG(st.st_mode)) fail(path, ": not a regular file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 24)
    fail(path, ": file is only ", file_size, " bytes; a GGUF file starts with a 24-byte header");

  std::unique_ptr<GgufFile> file(new GgufFile());
  file->path_ = path;
  void* map = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd.fd, 0);
  if (map == MAP_FAILED) fail(path, ": mmap of ", file_size, " bytes failed: ", errno_text());
  file->map_ = map;  // unmapped by the destructor from here on, including on errors below
  file->map_size_ = file_size;
  const auto* bytes = static_cast<const uint8_t*>(map);
  Cursor c(bytes, file_size, path);

  if (c.read<uint32_t>("magic") != kMagic) fail(path, ": not a GGUF file (does not start with \"GGUF\")");
  const uint32_t version = c.read<uint32_t>("version");
  if (version == 1) fail(path, ": GGUF version 1 is not supported (re-convert it with a current llama.cpp)");
  if (version != 2 && version != 3) {
    if ((version & 0xffff) == 0 && version != 0)
      fail(path, ": GGUF version field is ", version, ": a big-endian file, which is not supported");
    fail(path, ": unsupported GGUF version ", version, " (supported: 2, 3)");
  }
  file->version_ = version;
  const uint64_t n_tensors = c.read<uint64_t>("tensor count");
  const uint64_t n_kv = c.read<uint64_t>("metadata count");
  c.check_count(n_kv, 8 + 4 + 1, "metadata");  // key length, value type, one byte of value

  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string key = c.read_string("metadata key #" + std::to_string(i));
    if (key.empty()) fail(path, ": metadata key #", i, " is empty");
    const std::string what = "key " + clip(key);
    const uint32_t type = c.read<uint32_t>(what + " value type");
    GgufValue value = read_value(c, type, path, what);
    if (!file->metadata_.emplace(key, std::move(value)).second) fail(path, ": ", what, " appears twice");
  }

  if (const GgufValue* a = file->find("general.alignment")) {
    if (!a->is_integer()) fail(path, ": key general.alignment is ", gguf_value_type_name(a->type), ", expected UINT32");
    if (a->integer <= 0 || (a->integer & (a->integer - 1)) != 0 || a->integer > (int64_t(1) << 30))
      fail(path, ": key general.alignment is ", a->integer, ", expected a power of two");
    file->alignment_ = uint64_t(a->integer);
  } else {
    file->alignment_ = kDefaultAlignment;
  }

  // name length, n_dims, one dimension, type, offset
  c.check_count(n_tensors, 8 + 4 + 8 + 4 + 8, "tensor info");
  struct Info {
    std::string name;
    uint32_t type;
    std::vector<int64_t> ne;
    uint64_t offset;
  };
  std::vector<Info> infos;
  infos.reserve(size_t(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    Info info;
    info.name = c.read_string("tensor #" + std::to_string(i) + " name");
    const std::string what = "tensor " + clip(info.name);
    if (info.name.empty()) fail(path, ": tensor #", i, " has an empty name");
    const uint32_t n_dims = c.read<uint32_t>(what + " dimension count");
    if (n_dims == 0 || n_dims > uint32_t(kMaxDims))
      fail(path, ": ", what, ": ", n_dims, " dimensions, expected 1 to ", kMaxDims);
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t ne = c.read<uint64_t>(what + " dimension");
      if (ne > uint64_t(std::numeric_limits<int64_t>::max()))
        fail(path, ": ", what, ": dimension ", d, " is ", ne, " (negative or beyond 2^63)");
      info.ne.push_back(int64_t(ne));
    }
    info.type = c.read<uint32_t>(what + " type");
    info.offset = c.read<uint64_t>(what + " offset");
    infos.push_back(std::move(info));
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t header_end = c.pos();
  const uint64_t pad = (file->alignment_ - header_end % file->alignment_) % file->alignment_;
  file->data_offset_ = header_end + pad;
  const uint64_t data_size = file_size > file->data_offset_ ? file_size - file->data_offset_ : 0;

  for (Info& info : infos) {
    const std::string where = path + ": tensor " + clip(info.name);
    const GgmlTypeInfo* t = ggml_type_info(info.type);
    if (!t) fail(where, ": unknown ggml type ", info.type);
    uint64_t numel = 1;
    for (int64_t d : info.ne)
      if (__builtin_mul_overflow(numel, uint64_t(d), &numel) || numel > uint64_t(std::numeric_limits<int64_t>::max()))
        fail(where, ": shape has more elements than fit in 64 bits");
    GgufTensor tensor;
    tensor.name = info.name;
    tensor.type = t->type;
    tensor.ne = info.ne;
    if (tensor.ne[0] % t->block_size != 0)
      fail(where, ": row length ", tensor.ne[0], " is not a multiple of the ", t->name, " block size ", t->block_size);
    const uint64_t blocks = numel / uint64_t(t->block_size);
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(blocks, uint64_t(t->type_size), &nbytes))
      fail(where, ": ", tensor.shape_str(), " x ", t->name, " is more bytes than fit in 64 bits");
    if (info.offset % file->alignment_ != 0)
      fail(where, ": data offset ", info.offset, " is not a multiple of the alignment ", file->alignment_);
    if (info.offset > data_size || nbytes > data_size - info.offset)
      fail(where, ": truncated: data [", info.offset, ", ", info.offset, " + ", nbytes,
           ") runs past the end of the data section (", data_size, " bytes from offset ", file->data_offset_,
           "; file is ", file_size, " bytes)");
    tensor.offset = info.offset;
    tensor.nbytes = size_t(nbytes);
    tensor.data = bytes + file->data_offset_ + info.offset;
    tensor.file = path;
    file->tensors_.push_back(std::move(tensor));
  }
  std::stable_sort(file->tensors_.begin(), file->tensors_.end(),
                   [](const GgufTensor& a, const GgufTensor& b) { return a.offset < b.offset; });
  for (size_t i = 0; i < file->tensors_.size(); ++i) {
    const GgufTensor& t = file->tensors_[i];
    if (i > 0) {
      const GgufTensor& prev = file->tensors_[i - 1];
      if (prev.nbytes > 0 && t.nbytes > 0 && prev.offset + prev.nbytes > t.offset)
        fail(path, ": tensor ", clip(t.name), ": data at offset ", t.offset, " overlaps tensor ", clip(prev.name),
             " [", prev.offset, ", ", prev.offset + prev.nbytes, ")");
    }
    if (!file->by_name_.emplace(t.name, i).second) fail(path, ": tensor ", clip(t.name), " appears twice");
  }
  return file;
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

namespace {
const GgufValue& need(const GgufFile& f, const std::string& key) {
  const GgufValue* v = f.find(key);
  if (!v) fail(f.path(), ": missing metadata key ", key);
  return *v;
}
[[noreturn]] void wrong_type(const GgufFile& f, const std::string& key, const GgufValue& v, const char* expected) {
  std::string type = gguf_value_type_name(v.type);
  if (v.type == GgufValueType::array) type += std::string(" of ") + gguf_value_type_name(v.element_type);
  fail(f.path(), ": key ", key, " is ", type, ", expected ", expected);
}
}  // namespace

int64_t GgufFile::get_int(const std::string& key) const {
  const GgufValue& v = need(*this, key);
  if (!v.is_integer()) wrong_type(*this, key, v, "an integer");
  return v.integer;
}

double GgufFile::get_real(const std::string& key) const {
  const GgufValue& v = need(*this, key);
  if (v.is_real()) return v.real;
  if (v.is_integer()) return double(v.integer);
  wrong_type(*this, key, v, "a number");
}

bool GgufFile::get_bool(const std::string& key) const {
  const GgufValue& v = need(*this, key);
  if (v.type != GgufValueType::boolean) wrong_type(*this, key, v, "BOOL");
  return v.integer != 0;
}

const std::string& GgufFile::get_string(const std::string& key) const {
  const GgufValue& v = need(*this, key);
  if (v.type != GgufValueType::string) wrong_type(*this, key, v, "STRING");
  return v.string;
}

const std::vector<std::string>& GgufFile::get_strings(const std::string& key) const {
  const GgufValue& v = need(*this, key);
  if (v.type != GgufValueType::array || v.element_type != GgufValueType::string)
    wrong_type(*this, key, v, "ARRAY of STRING");
  return v.strings;
}

const std::vector<int64_t>& GgufFile::get_ints(const std::string& key) const {
  const GgufValue& v = need(*this, key);
  if (v.type != GgufValueType::array || !is_integer_type(v.element_type) || v.element_type == GgufValueType::string)
    wrong_type(*this, key, v, "ARRAY of integers");
  return v.integers;
}

const std::vector<double>& GgufFile::get_reals(const std::string& key) const {
  const GgufValue& v = need(*this, key);
  if (v.type != GgufValueType::array ||
      (v.element_type != GgufValueType::f32 && v.element_type != GgufValueType::f64))
    wrong_type(*this, key, v, "ARRAY of FLOAT32");
  return v.reals;
}

const GgufTensor* GgufFile::find_tensor(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

bool is_gguf_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  FdGuard fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return false;
  char magic[4];
  return ::read(fd.fd, magic, 4) == 4 && std::memcmp(magic, "GGUF", 4) == 0;
}

}  // namespace llmrun
