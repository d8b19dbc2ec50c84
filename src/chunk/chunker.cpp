#include "chunk/chunker.hpp"

#include "chunk/sigbus_guard.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

namespace mailtls::detail {

Chunker::Chunker(std::vector<std::unique_ptr<OpenedInput>>& files, const ChunkConfig& config,
                 unsigned threads, std::size_t decoders, const MergePosition& merge,
                 Callbacks callbacks)
    : files_(files),
      chunk_bytes_(std::max<std::size_t>(config.chunk_bytes, 1)),
      config_(config),
      // Back-pressure: when the in-order merge falls behind (a slow join,
      // an earlier compressed file), results pile up waiting for it. Cut
      // no chunk far ahead of the merge then, so memory stays bounded.
      ahead_limit_(8 + 4 * static_cast<std::size_t>(threads)),
      merge_(merge),
      callbacks_(std::move(callbacks)),
      cuts_(files.size()),
      decoders_running_(decoders) {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const OpenedInput& f = *files_[i];
    if (f.mapped) {
      cuts_[i].usable_size = f.read_end;
      cuts_[i].cursor = std::min<std::uint64_t>(f.input.resume.offset, f.read_end);
    }
    if (f.streamed()) stream_files_.push_back(i);
  }
}

Chunker::Cut Chunker::cut_mapped(std::unique_lock<std::mutex>& /*lock*/, Chunk& chunk) {
  OpenedInput& f = *files_[cursor_file_];
  FileCut& c = cuts_[cursor_file_];
  if (config_.before_chunk) config_.before_chunk(f.input.display, c.cursor);
  struct stat st {};
  if (c.usable_size > 0 && ::fstat(f.fd, &st) == 0 &&
      static_cast<std::uint64_t>(st.st_size) < c.usable_size) {
    const auto now_size = static_cast<std::uint64_t>(st.st_size);
    callbacks_.on_diagnostic(cursor_file_, {f.input.display, now_size,
                                            "file shrank from " + std::to_string(c.usable_size) +
                                                " to " + std::to_string(now_size) +
                                                " bytes while being read; the rest was lost"});
    c.usable_size = std::max<std::uint64_t>(now_size, c.cursor);
  }
  if (c.cursor >= c.usable_size) {
    c.chunks_total = c.chunks_cut;
    return Cut::kFileEnd;
  }
  if (merge_.waiting.load(std::memory_order_relaxed) > ahead_limit_) {
    const std::size_t mf = merge_.file.load(std::memory_order_relaxed);
    const std::uint64_t mc = merge_.chunk.load(std::memory_order_relaxed);
    const bool needed_soon =
        cursor_file_ < mf || (cursor_file_ == mf && c.chunks_cut <= mc + ahead_limit_);
    if (!needed_soon) return Cut::kThrottled;
  }
  const std::uint64_t start = c.cursor;
  std::uint64_t end = std::min<std::uint64_t>(start + chunk_bytes_, c.usable_size);
  if (end < c.usable_size) {
    const char* from = f.map.data() + end - 1;
    const void* nl = std::memchr(from, '\n', c.usable_size - (end - 1));
    end = nl == nullptr
              ? c.usable_size
              : static_cast<std::uint64_t>(static_cast<const char*>(nl) - f.map.data()) + 1;
  }
  chunk.file = cursor_file_;
  chunk.index = c.chunks_cut++;
  chunk.offset_bytes = start;
  chunk.data = f.map.data() + start;
  chunk.size = static_cast<std::size_t>(end - start);
  chunk.owner.reset();
  chunk.second_pass = {};
  // Reads the chunk's bytes: a truncation under us must not fault here
  // (the worker reports the lost part).
  run_bus_guarded(
      [&] { chunk.second_pass = c.repeated_hour.mark(chunk.data, chunk.size, f.year, zone_); });
  chunk.stored.clear();
  c.cursor = end;
  return Cut::kChunk;
}

bool Chunker::next(Chunk& chunk) {
  std::unique_lock lock(mutex_);
  for (;;) {
    bool throttled = false;
    if (!stream_queue_.empty()) {
      chunk = std::move(stream_queue_.front());
      stream_queue_.pop_front();
      return true;
    }
    while (cursor_file_ < files_.size()) {
      if (!files_[cursor_file_]->mapped || cuts_[cursor_file_].chunks_total != UINT64_MAX) {
        ++cursor_file_;
        continue;
      }
      const Cut cut = cut_mapped(lock, chunk);
      if (cut == Cut::kChunk) return true;
      if (cut == Cut::kThrottled) {
        throttled = true;
        break;  // back to the stream queue, then wait a little
      }
      const std::size_t done = cursor_file_++;
      lock.unlock();
      callbacks_.on_file_cut(done);
      lock.lock();
    }
    if (throttled) {
      cv_.wait_for(lock, std::chrono::milliseconds(2));
      continue;
    }
    // The lock was let go while a file's end went to the merge: a decoder
    // may have queued chunks meanwhile (and, four queued, be waiting for
    // them to be taken), its wake-up gone by with no one waiting.
    if (!stream_queue_.empty()) continue;
    if (decoders_running_ == 0 && next_stream_file_ >= stream_files_.size()) return false;
    cv_.wait(lock);
  }
}

void Chunker::done_with(const Chunk& chunk) {
  if (!chunk.owner) return;
  std::lock_guard lock(mutex_);
  --cuts_[chunk.file].in_flight;
  cv_.notify_all();
}

bool Chunker::take_stream_file(std::size_t& file) {
  std::lock_guard lock(mutex_);
  if (next_stream_file_ >= stream_files_.size()) return false;
  file = stream_files_[next_stream_file_++];
  return true;
}

void Chunker::decoder_exit() {
  std::lock_guard lock(mutex_);
  --decoders_running_;
  cv_.notify_all();
}

void Chunker::push(Chunk&& chunk) {
  constexpr std::size_t kMaxInFlight = 4;
  std::unique_lock lock(mutex_);
  FileCut& c = cuts_[chunk.file];
  cv_.wait(lock, [&] { return c.in_flight < kMaxInFlight; });
  ++c.in_flight;
  stream_queue_.push_back(std::move(chunk));
  cv_.notify_all();
}

void Chunker::stream_done(std::size_t file, std::uint64_t chunks) {
  std::lock_guard lock(mutex_);
  cuts_[file].chunks_total = chunks;
  cv_.notify_all();
}

std::uint64_t Chunker::chunks_total(std::size_t file) {
  std::lock_guard lock(mutex_);
  return cuts_[file].chunks_total;
}

}  // namespace mailtls::detail
