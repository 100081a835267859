// The `agora` binary: everything happens in app::run_cli, which tests can call directly.

#include "app/cli.hpp"
#include "base/config.hpp"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  return agora::app::run_cli(args, agora::base::current_environment(), std::cout, std::cerr);
}
