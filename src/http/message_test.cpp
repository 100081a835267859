#include "http/message.hpp"

#include <gtest/gtest.h>

namespace agora::http {
namespace {

TEST(PercentDecode, DecodesAndRejectsMalformedEscapes) {
  EXPECT_EQ(percent_decode("/a%20b").value(), "/a b");
  EXPECT_EQ(percent_decode("a+b", true).value(), "a b");
  EXPECT_EQ(percent_decode("a+b").value(), "a+b");
  EXPECT_FALSE(percent_decode("%2"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("abc%"));
  EXPECT_FALSE(percent_decode("a%00b")) << "an encoded NUL must be refused";
}

TEST(Utf8, AcceptsValidAndRejectsInvalidSequences) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("Caerdydd \xe2\x80\x94 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xae")) << "overlong '.'";
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xae")) << "overlong three-byte";
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80")) << "surrogate";
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80")) << "above U+10FFFF";
  EXPECT_FALSE(is_valid_utf8("\xe2\x80")) << "truncated";
}

TEST(EscapeHtml, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(escape_html(R"(<a href="x">'&'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST(Headers, AreCaseInsensitiveAndKeepRepeats) {
  Headers h;
  h.add("Set-Cookie", "a=1");
  h.add("set-cookie", "b=2");
  EXPECT_EQ(h.get("SET-COOKIE"), "a=1");
  EXPECT_EQ(h.fields().size(), 2u);
  h.set("Set-Cookie", "c=3");
  EXPECT_EQ(h.fields().size(), 1u);
  h.erase("set-cookie");
  EXPECT_FALSE(h.contains("Set-Cookie"));
}

TEST(Request, ReadsQueryParametersAndPrefersJsonByAccept) {
  Request r;
  r.query = "lang=cy&q=a+b%21&flag";
  EXPECT_EQ(r.query_param("lang").value(), "cy");
  EXPECT_EQ(r.query_param("q").value(), "a b!");
  EXPECT_EQ(r.query_param("flag").value(), "");
  EXPECT_FALSE(r.query_param("missing"));

  r.headers.set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
  EXPECT_FALSE(r.prefers_json());
  r.headers.set("Accept", "application/json");
  EXPECT_TRUE(r.prefers_json());
}

}  // namespace
}  // namespace agora::http
