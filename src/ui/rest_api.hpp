#pragma once
/// The JSON REST API with Spark's paths and field names (`/api/v1/applications/...`,
/// Spark's `status/api/v1/streaming/api.scala`). GET only; the stop endpoint lives in the
/// router with the other state-changing code (there is none other).

#include <optional>

#include "ui/http.hpp"

namespace ember::ui {

/// The answer to a GET under /api/v1, or nullopt when `request.path` is not under it.
std::optional<HttpResponse> handleRest(const UiContext& ui, const HttpRequest& request);

}  // namespace ember::ui
