// PostfixDialect: Postfix's log lines (LineMatcher) behind the Dialect
// interface. `final`, so that the searcher's calls through a
// PostfixDialect& are direct calls: the built-in dialect costs nothing for
// the seam.
#pragma once

#include "mailtls/dialect.hpp"
#include "mailtls/line_matcher.hpp"

namespace mailtls::detail {

class PostfixDialect final : public Dialect {
 public:
  explicit PostfixDialect(const LineMatcherOptions& options) : matcher_(options) {}

  std::string_view name() const override { return "postfix"; }
  CandidateScanStats find_candidates(const char* data, std::size_t size, std::size_t max_line,
                                     const CandidateFn& on_candidate, const LongLineFn& on_long,
                                     const CandidateNeeds& needs) const override {
    // Postfix's four anchors (candidate_scan.hpp): the session anchors only
    // when sessions are followed, "SSL_" only when error lines are wanted.
    return scan_candidates(data, size, max_line, on_candidate, on_long, needs.kernel,
                           needs.sessions, needs.error_lines, needs.end_programs);
  }
  bool parse_envelope(std::string_view line, Envelope& env) const override {
    return mailtls::parse_envelope(line, env);
  }
  LineClass classify(const Envelope& env, Event& event, PeerRef& peer) const override {
    return matcher_.classify(env, event, peer);
  }
  // "host service[pid": one contiguous span of the line. A Postfix process
  // serves one SMTP session at a time, so its pid (with the host and the
  // service, since pids repeat across hosts and restarts) names the session.
  std::string_view session_key(const Envelope& env) const override {
    const char* begin = env.host.data();
    const char* end =
        env.pid.empty() ? env.program.data() + env.program.size() : env.pid.data() + env.pid.size();
    return {begin, static_cast<std::size_t>(end - begin)};
  }
  void parse_peer_token(std::string_view raw, PeerRef& peer) const override {
    parse_peer(raw, peer);
  }
  SessionCounters session_counters(const Envelope& env) const override {
    return parse_session_counters(env.message);
  }
  bool is_own_line(const Envelope& env) const override {
    return matcher_.is_postfix_program(env.program);
  }
  // With --syslog-name, an instance may log under any name.
  std::string_view own_line_literal() const override {
    return matcher_.has_syslog_name() ? std::string_view() : std::string_view("postfix");
  }
  Direction service_direction(std::string_view service) const override {
    return direction_of_service(service);
  }

 private:
  LineMatcher matcher_;
};

}  // namespace mailtls::detail
