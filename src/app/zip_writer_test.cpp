#include "app/zip_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace agora::app {
namespace {

std::uint32_t read32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

std::uint16_t read16(const std::string& s, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(s[at]) |
                                    (static_cast<unsigned char>(s[at + 1]) << 8));
}

TEST(ZipWriterTest, WritesStoredEntriesAReaderCanFind) {
  ZipWriter zip;
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  ASSERT_TRUE(zip.add("data.json", fox));
  ASSERT_TRUE(zip.add("files/ä.png", std::string("\x89PNG\0\1", 6)));
  const std::string archive = zip.finish();

  // The end of central directory record is the last 22 bytes (no comment).
  const std::size_t end = archive.size() - 22;
  ASSERT_EQ(read32(archive, end), 0x06054b50u);
  EXPECT_EQ(read16(archive, end + 10), 2);
  const std::uint32_t directory = read32(archive, end + 16);
  ASSERT_EQ(read32(archive, directory), 0x02014b50u);
  // CRC-32 of the classic pangram is 0x414FA339 (the ISO-HDLC check value used by ZIP and zlib).
  EXPECT_EQ(read32(archive, directory + 16), 0x414FA339u);
  EXPECT_EQ(read32(archive, directory + 20), fox.size());
  const std::uint32_t local = read32(archive, directory + 42);
  ASSERT_EQ(read32(archive, local), 0x04034b50u);
  EXPECT_EQ(read16(archive, local + 8), 0);  // stored
  const std::uint16_t name_length = read16(archive, local + 26);
  EXPECT_EQ(archive.substr(local + 30, name_length), "data.json");
  EXPECT_EQ(archive.substr(local + 30 + name_length, fox.size()), fox);
}

TEST(ZipWriterTest, RefusesUnsafeNames) {
  ZipWriter zip;
  EXPECT_FALSE(zip.add("", "x"));
  EXPECT_FALSE(zip.add("/etc/passwd", "x"));
  EXPECT_FALSE(zip.add("files/../../x", "x"));
  EXPECT_FALSE(zip.add("files\\x", "x"));
}

}  // namespace
}  // namespace agora::app
