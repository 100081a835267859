#pragma once
// Serves the built front-end (web/dist) under /static/. Every file is read into memory at start,
// so a request never touches the disk and a path can only name a file that was loaded: there is
// nothing for ../ tricks to reach.

#include "base/result.hpp"
#include "http/message.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

namespace agora::http {

/// Checks a decoded path relative to the static root: non-empty '/'-separated segments, none
/// "." or ".." or hidden (leading '.'), no backslash or control character. Returns the
/// normalised key, or nullopt when the path must be refused.
std::optional<std::string> resolve_static_path(std::string_view relative);

class StaticFiles {
 public:
  /// Loads every file under `root` (with its .gz and .br siblings as encodings). An empty or
  /// missing root is an error naming it and saying how to build the assets.
  static Result<StaticFiles> load(const std::filesystem::path& root);

  /// The response for `relative` (the part after /static/): 200 with the best encoding the
  /// client accepts, 304 when If-None-Match matches, 404 when unknown or refused.
  Response serve(const Request& request, std::string_view relative) const;

  std::size_t size() const { return files_.size(); }

 private:
  struct Variant {
    std::string body;
    std::string etag;
  };
  struct File {
    std::string content_type;
    bool immutable = false;  // hashed name: may be cached forever
    Variant identity, gzip, brotli;
  };

  std::unordered_map<std::string, File> files_;
};

}  // namespace agora::http
