#include "collab/protocol.hpp"

#include "crdt/error.hpp"
#include "crdt/lib0.hpp"

#include <fmt/format.h>

namespace agora::collab {

namespace {

std::string to_string(crdt::Encoder& encoder) {
  auto bytes = encoder.bytes();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Starts a frame: the document name for Hocuspocus, then the message type.
crdt::Encoder start_frame(Flavour flavour, std::string_view document, MessageType type,
                          std::size_t payload_size) {
  crdt::Encoder encoder;
  encoder.reserve(document.size() + payload_size + 16);
  if (flavour == Flavour::hocuspocus) encoder.write_var_string(document);
  encoder.write_var_uint(static_cast<std::uint64_t>(type));
  return encoder;
}

std::string sync_frame(Flavour flavour, std::string_view document, MessageType type,
                       SyncStep step, std::span<const std::uint8_t> payload) {
  crdt::Encoder encoder = start_frame(flavour, document, type, payload.size());
  encoder.write_var_uint(static_cast<std::uint64_t>(step));
  encoder.write_var_bytes(payload);
  return to_string(encoder);
}

std::string_view as_text(std::string_view s) { return s; }

}  // namespace

bool is_pong(std::span<const std::uint8_t> frame) {
  return frame.size() == 1 && frame[0] == static_cast<std::uint8_t>(MessageType::pong);
}

Result<Incoming> parse_frame(std::span<const std::uint8_t> frame, Flavour flavour) {
  Incoming in;
  try {
    crdt::Decoder decoder(frame);
    if (flavour == Flavour::hocuspocus) in.document = std::string(decoder.read_var_string());
    const std::uint64_t type = decoder.read_var_uint();
    in.type = static_cast<MessageType>(type);
    switch (in.type) {
      case MessageType::sync:
      case MessageType::sync_reply: {
        const std::uint64_t step = decoder.read_var_uint();
        if (step > 2) {
          return fail(ErrorKind::invalid_input, fmt::format("unknown sync message type {}", step));
        }
        in.step = static_cast<SyncStep>(step);
        in.payload = decoder.read_var_bytes();
        break;
      }
      case MessageType::awareness:
        in.payload = decoder.read_var_bytes();
        break;
      case MessageType::auth: {
        const std::uint64_t kind = decoder.read_var_uint();
        if (kind != 0) {
          return fail(ErrorKind::invalid_input,
                      fmt::format("clients may only send a token in an auth message, not kind {}", kind));
        }
        // y-websocket clients never send one; Hocuspocus sends its token.
        in.text = std::string(decoder.read_var_string());
        break;
      }
      case MessageType::query_awareness:
        break;
      case MessageType::stateless:
      case MessageType::close:
        if (!decoder.done()) in.text = std::string(decoder.read_var_string());
        break;
      default:
        return fail(ErrorKind::invalid_input, fmt::format("unknown message type {}", type));
    }
    if (flavour == Flavour::y_websocket && in.type > MessageType::query_awareness) {
      return fail(ErrorKind::invalid_input,
                  fmt::format("message type {} is not part of the y-websocket protocol", type));
    }
  } catch (const crdt::DecodeError& e) {
    return fail(ErrorKind::invalid_input, fmt::format("malformed message: {}", e.what()));
  }
  return in;
}

std::string sync_step1_frame(Flavour flavour, std::string_view document,
                             std::span<const std::uint8_t> state_vector) {
  return sync_frame(flavour, document, MessageType::sync, SyncStep::step1, state_vector);
}

std::string sync_step2_frame(Flavour flavour, std::string_view document,
                             std::span<const std::uint8_t> update) {
  return sync_frame(flavour, document, MessageType::sync, SyncStep::step2, update);
}

std::string sync_update_frame(Flavour flavour, std::string_view document,
                              std::span<const std::uint8_t> update) {
  return sync_frame(flavour, document, MessageType::sync, SyncStep::update, update);
}

std::string awareness_frame(Flavour flavour, std::string_view document,
                            std::span<const std::uint8_t> awareness_update) {
  crdt::Encoder encoder =
      start_frame(flavour, document, MessageType::awareness, awareness_update.size());
  encoder.write_var_bytes(awareness_update);
  return to_string(encoder);
}

std::string permission_denied_frame(Flavour flavour, std::string_view document,
                                    std::string_view reason) {
  crdt::Encoder encoder = start_frame(flavour, document, MessageType::auth, reason.size());
  // y-protocols/auth and Hocuspocus number "permission denied" differently.
  encoder.write_var_uint(flavour == Flavour::hocuspocus ? 1 : 0);
  encoder.write_var_string(as_text(reason));
  return to_string(encoder);
}

std::string authenticated_frame(std::string_view document, bool read_only) {
  crdt::Encoder encoder = start_frame(Flavour::hocuspocus, document, MessageType::auth, 16);
  encoder.write_var_uint(2);
  encoder.write_var_string(as_text(read_only ? "readonly" : "read-write"));
  return to_string(encoder);
}

std::string sync_status_frame(std::string_view document, bool applied) {
  crdt::Encoder encoder = start_frame(Flavour::hocuspocus, document, MessageType::sync_status, 1);
  encoder.write_var_int(applied ? 1 : 0);
  return to_string(encoder);
}

std::string close_frame(std::string_view document, std::string_view reason) {
  crdt::Encoder encoder = start_frame(Flavour::hocuspocus, document, MessageType::close, reason.size());
  encoder.write_var_string(as_text(reason));
  return to_string(encoder);
}

std::string ping_frame() { return std::string(1, static_cast<char>(MessageType::ping)); }

}  // namespace agora::collab
