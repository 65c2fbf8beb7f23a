#pragma once
/// SIGINT/SIGTERM handling for the active streaming context: the first signal stops the
/// context (gracefully when `ember.streaming.stopGracefullyOnShutdown` is true); a second
/// one while that stop is running terminates the process at once.

namespace ember::detail {

class StreamingCore;

/// Routes SIGINT and SIGTERM to `core` until `removeShutdownHook(core)`.
void installShutdownHook(StreamingCore* core);
void removeShutdownHook(StreamingCore* core);

}  // namespace ember::detail
