// Files built into the binary (cmake/embed_assets.cmake generates their table): the UI's
// assets and the shipped dashboards. One binary to deploy, nothing read from disk or the
// network to serve the UI.
#pragma once

#include <span>
#include <string_view>

namespace plumbline::web {

struct EmbeddedFile {
  std::string_view path;   // as served, e.g. "app.js", "vendor/uPlot.esm.js", "service.yaml"
  std::string_view bytes;  // the file's content
};

// The UI (web/ui/, and uPlot's dist files under vendor/).
std::span<const EmbeddedFile> UiFiles();
// The dashboards that ship with the binary (web/dashboards/*.yaml).
std::span<const EmbeddedFile> ShippedDashboards();

}  // namespace plumbline::web
