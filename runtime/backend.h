#pragma once
// The op interface every backend implements. Model code calls these and never
// branches on the device; a backend that cannot run an op or format says so through
// supports() and a clear error, never by silently doing nothing.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/quant/weight_format.h"
#include "runtime/error.h"

namespace llmrun {

// Element types of backend tensors. Activations between ops are in the backend's
// activation dtype (activation_dtype()); the residual stream and every reduction are fp32;
// token ids and positions are i32 tensors uploaded once per step.
enum class TensorType : uint8_t { f32, f16, bf16, i32 };
inline const char* tensor_type_name(TensorType t) {
  return t == TensorType::f32 ? "f32" : t == TensorType::f16 ? "f16" : t == TensorType::bf16 ? "bf16" : "i32";
}
inline int tensor_type_bytes(TensorType t) { return t == TensorType::f16 || t == TensorType::bf16 ? 2 : 4; }

// A backend-owned buffer: [rows, cols] row-major of one dtype. Contents are reached only
// through backend ops. A view (Backend::view_rows) aliases rows of another tensor.
class Tensor {
 public:
  Tensor(int64_t rows, int64_t cols, TensorType dtype) : rows_(rows), cols_(cols), dtype_(dtype) {}
  virtual ~Tensor() = default;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  TensorType dtype() const { return dtype_; }

 private:
  int64_t rows_, cols_;
  TensorType dtype_;
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

// The rows of one attention call, grouped by sequence: rows [first_row, first_row + rows)
// belong to the sequence whose cache is `cache` and sit at positions start_pos, start_pos+1,
// ... of it. `positions` ([n, 1] i32, the same positions, on the backend) lets kernels read
// them without host values, so a captured decode step replays at any position.
struct AttentionBatch {
  struct Segment {
    KvStorage* cache;
    int64_t first_row, rows, start_pos;
  };
  std::vector<Segment> segments;
  const Tensor* positions = nullptr;  // [n, 1] i32
};

// Sampling filters, applied as runtime/sampler.cpp's Sampler does: softmax(logits / T),
// then top-k, then min-p (relative to the top token), then top-p (the smallest prefix in
// descending order whose mass reaches top_p), renormalised.
struct SamplingParams {
  float temperature = 1.0f;  // > 0 (greedy decoding uses argmax)
  int64_t top_k = 0;         // 0: off
  float top_p = 1.0f;        // 1: off
  float min_p = 0.0f;        // 0: off
};

// What a backend may be asked to run; supports() answers per (op, weight format,
// activation dtype) so tools list only paths that exist.
enum class Op { embed, linear, rmsnorm, rope, attention, swiglu, add, argmax, sample };  // rope: with head norms
const char* op_name(Op op);

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "cpu", "cuda:0 (NVIDIA H100 ...)"
  // Failing default: a backend lists what it runs.
  virtual bool supports(Op /*op*/, WeightFormat /*format*/, TensorType /*activation*/) const { return false; }
  // Bytes this backend can still allocate for buffers (the KV cache is checked against it
  // before allocating): the host's available memory by default.
  virtual int64_t free_memory_bytes() const;
  // The dtype activations take between ops for a checkpoint whose weights are stored as
  // `checkpoint` (f32, f16 or bf16): CPU always f32; CUDA the checkpoint's own.
  virtual TensorType activation_dtype(WeightFormat checkpoint) const = 0;

  virtual std::unique_ptr<Tensor> alloc(int64_t rows, int64_t cols, TensorType dtype) = 0;
  // Rows [first, first + n) of t, sharing its storage (no allocation on the device).
  virtual std::unique_ptr<Tensor> view_rows(Tensor& t, int64_t first, int64_t n) = 0;
  // Throws llmrun::Error naming the weight when its format is not supported here. May
  // re-pack the codes into a device layout (tested against the codec on the host).
  virtual std::unique_ptr<Weight> upload(const HostWeight& weight) = 0;
  // Keys and values in `dtype` (the activation dtype).
  virtual std::unique_ptr<KvStorage> alloc_kv(int64_t layers, int64_t kv_heads, int64_t head_dim,
                                              int64_t capacity, TensorType dtype) = 0;
  // host[rows * cols] -> an i32 tensor (ids, positions): the one upload of a step.
  virtual void write_i32(const std::vector<int32_t>& host, Tensor& out) = 0;

  // out[i, :] = decode(table row ids[i]); ids: [n, 1] i32, checked < table.rows() by the caller.
  virtual void embed(const Weight& table, const Tensor& ids, Tensor& out) = 0;
  // out[r, :] = x[r, :] / rms(x[r, :]) * gain;  gain: [1, x.cols] fp32.
  virtual void rmsnorm(const Tensor& x, const Weight& gain, float eps, Tensor& out) = 0;
  // residual += delta (residual f32, delta in the activation dtype), then
  // out = rmsnorm(residual) * gain: "add the block's output, normalise for the next block"
  // in one op, so a backend can do it in one pass.
  virtual void add_rmsnorm(Tensor& residual, const Tensor& delta, const Weight& gain, float eps, Tensor& out) = 0;
  // out[n, w.rows] = x[n, w.cols] * W^T (+ bias [1, w.rows] fp32); fp32 accumulation.
  virtual void linear(const Tensor& x, const Weight& w, const Weight* bias, Tensor& out) = 0;
  // In place on x[n, heads * head_dim]: RMSNorm over each head with head_gain ([1, head_dim]
  // fp32; Qwen3's q_norm/k_norm, skipped when null), then rotate-half RoPE with row r at
  // position positions[r] ([n, 1] i32); inv_freq: [1, head_dim / 2] fp32; cos and sin are
  // multiplied by attention_factor (yarn's; 1 for other RoPE types), as transformers does.
  virtual void rmsnorm_rope_heads(Tensor& x, const Weight* head_gain, float eps, int64_t head_dim,
                                  const Tensor& positions, const Weight& inv_freq, float attention_factor) = 0;
  // For every segment: writes its rows of k, v ([n, kv_heads * head_dim]) into its cache at
  // its positions of `layer`, then causal attention of its rows of q ([n, heads * head_dim])
  // over positions [0, position of the row] -> out [n, heads * head_dim].
  virtual void attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionBatch& batch,
                         int64_t layer, const AttentionShape& shape, Tensor& out) = 0;
  // out = silu(gate) * up, elementwise.
  virtual void swiglu(const Tensor& gate, const Tensor& up, Tensor& out) = 0;
  // x += y, elementwise (x may be fp32 while y is in the activation dtype).
  virtual void add(Tensor& x, const Tensor& y) = 0;
  // out[0..n) = x[first..first+n) (rows).
  virtual void take_rows(const Tensor& x, int64_t first, int64_t n, Tensor& out) = 0;
  // out[first..first+src.rows) = src (rows); the inverse of take_rows.
  virtual void put_rows(const Tensor& src, int64_t first, Tensor& out) = 0;
  // out[r] = index of the largest x[r, :] (the first on ties, as torch.argmax), or -1 when the
  // row holds a NaN or +inf (broken logits are reported, never decoded; -inf is a masked logit); out: [rows, 1] i32.
  virtual void argmax(const Tensor& x, Tensor& out) = 0;
  // out[r] = a token drawn from row r of x ([rows, vocab] logits) under `params`: the
  // first id, in increasing id order, at which the cumulative filtered probability exceeds
  // uniforms[r] (in [0, 1); drawn by the caller's seeded generator), or the last kept id
  // when rounding leaves uniforms[r] above the total; -1 when the row holds a NaN or
  // +inf. out: [rows, 1] i32.
  // The default refuses (callers check supports(Op::sample, ...) and sample on the host).
  virtual void sample(const Tensor& /*x*/, const SamplingParams& /*params*/, const std::vector<float>& /*uniforms*/,
                      Tensor& /*out*/) {
    fail("backend ", name(), " does not sample on its own; sample on the host");
  }
  // Copies x to the host as fp32 [rows, cols] (waits for the queued work).
  virtual void to_host(const Tensor& x, float* dst) = 0;
  // Copies an i32 tensor to the host (waits for the queued work).
  virtual std::vector<int32_t> read_i32(const Tensor& x) = 0;

  // Execution control (no-ops where work runs eagerly, as on the CPU): wait for queued
  // work; record the ops issued between begin_capture and end_capture as one replayable
  // step (a CUDA graph), replayed by replay(). Backends that cannot capture return false
  // from can_capture() and the caller issues the ops each time.
  virtual void synchronize() {}
  virtual bool can_capture() const { return false; }
  virtual void begin_capture() {}
  virtual int end_capture() { return -1; }
  virtual void replay(int /*capture*/) {}
};

struct BackendOptions {
  std::string device = "auto";  // "cpu", "cuda", "cuda:N", "cuda-host", "auto"
  int threads = 0;              // CPU threads; 0 = all cores
  // Activation dtype between ops: "auto" (the backend's choice for the checkpoint), or
  // "f32", "bf16", "f16" (CUDA backends; the CPU computes in f32 only).
  std::string activations = "auto";
  // The CPU backend's kernel family: "auto" (the fastest this CPU runs), "avx512", "avx2" or
  // "scalar" (the reference): to compare families, or to run as an older CPU would.
  std::string cpu_isa = "auto";
};

// "auto" picks CUDA when built with it and a device is present, else CPU. "cuda-host" is
// the CUDA backend's own code with its kernels run on the CPU by the host harness: a slow
// test device, exact in what it proves, never a fast path. Unknown devices and CUDA
// without CUDA support are errors that say what is available.
std::unique_ptr<Backend> make_backend(const BackendOptions& options);

}  // namespace llmrun
