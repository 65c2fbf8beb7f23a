#include "scheduler/rate_controller.hpp"

#include <algorithm>
#include <ember/conf.hpp>
#include <ember/error.hpp>
#include <ember/internal/dstream_node.hpp>
#include <ember/internal/streaming_core.hpp>
#include <ember/listener.hpp>
#include <ember/logging.hpp>
#include <string>
#include <tuple>
#include <vector>

namespace ember::detail {

PidRateEstimator::PidRateEstimator(int64_t batch_interval_ms, Gains gains)
    : batch_interval_ms_(batch_interval_ms), gains_(gains) {
  auto check = [](bool ok, const char* key, double value, const char* want) {
    if (!ok) {
      throw ConfError("ember.streaming.backpressure.pid." + std::string(key) + " is " +
                      std::to_string(value) + "; it must be " + want);
    }
  };
  if (batch_interval_ms <= 0) throw UsageError("backpressure needs a batch interval above 0");
  check(gains.proportional >= 0, "proportional", gains.proportional, ">= 0");
  check(gains.integral >= 0, "integral", gains.integral, ">= 0");
  check(gains.derivative >= 0, "derived", gains.derivative, ">= 0");
  check(gains.min_rate > 0, "minRate", gains.min_rate, "> 0");
}

PidRateEstimator::Gains PidRateEstimator::gainsFrom(const Conf& conf) {
  Gains g;
  g.proportional = conf.getDouble("ember.streaming.backpressure.pid.proportional");
  g.integral = conf.getDouble("ember.streaming.backpressure.pid.integral");
  g.derivative = conf.getDouble("ember.streaming.backpressure.pid.derived");
  g.min_rate = conf.getDouble("ember.streaming.backpressure.pid.minRate");
  return g;
}

std::optional<double> PidRateEstimator::compute(int64_t time_ms, int64_t records,
                                                int64_t processing_ms, int64_t scheduling_ms) {
  // As Spark's PIDRateEstimator: a batch no later than the last one, without records or
  // processed in 0 ms (whose processing rate is unknown) says nothing.
  if (time_ms <= latest_time_ || records <= 0 || processing_ms <= 0) return std::nullopt;
  double since_update_s = static_cast<double>(time_ms - latest_time_) / 1000.0;
  double processing_rate =
      static_cast<double>(records) / static_cast<double>(processing_ms) * 1000.0;
  // Positive when the last rate was above what the job processes.
  double error = latest_rate_ - processing_rate;
  // The backlog, as records per second to work off within one batch interval.
  double historical_error = static_cast<double>(scheduling_ms) * processing_rate /
                            static_cast<double>(batch_interval_ms_);
  latest_time_ = time_ms;
  if (first_run_) {
    // The first batch ran at an arbitrary rate (the initial one): it only sets the base the
    // next batch's error and its change are measured from. No estimate yet.
    first_run_ = false;
    latest_rate_ = processing_rate;
    latest_error_ = 0;
    return std::nullopt;
  }
  double d_error = (error - latest_error_) / since_update_s;
  double new_rate = std::max(latest_rate_ - gains_.proportional * error -
                                 gains_.integral * historical_error - gains_.derivative * d_error,
                             gains_.min_rate);
  latest_rate_ = new_rate;
  latest_error_ = error;
  return new_rate;
}

RateController::RateController(const Conf& conf, int64_t batch_interval_ms,
                               const std::vector<std::shared_ptr<InputNode>>& inputs) {
  auto gains = PidRateEstimator::gainsFrom(conf);
  for (const auto& input : inputs) {
    if (!input->rateControlled()) continue;
    streams_.emplace(input->node().id(), Stream{input, PidRateEstimator(batch_interval_ms, gains)});
  }
}

void RateController::batchCompleted(const BatchInfo& info) {
  auto scheduling = info.schedulingDelay();
  auto processing = info.processingDelay();
  if (!scheduling || !processing || !info.processingEndTime) return;
  std::vector<std::tuple<int, InputNode*, int64_t>> rates;  // published outside mu_
  {
    MutexLock lock(mu_);
    for (auto& [id, stream] : streams_) {
      auto in = info.streamIdToInputInfo.find(id);
      if (in == info.streamIdToInputInfo.end()) continue;
      auto rate = stream.estimator.compute(*info.processingEndTime, in->second.numRecords,
                                           *processing, *scheduling);
      // Spark publishes `newRate.toLong`, the estimate truncated; but a rate of 0 means "no
      // limit" to the inputs, so an estimate below 1 (pid.minRate may be 0.5) is 1 record/s.
      if (rate) {
        rates.emplace_back(id, stream.input.get(),
                           std::max<int64_t>(1, static_cast<int64_t>(*rate)));
      }
    }
  }
  for (auto [id, input, r] : rates) {
    logDebug("RateController", "Stream " + std::to_string(id) + ": backpressure rate " +
                                   std::to_string(r) + " records/s");
    input->publishRate(r);
  }
}

}  // namespace ember::detail
