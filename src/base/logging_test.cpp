#include "base/logging.hpp"

#include <gtest/gtest.h>
#include <boost/json/src.hpp>  // header-only Boost.JSON, to check every line is valid JSON

#include <cmath>
#include <sstream>
#include <thread>
#include <vector>

namespace agora::base {
namespace {

namespace json = boost::json;

class Logging : public ::testing::Test {
 protected:
  void SetUp() override { log::init(log::Level::trace, out_); }
  // Point logging back at stderr before out_ goes away.
  void TearDown() override { log::init(log::Level::info); }

  std::vector<json::object> lines() {
    std::vector<json::object> parsed;
    std::istringstream in(out_.str());
    std::string line;
    while (std::getline(in, line)) {
      boost::system::error_code ec;
      json::value value = json::parse(line, ec);
      EXPECT_FALSE(ec) << "not JSON: " << line;
      if (ec) continue;
      EXPECT_TRUE(value.is_object()) << line;
      if (value.is_object()) parsed.push_back(value.as_object());
    }
    return parsed;
  }

  std::ostringstream out_;
};

TEST_F(Logging, WritesOneJsonObjectPerLineWithTimeLevelAndMessage) {
  log::info("http.access", {{"status", 200}, {"path", "/healthz"}});
  const auto parsed = lines();
  ASSERT_EQ(parsed.size(), 1u);
  const json::object& line = parsed[0];
  EXPECT_EQ(line.at("level").as_string(), "info");
  EXPECT_EQ(line.at("msg").as_string(), "http.access");
  EXPECT_EQ(line.at("status").as_int64(), 200);
  EXPECT_EQ(line.at("path").as_string(), "/healthz");
  const std::string time(line.at("time").as_string());
  // 2026-01-05T09:30:12.345Z: ISO 8601, UTC, milliseconds. (No std::regex: GCC 12 warns
  // falsely inside it under the sanitizer build's -O1 -Werror.)
  ASSERT_EQ(time.size(), 24u) << time;
  for (std::size_t i = 0; i < time.size(); ++i) {
    const char expected = std::string_view("dddd-dd-ddTdd:dd:dd.dddZ")[i];
    if (expected == 'd') {
      EXPECT_TRUE(time[i] >= '0' && time[i] <= '9') << time;
    } else {
      EXPECT_EQ(time[i], expected) << time;
    }
  }
  // Fields keep their order after time, level and msg.
  EXPECT_TRUE(out_.str().starts_with(R"({"time":")")) << out_.str();
  EXPECT_NE(
      out_.str().find(R"("level":"info","msg":"http.access","status":200,"path":"/healthz"})"),
      std::string::npos)
      << out_.str();
}

TEST_F(Logging, EscapesQuotesNewlinesAndControlCharacters) {
  const std::string nasty = "say \"hi\"\nthen\\leave\r\t\x01\x1f end";
  log::warn(nasty, {{"value", nasty}, {nasty, 1}});
  const std::string text = out_.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << "one line: " << text;
  const auto parsed = lines();
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].at("msg").as_string(), nasty);
  EXPECT_EQ(parsed[0].at("value").as_string(), nasty);
  EXPECT_EQ(parsed[0].at(nasty).as_int64(), 1);
  EXPECT_EQ(parsed[0].at("level").as_string(), "warn");
}

TEST_F(Logging, ReplacesInvalidUtf8AndKeepsValidUtf8) {
  const std::string valid = "Siân, €5, \xF0\x9F\x8F\xB4";  // â, euro sign, a flag (4 bytes)
  const std::string invalid[] = {
      "\xff",              // never valid
      "a\xe2\x82",         // truncated three-byte sequence
      "\xc0\xaf",          // overlong '/'
      "\xed\xa0\x80",      // UTF-16 surrogate
      "\xf4\x90\x80\x80",  // above U+10FFFF
      "\x80",              // lone continuation byte
  };
  log::info(valid, {{"path", valid}});
  for (const std::string& bad : invalid) log::info(bad, {{"path", "/x" + bad}});

  const auto parsed = lines();
  ASSERT_EQ(parsed.size(), 1u + std::size(invalid));
  EXPECT_EQ(parsed[0].at("msg").as_string(), valid);
  EXPECT_EQ(parsed[0].at("path").as_string(), valid);
  EXPECT_EQ(parsed[1].at("msg").as_string(), "\xEF\xBF\xBD");
  EXPECT_EQ(parsed[2].at("msg").as_string(), "a\xEF\xBF\xBD\xEF\xBF\xBD");
  for (std::size_t i = 1; i < parsed.size(); ++i) {
    const std::string msg(parsed[i].at("msg").as_string());
    EXPECT_NE(msg.find("\xEF\xBF\xBD"), std::string::npos) << "line " << i;
  }
}

TEST_F(Logging, WritesEveryKindOfValue) {
  log::info("kinds", {{"negative", -5},
                      {"big", std::uint64_t{18446744073709551615ULL}},
                      {"ratio", 0.25},
                      {"nan", std::nan("")},
                      {"yes", true},
                      {"text", std::string("owned")}});
  const auto parsed = lines();
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].at("negative").as_int64(), -5);
  EXPECT_EQ(parsed[0].at("big").as_uint64(), 18446744073709551615ULL);
  EXPECT_EQ(parsed[0].at("ratio").as_double(), 0.25);
  EXPECT_TRUE(parsed[0].at("nan").is_null());
  EXPECT_EQ(parsed[0].at("yes").as_bool(), true);
  EXPECT_EQ(parsed[0].at("text").as_string(), "owned");
}

TEST_F(Logging, SkipsLinesBelowTheLevel) {
  log::set_level(log::Level::warn);
  EXPECT_FALSE(log::enabled(log::Level::info));
  EXPECT_TRUE(log::enabled(log::Level::error));
  log::debug("hidden");
  log::info("hidden");
  log::warn("shown");
  log::error("shown too");
  const auto parsed = lines();
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].at("level").as_string(), "warn");
  EXPECT_EQ(parsed[1].at("level").as_string(), "error");
}

TEST_F(Logging, LinesFromManyThreadsNeverInterleave) {
  constexpr int kThreads = 4;
  constexpr int kLinesEach = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      const std::string long_text(300, static_cast<char>('a' + t));
      for (int i = 0; i < kLinesEach; ++i) {
        log::info("thread.line", {{"thread", t}, {"i", i}, {"text", long_text}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto parsed = lines();
  ASSERT_EQ(parsed.size(), std::size_t{kThreads * kLinesEach});
  for (const auto& line : parsed) {
    const auto t = line.at("thread").as_int64();
    EXPECT_EQ(line.at("text").as_string(), std::string(300, static_cast<char>('a' + t)));
  }
}

TEST(LogLevel, ParsesKnownNamesAndExplainsUnknownOnes) {
  EXPECT_EQ(*log::parse_level("trace"), log::Level::trace);
  EXPECT_EQ(*log::parse_level("warning"), log::Level::warn);
  EXPECT_EQ(log::to_string(log::Level::error), "error");
  auto bad = log::parse_level("INFO");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "expected one of trace, debug, info, warn, error");
}

TEST(JsonEscape, EscapesOnlyWhatItMust) {
  std::string out;
  log::append_json_string_body(out, "plain /path?x=1 ünïcödé");
  EXPECT_EQ(out, "plain /path?x=1 ünïcödé");
  out.clear();
  log::append_json_string_body(out, std::string_view("\0\x7f", 2));
  EXPECT_EQ(out, "\\u0000\x7f");
}

}  // namespace
}  // namespace agora::base
