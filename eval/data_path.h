#pragma once
// Folders found through the environment: data sets through $LLMRUN_DATA (the default for
// --data / --calib), measured plans and matrices under the user's cache folder.
#include <optional>
#include <string>

namespace llmrun::eval {

// $LLMRUN_DATA/name when the variable is set and the file exists.
std::optional<std::string> data_file(const std::string& name);
// Where data_file looked, for error messages ("$LLMRUN_DATA/name" when unset).
std::string data_file_location(const std::string& name);
// The calibration text of --calib: `given` when set, else $LLMRUN_DATA/wiki.test.raw; an
// error saying how to give one when neither exists.
std::string calibration_text_path(const std::string& given);
// $XDG_CACHE_HOME/llmrun/sub, else $HOME/.cache/llmrun/sub (./.cache/llmrun/sub without HOME).
std::string cache_folder(const std::string& sub);

}  // namespace llmrun::eval
