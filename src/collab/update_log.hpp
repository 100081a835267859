#pragma once
// Durable appends with group commit (DESIGN.md "A keystroke": durable before broadcast). One
// writer thread takes everything queued since its last commit and writes it in one transaction,
// so a burst of keystrokes from many rooms costs one fsync, then reports each append's outcome.
// A compactor thread folds long logs into snapshots in the background.

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

namespace agora::collab {

/// The group-commit log of every document. Thread-safe.
class UpdateLog {
 public:
  /// Called once an append is durable (with its log id) or has failed; on the writer thread,
  /// so it must only hand the result on (post to a strand), never block.
  using Done = std::function<void(Result<std::int64_t>)>;

  struct Options {
    std::size_t max_batch = 1024;     // appends per transaction
    std::size_t compact_after = 500;  // log rows per document before it is folded
  };

  /// Starts the writer and compactor threads; `database` and `clock` must outlive the log.
  UpdateLog(store::Database& database, const base::Clock& clock, Options options);
  /// Writes everything still queued, then stops the threads.
  ~UpdateLog();
  UpdateLog(const UpdateLog&) = delete;
  UpdateLog& operator=(const UpdateLog&) = delete;

  /// Queues `update` (Yjs v1) for `document_id`; `done` reports the outcome.
  void append(std::int64_t document_id, std::string update, Done done);
  /// Tells the log how many rows `document_id` already has beyond its snapshot (found when a
  /// room loads it), so a long log left by an earlier run is compacted too.
  void note_backlog(std::int64_t document_id, std::size_t rows);

  /// How many transactions and appends the writer has committed (for metrics and tests).
  std::uint64_t commits() const;
  std::uint64_t appends() const;

 private:
  struct Pending {
    std::int64_t document_id;
    std::string update;
    Done done;
  };

  void write_loop();
  void compact_loop();
  void count_rows(std::int64_t document_id, std::size_t rows);  // mutex_ held

  store::Database& database_;
  const base::Clock& clock_;
  Options options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable wake_compactor_;
  std::deque<Pending> queue_;
  std::unordered_map<std::int64_t, std::size_t> rows_since_compaction_;
  std::set<std::int64_t> to_compact_;
  bool stopping_ = false;
  std::uint64_t commits_ = 0;
  std::uint64_t appends_ = 0;

  std::thread writer_;
  std::thread compactor_;
};

}  // namespace agora::collab
