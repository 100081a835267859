#include "auth/two_factor_store.hpp"

#include "auth/recovery_codes.hpp"

namespace agora::auth {

TwoFactorStore::TwoFactorStore(store::Connection& connection, const base::Clock& clock)
    : connection_(connection), clock_(clock) {}

Result<> TwoFactorStore::replace_recovery_codes(std::int64_t person_id,
                                                const std::vector<std::string>& codes) {
  AGORA_TRY(connection_.execute("DELETE FROM recovery_codes WHERE person_id = ?", {person_id}));
  for (const std::string& code : codes) {
    AGORA_TRY(connection_.execute(
        "INSERT INTO recovery_codes (person_id, code_hash) VALUES (?, ?)",
        {person_id, recovery_code_hash(code)}));
  }
  return {};
}

Result<bool> TwoFactorStore::use_recovery_code(std::int64_t person_id, std::string_view code) {
  if (code.empty()) return false;
  auto changed = connection_.execute(
      "UPDATE recovery_codes SET used_at = ? WHERE person_id = ? AND code_hash = ? AND "
      "used_at IS NULL",
      {base::to_unix_millis(clock_.now()), person_id, recovery_code_hash(code)});
  if (!changed) return changed.error();
  return *changed == 1;
}

Result<std::int64_t> TwoFactorStore::unused_recovery_codes(std::int64_t person_id) {
  auto rows = connection_.query(
      "SELECT COUNT(*) FROM recovery_codes WHERE person_id = ? AND used_at IS NULL", {person_id});
  if (!rows) return rows.error();
  return rows->front().integer(0);
}

}  // namespace agora::auth
