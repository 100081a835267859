// SQLite backend: one sqlite3 handle per pooled connection, in WAL mode with foreign keys on.

#include "store/backends.hpp"
#include "store/pooled_database.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>

namespace agora::store {
namespace {

struct CloseDatabase {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using DatabaseHandle = std::unique_ptr<sqlite3, CloseDatabase>;
using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// Enough for every statement a feature module runs; past it the cache starts over.
constexpr std::size_t kStatementCacheLimit = 200;

ErrorKind kind_of(int code) {
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return ErrorKind::conflict;
  }
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return ErrorKind::invalid_input;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::unavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorKind::corrupt;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return ErrorKind::io;
  }
  return ErrorKind::internal;
}

// The statement's start is included so a log line leads to the query; parameters never are.
Error sqlite_error(sqlite3* db, int code, std::string_view sql) {
  constexpr std::size_t kShownSql = 120;
  const std::string shown(sql.substr(0, kShownSql));
  return fail(kind_of(code), fmt::format("sqlite: {} (in: {}{})", sqlite3_errmsg(db), shown,
                                         sql.size() > kShownSql ? "..." : ""));
}

bool only_blank(const char* s) {
  for (; *s != '\0'; ++s) {
    if (*s != ';' && std::isspace(static_cast<unsigned char>(*s)) == 0) return false;
  }
  return true;
}

Value read_column(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER:
      return std::int64_t{sqlite3_column_int64(s, i)};
    case SQLITE_FLOAT:
      return sqlite3_column_double(s, i);
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
      return text == nullptr ? std::string() : std::string(text, sqlite3_column_bytes(s, i));
    }
    case SQLITE_BLOB: {
      const auto* blob = static_cast<const char*>(sqlite3_column_blob(s, i));
      return Bytes{blob == nullptr ? std::string() : std::string(blob, sqlite3_column_bytes(s, i))};
    }
  }
  return nullptr;
}

class SqliteConnection final : public PooledConnection {
 public:
  explicit SqliteConnection(DatabaseHandle db) : db_(std::move(db)) {}

  static Result<std::unique_ptr<PooledConnection>> open(const std::filesystem::path& path,
                                                        std::chrono::milliseconds busy_timeout);

  Dialect dialect() const override { return Dialect::sqlite; }

  Result<std::vector<Row>> query(std::string_view sql, const Params& params) override {
    std::vector<Row> rows;
    AGORA_TRY(run(sql, params, &rows));
    return rows;
  }

  Result<std::int64_t> execute(std::string_view sql, const Params& params) override {
    AGORA_TRY(run(sql, params, nullptr));
    return std::int64_t{sqlite3_changes64(db_.get())};
  }

  Result<> execute_script(std::string_view sql) override {
    const std::string script(sql);
    const int rc = sqlite3_exec(db_.get(), script.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db_.get(), rc, sql);
    return {};
  }

  bool recycle() noexcept override {
    if (sqlite3_get_autocommit(db_.get()) != 0) return true;
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    return sqlite3_get_autocommit(db_.get()) != 0;
  }

 private:
  // Runs one statement to completion, collecting its rows into `rows` when given.
  Result<> run(std::string_view sql, const Params& params, std::vector<Row>* rows) {
    auto prepared = prepare(sql);
    if (!prepared) return prepared.error();
    sqlite3_stmt* s = *prepared;
    // The cached statement must go back clean whichever way this function returns.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{s};

    AGORA_TRY(bind(s, params, sql));
    const int columns = sqlite3_column_count(s);
    for (;;) {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) return {};
      if (rc != SQLITE_ROW) return sqlite_error(db_.get(), rc, sql);
      if (rows == nullptr) continue;
      std::vector<Value> values;
      values.reserve(columns);
      for (int i = 0; i < columns; ++i) values.push_back(read_column(s, i));
      rows->emplace_back(std::move(values));
    }
  }

  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second.get();
    if (statements_.size() >= kStatementCacheLimit) statements_.clear();

    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, &tail);
    Statement statement(raw);
    if (rc != SQLITE_OK) return sqlite_error(db_.get(), rc, sql);
    if (statement == nullptr) {
      return fail(ErrorKind::internal, fmt::format("sqlite: no statement in '{}'", sql));
    }
    const std::string rest(tail, sql.data() + sql.size());
    if (!only_blank(rest.c_str())) {
      return fail(ErrorKind::internal,
                  fmt::format("sqlite: query() and execute() run one statement, but '{}' has "
                              "more; use execute_script",
                              sql));
    }
    return statements_.emplace(std::string(sql), std::move(statement)).first->second.get();
  }

  Result<> bind(sqlite3_stmt* s, const Params& params, std::string_view sql) {
    const int expected = sqlite3_bind_parameter_count(s);
    if (static_cast<std::size_t>(expected) != params.size()) {
      return fail(ErrorKind::internal,
                  fmt::format("sqlite: statement has {} placeholders but {} parameters were given "
                              "(in: {})",
                              expected, params.size(), sql));
    }
    for (int i = 1; i <= expected; ++i) {
      // SQLITE_STATIC: params outlive the statement's use; Reset clears the bindings after.
      const int rc = std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              return sqlite3_bind_null(s, i);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              return sqlite3_bind_int64(s, i, v);
            } else if constexpr (std::is_same_v<T, double>) {
              return sqlite3_bind_double(s, i, v);
            } else if constexpr (std::is_same_v<T, std::string>) {
              return sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
            } else {
              return sqlite3_bind_blob64(s, i, v.data.data(), v.data.size(), SQLITE_STATIC);
            }
          },
          params[i - 1]);
      if (rc != SQLITE_OK) return sqlite_error(db_.get(), rc, sql);
    }
    return {};
  }

  DatabaseHandle db_;
  // Statements are prepared once per connection and reused; std::less<> finds by string_view.
  std::map<std::string, Statement, std::less<>> statements_;
};

Result<std::unique_ptr<PooledConnection>> SqliteConnection::open(
    const std::filesystem::path& path, std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  // NOMUTEX: the pool lends each connection to one thread at a time.
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DatabaseHandle db(raw);
  if (rc != SQLITE_OK) {
    return fail(kind_of(rc), fmt::format("cannot open SQLite database '{}': {}", path.string(),
                                         db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), static_cast<int>(busy_timeout.count()));

  auto connection = std::make_unique<SqliteConnection>(std::move(db));
  auto mode = connection->query("PRAGMA journal_mode=WAL", {});
  if (!mode) return mode.error();
  if (mode->empty() || (*mode)[0].text(0) != "wal") {
    return fail(ErrorKind::io, fmt::format("SQLite database '{}' cannot use WAL mode; put the "
                                           "data folder on a local filesystem",
                                           path.string()));
  }
  // FULL: a commit is on disk when it returns, even across a power loss. Agora promises that an
  // acknowledged edit is never lost, and the collaboration log groups many edits into each
  // commit, so the fsync per commit is paid once per batch rather than once per keystroke.
  AGORA_TRY(connection->execute_script("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL"));
  return std::unique_ptr<PooledConnection>(std::move(connection));
}

}  // namespace

Result<std::unique_ptr<Database>> open_sqlite(const std::filesystem::path& path,
                                              const Options& options) {
  const std::filesystem::path folder =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) {
    return fail(ErrorKind::io,
                fmt::format("cannot create data folder '{}': {}", folder.string(), ec.message()));
  }
  if (::access(folder.c_str(), R_OK | W_OK | X_OK) != 0) {
    return fail(ErrorKind::io, fmt::format("data folder '{}' is not readable and writable: {}",
                                           folder.string(), std::strerror(errno)));
  }

  const std::chrono::milliseconds busy_timeout = options.busy_timeout;
  auto db = std::make_unique<PooledDatabase>(
      Dialect::sqlite, "sqlite " + path.string(),
      [path, busy_timeout] { return SqliteConnection::open(path, busy_timeout); }, options);
  AGORA_TRY(db->ping());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace agora::store
