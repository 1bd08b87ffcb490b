// The read-only UI's files, built into the binary (web/embedded.h):
//
//   GET /            index.html (the single page; routes live in the URL's #fragment)
//   GET /ui/<path>   web/ui/<path>, and uPlot at /ui/vendor/uPlot.esm.js, uPlot.min.css
//
// Each answer carries its type, an ETag (If-None-Match gives 304), "Cache-Control: no-cache"
// (always revalidated, so a new binary's UI is seen at once) and a Content-Security-Policy
// that allows only this origin: the UI loads nothing from anywhere else. Unknown paths: 404.
#pragma once

#include <vector>

#include "web/router.h"

namespace plumbline::web {

std::vector<Route> UiRoutes();

}  // namespace plumbline::web
