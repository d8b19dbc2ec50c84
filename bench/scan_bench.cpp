// End-to-end scan of an in-memory-cached generated log, per thread count.
// The corpus is generated on demand (MAILTLS_BENCH_CORPUS names a file to
// use instead); nothing large is committed.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "corpus.hpp"
#include "mailtls/scan.hpp"

namespace {

std::string corpus() {
  if (const char* env = std::getenv("MAILTLS_BENCH_CORPUS")) return env;
  return mailtls::bench::corpus_file(1, "64M");
}

void BM_ScanCount(benchmark::State& state) {
  mailtls::ScanOptions o;
  o.inputs = {{corpus(), false}};
  o.threads = static_cast<unsigned>(state.range(0));
  o.time.year = 2026;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    const auto r = mailtls::scan(o);
    benchmark::DoNotOptimize(r.total_events);
    bytes += r.bytes_read;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_ScanCount)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
