#pragma once
// Server-rendered HTML pages: mustache templates (templates/*.mustache) rendered inside one page
// shell (templates/layout.mustache), with every string a person reads taken from the message
// catalogue of the reader's language (templates/messages/<language>.json).

#include "base/result.hpp"
#include "http/assets.hpp"
#include "http/message.hpp"

#include <boost/json/fwd.hpp>

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace agora::http {

/// The language pages are shown in when the reader has not said otherwise.
inline constexpr std::string_view kDefaultLanguage = "en";
/// Every language a page is offered in, in the order the language switch lists them; each has a
/// catalogue templates/messages/<code>.json.
inline constexpr std::array<std::string_view, 2> kLanguages{"en", "cy"};

/// The reader's language: `?lang=` if it names one of kLanguages, else the `lang` cookie, else the
/// best match in Accept-Language, else kDefaultLanguage. Setting the cookie is the caller's job.
std::string_view choose_language(const Request& request);

/// One step of a breadcrumb trail.
struct Breadcrumb {
  std::string label;  // already in the reader's language
  std::string href;   // empty for the current page, which is shown without a link
};

/// One entry of the error summary at the top of a page with a form.
struct ErrorSummaryItem {
  std::string message;   // already in the reader's language: "Enter a title"
  std::string field_id;  // id of the form field the message is about (the link's target)
};

/// What the page shell needs besides the page's own data.
struct PageContext {
  std::string language{kDefaultLanguage};  // one of kLanguages; anything else renders in English
  std::string title;  // already in the reader's language; empty shows the service name alone
  std::vector<Breadcrumb> breadcrumbs;
  std::vector<ErrorSummaryItem>
      errors;                      // non-empty adds the error summary and "Error:" to the title
  std::string request_id;          // shown on error pages so support can find the log line
  std::string current_path = "/";  // the request's path: marks the current navigation item
  std::string csrf_token;          // every form on the page carries it (field csrf_token)
  std::string signed_in_as;        // the signed-in person's name for the header; empty: nobody
};

/// All page templates and message catalogues, loaded and checked once at start. Rendering is
/// const and safe from many threads at once.
///
/// Inside a template, `t` holds the catalogue ({{t.home.heading}}), and these names are set by
/// the shell: lang, title, has_title, breadcrumbs, has_breadcrumbs, errors, has_errors,
/// request_id, has_request_id, current_path, navigation, languages, stylesheets, scripts; a
/// page's own data may not use them. {{{name}}} (no escaping) is refused at load unless the name
/// is `content` or ends in `_html`: such values must be HTML we rendered ourselves.
class Templates {
 public:
  /// Loads `folder`/*.mustache (pages; layout.mustache is the shell), `folder`/partials/*.mustache
  /// (used as {{> name}}) and `folder`/messages/<language>.json for each of kLanguages. Fails
  /// with the file and the problem: a parse error, an unknown partial, a message key that a
  /// catalogue lacks, catalogues whose keys differ, or unescaped output of a name not meant for it.
  static Result<Templates> load(const std::filesystem::path& folder, const Assets& assets);

  Templates(Templates&&) noexcept;
  Templates& operator=(Templates&&) noexcept;
  ~Templates();

  /// Renders template `page` (e.g. "home") with `data` inside the page shell. Throws
  /// ErrorException (ErrorKind::internal) for an unknown page: a bug in the caller.
  std::string render_page(std::string_view page, const boost::json::object& data,
                          const PageContext& context) const;

  /// Renders the error page for HTTP `status`: what happened, what to do next and the request id.
  /// The title defaults to the error's heading.
  std::string render_error(int status, const PageContext& context) const;

  /// The message `key` ("home.title") in `language` (English when not one of kLanguages).
  /// Throws ErrorException (ErrorKind::internal) for an unknown key: a bug in the caller.
  const std::string& message(std::string_view language, std::string_view key) const;

  /// True when a template called `page` was loaded.
  bool has_page(std::string_view page) const;

 private:
  struct Impl;
  explicit Templates(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace agora::http
