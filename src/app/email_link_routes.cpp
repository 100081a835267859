#include "app/email_link_routes.hpp"

#include "app/pages.hpp"
#include "app/site_routes.hpp"
#include "auth/directory_store.hpp"
#include "auth/grant_store.hpp"
#include "auth/one_time_tokens.hpp"
#include "auth/password_rules.hpp"
#include "auth/passwords.hpp"
#include "auth/rate_limiter.hpp"
#include "auth/request_principal.hpp"
#include "auth/sessions.hpp"
#include "auth/sign_in_middleware.hpp"
#include "base/logging.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace agora::app {

namespace {

namespace json = boost::json;
namespace log = base::log;

std::string text(const EmailLinkSite& site, const http::Request& request, std::string_view key) {
  return site.templates.message(http::choose_language(request), key);
}

std::string link_to(const EmailLinkSite& site, const http::Request& request,
                    std::string_view path_and_query) {
  return auth::expected_origin(request, site.public_url) + std::string(path_and_query);
}

http::Response page(const EmailLinkSite& site, const http::Request& request,
                    std::string_view name, std::string_view title_key, json::object data,
                    std::vector<http::ErrorSummaryItem> errors = {}, int status = 200) {
  http::PageContext context = page_context(site.templates, request, text(site, request, title_key));
  context.errors = std::move(errors);
  if (!context.errors.empty() && status == 200) status = 400;
  auto response = http::Response::html(site.templates.render_page(name, data, context), status);
  response.headers.set("Cache-Control", "no-store");
  // The link's secret is in this page's address; keep it out of every Referer header. Not
  // "no-referrer": under it browsers send "Origin: null" with the page's own form, which the
  // cross-site check refuses.
  response.headers.set("Referrer-Policy", "strict-origin");
  return response;
}

http::Response link_expired(const EmailLinkSite& site, const http::Request& request) {
  return page(site, request, "link_expired", "email_links.expired.title", json::object{}, {}, 410);
}

// The first problem with a new password and its confirmation, as a form error, or nullopt.
std::optional<http::ErrorSummaryItem> password_error(const EmailLinkSite& site,
                                                     const http::Request& request,
                                                     std::string_view password,
                                                     std::string_view confirmation,
                                                     std::string_view email,
                                                     std::string_view name) {
  if (auto problem = auth::find_password_problem(password, email, name))
    return http::ErrorSummaryItem{text(site, request, auth::message_key(*problem)), "password"};
  if (password != confirmation)
    return http::ErrorSummaryItem{text(site, request, "email_links.passwords_differ"),
                                  "password-confirmation"};
  return std::nullopt;
}

// --- forgotten password -------------------------------------------------------------------------

http::Response show_forgotten(const EmailLinkSite& site, http::Request& request) {
  return page(site, request, "forgotten_password", "email_links.forgotten.title",
              json::object{{"email", ""}, {"email_error", ""}});
}

http::Response submit_forgotten(const EmailLinkSite& site, http::Request& request) {
  const std::string email = auth::normalise_email(request.form_field("email").value_or(""));
  if (!auth::check_email(email)) {
    const std::string error = text(site, request, "email_links.forgotten.email_invalid");
    return page(site, request, "forgotten_password", "email_links.forgotten.title",
                json::object{{"email", email}, {"email_error", error}}, {{error, "email"}});
  }
  // Whatever happens next, the page says the same, so it does not reveal who has an account.
  const std::string bucket = "password-reset:account:" + email;
  struct Prepared {
    std::optional<auth::Person> person;
    std::string secret;
  };
  auto prepared = site.database.transaction([&](store::Connection& c) -> Result<Prepared> {
    Prepared p;
    auth::RateLimiter limiter(c, site.clock);
    auto allowed = limiter.check(bucket, auth::kPasswordResetsPerAccount);
    if (!allowed) return allowed.error();
    if (!allowed->allowed) return p;
    AGORA_TRY(limiter.record(bucket, auth::kPasswordResetsPerAccount));
    auto person = auth::DirectoryStore(c, site.clock).find_person_by_email(email);
    if (!person) return person.error();
    if (!*person || (*person)->status != auth::PersonStatus::active) return p;
    p.person = std::move(*person);
    auto secret = auth::OneTimeTokenStore(c, site.clock)
                      .create(auth::OneTimeLink{.purpose = auth::LinkPurpose::password_reset,
                                                .email = email},
                              auth::kPasswordResetLifetime);
    if (!secret) return secret.error();
    p.secret = std::move(*secret);
    return p;
  });
  if (!prepared) throw ErrorException(prepared.error());
  if (prepared->person) {
    const std::string link =
        link_to(site, request, "/sign-in/reset-password?token=" + prepared->secret);
    auto sent = site.mailer.send(notify::MailMessage{
        .to = email,
        .to_name = prepared->person->display_name,
        .subject = text(site, request, "email_links.reset_mail.subject"),
        .text = fmt::format(fmt::runtime(text(site, request, "email_links.reset_mail.body")),
                            prepared->person->display_name, link)});
    if (!sent) log::warn("mail.send_failed", {{"purpose", "password_reset"}, {"error", sent.error().message}});
    auto logged = site.audit.append(auth::AuditEvent{
        .person_id = prepared->person->id,
        .organisation_id = prepared->person->organisation_id,
        .action = "auth.password_reset_requested",
        .resource_kind = "person",
        .resource_id = std::to_string(prepared->person->id),
        .ip = request.remote_address,
        .user_agent = std::string(request.headers.get("User-Agent").substr(0, 300)),
        .outcome = sent ? auth::AuditOutcome::success : auth::AuditOutcome::failure,
        .detail = sent ? "email sent" : "email could not be sent"});
    if (!logged) throw ErrorException(logged.error());
  }
  return page(site, request, "forgotten_password_sent", "email_links.forgotten.sent_title",
              json::object{{"email", email}});
}

http::Response show_reset(const EmailLinkSite& site, http::Request& request) {
  const std::string token = request.query_param("token").value_or("");
  auto link = site.database.with_connection([&](store::Connection& c) {
    return auth::OneTimeTokenStore(c, site.clock).peek(token, auth::LinkPurpose::password_reset);
  });
  if (!link) throw ErrorException(link.error());
  if (!*link) return link_expired(site, request);
  return page(site, request, "reset_password", "email_links.reset.title",
              json::object{{"token", token}, {"password_error", ""}, {"confirmation_error", ""}});
}

http::Response submit_reset(const EmailLinkSite& site, http::Request& request) {
  const std::string token = request.form_field("token").value_or("");
  const std::string password = request.form_field("password").value_or("");
  const std::string confirmation = request.form_field("password_confirmation").value_or("");
  auto link = site.database.with_connection([&](store::Connection& c) {
    return auth::OneTimeTokenStore(c, site.clock).peek(token, auth::LinkPurpose::password_reset);
  });
  if (!link) throw ErrorException(link.error());
  if (!*link) return link_expired(site, request);
  auto person = site.database.with_connection([&](store::Connection& c) {
    return auth::DirectoryStore(c, site.clock).find_person_by_email((*link)->email);
  });
  if (!person) throw ErrorException(person.error());
  if (!*person) return link_expired(site, request);
  if (auto error = password_error(site, request, password, confirmation, (*person)->email,
                                  (*person)->display_name)) {
    const bool on_confirmation = error->field_id != "password";
    return page(site, request, "reset_password", "email_links.reset.title",
                json::object{{"token", token},
                             {"password_error", on_confirmation ? "" : error->message},
                             {"confirmation_error", on_confirmation ? error->message : ""}},
                {*error});
  }
  auto hash = auth::hash_password(password);
  if (!hash) throw ErrorException(hash.error());
  auto changed = site.database.transaction([&](store::Connection& c) -> Result<bool> {
    auto redeemed =
        auth::OneTimeTokenStore(c, site.clock).redeem(token, auth::LinkPurpose::password_reset);
    if (!redeemed) return redeemed.error();
    if (!*redeemed) return false;
    AGORA_TRY(auth::DirectoryStore(c, site.clock).set_password_hash((*person)->id, *hash));
    // Whoever knew the old password is signed out everywhere.
    AGORA_TRY(auth::SessionStore(c, site.clock, {}).end_all((*person)->id));
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent{.person_id = (*person)->id,
                            .organisation_id = (*person)->organisation_id,
                            .action = "auth.password_reset",
                            .resource_kind = "person",
                            .resource_id = std::to_string((*person)->id),
                            .ip = request.remote_address,
                            .user_agent = std::string(request.headers.get("User-Agent").substr(0, 300)),
                            .detail = "by emailed link; every session ended"}));
    return true;
  });
  if (!changed) throw ErrorException(changed.error());
  if (!*changed) return link_expired(site, request);
  return page(site, request, "password_changed", "email_links.reset.done_title", json::object{});
}

// --- invitations --------------------------------------------------------------------------------

http::Response invitation_form(const EmailLinkSite& site, const http::Request& request,
                               std::string_view token, const auth::OneTimeLink& link,
                               std::string_view name, std::vector<http::ErrorSummaryItem> errors) {
  std::string name_error, password_error_text, confirmation_error;
  for (const auto& e : errors) {
    if (e.field_id == "name") name_error = e.message;
    else if (e.field_id == "password") password_error_text = e.message;
    else confirmation_error = e.message;
  }
  return page(site, request, "accept_invitation", "email_links.invitation.title",
              json::object{{"token", token},
                           {"email", link.email},
                           {"name", name},
                           {"name_error", name_error},
                           {"password_error", password_error_text},
                           {"confirmation_error", confirmation_error}},
              std::move(errors));
}

http::Response show_invitation(const EmailLinkSite& site, http::Request& request) {
  const std::string token = request.query_param("token").value_or("");
  auto link = site.database.with_connection([&](store::Connection& c) {
    return auth::OneTimeTokenStore(c, site.clock).peek(token, auth::LinkPurpose::invitation);
  });
  if (!link) throw ErrorException(link.error());
  if (!*link) return link_expired(site, request);
  return invitation_form(site, request, token, **link, "", {});
}

http::Response submit_invitation(const EmailLinkSite& site, http::Request& request) {
  const std::string token = request.form_field("token").value_or("");
  const std::string name = request.form_field("name").value_or("");
  const std::string password = request.form_field("password").value_or("");
  const std::string confirmation = request.form_field("password_confirmation").value_or("");
  auto link = site.database.with_connection([&](store::Connection& c) {
    return auth::OneTimeTokenStore(c, site.clock).peek(token, auth::LinkPurpose::invitation);
  });
  if (!link) throw ErrorException(link.error());
  if (!*link) return link_expired(site, request);

  std::vector<http::ErrorSummaryItem> errors;
  if (name.find_first_not_of(' ') == std::string::npos || name.size() > 200)
    errors.push_back({text(site, request, "email_links.invitation.name_missing"), "name"});
  if (auto error = password_error(site, request, password, confirmation, (*link)->email, name))
    errors.push_back(*error);
  if (!errors.empty()) return invitation_form(site, request, token, **link, name, std::move(errors));

  auto hash = auth::hash_password(password);
  if (!hash) throw ErrorException(hash.error());
  auto joined = site.database.transaction([&](store::Connection& c) -> Result<bool> {
    auto redeemed =
        auth::OneTimeTokenStore(c, site.clock).redeem(token, auth::LinkPurpose::invitation);
    if (!redeemed) return redeemed.error();
    if (!*redeemed) return false;
    const auth::OneTimeLink& l = **redeemed;
    auth::DirectoryStore directory(c, site.clock);
    auto existing = directory.find_person_by_email(l.email);
    if (!existing) return existing.error();
    std::int64_t person_id = 0;
    std::int64_t organisation_id = l.organisation_id.value_or(0);
    if (*existing) {
      // Already has an account (invited twice): the link still adds the space.
      person_id = (*existing)->id;
      organisation_id = (*existing)->organisation_id;
    } else {
      auto person = directory.create_person(auth::NewPerson{.organisation_id = organisation_id,
                                                            .email = l.email,
                                                            .display_name = name,
                                                            .password_hash = *hash});
      if (!person) return person.error();
      person_id = person->id;
    }
    if (l.space_id && l.role) {
      AGORA_TRY(auth::GrantStore(c, site.clock).set_role("space", *l.space_id, person_id, *l.role));
    }
    AGORA_TRY(site.audit.append_in(
        c, auth::AuditEvent{.person_id = person_id,
                            .organisation_id = organisation_id,
                            .action = "auth.invitation_accepted",
                            .resource_kind = l.space_id ? "space" : "organisation",
                            .resource_id = std::to_string(l.space_id.value_or(organisation_id)),
                            .space_id = l.space_id,
                            .ip = request.remote_address,
                            .user_agent = std::string(request.headers.get("User-Agent").substr(0, 300))}));
    return true;
  });
  if (!joined) throw ErrorException(joined.error());
  if (!*joined) return link_expired(site, request);
  return see_other("/sign-in?joined=1");
}

}  // namespace

Result<> send_invitation(const EmailLinkSite& site, const http::Request& request,
                         const Invitation& invitation) {
  auto secret = site.database.transaction([&](store::Connection& c) -> Result<std::string> {
    const auth::Principal principal = auth::principal_of(request);
    auto created = auth::OneTimeTokenStore(c, site.clock)
                       .create(auth::OneTimeLink{.purpose = auth::LinkPurpose::invitation,
                                                 .email = auth::normalise_email(invitation.email),
                                                 .organisation_id = invitation.organisation_id,
                                                 .space_id = invitation.space_id,
                                                 .role = invitation.role,
                                                 .created_by = principal.person_id},
                               auth::kInvitationLifetime);
    if (!created) return created.error();
    auto event = auth::AuditEvent::by(principal, "auth.invitation_sent",
                                      invitation.space_id ? "space" : "organisation",
                                      std::to_string(invitation.space_id.value_or(
                                          invitation.organisation_id)),
                                      auth::AuditOutcome::success,
                                      "to " + auth::normalise_email(invitation.email));
    event.space_id = invitation.space_id;
    AGORA_TRY(site.audit.append_in(c, event));
    // Sent inside the transaction: if the mail server refuses, the link is never stored.
    const std::string link = link_to(site, request, "/invitations/accept?token=" + *created);
    const std::string body =
        invitation.space_id
            ? fmt::format(fmt::runtime(text(site, request, "email_links.invitation_mail.guest_body")),
                          invitation.inviter_name, invitation.space_name, link)
            : fmt::format(fmt::runtime(text(site, request, "email_links.invitation_mail.body")),
                          invitation.inviter_name, invitation.organisation_name, link);
    AGORA_TRY(site.mailer.send(notify::MailMessage{
        .to = auth::normalise_email(invitation.email),
        .subject = text(site, request, "email_links.invitation_mail.subject"),
        .text = body}));
    return *created;
  });
  if (!secret) return secret.error();
  return {};
}

void add_email_link_routes(http::Router& router, const EmailLinkSite& site) {
  const std::string action(auth::kAccountSignIn);
  auto route = [&site](http::Response (*handler)(const EmailLinkSite&, http::Request&)) {
    return [site, handler](http::Request& request) { return handler(site, request); };
  };
  router.add("GET", "/sign-in/forgotten-password", route(show_forgotten), {.action = action});
  router.add("POST", "/sign-in/forgotten-password", route(submit_forgotten), {.action = action});
  router.add("GET", "/sign-in/reset-password", route(show_reset), {.action = action});
  router.add("POST", "/sign-in/reset-password", route(submit_reset), {.action = action});
  router.add("GET", "/invitations/accept", route(show_invitation), {.action = action});
  router.add("POST", "/invitations/accept", route(submit_invitation), {.action = action});
}

}  // namespace agora::app
