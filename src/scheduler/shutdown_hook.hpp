#pragma once
/// SIGINT/SIGTERM handling for the active streaming context: the first signal stops the
/// context (gracefully when `ember.streaming.stopGracefullyOnShutdown` is true); a second
/// one while that stop is running terminates the process at once.

namespace ember::detail {

class StreamingCore;

/// Routes SIGINT and SIGTERM to `core` until `removeShutdownHook(core)`.
void installShutdownHook(StreamingCore* core);
/// Stops routing signals to `core`. With `wait_for_dispatch` (as `core` is destroyed), also
/// waits until a stop that a signal started on `core` has returned.
void removeShutdownHook(StreamingCore* core, bool wait_for_dispatch = false);

}  // namespace ember::detail
