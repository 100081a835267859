#include "crdt/relative_position.hpp"

#include "crdt/any.hpp"
#include "crdt/doc.hpp"
#include "crdt/lib0.hpp"
#include "crdt/store.hpp"

#include <stdexcept>

namespace agora::crdt {

namespace {

// The kinds writeRelativePosition writes first.
enum class PositionKind : std::uint8_t { item = 0, root_name = 1, type = 2 };

Id read_id(Decoder& decoder) {
  const ClientId client = decoder.read_var_uint();
  const Clock clock = decoder.read_var_uint();
  if (client > kMaxSafeInteger || clock > kMaxSafeInteger)
    throw DecodeError("a relative position names an id beyond 2^53");
  return {client, clock};
}

void write_id(Encoder& encoder, Id id) {
  encoder.write_var_uint(id.client);
  encoder.write_var_uint(id.clock);
}

std::string id_json(Id id) {
  return "{\"client\":" + std::to_string(id.client) + ",\"clock\":" + std::to_string(id.clock) + '}';
}

// A JSON number that is an id part: a safe non-negative integer.
std::optional<std::uint64_t> id_part(const Any& value) {
  const auto* number = std::get_if<double>(&value.value);
  if (number == nullptr || *number < 0 || *number > static_cast<double>(kMaxSafeInteger) ||
      *number != static_cast<double>(static_cast<std::uint64_t>(*number)))
    return std::nullopt;
  return static_cast<std::uint64_t>(*number);
}

const Any* member(const Any& object, std::string_view key) {
  const auto* entries = std::get_if<Any::Object>(&object.value);
  if (entries == nullptr) return nullptr;
  for (const auto& [k, v] : *entries)
    if (k == key) return &v;
  return nullptr;
}

// `json.type == null ? null : createID(json.type.client, json.type.clock)`.
Result<std::optional<Id>> id_member(const Any& json, std::string_view key) {
  const Any* value = member(json, key);
  if (value == nullptr || std::holds_alternative<std::nullptr_t>(value->value) ||
      std::holds_alternative<Any::Undefined>(value->value))
    return std::optional<Id>();
  const Any* client = member(*value, "client");
  const Any* clock = member(*value, "clock");
  const auto client_id = client == nullptr ? std::nullopt : id_part(*client);
  const auto clock_id = clock == nullptr ? std::nullopt : id_part(*clock);
  if (!client_id || !clock_id)
    return Error{"relative position field '" + std::string(key) +
                 "' needs integer client and clock"};
  return std::optional<Id>(Id{*client_id, *clock_id});
}

}  // namespace

RelativePosition relative_position_from_index(const Type& type, std::uint64_t index,
                                              std::int64_t assoc) {
  RelativePosition position;
  position.assoc = assoc;
  if (type.item() == nullptr) {
    position.root_name = type.root_name();
  } else {
    position.type = type.item()->id;
  }
  if (assoc < 0) {
    // Sticks to the unit before the index; the start of the type has none.
    if (index == 0) return position;
    --index;
  }
  for (const Item* item = type.start(); item != nullptr; item = item->right) {
    if (!item->deleted() && item->countable()) {
      if (item->length > index) {
        position.item = Id{item->id.client, item->id.clock + index};
        return position;
      }
      index -= item->length;
    }
    if (item->right == nullptr && assoc < 0) {
      position.item = item->last_id();
      return position;
    }
  }
  return position;
}

std::vector<std::uint8_t> encode_relative_position(const RelativePosition& position) {
  Encoder encoder;
  if (position.item) {
    encoder.write_var_uint(static_cast<std::uint8_t>(PositionKind::item));
    write_id(encoder, *position.item);
  } else if (position.root_name) {
    encoder.write_uint8(static_cast<std::uint8_t>(PositionKind::root_name));
    encoder.write_var_string(*position.root_name);
  } else if (position.type) {
    encoder.write_uint8(static_cast<std::uint8_t>(PositionKind::type));
    write_id(encoder, *position.type);
  } else {
    throw std::invalid_argument("a relative position needs an item, a root name or a type");
  }
  encoder.write_var_int(position.assoc);
  return encoder.take();
}

Result<RelativePosition> decode_relative_position(std::span<const std::uint8_t> bytes) {
  try {
    Decoder decoder(bytes);
    RelativePosition position;
    const std::uint64_t kind = decoder.read_var_uint();
    switch (kind) {
      case static_cast<std::uint8_t>(PositionKind::item):
        position.item = read_id(decoder);
        break;
      case static_cast<std::uint8_t>(PositionKind::root_name):
        position.root_name = std::string(decoder.read_var_string());
        break;
      case static_cast<std::uint8_t>(PositionKind::type):
        position.type = read_id(decoder);
        break;
      default:
        return Error{"relative position of unknown kind " + std::to_string(kind)};
    }
    // Older encoders wrote no assoc.
    if (!decoder.done()) position.assoc = decoder.read_var_int();
    return position;
  } catch (const DecodeError& e) {
    return Error{std::string("malformed relative position: ") + e.what()};
  }
}

std::string relative_position_to_json(const RelativePosition& position) {
  std::string json = "{";
  auto add = [&](std::string_view key, const std::string& value) {
    if (json.size() > 1) json += ',';
    json += '"';
    json += key;
    json += "\":";
    json += value;
  };
  if (position.type) add("type", id_json(*position.type));
  // JavaScript skips an empty name, which is falsy.
  if (position.root_name && !position.root_name->empty())
    add("tname", to_json(Any{*position.root_name}));
  if (position.item) add("item", id_json(*position.item));
  add("assoc", std::to_string(position.assoc));
  return json + '}';
}

Result<RelativePosition> relative_position_from_json(std::string_view text) {
  Any json;
  try {
    json = parse_json(text);
  } catch (const DecodeError& e) {
    return Error{std::string("relative position is not JSON: ") + e.what()};
  }
  if (!std::holds_alternative<Any::Object>(json.value))
    return Error{"relative position JSON must be an object"};
  RelativePosition position;
  auto type = id_member(json, "type");
  if (!type) return type.error();
  position.type = *type;
  auto item = id_member(json, "item");
  if (!item) return item.error();
  position.item = *item;
  if (const Any* name = member(json, "tname")) {
    if (const auto* text_name = std::get_if<std::string>(&name->value)) {
      position.root_name = *text_name;
    } else if (!std::holds_alternative<std::nullptr_t>(name->value)) {
      return Error{"relative position field 'tname' must be a string"};
    }
  }
  if (const Any* assoc = member(json, "assoc")) {
    const auto* number = std::get_if<double>(&assoc->value);
    if (number != nullptr) {
      position.assoc = static_cast<std::int64_t>(*number);
    } else if (!std::holds_alternative<std::nullptr_t>(assoc->value)) {
      return Error{"relative position field 'assoc' must be a number"};
    }
  }
  if (!position.item && !position.root_name && !position.type)
    return Error{"relative position JSON names no item, tname or type"};
  return position;
}

std::optional<AbsolutePosition> absolute_position(Doc& doc, const RelativePosition& position) {
  StructStore& store = doc.store();
  if (position.item) {
    const Id id = *position.item;
    if (store.state(id.client) <= id.clock) return std::nullopt;
    Item* right = store.find(id);
    if (right->is_gc()) return std::nullopt;
    Type* type = right->parent;
    std::uint64_t index = 0;
    if (type->item() == nullptr || !type->item()->deleted()) {
      if (!right->deleted() && right->countable())
        index = id.clock - right->id.clock + (position.assoc >= 0 ? 0 : 1);
      for (const Item* left = right->left; left != nullptr; left = left->left)
        if (!left->deleted() && left->countable()) index += left->length;
    }
    return AbsolutePosition{type, index, position.assoc};
  }
  Type* type = nullptr;
  if (position.root_name) {
    type = &doc.root(*position.root_name, TypeKind::unknown);
  } else if (position.type) {
    const Id id = *position.type;
    if (store.state(id.client) <= id.clock) return std::nullopt;
    Item* item = store.find(id);
    auto* content = item->is_gc() ? nullptr : item->content.get<TypeContent>();
    if (content == nullptr) return std::nullopt;  // garbage-collected
    type = content->type.get();
  } else {
    throw std::invalid_argument("a relative position needs an item, a root name or a type");
  }
  return AbsolutePosition{type, position.assoc >= 0 ? type->length() : 0, position.assoc};
}

}  // namespace agora::crdt
