#include "http/templates.hpp"

#include <boost/json.hpp>
#include <kainjow/mustache.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <unordered_map>

namespace agora::http {

namespace {

using Mustache = kainjow::mustache::mustache;
using Data = kainjow::mustache::data;

// The sections of Agora in the service navigation: where each lives and its catalogue key.
struct NavigationItem {
  std::string_view href;
  std::string_view message_key;
};
constexpr std::array<NavigationItem, 3> kNavigation{{
    {"/workspace", "layout.nav.workspace"},
    {"/portal", "layout.nav.portal"},
    {"/engage", "layout.nav.engage"},
}};

// Statuses with their own wording on the error page; any other uses error.status_other.
constexpr std::array<int, 8> kErrorStatuses{400, 403, 404, 405, 413, 429, 500, 503};

// Names the page shell sets; page data may not use them, or the shell would show the wrong thing.
constexpr std::string_view kShellNames[] = {
    "t",         "lang",        "title",      "has_title",      "breadcrumbs",  "has_breadcrumbs",
    "errors",    "has_errors",  "request_id", "has_request_id", "current_path", "navigation",
    "languages", "stylesheets", "scripts",    "content",        "csrf_token",   "signed_in_as",
    "is_signed_in"};

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string_view> supported_language(std::string_view candidate) {
  const std::string lowered = lower_ascii(trim(candidate));
  for (std::string_view language : kLanguages) {
    if (lowered == language) return language;
  }
  return std::nullopt;
}

// A quality value ("0.8") in thousandths, or nullopt when malformed (RFC 9110 section 12.4.2).
std::optional<int> parse_quality(std::string_view q) {
  if (q.empty() || q.size() > 5 || (q[0] != '0' && q[0] != '1')) return std::nullopt;
  int thousandths = (q[0] - '0') * 1000;
  if (q.size() > 1) {
    if (q[1] != '.') return std::nullopt;
    int scale = 100;
    for (std::size_t i = 2; i < q.size(); ++i, scale /= 10) {
      if (q[i] < '0' || q[i] > '9') return std::nullopt;
      thousandths += (q[i] - '0') * scale;
    }
  }
  if (thousandths > 1000) return std::nullopt;
  return thousandths;
}

// The supported language the reader ranks highest in Accept-Language ("cy-GB,cy;q=0.9,en;q=0.8").
std::optional<std::string_view> language_from_accept(std::string_view header) {
  std::optional<std::string_view> best;
  int best_quality = 0;
  while (!header.empty()) {
    const auto end = header.find(',');
    std::string_view range = trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);

    int quality = 1000;
    if (const auto semicolon = range.find(';'); semicolon != std::string_view::npos) {
      std::string_view params = trim(range.substr(semicolon + 1));
      range = trim(range.substr(0, semicolon));
      if (params.size() < 2 || (params[0] != 'q' && params[0] != 'Q') || params[1] != '=') {
        continue;
      }
      const auto parsed = parse_quality(trim(params.substr(2)));
      if (!parsed) continue;
      quality = *parsed;
    }
    const auto language = supported_language(range.substr(0, range.find('-')));
    // Strictly greater: on a tie the reader's first-listed language wins.
    if (language && quality > best_quality) {
      best = language;
      best_quality = quality;
    }
  }
  return best;
}

// The request path as an href for a link back to the same page: percent-encoded, and always
// starting with exactly one '/', so a path like "//example.org" cannot become a link off-site.
std::string path_href(std::string_view path) {
  while (path.size() > 1 && path[0] == '/' && path[1] == '/') path.remove_prefix(1);
  if (path.empty() || path.front() != '/') return "/";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (const unsigned char c : path) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '/' || c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

Data list_data(const std::vector<Data>& items) {
  Data list(Data::type::list);
  for (const Data& item : items) list.push_back(item);
  return list;
}

Data string_list_data(const std::vector<std::string>& items) {
  Data list(Data::type::list);
  for (const std::string& item : items) list.push_back(Data(item));
  return list;
}

// JSON page data as mustache data. Only strings, booleans, lists and objects are ever built, never
// lambdas or partials: that is what makes rendering read-only (see Templates::Impl).
Data to_data(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::string:
      return Data(std::string(value.get_string()));
    case boost::json::kind::bool_:
      return Data(value.get_bool());
    case boost::json::kind::null:
      return Data(false);
    case boost::json::kind::int64:
      return Data(std::to_string(value.get_int64()));
    case boost::json::kind::uint64:
      return Data(std::to_string(value.get_uint64()));
    case boost::json::kind::double_: {
      char buffer[32];
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, value.get_double());
      return Data(std::string(buffer, result.ptr));
    }
    case boost::json::kind::array: {
      Data list(Data::type::list);
      for (const auto& item : value.get_array()) list.push_back(to_data(item));
      return list;
    }
    case boost::json::kind::object: {
      Data object(Data::type::object);
      for (const auto& [key, item] : value.get_object()) object[std::string(key)] = to_data(item);
      return object;
    }
  }
  return Data(false);
}

// Follows "a.b.c" through nested objects; null when any step is missing.
const Data* resolve_dotted(const Data* data, std::string_view dotted_name) {
  std::string part;
  while (data != nullptr) {
    const auto dot = dotted_name.find('.');
    part.assign(dotted_name.substr(0, dot));
    data = data->get(part);
    if (dot == std::string_view::npos) break;
    dotted_name.remove_prefix(dot + 1);
  }
  return data;
}

// One language's catalogue: flat for lookups from C++, nested (as `t`) for templates.
struct Catalogue {
  std::string language;
  std::string file;
  std::map<std::string, std::string, std::less<>> messages;  // "home.heading" -> text
  Data globals;                                              // {t, stylesheets, scripts}
  // Every "t.…" name a template may use (messages and groups of them) -> its node in `globals`,
  // so a message costs one lookup while rendering. The nodes live on the heap and keep their
  // addresses when the Catalogue moves.
  std::unordered_map<std::string, const Data*> t_index;
};

// Looks names up through a stack of data layers, innermost first, as mustache requires. The two
// outermost layers are the language's shared globals (the catalogue as `t`, asset URLs), which
// are never copied, and the request's own data. A `t.` name that resolves nowhere is recorded:
// it would otherwise render as nothing, silently dropping words from the page.
class LayeredContext final : public kainjow::mustache::basic_context<std::string> {
 public:
  LayeredContext(const Catalogue& catalogue, const Data* request)
      : catalogue_(catalogue), layers_{&catalogue.globals, request} {}

  void push(const Data* data) override { layers_.push_back(data); }
  void pop() override { layers_.pop_back(); }

  const Data* get(const std::string& name) const override {
    if (name == ".") return layers_.back();
    // `t` is always the catalogue, whatever a list item pushed on top of it holds.
    if (name.starts_with("t.")) {
      const auto found = catalogue_.t_index.find(name);
      if (found != catalogue_.t_index.end()) return found->second;
      missing_messages_.push_back(name.substr(2));
      return nullptr;
    }
    for (auto layer = layers_.rbegin(); layer != layers_.rend(); ++layer) {
      if (const Data* found = resolve_dotted(*layer, name)) return found;
    }
    return nullptr;
  }

  // Partials are inlined when templates load, so none are looked up while rendering.
  const Data* get_partial(const std::string&) const override { return nullptr; }

  const std::vector<std::string>& missing_messages() const { return missing_messages_; }

 private:
  const Catalogue& catalogue_;
  std::vector<const Data*> layers_;
  mutable std::vector<std::string> missing_messages_;
};

// Collects rendered text straight into a string: kainjow's own render() goes through an
// ostringstream and copies the result, a large share of the cost of a page.
struct StringSink {
  std::string text;
  StringSink& operator<<(const std::string& part) {
    text += part;
    return *this;
  }
};

// Same output as kainjow's html_escape, without building a new string char by char when, as for
// most text, there is nothing to escape.
std::string escape_html_text(const std::string& text) {
  const auto is_special = [](char c) {
    return c == '&' || c == '<' || c == '>' || c == '"' || c == '\'';
  };
  const auto first = std::find_if(text.begin(), text.end(), is_special);
  if (first == text.end()) return text;
  std::string out(text.begin(), first);
  out.reserve(text.size() + text.size() / 8 + 16);
  for (auto it = first; it != text.end(); ++it) {
    switch (*it) {
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
        out += *it;
    }
  }
  return out;
}

std::string render_with(const Mustache& compiled,
                        kainjow::mustache::basic_context<std::string>& context) {
  StringSink sink;
  sink.text.reserve(16 * 1024);
  // See Template::compiled for why rendering through a const template is safe.
  const_cast<Mustache&>(compiled).render(context, sink);
  return std::move(sink.text);
}

struct Template {
  std::string file;
  // Rendering does not modify a kainjow template unless the data holds lambdas or partials,
  // which to_data never builds, and partial tags are inlined at load; so one parsed template is
  // shared by every thread. kainjow's render() is not marked const (see render_with).
  std::unique_ptr<const Mustache> compiled;
};

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(ErrorKind::io,
                "cannot open " + path.string() + ": check that it exists and is readable");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorKind::io, "cannot read " + path.string());
  return text.str();
}

// Sorted, so load errors and the order of checks do not depend on the file system.
Result<std::vector<std::filesystem::path>> mustache_files(const std::filesystem::path& folder) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".mustache")
      files.push_back(it->path());
  }
  if (ec)
    return fail(ErrorKind::io, "cannot list templates in " + folder.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

bool is_message_key_part(std::string_view part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Flattens a catalogue object into "a.b.c" -> text, checking every leaf is non-empty text.
Result<void> flatten_messages(const boost::json::object& object, const std::string& prefix,
                              const std::string& file,
                              std::map<std::string, std::string, std::less<>>& out) {
  for (const auto& [key, value] : object) {
    const std::string name = prefix + std::string(key);
    if (!is_message_key_part(key)) {
      return fail(ErrorKind::invalid_input,
                  file + ": key \"" + name + "\" may only use a-z, 0-9 and _ in each part");
    }
    if (const auto* nested = value.if_object()) {
      AGORA_TRY(flatten_messages(*nested, name + ".", file, out));
    } else if (const auto* text = value.if_string(); text != nullptr && !text->empty()) {
      out.emplace(name, std::string(*text));
    } else {
      return fail(ErrorKind::invalid_input,
                  file + ": \"" + name + "\" must be non-empty text or an object of messages");
    }
  }
  return {};
}

Result<Catalogue> load_catalogue(const std::filesystem::path& messages_folder,
                                 std::string_view language, const Assets& assets) {
  Catalogue catalogue;
  catalogue.language = std::string(language);
  const std::filesystem::path path = messages_folder / (std::string(language) + ".json");
  catalogue.file = path.string();
  auto text = read_file(path);
  if (!text) {
    return fail(ErrorKind::not_found, "the message catalogue for language \"" +
                                          std::string(language) +
                                          "\" is missing: " + text.error().message);
  }
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(*text, ec);
  if (ec)
    return fail(ErrorKind::invalid_input, catalogue.file + " is not valid JSON: " + ec.message());
  if (!root.is_object()) {
    return fail(ErrorKind::invalid_input, catalogue.file + " must be a JSON object of messages");
  }
  AGORA_TRY(flatten_messages(root.get_object(), "", catalogue.file, catalogue.messages));

  // A module may keep its messages in a file of its own, messages/<language>/<module>.json,
  // whose top-level sections join the main catalogue's.
  std::vector<std::filesystem::path> module_files;
  std::error_code dir_error;
  for (const auto& entry :
       std::filesystem::directory_iterator(messages_folder / std::string(language), dir_error)) {
    if (entry.path().extension() == ".json") module_files.push_back(entry.path());
  }
  std::sort(module_files.begin(), module_files.end());
  for (const std::filesystem::path& module_file : module_files) {
    auto module_text = read_file(module_file);
    if (!module_text) return module_text.error();
    boost::json::value module_root = boost::json::parse(*module_text, ec);
    if (ec || !module_root.is_object()) {
      return fail(ErrorKind::invalid_input,
                  module_file.string() + " must be a JSON object of messages" +
                      (ec ? " (" + ec.message() + ")" : std::string()));
    }
    AGORA_TRY(flatten_messages(module_root.get_object(), "", module_file.string(),
                               catalogue.messages));
    for (auto& [section, value] : module_root.get_object()) {
      if (root.get_object().contains(section)) {
        return fail(ErrorKind::invalid_input, module_file.string() + ": the section \"" +
                                                  std::string(section) +
                                                  "\" is already defined in another catalogue file");
      }
      root.get_object()[section] = std::move(value);
    }
  }

  catalogue.globals = Data(Data::type::object);
  catalogue.globals["t"] = to_data(root);
  catalogue.globals["stylesheets"] = string_list_data(assets.stylesheets());
  catalogue.globals["scripts"] = string_list_data(assets.scripts());
  return catalogue;
}

// Every catalogue must say everything English says, and nothing more: a missing Welsh message
// would leave a Welsh reader with a gap, an extra one is a typo in a key.
Result<void> check_same_keys(const Catalogue& reference, const Catalogue& other) {
  std::vector<std::string> missing, extra;
  for (const auto& [key, text] : reference.messages) {
    if (!other.messages.contains(key)) missing.push_back(key);
  }
  for (const auto& [key, text] : other.messages) {
    if (!reference.messages.contains(key)) extra.push_back(key);
  }
  if (missing.empty() && extra.empty()) return {};
  const auto join = [](const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& key : keys) out += (out.empty() ? "" : ", ") + key;
    return out;
  };
  std::string message = other.file + " does not match " + reference.file + ":";
  if (!missing.empty()) message += " it lacks " + join(missing) + ";";
  if (!extra.empty()) message += " it has keys " + reference.file + " lacks: " + join(extra) + ";";
  message += " translate every message into every language";
  return fail(ErrorKind::invalid_input, message);
}

// Replaces each {{> name}} with the partial's text (itself expanded), so templates are parsed
// once at load instead of kainjow re-parsing partials on every render.
Result<std::string> inline_partials(std::string_view text, const std::string& file,
                                    const std::map<std::string, std::string, std::less<>>& partials,
                                    int depth = 0) {
  constexpr int kMaxDepth = 8;
  if (depth > kMaxDepth) {
    return fail(ErrorKind::invalid_input, file + ": partials nest more than " +
                                              std::to_string(kMaxDepth) +
                                              " deep; does a partial include itself?");
  }
  std::string out;
  std::size_t position = 0;
  while (true) {
    const auto open = text.find("{{>", position);
    if (open == std::string_view::npos) break;
    const auto close = text.find("}}", open);
    if (close == std::string_view::npos) {
      return fail(ErrorKind::invalid_input, file + ": a {{> partial}} tag is not closed");
    }
    const std::string name(trim(text.substr(open + 3, close - open - 3)));
    const auto partial = partials.find(name);
    if (partial == partials.end()) {
      return fail(
          ErrorKind::invalid_input,
          file + ": uses partial \"" + name + "\", but there is no partials/" + name + ".mustache");
    }
    auto expanded =
        inline_partials(partial->second, "partials/" + name + ".mustache", partials, depth + 1);
    if (!expanded) return expanded.error();
    out.append(text.substr(position, open - position));
    out.append(*expanded);
    position = close + 2;
  }
  out.append(text.substr(position));
  return out;
}

// Drops the indentation at the start of every line. Browsers ignore it, and kainjow makes a
// separate component of every space, so indentation would otherwise cost time on every render.
// (A template must therefore not rely on literal leading spaces inside <pre> or <textarea>.)
std::string strip_indentation(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == ' ' || c == '\t')) continue;
    line_start = c == '\n';
    out.push_back(c);
  }
  return out;
}

bool may_be_raw(std::string_view name) {
  return name == "content" || (name.size() > 5 && name.substr(name.size() - 5) == "_html");
}

// Checks what kainjow would accept silently: a message key some catalogue lacks (rendered as
// nothing), raw output of a name that may hold user input, and delimiter changes (which would
// hide tags from these checks).
Result<void> check_tags(std::string_view text, const std::string& file,
                        const std::vector<Catalogue>& catalogues) {
  std::size_t position = 0;
  while ((position = text.find("{{", position)) != std::string_view::npos) {
    const bool triple = text.substr(position, 3) == "{{{";
    const std::string_view closer = triple ? "}}}" : "}}";
    const auto close = text.find(closer, position);
    if (close == std::string_view::npos) {
      return fail(ErrorKind::invalid_input, file + ": a tag opened with {{ is not closed");
    }
    std::string_view tag =
        text.substr(position + (triple ? 3 : 2), close - position - (triple ? 3 : 2));
    position = close + closer.size();
    tag = trim(tag);
    if (tag.empty()) continue;
    const char sigil = tag.front();
    if (sigil == '!') continue;
    if (sigil == '=') {
      return fail(ErrorKind::invalid_input,
                  file + ": changing delimiters ({{=...=}}) is not supported");
    }
    const bool raw = triple || sigil == '&';
    const bool section = sigil == '#' || sigil == '^' || sigil == '/';
    if (sigil == '&' || section || sigil == '>') tag = trim(tag.substr(1));
    if (raw && !may_be_raw(tag)) {
      return fail(ErrorKind::invalid_input,
                  file + ": {{{" + std::string(tag) + "}}} would output \"" + std::string(tag) +
                      "\" without HTML escaping; use {{" + std::string(tag) +
                      "}}, or name HTML we rendered ourselves `content` or `*_html`");
    }
    if (!tag.starts_with("t.")) continue;
    const std::string_view key = tag.substr(2);
    for (const Catalogue& catalogue : catalogues) {
      const bool leaf = catalogue.messages.contains(key);
      const auto below = catalogue.messages.lower_bound(std::string(key) + ".");
      const bool group =
          below != catalogue.messages.end() && below->first.starts_with(std::string(key) + ".");
      if (!(leaf || (section && group))) {
        return fail(ErrorKind::invalid_input, file + ": uses message \"" + std::string(key) +
                                                  "\", which " + catalogue.file +
                                                  " does not define; add it to every catalogue");
      }
    }
  }
  return {};
}

Result<Template> compile(const std::filesystem::path& path, const std::string& display_name,
                         const std::map<std::string, std::string, std::less<>>& partials,
                         const std::vector<Catalogue>& catalogues) {
  auto text = read_file(path);
  if (!text) return text.error();
  auto expanded = inline_partials(*text, display_name, partials);
  if (!expanded) return expanded.error();
  AGORA_TRY(check_tags(*expanded, display_name, catalogues));
  auto compiled = std::make_unique<Mustache>(strip_indentation(*expanded));
  compiled->set_custom_escape(escape_html_text);
  if (!compiled->is_valid()) {
    return fail(ErrorKind::invalid_input, display_name + ": " + compiled->error_message());
  }
  return Template{display_name, std::move(compiled)};
}

}  // namespace

std::string_view choose_language(const Request& request) {
  if (const auto query = request.query_param("lang")) {
    if (const auto language = supported_language(*query)) return *language;
  }
  if (const auto cookie = request.cookie("lang")) {
    if (const auto language = supported_language(*cookie)) return *language;
  }
  if (const auto language = language_from_accept(request.headers.get("Accept-Language"))) {
    return *language;
  }
  return kDefaultLanguage;
}

struct Templates::Impl {
  std::map<std::string, Template, std::less<>> pages;
  Template layout;
  std::vector<Catalogue> catalogues;  // in kLanguages order; the first is the fallback

  const Catalogue& catalogue_for(std::string_view language) const {
    for (const Catalogue& catalogue : catalogues) {
      if (catalogue.language == language) return catalogue;
    }
    return catalogues.front();
  }

  // Throws for what load() checked, so reaching it means a template changed after loading.
  static void check_rendered(const LayeredContext& context, const Template& tmpl,
                             const Catalogue& catalogue) {
    if (context.missing_messages().empty()) return;
    throw ErrorException(Error::make(
        ErrorKind::internal, tmpl.file + " used message \"" + context.missing_messages().front() +
                                 "\", which " + catalogue.file + " does not define"));
  }
};

Templates::Templates(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Templates::Templates(Templates&&) noexcept = default;
Templates& Templates::operator=(Templates&&) noexcept = default;
Templates::~Templates() = default;

Result<Templates> Templates::load(const std::filesystem::path& folder, const Assets& assets) {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return fail(ErrorKind::not_found, "the templates folder " + folder.string() +
                                          " does not exist; run Agora from the source tree or "
                                          "point it at the installed templates/");
  }
  auto impl = std::make_unique<Impl>();

  for (std::string_view language : kLanguages) {
    auto catalogue = load_catalogue(folder / "messages", language, assets);
    if (!catalogue) return catalogue.error();
    impl->catalogues.push_back(std::move(*catalogue));
  }
  for (std::size_t i = 1; i < impl->catalogues.size(); ++i) {
    AGORA_TRY(check_same_keys(impl->catalogues.front(), impl->catalogues[i]));
  }
  for (Catalogue& catalogue : impl->catalogues) {
    for (const auto& [key, text] : catalogue.messages) {
      // The message and each group above it ("t.home.workspace.body", "t.home.workspace", ...).
      for (std::string name = "t." + key; name.size() > 2; name.resize(name.rfind('.'))) {
        if (catalogue.t_index.contains(name)) break;
        catalogue.t_index.emplace(name, resolve_dotted(&catalogue.globals, name));
      }
    }
  }
  // Messages the C++ code below asks for by name.
  std::vector<std::string> required{"meta.language_name", "error.status_other.heading",
                                    "error.status_other.body"};
  for (const auto& item : kNavigation) required.emplace_back(item.message_key);
  for (const int status : kErrorStatuses) {
    required.push_back("error.status_" + std::to_string(status) + ".heading");
    required.push_back("error.status_" + std::to_string(status) + ".body");
  }
  for (const std::string& key : required) {
    if (!impl->catalogues.front().messages.contains(key)) {
      return fail(ErrorKind::invalid_input, impl->catalogues.front().file + " lacks \"" + key +
                                                "\", which the page shell needs");
    }
  }

  std::map<std::string, std::string, std::less<>> partials;
  if (std::filesystem::is_directory(folder / "partials", ec)) {
    auto files = mustache_files(folder / "partials");
    if (!files) return files.error();
    for (const auto& path : *files) {
      auto text = read_file(path);
      if (!text) return text.error();
      partials.emplace(path.stem().string(), std::move(*text));
    }
  }

  auto files = mustache_files(folder);
  if (!files) return files.error();
  for (const auto& path : *files) {
    auto compiled = compile(path, path.filename().string(), partials, impl->catalogues);
    if (!compiled) return compiled.error();
    if (path.stem() == "layout") {
      impl->layout = std::move(*compiled);
    } else {
      impl->pages.emplace(path.stem().string(), std::move(*compiled));
    }
  }
  if (!impl->layout.compiled) {
    return fail(ErrorKind::not_found, (folder / "layout.mustache").string() +
                                          " is missing; every page is rendered inside it");
  }
  if (!impl->pages.contains("error")) {
    return fail(ErrorKind::not_found, (folder / "error.mustache").string() +
                                          " is missing; error responses are rendered with it");
  }
  return Templates(std::move(impl));
}

std::string Templates::render_page(std::string_view page, const boost::json::object& data,
                                   const PageContext& context) const {
  const auto found = impl_->pages.find(page);
  if (found == impl_->pages.end()) {
    throw ErrorException(
        Error::make(ErrorKind::internal,
                    "there is no template \"" + std::string(page) + ".mustache\" in templates/"));
  }
  const Template& tmpl = found->second;
  const Catalogue& catalogue = impl_->catalogue_for(context.language);

  Data request(Data::type::object);
  for (const auto& [key, value] : data) {
    if (std::find(std::begin(kShellNames), std::end(kShellNames), key) != std::end(kShellNames)) {
      throw ErrorException(Error::make(ErrorKind::internal, "page data for \"" + std::string(page) +
                                                                "\" uses \"" + std::string(key) +
                                                                "\", a name the page shell sets"));
    }
    request[std::string(key)] = to_data(value);
  }
  request["lang"] = Data(catalogue.language);
  request["title"] = Data(context.title);
  request["has_title"] = Data(!context.title.empty());
  request["request_id"] = Data(context.request_id);
  request["has_request_id"] = Data(!context.request_id.empty());
  request["current_path"] = Data(context.current_path);
  request["csrf_token"] = Data(context.csrf_token);
  request["signed_in_as"] = Data(context.signed_in_as);
  request["is_signed_in"] = Data(!context.signed_in_as.empty());

  std::vector<Data> crumbs;
  for (const Breadcrumb& crumb : context.breadcrumbs) {
    Data item(Data::type::object);
    item["label"] = Data(crumb.label);
    item["href"] = Data(crumb.href);
    item["has_href"] = Data(!crumb.href.empty());
    crumbs.push_back(std::move(item));
  }
  request["breadcrumbs"] = list_data(crumbs);
  request["has_breadcrumbs"] = Data(!crumbs.empty());

  std::vector<Data> errors;
  for (const ErrorSummaryItem& error : context.errors) {
    Data item(Data::type::object);
    item["message"] = Data(error.message);
    item["field_id"] = Data(error.field_id);
    errors.push_back(std::move(item));
  }
  request["errors"] = list_data(errors);
  request["has_errors"] = Data(!errors.empty());

  const std::string_view path = context.current_path;
  std::vector<Data> navigation;
  for (const NavigationItem& entry : kNavigation) {
    Data item(Data::type::object);
    item["href"] = Data(std::string(entry.href));
    item["label"] = Data(catalogue.messages.find(entry.message_key)->second);
    const bool current = path.starts_with(entry.href) &&
                         (path.size() == entry.href.size() || path[entry.href.size()] == '/');
    item["current"] = Data(current);
    navigation.push_back(std::move(item));
  }
  request["navigation"] = list_data(navigation);

  const std::string here = path_href(path);
  std::vector<Data> languages;
  for (const Catalogue& other : impl_->catalogues) {
    Data item(Data::type::object);
    item["code"] = Data(other.language);
    // Each language is named in itself (English, Cymraeg), whatever the page's language.
    item["name"] = Data(other.messages.find("meta.language_name")->second);
    item["href"] = Data(here + "?lang=" + other.language);
    item["current"] = Data(other.language == catalogue.language);
    languages.push_back(std::move(item));
  }
  request["languages"] = list_data(languages);

  LayeredContext page_context(catalogue, &request);
  std::string content = render_with(*tmpl.compiled, page_context);
  Impl::check_rendered(page_context, tmpl, catalogue);

  request["content"] = Data(std::move(content));
  LayeredContext layout_context(catalogue, &request);
  std::string html = render_with(*impl_->layout.compiled, layout_context);
  Impl::check_rendered(layout_context, impl_->layout, catalogue);
  return html;
}

std::string Templates::render_error(int status, const PageContext& context) const {
  const Catalogue& catalogue = impl_->catalogue_for(context.language);
  const bool known =
      std::find(kErrorStatuses.begin(), kErrorStatuses.end(), status) != kErrorStatuses.end();
  const std::string prefix =
      known ? "error.status_" + std::to_string(status) + "." : std::string("error.status_other.");
  const std::string& heading = message(catalogue.language, prefix + "heading");

  boost::json::object data;
  data["status"] = status;
  data["heading"] = heading;
  data["body"] = message(catalogue.language, prefix + "body");
  PageContext error_context = context;
  if (error_context.title.empty()) error_context.title = heading;
  return render_page("error", data, error_context);
}

const std::string& Templates::message(std::string_view language, std::string_view key) const {
  const Catalogue& catalogue = impl_->catalogue_for(language);
  const auto found = catalogue.messages.find(key);
  if (found == catalogue.messages.end()) {
    throw ErrorException(
        Error::make(ErrorKind::internal,
                    "there is no message \"" + std::string(key) + "\" in " + catalogue.file));
  }
  return found->second;
}

bool Templates::has_page(std::string_view page) const {
  return impl_->pages.contains(page);
}

}  // namespace agora::http
