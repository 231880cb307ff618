// The CPU backend: the reference every other backend is tested against.
#include "kernels/cpu/cpu_backend.h"

#include <omp.h>

#include <cmath>
#include <cstring>

#include "kernels/cpu/attention.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/sample.h"
#include "runtime/error.h"

namespace llmrun::cpu {
namespace {

class CpuBackend final : public Backend {
 public:
  CpuBackend(int threads, KernelIsa isa) : threads_(threads > 0 ? threads : omp_get_num_procs()), isa_(isa) {}

  std::string name() const override {
    return "cpu (" + std::to_string(threads_) + " threads, " + kernel_isa_name(isa_) + ")";
  }
  // Every codec has a row decoder and a dot; activations are always fp32 here.
  bool supports(Op /*op*/, WeightFormat /*format*/, TensorType activation) const override {
    return activation == TensorType::f32;
  }
  TensorType activation_dtype(WeightFormat /*checkpoint*/) const override { return TensorType::f32; }

  std::unique_ptr<Tensor> alloc(int64_t rows, int64_t cols, TensorType dtype) override {
    return std::make_unique<CpuTensor>(rows, cols, dtype);
  }
  std::unique_ptr<Tensor> view_rows(Tensor& t, int64_t first, int64_t n) override {
    return std::make_unique<CpuTensor>(cpu(t), first, n);
  }
  void write_i32(const std::vector<int32_t>& host, Tensor& out) override {
    LLMRUN_CHECK(out.dtype() == TensorType::i32 && int64_t(host.size()) == out.rows() * out.cols(), "write_i32");
    std::copy(host.begin(), host.end(), cpu(out).ints.begin());
  }
  std::unique_ptr<Weight> upload(const HostWeight& weight) override {
    return std::make_unique<CpuWeight>(weight);
  }
  std::unique_ptr<KvStorage> alloc_kv(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t capacity,
                                      TensorType /*dtype: always f32 here*/) override {
    return std::make_unique<CpuKvStorage>(layers, kv_heads, head_dim, capacity);
  }

  void embed(const Weight& table, const Tensor& ids, Tensor& out) override {
    LLMRUN_CHECK(out.rows() == ids.rows() && ids.cols() == 1 && out.cols() == table.cols(), table.name());
    const Span<int32_t> id = cpu(ids).ints;
    cpu::embed(cpu(table), std::vector<int32_t>(id.begin(), id.end()), cpu(out));
  }
  void rmsnorm(const Tensor& x, const Weight& gain, float eps, Tensor& out) override {
    LLMRUN_CHECK(gain.cols() == x.cols() && same_shape(x, out), gain.name());
    cpu::rmsnorm(cpu(x), cpu(gain), eps, x.cols(), cpu(out), threads_);
  }
  void add_rmsnorm(Tensor& residual, const Tensor& delta, const Weight& gain, float eps, Tensor& out) override {
    LLMRUN_CHECK(same_shape(residual, delta) && same_shape(residual, out) && gain.cols() == residual.cols(),
                 gain.name());
    cpu::add(cpu(residual), cpu(delta), threads_);
    cpu::rmsnorm(cpu(residual), cpu(gain), eps, residual.cols(), cpu(out), threads_);
  }
  void linear(const Tensor& x, const Weight& w, const Weight* bias, Tensor& out) override {
    LLMRUN_CHECK(x.cols() == w.cols() && out.rows() == x.rows() && out.cols() == w.rows(), w.name(),
                 ": x [", x.rows(), ",", x.cols(), "] out [", out.rows(), ",", out.cols(), "]");
    LLMRUN_CHECK(!bias || bias->cols() == w.rows(), w.name());
    cpu::linear(cpu(x), cpu(w), bias ? &cpu(*bias) : nullptr, cpu(out), threads_, linear_isa(w.format(), isa_));
  }
  void rmsnorm_rope_heads(Tensor& x, const Weight* head_gain, float eps, int64_t head_dim, const Tensor& positions,
                          const Weight& inv_freq, float attention_factor) override {
    LLMRUN_CHECK(x.cols() % head_dim == 0 && inv_freq.cols() * 2 == head_dim, "head_dim ", head_dim);
    LLMRUN_CHECK(!head_gain || head_gain->cols() == head_dim, head_gain->name());
    LLMRUN_CHECK(positions.rows() == x.rows() && positions.dtype() == TensorType::i32, "rope positions");
    if (head_gain) cpu::rmsnorm(cpu(x), cpu(*head_gain), eps, head_dim, cpu(x), threads_);
    cpu::rope(cpu(x), head_dim, cpu(positions).ints.data(), cpu(inv_freq), attention_factor, threads_);
  }
  void attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionBatch& batch, int64_t layer,
                 const AttentionShape& s, Tensor& out) override {
    LLMRUN_CHECK(q.cols() == s.n_heads * s.head_dim && k.cols() == s.n_kv_heads * s.head_dim &&
                     same_shape(k, v) && same_shape(q, out) && s.n_heads % s.n_kv_heads == 0,
                 "layer ", layer);
    for (const AttentionBatch::Segment& seg : batch.segments) {
      LLMRUN_CHECK(seg.first_row >= 0 && seg.first_row + seg.rows <= q.rows(), "attention segment rows");
      LLMRUN_CHECK(seg.start_pos + seg.rows <= seg.cache->capacity(), "cache capacity ", seg.cache->capacity());
      const CpuTensor qs(cpu(q), seg.first_row, seg.rows), ks(cpu(k), seg.first_row, seg.rows),
          vs(cpu(v), seg.first_row, seg.rows);
      CpuTensor os(cpu(out), seg.first_row, seg.rows);
      cpu::attention(qs, ks, vs, cpu(*seg.cache), layer, seg.start_pos, s, os, threads_,
                     attention_isa(s.head_dim, isa_));
    }
  }
  void swiglu(const Tensor& gate, const Tensor& up, Tensor& out) override {
    LLMRUN_CHECK(same_shape(gate, up) && same_shape(gate, out), "swiglu");
    cpu::swiglu(cpu(gate), cpu(up), cpu(out), threads_, isa_);
  }
  void add(Tensor& x, const Tensor& y) override {
    LLMRUN_CHECK(same_shape(x, y), "add");
    cpu::add(cpu(x), cpu(y), threads_);
  }
  void take_rows(const Tensor& x, int64_t first, int64_t n, Tensor& out) override {
    LLMRUN_CHECK(first >= 0 && first + n <= x.rows() && out.rows() == n && out.cols() == x.cols(),
                 "take_rows");
    std::memcpy(cpu(out).data.data(), cpu(x).row(first), size_t(n * x.cols()) * sizeof(float));
  }
  void put_rows(const Tensor& src, int64_t first, Tensor& out) override {
    LLMRUN_CHECK(first >= 0 && first + src.rows() <= out.rows() && out.cols() == src.cols(), "put_rows");
    std::memcpy(cpu(out).row(first), cpu(src).data.data(), size_t(src.rows() * src.cols()) * sizeof(float));
  }
  void argmax(const Tensor& x, Tensor& out) override {
    LLMRUN_CHECK(out.dtype() == TensorType::i32 && out.rows() == x.rows() && out.cols() == 1, "argmax");
    for (int64_t r = 0; r < x.rows(); ++r) {
      const float* row = cpu(x).row(r);
      int64_t best = 0;  // the first maximum, as torch.argmax
      for (int64_t i = 1; i < x.cols(); ++i)
        if (row[i] > row[best]) best = i;
      cpu(out).ints[size_t(r)] = row_is_broken(row, x.cols()) ? -1 : int32_t(best);
    }
  }
  // Partial selection per row (kernels/cpu/sample.h), no sort of the vocabulary.
  void sample(const Tensor& x, const SamplingParams& params, const std::vector<float>& uniforms,
              Tensor& out) override {
    LLMRUN_CHECK(out.dtype() == TensorType::i32 && out.rows() == x.rows() && out.cols() == 1 &&
                     int64_t(uniforms.size()) == x.rows(),
                 "sample: ", x.rows(), " rows, ", uniforms.size(), " uniforms");
    for (int64_t r = 0; r < x.rows(); ++r)
      cpu(out).ints[size_t(r)] = cpu::sample(cpu(x).row(r), x.cols(), params, uniforms[size_t(r)]);
  }
  void to_host(const Tensor& x, float* dst) override {
    std::memcpy(dst, cpu(x).data.data(), cpu(x).data.size() * sizeof(float));
  }
  std::vector<int32_t> read_i32(const Tensor& x) override {
    return std::vector<int32_t>(cpu(x).ints.begin(), cpu(x).ints.end());
  }

 private:
  static bool same_shape(const Tensor& a, const Tensor& b) {
    return a.rows() == b.rows() && a.cols() == b.cols();
  }
  int threads_;
  KernelIsa isa_;  // the kernel family of linear, attention and swiglu
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads, const std::string& isa) {
  KernelIsa family = best_kernel_isa();
  if (isa != "auto") {
    bool known = false;
    for (KernelIsa i : {KernelIsa::avx512, KernelIsa::avx2, KernelIsa::scalar})
      if (isa == kernel_isa_name(i)) {
        family = i;
        known = true;
      }
    if (!known) fail("--cpu-isa ", isa, ": unknown (valid: auto, avx512, avx2, scalar)");
    if (!kernel_isa_supported(family))
      fail("--cpu-isa ", isa, ": this CPU (or this build) cannot run the ", isa, " kernels (best here: ",
           kernel_isa_name(best_kernel_isa()), ")");
  }
  return std::make_unique<CpuBackend>(threads, family);
}

}  // namespace llmrun::cpu
