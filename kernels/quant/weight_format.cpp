#include "kernels/quant/weight_format.h"

#include "kernels/quant/codec_registry.h"
#include "runtime/error.h"

namespace llmrun {

const std::vector<const CodecRecord*>& all_codecs() {
  // Function-local static: built on first use, after every codec's own initializer.
  static const std::vector<const CodecRecord*> table = {&kCodecF32,  &kCodecF16, &kCodecBF16,
                                                        &kCodecInt8, &kCodecFp8, &kCodecFp6,
                                                        &kCodecFp6E2M3, &kCodecInt8G32, &kCodecFp8G32, &kCodecFp6E2M3G32,
                                                        &kCodecInt8G64, &kCodecFp8G64, &kCodecFp6E2M3G64};
  return table;
}

const CodecRecord& codec(WeightFormat format) {
  for (const CodecRecord* c : all_codecs())
    if (c->format == format) return *c;
  fail("weight format ", int(format), " has no codec record");
}

const char* format_name(WeightFormat format) { return codec(format).name; }

const std::vector<FormatAlias>& format_aliases() {
  // Chosen from docs/ACCURACY.md (KL against fp16 on SmolLM2 and stories260k, beside
  // llama.cpp) and docs/PERFORMANCE.md (decode cost of group scales).
  static const std::vector<FormatAlias> aliases = {
      {"int8", WeightFormat::int8_g32}, {"fp8", WeightFormat::fp8_g32}, {"fp6", WeightFormat::fp6_e2m3_g32}};
  return aliases;
}

std::string weight_format_names(const std::string& separator) {
  std::string names;
  for (const FormatAlias& a : format_aliases()) {
    names += names.empty() ? "" : separator;
    names += std::string(a.name) + " (= " + codec(a.format).name + ")";
  }
  for (const CodecRecord* c : all_codecs()) {
    names += names.empty() ? "" : separator;
    names += c->name;
  }
  return names;
}

WeightFormat parse_weight_format(const std::string& name) {
  for (const FormatAlias& a : format_aliases())
    if (name == a.name) return a.format;
  for (const CodecRecord* c : all_codecs())
    if (name == c->name) return c->format;
  fail("unknown precision '", name, "' (valid: ", weight_format_names(", "), ")");
}

WeightFormat parse_stored_weight_format(const std::string& name) {
  for (const CodecRecord* c : all_codecs())
    if (name == c->name) return c->format;
  static const FormatAlias legacy[] = {
      {"int8", WeightFormat::int8}, {"fp8", WeightFormat::fp8_e4m3}, {"fp6", WeightFormat::fp6_e3m2}};
  for (const FormatAlias& a : legacy)
    if (name == a.name) return a.format;
  std::string names;
  for (const CodecRecord* c : all_codecs()) names += (names.empty() ? "" : ", ") + std::string(c->name);
  fail("unknown weight format '", name, "' (this llmrun reads: ", names, ")");
}

}  // namespace llmrun
