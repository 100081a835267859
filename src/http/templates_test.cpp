#include "http/templates.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace agora::http {
namespace {

std::filesystem::path source_dir() {
  if (const char* env = std::getenv("AGORA_SOURCE_DIR")) return env;
#ifdef AGORA_SOURCE_DIR
  return AGORA_SOURCE_DIR;
#else
  return std::filesystem::current_path();
#endif
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Text as it appears in the page after HTML escaping.
std::string escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

Assets test_assets() {
  return Assets::parse(R"({
    "src/main.scss": {"file": "assets/styles-abc123.css", "isEntry": true},
    "src/main.ts": {"file": "assets/main-def456.js", "isEntry": true}
  })")
      .value();
}

const Templates& real_templates() {
  static const Templates templates = [] {
    auto loaded = Templates::load(source_dir() / "templates", test_assets());
    if (!loaded) throw std::runtime_error(loaded.error().message);
    return std::move(*loaded);
  }();
  return templates;
}

PageContext context_in(std::string language) {
  PageContext context;
  context.language = std::move(language);
  context.request_id = "req-42";
  return context;
}

// A copy of templates/ in a temporary folder that a test may break on purpose.
class TemplateCopy {
 public:
  TemplateCopy() {
    static std::atomic<int> counter{0};
    folder_ =
        std::filesystem::temp_directory_path() /
        ("agora-templates-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(folder_);
    std::filesystem::copy(source_dir() / "templates", folder_,
                          std::filesystem::copy_options::recursive);
  }
  ~TemplateCopy() { std::filesystem::remove_all(folder_); }
  TemplateCopy(const TemplateCopy&) = delete;
  TemplateCopy& operator=(const TemplateCopy&) = delete;

  const std::filesystem::path& folder() const { return folder_; }
  // Replaces the first `from` in `file` with `to`; fails the test if `from` is absent.
  void replace(const std::string& file, std::string_view from, std::string_view to) const {
    std::string text = read(folder_ / file);
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from << " not in " << file;
    text.replace(at, from.size(), to);
    write(folder_ / file, text);
  }
  std::string load_error() const {
    auto loaded = Templates::load(folder_, test_assets());
    return loaded ? std::string("(loaded without error)") : loaded.error().message;
  }

 private:
  std::filesystem::path folder_;
};

// Flattens a catalogue file into "a.b.c" -> text.
void flatten(const boost::json::object& object, const std::string& prefix,
             std::map<std::string, std::string>& out) {
  for (const auto& [key, value] : object) {
    const std::string name = prefix + std::string(key);
    if (value.is_object()) {
      flatten(value.get_object(), name + ".", out);
    } else {
      out[name] = value.is_string() ? std::string(value.get_string()) : std::string();
    }
  }
}

std::map<std::string, std::string> catalogue_file(std::string_view language) {
  const auto path = source_dir() / "templates" / "messages" / (std::string(language) + ".json");
  const auto root = boost::json::parse(read(path));
  std::map<std::string, std::string> out;
  flatten(root.as_object(), "", out);
  return out;
}

TEST(Templates, RendersTheHomePageInEnglish) {
  const Templates& templates = real_templates();
  PageContext context = context_in("en");
  context.title = templates.message("en", "home.title");
  const std::string html = templates.render_page("home", {}, context);

  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\"")) << html.substr(0, 80);
  EXPECT_TRUE(contains(html, escaped(templates.message("en", "home.heading"))));
  EXPECT_TRUE(contains(html, "Workspace"));
  EXPECT_TRUE(contains(html, "Portal"));
  EXPECT_TRUE(contains(html, "Engage"));
  EXPECT_TRUE(contains(html, "govuk-button--start"));
  EXPECT_TRUE(contains(html, "<a href=\"#main-content\" class=\"govuk-skip-link\""));
  EXPECT_TRUE(contains(html, "Skip to main content"));
  EXPECT_TRUE(contains(html, "<main class=\"govuk-main-wrapper\" id=\"main-content\">"));
  EXPECT_TRUE(
      contains(html, "<link rel=\"stylesheet\" href=\"/static/assets/styles-abc123.css\">"));
  EXPECT_TRUE(contains(html, "<script type=\"module\" src=\"/static/assets/main-def456.js\">"));
  EXPECT_TRUE(contains(html, "<title>" + escaped(context.title) + " – Agora</title>"));
  // The language switch offers Welsh, named in Welsh, and marks English as current.
  EXPECT_TRUE(contains(html, "href=\"/?lang=cy\" hreflang=\"cy\" lang=\"cy\">Cymraeg</a>"));
  EXPECT_TRUE(contains(html, "lang=\"en\" aria-current=\"true\">English</span>"));
}

TEST(Templates, RendersTheHomePageInWelsh) {
  const Templates& templates = real_templates();
  PageContext context = context_in("cy");
  context.title = templates.message("cy", "home.title");
  const std::string html = templates.render_page("home", {}, context);

  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>\n<html lang=\"cy\"")) << html.substr(0, 80);
  EXPECT_TRUE(contains(html, escaped(templates.message("cy", "home.heading"))));
  EXPECT_TRUE(contains(html, "Neidio i’r prif gynnwys"));
  EXPECT_TRUE(contains(html, "Dechrau nawr"));
  EXPECT_TRUE(contains(html, ">Gweithle</a>"));
  EXPECT_FALSE(contains(html, "Skip to main content"));
  EXPECT_FALSE(contains(html, escaped(templates.message("en", "home.heading"))));
  EXPECT_TRUE(contains(html, "href=\"/?lang=en\" hreflang=\"en\" lang=\"en\">English</a>"));
  EXPECT_TRUE(contains(html, "lang=\"cy\" aria-current=\"true\">Cymraeg</span>"));
}

TEST(Templates, UnknownLanguageRendersInEnglish) {
  const std::string html = real_templates().render_page("home", {}, context_in("fr"));
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\""));
}

TEST(Templates, EscapesUserControlledText) {
  PageContext context = context_in("en");
  context.title = "<script>alert(1)</script>";
  context.current_path = "/\"><script>alert(2)</script>";
  context.breadcrumbs = {{"<b>home</b>", "/\" onclick=\"alert(3)"}};
  context.errors = {{"<img src=x onerror=alert(4)>", "title\"><script>"}};
  boost::json::object data;
  data["status"] = "<script>alert(5)</script>";
  data["heading"] = "<script>alert(6)</script>";
  data["body"] = "'single' & \"double\"";
  const std::string html = real_templates().render_page("error", data, context);

  EXPECT_FALSE(contains(html, "<script>alert")) << html;
  EXPECT_FALSE(contains(html, "<img src=x"));
  EXPECT_FALSE(contains(html, "<b>home"));
  EXPECT_FALSE(contains(html, "onclick=\"alert"));
  EXPECT_TRUE(
      contains(html, "<title>Error: &lt;script&gt;alert(1)&lt;/script&gt; – Agora</title>"));
  EXPECT_TRUE(contains(html, "&lt;script&gt;alert(5)&lt;/script&gt;"));
  EXPECT_TRUE(contains(html, "&lt;script&gt;alert(6)&lt;/script&gt;"));
  EXPECT_TRUE(contains(html, "&apos;single&apos; &amp; &quot;double&quot;"));
  // The path reaches the language switch percent-encoded.
  EXPECT_TRUE(contains(html, "href=\"/%22%3E%3Cscript%3Ealert%282%29%3C/script%3E?lang=cy\""));
}

TEST(Templates, LanguageSwitchNeverLinksOffSite) {
  PageContext context = context_in("en");
  context.current_path = "//evil.example/a b";
  const std::string html = real_templates().render_page("home", {}, context);
  EXPECT_TRUE(contains(html, "href=\"/evil.example/a%20b?lang=cy\"")) << html;
  EXPECT_FALSE(contains(html, "href=\"//evil"));
}

TEST(Templates, RendersBreadcrumbsAndErrorSummary) {
  PageContext context = context_in("en");
  context.title = "New meeting";
  context.breadcrumbs = {{"Home", "/"}, {"Portal", "/portal"}, {"New meeting", ""}};
  context.errors = {{"Enter a title", "title"}, {"Enter a date", "date-day"}};
  const std::string html = real_templates().render_page("home", {}, context);

  EXPECT_TRUE(contains(html, "<nav class=\"govuk-breadcrumbs\" aria-label=\"Breadcrumb\">"));
  EXPECT_TRUE(contains(html, "<a class=\"govuk-breadcrumbs__link\" href=\"/portal\">Portal</a>"));
  EXPECT_TRUE(contains(html, "aria-current=\"page\">New meeting</li>"));
  EXPECT_TRUE(contains(html, "There is a problem"));
  EXPECT_TRUE(contains(html, "<li><a href=\"#title\">Enter a title</a></li>"));
  EXPECT_TRUE(contains(html, "<li><a href=\"#date-day\">Enter a date</a></li>"));
  EXPECT_TRUE(contains(html, "<title>Error: New meeting – Agora</title>"));
  // The summary comes first in <main>, where the reader's focus lands.
  EXPECT_LT(html.find("id=\"main-content\""), html.find("govuk-error-summary"));

  const std::string plain = real_templates().render_page("home", {}, context_in("cy"));
  EXPECT_FALSE(contains(plain, "govuk-breadcrumbs"));
  EXPECT_FALSE(contains(plain, "govuk-error-summary"));
  EXPECT_TRUE(contains(plain, "<title>Agora</title>"));
}

TEST(Templates, MarksTheCurrentSectionInTheNavigation) {
  PageContext context = context_in("en");
  context.current_path = "/portal/meetings/12";
  const std::string html = real_templates().render_page("home", {}, context);
  EXPECT_TRUE(contains(html,
                       "href=\"/portal\" aria-current=\"true\"><strong "
                       "class=\"govuk-service-navigation__active-fallback\">Portal</strong>"));
  EXPECT_TRUE(
      contains(html, "<a class=\"govuk-service-navigation__link\" href=\"/engage\">Engage</a>"));

  context.current_path = "/portals";
  EXPECT_FALSE(
      contains(real_templates().render_page("home", {}, context), "aria-current=\"true\"><strong"));
}

TEST(Templates, RendersErrorPagesWithWhatToDoNextAndTheRequestId) {
  const Templates& templates = real_templates();
  const std::string en = templates.render_error(404, context_in("en"));
  EXPECT_TRUE(contains(en, "<title>Page not found – Agora</title>"));
  EXPECT_TRUE(contains(en, "Error 404"));
  EXPECT_TRUE(contains(en, escaped(templates.message("en", "error.status_404.body"))));
  EXPECT_TRUE(contains(en, "<code>req-42</code>"));

  const std::string cy = templates.render_error(404, context_in("cy"));
  EXPECT_TRUE(contains(cy, "Heb ddod o hyd i’r dudalen"));
  EXPECT_TRUE(contains(cy, "Gwall 404"));

  const std::string teapot = templates.render_error(418, context_in("en"));
  EXPECT_TRUE(contains(teapot, escaped(templates.message("en", "error.status_other.heading"))));
  EXPECT_TRUE(contains(teapot, "Error 418"));

  PageContext no_id = context_in("en");
  no_id.request_id.clear();
  EXPECT_FALSE(contains(templates.render_error(500, no_id), "<code>"));
}

TEST(Templates, UnknownPageOrMessageIsAClearError) {
  const Templates& templates = real_templates();
  try {
    templates.render_page("no_such_page", {}, context_in("en"));
    FAIL() << "rendered an unknown page";
  } catch (const ErrorException& e) {
    EXPECT_EQ(e.error().kind, ErrorKind::internal);
    EXPECT_TRUE(contains(e.what(), "no_such_page.mustache")) << e.what();
  }
  try {
    templates.message("cy", "home.no_such_key");
    FAIL() << "found an unknown message";
  } catch (const ErrorException& e) {
    EXPECT_TRUE(contains(e.what(), "home.no_such_key")) << e.what();
    EXPECT_TRUE(contains(e.what(), "cy.json")) << e.what();
  }
  EXPECT_TRUE(templates.has_page("home"));
  EXPECT_FALSE(templates.has_page("layout"));
}

TEST(Templates, PageDataMayNotShadowTheShell) {
  boost::json::object data;
  data["title"] = "sneaky";
  EXPECT_THROW(real_templates().render_page("home", data, context_in("en")), ErrorException);
}

TEST(Templates, MissingMessageKeyFailsLoadNamingFileAndKey) {
  TemplateCopy copy;
  copy.replace("home.mustache", "{{t.home.heading}}", "{{t.home.no_such_heading}}");
  const std::string error = copy.load_error();
  EXPECT_TRUE(contains(error, "home.mustache")) << error;
  EXPECT_TRUE(contains(error, "home.no_such_heading")) << error;
}

TEST(Templates, MissingWelshMessageFailsLoad) {
  TemplateCopy copy;
  copy.replace("messages/cy.json", "\"start_button\": \"Dechrau nawr\",", "");
  const std::string error = copy.load_error();
  EXPECT_TRUE(contains(error, "cy.json")) << error;
  EXPECT_TRUE(contains(error, "home.start_button")) << error;
}

TEST(Templates, MessageTheShellNeedsMissingFromEveryCatalogueFailsLoad) {
  TemplateCopy copy;
  copy.replace("messages/en.json", "\"portal\": \"Portal\",", "");
  copy.replace("messages/cy.json", "\"portal\": \"Porth\",", "");
  const std::string error = copy.load_error();
  EXPECT_TRUE(contains(error, "layout.nav.portal")) << error;
}

TEST(Templates, MissingCatalogueFailsLoad) {
  TemplateCopy copy;
  std::filesystem::remove(copy.folder() / "messages" / "cy.json");
  const std::string error = copy.load_error();
  EXPECT_TRUE(contains(error, "\"cy\"")) << error;
  EXPECT_TRUE(contains(error, "cy.json")) << error;
}

TEST(Templates, MalformedCatalogueFailsLoad) {
  TemplateCopy copy;
  copy.replace("messages/en.json", "\"phase\": \"Alpha\"", "\"phase\": 7");
  const std::string error = copy.load_error();
  EXPECT_TRUE(contains(error, "en.json")) << error;
  EXPECT_TRUE(contains(error, "layout.phase")) << error;
}

TEST(Templates, RawOutputOfOrdinaryDataFailsLoad) {
  TemplateCopy copy;
  copy.replace("layout.mustache", "{{title}}", "{{{title}}}");
  const std::string error = copy.load_error();
  EXPECT_TRUE(contains(error, "layout.mustache")) << error;
  EXPECT_TRUE(contains(error, "without HTML escaping")) << error;
}

TEST(Templates, UnknownPartialAndSyntaxErrorsFailLoad) {
  {
    TemplateCopy copy;
    copy.replace("layout.mustache", "{{> breadcrumbs}}", "{{> crumbs}}");
    const std::string error = copy.load_error();
    EXPECT_TRUE(contains(error, "layout.mustache")) << error;
    EXPECT_TRUE(contains(error, "partials/crumbs.mustache")) << error;
  }
  {
    TemplateCopy copy;
    copy.replace("error.mustache", "{{/has_request_id}}", "");
    const std::string error = copy.load_error();
    EXPECT_TRUE(contains(error, "error.mustache")) << error;
  }
  {
    TemplateCopy copy;
    std::filesystem::remove(copy.folder() / "layout.mustache");
    EXPECT_TRUE(contains(copy.load_error(), "layout.mustache"));
  }
}

TEST(Templates, CataloguesHaveTheSameKeysAndWelshIsTranslated) {
  const auto en = catalogue_file("en");
  const auto cy = catalogue_file("cy");
  ASSERT_FALSE(en.empty());
  for (const auto& [key, text] : en) {
    EXPECT_TRUE(cy.contains(key)) << "cy.json lacks " << key;
    EXPECT_FALSE(text.empty()) << "en.json: " << key << " is empty or not text";
  }
  std::size_t same = 0;
  for (const auto& [key, text] : cy) {
    EXPECT_TRUE(en.contains(key)) << "en.json lacks " << key;
    EXPECT_FALSE(text.empty()) << "cy.json: " << key << " is empty or not text";
    if (en.contains(key) && en.at(key) == text) ++same;
  }
  // Names such as "Agora" stay the same; a copied-over English catalogue would not pass.
  EXPECT_LT(same * 10, cy.size()) << same << " of " << cy.size() << " Welsh messages are English";
}

TEST(Templates, TemplatesHaveNoInlineScriptOrStyle) {
  // Content-Security-Policy allows scripts and styles from our own files only.
  const std::regex inline_script(R"(<script(?![^>]*\ssrc=)[^>]*>)", std::regex::icase);
  const std::regex event_handler(R"(\son[a-z]+\s*=)", std::regex::icase);
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(source_dir() / "templates")) {
    if (entry.path().extension() != ".mustache") continue;
    const std::string text = read(entry.path());
    const std::string name = entry.path().filename().string();
    EXPECT_FALSE(std::regex_search(text, inline_script)) << name << " has an inline <script>";
    EXPECT_FALSE(std::regex_search(text, event_handler)) << name << " has an on* handler";
    EXPECT_FALSE(contains(text, "<style")) << name << " has a <style> element";
    EXPECT_FALSE(contains(text, " style=")) << name << " has a style attribute";
  }
}

TEST(Templates, RendersIdenticallyFromManyThreads) {
  const Templates& templates = real_templates();
  const std::string expected_en = templates.render_page("home", {}, context_in("en"));
  const std::string expected_cy = templates.render_error(404, context_in("cy"));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (t % 2 == 0) {
          if (templates.render_page("home", {}, context_in("en")) != expected_en) ++mismatches;
        } else if (templates.render_error(404, context_in("cy")) != expected_cy) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

Request request_with(std::string query, std::string cookie, std::string accept_language) {
  Request request;
  request.method = "GET";
  request.path = "/";
  request.query = std::move(query);
  if (!cookie.empty()) request.headers.add("Cookie", std::move(cookie));
  if (!accept_language.empty()) request.headers.add("Accept-Language", std::move(accept_language));
  return request;
}

TEST(ChooseLanguage, QueryThenCookieThenAcceptLanguageThenEnglish) {
  EXPECT_EQ(choose_language(request_with("", "", "")), "en");
  EXPECT_EQ(choose_language(request_with("lang=cy", "lang=en", "en")), "cy");
  EXPECT_EQ(choose_language(request_with("x=1&lang=CY", "", "")), "cy");
  EXPECT_EQ(choose_language(request_with("lang=fr", "lang=cy", "en")), "cy");
  EXPECT_EQ(choose_language(request_with("", "session=abc; lang=cy", "en")), "cy");
  EXPECT_EQ(choose_language(request_with("", "lang=de", "cy")), "cy");
  EXPECT_EQ(choose_language(request_with("", "", "fr-FR, cy-GB;q=0.8, en;q=0.7")), "cy");
  EXPECT_EQ(choose_language(request_with("", "", "en-GB,en;q=0.9,cy;q=0.8")), "en");
  EXPECT_EQ(choose_language(request_with("", "", "cy;q=0.5, en;q=0.5")), "cy");
  EXPECT_EQ(choose_language(request_with("", "", "cy;q=0, en;q=0.1")), "en");
  EXPECT_EQ(choose_language(request_with("", "", "cy;q=2, fr")), "en");
  EXPECT_EQ(choose_language(request_with("", "", "*")), "en");
  EXPECT_EQ(choose_language(request_with("", "", ";;,,q=")), "en");
}

}  // namespace
}  // namespace agora::http
