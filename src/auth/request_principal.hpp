#pragma once
// Where a route finds who is asking: the sign-in middleware (auth/sign_in_middleware.hpp) puts
// the auth::Principal into http::Request::principal before any handler runs.

#include "auth/policy.hpp"
#include "http/message.hpp"

namespace agora::auth {

/// The principal the middleware established for `request`; an anonymous principal at the
/// request's address when none was set (a route reached without the middleware, in tests).
Principal principal_of(const http::Request& request);

}  // namespace agora::auth
