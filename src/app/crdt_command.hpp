#pragma once
// `agora crdt ...`: apply, merge, diff and replay Yjs updates from files, for tests,
// benchmarks and anyone debugging a document.

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace agora::app {

/// The `crdt` command and its options, registered on the top-level CLI::App.
class CrdtCommand {
 public:
  explicit CrdtCommand(CLI::App& app);

  /// Whether the command line chose `agora crdt ...`.
  bool parsed() const;
  /// Runs the chosen subcommand; returns the exit code (2 for bad input files or arguments).
  int run(std::ostream& out, std::ostream& err) const;

 private:
  CLI::App* command_;
  CLI::App* apply_;
  CLI::App* merge_;
  CLI::App* diff_;
  CLI::App* replay_;
  bool v2_ = false;
  std::vector<std::string> texts_, maps_, arrays_, xmls_;
  std::vector<std::string> files_;
  std::string state_vector_;
  std::string trace_;
  unsigned long long client_id_ = 1;
  bool print_state_ = false;
};

}  // namespace agora::app
