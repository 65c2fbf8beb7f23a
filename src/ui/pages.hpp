#pragma once
/// The HTML pages of the web UI. Every value that comes from the job (names, descriptions,
/// errors, configuration) goes through `htmlEscape`.

#include <cstdint>
#include <string>

#include "ui/http.hpp"

namespace ember::ui {

std::string streamingPage(const UiContext& ui);
/// nullopt-like: an empty string when there is no such batch.
std::string batchPage(const UiContext& ui, int64_t batch_ms);
std::string jobsPage(const UiContext& ui);
std::string environmentPage(const UiContext& ui);
std::string notFoundPage(const UiContext& ui, const std::string& what);

/// Whether the value of configuration key `key` must not be shown (Spark's redaction:
/// names with password, secret, token or key, and keys registered as secret).
bool isSecretKey(const std::string& key);

}  // namespace ember::ui
