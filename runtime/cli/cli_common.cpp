#include "runtime/cli/cli_common.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <new>
#include <sstream>

#include "loaders/model_resolver.h"
#include "runtime/error.h"

namespace llmrun::cli {

void print_prompt_ids(const std::vector<int32_t>& ids) {
  std::ostringstream line;
  line << "llmrun: prompt ids: ";
  for (size_t i = 0; i < ids.size(); ++i) line << (i ? "," : "") << ids[i];
  std::cerr << line.str() << "\n" << std::flush;
}

std::vector<int32_t> parse_id_list(const std::string& text, const std::string& flag) {
  std::vector<int32_t> ids;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    char* stop = nullptr;
    errno = 0;
    const long v = std::strtol(item.c_str(), &stop, 10);
    if (item.empty() || *stop != '\0' || errno != 0 || v < 0 || v > INT32_MAX)
      throw UsageError(detail::concat(flag, ": '", item,
                                      "' is not a token id (expected a comma-separated list like 1,2,3)"));
    ids.push_back(int32_t(v));
    start = end + 1;
  }
  return ids;
}

std::string read_input_file(const std::string& path, const std::string& flag) {
  std::ostringstream s;
  if (path == "-") {
    s << std::cin.rdbuf();
    return s.str();
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(flag, " ", path, ": is a folder, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(flag, " ", path, ": cannot open");
  s << in.rdbuf();
  return s.str();
}

std::string printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\x%02x", c);
      out += esc;
    } else {
      out += char(c);
    }
  }
  return out;
}

CLI::Validator at_least(int64_t min) {
  return CLI::Validator(
      [min](std::string& value) -> std::string {
        char* stop = nullptr;
        errno = 0;
        const long long v = std::strtoll(value.c_str(), &stop, 10);
        if (value.empty() || *stop != '\0' || errno != 0 || v < min)
          return detail::concat("must be a whole number >= ", min, ", got '", value, "'");
        return {};
      },
      detail::concat("INT>=", min));
}

int capped_threads(int requested, const std::string& program) {
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  if (requested <= cores) return requested;
  std::cerr << program << ": note: --threads " << requested << " capped at the " << cores
            << " cores this machine has\n";
  return cores;
}

void as_usage_error(const std::function<void()>& check) {
  try {
    check();
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

std::string resolve_model_dir(const std::string& model) {
  return resolve_model(model, ModelSearch::from_environment());
}

int run_cli(const std::string& program, CLI::App& app, int argc, char** argv,
            const std::function<int()>& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << program << ": error: " << e.what() << "\n"
              << "Run '" << program << " --help' for usage.\n";
    return 2;
  }
  try {
    return body();
  } catch (const CLI::ParseError& e) {
    std::cerr << program << ": error: " << printable(e.what()) << "\nRun '" << program << " --help' for usage.\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << program << ": error: " << printable(e.what()) << "\nRun '" << program << " --help' for usage.\n";
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << program << ": error: out of memory (a model, batch or --ctx larger than this machine holds?)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << program << ": error: " << printable(e.what()) << "\n";
    return 1;
  }
}

}  // namespace llmrun::cli
