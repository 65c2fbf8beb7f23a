#pragma once
/// `/metrics` in the Prometheus text format (version 0.0.4): the gauges of Spark's
/// StreamingSource as `ember_streaming_<Spark name>{app="..."}`, a few engine counters and
/// the usual process metrics read from /proc/self.

#include <string>

#include "ui/http.hpp"

namespace ember::ui {

std::string prometheusMetrics(const UiContext& ui);

}  // namespace ember::ui
