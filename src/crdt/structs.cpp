#include "crdt/structs.hpp"

#include "crdt/update_codec.hpp"

namespace agora::crdt {

std::string describe(Id id) {
  return "(" + std::to_string(id.client) + ", " + std::to_string(id.clock) + ")";
}

void check_own_reference(Id id, Id ref, const char* what) {
  if (ref.client == id.client && ref.clock >= id.clock)
    throw DecodeError("item " + describe(id) + " names its own client's later unit " +
                      describe(ref) + " as its " + what);
  if (ref.client > kMaxSafeInteger || ref.clock > kMaxSafeInteger)
    throw DecodeError("item " + describe(id) + " names " + what + " " + describe(ref) +
                      ", beyond 2^53");
}

template <typename Encoder>
void DecodedStruct::write(Encoder& encoder, std::uint64_t offset) const {
  if (kind == StructKind::gc) {
    encoder.write_info(kGcRef);
    encoder.write_len(length - offset);
    return;
  }
  if (kind == StructKind::skip) {
    encoder.write_info(kSkipRef);
    encoder.rest().write_var_uint(length - offset);
    return;
  }
  const bool write_origin = offset > 0 || has_origin;
  const Id first_origin = offset > 0 ? Id{id.client, id.clock + offset - 1} : origin;
  const std::uint8_t info = static_cast<std::uint8_t>(
      (static_cast<std::uint8_t>(content.kind()) & kContentMask) |
      (write_origin ? kOriginBit : 0) | (has_right_origin ? kRightOriginBit : 0) |
      (has_parent_sub ? kParentSubBit : 0));
  encoder.write_info(info);
  if (write_origin) encoder.write_left_id(first_origin);
  if (has_right_origin) encoder.write_right_id(right_origin);
  if (!write_origin && !has_right_origin) {
    if (parent.kind == ParentRef::Kind::root) {
      encoder.write_parent_info(true);
      encoder.write_string(parent.root);
    } else {
      encoder.write_parent_info(false);
      encoder.write_left_id(parent.item);
    }
    if (has_parent_sub) encoder.write_string(parent_sub);
  }
  content.write(encoder, offset);
}

template <typename Decoder>
std::vector<ClientStructs> read_client_structs(Decoder& decoder, std::uint64_t max_structs) {
  std::vector<ClientStructs> clients;
  read_client_structs_into(decoder, max_structs, clients);
  return clients;
}

template <typename Decoder>
void read_client_structs_into(Decoder& decoder, std::uint64_t max_structs,
                              std::vector<ClientStructs>& clients) {
  std::uint64_t total_structs = 0;
  std::size_t used_blocks = 0;
  const std::uint64_t client_count = decoder.rest().read_var_uint();
  // Every client block takes at least three bytes of the rest stream.
  if (client_count > decoder.rest().remaining())
    throw DecodeError("the update claims " + std::to_string(client_count) +
                      " clients but is too short to hold them");
  if (client_count < clients.size()) clients.resize(client_count);
  clients.reserve(client_count);
  for (std::uint64_t c = 0; c < client_count; ++c) {
    const std::uint64_t struct_count = decoder.rest().read_var_uint();
    const ClientId client = decoder.read_client();
    Clock clock = decoder.rest().read_var_uint();
    if (client > kMaxSafeInteger)
      throw DecodeError("client id " + std::to_string(client) + " is beyond 2^53");
    if (clock > kMaxSafeInteger)
      throw DecodeError("client " + std::to_string(client) + " starts at clock " +
                        std::to_string(clock) + ", beyond 2^53");
    ClientStructs& block =
        used_blocks < clients.size() ? clients[used_blocks] : clients.emplace_back();
    ++used_blocks;
    block.client = client;
    block.structs.clear();
    // Reserve only what the bytes could hold; a lying count fails on the first missing byte.
    block.structs.reserve(std::min<std::uint64_t>(struct_count, decoder.rest().remaining() + 1024));
    for (std::uint64_t i = 0; i < struct_count; ++i) {
      if (++total_structs > max_structs)
        throw DecodeError("the update claims more structs than its size allows (" +
                          std::to_string(max_structs) + ")");
      const std::uint8_t info = decoder.read_info();
      const std::uint8_t ref = info & kContentMask;
      DecodedStruct& s = block.structs.emplace_back();
      s.id = {client, clock};
      if (ref == kGcRef) {
        s.kind = StructKind::gc;
        s.length = decoder.read_len();
      } else if (ref == kSkipRef) {
        s.kind = StructKind::skip;
        s.length = decoder.rest().read_var_uint();
      } else if (ref > kSkipRef) {
        throw DecodeError("struct " + describe(s.id) + " has unknown content kind " +
                          std::to_string(ref));
      } else {
        s.kind = StructKind::item;
        s.has_origin = info & kOriginBit;
        s.has_right_origin = info & kRightOriginBit;
        if (s.has_origin) {
          s.origin = decoder.read_left_id();
          check_own_reference(s.id, s.origin, "origin");
        }
        if (s.has_right_origin) {
          s.right_origin = decoder.read_right_id();
          check_own_reference(s.id, s.right_origin, "right origin");
        }
        if (!s.has_origin && !s.has_right_origin) {
          if (decoder.read_parent_info()) {
            s.parent.kind = ParentRef::Kind::root;
            s.parent.root = std::string(decoder.read_string());
          } else {
            s.parent.kind = ParentRef::Kind::item;
            s.parent.item = decoder.read_left_id();
            check_own_reference(s.id, s.parent.item, "parent");
          }
          if (info & kParentSubBit) {
            s.has_parent_sub = true;
            s.parent_sub = std::string(decoder.read_string());
          }
        }
        Content::read_into(decoder, ref, s.content);
        s.length = s.content.length();
      }
      if (s.length == 0)
        throw DecodeError("struct " + describe(s.id) + " has length 0");
      if (s.length > kMaxSafeInteger - clock)
        throw DecodeError("struct " + describe(s.id) + " of length " + std::to_string(s.length) +
                          " ends beyond clock 2^53");
      clock += s.length;
    }
  }
}

template <typename Decoder>
DecodedUpdate read_update(Decoder& decoder, std::size_t update_size) {
  DecodedUpdate update;
  read_update_into(decoder, update_size, update);
  return update;
}

template <typename Decoder>
void read_update_into(Decoder& decoder, std::size_t update_size, DecodedUpdate& update) {
  read_client_structs_into(decoder, max_structs_for(update_size), update.clients);
  update.delete_set = DeleteSet::read(decoder);
}

template <typename Encoder>
void write_client_structs(Encoder& encoder, ClientId client,
                          const std::vector<DecodedStruct>& structs, Clock clock) {
  // Find the struct holding `clock` (structs are in clock order with no gaps).
  std::size_t first = 0;
  while (first + 1 < structs.size() && structs[first].end_clock() <= clock) ++first;
  clock = std::max(clock, structs[first].id.clock);
  encoder.rest().write_var_uint(structs.size() - first);
  encoder.write_client(client);
  encoder.rest().write_var_uint(clock);
  structs[first].write(encoder, clock - structs[first].id.clock);
  for (std::size_t i = first + 1; i < structs.size(); ++i) structs[i].write(encoder, 0);
}

template void DecodedStruct::write(UpdateEncoderV1&, std::uint64_t) const;
template void DecodedStruct::write(UpdateEncoderV2&, std::uint64_t) const;
template std::vector<ClientStructs> read_client_structs(UpdateDecoderV1&, std::uint64_t);
template std::vector<ClientStructs> read_client_structs(UpdateDecoderV2&, std::uint64_t);
template void read_client_structs_into(UpdateDecoderV1&, std::uint64_t,
                                       std::vector<ClientStructs>&);
template void read_client_structs_into(UpdateDecoderV2&, std::uint64_t,
                                       std::vector<ClientStructs>&);
template DecodedUpdate read_update(UpdateDecoderV1&, std::size_t);
template DecodedUpdate read_update(UpdateDecoderV2&, std::size_t);
template void read_update_into(UpdateDecoderV1&, std::size_t, DecodedUpdate&);
template void read_update_into(UpdateDecoderV2&, std::size_t, DecodedUpdate&);
template void write_client_structs(UpdateEncoderV1&, ClientId, const std::vector<DecodedStruct>&,
                                   Clock);
template void write_client_structs(UpdateEncoderV2&, ClientId, const std::vector<DecodedStruct>&,
                                   Clock);

}  // namespace agora::crdt
