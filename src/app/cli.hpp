#pragma once
// The `agora` command line: serve, migrate, demo load, version. Settings come from flags, then
// AGORA_* environment variables, then a TOML file (base/config.hpp).

#include "base/config.hpp"
#include "base/result.hpp"

#include <filesystem>
#include <iosfwd>
#include <span>
#include <string>

namespace agora::app {

/// Exit codes: 0 success, 1 the command failed, 2 the command line or a setting was wrong.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

/// Runs the command line `args` (args[0] is the program name) with `environment`, writing
/// results to `out` and errors (one line each) to `err`; returns the exit code.
int run_cli(std::span<const std::string> args, const base::Environment& environment,
            std::ostream& out, std::ostream& err);

/// Creates the data folder if missing and checks it is a folder this process can write to; the
/// error names the path and what is wrong.
Result<> prepare_data_dir(const std::filesystem::path& path);

/// "agora 0.1.0 (commit 1a2b3c4d5e6f)": the project version and, when built from a git
/// checkout, its commit.
std::string version_text();

}  // namespace agora::app
