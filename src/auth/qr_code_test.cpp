#include "auth/qr_code.hpp"

#include "auth/totp.hpp"

#include <gtest/gtest.h>
#include <qrencode.h>

#include <regex>
#include <set>
#include <string>

namespace agora::auth {
namespace {

constexpr int kQuietZone = 4;

struct Drawn {
  int size = 0;                        // the viewBox's width and height, in modules
  std::set<std::pair<int, int>> dark;  // (x, y) of each dark module, quiet zone included
};

// Reads the SVG back into modules: the viewBox and the path's "MX Yh<run>v1h-<run>z" rectangles.
Drawn read_svg(const std::string& svg) {
  Drawn drawn;
  std::smatch match;
  EXPECT_TRUE(std::regex_search(svg, match, std::regex("viewBox=\"0 0 (\\d+) (\\d+)\"")));
  drawn.size = std::stoi(match[1]);
  EXPECT_EQ(match[1], match[2]);
  EXPECT_TRUE(std::regex_search(svg, match, std::regex("<path fill=\"#000\" d=\"([^\"]*)\"")));
  const std::string path = match[1];
  const std::regex rectangle("M(\\d+) (\\d+)h(\\d+)v1h-(\\d+)z");
  std::size_t covered = 0;
  for (auto it = std::sregex_iterator(path.begin(), path.end(), rectangle);
       it != std::sregex_iterator(); ++it) {
    const int x = std::stoi((*it)[1]), y = std::stoi((*it)[2]), run = std::stoi((*it)[3]);
    EXPECT_EQ((*it)[3], (*it)[4]);
    for (int i = 0; i < run; ++i) drawn.dark.insert({x + i, y});
    covered += it->length();
  }
  EXPECT_EQ(covered, path.size()) << "the path holds only rectangles";
  return drawn;
}

// A finder pattern (ISO/IEC 18004 section 6.3.3) with its top-left module at (x, y): a dark 7x7
// ring, a light 5x5 ring, a dark 3x3 centre.
void expect_finder(const Drawn& drawn, int x, int y) {
  for (int dy = 0; dy < 7; ++dy) {
    for (int dx = 0; dx < 7; ++dx) {
      const int ring = std::max(std::abs(dx - 3), std::abs(dy - 3));
      const bool dark = ring != 2;
      EXPECT_EQ(drawn.dark.contains({x + dx, y + dy}), dark) << "finder at " << x << "," << y;
    }
  }
}

// The smallest version that holds `bytes` bytes at level M in byte mode, from ISO/IEC 18004
// table 7: version 5 holds 84 bytes, version 6 holds 106. A version v code is 17 + 4v modules.
TEST(QrCode, SmallestVersionThatFits) {
  const std::string fits_five(84, 'a');
  auto five = qr_code_svg(fits_five, "t");
  ASSERT_TRUE(five);
  EXPECT_EQ(read_svg(*five).size, 17 + 4 * 5 + 2 * kQuietZone);
  auto six = qr_code_svg(fits_five + "a", "t");
  ASSERT_TRUE(six);
  EXPECT_EQ(read_svg(*six).size, 17 + 4 * 6 + 2 * kQuietZone);
}

TEST(QrCode, DrawsExactlyTheModulesOfTheCode) {
  const std::string uri = otpauth_uri("12345678901234567890", "ann@afonvalley.gov.uk");
  auto svg = qr_code_svg(uri, "QR code for setting up your authenticator app");
  ASSERT_TRUE(svg) << svg.error().message;
  const Drawn drawn = read_svg(*svg);

  QRcode* code = QRcode_encodeString8bit(uri.c_str(), 0, QR_ECLEVEL_M);
  ASSERT_NE(code, nullptr);
  const int width = code->width;
  std::set<std::pair<int, int>> expected;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      if (code->data[y * width + x] & 1) expected.insert({x + kQuietZone, y + kQuietZone});
    }
  }
  QRcode_free(code);
  EXPECT_EQ(drawn.size, width + 2 * kQuietZone);
  EXPECT_EQ(drawn.dark, expected);

  // It is a QR code: finder patterns in three corners, nothing dark in the quiet zone.
  expect_finder(drawn, kQuietZone, kQuietZone);
  expect_finder(drawn, kQuietZone + width - 7, kQuietZone);
  expect_finder(drawn, kQuietZone, kQuietZone + width - 7);
  for (const auto& [x, y] : drawn.dark) {
    EXPECT_TRUE(x >= kQuietZone && y >= kQuietZone && x < kQuietZone + width &&
                y < kQuietZone + width);
  }
}

TEST(QrCode, HasAnAccessibleTitle) {
  auto svg = qr_code_svg("otpauth://totp/x", "Cod QR <ar gyfer> eich ap \"dilysu\" & mwy");
  ASSERT_TRUE(svg);
  EXPECT_TRUE(svg->starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"")) << *svg;
  EXPECT_NE(svg->find("role=\"img\""), std::string::npos);
  EXPECT_NE(svg->find("aria-labelledby=\"qr-code-title\""), std::string::npos);
  EXPECT_NE(
      svg->find("<title id=\"qr-code-title\">Cod QR &lt;ar gyfer&gt; eich ap &quot;dilysu&quot; "
                "&amp; mwy</title>"),
      std::string::npos)
      << *svg;
  EXPECT_TRUE(svg->ends_with("</svg>"));
}

TEST(QrCode, RefusesTextTooLongForAnyVersion) {
  // Version 40 at level M holds 2,331 bytes (ISO/IEC 18004 table 7).
  EXPECT_TRUE(qr_code_svg(std::string(2331, 'a'), "t"));
  auto too_long = qr_code_svg(std::string(2332, 'a'), "t");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().kind, ErrorKind::invalid_input);
}

}  // namespace
}  // namespace agora::auth
