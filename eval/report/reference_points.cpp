#include "eval/report/reference_points.h"

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "runtime/error.h"

namespace llmrun::eval {
namespace {

double number(const std::string& text, const std::string& where, const char* what) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v)) fail(where, ": ", what, " '", text, "' is not a finite number");
  return v;
}

}  // namespace

std::vector<ReferencePoint> read_reference_points(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, ": cannot open the reference points file");
  std::vector<ReferencePoint> points;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#' || (n == 1 && line == "label,bits_per_weight,mean_kl")) continue;
    const std::string where = path + ":" + std::to_string(n);
    const size_t a = line.find(','), b = a == std::string::npos ? a : line.find(',', a + 1);
    if (b == std::string::npos || line.find(',', b + 1) != std::string::npos)
      fail(where, ": expected label,bits_per_weight,mean_kl");
    ReferencePoint p;
    p.label = line.substr(0, a);
    if (p.label.empty()) fail(where, ": empty label");
    p.bits_per_weight = number(line.substr(a + 1, b - a - 1), where, "bits_per_weight");
    p.mean_kl = number(line.substr(b + 1), where, "mean_kl");
    if (!(p.bits_per_weight > 0 && p.bits_per_weight <= 64)) fail(where, ": bits_per_weight must be in (0, 64]");
    if (p.mean_kl < 0) fail(where, ": mean_kl must be >= 0");
    points.push_back(p);
  }
  if (points.empty()) fail(path, ": no reference points");
  return points;
}

}  // namespace llmrun::eval
