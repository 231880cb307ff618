#pragma once
// The op interface every backend implements. Model code calls these and never
// branches on the device; a backend that cannot run an op or format says so through
// supports() and a clear error, never by silently doing nothing.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/quant/weight_format.h"

namespace llmrun {

// A backend-owned activation buffer: [rows, cols] row-major. On CPU fp32; on CUDA the
// backend's activation dtype. Contents are reached only through backend ops.
class Tensor {
 public:
  Tensor(int64_t rows, int64_t cols) : rows_(rows), cols_(cols) {}
  virtual ~Tensor() = default;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }

 private:
  int64_t rows_, cols_;
};

// A weight matrix W[rows, cols] (rows = output channels) packed in one codec's layout,
// as produced on the host by the loader: rows * codec.row_bytes(cols) bytes plus one
// fp32 scale per row (all 1 for unscaled formats). Vectors (norm gains, biases, RoPE
// frequencies) are fp32 weights with rows == 1.
struct HostWeight {
  std::string name;  // for error messages: "model.layers.3.self_attn.q_proj.weight"
  WeightFormat format = WeightFormat::f32;
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> packed;  // [rows, row_bytes(cols)]
  std::vector<float> scales;    // [rows]
};

class Weight {
 public:
  Weight(std::string name, WeightFormat format, int64_t rows, int64_t cols)
      : name_(std::move(name)), format_(format), rows_(rows), cols_(cols) {}
  virtual ~Weight() = default;
  Weight(const Weight&) = delete;
  Weight& operator=(const Weight&) = delete;
  const std::string& name() const { return name_; }
  WeightFormat format() const { return format_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }

 private:
  std::string name_;
  WeightFormat format_;
  int64_t rows_, cols_;
};

// Per-sequence key/value storage for every layer, preallocated to `capacity` positions.
class KvStorage {
 public:
  KvStorage(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity)
      : layers_(layers), kv_heads_(kv_heads), head_dim_(head_dim), capacity_(capacity) {}
  virtual ~KvStorage() = default;
  KvStorage(const KvStorage&) = delete;
  KvStorage& operator=(const KvStorage&) = delete;
  int64_t layers() const { return layers_; }
  int64_t kv_heads() const { return kv_heads_; }
  int64_t head_dim() const { return head_dim_; }
  int64_t capacity() const { return capacity_; }

 private:
  int64_t layers_, kv_heads_, head_dim_, capacity_;
};

struct AttentionShape {
  int64_t n_heads;     // query heads
  int64_t n_kv_heads;  // key/value heads (n_heads % n_kv_heads == 0: GQA)
  int64_t head_dim;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "cpu", "cuda:0 (NVIDIA H100 ...)"
  virtual bool supports(WeightFormat format) const = 0;

  virtual std::unique_ptr<Tensor> alloc(int64_t rows, int64_t cols) = 0;
  // Throws llmrun::Error naming the weight when its format is not supported here.
  virtual std::unique_ptr<Weight> upload(const HostWeight& weight) = 0;
  virtual std::unique_ptr<KvStorage> alloc_kv(int64_t layers, int64_t kv_heads, int64_t head_dim,
                                              int64_t capacity) = 0;

  // out[i, :] = decode(table row ids[i]). ids are checked < table.rows() by the caller.
  virtual void embed(const Weight& table, const std::vector<int32_t>& ids, Tensor& out) = 0;
  // out[r, :] = x[r, :] / rms(x[r, :]) * gain;  gain: [1, x.cols] fp32.
  virtual void rmsnorm(const Tensor& x, const Weight& gain, float eps, Tensor& out) = 0;
  // The same over each head_dim-wide slice of every row, in place (Qwen3 q_norm/k_norm).
  virtual void rmsnorm_heads(Tensor& x, const Weight& gain, float eps) = 0;
  // out[n, w.rows] = x[n, w.cols] * W^T (+ bias [1, w.rows] fp32); fp32 accumulation.
  virtual void linear(const Tensor& x, const Weight& w, const Weight* bias, Tensor& out) = 0;
  // Rotate-half RoPE in place on x[n, heads * head_dim]; row r sits at position
  // start_pos + r; inv_freq: [1, head_dim / 2] fp32.
  virtual void rope(Tensor& x, int64_t head_dim, int64_t start_pos, const Weight& inv_freq) = 0;
  // Writes k, v ([n, kv_heads * head_dim]) into the cache at positions
  // [start_pos, start_pos + n) of `layer`, then causal attention of q
  // ([n, heads * head_dim]) over positions [0, start_pos + r] -> out [n, heads * head_dim].
  virtual void attention(const Tensor& q, const Tensor& k, const Tensor& v, KvStorage& cache,
                         int64_t layer, int64_t start_pos, const AttentionShape& shape,
                         Tensor& out) = 0;
  // out = silu(gate) * up, elementwise.
  virtual void swiglu(const Tensor& gate, const Tensor& up, Tensor& out) = 0;
  // x += y, elementwise.
  virtual void add(Tensor& x, const Tensor& y) = 0;
  // out[0..n) = x[first..first+n) (rows).
  virtual void take_rows(const Tensor& x, int64_t first, int64_t n, Tensor& out) = 0;
  // out[first..first+src.rows) = src (rows); the inverse of take_rows.
  virtual void put_rows(const Tensor& src, int64_t first, Tensor& out) = 0;
  // Copies x to the host as fp32 [rows, cols].
  virtual void to_host(const Tensor& x, float* dst) = 0;
};

struct BackendOptions {
  std::string device = "auto";  // "cpu", "cuda", "cuda:N", "auto"
  int threads = 0;              // CPU threads; 0 = all cores
};

// "auto" picks CUDA when built with it and a device is present, else CPU. Unknown
// devices and CUDA without CUDA support are errors that say what is available.
std::unique_ptr<Backend> make_backend(const BackendOptions& options);

}  // namespace llmrun
