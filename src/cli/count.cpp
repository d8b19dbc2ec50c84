// `mailtls count`: events tabulated by the --by keys.
#include <CLI/CLI.hpp>
#include <iostream>
#include <limits>

#include "mailtls/command.hpp"
#include "mailtls/report.hpp"
#include "subcommand.hpp"

namespace mailtls::cli {

namespace {

constexpr const char* kName = "count";
const std::vector<std::string_view> kFormats = {"text", "csv",    "tsv",
                                                "json", "ndjson", "prometheus"};

std::vector<Field> parse_keys(const std::string& list) {
  std::vector<Field> keys;
  for (const auto& name : split_list(list)) {
    const auto field = parse_field(name);
    if (!field) throw UsageError("--by: unknown key '" + name + "'");
    keys.push_back(*field);
  }
  if (keys.empty()) throw UsageError("--by: no keys given");
  return keys;
}

// A Prometheus series per peer, per second or per line would grow without
// bound on a busy server; these keys are no labels.
void check_prometheus_labels(const std::vector<Field>& keys) {
  for (const Field f : keys) {
    switch (f) {
      case Field::kPeer:
      case Field::kPeerIp:
      case Field::kPeerName:
      case Field::kSni:
      case Field::kPort:
      case Field::kPid:
      case Field::kTime:
      case Field::kDay:
      case Field::kHour:
      case Field::kReasonText:
      case Field::kFile:
      case Field::kLine:
        throw UsageError("--format prometheus: '" + std::string(to_string(f)) +
                         "' is not a metric label (its values are unbounded: one series each "
                         "would not scale)");
      default: break;
    }
  }
}

class CountCommand final : public Subcommand {
 public:
  CLI::App* add_to(CLI::App& app, CommonArgs& common) override {
    CLI::App* cmd = app.add_subcommand(
        kName, "Tabulate events like `sort | uniq -c | sort -rn`, exactly and fast");
    cmd->add_option("--by", by_,
                    "Comma-separated keys (default protocol,cipher): direction, event, trust, "
                    "protocol, cipher, bits, key_exchange, peer, peer_name, peer_ip, host, "
                    "service, reason, day, hour, ...");
    cmd->add_option("--event", events_,
                    "Event kinds (default established): established, reused, accept_error, "
                    "connect_error, no_shared_cipher, tls_error, or all");
    cmd->add_option("--format", format_, "text, csv, tsv, json, ndjson or prometheus")
        ->check(CLI::IsMember(std::vector<std::string>(kFormats.begin(), kFormats.end())));
    cmd->add_option("--top", top_, "Only the first N rows (shares use the full total)")
        ->check(CLI::Range(std::size_t{1}, std::numeric_limits<std::size_t>::max()));
    cmd->add_option("--sort", sort_, "count (default) or key")
        ->check(CLI::IsMember({"count", "key"}));
    add_common(*cmd, common);
    return cmd;
  }

  int run(const CommonArgs& common) override {
    ScanOptions options = build_options(common);
    auto keys = parse_keys(by_);
    const std::uint32_t event_mask = parse_event_mask(events_);
    Outputs outputs(common.outputs, format_, kFormats, common.format_given);
    for (const auto& t : outputs.targets()) {
      if (t.format == Format::kPrometheus) check_prometheus_labels(keys);
    }
    configure_for_count(options, std::move(keys), event_mask);
    CountersFn counters = [](const ScanResult& result, const PrometheusSeries& earlier) {
      return count_series(result, earlier, SeriesKind::kCounters);
    };
    ReportOptions own;
    if (top_ > 0) own.top = top_;
    own.sort_by_key = sort_ == "key";
    return scan_and_write(common, std::move(options), kName, outputs,
                          report_writer(common, own, write_count), counters);
  }

 private:
  std::string by_ = "protocol,cipher";
  std::string events_ = "established";
  std::string format_ = "text";
  std::size_t top_ = 0;
  std::string sort_ = "count";
};

}  // namespace

std::unique_ptr<Subcommand> make_count_command() {
  return std::make_unique<CountCommand>();
}

}  // namespace mailtls::cli
