#include "mailtls/failures.hpp"

#include <algorithm>
#include <climits>

#include "flat_tables.hpp"

namespace mailtls {

struct FailureTracker::Tables {
  detail::FlatSessionMap<Open> sessions;
};

FailureTracker::FailureTracker() : tables_(std::make_unique<Tables>()) {}
FailureTracker::~FailureTracker() = default;
FailureTracker::FailureTracker(FailureTracker&&) noexcept = default;
FailureTracker& FailureTracker::operator=(FailureTracker&&) noexcept = default;

namespace {

// 'i' + address, or 'n' + name when no address is logged (Postfix 2.2-2.4
// client lines; an unresolved library line has neither), then direction.
std::string peer_key(std::string_view ip, std::string_view name, Direction direction) {
  std::string key(ip.empty() ? "n" : "i");
  key.append(ip.empty() ? name : ip);
  key.push_back('\0');
  key.append(to_string(direction));
  return key;
}

// FlatSessionMap reserves 0 and 1.
std::uint64_t flat_key(std::uint64_t h) {
  return h < 2 ? h + 2 : h;
}

}  // namespace

void FailureTracker::count(const std::string& ip, const std::string& name, Direction direction,
                           const std::string& reason, const LocalTime& time) {
  std::string key = peer_key(ip, name, direction);
  key.push_back('\0');
  key.append(reason);
  Row& row = rows_[key];
  ++row.count;
  if (time.epoch_s < row.first_s) {
    row.first_s = time.epoch_s;
    row.first = time;
  }
  if (time.epoch_s > row.last_s) {
    row.last_s = time.epoch_s;
    row.last = time;
  }
  // The latest name; equal times: the byte-order larger (independent of the
  // order failures are closed in).
  if (!name.empty() && name != "unknown" &&
      (time.epoch_s > row.name_s || (time.epoch_s == row.name_s && name > row.name))) {
    row.name_s = time.epoch_s;
    row.name = name;
  }
}

void FailureTracker::close(Open& open) {
  if (open.active) {
    count(open.peer_ip, open.peer_name, open.direction, open.reason, open.time);
    open.active = false;
  }
}

void FailureTracker::close_loose(Open& open) {
  if (open.loose) {
    count(open.loose_ip, open.loose_name, open.loose_direction, open.loose_reason, open.loose_time);
    open.loose = false;
  }
}

void FailureTracker::add_completed(std::uint64_t session) {
  session = flat_key(session);
  Open* open = tables_->sessions.find(session);
  if (open == nullptr) return;
  close(*open);
  open->loose = false;
  tables_->sessions.erase(session);
}

void FailureTracker::add(const Event& e) {
  if (e.kind == EventKind::kEstablished || e.kind == EventKind::kReused) {
    add_completed(e.session);
    return;
  }
  const std::uint64_t session = flat_key(e.session);
  Open* found = tables_->sessions.find(session);
  switch (e.kind) {
    case EventKind::kEstablished:
    case EventKind::kReused: return;
    case EventKind::kAcceptError:
    case EventKind::kConnectError: {
      Open& open = found != nullptr ? *found : tables_->sessions[session];
      close(open);
      open.active = true;
      open.peer_name.assign(e.peer_name);
      open.peer_ip.assign(e.peer_ip);
      open.direction = e.direction;
      open.time = e.time;
      open.has_library = false;
      open.reason = e.reason;
      // tlsproxy writes the library line first.
      if (open.loose && open.loose_ip == open.peer_ip) {
        open.reason = open.loose_reason;
        open.has_library = true;
        open.loose = false;
      }
      close_loose(open);
      return;
    }
    case EventKind::kNoSharedCipher:
    case EventKind::kTlsError: break;
  }
  if (found != nullptr && found->active && found->peer_ip == e.peer_ip) {
    if (!found->has_library) {
      found->reason = e.reason;
      found->has_library = true;
    }
    return;  // the same failure
  }
  if ((found == nullptr || !found->active) && e.after_handshake) {
    return;  // inside a TLS session that completed its handshake
  }
  // Unclaimed so far: an error line may still follow (tlsproxy).
  Open& open = found != nullptr ? *found : tables_->sessions[session];
  close_loose(open);
  open.loose = true;
  open.loose_reason = e.reason;
  open.loose_name.assign(e.peer_name);
  open.loose_ip.assign(e.peer_ip);
  open.loose_direction = e.direction;
  open.loose_time = e.time;
}

std::vector<FailureRow> FailureTracker::finish(const PeerFacts& peers) {
  tables_->sessions.for_each([this](Open& open) {
    close(open);
    close_loose(open);
  });
  std::vector<FailureRow> out;
  out.reserve(rows_.size());
  for (const auto& [key, row] : rows_) {
    FailureRow r;
    const std::size_t a = key.find('\0');
    const std::size_t b = key.find('\0', a + 1);
    const bool is_ip = key.front() == 'i';
    const std::string who = key.substr(1, a - 1);
    const std::string dir = key.substr(a + 1, b - a - 1);
    r.direction = dir == "out" ? Direction::kOutbound : Direction::kInbound;
    r.reason = key.substr(b + 1);
    r.count = row.count;
    r.first_seen = row.first;
    r.last_seen = row.last;
    r.peer_ip = is_ip ? who : std::string();
    r.peer_name = !row.name.empty() ? row.name : (is_ip ? std::string("unknown") : who);
    const PeerFacts::Fact* fact = peers.find(peer_identity_hash(
        is_ip ? who : std::string_view(), is_ip ? std::string_view() : who, r.direction));
    r.also_succeeded = fact != nullptr && fact->completed;
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const FailureRow& a, const FailureRow& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.peer_ip != b.peer_ip) return a.peer_ip < b.peer_ip;
    if (a.peer_name != b.peer_name) return a.peer_name < b.peer_name;
    if (a.direction != b.direction) return a.direction < b.direction;
    return a.reason < b.reason;
  });
  return out;
}

}  // namespace mailtls
