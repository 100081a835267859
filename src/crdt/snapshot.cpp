#include "crdt/snapshot.hpp"

#include "crdt/readers.hpp"
#include "crdt/store.hpp"
#include "crdt/update_codec.hpp"

#include <algorithm>

namespace agora::crdt {

namespace {

// createDeleteSetFromStructStore: every client's deleted structs, touching ones joined.
DeleteSet delete_set_of(const StructStore& store) {
  DeleteSet set;
  for (const auto& [client, structs] : store.clients) {
    std::vector<DeleteRange> ranges;
    for (std::size_t i = 0; i < structs.size(); ++i) {
      if (!structs[i]->deleted()) continue;
      const Clock clock = structs[i]->id.clock;
      std::uint64_t length = structs[i]->length;
      while (i + 1 < structs.size() && structs[i + 1]->deleted()) length += structs[++i]->length;
      ranges.push_back({clock, length});
    }
    if (!ranges.empty()) set.clients[client] = std::move(ranges);
  }
  return set;
}

// writeStateVector: clients in descending order.
void write_state_vector(Encoder& encoder, const StateVector& state_vector) {
  encoder.write_var_uint(state_vector.size());
  for (auto it = state_vector.rbegin(); it != state_vector.rend(); ++it) {
    encoder.write_var_uint(it->first);
    encoder.write_var_uint(it->second);
  }
}

StateVector read_state_vector(Decoder& decoder) {
  StateVector state_vector;
  const std::uint64_t count = decoder.read_var_uint();
  if (count > decoder.remaining() / 2)
    throw DecodeError("a snapshot's state vector claims more clients than it holds");
  for (std::uint64_t i = 0; i < count; ++i) {
    const ClientId client = decoder.read_var_uint();
    const Clock clock = decoder.read_var_uint();
    if (client > kMaxSafeInteger || clock > kMaxSafeInteger)
      throw DecodeError("a snapshot's state vector names a client or clock beyond 2^53");
    state_vector[client] = clock;
  }
  return state_vector;
}

// readDeleteSet with DSDecoderV2: clocks as differences, lengths minus one.
DeleteSet read_delete_set_v2(Decoder& decoder) {
  DeleteSet set;
  const std::uint64_t client_count = decoder.read_var_uint();
  for (std::uint64_t i = 0; i < client_count; ++i) {
    const ClientId client = decoder.read_var_uint();
    const std::uint64_t count = decoder.read_var_uint();
    if (client > kMaxSafeInteger)
      throw DecodeError("a snapshot's delete set names a client beyond 2^53");
    if (count == 0) continue;
    if (count > decoder.remaining() / 2)
      throw DecodeError("a snapshot's delete set claims more ranges than it holds");
    auto& ranges = set.clients[client];
    Clock current = 0;
    for (std::uint64_t r = 0; r < count; ++r) {
      const std::uint64_t diff = decoder.read_var_uint();
      const std::uint64_t stored = decoder.read_var_uint();
      if (diff > kMaxSafeInteger - current || stored >= kMaxSafeInteger - current - diff)
        throw DecodeError("a snapshot's delete range ends beyond clock 2^53");
      const Clock clock = current + diff;
      const std::uint64_t length = stored + 1;
      current = clock + length;
      ranges.push_back({clock, length});
    }
  }
  return set;
}

// The deleted ranges of `client`, sorted and joined.
const std::vector<DeleteRange>* ranges_of(const DeleteSet& set, ClientId client) {
  return set.clients.find(client);
}

// Calls f(from, to) for each part [from, to) of `item` (offsets into it) visible at the
// snapshot: the units that existed then and were not deleted by then. Yjs splits the structs at
// these boundaries and asks each piece; the answer is the same.
template <typename F>
void for_each_visible_part(const Item& item, const Snapshot& snapshot, const DeleteSet& sorted,
                           F&& f) {
  auto state = snapshot.state_vector.find(item.id.client);
  if (state == snapshot.state_vector.end()) return;
  const Clock base = item.id.clock;
  const Clock end = std::min(item.end_clock(), state->second);
  Clock clock = base;
  if (end <= clock) return;
  if (const auto* ranges = ranges_of(sorted, item.id.client)) {
    auto range = std::upper_bound(ranges->begin(), ranges->end(), clock,
                                  [](Clock c, const DeleteRange& r) { return c < r.end(); });
    for (; range != ranges->end() && range->clock < end; ++range) {
      if (range->clock > clock) f(clock - base, range->clock - base);
      clock = std::max(clock, range->end());
    }
  }
  if (clock < end) f(clock - base, end - base);
}


}  // namespace

Snapshot snapshot(const Doc& doc) { return Snapshot{delete_set_of(doc.store()), doc.state_vector()}; }

std::vector<std::uint8_t> encode_snapshot(const Snapshot& snapshot, Format format) {
  if (format == Format::v1) {
    UpdateEncoderV1 encoder;
    snapshot.delete_set.write(encoder);
    write_state_vector(encoder.rest(), snapshot.state_vector);
    return encoder.to_bytes();
  }
  // DSEncoderV2 is the rest stream of UpdateEncoderV2 alone, without the column header.
  UpdateEncoderV2 encoder;
  snapshot.delete_set.write(encoder);
  write_state_vector(encoder.rest(), snapshot.state_vector);
  return encoder.rest().take();
}

Result<Snapshot> decode_snapshot(std::span<const std::uint8_t> bytes, Format format) {
  try {
    Snapshot snapshot;
    if (format == Format::v1) {
      UpdateDecoderV1 decoder(bytes);
      snapshot.delete_set = DeleteSet::read(decoder);
      snapshot.state_vector = read_state_vector(decoder.rest());
    } else {
      Decoder decoder(bytes);
      snapshot.delete_set = read_delete_set_v2(decoder);
      snapshot.state_vector = read_state_vector(decoder);
    }
    return snapshot;
  } catch (const DecodeError& e) {
    return Error{std::string("malformed snapshot: ") + e.what()};
  }
}

bool equal_snapshots(const Snapshot& a, const Snapshot& b) {
  if (a.state_vector != b.state_vector) return false;
  if (a.delete_set.clients.size() != b.delete_set.clients.size()) return false;
  static const std::vector<DeleteRange> kNone;
  for (const auto& [client, ranges] : a.delete_set.clients) {
    const auto* other = ranges_of(b.delete_set, client);
    if (ranges != (other == nullptr ? kNone : *other)) return false;
  }
  return true;
}

bool visible_at(const Snapshot& snapshot, Id id) {
  auto state = snapshot.state_vector.find(id.client);
  if (state == snapshot.state_vector.end() || state->second <= id.clock) return false;
  const auto* ranges = ranges_of(snapshot.delete_set, id.client);
  if (ranges == nullptr) return true;
  return std::none_of(ranges->begin(), ranges->end(), [&](const DeleteRange& r) {
    return r.clock <= id.clock && id.clock < r.end();
  });
}

std::vector<DeltaOp> text_delta_at(const Type& text, const Snapshot& snapshot) {
  DeleteSet sorted = snapshot.delete_set;
  sorted.sort_and_merge();
  DeltaBuilder delta;
  for (const Item* item = text.start(); item != nullptr; item = item->right) {
    switch (item->content.kind()) {
      case ContentKind::string: {
        const std::u16string_view units = item->content.get<StringContent>()->text;
        for_each_visible_part(*item, snapshot, sorted, [&](std::uint64_t from, std::uint64_t to) {
          // A format named "ychange" ends where visible text starts, as in Yjs's toDelta.
          delta.drop_attribute("ychange");
          delta.add_text(units.substr(from, to - from));
        });
        break;
      }
      case ContentKind::embed:
        if (visible_at(snapshot, item->id))
          delta.add_embed(item->content.get<EmbedContent>()->value());
        break;
      case ContentKind::type:
        if (visible_at(snapshot, item->id)) delta.add_type(item->content.get<TypeContent>()->type.get());
        break;
      case ContentKind::format:
        if (visible_at(snapshot, item->id)) delta.add_format(*item->content.get<FormatContent>());
        break;
      default:
        break;
    }
  }
  return delta.finish();
}

std::string text_at(const Type& text, const Snapshot& snapshot) {
  std::u16string out;
  for (const DeltaOp& op : text_delta_at(text, snapshot))
    if (const auto* run = std::get_if<std::u16string>(&op.insert)) out += *run;
  return to_utf8(out);
}

}  // namespace agora::crdt
