#include "http/assets.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

namespace agora::http {

namespace {

constexpr std::string_view kBuildAdvice = "run `make web` (or `cd web && npm run build`)";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A file name from the manifest becomes part of a URL in every page, so it must be a plain
// relative path inside dist/: anything else means the manifest is not Vite's.
bool is_safe_asset_path(std::string_view file) {
  if (file.empty() || file.front() == '/' || file.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(file.begin(), file.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '.' || c == '-' || c == '_';
  });
}

void add_unique(std::vector<std::string>& urls, std::string url) {
  if (std::find(urls.begin(), urls.end(), url) == urls.end()) urls.push_back(std::move(url));
}

}  // namespace

Result<Assets> Assets::load(const std::filesystem::path& dist_folder, std::string_view url_prefix) {
  const std::filesystem::path manifest = dist_folder / ".vite" / "manifest.json";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(manifest, ec)) {
    return fail(ErrorKind::not_found, "the web assets are not built: " + manifest.string() +
                                          " does not exist; " + std::string(kBuildAdvice));
  }
  std::ifstream in(manifest, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    return fail(ErrorKind::io, "cannot read " + manifest.string() + "; check its permissions or " +
                                   std::string(kBuildAdvice) + " again");
  }
  return parse(text.str(), url_prefix, manifest.string());
}

Result<Assets> Assets::parse(std::string_view manifest_json, std::string_view url_prefix,
                             std::string_view source) {
  const std::string where(source);
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(manifest_json, ec);
  if (ec) {
    return fail(ErrorKind::corrupt, where + " is not valid JSON (" + ec.message() + "); " +
                                        std::string(kBuildAdvice) + " again");
  }
  if (!root.is_object()) {
    return fail(ErrorKind::corrupt, where + " must be a JSON object of Vite manifest entries; " +
                                        std::string(kBuildAdvice) + " again");
  }

  const auto url_for = [&](std::string_view key,
                           const boost::json::value& file) -> Result<std::string> {
    const auto* name = file.if_string();
    if (name == nullptr || !is_safe_asset_path(*name)) {
      return fail(ErrorKind::corrupt, where + ": entry \"" + std::string(key) +
                                          "\" names a file that is not a plain relative path "
                                          "inside dist/; " +
                                          std::string(kBuildAdvice) + " again");
    }
    return std::string(url_prefix) + std::string(*name);
  };

  Assets assets;
  for (const auto& [key, value] : root.get_object()) {
    const auto* entry = value.if_object();
    if (entry == nullptr) {
      return fail(ErrorKind::corrupt,
                  where + ": entry \"" + std::string(key) + "\" is not a JSON object");
    }
    // Only entry points are linked from pages; the browser fetches their imports itself.
    const auto* is_entry = entry->if_contains("isEntry");
    if (is_entry == nullptr || !is_entry->is_bool() || !is_entry->get_bool()) continue;

    const auto* file = entry->if_contains("file");
    if (file == nullptr) {
      return fail(ErrorKind::corrupt,
                  where + ": entry \"" + std::string(key) + "\" has no \"file\"");
    }
    auto url = url_for(key, *file);
    if (!url) return url.error();
    if (ends_with(*url, ".css")) {
      add_unique(assets.stylesheets_, std::move(*url));
    } else if (ends_with(*url, ".js") || ends_with(*url, ".mjs")) {
      add_unique(assets.scripts_, std::move(*url));
    }
    // A script entry that imports CSS lists the extracted stylesheets here.
    if (const auto* css = entry->if_contains("css")) {
      if (!css->is_array()) {
        return fail(ErrorKind::corrupt,
                    where + ": \"css\" of entry \"" + std::string(key) + "\" is not a list");
      }
      for (const auto& sheet : css->get_array()) {
        auto sheet_url = url_for(key, sheet);
        if (!sheet_url) return sheet_url.error();
        add_unique(assets.stylesheets_, std::move(*sheet_url));
      }
    }
  }
  if (assets.stylesheets_.empty() && assets.scripts_.empty()) {
    return fail(ErrorKind::corrupt,
                where + " lists no entry points; " + std::string(kBuildAdvice) + " again");
  }
  return assets;
}

}  // namespace agora::http
