#pragma once
// Which weight format each tensor gets. Built from --precision and --tensor-precision:
//   auto                       every weight in the checkpoint's own dtype
//   fp32|fp16|bf16|int8|fp8|fp6 linear layers in that format (int8, fp8, fp6 are aliases:
//                              format_aliases()); embedding and LM head stay at the
//                              baseline (quantizing them is opt-in)
//   mixed:attn=fp8,mlp=fp6,embed=fp16,lm_head=fp16,down=int8,...
//                              per group: attn (q,k,v,o), mlp (gate,up,down), single
//                              projections q k v o gate up down, embed, lm_head
//   @plan.json                 per-tensor formats written by `llmeval sensitivity`
// then each --tensor-precision 'REGEX=FORMAT' (searched in the HF tensor name; the last
// match wins). Norm gains and biases are always fp32.
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "kernels/quant/weight_format.h"
#include "runtime/models/weight_table.h"

namespace llmrun {

class PrecisionPolicy {
 public:
  // Throws llmrun::Error naming the flag and the bad part of the spec.
  static PrecisionPolicy parse(const std::string& spec, const std::vector<std::string>& tensor_overrides = {});

  // The format for one tensor, given the checkpoint's baseline format.
  WeightFormat format_for(const std::string& hf_name, WeightRole role, WeightFormat baseline) const;
  const std::string& spec() const { return spec_; }
  // Every format the spec names (some may match no tensor); empty for "auto".
  std::vector<WeightFormat> named_formats() const;

 private:
  std::string spec_;
  std::optional<WeightFormat> linear_;  // plain "int8" etc.
  std::vector<std::pair<std::string, WeightFormat>> groups_;  // mixed: key -> format
  std::vector<std::pair<std::string, WeightFormat>> plan_;    // @plan.json: exact name -> format
  std::optional<WeightFormat> plan_default_;
  std::vector<std::pair<std::regex, WeightFormat>> overrides_;
};

// Writes a plan file readable by `--precision @FILE`.
void write_precision_plan(const std::string& path, const std::vector<std::pair<std::string, WeightFormat>>& tensors,
                          std::optional<WeightFormat> default_format, const std::string& comment);

}  // namespace llmrun
