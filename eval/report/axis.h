#pragma once
// Value axes from zero with round ticks (0, 0.5, 1, ...; 0, 20, 40, ...).
#include <string>
#include <vector>

namespace llmrun::eval {

struct Axis {
  double max = 1;             // top of the axis, a multiple of step
  double step = 0.2;          // 1, 2, 2.5 or 5 times a power of ten
  std::vector<double> ticks;  // 0, step, ..., max
  std::string label(double tick) const;  // with as many decimals as the step needs
};

// An axis from 0 that holds data_max with about target_ticks intervals; a non-positive
// or non-finite data_max gives 0..1.
Axis nice_axis(double data_max, int target_ticks = 5);

}  // namespace llmrun::eval
