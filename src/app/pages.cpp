#include "app/pages.hpp"

#include "auth/request_principal.hpp"

namespace agora::app {

http::PageContext page_context(const http::Templates& templates, const http::Request& request,
                               std::string title, bool in_workspace) {
  const auth::Principal principal = auth::principal_of(request);
  http::PageContext context;
  context.language = std::string(http::choose_language(request));
  context.request_id = request.request_id;
  context.current_path = request.path;
  context.title = std::move(title);
  context.csrf_token = principal.csrf_token;
  if (principal.signed_in()) context.signed_in_as = principal.display_name;
  if (in_workspace) {
    context.breadcrumbs = {
        {templates.message(context.language, "layout.nav.workspace"), "/workspace"},
        {context.title, ""}};
  }
  return context;
}

http::Response see_other(std::string location) {
  http::Response response = http::Response::html("", 303);
  response.headers.set("Location", std::move(location));
  return response;
}

std::string local_path_or(std::string_view return_to, std::string_view fallback) {
  const bool local = return_to.starts_with('/') && !return_to.starts_with("//") &&
                     return_to.find('\\') == std::string_view::npos &&
                     return_to.find_first_of("\r\n") == std::string_view::npos;
  return std::string(local ? return_to : fallback);
}

}  // namespace agora::app
