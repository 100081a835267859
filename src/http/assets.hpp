#pragma once
// The hashed names of the browser assets Vite built into web/dist, read once at start from Vite's
// manifest so the page layout can link them (`<link>` and `<script>` tags; no inline code).

#include "base/result.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace agora::http {

/// The stylesheet and script URLs of Vite's entry points, in manifest order.
class Assets {
 public:
  /// The URL prefix web/dist is served under; matches `base` in web/vite.config.js.
  static constexpr std::string_view kDefaultUrlPrefix = "/static/";

  /// Reads `dist_folder`/.vite/manifest.json; fails with a message naming the file and saying to
  /// run `make web` when it is missing or malformed.
  static Result<Assets> load(const std::filesystem::path& dist_folder,
                             std::string_view url_prefix = kDefaultUrlPrefix);

  /// Parses manifest JSON text; `source` names where it came from in error messages.
  static Result<Assets> parse(std::string_view manifest_json,
                              std::string_view url_prefix = kDefaultUrlPrefix,
                              std::string_view source = "manifest.json");

  /// An empty set, for tests and tools that render pages without a built front end.
  Assets() = default;

  /// URLs of the stylesheets to link from every page, e.g. "/static/assets/main-abc123.css".
  const std::vector<std::string>& stylesheets() const { return stylesheets_; }
  /// URLs of the module scripts to load from every page, e.g. "/static/assets/main-abc123.js".
  const std::vector<std::string>& scripts() const { return scripts_; }

 private:
  std::vector<std::string> stylesheets_;
  std::vector<std::string> scripts_;
};

}  // namespace agora::http
