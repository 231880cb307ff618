#include "runtime/generate.h"

#include <algorithm>
#include <string>

#include "kernels/quant/finite.h"
#include "runtime/error.h"
#include "runtime/non_finite.h"

namespace llmrun {

std::vector<int32_t> generate(DecoderModel& model, KvCache& cache, Sampler& sampler,
                              const GenerationRequest& request, const TokenCallback& on_token,
                              GenerationStats* stats) {
  using clock = std::chrono::steady_clock;
  if (request.prompt.empty()) fail("generate: empty prompt (give at least one token, e.g. BOS)");
  const int64_t vocab = model.config().vocab_size;
  std::vector<int32_t> history = request.prompt, out;
  GenerationStats s;
  s.prompt_tokens = int64_t(request.prompt.size());

  // Greedy decoding picks the token on the backend, and so does sampling without a
  // repetition penalty: the backend draws at the Sampler's own next uniform (the same seed
  // gives the same tokens as Sampler::sample, up to rounding at a CDF boundary). With a
  // repetition penalty, or a backend that cannot sample, the logits come here.
  const bool greedy = sampler.greedy();
  const bool backend_samples =  // (sampling reads no weights: the format is a placeholder)
      !greedy && sampler.backend_can_sample() &&
      model.backend().supports(Op::sample, WeightFormat::f32, model.activation_dtype());
  const bool on_backend = greedy || backend_samples;
  const SamplingParams params = sampler.params();
  std::vector<float> logits;
  int32_t next = -1;
  auto step = [&](const std::vector<int32_t>& ids) {
    if (greedy) {
      next = model.forward_argmax(ids, cache);
    } else if (backend_samples) {
      // Backends take fp32 uniforms in [0, 1): round down at the top so 1 - 2^-54 stays below 1.
      next = model.forward_sample(ids, cache, params, std::min(float(sampler.next_uniform()), 0x1.fffffep-1f));
    } else {
      logits = model.forward(ids, cache);
    }
  };
  auto t0 = clock::now();
  step(request.prompt);
  auto t1 = clock::now();
  s.prefill_seconds = std::chrono::duration<double>(t1 - t0).count();

  while (int64_t(out.size()) < request.max_new_tokens) {
    if (on_backend ? next < 0 : !quant::all_finite(logits.data(), vocab))
      fail_non_finite(model, history, "generated token " + std::to_string(out.size() + 1));
    const int32_t id = on_backend ? next : sampler.sample(logits.data(), vocab, history);
    out.push_back(id);
    history.push_back(id);
    const bool stop = std::find(request.stop_ids.begin(), request.stop_ids.end(), id) != request.stop_ids.end();
    if ((on_token && !on_token(id)) || stop || int64_t(out.size()) == request.max_new_tokens) break;
    if (cache.remaining() < 1) break;  // the caller sees fewer tokens than asked and can say why
    const auto f0 = clock::now();
    step({id});
    s.decode_forward_seconds += std::chrono::duration<double>(clock::now() - f0).count();
  }
  s.generated_tokens = int64_t(out.size());
  s.decode_seconds = std::chrono::duration<double>(clock::now() - t1).count();
  if (stats) *stats = s;
  return out;
}

}  // namespace llmrun
