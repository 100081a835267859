#include "auth/scim.hpp"

#include "base/clock.hpp"

#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace agora::auth::scim {

namespace {

namespace json = boost::json;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

Result<json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) return fail(ErrorKind::invalid_input, fmt::format("the body is not JSON: {}", ec.message()));
  if (!value.is_object()) return fail(ErrorKind::invalid_input, "the body must be a JSON object");
  return std::move(value.as_object());
}

// The member of `object` called `name`, compared without regard to case (RFC 7643 section 2.1:
// attribute names are case-insensitive), or nullptr.
const json::value* member(const json::object& object, std::string_view name) {
  for (const auto& entry : object) {
    const std::string_view key = entry.key();
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return &entry.value();
    }
  }
  return nullptr;
}

Result<std::string> string_of(const json::value& value, std::string_view attribute) {
  if (!value.is_string())
    return fail(ErrorKind::invalid_input, fmt::format("{} must be a string", attribute));
  return std::string(value.as_string());
}

// Booleans as JSON, or the "True"/"False" strings some directories (Azure AD) send in PATCH.
Result<bool> boolean_of(const json::value& value, std::string_view attribute) {
  if (value.is_bool()) return value.as_bool();
  if (value.is_string()) {
    const std::string text = lower(value.as_string());
    if (text == "true") return true;
    if (text == "false") return false;
  }
  return fail(ErrorKind::invalid_input, fmt::format("{} must be true or false", attribute));
}

// The name a `name` complex attribute gives: formatted, else "givenName familyName".
Result<std::optional<std::string>> name_of(const json::value& value) {
  if (value.is_null()) return std::optional<std::string>{};
  if (!value.is_object()) return fail(ErrorKind::invalid_input, "name must be an object");
  const json::object& name = value.as_object();
  if (const json::value* formatted = member(name, "formatted"); formatted && !formatted->is_null()) {
    auto text = string_of(*formatted, "name.formatted");
    if (!text) return text.error();
    if (!trim(*text).empty()) return std::optional<std::string>(std::string(trim(*text)));
  }
  std::string joined;
  for (std::string_view part : {"givenName", "familyName"}) {
    const json::value* v = member(name, part);
    if (!v || v->is_null()) continue;
    auto text = string_of(*v, fmt::format("name.{}", part));
    if (!text) return text.error();
    if (trim(*text).empty()) continue;
    if (!joined.empty()) joined += ' ';
    joined += trim(*text);
  }
  if (joined.empty()) return std::optional<std::string>{};
  return std::optional<std::string>(std::move(joined));
}

// Sets the user attribute `path` (lower case, no filter) to `value`.
Result<> set_user_attribute(UserInput& user, std::string_view path, const json::value& value) {
  if (path == "active") {
    auto active = boolean_of(value, "active");
    if (!active) return active.error();
    user.active = *active;
  } else if (path == "displayname") {
    auto text = string_of(value, "displayName");
    if (!text) return text.error();
    user.display_name = std::string(trim(*text));
  } else if (path == "name") {
    auto name = name_of(value);
    if (!name) return name.error();
    if (*name) user.display_name = **name;
  } else if (path == "name.formatted") {
    auto text = string_of(value, "name.formatted");
    if (!text) return text.error();
    user.display_name = std::string(trim(*text));
  } else if (path == "externalid") {
    if (value.is_null()) {
      user.external_id = std::string();
    } else {
      auto text = string_of(value, "externalId");
      if (!text) return text.error();
      user.external_id = *text;
    }
  } else if (path == "username") {
    auto text = string_of(value, "userName");
    if (!text) return text.error();
    user.user_name = *text;
  } else if (path == "schemas" || path == "id" || path == "meta" || path == "emails" ||
             path.starts_with("urn:")) {
    // Read-only or derived attributes (emails come from userName): accepted and ignored, as
    // directories send them with every change.
  } else {
    return fail(ErrorKind::invalid_input,
                fmt::format("Agora does not keep the attribute \"{}\"", path));
  }
  return {};
}

Result<std::int64_t> member_id(const json::value& value) {
  const json::value* id = &value;
  if (value.is_object()) {
    id = member(value.as_object(), "value");
    if (!id) return fail(ErrorKind::invalid_input, "each member needs a value (a User id)");
  }
  std::string text;
  if (id->is_string()) {
    text = std::string(id->as_string());
  } else if (id->is_int64()) {
    text = std::to_string(id->as_int64());
  } else {
    return fail(ErrorKind::invalid_input, "a member's value must be a User id");
  }
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || end != text.data() + text.size() || number <= 0)
    return fail(ErrorKind::invalid_input, fmt::format("\"{}\" is not a User id", text));
  return number;
}

Result<std::set<std::int64_t>> member_ids(const json::value& value) {
  std::set<std::int64_t> ids;
  if (value.is_null()) return ids;
  if (!value.is_array()) {
    auto one = member_id(value);
    if (!one) return one.error();
    ids.insert(*one);
    return ids;
  }
  for (const json::value& item : value.as_array()) {
    auto id = member_id(item);
    if (!id) return id.error();
    ids.insert(*id);
  }
  return ids;
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::time_point_cast<std::chrono::seconds>(t));
}

}  // namespace

Result<UserInput> parse_user(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  UserInput user;
  const json::value* user_name = member(*object, "userName");
  if (!user_name || !user_name->is_string() || trim(user_name->as_string()).empty())
    return fail(ErrorKind::invalid_input, "userName (the person's email address) is required");
  user.user_name = std::string(trim(user_name->as_string()));
  if (const json::value* name = member(*object, "name")) {
    auto formatted = name_of(*name);
    if (!formatted) return formatted.error();
    user.display_name = *formatted;
  }
  if (const json::value* display = member(*object, "displayName"); display && !display->is_null()) {
    auto text = string_of(*display, "displayName");
    if (!text) return text.error();
    if (!trim(*text).empty()) user.display_name = std::string(trim(*text));
  }
  if (const json::value* external = member(*object, "externalId"); external && !external->is_null()) {
    auto text = string_of(*external, "externalId");
    if (!text) return text.error();
    user.external_id = *text;
  }
  if (const json::value* active = member(*object, "active"); active && !active->is_null()) {
    auto flag = boolean_of(*active, "active");
    if (!flag) return flag.error();
    user.active = *flag;
  }
  return user;
}

Result<GroupInput> parse_group(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  GroupInput group;
  const json::value* name = member(*object, "displayName");
  if (!name || !name->is_string() || trim(name->as_string()).empty())
    return fail(ErrorKind::invalid_input, "displayName (the group's name) is required");
  group.display_name = std::string(trim(name->as_string()));
  if (const json::value* members = member(*object, "members")) {
    auto ids = member_ids(*members);
    if (!ids) return ids.error();
    group.members = std::move(*ids);
  }
  return group;
}

Result<std::vector<PatchOperation>> parse_patch(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  const json::value* operations = member(*object, "Operations");
  if (!operations || !operations->is_array() || operations->as_array().empty())
    return fail(ErrorKind::invalid_input, "a PatchOp needs a non-empty Operations list");
  std::vector<PatchOperation> out;
  for (const json::value& item : operations->as_array()) {
    if (!item.is_object()) return fail(ErrorKind::invalid_input, "each operation must be an object");
    const json::object& operation = item.as_object();
    PatchOperation op;
    const json::value* name = member(operation, "op");
    if (!name || !name->is_string()) return fail(ErrorKind::invalid_input, "each operation needs an op");
    op.op = lower(name->as_string());
    if (op.op != "add" && op.op != "remove" && op.op != "replace")
      return fail(ErrorKind::invalid_input,
                  fmt::format("op \"{}\" is not add, remove or replace", std::string(name->as_string())));
    if (const json::value* path = member(operation, "path"); path && !path->is_null()) {
      if (!path->is_string()) return fail(ErrorKind::invalid_input, "path must be a string");
      op.path = std::string(trim(path->as_string()));
    }
    if (const json::value* value = member(operation, "value")) op.value = *value;
    if (op.op != "remove" && op.value.is_null() && !op.path.empty() && lower(op.path) != "externalid")
      return fail(ErrorKind::invalid_input, fmt::format("{} of {} needs a value", op.op, op.path));
    out.push_back(std::move(op));
  }
  return out;
}

Result<> apply_user_patch(const std::vector<PatchOperation>& operations, UserInput& user) {
  for (const PatchOperation& op : operations) {
    std::string path = lower(op.path);
    // A path may carry the core schema's URN as a prefix.
    const std::string prefix = lower(kUserSchema) + ":";
    if (path.starts_with(prefix)) path.erase(0, prefix.size());
    if (op.op == "remove") {
      if (path == "externalid") {
        user.external_id = std::string();
      } else if (path == "displayname" || path == "name" || path == "name.formatted") {
        user.display_name = std::string();
      } else {
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\" cannot be removed", op.path));
      }
      continue;
    }
    if (path.empty()) {
      if (!op.value.is_object())
        return fail(ErrorKind::invalid_input, "an operation without a path needs an object value");
      for (const auto& entry : op.value.as_object()) {
        std::string key = lower(entry.key());
        if (key.starts_with(prefix)) key.erase(0, prefix.size());
        AGORA_TRY(set_user_attribute(user, key, entry.value()));
      }
      continue;
    }
    AGORA_TRY(set_user_attribute(user, path, op.value));
  }
  return {};
}

namespace {

Result<> change_group_name(const std::string& op, const json::value& value, GroupInput& group) {
  if (op == "remove") return fail(ErrorKind::invalid_input, "displayName cannot be removed");
  auto name = string_of(value, "displayName");
  if (!name) return name.error();
  if (trim(*name).empty()) return fail(ErrorKind::invalid_input, "displayName cannot be empty");
  group.display_name = std::string(trim(*name));
  return {};
}

Result<> change_group_members(const std::string& op, const json::value& value, GroupInput& group) {
  auto ids = member_ids(value);
  if (!ids) return ids.error();
  if (op == "replace") {
    group.members = std::move(*ids);
  } else if (op == "add") {
    group.members.insert(ids->begin(), ids->end());
  } else if (value.is_null()) {
    group.members.clear();  // remove with no value and no filter: every member
  } else {
    for (std::int64_t id : *ids) group.members.erase(id);
  }
  return {};
}

}  // namespace

Result<> apply_group_patch(const std::vector<PatchOperation>& operations, GroupInput& group) {
  for (const PatchOperation& op : operations) {
    const std::string path = lower(op.path);
    if (path.empty()) {
      // No path: the value object names the attributes (Azure AD sends displayName this way).
      if (!op.value.is_object())
        return fail(ErrorKind::invalid_input, "an operation without a path needs an object value");
      for (const auto& entry : op.value.as_object()) {
        const std::string key = lower(entry.key());
        if (key == "displayname") {
          AGORA_TRY(change_group_name(op.op, entry.value(), group));
        } else if (key == "members") {
          AGORA_TRY(change_group_members(op.op, entry.value(), group));
        } else if (key != "externalid" && key != "id" && key != "schemas") {
          return fail(ErrorKind::invalid_input,
                      fmt::format("Agora groups have no attribute \"{}\" to change",
                                  std::string(entry.key())));
        }
      }
      continue;
    }
    if (path == "displayname") {
      AGORA_TRY(change_group_name(op.op, op.value, group));
      continue;
    }
    if (path == "members") {
      AGORA_TRY(change_group_members(op.op, op.value, group));
      continue;
    }
    // members[value eq "42"]: remove (or add) one member.
    if (path.starts_with("members[") && path.ends_with("]")) {
      auto filter = parse_filter(std::string_view(op.path).substr(8, op.path.size() - 9));
      if (!filter) return filter.error();
      if (filter->attribute != "value")
        return fail(ErrorKind::invalid_input, "a members filter must compare value");
      auto id = member_id(json::value(filter->value));
      if (!id) return id.error();
      if (op.op == "remove") group.members.erase(*id);
      else group.members.insert(*id);
      continue;
    }
    return fail(ErrorKind::invalid_input,
                fmt::format("Agora groups have no attribute \"{}\" to change", op.path));
  }
  return {};
}

Result<Filter> parse_filter(std::string_view text) {
  std::string_view rest = trim(text);
  const std::size_t space = rest.find_first_of(" \t");
  if (space == std::string_view::npos || space == 0)
    return fail(ErrorKind::invalid_input, "a filter reads: attribute eq \"value\"");
  Filter filter;
  filter.attribute = lower(rest.substr(0, space));
  const std::string user_prefix = lower(kUserSchema) + ":";
  if (filter.attribute.starts_with(user_prefix)) filter.attribute.erase(0, user_prefix.size());
  rest = trim(rest.substr(space));
  if (rest.size() < 2 || lower(rest.substr(0, 2)) != "eq" ||
      (rest.size() > 2 && !std::isspace(static_cast<unsigned char>(rest[2])))) {
    return fail(ErrorKind::invalid_input, "Agora supports only the eq operator in filters");
  }
  rest = trim(rest.substr(2));
  if (rest.empty() || rest.front() != '"')
    return fail(ErrorKind::invalid_input, "the value in a filter must be a quoted string");
  // A JSON string (RFC 7644 section 3.4.2.2 says compValue is JSON), so escapes are JSON's.
  std::size_t end = 1;
  while (end < rest.size() && rest[end] != '"') end += rest[end] == '\\' ? 2 : 1;
  if (end >= rest.size()) return fail(ErrorKind::invalid_input, "the filter's value is not closed");
  boost::system::error_code ec;
  json::value value = json::parse(rest.substr(0, end + 1), ec);
  if (ec || !value.is_string())
    return fail(ErrorKind::invalid_input, "the filter's value is not a valid string");
  filter.value = std::string(value.as_string());
  if (!trim(rest.substr(end + 1)).empty())
    return fail(ErrorKind::invalid_input, "Agora supports one comparison per filter (no and/or)");
  return filter;
}

bool matches(const Filter& filter, const Person& person) {
  if (filter.attribute == "username" || filter.attribute == "emails" ||
      filter.attribute == "emails.value") {
    return lower(filter.value) == person.email;
  }
  if (filter.attribute == "id") return filter.value == std::to_string(person.id);
  if (filter.attribute == "externalid") return filter.value == person.external_id;
  if (filter.attribute == "displayname") return filter.value == person.display_name;
  return false;
}

Result<Paging> parse_paging(const std::optional<std::string>& start_index,
                            const std::optional<std::string>& count) {
  Paging paging;
  auto number = [](const std::string& text, std::string_view name) -> Result<std::int64_t> {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size())
      return fail(ErrorKind::invalid_input, fmt::format("{} must be a whole number", name));
    return n;
  };
  if (start_index) {
    auto n = number(*start_index, "startIndex");
    if (!n) return n.error();
    paging.start_index = std::max<std::int64_t>(1, *n);
  }
  if (count) {
    auto n = number(*count, "count");
    if (!n) return n.error();
    paging.count = std::clamp<std::int64_t>(*n, 0, kMaxPage);
  }
  return paging;
}

json::object render_user(const Person& person, std::string_view base_url) {
  const std::string id = std::to_string(person.id);
  json::object user{
      {"schemas", json::array{json::string(kUserSchema)}},
      {"id", id},
      {"userName", person.email},
      {"displayName", person.display_name},
      {"name", json::object{{"formatted", person.display_name}}},
      {"emails", json::array{json::object{{"value", person.email}, {"type", "work"}, {"primary", true}}}},
      {"active", person.status == PersonStatus::active},
      {"meta", json::object{{"resourceType", "User"},
                            {"created", iso_time(person.created_at)},
                            {"location", fmt::format("{}/Users/{}", base_url, id)}}}};
  if (!person.external_id.empty()) user["externalId"] = person.external_id;
  return user;
}

json::object render_group(const Group& group, std::string_view base_url) {
  const std::string id = std::to_string(group.id);
  json::array members;
  for (const auto& [person_id, name] : group.members) {
    members.push_back(json::object{{"value", std::to_string(person_id)},
                                   {"display", name},
                                   {"$ref", fmt::format("{}/Users/{}", base_url, person_id)}});
  }
  json::object out{{"schemas", json::array{json::string(kGroupSchema)}},
                   {"id", id},
                   {"displayName", group.display_name},
                   {"members", std::move(members)},
                   {"meta", json::object{{"resourceType", "Group"},
                                         {"location", fmt::format("{}/Groups/{}", base_url, id)}}}};
  if (!group.external_id.empty()) out["externalId"] = group.external_id;
  return out;
}

std::string render_list(json::array resources, std::int64_t total, const Paging& paging) {
  const auto on_page = static_cast<std::int64_t>(resources.size());
  return json::serialize(json::object{{"schemas", json::array{json::string(kListSchema)}},
                                      {"totalResults", total},
                                      {"startIndex", paging.start_index},
                                      {"itemsPerPage", on_page},
                                      {"Resources", std::move(resources)}});
}

std::string render_error(int status, std::string_view scim_type, std::string_view detail) {
  json::object error{{"schemas", json::array{json::string(kErrorSchema)}},
                     {"status", std::to_string(status)},
                     {"detail", detail}};
  if (!scim_type.empty()) error["scimType"] = scim_type;
  return json::serialize(error);
}

}  // namespace agora::auth::scim
