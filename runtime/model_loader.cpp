#include "runtime/model_loader.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <set>

#include "loaders/hf_config.h"
#include "loaders/safetensors.h"
#include "kernels/quant/finite.h"
#include "runtime/error.h"
#include "runtime/precision_policy.h"
#include "runtime/models/weight_table.h"
#include "runtime/rope_frequencies.h"

namespace llmrun {
namespace {

std::string shape_text(int64_t rows, int64_t cols, bool vector) {
  return vector ? "[" + std::to_string(cols) + "]"
                : "[" + std::to_string(rows) + "," + std::to_string(cols) + "]";
}

void check_shape(const TensorView& t, const WeightSlot& slot) {
  const bool vector = slot.role == WeightRole::vector;
  const bool ok = vector ? (t.shape.size() == 1 && t.shape[0] == slot.cols)
                         : (t.shape.size() == 2 && t.shape[0] == slot.rows && t.shape[1] == slot.cols);
  if (!ok)
    fail(t.file, ": ", t.name, ": shape ", t.shape_str(), ", expected ",
         shape_text(slot.rows, slot.cols, vector));
}

// Encodes rows of src [rows, cols] fp32 into `format`, rows in parallel.
HostWeight encode(const std::string& name, const std::vector<float>& src, int64_t rows, int64_t cols,
                  WeightFormat format) {
  const CodecRecord& c = codec(format);
  HostWeight w;
  w.name = name;
  w.format = format;
  w.rows = rows;
  w.cols = cols;
  const int64_t row_bytes = c.row_bytes(cols);
  w.packed.resize(size_t(rows * row_bytes));
  w.scales.resize(size_t(rows));
#pragma omp parallel for schedule(static) if (rows * cols >= (int64_t(1) << 18))
  for (int64_t r = 0; r < rows; ++r)
    c.encode_row(src.data() + r * cols, cols, w.packed.data() + r * row_bytes, &w.scales[size_t(r)]);
  return w;
}

void check_finite(const TensorView& t, const std::vector<float>& values) {
  const int64_t i = quant::first_non_finite(values.data(), int64_t(values.size()));
  if (i >= 0) fail(t.file, ": ", t.name, ": non-finite value ", values[size_t(i)], " at element ", i);
}

// fp16 tops out at 65504; larger values (possible in bf16/fp32 checkpoints) would become
// inf, so converting them is an error rather than silent garbage.
void check_fits_f16(const TensorView& t, const std::vector<float>& values) {
  for (size_t i = 0; i < values.size(); ++i)
    if (std::abs(values[i]) >= 65520.0f)
      fail(t.file, ": ", t.name, ": value ", values[i], " at element ", i,
           " overflows fp16 (max 65504); keep this tensor in bf16/fp32 (--tensor-precision)");
}

}  // namespace

int64_t LoadSummary::total_bytes() const {
  int64_t b = 0;
  for (const FormatUsage& u : by_format) b += u.bytes;
  return b;
}

int64_t LoadSummary::total_weights() const {
  int64_t n = 0;
  for (const FormatUsage& u : by_format) n += u.weights;
  return n;
}

double LoadSummary::bits_per_weight() const {
  return total_weights() ? 8.0 * double(total_bytes()) / double(total_weights()) : 0.0;
}

std::string LoadSummary::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "weights: %.2f M params, %.2f MB, %.2f bits/weight |",
                double(total_weights()) / 1e6, double(total_bytes()) / 1e6, bits_per_weight());
  std::string s = buf;
  for (size_t f = 0; f < by_format.size(); ++f) {
    if (!by_format[f].tensors) continue;
    std::snprintf(buf, sizeof buf, " %s: %lld tensors, %.2f MB;", format_name(WeightFormat(f)),
                  static_cast<long long>(by_format[f].tensors), double(by_format[f].bytes) / 1e6);
    s += buf;
  }
  if (s.back() == ';') s.pop_back();
  return s;
}

WeightFormat baseline_format(const ModelConfig& config) {
  if (config.torch_dtype == "bfloat16") return WeightFormat::bf16;
  if (config.torch_dtype == "float16") return WeightFormat::f16;
  return WeightFormat::f32;
}

LoadedModel load_model(const std::string& dir, Backend& backend, const LoadOptions& options) {
  auto log = options.log ? options.log : [](const std::string& line) { std::cerr << line << "\n"; };
  LoadedModel out;
  out.config = load_model_config(dir + "/config.json");
  out.generation = load_generation_defaults(dir + "/generation_config.json");
  const Checkpoint checkpoint = Checkpoint::open_dir(dir);

  const WeightFormat baseline = baseline_format(out.config);
  const PrecisionPolicy policy = PrecisionPolicy::parse(options.precision, options.tensor_precision);
  out.summary.by_format.resize(all_codecs().size());

  DecoderWeights weights;
  std::set<std::string> used;
  for (const WeightSlot& slot : weight_table(out.config, weights)) {
    const TensorView* t = checkpoint.find(slot.hf_name);
    if (!t) fail(dir, ": missing tensor ", slot.hf_name, " (needed by ", out.config.architecture, ")");
    check_shape(*t, slot);
    const std::vector<float> values = to_f32(*t);
    check_finite(*t, values);
    const WeightFormat format = policy.format_for(slot.hf_name, slot.role, baseline);
    if (!backend.supports(format))
      fail(slot.hf_name, ": backend ", backend.name(), " cannot run ", format_name(format), " weights");
    if (format == WeightFormat::f16) check_fits_f16(*t, values);
    HostWeight w = encode(slot.hf_name, values, slot.rows, slot.cols, format);
    if (slot.role != WeightRole::vector) {
      FormatUsage& u = out.summary.by_format[size_t(format)];
      u.tensors += 1;
      u.weights += slot.rows * slot.cols;
      u.bytes += int64_t(w.packed.size() + (codec(format).scaled ? w.scales.size() * sizeof(float) : 0));
    }
    *slot.target = backend.upload(w);
    used.insert(slot.hf_name);
  }
  for (const std::string& name : checkpoint.names())
    if (!used.count(name) && !is_ignored_tensor(out.config, name))
      log("warning: " + dir + ": tensor " + name + " is not used by " + out.config.architecture);

  const std::vector<float> inv_freq = rope_inverse_frequencies(out.config);
  weights.rope_inv_freq = backend.upload(
      encode("rope.inv_freq", inv_freq, 1, int64_t(inv_freq.size()), WeightFormat::f32));
  out.model = std::make_unique<DecoderModel>(out.config, std::move(weights), backend);
  return out;
}

}  // namespace llmrun
