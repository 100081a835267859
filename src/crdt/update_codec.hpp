#pragma once
// The two Yjs update encodings (yjs/src/utils/UpdateEncoder.js and UpdateDecoder.js). Struct and
// delete-set writers are templates over these classes, which share one set of method names, so
// one piece of code writes both v1 and v2.
//
// v1 writes everything into one lib0 stream. v2 writes a leading varUint(0) and then the
// column streams (key clocks, clients, left clocks, right clocks, infos, strings, parent infos,
// type refs, lengths) each with its own run-length scheme, then the rest stream.

#include "crdt/any.hpp"
#include "crdt/id.hpp"
#include "crdt/lib0.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace agora::crdt {

/// Writes v1 updates, delete sets and state vectors.
class UpdateEncoderV1 {
 public:
  /// The stream counts, clients and state vectors are written to directly.
  Encoder& rest() { return rest_; }
  /// The finished update.
  std::vector<std::uint8_t> to_bytes() { return rest_.take(); }

  // Delete sets.
  void reset_ds_cur_val() {}
  void write_ds_clock(Clock clock);
  void write_ds_len(std::uint64_t length);

  // Structs.
  void write_left_id(Id id);
  void write_right_id(Id id);
  /// The client of the struct block that follows (not the struct's own id).
  void write_client(ClientId client);
  void write_info(std::uint8_t info);
  void write_string(std::string_view utf8);
  /// Writes UTF-16 text as write_string writes its UTF-8 form.
  void write_string(std::u16string_view utf16);
  /// true: the parent is a root type named by a key (write_string follows); false: an item id.
  void write_parent_info(bool is_root_key);
  void write_type_ref(std::uint32_t type_ref);
  void write_len(std::uint64_t length);
  void write_any(const Any& value);
  void write_buf(std::span<const std::uint8_t> bytes);
  /// Writes a value as Yjs's writeJSON does: v1 as its JSON text (`exact`, the value when the
  /// text loses something, is not needed: v1 is JSON.stringify's text).
  void write_json(std::string_view json_text, const Any* exact = nullptr);
  void write_key(std::string_view key);

 private:
  Encoder rest_;
};

/// Writes v2 updates.
class UpdateEncoderV2 {
 public:
  UpdateEncoderV2();
  ~UpdateEncoderV2();
  UpdateEncoderV2(UpdateEncoderV2&&) noexcept;
  UpdateEncoderV2& operator=(UpdateEncoderV2&&) noexcept;

  Encoder& rest();
  std::vector<std::uint8_t> to_bytes();

  void reset_ds_cur_val();
  void write_ds_clock(Clock clock);
  void write_ds_len(std::uint64_t length);

  void write_left_id(Id id);
  void write_right_id(Id id);
  void write_client(ClientId client);
  void write_info(std::uint8_t info);
  void write_string(std::string_view utf8);
  void write_string(std::u16string_view utf16);
  void write_parent_info(bool is_root_key);
  void write_type_ref(std::uint32_t type_ref);
  void write_len(std::uint64_t length);
  void write_any(const Any& value);
  void write_buf(std::span<const std::uint8_t> bytes);
  /// v2 writes the value as an `any`: `exact` when given, else the parsed JSON text.
  void write_json(std::string_view json_text, const Any* exact = nullptr);
  void write_key(std::string_view key);

 private:
  struct Columns;
  std::unique_ptr<Columns> columns_;
};

/// Reads v1 updates. The decoder does not own the bytes; string views it returns point into them.
class UpdateDecoderV1 {
 public:
  explicit UpdateDecoderV1(std::span<const std::uint8_t> update) : rest_(update) {}

  Decoder& rest() { return rest_; }

  void reset_ds_cur_val() {}
  Clock read_ds_clock();
  std::uint64_t read_ds_len();

  Id read_left_id();
  Id read_right_id();
  ClientId read_client();
  std::uint8_t read_info();
  std::string_view read_string();
  bool read_parent_info();
  std::uint32_t read_type_ref();
  std::uint64_t read_len();
  Any read_any();
  std::span<const std::uint8_t> read_buf();
  /// The value of JSON.parse(stored text): its text as JSON.stringify prints it, which is what
  /// Yjs writes back, and the exact value where that text loses it (-0, 1e999); throws
  /// DecodeError when the text is not JSON.
  JsonValue read_json();
  std::string_view read_key();

 private:
  Decoder rest_;
};

/// Reads v2 updates. Throws DecodeError from the constructor when the column header is malformed.
/// String views it returns stay valid as long as the decoder and the input bytes live.
class UpdateDecoderV2 {
 public:
  explicit UpdateDecoderV2(std::span<const std::uint8_t> update);
  ~UpdateDecoderV2();
  UpdateDecoderV2(UpdateDecoderV2&&) noexcept;
  UpdateDecoderV2& operator=(UpdateDecoderV2&&) noexcept;

  Decoder& rest();

  void reset_ds_cur_val();
  Clock read_ds_clock();
  std::uint64_t read_ds_len();

  Id read_left_id();
  Id read_right_id();
  ClientId read_client();
  std::uint8_t read_info();
  std::string_view read_string();
  bool read_parent_info();
  std::uint32_t read_type_ref();
  std::uint64_t read_len();
  Any read_any();
  std::span<const std::uint8_t> read_buf();
  /// The value: v2 stores an `any`; its JSON text, and the value itself where that text loses it.
  JsonValue read_json();
  std::string_view read_key();

 private:
  struct Columns;
  std::unique_ptr<Columns> columns_;
};

}  // namespace agora::crdt
