// The CUDA backend: device tensors in the activation dtype (fp32 residual stream), weights
// re-packed for the device at upload, one stream, hand-written kernels for every op and a
// GEMM for prefill. Host code only: compiled by nvcc for a GPU (llmrun::cuda) and as C++
// for the host harness (llmrun::cuda_host), where the same code runs every kernel on the CPU.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cuda/device_compat.cuh"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/dequant_rows.cuh"
#include "kernels/cuda/device_weight.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/kv_write.cuh"
#include "kernels/cuda/linear.cuh"
#include "kernels/cuda/sample.cuh"
#include "kernels/cuda/weight_layout.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/stream.h"
#include "kernels/quant/half.h"
#include "runtime/error.h"

#if !defined(LLMRUN_HOST_HARNESS)
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_devices.h"
#endif

namespace llmrun::LLMRUN_CUDA_NS {
namespace {

class CudaTensor final : public Tensor {
 public:
  CudaTensor(int64_t rows, int64_t cols, TensorType dtype)
      : Tensor(rows, cols, dtype),
        storage_(std::make_shared<DeviceBuffer<unsigned char>>(size_t(rows * cols * tensor_type_bytes(dtype)), "activations")),
        data_(storage_->data()) {}
  CudaTensor(const CudaTensor& base, int64_t first, int64_t n)
      : Tensor(n, base.cols(), base.dtype()),
        storage_(base.storage_),
        data_(base.data_ + first * base.cols() * tensor_type_bytes(base.dtype())) {}
  template <typename T>
  T* as() const {
    return reinterpret_cast<T*>(data_);
  }
  size_t bytes() const { return size_t(rows() * cols() * tensor_type_bytes(dtype())); }

 private:
  std::shared_ptr<DeviceBuffer<unsigned char>> storage_;
  unsigned char* data_;
};

class CudaKvStorage final : public KvStorage {
 public:
  CudaKvStorage(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity, TensorType dtype,
                uint64_t serial)
      : KvStorage(layers, kv_heads, head_dim, capacity),
        serial_(serial),
        dtype_(dtype),
        keys_(size_t(layers * kv_heads * capacity * head_dim * tensor_type_bytes(dtype)), "KV cache keys"),
        values_(keys_.size(), "KV cache values") {}
  TensorType dtype() const { return dtype_; }
  // Unique per backend: a new cache at a freed one's address never passes for it.
  uint64_t serial() const { return serial_; }
  // Layer l's [kv_heads, capacity, head_dim] keys or values.
  template <typename T>
  T* keys(int64_t layer) const {
    return reinterpret_cast<T*>(keys_.data()) + layer * kv_heads() * capacity() * head_dim();
  }
  template <typename T>
  T* values(int64_t layer) const {
    return reinterpret_cast<T*>(values_.data()) + layer * kv_heads() * capacity() * head_dim();
  }

 private:
  uint64_t serial_;
  TensorType dtype_;
  DeviceBuffer<unsigned char> keys_, values_;
};

// Matrices live in the device layout of weight_layout.h; vectors (norm gains, biases, RoPE
// frequencies: rows == 1) are decoded to fp32 once, since elementwise kernels read them whole.
class CudaWeight final : public Weight {
 public:
  CudaWeight(const HostWeight& w, Stream stream) : Weight(w.name, w.format, w.rows, w.cols) {
    if (w.rows == 1) {
      std::vector<float> values(size_t(w.cols));
      codec(w.format).decode_row(w.packed.data(), w.scales.at(0), w.cols, values.data());
      vector_ = DeviceBuffer<float>(values.size(), "weight vector");
      vector_.upload(values, stream);
      synchronize(stream);  // `values` goes away with this frame
    } else {
      matrix_ = std::make_unique<DeviceWeightStorage>(cuda_layout::pack_for_device(w), stream);
    }
  }
  const float* vector() const {
    LLMRUN_CHECK(vector_.data(), name(), " is a matrix, used as a vector");
    return vector_.data();
  }
  const DeviceWeight& matrix() const {
    LLMRUN_CHECK(matrix_, name(), " is a vector, used as a matrix");
    return matrix_->view();
  }

 private:
  DeviceBuffer<float> vector_;                   // [cols] fp32, for rows == 1
  std::unique_ptr<DeviceWeightStorage> matrix_;  // otherwise
};

const CudaTensor& dev(const Tensor& t) { return static_cast<const CudaTensor&>(t); }
const CudaWeight& dev(const Weight& w) { return static_cast<const CudaWeight&>(w); }
CudaKvStorage& dev(KvStorage& kv) { return static_cast<CudaKvStorage&>(kv); }

// Calls f with a value of the C++ type of activation dtype t (float, bf16_t, f16_t).
template <typename F>
void with_act(TensorType t, const char* what, F&& f) {
  switch (t) {
    case TensorType::f32: return f(float{});
    case TensorType::bf16: return f(bf16_t{});
    case TensorType::f16: return f(f16_t{});
    case TensorType::i32: break;
  }
  fail(what, ": an i32 tensor where activations were expected");
}

bool same_shape(const Tensor& a, const Tensor& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && a.dtype() == b.dtype();
}

class CudaBackend final : public Backend {
 public:
  CudaBackend(int device, std::optional<TensorType> activations) : device_(device), activations_(activations) {
#if !defined(LLMRUN_HOST_HARNESS)
    LLMRUN_CUDA_CHECK(cudaSetDevice(device));
    for (const cuda::DeviceInfo& d : cuda::list_devices())
      if (d.index == device)
        name_ = "cuda:" + std::to_string(device) + " (" + d.name + ", sm_" + std::to_string(d.compute_major) +
                std::to_string(d.compute_minor) + ", " + std::to_string(d.total_memory >> 30) + " GiB)";
#else
    name_ = "cuda-host (the CUDA backend with its kernels run on the CPU by the host harness)";
#endif
    stream_ = std::make_unique<OwnedStream>();
    gemm_ = std::make_unique<GemmContext>();
  }
  ~CudaBackend() override {
    if (stream_) {
      try {
        synchronize();
      } catch (...) {
      }
    }
#if !defined(LLMRUN_HOST_HARNESS)
    for (cudaGraphExec_t g : graphs_) cudaGraphExecDestroy(g);
#endif
  }

  std::string name() const override { return name_; }
  // Every format with a device layout (all of them, group-scaled ones included), with any of the
  // three activation dtypes.
  bool supports(Op /*op*/, WeightFormat format, TensorType activation) const override {
    return cuda_layout::has_device_layout(format) &&
           (activation == TensorType::f32 || activation == TensorType::bf16 || activation == TensorType::f16);
  }
  // The checkpoint's own precision: bf16 models overflow fp16 activations (Qwen), and fp32
  // checkpoints keep fp32 so results match the CPU reference exactly in what it proves.
  TensorType activation_dtype(WeightFormat checkpoint) const override {
    if (activations_) return *activations_;
    switch (checkpoint) {
      case WeightFormat::f32: return TensorType::f32;
      case WeightFormat::f16: return TensorType::f16;
      default: return TensorType::bf16;
    }
  }

  std::unique_ptr<Tensor> alloc(int64_t rows, int64_t cols, TensorType dtype) override {
    return std::make_unique<CudaTensor>(rows, cols, dtype);
  }
  std::unique_ptr<Tensor> view_rows(Tensor& t, int64_t first, int64_t n) override {
    LLMRUN_CHECK(first >= 0 && n >= 0 && first + n <= t.rows(), "view_rows ", first, "+", n, " of ", t.rows());
    return std::make_unique<CudaTensor>(dev(t), first, n);
  }
  std::unique_ptr<Weight> upload(const HostWeight& weight) override {
    return std::make_unique<CudaWeight>(weight, stream());
  }
  int64_t free_memory_bytes() const override {
#if defined(LLMRUN_HOST_HARNESS)
    return Backend::free_memory_bytes();
#else
    size_t free = 0, total = 0;
    LLMRUN_CUDA_CHECK(cudaMemGetInfo(&free, &total));
    return int64_t(free);
#endif
  }
  std::unique_ptr<KvStorage> alloc_kv(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity,
                                      TensorType dtype) override {
    return std::make_unique<CudaKvStorage>(layers, kv_heads, head_dim, capacity, dtype, next_kv_serial_++);
  }
  void write_i32(const std::vector<int32_t>& host, Tensor& out) override {
    LLMRUN_CHECK(out.dtype() == TensorType::i32 && int64_t(host.size()) == out.rows() * out.cols(), "write_i32");
    copy_to_device(dev(out).as<int32_t>(), host.data(), host.size() * sizeof(int32_t), stream());
  }

  void embed(const Weight& table, const Tensor& ids, Tensor& out) override {
    LLMRUN_CHECK(out.rows() == ids.rows() && ids.cols() == 1 && out.cols() == table.cols(), table.name());
    with_act(out.dtype(), "embed", [&](auto tag) {
      using T = decltype(tag);
      dequant_rows(dev(table).matrix(), dev(ids).as<int32_t>(), ids.rows(), true, dev(out).as<T>(), out.cols(),
                   stream());
    });
  }
  void rmsnorm(const Tensor& x, const Weight& gain, float eps, Tensor& out) override {
    LLMRUN_CHECK(gain.cols() == x.cols() && x.rows() == out.rows() && x.cols() == out.cols(), gain.name());
    with_act(x.dtype(), "rmsnorm", [&](auto in) {
      with_act(out.dtype(), "rmsnorm", [&](auto o) {
        using In = decltype(in);
        using Out = decltype(o);
        LLMRUN_CUDA_NS::rmsnorm(dev(x).as<In>(), dev(gain).vector(), eps, x.rows(), x.cols(), x.cols(),
                                dev(out).as<Out>(), stream());
      });
    });
  }
  void add_rmsnorm(Tensor& residual, const Tensor& delta, const Weight& gain, float eps, Tensor& out) override {
    LLMRUN_CHECK(residual.dtype() == TensorType::f32 && residual.rows() == delta.rows() &&
                     residual.cols() == delta.cols() && same_shape(delta, out) && gain.cols() == residual.cols(),
                 gain.name());
    with_act(out.dtype(), "add_rmsnorm", [&](auto tag) {
      using T = decltype(tag);
      LLMRUN_CUDA_NS::add_rmsnorm(dev(residual).as<float>(), dev(delta).as<T>(), dev(gain).vector(), eps,
                                  residual.rows(), residual.cols(), dev(out).as<T>(), stream());
    });
  }
  void linear(const Tensor& x, const Weight& w, const Weight* bias, Tensor& out) override {
    LLMRUN_CHECK(x.cols() == w.cols() && out.rows() == x.rows() && out.cols() == w.rows() && x.dtype() == out.dtype(),
                 w.name(), ": x [", x.rows(), ",", x.cols(), "] out [", out.rows(), ",", out.cols(), "]");
    LLMRUN_CHECK(!bias || bias->cols() == w.rows(), w.name());
    with_act(x.dtype(), "linear", [&](auto tag) {
      using T = decltype(tag);
      const size_t need = linear_scratch_bytes<T>(dev(w).matrix(), x.rows(), *gemm_);
      if (need > linear_scratch_.bytes()) {
        LLMRUN_CHECK(!capturing_, "linear scratch must not grow while capturing");
        synchronize();  // queued kernels may still use the old buffer
        linear_scratch_.reserve(need);
      }
      LLMRUN_CUDA_NS::linear(dev(w).matrix(), dev(x).as<T>(), x.rows(), bias ? dev(*bias).vector() : nullptr,
                             dev(out).as<T>(), linear_scratch_, *gemm_, stream());
    });
  }
  void rmsnorm_rope_heads(Tensor& x, const Weight* head_gain, float eps, int64_t head_dim, const Tensor& positions,
                          const Weight& inv_freq, float attention_factor) override {
    LLMRUN_CHECK(x.cols() % head_dim == 0 && inv_freq.cols() * 2 == head_dim, "head_dim ", head_dim);
    LLMRUN_CHECK(!head_gain || head_gain->cols() == head_dim, head_gain->name());
    LLMRUN_CHECK(positions.rows() == x.rows() && positions.dtype() == TensorType::i32, "rope positions");
    with_act(x.dtype(), "rmsnorm_rope_heads", [&](auto tag) {
      using T = decltype(tag);
      LLMRUN_CUDA_NS::rmsnorm_rope_heads(dev(x).as<T>(), x.rows(), x.cols(), head_dim,
                                         head_gain ? dev(*head_gain).vector() : nullptr, eps,
                                         dev(positions).as<int32_t>(), dev(inv_freq).vector(), attention_factor,
                                         stream());
    });
  }
  void attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionBatch& batch, int64_t layer,
                 const AttentionShape& s, Tensor& out) override {
    LLMRUN_CHECK(q.cols() == s.n_heads * s.head_dim && k.cols() == s.n_kv_heads * s.head_dim && same_shape(k, v) &&
                     same_shape(q, out) && q.dtype() == k.dtype() && s.n_heads % s.n_kv_heads == 0,
                 "layer ", layer);
    LLMRUN_CHECK(batch.positions && batch.positions->rows() == q.rows(), "attention positions");
    bool same_capacity = true;
    for (const AttentionBatch::Segment& seg : batch.segments) {
      const CudaKvStorage& cache = dev(*seg.cache);
      LLMRUN_CHECK(cache.dtype() == q.dtype(), "KV cache dtype ", tensor_type_name(cache.dtype()));
      LLMRUN_CHECK(seg.first_row >= 0 && seg.rows >= 0 && seg.first_row + seg.rows <= q.rows(),
                   "attention segment rows");
      LLMRUN_CHECK(seg.start_pos >= 0 && seg.start_pos + seg.rows <= cache.capacity(), "cache capacity ",
                   cache.capacity());
      LLMRUN_CHECK(cache.kv_heads() == s.n_kv_heads && cache.head_dim() == s.head_dim && layer < cache.layers(),
                   "KV cache shape, layer ", layer);
      same_capacity = same_capacity && cache.capacity() == dev(*batch.segments[0].cache).capacity();
    }
    with_act(q.dtype(), "attention", [&](auto tag) {
      using T = decltype(tag);
      // Several sequences attend in one launch through a table of their cache slots; a
      // single sequence (the captured decode step) needs no table.
      if (batch.segments.size() > 1 && same_capacity) return attend_together<T>(q, k, v, batch, layer, s, out);
      for (const AttentionBatch::Segment& seg : batch.segments) {
        CudaKvStorage& cache = dev(*seg.cache);
        const int64_t r0 = seg.first_row, hd = s.head_dim;
        // One sequence: its cache is slot 0 of a one-slot layer.
        KvLayer<T> layer_cache = kv_layer<T>(cache.capacity(), s);
        layer_cache.k = cache.keys<T>(layer);
        layer_cache.v = cache.values<T>(layer);
        layer_cache.slot_stride = s.n_kv_heads * layer_cache.head_stride;
        layer_cache.slots = 1;
        const int32_t* slots = zero_slots(seg.rows);
        const int32_t* pos = dev(*batch.positions).as<int32_t>() + r0;
        kv_write(dev(k).as<T>() + r0 * k.cols(), k.cols(), dev(v).as<T>() + r0 * v.cols(), v.cols(), slots, pos,
                 int32_t(seg.rows), layer_cache, stream());
        // A captured step must serve every later position: plan for the whole cache then.
        const int32_t max_len = int32_t(capturing_ ? cache.capacity() : seg.start_pos + seg.rows);
        const size_t scratch_floats =
            attention_scratch_floats(int32_t(seg.rows), int32_t(s.n_heads), int32_t(s.n_kv_heads), int32_t(hd), max_len);
        // Sized for the whole cache at once, so no capture ever has to grow it.
        float* scratch = attention_scratch(attention_scratch_floats(int32_t(seg.rows), int32_t(s.n_heads),
                                                                    int32_t(s.n_kv_heads), int32_t(hd),
                                                                    int32_t(cache.capacity())));
        LLMRUN_CUDA_NS::attention(dev(q).as<T>() + r0 * q.cols(), q.cols(), slots, pos, int32_t(seg.rows), max_len,
                                  layer_cache, int32_t(s.n_heads), 1.0f / std::sqrt(float(hd)), scratch,
                                  scratch_floats, dev(out).as<T>() + r0 * out.cols(), stream());
      }
    });
  }
  void swiglu(const Tensor& gate, const Tensor& up, Tensor& out) override {
    LLMRUN_CHECK(same_shape(gate, up) && same_shape(gate, out), "swiglu");
    with_act(gate.dtype(), "swiglu", [&](auto tag) {
      using T = decltype(tag);
      LLMRUN_CUDA_NS::swiglu(dev(gate).as<T>(), dev(up).as<T>(), dev(out).as<T>(), gate.rows() * gate.cols(),
                             stream());
    });
  }
  void add(Tensor& x, const Tensor& y) override {
    LLMRUN_CHECK(x.rows() == y.rows() && x.cols() == y.cols(), "add");
    with_act(x.dtype(), "add", [&](auto xt) {
      with_act(y.dtype(), "add", [&](auto yt) {
        using X = decltype(xt);
        using Y = decltype(yt);
        LLMRUN_CUDA_NS::add(dev(x).as<X>(), dev(y).as<Y>(), x.rows() * x.cols(), stream());
      });
    });
  }
  void take_rows(const Tensor& x, int64_t first, int64_t n, Tensor& out) override {
    LLMRUN_CHECK(first >= 0 && first + n <= x.rows() && out.rows() == n && out.cols() == x.cols() &&
                     out.dtype() == x.dtype(),
                 "take_rows");
    copy_on_device(dev(out).as<unsigned char>(), dev(x).as<unsigned char>() + first * x.cols() * tensor_type_bytes(x.dtype()),
                   dev(out).bytes(), stream());
  }
  void put_rows(const Tensor& src, int64_t first, Tensor& out) override {
    LLMRUN_CHECK(first >= 0 && first + src.rows() <= out.rows() && out.cols() == src.cols() &&
                     out.dtype() == src.dtype(),
                 "put_rows");
    copy_on_device(dev(out).as<unsigned char>() + first * out.cols() * tensor_type_bytes(out.dtype()),
                   dev(src).as<unsigned char>(), dev(src).bytes(), stream());
  }
  void argmax(const Tensor& x, Tensor& out) override {
    LLMRUN_CHECK(out.dtype() == TensorType::i32 && out.rows() == x.rows() && out.cols() == 1, "argmax");
    with_act(x.dtype(), "argmax", [&](auto tag) {
      using T = decltype(tag);
      argmax_rows(dev(x).as<T>(), x.rows(), x.cols(), dev(out).as<int32_t>(), stream());
    });
  }
  // One block per row (kernels/cuda/sample.cuh); the uniforms go up in one small copy, the
  // ids stay on the device until read_i32. Not inside a captured step: the copy's source is
  // the caller's vector (a pageable copy has read it when copy_to_device returns; a captured
  // one would read it at every replay). DecoderModel issues it after the replayed forward.
  void sample(const Tensor& x, const SamplingParams& params, const std::vector<float>& uniforms,
              Tensor& out) override {
    LLMRUN_CHECK(out.dtype() == TensorType::i32 && out.rows() == x.rows() && out.cols() == 1 &&
                     int64_t(uniforms.size()) == x.rows(),
                 "sample: ", x.rows(), " rows, ", uniforms.size(), " uniforms");
    LLMRUN_CHECK(!capturing_, "sample uploads its uniforms: issue it outside a captured step");
    if (x.rows() == 0) return;
    if (uniforms_.size() < uniforms.size()) {
      synchronize();  // queued kernels may still read the old buffer
      uniforms_ = DeviceBuffer<float>(std::max<size_t>(uniforms.size(), 16), "sampling uniforms");
    }
    copy_to_device(uniforms_.data(), uniforms.data(), uniforms.size() * sizeof(float), stream());
    with_act(x.dtype(), "sample", [&](auto tag) {
      using T = decltype(tag);
      sample_rows(dev(x).as<T>(), x.rows(), x.cols(), params, uniforms_.data(), dev(out).as<int32_t>(), stream());
    });
  }
  void to_host(const Tensor& x, float* dst) override {
    const size_t n = size_t(x.rows() * x.cols());
    if (x.dtype() == TensorType::f32) return copy_to_host(dst, dev(x).as<float>(), n * sizeof(float), stream());
    std::vector<uint16_t> raw(n);
    copy_to_host(raw.data(), dev(x).as<uint16_t>(), n * sizeof(uint16_t), stream());
    const bool bf16 = x.dtype() == TensorType::bf16;
    for (size_t i = 0; i < n; ++i) dst[i] = bf16 ? quant::bf16_to_f32(raw[i]) : quant::f16_to_f32(raw[i]);
  }
  std::vector<int32_t> read_i32(const Tensor& x) override {
    LLMRUN_CHECK(x.dtype() == TensorType::i32, "read_i32");
    std::vector<int32_t> host(size_t(x.rows() * x.cols()));
    copy_to_host(host.data(), dev(x).as<int32_t>(), host.size() * sizeof(int32_t), stream());
    return host;
  }
  void synchronize() override { LLMRUN_CUDA_NS::synchronize(stream()); }

  // A decode step is captured once and replayed per token: one launch from the host
  // instead of hundreds (a CUDA graph; on the harness, the recorded launches).
  bool can_capture() const override { return true; }
  void begin_capture() override {
    LLMRUN_CHECK(!capturing_, "a capture is already in progress");
    capturing_ = true;
#if defined(LLMRUN_HOST_HARNESS)
    stream()->begin_capture();
#else
    LLMRUN_CUDA_CHECK(cudaStreamBeginCapture(stream(), cudaStreamCaptureModeThreadLocal));
#endif
  }
  int end_capture() override {
    LLMRUN_CHECK(capturing_, "end_capture without begin_capture");
    capturing_ = false;
#if defined(LLMRUN_HOST_HARNESS)
    graphs_.push_back(stream()->end_capture());
#else
    cudaGraph_t graph = nullptr;
    LLMRUN_CUDA_CHECK(cudaStreamEndCapture(stream(), &graph));
    cudaGraphExec_t exec = nullptr;
    const cudaError_t status = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    LLMRUN_CUDA_CHECK(status);
    graphs_.push_back(exec);
#endif
    return int(graphs_.size()) - 1;
  }
  void replay(int capture) override {
    LLMRUN_CHECK(capture >= 0 && capture < int(graphs_.size()), "no captured step ", capture);
#if defined(LLMRUN_HOST_HARNESS)
    graphs_[size_t(capture)].replay();
#else
    LLMRUN_CUDA_CHECK(cudaGraphLaunch(graphs_[size_t(capture)], stream()));
#endif
  }

 private:
  Stream stream() const { return stream_->get(); }

  // The shape part of one layer's KvLayer (bases and slots are the caller's).
  template <typename T>
  static KvLayer<T> kv_layer(int64_t capacity, const AttentionShape& s) {
    KvLayer<T> layer;
    layer.head_stride = capacity * s.head_dim;
    layer.kv_heads = int32_t(s.n_kv_heads);
    layer.capacity = int32_t(capacity);
    layer.head_dim = int32_t(s.head_dim);
    return layer;
  }

  // Every sequence of the batch in one kv_write and one attention launch: sequence i is slot
  // i of a layer whose slot bases come from a device table (KvLayer::k_slots).
  template <typename T>
  void attend_together(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionBatch& batch, int64_t layer,
                       const AttentionShape& s, Tensor& out) {
    LLMRUN_CHECK(!capturing_, "attention over several sequences uploads their slot table: not inside a captured step");
    const SlotTable& table = slot_table(batch, q.rows());
    const int64_t segments = int64_t(batch.segments.size());
    KvLayer<T> layer_cache = kv_layer<T>(dev(*batch.segments[0].cache).capacity(), s);
    T* const* bases = reinterpret_cast<T* const*>(table.bases.data());
    layer_cache.k_slots = bases + (2 * layer) * segments;
    layer_cache.v_slots = bases + (2 * layer + 1) * segments;
    layer_cache.slots = int32_t(segments);
    const int32_t rows = int32_t(q.rows());
    const int32_t* pos = dev(*batch.positions).as<int32_t>();
    kv_write(dev(k).as<T>(), k.cols(), dev(v).as<T>(), v.cols(), table.row_slots.data(), pos, rows, layer_cache,
             stream());
    const float scale = 1.0f / std::sqrt(float(s.head_dim));
    const int32_t heads = int32_t(s.n_heads), kv_heads = int32_t(s.n_kv_heads), hd = int32_t(s.head_dim);
    if (table.one_row_each && rows > kAttentionDecodeMaxRows) {
      // A decode step of many sequences: split each row's cache across blocks, as decode
      // does, rather than run each row as a mostly idle prefill tile.
      const size_t floats = plan_attention_decode(rows, heads, kv_heads, hd, table.max_len).scratch_floats;
      attention_decode(dev(q).as<T>(), q.cols(), table.row_slots.data(), pos, rows, table.max_len, layer_cache,
                       heads, scale, attention_scratch(floats), floats, dev(out).as<T>(), stream());
    } else {
      const size_t floats = attention_scratch_floats(rows, heads, kv_heads, hd, table.max_len);
      LLMRUN_CUDA_NS::attention(dev(q).as<T>(), q.cols(), table.row_slots.data(), pos, rows, table.max_len,
                                layer_cache, heads, scale, attention_scratch(floats), floats, dev(out).as<T>(),
                                stream());
    }
  }

  // The device side of a multi-sequence batch: each cache's layer bases ([layers][keys,
  // values][segment]) and each row's slot (its segment; -1 for rows in no segment). Built
  // once per batch and reused by every layer's call: the decoder passes the same batch to
  // all of them.
  struct SlotTable {
    std::vector<uint64_t> key;            // per segment: cache serial, first row, rows, start
    std::vector<void*> host_bases;        // kept alive until the next rebuild (async upload)
    std::vector<int32_t> host_row_slots;
    DeviceBuffer<void*> bases;
    DeviceBuffer<int32_t> row_slots;
    int32_t max_len = 0;
    bool one_row_each = false;
  };
  const SlotTable& slot_table(const AttentionBatch& batch, int64_t rows) {
    std::vector<uint64_t> key;
    int64_t layers = -1;
    for (const AttentionBatch::Segment& seg : batch.segments) {
      const CudaKvStorage& cache = dev(*seg.cache);
      key.insert(key.end(), {cache.serial(), uint64_t(seg.first_row), uint64_t(seg.rows), uint64_t(seg.start_pos)});
      layers = layers < 0 ? cache.layers() : std::min(layers, cache.layers());
    }
    key.push_back(uint64_t(rows));
    SlotTable& t = slot_table_;
    if (key == t.key) return t;
    synchronize();  // queued kernels may still read the old table
    const size_t segments = batch.segments.size();
    t.key = key;
    t.host_bases.assign(size_t(layers) * 2 * segments, nullptr);
    t.host_row_slots.assign(size_t(rows), -1);
    t.max_len = 1;
    t.one_row_each = true;
    with_act(dev(*batch.segments[0].cache).dtype(), "KV cache", [&](auto tag) {
      using T = decltype(tag);
      for (size_t i = 0; i < segments; ++i) {
        const AttentionBatch::Segment& seg = batch.segments[i];
        CudaKvStorage& cache = dev(*seg.cache);
        for (int64_t l = 0; l < layers; ++l) {
          T* keys = cache.keys<T>(l);
          T* values = cache.values<T>(l);
          LLMRUN_CHECK(reinterpret_cast<uintptr_t>(keys) % 16 == 0 && reinterpret_cast<uintptr_t>(values) % 16 == 0,
                       "KV cache layer ", l, " is not 16-byte aligned");
          t.host_bases[size_t(2 * l) * segments + i] = keys;
          t.host_bases[size_t(2 * l + 1) * segments + i] = values;
        }
        for (int64_t r = seg.first_row; r < seg.first_row + seg.rows; ++r) t.host_row_slots[size_t(r)] = int32_t(i);
        t.max_len = std::max(t.max_len, int32_t(seg.start_pos + seg.rows));
        t.one_row_each = t.one_row_each && seg.rows == 1;
      }
    });
    if (t.bases.size() < t.host_bases.size())
      t.bases = DeviceBuffer<void*>(t.host_bases.size(), "attention slot table");
    if (t.row_slots.size() < t.host_row_slots.size())
      t.row_slots = DeviceBuffer<int32_t>(t.host_row_slots.size(), "attention row slots");
    t.bases.upload(t.host_bases, stream());
    t.row_slots.upload(t.host_row_slots, stream());
    return t;
  }
  // n zeros on the device (every row of a one-sequence call is in slot 0); grows, never shrinks.
  const int32_t* zero_slots(int64_t n) {
    if (int64_t(zero_slots_.size()) < n) {
      synchronize();  // the old buffer may still be read by queued kernels
      zero_slots_ = DeviceBuffer<int32_t>(size_t(std::max<int64_t>(n, 64)), "attention slots");
      fill_zero(zero_slots_.data(), zero_slots_.bytes(), stream());
    }
    return zero_slots_.data();
  }
  float* attention_scratch(size_t floats) {
    if (floats == 0) return nullptr;
    if (attention_scratch_.size() < floats) {
      synchronize();
      attention_scratch_ = DeviceBuffer<float>(floats, "attention scratch");
    }
    return attention_scratch_.data();
  }

  int device_;
  std::optional<TensorType> activations_;
  std::string name_;
  std::unique_ptr<OwnedStream> stream_;
  std::unique_ptr<GemmContext> gemm_;
  LinearScratch linear_scratch_;
  DeviceBuffer<int32_t> zero_slots_;
  DeviceBuffer<float> attention_scratch_;
  SlotTable slot_table_;
  uint64_t next_kv_serial_ = 0;
  DeviceBuffer<float> uniforms_;  // [rows] of the largest sample() so far
  bool capturing_ = false;
#if defined(LLMRUN_HOST_HARNESS)
  std::vector<harness::Graph> graphs_;
#else
  std::vector<cudaGraphExec_t> graphs_;
#endif
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(int device, std::optional<TensorType> activations) {
  return std::make_unique<CudaBackend>(device, activations);
}

}  // namespace llmrun::LLMRUN_CUDA_NS
