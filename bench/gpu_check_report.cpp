// gpu_check_report: the GPU check's results (docs/GPU_CHECK.md).
//   gpu_check_report collect WORK_DIR --out results.json   gpu-check.sh's work folder -> results.json
//   gpu_check_report table results.json [--out summary.md] the one Markdown table, on stdout
// Errors are one line on stderr; exit 2 for bad arguments, 1 for everything else.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "bench/gpu_check/gpu_check.h"

namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw std::runtime_error(path + ": cannot write");
}

nlohmann::json read_results(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  try {
    return nlohmann::json::parse(s.str());
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": not JSON (" + std::string(e.what()) + ")");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gpu_check_report: results.json and the summary table of scripts/gpu-check.sh"};
  app.require_subcommand(1);
  std::string work, results_out;
  CLI::App* collect = app.add_subcommand("collect", "Build results.json from a gpu-check work folder");
  collect->add_option("work", work, "The work folder (stages/, logs/, outputs)")->required();
  collect->add_option("--out,-o", results_out, "Where to write results.json")->required();
  std::string results, table_out;
  CLI::App* table = app.add_subcommand("table", "Print the Markdown summary table of a results.json");
  table->add_option("results", results, "results.json")->required();
  table->add_option("--out,-o", table_out, "Also write the table to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "gpu_check_report: error: " << e.what() << " (see --help)\n";
    return 2;
  }
  try {
    if (collect->parsed()) {
      write_file(results_out, llmrun::gpu_check::collect(work).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
      return 0;
    }
    const std::string text = llmrun::gpu_check::summary_table(read_results(results));
    std::cout << text << std::flush;
    if (!table_out.empty()) write_file(table_out, text);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "gpu_check_report: error: " << e.what() << "\n";
    return 1;
  }
}
