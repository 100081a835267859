#include "app/serve.hpp"

#include "app/audit_routes.hpp"
#include "app/account_routes.hpp"
#include "app/admin_routes.hpp"
#include "app/api_token_routes.hpp"
#include "app/data_protection_routes.hpp"
#include "app/scim_routes.hpp"
#include "app/email_link_routes.hpp"
#include "app/collab_routes.hpp"
#include "app/document_routes.hpp"
#include "app/migrations.hpp"
#include "app/site_routes.hpp"
#include "app/space_routes.hpp"
#include "app/sso_routes.hpp"
#include "auth/audit_log.hpp"
#include "auth/sign_in_middleware.hpp"
#include "auth/signed_token.hpp"
#include "collab/service.hpp"
#include "base/logging.hpp"
#include "http/assets.hpp"
#include "http/server.hpp"
#include "notify/mailer.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <ostream>

namespace agora::app {
namespace {

namespace log = base::log;

int startup_failed(std::string_view what, const Error& error) {
  log::error("serve.startup_failed", {{"step", what}, {"error", error.message}});
  std::cerr << "agora serve: " << error.message << "\n";
  return 1;
}

http::ServerOptions server_options(const base::Settings& s) {
  http::ServerOptions o;
  o.host = s.listen_host;
  o.port = s.listen_port;
  o.tls_cert = s.tls_cert;
  o.tls_key = s.tls_key;
  o.io_threads = s.io_threads;
  o.worker_threads = s.worker_threads;
  o.max_connections = s.max_connections;
  o.max_header_bytes = s.max_header_bytes;
  o.read_timeout = s.read_timeout;
  o.idle_timeout = s.idle_timeout;
  o.shutdown_grace = s.shutdown_grace;
  // Sized for collaboration: a large document's first sync travels as one message.
  o.websocket.max_message_bytes = 16 * 1024 * 1024;
  o.websocket.max_queued_bytes = 32 * 1024 * 1024;
  return o;
}

// The request target with the value of any `token` query parameter replaced: collaboration
// tokens travel in the URL (a WebSocket cannot send headers) and logs must not hold live ones.
std::string redacted_target(std::string_view target) {
  const std::size_t query = target.find('?');
  if (query == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, query + 1));
  std::string_view rest = target.substr(query + 1);
  bool first = true;
  while (true) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (!first) out += '&';
    first = false;
    if (pair.starts_with("token=")) {
      out += "token=REDACTED";
    } else {
      out += pair;
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

void log_access(const http::AccessRecord& a) {
  double ms = std::chrono::duration<double, std::milli>(a.duration).count();
  log::info("http.access", {{"request_id", a.request.request_id},
                            {"method", a.request.method},
                            {"path", redacted_target(a.request.target)},
                            {"route", a.request.route},
                            {"status", a.status},
                            {"bytes", a.response_bytes},
                            {"ms", ms},
                            {"remote", a.request.remote_address},
                            {"note", a.note}});
}

void log_event(std::string_view event, std::string_view detail) {
  bool trouble = event.find("failed") != std::string_view::npos ||
                 event.find("timeout") != std::string_view::npos ||
                 event.find("refused") != std::string_view::npos ||
                 event.find("exception") != std::string_view::npos;
  log::write(trouble ? log::Level::warn : log::Level::info, event, {{"detail", detail}});
}

// What the caller of with_routes() needs once every route is registered.
struct Wired {
  http::Router& router;
  http::Metrics& metrics;
  const http::Templates& templates;
  collab::Service& collab;
  auth::AuditLog& audit_log;
  std::string database_description;  // for the log, without a password
};

// Opens the database and everything the routes hold references to, registers every route, and
// runs `use` while all of it is alive: `agora serve` and `agora routes` share this, so the table
// `agora routes` prints is the one served. Returns use's exit code, or 1 after a start-up error.
int with_routes(const base::Settings& settings, const std::function<int(Wired&)>& use) {
  auto database = store::Database::open(store::Options{.url = settings.database_url,
                                                       .data_dir = settings.data_dir,
                                                       .pool_size = settings.database_pool_size});
  if (!database) return startup_failed("database", database.error());
  if (auto migrated = apply_migrations(**database); !migrated)
    return startup_failed("migrations", migrated.error());

  auto assets = http::Assets::load(settings.web_dir);
  if (!assets) return startup_failed("assets", assets.error());
  auto templates = http::Templates::load(settings.templates_dir, *assets);
  if (!templates) return startup_failed("templates", templates.error());
  auto static_files = http::StaticFiles::load(settings.web_dir);
  if (!static_files) return startup_failed("static files", static_files.error());

  http::Metrics metrics;
  auth::Policy policy;
  auto token_key = (*database)->with_connection([](store::Connection& c) {
    return auth::load_or_create_server_key(c, collab::kTokenKeyName);
  });
  if (!token_key) return startup_failed("collaboration key", token_key.error());
  const auth::TokenSigner document_tokens(*token_key);  // before the collab service takes the key
  auto blobs = store::BlobStore::open(settings.data_dir);
  if (!blobs) return startup_failed("blob store", blobs.error());
  collab::Service collab(**database, base::system_clock(), policy, std::move(*token_key),
                         collab::ServiceOptions{.unload_after = settings.collab_unload_after});
  // Every module writes to the one audit log.
  auth::AuditLog audit_log(**database, base::system_clock());
  auto mailer = notify::make_mailer(settings);
  if (!mailer) return startup_failed("mail", mailer.error());
  auto csrf_key = (*database)->with_connection(
      [](store::Connection& c) { return auth::load_or_create_server_key(c, "csrf"); });
  if (!csrf_key) return startup_failed("CSRF key", csrf_key.error());
  const auth::SessionLimits session_limits{settings.session_idle, settings.session_absolute};
  const auth::SignInMiddlewareConfig sign_in_config{**database, base::system_clock(),
                                                    session_limits, settings.public_url,
                                                    std::move(*csrf_key)};

  http::Router router;
  // Outermost first: who is asking (and is the request forged?), then may they.
  router.use(auth::sign_in_middleware(sign_in_config));
  Site site{*templates, *static_files, **database, metrics, policy};  // routes keep references to it
  add_site_routes(router, site);
  add_account_routes(router, AccountSite{*templates, **database, base::system_clock(), policy,
                                         session_limits, audit_log});
  const EmailLinkSite email_links{*templates, **database, base::system_clock(), audit_log, **mailer,
                                  settings.public_url};
  add_email_link_routes(router, email_links);
  add_admin_routes(router, AdminSite{email_links, policy, session_limits});
  add_sso_routes(router, SsoSite{*templates, **database, base::system_clock(), session_limits, settings.public_url, audit_log});
  add_collab_routes(router, collab);
  add_audit_routes(router, AuditSite{*templates, **database, base::system_clock(), policy, audit_log});
  add_space_routes(router, SpaceSite{*templates, **database, base::system_clock(), policy, audit_log, email_links});
  add_document_routes(router, DocumentSite{*templates, **database, base::system_clock(), policy,
                                           document_tokens, *blobs, collab, audit_log});
  add_api_token_routes(router, ApiTokenSite{*templates, **database, base::system_clock(), audit_log});
  add_scim_routes(router, ScimSite{**database, base::system_clock(), policy, session_limits, audit_log, settings.public_url});
  add_data_protection_routes(router, DataProtectionSite{*templates, **database, base::system_clock(), policy, session_limits, audit_log, *blobs});

  Wired wired{router, metrics, *templates, collab, audit_log, (*database)->describe()};
  return use(wired);
}

}  // namespace

int serve(const base::Settings& settings) {
  return with_routes(settings, [&settings](Wired& site) {
    // Records past --audit-retention go daily; only a serving process prunes.
    auth::AuditRetention audit_retention(site.audit_log, base::system_clock(),
                                         settings.audit_retention);
    const http::Templates& pages = site.templates;
    http::Server server(
        server_options(settings), site.router, site.metrics,
        [&pages](const http::Request& request, int status, std::string_view message) {
          return error_page(pages, request, status, message);
        },
        log_access, log_event);
    if (auto listening = server.listen(); !listening)
      return startup_failed("listen", listening.error());
    log::info("serve.ready",
              {{"database", site.database_description},
               {"url", (settings.tls_cert.empty() ? "http://" : "https://") + settings.listen_host +
                           ":" + std::to_string(server.port())}});
    server.run();
    // The sockets are closed; let the rooms finish and the log write what it holds while the
    // server's executors still exist.
    site.collab.stop();
    return 0;
  });
}

int print_routes(const base::Settings& settings, std::ostream& out) {
  return with_routes(settings, [&out](Wired& site) {
    for (const http::Route& route : site.router.routes()) {
      boost::json::object line{{"method", route.method},
                               {"pattern", route.pattern},
                               {"action", route.options.action},
                               {"websocket", route.websocket != nullptr}};
      out << boost::json::serialize(line) << "\n";
    }
    return 0;
  });
}

}  // namespace agora::app
