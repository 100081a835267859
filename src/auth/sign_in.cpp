#include "auth/sign_in.hpp"

#include "auth/directory_store.hpp"
#include "auth/passwords.hpp"
#include "auth/rate_limiter.hpp"
#include "auth/recovery_codes.hpp"
#include "auth/totp.hpp"
#include "auth/two_factor_store.hpp"
#include "base/logging.hpp"

#include <fmt/format.h>

#include <mutex>

namespace agora::auth {

namespace {

// A hash to check a password against when the email is unknown, so a wrong email takes as long
// as a wrong password and the response time does not reveal who has an account.
const std::string& decoy_hash() {
  static const std::string hash = [] {
    auto made = hash_password(new_secret_token());
    return made ? *made : std::string();
  }();
  return hash;
}

std::string account_bucket(std::string_view email) {
  return fmt::format("sign-in:account:{}", normalise_email(email));
}

std::string address_bucket(std::string_view ip) { return fmt::format("sign-in:ip:{}", ip); }

std::string second_factor_bucket(std::int64_t person_id) {
  return fmt::format("second-factor:person:{}", person_id);
}

AuditEvent event_from(const Requester& from, std::optional<std::int64_t> person_id,
                      std::optional<std::int64_t> organisation_id, std::string action,
                      AuditOutcome outcome, std::string detail) {
  AuditEvent event;
  event.person_id = person_id;
  event.organisation_id = organisation_id;
  event.action = std::move(action);
  event.resource_kind = "person";
  event.resource_id = person_id ? std::to_string(*person_id) : std::string();
  event.ip = from.ip;
  event.user_agent = from.user_agent;
  event.outcome = outcome;
  event.detail = std::move(detail);
  return event;
}

SignInOutcome refused() { return SignInOutcome{SignInOutcome::Kind::refused, {}, {}}; }

// Authenticator apps show "123 456"; people type what they see.
std::string without_spaces(std::string_view code) {
  std::string out;
  for (const char c : code) {
    if (c != ' ' && c != '\t') out += c;
  }
  return out;
}

// Whether `code` is the person's current TOTP code (claiming its step, so it works once) or one of
// their unused recovery codes (using it up). Says which in `how`.
Result<bool> accept_second_factor(store::Connection& c, const base::Clock& clock,
                                  const Person& person, std::string_view code, std::string& how) {
  if (auto step = verify_totp(person.totp_secret, without_spaces(code), clock.now(),
                              person.totp_last_step)) {
    how = "authenticator code";
    return DirectoryStore(c, clock).claim_totp_step(person.id, *step);
  }
  how = "recovery code";
  return TwoFactorStore(c, clock).use_recovery_code(person.id, code);
}

}  // namespace

SignIn::SignIn(store::Database& database, const base::Clock& clock, SessionLimits limits,
               AuditLog& audit)
    : database_(database), clock_(clock), limits_(limits), audit_(audit) {}

Result<SignInOutcome> SignIn::with_password(
    std::string_view email, std::string_view password, const Requester& from,
    std::optional<std::string_view> previous_session_token) {
  const std::string by_account = account_bucket(email);
  const std::string by_address = address_bucket(from.ip);

  // Look up and rate-check first; hashing (about 0.1 s) happens outside any database lease.
  struct Facts {
    std::optional<Person> person;
    std::optional<Organisation> organisation;
    RateDecision account_limit;
    RateDecision address_limit;
  };
  auto facts = database_.with_connection([&](store::Connection& c) -> Result<Facts> {
    Facts f;
    RateLimiter limiter(c, clock_);
    auto account_limit = limiter.check(by_account, kSignInFailuresPerAccount);
    if (!account_limit) return account_limit.error();
    auto address_limit = limiter.check(by_address, kSignInFailuresPerAddress);
    if (!address_limit) return address_limit.error();
    f.account_limit = *account_limit;
    f.address_limit = *address_limit;
    DirectoryStore directory(c, clock_);
    auto person = directory.find_person_by_email(email);
    if (!person) return person.error();
    f.person = std::move(*person);
    if (f.person) {
      auto organisation = directory.find_organisation(f.person->organisation_id);
      if (!organisation) return organisation.error();
      f.organisation = std::move(*organisation);
    }
    return f;
  });
  if (!facts) return facts.error();
  const std::optional<std::int64_t> person_id =
      facts->person ? std::optional(facts->person->id) : std::nullopt;
  const std::optional<std::int64_t> organisation_id =
      facts->person ? std::optional(facts->person->organisation_id) : std::nullopt;

  if (!facts->account_limit.allowed || !facts->address_limit.allowed) {
    AGORA_TRY(audit_.append(event_from(from, person_id, organisation_id, "auth.sign_in",
                                       AuditOutcome::denied, "too many failed attempts")));
    return SignInOutcome{SignInOutcome::Kind::rate_limited, {},
                         std::max(facts->account_limit.retry_after,
                                  facts->address_limit.retry_after)};
  }

  const bool known = facts->person && !facts->person->password_hash.empty();
  const bool password_ok =
      verify_password(known ? facts->person->password_hash : decoy_hash(), password) && known;
  if (!password_ok) {
    AGORA_TRY(database_.transaction([&](store::Connection& c) -> Result<> {
      RateLimiter limiter(c, clock_);
      AGORA_TRY(limiter.record(by_account, kSignInFailuresPerAccount));
      AGORA_TRY(limiter.record(by_address, kSignInFailuresPerAddress));
      return {};
    }));
    AGORA_TRY(audit_.append(event_from(from, person_id, organisation_id, "auth.sign_in",
                                       AuditOutcome::failure,
                                       facts->person ? "wrong password" : "unknown email")));
    return refused();
  }
  const Person& person = *facts->person;
  if (person.status != PersonStatus::active) {
    AGORA_TRY(audit_.append(event_from(from, person.id, person.organisation_id, "auth.sign_in",
                                       AuditOutcome::denied,
                                       fmt::format("account {}", to_string(person.status)))));
    return SignInOutcome{SignInOutcome::Kind::suspended, {}, {}};
  }

  std::optional<std::string> new_hash;
  if (needs_rehash(person.password_hash)) {
    auto rehashed = hash_password(password);
    if (rehashed) new_hash = std::move(*rehashed);
  }
  const SessionStage stage = !person.totp_secret.empty() ? SessionStage::second_factor
                             : (facts->organisation && facts->organisation->require_two_factor)
                                 ? SessionStage::two_factor_setup
                                 : SessionStage::active;
  auto issued = database_.transaction([&](store::Connection& c) -> Result<IssuedSession> {
    AGORA_TRY(RateLimiter(c, clock_).clear(by_account));
    if (new_hash) AGORA_TRY(DirectoryStore(c, clock_).set_password_hash(person.id, *new_hash));
    SessionStore sessions(c, clock_, limits_);
    if (previous_session_token) {
      auto previous = sessions.find(*previous_session_token);
      if (!previous) return previous.error();
      if (*previous) AGORA_TRY(sessions.end((*previous)->person_id, (*previous)->id));
    }
    auto started = sessions.start(person.id, stage, "password", from.ip, from.user_agent);
    if (!started) return started.error();
    AGORA_TRY(audit_.append_in(
        c, event_from(from, person.id, person.organisation_id, "auth.sign_in",
                      AuditOutcome::success,
                      stage == SessionStage::active ? "password"
                                                    : fmt::format("password; then {}",
                                                                  to_string(stage)))));
    return started;
  });
  if (!issued) return issued.error();
  return SignInOutcome{SignInOutcome::Kind::signed_in, std::move(*issued), {}};
}

Result<SignInOutcome> SignIn::with_second_factor(std::int64_t session_id, std::int64_t person_id,
                                                 std::string_view code, const Requester& from) {
  const std::string bucket = second_factor_bucket(person_id);
  return database_.transaction([&](store::Connection& c) -> Result<SignInOutcome> {
    RateLimiter limiter(c, clock_);
    auto limit = limiter.check(bucket, kSignInFailuresPerAccount);
    if (!limit) return limit.error();
    DirectoryStore directory(c, clock_);
    auto person = directory.find_person(person_id);
    if (!person) return person.error();
    if (!*person || (*person)->status != PersonStatus::active || (*person)->totp_secret.empty())
      return refused();
    if (!limit->allowed) {
      AGORA_TRY(audit_.append_in(c, event_from(from, person_id, (*person)->organisation_id,
                                               "auth.second_factor", AuditOutcome::denied,
                                               "too many failed codes")));
      return SignInOutcome{SignInOutcome::Kind::rate_limited, {}, limit->retry_after};
    }

    std::string how;
    auto accepted = accept_second_factor(c, clock_, **person, code, how);
    if (!accepted) return accepted.error();
    if (!*accepted) {
      AGORA_TRY(limiter.record(bucket, kSignInFailuresPerAccount));
      AGORA_TRY(audit_.append_in(c, event_from(from, person_id, (*person)->organisation_id,
                                               "auth.second_factor", AuditOutcome::failure,
                                               "wrong code")));
      return refused();
    }
    AGORA_TRY(limiter.clear(bucket));
    auto rotated = SessionStore(c, clock_, limits_).rotate(session_id, SessionStage::active);
    if (!rotated) return rotated.error();
    AGORA_TRY(audit_.append_in(c, event_from(from, person_id, (*person)->organisation_id,
                                             "auth.second_factor", AuditOutcome::success, how)));
    return SignInOutcome{SignInOutcome::Kind::signed_in, std::move(*rotated), {}};
  });
}

Result<std::optional<TwoFactorSetup>> SignIn::set_up_two_factor(
    std::int64_t session_id, std::int64_t person_id, std::string_view secret,
    std::string_view code, std::string_view current_code, const Requester& from) {
  auto step = verify_totp(secret, without_spaces(code), clock_.now(), 0);
  if (!step) return std::optional<TwoFactorSetup>{};
  return database_.transaction([&](store::Connection& c) -> Result<std::optional<TwoFactorSetup>> {
    DirectoryStore directory(c, clock_);
    auto person = directory.find_person(person_id);
    if (!person) return person.error();
    if (!*person) return fail(ErrorKind::not_found, "the account no longer exists");
    // Replacing an authenticator needs the old one (or a recovery code): a stolen session alone
    // must not be enough to take over someone's second factor.
    if (!(*person)->totp_secret.empty()) {
      std::string how;
      auto proved = accept_second_factor(c, clock_, **person, current_code, how);
      if (!proved) return proved.error();
      if (!*proved) return std::optional<TwoFactorSetup>{};
    }
    AGORA_TRY(directory.set_totp_secret(person_id, secret));
    AGORA_TRY(directory.claim_totp_step(person_id, *step));
    TwoFactorSetup setup;
    setup.recovery_codes = new_recovery_codes();
    AGORA_TRY(TwoFactorStore(c, clock_).replace_recovery_codes(person_id, setup.recovery_codes));
    auto rotated = SessionStore(c, clock_, limits_).rotate(session_id, SessionStage::active);
    if (!rotated) return rotated.error();
    setup.session = std::move(*rotated);
    AGORA_TRY(audit_.append_in(c, event_from(from, person_id, (*person)->organisation_id,
                                             "auth.two_factor_setup", AuditOutcome::success,
                                             "authenticator app")));
    return std::optional<TwoFactorSetup>(std::move(setup));
  });
}

}  // namespace agora::auth
