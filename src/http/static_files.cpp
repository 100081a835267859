#include "http/static_files.hpp"

#include <fmt/format.h>

#include <fstream>
#include <regex>
#include <sstream>

namespace agora::http {
namespace {

std::string_view content_type_for(std::string_view path) {
  auto dot = path.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "woff") return "font/woff";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "webmanifest") return "application/manifest+json";
  return "application/octet-stream";
}

// FNV-1a is enough for an ETag: it only has to change when the bytes change.
std::string etag_for(std::string_view bytes, std::string_view suffix) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("\"{:016x}{}{}\"", h, suffix.empty() ? "" : "-", suffix);
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorKind::io, "cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Vite names built assets like main-B3x9_fQz.css: a content hash makes them safe to cache forever.
bool is_hashed_name(std::string_view key) {
  static const std::regex hashed(R"(^assets/.+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$)");
  return std::regex_match(key.begin(), key.end(), hashed);
}

// The client's q-value for `coding` in Accept-Encoding; 0 when absent or refused.
double accepts(std::string_view accept_encoding, std::string_view coding) {
  std::size_t pos = 0;
  while (pos < accept_encoding.size()) {
    auto comma = accept_encoding.find(',', pos);
    std::string_view item = accept_encoding.substr(pos, comma - pos);
    pos = comma == std::string_view::npos ? accept_encoding.size() : comma + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    auto semi = item.find(';');
    std::string_view name = item.substr(0, semi);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name != coding) continue;
    if (semi == std::string_view::npos) return 1.0;
    auto q = item.find("q=", semi);
    if (q == std::string_view::npos) return 1.0;
    try {
      return std::stod(std::string(item.substr(q + 2)));
    } catch (...) {
      return 0;
    }
  }
  return 0;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match == "*") return true;
  return if_none_match.find(etag) != std::string_view::npos;
}

}  // namespace

std::optional<std::string> resolve_static_path(std::string_view relative) {
  if (relative.empty() || relative.size() > 1024) return std::nullopt;
  std::string key;
  std::size_t pos = 0;
  while (pos <= relative.size()) {
    auto slash = relative.find('/', pos);
    if (slash == std::string_view::npos) slash = relative.size();
    std::string_view segment = relative.substr(pos, slash - pos);
    if (segment.empty() || segment.front() == '.') return std::nullopt;
    for (char c : segment)
      if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ':')
        return std::nullopt;
    if (!key.empty()) key.push_back('/');
    key.append(segment);
    pos = slash + 1;
  }
  return key;
}

Result<StaticFiles> StaticFiles::load(const std::filesystem::path& root) {
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec))
    return fail(ErrorKind::invalid_input,
                fmt::format("web assets folder {} does not exist; build it with `make web` or "
                            "point --web-dir at a built web/dist",
                            root.string()));
  StaticFiles files;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string key = std::filesystem::relative(it->path(), root).generic_string();
    if (key.ends_with(".gz") || key.ends_with(".br")) continue;
    if (!resolve_static_path(key)) continue;  // hidden files (.vite/manifest.json) stay private
    auto body = read_file(it->path());
    if (!body) return body.error();
    File f;
    f.content_type = content_type_for(key);
    f.immutable = is_hashed_name(key);
    f.identity.etag = etag_for(*body, "");
    f.identity.body = std::move(*body);
    auto sibling = [&](std::string_view ext, Variant& into, std::string_view tag) {
      auto path = it->path();
      path += ext;
      if (!std::filesystem::is_regular_file(path)) return;
      if (auto bytes = read_file(path)) {
        into.etag = etag_for(f.identity.body, tag);
        into.body = std::move(*bytes);
      }
    };
    sibling(".gz", f.gzip, "gz");
    sibling(".br", f.brotli, "br");
    files.files_.emplace(std::move(key), std::move(f));
  }
  if (ec) return fail(ErrorKind::io, "cannot list " + root.string() + ": " + ec.message());
  return files;
}

Response StaticFiles::serve(const Request& request, std::string_view relative) const {
  auto key = resolve_static_path(relative);
  auto it = key ? files_.find(*key) : files_.end();
  if (it == files_.end()) return Response::text("Not found", 404);
  const File& f = it->second;

  std::string_view accept = request.headers.get("Accept-Encoding");
  const Variant* v = &f.identity;
  std::string_view encoding;
  if (!f.brotli.etag.empty() && accepts(accept, "br") > 0) {
    v = &f.brotli;
    encoding = "br";
  } else if (!f.gzip.etag.empty() && accepts(accept, "gzip") > 0) {
    v = &f.gzip;
    encoding = "gzip";
  }

  Response r;
  r.headers.set("ETag", v->etag);
  r.headers.set("Cache-Control",
                f.immutable ? "public, max-age=31536000, immutable" : "public, no-cache");
  if (!f.gzip.etag.empty() || !f.brotli.etag.empty()) r.headers.set("Vary", "Accept-Encoding");
  if (etag_matches(request.headers.get("If-None-Match"), v->etag)) {
    r.status = 304;
    return r;
  }
  r.headers.set("Content-Type", f.content_type);
  if (!encoding.empty()) r.headers.set("Content-Encoding", std::string(encoding));
  r.body = v->body;
  return r;
}

}  // namespace agora::http
