#include "collab/awareness.hpp"

#include "crdt/lib0.hpp"
#include "crdt/test_bytes.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agora::collab {
namespace {

using crdt::test_bytes::Bytes;
using crdt::test_bytes::from_hex;
using crdt::test_bytes::to_hex;

struct Entry {
  std::uint64_t client = 0;
  std::uint64_t clock = 0;
  std::string json;
  bool operator==(const Entry&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Entry& e) {
  return out << "{" << e.client << ", " << e.clock << ", " << e.json << "}";
}

// An awareness update as y-protocols' encodeAwarenessUpdate lays it out.
Bytes update_of(const std::vector<Entry>& entries) {
  crdt::Encoder encoder;
  encoder.write_var_uint(entries.size());
  for (const Entry& e : entries) {
    encoder.write_var_uint(e.client);
    encoder.write_var_uint(e.clock);
    encoder.write_var_string(std::string_view(e.json));
  }
  return encoder.take();
}

// The entries of an awareness update, read as y-protocols' applyAwarenessUpdate reads them.
std::vector<Entry> entries_of(const Bytes& update) {
  crdt::Decoder decoder(update);
  std::vector<Entry> entries(decoder.read_var_uint());
  for (Entry& e : entries) {
    e.client = decoder.read_var_uint();
    e.clock = decoder.read_var_uint();
    e.json = std::string(decoder.read_var_string());
  }
  EXPECT_TRUE(decoder.done()) << "trailing bytes in " << to_hex(update);
  return entries;
}

std::vector<Entry> all_states(const Awareness& awareness) {
  auto all = awareness.encode_all();
  return all ? entries_of(*all) : std::vector<Entry>{};
}

// Distinct owner keys (connections in a room).
const int kConnectionA = 1;
const int kConnectionB = 2;
const Awareness::Owner kOwnerA = &kConnectionA;
const Awareness::Owner kOwnerB = &kConnectionB;

// Bytes printed by node with y-protocols 1.0.7 (tests/node_modules). Updates were made with
//   encodeAwarenessUpdate({meta, states}, clients, states)
// for the listed (client, clock, state) triples, and applied in order to a fresh
//   const aw = new Awareness(new Y.Doc() /* clientID 999 */); aw.setLocalState(null)
// with applyAwarenessUpdate(aw, u, 'remote').
// kU1: [3, 1, {name:'A'}], [5, 2, {name:'B'}]
const Bytes kU1 = from_hex("0203010c7b226e616d65223a2241227d05020c7b226e616d65223a2242227d");
// kU2: [3, 2, {name:'A2'}]                      newer clock: replaces client 3's state
const Bytes kU2 = from_hex("0103020d7b226e616d65223a224132227d");
// kU3: [5, 2, null]                             equal clock, removal: removes client 5
const Bytes kU3 = from_hex("010502046e756c6c");
// kU4: [3, 1, {name:'old'}]                     older clock: ignored
const Bytes kU4 = from_hex("0103010e7b226e616d65223a226f6c64227d");
// kU5: [3, 2, {name:'same clock'}]              equal clock, not a removal: ignored
const Bytes kU5 = from_hex("010302157b226e616d65223a2273616d6520636c6f636b227d");
// encodeAwarenessUpdate(aw, [...aw.getStates().keys()]) after kU1..kU5; aw.getStates() was
// [[3, {name: 'A2'}]].
const Bytes kAllAfterU5 = from_hex("0103020d7b226e616d65223a224132227d");
// [2 ** 53 - 1, 300, {x: 1}]: the largest client id Yjs allows, and a two-byte clock.
const Bytes kLargestClient = from_hex("01ffffffffffffff0fac02077b2278223a317d");

TEST(AwarenessTest, StartsEmpty) {
  Awareness awareness(Awareness::Limits{});
  EXPECT_EQ(awareness.size(), 0u);
  EXPECT_FALSE(awareness.encode_all());
  EXPECT_FALSE(awareness.remove_owner(kOwnerA));
}

TEST(AwarenessTest, FollowsYProtocolsThroughASequenceOfUpdates) {
  Awareness awareness(Awareness::Limits{});
  auto changed = awareness.apply(kU1, kOwnerA);
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_TRUE(*changed);
  EXPECT_EQ(awareness.size(), 2u);
  // Both states, in the layout encodeAwarenessUpdate gives them.
  ASSERT_TRUE(awareness.encode_all());
  EXPECT_EQ(to_hex(*awareness.encode_all()), to_hex(kU1));

  for (const Bytes* update : {&kU2, &kU3, &kU4, &kU5}) {
    auto applied = awareness.apply(*update, kOwnerA);
    ASSERT_TRUE(applied) << to_hex(*update) << ": " << applied.error().message;
  }
  EXPECT_EQ(awareness.size(), 1u);
  ASSERT_TRUE(awareness.encode_all());
  EXPECT_EQ(to_hex(*awareness.encode_all()), to_hex(kAllAfterU5));
}

TEST(AwarenessTest, ANewerClockWins) {
  Awareness awareness(Awareness::Limits{});
  ASSERT_TRUE(awareness.apply(update_of({{10, 4, R"({"cursor":1})"}}), kOwnerA));
  auto changed = awareness.apply(update_of({{10, 5, R"({"cursor":2})"}}), kOwnerA);
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_TRUE(*changed);
  EXPECT_EQ(all_states(awareness), (std::vector<Entry>{{10, 5, R"({"cursor":2})"}}));
}

TEST(AwarenessTest, AnOlderClockIsIgnored) {
  Awareness awareness(Awareness::Limits{});
  ASSERT_TRUE(awareness.apply(update_of({{10, 4, R"({"cursor":1})"}}), kOwnerA));
  auto changed = awareness.apply(update_of({{10, 3, R"({"cursor":0})"}}), kOwnerA);
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_FALSE(*changed);
  EXPECT_EQ(all_states(awareness), (std::vector<Entry>{{10, 4, R"({"cursor":1})"}}));
  // An older removal is ignored too.
  changed = awareness.apply(update_of({{10, 3, "null"}}), kOwnerA);
  ASSERT_TRUE(changed);
  EXPECT_FALSE(*changed);
  EXPECT_EQ(awareness.size(), 1u);
}

TEST(AwarenessTest, AtAnEqualClockOnlyARemovalWins) {
  Awareness awareness(Awareness::Limits{});
  ASSERT_TRUE(awareness.apply(update_of({{10, 4, R"({"cursor":1})"}}), kOwnerA));
  auto changed = awareness.apply(update_of({{10, 4, R"({"cursor":9})"}}), kOwnerA);
  ASSERT_TRUE(changed);
  EXPECT_FALSE(*changed);
  EXPECT_EQ(all_states(awareness), (std::vector<Entry>{{10, 4, R"({"cursor":1})"}}));

  changed = awareness.apply(update_of({{10, 4, "null"}}), kOwnerA);
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_TRUE(*changed);
  EXPECT_EQ(awareness.size(), 0u);
  EXPECT_FALSE(awareness.encode_all());
}

TEST(AwarenessTest, RemovingAnUnknownClientChangesNothing) {
  Awareness awareness(Awareness::Limits{});
  ASSERT_TRUE(awareness.apply(update_of({{10, 1, "{}"}}), kOwnerA));
  auto changed = awareness.apply(update_of({{11, 1, "null"}}), kOwnerA);
  ASSERT_TRUE(changed) << changed.error().message;
  // Contract: apply returns whether any state changed; client 11 had none.
  EXPECT_FALSE(*changed);
  EXPECT_EQ(all_states(awareness), (std::vector<Entry>{{10, 1, "{}"}}));
}

TEST(AwarenessTest, AcceptsTheLargestClientIdAndRefusesLarger) {
  Awareness awareness(Awareness::Limits{});
  auto applied = awareness.apply(kLargestClient, kOwnerA);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(all_states(awareness),
            (std::vector<Entry>{{(std::uint64_t{1} << 53) - 1, 300, R"({"x":1})"}}));

  auto beyond = awareness.apply(update_of({{std::uint64_t{1} << 53, 1, "{}"}}), kOwnerB);
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(awareness.size(), 1u);
}

TEST(AwarenessTest, RemoveOwnerTellsOthersWithANullStateAtTheSameClock) {
  Awareness awareness(Awareness::Limits{});
  ASSERT_TRUE(
      awareness.apply(update_of({{3, 2, R"({"n":"a"})"}, {4, 5, R"({"n":"b"})"}}), kOwnerA));
  ASSERT_TRUE(awareness.apply(update_of({{9, 1, R"({"n":"c"})"}}), kOwnerB));
  ASSERT_EQ(awareness.size(), 3u);

  auto removal = awareness.remove_owner(kOwnerA);
  ASSERT_TRUE(removal);
  EXPECT_EQ(entries_of(*removal), (std::vector<Entry>{{3, 2, "null"}, {4, 5, "null"}}));
  EXPECT_EQ(all_states(awareness), (std::vector<Entry>{{9, 1, R"({"n":"c"})"}}));
  EXPECT_FALSE(awareness.remove_owner(kOwnerA));

  // Another room member that knew the states drops them on receiving the removal.
  Awareness peer(Awareness::Limits{});
  ASSERT_TRUE(peer.apply(update_of({{3, 2, R"({"n":"a"})"}, {4, 5, R"({"n":"b"})"}}), kOwnerB));
  auto applied = peer.apply(*removal, kOwnerB);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_TRUE(*applied);
  EXPECT_EQ(peer.size(), 0u);
}

TEST(AwarenessTest, LimitsHowManyClientIdsOneConnectionAnnounces) {
  Awareness awareness(Awareness::Limits{.max_clients_per_owner = 2});
  // Three at once: refused, nothing applied.
  auto three = awareness.apply(update_of({{1, 1, "{}"}, {2, 1, "{}"}, {3, 1, "{}"}}), kOwnerA);
  ASSERT_FALSE(three);
  EXPECT_EQ(three.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(awareness.size(), 0u);

  ASSERT_TRUE(awareness.apply(update_of({{1, 1, "{}"}, {2, 1, "{}"}}), kOwnerA));
  auto third = awareness.apply(update_of({{3, 1, "{}"}}), kOwnerA);
  ASSERT_FALSE(third);
  EXPECT_EQ(all_states(awareness), (std::vector<Entry>{{1, 1, "{}"}, {2, 1, "{}"}}));

  // Renewing an announced id stays within the limit, and so does swapping one for another.
  ASSERT_TRUE(awareness.apply(update_of({{2, 2, R"({"a":1})"}}), kOwnerA));
  auto swapped = awareness.apply(update_of({{1, 2, "null"}, {3, 1, "{}"}}), kOwnerA);
  ASSERT_TRUE(swapped) << swapped.error().message;
  EXPECT_EQ(all_states(awareness), (std::vector<Entry>{{2, 2, R"({"a":1})"}, {3, 1, "{}"}}));

  // The limit is per connection: another connection has its own.
  ASSERT_TRUE(awareness.apply(update_of({{7, 1, "{}"}, {8, 1, "{}"}}), kOwnerB));
  EXPECT_EQ(awareness.size(), 4u);
}

TEST(AwarenessTest, LimitsTheSizeOfAState) {
  Awareness awareness(Awareness::Limits{.max_state_bytes = 16});
  const std::string sixteen = R"({"n":"abcdefgh"})";
  ASSERT_EQ(sixteen.size(), 16u);
  ASSERT_TRUE(awareness.apply(update_of({{1, 1, sixteen}}), kOwnerA));
  const std::string seventeen = R"({"n":"abcdefghi"})";
  auto refused = awareness.apply(update_of({{1, 2, seventeen}}), kOwnerA);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(all_states(awareness), (std::vector<Entry>{{1, 1, sixteen}}));
}

TEST(AwarenessTest, RefusesStatesThatAreNotJson) {
  Awareness awareness(Awareness::Limits{});
  for (std::string_view bad : {"", "{name:", "{\"a\":1", "undefined", "{\"a\":1}}"}) {
    auto refused = awareness.apply(update_of({{1, 1, std::string(bad)}}), kOwnerA);
    EXPECT_FALSE(refused) << "'" << bad << "' was accepted";
    if (!refused) {
      EXPECT_EQ(refused.error().kind, ErrorKind::invalid_input);
    }
  }
  EXPECT_EQ(awareness.size(), 0u);
}

TEST(AwarenessTest, RefusesMalformedUpdatesAndLyingCounts) {
  Awareness awareness(Awareness::Limits{});
  ASSERT_TRUE(awareness.apply(update_of({{1, 1, R"({"keep":true})"}}), kOwnerA));
  const Bytes one_entry = update_of({{2, 1, "{}"}});
  std::vector<Bytes> bad = {
      {},                                // nothing at all
      from_hex("e807"),                  // claims 1000 states, holds none
      from_hex("ffffffffffffffffff01"),  // claims 2^64-1 states
      from_hex("02020102"
               "7b7d"),    // claims 2 states, holds 1
      from_hex("010201"),  // cut before the state
      from_hex("01020105"
               "7b7d"),  // state length beyond the end
  };
  // Every cut of a valid update.
  for (std::size_t cut = 0; cut < one_entry.size(); ++cut) {
    bad.emplace_back(one_entry.begin(), one_entry.begin() + static_cast<std::ptrdiff_t>(cut));
  }
  for (const Bytes& update : bad) {
    auto refused = awareness.apply(update, kOwnerA);
    EXPECT_FALSE(refused) << to_hex(update) << " was accepted";
    if (!refused) {
      EXPECT_EQ(refused.error().kind, ErrorKind::invalid_input);
    }
  }
  EXPECT_EQ(all_states(awareness), (std::vector<Entry>{{1, 1, R"({"keep":true})"}}));
}

TEST(AwarenessTest, ARefusedUpdateChangesNothing) {
  Awareness awareness(Awareness::Limits{.max_clients_per_owner = 8, .max_state_bytes = 64});
  ASSERT_TRUE(awareness.apply(update_of({{1, 1, R"({"v":1})"}, {2, 1, R"({"v":1})"}}), kOwnerA));
  const auto before = awareness.encode_all();

  // Each starts with changes that would apply alone: a newer state for 1, a removal of 2 and a
  // new client 3, then one bad entry.
  const std::vector<Bytes> refused = {
      update_of({{1, 2, R"({"v":2})"}, {2, 2, "null"}, {3, 1, "{}"}, {4, 1, "not json"}}),
      update_of({{1, 2, R"({"v":2})"},
                 {2, 2, "null"},
                 {3, 1, "{}"},
                 {4, 1, '"' + std::string(63, 'x') + '"'}}),
      update_of(
          {{1, 2, R"({"v":2})"}, {2, 2, "null"}, {3, 1, "{}"}, {std::uint64_t{1} << 60, 1, "{}"}}),
  };
  for (const Bytes& update : refused) {
    ASSERT_FALSE(awareness.apply(update, kOwnerA)) << to_hex(update);
    EXPECT_EQ(awareness.encode_all(), before) << to_hex(update);
  }
  // A truncated tail after good entries.
  Bytes cut = update_of({{1, 2, R"({"v":2})"}, {2, 2, "null"}, {3, 1, "{}"}});
  cut.resize(cut.size() - 1);
  ASSERT_FALSE(awareness.apply(cut, kOwnerA));
  EXPECT_EQ(awareness.encode_all(), before);

  // Over the per-connection limit: nothing of it applies, and ownership is unchanged.
  Awareness limited(Awareness::Limits{.max_clients_per_owner = 1});
  ASSERT_TRUE(limited.apply(update_of({{1, 1, "{}"}}), kOwnerA));
  ASSERT_FALSE(limited.apply(update_of({{1, 2, R"({"v":2})"}, {5, 1, "{}"}}), kOwnerA));
  EXPECT_EQ(all_states(limited), (std::vector<Entry>{{1, 1, "{}"}}));
  auto removal = limited.remove_owner(kOwnerA);
  ASSERT_TRUE(removal);
  EXPECT_EQ(entries_of(*removal), (std::vector<Entry>{{1, 1, "null"}}));
}

TEST(AwarenessTest, AClientIdMovesToTheConnectionThatAnnouncesItNext) {
  // A provider reconnects with the same client id before the server notices its old socket
  // closing; the old socket's departure must not remove the state the new one announced.
  Awareness awareness(Awareness::Limits{.max_clients_per_owner = 1});
  ASSERT_TRUE(awareness.apply(update_of({{42, 7, R"({"user":"Siân"})"}}), kOwnerA));
  auto moved = awareness.apply(update_of({{42, 8, R"({"user":"Siân"})"}}), kOwnerB);
  ASSERT_TRUE(moved) << moved.error().message;

  EXPECT_FALSE(awareness.remove_owner(kOwnerA));
  EXPECT_EQ(all_states(awareness), (std::vector<Entry>{{42, 8, R"({"user":"Siân"})"}}));

  // The old connection no longer counts it against its limit.
  ASSERT_TRUE(awareness.apply(update_of({{43, 1, "{}"}}), kOwnerA));

  auto removal = awareness.remove_owner(kOwnerB);
  ASSERT_TRUE(removal);
  EXPECT_EQ(entries_of(*removal), (std::vector<Entry>{{42, 8, "null"}}));
  EXPECT_EQ(all_states(awareness), (std::vector<Entry>{{43, 1, "{}"}}));
}

}  // namespace
}  // namespace agora::collab
