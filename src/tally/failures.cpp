#include "mailtls/failures.hpp"

#include <algorithm>
#include <climits>

#include "tally/flat_session_map.hpp"

namespace mailtls {

// ---------------------------------------------------------------------------
// FailureRows

void FailureRows::count(std::string_view ip, std::string_view name, Direction direction,
                        std::string_view service, std::string_view reason, const LocalTime& time) {
  key_.clear();
  key_.append(to_string(direction));
  key_.push_back('\0');
  key_.append(service);
  key_.push_back('\0');
  key_.append(reason);
  ++by_service_[key_];
  key_.clear();
  append_peer_key(key_, ip, name, direction);
  key_.push_back('\0');
  key_.append(reason);
  Row one;
  one.count = 1;
  one.first = one.last = time;
  one.first_s = one.last_s = time.epoch_s;
  if (!name.empty() && name != "unknown") {
    one.name.assign(name);
    one.name_s = time.epoch_s;
  }
  add(key_, one);
}

void FailureRows::add(std::string_view key, const Row& o) {
  Row& row = rows_[key];
  row.count += o.count;
  if (o.first_s < row.first_s) {
    row.first_s = o.first_s;
    row.first = o.first;
  }
  if (o.last_s > row.last_s) {
    row.last_s = o.last_s;
    row.last = o.last;
  }
  // The latest name; equal times: the byte-order larger (independent of the
  // order failures are closed and merged in).
  if (o.name_s != INT64_MIN &&
      (o.name_s > row.name_s || (o.name_s == row.name_s && o.name > row.name))) {
    row.name_s = o.name_s;
    row.name = o.name;
  }
}

void FailureRows::merge(const FailureRows& other) {
  for (const auto& [key, row] : other.rows_) add(key, row);
  for (const auto& [key, n] : other.by_service_) by_service_[key] += n;
}

std::vector<ServiceFailures> FailureRows::by_service() const {
  std::vector<ServiceFailures> out;
  out.reserve(by_service_.size());
  for (const auto& [key, n] : by_service_) {
    const std::string_view k = key;
    const std::size_t a = k.find('\0');
    const std::size_t b = k.find('\0', a + 1);
    out.push_back({std::string(k.substr(0, a)), std::string(k.substr(a + 1, b - a - 1)),
                   std::string(k.substr(b + 1)), n});
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<FailureRow> FailureRows::rows(const PeerFacts& peers) const {
  std::vector<FailureRow> out;
  out.reserve(rows_.size());
  for (const auto& [key, row] : rows_) {
    FailureRow r;
    const PeerKey k = split_peer_key(key);  // then NUL, reason
    r.direction = k.direction;
    r.reason = k.rest;
    r.count = row.count;
    r.first_seen = row.first;
    r.last_seen = row.last;
    r.peer_ip = k.ip;
    r.peer_name = !row.name.empty() ? row.name : k.ip.empty() ? std::string(k.name) : "unknown";
    const auto fact = peers.find(peer_identity_hash(k.ip, k.name, k.direction));
    r.also_succeeded = fact && fact->completed;
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

// ---------------------------------------------------------------------------
// FailureState

void FailureState::close(FailureRows& rows) {
  if (active) {
    rows.count(peer_ip, peer_name, direction, service, reason, time);
    active = false;
  }
}

void FailureState::close_loose(FailureRows& rows) {
  if (loose) {
    rows.count(loose_ip, loose_name, loose_direction, service, loose_reason, loose_time);
    loose = false;
  }
}

void FailureState::on_completed(FailureRows& rows) {
  close(rows);
  loose = false;
}

void FailureState::on_disconnect(FailureRows& rows) {
  close(rows);
  close_loose(rows);
}

void FailureState::on_event(const Event& e, FailureRows& rows) {
  // One process, one service: the same for every failure of the state.
  if (service != e.service) service.assign(e.service);
  switch (e.kind) {
    case EventKind::kEstablished:
    case EventKind::kReused: on_completed(rows); return;
    case EventKind::kAcceptError:
    case EventKind::kConnectError: {
      // Copies first: the views may point into a mapped file that faults
      // if truncated under us; the state changes only once they are made.
      std::string name(e.peer_name), ip(e.peer_ip), why(e.reason);
      close(rows);
      active = true;
      peer_name = std::move(name);
      peer_ip = std::move(ip);
      direction = e.direction;
      time = e.time;
      has_library = false;
      reason = std::move(why);
      // tlsproxy writes the library line first.
      if (loose && loose_ip == peer_ip) {
        reason = loose_reason;
        has_library = true;
        loose = false;
      }
      close_loose(rows);
      return;
    }
    case EventKind::kNoSharedCipher:
    case EventKind::kTlsError: break;
  }
  if (active && peer_ip == e.peer_ip) {
    if (!has_library) {
      reason = e.reason;
      has_library = true;
    }
    return;  // the same failure
  }
  if (!active && e.after_handshake) return;  // inside a TLS session that completed its handshake
  // Unclaimed so far: an error line may still follow (tlsproxy).
  std::string name(e.peer_name), ip(e.peer_ip), why(e.reason);
  close_loose(rows);
  loose = true;
  loose_reason = std::move(why);
  loose_name = std::move(name);
  loose_ip = std::move(ip);
  loose_direction = e.direction;
  loose_time = e.time;
}

// ---------------------------------------------------------------------------
// FailureTracker

struct FailureTracker::Tables {
  detail::FlatSessionMap<FailureState> sessions;
  std::int64_t latest_s = INT64_MIN;  // of the lines seen
  std::size_t prune_at = kPruneFloor;
  // Below this many open states, nothing is pruned.
  static constexpr std::size_t kPruneFloor = 1u << 16;

  void note(std::int64_t time_s) {
    if (time_s > latest_s) latest_s = time_s;
  }
  // Closes and drops the states no later line can join, then, if still
  // over kMaxOpen, the oldest until half that remain.
  void prune(FailureRows& rows) {
    const std::int64_t stale = latest_s == INT64_MIN ? INT64_MIN : latest_s - kMaxJoinGapSeconds;
    auto close_older = [&](std::int64_t cutoff) {
      sessions.erase_if([&](FailureState& s) {
        if (s.last_s() >= cutoff) return false;
        s.close_all(rows);
        return true;
      });
    };
    close_older(stale);
    if (sessions.size() >= kMaxOpen) {
      std::vector<std::int64_t> times;
      times.reserve(sessions.size());
      sessions.for_each([&](FailureState& s) { times.push_back(s.last_s()); });
      const std::size_t drop = times.size() - kMaxOpen / 2;
      std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(drop),
                       times.end());
      close_older(times[drop]);
    }
    prune_at = std::clamp(2 * sessions.size(), kPruneFloor, kMaxOpen);
  }
};

FailureTracker::FailureTracker() : tables_(std::make_unique<Tables>()) {}
FailureTracker::~FailureTracker() = default;
FailureTracker::FailureTracker(FailureTracker&&) noexcept = default;
FailureTracker& FailureTracker::operator=(FailureTracker&&) noexcept = default;

namespace {

// FlatSessionMap reserves 0 and 1.
std::uint64_t flat_key(std::uint64_t h) {
  return h < 2 ? h + 2 : h;
}

}  // namespace

void FailureTracker::add_completed(std::uint64_t session) {
  session = flat_key(session);
  FailureState* state = tables_->sessions.find(session);
  if (state == nullptr) return;
  state->on_completed(rows_);
  if (state->empty()) tables_->sessions.erase(session);
}

void FailureTracker::add_disconnect(std::uint64_t session) {
  session = flat_key(session);
  FailureState* state = tables_->sessions.find(session);
  if (state == nullptr) return;
  state->on_disconnect(rows_);
  tables_->sessions.erase(session);
}

void FailureTracker::add(const Event& e) {
  tables_->note(e.time.epoch_s);
  if (e.kind == EventKind::kEstablished || e.kind == EventKind::kReused) {
    add_completed(e.session);
    return;
  }
  const std::uint64_t session = flat_key(e.session);
  FailureState* state = tables_->sessions.find(session);
  if (state == nullptr) {
    // An erased slot's value may be reused: start from an empty state.
    state = &tables_->sessions[session];
    state->active = state->loose = false;
  }
  state->on_event(e, rows_);
  if (state->empty()) tables_->sessions.erase(session);
  if (tables_->sessions.size() >= tables_->prune_at) tables_->prune(rows_);
}

void FailureTracker::install(std::uint64_t session, FailureState&& state) {
  session = flat_key(session);
  if (FailureState* old = tables_->sessions.find(session)) old->close_all(rows_);
  if (state.empty()) {
    tables_->sessions.erase(session);
    return;
  }
  tables_->note(state.last_s());
  tables_->sessions[session] = std::move(state);
  if (tables_->sessions.size() >= tables_->prune_at) tables_->prune(rows_);
}

std::size_t FailureTracker::open_sessions() const {
  return tables_->sessions.size();
}

std::vector<std::pair<std::uint64_t, FailureState>> FailureTracker::take_recent(
    std::size_t max_states, std::size_t max_field) {
  std::vector<std::pair<std::uint64_t, FailureState>> out;
  const std::int64_t latest = tables_->latest_s;
  if (latest == INT64_MIN) return out;
  auto fits = [max_field](const FailureState& s) {
    for (const std::string* f : {&s.peer_name, &s.peer_ip, &s.reason, &s.service, &s.loose_name,
                                 &s.loose_ip, &s.loose_reason}) {
      if (f->size() > max_field) return false;
    }
    return true;
  };
  tables_->sessions.for_each_key([&](std::uint64_t key, FailureState& s) {
    if (s.last_s() >= latest - kMaxJoinGapSeconds && fits(s)) out.emplace_back(key, s);
  });
  // The latest first, when there are too many (forged sessions): the rest
  // stay, and finish() closes them.
  if (out.size() > max_states) {
    std::nth_element(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(max_states), out.end(),
                     [](const auto& a, const auto& b) {
                       return a.second.last_s() != b.second.last_s()
                                  ? a.second.last_s() > b.second.last_s()
                                  : a.first < b.first;
                     });
    out.resize(max_states);
  }
  for (const auto& [key, state] : out) tables_->sessions.erase(key);
  // In hash order: the state file does not depend on the table's layout.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<FailureRow> FailureTracker::finish(const PeerFacts& peers, const FailureRows* extra,
                                               std::vector<ServiceFailures>* by_service) {
  tables_->sessions.for_each([this](FailureState& state) { state.close_all(rows_); });
  if (extra != nullptr) rows_.merge(*extra);
  if (by_service != nullptr) *by_service = rows_.by_service();
  return rows_.rows(peers);
}

}  // namespace mailtls
