// KeyMemo: counts events into a Tally by their `--by` key without building
// the key for every event.
//
// A tally key is each field's text with its length before it
// (build_tally_key). Building it means formatting days, copying a few dozen
// bytes and hashing them, for every event; yet `report` and `count`'s
// default have a few hundred distinct keys at most, so nearly every event
// repeats a key seen a moment ago. The memo keeps recent keys in a small
// direct-mapped table, with each key's field values as the event holds them
// (views compared byte by byte, days and kinds as numbers), and counts an
// event by comparing those values. Counts wait in the memo and reach the
// tally when their slot is taken by another key or on flush(); sums do not
// depend on order, so results are the same as counting each event at once.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mailtls/event.hpp"
#include "mailtls/tally.hpp"

namespace mailtls::detail {

// The tally key of `e` for `keys`: each value with a 4-byte length first.
inline void build_tally_key(const Event& e, const std::vector<Field>& keys, std::string& out) {
  out.clear();
  for (Field field : keys) {
    const std::size_t at = out.size();
    out.append(4, '\0');
    append_field(e, field, out);
    const auto n = static_cast<std::uint32_t>(out.size() - at - 4);
    std::memcpy(out.data() + at, &n, 4);
  }
}

class KeyMemo {
 public:
  static constexpr std::size_t kMaxKeys = 8;

  // Whether the memo serves `keys`: at most kMaxKeys fields, each one the
  // memo compares without formatting it and of few distinct values (a time
  // to the second, a line number, a pid, a peer or a port would make every
  // event a new key).
  static bool suits(const std::vector<Field>& keys) {
    if (keys.empty() || keys.size() > kMaxKeys) return false;
    for (Field f : keys) {
      switch (f) {
        case Field::kTime:
        case Field::kPid:
        case Field::kPeer:
        case Field::kPeerName:
        case Field::kPeerIp:
        case Field::kPort:
        case Field::kReasonText:
        case Field::kLine: return false;
        default: break;
      }
    }
    return true;
  }

  // `slots` is a power of two.
  explicit KeyMemo(std::vector<Field> keys, std::size_t slots = 512)
      : keys_(std::move(keys)), slots_(slots), mask_(slots - 1) {}

  void add(const Event& e, Tally& tally) {
    const std::size_t n = keys_.size();
    // The slot comes from a few bytes of each value (its size, first,
    // middle and last byte): enough to spread a report's keys, and cheap.
    // Equality is decided by holds(), never by the hash.
    std::uint64_t h = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const Part p = part_of(e, keys_[i]);
      parts_[i] = p;
      std::uint64_t v = p.number ^ (p.text.size() << 40);
      if (!p.text.empty()) {
        const auto* b = reinterpret_cast<const unsigned char*>(p.text.data());
        const std::size_t m = p.text.size();
        v ^= static_cast<std::uint64_t>(b[0]) | (static_cast<std::uint64_t>(b[m / 2]) << 8) |
             (static_cast<std::uint64_t>(b[m - 1]) << 16);
      }
      h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
    }
    h ^= h >> 29;
    Slot& s = slots_[h & mask_];
    if (s.pending != 0 && s.hash == h && holds(s)) {
      ++s.pending;
      return;
    }
    if (s.pending != 0) tally.add(s.key, s.pending);
    // Empty until complete: the event's text may live in a mapped file that
    // is truncated under us (SIGBUS mid-copy), and a half-filled slot must
    // never count.
    s.pending = 0;
    s.text.clear();
    for (std::size_t i = 0; i < n; ++i) {
      s.text.append(parts_[i].text);
      s.size[i] = static_cast<std::uint32_t>(parts_[i].text.size());
      s.number[i] = parts_[i].number;
    }
    build_tally_key(e, keys_, s.key);
    s.hash = h;
    s.pending = 1;
  }

  void flush(Tally& tally) {
    for (Slot& s : slots_) {
      if (s.pending != 0) tally.add(s.key, s.pending);
      s.pending = 0;
    }
  }

 private:
  struct Part {
    std::string_view text;
    std::uint64_t number = 0;
  };

  // What append_field formats the field from: a view of the event, or
  // numbers packed into one (kinds, directions, days, hours). Equal parts
  // give equal text.
  static Part part_of(const Event& e, Field f) {
    const auto date = [&e] {
      return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(e.time.year)) << 32) |
             (static_cast<std::uint64_t>(e.time.month & 0xff) << 16) |
             (static_cast<std::uint64_t>(e.time.day & 0xff) << 8);
    };
    switch (f) {
      case Field::kDay: return {{}, date()};
      case Field::kHour: return {{}, date() | static_cast<std::uint64_t>(e.time.hour & 0xff)};
      case Field::kEvent: return {{}, static_cast<std::uint64_t>(e.kind)};
      case Field::kMta: return {{}, static_cast<std::uint64_t>(e.mta)};
      case Field::kCipherIana: return {cipher_iana_of(e)};
      case Field::kDirection: return {{}, static_cast<std::uint64_t>(e.direction)};
      case Field::kHost: return {e.host};
      case Field::kService: return {e.service};
      case Field::kTrust: return {e.trust};
      case Field::kProtocol: return {e.protocol};
      case Field::kCipher: return {e.cipher};
      case Field::kBits: return {e.bits};
      case Field::kKeyExchange: return {e.key_exchange};
      case Field::kServerSignature: return {e.server_signature};
      case Field::kServerDigest: return {e.server_digest};
      case Field::kClientSignature: return {e.client_signature};
      case Field::kClientDigest: return {e.client_digest};
      case Field::kSni: return {e.sni};
      case Field::kReason: return {e.reason};
      case Field::kFile: return {e.file};
      default: return {};  // not served (suits())
    }
  }

  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t pending = 0;  // counts not yet in the tally; 0: empty
    std::array<std::uint32_t, kMaxKeys> size{};
    std::array<std::uint64_t, kMaxKeys> number{};
    std::string text;  // the parts' text, one after another
    std::string key;   // the tally key
  };

  // Whether n bytes at a and b are equal; short values (most are) with a
  // few overlapping loads instead of a call.
  static bool same_bytes(const char* a, const char* b, std::size_t n) {
    if (n >= 8) {
      if (n > 16) return std::memcmp(a, b, n) == 0;
      return load<std::uint64_t>(a) == load<std::uint64_t>(b) &&
             load<std::uint64_t>(a + n - 8) == load<std::uint64_t>(b + n - 8);
    }
    if (n >= 4) {
      return load<std::uint32_t>(a) == load<std::uint32_t>(b) &&
             load<std::uint32_t>(a + n - 4) == load<std::uint32_t>(b + n - 4);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  template <class T>
  static T load(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

  bool holds(const Slot& s) const {
    const char* t = s.text.data();
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      const Part& p = parts_[i];
      if (p.number != s.number[i] || p.text.size() != s.size[i] ||
          !same_bytes(p.text.data(), t, p.text.size())) {
        return false;
      }
      t += p.text.size();
    }
    return true;
  }

  std::vector<Field> keys_;
  std::vector<Slot> slots_;
  std::size_t mask_;
  std::array<Part, kMaxKeys> parts_{};
};

}  // namespace mailtls::detail
