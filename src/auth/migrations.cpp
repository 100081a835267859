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

constexpr store::Migration kMigrations[] = {
    {1, "auth: organisations, organisation_domains, people", kIdentitySqlite, kIdentityPostgres},
};

}  // namespace

std::span<const store::Migration> migrations() {
  return kMigrations;
}

}  // namespace agora::auth
