#pragma once
// `agora serve`: wires the modules' routes into one HTTP server and runs it until SIGTERM/SIGINT.

#include "base/settings.hpp"

namespace agora::app {

/// Opens the database (applying migrations), loads templates and assets, and serves until a
/// signal stops it. Returns the process exit code; start-up errors are printed, naming what to fix.
int serve(const base::Settings& settings);

}  // namespace agora::app
