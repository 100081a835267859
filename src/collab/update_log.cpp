#include "collab/update_log.hpp"

#include "base/logging.hpp"
#include "collab/document_content.hpp"
#include "collab/document_store.hpp"

#include <vector>

namespace agora::collab {

namespace log = base::log;

UpdateLog::UpdateLog(store::Database& database, const base::Clock& clock, Options options)
    : database_(database), clock_(clock), options_(options) {
  writer_ = std::thread([this] { write_loop(); });
  compactor_ = std::thread([this] { compact_loop(); });
}

UpdateLog::~UpdateLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_all();
  wake_compactor_.notify_all();
  writer_.join();
  compactor_.join();
}

void UpdateLog::append(std::int64_t document_id, std::string update, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Pending{document_id, std::move(update), std::move(done)});
  }
  wake_writer_.notify_one();
}

void UpdateLog::note_backlog(std::int64_t document_id, std::size_t rows) {
  std::lock_guard lock(mutex_);
  rows_since_compaction_[document_id] = 0;
  count_rows(document_id, rows);
}

std::uint64_t UpdateLog::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

std::uint64_t UpdateLog::appends() const {
  std::lock_guard lock(mutex_);
  return appends_;
}

void UpdateLog::count_rows(std::int64_t document_id, std::size_t rows) {
  std::size_t& count = rows_since_compaction_[document_id];
  count += rows;
  if (count >= options_.compact_after) {
    count = 0;
    to_compact_.insert(document_id);
    wake_compactor_.notify_one();
  }
}

void UpdateLog::write_loop() {
  std::vector<Pending> batch;
  std::vector<LogEntry> entries;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_writer_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is written
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      batch.clear();
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    entries.clear();
    for (Pending& p : batch) entries.push_back(LogEntry{p.document_id, std::move(p.update)});
    auto ids = database_.transaction(
        [&](store::Connection& c) { return DocumentStore(c, clock_).append(entries); });
    if (ids) {
      {
        std::lock_guard lock(mutex_);
        ++commits_;
        appends_ += batch.size();
        for (const Pending& p : batch) count_rows(p.document_id, 1);
      }
      for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done((*ids)[i]);
      continue;
    }
    // One bad entry (a document deleted meanwhile) must not fail every room in the batch:
    // write them one by one, so only the entries that cannot be written report an error.
    log::warn("collab.batch_failed", {{"updates", static_cast<std::int64_t>(batch.size())},
                                      {"error", ids.error().message}});
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto one = database_.transaction([&](store::Connection& c) {
        return DocumentStore(c, clock_).append(std::span<const LogEntry>(&entries[i], 1));
      });
      if (!one) {
        log::error("collab.append_failed",
                   {{"document", batch[i].document_id}, {"error", one.error().message}});
        batch[i].done(one.error());
        continue;
      }
      {
        std::lock_guard lock(mutex_);
        ++commits_;
        ++appends_;
        count_rows(batch[i].document_id, 1);
      }
      batch[i].done(one->front());
    }
  }
}

void UpdateLog::compact_loop() {
  for (;;) {
    std::int64_t document_id = 0;
    {
      std::unique_lock lock(mutex_);
      wake_compactor_.wait(lock, [this] { return stopping_ || !to_compact_.empty(); });
      if (stopping_) return;
      document_id = *to_compact_.begin();
      to_compact_.erase(to_compact_.begin());
    }
    auto folded = compact_document(database_, clock_, document_id);
    if (!folded) {
      log::warn("collab.compaction_failed",
                {{"document", document_id}, {"error", folded.error().message}});
    } else {
      log::debug("collab.compacted",
                 {{"document", document_id}, {"updates", static_cast<std::int64_t>(*folded)}});
    }
  }
}

}  // namespace agora::collab
