#include "chunk/sigbus_guard.hpp"

#include <csignal>
#include <mutex>

namespace mailtls::detail {

thread_local sigjmp_buf* tl_bus_jump = nullptr;

namespace {

void on_sigbus(int sig, siginfo_t* /*info*/, void* /*context*/) {
  if (tl_bus_jump != nullptr) siglongjmp(*tl_bus_jump, 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

void install_sigbus_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, nullptr);
  });
}

}  // namespace mailtls::detail
