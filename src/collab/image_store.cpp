#include "collab/image_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace agora::collab {

namespace {

constexpr std::array<std::string_view, 4> kAcceptedTypes{"image/png", "image/jpeg", "image/gif",
                                                         "image/webp"};

// The media type of a Content-Type value, lower case and without parameters.
std::string media_type(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && (content_type.back() == ' ' || content_type.back() == '\t'))
    content_type.remove_suffix(1);
  while (!content_type.empty() && (content_type.front() == ' ' || content_type.front() == '\t'))
    content_type.remove_prefix(1);
  std::string out(content_type);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  });
  return out;
}

}  // namespace

ImageStore::ImageStore(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<> ImageStore::record(std::int64_t document_id, std::string_view blob_id,
                            std::string_view content_type, std::int64_t uploaded_by) {
  AGORA_TRY(connection_.execute(
      "INSERT INTO document_images (document_id, blob_id, content_type, uploaded_by, created_at) "
      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (document_id, blob_id) DO NOTHING",
      {document_id, std::string(blob_id), std::string(content_type), uploaded_by,
       base::to_unix_millis(clock_.now())}));
  return {};
}

Result<std::optional<DocumentImage>> ImageStore::find(std::int64_t document_id,
                                                      std::string_view blob_id) {
  auto rows = connection_.query(
      "SELECT document_id, blob_id, content_type, uploaded_by, created_at FROM document_images "
      "WHERE document_id = ? AND blob_id = ?",
      {document_id, std::string(blob_id)});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<DocumentImage>();
  const store::Row& row = rows->front();
  DocumentImage image;
  image.document_id = row.integer(0);
  image.blob_id = row.text(1);
  image.content_type = row.text(2);
  if (!row.is_null(3)) image.uploaded_by = row.integer(3);
  image.created_at = base::from_unix_millis(row.integer(4));
  return std::optional<DocumentImage>(std::move(image));
}

std::optional<std::string_view> image_type_of(std::string_view bytes) noexcept {
  using namespace std::string_view_literals;
  if (bytes.starts_with("\x89PNG\r\n\x1a\n"sv)) return kAcceptedTypes[0];
  if (bytes.starts_with("\xff\xd8\xff"sv)) return kAcceptedTypes[1];
  if (bytes.starts_with("GIF87a"sv) || bytes.starts_with("GIF89a"sv)) return kAcceptedTypes[2];
  if (bytes.size() >= 12 && bytes.starts_with("RIFF"sv) && bytes.substr(8, 4) == "WEBP"sv)
    return kAcceptedTypes[3];
  return std::nullopt;
}

Result<std::string_view> check_image(std::string_view content_type, std::string_view bytes) {
  const std::string declared = media_type(content_type);
  if (std::find(kAcceptedTypes.begin(), kAcceptedTypes.end(), declared) == kAcceptedTypes.end()) {
    return fail(ErrorKind::invalid_input,
                fmt::format("images must be PNG, JPEG, GIF or WebP (Content-Type image/png, "
                            "image/jpeg, image/gif or image/webp); this one is \"{}\"",
                            declared.empty() ? "not given" : declared));
  }
  if (bytes.empty()) return fail(ErrorKind::invalid_input, "the image is empty; choose a file");
  if (bytes.size() > kMaxImageBytes) {
    return fail(ErrorKind::too_large,
                fmt::format("the image is {} bytes; the limit is {} (5 MB); make it smaller",
                            bytes.size(), kMaxImageBytes));
  }
  const auto actual = image_type_of(bytes);
  if (!actual) {
    return fail(ErrorKind::invalid_input,
                fmt::format("the file is not a PNG, JPEG, GIF or WebP image, though it was sent "
                            "as {}",
                            declared));
  }
  if (*actual != declared) {
    return fail(ErrorKind::invalid_input,
                fmt::format("the file is {} but was sent as {}; send it with its own type",
                            *actual, declared));
  }
  return *actual;
}

}  // namespace agora::collab
