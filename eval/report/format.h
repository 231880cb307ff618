#pragma once
// Number and text formatting shared by the Markdown table, the data files and the charts:
// fixed digits for people, shortest round-trip for machines, never "-0.00".
#include <cstddef>
#include <string>
#include <string_view>

namespace llmrun::eval {

// "12.40" for (12.4, 2); a value that rounds to zero prints without a sign.
std::string format_fixed(double value, int decimals);

// Explicit sign for differences: "+0.12", "-1.30"; "0.00" when it rounds to zero.
std::string format_signed(double value, int decimals);

// `digits` significant digits, never dropping integer digits: (12.345, 3) -> "12.3",
// (1234.5, 3) -> "1235", (0.00123, 3) -> "0.00123"; below 1e-3 scientific: "1.23e-05".
std::string format_significant(double value, int digits);

// Shortest text that reads back to the same double ("0.124", "1e-05", whole numbers
// below 1e15 as integers: "2500000000"), for data files.
std::string format_shortest(double value);

// Coordinates in SVG: at most two decimals, trailing zeros dropped ("12.5", "3").
std::string format_coordinate(double value);

// Columns a string takes in a terminal: UTF-8 code points (all our symbols are one wide).
size_t display_width(std::string_view utf8);

// Text made safe for XML 1.0 character data and attribute values: & < > " ' escaped,
// control characters XML forbids and invalid UTF-8 replaced by U+FFFD.
std::string xml_escape(std::string_view text);

}  // namespace llmrun::eval
