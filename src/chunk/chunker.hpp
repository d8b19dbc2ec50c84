// Chunker: hands the workers chunks of whole lines, in input order as far
// as it can: mapped files are cut here, on demand; streamed inputs are cut
// by their decoder threads (stream_decoder.hpp) and queued here.
//
// Thread-safe: one mutex guards every field. Lock order: the merge's lock
// may be held when chunks_total() takes this one; on_file_cut runs after
// this one is released; on_diagnostic runs under it and may take only a
// leaf lock (the diagnostics').
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "chunk/chunk.hpp"
#include "chunk/merge_position.hpp"
#include "mailtls/diagnostic.hpp"
#include "mailtls/scan.hpp"
#include "source/input_file.hpp"

namespace mailtls::detail {

class Chunker {
 public:
  struct Callbacks {
    // A mapped file is cut to its end (the merge may now finish it).
    std::function<void(std::size_t file)> on_file_cut;
    // A data problem found while cutting (a file that shrank). Called under
    // the chunker's lock.
    std::function<void(std::size_t file, Diagnostic)> on_diagnostic;
  };

  // `files` must outlive the chunker; `decoders` threads will take the
  // streamed inputs (take_stream_file) and feed them in (push).
  Chunker(std::vector<std::unique_ptr<OpenedInput>>& files, const ChunkConfig& config,
          unsigned threads, std::size_t decoders, const MergePosition& merge, Callbacks callbacks);

  // Workers: the next chunk, waiting for one if need be. False: the scan is
  // over (every input cut, every decoder done, the queue empty).
  bool next(Chunk& chunk);
  // Workers: a streamed chunk has been scanned (its input may queue more).
  void done_with(const Chunk& chunk);

  // Decoders: the next streamed input to decode. False: none left (the
  // decoder thread then ends; call decoder_exit()).
  bool take_stream_file(std::size_t& file);
  void decoder_exit();
  // Decoders: queues a chunk of a streamed input, waiting while four of
  // that input are queued or being scanned (bounded memory).
  void push(Chunk&& chunk);
  // Decoders: the input is decoded to its end, in `chunks` chunks.
  void stream_done(std::size_t file, std::uint64_t chunks);

  // The number of chunks of an input once known, else UINT64_MAX.
  std::uint64_t chunks_total(std::size_t file);

 private:
  struct FileCut {
    std::uint64_t usable_size = 0;  // shrinks if the file is truncated under us
    std::uint64_t cursor = 0;       // next chunk start (mapped files)
    std::uint64_t chunks_cut = 0;
    std::uint64_t chunks_total = UINT64_MAX;  // known once the file is cut/decoded
    std::size_t in_flight = 0;                // stream chunks queued or being scanned
    RepeatedHour repeated_hour;               // mapped files: the autumn hour's passes
  };
  // Cuts the next chunk of mapped file `cursor_file_`. Under mutex_.
  enum class Cut { kChunk, kFileEnd, kThrottled };
  Cut cut_mapped(std::unique_lock<std::mutex>& lock, Chunk& chunk);

  std::vector<std::unique_ptr<OpenedInput>>& files_;
  std::size_t chunk_bytes_;
  const ChunkConfig& config_;
  std::size_t ahead_limit_;
  const MergePosition& merge_;
  Callbacks callbacks_;

  std::mutex mutex_;
  ZoneCache zone_;  // under mutex_: for the repeated hour of mapped files
  std::condition_variable cv_;
  std::vector<FileCut> cuts_;
  std::size_t cursor_file_ = 0;  // the mapped file being cut
  std::deque<Chunk> stream_queue_;
  std::vector<std::size_t> stream_files_;
  std::size_t next_stream_file_ = 0;
  std::size_t decoders_running_ = 0;
};

}  // namespace mailtls::detail
