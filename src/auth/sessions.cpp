#include "auth/sessions.hpp"

#include "base/base64.hpp"
#include "base/random.hpp"

#include <fmt/format.h>
#include <sodium.h>

namespace agora::auth {

namespace {

// A session's last use is written at most this often: every request of an active person would
// otherwise be a write, and idle expiry does not need finer than a minute.
constexpr std::chrono::minutes kTouchInterval{1};

constexpr std::string_view kSessionColumns =
    "id, person_id, stage, method, created_at, last_seen_at, ip, user_agent";

std::optional<SessionStage> stage_from(std::string_view name) {
  if (name == "second_factor") return SessionStage::second_factor;
  if (name == "two_factor_setup") return SessionStage::two_factor_setup;
  if (name == "active") return SessionStage::active;
  return std::nullopt;
}

Result<Session> session_from(const store::Row& row) {
  auto stage = stage_from(row.text(2));
  if (!stage) {
    return fail(ErrorKind::corrupt,
                fmt::format("session {} has the unknown stage \"{}\"", row.integer(0), row.text(2)));
  }
  return Session{row.integer(0),
                 row.integer(1),
                 *stage,
                 row.text(3),
                 base::from_unix_millis(row.integer(4)),
                 base::from_unix_millis(row.integer(5)),
                 row.text(6),
                 row.text(7)};
}

// User agents are kept for the person's list of sessions; a bounded copy is plenty.
std::string bounded(std::string_view text, std::size_t limit) {
  return std::string(text.substr(0, limit));
}

}  // namespace

std::string_view to_string(SessionStage stage) noexcept {
  switch (stage) {
    case SessionStage::second_factor: return "second_factor";
    case SessionStage::two_factor_setup: return "two_factor_setup";
    case SessionStage::active: return "active";
  }
  return "active";
}

SessionStore::SessionStore(store::Connection& connection, const base::Clock& clock,
                           SessionLimits limits)
    : connection_(connection), clock_(clock), limits_(limits) {}

Result<IssuedSession> SessionStore::start(std::int64_t person_id, SessionStage stage,
                                          std::string_view method, std::string_view ip,
                                          std::string_view user_agent) {
  IssuedSession issued;
  issued.token = new_secret_token();
  const auto now = clock_.now();
  const std::int64_t now_ms = base::to_unix_millis(now);
  auto rows = connection_.query(
      "INSERT INTO sessions (token_hash, person_id, stage, method, created_at, last_seen_at, ip, "
      "user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {token_hash(issued.token), person_id, std::string(to_string(stage)), std::string(method),
       now_ms, now_ms, bounded(ip, 64), bounded(user_agent, 300)});
  if (!rows) return rows.error();
  issued.session = Session{rows->front().integer(0),
                           person_id,
                           stage,
                           std::string(method),
                           base::from_unix_millis(now_ms),
                           base::from_unix_millis(now_ms),
                           bounded(ip, 64),
                           bounded(user_agent, 300)};
  return issued;
}

Result<std::optional<Session>> SessionStore::find(std::string_view token) {
  if (token.empty() || token.size() > 100) return std::optional<Session>{};
  auto rows = connection_.query(
      fmt::format("SELECT {} FROM sessions WHERE token_hash = ?", kSessionColumns),
      {token_hash(token)});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Session>{};
  auto session = session_from(rows->front());
  if (!session) return session.error();

  const auto now = clock_.now();
  if (now - session->last_seen_at >= limits_.idle ||
      now - session->created_at >= limits_.absolute) {
    AGORA_TRY(connection_.execute("DELETE FROM sessions WHERE id = ?", {session->id}));
    return std::optional<Session>{};
  }
  if (now - session->last_seen_at >= kTouchInterval) {
    AGORA_TRY(connection_.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?",
                                  {base::to_unix_millis(now), session->id}));
    session->last_seen_at = now;
  }
  return std::optional<Session>(std::move(*session));
}

Result<IssuedSession> SessionStore::rotate(std::int64_t session_id, SessionStage stage) {
  IssuedSession issued;
  issued.token = new_secret_token();
  const std::int64_t now_ms = base::to_unix_millis(clock_.now());
  auto changed = connection_.execute(
      "UPDATE sessions SET token_hash = ?, stage = ?, last_seen_at = ? WHERE id = ?",
      {token_hash(issued.token), std::string(to_string(stage)), now_ms, session_id});
  if (!changed) return changed.error();
  if (*changed == 0) return fail(ErrorKind::not_found, "the session has ended; sign in again");
  auto rows = connection_.query(
      fmt::format("SELECT {} FROM sessions WHERE id = ?", kSessionColumns), {session_id});
  if (!rows) return rows.error();
  if (rows->empty()) return fail(ErrorKind::not_found, "the session has ended; sign in again");
  auto session = session_from(rows->front());
  if (!session) return session.error();
  issued.session = std::move(*session);
  return issued;
}

Result<std::vector<Session>> SessionStore::list(std::int64_t person_id) {
  const auto now = clock_.now();
  const std::int64_t idle_cutoff = base::to_unix_millis(now - limits_.idle);
  const std::int64_t absolute_cutoff = base::to_unix_millis(now - limits_.absolute);
  auto rows = connection_.query(
      fmt::format("SELECT {} FROM sessions WHERE person_id = ? AND last_seen_at > ? AND "
                  "created_at > ? ORDER BY last_seen_at DESC, id DESC",
                  kSessionColumns),
      {person_id, idle_cutoff, absolute_cutoff});
  if (!rows) return rows.error();
  std::vector<Session> sessions;
  for (const store::Row& row : *rows) {
    auto session = session_from(row);
    if (!session) return session.error();
    sessions.push_back(std::move(*session));
  }
  return sessions;
}

Result<bool> SessionStore::end(std::int64_t person_id, std::int64_t session_id) {
  auto deleted = connection_.execute("DELETE FROM sessions WHERE id = ? AND person_id = ?",
                                     {session_id, person_id});
  if (!deleted) return deleted.error();
  return *deleted > 0;
}

Result<std::int64_t> SessionStore::end_all(std::int64_t person_id) {
  return connection_.execute("DELETE FROM sessions WHERE person_id = ?", {person_id});
}

store::Bytes token_hash(std::string_view secret) {
  store::Bytes hash;
  hash.data.resize(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(hash.data.data()),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  return hash;
}

std::string new_secret_token() {
  const std::string raw = base::system_random().bytes(32);
  return base::to_base64url(
      {reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()});
}

std::string session_cookie(std::string_view token) {
  return fmt::format("{}={}; Path=/; Secure; HttpOnly; SameSite=Lax", kSessionCookie, token);
}

std::string expired_session_cookie() {
  return fmt::format("{}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0", kSessionCookie);
}

}  // namespace agora::auth
