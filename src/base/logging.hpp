#pragma once
// Structured logs: one JSON object per line on stderr, e.g.
//   {"time":"2026-01-05T09:30:12.345Z","level":"info","msg":"http.access","status":200,"path":"/"}
// Messages are short event names ("http.access", "store.migrated"); details go in fields.
// Thread-safe. A call below the current level costs one atomic load and formats nothing.
//
//   namespace log = agora::base::log;
//   log::info("http.access", {{"status", 200}, {"path", request.path}});

#include "base/result.hpp"

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

namespace agora::base::log {

/// Severity, lowest first. A logger at level L writes L and everything above it.
enum class Level { trace, debug, info, warn, error };

/// Parses "trace", "debug", "info", "warn" or "error" (also "warning").
Result<Level> parse_level(std::string_view name);
/// The name parse_level accepts, as written in each line's "level" field.
std::string_view to_string(Level level) noexcept;

/// A field's value: text, a number or a boolean. Holds a view of text, not a copy, so the text
/// must outlive the log call (any temporary in the call's argument list does).
class Value {
 public:
  enum class Kind { text, signed_integer, unsigned_integer, real, boolean };

  Value(std::string_view text) noexcept : kind_(Kind::text), text_(text) {}
  Value(const char* text) noexcept : kind_(Kind::text), text_(text) {}
  Value(const std::string& text) noexcept : kind_(Kind::text), text_(text) {}
  Value(bool b) noexcept : kind_(Kind::boolean), boolean_(b) {}
  template <std::signed_integral T>
  Value(T n) noexcept : kind_(Kind::signed_integer), signed_(n) {}
  template <std::unsigned_integral T>
  Value(T n) noexcept : kind_(Kind::unsigned_integer), unsigned_(n) {}
  template <std::floating_point T>
  Value(T x) noexcept : kind_(Kind::real), real_(static_cast<double>(x)) {}

  Kind kind() const noexcept { return kind_; }
  std::string_view text() const noexcept { return text_; }
  std::int64_t signed_integer() const noexcept { return signed_; }
  std::uint64_t unsigned_integer() const noexcept { return unsigned_; }
  double real() const noexcept { return real_; }
  bool boolean() const noexcept { return boolean_; }

 private:
  Kind kind_;
  std::string_view text_;
  union {
    std::int64_t signed_ = 0;
    std::uint64_t unsigned_;
    double real_;
    bool boolean_;
  };
};

/// One key/value pair of a log line. Keys "time", "level" and "msg" are taken.
struct Field {
  std::string_view key;
  Value value;
};

/// Writes lines to stderr from `level` up. Safe to call again (e.g. once settings are loaded);
/// before any call, lines at info and up go to stderr.
void init(Level level);
/// Writes lines to `out` instead of stderr (tests). `out` must outlive every log call until
/// logging is pointed elsewhere.
void init(Level level, std::ostream& out);
/// Changes the level without changing where lines go.
void set_level(Level level) noexcept;
/// True when a line at `level` would be written; check it before computing costly fields.
bool enabled(Level level) noexcept;

/// Writes one line at `level` with message `msg` and `fields`, if the level is enabled.
void write(Level level, std::string_view msg, std::span<const Field> fields = {});
inline void write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  write(level, msg, std::span<const Field>(fields.begin(), fields.size()));
}

inline void trace(std::string_view msg, std::initializer_list<Field> fields = {}) {
  write(Level::trace, msg, fields);
}
inline void debug(std::string_view msg, std::initializer_list<Field> fields = {}) {
  write(Level::debug, msg, fields);
}
inline void info(std::string_view msg, std::initializer_list<Field> fields = {}) {
  write(Level::info, msg, fields);
}
inline void warn(std::string_view msg, std::initializer_list<Field> fields = {}) {
  write(Level::warn, msg, fields);
}
inline void error(std::string_view msg, std::initializer_list<Field> fields = {}) {
  write(Level::error, msg, fields);
}

/// Appends `text` to `out` escaped for the inside of a JSON string: quotes, backslashes and
/// control characters escaped, and each byte that is not part of well-formed UTF-8 replaced by
/// \ufffd, so the result is always valid JSON whatever bytes came in.
void append_json_string_body(std::string& out, std::string_view text);

}  // namespace agora::base::log
