// Postfix's main.cf and master.cf as Postfix 3.7 reads them, for `whatif`
// (CONTRACT, "whatif": the current policy, on which --set is laid).
//
// main.cf (readllines() and dict_load_fp() in Postfix's util/): a line
// whose first non-blank character is '#' is a comment, wherever it is; a
// line that starts with whitespace continues the logical line before it;
// "name = value" with blanks around '=' allowed and the value trimmed; the
// last assignment wins. Values are kept raw and expanded when read
// (mac_expand()): $name, ${name}, $(name), $$, ${name?text} (text when the
// value is not empty), ${name:text} (text when it is), ${name?{t1}:{t2}};
// an unknown name is empty; expansion deeper than 100 is an error. A name
// main.cf does not set takes Postfix 3.7's default (Debian 12's Postfix).
//
// master.cf (get_master_ent()): the same logical lines; eight fields,
// the last the command and its arguments; "-o name=value" and
// "-o { name = value }" override main.cf for that service. A service logs
// as "<syslog_name>/<command>" (mail_task()).
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailtls::detail {

// A parameter file that Postfix itself would refuse (a line without '=', a
// macro nested past 100): what and where.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class PostfixParams {
 public:
  // The parameters of main.cf's `text`; `file` names it in errors.
  // Throws ConfigError.
  static PostfixParams from_main_cf(std::string_view text, std::string_view file = "main.cf");

  // Sets a parameter as main.cf, `-o` or --set would (raw, expanded later).
  void set(std::string name, std::string value) { raw_[std::move(name)] = std::move(value); }
  // Whether main.cf (or set()) gives it a value.
  bool is_set(std::string_view name) const { return raw_.find(name) != raw_.end(); }
  // The raw value: the one set, else Postfix 3.7's default, else empty.
  std::string raw(std::string_view name) const;
  // The value, expanded. Throws ConfigError on runaway nesting.
  std::string get(std::string_view name) const;
  // Expands `text` against these parameters.
  std::string expand(std::string_view text) const;

  // Postfix 3.7's default for `name`, if it is one whatif reads.
  static std::optional<std::string_view> default_of(std::string_view name);

 private:
  std::string expand(std::string_view text, int depth) const;
  std::string value(std::string_view name, int depth) const;
  std::map<std::string, std::string, std::less<>> raw_;
};

struct MasterService {
  std::string name;     // the first field: "smtp", "submission", "587", ...
  std::string type;     // inet, unix, pass, ...
  std::string command;  // smtpd, smtp, tlsproxy, ...
  std::vector<std::pair<std::string, std::string>> overrides;  // -o, in order
  std::size_t line = 0;                                        // of its first line
};

// master.cf's services, in order. Throws ConfigError.
std::vector<MasterService> parse_master_cf(std::string_view text,
                                           std::string_view file = "master.cf");

// A service's parameters: main.cf's with its -o overrides laid on, and
// service_name set to the service's name.
PostfixParams service_params(const PostfixParams& main, const MasterService& service);

// The program name a service logs under: "postfix/submission/smtpd".
std::string service_log_name(const PostfixParams& main, const MasterService& service);

// The logical lines of a Postfix configuration file, with the number of
// the physical line each starts on.
std::vector<std::pair<std::size_t, std::string>> logical_lines(std::string_view text);

}  // namespace mailtls::detail
