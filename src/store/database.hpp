#pragma once
// One interface over SQLite and PostgreSQL (DESIGN.md "store/"). SQL is written once with `?`
// placeholders; parameters are always bound, never concatenated. Feature modules keep their SQL
// in their own *_store.cpp and call Database::transaction or Database::with_connection.

#include "base/result.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace agora::store {

/// Which SQL dialect a connection speaks; migrations and dialect-specific queries branch on it.
enum class Dialect { sqlite, postgres };

/// Binary data, bound as a BLOB (SQLite) or BYTEA (PostgreSQL) rather than as text.
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

/// A value bound to a `?` parameter or read from a result column. On PostgreSQL integers bind
/// as BIGINT and doubles as DOUBLE PRECISION, so `SELECT ?` reads back what was bound; where a
/// function wants a narrower type, write CAST(? AS INTEGER), which both dialects accept. Text
/// binds untyped and takes the type its context needs (a timestamp, say). Booleans read back
/// as 0 or 1.
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Bytes>;

/// One result row; columns in SELECT order.
class Row {
 public:
  explicit Row(std::vector<Value> columns) : columns_(std::move(columns)) {}

  /// How many columns the row has.
  std::size_t size() const { return columns_.size(); }
  /// Whether column i is NULL.
  bool is_null(std::size_t i) const {
    return std::holds_alternative<std::nullptr_t>(columns_.at(i));
  }
  /// Column i as an integer; throws ErrorException if it is not one (a bug in the caller's SQL).
  std::int64_t integer(std::size_t i) const;
  /// Column i as a double (integers convert); throws ErrorException for other types.
  double real(std::size_t i) const;
  /// Column i as text (also returns Bytes contents, so either column type reads as a string).
  const std::string& text(std::size_t i) const;
  /// Column i as read, whatever its type.
  const Value& value(std::size_t i) const { return columns_.at(i); }

 private:
  std::vector<Value> columns_;
};

/// The values for a statement's `?` placeholders, in order.
using Params = std::vector<Value>;

/// A single database session. Not thread-safe; lent out by Database for the length of a call.
/// Errors map to ErrorKind: unique and foreign-key violations -> conflict, a busy or unreachable
/// database -> unavailable, malformed SQL or a placeholder/parameter count mismatch -> internal.
class Connection {
 public:
  virtual ~Connection() = default;
  /// The SQL dialect this connection speaks.
  virtual Dialect dialect() const = 0;
  /// Runs one statement, `?` placeholders bound to `params` in order, and returns its rows
  /// (INSERT ... RETURNING works on both databases).
  virtual Result<std::vector<Row>> query(std::string_view sql, const Params& params = {}) = 0;
  /// Runs one statement and returns how many rows it changed.
  virtual Result<std::int64_t> execute(std::string_view sql, const Params& params = {}) = 0;
  /// Runs several `;`-separated statements without parameters (used by migrations). On
  /// PostgreSQL, `?` (the jsonb operator) is free to use here and nowhere else.
  virtual Result<> execute_script(std::string_view sql) = 0;
};

/// How to reach a database.
struct Options {
  /// Empty: SQLite at data_dir/agora.db. Otherwise "sqlite:PATH" or "postgres://..." /
  /// "postgresql://..." (a libpq connection URI).
  std::string url;
  /// The data folder; the SQLite database lives there when url is empty.
  std::filesystem::path data_dir = "data";
  /// Most connections open at once; callers beyond that wait up to acquire_timeout.
  int pool_size = 8;
  /// How long a statement waits for another writer's lock (SQLite) before failing.
  std::chrono::milliseconds busy_timeout{5000};
  /// How long a call waits for a free pooled connection before failing with ErrorKind::unavailable.
  std::chrono::milliseconds acquire_timeout{5000};
};

/// A pool of connections to one database. Thread-safe. Must not be called from an HTTP I/O
/// thread (base/thread_role.hpp): calls block, so they run on the worker pool. Must outlive
/// every call running on it.
class Database {
 public:
  /// Opens (creating a SQLite file and its folder if needed) and checks the database answers.
  /// Errors name the bad part of the URL or the server's refusal, never a password.
  static Result<std::unique_ptr<Database>> open(const Options& options);

  virtual ~Database() = default;
  /// The SQL dialect of every connection in the pool.
  virtual Dialect dialect() const = 0;
  /// A human-readable description without secrets, e.g. "sqlite data/agora.db".
  virtual std::string describe() const = 0;

  /// Runs `fn(Connection&)` on a pooled connection outside any transaction; a transaction fn
  /// leaves open is rolled back when the connection returns to the pool.
  template <typename F>
  auto with_connection(F&& fn) -> std::invoke_result_t<F, Connection&>;

  /// Runs `fn(Connection&)` inside a transaction: committed when fn returns a Result holding a
  /// value, rolled back when it returns an error or throws. Nothing half-written remains.
  /// Do not nest: an inner call takes a second connection and, on SQLite, waits for the first.
  template <typename F>
  auto transaction(F&& fn) -> std::invoke_result_t<F, Connection&>;

  /// Ok when a trivial query answers; unavailable when no connection frees up within
  /// acquire_timeout or the server cannot be reached. Used by /healthz.
  virtual Result<> ping() = 0;

 protected:
  /// Lends a connection; the deleter returns it to the pool. Fails with ErrorKind::internal on
  /// an I/O thread and ErrorKind::unavailable when no connection frees up in time.
  using Lease = std::unique_ptr<Connection, std::function<void(Connection*)>>;
  virtual Result<Lease> acquire() = 0;
  /// BEGIN/COMMIT/ROLLBACK in the dialect's words (SQLite uses BEGIN IMMEDIATE).
  virtual Result<> begin(Connection& c) = 0;
  virtual Result<> commit(Connection& c) = 0;
  virtual void rollback(Connection& c) noexcept = 0;
};

template <typename F>
auto Database::with_connection(F&& fn) -> std::invoke_result_t<F, Connection&> {
  auto lease = acquire();
  if (!lease) return lease.error();
  return fn(**lease);
}

template <typename F>
auto Database::transaction(F&& fn) -> std::invoke_result_t<F, Connection&> {
  auto lease = acquire();
  if (!lease) return lease.error();
  Connection& c = **lease;
  if (auto begun = begin(c); !begun) return begun.error();
  try {
    auto result = fn(c);
    if (!result) {
      rollback(c);
      return result;
    }
    if (auto committed = commit(c); !committed) {
      rollback(c);
      return committed.error();
    }
    return result;
  } catch (...) {
    rollback(c);
    throw;
  }
}

}  // namespace agora::store
