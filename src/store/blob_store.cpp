#include "store/blob_store.hpp"

#include <fmt/format.h>
#include <sodium.h>

namespace agora::store {
namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), data, size);
  hex.pop_back();
  return hex;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return to_hex(digest, sizeof digest);
}

// Unguessable, so two writers of the same blob never pick the same temp file.
std::string temp_name() {
  unsigned char random[16];
  randombytes_buf(random, sizeof random);
  return ".tmp-" + to_hex(random, sizeof random);
}

}  // namespace

bool is_blob_id(std::string_view id) {
  return id.size() == 2 * crypto_hash_sha256_BYTES &&
         id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Result<BlobStore> BlobStore::open(const std::filesystem::path& data_dir, FileSystem& fs) {
  if (sodium_init() < 0) return fail(ErrorKind::internal, "libsodium failed to initialise");
  BlobStore store(data_dir / "blobs", fs);
  auto created = fs.create_directories(store.root_);
  if (!created) return created.error();
  return store;
}

Result<std::string> BlobStore::put(std::string_view bytes) {
  std::string id = sha256_hex(bytes);
  auto target = path_of(id);
  if (!target) return target.error();
  auto present = fs_->exists(*target);
  if (!present) return present.error();
  if (*present) return id;

  const std::filesystem::path folder = target->parent_path();
  auto created = fs_->create_directories(folder);
  if (!created) return created.error();
  if (*created) AGORA_TRY(fs_->sync_directory(root_));  // so the new folder's name survives a crash

  const std::filesystem::path temp = folder / temp_name();
  auto file = fs_->create_new(temp);
  if (!file) return file.error();
  if (auto written = write_and_rename(**file, temp, *target, bytes); !written) {
    // Nothing half-written may stay; once renamed, the temp name is gone and this is a no-op.
    (void)fs_->remove(temp);
    return written.error();
  }
  return id;
}

Result<> BlobStore::write_and_rename(WritableFile& file, const std::filesystem::path& temp,
                                     const std::filesystem::path& target, std::string_view bytes) {
  AGORA_TRY(file.append(bytes));
  AGORA_TRY(file.sync());
  AGORA_TRY(file.close());
  AGORA_TRY(fs_->rename(temp, target));
  return fs_->sync_directory(target.parent_path());
}

Result<std::string> BlobStore::get(std::string_view id) {
  auto path = path_of(id);
  if (!path) return path.error();
  auto bytes = fs_->read(*path);
  if (!bytes && bytes.error().kind == ErrorKind::not_found) {
    return fail(ErrorKind::not_found, fmt::format("no blob {} is stored", id));
  }
  if (!bytes) return bytes.error();
  if (const std::string actual = sha256_hex(*bytes); actual != id) {
    return fail(ErrorKind::corrupt, fmt::format("blob file {} is corrupt: its contents hash to {}",
                                                path->string(), actual));
  }
  return bytes;
}

Result<bool> BlobStore::exists(std::string_view id) {
  auto path = path_of(id);
  if (!path) return path.error();
  return fs_->exists(*path);
}

Result<> BlobStore::remove(std::string_view id) {
  auto path = path_of(id);
  if (!path) return path.error();
  // No folder sync: a removal lost in a crash only brings back a blob nobody refers to.
  auto removed = fs_->remove(*path);
  if (!removed && removed.error().kind == ErrorKind::not_found) {
    return fail(ErrorKind::not_found, fmt::format("no blob {} is stored", id));
  }
  return removed;
}

Result<std::filesystem::path> BlobStore::path_of(std::string_view id) const {
  if (!is_blob_id(id)) {
    return fail(ErrorKind::invalid_input,
                fmt::format("a blob id is 64 lowercase hexadecimal characters; got {} characters "
                            "that are not one",
                            id.size()));
  }
  return root_ / id.substr(0, 2) / id.substr(2);
}

}  // namespace agora::store
