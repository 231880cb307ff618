#include "runtime/rope_frequencies.h"

#include <cmath>

namespace llmrun {

std::vector<float> rope_inverse_frequencies(const ModelConfig& c) {
  const int64_t half = c.head_dim / 2;
  std::vector<float> inv_freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    // transformers: 1 / theta^(2i / head_dim), exponent formed in fp32.
    const float exponent = float(2 * i) / float(c.head_dim);
    double f = 1.0 / std::pow(c.rope_theta, double(exponent));
    if (c.rope_scaling) {
      // Llama 3: long wavelengths are slowed by `factor`, short ones kept, and the
      // band between blended linearly in 1/wavelength.
      const Llama3RopeScaling& s = *c.rope_scaling;
      const double old_ctx = double(s.original_max_position_embeddings);
      const double wavelen = 2.0 * M_PI / f;
      const double low_freq_wavelen = old_ctx / s.low_freq_factor;
      const double high_freq_wavelen = old_ctx / s.high_freq_factor;
      if (wavelen > low_freq_wavelen) {
        f = f / s.factor;
      } else if (wavelen >= high_freq_wavelen) {
        const double smooth = (old_ctx / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        f = (1.0 - smooth) * f / s.factor + smooth * f;
      }
    }
    inv_freq[size_t(i)] = float(f);
  }
  return inv_freq;
}

}  // namespace llmrun
