#include "collab/comment_store.hpp"

#include "base/base64.hpp"

#include <fmt/format.h>

#include <map>

namespace agora::collab {

namespace {

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

Result<> check_body(std::string_view body) {
  if (is_blank(body))
    return fail(ErrorKind::invalid_input, "the comment is empty; write something before sending it");
  if (const std::size_t length = count_characters(body); length > kMaxCommentCharacters) {
    return fail(ErrorKind::invalid_input,
                fmt::format("the comment is {} characters; the limit is {}", length,
                            kMaxCommentCharacters));
  }
  return {};
}

Result<> check_anchor(std::string_view what, std::string_view anchor) {
  if (anchor.empty() || anchor.size() > kMaxAnchorBytes) {
    return fail(ErrorKind::invalid_input,
                fmt::format("{} must be the base64 of an encoded Yjs relative position, 1 to {} "
                            "characters; it is {}",
                            what, kMaxAnchorBytes, anchor.size()));
  }
  AGORA_TRY(base::from_base64(anchor, what));
  return {};
}

Result<> check_new_thread(const NewThread& thread) {
  AGORA_TRY(check_anchor("anchor_start", thread.anchor_start));
  AGORA_TRY(check_anchor("anchor_end", thread.anchor_end));
  if (is_blank(thread.quote)) {
    return fail(ErrorKind::invalid_input,
                "the quote is empty; select the words the comment is about");
  }
  if (const std::size_t length = count_characters(thread.quote); length > kMaxQuoteCharacters) {
    return fail(ErrorKind::invalid_input,
                fmt::format("the quote is {} characters; the limit is {}", length,
                            kMaxQuoteCharacters));
  }
  return check_body(thread.body);
}

std::optional<std::int64_t> optional_integer(const store::Row& row, std::size_t column) {
  if (row.is_null(column)) return std::nullopt;
  return row.integer(column);
}

constexpr std::string_view kThreadColumns =
    "id, document_id, author_id, anchor_start, anchor_end, quote, created_at, resolved_at, "
    "resolved_by";

CommentThread thread_from(const store::Row& row) {
  CommentThread t;
  t.id = row.integer(0);
  t.document_id = row.integer(1);
  t.author_id = optional_integer(row, 2);
  t.anchor_start = row.text(3);
  t.anchor_end = row.text(4);
  t.quote = row.text(5);
  t.created_at = base::from_unix_millis(row.integer(6));
  if (!row.is_null(7)) t.resolved_at = base::from_unix_millis(row.integer(7));
  t.resolved_by = optional_integer(row, 8);
  return t;
}

Comment comment_from(const store::Row& row) {
  return Comment{row.integer(0), row.integer(1), optional_integer(row, 2), row.text(3),
                 base::from_unix_millis(row.integer(4))};
}

Error no_such_thread(std::int64_t thread_id) {
  return fail(ErrorKind::not_found,
              fmt::format("there is no comment thread {} on this document", thread_id));
}

}  // namespace

std::size_t count_characters(std::string_view text) noexcept {
  std::size_t count = 0;
  // Every code point has exactly one byte that is not a continuation byte (10xxxxxx).
  for (const char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  return count;
}

CommentStore::CommentStore(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<CommentThread> CommentStore::start_thread(std::int64_t document_id, std::int64_t author_id,
                                                 const NewThread& thread) {
  AGORA_TRY(check_new_thread(thread));
  CommentThread t;
  t.document_id = document_id;
  t.author_id = author_id;
  t.anchor_start = thread.anchor_start;
  t.anchor_end = thread.anchor_end;
  t.quote = thread.quote;
  t.created_at = base::from_unix_millis(base::to_unix_millis(clock_.now()));
  auto rows = connection_.query(
      "INSERT INTO comment_threads (document_id, author_id, anchor_start, anchor_end, quote, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
      {document_id, author_id, t.anchor_start, t.anchor_end, t.quote,
       base::to_unix_millis(t.created_at)});
  if (!rows) return rows.error();
  t.id = rows->front().integer(0);
  auto first = insert_comment(t.id, author_id, thread.body);
  if (!first) return first.error();
  t.comments.push_back(std::move(*first));
  return t;
}

Result<Comment> CommentStore::reply(std::int64_t document_id, std::int64_t thread_id,
                                    std::int64_t author_id, std::string_view body) {
  AGORA_TRY(check_body(body));
  auto found = thread_row(document_id, thread_id);
  if (!found) return found.error();
  if (!*found) return no_such_thread(thread_id);
  return insert_comment(thread_id, author_id, body);
}

Result<CommentThread> CommentStore::set_resolved(std::int64_t document_id, std::int64_t thread_id,
                                                 std::int64_t person_id, bool resolved) {
  auto found = thread_row(document_id, thread_id);
  if (!found) return found.error();
  if (!*found) return no_such_thread(thread_id);
  // Resolving twice keeps who resolved it first and when.
  if ((*found)->resolved() != resolved) {
    store::Params params;
    if (resolved) {
      params = {base::to_unix_millis(clock_.now()), person_id, thread_id, document_id};
    } else {
      params = {nullptr, nullptr, thread_id, document_id};
    }
    AGORA_TRY(connection_.execute(
        "UPDATE comment_threads SET resolved_at = ?, resolved_by = ? "
        "WHERE id = ? AND document_id = ?",
        params));
  }
  auto updated = thread(document_id, thread_id);
  if (!updated) return updated.error();
  if (!*updated) return no_such_thread(thread_id);
  return std::move(**updated);
}

Result<std::vector<CommentThread>> CommentStore::threads(std::int64_t document_id) {
  auto thread_rows = connection_.query(
      fmt::format("SELECT {} FROM comment_threads WHERE document_id = ? ORDER BY id",
                  kThreadColumns),
      {document_id});
  if (!thread_rows) return thread_rows.error();
  std::vector<CommentThread> threads;
  threads.reserve(thread_rows->size());
  std::map<std::int64_t, std::size_t> index_of;
  for (const store::Row& row : *thread_rows) {
    index_of.emplace(row.integer(0), threads.size());
    threads.push_back(thread_from(row));
  }
  auto comment_rows = connection_.query(
      "SELECT c.id, c.thread_id, c.author_id, c.body, c.created_at FROM comments c "
      "JOIN comment_threads t ON t.id = c.thread_id WHERE t.document_id = ? ORDER BY c.id",
      {document_id});
  if (!comment_rows) return comment_rows.error();
  for (const store::Row& row : *comment_rows) {
    // A thread started between the two queries has comments but no row here; it shows next time.
    if (auto it = index_of.find(row.integer(1)); it != index_of.end())
      threads[it->second].comments.push_back(comment_from(row));
  }
  return threads;
}

Result<std::optional<CommentThread>> CommentStore::thread(std::int64_t document_id,
                                                          std::int64_t thread_id) {
  auto found = thread_row(document_id, thread_id);
  if (!found || !*found) return found;
  auto rows = connection_.query(
      "SELECT id, thread_id, author_id, body, created_at FROM comments WHERE thread_id = ? "
      "ORDER BY id",
      {thread_id});
  if (!rows) return rows.error();
  for (const store::Row& row : *rows) (*found)->comments.push_back(comment_from(row));
  return found;
}

Result<std::optional<CommentThread>> CommentStore::thread_row(std::int64_t document_id,
                                                              std::int64_t thread_id) {
  auto rows = connection_.query(
      fmt::format("SELECT {} FROM comment_threads WHERE id = ? AND document_id = ?",
                  kThreadColumns),
      {thread_id, document_id});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<CommentThread>();
  return std::optional<CommentThread>(thread_from(rows->front()));
}

Result<Comment> CommentStore::insert_comment(std::int64_t thread_id, std::int64_t author_id,
                                             std::string_view body) {
  Comment c;
  c.thread_id = thread_id;
  c.author_id = author_id;
  c.body = std::string(body);
  c.created_at = base::from_unix_millis(base::to_unix_millis(clock_.now()));
  auto rows = connection_.query(
      "INSERT INTO comments (thread_id, author_id, body, created_at) VALUES (?, ?, ?, ?) "
      "RETURNING id",
      {thread_id, author_id, c.body, base::to_unix_millis(c.created_at)});
  if (!rows) return rows.error();
  c.id = rows->front().integer(0);
  return c;
}

}  // namespace agora::collab
