#pragma once
// The one place that decides who may do what (DESIGN.md "Security model"): every read and write
// asks Policy::check first. Deny by default: an action the policy does not know is refused.

#include "auth/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agora::auth {

// Actions the policy knows so far; routes name theirs in http::RouteOptions::action.

/// Public pages: home, static files, error pages.
inline constexpr std::string_view kSiteView = "site.view";
/// The health check, GET /healthz.
inline constexpr std::string_view kHealthRead = "health.read";
/// Prometheus metrics, GET /metrics: loopback only, as they reveal traffic patterns.
inline constexpr std::string_view kMetricsRead = "metrics.read";

/// Opening the collaboration WebSocket endpoints. Anyone may connect; each document on the
/// socket is then checked with kDocumentRead and kDocumentEdit for the person its token names.
inline constexpr std::string_view kCollabConnect = "collab.connect";
/// Reading a document (and receiving its live updates and presence).
inline constexpr std::string_view kDocumentRead = "document.read";
/// Commenting on a document.
inline constexpr std::string_view kDocumentComment = "document.comment";
/// Changing a document's content.
inline constexpr std::string_view kDocumentEdit = "document.edit";
/// Sharing a document and managing its versions.
inline constexpr std::string_view kDocumentManage = "document.manage";

/// Signing in, out and back: the sign-in, 2FA, SSO, password reset and invitation pages.
/// Anyone may reach them; each checks what it is given.
inline constexpr std::string_view kAccountSignIn = "account.sign_in";
/// A signed-in person's own account: their sessions, 2FA, API tokens, their data.
inline constexpr std::string_view kAccountManage = "account.manage";
/// Managing an organisation's people, invitations, settings (resource {"organisation", id}):
/// that organisation's admins only.
inline constexpr std::string_view kOrganisationManage = "organisation.manage";
/// Reading and exporting an organisation's audit trail (resource {"organisation", id}): its
/// admins only.
inline constexpr std::string_view kAuditRead = "audit.read";
/// Creating a space owned by one's own organisation: any signed-in member of staff.
inline constexpr std::string_view kSpaceCreate = "space.create";
/// Reading a space and its contents (resource {"space", id} with the principal's role).
inline constexpr std::string_view kSpaceRead = "space.read";
/// Adding documents and files to a space.
inline constexpr std::string_view kSpaceEdit = "space.edit";
/// Sharing a space, changing its classification, renaming it.
inline constexpr std::string_view kSpaceManage = "space.manage";
/// SCIM provisioning of an organisation's people and groups (resource {"organisation", id}), by
/// an API token with the "scim" scope that belongs to one of its admins.
inline constexpr std::string_view kScimProvision = "scim.provision";

/// The reason Policy gives when signing in would let the action through.
inline constexpr std::string_view kSignInFirst = "sign in first";

/// Who is asking: the anonymous public, or a member of staff identified by a session, an API
/// token or a signed document token. (Citizens' Engage accounts come with the Engage issue.)
struct Principal {
  enum class Kind { anonymous, person };

  Kind kind = Kind::anonymous;
  std::string remote_address;    // the peer's IP address as text, e.g. "127.0.0.1" or "::1"
  std::int64_t person_id = 0;    // set for Kind::person
  std::int64_t organisation_id = 0;
  bool organisation_admin = false;  // manages the people and audit trail of organisation_id
  std::int64_t session_id = 0;      // the session that proved who they are; 0 for tokens
  std::string user_agent;           // for the audit trail
  std::string display_name;         // the person's name, for the page header
  /// Set while a session has passed the password but not yet the second factor (or 2FA set-up):
  /// kind stays anonymous, person_id and session_id name who is half-way through signing in.
  bool sign_in_pending = false;
  /// With sign_in_pending: the organisation requires 2FA and this person has none yet, so the
  /// only thing they may do is set it up (rather than give a code).
  bool must_set_up_two_factor = false;
  /// Set when an API token proved the identity: its scopes, e.g. {"scim"}. Sessions have none
  /// and may do whatever the person may.
  bool api_token = false;
  std::vector<std::string> api_scopes;
  /// The CSRF token this requester's forms must carry (auth/sign_in_middleware.hpp).
  std::string csrf_token;

  /// Someone not signed in, connecting from `remote_address`.
  static Principal anonymous(std::string remote_address) {
    Principal p;
    p.remote_address = std::move(remote_address);
    return p;
  }
  /// A member of staff, whose identity has been proved (session or signed token).
  static Principal person(std::int64_t person_id, std::int64_t organisation_id,
                          std::string remote_address) {
    Principal p;
    p.kind = Kind::person;
    p.remote_address = std::move(remote_address);
    p.person_id = person_id;
    p.organisation_id = organisation_id;
    return p;
  }
  bool signed_in() const { return kind == Kind::person; }
};

/// What is being acted on, e.g. {"document", "42"}; empty for actions on the whole site.
struct Resource {
  std::string kind;
  std::string id;
  /// The principal's role on this resource as the grant store recorded it (GrantStore::role_of),
  /// or nullopt when they have none. The caller looks it up; the policy decides what it allows.
  std::optional<Role> role;
};

/// The answer to one check, with a reason for logs and the audit trail.
struct Decision {
  bool allowed = false;
  std::string_view reason;  // a static phrase, e.g. "public action"

  static Decision allow(std::string_view reason) { return Decision{true, reason}; }
  static Decision deny(std::string_view reason) { return Decision{false, reason}; }
  explicit operator bool() const { return allowed; }
};

/// Decides whether a principal may perform an action on a resource. Stateless and thread-safe.
/// Document actions need a signed-in person holding a role: viewers read, commenters comment,
/// editors edit, owners manage.
class Policy {
 public:
  /// Allows `action` on `resource` for `principal`, or denies it; anything not expressly allowed
  /// is denied.
  Decision check(const Principal& principal, std::string_view action,
                 const Resource& resource) const;
};

/// True when `address` is a loopback IP address: 127.0.0.0/8, ::1, or 127.x in IPv4-mapped IPv6
/// form (::ffff:127.0.0.1). False for anything unparsable.
bool is_loopback_address(std::string_view address);

}  // namespace agora::auth
