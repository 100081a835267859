#pragma once
// The one place that decides who may do what (DESIGN.md "Security model"): every read and write
// asks Policy::check first. Deny by default: an action the policy does not know is refused.

#include "auth/model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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

/// Who is asking: the anonymous public, or a member of staff identified by a session or a
/// signed token. Guests and citizens come with the identity issue.
struct Principal {
  enum class Kind { anonymous, person };

  Kind kind = Kind::anonymous;
  std::string remote_address;    // the peer's IP address as text, e.g. "127.0.0.1" or "::1"
  std::int64_t person_id = 0;    // set for Kind::person
  std::int64_t organisation_id = 0;

  /// Someone not signed in, connecting from `remote_address`.
  static Principal anonymous(std::string remote_address) {
    return Principal{Kind::anonymous, std::move(remote_address), 0, 0};
  }
  /// A member of staff, whose identity has been proved (session or signed token).
  static Principal person(std::int64_t person_id, std::int64_t organisation_id,
                          std::string remote_address) {
    return Principal{Kind::person, std::move(remote_address), person_id, organisation_id};
  }
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
