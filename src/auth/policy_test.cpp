#include "auth/policy.hpp"

#include <gtest/gtest.h>

namespace agora::auth {
namespace {

TEST(Policy, PublicActionsAreAllowedToEveryone) {
  const Policy policy;
  for (const char* address : {"203.0.113.9", "127.0.0.1", "2001:db8::1", ""}) {
    const Principal anyone = Principal::anonymous(address);
    EXPECT_TRUE(policy.check(anyone, kSiteView, {})) << address;
    EXPECT_TRUE(policy.check(anyone, kHealthRead, {})) << address;
  }
}

TEST(Policy, MetricsOnlyFromLoopback) {
  const Policy policy;
  EXPECT_TRUE(policy.check(Principal::anonymous("127.0.0.1"), kMetricsRead, {}));
  EXPECT_TRUE(policy.check(Principal::anonymous("127.255.0.3"), kMetricsRead, {}));
  EXPECT_TRUE(policy.check(Principal::anonymous("::1"), kMetricsRead, {}));
  EXPECT_TRUE(policy.check(Principal::anonymous("::ffff:127.0.0.1"), kMetricsRead, {}));

  const Decision remote = policy.check(Principal::anonymous("203.0.113.9"), kMetricsRead, {});
  EXPECT_FALSE(remote);
  EXPECT_EQ(remote.reason, "metrics are served to loopback clients only");
  EXPECT_FALSE(policy.check(Principal::anonymous("::ffff:10.0.0.1"), kMetricsRead, {}));
  EXPECT_FALSE(policy.check(Principal::anonymous(""), kMetricsRead, {}));
}

TEST(Policy, UnknownActionsAreDenied) {
  const Policy policy;
  const Principal local = Principal::person(7, 1, "127.0.0.1");
  for (const char* action : {"", "site.edit", "document.delete", "SITE.VIEW", "site.view "}) {
    const Decision decision = policy.check(local, action, Resource{"document", "1"});
    EXPECT_FALSE(decision) << action;
    EXPECT_EQ(decision.reason, "no rule allows this action");
  }
}

TEST(IsLoopbackAddress, RecognisesOnlyLoopback) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.1.2.3"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_TRUE(is_loopback_address("0:0:0:0:0:0:0:1"));
  EXPECT_TRUE(is_loopback_address("::ffff:127.9.9.9"));
  EXPECT_FALSE(is_loopback_address("128.0.0.1"));
  EXPECT_FALSE(is_loopback_address("126.255.255.255"));
  EXPECT_FALSE(is_loopback_address("::2"));
  EXPECT_FALSE(is_loopback_address("localhost"));
  EXPECT_FALSE(is_loopback_address("127.0.0.1 "));
  EXPECT_FALSE(is_loopback_address(std::string_view("127.0.0.1\0x", 11)));
  EXPECT_FALSE(is_loopback_address(std::string(100, '1')));
}

}  // namespace
}  // namespace agora::auth

namespace agora::auth {
namespace {

TEST(Policy, DocumentActionsFollowTheRole) {
  const Policy policy;
  const Principal person = Principal::person(7, 1, "127.0.0.1");
  auto with_role = [](std::optional<Role> role) { return Resource{"document", "42", role}; };
  struct Case {
    std::optional<Role> role;
    bool read, comment, edit, manage;
  };
  const Case cases[] = {{std::nullopt, false, false, false, false},
                        {Role::viewer, true, false, false, false},
                        {Role::commenter, true, true, false, false},
                        {Role::editor, true, true, true, false},
                        {Role::owner, true, true, true, true}};
  for (const Case& c : cases) {
    const Resource resource = with_role(c.role);
    const std::string label = c.role ? std::string(to_string(*c.role)) : "no role";
    EXPECT_EQ(bool(policy.check(person, kDocumentRead, resource)), c.read) << label;
    EXPECT_EQ(bool(policy.check(person, kDocumentComment, resource)), c.comment) << label;
    EXPECT_EQ(bool(policy.check(person, kDocumentEdit, resource)), c.edit) << label;
    EXPECT_EQ(bool(policy.check(person, kDocumentManage, resource)), c.manage) << label;
  }
}

TEST(Policy, DocumentActionsNeedAPersonAndADocument) {
  const Policy policy;
  const Resource owned{"document", "42", Role::owner};
  EXPECT_FALSE(policy.check(Principal::anonymous("127.0.0.1"), kDocumentRead, owned));
  EXPECT_FALSE(policy.check(Principal::person(7, 1, ""), kDocumentRead, {"space", "42", Role::owner}));
  EXPECT_TRUE(policy.check(Principal::anonymous("203.0.113.9"), kCollabConnect, {}));
  EXPECT_FALSE(policy.check(Principal::person(7, 1, ""), "document.delete", owned));
}

}  // namespace

TEST(Policy, SpaceActionsFollowTheRole) {
  const Policy policy;
  const Principal person = Principal::person(7, 1, "");
  auto space = [](std::optional<Role> role) { return Resource{"space", "3", role}; };
  EXPECT_FALSE(policy.check(person, kSpaceRead, space(std::nullopt)));
  EXPECT_TRUE(policy.check(person, kSpaceRead, space(Role::viewer)));
  EXPECT_FALSE(policy.check(person, kSpaceEdit, space(Role::commenter)));
  EXPECT_TRUE(policy.check(person, kSpaceEdit, space(Role::editor)));
  EXPECT_FALSE(policy.check(person, kSpaceManage, space(Role::editor)));
  EXPECT_TRUE(policy.check(person, kSpaceManage, space(Role::owner)));
  // A document role does not open a space, nor the other way round.
  EXPECT_FALSE(policy.check(person, kSpaceRead, Resource{"document", "3", Role::owner}));
  EXPECT_FALSE(policy.check(person, kDocumentRead, space(Role::owner)));
  // The route-level gate (no resource) lets signed-in people through and nobody else.
  EXPECT_TRUE(policy.check(person, kSpaceRead, {}));
  EXPECT_FALSE(policy.check(Principal::anonymous("127.0.0.1"), kSpaceRead, {}));
  EXPECT_FALSE(policy.check(Principal::anonymous("127.0.0.1"), kSpaceCreate, {}));
  EXPECT_TRUE(policy.check(person, kSpaceCreate, {}));
}

TEST(Policy, OrganisationAdminsManageOnlyTheirOwnOrganisation) {
  const Policy policy;
  Principal admin = Principal::person(7, 1, "");
  admin.organisation_admin = true;
  const Principal member = Principal::person(8, 1, "");
  for (std::string_view action : {kOrganisationManage, kAuditRead}) {
    EXPECT_TRUE(policy.check(admin, action, Resource{"organisation", "1"})) << action;
    EXPECT_FALSE(policy.check(admin, action, Resource{"organisation", "2"})) << action;
    EXPECT_FALSE(policy.check(admin, action, Resource{"space", "1"})) << action;
    EXPECT_FALSE(policy.check(member, action, Resource{"organisation", "1"})) << action;
    EXPECT_FALSE(policy.check(Principal::anonymous("::1"), action, {})) << action;
  }
}

TEST(Policy, ApiTokensDoOnlyWhatTheirScopesAllow) {
  const Policy policy;
  Principal token = Principal::person(7, 1, "");
  token.api_token = true;
  token.organisation_admin = true;
  EXPECT_FALSE(policy.check(token, kScimProvision, Resource{"organisation", "1"}));
  token.api_scopes = {"scim"};
  EXPECT_TRUE(policy.check(token, kScimProvision, Resource{"organisation", "1"}));
  EXPECT_FALSE(policy.check(token, kScimProvision, Resource{"organisation", "2"}));
  EXPECT_FALSE(policy.check(token, kAccountManage, {}));
  EXPECT_FALSE(policy.check(token, kSpaceRead, Resource{"space", "1", Role::owner}));
  EXPECT_FALSE(policy.check(token, kAuditRead, Resource{"organisation", "1"}));
  token.organisation_admin = false;
  EXPECT_FALSE(policy.check(token, kScimProvision, Resource{"organisation", "1"}));
  // A session of the same admin may not provision by SCIM: that is for directories.
  Principal session = Principal::person(7, 1, "");
  session.organisation_admin = true;
  EXPECT_FALSE(policy.check(session, kScimProvision, Resource{"organisation", "1"}));
}

TEST(Policy, HalfSignedInIsNotSignedIn) {
  const Policy policy;
  Principal pending = Principal::anonymous("::1");
  pending.person_id = 7;
  pending.sign_in_pending = true;
  EXPECT_TRUE(policy.check(pending, kAccountSignIn, {}));
  EXPECT_FALSE(policy.check(pending, kAccountManage, {}));
  EXPECT_FALSE(policy.check(pending, kSpaceCreate, {}));
}
}  // namespace agora::auth
