#include "mailtls/failures.hpp"

#include <algorithm>
#include <climits>

namespace mailtls {

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
  if (time.epoch_s >= row.last_s) {
    row.last_s = time.epoch_s;
    row.last = time;
  }
  if (!name.empty() && name != "unknown" && time.epoch_s >= row.name_s) {
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

void FailureTracker::add(const Event& e) {
  key_.assign(e.host);
  key_.push_back('\0');
  key_.append(e.service);
  key_.push_back('\0');
  key_.append(e.pid);
  Open& open = sessions_[key_];
  switch (e.kind) {
    case EventKind::kEstablished:
    case EventKind::kReused: {
      // A handshake that completed: earlier failures of this process are
      // over, and a library line before it was no handshake failure.
      close(open);
      open.loose = false;
      open.succeeded = true;
      open.succeeded_ip.assign(e.peer_ip);
      succeeded_[peer_key(e.peer_ip, e.peer_name, e.direction)] = true;
      return;
    }
    case EventKind::kAcceptError:
    case EventKind::kConnectError: {
      close(open);
      open.succeeded = false;
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
  if (open.active && !open.has_library && open.peer_ip == e.peer_ip) {
    open.reason = e.reason;
    open.has_library = true;
    return;
  }
  if (open.active && open.has_library && open.peer_ip == e.peer_ip) return;      // same failure
  if (!open.active && open.succeeded && open.succeeded_ip == e.peer_ip) return;  // in-session
  // Unclaimed so far: an error line may still follow (tlsproxy).
  close_loose(open);
  open.loose = true;
  open.loose_reason = e.reason;
  open.loose_name.assign(e.peer_name);
  open.loose_ip.assign(e.peer_ip);
  open.loose_direction = e.direction;
  open.loose_time = e.time;
}

std::vector<FailureRow> FailureTracker::finish() {
  for (auto& [key, open] : sessions_) {
    close(open);
    close_loose(open);
  }
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
    r.also_succeeded = succeeded_.count(key.substr(0, b)) > 0;
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
