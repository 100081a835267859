#include "http/message.hpp"

#include <algorithm>
#include <cctype>

namespace agora::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view Headers::get(std::string_view name) const {
  for (const auto& [n, v] : fields_)
    if (iequals(n, name)) return v;
  return {};
}

bool Headers::contains(std::string_view name) const {
  return std::any_of(fields_.begin(), fields_.end(),
                     [&](const auto& f) { return iequals(f.first, name); });
}

void Headers::set(std::string_view name, std::string value) {
  erase(name);
  fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::add(std::string_view name, std::string value) {
  fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::erase(std::string_view name) {
  std::erase_if(fields_, [&](const auto& f) { return iequals(f.first, name); });
}

namespace {

// The value of `name` in an application/x-www-form-urlencoded string ("a=1&b=2"): the first
// occurrence, decoded; nullopt when absent or malformed.
std::optional<std::string> form_value(std::string_view rest, std::string_view name) {
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (!key || *key != name) continue;
    if (eq == std::string_view::npos) return std::string{};
    return percent_decode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> Request::query_param(std::string_view name) const {
  return form_value(query, name);
}

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The media type of a Content-Type value, without parameters: "multipart/form-data".
std::string_view media_type(std::string_view content_type) {
  return trim_spaces(content_type.substr(0, content_type.find(';')));
}

// The value of parameter `name` in a header value such as
// `form-data; name="title"; filename="a.md"` (quotes removed), or nullopt.
std::optional<std::string_view> header_parameter(std::string_view value, std::string_view name) {
  std::size_t at = value.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = trim_spaces(value.substr(at + 1));
    const std::size_t next = rest.find(';');
    std::string_view pair = rest.substr(0, next);
    const std::size_t equals = pair.find('=');
    if (equals != std::string_view::npos &&
        equals_ignoring_case(trim_spaces(pair.substr(0, equals)), name)) {
      std::string_view v = trim_spaces(pair.substr(equals + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
    if (next == std::string_view::npos) break;
    value = rest;
    at = next;
  }
  return std::nullopt;
}

// Calls `visit(part)` for each part of a multipart/form-data body (RFC 7578) until it returns
// true. A malformed body visits what it can and stops.
template <typename Visit>
void for_each_part(const Request& request, Visit visit) {
  const std::string_view content_type = request.headers.get("Content-Type");
  if (!equals_ignoring_case(media_type(content_type), "multipart/form-data")) return;
  const auto boundary = header_parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 200) return;
  const std::string delimiter = "--" + std::string(*boundary);
  std::string_view body = request.body;
  std::size_t at = body.find(delimiter);
  for (int parts = 0; at != std::string_view::npos && parts < 100; ++parts) {
    std::size_t start = at + delimiter.size();
    if (body.substr(start, 2) == "--") return;  // the closing delimiter
    if (body.substr(start, 2) != "\r\n") return;
    start += 2;
    const std::size_t head_end = body.find("\r\n\r\n", start);
    if (head_end == std::string_view::npos) return;
    const std::size_t next = body.find("\r\n" + delimiter, head_end + 4);
    if (next == std::string_view::npos) return;
    FormPart part;
    std::string_view head = body.substr(start, head_end - start);
    while (!head.empty()) {
      const std::size_t line_end = head.find("\r\n");
      const std::string_view line = head.substr(0, line_end);
      const std::size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        const std::string_view field = trim_spaces(line.substr(0, colon));
        const std::string_view value = trim_spaces(line.substr(colon + 1));
        if (equals_ignoring_case(field, "Content-Disposition")) {
          part.name = std::string(header_parameter(value, "name").value_or(""));
          if (auto filename = header_parameter(value, "filename")) {
            part.filename = std::string(*filename);
            part.is_file = true;
          }
        } else if (equals_ignoring_case(field, "Content-Type")) {
          part.content_type = std::string(value);
        }
      }
      if (line_end == std::string_view::npos) break;
      head.remove_prefix(line_end + 2);
    }
    part.body = std::string(body.substr(head_end + 4, next - head_end - 4));
    if (visit(std::move(part))) return;
    at = next + 2;
  }
}

}  // namespace

std::optional<std::string> Request::form_field(std::string_view name) const {
  if (equals_ignoring_case(media_type(headers.get("Content-Type")),
                           "application/x-www-form-urlencoded")) {
    return form_value(body, name);
  }
  std::optional<std::string> found;
  for_each_part(*this, [&](FormPart part) {
    if (part.is_file || part.name != name) return false;
    found = std::move(part.body);
    return true;
  });
  return found;
}

std::optional<FormPart> Request::uploaded_file(std::string_view name) const {
  std::optional<FormPart> found;
  for_each_part(*this, [&](FormPart part) {
    if (!part.is_file || part.name != name) return false;
    found = std::move(part);
    return true;
  });
  return found;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  std::string_view header = headers.get("Cookie");
  while (!header.empty()) {
    const auto end = header.find(';');
    const std::string_view pair = trim_spaces(header.substr(0, end));
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos && trim_spaces(pair.substr(0, equals)) == name) {
      std::string_view value = trim_spaces(pair.substr(equals + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string_view{} : std::string_view(it->second);
}

bool Request::prefers_json() const {
  // A browser sends text/html first; API clients send application/json or */*-less lists.
  std::string_view accept = headers.get("Accept");
  auto json = accept.find("application/json");
  if (json == std::string_view::npos) json = accept.find("+json");
  if (json == std::string_view::npos) return false;
  auto html = accept.find("text/html");
  return html == std::string_view::npos || json < html;
}

Response Response::with(int status, std::string_view content_type, std::string body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", std::string(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::html(std::string body, int status) {
  return with(status, "text/html; charset=utf-8", std::move(body));
}

Response Response::json(std::string body, int status) {
  return with(status, "application/json", std::move(body));
}

Response Response::text(std::string body, int status) {
  return with(status, "text/plain; charset=utf-8", std::move(body));
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

bool is_valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;  // continuation byte first, overlong lead (C0, C1) or above F4
    }
    if (end - p <= extra) return false;
    for (int k = 1; k <= extra; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    p += extra + 1;
  }
  return true;
}

std::string escape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string percent_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (const char c : in) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace agora::http
