#include "collab/update_log.hpp"

#include "auth/directory_store.hpp"
#include "auth/migrations.hpp"
#include "base/clock.hpp"
#include "collab/document_content.hpp"
#include "collab/document_store.hpp"
#include "collab/migrations.hpp"
#include "crdt/doc.hpp"
#include "crdt/readers.hpp"
#include "store/backend_test_fixture.hpp"
#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace agora::collab {
namespace {

using namespace std::chrono_literals;

// Only a guard against a hang: a correct log finishes in well under a second.
constexpr auto kHangGuard = 120s;


std::string as_string(const std::vector<std::uint8_t>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Two Yjs clients editing, each seeing the other's edits, so the updates depend on each other
// (origins across clients, deletions of the other's text). Client A also edits a paragraph of
// the TipTap root; both edit a shared text root "notes".
class Editors {
 public:
  Editors() : a_(101), b_(202) {
    std::vector<std::uint8_t> first = a_.transact([&](crdt::Transaction& t) {
      crdt::Type& paragraph = crdt::XmlEditor::insert_element(
          t, a_.root(kContentRoot, crdt::TypeKind::xml_fragment), 0, "paragraph");
      paragraph_text_ = &crdt::XmlEditor::insert_text(t, paragraph, 0);
      crdt::TextEditor::insert(t, *paragraph_text_, 0, u"Cyllideb");
      crdt::TextEditor::insert(t, a_.root("notes", crdt::TypeKind::text), 0, u"Nodiadau");
    });
    EXPECT_TRUE(b_.apply_update(first));
    updates_.push_back(as_string(first));
  }

  // Makes `count` more edits, alternating between the clients, and records each update.
  void edit(int count) {
    for (int i = 0; i < count; ++i) {
      const int n = step_++;
      const bool by_a = n % 2 == 0;
      crdt::Doc& doc = by_a ? a_ : b_;
      crdt::Type& text =
          by_a && n % 4 == 0 ? *paragraph_text_ : doc.root("notes", crdt::TypeKind::text);
      const std::uint64_t length = crdt::text_to_string(text).size();  // ASCII only
      std::vector<std::uint8_t> update = doc.transact([&](crdt::Transaction& t) {
        if (n % 5 == 4 && length > 3) {
          crdt::TextEditor::erase(t, text, (static_cast<std::uint64_t>(n) * 7) % (length - 2), 2);
        } else {
          crdt::TextEditor::insert(t, text, (static_cast<std::uint64_t>(n) * 3) % (length + 1),
                                   by_a ? u" ab" : u"xy");
        }
      });
      EXPECT_FALSE(update.empty());
      EXPECT_TRUE((by_a ? b_ : a_).apply_update(update));
      updates_.push_back(as_string(update));
    }
  }

  const std::vector<std::string>& updates() const { return updates_; }

  // A fresh document that applied every update, in order, as a live room would.
  std::unique_ptr<crdt::Doc> replay() const {
    auto doc = new_doc();
    for (const std::string& update : updates_) EXPECT_TRUE(doc->apply_update(as_bytes(update)));
    return doc;
  }

 private:
  crdt::Doc a_;
  crdt::Doc b_;
  crdt::Type* paragraph_text_ = nullptr;
  int step_ = 0;
  std::vector<std::string> updates_;
};

// What a reader sees of the document: the TipTap root and the notes.
std::string xml_of(crdt::Doc& doc) {
  return crdt::xml_to_string(doc.root(kContentRoot, crdt::TypeKind::xml_fragment)) + " | " +
         crdt::text_to_string(doc.root("notes", crdt::TypeKind::text));
}

// Runs on SQLite, and again on PostgreSQL as the ctest "pg." tests
// (store/backend_test_fixture.hpp).
class UpdateLogTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    const auto migrations = schema();
    auto applied = store::migrate(db(), migrations);
    ASSERT_TRUE(applied) << applied.error().message;
    auto person = db().transaction([&](store::Connection& c) -> Result<auth::Person> {
      auth::DirectoryStore directory(c, clock_);
      auto organisation =
          directory.create_organisation("Afon Valley Council", auth::OrganisationKind::council, {});
      if (!organisation) return organisation.error();
      return directory.create_person({.organisation_id = organisation->id,
                                      .email = "sian@afonvalley.gov.uk",
                                      .display_name = "Siân Pritchard"});
    });
    ASSERT_TRUE(person) << person.error().message;
    owner_id_ = person->id;
  }

  std::int64_t new_document(std::string_view title) {
    auto document = db().transaction(
        [&](store::Connection& c) { return DocumentStore(c, clock_).create(owner_id_, title); });
    EXPECT_TRUE(document) << document.error().message;
    return document ? document->id : 0;
  }

  StoredContent content(std::int64_t document_id) {
    auto stored = db().with_connection(
        [&](store::Connection& c) { return DocumentStore(c, clock_).content(document_id); });
    EXPECT_TRUE(stored) << stored.error().message;
    return stored ? *stored : StoredContent{};
  }

  std::int64_t log_rows(std::int64_t document_id) {
    auto rows = db().with_connection([&](store::Connection& c) {
      return c.query("SELECT COUNT(*) FROM document_updates WHERE document_id = ?", {document_id});
    });
    EXPECT_TRUE(rows) << rows.error().message;
    return rows ? rows->front().integer(0) : -1;
  }

  // Appends every update and waits for each Done; returns the log ids in order.
  std::vector<std::int64_t> append_all(UpdateLog& log, std::int64_t document_id,
                                       std::span<const std::string> updates) {
    std::vector<std::int64_t> ids(updates.size(), 0);
    std::mutex mutex;
    std::condition_variable cv;
    std::size_t done = 0;
    for (std::size_t i = 0; i < updates.size(); ++i) {
      log.append(document_id, updates[i], [&, i](Result<std::int64_t> id) {
        EXPECT_TRUE(id) << id.error().message;
        std::lock_guard lock(mutex);
        ids[i] = id ? *id : -1;
        ++done;
        cv.notify_all();
      });
    }
    std::unique_lock lock(mutex);
    EXPECT_TRUE(cv.wait_for(lock, kHangGuard, [&] { return done == updates.size(); }));
    return ids;
  }

  // Waits until the compactor has folded the log through at least `through`.
  StoredContent wait_for_snapshot_through(std::int64_t document_id, std::int64_t through) {
    const auto give_up = std::chrono::steady_clock::now() + kHangGuard;
    for (;;) {
      StoredContent stored = content(document_id);
      if (stored.snapshot_through >= through) return stored;
      if (std::chrono::steady_clock::now() > give_up) {
        ADD_FAILURE() << "the log was not compacted through " << through << "; it is through "
                      << stored.snapshot_through;
        return stored;
      }
      std::this_thread::sleep_for(5ms);
    }
  }

  base::ManualClock clock_{base::from_unix_millis(1'767'225'600'123)};
  std::int64_t owner_id_ = 0;
};

TEST_F(UpdateLogTest, GroupCommitsAppendsFromManyThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 60;
  constexpr int kTotal = kThreads * kPerThread;
  const std::vector<std::int64_t> documents = {new_document("Budget"), new_document("Minutes"),
                                               new_document("Agenda")};

  struct Outcome {
    int calls = 0;
    std::int64_t id = 0;
  };
  std::vector<Outcome> outcomes(kTotal);
  std::map<std::int64_t, std::vector<std::int64_t>> done_order;  // per document, in call order
  std::mutex mutex;
  std::condition_variable cv;
  int done = 0;

  // The first Done holds the writer until every thread has queued everything, so the rest
  // must be committed in batches: group commit, without depending on timing.
  std::promise<void> all_queued;
  std::shared_future<void> all_queued_future = all_queued.get_future().share();
  std::atomic<bool> first{true};

  {
    UpdateLog log(db(), clock_, {.max_batch = 1024, .compact_after = 1'000'000});
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const int index = t * kPerThread + i;
          const std::int64_t document = documents[static_cast<std::size_t>((t + i) % 3)];
          log.append(document, "update " + std::to_string(index),
                     [&, index, document](Result<std::int64_t> id) {
                       if (first.exchange(false)) all_queued_future.wait();
                       ASSERT_TRUE(id) << id.error().message;
                       std::lock_guard lock(mutex);
                       ++outcomes[static_cast<std::size_t>(index)].calls;
                       outcomes[static_cast<std::size_t>(index)].id = *id;
                       done_order[document].push_back(*id);
                       ++done;
                       cv.notify_all();
                     });
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    all_queued.set_value();
    {
      std::unique_lock lock(mutex);
      ASSERT_TRUE(cv.wait_for(lock, kHangGuard, [&] { return done == kTotal; }));
    }
    EXPECT_EQ(log.appends(), static_cast<std::uint64_t>(kTotal));
    EXPECT_LT(log.commits(), log.appends()) << "every append had a transaction of its own";
  }

  // Every Done exactly once (counted again after the log is gone, so none came late).
  for (int index = 0; index < kTotal; ++index) {
    EXPECT_EQ(outcomes[static_cast<std::size_t>(index)].calls, 1) << "append " << index;
  }
  // Ids are distinct, increase in the order Done reports them per document, and in each
  // thread's own order of appending.
  std::set<std::int64_t> distinct;
  for (const Outcome& o : outcomes) distinct.insert(o.id);
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kTotal));
  for (const auto& [document, ids] : done_order) {
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end())) << "document " << document;
  }
  for (int t = 0; t < kThreads; ++t) {
    std::map<std::int64_t, std::int64_t> last;  // document -> last id seen from this thread
    for (int i = 0; i < kPerThread; ++i) {
      const std::int64_t document = documents[static_cast<std::size_t>((t + i) % 3)];
      const std::int64_t id = outcomes[static_cast<std::size_t>(t * kPerThread + i)].id;
      EXPECT_GT(id, last[document]) << "thread " << t << " append " << i;
      last[document] = id;
    }
  }
  // The stored logs hold every update under the id its Done reported, in id order.
  std::size_t stored_total = 0;
  for (std::int64_t document : documents) {
    const StoredContent stored = content(document);
    EXPECT_EQ(stored.snapshot_through, 0);
    std::vector<std::pair<std::int64_t, std::string>> expected;
    for (int index = 0; index < kTotal; ++index) {
      const int t = index / kPerThread, i = index % kPerThread;
      if (documents[static_cast<std::size_t>((t + i) % 3)] != document) continue;
      expected.emplace_back(outcomes[static_cast<std::size_t>(index)].id,
                            "update " + std::to_string(index));
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(stored.updates, expected) << "document " << document;
    stored_total += stored.updates.size();
  }
  EXPECT_EQ(stored_total, static_cast<std::size_t>(kTotal));
}

TEST_F(UpdateLogTest, TheDestructorWritesEverythingStillQueued) {
  constexpr int kCount = 200;
  const std::int64_t document = new_document("Budget");
  std::vector<int> calls(kCount, 0);
  std::vector<std::int64_t> ids(kCount, 0);
  std::promise<void> destroying;
  std::shared_future<void> destroying_future = destroying.get_future().share();
  std::atomic<bool> first{true};
  {
    auto log = std::make_unique<UpdateLog>(db(), clock_, UpdateLog::Options{});
    for (int i = 0; i < kCount; ++i) {
      // The writer is held in the first Done until the log is being destroyed, so the rest are
      // still queued (or being written) when the destructor starts.
      log->append(document, "update " + std::to_string(i), [&, i](Result<std::int64_t> id) {
        if (first.exchange(false)) destroying_future.wait();
        ASSERT_TRUE(id) << id.error().message;
        ++calls[static_cast<std::size_t>(i)];
        ids[static_cast<std::size_t>(i)] = *id;
      });
    }
    destroying.set_value();
    log.reset();
  }
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(calls[static_cast<std::size_t>(i)], 1) << i;
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  const StoredContent stored = content(document);
  ASSERT_EQ(stored.updates.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(stored.updates[static_cast<std::size_t>(i)],
              std::make_pair(ids[static_cast<std::size_t>(i)], "update " + std::to_string(i)));
  }
}

TEST_F(UpdateLogTest, AFailedAppendIsReportedToItsDone) {
  // A document that does not exist: the foreign key refuses the row.
  const std::int64_t document = new_document("Budget");
  std::promise<Result<std::int64_t>> outcome;
  {
    UpdateLog log(db(), clock_, UpdateLog::Options{});
    log.append(document + 1000, "orphan",
               [&](Result<std::int64_t> id) { outcome.set_value(std::move(id)); });
  }
  auto id = outcome.get_future().get();
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().kind, ErrorKind::conflict);
}

TEST_F(UpdateLogTest, CompactsALongLogIntoASnapshotWithTheSameState) {
  const std::int64_t document = new_document("Budget");
  Editors editors;
  editors.edit(29);  // 30 real Yjs updates with inserts, deletes and two clients
  ASSERT_EQ(editors.updates().size(), 30u);
  std::vector<std::int64_t> ids;
  {
    UpdateLog log(db(), clock_, {.max_batch = 1024, .compact_after = 10});
    ids = append_all(log, document, editors.updates());
    // Compaction is due after the 10th, 20th and 30th row; the last one folds everything.
    const StoredContent compacted = wait_for_snapshot_through(document, ids.back());
    EXPECT_FALSE(compacted.snapshot.empty());
    EXPECT_TRUE(compacted.updates.empty());
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(log_rows(document), 0);

  auto expected = editors.replay();
  const StoredContent stored = content(document);
  auto built = build_doc(stored);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_EQ(xml_of(**built), xml_of(*expected));
  EXPECT_EQ((*built)->state_vector(), expected->state_vector());
  auto built_state = (*built)->encode_state_as_update();
  auto expected_state = expected->encode_state_as_update();
  ASSERT_TRUE(built_state && expected_state);
  EXPECT_EQ(*built_state, *expected_state);
  EXPECT_FALSE((*built)->has_pending());
}

TEST_F(UpdateLogTest, AnEditAfterCompactionIsNotLost) {
  const std::int64_t document = new_document("Budget");
  Editors editors;
  editors.edit(9);  // 10 updates: exactly one compaction's worth
  {
    UpdateLog log(db(), clock_, {.max_batch = 1024, .compact_after = 10});
    const auto ids = append_all(log, document, editors.updates());
    wait_for_snapshot_through(document, ids.back());
    ASSERT_EQ(log_rows(document), 0);

    editors.edit(1);
    const auto later = append_all(log, document, std::span(editors.updates()).last(1));
    ASSERT_EQ(later.size(), 1u);
    EXPECT_GT(later[0], ids.back()) << "a log id was reused below the snapshot";
  }
  const StoredContent stored = content(document);
  EXPECT_EQ(stored.updates.size(), 1u);
  auto built = build_doc(stored);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_EQ(xml_of(**built), xml_of(*editors.replay()));
}

TEST_F(UpdateLogTest, NoteBacklogCompactsALogLeftByAnEarlierRun) {
  const std::int64_t document = new_document("Budget");
  Editors editors;
  editors.edit(5);
  std::vector<std::int64_t> ids;
  {
    // An earlier run that never compacted.
    UpdateLog log(db(), clock_, {.max_batch = 1024, .compact_after = 1'000'000});
    ids = append_all(log, document, editors.updates());
  }
  ASSERT_EQ(log_rows(document), 6);
  {
    UpdateLog log(db(), clock_, {.max_batch = 1024, .compact_after = 5});
    log.note_backlog(document, 6);
    const StoredContent stored = wait_for_snapshot_through(document, ids.back());
    EXPECT_TRUE(stored.updates.empty());
  }
  auto loaded = load_doc(db(), clock_, document);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(xml_of(**loaded), xml_of(*editors.replay()));
}

// ---- document_content: compact_document, build_doc, load_doc ----

class DocumentContentTest : public UpdateLogTest {
 protected:
  std::vector<std::int64_t> append_direct(std::int64_t document,
                                          std::span<const std::string> updates) {
    std::vector<LogEntry> entries;
    for (const std::string& update : updates) entries.push_back({document, update});
    auto ids = db().transaction(
        [&](store::Connection& c) { return DocumentStore(c, clock_).append(entries); });
    EXPECT_TRUE(ids) << ids.error().message;
    return ids ? *ids : std::vector<std::int64_t>{};
  }
};

TEST_F(DocumentContentTest, CompactDocumentFoldsTheLogAndKeepsTheState) {
  const std::int64_t document = new_document("Budget");
  auto nothing = compact_document(db(), clock_, document);
  ASSERT_TRUE(nothing) << nothing.error().message;
  EXPECT_EQ(*nothing, 0u);
  EXPECT_TRUE(content(document).snapshot.empty());

  Editors editors;
  editors.edit(11);
  const auto ids = append_direct(document, std::span(editors.updates()).first(8));
  // Another document's row above them, so folding them leaves the newest log id in place (the
  // case of folding the newest rows is UpdateLogTest.AnEditAfterCompactionIsNotLost).
  const std::string other_update = editors.updates()[0];
  ASSERT_EQ(append_direct(new_document("Other"), std::span(&other_update, 1)).size(), 1u);
  auto folded = compact_document(db(), clock_, document);
  ASSERT_TRUE(folded) << folded.error().message;
  EXPECT_EQ(*folded, 8u);
  StoredContent stored = content(document);
  EXPECT_EQ(stored.snapshot_through, ids.back());
  EXPECT_TRUE(stored.updates.empty());
  EXPECT_EQ(log_rows(document), 0);

  // Compacting again with nothing new changes nothing.
  auto again = compact_document(db(), clock_, document);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);

  const auto more = append_direct(document, std::span(editors.updates()).subspan(8));
  ASSERT_EQ(more.size(), 4u);
  folded = compact_document(db(), clock_, document);
  ASSERT_TRUE(folded) << folded.error().message;
  EXPECT_EQ(*folded, 4u);
  stored = content(document);
  EXPECT_EQ(stored.snapshot_through, more.back());

  auto loaded = load_doc(db(), clock_, document);
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto expected = editors.replay();
  EXPECT_EQ(xml_of(**loaded), xml_of(*expected));
  EXPECT_EQ((*loaded)->encode_state_as_update().value(),
            expected->encode_state_as_update().value());
}

TEST_F(DocumentContentTest, BuildDocAppliesTheSnapshotThenTheUpdates) {
  Editors editors;
  editors.edit(6);
  const auto& updates = editors.updates();
  // A snapshot of the first four, as the compactor writes it.
  auto partial = new_doc();
  for (std::size_t i = 0; i < 4; ++i) ASSERT_TRUE(partial->apply_update(as_bytes(updates[i])));
  StoredContent stored;
  stored.snapshot = as_string(partial->encode_state_as_update().value());
  stored.snapshot_through = 4;
  for (std::size_t i = 4; i < updates.size(); ++i) {
    stored.updates.emplace_back(static_cast<std::int64_t>(i + 1), updates[i]);
  }
  auto built = build_doc(stored);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_EQ(xml_of(**built), xml_of(*editors.replay()));
  EXPECT_NE(xml_of(**built), xml_of(*partial));

  // Nothing stored: an empty document with the TipTap root declared.
  auto empty = build_doc(StoredContent{});
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_NE((*empty)->find_root(kContentRoot), nullptr);
  EXPECT_EQ(xml_of(**empty), " | ");
}

TEST_F(DocumentContentTest, BuildDocNamesTheUpdateThatDoesNotApply) {
  Editors editors;
  StoredContent stored;
  stored.updates = {{17, editors.updates()[0]}, {18, std::string("\x05garbage")}};
  auto built = build_doc(stored);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().kind, ErrorKind::corrupt);
  EXPECT_NE(built.error().message.find("18"), std::string::npos) << built.error().message;

  StoredContent bad_snapshot;
  bad_snapshot.snapshot = std::string("\xff\xff\xff", 3);
  auto refused = build_doc(bad_snapshot);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::corrupt);
}

TEST_F(DocumentContentTest, LoadDocOfADocumentWithoutContentIsEmpty) {
  auto loaded = load_doc(db(), clock_, new_document("Empty"));
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(xml_of(**loaded), " | ");
  EXPECT_EQ((*loaded)->encode_state_vector(), (std::vector<std::uint8_t>{0}));
}

}  // namespace
}  // namespace agora::collab
