// Result assembly: the merged counts of every worker and of the merge
// turned into the ScanResult the reporters see, sorted.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "mailtls/failures.hpp"
#include "mailtls/scan.hpp"
#include "mailtls/scan_result.hpp"
#include "mailtls/scanner_filter.hpp"
#include "mailtls/tally.hpp"
#include "merge/diagnostic_log.hpp"
#include "merge/ordered_merge.hpp"
#include "source/input_file.hpp"

namespace mailtls::detail {

struct AssemblyInput {
  const ScanOptions& options;
  const ScannerFilter& scanners;
  const std::vector<std::unique_ptr<OpenedInput>>& files;
  const std::vector<std::uint64_t>& skipped_bytes;  // per input, over-long lines dropped
  const DiagnosticLog& diagnostics;
  Tally& total;                     // every worker's tally and the merge's, merged
  const FailureRows& failure_rows;  // the workers' closed failures
  OrderedMerge::Totals& merged;
  unsigned workers = 1;  // the scan's worker threads, done: as many may build the result
};

ScanResult assemble_result(AssemblyInput in);

}  // namespace mailtls::detail
