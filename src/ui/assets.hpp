#pragma once
/// Static files of the web UI, compiled into the library: the style sheet, the page script
/// and Chart.js (embedded from the Debian package libjs-chart.js by cmake/EmbedFile.cmake).

#include <optional>
#include <string_view>

namespace ember::ui {

struct Asset {
  std::string_view content_type;
  std::string_view body;
};

/// The file served at `/static/<name>`, if there is one.
std::optional<Asset> staticAsset(std::string_view name);

}  // namespace ember::ui
