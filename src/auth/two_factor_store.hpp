#pragma once
// Recovery codes for two-factor sign-in (table recovery_codes): stored as hashes of their
// normalised form (auth/recovery_codes.hpp), each usable once.

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace agora::auth {

/// Reads and writes a person's recovery codes on the caller's connection.
class TwoFactorStore {
 public:
  TwoFactorStore(store::Connection& connection, const base::Clock& clock);

  /// Replaces every recovery code of `person_id` with `codes` (as shown to the person).
  Result<> replace_recovery_codes(std::int64_t person_id, const std::vector<std::string>& codes);
  /// Marks `code` (as typed: spaces, hyphens and case do not matter) used if it is one of the person's unused codes; false otherwise.
  Result<bool> use_recovery_code(std::int64_t person_id, std::string_view code);
  /// How many unused codes the person has left.
  Result<std::int64_t> unused_recovery_codes(std::int64_t person_id);

 private:
  store::Connection& connection_;
  const base::Clock& clock_;
};

}  // namespace agora::auth
