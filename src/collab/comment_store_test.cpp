#include "collab/comment_store.hpp"

#include "auth/directory_store.hpp"
#include "auth/migrations.hpp"
#include "base/base64.hpp"
#include "base/clock.hpp"
#include "collab/document_store.hpp"
#include "collab/image_store.hpp"
#include "collab/migrations.hpp"
#include "store/backend_test_fixture.hpp"
#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace agora::collab {
namespace {

using namespace std::chrono_literals;

// Runs on SQLite, and again on PostgreSQL as the ctest "pg." tests when registered there
// (store/backend_test_fixture.hpp).
class CommentStoreTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto applied = store::migrate(db(), schema());
    ASSERT_TRUE(applied) << applied.error().message;

    auto made = db().transaction([&](store::Connection& c) -> Result<> {
      auth::DirectoryStore directory(c, clock_);
      const std::vector<std::string> domains{"afonvalley.gov.uk"};
      auto council = directory.create_organisation("Afon Valley Council",
                                                   auth::OrganisationKind::council, domains);
      if (!council) return council.error();
      auto sian = directory.create_person({council->id, "sian@afonvalley.gov.uk", "Siân", ""});
      if (!sian) return sian.error();
      auto gareth = directory.create_person({council->id, "gareth@afonvalley.gov.uk", "Gareth", ""});
      if (!gareth) return gareth.error();
      sian_ = sian->id;
      gareth_ = gareth->id;
      DocumentStore documents(c, clock_);
      auto plan = documents.create(sian_, "Plan");
      if (!plan) return plan.error();
      auto other = documents.create(sian_, "Other");
      if (!other) return other.error();
      plan_ = plan->id;
      other_ = other->id;
      return {};
    });
    ASSERT_TRUE(made) << made.error().message;
  }

  template <typename F>
  auto with_store(F&& fn) {
    return db().transaction([&](store::Connection& c) {
      CommentStore comments(c, clock_);
      return fn(comments);
    });
  }

  // Encoded relative positions are opaque to the store; any base64 will do.
  static NewThread new_thread(std::string body = "Is this the right date?") {
    return NewThread{"AQLpBwEA", "AQLpBwQA", "Tuesday", std::move(body)};
  }

  base::ManualClock clock_{base::from_unix_millis(1'767'225'600'000)};
  std::int64_t sian_ = 0;
  std::int64_t gareth_ = 0;
  std::int64_t plan_ = 0;
  std::int64_t other_ = 0;
};

TEST_F(CommentStoreTest, StartsAThreadWithItsFirstComment) {
  auto started = with_store([&](CommentStore& s) { return s.start_thread(plan_, sian_, new_thread()); });
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_GT(started->id, 0);
  EXPECT_EQ(started->document_id, plan_);
  EXPECT_EQ(started->author_id, sian_);
  EXPECT_EQ(started->quote, "Tuesday");
  EXPECT_FALSE(started->resolved());
  ASSERT_EQ(started->comments.size(), 1u);
  EXPECT_EQ(started->comments[0].body, "Is this the right date?");
  EXPECT_EQ(started->comments[0].author_id, sian_);

  auto listed = with_store([&](CommentStore& s) { return s.threads(plan_); });
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  const CommentThread& t = listed->front();
  EXPECT_EQ(t.id, started->id);
  EXPECT_EQ(t.anchor_start, "AQLpBwEA");
  EXPECT_EQ(t.anchor_end, "AQLpBwQA");
  EXPECT_EQ(base::to_unix_millis(t.created_at), 1'767'225'600'000);
  ASSERT_EQ(t.comments.size(), 1u);
  EXPECT_EQ(t.comments[0].id, started->comments[0].id);
}

TEST_F(CommentStoreTest, RepliesFollowInOrderAndStayInTheirThread) {
  auto first = with_store([&](CommentStore& s) { return s.start_thread(plan_, sian_, new_thread("one")); });
  auto second = with_store([&](CommentStore& s) { return s.start_thread(plan_, gareth_, new_thread("two")); });
  ASSERT_TRUE(first && second);
  clock_.advance(5s);
  ASSERT_TRUE(with_store([&](CommentStore& s) { return s.reply(plan_, first->id, gareth_, "reply A"); }));
  ASSERT_TRUE(with_store([&](CommentStore& s) { return s.reply(plan_, second->id, sian_, "reply B"); }));
  ASSERT_TRUE(with_store([&](CommentStore& s) { return s.reply(plan_, first->id, sian_, "reply C"); }));

  auto listed = with_store([&](CommentStore& s) { return s.threads(plan_); });
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  std::vector<std::string> bodies;
  for (const Comment& c : (*listed)[0].comments) bodies.push_back(c.body);
  EXPECT_EQ(bodies, (std::vector<std::string>{"one", "reply A", "reply C"}));
  ASSERT_EQ((*listed)[1].comments.size(), 2u);
  EXPECT_EQ((*listed)[1].comments[1].body, "reply B");
  EXPECT_EQ((*listed)[1].comments[1].author_id, sian_);
  EXPECT_EQ(base::to_unix_millis((*listed)[1].comments[1].created_at), 1'767'225'605'000);

  auto one = with_store([&](CommentStore& s) { return s.thread(plan_, first->id); });
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((*one)->comments.size(), 3u);
}

TEST_F(CommentStoreTest, ResolvesAndReopens) {
  auto started = with_store([&](CommentStore& s) { return s.start_thread(plan_, sian_, new_thread()); });
  ASSERT_TRUE(started);
  clock_.advance(1min);
  auto resolved = with_store([&](CommentStore& s) { return s.set_resolved(plan_, started->id, gareth_, true); });
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_TRUE(resolved->resolved());
  EXPECT_EQ(resolved->resolved_by, gareth_);
  EXPECT_EQ(base::to_unix_millis(*resolved->resolved_at), 1'767'225'660'000);
  EXPECT_EQ(resolved->comments.size(), 1u);

  // Resolving again keeps the first resolution.
  clock_.advance(1min);
  auto again = with_store([&](CommentStore& s) { return s.set_resolved(plan_, started->id, sian_, true); });
  ASSERT_TRUE(again);
  EXPECT_EQ(again->resolved_by, gareth_);
  EXPECT_EQ(base::to_unix_millis(*again->resolved_at), 1'767'225'660'000);

  auto reopened = with_store([&](CommentStore& s) { return s.set_resolved(plan_, started->id, sian_, false); });
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_FALSE(reopened->resolved());
  EXPECT_FALSE(reopened->resolved_by);

  auto listed = with_store([&](CommentStore& s) { return s.threads(plan_); });
  ASSERT_TRUE(listed && listed->size() == 1u);
  EXPECT_FALSE(listed->front().resolved());
}

TEST_F(CommentStoreTest, ThreadsBelongToTheirDocument) {
  auto started = with_store([&](CommentStore& s) { return s.start_thread(plan_, sian_, new_thread()); });
  ASSERT_TRUE(started);

  auto listed = with_store([&](CommentStore& s) { return s.threads(other_); });
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());

  auto reply = with_store([&](CommentStore& s) { return s.reply(other_, started->id, sian_, "hi"); });
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().kind, ErrorKind::not_found);
  auto resolve = with_store([&](CommentStore& s) { return s.set_resolved(other_, started->id, sian_, true); });
  ASSERT_FALSE(resolve);
  EXPECT_EQ(resolve.error().kind, ErrorKind::not_found);
  auto found = with_store([&](CommentStore& s) { return s.thread(other_, started->id); });
  ASSERT_TRUE(found);
  EXPECT_FALSE(*found);

  // The thread on the right document is untouched.
  auto own = with_store([&](CommentStore& s) { return s.thread(plan_, started->id); });
  ASSERT_TRUE(own && *own);
  EXPECT_EQ((*own)->comments.size(), 1u);
  EXPECT_FALSE((*own)->resolved());
}

TEST_F(CommentStoreTest, RefusesEmptyAndOverlongText) {
  const auto refused = [&](NewThread t) {
    auto started = with_store([&](CommentStore& s) { return s.start_thread(plan_, sian_, t); });
    EXPECT_FALSE(started);
    return started ? std::string() : started.error().message;
  };
  EXPECT_EQ(refused(new_thread(" \n ")), "the comment is empty; write something before sending it");

  // The limit counts characters, not bytes: 5000 'ŵ' (two bytes each) are allowed.
  std::string welsh;
  for (std::size_t i = 0; i < kMaxCommentCharacters; ++i) welsh += "ŵ";
  auto at_limit = with_store([&](CommentStore& s) { return s.start_thread(plan_, sian_, new_thread(welsh)); });
  ASSERT_TRUE(at_limit) << at_limit.error().message;
  EXPECT_EQ(at_limit->comments[0].body, welsh);
  EXPECT_EQ(refused(new_thread(welsh + "w")), "the comment is 5001 characters; the limit is 5000");

  NewThread no_quote = new_thread();
  no_quote.quote = "";
  EXPECT_EQ(refused(no_quote), "the quote is empty; select the words the comment is about");
  NewThread long_quote = new_thread();
  long_quote.quote = std::string(kMaxQuoteCharacters + 1, 'q');
  EXPECT_EQ(refused(long_quote), "the quote is 501 characters; the limit is 500");

  NewThread bad_anchor = new_thread();
  bad_anchor.anchor_start = "not base64!";
  EXPECT_NE(refused(bad_anchor).find("anchor_start"), std::string::npos);
  NewThread no_anchor = new_thread();
  no_anchor.anchor_end = "";
  EXPECT_NE(refused(no_anchor).find("anchor_end"), std::string::npos);
  NewThread huge_anchor = new_thread();
  huge_anchor.anchor_end = std::string(kMaxAnchorBytes + 4, 'A');
  EXPECT_NE(refused(huge_anchor).find("anchor_end"), std::string::npos);

  auto blank_reply = with_store([&](CommentStore& s) { return s.reply(plan_, at_limit->id, sian_, ""); });
  ASSERT_FALSE(blank_reply);
  EXPECT_EQ(blank_reply.error().kind, ErrorKind::invalid_input);

  // Only the one valid thread was stored; nothing half-written remains of the refused ones.
  auto listed = with_store([&](CommentStore& s) { return s.threads(plan_); });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().comments.size(), 1u);
}

TEST_F(CommentStoreTest, StoresTextAsWrittenWithoutInterpretingIt) {
  const std::string body = "<script>alert('x')</script> & \"quotes\"; DROP TABLE comments; --";
  NewThread t = new_thread(body);
  t.quote = "<b>bold</b>";
  auto started = with_store([&](CommentStore& s) { return s.start_thread(plan_, sian_, t); });
  ASSERT_TRUE(started) << started.error().message;
  auto found = with_store([&](CommentStore& s) { return s.thread(plan_, started->id); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->comments[0].body, body);
  EXPECT_EQ((*found)->quote, "<b>bold</b>");
}

TEST(CountCharactersTest, CountsCodePoints) {
  EXPECT_EQ(count_characters(""), 0u);
  EXPECT_EQ(count_characters("abc"), 3u);
  EXPECT_EQ(count_characters("Siân"), 4u);
  EXPECT_EQ(count_characters("😀"), 1u);
}

// The images of documents share the schema migration with comments, so they are tested here too.
class ImageStoreTest : public CommentStoreTest {};

TEST_F(ImageStoreTest, RecordsImagesPerDocument) {
  const std::string blob(64, 'a');
  auto recorded = db().transaction([&](store::Connection& c) {
    return ImageStore(c, clock_).record(plan_, blob, "image/png", sian_);
  });
  ASSERT_TRUE(recorded) << recorded.error().message;
  // The same upload again is not an error and keeps the first record.
  auto again = db().transaction([&](store::Connection& c) {
    return ImageStore(c, clock_).record(plan_, blob, "image/gif", gareth_);
  });
  ASSERT_TRUE(again) << again.error().message;

  auto found = db().with_connection(
      [&](store::Connection& c) { return ImageStore(c, clock_).find(plan_, blob); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->content_type, "image/png");
  EXPECT_EQ((*found)->uploaded_by, sian_);

  auto elsewhere = db().with_connection(
      [&](store::Connection& c) { return ImageStore(c, clock_).find(other_, blob); });
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(*elsewhere);
}

TEST(CheckImageTest, AcceptsImagesWhoseBytesMatchTheirType) {
  using namespace std::string_literals;
  const std::string png = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR"s;
  const std::string jpeg = "\xff\xd8\xff\xe0\0\x10JFIF"s;
  const std::string gif = "GIF89a\x01\0\x01\0"s;
  const std::string webp = "RIFF\x24\0\0\0WEBPVP8 "s;

  EXPECT_EQ(check_image("image/png", png).value(), "image/png");
  EXPECT_EQ(check_image("IMAGE/JPEG; charset=binary", jpeg).value(), "image/jpeg");
  EXPECT_EQ(check_image("image/gif", gif).value(), "image/gif");
  EXPECT_EQ(check_image("image/webp", webp).value(), "image/webp");

  auto mismatch = check_image("image/png", jpeg);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().message,
            "the file is image/jpeg but was sent as image/png; send it with its own type");
  auto svg = check_image("image/svg+xml", "<svg xmlns='http://www.w3.org/2000/svg'/>");
  ASSERT_FALSE(svg);
  EXPECT_EQ(svg.error().kind, ErrorKind::invalid_input);
  auto html = check_image("image/png", "<html><script>alert(1)</script>");
  ASSERT_FALSE(html);
  EXPECT_EQ(html.error().kind, ErrorKind::invalid_input);
  auto empty = check_image("image/png", "");
  ASSERT_FALSE(empty);
  auto riff_not_webp = check_image("image/webp", "RIFF\x24\0\0\0WAVEfmt "s);
  ASSERT_FALSE(riff_not_webp);

  std::string big = png + std::string(kMaxImageBytes, '\0');
  auto too_big = check_image("image/png", big);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().kind, ErrorKind::too_large);
}

}  // namespace
}  // namespace agora::collab
