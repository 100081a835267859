// PostgreSQL backend: one libpq connection per pooled connection, parameters bound with
// PQexecParams (text, except bytes in binary), results read back by column type.

#include "store/backends.hpp"
#include "store/pooled_database.hpp"
#include "store/postgres_placeholders.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <map>
#include <optional>

namespace agora::store {
namespace {

struct FinishConnection {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct ClearResult {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
struct FreeConninfo {
  void operator()(PQconninfoOption* o) const noexcept { PQconninfoFree(o); }
};
struct FreeMemory {
  void operator()(void* p) const noexcept { PQfreemem(p); }
};
using ConnectionHandle = std::unique_ptr<PGconn, FinishConnection>;
using ResultHandle = std::unique_ptr<PGresult, ClearResult>;

// Type OIDs from PostgreSQL's catalog (pg_type.dat); stable across versions.
constexpr Oid kBoolOid = 16, kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23,
              kOidOid = 26, kFloat4Oid = 700, kFloat8Oid = 701, kNumericOid = 1700;

// The password in a URL (user:PASSWORD@ or ?password=), so messages can be scrubbed of it.
std::vector<std::string_view> secrets_in(std::string_view url) {
  std::vector<std::string_view> secrets;
  if (const auto start = url.find("://"); start != std::string_view::npos) {
    const std::string_view rest = url.substr(start + 3);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
      const std::string_view userinfo = authority.substr(0, at);
      if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
        secrets.push_back(userinfo.substr(colon + 1));
      }
    }
  }
  if (const auto key = url.find("password="); key != std::string_view::npos) {
    const std::string_view value = url.substr(key + 9);
    secrets.push_back(value.substr(0, value.find('&')));
  }
  return secrets;
}

// libpq's text, on one line, with any password from `url` masked.
std::string clean_message(std::string_view message, std::string_view url) {
  std::string out;
  for (char c : message) {
    if (c != '\n' && c != '\t') {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  for (std::string_view secret : secrets_in(url)) {
    if (secret.empty()) continue;
    for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3)) {
      out.replace(at, secret.size(), "***");
    }
  }
  return out;
}

ErrorKind kind_of(std::string_view sqlstate) {
  if (sqlstate == "23505" || sqlstate == "23503") return ErrorKind::conflict;
  if (sqlstate.starts_with("23") || sqlstate.starts_with("22")) return ErrorKind::invalid_input;
  if (sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate.starts_with("57") ||
      sqlstate.starts_with("40") || sqlstate == "55P03") {
    return ErrorKind::unavailable;
  }
  if (sqlstate.starts_with("58")) return ErrorKind::io;
  if (sqlstate == "XX001" || sqlstate == "XX002") return ErrorKind::corrupt;
  return ErrorKind::internal;
}

template <typename Number>
std::optional<Number> parse_number(std::string_view text) {
  Number n{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

Result<Value> read_value(const PGresult* r, int row, int column) {
  if (PQgetisnull(r, row, column) != 0) return Value(nullptr);
  const std::string_view text(PQgetvalue(r, row, column), PQgetlength(r, row, column));
  const Oid type = PQftype(r, column);
  std::optional<Value> value;
  switch (type) {
    case kBoolOid:
      return Value(std::int64_t{text == "t" ? 1 : 0});
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid:
      if (auto n = parse_number<std::int64_t>(text)) value = *n;
      break;
    case kFloat4Oid:
    case kFloat8Oid:
      if (auto d = parse_number<double>(text)) value = *d;
      break;
    case kNumericOid:
      // sum(bigint) and count-like arithmetic give numeric; whole values stay integers.
      if (auto n = parse_number<std::int64_t>(text)) {
        value = *n;
      } else if (auto d = parse_number<double>(text)) {
        value = *d;
      }
      break;
    case kByteaOid: {
      std::size_t size = 0;
      std::unique_ptr<unsigned char, FreeMemory> bytes(
          PQunescapeBytea(reinterpret_cast<const unsigned char*>(text.data()), &size));
      if (bytes) value = Bytes{std::string(reinterpret_cast<const char*>(bytes.get()), size)};
      break;
    }
    default:
      return Value(std::string(text));
  }
  if (!value) {
    return fail(ErrorKind::corrupt, fmt::format("postgres: cannot read column {} ('{}') as type {}",
                                                PQfname(r, column), text, type));
  }
  return *value;
}

// Whether reading `socket` would not block: data, end of stream or an error is waiting.
bool readable(int socket) {
  pollfd probe{.fd = socket, .events = POLLIN};
  return ::poll(&probe, 1, 0) > 0;
}

void log_notice(void*, const char* message) {
  // Notices such as "relation already exists, skipping" are expected; keep them out of stderr.
  spdlog::debug("postgres notice: {}", message);
}

class PostgresConnection final : public PooledConnection {
 public:
  PostgresConnection(ConnectionHandle conn, std::string url, std::string description)
      : conn_(std::move(conn)), url_(std::move(url)), description_(std::move(description)) {}

  static Result<std::unique_ptr<PooledConnection>> connect(const std::string& url,
                                                           const std::string& description) {
    // Later entries win, so anything the URL sets overrides these defaults.
    const char* keys[] = {"connect_timeout", "application_name", "client_encoding", "dbname",
                          nullptr};
    const char* values[] = {"10", "agora", "UTF8", url.c_str(), nullptr};
    ConnectionHandle conn(PQconnectdbParams(keys, values, 1));
    if (!conn) return fail(ErrorKind::unavailable, "postgres: out of memory while connecting");
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      return fail(ErrorKind::unavailable,
                  fmt::format("cannot connect to {}: {}", description,
                              clean_message(PQerrorMessage(conn.get()), url)));
    }
    PQsetNoticeProcessor(conn.get(), log_notice, nullptr);
    return std::unique_ptr<PooledConnection>(
        std::make_unique<PostgresConnection>(std::move(conn), url, description));
  }

  Dialect dialect() const override { return Dialect::postgres; }

  Result<std::vector<Row>> query(std::string_view sql, const Params& params) override {
    auto result = run(sql, params);
    if (!result) return result.error();
    const PGresult* r = result->get();
    const int rows = PQntuples(r), columns = PQnfields(r);
    std::vector<Row> out;
    out.reserve(rows);
    for (int row = 0; row < rows; ++row) {
      std::vector<Value> values;
      values.reserve(columns);
      for (int column = 0; column < columns; ++column) {
        auto value = read_value(r, row, column);
        if (!value) return value.error();
        values.push_back(std::move(*value));
      }
      out.emplace_back(std::move(values));
    }
    return out;
  }

  Result<std::int64_t> execute(std::string_view sql, const Params& params) override {
    auto result = run(sql, params);
    if (!result) return result.error();
    return parse_number<std::int64_t>(PQcmdTuples(result->get())).value_or(0);
  }

  Result<> execute_script(std::string_view sql) override {
    AGORA_TRY(ensure_connected());
    ResultHandle result(PQexec(conn_.get(), std::string(sql).c_str()));
    AGORA_TRY(check(result.get()));
    return {};
  }

  bool recycle() noexcept override {
    if (PQstatus(conn_.get()) != CONNECTION_OK) return false;
    if (PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
      ResultHandle(PQexec(conn_.get(), "ROLLBACK"));
    }
    return PQstatus(conn_.get()) == CONNECTION_OK &&
           PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
  }

 private:
  Result<ResultHandle> run(std::string_view sql, const Params& params) {
    AGORA_TRY(ensure_connected());
    const PostgresSql rewritten = to_postgres_placeholders(sql);
    if (rewritten.placeholder_count != params.size()) {
      return fail(ErrorKind::internal,
                  fmt::format("postgres: statement has {} placeholders but {} parameters were "
                              "given (in: {})",
                              rewritten.placeholder_count, params.size(), sql));
    }
    const std::size_t n = params.size();
    std::vector<Oid> types(n, 0);  // 0: the server infers text parameters' types from context
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0), formats(n, 0);
    std::vector<std::string> texts(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Value& p = params[i];
      if (const auto* number = std::get_if<std::int64_t>(&p)) {
        texts[i] = std::to_string(*number);
        values[i] = texts[i].c_str();
        types[i] = kInt8Oid;
      } else if (const auto* real = std::get_if<double>(&p)) {
        char buffer[32];
        const auto end = std::to_chars(buffer, buffer + sizeof buffer, *real).ptr;
        texts[i].assign(buffer, end);
        values[i] = texts[i].c_str();
        types[i] = kFloat8Oid;
      } else if (const auto* text = std::get_if<std::string>(&p)) {
        if (text->find('\0') != std::string::npos) {
          return fail(ErrorKind::invalid_input,
                      fmt::format("parameter {} is text containing a NUL byte, which PostgreSQL "
                                  "text cannot hold; bind it as Bytes",
                                  i + 1));
        }
        values[i] = text->c_str();
      } else if (const auto* bytes = std::get_if<Bytes>(&p)) {
        values[i] = bytes->data.data();
        lengths[i] = static_cast<int>(bytes->data.size());
        formats[i] = 1;
        types[i] = kByteaOid;
      }
    }
    ResultHandle result(PQexecParams(conn_.get(), rewritten.text.c_str(), static_cast<int>(n),
                                     types.data(), values.data(), lengths.data(), formats.data(),
                                     0));
    AGORA_TRY(check(result.get()));
    return result;
  }

  Result<> check(const PGresult* r) const {
    const ExecStatusType status = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
    if (r == nullptr || PQstatus(conn_.get()) != CONNECTION_OK) {
      return fail(ErrorKind::unavailable,
                  fmt::format("lost the connection to {}: {}", description_,
                              clean_message(PQerrorMessage(conn_.get()), url_)));
    }
    const char* sqlstate = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const std::string_view code = sqlstate == nullptr ? "" : sqlstate;
    std::string message = clean_message(PQresultErrorMessage(r), url_);
    if (message.empty()) message = PQresStatus(status);  // e.g. an empty query
    return fail(kind_of(code), fmt::format("postgres: {} (SQLSTATE {})", message, code));
  }

  Result<> ensure_connected() {
    // The server closes idle connections when it restarts or an administrator ends them.
    // Notice that before sending and reconnect, but only outside a transaction, where
    // reconnecting loses nothing the caller relies on.
    if (PQstatus(conn_.get()) == CONNECTION_OK &&
        PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) {
      // The server's parting message and the end of the stream may take two reads; the
      // bound keeps a stream of notifications from holding us here.
      for (int reads = 0;
           reads < 4 && PQstatus(conn_.get()) == CONNECTION_OK && readable(PQsocket(conn_.get()));
           ++reads) {
        PQconsumeInput(conn_.get());
      }
      if (PQstatus(conn_.get()) == CONNECTION_BAD) PQreset(conn_.get());
    }
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      return fail(ErrorKind::unavailable,
                  fmt::format("lost the connection to {}: {}", description_,
                              clean_message(PQerrorMessage(conn_.get()), url_)));
    }
    return {};
  }

  ConnectionHandle conn_;
  std::string url_;  // for PQreset's reconnect and for scrubbing its password from messages
  std::string description_;
};

// "postgres USER@HOST:PORT/DATABASE" from the URL's parts; never the password.
Result<std::string> describe_url(const std::string& url) {
  char* raw_error = nullptr;
  std::unique_ptr<PQconninfoOption, FreeConninfo> options(PQconninfoParse(url.c_str(), &raw_error));
  std::unique_ptr<char, FreeMemory> error(raw_error);
  if (!options) {
    return fail(ErrorKind::invalid_input,
                fmt::format("the PostgreSQL database URL is malformed: {}; expected "
                            "postgres://USER:PASSWORD@HOST:PORT/DATABASE",
                            error ? clean_message(error.get(), url) : "out of memory"));
  }
  std::map<std::string_view, std::string_view> parts;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val != nullptr) parts[o->keyword] = o->val;
  }
  const std::string_view user = parts["user"], port = parts["port"], dbname = parts["dbname"];
  const std::string_view host = parts["host"].empty() ? "local socket" : parts["host"];
  return fmt::format("postgres {}{}{}{}{}/{}", user, user.empty() ? "" : "@", host,
                     port.empty() ? "" : ":", port, dbname);
}

}  // namespace

Result<std::unique_ptr<Database>> open_postgres(const std::string& url, const Options& options) {
  auto description = describe_url(url);
  if (!description) return description.error();
  auto db = std::make_unique<PooledDatabase>(
      Dialect::postgres, *description,
      [url, description = *description] { return PostgresConnection::connect(url, description); },
      options);
  AGORA_TRY(db->ping());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace agora::store
