#include "crdt/update_codec.hpp"

#include <bit>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

namespace agora::crdt {

namespace {

constexpr std::uint64_t kUint64Max = std::numeric_limits<std::uint64_t>::max();

[[noreturn, gnu::cold, gnu::noinline]] void throw_column(const char* column, const char* what) {
  throw DecodeError(std::string("v2 update: ") + column + " column " + what);
}

[[noreturn, gnu::cold, gnu::noinline]] void throw_unsafe(std::uint64_t value, const char* what) {
  throw DecodeError(std::string(what) + " " + std::to_string(value) + " exceeds 2^53-1");
}

// Clocks, lengths and client ids are JavaScript numbers in Yjs, so nothing valid exceeds 2^53-1.
inline std::uint64_t checked_safe(std::uint64_t value, const char* what) {
  if (value > kMaxSafeInteger) [[unlikely]]
    throw_unsafe(value, what);
  return value;
}

// lib0's varInt from sign and magnitude; the UintOptRle scheme needs "-0" and magnitudes of a
// full uint64.
void write_signed(Encoder& encoder, bool negative, std::uint64_t magnitude) {
  if (!negative) {
    if (magnitude <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      encoder.write_var_int(static_cast<std::int64_t>(magnitude));
      return;
    }
  } else if (magnitude == 0) {
    encoder.write_var_int_negative_zero();
    return;
  } else if (magnitude <= (std::uint64_t{1} << 63)) {
    encoder.write_var_int(static_cast<std::int64_t>(std::uint64_t{0} - magnitude));
    return;
  }
  throw std::invalid_argument("value too large for lib0's varInt");
}

// ---------------------------------------------------------------------------------------------
// lib0 run-length encoders (encoding.js: RleEncoder, UintOptRleEncoder, IntDiffOptRleEncoder,
// StringEncoder) and their decoders.

// Values as uint8, each new value followed later by varUint(repeats - 1); the last run's count
// is never written, and the decoder repeats the last value forever.
class RleUint8Encoder {
 public:
  void write(std::uint8_t value) {
    if (last_ == value) {
      ++count_;
      return;
    }
    if (count_ > 0) out_.write_var_uint(count_ - 1);
    count_ = 1;
    out_.write_uint8(value);
    last_ = value;
  }
  std::vector<std::uint8_t> finish() { return out_.take(); }

 private:
  Encoder out_;
  std::optional<std::uint8_t> last_;
  std::uint64_t count_ = 0;
};

// A run is varInt(value) alone for one occurrence, or varInt(-value) then varUint(count - 2);
// "-0" marks a run of zeros.
class UintOptRleEncoder {
 public:
  void write(std::uint64_t value) {
    if (value == last_) {
      ++count_;
      return;
    }
    flush();
    count_ = 1;
    last_ = value;
  }
  std::vector<std::uint8_t> finish() {
    flush();
    count_ = 0;
    return out_.take();
  }

 private:
  void flush() {
    if (count_ == 0) return;
    write_signed(out_, count_ > 1, last_);
    if (count_ > 1) out_.write_var_uint(count_ - 2);
  }

  Encoder out_;
  std::uint64_t last_ = 0;
  std::uint64_t count_ = 0;
};

// Runs of equal differences: varInt(diff * 2 + has_count) then, for runs longer than one,
// varUint(count - 2).
class IntDiffOptRleEncoder {
 public:
  void write(std::uint64_t value) {
    const auto current = static_cast<std::int64_t>(value);
    if (diff_ == current - last_) {
      last_ = current;
      ++count_;
      return;
    }
    flush();
    count_ = 1;
    diff_ = current - last_;
    last_ = current;
  }
  std::vector<std::uint8_t> finish() {
    flush();
    count_ = 0;
    return out_.take();
  }

 private:
  void flush() {
    if (count_ == 0) return;
    out_.write_var_int(diff_ * 2 + (count_ == 1 ? 0 : 1));
    if (count_ > 1) out_.write_var_uint(count_ - 2);
  }

  Encoder out_;
  std::int64_t last_ = 0;
  std::int64_t diff_ = 0;
  std::uint64_t count_ = 0;
};

// All strings concatenated into one varString, followed (without a length prefix) by the
// UintOptRle column of their lengths in UTF-16 units.
class StringColumnEncoder {
 public:
  void write(std::string_view utf8) {
    joined_ += utf8;
    lengths_.write(utf16_length(utf8));
  }
  void write(std::u16string_view utf16) {
    const std::size_t at = joined_.size();
    joined_.resize(at + utf8_length(utf16));
    write_utf8(utf16, reinterpret_cast<std::uint8_t*>(joined_.data() + at));
    // Lone surrogates become one U+FFFD each, so the UTF-16 length is unchanged.
    lengths_.write(utf16.size());
  }
  std::vector<std::uint8_t> finish() {
    Encoder out;
    out.write_var_string(joined_);
    out.write_bytes(lengths_.finish());
    joined_.clear();
    return out.take();
  }

 private:
  std::string joined_;
  UintOptRleEncoder lengths_;
};

class RleUint8Decoder {
 public:
  RleUint8Decoder(std::span<const std::uint8_t> column, const char* name)
      : in_(column), name_(name) {}

  std::uint8_t read() {
    if (repeats_ > 0) {
      --repeats_;
      return value_;
    }
    if (forever_) return value_;
    if (in_.done()) throw_column(name_, "ends before the structs that use it");
    value_ = in_.read_uint8();
    if (in_.done()) {
      forever_ = true;  // the encoder never writes the last run's count
    } else {
      repeats_ = in_.read_var_uint();
    }
    return value_;
  }

 private:
  Decoder in_;
  const char* name_;
  std::uint8_t value_ = 0;
  std::uint64_t repeats_ = 0;
  bool forever_ = false;
};

class UintOptRleDecoder {
 public:
  UintOptRleDecoder(std::span<const std::uint8_t> column, const char* name)
      : in_(column), name_(name) {}

  std::uint64_t read() {
    if (repeats_ > 0) {
      --repeats_;
      return value_;
    }
    if (in_.done()) throw_column(name_, "ends before the structs that use it");
    bool negative_zero = false;
    const std::int64_t signed_value = in_.read_var_int(&negative_zero);
    if (signed_value < 0 || negative_zero) {
      // A negative sign announces a run: its length minus two follows.
      value_ = std::uint64_t{0} - static_cast<std::uint64_t>(signed_value);
      const std::uint64_t extra = in_.read_var_uint();
      repeats_ = extra == kUint64Max ? extra : extra + 1;
    } else {
      value_ = static_cast<std::uint64_t>(signed_value);
    }
    return value_;
  }

 private:
  Decoder in_;
  const char* name_;
  std::uint64_t value_ = 0;
  std::uint64_t repeats_ = 0;
};

class IntDiffOptRleDecoder {
 public:
  IntDiffOptRleDecoder(std::span<const std::uint8_t> column, const char* name)
      : in_(column), name_(name) {}

  std::uint64_t read() {
    if (repeats_ > 0) {
      --repeats_;
    } else {
      if (in_.done()) throw_column(name_, "ends before the structs that use it");
      const std::int64_t encoded = in_.read_var_int();
      diff_ = encoded >> 1;  // floor division by two, as lib0's math.floor(diff / 2)
      if ((encoded & 1) != 0) {
        const std::uint64_t extra = in_.read_var_uint();
        repeats_ = extra == kUint64Max ? extra : extra + 1;
      }
    }
    // value_ stays within [0, 2^53) and |diff_| <= 2^62, so the sum cannot overflow.
    value_ += diff_;
    // One unsigned comparison catches negative values too.
    if (static_cast<std::uint64_t>(value_) > kMaxSafeInteger) {
      throw_column(name_, "holds a clock outside 0..2^53-1");
    }
    return static_cast<std::uint64_t>(value_);
  }

 private:
  Decoder in_;
  const char* name_;
  std::int64_t value_ = 0;
  std::int64_t diff_ = 0;
  std::uint64_t repeats_ = 0;
};

// Slices the concatenated strings by lengths counted in UTF-16 units. A length may end between
// the two halves of a surrogate pair (Yjs slices JavaScript strings); each half then becomes
// U+FFFD, which is what TextEncoder would make of the lone surrogate when Yjs writes it again.
class StringColumnDecoder {
 public:
  explicit StringColumnDecoder(std::span<const std::uint8_t> column)
      : lengths_({}, "string lengths") {
    Decoder in(column);
    text_ = in.read_var_string();
    lengths_ = UintOptRleDecoder(column.subspan(in.position()), "string lengths");
    ascii_ = !has_multibyte(text_);
  }

  std::string_view read() {
    std::uint64_t units = lengths_.read();
    if (ascii_) {
      if (units > text_.size() - position_)
        throw_column("string", "is shorter than its lengths say");
      const auto slice = text_.substr(position_, static_cast<std::size_t>(units));
      position_ += static_cast<std::size_t>(units);
      return slice;
    }
    bool leading_half = false;
    bool trailing_half = false;
    if (units > 0 && inside_pair_) {
      leading_half = true;
      inside_pair_ = false;
      position_ += 4;
      --units;
    }
    // Locals, not members, in the loop: char data may alias members, which would force a
    // store and reload of the position on every byte.
    const auto* const data = reinterpret_cast<const std::uint8_t*>(text_.data());
    const std::size_t size = text_.size();
    const std::size_t start = position_;
    std::size_t position = position_;
    while (units > 0) {
      // Mostly-ASCII text: step over up to eight ASCII bytes (one unit each) at a time.
      if (size - position >= 8) {
        std::uint64_t word;
        std::memcpy(&word, data + position, 8);
        const std::uint64_t high_bits = word & 0x8080808080808080ULL;
        if (units >= 8 && high_bits == 0) {
          position += 8;
          units -= 8;
          continue;
        }
        if constexpr (std::endian::native == std::endian::little) {
          // The ASCII bytes before the first non-ASCII one, as far as this string reaches.
          const auto ascii = static_cast<std::uint64_t>(std::countr_zero(high_bits) / 8);
          if (ascii >= units) {
            position += static_cast<std::size_t>(units);
            break;
          }
          position += static_cast<std::size_t>(ascii);
          units -= ascii;
        }
      }
      if (position >= size) throw_column("string", "is shorter than its lengths say");
      const std::uint8_t lead = data[position];
      if (lead < 0x80) {
        ++position;
        --units;
      } else if (lead < 0xe0) {
        position += 2;
        --units;
      } else if (lead < 0xf0) {
        position += 3;
        --units;
      } else if (units == 1) {
        trailing_half = true;
        inside_pair_ = true;
        units = 0;
      } else {
        position += 4;
        units -= 2;
      }
    }
    position_ = position;
    const std::string_view slice = text_.substr(start, position_ - start);
    if (!leading_half && !trailing_half) return slice;
    std::string& patched = patched_.emplace_back();
    if (leading_half) patched += "\xef\xbf\xbd";
    patched += slice;
    if (trailing_half) patched += "\xef\xbf\xbd";
    return patched;
  }

 private:
  static bool has_multibyte(std::string_view text) {
    for (const char c : text) {
      if (static_cast<std::uint8_t>(c) >= 0x80) return true;
    }
    return false;
  }

  std::string_view text_;
  UintOptRleDecoder lengths_;
  std::size_t position_ = 0;
  bool ascii_ = false;
  bool inside_pair_ = false;
  // Strings that had a half surrogate replaced; a deque keeps earlier views valid.
  std::deque<std::string> patched_;
};

// JSON.parse(text), which Yjs keeps and writes back: JSON.stringify's text of it, and the value
// where that text differs from it.
JsonValue parse_json_value(std::string_view text) {
  if (text == "true" || text == "false" || text == "null") return JsonValue{std::string(text), nullptr};
  return JsonValue::of(parse_json(text));
}

}  // namespace

// -----------------------------------------------------------------------------------------------
// v1

void UpdateEncoderV1::write_ds_clock(Clock clock) {
  rest_.write_var_uint(clock);
}
void UpdateEncoderV1::write_ds_len(std::uint64_t length) {
  rest_.write_var_uint(length);
}

void UpdateEncoderV1::write_left_id(Id id) {
  rest_.write_var_uint(id.client);
  rest_.write_var_uint(id.clock);
}

void UpdateEncoderV1::write_right_id(Id id) {
  rest_.write_var_uint(id.client);
  rest_.write_var_uint(id.clock);
}

void UpdateEncoderV1::write_client(ClientId client) {
  rest_.write_var_uint(client);
}
void UpdateEncoderV1::write_info(std::uint8_t info) {
  rest_.write_uint8(info);
}
void UpdateEncoderV1::write_string(std::string_view utf8) {
  rest_.write_var_string(utf8);
}
void UpdateEncoderV1::write_string(std::u16string_view utf16) {
  rest_.write_var_string(utf16);
}
void UpdateEncoderV1::write_parent_info(bool is_root_key) {
  rest_.write_var_uint(is_root_key ? 1 : 0);
}
void UpdateEncoderV1::write_type_ref(std::uint32_t type_ref) {
  rest_.write_var_uint(type_ref);
}
void UpdateEncoderV1::write_len(std::uint64_t length) {
  rest_.write_var_uint(length);
}
void UpdateEncoderV1::write_any(const Any& value) {
  crdt::write_any(rest_, value);
}
void UpdateEncoderV1::write_buf(std::span<const std::uint8_t> bytes) {
  rest_.write_var_bytes(bytes);
}
void UpdateEncoderV1::write_json(std::string_view json_text, const Any* /*exact*/) {
  rest_.write_var_string(json_text);
}
void UpdateEncoderV1::write_key(std::string_view key) {
  rest_.write_var_string(key);
}

Clock UpdateDecoderV1::read_ds_clock() {
  return checked_safe(rest_.read_var_uint(), "delete set clock");
}
std::uint64_t UpdateDecoderV1::read_ds_len() {
  return checked_safe(rest_.read_var_uint(), "delete set length");
}

Id UpdateDecoderV1::read_left_id() {
  const ClientId client = checked_safe(rest_.read_var_uint(), "client id");
  return Id{client, checked_safe(rest_.read_var_uint(), "clock")};
}

Id UpdateDecoderV1::read_right_id() {
  return read_left_id();
}

ClientId UpdateDecoderV1::read_client() {
  return checked_safe(rest_.read_var_uint(), "client id");
}
std::uint8_t UpdateDecoderV1::read_info() {
  return rest_.read_uint8();
}
std::string_view UpdateDecoderV1::read_string() {
  return rest_.read_var_string();
}
bool UpdateDecoderV1::read_parent_info() {
  return rest_.read_var_uint() == 1;
}

std::uint32_t UpdateDecoderV1::read_type_ref() {
  const std::uint64_t type_ref = rest_.read_var_uint();
  if (type_ref > std::numeric_limits<std::uint32_t>::max()) {
    throw DecodeError("type ref " + std::to_string(type_ref) + " is out of range");
  }
  return static_cast<std::uint32_t>(type_ref);
}

std::uint64_t UpdateDecoderV1::read_len() {
  return checked_safe(rest_.read_var_uint(), "length");
}
Any UpdateDecoderV1::read_any() {
  return crdt::read_any(rest_);
}
std::span<const std::uint8_t> UpdateDecoderV1::read_buf() {
  return rest_.read_var_bytes();
}
JsonValue UpdateDecoderV1::read_json() {
  return parse_json_value(rest_.read_var_string());
}
std::string_view UpdateDecoderV1::read_key() {
  return rest_.read_var_string();
}

// -----------------------------------------------------------------------------------------------
// v2 encoder

struct UpdateEncoderV2::Columns {
  Encoder rest;
  std::uint64_t ds_current = 0;
  // Yjs never fills its key cache (the line is commented out in UpdateEncoder.js), so every key
  // is written as a new key clock plus the string.
  std::uint64_t key_clock = 0;
  IntDiffOptRleEncoder key_clocks;
  UintOptRleEncoder clients;
  IntDiffOptRleEncoder left_clocks;
  IntDiffOptRleEncoder right_clocks;
  RleUint8Encoder infos;
  StringColumnEncoder strings;
  RleUint8Encoder parent_infos;
  UintOptRleEncoder type_refs;
  UintOptRleEncoder lengths;
};

UpdateEncoderV2::UpdateEncoderV2() : columns_(std::make_unique<Columns>()) {}
UpdateEncoderV2::~UpdateEncoderV2() = default;
UpdateEncoderV2::UpdateEncoderV2(UpdateEncoderV2&&) noexcept = default;
UpdateEncoderV2& UpdateEncoderV2::operator=(UpdateEncoderV2&&) noexcept = default;

Encoder& UpdateEncoderV2::rest() {
  return columns_->rest;
}

std::vector<std::uint8_t> UpdateEncoderV2::to_bytes() {
  Columns& c = *columns_;
  Encoder out;
  out.write_var_uint(0);  // feature flag, unused by Yjs
  out.write_var_bytes(c.key_clocks.finish());
  out.write_var_bytes(c.clients.finish());
  out.write_var_bytes(c.left_clocks.finish());
  out.write_var_bytes(c.right_clocks.finish());
  out.write_var_bytes(c.infos.finish());
  out.write_var_bytes(c.strings.finish());
  out.write_var_bytes(c.parent_infos.finish());
  out.write_var_bytes(c.type_refs.finish());
  out.write_var_bytes(c.lengths.finish());
  out.write_bytes(c.rest.bytes());
  columns_ = std::make_unique<Columns>();
  return out.take();
}

void UpdateEncoderV2::reset_ds_cur_val() {
  columns_->ds_current = 0;
}

void UpdateEncoderV2::write_ds_clock(Clock clock) {
  if (clock < columns_->ds_current) {
    throw std::invalid_argument("delete set ranges must be sorted and disjoint");
  }
  columns_->rest.write_var_uint(clock - columns_->ds_current);
  columns_->ds_current = clock;
}

void UpdateEncoderV2::write_ds_len(std::uint64_t length) {
  if (length == 0) throw std::invalid_argument("delete set range of length 0");
  columns_->rest.write_var_uint(length - 1);
  columns_->ds_current += length;
}

void UpdateEncoderV2::write_left_id(Id id) {
  columns_->clients.write(id.client);
  columns_->left_clocks.write(id.clock);
}

void UpdateEncoderV2::write_right_id(Id id) {
  columns_->clients.write(id.client);
  columns_->right_clocks.write(id.clock);
}

void UpdateEncoderV2::write_client(ClientId client) {
  columns_->clients.write(client);
}
void UpdateEncoderV2::write_info(std::uint8_t info) {
  columns_->infos.write(info);
}
void UpdateEncoderV2::write_string(std::string_view utf8) {
  columns_->strings.write(utf8);
}
void UpdateEncoderV2::write_string(std::u16string_view utf16) {
  columns_->strings.write(utf16);
}
void UpdateEncoderV2::write_parent_info(bool is_root_key) {
  columns_->parent_infos.write(is_root_key ? 1 : 0);
}
void UpdateEncoderV2::write_type_ref(std::uint32_t type_ref) {
  columns_->type_refs.write(type_ref);
}
void UpdateEncoderV2::write_len(std::uint64_t length) {
  columns_->lengths.write(length);
}
void UpdateEncoderV2::write_any(const Any& value) {
  crdt::write_any(columns_->rest, value);
}
void UpdateEncoderV2::write_buf(std::span<const std::uint8_t> bytes) {
  columns_->rest.write_var_bytes(bytes);
}
void UpdateEncoderV2::write_json(std::string_view json_text, const Any* exact) {
  if (exact != nullptr) {
    crdt::write_any(columns_->rest, *exact);
  } else {
    crdt::write_any(columns_->rest, parse_json(json_text));
  }
}

void UpdateEncoderV2::write_key(std::string_view key) {
  columns_->key_clocks.write(columns_->key_clock++);
  columns_->strings.write(key);
}

// -----------------------------------------------------------------------------------------------
// v2 decoder

struct UpdateDecoderV2::Columns {
  // Reads the feature flag and the nine length-prefixed columns; `rest` then sits at the rest.
  explicit Columns(std::span<const std::uint8_t> update)
      : rest(update),
        feature_flag(rest.read_var_uint()),
        key_clocks(rest.read_var_bytes(), "key clock"),
        clients(rest.read_var_bytes(), "client"),
        left_clocks(rest.read_var_bytes(), "left clock"),
        right_clocks(rest.read_var_bytes(), "right clock"),
        infos(rest.read_var_bytes(), "info"),
        strings(rest.read_var_bytes()),
        parent_infos(rest.read_var_bytes(), "parent info"),
        type_refs(rest.read_var_bytes(), "type ref"),
        lengths(rest.read_var_bytes(), "length") {}

  Decoder rest;
  std::uint64_t feature_flag;
  IntDiffOptRleDecoder key_clocks;
  UintOptRleDecoder clients;
  IntDiffOptRleDecoder left_clocks;
  IntDiffOptRleDecoder right_clocks;
  RleUint8Decoder infos;
  StringColumnDecoder strings;
  RleUint8Decoder parent_infos;
  UintOptRleDecoder type_refs;
  UintOptRleDecoder lengths;
  std::uint64_t ds_current = 0;
  // Keys read so far, indexed by the key clock that first introduced them (UpdateDecoderV2.keys).
  std::vector<std::string_view> keys;
};

UpdateDecoderV2::UpdateDecoderV2(std::span<const std::uint8_t> update)
    : columns_(std::make_unique<Columns>(update)) {}
UpdateDecoderV2::~UpdateDecoderV2() = default;
UpdateDecoderV2::UpdateDecoderV2(UpdateDecoderV2&&) noexcept = default;
UpdateDecoderV2& UpdateDecoderV2::operator=(UpdateDecoderV2&&) noexcept = default;

Decoder& UpdateDecoderV2::rest() {
  return columns_->rest;
}

void UpdateDecoderV2::reset_ds_cur_val() {
  columns_->ds_current = 0;
}

Clock UpdateDecoderV2::read_ds_clock() {
  const std::uint64_t diff = columns_->rest.read_var_uint();
  if (diff > kMaxSafeInteger - columns_->ds_current) {
    throw DecodeError("delete set clock exceeds 2^53-1");
  }
  columns_->ds_current += diff;
  return columns_->ds_current;
}

std::uint64_t UpdateDecoderV2::read_ds_len() {
  const std::uint64_t stored = columns_->rest.read_var_uint();
  if (stored >= kMaxSafeInteger - columns_->ds_current) {
    throw DecodeError("delete set range ends past 2^53-1");
  }
  const std::uint64_t length = stored + 1;
  columns_->ds_current += length;
  return length;
}

Id UpdateDecoderV2::read_left_id() {
  const ClientId client = checked_safe(columns_->clients.read(), "client id");
  return Id{client, columns_->left_clocks.read()};
}

Id UpdateDecoderV2::read_right_id() {
  const ClientId client = checked_safe(columns_->clients.read(), "client id");
  return Id{client, columns_->right_clocks.read()};
}

ClientId UpdateDecoderV2::read_client() {
  return checked_safe(columns_->clients.read(), "client id");
}
std::uint8_t UpdateDecoderV2::read_info() {
  return columns_->infos.read();
}
std::string_view UpdateDecoderV2::read_string() {
  return columns_->strings.read();
}
bool UpdateDecoderV2::read_parent_info() {
  return columns_->parent_infos.read() == 1;
}

std::uint32_t UpdateDecoderV2::read_type_ref() {
  const std::uint64_t type_ref = columns_->type_refs.read();
  if (type_ref > std::numeric_limits<std::uint32_t>::max()) {
    throw DecodeError("type ref " + std::to_string(type_ref) + " is out of range");
  }
  return static_cast<std::uint32_t>(type_ref);
}

std::uint64_t UpdateDecoderV2::read_len() {
  return checked_safe(columns_->lengths.read(), "length");
}
Any UpdateDecoderV2::read_any() {
  return crdt::read_any(columns_->rest);
}
std::span<const std::uint8_t> UpdateDecoderV2::read_buf() {
  return columns_->rest.read_var_bytes();
}
JsonValue UpdateDecoderV2::read_json() {
  // Format values are nearly always true or null; print those without building an Any.
  Decoder& rest = columns_->rest;
  if (!rest.done()) {
    Decoder probe = rest;
    switch (probe.read_uint8()) {
      case 120:
        rest.read_uint8();
        return JsonValue{"true", nullptr};
      case 121:
        rest.read_uint8();
        return JsonValue{"false", nullptr};
      case 126:
        rest.read_uint8();
        return JsonValue{"null", nullptr};
      default:
        break;
    }
  }
  return JsonValue::of(crdt::read_any(rest));
}

std::string_view UpdateDecoderV2::read_key() {
  Columns& c = *columns_;
  const std::uint64_t key_clock = c.key_clocks.read();
  if (key_clock < c.keys.size()) return c.keys[key_clock];
  const std::string_view key = c.strings.read();
  c.keys.push_back(key);
  return key;
}

}  // namespace agora::crdt
