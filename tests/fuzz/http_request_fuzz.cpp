// libFuzzer target over the HTTP request path: the bytes a client sends are parsed by Beast's
// request parser with the server's limits, fed in pieces as a network delivers them, and every
// request that parses is taken through what the server does with it (target split, percent
// decoding, UTF-8 validation, routing, per-route body limit, static path resolution, query
// parameters, Accept negotiation, HTML escaping). A crash, a sanitizer report or a broken
// invariant below is a finding.

// Boost's assertions stay on (no NDEBUG) and go through assertion_failed below, which aborts on
// all but one known false alarm. Defined before any include so every Boost header sees it.
#define BOOST_ENABLE_ASSERT_HANDLER

#include "http/message.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/assert.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/optional/optional.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace bhttp = boost::beast::http;
namespace http = agora::http;

// The server's defaults (base/settings.hpp and RouteOptions).
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kDefaultBodyLimit = 64 * 1024;
// A small per-route limit, so the fuzzer reaches the 413 path without 64 KiB inputs.
constexpr std::size_t kSmallBodyLimit = 256;
// Pipelined requests handled per input; more only slows the fuzzer down.
constexpr int kMaxRequestsPerInput = 8;

[[noreturn]] void broken(const char* invariant, std::string_view detail) {
  std::fprintf(stderr, "invariant broken: %s [%.*s]\n", invariant, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

#define FUZZ_CHECK(condition, detail)               \
  do {                                              \
    if (!(condition)) broken(#condition, (detail)); \
  } while (false)

http::Response ok_handler(http::Request&) {
  return http::Response::text("ok");
}

// A table shaped like the server's: fixed paths, parameters, a rest parameter and a small body
// limit on one route.
const http::Router& router() {
  static const http::Router table = [] {
    http::Router r;
    http::RouteOptions view;
    view.action = "site.view";
    http::RouteOptions small;
    small.action = "site.edit";
    small.body_limit = kSmallBodyLimit;
    r.add("GET", "/", ok_handler, view);
    r.add("GET", "/healthz", ok_handler, view);
    r.add("GET", "/metrics", ok_handler, view);
    r.add("GET", "/static/{path...}", ok_handler, view);
    r.add("GET", "/spaces/{space}/docs/{id}", ok_handler, view);
    r.add("POST", "/spaces/{space}/docs/{id}", ok_handler, small);
    r.add("PUT", "/docs/{id}", ok_handler, small);
    return r;
  }();
  return table;
}

// Strict UTF-8 per Unicode table 3-7, written independently of http::is_valid_utf8 so the two
// can be compared.
bool reference_utf8(std::string_view s) {
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  auto in = [](unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; };
  while (i < s.size()) {
    unsigned char c = byte(i);
    std::size_t left = s.size() - i;
    if (c <= 0x7F) {
      i += 1;
    } else if (in(c, 0xC2, 0xDF)) {
      if (left < 2 || !in(byte(i + 1), 0x80, 0xBF)) return false;
      i += 2;
    } else if (in(c, 0xE0, 0xEF)) {
      if (left < 3) return false;
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
      unsigned char hi = c == 0xED ? 0x9F : 0xBF;
      if (!in(byte(i + 1), lo, hi) || !in(byte(i + 2), 0x80, 0xBF)) return false;
      i += 3;
    } else if (in(c, 0xF0, 0xF4)) {
      if (left < 4) return false;
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
      unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
      if (!in(byte(i + 1), lo, hi) || !in(byte(i + 2), 0x80, 0xBF) || !in(byte(i + 3), 0x80, 0xBF))
        return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

void check_escape_html(std::string_view s) {
  std::string escaped = http::escape_html(s);
  FUZZ_CHECK(escaped.find_first_of("<>\"'") == std::string::npos, escaped);
  FUZZ_CHECK(escaped.size() >= s.size(), escaped);
}

void check_static_path(std::string_view relative) {
  std::optional<std::string> key = http::resolve_static_path(relative);
  if (!key) return;
  // Whatever is accepted must be a plain relative path that cannot leave the static root.
  FUZZ_CHECK(!key->empty(), relative);
  FUZZ_CHECK(key->front() != '/', *key);
  FUZZ_CHECK(key->find('\\') == std::string::npos, *key);
  for (unsigned char c : *key) FUZZ_CHECK(c >= 0x20 && c != 0x7F, *key);
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = key->find('/', start);
    std::string_view segment = std::string_view(*key).substr(start, slash - start);
    FUZZ_CHECK(!segment.empty(), *key);
    FUZZ_CHECK(segment != "." && segment != "..", *key);
    FUZZ_CHECK(segment.front() != '.', *key);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
}

void check_query(const http::Request& request) {
  std::string_view rest = request.query;
  for (int pairs = 0; !rest.empty() && pairs < 16; ++pairs) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    std::optional<std::string> name = http::percent_decode(pair.substr(0, pair.find('=')), true);
    if (!name) continue;
    std::optional<std::string> value = request.query_param(*name);
    if (value) FUZZ_CHECK(value->find('\0') == std::string::npos, *value);
  }
}

// The methods in an Allow value ("GET, HEAD"), checked against the request's method.
bool allow_lists(std::string_view allow, std::string_view method) {
  while (!allow.empty()) {
    std::size_t comma = allow.find(',');
    std::string_view item = allow.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item == method) return true;
    allow = comma == std::string_view::npos ? std::string_view{} : allow.substr(comma + 1);
  }
  return false;
}

// What the server does with a parsed request head: mirrors http/server.cpp's build_request and
// routing, with the checks an attacker would try to slip past. Returns the body limit to apply,
// or nullopt when the server would refuse the request.
std::optional<std::size_t> process_head(const bhttp::request<bhttp::string_body>& head,
                                        http::Request& request,
                                        boost::optional<std::uint64_t> content_length) {
  request.method = std::string(head.method_string());
  request.target = std::string(head.target());
  for (const auto& field : head)
    request.headers.add(field.name_string(), std::string(field.value()));
  if (head.version() >= 11 && !request.headers.contains("Host")) return std::nullopt;
  if (request.headers.contains("Content-Length") && request.headers.contains("Transfer-Encoding"))
    return std::nullopt;

  std::string_view target = request.target;
  std::size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
  if (raw_path.empty() || raw_path.front() != '/') return std::nullopt;

  std::optional<std::string> path = http::percent_decode(raw_path);
  if (!path) return std::nullopt;
  FUZZ_CHECK(path->size() <= raw_path.size(), *path);
  FUZZ_CHECK(path->find('\0') == std::string::npos, raw_path);

  bool valid = http::is_valid_utf8(*path);
  FUZZ_CHECK(valid == reference_utf8(*path), *path);
  check_escape_html(*path);
  if (!valid) return std::nullopt;
  request.path = *path;

  // Static resolution sees every path under /static/, whatever the server's earlier dot-segment
  // check would have refused: it must stand on its own.
  constexpr std::string_view kStatic = "/static/";
  if (request.path.starts_with(kStatic))
    check_static_path(std::string_view(request.path).substr(kStatic.size()));

  // The server refuses dot segments and backslashes before routing.
  for (std::size_t pos = 0; pos < request.path.size();) {
    std::size_t next = request.path.find('/', pos + 1);
    std::string_view segment = std::string_view(request.path).substr(pos + 1, next - pos - 1);
    if (segment == "." || segment == "..") return std::nullopt;
    if (next == std::string::npos) break;
    pos = next;
  }
  if (request.path.find('\\') != std::string::npos) return std::nullopt;

  http::Match match = router().match(request.method, request.path);
  std::size_t limit = kDefaultBodyLimit;
  if (match.route) {
    FUZZ_CHECK(match.route->method == request.method ||
                   (request.method == "HEAD" && match.route->method == "GET"),
               request.method);
    FUZZ_CHECK(match.allow.empty(), match.allow);
    for (const auto& [name, value] : match.params) {
      // Only the rest parameter may span segments.
      if (name != "path") FUZZ_CHECK(value.find('/') == std::string::npos, value);
    }
    request.route = match.route->pattern;
    request.params = match.params;
    limit = match.route->options.body_limit;
  } else {
    // A 405's Allow never lists the method that was just refused.
    FUZZ_CHECK(!allow_lists(match.allow, request.method), match.allow);
  }

  check_query(request);
  (void)request.prefers_json();

  if (content_length && *content_length > limit) return std::nullopt;
  return limit;
}

// Feeds `data` to the parser in pieces of `step` bytes, as reads from a socket would deliver them,
// handling up to kMaxRequestsPerInput pipelined requests like one keep-alive connection.
void run_connection(std::string_view data, std::size_t step) {
  std::size_t begin = 0;  // first byte the parser has not consumed
  std::size_t end = 0;    // bytes "received" so far
  for (int handled = 0; handled < kMaxRequestsPerInput; ++handled) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kHeaderLimit));
    parser.body_limit(kDefaultBodyLimit);
    http::Request request;
    bool head_processed = false;
    std::size_t limit = kDefaultBodyLimit;
    bool need_more = begin == end;
    while (!parser.is_done()) {
      if (need_more) {
        if (end == data.size()) return;  // the client stopped sending mid-request
        end = std::min(data.size(), end + step);
      }
      boost::beast::error_code ec;
      std::size_t used = parser.put(boost::asio::buffer(data.data() + begin, end - begin), ec);
      FUZZ_CHECK(used <= end - begin, data);
      begin += used;
      if (ec == bhttp::error::need_more) {
        need_more = true;
        continue;
      }
      // Nothing consumed and no error: the parser wants more bytes than it has.
      need_more = begin == end || used == 0;
      if (ec) return;  // 400, 413 or 431, then the connection closes
      if (parser.is_header_done() && !head_processed) {
        head_processed = true;
        std::optional<std::size_t> body_limit =
            process_head(parser.get(), request, parser.content_length());
        if (!body_limit) return;  // refused: the server answers and closes
        limit = *body_limit;
        parser.body_limit(limit);
      }
    }
    if (!head_processed) {
      std::optional<std::size_t> body_limit =
          process_head(parser.get(), request, parser.content_length());
      if (!body_limit) return;
      limit = *body_limit;
    }
    const auto& message = parser.get();
    FUZZ_CHECK(message.body().size() <= limit, request.target);
    request.body = message.body();
    if (!message.keep_alive()) return;
  }
}

}  // namespace

namespace boost {

// Beast 1.81's chunked parser asserts n >= 5 when a final chunk "0\r\n" is resumed with fewer
// than 5 bytes, which a client sending byte by byte can cause; the code after it is correct, and
// the assertion was relaxed upstream in 2024 (boostorg/beast pull request 2861). Every other
// assertion is a finding.
void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  if (std::strcmp(expr, "n >= 5") == 0 && std::strstr(file, "beast/http/impl/basic_parser.ipp"))
    return;
  std::fprintf(stderr, "Boost assertion failed: %s in %s (%s:%ld)\n", expr, function, file, line);
  std::abort();
}

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
  std::fprintf(stderr, "Boost assertion failed: %s (%s) in %s (%s:%ld)\n", expr, msg, function,
               file, line);
  std::abort();
}

}  // namespace boost

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // All at once (a fast client), then in small pieces whose size varies with the input, so both
  // the parser's one-shot and its resumable paths are exercised.
  run_connection(bytes, bytes.size() + 1);
  run_connection(bytes, 1 + size % 61);
  // The decoding helpers on the raw input too, not only on what survives the parser.
  if (auto decoded = http::percent_decode(bytes, size % 2 == 0)) {
    FUZZ_CHECK(http::is_valid_utf8(*decoded) == reference_utf8(*decoded), *decoded);
  }
  FUZZ_CHECK(http::is_valid_utf8(bytes) == reference_utf8(bytes), bytes);
  check_static_path(bytes);
  return 0;
}
