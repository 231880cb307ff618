# Run at every build (eval/CMakeLists.txt, llmrun_git_commit): writes OUT, a header naming
# the commit llmeval's reports were made with, in the form scripts/gpu-bundle.sh records
# (`git describe --always --dirty`: "-dirty" when tracked files differ from it), rewritten
# only when that changes, so a commit or an edit after configuring never leaves a report
# naming an older commit.
execute_process(COMMAND git describe --always --dirty WORKING_DIRECTORY "${SRC}" RESULT_VARIABLE rc
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
endif()
set(text "#pragma once\n#define LLMRUN_GIT_COMMIT \"${commit}\"\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
