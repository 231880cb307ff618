#pragma once
// A minimal SVG 1.1 writer: elements with escaped attributes and text, indented, no
// dependencies. Charts are written through it so no unescaped text reaches the file.
#include <string>

namespace llmrun::eval {

// Attributes of one element, escaped as they are added: Attrs().set("x", 3.5).set("class", "bar").
class Attrs {
 public:
  Attrs& set(const char* name, const std::string& value);
  Attrs& set(const char* name, const char* value);
  Attrs& set(const char* name, double value);  // a coordinate: at most two decimals
  const std::string& text() const { return text_; }

 private:
  std::string text_;  // ` name="value"` pairs
};

class SvgWriter {
 public:
  // Opens <svg> of width x height px with a <title> and a white background.
  SvgWriter(double width, double height, const std::string& title);

  void open(const char* tag, const Attrs& attrs = Attrs());  // <tag ...>
  void close(const char* tag);                                // </tag>
  void leaf(const char* tag, const Attrs& attrs);             // <tag .../>
  // <tag ...>text</tag> with text escaped.
  void text(const char* tag, const Attrs& attrs, const std::string& content);
  // <tag ...><title>tooltip</title></tag>: a shape with a hover tooltip.
  void with_tooltip(const char* tag, const Attrs& attrs, const std::string& tooltip);

  // The chart's bold title, centred at the top of a chart `width` px wide.
  void heading(double width, const std::string& title);

  // Closes every open element and returns the document.
  std::string finish();

 private:
  void indent();
  std::string out_;
  int depth_ = 0;
};

}  // namespace llmrun::eval
