#include "collab/document_store.hpp"

#include "auth/directory_store.hpp"
#include "auth/grant_store.hpp"
#include "auth/migrations.hpp"
#include "auth/space_store.hpp"
#include "base/clock.hpp"
#include "collab/migrations.hpp"
#include "store/backend_test_fixture.hpp"
#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace agora::collab {
namespace {

using namespace std::chrono_literals;


// Runs on SQLite, and again on PostgreSQL as the ctest "pg." tests
// (store/backend_test_fixture.hpp).
class DocumentStoreTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    const auto migrations = schema();
    auto applied = store::migrate(db(), migrations);
    ASSERT_TRUE(applied) << applied.error().message;
    ASSERT_EQ(*applied, static_cast<int>(migrations.size()));
    auto person = db().transaction([&](store::Connection& c) -> Result<auth::Person> {
      auth::DirectoryStore directory(c, clock_);
      auto organisation =
          directory.create_organisation("Afon Valley Council", auth::OrganisationKind::council, {});
      if (!organisation) return organisation.error();
      organisation_id_ = organisation->id;
      return directory.create_person({.organisation_id = organisation->id,
                                      .email = "sian@afonvalley.gov.uk",
                                      .display_name = "Siân Pritchard"});
    });
    ASSERT_TRUE(person) << person.error().message;
    owner_id_ = person->id;
  }

  // Runs fn(DocumentStore&) in a transaction and returns its result.
  template <typename F>
  auto in_transaction(F&& fn) {
    return db().transaction([&](store::Connection& c) {
      DocumentStore documents(c, clock_);
      return fn(documents);
    });
  }

  std::int64_t new_document(std::string_view title = "Budget 2026") {
    auto document = in_transaction([&](DocumentStore& d) { return d.create(owner_id_, title); });
    EXPECT_TRUE(document) << document.error().message;
    return document ? document->id : 0;
  }

  std::vector<std::int64_t> append(std::vector<LogEntry> entries) {
    auto ids = in_transaction([&](DocumentStore& d) { return d.append(entries); });
    EXPECT_TRUE(ids) << ids.error().message;
    return ids ? *ids : std::vector<std::int64_t>{};
  }

  StoredContent content(std::int64_t document_id) {
    auto stored = in_transaction([&](DocumentStore& d) { return d.content(document_id); });
    EXPECT_TRUE(stored) << stored.error().message;
    return stored ? *stored : StoredContent{};
  }

  Result<bool> replace_snapshot(std::int64_t document_id, std::string_view snapshot,
                                std::int64_t through, std::int64_t expected_through) {
    return in_transaction([&](DocumentStore& d) {
      return d.replace_snapshot(document_id, snapshot, through, expected_through);
    });
  }

  std::int64_t log_rows(std::int64_t document_id) {
    auto rows = db().with_connection([&](store::Connection& c) {
      return c.query("SELECT COUNT(*) FROM document_updates WHERE document_id = ?", {document_id});
    });
    EXPECT_TRUE(rows) << rows.error().message;
    return rows ? rows->front().integer(0) : -1;
  }

  base::ManualClock clock_{base::from_unix_millis(1'767'225'600'123)};
  std::int64_t organisation_id_ = 0;
  std::int64_t owner_id_ = 0;
};

using Updates = std::vector<std::pair<std::int64_t, std::string>>;

// Update bytes with a NUL and high bytes, so text-vs-binary handling would show.
std::string update_bytes(int n) {
  return std::string("\x01\x00\xff", 3) + std::to_string(n) + std::string(1, '\0');
}

TEST_F(DocumentStoreTest, CreatesAndFindsADocument) {
  auto created =
      in_transaction([&](DocumentStore& d) { return d.create(owner_id_, "Budget 2026"); });
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->title, "Budget 2026");
  EXPECT_EQ(created->owner_id, owner_id_);
  EXPECT_EQ(base::to_unix_millis(created->created_at), 1'767'225'600'123);

  auto found = in_transaction([&](DocumentStore& d) { return d.find(created->id); });
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->id, created->id);
  EXPECT_EQ((*found)->title, "Budget 2026");
  EXPECT_EQ((*found)->owner_id, owner_id_);
  EXPECT_EQ((*found)->created_at, created->created_at);

  auto second = in_transaction([&](DocumentStore& d) { return d.create(owner_id_, "Minutes"); });
  ASSERT_TRUE(second);
  EXPECT_NE(second->id, created->id);

  auto missing = in_transaction([](DocumentStore& d) { return d.find(999999); });
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_FALSE(*missing);
}

TEST_F(DocumentStoreTest, TitlesMustBeNonEmptyAndAtMost200Bytes) {
  for (std::string_view empty : {"", " ", " \t\r\n "}) {
    auto refused = in_transaction([&](DocumentStore& d) { return d.create(owner_id_, empty); });
    ASSERT_FALSE(refused) << "'" << empty << "' was accepted";
    EXPECT_EQ(refused.error().kind, ErrorKind::invalid_input);
  }
  const std::string longest(200, 't');
  auto accepted = in_transaction([&](DocumentStore& d) { return d.create(owner_id_, longest); });
  ASSERT_TRUE(accepted) << accepted.error().message;
  auto found = in_transaction([&](DocumentStore& d) { return d.find(accepted->id); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->title, longest);

  auto too_long =
      in_transaction([&](DocumentStore& d) { return d.create(owner_id_, std::string(201, 't')); });
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(too_long.error().message.find("200"), std::string::npos) << too_long.error().message;

  // Welsh titles keep their letters.
  auto welsh =
      in_transaction([&](DocumentStore& d) { return d.create(owner_id_, "Cyllideb ŵyn"); });
  ASSERT_TRUE(welsh);
  found = in_transaction([&](DocumentStore& d) { return d.find(welsh->id); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->title, "Cyllideb ŵyn");
}

TEST_F(DocumentStoreTest, ADocumentNeedsAnOwnerWhoExists) {
  auto orphan =
      in_transaction([&](DocumentStore& d) { return d.create(owner_id_ + 1000, "Orphan"); });
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().kind, ErrorKind::conflict);
}

TEST_F(DocumentStoreTest, AppendReturnsIncreasingIdsAndContentKeepsTheirOrder) {
  const std::int64_t budget = new_document("Budget");
  const std::int64_t minutes = new_document("Minutes");
  const auto first =
      append({{budget, update_bytes(1)}, {minutes, update_bytes(2)}, {budget, update_bytes(3)}});
  ASSERT_EQ(first.size(), 3u);
  EXPECT_LT(first[0], first[1]);
  EXPECT_LT(first[1], first[2]);
  const auto second = append({{budget, update_bytes(4)}});
  ASSERT_EQ(second.size(), 1u);
  EXPECT_GT(second[0], first[2]);

  const StoredContent stored = content(budget);
  EXPECT_EQ(stored.snapshot, "");
  EXPECT_EQ(stored.snapshot_through, 0);
  EXPECT_EQ(stored.updates, (Updates{{first[0], update_bytes(1)},
                                     {first[2], update_bytes(3)},
                                     {second[0], update_bytes(4)}}));
  EXPECT_EQ(content(minutes).updates, (Updates{{first[1], update_bytes(2)}}));

  const StoredContent nothing = content(new_document("Empty"));
  EXPECT_EQ(nothing.snapshot, "");
  EXPECT_EQ(nothing.snapshot_through, 0);
  EXPECT_TRUE(nothing.updates.empty());

  auto none = in_transaction([](DocumentStore& d) { return d.append({}); });
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(DocumentStoreTest, AppendToAMissingDocumentFailsAndWritesNothing) {
  const std::int64_t budget = new_document();
  auto failed = in_transaction([&](DocumentStore& d) {
    const LogEntry entries[] = {{budget, update_bytes(1)}, {budget + 1000, update_bytes(2)}};
    return d.append(entries);
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::conflict);
  EXPECT_TRUE(content(budget).updates.empty());
}

TEST_F(DocumentStoreTest, AFirstSnapshotFoldsTheLogUpToItsId) {
  const std::int64_t budget = new_document("Budget");
  const std::int64_t minutes = new_document("Minutes");
  const auto ids = append({{budget, update_bytes(1)},
                           {budget, update_bytes(2)},
                           {minutes, update_bytes(3)},
                           {budget, update_bytes(4)}});
  ASSERT_EQ(ids.size(), 4u);

  auto replaced = replace_snapshot(budget, "snapshot through 2", ids[1], 0);
  ASSERT_TRUE(replaced) << replaced.error().message;
  EXPECT_TRUE(*replaced);

  const StoredContent stored = content(budget);
  EXPECT_EQ(stored.snapshot, "snapshot through 2");
  EXPECT_EQ(stored.snapshot_through, ids[1]);
  EXPECT_EQ(stored.updates, (Updates{{ids[3], update_bytes(4)}}));
  // The folded rows are gone; the other document's are untouched.
  EXPECT_EQ(log_rows(budget), 1);
  EXPECT_EQ(log_rows(minutes), 1);
  EXPECT_EQ(content(minutes).updates, (Updates{{ids[2], update_bytes(3)}}));
}

TEST_F(DocumentStoreTest, ALaterSnapshotReplacesTheEarlierOne) {
  const std::int64_t budget = new_document();
  const auto ids =
      append({{budget, update_bytes(1)}, {budget, update_bytes(2)}, {budget, update_bytes(3)}});
  ASSERT_TRUE(*replace_snapshot(budget, "s1", ids[0], 0));
  auto replaced = replace_snapshot(budget,
                                   std::string("s\0"
                                               "3",
                                               3),
                                   ids[2], ids[0]);
  ASSERT_TRUE(replaced) << replaced.error().message;
  EXPECT_TRUE(*replaced);
  const StoredContent stored = content(budget);
  EXPECT_EQ(stored.snapshot, std::string("s\0"
                                         "3",
                                         3));
  EXPECT_EQ(stored.snapshot_through, ids[2]);
  EXPECT_TRUE(stored.updates.empty());
  EXPECT_EQ(log_rows(budget), 0);
}

TEST_F(DocumentStoreTest, AStaleSnapshotChangesNothing) {
  const std::int64_t budget = new_document();
  const auto ids =
      append({{budget, update_bytes(1)}, {budget, update_bytes(2)}, {budget, update_bytes(3)}});
  ASSERT_TRUE(*replace_snapshot(budget, "s1", ids[0], 0));

  // Someone else compacted first: a second "first" snapshot, and one expecting an old id.
  auto second_first = replace_snapshot(budget, "other", ids[2], 0);
  ASSERT_TRUE(second_first) << second_first.error().message;
  EXPECT_FALSE(*second_first);
  auto stale = replace_snapshot(budget, "other", ids[2], ids[1]);
  ASSERT_TRUE(stale) << stale.error().message;
  EXPECT_FALSE(*stale);

  const StoredContent stored = content(budget);
  EXPECT_EQ(stored.snapshot, "s1");
  EXPECT_EQ(stored.snapshot_through, ids[0]);
  EXPECT_EQ(stored.updates, (Updates{{ids[1], update_bytes(2)}, {ids[2], update_bytes(3)}}));
  EXPECT_EQ(log_rows(budget), 2);
}

TEST_F(DocumentStoreTest, UpdatesAppendedAfterASnapshotOfTheWholeLogAreKept) {
  // After a compaction has folded every row, the log table may be empty (or its newest rows
  // gone); an update appended then must get an id above the snapshot's, or content() would
  // skip it and the edit would be lost.
  const std::int64_t budget = new_document();
  const auto ids = append({{budget, update_bytes(1)}, {budget, update_bytes(2)}});
  ASSERT_TRUE(*replace_snapshot(budget, "s", ids[1], 0));
  ASSERT_EQ(log_rows(budget), 0);

  const auto later = append({{budget, update_bytes(3)}});
  ASSERT_EQ(later.size(), 1u);
  EXPECT_GT(later[0], ids[1]);
  const StoredContent stored = content(budget);
  EXPECT_EQ(stored.snapshot, "s");
  EXPECT_EQ(stored.updates, (Updates{{later[0], update_bytes(3)}}));
}

TEST_F(DocumentStoreTest, UpdatesAppendedAfterFoldingTheNewestRowsAreKept) {
  // The same with another document's rows still in the table, below the folded ones.
  const std::int64_t budget = new_document("Budget");
  const std::int64_t minutes = new_document("Minutes");
  const auto ids =
      append({{minutes, update_bytes(1)}, {budget, update_bytes(2)}, {budget, update_bytes(3)}});
  ASSERT_TRUE(*replace_snapshot(budget, "s", ids[2], 0));

  const auto later = append({{budget, update_bytes(4)}});
  ASSERT_EQ(later.size(), 1u);
  EXPECT_GT(later[0], ids[2]);
  EXPECT_EQ(content(budget).updates, (Updates{{later[0], update_bytes(4)}}));
  EXPECT_EQ(content(minutes).updates, (Updates{{ids[0], update_bytes(1)}}));
}

TEST_F(DocumentStoreTest, AddsListsAndGetsVersions) {
  const std::int64_t budget = new_document("Budget");
  const std::int64_t minutes = new_document("Minutes");
  auto first = in_transaction([&](DocumentStore& d) {
    return d.add_version(budget, "Draft for cabinet", owner_id_, update_bytes(1));
  });
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_GT(first->id, 0);
  EXPECT_EQ(first->document_id, budget);
  EXPECT_EQ(first->label, "Draft for cabinet");
  EXPECT_EQ(first->author_id, owner_id_);
  EXPECT_EQ(base::to_unix_millis(first->created_at), 1'767'225'600'123);
  EXPECT_EQ(first->state, update_bytes(1));

  clock_.advance(90s);
  auto second = in_transaction([&](DocumentStore& d) {
    return d.add_version(budget, "Agreed", owner_id_, update_bytes(2));
  });
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_GT(second->id, first->id);
  ASSERT_TRUE(in_transaction([&](DocumentStore& d) {
    return d.add_version(minutes, "Other document", owner_id_, update_bytes(3));
  }));

  auto listed = in_transaction([&](DocumentStore& d) { return d.versions(budget); });
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, second->id);  // newest first
  EXPECT_EQ((*listed)[0].label, "Agreed");
  EXPECT_EQ((*listed)[0].author_id, owner_id_);
  EXPECT_EQ(base::to_unix_millis((*listed)[0].created_at), 1'767'225'690'123);
  EXPECT_EQ((*listed)[0].state, "");  // listed without states
  EXPECT_EQ((*listed)[1].id, first->id);
  EXPECT_EQ((*listed)[1].state, "");

  auto got = in_transaction([&](DocumentStore& d) { return d.version(budget, first->id); });
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_TRUE(*got);
  EXPECT_EQ((*got)->label, "Draft for cabinet");
  EXPECT_EQ((*got)->state, update_bytes(1));
  EXPECT_EQ((*got)->created_at, first->created_at);

  // A version is found only through its own document.
  auto elsewhere = in_transaction([&](DocumentStore& d) { return d.version(minutes, first->id); });
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(*elsewhere);
  auto missing = in_transaction([&](DocumentStore& d) { return d.version(budget, 999999); });
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  const std::int64_t fresh = new_document("New");
  auto none = in_transaction([&](DocumentStore& d) { return d.versions(fresh); });
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(DocumentStoreTest, VersionLabelsMustBeNonEmptyAndAtMost200Bytes) {
  const std::int64_t budget = new_document();
  for (const std::string& label : {std::string(), std::string("  "), std::string(201, 'v')}) {
    auto refused = in_transaction(
        [&](DocumentStore& d) { return d.add_version(budget, label, owner_id_, "state"); });
    ASSERT_FALSE(refused) << "'" << label << "' was accepted";
    EXPECT_EQ(refused.error().kind, ErrorKind::invalid_input);
  }
  auto accepted = in_transaction([&](DocumentStore& d) {
    return d.add_version(budget, std::string(200, 'v'), owner_id_, "state");
  });
  ASSERT_TRUE(accepted) << accepted.error().message;
  auto listed = in_transaction([&](DocumentStore& d) { return d.versions(budget); });
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(DocumentStoreTest, AVersionOutlivesItsErasedAuthor) {
  const std::int64_t budget = new_document();
  auto author = db().transaction([&](store::Connection& c) {
    return auth::DirectoryStore(c, clock_).create_person({.organisation_id = organisation_id_,
                                                          .email = "gareth@afonvalley.gov.uk",
                                                          .display_name = "Gareth"});
  });
  ASSERT_TRUE(author) << author.error().message;
  auto version = in_transaction(
      [&](DocumentStore& d) { return d.add_version(budget, "By Gareth", author->id, "state"); });
  ASSERT_TRUE(version) << version.error().message;
  ASSERT_TRUE(db().with_connection([&](store::Connection& c) {
    return c.execute("DELETE FROM people WHERE id = ?", {author->id});
  }));

  auto got = in_transaction([&](DocumentStore& d) { return d.version(budget, version->id); });
  ASSERT_TRUE(got && *got);
  EXPECT_FALSE((*got)->author_id);
  EXPECT_EQ((*got)->state, "state");
  auto listed = in_transaction([&](DocumentStore& d) { return d.versions(budget); });
  ASSERT_TRUE(listed && listed->size() == 1);
  EXPECT_FALSE((*listed)[0].author_id);
}

TEST_F(DocumentStoreTest, DeletingADocumentDeletesItsContent) {
  const std::int64_t budget = new_document();
  const auto ids = append({{budget, update_bytes(1)}, {budget, update_bytes(2)}});
  ASSERT_TRUE(*replace_snapshot(budget, "s", ids[0], 0));
  ASSERT_TRUE(in_transaction(
      [&](DocumentStore& d) { return d.add_version(budget, "v", owner_id_, "state"); }));
  ASSERT_TRUE(db().with_connection([&](store::Connection& c) {
    return c.execute("DELETE FROM documents WHERE id = ?", {budget});
  }));
  const StoredContent stored = content(budget);
  EXPECT_EQ(stored.snapshot, "");
  EXPECT_TRUE(stored.updates.empty());
  EXPECT_EQ(log_rows(budget), 0);
  auto listed = in_transaction([&](DocumentStore& d) { return d.versions(budget); });
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
}

// --- documents in spaces
// --------------------------------------------------------------------------

TEST_F(DocumentStoreTest, ADocumentCanLiveInASpaceWhichListsIt) {
  auto space = db().transaction([&](store::Connection& c) {
    return auth::SpaceStore(c, clock_).create(
        {.organisation_id = organisation_id_, .name = "Family support", .created_by = owner_id_});
  });
  ASSERT_TRUE(space) << space.error().message;
  const std::int64_t loose = new_document("Loose notes");
  auto minutes =
      in_transaction([&](DocumentStore& d) { return d.create(owner_id_, "Minutes", space->id); });
  ASSERT_TRUE(minutes) << minutes.error().message;
  EXPECT_EQ(minutes->space_id, space->id);
  auto agenda =
      in_transaction([&](DocumentStore& d) { return d.create(owner_id_, "Agenda", space->id); });
  ASSERT_TRUE(agenda) << agenda.error().message;

  auto found = in_transaction([&](DocumentStore& d) { return d.find(minutes->id); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->space_id, space->id);
  auto found_loose = in_transaction([&](DocumentStore& d) { return d.find(loose); });
  ASSERT_TRUE(found_loose && *found_loose);
  EXPECT_EQ((*found_loose)->space_id, std::nullopt);

  auto listed = in_transaction([&](DocumentStore& d) { return d.in_space(space->id); });
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].title, "Agenda");
  EXPECT_EQ((*listed)[1].title, "Minutes");

  auto nowhere =
      in_transaction([&](DocumentStore& d) { return d.create(owner_id_, "Lost", 9999); });
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().kind, ErrorKind::not_found);
}

TEST_F(DocumentStoreTest, TheDocumentRoleIsTheStrongerOfItsOwnGrantAndTheSpaceRole) {
  struct People {
    std::int64_t nhs = 0, catrin = 0, elin = 0, gareth = 0, space = 0, sensitive = 0;
  };
  auto made = db().transaction([&](store::Connection& c) -> Result<People> {
    People p;
    auth::DirectoryStore directory(c, clock_);
    auto nhs = directory.create_organisation("Bro Afon NHS Trust", auth::OrganisationKind::nhs, {});
    if (!nhs) return nhs.error();
    p.nhs = nhs->id;
    auto catrin = directory.create_person({.organisation_id = p.nhs,
                                           .email = "catrin@broafon.wales.nhs.uk",
                                           .display_name = "Catrin"});
    if (!catrin) return catrin.error();
    p.catrin = catrin->id;
    auto elin = directory.create_person(
        {.organisation_id = p.nhs, .email = "elin@broafon.wales.nhs.uk", .display_name = "Elin"});
    if (!elin) return elin.error();
    p.elin = elin->id;
    auto gareth = directory.create_person({.organisation_id = organisation_id_,
                                           .email = "gareth@afonvalley.gov.uk",
                                           .display_name = "Gareth"});
    if (!gareth) return gareth.error();
    p.gareth = gareth->id;
    auth::SpaceStore spaces(c, clock_);
    auto space = spaces.create(
        {.organisation_id = organisation_id_, .name = "Discharge", .created_by = owner_id_});
    if (!space) return space.error();
    p.space = space->id;
    auto sensitive = spaces.create({.organisation_id = organisation_id_,
                                    .name = "Child protection",
                                    .classification = auth::Classification::official_sensitive,
                                    .created_by = owner_id_});
    if (!sensitive) return sensitive.error();
    p.sensitive = sensitive->id;
    AGORA_TRY(spaces.share_with_organisation(p.space, p.nhs, auth::Role::commenter));
    AGORA_TRY(spaces.share_with_person(p.sensitive, p.catrin, auth::Role::viewer));
    return p;
  });
  ASSERT_TRUE(made) << made.error().message;
  const People& p = *made;

  const auto role = [&](std::int64_t person, std::int64_t organisation,
                        std::optional<std::int64_t> space) -> std::optional<auth::Role> {
    auto r = db().transaction([&](store::Connection& c) -> Result<std::optional<auth::Role>> {
      auto document = DocumentStore(c, clock_).create(owner_id_, "Plan", space);
      if (!document) return document.error();
      if (person == p.gareth) {
        AGORA_TRY(auth::GrantStore(c, clock_).set_role("document", document->id, p.gareth,
                                                       auth::Role::editor));
      }
      return document_role(c, clock_, person, organisation, *document);
    });
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::nullopt;
  };

  // A document outside any space: its own grants only.
  EXPECT_EQ(role(p.elin, p.nhs, std::nullopt), std::nullopt);
  EXPECT_EQ(role(p.gareth, organisation_id_, std::nullopt), auth::Role::editor);
  // In a space shared with the NHS trust: every one of its staff comments.
  EXPECT_EQ(role(p.elin, p.nhs, p.space), auth::Role::commenter);
  // Gareth is not in the space, but his own editor grant counts; and it beats a weaker space role.
  EXPECT_EQ(role(p.gareth, organisation_id_, p.space), auth::Role::editor);
  // The space's owner owns its documents.
  EXPECT_EQ(role(owner_id_, organisation_id_, p.space), auth::Role::owner);
  // In an OFFICIAL-SENSITIVE space only the named.
  EXPECT_EQ(role(p.catrin, p.nhs, p.sensitive), auth::Role::viewer);
  EXPECT_EQ(role(p.elin, p.nhs, p.sensitive), std::nullopt);
  // Deprovisioned (suspended) people keep their grants on record but may use none of them.
  auto suspended = db().with_connection([&](store::Connection& c) {
    return auth::DirectoryStore(c, clock_).set_status(p.gareth, auth::PersonStatus::suspended);
  });
  ASSERT_TRUE(suspended) << suspended.error().message;
  EXPECT_EQ(role(p.gareth, organisation_id_, std::nullopt), std::nullopt);
  EXPECT_EQ(role(owner_id_, organisation_id_, p.space), auth::Role::owner);
}

}  // namespace
}  // namespace agora::collab
