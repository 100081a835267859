#pragma once
// `agora serve`: wires the modules' routes into one HTTP server and runs it until SIGTERM/SIGINT.

#include "base/settings.hpp"

#include <iosfwd>

namespace agora::app {

/// Opens the database (applying migrations), loads templates and assets, and serves until a
/// signal stops it. Returns the process exit code; start-up errors are printed, naming what to fix.
int serve(const base::Settings& settings);

/// `agora routes`: builds the site exactly as serve() does, without listening, and prints one JSON
/// object per registered route ({"method","pattern","action","websocket"}) on its own line.
/// Returns the process exit code.
int print_routes(const base::Settings& settings, std::ostream& out);

}  // namespace agora::app
