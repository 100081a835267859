#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace agora::http {
namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("agora-static-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "assets");
    std::filesystem::create_directories(root_ / ".vite");
    write("assets/main-AbCdEf12.css", "body{color:red}");
    write("assets/main-AbCdEf12.css.br", "BROTLI");
    write("assets/main-AbCdEf12.css.gz", "GZIP");
    write("robots.txt", "User-agent: *");
    write(".vite/manifest.json", "{}");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(root_ / name, std::ios::binary) << bytes;
  }
  std::filesystem::path root_;
};

TEST_F(StaticFilesTest, ServesWithEtagAndImmutableCachingForHashedNames) {
  auto files = StaticFiles::load(root_).value();
  Request r;
  auto resp = files.serve(r, "assets/main-AbCdEf12.css");
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "body{color:red}");
  EXPECT_EQ(resp.headers.get("Content-Type"), "text/css; charset=utf-8");
  EXPECT_NE(resp.headers.get("Cache-Control").find("immutable"), std::string_view::npos);
  auto plain = files.serve(r, "robots.txt");
  EXPECT_EQ(plain.headers.get("Cache-Control"), "public, no-cache");

  Request again;
  again.headers.set("If-None-Match", std::string(resp.headers.get("ETag")));
  auto not_modified = files.serve(again, "assets/main-AbCdEf12.css");
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
}

TEST_F(StaticFilesTest, NegotiatesPrecompressedEncodings) {
  auto files = StaticFiles::load(root_).value();
  Request r;
  r.headers.set("Accept-Encoding", "gzip, deflate, br");
  auto br = files.serve(r, "assets/main-AbCdEf12.css");
  EXPECT_EQ(br.headers.get("Content-Encoding"), "br");
  EXPECT_EQ(br.body, "BROTLI");
  r.headers.set("Accept-Encoding", "gzip, br;q=0");
  auto gz = files.serve(r, "assets/main-AbCdEf12.css");
  EXPECT_EQ(gz.headers.get("Content-Encoding"), "gzip");
  EXPECT_NE(gz.headers.get("ETag"), br.headers.get("ETag"));
  EXPECT_EQ(gz.headers.get("Vary"), "Accept-Encoding");
}

TEST_F(StaticFilesTest, RefusesTraversalHiddenFilesAndUnknownPaths) {
  auto files = StaticFiles::load(root_).value();
  Request r;
  for (const char* bad : {"../etc/passwd", "assets/../../etc/passwd", ".vite/manifest.json",
                          "assets\\main.css", "", "/etc/passwd", "assets//x", "nope.txt"})
    EXPECT_EQ(files.serve(r, bad).status, 404) << bad;
  EXPECT_FALSE(resolve_static_path("a/./b"));
  EXPECT_EQ(resolve_static_path("a/b.css").value(), "a/b.css");
}

TEST_F(StaticFilesTest, MissingRootSaysHowToBuildIt) {
  auto files = StaticFiles::load(root_ / "missing");
  ASSERT_FALSE(files);
  EXPECT_NE(files.error().message.find("make web"), std::string::npos);
}

}  // namespace
}  // namespace agora::http
