#include "http/assets.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace agora::http {
namespace {

std::filesystem::path source_dir() {
  if (const char* env = std::getenv("AGORA_SOURCE_DIR")) return env;
#ifdef AGORA_SOURCE_DIR
  return AGORA_SOURCE_DIR;
#else
  return std::filesystem::current_path();
#endif
}

// A manifest shaped like the one `vite build` writes for web/ (build.manifest: true).
constexpr std::string_view kManifest = R"({
  "src/main.scss": {"file": "assets/styles-xxSdNW-x.css", "name": "styles",
                    "src": "src/main.scss", "isEntry": true},
  "src/main.ts": {"file": "assets/main-oITOyHEa.js", "name": "main", "src": "src/main.ts",
                  "isEntry": true, "imports": ["_shared-1a2b.js"],
                  "css": ["assets/main-9f8e.css", "assets/styles-xxSdNW-x.css"]},
  "_shared-1a2b.js": {"file": "assets/shared-1a2b.js"}
})";

TEST(Assets, ListsEntryStylesheetsAndScriptsWithThePrefix) {
  auto assets = Assets::parse(kManifest);
  ASSERT_TRUE(assets) << assets.error().message;
  EXPECT_EQ(assets->stylesheets(), (std::vector<std::string>{"/static/assets/styles-xxSdNW-x.css",
                                                             "/static/assets/main-9f8e.css"}));
  // The imported chunk is not an entry: the browser loads it through the entry's imports.
  EXPECT_EQ(assets->scripts(), std::vector<std::string>{"/static/assets/main-oITOyHEa.js"});
}

TEST(Assets, UsesTheGivenUrlPrefix) {
  auto assets = Assets::parse(kManifest, "/assets-v2/");
  ASSERT_TRUE(assets) << assets.error().message;
  EXPECT_EQ(assets->scripts().front(), "/assets-v2/assets/main-oITOyHEa.js");
}

TEST(Assets, MissingManifestSaysToBuildTheWebAssets) {
  const auto folder = std::filesystem::temp_directory_path() / "agora-assets-test-no-such-dist";
  auto assets = Assets::load(folder);
  ASSERT_FALSE(assets);
  EXPECT_EQ(assets.error().kind, ErrorKind::not_found);
  EXPECT_NE(assets.error().message.find("make web"), std::string::npos) << assets.error().message;
  EXPECT_NE(assets.error().message.find((folder / ".vite" / "manifest.json").string()),
            std::string::npos)
      << assets.error().message;
}

TEST(Assets, MalformedJsonNamesTheFile) {
  auto assets = Assets::parse("{\"src/main.ts\": ", Assets::kDefaultUrlPrefix, "dist/x.json");
  ASSERT_FALSE(assets);
  EXPECT_NE(assets.error().message.find("dist/x.json is not valid JSON"), std::string::npos)
      << assets.error().message;
}

TEST(Assets, RefusesFileNamesOutsideDist) {
  for (const char* file :
       {"../../etc/passwd", "/etc/passwd", "assets/a b.js", "assets/\\x.js", "assets/x.js?y"}) {
    const std::string manifest =
        std::string(R"({"m": {"isEntry": true, "file": ")") + file + R"("}})";
    auto assets = Assets::parse(manifest);
    EXPECT_FALSE(assets) << "accepted " << file;
  }
}

TEST(Assets, RefusesEntriesWithoutFileAndManifestsWithoutEntries) {
  EXPECT_FALSE(Assets::parse(R"({"src/main.ts": {"isEntry": true}})"));
  EXPECT_FALSE(Assets::parse(R"({"_chunk.js": {"file": "assets/chunk.js"}})"));
  EXPECT_FALSE(Assets::parse(R"([])"));
  EXPECT_FALSE(Assets::parse(R"({"m": {"isEntry": true, "file": "a.js", "css": "a.css"}})"));
}

TEST(Assets, LoadsTheBuiltManifestWhenWebIsBuilt) {
  const auto dist = source_dir() / "web" / "dist";
  if (!std::filesystem::exists(dist / ".vite" / "manifest.json")) {
    GTEST_SKIP() << "web/dist is not built; `make web` builds it";
  }
  auto assets = Assets::load(dist);
  ASSERT_TRUE(assets) << assets.error().message;
  ASSERT_EQ(assets->stylesheets().size(), 1u);
  ASSERT_EQ(assets->scripts().size(), 2u);  // main, and the editor's small loader
  for (const auto& url : {assets->stylesheets().front(), assets->scripts().front()}) {
    ASSERT_TRUE(url.starts_with("/static/")) << url;
    EXPECT_TRUE(std::filesystem::is_regular_file(dist / url.substr(8))) << url;
  }
}

}  // namespace
}  // namespace agora::http
