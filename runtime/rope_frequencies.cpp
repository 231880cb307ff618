#include "runtime/rope_frequencies.h"

#include <algorithm>
#include <cmath>

#include "runtime/error.h"

namespace llmrun {

const char* rope_type_name(RopeType type) {
  switch (type) {
    case RopeType::none: return "default";
    case RopeType::linear: return "linear";
    case RopeType::dynamic: return "dynamic";
    case RopeType::yarn: return "yarn";
    case RopeType::llama3: return "llama3";
    case RopeType::freq_factors: return "freq_factors";
  }
  return "?";
}

namespace {

// transformers: base ** (arange(0, dim, 2).float() / dim), the exponent rounded to fp32.
std::vector<float> base_powers(double base, int64_t dim) {
  std::vector<float> p(size_t(dim / 2));
  for (int64_t i = 0; i < dim / 2; ++i) p[size_t(i)] = float(std::pow(base, double(float(2 * i) / float(dim))));
  return p;
}

std::vector<float> default_inv_freq(double base, int64_t dim) {
  std::vector<float> f = base_powers(base, dim);
  for (float& v : f) v = 1.0f / v;
  return f;
}

// _compute_yarn_parameters: frequencies whose wavelength fits the original context
// many times (fast, beta_fast rotations) keep it; slow ones are divided by factor; a
// linear ramp in between. The attention factor scales cos and sin.
RopeTable yarn(const ModelConfig& c) {
  const RopeScaling& s = c.rope_scaling;
  const int64_t dim = c.head_dim;
  const double base = c.rope_theta, factor = s.factor;
  const double original = double(s.original_max_position_embeddings > 0 ? s.original_max_position_embeddings
                                                                         : c.max_position_embeddings);
  auto get_mscale = [](double scale, double m) { return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; };
  RopeTable t;
  if (s.attention_factor) {
    t.attention_factor = float(*s.attention_factor);
  } else if (s.mscale.value_or(0) != 0 && s.mscale_all_dim.value_or(0) != 0) {
    t.attention_factor = float(get_mscale(factor, *s.mscale) / get_mscale(factor, *s.mscale_all_dim));
  } else {
    t.attention_factor = float(get_mscale(factor, 1.0));
  }
  auto correction_dim = [&](double rotations) {
    return double(dim) * std::log(original / (rotations * 2 * M_PI)) / (2 * std::log(base));
  };
  double low = correction_dim(s.beta_fast), high = correction_dim(s.beta_slow);
  if (s.truncate) low = std::floor(low), high = std::ceil(high);
  low = std::max(low, 0.0), high = std::min(high, double(dim - 1));
  if (low == high) high += 0.001;  // transformers' guard against a zero-width ramp
  const std::vector<float> pos_freqs = base_powers(base, dim);
  t.inv_freq.resize(pos_freqs.size());
  for (size_t i = 0; i < pos_freqs.size(); ++i) {
    const float extrapolation = 1.0f / pos_freqs[i];
    const float interpolation = 1.0f / (float(factor) * pos_freqs[i]);
    const float ramp = std::clamp((float(i) - float(low)) / float(high - low), 0.0f, 1.0f);
    const float keep = 1.0f - ramp;  // inv_freq_extrapolation_factor
    t.inv_freq[i] = interpolation * (1.0f - keep) + extrapolation * keep;
  }
  return t;
}

// _compute_llama3_parameters: long wavelengths are slowed by `factor`, short ones kept,
// and the band between blended linearly in 1/wavelength.
std::vector<float> llama3(const ModelConfig& c) {
  const RopeScaling& s = c.rope_scaling;
  std::vector<float> f = default_inv_freq(c.rope_theta, c.head_dim);
  const double old_ctx = double(s.original_max_position_embeddings);
  // Python floats compared with and applied to fp32 tensors: rounded to fp32 first.
  const float low_freq_wavelen = float(old_ctx / s.low_freq_factor);
  const float high_freq_wavelen = float(old_ctx / s.high_freq_factor);
  for (float& v : f) {
    const float wavelen = float(2 * M_PI) / v;
    const float scaled = wavelen > low_freq_wavelen ? v / float(s.factor) : v;
    if (!(wavelen < high_freq_wavelen) && !(wavelen > low_freq_wavelen)) {
      const float smooth = (float(old_ctx) / wavelen - float(s.low_freq_factor)) /
                           float(s.high_freq_factor - s.low_freq_factor);
      v = (1.0f - smooth) * scaled / float(s.factor) + smooth * scaled;
    } else {
      v = scaled;
    }
  }
  return f;
}

}  // namespace

RopeTable rope_table(const ModelConfig& c) {
  const RopeScaling& s = c.rope_scaling;
  RopeTable t;
  switch (s.type) {
    case RopeType::none:
      t.inv_freq = default_inv_freq(c.rope_theta, c.head_dim);
      break;
    case RopeType::linear:
      t.inv_freq = default_inv_freq(c.rope_theta, c.head_dim);
      for (float& v : t.inv_freq) v /= float(s.factor);
      break;
    case RopeType::dynamic: {
      // _compute_dynamic_ntk_parameters at seq_len <= max_position_embeddings: the base
      // is multiplied by ((factor * L / L) - (factor - 1)) ** (dim / (dim - 2)), 1 up to
      // rounding, computed the same way.
      const double L = double(c.max_position_embeddings), dim = double(c.head_dim);
      const double base = c.rope_theta * std::pow(s.factor * L / L - (s.factor - 1), dim / (dim - 2));
      t.inv_freq = default_inv_freq(base, c.head_dim);
      break;
    }
    case RopeType::yarn:
      t = yarn(c);
      break;
    case RopeType::llama3:
      t.inv_freq = llama3(c);
      break;
    case RopeType::freq_factors:
      // ggml's rope: theta_base / freq_factor, in fp32.
      LLMRUN_CHECK(s.freq_factors.size() == size_t(c.head_dim / 2), "rope_table: freq_factors");
      t.inv_freq = default_inv_freq(c.rope_theta, c.head_dim);
      for (size_t i = 0; i < t.inv_freq.size(); ++i) t.inv_freq[i] /= float(s.freq_factors[i]);
      break;
  }
  LLMRUN_CHECK(t.inv_freq.size() == size_t(c.head_dim / 2), "rope_table: ", rope_type_name(s.type));
  return t;
}

}  // namespace llmrun
