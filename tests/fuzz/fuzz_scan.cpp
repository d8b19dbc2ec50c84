// libFuzzer target: the whole scan of an in-memory log, with tiny chunks.
//
// The input is written to a memory-backed file and scanned twice with every
// feature on (all event kinds, the failure join, legacy peers, coverage,
// every field as a key, a collected event stream): once with one thread and
// the default chunk size, once with two threads and chunks of 1-64 bytes
// (byte 0 of the input picks it). Besides not crashing or hanging, the two
// results must be equal: a chunk boundary, which falls anywhere in a line,
// must not change what is counted, joined or reported.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "mailtls/scan.hpp"

namespace {

struct Run {
  mailtls::ScanResult result;
  std::vector<std::string> events;  // the event stream, one summary per event
};

Run scan_once(const std::string& path, unsigned threads, std::size_t chunk_bytes) {
  mailtls::ScanOptions o;
  o.inputs = {{path, false}};
  o.threads = threads;
  o.chunk.chunk_bytes = chunk_bytes;
  o.chunk.max_line_bytes = 256;  // long-line handling at every chunk size
  o.time.year = 2026;
  o.time.now_s = 1795000000;
  o.filter.event_mask = (1u << mailtls::kEventKindCount) - 1;
  o.tally.failures = true;
  o.tally.legacy = true;
  o.tally.coverage = true;
  o.tally.traffic = true;
  o.tally.traffic_plaintext.others = true;
  o.tally.unparsed_samples = 4;
  o.tally.keys = {mailtls::Field::kDirection, mailtls::Field::kProtocol, mailtls::Field::kCipher,
                  mailtls::Field::kPeer,      mailtls::Field::kService,  mailtls::Field::kReason};
  Run run;
  o.on_event = [&run](const mailtls::Event& e) {
    run.events.push_back(std::to_string(e.line) + ' ' + std::string(e.peer_name) + '[' +
                         std::string(e.peer_ip) + "] " + e.reason + ' ' + std::string(e.protocol));
  };
  run.result = mailtls::scan(o);
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk_bytes = 1 + data[0] % 64;
  const int fd =
      mailtls::fuzz::memory_fd(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const Run whole = scan_once(path, 1, mailtls::kDefaultChunkBytes);
  const Run pieces = scan_once(path, 2, chunk_bytes);
  ::close(fd);
  if (whole.result.inputs.size() == 1 && whole.result.inputs[0].compression == "none") {
    FUZZ_CHECK(whole.result.bytes_read == size - 1);  // a plain file is read whole
  }
  FUZZ_CHECK(whole.events == pieces.events);
  FUZZ_CHECK(whole.result == pieces.result);
  return 0;
}
