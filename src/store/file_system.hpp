#pragma once
// The few filesystem operations the blob store needs, behind an interface so tests can make
// the N-th write, sync or rename fail (CONVENTIONS.md "Injected environment").

#include "base/result.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace agora::store {

/// A file being written; closed (without syncing) when destroyed.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  /// Writes all of `data` after what was written before.
  virtual Result<> append(std::string_view data) = 0;
  /// Returns once the contents are on stable storage (fsync).
  virtual Result<> sync() = 0;
  /// Closes the file, reporting errors the operating system deferred until then.
  virtual Result<> close() = 0;
};

/// Filesystem operations; every failure is ErrorKind::io naming the path, except that a
/// missing file is ErrorKind::not_found.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  /// Creates `path`, which must not exist yet, for writing (readable by the owner only).
  virtual Result<std::unique_ptr<WritableFile>> create_new(const std::filesystem::path& path) = 0;
  /// The whole contents of `path`.
  virtual Result<std::string> read(const std::filesystem::path& path) = 0;
  /// Whether `path` exists.
  virtual Result<bool> exists(const std::filesystem::path& path) = 0;
  /// Atomically replaces `to` with `from`.
  virtual Result<> rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  /// Deletes the file at `path`.
  virtual Result<> remove(const std::filesystem::path& path) = 0;
  /// Creates the folder `path` and its parents; true when `path` itself was created.
  virtual Result<bool> create_directories(const std::filesystem::path& path) = 0;
  /// Makes the folder's entries (names created, renamed or removed) durable.
  virtual Result<> sync_directory(const std::filesystem::path& path) = 0;
};

/// The operating system's filesystem, through POSIX calls.
FileSystem& posix_file_system();

}  // namespace agora::store
