#pragma once
/// SIGINT/SIGTERM handling for the active streaming context: the first signal stops the
/// context (gracefully when `ember.streaming.stopGracefullyOnShutdown` is true). Another
/// signal within a second of it is the same request and is ignored (GNU `timeout` signals
/// the child and then its process group); one more than a second later terminates the
/// process at once. After a signal's stop the process gets its old handlers back once that
/// second has passed.

namespace ember::detail {

class StreamingCore;

/// Routes SIGINT and SIGTERM to `core` until `removeShutdownHook(core)`.
void installShutdownHook(StreamingCore* core);
/// Stops routing signals to `core`. With `wait_for_dispatch` (as `core` is destroyed), also
/// waits until a stop that a signal started on `core` has returned.
void removeShutdownHook(StreamingCore* core, bool wait_for_dispatch = false);

}  // namespace ember::detail
