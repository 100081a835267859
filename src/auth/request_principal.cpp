#include "auth/request_principal.hpp"

#include <any>

namespace agora::auth {

Principal principal_of(const http::Request& request) {
  if (const auto* principal = std::any_cast<Principal>(&request.principal)) return *principal;
  return Principal::anonymous(request.remote_address);
}

}  // namespace agora::auth
