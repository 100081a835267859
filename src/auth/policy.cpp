#include "auth/policy.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace agora::auth {

namespace {

// The weakest role that may perform each document action.
std::optional<Role> least_role_for(std::string_view action) {
  if (action == kDocumentRead) return Role::viewer;
  if (action == kDocumentComment) return Role::commenter;
  if (action == kDocumentEdit) return Role::editor;
  if (action == kDocumentManage) return Role::owner;
  return std::nullopt;
}

}  // namespace

Decision Policy::check(const Principal& principal, std::string_view action,
                       const Resource& resource) const {
  if (action == kSiteView || action == kHealthRead || action == kCollabConnect) {
    return Decision::allow("public action");
  }
  if (auto least = least_role_for(action)) {
    if (principal.kind != Principal::Kind::person) return Decision::deny("sign in first");
    if (resource.kind != "document") return Decision::deny("not a document");
    if (!resource.role) return Decision::deny("no role on this document");
    if (*resource.role < *least) return Decision::deny("the role does not allow this");
    return Decision::allow("role allows it");
  }
  if (action == kMetricsRead) {
    if (is_loopback_address(principal.remote_address)) return Decision::allow("loopback client");
    return Decision::deny("metrics are served to loopback clients only");
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
