#pragma once
// The audit trail (DESIGN.md "Security model"): who did what to which resource, when, from where
// and with what outcome. Records are only ever appended; each carries the SHA-256 of its fields
// and of the record before it, so `verify()` finds any record changed, deleted or inserted by
// someone writing to the database directly. (Someone who can also rewrite every later hash and the
// anchor is not caught by the chain alone; `verify()` reports the newest hash so an operator can
// keep a copy elsewhere and compare.)

#include "auth/policy.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace agora::auth {

/// How an attempt ended.
enum class AuditOutcome { success, denied, failure };

/// "success", "denied" or "failure": the stored and exported name.
std::string_view to_string(AuditOutcome outcome) noexcept;
/// The outcome named `name`, or nullopt.
std::optional<AuditOutcome> audit_outcome_from(std::string_view name) noexcept;

/// One thing someone did, as a route or service reports it to the audit trail.
struct AuditEvent {
  std::optional<std::int64_t> person_id;        // who; nullopt for the anonymous public
  std::optional<std::int64_t> organisation_id;  // whose admins may read the record
  std::string action;         // what, dotted: "auth.sign_in", "document.view"; never empty
  std::string resource_kind;  // "document", "space", "session", "organisation"; may be empty
  std::string resource_id;    // the resource's id as text
  std::optional<std::int64_t> space_id;     // for filtering a space's trail
  std::optional<std::int64_t> document_id;  // for filtering a document's trail
  std::string ip;
  std::string user_agent;
  AuditOutcome outcome = AuditOutcome::success;
  std::string detail;  // a short note in the server's words, e.g. "wrong password"

  /// An event by `principal` (its person and organisation when signed in, its address and user
  /// agent always), so a route reports what happened in one line.
  static AuditEvent by(const Principal& principal, std::string action, std::string resource_kind,
                       std::string resource_id, AuditOutcome outcome = AuditOutcome::success,
                       std::string detail = {});
};

/// One stored record.
struct AuditRecord {
  std::int64_t id = 0;
  std::chrono::system_clock::time_point at;  // millisecond precision
  AuditEvent event;
  std::string outcome_text;  // the outcome as stored (kept verbatim so tampering stays visible)
  std::string prev_hash;     // 32 raw bytes: the hash of the record before
  std::string hash;          // 32 raw bytes: SHA-256 of this record's canonical encoding
  std::string person_email;  // from people, when the person still exists; for display only
  std::string person_name;   // likewise
};

/// The SHA-256 (32 raw bytes) of `record`'s id, time, event fields and prev_hash, each
/// length-prefixed so no two different records encode alike. Exposed for tests and tools.
std::string audit_record_hash(const AuditRecord& record);

/// What `AuditLog::verify()` found.
struct AuditVerification {
  bool ok = false;
  std::int64_t records_checked = 0;
  std::int64_t first_id = 0;  // where the chain starts (after pruning)
  std::int64_t last_id = 0;   // the newest record the log wrote; first_id - 1 when empty
  std::string last_hash_hex;  // that record's hash, to keep somewhere the database is not
  std::optional<std::int64_t> problem_id;  // the record the first problem is about, if any
  std::string problem;  // e.g. "record 17 was changed after it was written"; empty when ok
};

/// Which records `AuditLog::query` returns: all conditions hold; unset ones do not filter.
struct AuditFilter {
  std::optional<std::int64_t> organisation_id;  // admin pages always set it
  std::optional<std::int64_t> person_id;
  std::optional<std::int64_t> space_id;
  std::optional<std::int64_t> document_id;
  std::optional<std::chrono::system_clock::time_point> from;  // at >= from
  std::optional<std::chrono::system_clock::time_point> to;    // at < to
  std::optional<std::int64_t> before_id;  // id < before_id: the next page after one ending there
  int limit = 50;                         // clamped to 1..kMaxAuditPage
};

/// The most records one query returns.
inline constexpr int kMaxAuditPage = 1000;
/// The most records one export holds; narrow the filter for more.
inline constexpr std::int64_t kMaxAuditExport = 100000;

/// Export formats.
enum class AuditFormat { csv, json };

/// `records` as CSV (RFC 4180: CRLF line ends, fields quoted when needed) with a header row.
/// Cells that a spreadsheet would run as a formula (starting = + - @, tab or CR) get a leading '.
std::string audit_csv(std::span<const AuditRecord> records);
/// `records` as a JSON object {"records": [...]}, times as ISO 8601 UTC and Unix milliseconds,
/// hashes in hex.
std::string audit_json(std::span<const AuditRecord> records);

/// The audit log of one database. Thread-safe: appends from many threads and many server
/// processes are serialised by a database lock, so the chain never forks.
class AuditLog {
 public:
  /// `database` and `clock` must outlive the log. The schema is auth migration 5.
  AuditLog(store::Database& database, const base::Clock& clock);

  /// Appends `event` in a transaction of its own and returns the record's id. invalid_input when
  /// the action is empty; overlong or malformed text is cut to size and made valid UTF-8 rather
  /// than lose the record.
  Result<std::int64_t> append(const AuditEvent& event);
  /// Appends `event` inside the caller's open transaction on `connection` (Database::transaction),
  /// so the record commits or rolls back with the change it describes. Holds the log's lock until
  /// that transaction ends.
  Result<std::int64_t> append_in(store::Connection& connection, const AuditEvent& event);

  /// Checks every record against its hash, the record before and the anchor, in one consistent
  /// snapshot; reports the first problem in id order.
  Result<AuditVerification> verify();

  /// Records matching `filter`, newest first, with person emails and names joined in.
  Result<std::vector<AuditRecord>> query(const AuditFilter& filter);
  /// Every record matching `filter` (its limit and before_id ignored), newest first, in `format`.
  /// too_large when more than kMaxAuditExport match.
  Result<std::string> export_records(const AuditFilter& filter, AuditFormat format);

  /// Deletes the records written before `older_than` (the oldest ones, up to the first record
  /// that is not older) and moves the anchor so verify() still proves the rest unbroken. Returns
  /// how many were deleted.
  Result<std::int64_t> prune(std::chrono::system_clock::time_point older_than);

 private:
  store::Database& database_;
  const base::Clock& clock_;
};

/// Prunes an AuditLog once at start and then every `period`, on a thread of its own, keeping
/// records for `retention` (--audit-retention). Stops, waiting for a running prune, when destroyed.
class AuditRetention {
 public:
  /// `log` and `clock` must outlive this object.
  AuditRetention(AuditLog& log, const base::Clock& clock, std::chrono::seconds retention,
                 std::chrono::seconds period = std::chrono::hours(24));
  AuditRetention(const AuditRetention&) = delete;
  AuditRetention& operator=(const AuditRetention&) = delete;
  ~AuditRetention();

  /// Prunes now, logging what was deleted or why it could not be; returns the count deleted.
  Result<std::int64_t> prune_now();

 private:
  void run();

  AuditLog& log_;
  const base::Clock& clock_;
  std::chrono::seconds retention_;
  std::chrono::seconds period_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace agora::auth
