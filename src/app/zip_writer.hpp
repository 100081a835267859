#pragma once
// A minimal ZIP archive writer (PKWARE APPNOTE 6.3: "stored" entries, no compression, no ZIP64)
// for downloads such as a person's data (issue 5 item 7). Names are marked UTF-8 (bit 11).

#include "base/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace agora::app {

/// Collects files in memory and produces one ZIP archive.
class ZipWriter {
 public:
  /// Adds a file called `name` (a relative path with '/' separators) holding `bytes`.
  /// invalid_input for an empty or absolute name, one with "..", or when the archive would pass
  /// 4 GiB or 65535 entries (the limits without ZIP64).
  Result<> add(std::string_view name, std::string_view bytes);
  /// The archive: every file added so far, then the central directory.
  std::string finish() const;

 private:
  struct Entry {
    std::string name;
    std::uint32_t crc = 0;
    std::uint32_t size = 0;
    std::uint32_t offset = 0;
  };

  std::string data_;  // local headers and file bytes, in order
  std::vector<Entry> entries_;
};

}  // namespace agora::app
