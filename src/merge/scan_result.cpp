#include "mailtls/scan_result.hpp"

#include <algorithm>

namespace mailtls {

bool ScanResult::any_readable() const {
  return std::any_of(inputs.begin(), inputs.end(),
                     [](const InputSummary& s) { return s.readable; });
}

void sort_rows(std::vector<Row>& rows) {
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.count != b.count) return a.count > b.count;
    return a.keys < b.keys;
  });
}

}  // namespace mailtls
