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

std::string weight_format_names(const std::string& separator) {
  std::string names;
  for (const CodecRecord* c : all_codecs()) {
    names += names.empty() ? "" : separator;
    names += c->name;
  }
  return names;
}

WeightFormat parse_weight_format(const std::string& name) {
  for (const CodecRecord* c : all_codecs())
    if (name == c->name) return c->format;
  fail("unknown precision '", name, "' (valid: ", weight_format_names(", "), ")");
}

}  // namespace llmrun
