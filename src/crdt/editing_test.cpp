// Local edits against Yjs itself: replays the seeded random sessions recorded by
// tests/crdt/editing_fixtures.mjs (testdata/editing_cases.json, Yjs 13.6.33) and checks that
// every local transaction emits the very update Yjs emitted, that the final state is Yjs's byte
// for byte, and that relative positions and snapshots taken along the way match Yjs's.
// Regenerate the data with: node tests/crdt/editing_fixtures.mjs --cases 120

#include "crdt/editing.hpp"
#include "crdt/test_bytes.hpp"

#include "crdt/doc.hpp"
#include "crdt/readers.hpp"
#include "crdt/relative_position.hpp"
#include "crdt/snapshot.hpp"
#include "crdt/store.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace agora::crdt {
namespace {

using test_bytes::Bytes;
using test_bytes::from_hex;
using test_bytes::to_hex;

const Any& at(const Any& object, std::string_view key) {
  for (const auto& [k, v] : std::get<Any::Object>(object.value))
    if (k == key) return v;
  throw std::out_of_range("fixture lacks '" + std::string(key) + "'");
}

const Any* find(const Any& object, std::string_view key) {
  for (const auto& [k, v] : std::get<Any::Object>(object.value))
    if (k == key) return &v;
  return nullptr;
}

const std::string& str(const Any& value) { return std::get<std::string>(value.value); }
std::uint64_t num(const Any& value) { return static_cast<std::uint64_t>(std::get<double>(value.value)); }
const Any::Array& arr(const Any& value) { return std::get<Any::Array>(value.value); }

const Any& fixture() {
  static const Any data = [] {
    // AGORA_EDITING_CASES names another file from the generator, to replay more seeds.
    const char* other = std::getenv("AGORA_EDITING_CASES");
    std::ifstream file(other != nullptr
                           ? std::string(other)
                           : std::string(AGORA_SOURCE_DIR) + "/src/crdt/testdata/editing_cases.json");
    std::stringstream text;
    text << file.rdbuf();
    return parse_json(text.str());
  }();
  return data;
}

TypeKind kind_named(const std::string& name) {
  if (name == "text") return TypeKind::text;
  if (name == "map") return TypeKind::map;
  if (name == "array") return TypeKind::array;
  if (name == "xml_fragment") return TypeKind::xml_fragment;
  if (name == "xml_element") return TypeKind::xml_element;
  if (name == "xml_text") return TypeKind::xml_text;
  if (name == "xml_hook") return TypeKind::xml_hook;
  throw std::invalid_argument("unknown kind " + name);
}

// The `index`-th element of a list, which must be a nested type.
Type& list_element(Type& list, std::uint64_t index) {
  for (Item* item = list.start(); item != nullptr; item = item->right) {
    if (!item->visible()) continue;
    if (index < item->length) {
      auto* content = item->content.get<TypeContent>();
      if (content == nullptr) throw std::out_of_range("list element is not a type");
      return *content->type;
    }
    index -= item->length;
  }
  throw std::out_of_range("list index past the end");
}

// A fixture path: [root name, root kind, map keys and list indices...].
Type& resolve(Doc& doc, const Any& path) {
  const auto& steps = arr(path);
  Type* type = &doc.root(str(steps[0]), kind_named(str(steps[1])));
  for (std::size_t i = 2; i < steps.size(); ++i) {
    if (const auto* key = std::get_if<std::string>(&steps[i].value)) {
      auto found = type->entries().find(*key);
      if (found == type->entries().end() || found->second->deleted())
        throw std::out_of_range("no map entry " + *key);
      auto* content = found->second->content.get<TypeContent>();
      if (content == nullptr) throw std::out_of_range("map entry is not a type");
      type = content->type.get();
    } else {
      type = &list_element(*type, num(steps[i]));
    }
  }
  return *type;
}

TextAttributes attributes_of(const Any& attrs) {
  TextAttributes out;
  for (const auto& [key, value] : std::get<Any::Object>(attrs.value)) out.emplace_back(key, to_json(value));
  return out;
}

// {$t: kind, n: name}: a new type.
const Any* type_spec(const Any& value) {
  if (!std::holds_alternative<Any::Object>(value.value)) return nullptr;
  return find(value, "$t");
}

NewType new_type(const Any& spec) {
  const Any* name = find(spec, "n");
  return NewType{kind_named(str(at(spec, "$t"))), name == nullptr ? "" : str(*name)};
}

// A fixture value: JSON, or {$b: bytes}, {$big: digits}, {$u: 1}.
Any value_of(const Any& value) {
  if (std::holds_alternative<Any::Object>(value.value)) {
    if (const Any* bytes = find(value, "$b")) {
      Any::Bytes out;
      for (const Any& b : arr(*bytes)) out.push_back(static_cast<std::uint8_t>(num(b)));
      return Any{std::move(out)};
    }
    if (const Any* big = find(value, "$big")) return Any{Any::BigInt{std::stoll(str(*big))}};
    if (find(value, "$u") != nullptr) return Any{};
  }
  return value;
}

std::vector<ListValue> list_values(const Any& values) {
  std::vector<ListValue> out;
  for (const Any& value : arr(values)) {
    if (const Any* kind = type_spec(value); kind != nullptr) {
      out.emplace_back(new_type(value));
    } else {
      out.emplace_back(value_of(value));
    }
  }
  return out;
}

void apply_op(Transaction& t, Doc& doc, const Any& op) {
  const std::string& name = str(at(op, "op"));
  Type& type = resolve(doc, at(op, "path"));
  if (name == "text.insert") {
    const std::u16string text = to_utf16(str(at(op, "text")));
    if (const Any* attrs = find(op, "attrs")) {
      TextEditor::insert(t, type, num(at(op, "index")), text, attributes_of(*attrs));
    } else {
      TextEditor::insert(t, type, num(at(op, "index")), text);
    }
  } else if (name == "text.embed") {
    const Any* attrs = find(op, "attrs");
    const TextAttributes attributes = attrs == nullptr ? TextAttributes{} : attributes_of(*attrs);
    const Any& value = at(op, "value");
    if (type_spec(value) != nullptr) {
      TextEditor::insert_type(t, type, num(at(op, "index")), new_type(value), attributes);
    } else {
      TextEditor::insert_embed(t, type, num(at(op, "index")), to_json(value), attributes);
    }
  } else if (name == "text.format") {
    TextEditor::format(t, type, num(at(op, "index")), num(at(op, "length")),
                       attributes_of(at(op, "attrs")));
  } else if (name == "text.delete") {
    TextEditor::erase(t, type, num(at(op, "index")), num(at(op, "length")));
  } else if (name == "map.set") {
    const Any& value = at(op, "value");
    if (type_spec(value) != nullptr) {
      MapEditor::set_type(t, type, str(at(op, "key")), new_type(value));
    } else {
      MapEditor::set(t, type, str(at(op, "key")), value_of(value));
    }
  } else if (name == "map.delete") {
    MapEditor::erase(t, type, str(at(op, "key")));
  } else if (name == "list.insert") {
    const auto values = list_values(at(op, "values"));
    ArrayEditor::insert(t, type, num(at(op, "index")), values);
  } else if (name == "list.push") {
    const auto values = list_values(at(op, "values"));
    if (type.kind() == TypeKind::array) {
      ArrayEditor::push(t, type, values);
    } else {
      XmlEditor::push(t, type, values);
    }
  } else if (name == "list.delete") {
    ArrayEditor::erase(t, type, num(at(op, "index")), num(at(op, "length")));
  } else if (name == "xml.set_attribute") {
    XmlEditor::set_attribute(t, type, str(at(op, "name")), str(at(op, "value")));
  } else if (name == "xml.remove_attribute") {
    XmlEditor::remove_attribute(t, type, str(at(op, "name")));
  } else {
    throw std::invalid_argument("unknown op " + name);
  }
}

// A JSON.stringify-like rendering of a delta, with object keys in JavaScript's order.
std::string delta_json(const std::vector<DeltaOp>& ops) {
  std::string out = "[";
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"insert\":";
    const DeltaOp& op = ops[i];
    if (const auto* run = std::get_if<std::u16string>(&op.insert)) {
      out += to_json(Any{to_utf8(*run)});
    } else if (const auto* embed = std::get_if<Any>(&op.insert)) {
      out += to_json(*embed);
    } else {
      out += type_to_json(*std::get<const Type*>(op.insert));
    }
    if (!op.attributes.empty()) {
      out += ",\"attributes\":{";
      for (std::size_t a = 0; a < op.attributes.size(); ++a) {
        if (a > 0) out += ',';
        out += to_json(Any{op.attributes[a].first}) + ':' + op.attributes[a].second;
      }
      out += '}';
    }
    out += '}';
  }
  return to_json(parse_json(out + "]"));
}

struct Outcome {
  int local_steps = 0;
  int matched_updates = 0;
  bool state_matches = false;
  std::string first_failure;
};

// Replays one case; `check` runs the relative-position and snapshot comparisons as well.
Outcome replay(const Any& session) {
  Outcome outcome;
  const auto seed = num(at(session, "seed"));
  Doc doc(num(at(session, "client")), Doc::Options{std::get<bool>(at(session, "gc").value)});
  auto fail = [&](const std::string& what) {
    if (outcome.first_failure.empty())
      outcome.first_failure = "seed " + std::to_string(seed) + ": " + what;
  };
  // The generator names its roots before any content arrives; so does this replay.
  doc.root("text", TypeKind::text);
  doc.root("map", TypeKind::map);
  doc.root("array", TypeKind::array);
  doc.root("xml", TypeKind::xml_fragment);
  if (!doc.apply_update(from_hex(str(at(session, "init"))))) fail("init does not apply");

  const auto& positions = arr(at(session, "positions"));
  const auto& snapshots = arr(at(session, "snapshots"));
  std::vector<Snapshot> taken;
  // Relative positions and snapshots recorded before step `step`.
  auto take_records = [&](std::uint64_t step) {
    for (std::size_t i = 0; i < positions.size(); ++i) {
      const Any& p = positions[i];
      if (num(at(p, "at")) != step) continue;
      const auto assoc = static_cast<std::int64_t>(std::get<double>(at(p, "assoc").value));
      const RelativePosition position =
          relative_position_from_index(resolve(doc, at(p, "path")), num(at(p, "index")), assoc);
      if (to_hex(encode_relative_position(position)) != str(at(p, "bytes")))
        fail("relative position " + std::to_string(i) + " encodes as " +
             to_hex(encode_relative_position(position)) + ", Yjs " + str(at(p, "bytes")));
      if (relative_position_to_json(position) != str(at(p, "json")))
        fail("relative position " + std::to_string(i) + " JSON " +
             relative_position_to_json(position) + ", Yjs " + str(at(p, "json")));
    }
    for (std::size_t i = 0; i < snapshots.size(); ++i) {
      const Any& s = snapshots[i];
      if (num(at(s, "at")) != step) continue;
      Snapshot snap = snapshot(doc);
      if (to_hex(encode_snapshot(snap)) != str(at(s, "v1")))
        fail("snapshot " + std::to_string(i) + " v1 " + to_hex(encode_snapshot(snap)) + ", Yjs " +
             str(at(s, "v1")));
      if (to_hex(encode_snapshot(snap, Format::v2)) != str(at(s, "v2")))
        fail("snapshot " + std::to_string(i) + " v2 differs");
      if (!taken.empty() && equal_snapshots(snap, taken.back()) !=
                                std::get<bool>(at(s, "equals_previous").value))
        fail("snapshot " + std::to_string(i) + " equality with the previous one differs");
      taken.push_back(std::move(snap));
    }
  };

  const auto& steps = arr(at(session, "steps"));
  for (std::size_t s = 0; s < steps.size(); ++s) {
    take_records(s);
    const Any& step = steps[s];
    if (const Any* update = find(step, "apply")) {
      if (!doc.apply_update(from_hex(str(*update)))) fail("remote update does not apply");
      continue;
    }
    ++outcome.local_steps;
    Bytes update;
    try {
      update = doc.transact([&](Transaction& t) {
        for (const Any& op : arr(at(step, "ops"))) apply_op(t, doc, op);
      });
    } catch (const std::exception& e) {
      fail("step " + std::to_string(s) + " threw " + e.what());
      break;
    }
    if (to_hex(update) == str(at(step, "update"))) {
      ++outcome.matched_updates;
    } else {
      fail("step " + std::to_string(s) + " " + to_json(at(step, "ops")) + "\n  ours " +
           to_hex(update) + "\n  yjs  " + str(at(step, "update")));
    }
  }
  take_records(steps.size());

  auto state = doc.encode_state_as_update();
  outcome.state_matches = state && to_hex(*state) == str(at(session, "state"));
  if (!outcome.state_matches) fail("final state differs");
  if (text_to_string(doc.root("text", TypeKind::text)) != str(at(session, "text")))
    fail("final text differs");

  for (std::size_t i = 0; i < positions.size(); ++i) {
    const Any& p = positions[i];
    auto decoded = decode_relative_position(from_hex(str(at(p, "bytes"))));
    if (!decoded) {
      fail("relative position " + std::to_string(i) + " does not decode");
      continue;
    }
    auto json = relative_position_from_json(str(at(p, "json")));
    if (!json || encode_relative_position(*json) != encode_relative_position(*decoded))
      fail("relative position " + std::to_string(i) + " JSON does not read back");
    const auto absolute = absolute_position(doc, *decoded);
    const Any& expected = at(p, "absolute");
    if (std::holds_alternative<std::nullptr_t>(expected.value) != !absolute.has_value() ||
        (absolute && absolute->index != num(expected)))
      fail("relative position " + std::to_string(i) + " points to " +
           (absolute ? std::to_string(absolute->index) : "nothing") + ", Yjs " + to_json(expected));
  }
  for (std::size_t i = 0; i < taken.size(); ++i) {
    const std::string delta = delta_json(text_delta_at(doc.root("text", TypeKind::text), taken[i]));
    if (delta != str(at(snapshots[i], "delta")))
      fail("text at snapshot " + std::to_string(i) + " is " + delta + ", Yjs " +
           str(at(snapshots[i], "delta")));
    auto v1 = decode_snapshot(from_hex(str(at(snapshots[i], "v1"))));
    auto v2 = decode_snapshot(from_hex(str(at(snapshots[i], "v2"))), Format::v2);
    if (!v1 || !v2 || !equal_snapshots(*v1, taken[i]) || !equal_snapshots(*v2, taken[i]))
      fail("snapshot " + std::to_string(i) + " does not decode to what was taken");
  }
  return outcome;
}

TEST(EditingMatchesYjs, EveryRecordedSessionEmitsYjsUpdates) {
  const auto& cases = arr(at(fixture(), "cases"));
  ASSERT_GE(cases.size(), std::getenv("AGORA_EDITING_CASES") != nullptr ? 1u : 100u);
  int failures = 0;
  int steps = 0;
  int matched = 0;
  for (const Any& session : cases) {
    const Outcome outcome = replay(session);
    steps += outcome.local_steps;
    matched += outcome.matched_updates;
    if (!outcome.first_failure.empty()) {
      ++failures;
      if (failures <= 5) ADD_FAILURE() << outcome.first_failure;
    }
  }
  EXPECT_EQ(failures, 0) << matched << " of " << steps << " local updates matched";
  if (std::getenv("AGORA_EDITING_CASES") == nullptr) {
    EXPECT_GT(steps, 1000);
  }
}

}  // namespace
}  // namespace agora::crdt

namespace agora::crdt {
namespace {

TEST(Editing, MapsListsAndXmlReadBackAsWritten) {
  Doc doc(7);
  Type& map = doc.root("map", TypeKind::map);
  Type& list = doc.root("list", TypeKind::array);
  Type& xml = doc.root("xml", TypeKind::xml_fragment);
  doc.transact([&](Transaction& t) {
    MapEditor::set(t, map, "n", Any{1.5});
    MapEditor::set(t, map, "gone", Any{true});
    Type& nested = MapEditor::set_type(t, map, "list", NewType{TypeKind::array, {}});
    const std::vector<ListValue> values = {Any{1.0}, Any{std::string("x")}};
    ArrayEditor::insert(t, nested, 0, values);
    MapEditor::erase(t, map, "gone");
    const std::vector<ListValue> items = {Any{nullptr}, Any{Any::Bytes{1, 2}}, Any{false}};
    ArrayEditor::push(t, list, items);
    ArrayEditor::erase(t, list, 0, 1);
    Type& p = XmlEditor::insert_element(t, xml, 0, "p");
    XmlEditor::set_attribute(t, p, "class", "intro");
    Type& text = XmlEditor::insert_text(t, p, 0);
    TextEditor::insert(t, text, 0, u"hi", {{"bold", "true"}});
  });
  EXPECT_EQ(type_to_json(map), "{\"list\":[1,\"x\"],\"n\":1.5}");
  EXPECT_EQ(type_to_json(list), "[{\"0\":1,\"1\":2},false]");
  EXPECT_EQ(xml_to_string(xml), "<p class=\"intro\"><bold>hi</bold></p>");
}

TEST(Editing, AppendingManyElementsKeepsOrder) {
  Doc doc(7);
  Type& list = doc.root("list", TypeKind::array);
  std::string expected = "[";
  for (int i = 0; i < 300; ++i) {
    doc.transact([&](Transaction& t) {
      const std::vector<ListValue> value = {Any{static_cast<double>(i)}};
      ArrayEditor::insert(t, list, list.length(), value);
    });
    expected += (i > 0 ? "," : "") + std::to_string(i);
  }
  EXPECT_EQ(type_to_json(list), expected + "]");
}

TEST(Editing, WrongArgumentsChangeNothing) {
  Doc doc(7);
  Type& list = doc.root("list", TypeKind::array);
  Type& map = doc.root("map", TypeKind::map);
  Type& text = doc.root("text", TypeKind::text);
  const std::vector<ListValue> one = {Any{1.0}};
  const std::vector<ListValue> big = {Any{Any::BigInt{5}}};
  EXPECT_THROW(doc.transact([&](Transaction& t) { ArrayEditor::insert(t, list, 1, one); }),
               std::out_of_range);
  EXPECT_THROW(doc.transact([&](Transaction& t) { ArrayEditor::insert(t, list, 0, big); }),
               std::invalid_argument);
  EXPECT_THROW(doc.transact([&](Transaction& t) { ArrayEditor::insert(t, map, 0, one); }),
               std::invalid_argument);
  EXPECT_THROW(doc.transact([&](Transaction& t) { TextEditor::insert(t, map, 0, u"x"); }),
               std::invalid_argument);
  EXPECT_THROW(doc.transact([&](Transaction& t) {
                 TextEditor::insert(t, text, 0, u"x", {{"bold", "{oops"}});
               }),
               std::invalid_argument);
  EXPECT_THROW(doc.transact([&](Transaction& t) { TextEditor::insert_embed(t, text, 0, "null"); }),
               std::invalid_argument);
  EXPECT_THROW(doc.transact([&](Transaction& t) { ArrayEditor::erase(t, list, 0, 1); }),
               std::out_of_range);
  EXPECT_EQ(doc.encode_state_vector(), std::vector<std::uint8_t>{0});
  EXPECT_EQ(doc.transact([&](Transaction& t) { TextEditor::erase(t, text, 0, 5); }),
            std::vector<std::uint8_t>{});
}

TEST(Editing, FormattingRoundTripsThroughAnotherDocument) {
  Doc doc(7);
  Type& text = doc.root("text", TypeKind::text);
  doc.transact([&](Transaction& t) {
    TextEditor::insert(t, text, 0, u"Hello world");
    TextEditor::format(t, text, 0, 5, {{"bold", "true"}});
    TextEditor::format(t, text, 6, 5, {{"link", "{\"href\":\"https://x\"}"}});
    TextEditor::insert(t, text, 5, u",");  // inherits bold
    TextEditor::insert_embed(t, text, 12, "{\"image\":\"a.png\"}");
  });
  Doc other(8);
  ASSERT_TRUE(other.apply_update(*doc.encode_state_as_update()));
  const auto delta = text_to_delta(other.root("text", TypeKind::text));
  // Yjs 13.6 gives [{"insert":"Hello,","attributes":{"bold":true}},{"insert":" "},
  // {"insert":"world","attributes":{"link":{"href":"https://x"}}},{"insert":{"image":"a.png"}}].
  ASSERT_EQ(delta.size(), 4u);
  EXPECT_EQ(std::get<std::u16string>(delta[0].insert), u"Hello,");
  EXPECT_EQ(delta[0].attributes, (std::vector<std::pair<std::string, std::string>>{{"bold", "true"}}));
  EXPECT_EQ(std::get<std::u16string>(delta[1].insert), u" ");
  EXPECT_TRUE(delta[1].attributes.empty());
  EXPECT_EQ(std::get<std::u16string>(delta[2].insert), u"world");
  EXPECT_EQ(delta[2].attributes[0].second, "{\"href\":\"https://x\"}");
  EXPECT_EQ(to_json(std::get<Any>(delta[3].insert)), "{\"image\":\"a.png\"}");
  EXPECT_TRUE(delta[3].attributes.empty());
}

}  // namespace
}  // namespace agora::crdt
