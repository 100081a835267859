#pragma once
// `agora demo load`: the demo organisations and staff that make a fresh install explorable (and
// that later features' demos build on). Idempotent: it adds only what is missing.

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/database.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace agora::app {

/// The one password every demo account has. Public by design: the demo is for trying Agora out,
/// never for real data.
inline constexpr std::string_view kDemoPassword = "agora-demo-2026";

/// One demo account a person can sign in with.
struct DemoSignIn {
  std::string organisation;
  std::string name;
  std::string email;
};

/// What load_demo did.
struct DemoLoad {
  int organisations_created = 0;
  int people_created = 0;
  std::vector<DemoSignIn> sign_ins;  // every demo account, whether created now or before
};

/// Creates whichever demo organisations and people do not exist yet, all in one transaction
/// (so a failure leaves nothing half-loaded), hashing the demo password afresh for each new
/// person. The schema must be migrated. A second run creates nothing.
Result<DemoLoad> load_demo(store::Database& db, const base::Clock& clock);

/// A summary line ("Demo loaded: ..." or "Demo already loaded: nothing changed.") and the sign-ins
/// as an aligned text table, ready to print.
std::string describe_demo_load(const DemoLoad& load);

}  // namespace agora::app
