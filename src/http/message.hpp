#pragma once
// Plain request and response structs: what every module outside http/ sees of HTTP. No Beast or
// Asio here (CONVENTIONS.md "Headers").

#include <any>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agora::http {

/// Header fields in arrival order; names compare case-insensitively.
class Headers {
 public:
  /// The first value of `name`, or empty when absent.
  std::string_view get(std::string_view name) const;
  bool contains(std::string_view name) const;
  /// Replaces every field called `name` with one field.
  void set(std::string_view name, std::string value);
  /// Appends a field even when one of that name exists (Set-Cookie, Vary).
  void add(std::string_view name, std::string value);
  void erase(std::string_view name);
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

/// One part of a multipart/form-data body (an HTML form with a file input).
struct FormPart {
  std::string name;          // the form field's name
  bool is_file = false;      // a file input, even when no file was chosen (empty filename)
  std::string filename;      // as the browser sent it: untrusted, never a path to use
  std::string content_type;  // as the browser sent it: untrusted
  std::string body;
};

/// An HTTP request after parsing and limit checks.
struct Request {
  std::string method;          // as sent, upper case: "GET"
  std::string target;          // the raw request target: "/a%20b?x=1"
  std::string path;            // percent-decoded path: "/a b"
  std::string query;           // raw query string without '?': "x=1"
  Headers headers;
  std::string body;
  std::string remote_address;  // peer IP address
  std::string request_id;      // unique per request; echoed in X-Request-Id and the access log
  bool secure = false;         // arrived over TLS
  /// Path parameters from the matched route pattern: "/docs/{id}" gives params["id"].
  std::map<std::string, std::string, std::less<>> params;
  /// The pattern of the route that matched, e.g. "/docs/{id}" (metrics label; empty if none).
  std::string route;
  /// The matched route's action in auth::Policy's words (empty when no route matched).
  std::string action;
  /// Who is asking, as the sign-in middleware established it (an auth::Principal; read it with
  /// auth::principal_of). Typed loosely because http/ knows no feature.
  std::any principal;

  /// The decoded value of query parameter `name`, if present.
  std::optional<std::string> query_param(std::string_view name) const;
  /// The value of field `name` of an HTML form's body (application/x-www-form-urlencoded or
  /// multipart/form-data); nullopt when absent, malformed, or the body is of another type.
  std::optional<std::string> form_field(std::string_view name) const;
  /// The file sent in field `name` of a multipart/form-data body, or nullopt.
  std::optional<FormPart> uploaded_file(std::string_view name) const;
  /// The value of cookie `name` from the Cookie header, if sent.
  std::optional<std::string> cookie(std::string_view name) const;
  /// The path parameter `name` (empty when the route has none of that name).
  std::string_view param(std::string_view name) const;
  /// True when the client prefers JSON to HTML (Accept header), for error bodies.
  bool prefers_json() const;
};

/// A complete response. Security headers and the request id are added by the server.
struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  /// Builds a response with `content_type` (e.g. "text/html; charset=utf-8").
  static Response with(int status, std::string_view content_type, std::string body);
  static Response html(std::string body, int status = 200);
  static Response json(std::string body, int status = 200);
  static Response text(std::string body, int status = 200);
};

/// The standard reason phrase for `status` ("Not Found").
std::string_view reason_phrase(int status) noexcept;

/// Decodes %XX escapes; nullopt on a malformed escape or a decoded NUL byte.
/// With `plus_as_space`, '+' decodes to ' ' (form and query encoding).
std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space = false);

/// Percent-encodes every byte of `in` except unreserved characters (RFC 3986 section 2.3), for a
/// value placed in a query string.
std::string percent_encode(std::string_view in);

/// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or values above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string escape_html(std::string_view s);

}  // namespace agora::http
