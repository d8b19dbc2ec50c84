// libFuzzer target: the message parsers behind the envelope: Postfix's
// line classification, the peer token, session counters and reason
// normalisation; and every MTA's through MailDialect (Sendmail, Dovecot,
// Exim, OpenSMTPD: the line as it is, and its bytes as each one's
// message), with OpenSMTPD's peer texts and session ids.
//
// Besides not crashing, every field an event takes from the line must be a
// view into the line (or a fixed text of the parser's) (a forged message cannot make the parser
// read or point outside it), and a normalised reason holds only the vocabulary's bytes (a-z, 0-9,
// '_': docs/user-guide.md, "Reasons").
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "mailtls/cipher_class.hpp"
#include "mailtls/envelope.hpp"
#include "mailtls/event.hpp"
#include "mailtls/label_tables.hpp"
#include "mailtls/line_matcher.hpp"
#include "match/mail_dialect.hpp"

namespace {

bool vocabulary(std::string_view reason) {
  for (const char c : reason) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using mailtls::fuzz::inside;
  static const mailtls::LineMatcher matcher;
  const std::string_view line(reinterpret_cast<const char*>(data), size);

  mailtls::PeerRef peer;
  const std::size_t used = mailtls::parse_peer(line, peer);
  FUZZ_CHECK(used <= line.size());
  if (used > 0) {
    FUZZ_CHECK(inside(line, peer.name));
    FUZZ_CHECK(inside(line, peer.ip));
    FUZZ_CHECK(inside(line, peer.port));
  }
  const mailtls::SessionCounters counters = mailtls::parse_session_counters(line);
  FUZZ_CHECK(counters.starttls_ok >= 0 && counters.starttls_tried >= 0);

  std::string reason;
  mailtls::normalize_library_reason(line, reason);
  FUZZ_CHECK(vocabulary(reason));
  mailtls::normalize_error_text(line, reason);
  FUZZ_CHECK(vocabulary(reason));

  mailtls::Envelope env;
  if (!mailtls::parse_envelope(line, env)) {
    // The message parser on its own: a line without an envelope.
    env = mailtls::Envelope{};
    env.program = "postfix/smtpd";
    env.message = line;
  }
  mailtls::Event event;
  mailtls::PeerRef ref;
  const mailtls::LineClass cls = matcher.classify(env, event, ref);
  if (cls == mailtls::LineClass::kEvent || cls == mailtls::LineClass::kLibraryEvent) {
    for (const std::string_view field :
         {event.protocol, event.cipher, event.bits, event.key_exchange, event.server_signature,
          event.server_digest, event.client_signature, event.client_digest, event.sni,
          event.peer_name, event.peer_ip, event.port}) {
      FUZZ_CHECK(inside(line, field));
    }
    // Fixed texts of the parser's: the trust word (one of four), and the
    // reason of tlsproxy's "TLS handshake failed for service=...", which
    // names none.
    FUZZ_CHECK(inside(line, event.reason_text) || event.reason_text == "TLS handshake failed");
    FUZZ_CHECK(event.trust.empty() || event.trust == "Anonymous" || event.trust == "Untrusted" ||
               event.trust == "Trusted" || event.trust == "Verified");
    FUZZ_CHECK(vocabulary(event.reason));
  }
  if (cls == mailtls::LineClass::kEvent) {
    FUZZ_CHECK(inside(line, ref.name));
    FUZZ_CHECK(inside(line, ref.ip));
  }
  if (cls == mailtls::LineClass::kPeer) FUZZ_CHECK(inside(line, ref.raw));

  // Every MTA's matcher: the line as it came, and its bytes as the
  // message of each MTA's program.
  static const mailtls::detail::MailDialect dialect({}, {});
  auto check_dialect = [&](const mailtls::Envelope& e) {
    mailtls::Event ev;
    mailtls::PeerRef p;
    const mailtls::LineClass c = dialect.classify(e, ev, p);
    // The join key and a peer text are the line's bytes.
    FUZZ_CHECK(inside(line, dialect.session_key(e)));
    if (c == mailtls::LineClass::kPeer || c == mailtls::LineClass::kSessionEnd) {
      FUZZ_CHECK(inside(line, p.raw));
      mailtls::PeerRef parsed;
      dialect.parse_peer_token(p.raw, parsed);
      FUZZ_CHECK(inside(line, parsed.name));
      FUZZ_CHECK(inside(line, parsed.ip));
    }
    if (c != mailtls::LineClass::kEvent && c != mailtls::LineClass::kLibraryEvent &&
        c != mailtls::LineClass::kLibraryEventEnd) {
      return;
    }
    for (const std::string_view field :
         {ev.cipher, ev.bits, ev.key_exchange, ev.sni, ev.peer_name, ev.peer_ip, ev.port}) {
      FUZZ_CHECK(inside(line, field));
    }
    FUZZ_CHECK(inside(line, ev.reason_text) || ev.reason_text == "TLS handshake failed");
    // The protocol is the line's or a word of the vocabulary; the service
    // the line's or the program's; the IANA name a table's.
    FUZZ_CHECK(inside(line, ev.protocol) || mailtls::is_protocol_name(ev.protocol));
    FUZZ_CHECK(ev.service.empty() || inside(line, ev.service));
    FUZZ_CHECK(ev.cipher_iana.empty() || !mailtls::iana_cipher_name(ev.cipher_iana).empty());
    FUZZ_CHECK(ev.trust.empty() || ev.trust == "Anonymous" || ev.trust == "Untrusted" ||
               ev.trust == "Trusted" || ev.trust == "Verified");
    FUZZ_CHECK(vocabulary(ev.reason));
  };
  mailtls::Envelope own;
  if (dialect.parse_envelope(line, own)) {
    check_dialect(own);
    // A line skipped unparsed is one its matcher finds nothing in.
    const std::size_t tag = line.find(" smtpd[");
    if (tag != std::string_view::npos && dialect.skips(line, tag)) {
      mailtls::Event ev;
      mailtls::PeerRef p;
      FUZZ_CHECK(dialect.classify(own, ev, p) == mailtls::LineClass::kOther);
    }
  }
  for (const char* program : {"sm-mta", "dovecot", "exim", "smtpd"}) {
    mailtls::Envelope e;
    e.program = program;
    e.message = line;
    check_dialect(e);
  }
  return 0;
}
