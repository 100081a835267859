#pragma once
// SCIM 2.0 (RFC 7643 resources, RFC 7644 protocol) as Agora speaks it (issue 5 item 8): the JSON
// an identity provider sends to provision an organisation's people and groups, and the JSON Agora
// answers with. Pure functions over text and boost::json, so every rule is unit-tested without a
// server; the routes (app/scim_routes.cpp) do the storing.

#include "auth/model.hpp"
#include "base/result.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace agora::auth::scim {

inline constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr std::string_view kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr std::string_view kListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr std::string_view kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
inline constexpr std::string_view kPatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The media type of every SCIM body (RFC 7644 section 3.1).
inline constexpr std::string_view kContentType = "application/scim+json";
/// The most resources one list page holds; a larger `count` is cut to this.
inline constexpr std::int64_t kMaxPage = 200;

/// A User as a client sent it in POST or PUT, or as a PATCH leaves it. Unset optionals were not
/// given.
struct UserInput {
  std::string user_name;  // the email address, as sent
  std::optional<std::string> display_name;  // displayName, else name.formatted, else given+family
  std::optional<std::string> external_id;
  std::optional<bool> active;
};

/// The User `body` describes (POST or PUT). invalid_input, saying what is wrong, for a body that
/// is not a JSON object, lacks userName, or gives an attribute a value of the wrong type.
Result<UserInput> parse_user(std::string_view body);

/// A Group as a client sent it in POST or PUT: its name and member ids.
struct GroupInput {
  std::string display_name;
  std::set<std::int64_t> members;
};

/// The Group `body` describes. invalid_input for a missing displayName or a member value that is
/// not one of Agora's numeric ids.
Result<GroupInput> parse_group(std::string_view body);

/// One PATCH operation (RFC 7644 section 3.5.2): op lower-cased, path as sent (may be empty).
struct PatchOperation {
  std::string op;  // "add", "remove" or "replace"
  std::string path;
  boost::json::value value;
};

/// The operations of a PatchOp body. invalid_input for anything but a PatchOp with at least one
/// operation whose op is add, remove or replace.
Result<std::vector<PatchOperation>> parse_patch(std::string_view body);

/// Applies `operations` to `user` in order. Understands replace/add of active, displayName,
/// name (formatted, or givenName and familyName), externalId, userName, with or without a path (a
/// value object then names the attributes), and the "True"/"False" strings some directories send
/// for booleans. invalid_input for an attribute Agora does not keep or a remove of userName.
Result<> apply_user_patch(const std::vector<PatchOperation>& operations, UserInput& user);

/// Applies `operations` to a group: add/remove/replace of members (remove with a path such as
/// `members[value eq "42"]`, or a value list), replace of displayName.
Result<> apply_group_patch(const std::vector<PatchOperation>& operations, GroupInput& group);

/// A parsed `filter` parameter: one `attribute eq "value"` comparison (RFC 7644 section 3.4.2.2),
/// which is what provisioning clients send to find whether someone already exists.
struct Filter {
  std::string attribute;  // lower-cased: "username", "externalid", "displayname", "id"
  std::string value;
};

/// `text` as a Filter. invalid_input for any other operator, an unquoted value, or trailing text.
Result<Filter> parse_filter(std::string_view text);

/// Whether `person` matches `filter`: userName and id compare case-insensitively (emails are
/// stored lower case), externalId and displayName exactly.
bool matches(const Filter& filter, const Person& person);

/// Which page of a list: startIndex is 1-based (RFC 7644 section 3.4.2.4).
struct Paging {
  std::int64_t start_index = 1;
  std::int64_t count = kMaxPage;
};

/// Paging from the startIndex and count query parameters (each may be absent): values below 1
/// become 1 (startIndex) or 0 (count), count above kMaxPage becomes kMaxPage. invalid_input for a
/// value that is not a number.
Result<Paging> parse_paging(const std::optional<std::string>& start_index,
                            const std::optional<std::string>& count);

/// `person` as a SCIM User resource, with meta.location under `base_url` (e.g.
/// "https://agora.example/scim/v2").
boost::json::object render_user(const Person& person, std::string_view base_url);

/// A stored group, for rendering.
struct Group {
  std::int64_t id = 0;
  std::string display_name;
  std::string external_id;
  std::vector<std::pair<std::int64_t, std::string>> members;  // (person id, display name)
};

/// `group` as a SCIM Group resource.
boost::json::object render_group(const Group& group, std::string_view base_url);

/// A ListResponse holding `resources` (already one page), of `total` matches, from `paging`.
std::string render_list(boost::json::array resources, std::int64_t total, const Paging& paging);

/// An Error body (RFC 7644 section 3.12): `scim_type` may be empty.
std::string render_error(int status, std::string_view scim_type, std::string_view detail);

}  // namespace agora::auth::scim
