#include "eval/report/svg_writer.h"

#include "eval/report/format.h"
#include "runtime/error.h"

namespace llmrun::eval {

Attrs& Attrs::set(const char* name, const std::string& value) {
  text_ += std::string(" ") + name + "=\"" + xml_escape(value) + "\"";
  return *this;
}

Attrs& Attrs::set(const char* name, const char* value) { return set(name, std::string(value)); }

Attrs& Attrs::set(const char* name, double value) { return set(name, format_coordinate(value)); }

SvgWriter::SvgWriter(double width, double height, const std::string& title) {
  out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  open("svg", Attrs()
                  .set("xmlns", "http://www.w3.org/2000/svg")
                  .set("version", "1.1")
                  .set("width", width)
                  .set("height", height)
                  .set("viewBox", "0 0 " + format_coordinate(width) + " " + format_coordinate(height))
                  .set("font-family", "DejaVu Sans, Helvetica, Arial, sans-serif")
                  .set("font-size", 12.0));
  text("title", Attrs(), title);
  leaf("rect", Attrs().set("width", width).set("height", height).set("fill", "#ffffff"));
}

void SvgWriter::indent() { out_.append(static_cast<size_t>(2 * depth_), ' '); }

void SvgWriter::open(const char* tag, const Attrs& attrs) {
  indent();
  out_ += std::string("<") + tag + attrs.text() + ">\n";
  ++depth_;
}

void SvgWriter::close(const char* tag) {
  LLMRUN_CHECK(depth_ > 0, "closing <", tag, "> with nothing open");
  --depth_;
  indent();
  out_ += std::string("</") + tag + ">\n";
}

void SvgWriter::leaf(const char* tag, const Attrs& attrs) {
  indent();
  out_ += std::string("<") + tag + attrs.text() + "/>\n";
}

void SvgWriter::text(const char* tag, const Attrs& attrs, const std::string& content) {
  indent();
  out_ += std::string("<") + tag + attrs.text() + ">" + xml_escape(content) + "</" + tag + ">\n";
}

void SvgWriter::with_tooltip(const char* tag, const Attrs& attrs, const std::string& tooltip) {
  indent();
  out_ += std::string("<") + tag + attrs.text() + "><title>" + xml_escape(tooltip) + "</title></" + tag + ">\n";
}

void SvgWriter::heading(double width, const std::string& title) {
  text("text", Attrs()
                   .set("x", width / 2)
                   .set("y", 26)
                   .set("text-anchor", "middle")
                   .set("font-size", 15.0)
                   .set("font-weight", "bold"),
       title);
}

std::string SvgWriter::finish() {
  // Only <svg> may still be open: every chart closes its own groups.
  LLMRUN_CHECK(depth_ == 1, "SVG closed with ", depth_ - 1, " groups open");
  close("svg");
  return std::move(out_);
}

}  // namespace llmrun::eval
