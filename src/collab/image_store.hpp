#pragma once
// SQL recording which document each uploaded image belongs to, and the check that uploaded bytes
// are the image they claim to be. The bytes themselves live in the blob store, which is shared
// and content-addressed: a blob id alone must not open an image through a document it was never
// uploaded to.

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agora::collab {

/// The largest image a document accepts, in bytes.
inline constexpr std::size_t kMaxImageBytes = 5 * 1024 * 1024;

/// An image uploaded into a document.
struct DocumentImage {
  std::int64_t document_id = 0;
  std::string blob_id;       // store::BlobStore id: SHA-256 of the bytes in hex
  std::string content_type;  // one of image/png, image/jpeg, image/gif, image/webp
  std::optional<std::int64_t> uploaded_by;
  std::chrono::system_clock::time_point created_at;
};

/// Reads and writes the images of documents.
class ImageStore {
 public:
  /// Uses `connection` for every call and `clock` for timestamps; both must outlive the store.
  ImageStore(store::Connection& connection, const base::Clock& clock);

  /// Records that blob `blob_id` of `content_type` is an image of `document_id`. Recording the
  /// same image again for the same document keeps the first record.
  Result<> record(std::int64_t document_id, std::string_view blob_id,
                  std::string_view content_type, std::int64_t uploaded_by);
  /// The image `blob_id` of `document_id`, or nullopt when it was never uploaded to it.
  Result<std::optional<DocumentImage>> find(std::int64_t document_id, std::string_view blob_id);

 private:
  store::Connection& connection_;
  const base::Clock& clock_;
};

/// The image type `bytes` begin with, by their signature: "image/png", "image/jpeg",
/// "image/gif" or "image/webp"; nullopt for anything else.
std::optional<std::string_view> image_type_of(std::string_view bytes) noexcept;

/// Ok when `bytes` (declared as `content_type`, parameters allowed) are an image Agora accepts
/// and the declaration matches what they are; otherwise invalid_input or too_large saying what to
/// send instead. Returns the image's type.
Result<std::string_view> check_image(std::string_view content_type, std::string_view bytes);

}  // namespace agora::collab
