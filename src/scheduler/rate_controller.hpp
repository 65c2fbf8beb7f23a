#pragma once
/// Backpressure (`ember.streaming.backpressure.enabled`): after each batch, estimates for
/// every rate-controlled input stream the rate the job can sustain and publishes it to the
/// stream (receivers set their rate limiters to it), as Spark's RateController does.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace ember {
class Conf;
struct BatchInfo;
}  // namespace ember

namespace ember::detail {

class InputNode;

/// Spark's PIDRateEstimator: a proportional-integral-derivative controller whose set point
/// is the processing rate of the last batch, with the backlog (scheduling delay times
/// processing rate) as the integral term. Not thread-safe.
class PidRateEstimator {
 public:
  struct Gains {
    double proportional = 1.0;
    double integral = 0.2;
    double derivative = 0.0;
    double min_rate = 100;
  };
  /// Throws `ConfError` naming the key for a gain below 0 or a min rate not above 0.
  PidRateEstimator(int64_t batch_interval_ms, Gains gains);
  static Gains gainsFrom(const Conf& conf);

  /// A new rate (records per second) from a completed batch that ended at `time_ms`
  /// holding `records`, processed in `processing_ms` after waiting `scheduling_ms`, exactly
  /// as Spark's `PIDRateEstimator.compute`: nothing for a batch no later than the last one,
  /// one without records or one processed in 0 ms (such batches leave the state alone), and
  /// nothing for the first batch that counts, which only records its end time and
  /// processing rate as the base of the next estimate.
  std::optional<double> compute(int64_t time_ms, int64_t records, int64_t processing_ms,
                                int64_t scheduling_ms);

 private:
  int64_t batch_interval_ms_;
  Gains gains_;
  bool first_run_ = true;
  int64_t latest_time_ = -1;
  double latest_rate_ = -1;
  double latest_error_ = -1;
};

/// One estimator per rate-controlled input stream. Thread-safe.
class RateController {
 public:
  RateController(const Conf& conf, int64_t batch_interval_ms,
                 const std::vector<std::shared_ptr<InputNode>>& inputs);
  /// Feeds a completed batch to every stream's estimator and publishes the new rates.
  void batchCompleted(const BatchInfo& info);

 private:
  struct Stream {
    std::shared_ptr<InputNode> input;
    PidRateEstimator estimator;
  };
  std::mutex mu_;
  std::map<int, Stream> streams_;
};

}  // namespace ember::detail
