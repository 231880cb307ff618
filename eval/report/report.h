#pragma once
// Everything llmeval renders from an EvalReport: the Markdown table, results.json/csv,
// the SVG charts, and write_all for --out DIR.
#include "eval/report/charts.h"
#include "eval/report/data_files.h"
#include "eval/report/markdown.h"
#include "eval/report/write_all.h"
