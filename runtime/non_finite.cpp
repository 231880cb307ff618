#include "runtime/non_finite.h"

#include "kernels/quant/finite.h"
#include "runtime/error.h"

namespace llmrun {

std::string first_non_finite_stage(DecoderModel& model, const std::vector<int32_t>& ids) {
  if (ids.empty()) return "";
  KvCache cache = model.new_cache(int64_t(ids.size()));
  std::string first;
  std::vector<float> values;
  const std::vector<float> logits = model.forward_batch(
      {{&ids, &cache}}, LogitRows::all, [&](const std::string& name, const Tensor& t) {
        if (!first.empty()) return;
        values.resize(size_t(t.rows() * t.cols()));
        model.backend().to_host(t, values.data());
        if (!quant::all_finite(values.data(), int64_t(values.size()))) first = name;
      });
  if (first.empty() && !quant::all_finite(logits.data(), int64_t(logits.size()))) first = "logits";
  return first;
}

void fail_non_finite(DecoderModel& model, const std::vector<int32_t>& ids, const std::string& what) {
  std::string where;
  try {
    where = first_non_finite_stage(model, ids);
  } catch (const Error&) {
    // The diagnosis is a courtesy; the error below is what matters.
  }
  fail(what, ": the logits are not finite (NaN or infinity)",
       where.empty() ? std::string(" (not reproduced when the ") + std::to_string(ids.size()) + " tokens are run again)"
                     : " (first in " + where + " when the " + std::to_string(ids.size()) + " tokens are run again)",
       "; the weights or scales may be out of range for the activation dtype");
}

void check_logits_finite(DecoderModel& model, const std::vector<int32_t>& ids, const std::vector<float>& logits,
                         const std::string& what) {
  if (!quant::all_finite(logits.data(), int64_t(logits.size()))) fail_non_finite(model, ids, what);
}

}  // namespace llmrun
