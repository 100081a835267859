#include "auth/migrations.hpp"

namespace agora::auth {

namespace {

// Timestamps are Unix milliseconds (base::to_unix_millis) in both dialects, so one code path
// reads them. Emails and domains are stored lower case; the CHECKs keep a careless INSERT from
// creating a second account that differs only in case.

constexpr std::string_view kIdentitySqlite = R"sql(
CREATE TABLE organisations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL
    CHECK (kind IN ('council', 'nhs', 'police', 'housing', 'education', 'charity', 'other')),
  created_at INTEGER NOT NULL
);

CREATE TABLE organisation_domains (
  domain TEXT PRIMARY KEY CHECK (domain = lower(domain)),
  organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE
);
CREATE INDEX organisation_domains_by_organisation ON organisation_domains (organisation_id);

CREATE TABLE people (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  email TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX people_by_organisation ON people (organisation_id);
)sql";

constexpr std::string_view kIdentityPostgres = R"sql(
CREATE TABLE organisations (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL
    CHECK (kind IN ('council', 'nhs', 'police', 'housing', 'education', 'charity', 'other')),
  created_at BIGINT NOT NULL
);

CREATE TABLE organisation_domains (
  domain TEXT PRIMARY KEY CHECK (domain = lower(domain)),
  organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE
);
CREATE INDEX organisation_domains_by_organisation ON organisation_domains (organisation_id);

CREATE TABLE people (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organisation_id BIGINT NOT NULL REFERENCES organisations (id),
  email TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE INDEX people_by_organisation ON people (organisation_id);
)sql";

// Grants name their resource by kind and id rather than by foreign key, so that documents today
// and spaces later share one table and one policy. grant_generation is one row that every grant
// change bumps; open connections poll it to notice revocations.
constexpr std::string_view kGrantsSqlite = R"sql(
CREATE TABLE grants (
  resource_kind TEXT NOT NULL,
  resource_id INTEGER NOT NULL,
  person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'commenter', 'editor', 'owner')),
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (resource_kind, resource_id, person_id)
);
CREATE INDEX grants_by_person ON grants (person_id);

CREATE TABLE grant_generation (
  only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
  generation INTEGER NOT NULL
);
INSERT INTO grant_generation (only_row, generation) VALUES (1, 0);

CREATE TABLE server_keys (
  name TEXT PRIMARY KEY,
  secret BLOB NOT NULL
);
)sql";

constexpr std::string_view kGrantsPostgres = R"sql(
CREATE TABLE grants (
  resource_kind TEXT NOT NULL,
  resource_id BIGINT NOT NULL,
  person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'commenter', 'editor', 'owner')),
  granted_at BIGINT NOT NULL,
  PRIMARY KEY (resource_kind, resource_id, person_id)
);
CREATE INDEX grants_by_person ON grants (person_id);

CREATE TABLE grant_generation (
  only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
  generation BIGINT NOT NULL
);
INSERT INTO grant_generation (only_row, generation) VALUES (1, 0);

CREATE TABLE server_keys (
  name TEXT PRIMARY KEY,
  secret BYTEA NOT NULL
);
)sql";

constexpr store::Migration kMigrations[] = {
    {1, "auth: organisations, organisation_domains, people", kIdentitySqlite, kIdentityPostgres},
    {2, "auth: grants, grant_generation, server_keys", kGrantsSqlite, kGrantsPostgres},
};

}  // namespace

std::span<const store::Migration> migrations() {
  return kMigrations;
}

}  // namespace agora::auth
