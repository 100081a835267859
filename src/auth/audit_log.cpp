#include "auth/audit_log.hpp"

#include "base/logging.hpp"

#include <fmt/format.h>
#include <sodium.h>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <limits>

namespace agora::auth {

namespace {

namespace log = base::log;
using store::Bytes;
using store::Connection;
using store::Value;

// Longest stored text per field, in bytes. A record must never be lost to a long user agent, so
// longer text is cut rather than refused.
constexpr std::size_t kMaxShortText = 200;
constexpr std::size_t kMaxUserAgent = 512;
constexpr std::size_t kMaxDetail = 2000;

constexpr std::size_t kHashBytes = crypto_hash_sha256_BYTES;
// Bumped if the encoding ever changes, so an old record can never verify under new rules.
constexpr std::string_view kEncodingTag = "agora.audit_log.v1";

constexpr std::string_view kColumns =
    "id, at, person_id, organisation_id, action, resource_kind, resource_id, space_id, "
    "document_id, ip, user_agent, outcome, detail, prev_hash, hash";

// --- text ---------------------------------------------------------------------------------------

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 when it is malformed.
std::size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3F);
  }
  const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
  const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  if (overlong || surrogate || code > 0x10FFFF) return 0;
  return length;
}

// `text` as valid UTF-8 without NUL bytes (PostgreSQL refuses both in TEXT), each bad byte
// replaced by U+FFFD, cut at a character boundary to at most `max_bytes`.
std::string clean_text(std::string_view text, std::size_t max_bytes) {
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  while (!text.empty()) {
    std::size_t length = utf8_sequence_length(text);
    std::string_view piece = text.substr(0, length);
    if (length == 0 || text.front() == '\0') {
      piece = kReplacement;
      length = 1;
    }
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    text.remove_prefix(length);
  }
  return out;
}

AuditEvent cleaned(const AuditEvent& event) {
  AuditEvent out = event;
  out.action = clean_text(event.action, kMaxShortText);
  out.resource_kind = clean_text(event.resource_kind, kMaxShortText);
  out.resource_id = clean_text(event.resource_id, kMaxShortText);
  out.ip = clean_text(event.ip, kMaxShortText);
  out.user_agent = clean_text(event.user_agent, kMaxUserAgent);
  out.detail = clean_text(event.detail, kMaxDetail);
  return out;
}

std::string hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

// "2025-03-30T01:00:00.000Z".
std::string iso_utc(std::chrono::system_clock::time_point at) {
  using namespace std::chrono;
  const std::int64_t millis = base::to_unix_millis(at);
  const sys_time<milliseconds> t{milliseconds(millis)};
  const sys_days day = floor<days>(t);
  const year_month_day date(day);
  const std::int64_t in_day = (t - day).count();
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     in_day / 3600000, in_day / 60000 % 60, in_day / 1000 % 60, in_day % 1000);
}

// --- canonical encoding -------------------------------------------------------------------------

void put_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}

void put_integer(std::string& out, std::int64_t value) {
  put_u64(out, static_cast<std::uint64_t>(value));
}

void put_optional(std::string& out, const std::optional<std::int64_t>& value) {
  out += value ? '\1' : '\0';
  if (value) put_integer(out, *value);
}

void put_text(std::string& out, std::string_view text) {
  put_u64(out, text.size());
  out += text;
}

// --- rows ---------------------------------------------------------------------------------------

// Reads columns leniently: a record someone rewrote with a value of the wrong type is reported as
// changed, not as a crash.
struct RowReader {
  const store::Row& row;
  bool well_formed = true;

  std::int64_t integer(std::size_t i) {
    if (const auto* v = std::get_if<std::int64_t>(&row.value(i))) return *v;
    well_formed = false;
    return 0;
  }
  std::optional<std::int64_t> optional_integer(std::size_t i) {
    if (row.is_null(i)) return std::nullopt;
    return integer(i);
  }
  std::string text(std::size_t i) {
    const Value& v = row.value(i);
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    if (const auto* b = std::get_if<Bytes>(&v)) return b->data;
    well_formed = false;
    return {};
  }
};

struct DecodedRecord {
  AuditRecord record;
  bool well_formed = true;
};

// A row of kColumns (then, when `with_person`, people.email and people.display_name).
DecodedRecord decode(const store::Row& row, bool with_person) {
  RowReader r{row};
  DecodedRecord d;
  AuditRecord& a = d.record;
  a.id = r.integer(0);
  a.at = base::from_unix_millis(r.integer(1));
  a.event.person_id = r.optional_integer(2);
  a.event.organisation_id = r.optional_integer(3);
  a.event.action = r.text(4);
  a.event.resource_kind = r.text(5);
  a.event.resource_id = r.text(6);
  a.event.space_id = r.optional_integer(7);
  a.event.document_id = r.optional_integer(8);
  a.event.ip = r.text(9);
  a.event.user_agent = r.text(10);
  a.outcome_text = r.text(11);
  a.event.outcome = audit_outcome_from(a.outcome_text).value_or(AuditOutcome::failure);
  a.event.detail = r.text(12);
  a.prev_hash = r.text(13);
  a.hash = r.text(14);
  d.well_formed = r.well_formed;
  if (with_person) {
    if (!row.is_null(15)) a.person_email = row.text(15);
    if (!row.is_null(16)) a.person_name = row.text(16);
  }
  return d;
}

Value optional_value(const std::optional<std::int64_t>& v) {
  if (v) return *v;
  return nullptr;
}

// --- the anchor ---------------------------------------------------------------------------------

struct Anchor {
  std::int64_t first_id = 1;
  std::string prev_hash;
  std::int64_t last_id = 0;
  std::string last_hash;
};

// The anchor row; with `lock`, locked until the transaction ends so appends and prunes queue up
// behind each other (SQLite's BEGIN IMMEDIATE already holds its one write lock).
Result<std::optional<Anchor>> read_anchor(Connection& c, bool lock) {
  std::string sql =
      "SELECT first_id, prev_hash, last_id, last_hash FROM audit_anchor "
      "WHERE only_row = 1";
  if (lock && c.dialect() == store::Dialect::postgres) sql += " FOR UPDATE";
  auto rows = c.query(sql);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Anchor>();
  RowReader r{rows->front()};
  Anchor anchor{r.integer(0), r.text(1), r.integer(2), r.text(3)};
  if (!r.well_formed) {
    return fail(
        ErrorKind::corrupt,
        "the audit anchor was changed: a field holds the wrong type; run agora audit verify");
  }
  return std::optional<Anchor>(std::move(anchor));
}

Result<Anchor> lock_anchor(Connection& c) {
  auto anchor = read_anchor(c, true);
  if (!anchor) return anchor.error();
  if (!*anchor) {
    return fail(ErrorKind::corrupt,
                "the audit anchor row is missing, so no audit record can be written; someone "
                "deleted it (run agora audit verify)");
  }
  return std::move(**anchor);
}

Result<std::int64_t> append_locked(Connection& c, const base::Clock& clock,
                                   const AuditEvent& event) {
  if (event.action.empty()) {
    return fail(ErrorKind::invalid_input, "an audit event needs an action, e.g. \"document.view\"");
  }
  auto anchor = lock_anchor(c);
  if (!anchor) return anchor.error();

  AuditRecord record;
  record.event = cleaned(event);
  record.id = anchor->last_id + 1;
  // Stored as milliseconds: hash what will be read back.
  record.at = base::from_unix_millis(base::to_unix_millis(clock.now()));
  record.outcome_text = std::string(to_string(event.outcome));
  record.prev_hash = anchor->last_hash;
  record.hash = audit_record_hash(record);

  const AuditEvent& e = record.event;
  // Ids are assigned here, not by the database, so they are dense and a gap means a deletion.
  const std::string_view insert =
      c.dialect() == store::Dialect::postgres
          ? "INSERT INTO audit_log (id, at, person_id, organisation_id, action, resource_kind, "
            "resource_id, space_id, document_id, ip, user_agent, outcome, detail, prev_hash, hash) "
            "OVERRIDING SYSTEM VALUE VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
          : "INSERT INTO audit_log (id, at, person_id, organisation_id, action, resource_kind, "
            "resource_id, space_id, document_id, ip, user_agent, outcome, detail, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  auto inserted = c.execute(
      insert, {record.id, base::to_unix_millis(record.at), optional_value(e.person_id),
               optional_value(e.organisation_id), e.action, e.resource_kind, e.resource_id,
               optional_value(e.space_id), optional_value(e.document_id), e.ip, e.user_agent,
               record.outcome_text, e.detail, Bytes{record.prev_hash}, Bytes{record.hash}});
  if (!inserted) return inserted.error();
  auto moved = c.execute("UPDATE audit_anchor SET last_id = ?, last_hash = ? WHERE only_row = 1",
                         {record.id, Bytes{record.hash}});
  if (!moved) return moved.error();
  return record.id;
}

// --- verification -------------------------------------------------------------------------------

struct Problem {
  std::optional<std::int64_t> id;
  std::string what;
};

std::string missing(std::int64_t from, std::int64_t to) {
  if (from == to) return fmt::format("record {} is missing (deleted)", from);
  return fmt::format("records {} to {} are missing (deleted)", from, to);
}

// Walks the chain on `c`, which must be inside a read snapshot.
Result<AuditVerification> verify_on(Connection& c) {
  AuditVerification report;
  auto anchor_or = read_anchor(c, false);
  if (!anchor_or) {
    if (anchor_or.error().kind != ErrorKind::corrupt) return anchor_or.error();
    report.problem = "the audit anchor was changed: a field holds the wrong type";
    return report;
  }
  if (!*anchor_or) {
    report.problem = "the audit anchor row is missing: someone deleted it";
    return report;
  }
  const Anchor& anchor = **anchor_or;
  report.first_id = anchor.first_id;
  report.last_id = anchor.last_id;
  report.last_hash_hex = hex(anchor.last_hash);
  const auto found = [&](std::optional<std::int64_t> id, std::string what) {
    report.problem_id = id;
    report.problem = std::move(what);
    return report;
  };
  if (anchor.last_id < anchor.first_id - 1) {
    return found(std::nullopt,
                 fmt::format("the audit anchor was changed: it starts at record {} but ends at "
                             "record {}",
                             anchor.first_id, anchor.last_id));
  }

  std::int64_t expected_id = anchor.first_id;
  std::string expected_prev = anchor.prev_hash;
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  const std::string sql = fmt::format("SELECT {} FROM audit_log WHERE id > ? ORDER BY id LIMIT {}",
                                      kColumns, kMaxAuditPage);
  for (;;) {
    auto rows = c.query(sql, {after});
    if (!rows) return rows.error();
    for (const store::Row& row : *rows) {
      const DecodedRecord decoded = decode(row, false);
      const AuditRecord& record = decoded.record;
      const std::int64_t id = record.id;
      after = id;
      if (id < anchor.first_id) {
        return found(id, fmt::format("record {} was inserted: the log starts at record {}", id,
                                     anchor.first_id));
      }
      if (id > anchor.last_id) {
        return found(id, fmt::format("record {} was inserted: the newest record the log wrote "
                                     "is {}",
                                     id, anchor.last_id));
      }
      if (id > expected_id) return found(expected_id, missing(expected_id, id - 1));
      if (!decoded.well_formed || audit_record_hash(record) != record.hash) {
        return found(id, fmt::format("record {} was changed after it was written", id));
      }
      if (record.prev_hash != expected_prev) {
        if (id == anchor.first_id) {
          return found(id, fmt::format("record {} does not follow the anchor: the record or the "
                                       "anchor was replaced",
                                       id));
        }
        return found(id, fmt::format("record {} does not follow record {}: one of them was "
                                     "replaced",
                                     id, id - 1));
      }
      ++report.records_checked;
      expected_prev = record.hash;
      expected_id = id + 1;
    }
    if (rows->size() < static_cast<std::size_t>(kMaxAuditPage)) break;
  }
  if (expected_id <= anchor.last_id)
    return found(expected_id, missing(expected_id, anchor.last_id));
  if (expected_prev != anchor.last_hash) {
    if (anchor.last_id >= anchor.first_id) {
      return found(anchor.last_id,
                   fmt::format("record {} was replaced: it is not the record the log wrote last",
                               anchor.last_id));
    }
    return found(std::nullopt, "the audit anchor was changed: its start and end disagree");
  }
  report.ok = true;
  return report;
}

// --- queries ------------------------------------------------------------------------------------

Result<std::vector<AuditRecord>> query_on(Connection& c, const AuditFilter& filter, int limit) {
  std::string sql = "SELECT ";
  for (std::string_view rest = kColumns;;) {
    const std::size_t comma = rest.find(", ");
    sql += "a.";
    sql += rest.substr(0, comma);
    if (comma == std::string_view::npos) break;
    sql += ", ";
    rest.remove_prefix(comma + 2);
  }
  sql +=
      ", p.email, p.display_name FROM audit_log a LEFT JOIN people p ON p.id = a.person_id "
      "WHERE 1 = 1";
  store::Params params;
  const auto where = [&](std::string_view condition, Value value) {
    sql += " AND ";
    sql += condition;
    params.push_back(std::move(value));
  };
  if (filter.organisation_id) where("a.organisation_id = ?", *filter.organisation_id);
  if (filter.person_id) where("a.person_id = ?", *filter.person_id);
  if (filter.space_id) where("a.space_id = ?", *filter.space_id);
  if (filter.document_id) where("a.document_id = ?", *filter.document_id);
  if (filter.from) where("a.at >= ?", base::to_unix_millis(*filter.from));
  if (filter.to) where("a.at < ?", base::to_unix_millis(*filter.to));
  if (filter.before_id) where("a.id < ?", *filter.before_id);
  sql += " ORDER BY a.id DESC LIMIT ?";
  params.push_back(static_cast<std::int64_t>(limit));
  auto rows = c.query(sql, params);
  if (!rows) return rows.error();
  std::vector<AuditRecord> records;
  records.reserve(rows->size());
  for (const store::Row& row : *rows) records.push_back(decode(row, true).record);
  return records;
}

// --- export -------------------------------------------------------------------------------------

std::string optional_text(const std::optional<std::int64_t>& v) {
  return v ? std::to_string(*v) : std::string();
}

void put_csv_cell(std::string& out, std::string_view cell) {
  std::string text;
  // A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
  if (!cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos)
    text = "'";
  text += cell;
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char ch : text) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

void put_csv_row(std::string& out, std::initializer_list<std::string_view> cells) {
  bool first = true;
  for (std::string_view cell : cells) {
    if (!first) out += ',';
    first = false;
    put_csv_cell(out, cell);
  }
  out += "\r\n";
}

boost::json::value json_optional(const std::optional<std::int64_t>& v) {
  if (v) return *v;
  return nullptr;
}

}  // namespace

std::string_view to_string(AuditOutcome outcome) noexcept {
  switch (outcome) {
    case AuditOutcome::success:
      return "success";
    case AuditOutcome::denied:
      return "denied";
    case AuditOutcome::failure:
      return "failure";
  }
  return "failure";
}

std::optional<AuditOutcome> audit_outcome_from(std::string_view name) noexcept {
  if (name == "success") return AuditOutcome::success;
  if (name == "denied") return AuditOutcome::denied;
  if (name == "failure") return AuditOutcome::failure;
  return std::nullopt;
}

AuditEvent AuditEvent::by(const Principal& principal, std::string action, std::string resource_kind,
                          std::string resource_id, AuditOutcome outcome, std::string detail) {
  AuditEvent event;
  if (principal.signed_in()) {
    event.person_id = principal.person_id;
    if (principal.organisation_id != 0) event.organisation_id = principal.organisation_id;
  }
  event.action = std::move(action);
  event.resource_kind = std::move(resource_kind);
  event.resource_id = std::move(resource_id);
  event.ip = principal.remote_address;
  event.user_agent = principal.user_agent;
  event.outcome = outcome;
  event.detail = std::move(detail);
  return event;
}

std::string audit_record_hash(const AuditRecord& record) {
  const AuditEvent& e = record.event;
  std::string encoded;
  put_text(encoded, kEncodingTag);
  put_integer(encoded, record.id);
  put_integer(encoded, base::to_unix_millis(record.at));
  put_optional(encoded, e.person_id);
  put_optional(encoded, e.organisation_id);
  put_text(encoded, e.action);
  put_text(encoded, e.resource_kind);
  put_text(encoded, e.resource_id);
  put_optional(encoded, e.space_id);
  put_optional(encoded, e.document_id);
  put_text(encoded, e.ip);
  put_text(encoded, e.user_agent);
  put_text(encoded, record.outcome_text);
  put_text(encoded, e.detail);
  put_text(encoded, record.prev_hash);
  std::string hash(kHashBytes, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(hash.data()),
                     reinterpret_cast<const unsigned char*>(encoded.data()), encoded.size());
  return hash;
}

std::string audit_csv(std::span<const AuditRecord> records) {
  std::string out;
  put_csv_row(out, {"id", "time_utc", "person_id", "person_email", "organisation_id", "action",
                    "resource_kind", "resource_id", "space_id", "document_id", "ip", "user_agent",
                    "outcome", "detail", "hash"});
  for (const AuditRecord& r : records) {
    const AuditEvent& e = r.event;
    put_csv_row(out, {std::to_string(r.id), iso_utc(r.at), optional_text(e.person_id),
                      r.person_email, optional_text(e.organisation_id), e.action, e.resource_kind,
                      e.resource_id, optional_text(e.space_id), optional_text(e.document_id), e.ip,
                      e.user_agent, r.outcome_text, e.detail, hex(r.hash)});
  }
  return out;
}

std::string audit_json(std::span<const AuditRecord> records) {
  boost::json::array list;
  list.reserve(records.size());
  for (const AuditRecord& r : records) {
    const AuditEvent& e = r.event;
    list.push_back(boost::json::object{
        {"id", r.id},
        {"time", iso_utc(r.at)},
        {"time_ms", base::to_unix_millis(r.at)},
        {"person_id", json_optional(e.person_id)},
        {"person_email", r.person_email},
        {"organisation_id", json_optional(e.organisation_id)},
        {"action", e.action},
        {"resource_kind", e.resource_kind},
        {"resource_id", e.resource_id},
        {"space_id", json_optional(e.space_id)},
        {"document_id", json_optional(e.document_id)},
        {"ip", e.ip},
        {"user_agent", e.user_agent},
        {"outcome", r.outcome_text},
        {"detail", e.detail},
        {"prev_hash", hex(r.prev_hash)},
        {"hash", hex(r.hash)},
    });
  }
  return boost::json::serialize(boost::json::object{{"records", std::move(list)}});
}

AuditLog::AuditLog(store::Database& database, const base::Clock& clock)
    : database_(database), clock_(clock) {
  // crypto_hash_sha256 works without it, but libsodium asks for it before any other call.
  if (sodium_init() < 0) std::abort();
}

Result<std::int64_t> AuditLog::append(const AuditEvent& event) {
  return database_.transaction([&](Connection& c) { return append_locked(c, clock_, event); });
}

Result<std::int64_t> AuditLog::append_in(store::Connection& connection, const AuditEvent& event) {
  return append_locked(connection, clock_, event);
}

Result<AuditVerification> AuditLog::verify() {
  return database_.with_connection([](Connection& c) -> Result<AuditVerification> {
    // One snapshot for the whole walk: appends and prunes running meanwhile must not look like
    // insertions or deletions. Read-only, so it never blocks writers.
    const bool postgres = c.dialect() == store::Dialect::postgres;
    AGORA_TRY(
        c.execute_script(postgres ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN"));
    auto report = verify_on(c);
    (void)c.execute_script("ROLLBACK");
    return report;
  });
}

Result<std::vector<AuditRecord>> AuditLog::query(const AuditFilter& filter) {
  const int limit = std::clamp(filter.limit, 1, kMaxAuditPage);
  return database_.with_connection([&](Connection& c) { return query_on(c, filter, limit); });
}

Result<std::string> AuditLog::export_records(const AuditFilter& filter, AuditFormat format) {
  std::vector<AuditRecord> all;
  AuditFilter page = filter;
  page.before_id.reset();
  for (;;) {
    page.limit = kMaxAuditPage;
    auto records = query(page);
    if (!records) return records.error();
    const bool last_page = records->size() < static_cast<std::size_t>(kMaxAuditPage);
    if (!records->empty()) page.before_id = records->back().id;
    std::move(records->begin(), records->end(), std::back_inserter(all));
    if (static_cast<std::int64_t>(all.size()) > kMaxAuditExport) {
      return fail(ErrorKind::too_large,
                  fmt::format("more than {} audit records match; choose a shorter time span",
                              kMaxAuditExport));
    }
    if (last_page) break;
  }
  return format == AuditFormat::csv ? audit_csv(all) : audit_json(all);
}

Result<std::int64_t> AuditLog::prune(std::chrono::system_clock::time_point older_than) {
  const std::int64_t cutoff = base::to_unix_millis(older_than);
  return database_.transaction([&](Connection& c) -> Result<std::int64_t> {
    auto anchor = lock_anchor(c);
    if (!anchor) return anchor.error();
    // Only a prefix goes, so what remains is one unbroken stretch of the chain, even if the clock
    // once stepped back and a later record carries an earlier time.
    auto first_kept = c.query("SELECT MIN(id) FROM audit_log WHERE at >= ?", {cutoff});
    if (!first_kept) return first_kept.error();
    std::int64_t keep_from = anchor->last_id + 1;
    if (!first_kept->empty() && !first_kept->front().is_null(0))
      keep_from = std::min(keep_from, first_kept->front().integer(0));
    if (keep_from <= anchor->first_id) return std::int64_t{0};

    // The new anchor chains to the last deleted record as written; the anchor's copy of the
    // newest hash is the one to trust when everything goes.
    std::string prev_hash = anchor->last_hash;
    if (keep_from <= anchor->last_id) {
      auto before = c.query("SELECT hash FROM audit_log WHERE id = ?", {keep_from - 1});
      if (!before) return before.error();
      if (before->empty()) {
        before = c.query("SELECT prev_hash FROM audit_log WHERE id = ?", {keep_from});
        if (!before) return before.error();
      }
      if (!before->empty()) prev_hash = before->front().text(0);
    }
    auto deleted = c.execute("DELETE FROM audit_log WHERE id < ?", {keep_from});
    if (!deleted) return deleted.error();
    AGORA_TRY(c.execute("UPDATE audit_anchor SET first_id = ?, prev_hash = ? WHERE only_row = 1",
                        {keep_from, Bytes{prev_hash}}));
    AuditEvent event;
    event.action = "audit.prune";
    event.resource_kind = "audit_log";
    event.detail = fmt::format("deleted {} records written before {} (ids {} to {})", *deleted,
                               iso_utc(older_than), anchor->first_id, keep_from - 1);
    AGORA_TRY(append_locked(c, clock_, event));
    return *deleted;
  });
}

AuditRetention::AuditRetention(AuditLog& log, const base::Clock& clock,
                               std::chrono::seconds retention, std::chrono::seconds period)
    : log_(log), clock_(clock), retention_(retention), period_(period) {
  thread_ = std::thread([this] { run(); });
}

AuditRetention::~AuditRetention() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

Result<std::int64_t> AuditRetention::prune_now() {
  const auto cutoff = clock_.now() - retention_;
  auto pruned = log_.prune(cutoff);
  if (!pruned) {
    log::error("audit.prune_failed", {{"error", pruned.error().message}});
  } else if (*pruned > 0) {
    log::info("audit.pruned", {{"records", *pruned}, {"before", iso_utc(cutoff)}});
  }
  return pruned;
}

void AuditRetention::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      (void)prune_now();
    } catch (const std::exception& e) {
      // A row someone rewrote with the wrong type must not take the server down with this thread.
      log::error("audit.prune_failed", {{"error", e.what()}});
    }
    lock.lock();
    wake_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

}  // namespace agora::auth
