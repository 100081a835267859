#include "store/database.hpp"

#include "store/backends.hpp"

#include <fmt/format.h>

namespace agora::store {
namespace {

constexpr std::string_view kAcceptedForms =
    "use an empty URL (SQLite at DATA_DIR/agora.db), sqlite:PATH, or "
    "postgres://USER:PASSWORD@HOST:PORT/DATABASE (postgresql:// also works)";

std::string_view type_name(const Value& v) {
  static constexpr std::string_view kNames[] = {"NULL", "an integer", "a real", "text", "bytes"};
  return kNames[v.index()];
}

[[noreturn]] void throw_wrong_type(std::size_t i, const Value& v, std::string_view wanted) {
  throw ErrorException(
      fail(ErrorKind::internal, fmt::format("column {} is {}, not {}", i, type_name(v), wanted)));
}

bool is_scheme(std::string_view s) {
  return !s.empty() && s.find_first_not_of(
                           "abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") == std::string_view::npos;
}

}  // namespace

std::int64_t Row::integer(std::size_t i) const {
  const Value& v = columns_.at(i);
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n;
  throw_wrong_type(i, v, "an integer");
}

double Row::real(std::size_t i) const {
  const Value& v = columns_.at(i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<std::int64_t>(&v)) return static_cast<double>(*n);
  throw_wrong_type(i, v, "a real");
}

const std::string& Row::text(std::size_t i) const {
  const Value& v = columns_.at(i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<Bytes>(&v)) return b->data;
  throw_wrong_type(i, v, "text");
}

Result<std::unique_ptr<Database>> Database::open(const Options& options) {
  if (options.pool_size < 1) {
    return fail(ErrorKind::invalid_input,
                fmt::format("database pool size is {}; it must be at least 1", options.pool_size));
  }
  const std::string_view url = options.url;
  if (url.empty()) return open_sqlite(options.data_dir / "agora.db", options);

  // Only the scheme is ever echoed back: the rest of a URL may hold a password.
  const auto colon = url.find(':');
  const std::string_view scheme = colon == std::string_view::npos ? "" : url.substr(0, colon);
  if (!is_scheme(scheme)) {
    return fail(ErrorKind::invalid_input,
                fmt::format("database URL has no scheme; {}", kAcceptedForms));
  }
  if (scheme == "sqlite") {
    std::string_view path = url.substr(colon + 1);
    if (path.starts_with("//")) path.remove_prefix(2);  // sqlite:///abs/path and sqlite://rel
    if (path.empty() || path == ":memory:") {
      return fail(ErrorKind::invalid_input,
                  "a sqlite: database URL needs a file path, e.g. sqlite:data/agora.db (an "
                  "in-memory database cannot be shared by pooled connections)");
    }
    return open_sqlite(std::filesystem::path(path), options);
  }
  if (scheme == "postgres" || scheme == "postgresql") return open_postgres(options.url, options);
  return fail(ErrorKind::invalid_input,
              fmt::format("database URL scheme '{}' is not supported; {}", scheme, kAcceptedForms));
}

}  // namespace agora::store
