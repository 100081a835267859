#include "app/demo.hpp"

#include "auth/directory_store.hpp"
#include "auth/passwords.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>

namespace agora::app {

namespace {

struct DemoPerson {
  std::string_view name;
  std::string_view email;
};

struct DemoOrganisation {
  std::string_view name;
  auth::OrganisationKind kind;
  std::string_view domain;
  std::span<const DemoPerson> people;
};

// A fictional Welsh valley's public services, with staff who would plan help for one family
// together: social work, health, policing and housing.
constexpr DemoPerson kCouncilStaff[] = {
    {"Siân Pritchard", "sian.pritchard@afonvalley.gov.uk"},
    {"Gareth Llewellyn", "gareth.llewellyn@afonvalley.gov.uk"},
    {"Rhiannon Price", "rhiannon.price@afonvalley.gov.uk"},
    {"Owain Jenkins", "owain.jenkins@afonvalley.gov.uk"},
};
constexpr DemoPerson kHealthStaff[] = {
    {"Catrin Morgan", "catrin.morgan@broafon.wales.nhs.uk"},
    {"Elin Davies", "elin.davies@broafon.wales.nhs.uk"},
    {"Tomos Evans", "tomos.evans@broafon.wales.nhs.uk"},
    {"Amara Okafor", "amara.okafor@broafon.wales.nhs.uk"},
};
constexpr DemoPerson kPoliceStaff[] = {
    {"Dafydd Hughes", "dafydd.hughes@afonvalley.police.uk"},
    {"Ffion Thomas", "ffion.thomas@afonvalley.police.uk"},
    {"Mark Bevan", "mark.bevan@afonvalley.police.uk"},
};
constexpr DemoPerson kHousingStaff[] = {
    {"Lowri Jones", "lowri.jones@cartrefiafon.org.uk"},
    {"Huw Griffiths", "huw.griffiths@cartrefiafon.org.uk"},
    {"Priya Shah", "priya.shah@cartrefiafon.org.uk"},
};

constexpr std::array<DemoOrganisation, 4> kOrganisations = {{
    {"Afon Valley Council", auth::OrganisationKind::council, "afonvalley.gov.uk", kCouncilStaff},
    {"Bro Afon NHS Trust", auth::OrganisationKind::nhs, "broafon.wales.nhs.uk", kHealthStaff},
    {"Afon Valley Police", auth::OrganisationKind::police, "afonvalley.police.uk", kPoliceStaff},
    {"Cartrefi Afon Housing Association", auth::OrganisationKind::housing, "cartrefiafon.org.uk",
     kHousingStaff},
}};

Result<DemoLoad> load_into(store::Connection& connection, const base::Clock& clock) {
  auth::DirectoryStore directory(connection, clock);
  DemoLoad load;
  for (const DemoOrganisation& demo : kOrganisations) {
    auto found = directory.find_organisation_by_name(demo.name);
    if (!found) return found.error();
    std::int64_t organisation_id = 0;
    if (*found) {
      organisation_id = (*found)->id;
    } else {
      const std::string domains[] = {std::string(demo.domain)};
      auto created = directory.create_organisation(demo.name, demo.kind, domains);
      if (!created) return created.error();
      organisation_id = created->id;
      ++load.organisations_created;
    }

    for (const DemoPerson& person : demo.people) {
      load.sign_ins.push_back(
          {std::string(demo.name), std::string(person.name), std::string(person.email)});
      auto existing = directory.find_person_by_email(person.email);
      if (!existing) return existing.error();
      if (*existing) continue;
      // A fresh salt per person, as for any real account.
      auto hash = auth::hash_password(kDemoPassword);
      if (!hash) return hash.error();
      auto created = directory.create_person(auth::NewPerson{
          organisation_id, std::string(person.email), std::string(person.name), std::move(*hash)});
      if (!created) return created.error();
      // The first person listed runs the organisation's Agora: people, invitations, audit.
      if (&person == &demo.people.front()) AGORA_TRY(directory.set_admin(created->id, true));
      ++load.people_created;
    }
  }
  return load;
}

// Columns on a terminal: UTF-8 continuation bytes take none ("Siân" is 4 wide, 5 bytes).
std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void append_padded(std::string& out, std::string_view text, std::size_t width) {
  out += text;
  out.append(width - std::min(width, display_width(text)), ' ');
}

}  // namespace

Result<DemoLoad> load_demo(store::Database& db, const base::Clock& clock) {
  return db.transaction([&](store::Connection& c) { return load_into(c, clock); });
}

std::string describe_demo_load(const DemoLoad& load) {
  std::string out;
  if (load.organisations_created == 0 && load.people_created == 0) {
    out += "Demo already loaded: nothing changed.\n";
  } else {
    out += fmt::format("Demo loaded: created {} organisation{} and {} {}.\n",
                       load.organisations_created, load.organisations_created == 1 ? "" : "s",
                       load.people_created, load.people_created == 1 ? "person" : "people");
  }
  out += fmt::format("\nDemo sign-ins (every account's password is {}):\n\n", kDemoPassword);

  std::array<std::string_view, 4> headings = {"Organisation", "Name", "Email", "Password"};
  std::array<std::size_t, 4> widths{};
  for (std::size_t i = 0; i < headings.size(); ++i) widths[i] = display_width(headings[i]);
  for (const DemoSignIn& s : load.sign_ins) {
    widths[0] = std::max(widths[0], display_width(s.organisation));
    widths[1] = std::max(widths[1], display_width(s.name));
    widths[2] = std::max(widths[2], display_width(s.email));
  }
  widths[3] = std::max(widths[3], display_width(kDemoPassword));

  auto row = [&](std::array<std::string_view, 4> cells) {
    out += "  ";
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i + 1 < cells.size()) {
        append_padded(out, cells[i], widths[i] + 2);
      } else {
        out += cells[i];
      }
    }
    out += '\n';
  };
  row(headings);
  const std::array<std::string, 4> rules = {
      std::string(widths[0], '-'), std::string(widths[1], '-'), std::string(widths[2], '-'),
      std::string(widths[3], '-')};
  row({rules[0], rules[1], rules[2], rules[3]});
  for (const DemoSignIn& s : load.sign_ins) row({s.organisation, s.name, s.email, kDemoPassword});
  return out;
}

}  // namespace agora::app
