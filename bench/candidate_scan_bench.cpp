// The candidate search alone, on an in-memory buffer of generated log: the
// part of a scan that touches every byte.
#include <benchmark/benchmark.h>

#include <string>

#include "corpus.hpp"
#include "mailtls/candidate_scan.hpp"

namespace {

const std::string& buffer() {
  static const std::string kBuffer = mailtls::bench::corpus_bytes(3, "64M");
  return kBuffer;
}

void BM_CandidateScan(benchmark::State& state) {
  const auto kernel = static_cast<mailtls::ScanKernel>(state.range(0));
  const std::string& buf = buffer();
  std::uint64_t candidates = 0;
  for (auto _ : state) {
    const auto stats = mailtls::scan_candidates(
        buf.data(), buf.size(), 65536,
        [&](std::string_view, std::size_t, std::size_t, std::uint64_t) { ++candidates; },
        [](std::size_t) {}, kernel);
    benchmark::DoNotOptimize(stats.lines);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size()));
  state.counters["candidates/iter"] =
      static_cast<double>(candidates) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_CandidateScan)
    ->Arg(static_cast<int>(mailtls::ScanKernel::kScalar))
    ->Arg(static_cast<int>(mailtls::ScanKernel::kSse2))
    ->Arg(static_cast<int>(mailtls::ScanKernel::kAvx2))
    ->Unit(benchmark::kMillisecond);

}  // namespace
