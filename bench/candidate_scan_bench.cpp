// The candidate search alone, on an in-memory buffer of generated log: the
// part of a scan that touches every byte.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "mailtls/candidate_scan.hpp"

namespace {

const std::string& buffer() {
  static const std::string kBuffer = [] {
    const std::string path = "/tmp/mailtls-bench-candidates-64M.log";
    const std::string cmd = "./mailtls_gen --seed 3 --size 64M --out " + path;
    if (std::system(cmd.c_str()) != 0) std::abort();
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::remove(path.c_str());
    return ss.str();
  }();
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
