#pragma once
// Content-addressed file storage (DESIGN.md "store/"): each blob lives once, at
// DIR/blobs/ab/cdef..., named by the SHA-256 of its bytes, and is written atomically.

#include "store/file_system.hpp"

namespace agora::store {

/// True when `id` has the only form a blob id takes: 64 lowercase hexadecimal characters.
bool is_blob_id(std::string_view id);

/// Blobs under one folder. Thread-safe: it keeps no state beyond the folder's path.
class BlobStore {
 public:
  /// A store in data_dir/blobs, created if missing, doing all file work through `fs`.
  static Result<BlobStore> open(const std::filesystem::path& data_dir,
                                FileSystem& fs = posix_file_system());

  /// Stores `bytes` durably (temp file, fsync, rename, fsync folder) and returns their id.
  /// Storing bytes already present writes nothing. On failure no partial blob is visible and
  /// no temp file remains; a failure to sync the folder after the rename may leave the whole,
  /// correct blob in place.
  Result<std::string> put(std::string_view bytes);
  /// The bytes stored under `id`: not_found when absent, corrupt when they no longer hash to `id`.
  Result<std::string> get(std::string_view id);
  /// Whether a blob with `id` is stored.
  Result<bool> exists(std::string_view id);
  /// Deletes the blob with `id`; not_found when absent.
  Result<> remove(std::string_view id);

 private:
  BlobStore(std::filesystem::path root, FileSystem& fs) : root_(std::move(root)), fs_(&fs) {}

  // Where the blob with `id` lives; an error unless `id` is a blob id, so no id can name a
  // file outside root_.
  Result<std::filesystem::path> path_of(std::string_view id) const;
  Result<> write_and_rename(WritableFile& file, const std::filesystem::path& temp,
                            const std::filesystem::path& target, std::string_view bytes);

  std::filesystem::path root_;
  FileSystem* fs_;
};

}  // namespace agora::store
