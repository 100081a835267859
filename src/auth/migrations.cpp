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

// Sign-in, sessions, spaces and the audit trail (issue 5).
// - people.status: 'active', 'suspended' (deprovisioned: cannot sign in, kept for history) or
//   'erased' (personal data removed; the row stays so past edits keep an author).
// - Secrets that prove something (session, invitation, reset and API tokens; recovery codes) are
//   stored only as SHA-256 hashes: a copy of the database lets no one sign in.
// - organisation_grants share a resource with a whole organisation; auth::SpaceStore refuses them
//   on OFFICIAL-SENSITIVE spaces (need-to-know: named people only).
// - one_time_tokens carry invitations and password resets: single use (used_at) and expiring.
// - rate_events is a sliding window per bucket ("sign-in:account:7", "sign-in:ip:10.0.0.1").
// - audit_log is append-only; each row's hash is SHA-256 over its fields and the previous row's
//   hash. Ids are dense (auth::AuditLog assigns last_id + 1, even on PostgreSQL), so a gap is a
//   deleted record. audit_anchor's one row says where the chain starts after old records are
//   pruned (first_id, prev_hash) and which record was written last (last_id, last_hash), so
//   deleting the newest records, or every record, shows too.
constexpr std::string_view kAccessSqlite = R"sql(
ALTER TABLE organisations ADD COLUMN require_two_factor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN oidc_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN oidc_client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN oidc_client_secret TEXT NOT NULL DEFAULT '';

ALTER TABLE people ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
  CHECK (status IN ('active', 'suspended', 'erased'));
ALTER TABLE people ADD COLUMN totp_secret BLOB;
ALTER TABLE people ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN external_id TEXT;

CREATE TABLE spaces (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  classification TEXT NOT NULL DEFAULT 'OFFICIAL'
    CHECK (classification IN ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
  created_by INTEGER REFERENCES people (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (organisation_id, name)
);

CREATE TABLE organisation_grants (
  resource_kind TEXT NOT NULL,
  resource_id INTEGER NOT NULL,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'commenter', 'editor', 'owner')),
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (resource_kind, resource_id, organisation_id)
);
CREATE INDEX organisation_grants_by_organisation ON organisation_grants (organisation_id);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  token_hash BLOB NOT NULL UNIQUE,
  person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  stage TEXT NOT NULL CHECK (stage IN ('second_factor', 'two_factor_setup', 'active')),
  method TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX sessions_by_person ON sessions (person_id);

CREATE TABLE recovery_codes (
  person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  code_hash BLOB NOT NULL,
  used_at INTEGER,
  PRIMARY KEY (person_id, code_hash)
);

CREATE TABLE one_time_tokens (
  token_hash BLOB PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
  email TEXT NOT NULL,
  organisation_id INTEGER REFERENCES organisations (id) ON DELETE CASCADE,
  space_id INTEGER REFERENCES spaces (id) ON DELETE CASCADE,
  role TEXT CHECK (role IN ('viewer', 'commenter', 'editor', 'owner')),
  created_by INTEGER REFERENCES people (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX one_time_tokens_by_email ON one_time_tokens (email);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  token_hash BLOB NOT NULL UNIQUE,
  person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX api_tokens_by_person ON api_tokens (person_id);

CREATE TABLE rate_events (
  bucket TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX rate_events_by_bucket ON rate_events (bucket, at);

CREATE TABLE oidc_logins (
  state TEXT PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  nonce TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  return_to TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  person_id INTEGER,
  organisation_id INTEGER,
  action TEXT NOT NULL,
  resource_kind TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  space_id INTEGER,
  document_id INTEGER,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
);
CREATE INDEX audit_log_by_person ON audit_log (person_id, id);
CREATE INDEX audit_log_by_organisation ON audit_log (organisation_id, id);
CREATE INDEX audit_log_by_at ON audit_log (at);

CREATE TABLE audit_anchor (
  only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
  first_id INTEGER NOT NULL,
  prev_hash BLOB NOT NULL,
  last_id INTEGER NOT NULL,
  last_hash BLOB NOT NULL
);
INSERT INTO audit_anchor (only_row, first_id, prev_hash, last_id, last_hash)
  VALUES (1, 1, zeroblob(32), 0, zeroblob(32));
)sql";

constexpr std::string_view kAccessPostgres = R"sql(
ALTER TABLE organisations ADD COLUMN require_two_factor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN oidc_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN oidc_client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN oidc_client_secret TEXT NOT NULL DEFAULT '';

ALTER TABLE people ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
  CHECK (status IN ('active', 'suspended', 'erased'));
ALTER TABLE people ADD COLUMN totp_secret BYTEA;
ALTER TABLE people ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN external_id TEXT;

CREATE TABLE spaces (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organisation_id BIGINT NOT NULL REFERENCES organisations (id),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  classification TEXT NOT NULL DEFAULT 'OFFICIAL'
    CHECK (classification IN ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
  created_by BIGINT REFERENCES people (id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (organisation_id, name)
);

CREATE TABLE organisation_grants (
  resource_kind TEXT NOT NULL,
  resource_id BIGINT NOT NULL,
  organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'commenter', 'editor', 'owner')),
  granted_at BIGINT NOT NULL,
  PRIMARY KEY (resource_kind, resource_id, organisation_id)
);
CREATE INDEX organisation_grants_by_organisation ON organisation_grants (organisation_id);

CREATE TABLE sessions (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_hash BYTEA NOT NULL UNIQUE,
  person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  stage TEXT NOT NULL CHECK (stage IN ('second_factor', 'two_factor_setup', 'active')),
  method TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX sessions_by_person ON sessions (person_id);

CREATE TABLE recovery_codes (
  person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  code_hash BYTEA NOT NULL,
  used_at BIGINT,
  PRIMARY KEY (person_id, code_hash)
);

CREATE TABLE one_time_tokens (
  token_hash BYTEA PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
  email TEXT NOT NULL,
  organisation_id BIGINT REFERENCES organisations (id) ON DELETE CASCADE,
  space_id BIGINT REFERENCES spaces (id) ON DELETE CASCADE,
  role TEXT CHECK (role IN ('viewer', 'commenter', 'editor', 'owner')),
  created_by BIGINT REFERENCES people (id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);
CREATE INDEX one_time_tokens_by_email ON one_time_tokens (email);

CREATE TABLE api_tokens (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token_hash BYTEA NOT NULL UNIQUE,
  person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_used_at BIGINT
);
CREATE INDEX api_tokens_by_person ON api_tokens (person_id);

CREATE TABLE rate_events (
  bucket TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX rate_events_by_bucket ON rate_events (bucket, at);

CREATE TABLE oidc_logins (
  state TEXT PRIMARY KEY,
  organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  nonce TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  return_to TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at BIGINT NOT NULL,
  person_id BIGINT,
  organisation_id BIGINT,
  action TEXT NOT NULL,
  resource_kind TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  space_id BIGINT,
  document_id BIGINT,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash BYTEA NOT NULL,
  hash BYTEA NOT NULL
);
CREATE INDEX audit_log_by_person ON audit_log (person_id, id);
CREATE INDEX audit_log_by_organisation ON audit_log (organisation_id, id);
CREATE INDEX audit_log_by_at ON audit_log (at);

CREATE TABLE audit_anchor (
  only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
  first_id BIGINT NOT NULL,
  prev_hash BYTEA NOT NULL,
  last_id BIGINT NOT NULL,
  last_hash BYTEA NOT NULL
);
INSERT INTO audit_anchor (only_row, first_id, prev_hash, last_id, last_hash)
  VALUES (1, 1, decode(repeat('00', 32), 'hex'), 0, decode(repeat('00', 32), 'hex'));
)sql";

// SCIM groups (issue 5 item 8): a named set of an organisation's people, as its directory
// provisions them. Members are people of the group's organisation only (checked by the routes).
constexpr std::string_view kGroupsSqlite = R"sql(
CREATE TABLE person_groups (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  display_name TEXT NOT NULL,
  external_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (organisation_id, display_name)
);

CREATE TABLE person_group_members (
  group_id INTEGER NOT NULL REFERENCES person_groups (id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, person_id)
);
CREATE INDEX person_group_members_by_person ON person_group_members (person_id);
)sql";

constexpr std::string_view kGroupsPostgres = R"sql(
CREATE TABLE person_groups (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  display_name TEXT NOT NULL,
  external_id TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  UNIQUE (organisation_id, display_name)
);

CREATE TABLE person_group_members (
  group_id BIGINT NOT NULL REFERENCES person_groups (id) ON DELETE CASCADE,
  person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, person_id)
);
CREATE INDEX person_group_members_by_person ON person_group_members (person_id);
)sql";

constexpr store::Migration kMigrations[] = {
    {1, "auth: organisations, organisation_domains, people", kIdentitySqlite, kIdentityPostgres},
    {2, "auth: grants, grant_generation, server_keys", kGrantsSqlite, kGrantsPostgres},
    {5, "auth: sign-in, sessions, spaces, organisation grants, tokens, audit log", kAccessSqlite,
     kAccessPostgres},
    {7, "auth: person_groups, person_group_members (SCIM groups)", kGroupsSqlite, kGroupsPostgres},
};

}  // namespace

std::span<const store::Migration> migrations() {
  return kMigrations;
}

}  // namespace agora::auth
