// Micro-benchmarks of the per-line stages: envelope and message parsing.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "mailtls/envelope.hpp"
#include "mailtls/line_matcher.hpp"

namespace {

const std::vector<std::string>& lines() {
  static const std::vector<std::string> kLines = {
      "Nov 20 01:44:08 mx1 postfix/smtpd[24611]: connect from mail.example.com[192.0.2.10]",
      "Nov 20 01:44:08 mx1 postfix/smtpd[24611]: Anonymous TLS connection established from "
      "mail.example.com[192.0.2.10]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) "
      "key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
      "Nov 20 01:44:08 mx1 postfix/qmgr[880]: 4BQ1xk0Lz3z9sWQ: from=<alice@example.com>, "
      "size=4211, nrcpt=1 (queue active)",
      "Nov 20 01:44:09 mx1 postfix/smtpd[24611]: warning: TLS library problem: "
      "error:0A0000C1:SSL routines::no shared cipher:../ssl/statem/statem_srvr.c:2220:",
      "Nov 20 01:44:09 mx1 dovecot: imap-login: Login: user=<bob@example.net>, method=PLAIN, "
      "rip=203.0.113.50, lip=198.51.100.1, mpid=2210, TLS, session=<abcdEF>",
  };
  return kLines;
}

void BM_Envelope(benchmark::State& state) {
  mailtls::Envelope env;
  std::size_t bytes = 0;
  for (auto _ : state) {
    for (const auto& l : lines()) {
      benchmark::DoNotOptimize(mailtls::parse_envelope(l, env));
      bytes += l.size();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_Envelope);

void BM_Classify(benchmark::State& state) {
  const mailtls::LineMatcher matcher;
  mailtls::Envelope env;
  mailtls::Event event;
  mailtls::PeerRef peer;
  std::size_t bytes = 0;
  for (auto _ : state) {
    for (const auto& l : lines()) {
      mailtls::parse_envelope(l, env);
      benchmark::DoNotOptimize(matcher.classify(env, event, peer));
      bytes += l.size();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_Classify);

}  // namespace
