#include "auth/scim.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace agora::auth::scim {
namespace {

namespace json = boost::json;

TEST(ScimTest, ParsesAUserWithNameAndExternalId) {
  auto user = parse_user(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName":" Rhys.Jones@afonvalley.gov.uk ","name":{"givenName":"Rhys","familyName":"Jones"},
    "externalId":"hr-77","active":true})");
  ASSERT_TRUE(user) << user.error().message;
  EXPECT_EQ(user->user_name, "Rhys.Jones@afonvalley.gov.uk");
  EXPECT_EQ(user->display_name, "Rhys Jones");
  EXPECT_EQ(user->external_id, "hr-77");
  EXPECT_EQ(user->active, true);
}

TEST(ScimTest, DisplayNameWinsOverNameAndAttributeNamesIgnoreCase) {
  auto user = parse_user(R"({"USERNAME":"a@b.gov.uk","name":{"formatted":"Formal"},"displayname":"Shown"})");
  ASSERT_TRUE(user) << user.error().message;
  EXPECT_EQ(user->user_name, "a@b.gov.uk");
  EXPECT_EQ(user->display_name, "Shown");
  EXPECT_FALSE(user->active.has_value());
}

TEST(ScimTest, RefusesUsersWithoutUserNameOrWithWrongTypes) {
  EXPECT_FALSE(parse_user(R"({"displayName":"x"})"));
  EXPECT_FALSE(parse_user(R"({"userName":""})"));
  EXPECT_FALSE(parse_user(R"({"userName":"a@b.uk","active":"maybe"})"));
  EXPECT_FALSE(parse_user(R"([1,2])"));
  EXPECT_FALSE(parse_user("not json"));
}

TEST(ScimTest, ParsesEqFilters) {
  auto filter = parse_filter(R"(userName eq "Sian.Pritchard@afonvalley.gov.uk")");
  ASSERT_TRUE(filter) << filter.error().message;
  EXPECT_EQ(filter->attribute, "username");
  EXPECT_EQ(filter->value, "Sian.Pritchard@afonvalley.gov.uk");
  auto escaped = parse_filter(R"(externalId EQ "a\"b")");
  ASSERT_TRUE(escaped) << escaped.error().message;
  EXPECT_EQ(escaped->attribute, "externalid");
  EXPECT_EQ(escaped->value, "a\"b");
  auto urn = parse_filter(R"(urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x@y.uk")");
  ASSERT_TRUE(urn) << urn.error().message;
  EXPECT_EQ(urn->attribute, "username");
}

TEST(ScimTest, RefusesFiltersAgoraDoesNotSupport) {
  EXPECT_FALSE(parse_filter(R"(userName co "x")"));
  EXPECT_FALSE(parse_filter(R"(userName eq x)"));
  EXPECT_FALSE(parse_filter(R"(userName eq "x" and active eq "true")"));
  EXPECT_FALSE(parse_filter(R"(userName eq "x)"));
  EXPECT_FALSE(parse_filter(R"(userName equals "x")"));
  EXPECT_FALSE(parse_filter(""));
}

TEST(ScimTest, MatchesPeopleByUserNameIgnoringCase) {
  Person person;
  person.id = 12;
  person.email = "sian.pritchard@afonvalley.gov.uk";
  person.display_name = "Siân Pritchard";
  person.external_id = "E1";
  EXPECT_TRUE(matches(*parse_filter(R"(userName eq "SIAN.pritchard@afonvalley.gov.uk")"), person));
  EXPECT_FALSE(matches(*parse_filter(R"(userName eq "sian@afonvalley.gov.uk")"), person));
  EXPECT_TRUE(matches(*parse_filter(R"(externalId eq "E1")"), person));
  EXPECT_FALSE(matches(*parse_filter(R"(externalId eq "e1")"), person));
  EXPECT_TRUE(matches(*parse_filter(R"(id eq "12")"), person));
  EXPECT_FALSE(matches(*parse_filter(R"(title eq "12")"), person));
}

TEST(ScimTest, PatchReplacesActiveAndNameWithOrWithoutPath) {
  UserInput user{.user_name = "a@b.uk", .display_name = "Old", .external_id = {}, .active = true};
  auto ops = parse_patch(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations":[{"op":"Replace","path":"active","value":"False"},
                  {"op":"replace","value":{"displayName":"New Name","externalId":"x9"}}]})");
  ASSERT_TRUE(ops) << ops.error().message;
  ASSERT_TRUE(apply_user_patch(*ops, user));
  EXPECT_EQ(user.active, false);
  EXPECT_EQ(user.display_name, "New Name");
  EXPECT_EQ(user.external_id, "x9");

  auto name = parse_patch(R"({"Operations":[{"op":"replace","path":"name.formatted","value":"F"}]})");
  ASSERT_TRUE(name);
  ASSERT_TRUE(apply_user_patch(*name, user));
  EXPECT_EQ(user.display_name, "F");
}

TEST(ScimTest, PatchRefusesUnknownOpsAndAttributes) {
  EXPECT_FALSE(parse_patch(R"({"Operations":[]})"));
  EXPECT_FALSE(parse_patch(R"({"Operations":[{"op":"move","path":"active","value":true}]})"));
  EXPECT_FALSE(parse_patch(R"({"Operations":[{"op":"replace","path":"active"}]})"));
  UserInput user{.user_name = "a@b.uk"};
  auto ops = parse_patch(R"({"Operations":[{"op":"replace","path":"title","value":"Boss"}]})");
  ASSERT_TRUE(ops);
  EXPECT_FALSE(apply_user_patch(*ops, user));
  auto remove = parse_patch(R"({"Operations":[{"op":"remove","path":"userName"}]})");
  ASSERT_TRUE(remove);
  EXPECT_FALSE(apply_user_patch(*remove, user));
}

TEST(ScimTest, GroupPatchAddsAndRemovesMembers) {
  auto group = parse_group(R"({"displayName":"Social workers","members":[{"value":"3"},{"value":"5"}]})");
  ASSERT_TRUE(group) << group.error().message;
  EXPECT_EQ(group->members, (std::set<std::int64_t>{3, 5}));
  auto ops = parse_patch(R"({"Operations":[
      {"op":"add","path":"members","value":[{"value":"7"}]},
      {"op":"remove","path":"members[value eq \"3\"]"},
      {"op":"replace","path":"displayName","value":"Care team"}]})");
  ASSERT_TRUE(ops) << ops.error().message;
  ASSERT_TRUE(apply_group_patch(*ops, *group));
  EXPECT_EQ(group->members, (std::set<std::int64_t>{5, 7}));
  EXPECT_EQ(group->display_name, "Care team");

  auto whole = parse_patch(R"({"Operations":[{"op":"replace","value":{"displayName":"X","members":[{"value":"9"}]}}]})");
  ASSERT_TRUE(whole) << whole.error().message;
  GroupInput copy = *group;
  ASSERT_TRUE(apply_group_patch(*whole, copy));
  EXPECT_EQ(copy.display_name, "X");
  EXPECT_EQ(copy.members, (std::set<std::int64_t>{9}));

  auto bad = parse_patch(R"({"Operations":[{"op":"add","path":"members","value":[{"value":"x"}]}]})");
  ASSERT_TRUE(bad);
  EXPECT_FALSE(apply_group_patch(*bad, *group));
  EXPECT_FALSE(parse_group(R"({"members":[]})"));
}

TEST(ScimTest, PagingClampsToLimits) {
  auto paging = parse_paging(std::string("0"), std::string("100000"));
  ASSERT_TRUE(paging);
  EXPECT_EQ(paging->start_index, 1);
  EXPECT_EQ(paging->count, kMaxPage);
  auto defaults = parse_paging(std::nullopt, std::nullopt);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->start_index, 1);
  EXPECT_FALSE(parse_paging(std::string("two"), std::nullopt));
}

TEST(ScimTest, RendersUsersListsAndErrors) {
  Person person;
  person.id = 4;
  person.email = "a@b.gov.uk";
  person.display_name = "A B";
  person.status = PersonStatus::suspended;
  person.external_id = "ext";
  const json::object user = render_user(person, "https://agora.test/scim/v2");
  EXPECT_EQ(user.at("id").as_string(), "4");
  EXPECT_EQ(user.at("userName").as_string(), "a@b.gov.uk");
  EXPECT_EQ(user.at("active").as_bool(), false);
  EXPECT_EQ(user.at("externalId").as_string(), "ext");
  EXPECT_EQ(user.at("meta").at("location").as_string(), "https://agora.test/scim/v2/Users/4");

  const json::value list = json::parse(render_list(json::array{user}, 9, Paging{3, 1}));
  EXPECT_EQ(list.at("schemas").at(0).as_string(), kListSchema);
  EXPECT_EQ(list.at("totalResults").as_int64(), 9);
  EXPECT_EQ(list.at("startIndex").as_int64(), 3);
  EXPECT_EQ(list.at("itemsPerPage").as_int64(), 1);
  EXPECT_EQ(list.at("Resources").as_array().size(), 1u);

  const json::value error = json::parse(render_error(409, "uniqueness", "taken"));
  EXPECT_EQ(error.at("status").as_string(), "409");
  EXPECT_EQ(error.at("scimType").as_string(), "uniqueness");
  EXPECT_EQ(error.at("detail").as_string(), "taken");
}

}  // namespace
}  // namespace agora::auth::scim
