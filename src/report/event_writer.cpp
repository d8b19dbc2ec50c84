// `events`: one record per event, streamed in input order.

#include "report/formats.hpp"

namespace mailtls {
namespace {

// Flushing at this size keeps memory flat however many events stream by,
// while writing to the stream in large pieces.
constexpr std::size_t kFlushBytes = 64 * 1024;

}  // namespace

EventWriter::EventWriter(Format format, std::ostream& out) : format_(format), out_(out) {
  if (format_ == Format::kCsv || format_ == Format::kTsv) {
    for (int f = 0; f < kFieldCount; ++f) {
      if (f > 0) buffer_.push_back(format_ == Format::kCsv ? ',' : '\t');
      buffer_ += to_string(static_cast<Field>(f));
    }
    buffer_ += format_ == Format::kCsv ? "\r\n" : "\n";
  }
}

void EventWriter::write(const Event& e) {
  const bool json = format_ == Format::kNdjson || format_ == Format::kJson;
  if (json) buffer_.push_back('{');
  for (int f = 0; f < kFieldCount; ++f) {
    const auto field = static_cast<Field>(f);
    value_.clear();
    append_field(e, field, value_);
    if (json) {
      if (f > 0) buffer_.push_back(',');
      buffer_ += '"';
      buffer_ += to_string(field);
      buffer_ += "\":\"";
      detail::append_json_escaped(buffer_, value_);
      buffer_ += '"';
    } else {
      if (f > 0) buffer_.push_back(format_ == Format::kCsv ? ',' : '\t');
      if (format_ == Format::kCsv) {
        buffer_ += escape_csv(value_);
      } else {
        detail::append_tsv_escaped(buffer_, value_);
      }
    }
  }
  if (json) buffer_.push_back('}');
  buffer_ += format_ == Format::kCsv ? "\r\n" : "\n";
  if (buffer_.size() >= kFlushBytes) flush();
}

void EventWriter::flush() {
  if (buffer_.empty()) return;
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
}

}  // namespace mailtls
