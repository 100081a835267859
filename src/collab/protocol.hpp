#pragma once
// The two wire protocols Yjs clients speak (../shared/notes/yjs.md "Protocol details"):
// y-websocket, one document per socket, frames `varUint(type) payload`; and Hocuspocus, several
// documents per socket, frames `varString(document) varUint(type) payload`. The message types
// they share have the same numbers, so one parser and one set of writers serve both.

#include "base/result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace agora::collab {

/// Which protocol a socket speaks.
enum class Flavour { y_websocket, hocuspocus };

/// Message types; 4 and up are Hocuspocus only.
enum class MessageType : std::uint64_t {
  sync = 0,
  awareness = 1,
  auth = 2,
  query_awareness = 3,
  sync_reply = 4,  // a sync message the receiver must not answer with its own step 1
  stateless = 5,
  close = 7,
  sync_status = 8,
  ping = 9,
  pong = 10,
};

/// The three sync messages of y-protocols/sync.
enum class SyncStep : std::uint64_t { step1 = 0, step2 = 1, update = 2 };

/// One decoded incoming frame. Spans point into the frame, which must outlive this.
struct Incoming {
  std::string document;  // Hocuspocus: the document the frame is about; y-websocket: empty
  MessageType type = MessageType::sync;
  SyncStep step = SyncStep::step1;        // sync and sync_reply
  std::span<const std::uint8_t> payload;  // sync: state vector or update; awareness: its update
  std::string text;                       // auth: the token; stateless: the payload; close: reason
};

/// Decodes one frame. invalid_input naming what was wrong for truncated frames, unknown types,
/// and Hocuspocus frames of a bare ping or pong (handle those before calling, see is_pong).
Result<Incoming> parse_frame(std::span<const std::uint8_t> frame, Flavour flavour);

/// True for the Hocuspocus connection-level pong: a single byte with no document name.
bool is_pong(std::span<const std::uint8_t> frame);

/// Builders of outgoing frames. `document` is ignored for y-websocket.
std::string sync_step1_frame(Flavour flavour, std::string_view document,
                             std::span<const std::uint8_t> state_vector);
std::string sync_step2_frame(Flavour flavour, std::string_view document,
                             std::span<const std::uint8_t> update);
std::string sync_update_frame(Flavour flavour, std::string_view document,
                              std::span<const std::uint8_t> update);
std::string awareness_frame(Flavour flavour, std::string_view document,
                            std::span<const std::uint8_t> awareness_update);
/// y-websocket's and Hocuspocus's "permission denied" auth message with `reason`.
std::string permission_denied_frame(Flavour flavour, std::string_view document,
                                    std::string_view reason);
/// Hocuspocus: the document is open, read-write or read-only.
std::string authenticated_frame(std::string_view document, bool read_only);
/// Hocuspocus: whether the client's last update was applied (and is durable).
std::string sync_status_frame(std::string_view document, bool applied);
/// Hocuspocus: the server closes one document of the socket, saying why.
std::string close_frame(std::string_view document, std::string_view reason);
/// Hocuspocus: the connection-level ping (a single byte).
std::string ping_frame();

}  // namespace agora::collab
