// Number formatting, XML escaping and axis ticks against values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "eval/report/axis.h"
#include "eval/report/format.h"

namespace llmrun::eval {
namespace {

TEST(ReportFormat, FixedAndSignedNeverShowNegativeZero) {
  EXPECT_EQ(format_fixed(12.4, 2), "12.40");
  EXPECT_EQ(format_fixed(-0.001, 2), "0.00");
  EXPECT_EQ(format_fixed(-0.0, 1), "0.0");
  EXPECT_EQ(format_fixed(-0.006, 2), "-0.01");
  EXPECT_EQ(format_signed(0.1234, 2), "+0.12");
  EXPECT_EQ(format_signed(-1.3, 2), "-1.30");
  EXPECT_EQ(format_signed(-0.004, 2), "0.00");
  EXPECT_EQ(format_signed(0.004, 2), "0.00");
}

TEST(ReportFormat, SignificantDigits) {
  EXPECT_EQ(format_significant(12.345, 3), "12.3");
  EXPECT_EQ(format_significant(1234.6, 3), "1235");  // integer digits are never dropped
  EXPECT_EQ(format_significant(0.00123, 3), "0.00123");
  EXPECT_EQ(format_significant(0.0123, 3), "0.0123");
  EXPECT_EQ(format_significant(9.996, 3), "10.0");   // rounding up a decade keeps 3 digits
  EXPECT_EQ(format_significant(1.234e-5, 3), "1.23e-05");
  EXPECT_EQ(format_significant(-2.5e-7, 2), "-2.5e-07");
  EXPECT_EQ(format_significant(0, 3), "0");
  EXPECT_EQ(format_significant(-0.0004, 1), "-4e-04");
}

TEST(ReportFormat, ShortestRoundTripAndCoordinates) {
  EXPECT_EQ(format_shortest(0.124), "0.124");
  EXPECT_EQ(format_shortest(1e-5), "1e-05");
  EXPECT_EQ(format_shortest(1192000000.0), "1192000000");
  EXPECT_EQ(format_shortest(-3.0), "-3");
  EXPECT_EQ(format_shortest(1e20), "1e+20");
  EXPECT_EQ(std::stod(format_shortest(0.1 + 0.2)), 0.1 + 0.2);
  EXPECT_EQ(format_coordinate(12.5), "12.5");
  EXPECT_EQ(format_coordinate(3.0), "3");
  EXPECT_EQ(format_coordinate(3.14159), "3.14");
  EXPECT_EQ(format_coordinate(-0.001), "0");
}

TEST(ReportFormat, DisplayWidthCountsCodePoints) {
  EXPECT_EQ(display_width("12.40 ± 0.46"), 12u);
  EXPECT_EQ(display_width("—"), 1u);
  EXPECT_EQ(display_width(""), 0u);
}

TEST(ReportFormat, XmlEscape) {
  EXPECT_EQ(xml_escape("a<b&\"c\"'>"), "a&lt;b&amp;&quot;c&quot;&apos;&gt;");
  EXPECT_EQ(xml_escape("mixed:attn=fp8,mlp=fp6"), "mixed:attn=fp8,mlp=fp6");
  EXPECT_EQ(xml_escape("é ± 日本 🙂"), "é ± 日本 🙂");  // valid UTF-8 kept
  EXPECT_EQ(xml_escape(std::string("a\x01" "b")), "a\xEF\xBF\xBD" "b");   // control char XML forbids
  EXPECT_EQ(xml_escape("tab\tnew\nline"), "tab\tnew\nline");
  EXPECT_EQ(xml_escape("\xff"), "\xEF\xBF\xBD");                           // not UTF-8
  EXPECT_EQ(xml_escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");           // overlong '/'
  EXPECT_EQ(xml_escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(xml_escape("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");           // truncated
}

TEST(ReportAxis, RoundTicksFromZero) {
  Axis a = nice_axis(0.46);  // 0.46/5 = 0.092 -> step 0.1
  EXPECT_DOUBLE_EQ(a.step, 0.1);
  EXPECT_DOUBLE_EQ(a.max, 0.5);
  ASSERT_EQ(a.ticks.size(), 6u);
  EXPECT_EQ(a.label(a.ticks[3]), "0.3");

  a = nice_axis(2.02);  // 0.404 -> 0.5
  EXPECT_DOUBLE_EQ(a.step, 0.5);
  EXPECT_DOUBLE_EQ(a.max, 2.5);
  EXPECT_EQ(a.label(a.ticks[1]), "0.5");

  a = nice_axis(47);  // 9.4 -> 10
  EXPECT_DOUBLE_EQ(a.step, 10);
  EXPECT_DOUBLE_EQ(a.max, 50);
  EXPECT_EQ(a.label(a.ticks[2]), "20");

  a = nice_axis(1.1);  // 0.22 -> 0.25
  EXPECT_DOUBLE_EQ(a.step, 0.25);
  EXPECT_DOUBLE_EQ(a.max, 1.25);
  EXPECT_EQ(a.label(a.ticks[1]), "0.25");
  EXPECT_EQ(a.label(a.ticks[4]), "1.00");

  a = nice_axis(1.0);  // exactly 5 steps of 0.2, no empty sixth
  EXPECT_DOUBLE_EQ(a.max, 1.0);
  EXPECT_EQ(a.ticks.size(), 6u);

  a = nice_axis(0);
  EXPECT_DOUBLE_EQ(a.max, 1);
  a = nice_axis(std::nan(""));
  EXPECT_DOUBLE_EQ(a.max, 1);
}

}  // namespace
}  // namespace llmrun::eval
