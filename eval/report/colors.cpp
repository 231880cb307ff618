#include "eval/report/colors.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace llmrun::eval {
namespace {

constexpr std::array<const char*, 8> kCategorical = {
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"};

// Viridis sampled at 10 evenly spaced points, RGB.
constexpr std::array<std::array<int, 3>, 10> kViridis = {{
    {0x44, 0x01, 0x54}, {0x48, 0x28, 0x78}, {0x3e, 0x49, 0x89}, {0x31, 0x68, 0x8e}, {0x26, 0x82, 0x8e},
    {0x1f, 0x9e, 0x89}, {0x35, 0xb7, 0x79}, {0x6e, 0xce, 0x58}, {0xb5, 0xde, 0x2b}, {0xfd, 0xe7, 0x25},
}};

std::string hex(double r, double g, double b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(std::lround(r)),
                static_cast<int>(std::lround(g)), static_cast<int>(std::lround(b)));
  return buf;
}

}  // namespace

std::string precision_color(size_t index) {
  if (index == 0) return "#8c8c8c";
  return kCategorical[(index - 1) % kCategorical.size()];
}

std::string viridis(double t) {
  if (!(t > 0)) t = 0;  // also NaN
  if (t > 1) t = 1;
  const double position = t * (kViridis.size() - 1);
  const size_t lo = std::min(static_cast<size_t>(position), kViridis.size() - 2);
  const double f = position - static_cast<double>(lo);
  const auto& a = kViridis[lo];
  const auto& b = kViridis[lo + 1];
  return hex(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2]));
}

size_t viridis_stop_count() { return kViridis.size(); }

std::string viridis_stop(size_t i) {
  const auto& c = kViridis.at(i);
  return hex(c[0], c[1], c[2]);
}

}  // namespace llmrun::eval
