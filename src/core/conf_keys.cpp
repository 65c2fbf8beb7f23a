/// The registry of configuration keys: the one place a key, its Spark alias, default, type
/// and meaning are written down. Validation, environment variables, suggestions for
/// misspelt keys and the check of docs/configuration.md all read it, so adding a key here
/// (and a row in the document, which the test demands) is all a new key needs.

#include <cstdint>
#include <ember/conf.hpp>
#include <limits>
#include <vector>

namespace ember {
namespace {

/// Counts (threads, partitions, queue slots) are read into an `int`.
constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
/// Keys that start a thread each: far above any machine's cores, far below what exhausts a
/// process's threads or address space.
constexpr int64_t kMaxThreads = 1024;

std::vector<ConfKey> makeKeys() {
  return {
      // ---- application ------------------------------------------------------------------
      {.key = "ember.master",
       .spark_alias = "spark.master",
       .default_value = "local[*]",
       .type = ConfType::kMaster,
       .accepted = "local, local[N], local[*], local[N,F] or local[*,F] with 1 <= N <= 1024 "
                   "and F >= 1 (Ember runs in one process)",
       .doc = "Where the job runs: local[N] uses N worker threads, local[*] one per core; F is "
              "the number of attempts of a task (overrides ember.task.maxFailures).",
       .max_value = kMaxThreads},  // of N (parseMaster reads it)
      {.key = "ember.app.name",
       .spark_alias = "spark.app.name",
       .default_value = "Ember",
       .type = ConfType::kString,
       .accepted = "any text",
       .doc = "Name of the application, shown in logs and the web UI."},
      {.key = "ember.default.parallelism",
       .spark_alias = "spark.default.parallelism",
       .default_value = "",
       .type = ConfType::kInt,
       .accepted = "an integer >= 1",
       .doc = "Number of partitions of shuffles (reduceByKey, join, ...) when the operation "
              "is not given one. Unset: the number of local threads of ember.master.",
       .min_value = 1,
       .max_value = kIntMax},
      {.key = "ember.task.maxFailures",
       .spark_alias = "spark.task.maxFailures",
       .default_value = "4",
       .type = ConfType::kInt,
       .accepted = "an integer >= 1",
       .doc = "Attempts of a task before its batch fails (1 = no retry). local[N,F] overrides "
              "it with F.",
       .min_value = 1,
       .max_value = kIntMax},
      {.key = "ember.log.level",
       .spark_alias = "spark.log.level",
       .default_value = "info",
       .type = ConfType::kLogLevel,
       .accepted = "one of trace, debug, info, warn, error, off (any case)",
       .doc = "Minimum level of messages written to stderr. Its environment variable, "
              "EMBER_LOG_LEVEL, also sets the level of messages logged before the "
              "configuration is read."},
      // ---- streaming --------------------------------------------------------------------
      {.key = "ember.streaming.blockInterval",
       .spark_alias = "spark.streaming.blockInterval",
       .default_value = "200ms",
       .type = ConfType::kDuration,
       .accepted = "a duration such as 200ms, 2s or 1m (greater than 0; a bare number is "
                   "milliseconds)",
       .doc = "Interval at which a receiver cuts the records it received into a block; each "
              "block is one partition of the batch. Spark advises at least 50ms.",
       .min_value = 1},
      {.key = "ember.streaming.receiver.maxRate",
       .spark_alias = "spark.streaming.receiver.maxRate",
       .default_value = "0",
       .type = ConfType::kInt,
       .accepted = "an integer number of records per second (0 or less means unlimited)",
       .doc = "Maximum number of records per second each receiver stores. 0 or a negative "
              "value means unlimited, as in Spark."},
      {.key = "ember.streaming.backpressure.enabled",
       .spark_alias = "spark.streaming.backpressure.enabled",
       .default_value = "false",
       .type = ConfType::kBool,
       .accepted = "true or false",
       .doc = "Adapts each receiver's ingest rate, after every batch, to what the job "
              "processes (a PID controller), so input that outruns the job waits at its source "
              "instead of filling memory. The maxRate keys still cap the rate."},
      {.key = "ember.streaming.backpressure.initialRate",
       .spark_alias = "spark.streaming.backpressure.initialRate",
       .default_value = "",
       .type = ConfType::kInt,
       .accepted = "an integer >= 1 (records per second)",
       .doc = "With backpressure, the rate each receiver stores at until backpressure's first "
              "estimate, which follows the second batch (capped by "
              "ember.streaming.receiver.maxRate). Unset: maxRate if set, "
              "else unlimited, as in Spark: set it to bound what a flood brings in before "
              "the first estimate. For the Kafka direct stream, the whole stream's rate until "
              "then, split over partitions by lag; unset, its batches take what the partitions "
              "hold, up to maxRatePerPartition.",
       .min_value = 1},
      {.key = "ember.streaming.backpressure.rateEstimator",
       .spark_alias = "spark.streaming.backpressure.rateEstimator",
       .default_value = "pid",
       .type = ConfType::kEnum,
       .accepted = "pid",
       .doc = "How backpressure estimates the sustainable rate. Only pid exists, as in Spark.",
       .choices = "pid"},
      {.key = "ember.streaming.backpressure.pid.proportional",
       .spark_alias = "spark.streaming.backpressure.pid.proportional",
       .default_value = "1.0",
       .type = ConfType::kDouble,
       .accepted = "a number >= 0",
       .doc = "Weight of the current error (last rate minus processing rate) in the new rate.",
       .min_value = 0},
      {.key = "ember.streaming.backpressure.pid.integral",
       .spark_alias = "spark.streaming.backpressure.pid.integral",
       .default_value = "0.2",
       .type = ConfType::kDouble,
       .accepted = "a number >= 0",
       .doc = "Weight of the accumulated error (the backlog: scheduling delay times "
              "processing rate, per batch interval) in the new rate.",
       .min_value = 0},
      {.key = "ember.streaming.backpressure.pid.derived",
       .spark_alias = "spark.streaming.backpressure.pid.derived",
       .default_value = "0.0",
       .type = ConfType::kDouble,
       .accepted = "a number >= 0",
       .doc = "Weight of the error's change per second in the new rate.",
       .min_value = 0},
      {.key = "ember.streaming.backpressure.pid.minRate",
       .spark_alias = "spark.streaming.backpressure.pid.minRate",
       .default_value = "100",
       .type = ConfType::kDouble,
       .accepted = "a number > 0 (records per second)",
       .doc = "The lowest rate backpressure sets.",
       .min_value = 0,
       .min_exclusive = true},
      {.key = "ember.streaming.kafka.maxRatePerPartition",
       .spark_alias = "spark.streaming.kafka.maxRatePerPartition",
       .default_value = "0",
       .type = ConfType::kInt,
       .accepted = "an integer number of records per second (0 or less means unlimited)",
       .doc = "Maximum number of records per second the Kafka direct stream reads from each "
              "Kafka partition: a batch takes at most batch seconds x this many records per "
              "partition. 0 means unlimited, as in Spark."},
      {.key = "ember.streaming.kafka.minRatePerPartition",
       .spark_alias = "spark.streaming.kafka.minRatePerPartition",
       .default_value = "1",
       .type = ConfType::kInt,
       .accepted = "an integer number of records per second >= 1",
       .doc = "Least number of records per second the Kafka direct stream reads from each "
              "partition that has data, however low backpressure sets the rate; at least one "
              "record a batch, so a partition never stalls at sub-second batches.",
       .min_value = 1},
      {.key = "ember.streaming.stopGracefullyOnShutdown",
       .spark_alias = "spark.streaming.stopGracefullyOnShutdown",
       .default_value = "false",
       .type = ConfType::kBool,
       .accepted = "true or false",
       .doc = "On SIGINT or SIGTERM, stop gracefully (finish the data already received) "
              "instead of at once. A repeat of the signal within a second is ignored; one more "
              "than a second later exits at once."},
      {.key = "ember.streaming.gracefulStopTimeout",
       .spark_alias = "spark.streaming.gracefulStopTimeout",
       .default_value = "",
       .type = ConfType::kDuration,
       .accepted = "a duration such as 200ms, 2s or 1m (0 or more; a bare number is "
                   "milliseconds)",
       .doc = "Longest a graceful stop waits for received data to be processed. Unset: 10 "
              "batch intervals, as Spark.",
       .min_value = 0},
      {.key = "ember.streaming.concurrentJobs",
       .spark_alias = "spark.streaming.concurrentJobs",
       .default_value = "1",
       .type = ConfType::kInt,
       .accepted = "an integer from 1 to 1024",
       .doc = "Number of output jobs run at the same time (a thread each). Above 1, batches "
              "and output operations may complete out of order.",
       .min_value = 1,
       .max_value = kMaxThreads},
      {.key = "ember.streaming.clock",
       .spark_alias = "spark.streaming.clock",
       .default_value = "system",
       .type = ConfType::kEnum,
       .accepted = "system or manual",
       .doc = "Clock that drives batches: system (wall clock) or manual (a test advances "
              "it, so batches run without waiting).",
       .choices = "system|manual"},
      {.key = "ember.streaming.receiverRestartDelay",
       .spark_alias = "spark.streaming.receiverRestartDelay",
       .default_value = "2000ms",
       .type = ConfType::kDuration,
       .accepted = "a duration such as 200ms, 2s or 1m (0 or more; a bare number is "
                   "milliseconds)",
       .doc = "Delay before a receiver that failed or asked to restart is started again.",
       .min_value = 0},
      {.key = "ember.streaming.receiver.writeAheadLog.enable",
       .spark_alias = "spark.streaming.receiver.writeAheadLog.enable",
       .default_value = "false",
       .type = ConfType::kBool,
       .accepted = "true or false",
       .doc = "Write every block a receiver stores to a log in <checkpoint dir>/receivedBlockData "
              "and sync it before store() returns, so data received but not yet processed is "
              "processed after a crash. Needs ssc.checkpoint(dir)."},
      {.key = "ember.streaming.stateStore",
       .spark_alias = "",
       .default_value = "memory",
       .type = ConfType::kEnum,
       .accepted = "memory or rocksdb",
       .doc = "Where updateStateByKey and mapWithState keep their keys' states: memory "
              "(fastest), or rocksdb, an embedded RocksDB database on local disk, for state larger "
              "than memory. Either "
              "way checkpoints make the state durable.",
       .choices = "memory|rocksdb"},
      {.key = "ember.streaming.stateStore.dir",
       .spark_alias = "",
       .default_value = "",
       .type = ConfType::kString,
       .accepted = "a directory path",
       .doc = "Parent directory of the RocksDB state stores (a working copy, deleted when the "
              "context ends; copies left by a process that was killed are removed when the next "
              "job opens a store there); empty: <system temp dir>/ember-state."},
      {.key = "ember.streaming.unpersist",
       .spark_alias = "spark.streaming.unpersist",
       .default_value = "true",
       .type = ConfType::kBool,
       .accepted = "true or false",
       .doc = "Drop the data of generated and received batches once no window or output "
              "needs it. false keeps it until the context stops (more memory)."},
      {.key = "ember.streaming.socket.maxLineLength",
       .spark_alias = "",
       .default_value = "64m",
       .type = ConfType::kSize,
       .accepted = "a size such as 512k, 64m or 1g (at least 1 byte; a bare number is bytes)",
       .doc = "Longest line a socket text stream buffers. A longer line is delivered in pieces "
              "of this size, with a warning, so a peer that never sends a newline cannot "
              "exhaust memory.",
       .min_value = 1},
      {.key = "ember.streaming.socket.maxFrameSize",
       .spark_alias = "",
       .default_value = "64m",
       .type = ConfType::kSize,
       .accepted = "a size such as 512k, 64m or 1g (1 byte to 1g; a bare number is bytes)",
       .doc = "Largest frame a raw socket stream accepts, in bytes on the wire and in memory "
              "once decoded (elements times their size): a larger frame is an error that drops "
              "the connection, so a peer cannot make the job allocate without bound.",
       .min_value = 1,
       .max_value = int64_t{1} << 30},
      {.key = "ember.ui.showConsoleProgress",
       .spark_alias = "spark.ui.showConsoleProgress",
       .default_value = "true",
       .type = ConfType::kBool,
       .accepted = "true or false",
       .doc = "Show batch progress: on a terminal, one status line updated in place after each "
              "batch (records, processing time, scheduling delay; yellow when processing takes "
              "longer than the batch interval); otherwise an INFO log line every 10 s of batches."},
      {.key = "ember.ui.enabled",
       .spark_alias = "spark.ui.enabled",
       .default_value = "true",
       .type = ConfType::kBool,
       .accepted = "true or false",
       .doc = "Run the web UI (Streaming page, REST API under /api/v1, Prometheus metrics at "
              "/metrics) while the streaming context runs; see docs/web-ui.md."},
      {.key = "ember.ui.port",
       .spark_alias = "spark.ui.port",
       .default_value = "4040",
       .type = ConfType::kInt,
       .accepted = "an integer from 0 to 65535 (0 = any free port)",
       .doc = "Port of the web UI. When it is taken, the next 16 ports are tried, as Spark; "
              "when all are taken the job runs without a UI (with a warning). 0 picks any "
              "free port.",
       .min_value = 0,
       .max_value = 65535},
      {.key = "ember.ui.host",
       .spark_alias = "",
       .default_value = "127.0.0.1",
       .type = ConfType::kAddress,
       .accepted = "a numeric IPv4 or IPv6 address of this machine (0.0.0.0 or :: for every "
                   "interface), or localhost",
       .doc = "Address the web UI listens on. The default serves this machine only; set an "
              "outside address only on a trusted network (the UI has no login). Requests must "
              "name the host the UI serves (Host header): a loopback name or address when it "
              "listens on loopback, else an address of this machine or its host name."},
      {.key = "ember.streaming.ui.retainedBatches",
       .spark_alias = "spark.streaming.ui.retainedBatches",
       .default_value = "1000",
       .type = ConfType::kInt,
       .accepted = "an integer >= 1",
       .doc = "Completed batches the web UI and REST API keep (older ones are forgotten; the "
              "totals still count them).",
       .min_value = 1,
       .max_value = kIntMax},
      {.key = "ember.ui.authToken",
       .spark_alias = "",
       .default_value = "",
       .type = ConfType::kString,
       .accepted = "any text (keep it secret)",
       .doc = "Secret that allows POST /api/v1/applications/<id>/stop with the header "
              "'Authorization: Bearer <token>'. Unset: the stop endpoint is refused (403). "
              "Never shown by the UI or logs. Give it in the environment (EMBER_UI_AUTHTOKEN) "
              "or a file (ember.ui.authTokenFile): on the command line every local user can "
              "read it, and Ember warns.",
       .secret = true},
      {.key = "ember.ui.authTokenFile",
       .spark_alias = "",
       .default_value = "",
       .type = ConfType::kString,
       .accepted = "the path of a readable file",
       .doc = "File holding ember.ui.authToken (its first line; ember.ui.authToken itself wins "
              "when both are set). Unreadable or empty: start() fails naming the file. Keep it "
              "readable by the job's user only (a warning says when others can read it)."},
  };
}

}  // namespace

const std::vector<ConfKey>& Conf::knownKeys() {
  static const std::vector<ConfKey> keys = makeKeys();
  return keys;
}

const ConfKey* Conf::findKey(std::string_view key_or_alias) {
  if (key_or_alias.empty()) {
    return nullptr;
  }
  for (const ConfKey& key : knownKeys()) {
    if (key.key == key_or_alias || key.spark_alias == key_or_alias) {
      return &key;
    }
  }
  return nullptr;
}

}  // namespace ember
