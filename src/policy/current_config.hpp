// The current Postfix configuration, on which a proposal is laid (CONTRACT,
// "whatif"): where `postconf` runs, its answers (`postconf -c DIR` for
// main.cf with the installed Postfix's defaults, `postconf -c DIR -M` for
// master.cf's services, `postconf -c DIR -P` for their -o overrides); else
// DIR/main.cf and DIR/master.cf read as Postfix reads them, over Postfix
// 3.7's defaults (Debian 12's Postfix).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/postfix_config.hpp"

namespace mailtls::detail {

struct CurrentConfig {
  PostfixParams main;
  std::vector<MasterService> services;
  // How it was read, for the text output: "postconf -c /etc/postfix", or
  // "/etc/postfix/main.cf and master.cf over Postfix 3.7's defaults".
  std::string source;
};

// Reads the configuration in `dir`. `postconf` is the program to ask
// (found in PATH; empty: read the files). Throws ConfigError when neither
// works (no main.cf, or one Postfix would refuse).
CurrentConfig load_current_config(const std::string& dir, const std::string& postconf);

// Runs `argv` (no shell) and returns its standard output; false when it
// cannot be run or exits non-zero.
bool run_capture(const std::vector<std::string>& argv, std::string& out);

// `postconf -P` lines ("submission/inet/syslog_name = postfix/submission")
// laid on `services` as their overrides.
void apply_postconf_overrides(std::string_view text, std::vector<MasterService>& services);

}  // namespace mailtls::detail
