#include "base/logging.hpp"

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cmath>
#include <memory>

namespace agora::base::log {

namespace {

spdlog::level::level_enum to_spdlog(Level level) noexcept {
  switch (level) {
    case Level::trace:
      return spdlog::level::trace;
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

// spdlog adds the timestamp (cached per second, so cheap) and the newline; the rest of the
// object is built by write(). UTC so lines from every node sort together.
std::unique_ptr<spdlog::formatter> line_formatter() {
  return std::make_unique<spdlog::pattern_formatter>(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ",%v})",
                                                     spdlog::pattern_time_type::utc, "\n");
}

// One logger for the process whose destination can be swapped while other threads log: the
// dist_sink holds a mutex around its list of sinks and around each write, so the inner sinks
// need no lock of their own.
struct Logging {
  std::shared_ptr<spdlog::sinks::dist_sink_mt> destination;
  std::shared_ptr<spdlog::logger> logger;

  Logging() : destination(std::make_shared<spdlog::sinks::dist_sink_mt>()) {
    point_at(std::make_shared<spdlog::sinks::stderr_sink_st>());
    logger = std::make_shared<spdlog::logger>("agora", destination);
    logger->set_level(spdlog::level::info);
  }

  // Both sinks used here flush after every line, so a crash loses no line that explains it.
  void point_at(std::shared_ptr<spdlog::sinks::sink> sink) {
    sink->set_formatter(line_formatter());
    destination->set_sinks({std::move(sink)});
  }
};

Logging& logging() {
  static Logging instance;
  return instance;
}

void append_value(std::string& out, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::text:
      out += '"';
      append_json_string_body(out, value.text());
      out += '"';
      return;
    case Value::Kind::signed_integer:
      fmt::format_to(std::back_inserter(out), "{}", value.signed_integer());
      return;
    case Value::Kind::unsigned_integer:
      fmt::format_to(std::back_inserter(out), "{}", value.unsigned_integer());
      return;
    case Value::Kind::real:
      // JSON has no NaN or infinity.
      if (std::isfinite(value.real())) {
        fmt::format_to(std::back_inserter(out), "{}", value.real());
      } else {
        out += "null";
      }
      return;
    case Value::Kind::boolean:
      out += value.boolean() ? "true" : "false";
      return;
  }
}

// Length of the well-formed UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 when the
// bytes there are not one (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  auto byte = [&](std::size_t k) -> unsigned { return static_cast<unsigned char>(s[k]); };
  const unsigned lead = byte(i);
  std::size_t length = 0;
  unsigned second_low = 0x80, second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  if (byte(i + 1) < second_low || byte(i + 1) > second_high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

Result<Level> parse_level(std::string_view name) {
  if (name == "trace") return Level::trace;
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn" || name == "warning") return Level::warn;
  if (name == "error") return Level::error;
  return fail(ErrorKind::invalid_input, "expected one of trace, debug, info, warn, error");
}

std::string_view to_string(Level level) noexcept {
  switch (level) {
    case Level::trace:
      return "trace";
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

void init(Level level) {
  Logging& state = logging();
  state.point_at(std::make_shared<spdlog::sinks::stderr_sink_st>());
  state.logger->set_level(to_spdlog(level));
}

void init(Level level, std::ostream& out) {
  Logging& state = logging();
  state.point_at(std::make_shared<spdlog::sinks::ostream_sink_st>(out, /*force_flush=*/true));
  state.logger->set_level(to_spdlog(level));
}

void set_level(Level level) noexcept {
  logging().logger->set_level(to_spdlog(level));
}

bool enabled(Level level) noexcept {
  return logging().logger->should_log(to_spdlog(level));
}

void write(Level level, std::string_view msg, std::span<const Field> fields) {
  Logging& state = logging();
  const auto spd_level = to_spdlog(level);
  if (!state.logger->should_log(spd_level)) return;

  // One buffer per thread, reused: the access log runs on every request, and after the first
  // few lines this allocates nothing.
  thread_local std::string line;
  line.clear();
  line += R"("level":")";
  line += to_string(level);
  line += R"(","msg":")";
  append_json_string_body(line, msg);
  line += '"';
  for (const Field& field : fields) {
    line += ",\"";
    append_json_string_body(line, field.key);
    line += "\":";
    append_value(line, field.value);
  }
  state.logger->log(spd_level, spdlog::string_view_t(line.data(), line.size()));
}

void append_json_string_body(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t i = 0;
  while (i < text.size()) {
    // Copy the longest run of bytes that need no attention in one go.
    std::size_t run = i;
    while (run < text.size()) {
      const auto c = static_cast<unsigned char>(text[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++run;
    }
    out.append(text.data() + i, run - i);
    i = run;
    if (i == text.size()) break;

    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (const std::size_t length = utf8_sequence_length(text, i); length > 0) {
        out.append(text.data() + i, length);
        i += length;
      } else {
        out += "\\ufffd";
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    ++i;
  }
}

}  // namespace agora::base::log
