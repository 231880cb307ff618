// A precision plan (`--precision @plan.json`, written by `llmeval sensitivity` and by
// `--precision auto:...`): default format and per-tensor formats.
#include "fuzz/harness.h"
#include "runtime/precision_policy.h"

namespace llmrun::fuzz {

void precision_plan(const uint8_t* data, size_t size) {
  const std::string path = Scratch::get().write("plan/plan.json", data, size);
  expect_clean([&] { (void)PrecisionPolicy::parse("@" + path); });
}

}  // namespace llmrun::fuzz
