#include "eval/report/axis.h"

#include <algorithm>
#include <cmath>

#include "eval/report/format.h"

namespace llmrun::eval {

Axis nice_axis(double data_max, int target_ticks) {
  Axis axis;
  if (!std::isfinite(data_max) || data_max <= 0) data_max = 1;
  const double raw_step = data_max / std::max(1, target_ticks);
  const double power = std::pow(10.0, std::floor(std::log10(raw_step)));
  double multiple = 10;
  for (double m : {1.0, 2.0, 2.5, 5.0})
    if (raw_step <= m * power * (1 + 1e-9)) {
      multiple = m;
      break;
    }
  axis.step = multiple * power;
  // The tolerance keeps 1.0000000002 from adding a whole empty interval.
  const auto intervals = static_cast<int>(std::ceil(data_max / axis.step - 1e-9));
  axis.max = intervals * axis.step;
  for (int i = 0; i <= intervals; ++i) axis.ticks.push_back(i * axis.step);
  return axis;
}

std::string Axis::label(double tick) const {
  // Decimals that show the step exactly: 0.25 -> 2, 0.5 -> 1, 20 -> 0.
  int decimals = 0;
  for (double s = step; decimals < 12 && std::fabs(s - std::round(s)) > 1e-9 * std::max(1.0, s); s *= 10) ++decimals;
  return format_fixed(tick, decimals);
}

}  // namespace llmrun::eval
