// The end of a transaction (cleanupTransactions in yjs/src/utils/Transaction.js): Text
// formatting cleanup after remote changes, garbage collection of deleted content, and merging
// of neighbouring structs. Yjs's encoded state depends on all three, so they follow Yjs's order.

#include "crdt/doc.hpp"
#include "crdt/formatting.hpp"
#include "crdt/store.hpp"

#include <algorithm>
#include <cstdint>

namespace agora::crdt {

namespace {

bool is_text_type(const Type* type) {
  return type->kind() == TypeKind::text || type->kind() == TypeKind::xml_text;
}

}  // namespace

std::size_t Transaction::merge_with_lefts(StructList& structs, std::size_t pos) {
  Item* right = structs[pos];
  std::size_t i = pos;
  for (; i > 0; --i) {
    Item* left = structs[i - 1];
    if (left->deleted() != right->deleted() || left->is_gc() != right->is_gc()) break;
    if (left->is_gc()) {
      left->length += right->length;
    } else {
      // Item.mergeWith.
      const bool continues =
          right->has_origin() && right->origin == left->last_id() && left->right == right &&
          left->has_right_origin() == right->has_right_origin() &&
          (!left->has_right_origin() || left->right_origin == right->right_origin) &&
          left->id.client == right->id.client && left->end_clock() == right->id.clock &&
          left->content.kind() == right->content.kind();
      if (!continues || !left->content.try_append(right->content)) break;
      Type* parent = left->parent;
      if (parent->marker_item_ == right) {
        parent->marker_item_ = left;
        if (left->visible()) parent->marker_index_ -= left->length;
      }
      if (right->keep()) left->flags |= Item::kKeep;
      left->right = right->right;
      if (left->right != nullptr) left->right->left = left;
      left->length += right->length;
      if (right->has_parent_sub()) {
        auto found = parent->map_.find(right->parent_sub);
        if (found != parent->map_.end() && found->second == right) found->second = left;
      }
    }
    right = left;
  }
  const std::size_t merged = pos - i;
  if (merged > 0) {
    for (std::size_t k = pos + 1 - merged; k <= pos; ++k) store.release(structs[k]);
    structs.erase(pos + 1 - merged, pos + 1);
  }
  return merged;
}

void Transaction::try_gc_delete_set(const DeleteSet& set) {
  for (const auto& [client, ranges] : set.clients) {
    StructList& structs = store.structs_of(client);
    for (auto range = ranges.rbegin(); range != ranges.rend(); ++range) {
      for (std::size_t si = structs.find_index(range->clock);
           si < structs.size() && structs[si]->id.clock < range->end(); ++si) {
        Item* item = structs[si];
        if (!item->is_gc() && item->deleted() && !item->keep()) gc_item(store, item, false);
      }
    }
  }
}

void Transaction::try_merge_delete_set(const DeleteSet& set) {
  for (const auto& [client, ranges] : set.clients) {
    StructList& structs = store.structs_of(client);
    for (auto range = ranges.rbegin(); range != ranges.rend(); ++range) {
      const auto last_index = static_cast<std::int64_t>(structs.size()) - 1;
      std::int64_t si = std::min<std::int64_t>(
          last_index, 1 + static_cast<std::int64_t>(structs.find_index(range->end() - 1)));
      while (si > 0 && structs[static_cast<std::size_t>(si)]->id.clock >= range->clock)
        si -= 1 + static_cast<std::int64_t>(merge_with_lefts(structs, static_cast<std::size_t>(si)));
    }
  }
}

namespace {

// findIndexCleanStart.
std::size_t index_clean_start(Transaction& t, StructList& structs, Clock clock) {
  const std::size_t index = structs.find_index(clock);
  Item* item = structs[index];
  if (item->id.clock < clock && !item->is_gc()) {
    structs.insert(index + 1, t.split(item, clock - item->id.clock));
    return index + 1;
  }
  return index;
}

// iterateStructs: calls f on every struct in [start, start + length), splitting at both ends.
template <typename F>
void iterate_structs(Transaction& t, StructList& structs, Clock start,
                     std::uint64_t length, F&& f) {
  if (length == 0) return;
  const Clock end = start + length;
  std::size_t index = index_clean_start(t, structs, start);
  do {
    Item* item = structs[index++];
    if (end < item->end_clock()) index_clean_start(t, structs, end);
    f(item);
  } while (index < structs.size() && structs[index]->id.clock < end);
}

// cleanupContextlessFormattingGap in YText.js.
void cleanup_contextless_formatting_gap(Transaction& t, Item* item) {
  while (item != nullptr && item->right != nullptr &&
         (item->right->deleted() || !item->right->countable()))
    item = item->right;
  std::vector<std::string> seen;
  while (item != nullptr && (item->deleted() || !item->countable())) {
    if (FormatContent* format = live_format(item)) {
      if (std::find(seen.begin(), seen.end(), format->key) != seen.end()) {
        t.delete_item(item);
      } else {
        seen.push_back(format->key);
      }
    }
    item = item->left;
  }
}

// cleanupYTextFormatting in YText.js.
void cleanup_text_formatting(Transaction& t, Item* first) {
  Item* start = first;
  Attributes start_attributes;
  Attributes current_attributes;
  for (Item* end = first; end != nullptr; end = end->right) {
    if (end->deleted()) continue;
    if (FormatContent* format = end->content.get<FormatContent>()) {
      current_attributes.update(*format);
    } else {
      cleanup_formatting_gap(t, start, end, start_attributes, current_attributes);
      start_attributes = current_attributes;
      start = end;
    }
  }
}

}  // namespace

void Transaction::cleanup_formatting() {
  // Types that got a new format item need a full pass; elsewhere only the gaps around deleted
  // items are tidied (cleanupYTextAfterTransaction).
  std::vector<Type*> full_cleanup;
  auto needs_full = [&](Type* type) {
    return std::find(full_cleanup.begin(), full_cleanup.end(), type) != full_cleanup.end();
  };
  for (const auto& [client, before] : advanced_) {
    const Clock after = store.state(client);
    // Yjs passes the after clock as the length here; the extra range is harmless but splits
    // the same items, so it is kept.
    iterate_structs(*this, store.structs_of(client), before, after, [&](Item* item) {
      if (!item->is_gc() && !item->deleted() && item->content.kind() == ContentKind::format &&
          !needs_full(item->parent))
        full_cleanup.push_back(item->parent);
    });
  }
  Transaction formatting(doc, true);
  for (const auto& [client, ranges] : delete_set.clients) {
    StructList* found = store.find_structs(client);
    if (found == nullptr || found->empty()) continue;
    StructList& structs = *found;
    const Clock state = structs.end_clock();
    for (const DeleteRange& range : ranges) {
      if (range.clock >= state) break;
      iterate_structs(*this, structs, range.clock, range.length, [&](Item* item) {
        if (item->is_gc() || !item->parent->has_formatting_ || needs_full(item->parent)) return;
        if (item->content.kind() == ContentKind::format) {
          full_cleanup.push_back(item->parent);
        } else {
          cleanup_contextless_formatting_gap(formatting, item);
        }
      });
    }
  }
  for (Type* type : full_cleanup) cleanup_text_formatting(formatting, type->start_);
  deferred_ = std::make_unique<Transaction>(std::move(formatting));
}

void Transaction::cleanup() {
  delete_set.sort_and_merge();
  if (!local) {
    const bool needs_formatting_cleanup =
        std::any_of(changed.begin(), changed.end(), [](const Type* type) {
          return (type->item_ == nullptr || !type->item_->deleted()) && is_text_type(type) &&
                 type->has_formatting_;
        });
    if (needs_formatting_cleanup) cleanup_formatting();
  }
  if (doc.gc_enabled()) try_gc_delete_set(delete_set);
  try_merge_delete_set(delete_set);
  for (const auto& [client, before] : advanced_) {
    StructList& structs = store.structs_of(client);
    const auto first =
        static_cast<std::int64_t>(std::max<std::size_t>(structs.find_index(before), 1));
    for (auto i = static_cast<std::int64_t>(structs.size()) - 1; i >= first;)
      i -= 1 + static_cast<std::int64_t>(merge_with_lefts(structs, static_cast<std::size_t>(i)));
  }
  for (auto id = merge_structs.rbegin(); id != merge_structs.rend(); ++id) {
    StructList& structs = store.structs_of(id->client);
    const std::size_t pos = structs.find_index(id->clock);
    if (pos + 1 < structs.size() && merge_with_lefts(structs, pos + 1) > 1) continue;
    if (pos > 0) merge_with_lefts(structs, pos);
  }
  if (deferred_) {
    std::unique_ptr<Transaction> next = std::move(deferred_);
    next->cleanup();
  }
}

}  // namespace agora::crdt
