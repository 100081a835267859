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

namespace agora::http {
namespace {

Request form_request(std::string content_type, std::string body) {
  Request request;
  request.method = "POST";
  request.headers.set("Content-Type", std::move(content_type));
  request.body = std::move(body);
  return request;
}

TEST(Request, ReadsUrlEncodedFormFields) {
  const Request request = form_request("application/x-www-form-urlencoded; charset=UTF-8",
                                       "csrf_token=a%2Bb&title=Si%C3%A2n+Pritchard&empty=");
  EXPECT_EQ(request.form_field("csrf_token"), "a+b");
  EXPECT_EQ(request.form_field("title"), "Siân Pritchard");
  EXPECT_EQ(request.form_field("empty"), "");
  EXPECT_EQ(request.form_field("missing"), std::nullopt);
  EXPECT_EQ(form_request("application/json", "title=x").form_field("title"), std::nullopt);
}

TEST(Request, ReadsMultipartFieldsAndFiles) {
  const std::string body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
      "tok\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"document_file\"; filename=\"minutes.md\"\r\n"
      "Content-Type: text/markdown\r\n\r\n"
      "# Minutes\r\n\r\n--not a delimiter\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"other\"; filename=\"\"\r\n\r\n"
      "\r\n"
      "--XyZ--\r\n";
  const Request request = form_request("multipart/form-data; boundary=XyZ", body);
  EXPECT_EQ(request.form_field("csrf_token"), "tok");
  EXPECT_EQ(request.form_field("document_file"), std::nullopt);  // a file, not a field
  const auto file = request.uploaded_file("document_file");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->filename, "minutes.md");
  EXPECT_EQ(file->content_type, "text/markdown");
  EXPECT_EQ(file->body, "# Minutes\r\n\r\n--not a delimiter");
  const auto empty = request.uploaded_file("other");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->filename, "");
  EXPECT_EQ(empty->body, "");
  EXPECT_EQ(request.uploaded_file("csrf_token"), std::nullopt);
}

TEST(Request, MalformedMultipartYieldsNothingRatherThanGarbage) {
  for (const std::string& body :
       {std::string("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"),
        std::string("no delimiter at all"), std::string("--XyZ"),
        std::string("--XyZ\r\nno blank line--XyZ--")}) {
    const Request request = form_request("multipart/form-data; boundary=XyZ", body);
    EXPECT_EQ(request.form_field("a"), std::nullopt) << body;
  }
  EXPECT_EQ(form_request("multipart/form-data", "--\r\n").form_field("a"), std::nullopt);
}

}  // namespace
}  // namespace agora::http
