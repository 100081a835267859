#pragma once
// SQL for comment threads on documents: each thread is anchored to a range of the text, quotes
// the words it is about, holds the comments of its discussion and can be resolved and reopened.
// Works on a connection the caller holds, so calls can share a transaction.

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agora::collab {

/// The longest comment, in characters (Unicode code points).
inline constexpr std::size_t kMaxCommentCharacters = 5000;
/// The longest quote of the commented text kept with a thread, in characters; editors shorten
/// longer selections before sending them.
inline constexpr std::size_t kMaxQuoteCharacters = 500;
/// The longest anchor, in bytes of base64: an encoded Yjs relative position is a few dozen bytes.
inline constexpr std::size_t kMaxAnchorBytes = 512;

/// One comment in a thread: the first one starts it, the rest are replies.
struct Comment {
  std::int64_t id = 0;
  std::int64_t thread_id = 0;
  std::optional<std::int64_t> author_id;  // nullopt once the author has been erased
  std::string body;                       // plain text as written; never HTML
  std::chrono::system_clock::time_point created_at;
};

/// A discussion about a range of a document's text.
struct CommentThread {
  std::int64_t id = 0;
  std::int64_t document_id = 0;
  std::optional<std::int64_t> author_id;  // who started it; nullopt once erased
  /// Where the range starts and ends: base64 of Yjs-encoded relative positions, opaque to the
  /// server and resolved by the editors against the current document.
  std::string anchor_start;
  std::string anchor_end;
  std::string quote;  // the commented text when the thread began
  std::chrono::system_clock::time_point created_at;
  std::optional<std::chrono::system_clock::time_point> resolved_at;  // nullopt while open
  std::optional<std::int64_t> resolved_by;
  std::vector<Comment> comments;  // oldest first

  /// True when someone has resolved the thread and nobody has reopened it since.
  bool resolved() const { return resolved_at.has_value(); }
};

/// What it takes to start a thread.
struct NewThread {
  std::string anchor_start;
  std::string anchor_end;
  std::string quote;
  std::string body;  // the first comment
};

/// Reads and writes comment threads. Every call names the document, so a thread id from one
/// document can never reach another's thread.
class CommentStore {
 public:
  /// Uses `connection` for every call and `clock` for timestamps; both must outlive the store.
  CommentStore(store::Connection& connection, const base::Clock& clock);

  /// Starts a thread on `document_id` with its first comment and returns it. invalid_input for
  /// an empty or overlong body or quote, or an anchor that is not base64 of a sane length.
  Result<CommentThread> start_thread(std::int64_t document_id, std::int64_t author_id,
                                     const NewThread& thread);
  /// Adds a reply to a thread of `document_id`. invalid_input for an empty or overlong body;
  /// not_found when the document has no such thread.
  Result<Comment> reply(std::int64_t document_id, std::int64_t thread_id, std::int64_t author_id,
                        std::string_view body);
  /// Resolves (`resolved` true) or reopens a thread and returns it as it now is; doing what is
  /// already done changes nothing. not_found when the document has no such thread.
  Result<CommentThread> set_resolved(std::int64_t document_id, std::int64_t thread_id,
                                     std::int64_t person_id, bool resolved);
  /// Every thread of the document with its comments, oldest thread first.
  Result<std::vector<CommentThread>> threads(std::int64_t document_id);
  /// One thread of the document with its comments, or nullopt.
  Result<std::optional<CommentThread>> thread(std::int64_t document_id, std::int64_t thread_id);

 private:
  // The thread's row without its comments, or nullopt.
  Result<std::optional<CommentThread>> thread_row(std::int64_t document_id,
                                                  std::int64_t thread_id);
  Result<Comment> insert_comment(std::int64_t thread_id, std::int64_t author_id,
                                 std::string_view body);

  store::Connection& connection_;
  const base::Clock& clock_;
};

/// How many characters (Unicode code points) the UTF-8 text `text` holds.
std::size_t count_characters(std::string_view text) noexcept;

}  // namespace agora::collab
