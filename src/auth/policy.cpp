#include "auth/policy.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace agora::auth {

namespace {

// The weakest role that may perform each action on a shared resource, and the kind of resource
// the action is about.
struct RoleRule {
  std::string_view resource_kind;
  Role least;
};

std::optional<RoleRule> role_rule_for(std::string_view action) {
  if (action == kDocumentRead) return RoleRule{"document", Role::viewer};
  if (action == kDocumentComment) return RoleRule{"document", Role::commenter};
  if (action == kDocumentEdit) return RoleRule{"document", Role::editor};
  if (action == kDocumentManage) return RoleRule{"document", Role::owner};
  if (action == kSpaceRead) return RoleRule{"space", Role::viewer};
  if (action == kSpaceEdit) return RoleRule{"space", Role::editor};
  if (action == kSpaceManage) return RoleRule{"space", Role::owner};
  return std::nullopt;
}

bool has_scope(const Principal& principal, std::string_view scope) {
  for (const std::string& s : principal.api_scopes) {
    if (s == scope) return true;
  }
  return false;
}

// An empty resource means the route-level gate ("may this principal reach the route at all");
// otherwise the resource must be this principal's own organisation.
bool is_own_organisation(const Principal& principal, const Resource& resource) {
  if (resource.kind.empty()) return true;
  return resource.kind == "organisation" &&
         resource.id == std::to_string(principal.organisation_id);
}

}  // namespace

Decision Policy::check(const Principal& principal, std::string_view action,
                       const Resource& resource) const {
  if (action == kSiteView || action == kHealthRead || action == kCollabConnect ||
      action == kAccountSignIn) {
    return Decision::allow("public action");
  }
  if (action == kMetricsRead) {
    if (is_loopback_address(principal.remote_address)) return Decision::allow("loopback client");
    return Decision::deny("metrics are served to loopback clients only");
  }
  if (!principal.signed_in()) return Decision::deny(kSignInFirst);

  // API tokens do only what their scopes name.
  if (principal.api_token) {
    if (action == kScimProvision && has_scope(principal, "scim") &&
        principal.organisation_admin && is_own_organisation(principal, resource)) {
      return Decision::allow("SCIM token of an organisation admin");
    }
    return Decision::deny("API tokens may only do what their scopes allow");
  }

  if (action == kAccountManage || action == kSpaceCreate) {
    return Decision::allow("signed in");
  }
  if (action == kOrganisationManage || action == kAuditRead) {
    if (!principal.organisation_admin) return Decision::deny("organisation admins only");
    if (!is_own_organisation(principal, resource))
      return Decision::deny("admins manage their own organisation only");
    return Decision::allow("organisation admin");
  }
  if (auto rule = role_rule_for(action)) {
    if (resource.kind.empty()) return Decision::allow("signed in; the handler checks the role");
    if (resource.kind != rule->resource_kind) return Decision::deny("wrong kind of resource");
    if (!resource.role) return Decision::deny("no role on this resource");
    if (*resource.role < rule->least) return Decision::deny("the role does not allow this");
    return Decision::allow("role allows it");
  }
  return Decision::deny("no rule allows this action");
}

bool is_loopback_address(std::string_view address) {
  // inet_pton needs a NUL-terminated string; the longest IPv6 text form fits in 46 bytes.
  char text[INET6_ADDRSTRLEN] = {};
  if (address.empty() || address.size() >= sizeof text) return false;
  if (address.find('\0') != std::string_view::npos) return false;
  std::memcpy(text, address.data(), address.size());

  in_addr v4{};
  if (inet_pton(AF_INET, text, &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text, &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace agora::auth
