#include "app/zip_writer.hpp"

#include <zlib.h>

#include <fmt/format.h>

#include <limits>

namespace agora::app {

namespace {

constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kEndOfCentralDirectory = 0x06054b50;
constexpr std::uint16_t kVersion = 20;        // 2.0: the oldest readers handle stored entries
constexpr std::uint16_t kUtf8Names = 0x0800;  // general purpose bit 11
// 1980-01-01 00:00 in MS-DOS form: the archive is made now, but a fixed time keeps identical
// data byte-identical, and the files' own dates are inside data.json.
constexpr std::uint16_t kDosTime = 0;
constexpr std::uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;

void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>(v >> 8);
}

void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

Result<> ZipWriter::add(std::string_view name, std::string_view bytes) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos ||
      name.find('\\') != std::string_view::npos || name.size() > 1024) {
    return fail(ErrorKind::invalid_input, fmt::format("\"{}\" is not a safe name in a ZIP", name));
  }
  if (entries_.size() >= 0xffff)
    return fail(ErrorKind::too_large, "a ZIP without ZIP64 holds at most 65535 files");
  const std::uint64_t after =
      data_.size() + 30 + name.size() + bytes.size() + (entries_.size() + 1) * (46 + 1024) + 22;
  if (after > std::numeric_limits<std::uint32_t>::max())
    return fail(ErrorKind::too_large, "a ZIP without ZIP64 holds at most 4 GiB");
  Entry entry;
  entry.name = std::string(name);
  entry.size = static_cast<std::uint32_t>(bytes.size());
  entry.offset = static_cast<std::uint32_t>(data_.size());
  entry.crc = static_cast<std::uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data()),
            static_cast<uInt>(bytes.size())));
  put32(data_, kLocalHeader);
  put16(data_, kVersion);
  put16(data_, kUtf8Names);
  put16(data_, 0);  // stored
  put16(data_, kDosTime);
  put16(data_, kDosDate);
  put32(data_, entry.crc);
  put32(data_, entry.size);  // compressed size: the same, as nothing is compressed
  put32(data_, entry.size);
  put16(data_, static_cast<std::uint16_t>(name.size()));
  put16(data_, 0);  // no extra field
  data_ += name;
  data_ += bytes;
  entries_.push_back(std::move(entry));
  return {};
}

std::string ZipWriter::finish() const {
  std::string out = data_;
  const auto directory_start = static_cast<std::uint32_t>(out.size());
  for (const Entry& e : entries_) {
    put32(out, kCentralHeader);
    put16(out, kVersion);  // made by
    put16(out, kVersion);  // needed to extract
    put16(out, kUtf8Names);
    put16(out, 0);
    put16(out, kDosTime);
    put16(out, kDosDate);
    put32(out, e.crc);
    put32(out, e.size);
    put32(out, e.size);
    put16(out, static_cast<std::uint16_t>(e.name.size()));
    put16(out, 0);  // extra
    put16(out, 0);  // comment
    put16(out, 0);  // disk number
    put16(out, 0);  // internal attributes
    put32(out, 0);  // external attributes
    put32(out, e.offset);
    out += e.name;
  }
  const auto directory_size = static_cast<std::uint32_t>(out.size() - directory_start);
  put32(out, kEndOfCentralDirectory);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<std::uint16_t>(entries_.size()));
  put16(out, static_cast<std::uint16_t>(entries_.size()));
  put32(out, directory_size);
  put32(out, directory_start);
  put16(out, 0);  // comment length
  return out;
}

}  // namespace agora::app
