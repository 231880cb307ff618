#include "kernels/quant/weight_format.h"

#include "kernels/quant/codec_registry.h"
#include "runtime/error.h"

namespace llmrun {

const std::vector<const CodecRecord*>& all_codecs() {
  // Function-local static: built on first use, after every codec's own initializer.
  static const std::vector<const CodecRecord*> table = {&kCodecF32,  &kCodecF16, &kCodecBF16,
                                                        &kCodecInt8, &kCodecFp8, &kCodecFp6};
  return table;
}

const CodecRecord& codec(WeightFormat format) {
  for (const CodecRecord* c : all_codecs())
    if (c->format == format) return *c;
  fail("weight format ", int(format), " has no codec record");
}

const char* format_name(WeightFormat format) { return codec(format).name; }

WeightFormat parse_weight_format(const std::string& name) {
  std::string valid;
  for (const CodecRecord* c : all_codecs()) {
    if (name == c->name) return c->format;
    valid += valid.empty() ? "" : ", ";
    valid += c->name;
  }
  fail("unknown precision '", name, "' (valid: ", valid, ")");
}

}  // namespace llmrun
