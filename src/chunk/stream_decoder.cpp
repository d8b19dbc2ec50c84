#include "chunk/stream_decoder.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <exception>
#include <optional>
#include <string>

namespace mailtls::detail {

namespace {

std::size_t max_line_of(const ChunkConfig& config) {
  return std::max<std::size_t>(config.max_line_bytes, 1);
}
std::size_t chunk_bytes_of(const ChunkConfig& config) {
  return std::max<std::size_t>(config.chunk_bytes, 1);
}

class StreamCutter {
 public:
  StreamCutter(std::size_t file, const YearRef& year, const ChunkConfig& config, BufferPool& pool,
               Chunker& chunker)
      : file_(file),
        year_(year),
        chunk_bytes_(chunk_bytes_of(config)),
        pool_(pool),
        chunker_(chunker) {}

  // Splits whole lines into chunks of about chunk_bytes_, each ending at a
  // newline (or at the end of the data), as the mapped path does. Up to
  // twice the target goes as it is: a decoded block plus the line carried
  // over from the one before is a little over the target, and splitting it
  // would copy every chunk once more.
  // `marks`: the decoder's reads since the one that produced `at` (empty
  // for plain input); each chunk takes those its bytes came from.
  void emit(ByteBuffer&& bytes, std::uint64_t at, const std::deque<StoredMark>& marks) {
    if (bytes.size() <= 2 * chunk_bytes_) {
      emit_one(std::move(bytes), at, marks);
      return;
    }
    std::size_t start = 0;
    while (start < bytes.size()) {
      std::size_t end = std::min(bytes.size(), start + chunk_bytes_);
      if (end < bytes.size()) {
        const void* nl = std::memchr(bytes.data() + end - 1, '\n', bytes.size() - (end - 1));
        end = nl == nullptr
                  ? bytes.size()
                  : static_cast<std::size_t>(static_cast<const char*>(nl) - bytes.data()) + 1;
      }
      ByteBuffer piece = pool_.take();
      piece.assign(bytes.data() + start, end - start);
      emit_one(std::move(piece), at + start, marks);
      start = end;
    }
    pool_.give_back(std::move(bytes));
  }

  std::uint64_t chunks() const { return index_; }

 private:
  void emit_one(ByteBuffer&& bytes, std::uint64_t at, const std::deque<StoredMark>& marks) {
    Chunk c;
    c.file = file_;
    c.index = index_++;
    c.offset_bytes = at;
    for (const StoredMark& m : marks) {
      if (m.decoded_end <= at) continue;
      c.stored.push_back(m);
      if (m.decoded_end >= at + bytes.size()) break;
    }
    c.owner = pool_.share(std::move(bytes));
    c.data = c.owner->data();
    c.size = c.owner->size();
    c.second_pass = repeated_hour_.mark(c.data, c.size, year_, zone_);
    chunker_.push(std::move(c));
  }

  std::size_t file_;
  YearRef year_;
  RepeatedHour repeated_hour_;
  ZoneCache zone_;
  std::size_t chunk_bytes_;
  BufferPool& pool_;
  Chunker& chunker_;
  std::uint64_t index_ = 0;
};

// Reads and drops the first `count` bytes of `stream` (`buffer` is
// scratch space, left empty). Throws DataError when there are fewer.
void skip_bytes(ByteStream& stream, ByteBuffer& buffer, std::size_t block, std::uint64_t count) {
  buffer.grow(block);
  std::uint64_t done = 0;
  while (done < count) {
    const std::size_t n = stream.read(
        buffer.data(), static_cast<std::size_t>(std::min<std::uint64_t>(block, count - done)));
    if (n == 0) {
      buffer.clear();
      throw DataError("holds " + std::to_string(done) + " bytes, fewer than the " +
                          std::to_string(count) + " an earlier run read; nothing more was read",
                      -1);
    }
    done += n;
  }
  buffer.clear();
}

}  // namespace

std::size_t stream_buffer_bytes(const ChunkConfig& config) {
  return 2 * chunk_bytes_of(config) + max_line_of(config) + 4096;
}

DecodedStream decode_stream(OpenedInput& f, std::size_t file, const ChunkConfig& config,
                            Inflater inflater, BufferPool& pool, Chunker& chunker) {
  const std::size_t max_line = max_line_of(config);
  const std::size_t chunk_bytes = chunk_bytes_of(config);
  DecodedStream out;
  StreamCutter cutter(file, f.year, config, pool, chunker);
  std::uint64_t offset = 0;          // decompressed offset of `pending`'s first byte
  ByteBuffer pending = pool.take();  // bytes after the last newline so far
  bool skipping = false;             // inside an over-long line
  // Compressed input: the reads whose bytes are still pending, so that a
  // diagnostic names an offset in the file as stored, as the decoder's own
  // do (docs/reliability.md, "Which byte a diagnostic names").
  std::deque<StoredMark> marks;
  const auto emit = [&](ByteBuffer&& bytes, std::uint64_t at) {
    cutter.emit(std::move(bytes), at, marks);
  };

  try {
    auto stream = open_input_stream(f, inflater);
    const std::size_t block =
        std::max<std::size_t>(std::min<std::size_t>(chunk_bytes, 1u << 20), 4096);
    // An incremental run goes on where the last one stopped: a plain file's
    // stream starts there, anything else is decoded from its start and
    // the bytes read before are dropped here.
    if (const std::uint64_t resume = f.input.resume.offset; resume > 0) {
      offset = resume;
      if (!(f.regular && f.compression == Compression::kNone)) {
        skip_bytes(*stream, pending, block, resume);
      }
    }
    for (;;) {
      while (!marks.empty() && marks.front().decoded_end <= offset) marks.pop_front();
      const std::size_t old = pending.size();
      if (config.before_chunk) config.before_chunk(f.input.display, offset + old);
      pending.grow(old + block);
      std::size_t n = 0;
      try {
        n = stream->read(pending.data() + old, block);
      } catch (...) {
        pending.shrink(old);
        throw;
      }
      pending.shrink(old + n);
      if (n == 0) break;
      if (const std::int64_t stored = stream->stored_offset(); stored >= 0) {
        marks.push_back({offset + old + n, static_cast<std::uint64_t>(stored)});
      }
      // Cut after the last newline once the target is reached; a line that
      // grows past max_line is dropped as it streams, never buffered whole.
      for (;;) {
        if (skipping) {
          const void* nl = std::memchr(pending.data(), '\n', pending.size());
          if (nl == nullptr) {
            out.skipped_bytes += pending.size();
            offset += pending.size();
            pending.clear();
            break;
          }
          const std::size_t cut =
              static_cast<std::size_t>(static_cast<const char*>(nl) - pending.data()) + 1;
          out.skipped_bytes += cut - 1;  // the stand-in chunk carried the newline
          offset += cut;
          pending.erase_front(cut);
          skipping = false;
          continue;
        }
        const void* last = ::memrchr(pending.data(), '\n', pending.size());
        const std::size_t tail_start =
            last == nullptr
                ? 0
                : static_cast<std::size_t>(static_cast<const char*>(last) - pending.data()) + 1;
        if (pending.size() - tail_start > max_line) {
          // A run of NULs is no part of a line (copytruncate's hole, often
          // larger than max_line): drop it but its last byte, and read on
          // from the line that syslog wrote right after it. The byte left
          // keeps the line counted as a mapped file counts it, even when
          // nothing follows the run; the envelope parser skips it.
          std::size_t nul_end = tail_start;
          while (nul_end < pending.size() && pending.data()[nul_end] == '\0') ++nul_end;
          if (nul_end - tail_start > 1) {
            if (tail_start > 0) emit(ByteBuffer(pending.data(), tail_start), offset);
            out.skipped_bytes += nul_end - 1 - tail_start;  // read, in no chunk
            offset += nul_end - 1;
            pending.erase_front(nul_end - 1);
            continue;
          }
          if (tail_start > 0) emit(ByteBuffer(pending.data(), tail_start), offset);
          out.diagnostics.push_back(
              {f.input.display, to_stored_offset(marks, offset + tail_start),
               "line longer than " + std::to_string(max_line) + " bytes skipped"});
          // The skipped line still counts as a line (as it does in a mapped
          // file): an empty stand-in keeps later line numbers right.
          emit(ByteBuffer("\n", 1), offset + tail_start);
          out.skipped_bytes += pending.size() - tail_start;
          offset += pending.size();
          pending.clear();
          skipping = true;
          break;
        }
        if (tail_start > 0 && tail_start >= chunk_bytes) {
          ByteBuffer rest = pool.take();
          rest.assign(pending.data() + tail_start, pending.size() - tail_start);
          pending.shrink(tail_start);
          const std::uint64_t at = offset;
          offset += tail_start;
          emit(std::move(pending), at);
          pending = std::move(rest);
        }
        break;
      }
    }
  } catch (const DataError& e) {
    out.diagnostics.push_back(
        {f.input.display,
         e.offset_bytes() >= 0
             ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(e.offset_bytes()))
             : std::nullopt,
         e.what()});
  } catch (const std::exception& e) {
    out.diagnostics.push_back({f.input.display, std::nullopt, e.what()});
  }
  if (f.fd >= 0) {
    ::close(f.fd);
    f.fd = -1;
  }
  if (!skipping && !pending.empty()) {
    // A line still being written is left for the next incremental run:
    // the lines before it are read now.
    if (f.input.resume.whole_lines && f.compression == Compression::kNone &&
        pending.data()[pending.size() - 1] != '\n') {
      f.tail_left = true;
      const void* last = ::memrchr(pending.data(), '\n', pending.size());
      pending.shrink(
          last == nullptr
              ? 0
              : static_cast<std::size_t>(static_cast<const char*>(last) - pending.data()) + 1);
    }
    if (!pending.empty()) emit(std::move(pending), offset);
  }
  out.chunks = cutter.chunks();
  return out;
}

}  // namespace mailtls::detail
