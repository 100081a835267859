#pragma once
// Reading shared types the way Yjs presents them: Text as a string or a delta, Map and Array
// as their toJSON(), Xml types as their toString().

#include "crdt/any.hpp"
#include "crdt/type.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace agora::crdt {

/// The visible text of a Text or XmlText (YText.toString), in UTF-8.
std::string text_to_string(const Type& text);

/// One operation of a Text's delta (YText.toDelta): a run of text, an embed or a nested type,
/// with the formatting attributes in force (values as JSON text, in the order Yjs keeps them).
struct DeltaOp {
  std::variant<std::u16string, Any, const Type*> insert;
  std::vector<std::pair<std::string, std::string>> attributes;
};
/// updateCurrentAttributes: applies a format item to attributes kept in insertion order, as a
/// JS Map keeps them (a "null" value removes the key).
void update_attributes(std::vector<std::pair<std::string, std::string>>& attributes,
                       const FormatContent& format);
/// Builds a delta item by item, as YText.toDelta does: text accumulates into one run until an
/// embed, a nested type or a format change ends it.
class DeltaBuilder {
 public:
  void add_text(std::u16string_view units) { run_ += units; }
  void add_embed(Any value) { add_insert(std::move(value)); }
  void add_type(const Type* type) { add_insert(type); }
  void add_format(const FormatContent& format) {
    end_run();
    update_attributes(attributes_, format);
  }
  /// Removes attribute `key` (ending the run first) if it is set.
  void drop_attribute(std::string_view key);
  std::vector<DeltaOp> finish() {
    end_run();
    return std::move(ops_);
  }

 private:
  void end_run() {
    if (run_.empty()) return;
    ops_.push_back(DeltaOp{std::move(run_), attributes_});
    run_.clear();
  }
  void add_insert(std::variant<std::u16string, Any, const Type*> insert) {
    end_run();
    ops_.push_back(DeltaOp{std::move(insert), attributes_});
  }

  std::vector<DeltaOp> ops_;
  std::vector<std::pair<std::string, std::string>> attributes_;
  std::u16string run_;
};

/// YText.toDelta() without snapshots.
std::vector<DeltaOp> text_to_delta(const Type& text);

/// JSON text of `type.toJSON()`: Map -> object, Array -> array, Text -> string, Xml -> its
/// toString() as a JSON string, as JSON.stringify would print it. Types nested more than 512
/// deep print as null (and as "" in xml_to_string), so hostile nesting cannot exhaust the stack.
std::string type_to_json(const Type& type);

/// `type.toString()` for XmlFragment, XmlElement, XmlText and XmlHook.
std::string xml_to_string(const Type& type);

}  // namespace agora::crdt
