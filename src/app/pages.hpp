#pragma once
// What every page's shell needs from the request: the reader's language, the request id, the
// CSRF token for its forms and who is signed in. One place, so no page forgets the CSRF token.

#include "http/message.hpp"
#include "http/templates.hpp"

#include <string>

namespace agora::app {

/// The PageContext for a page titled `title` (already in the reader's language) answering
/// `request`, with the workspace breadcrumb trail {Workspace, title} when `in_workspace`.
http::PageContext page_context(const http::Templates& templates, const http::Request& request,
                               std::string title, bool in_workspace = false);

/// A 303 See Other to `location` (after a form post, so reloading does not post again).
http::Response see_other(std::string location);

/// `return_to` if it is a path on this site ("/spaces/3"), else `fallback`: never "//host" or
/// an absolute URL, so a sign-in link cannot send people to another site.
std::string local_path_or(std::string_view return_to, std::string_view fallback);

}  // namespace agora::app
