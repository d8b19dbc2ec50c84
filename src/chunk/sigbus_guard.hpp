// SIGBUS guard: a mapped file truncated under us (logrotate copytruncate)
// faults on the first access past its new end. The chunker checks the size
// before every chunk; this guard covers the race inside a chunk. Only the
// guarded region of a thread jumps; any other SIGBUS keeps its default
// action.
#pragma once

#include <csetjmp>

namespace mailtls::detail {

extern thread_local sigjmp_buf* tl_bus_jump;

// Installs the process-wide handler (once; later calls do nothing).
void install_sigbus_guard();

// Runs `fn()` with the guard armed on this thread. False: a SIGBUS cut it
// short (whatever it had written stays as it was at that moment, so it
// must only write what a cut-off leaves consistent).
template <class Fn>
bool run_bus_guarded(Fn&& fn) {
  sigjmp_buf jump;
  if (sigsetjmp(jump, 1) == 0) {
    tl_bus_jump = &jump;
    fn();
    tl_bus_jump = nullptr;
    return true;
  }
  tl_bus_jump = nullptr;
  return false;
}

}  // namespace mailtls::detail
